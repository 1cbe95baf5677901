//! Detection metrics, each named for the definition it follows, and score calibration.
//!
//! Every paper re-implements its metrics a little differently; here each function says whose
//! definition it reproduces, and the tests compare it with that code's output (scikit-learn,
//! DeepfakeBench, the ASVspoof 5 evaluation package, the AV-Deepfake1M evaluator).
//!
//! # Conventions
//! - A [`Trials`] holds scores and labels. **Label `true` = fake / spoof** (the positive class)
//!   and **a higher score means more likely fake**. Scores whose upstream convention is the
//!   opposite (ASVspoof score files: higher = bona fide) are negated when they are read, never
//!   here.
//! - Where an ASVspoof metric treats scores as log-likelihood ratios of *bona fide* versus spoof
//!   (actDCF, Cllr), the bona fide LLR of a trial is `-score`.
//! - [`Trials::ranked`] sorts once; every threshold metric reads the same [`Ranked`] view.
//!
//! # Where to look
//! | metric | module |
//! |---|---|
//! | ROC curve, ROC AUC, average precision | [`roc`] |
//! | EER (DeepfakeBench and ASVspoof 5 definitions) | [`eer`] |
//! | accuracy, balanced accuracy, TPR at FPR, confusion at a threshold | [`threshold`] |
//! | minDCF, actDCF (ASVspoof 5) | [`dcf`] |
//! | Cllr, minCllr, PAV | [`cllr`] |
//! | a-DCF, t-DCF, t-EER (ASVspoof 5 Track 2) | [`sasv`] |
//! | affine logistic calibration (BOSARIS objective) | [`calibration`] |
//! | expected calibration error, reliability bins (Guo et al. 2017) | [`ece`] |
//! | logistic fusion of several detectors' scores | [`fusion`] |
//! | temporal localization AP / AR (AV-Deepfake1M, LAV-DF) | [`localization`] |
#![deny(missing_docs)]

pub mod calibration;
pub mod cllr;
pub mod dcf;
pub mod ece;
pub mod eer;
mod error;
pub mod fusion;
pub mod localization;
pub mod roc;
pub mod sasv;
pub mod threshold;
mod trials;

pub use error::MetricError;
pub use trials::{Ranked, Trials};
