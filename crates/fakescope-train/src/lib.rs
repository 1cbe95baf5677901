//! fakescope's training engine: one engine for every modality (faces and speech).
//!
//! # Overview
//!
//! - [`Recipe`]: everything a run depends on, in one TOML file; unknown keys and impossible
//!   values are errors naming the key ([`recipe`]).
//! - [`data::TrainData`]: what the loop needs from a modality — [`face::FaceData`] (labelled
//!   face crops, or real faces and their self-blended fakes (SBI), prepared exactly as
//!   `fakescope scan --crops` prepares a crop) and [`speech::SpeechData`] (labelled clips,
//!   trimmed, balanced by class and source, cut into windows as `scan` cuts them, augmented
//!   with RawBoost, codecs and channel effects).
//! - [`net::Network`]: the architectures it trains (EfficientNet-Lite for faces, LFCC-LCNN for
//!   speech), one logit each.
//! - [`train`]: the loop on burn's autodiff — AdamW or SGD, warm-up and cosine schedule,
//!   gradient clipping, validation AUC for model selection and early stopping, checkpoints
//!   written atomically and resumed after any interruption ([`checkpoint`]), a JSONL log and a
//!   progress bar. Deterministic: the same seed and data give the same weights.
//! - [`export`]: the trained model as fakescope ships it: safetensors weights, `model.toml`
//!   (what `scan --detector DIR` reads), a model card, a calibration fitted on validation, and
//!   an HTML report of the run.
#![deny(missing_docs)]

pub mod checkpoint;
pub mod data;
mod error;
pub mod export;
pub mod face;
pub mod net;
pub mod recipe;
mod report;
pub mod schedule;
pub mod speech;
mod trainer;
pub mod whole_image;

pub use error::Error;
pub use recipe::{Overrides, Recipe};
pub use trainer::{RunOptions, Summary, bce_with_logits, train};
