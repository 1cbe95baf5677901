//! Equal error rate, in the two definitions the field uses, and why they differ.

use crate::{MetricError, Ranked};

/// An equal error rate and the threshold where it was read.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Eer {
    /// The equal error rate, in [0, 1].
    pub eer: f64,
    /// The threshold (in the trials' score convention: higher = fake).
    pub threshold: f64,
}

/// DeepfakeBench's EER: `fpr[nanargmin(|fnr - fpr|)]` on `sklearn.metrics.roc_curve` with its
/// defaults (`drop_intermediate=True`).
pub fn eer_deepfakebench(ranked: &Ranked<'_>) -> Result<Eer, MetricError> {
    todo!("{:?}", ranked.trials().len())
}

/// The ASVspoof 5 evaluation package's `compute_eer` (bona fide = target; stable sort with
/// bona fide before spoof on ties; mean of the two rates at the first minimum of |frr - far|).
pub fn eer_asvspoof(ranked: &Ranked<'_>) -> Result<Eer, MetricError> {
    todo!("{:?}", ranked.trials().len())
}
