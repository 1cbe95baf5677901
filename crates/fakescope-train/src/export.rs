//! The trained model as fakescope ships it: one folder that `fakescope scan --detector DIR`
//! runs, and that can be committed under `models/<name>/`.
//!
//! ```text
//! RUN/model/model.safetensors   the weights under the architecture's PyTorch keys, in f16
//! RUN/model/model.toml          what scan reads: name, architecture, input, score convention,
//!                               calibration, validation numbers, provenance (ModelCard)
//! RUN/model/README.md           the model card for people (data, licences, recipe, numbers)
//! RUN/model/recipe.toml         the recipe it was trained with
//! RUN/model/report.html         learning curves and the validation evaluation
//! ```
//!
//! The calibration is an affine logistic map from the logit to a log-likelihood ratio, fitted
//! on the validation scores of the best model (never on a test set).

use std::path::{Path, PathBuf};

use burn::tensor::Device;
use fakescope_metrics::calibration;
use fakescope_models::trained::{CARD_FILE, ModelCard, Provenance, ValidationSummary};
use fakescope_models::whole_image::InputTransform;

use crate::Error;
use crate::checkpoint::{MODEL_FILE, TrainState, read_state, write_synced};
use crate::net::Network;
use crate::recipe::{Recipe, Synthesize, TaskKind};

/// The weights file inside a model folder.
pub const WEIGHTS_FILE: &str = "model.safetensors";

/// Writes `RUN/model/` from the run's best model of architecture `N`; returns the folder.
pub fn export<N: Network>(recipe: &Recipe, run: &Path) -> Result<PathBuf, Error> {
    let best = run.join("best");
    if !best.join(MODEL_FILE).is_file() {
        return Err(Error::Checkpoint {
            path: best,
            message: "no best model yet (the run has not validated once)".to_owned(),
        });
    }
    let state = read_state(&best)?;
    let device = Device::flex();
    let model = N::blank(recipe, &device)?
        .try_load_file(best.join(MODEL_FILE))
        .map_err(|e| Error::Checkpoint {
            path: best.clone(),
            message: format!("cannot load model.bpk: {e:?}"),
        })?;
    let out = run.join("model");
    std::fs::create_dir_all(&out).map_err(|e| Error::io(&out, e))?;
    write_weights_f16(&model, &out.join(WEIGHTS_FILE))?;

    let scores_path = best.join("val_scores.json");
    let scores: Vec<(f64, bool)> = serde_json::from_slice(
        &std::fs::read(&scores_path).map_err(|e| Error::io(&scores_path, e))?,
    )
    .map_err(|e| Error::Invalid(format!("{}: {e}", scores_path.display())))?;
    let (values, fake): (Vec<f64>, Vec<bool>) = scores.iter().copied().unzip();
    let calibration = calibration::fit(&values, &fake, 0.5).ok();

    let final_state = crate::checkpoint::Checkpoints::new(run)
        .latest()?
        .map(|dir| read_state(&dir))
        .transpose()?
        .unwrap_or_else(|| state.clone());
    let (task, input_size, window_samples, preprocessing) = match recipe.task {
        TaskKind::Face => (
            "face",
            recipe.model.input_size,
            None,
            format!(
                "a face crop (the aligned crop of `scan`, or the whole image with --crops) \
                 resized to {0}x{0} with Pillow's bicubic filter, RGB in [0, 1], then ImageNet \
                 mean/std",
                recipe.model.input_size
            ),
        ),
        TaskKind::Image => {
            let image = recipe.image();
            (
                "image",
                recipe.model.input_size,
                None,
                format!(
                    "the whole image at native resolution (never resized), cut into crops of \
                     {0}x{0} on an even grid that covers it (at most `--image-crops`; an image \
                     smaller than a crop is padded by mirroring), RGB in [0, 1]{1}, then \
                     ImageNet mean/std; the image's score is the mean fake probability of its \
                     crops",
                    recipe.model.input_size,
                    match image.input {
                        InputTransform::Rgb => "",
                        InputTransform::Npr =>
                            ", as NPR residuals (each pixel minus the top-left pixel of its 2x2 \
                             block, x 2/3, re-centred on the ImageNet mean)",
                    }
                ),
            )
        }
        TaskKind::Speech => {
            let audio = recipe.audio();
            let samples = (audio.window_s * 16_000.0).round() as usize;
            (
                "speech",
                0,
                Some(samples),
                format!(
                    "16 kHz mono windows of {samples} samples ({} s; `scan` cuts a recording \
                     into windows every 2 s and tiles a shorter one), then LFCC (20 \
                     coefficients with deltas and delta-deltas, 20 ms frames every 10 ms); in \
                     training and validation, silence at both ends of a clip was trimmed \
                     ({} dB below its loudest 10 ms)",
                    audio.window_s, audio.trim_db
                ),
            )
        }
    };
    let card = ModelCard {
        name: recipe.name.clone(),
        description: recipe.description.clone(),
        task: task.to_owned(),
        arch: recipe.model.arch.clone(),
        weights: WEIGHTS_FILE.to_owned(),
        input_size,
        input_transform: match recipe.task {
            TaskKind::Image => recipe.image().input,
            _ => InputTransform::Rgb,
        },
        window_samples,
        preprocessing,
        score: "one logit; fake_probability = sigmoid(logit) (1 = fake)".to_owned(),
        calibration,
        validation: state.best.as_ref().map(|v| ValidationSummary {
            step: v.step,
            auc: v.auc,
            loss: v.loss,
            n: v.n,
        }),
        training: Provenance {
            steps: final_state.step,
            recipe_digest: recipe.training_digest(),
            fakescope_version: env!("CARGO_PKG_VERSION").to_owned(),
            git_commit: git_commit(),
            stopped_early: final_state.stopped_early,
        },
    };
    let text = toml::to_string_pretty(&card).map_err(|e| Error::Invalid(e.to_string()))?;
    write_synced(&out.join(CARD_FILE), text.as_bytes())?;
    let recipe_text = toml::to_string_pretty(recipe).map_err(|e| Error::Invalid(e.to_string()))?;
    write_synced(&out.join("recipe.toml"), recipe_text.as_bytes())?;
    write_synced(
        &out.join("README.md"),
        readme(recipe, &card, &state).as_bytes(),
    )?;
    let log = std::fs::read_to_string(run.join("log.jsonl")).unwrap_or_default();
    write_synced(
        &out.join("report.html"),
        crate::report::render(recipe, &card, &log, &scores).as_bytes(),
    )?;
    Ok(out)
}

/// The weights as safetensors under the PyTorch keys, f16 where the values fit.
fn write_weights_f16<N: Network>(model: &N, path: &Path) -> Result<(), Error> {
    let tensors = model.state_dict();
    // f16 halves the file; a tensor with a value beyond f16's range (running variances of a
    // model trained from scratch can be) stays f32 rather than becoming infinite.
    let bytes: Vec<(String, Vec<usize>, safetensors::Dtype, Vec<u8>)> = tensors
        .into_iter()
        .map(|(key, shape, values)| {
            let fits = values.iter().all(|v| v.abs() <= f32::from(half::f16::MAX));
            if fits {
                let data = values
                    .iter()
                    .flat_map(|v| half::f16::from_f32(*v).to_le_bytes())
                    .collect();
                (key, shape, safetensors::Dtype::F16, data)
            } else {
                let data = values.iter().flat_map(|v| v.to_le_bytes()).collect();
                (key, shape, safetensors::Dtype::F32, data)
            }
        })
        .collect();
    let views: Vec<(String, safetensors::tensor::TensorView<'_>)> = bytes
        .iter()
        .map(|(key, shape, dtype, data)| {
            safetensors::tensor::TensorView::new(*dtype, shape.clone(), data)
                .map(|view| (key.clone(), view))
                .map_err(|e| Error::Invalid(format!("{key}: {e}")))
        })
        .collect::<Result<_, _>>()?;
    let serialized = safetensors::serialize(views, None)
        .map_err(|e| Error::Invalid(format!("{}: {e}", path.display())))?;
    write_synced(path, &serialized)
}

fn git_commit() -> String {
    if let Ok(commit) = std::env::var("FAKESCOPE_GIT_COMMIT") {
        return commit;
    }
    std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown".to_owned())
}

fn readme(recipe: &Recipe, card: &ModelCard, state: &TrainState) -> String {
    let mut s = String::new();
    s.push_str(&format!("# {}\n\n{}\n\n", card.name, card.description));
    s.push_str("## What it is\n\n");
    s.push_str(&format!(
        "- Architecture: {} (initialisation: `{}`), one output logit.\n",
        card.arch, recipe.model.init
    ));
    s.push_str(&format!("- Input: {}.\n", card.preprocessing));
    s.push_str(&format!("- Score: {}.\n", card.score));
    if recipe.data.synthesize == Synthesize::Sbi {
        s.push_str(
            "- Trained on real faces only: the fakes are self-blended images (Shiohara & \
             Yamasaki, CVPR 2022) made on the fly from each real face and its MTCNN landmarks.\n",
        );
    }
    s.push_str("\n## Training data\n\n");
    if recipe.card.data.is_empty() {
        for set in &recipe.data.sets {
            s.push_str(&format!("- `{}` {:?}\n", set.path, set.sources));
        }
    } else {
        s.push_str("| source | origin | licence as stated |\n|---|---|---|\n");
        for d in &recipe.card.data {
            s.push_str(&format!("| {} | {} | {} |\n", d.name, d.origin, d.licence));
        }
    }
    if !recipe.card.restriction.is_empty() {
        s.push_str(&format!(
            "\n**Restriction on use:** {}\n",
            recipe.card.restriction
        ));
    }
    s.push_str("\n## Validation (model selection)\n\n");
    match &state.best {
        Some(v) => s.push_str(&format!(
            "Best validation ROC AUC {:.4} (mean BCE {:.4}) on {} {} at step {} of {}. \
             The validation split is held out from training by the manifest's split.\n",
            v.auc,
            v.loss,
            v.n,
            match recipe.task {
                TaskKind::Speech => "clips (each the mean of its windows)",
                TaskKind::Image => "images (each the mean of its crops)",
                TaskKind::Face => "images",
            },
            v.step,
            card.training.steps
        )),
        None => s.push_str("No validation recorded.\n"),
    }
    if let Some(c) = &card.calibration {
        s.push_str(&format!(
            "\nCalibration (fitted on those validation scores, prior {}): \
             LLR = {:.6} × logit + {:.6}.\n",
            c.prior, c.a, c.b
        ));
    }
    if !recipe.card.notes.is_empty() {
        s.push_str(&format!("\n## Notes\n\n{}\n", recipe.card.notes));
    }
    s.push_str(&format!(
        "\n## Provenance\n\nfakescope {} at commit `{}`, recipe digest `{}`; see `recipe.toml` \
         and `report.html`.\n",
        card.training.fakescope_version, card.training.git_commit, card.training.recipe_digest
    ));
    s
}
