//! Metrics at one decision threshold, and the TPR reached at a given FPR.

use crate::{MetricError, Ranked, Trials};

/// Counts at a threshold: a trial is called fake when its score is **greater than** the
/// threshold (DeepfakeBench's `y_pred > 0.5`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Confusion {
    /// Fake trials called fake.
    pub tp: u64,
    /// Real trials called fake.
    pub fp: u64,
    /// Real trials called real.
    pub tn: u64,
    /// Fake trials called real.
    pub fn_: u64,
}

/// The confusion counts at `threshold` (fake when score > threshold).
pub fn confusion(trials: &Trials, threshold: f64) -> Confusion {
    todo!("{} {threshold}", trials.len())
}

/// Accuracy at `threshold`, DeepfakeBench's `acc`.
pub fn accuracy(trials: &Trials, threshold: f64) -> Result<f64, MetricError> {
    todo!("{} {threshold}", trials.len())
}

/// Balanced accuracy at `threshold`: mean of TPR and TNR (`sklearn.metrics.balanced_accuracy_score`).
pub fn balanced_accuracy(trials: &Trials, threshold: f64) -> Result<f64, MetricError> {
    todo!("{} {threshold}", trials.len())
}

/// The highest TPR among the ROC points (all thresholds, no interpolation) whose FPR is at most
/// `max_fpr`.
pub fn tpr_at_fpr(ranked: &Ranked<'_>, max_fpr: f64) -> Result<f64, MetricError> {
    todo!("{} {max_fpr}", ranked.trials().len())
}
