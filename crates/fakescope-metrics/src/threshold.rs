//! Metrics at one decision threshold, and the TPR reached at a given FPR.

use rayon::prelude::*;

use crate::eer::first_true;
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
    let (tp, fp) = trials
        .scores()
        .par_iter()
        .zip(trials.labels().par_iter())
        .fold(
            || (0u64, 0u64),
            |(tp, fp), (&score, &fake)| {
                let called_fake = u64::from(score > threshold);
                if fake {
                    (tp + called_fake, fp)
                } else {
                    (tp, fp + called_fake)
                }
            },
        )
        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    Confusion {
        tp,
        fp,
        tn: trials.n_real() as u64 - fp,
        fn_: trials.n_fake() as u64 - tp,
    }
}

/// Accuracy at `threshold`, DeepfakeBench's `acc`: `(tp + tn) / n`. `Err(Empty)` with no trials.
pub fn accuracy(trials: &Trials, threshold: f64) -> Result<f64, MetricError> {
    if trials.is_empty() {
        return Err(MetricError::Empty);
    }
    let c = confusion(trials, threshold);
    Ok((c.tp + c.tn) as f64 / trials.len() as f64)
}

/// Balanced accuracy at `threshold`: mean of TPR and TNR (`sklearn.metrics.balanced_accuracy_score`).
///
/// `Err(OneClass)` where scikit-learn warns (a class absent from the labels).
pub fn balanced_accuracy(trials: &Trials, threshold: f64) -> Result<f64, MetricError> {
    trials.require_both_classes()?;
    let c = confusion(trials, threshold);
    let tnr = c.tn as f64 / trials.n_real() as f64;
    let tpr = c.tp as f64 / trials.n_fake() as f64;
    Ok((tnr + tpr) / 2.0)
}

/// The highest TPR among the ROC points (all thresholds, no interpolation) whose FPR is at most
/// `max_fpr`.
///
/// The points are scikit-learn's `roc_curve(drop_intermediate=False)`, `(0, 0)` included, FPR
/// computed as it does (`fps / n_real`). `Err(InvalidParameter)` unless `0 ≤ max_fpr ≤ 1`.
pub fn tpr_at_fpr(ranked: &Ranked<'_>, max_fpr: f64) -> Result<f64, MetricError> {
    let trials = ranked.trials();
    trials.require_both_classes()?;
    if !(0.0..=1.0).contains(&max_fpr) {
        return Err(MetricError::InvalidParameter(format!(
            "max_fpr must be in [0, 1], got {max_fpr}"
        )));
    }
    let n_real = trials.n_real() as f64;
    let real = ranked.cum_real();
    // FPR never decreases with the group index: count the groups whose FPR is within bounds.
    let within = first_true(0, real.len() as u64, |g| {
        real[g as usize] as f64 / n_real > max_fpr
    }) as usize;
    Ok(match within {
        0 => 0.0,
        g => ranked.cum_fake()[g - 1] as f64 / trials.n_fake() as f64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strictly_greater_is_fake() {
        let trials = Trials::new(vec![0.5, 0.7, 0.5, 0.1], vec![true, true, false, false]).unwrap();
        assert_eq!(
            confusion(&trials, 0.5),
            Confusion {
                tp: 1,
                fp: 0,
                tn: 2,
                fn_: 1
            }
        );
        assert_eq!(accuracy(&trials, 0.5), Ok(0.75));
        assert_eq!(balanced_accuracy(&trials, 0.5), Ok(0.75));
    }

    #[test]
    fn tpr_at_fpr_reads_the_last_point_within_bounds() {
        let trials = Trials::new(vec![3.0, 2.0, 1.0, 0.0], vec![true, false, true, false]).unwrap();
        let ranked = trials.ranked();
        assert_eq!(tpr_at_fpr(&ranked, 0.0), Ok(0.5));
        assert_eq!(tpr_at_fpr(&ranked, 0.5), Ok(1.0));
        assert!(tpr_at_fpr(&ranked, f64::NAN).is_err());
    }
}
