//! ROC curve, ROC AUC and average precision, as scikit-learn computes them.
//!
//! scikit-learn sorts the scores decreasing and puts one ROC point at each *distinct* score
//! (`tps`, `fps` = fake / real trials scoring at least that much): exactly the groups of
//! [`Ranked`]. `roc_curve` then prepends the point `(0, 0)` at threshold `+inf` and, with
//! `drop_intermediate=True`, drops every point whose neighbours are collinear with it (zero
//! second difference of both `fps` and `tps`).

use rayon::prelude::*;

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

/// Whether `roc_curve(..., drop_intermediate=True)` keeps the point of group `g`: the first and
/// last always, the others where `fps` or `tps` bends (non-zero second difference). Curves of
/// at most two distinct scores keep every point.
pub(crate) fn kept_by_drop_intermediate(ranked: &Ranked<'_>, g: usize) -> bool {
    let last = ranked.n_groups() - 1;
    if last < 2 || g == 0 || g == last {
        return true;
    }
    let bends = |c: &[u64]| c[g + 1] - c[g] != c[g] - c[g - 1];
    bends(ranked.cum_real()) || bends(ranked.cum_fake())
}

/// `sklearn.metrics.roc_curve(y, score, drop_intermediate=...)`.
///
/// `Err(OneClass)` where scikit-learn warns and returns NaN rates.
pub fn roc_curve(ranked: &Ranked<'_>, drop_intermediate: bool) -> Result<RocCurve, MetricError> {
    let trials = ranked.trials();
    trials.require_both_classes()?;
    let (n_fake, n_real) = (trials.n_fake() as f64, trials.n_real() as f64);
    let mut curve = RocCurve {
        fpr: vec![0.0],
        tpr: vec![0.0],
        thresholds: vec![f64::INFINITY],
    };
    for g in 0..ranked.n_groups() {
        if !drop_intermediate || kept_by_drop_intermediate(ranked, g) {
            curve.fpr.push(ranked.cum_real()[g] as f64 / n_real);
            curve.tpr.push(ranked.cum_fake()[g] as f64 / n_fake);
            curve.thresholds.push(ranked.thresholds()[g]);
        }
    }
    Ok(curve)
}

/// `sklearn.metrics.roc_auc_score`: trapezoidal area under the ROC curve (ties count one half).
///
/// Computed exactly in integers (the trapezoids of the count curve, doubled), then divided
/// once; scikit-learn's floating-point trapezoid sum agrees to a few ulps. `Err(OneClass)` where
/// scikit-learn warns and returns NaN.
pub fn roc_auc(ranked: &Ranked<'_>) -> Result<f64, MetricError> {
    let trials = ranked.trials();
    trials.require_both_classes()?;
    let twice_area: u128 = (0..ranked.n_groups())
        .into_par_iter()
        .map(|g| {
            let (fake_before, real_before) = ranked.before(g);
            let d_real = u128::from(ranked.cum_real()[g] - real_before);
            d_real * u128::from(ranked.cum_fake()[g] + fake_before)
        })
        .sum();
    let scale = 2.0 * trials.n_fake() as f64 * trials.n_real() as f64;
    Ok(twice_area as f64 / scale)
}

/// `sklearn.metrics.average_precision_score` (step-wise, no interpolation):
/// `Σ (recall_g - recall_{g-1}) · precision_g` over the distinct scores, decreasing.
///
/// With only fake trials it is 1, as scikit-learn returns; with no fake trial scikit-learn
/// warns (recall undefined) and this returns `Err(OneClass)`.
pub fn average_precision(ranked: &Ranked<'_>) -> Result<f64, MetricError> {
    let trials = ranked.trials();
    if trials.n_fake() == 0 || trials.is_empty() {
        trials.require_both_classes()?;
    }
    let sum: f64 = (0..ranked.n_groups())
        .into_par_iter()
        .map(|g| {
            let tp = ranked.cum_fake()[g];
            let d_tp = tp - ranked.before(g).0;
            if d_tp == 0 {
                return 0.0;
            }
            let precision = tp as f64 / (tp + ranked.cum_real()[g]) as f64;
            d_tp as f64 * precision
        })
        .sum();
    Ok(sum / trials.n_fake() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Trials;

    #[test]
    fn tied_pair_is_one_half() {
        let trials = Trials::new(vec![1.0, 1.0], vec![true, false]).unwrap();
        assert_eq!(roc_auc(&trials.ranked()), Ok(0.5));
    }

    #[test]
    fn all_fake_average_precision_is_one() {
        let trials = Trials::new(vec![0.1, 0.9], vec![true, true]).unwrap();
        assert_eq!(average_precision(&trials.ranked()), Ok(1.0));
        let real = Trials::new(vec![0.1, 0.9], vec![false, false]).unwrap();
        assert!(matches!(
            average_precision(&real.ranked()),
            Err(MetricError::OneClass { .. })
        ));
    }
}
