//! ROC curve, ROC AUC and average precision, as scikit-learn computes them.

use crate::{MetricError, Ranked};

/// A ROC curve: one point per threshold, thresholds decreasing, as `sklearn.metrics.roc_curve`.
#[derive(Debug, Clone, PartialEq)]
pub struct RocCurve {
    /// False positive rate (real trials called fake) at each threshold.
    pub fpr: Vec<f64>,
    /// True positive rate (fake trials called fake) at each threshold.
    pub tpr: Vec<f64>,
    /// Thresholds, decreasing; the first is `+inf` (no trial called fake), as scikit-learn ≥ 1.3.
    pub thresholds: Vec<f64>,
}

/// `sklearn.metrics.roc_curve(y, score, drop_intermediate=...)`.
pub fn roc_curve(ranked: &Ranked<'_>, drop_intermediate: bool) -> Result<RocCurve, MetricError> {
    todo!("{:?} {drop_intermediate}", ranked.trials().len())
}

/// `sklearn.metrics.roc_auc_score`: trapezoidal area under the ROC curve (ties count one half).
pub fn roc_auc(ranked: &Ranked<'_>) -> Result<f64, MetricError> {
    todo!("{:?}", ranked.trials().len())
}

/// `sklearn.metrics.average_precision_score` (step-wise, no interpolation).
pub fn average_precision(ranked: &Ranked<'_>) -> Result<f64, MetricError> {
    todo!("{:?}", ranked.trials().len())
}
