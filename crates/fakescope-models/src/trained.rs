//! Models fakescope trains: a folder with the weights and `model.toml` ([`ModelCard`]), written
//! by `fakescope train` and run by `fakescope scan --detector DIR`.
//!
//! ```text
//! DIR/model.toml          ModelCard: name, architecture, input, score convention, calibration,
//!                         validation numbers, provenance
//! DIR/model.safetensors   the weights under the architecture's PyTorch keys (f16 or f32)
//! DIR/README.md           the model card for people; DIR/recipe.toml, DIR/report.html
//! ```
//!
//! The models fakescope ships live in the same layout under `models/<name>/` in the repository
//! and are compiled into the binary ([`bundled`]): they run by name, without a download.

use std::path::Path;

use burn::tensor::Device;
use fakescope_metrics::calibration::Calibration;
use serde::{Deserialize, Serialize};

use crate::efficientnet_lite::{EfficientNetLite, Variant};
use crate::efficientnet_lite::{channels_last_to_planar, imagenet_planar_input};
use crate::lcnn::{Lcnn, Lfcc, lcnn_input};
use crate::whole_image::InputTransform;
use crate::{
    AudioDetector, DetectorInfo, Error, FaceDetector, ImageDetector, InputSpec, Modality,
    ScoreConvention,
};

/// The machine-readable card of a trained model.
pub const CARD_FILE: &str = "model.toml";

/// `model.toml`: what a trained model is and how to run it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelCard {
    /// Detector name (`effnetlite0-sbi`).
    pub name: String,
    /// One line.
    pub description: String,
    /// Modality (`face`).
    pub task: String,
    /// Architecture (`efficientnet-lite0`).
    pub arch: String,
    /// Weights file, relative to the folder.
    pub weights: String,
    /// Input side in pixels (face and image models; 0 for speech).
    pub input_size: usize,
    /// Image models: how a crop is shown to the network (`rgb` or `npr`).
    #[serde(default, skip_serializing_if = "is_rgb")]
    pub input_transform: InputTransform,
    /// Speech models: samples per window at 16 kHz.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_samples: Option<usize>,
    /// How the input is prepared, in words.
    pub preprocessing: String,
    /// Raw output and how it becomes a fake probability.
    pub score: String,
    /// Calibration fitted on validation (logit → natural-log LLR of fake vs real).
    pub calibration: Option<Calibration>,
    /// The best validation (model selection).
    pub validation: Option<ValidationSummary>,
    /// Training provenance.
    pub training: Provenance,
}

/// The validation a model was selected on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidationSummary {
    /// Step it was made at.
    pub step: usize,
    /// ROC AUC (fake positive).
    pub auc: f64,
    /// Mean binary cross-entropy.
    pub loss: f64,
    /// Images scored.
    pub n: usize,
}

/// Where a model comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// Steps trained.
    pub steps: usize,
    /// The recipe's training digest.
    pub recipe_digest: String,
    /// fakescope's version.
    pub fakescope_version: String,
    /// The git commit of the source tree, when known.
    pub git_commit: String,
    /// Whether early stopping ended the run.
    pub stopped_early: bool,
}

fn is_rgb(t: &InputTransform) -> bool {
    *t == InputTransform::Rgb
}

impl ModelCard {
    /// Reads `DIR/model.toml`.
    pub fn read(dir: &Path) -> Result<ModelCard, Error> {
        let path = dir.join(CARD_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| Error::Input {
            detector: "model folder",
            message: format!("{}: {e}", path.display()),
        })?;
        ModelCard::parse(&text, &path.display().to_string())
    }

    /// Parses the text of a `model.toml`; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<ModelCard, Error> {
        toml::from_str(text).map_err(|e| Error::Input {
            detector: "model folder",
            message: format!("{origin}: {}", e.to_string().trim_end()),
        })
    }
}

/// A model compiled into fakescope: the files of `models/<folder>/` in the repository.
#[derive(Debug, Clone, Copy)]
pub struct Bundled {
    /// The folder's name (the model's name).
    pub folder: &'static str,
    /// The text of its `model.toml`.
    pub card: &'static str,
    /// Its weights file.
    pub weights: &'static [u8],
}

impl Bundled {
    /// Where the files came from, for messages (`models/effnetlite0-sbi`).
    pub fn origin(&self) -> String {
        format!("models/{}", self.folder)
    }

    /// Its parsed card.
    pub fn card(&self) -> Result<ModelCard, Error> {
        ModelCard::parse(self.card, &format!("{}/{CARD_FILE}", self.origin()))
    }
}

/// The models compiled into this build (from `models/*/` at build time), sorted by name.
pub fn bundled() -> &'static [Bundled] {
    include!(concat!(env!("OUT_DIR"), "/bundled.rs"))
}

/// The bundled model named `name`, if this build has one.
pub fn find_bundled(name: &str) -> Option<&'static Bundled> {
    bundled().iter().find(|b| b.folder == name)
}

/// Whether `dir` is a trained model folder (it holds `model.toml`).
pub fn is_model_dir(dir: &Path) -> bool {
    dir.join(CARD_FILE).is_file()
}

/// The card and weights of the model folder `dir`; `check` refuses a card before any weights
/// are read.
fn read_folder<T>(
    dir: &Path,
    check: impl Fn(&ModelCard, &str) -> Result<T, Error>,
) -> Result<(ModelCard, T, fakescope_weights::StateDict), Error> {
    let card = ModelCard::read(dir)?;
    let checked = check(&card, &dir.display().to_string())?;
    let state = fakescope_weights::StateDict::load(&dir.join(&card.weights))?;
    Ok((card, checked, state))
}

/// The card and weights of a built-in model.
fn read_bundled<T>(
    bundled: &Bundled,
    check: impl Fn(&ModelCard, &str) -> Result<T, Error>,
) -> Result<(ModelCard, T, fakescope_weights::StateDict), Error> {
    let card = bundled.card()?;
    let origin = bundled.origin();
    let checked = check(&card, &origin)?;
    let state = fakescope_weights::StateDict::load_bytes(
        format!("{origin}/{}", card.weights),
        bundled.weights,
    )?;
    Ok((card, checked, state))
}

fn wrong_task(card: &ModelCard, origin: &str, expected: &str) -> Error {
    Error::Input {
        detector: "model folder",
        message: format!("{origin}: task {:?} is not a {expected} model", card.task),
    }
}

/// One row per input from a `[n, 1]` logit tensor (the raw output of a trained model).
fn logit_rows(
    logits: burn::tensor::Tensor<2>,
    detector: &'static str,
) -> Result<Vec<Vec<f32>>, Error> {
    let values = logits
        .into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .map_err(|e| Error::Backend {
            detector,
            message: format!("{e:?}"),
        })?;
    Ok(values.into_iter().map(|z| vec![z]).collect())
}

/// A model fakescope trained, of whichever modality its card says.
pub enum Trained {
    /// A face model.
    Face(Box<TrainedFace>),
    /// A speech model.
    Audio(Box<TrainedAudio>),
    /// A whole-image model.
    Image(Box<TrainedImage>),
}

impl Trained {
    /// Loads the model folder `dir`.
    pub fn load(dir: &Path, device: &Device) -> Result<Trained, Error> {
        let card = ModelCard::read(dir)?;
        Ok(match card.task.as_str() {
            "speech" => Trained::Audio(Box::new(TrainedAudio::load(dir, device)?)),
            "image" => Trained::Image(Box::new(TrainedImage::load(dir, device)?)),
            _ => Trained::Face(Box::new(TrainedFace::load(dir, device)?)),
        })
    }

    /// Loads a built-in model.
    pub fn load_bundled(bundled: &Bundled, device: &Device) -> Result<Trained, Error> {
        Ok(match bundled.card()?.task.as_str() {
            "speech" => Trained::Audio(Box::new(TrainedAudio::load_bundled(bundled, device)?)),
            "image" => Trained::Image(Box::new(TrainedImage::load_bundled(bundled, device)?)),
            _ => Trained::Face(Box::new(TrainedFace::load_bundled(bundled, device)?)),
        })
    }
}

/// An EfficientNet-Lite with one logit on square crops: the trained face and image models.
struct Vision {
    info: DetectorInfo,
    model: EfficientNetLite,
    device: Device,
    card: ModelCard,
}

impl Vision {
    /// Refuses cards of another task or an unknown architecture, before any weights are read.
    fn check(card: &ModelCard, origin: &str, task: &str) -> Result<Variant, Error> {
        if card.task != task {
            return Err(wrong_task(card, origin, task));
        }
        if task == "face" && card.input_transform != InputTransform::Rgb {
            return Err(Error::Input {
                detector: "model folder",
                message: format!(
                    "{origin}/{CARD_FILE}: a face model takes RGB crops (input_transform {:?})",
                    card.input_transform.as_str()
                ),
            });
        }
        Variant::from_name(&card.arch).ok_or_else(|| Error::Input {
            detector: "model folder",
            message: format!("{origin}/{CARD_FILE}: unknown architecture {:?}", card.arch),
        })
    }

    fn from_parts(
        card: ModelCard,
        variant: Variant,
        state: fakescope_weights::StateDict,
        device: &Device,
        modality: Modality,
    ) -> Result<Vision, Error> {
        let model = EfficientNetLite::from_state_dict(variant, 1, state, device)?;
        // The registry's names are static; a model is loaded once per process.
        let name: &'static str = Box::leak(card.name.clone().into_boxed_str());
        let size = card.input_size;
        Ok(Vision {
            info: DetectorInfo {
                name,
                modality,
                input: match modality {
                    Modality::Image => InputSpec::ImageCrop { size },
                    _ => InputSpec::FaceCrop { size },
                },
                convention: ScoreConvention::Logit,
            },
            model,
            device: device.clone(),
            card,
        })
    }

    fn raw_outputs(&self, crops: &[f32], n: usize) -> Result<Vec<Vec<f32>>, Error> {
        let size = self.card.input_size;
        if crops.len() != n * size * size * 3 {
            return Err(Error::Input {
                detector: self.info.name,
                message: format!("{} values for {n} crops of {size}x{size}x3", crops.len()),
            });
        }
        if n == 0 {
            return Ok(Vec::new());
        }
        let mut planes = channels_last_to_planar(crops, n, size);
        self.card.input_transform.apply_planar(&mut planes, size);
        let x = imagenet_planar_input(planes, n, size, &self.device);
        logit_rows(self.model.forward(x, false), self.info.name)
    }
}

/// A trained face model: EfficientNet-Lite with one logit on face crops (resized to its input).
pub struct TrainedFace(Vision);

impl TrainedFace {
    /// Loads the model folder `dir` on `device`.
    pub fn load(dir: &Path, device: &Device) -> Result<TrainedFace, Error> {
        let (card, variant, state) = read_folder(dir, |c, o| Vision::check(c, o, "face"))?;
        Vision::from_parts(card, variant, state, device, Modality::Face).map(TrainedFace)
    }

    /// Loads a model compiled into fakescope ([`bundled`]).
    pub fn load_bundled(bundled: &Bundled, device: &Device) -> Result<TrainedFace, Error> {
        let (card, variant, state) = read_bundled(bundled, |c, o| Vision::check(c, o, "face"))?;
        Vision::from_parts(card, variant, state, device, Modality::Face).map(TrainedFace)
    }

    /// The model's card.
    pub fn card(&self) -> &ModelCard {
        &self.0.card
    }
}

impl FaceDetector for TrainedFace {
    fn info(&self) -> &DetectorInfo {
        &self.0.info
    }

    fn calibration(&self) -> Option<&Calibration> {
        self.0.card.calibration.as_ref()
    }

    fn raw_outputs(&self, crops: &[f32], n: usize) -> Result<Vec<Vec<f32>>, Error> {
        self.0.raw_outputs(crops, n)
    }
}

/// A trained whole-image model: EfficientNet-Lite with one logit on crops cut at native
/// resolution ([`crate::whole_image`]), shown as RGB or as NPR residuals (the card's
/// `input_transform`).
pub struct TrainedImage(Vision);

impl TrainedImage {
    /// Loads the model folder `dir` on `device`.
    pub fn load(dir: &Path, device: &Device) -> Result<TrainedImage, Error> {
        let (card, variant, state) = read_folder(dir, |c, o| Vision::check(c, o, "image"))?;
        Vision::from_parts(card, variant, state, device, Modality::Image).map(TrainedImage)
    }

    /// Loads a model compiled into fakescope ([`bundled`]).
    pub fn load_bundled(bundled: &Bundled, device: &Device) -> Result<TrainedImage, Error> {
        let (card, variant, state) = read_bundled(bundled, |c, o| Vision::check(c, o, "image"))?;
        Vision::from_parts(card, variant, state, device, Modality::Image).map(TrainedImage)
    }

    /// The model's card.
    pub fn card(&self) -> &ModelCard {
        &self.0.card
    }
}

impl ImageDetector for TrainedImage {
    fn info(&self) -> &DetectorInfo {
        &self.0.info
    }

    fn calibration(&self) -> Option<&Calibration> {
        self.0.card.calibration.as_ref()
    }

    fn raw_outputs(&self, crops: &[f32], n: usize) -> Result<Vec<Vec<f32>>, Error> {
        self.0.raw_outputs(crops, n)
    }
}

/// A trained speech model: LFCC-LCNN with one logit, on 16 kHz windows.
pub struct TrainedAudio {
    info: DetectorInfo,
    model: Lcnn,
    lfcc: Lfcc,
    device: Device,
    card: ModelCard,
}

impl TrainedAudio {
    /// Loads the model folder `dir` on `device`.
    pub fn load(dir: &Path, device: &Device) -> Result<TrainedAudio, Error> {
        let (card, samples, state) = read_folder(dir, TrainedAudio::check)?;
        TrainedAudio::from_parts(card, samples, state, device)
    }

    /// Loads a model compiled into fakescope ([`bundled`]).
    pub fn load_bundled(bundled: &Bundled, device: &Device) -> Result<TrainedAudio, Error> {
        let (card, samples, state) = read_bundled(bundled, TrainedAudio::check)?;
        TrainedAudio::from_parts(card, samples, state, device)
    }

    /// Refuses cards this type cannot run; the window length.
    fn check(card: &ModelCard, origin: &str) -> Result<usize, Error> {
        if card.task != "speech" {
            return Err(wrong_task(card, origin, "speech"));
        }
        if card.arch != "lcnn" {
            return Err(Error::Input {
                detector: "model folder",
                message: format!(
                    "{origin}/{CARD_FILE}: unknown speech architecture {:?}",
                    card.arch
                ),
            });
        }
        match card.window_samples {
            Some(n) if (8_000..=480_000).contains(&n) => Ok(n),
            other => Err(Error::Input {
                detector: "model folder",
                message: format!(
                    "{origin}/{CARD_FILE}: window_samples {other:?} is not between 8000 and 480000"
                ),
            }),
        }
    }

    fn from_parts(
        card: ModelCard,
        samples: usize,
        state: fakescope_weights::StateDict,
        device: &Device,
    ) -> Result<TrainedAudio, Error> {
        let model = Lcnn::from_state_dict(state, device)?;
        let name: &'static str = Box::leak(card.name.clone().into_boxed_str());
        Ok(TrainedAudio {
            info: DetectorInfo {
                name,
                modality: Modality::Audio,
                input: InputSpec::AudioWindow {
                    sample_rate: crate::lcnn::SAMPLE_RATE,
                    samples,
                },
                convention: ScoreConvention::Logit,
            },
            model,
            lfcc: Lfcc::new(),
            device: device.clone(),
            card,
        })
    }

    /// The model's card.
    pub fn card(&self) -> &ModelCard {
        &self.card
    }
}

impl AudioDetector for TrainedAudio {
    fn info(&self) -> &DetectorInfo {
        &self.info
    }

    fn calibration(&self) -> Option<&Calibration> {
        self.card.calibration.as_ref()
    }

    fn raw_outputs(&self, windows: &[&[f32]]) -> Result<Vec<Vec<f32>>, Error> {
        let InputSpec::AudioWindow { samples, .. } = self.info.input else {
            unreachable!("a speech model takes audio windows");
        };
        if let Some(w) = windows.iter().find(|w| w.len() != samples) {
            return Err(Error::Input {
                detector: self.info.name,
                message: format!(
                    "a window of {} samples (the model takes {samples})",
                    w.len()
                ),
            });
        }
        if windows.is_empty() {
            return Ok(Vec::new());
        }
        let x = lcnn_input(&self.lfcc, windows, &self.device);
        logit_rows(self.model.forward(x, false), self.info.name)
    }
}
