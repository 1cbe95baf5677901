//! The detectors of fakescope: one file per architecture behind one [`AudioDetector`] contract,
//! and a registry that builds them by name.
//!
//! # Overview
//!
//! - [`AudioDetector`]: what every audio detector does — it describes itself
//!   ([`DetectorInfo`]: name, [`Modality`], [`InputSpec`], [`ScoreConvention`]), returns the
//!   upstream model's raw outputs per window, and converts them to a fake probability with the
//!   documented upstream convention.
//! - [`FaceDetector`] (face crops) and [`ImageDetector`] (whole images in crops at native
//!   resolution, [`whole_image`]): the same for the other modalities.
//! - [`aasist`]: AASIST (clovaai/aasist and the ASVspoof 5 baseline), numerically equal to the
//!   upstream PyTorch model (max |Δlogit| ≈ 4e-6 on the parity fixtures).
//! - The registry: [`AudioDetectorName`] (a closed enum of the known names: `aasist`,
//!   `aasist-l`, `aasist-asvspoof5`), [`audio_detector_names`] and [`load_audio_detector`].
//!
//! Weights are loaded strictly (see [`fakescope_nn::Params`]): a missing tensor, a tensor of
//! another shape, or a tensor the architecture does not use is an error naming the file.
//!
//! # Example
//!
//! ```no_run
//! use std::path::Path;
//! use burn::tensor::Device;
//! use fakescope_models::load_audio_detector;
//!
//! let detector = load_audio_detector("aasist", Path::new("AASIST.pth"), &Device::flex())?;
//! let window = vec![0.0f32; 64_600]; // 4.04 s at 16 kHz
//! let p_fake = detector.fake_probability(&[&window])?;
//! println!("{}: P(fake) = {:.3}", detector.info().name, p_fake[0]);
//! # Ok::<(), fakescope_models::Error>(())
//! ```
#![deny(missing_docs)]

pub mod aasist;
pub mod efficientnet_lite;
pub mod lcnn;
pub mod mesonet;
mod registry;
mod state_dict;
pub mod trained;
pub mod whole_image;

pub use fakescope_metrics::calibration::Calibration;
pub use mesonet::MesoNet;
pub use registry::{
    AudioDetectorName, FaceDetectorName, audio_detector_names, face_detector_names,
    load_audio_detector, load_face_detector,
};

/// What kind of media a detector looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Modality {
    /// Speech recordings, scored window by window.
    Audio,
    /// Face crops from images or video frames, scored crop by crop.
    Face,
    /// Whole images and video frames, scored in crops at native resolution.
    Image,
}

/// What a detector takes as input.
#[derive(Debug, Clone, PartialEq)]
pub enum InputSpec {
    /// Mono waveform windows of exactly `samples` samples at `sample_rate` Hz, float in [-1, 1].
    /// Clips shorter than one window are tiled to length (as upstream AASIST does).
    AudioWindow {
        /// Sample rate in Hz.
        sample_rate: u32,
        /// Samples per window.
        samples: usize,
    },
    /// Square RGB face crops of `size` x `size` pixels, float in [0, 1], channels last
    /// (`[n, size, size, 3]` row-major), as MesoNet's Keras models take them.
    FaceCrop {
        /// Side of the square crop in pixels (MesoNet: 256).
        size: usize,
    },
    /// Square RGB crops of `size` x `size` pixels cut from the whole image at native
    /// resolution ([`whole_image::crop_grid`]), float in [0, 1], channels last, as
    /// [`InputSpec::FaceCrop`].
    ImageCrop {
        /// Side of the square crop in pixels.
        size: usize,
    },
}

/// How the upstream model's raw outputs turn into a fake probability (1 = fake/spoof).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScoreConvention {
    /// Two logits; the probability is the softmax of the two, taken at `fake_column`.
    /// AASIST: column 0 = spoof, column 1 = bona fide, so `fake_column = 0`.
    SoftmaxTwoClass {
        /// The column holding the fake/spoof logit.
        fake_column: usize,
    },
    /// One sigmoid output where 1 means **real** (MesoNet): fake probability = 1 - output.
    SigmoidReal,
    /// One logit where higher means **fake** (the models fakescope trains): fake probability =
    /// sigmoid(logit).
    Logit,
}

impl ScoreConvention {
    /// Converts one row of raw outputs to a fake probability.
    ///
    /// The result is `f64` so that very confident outputs keep their order: in `f32`, every
    /// logit margin above ~17 would round to exactly 1.0 and tie.
    pub fn fake_probability(self, raw: &[f32]) -> f64 {
        match self {
            ScoreConvention::SoftmaxTwoClass { fake_column } => {
                let other = 1 - fake_column;
                // softmax of two logits = sigmoid of their difference; stable for any magnitude.
                let d = f64::from(raw[fake_column]) - f64::from(raw[other]);
                1.0 / (1.0 + (-d).exp())
            }
            ScoreConvention::SigmoidReal => 1.0 - f64::from(raw[0]),
            ScoreConvention::Logit => 1.0 / (1.0 + (-f64::from(raw[0])).exp()),
        }
    }
}

/// Static description of a detector.
#[derive(Debug, Clone)]
pub struct DetectorInfo {
    /// Registry name, e.g. `aasist`.
    pub name: &'static str,
    /// What it looks at.
    pub modality: Modality,
    /// What it takes.
    pub input: InputSpec,
    /// How raw outputs map to a fake probability.
    pub convention: ScoreConvention,
}

/// Why a detector could not be built or run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading the weights failed.
    #[error(transparent)]
    Weights(#[from] fakescope_weights::Error),
    /// Building a model from its weights failed (missing or misshapen tensor, unused tensors).
    #[error(transparent)]
    Load(#[from] fakescope_nn::Error),
    /// No detector has this name.
    #[error("unknown audio detector `{name}` (known: {known})")]
    UnknownDetector {
        /// The name asked for.
        name: String,
        /// The known names, comma-separated.
        known: String,
    },
    /// The tensor backend failed while running a detector.
    #[error("{detector}: {message}")]
    Backend {
        /// Detector name.
        detector: &'static str,
        /// What failed.
        message: String,
    },
    /// The input does not match the detector's [`InputSpec`].
    #[error("{detector}: {message}")]
    Input {
        /// Detector name.
        detector: &'static str,
        /// What is wrong.
        message: String,
    },
}

/// The contract every face-forgery detector fulfils: it scores face crops.
pub trait FaceDetector: Send + Sync {
    /// Name, modality ([`Modality::Face`]), input ([`InputSpec::FaceCrop`]) and convention.
    fn info(&self) -> &DetectorInfo;
    /// The upstream model's raw outputs, one row per crop (MesoNet: 1 sigmoid, 1 = real).
    /// `crops` holds `n` crops of the [`InputSpec::FaceCrop`] size, channels last, in [0, 1]:
    /// `crops.len() == n * size * size * 3`.
    fn raw_outputs(&self, crops: &[f32], n: usize) -> Result<Vec<Vec<f32>>, Error>;
    /// The calibration of the detector's scores, when it has one (the models fakescope trains
    /// carry one fitted on their validation split; the published models none).
    fn calibration(&self) -> Option<&Calibration> {
        None
    }
    /// Fake probability per crop (1 = fake), converted with the detector's convention and,
    /// when the detector has a [`FaceDetector::calibration`], calibrated
    /// ([`calibrated_probability`]).
    fn fake_probability(&self, crops: &[f32], n: usize) -> Result<Vec<f64>, Error> {
        let rows = self.raw_outputs(crops, n)?;
        Ok(probabilities(self.info(), self.calibration(), &rows))
    }
}

/// The contract every whole-image detector fulfils: it scores square crops cut from an image
/// at native resolution (see [`whole_image`] for how an image becomes crops and how their
/// scores pool).
pub trait ImageDetector: Send + Sync {
    /// Name, modality ([`Modality::Image`]), input ([`InputSpec::ImageCrop`]) and convention.
    fn info(&self) -> &DetectorInfo;
    /// Raw outputs, one row per crop. `crops` holds `n` crops of the [`InputSpec::ImageCrop`]
    /// size, channels last, in [0, 1]: `crops.len() == n * size * size * 3`.
    fn raw_outputs(&self, crops: &[f32], n: usize) -> Result<Vec<Vec<f32>>, Error>;
    /// The calibration of the detector's scores, when it has one.
    fn calibration(&self) -> Option<&Calibration> {
        None
    }
    /// Fake probability per crop (1 = fake), converted and calibrated as
    /// [`FaceDetector::fake_probability`] does.
    fn fake_probability(&self, crops: &[f32], n: usize) -> Result<Vec<f64>, Error> {
        let rows = self.raw_outputs(crops, n)?;
        Ok(probabilities(self.info(), self.calibration(), &rows))
    }
}

/// Raw output rows to fake probabilities with the detector's convention, then its calibration.
fn probabilities(
    info: &DetectorInfo,
    calibration: Option<&Calibration>,
    rows: &[Vec<f32>],
) -> Vec<f64> {
    rows.iter()
        .map(|row| {
            let p = info.convention.fake_probability(row);
            calibration.map_or(p, |c| calibrated_probability(p, c))
        })
        .collect()
}

/// A fake probability through a calibration: its logit mapped to a log-likelihood ratio (fake
/// versus real), read as a probability at even prior odds.
pub fn calibrated_probability(p: f64, calibration: &Calibration) -> f64 {
    let p = p.clamp(1e-15, 1.0 - 1e-15);
    let llr = calibration.apply((p / (1.0 - p)).ln());
    1.0 / (1.0 + (-llr).exp())
}

/// The contract every audio detector fulfils.
pub trait AudioDetector: Send + Sync {
    /// Name, modality, input and score convention.
    fn info(&self) -> &DetectorInfo;

    /// The upstream model's raw outputs, one row per window (AASIST: 2 logits).
    /// Every window has exactly the length the [`InputSpec`] asks for.
    fn raw_outputs(&self, windows: &[&[f32]]) -> Result<Vec<Vec<f32>>, Error>;

    /// The calibration of the detector's scores, when it has one (the models fakescope trains
    /// carry one fitted on their validation split; the published models none).
    fn calibration(&self) -> Option<&Calibration> {
        None
    }

    /// Fake probability per window (1 = fake), converted with the detector's convention and,
    /// when the detector has a [`AudioDetector::calibration`], calibrated
    /// ([`calibrated_probability`]).
    fn fake_probability(&self, windows: &[&[f32]]) -> Result<Vec<f64>, Error> {
        let rows = self.raw_outputs(windows)?;
        Ok(probabilities(self.info(), self.calibration(), &rows))
    }
}
