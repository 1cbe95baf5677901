//! Detection cost functions of ASVspoof 5 Track 1: minDCF and actDCF.
//!
//! The package decides "bona fide" when its score (our `-score`) is **at least** the threshold:
//! a bona fide trial is missed when `-score < t`, a spoof accepted when `-score >= t`. In our
//! convention that is: a real trial is missed when `score > -t`, a fake one accepted when
//! `score <= -t`. Reported thresholds are `-t` (higher = fake).

use rayon::prelude::*;

use crate::eer::{Det, first_smallest};
use crate::{MetricError, Ranked, Trials};

/// The cost model of ASVspoof 5 Track 1.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct DcfParams {
    /// Prior of spoof trials (0.05).
    pub p_spoof: f64,
    /// Cost of rejecting a bona fide trial (1).
    pub c_miss: f64,
    /// Cost of accepting a spoof trial (10).
    pub c_fa: f64,
}

impl Default for DcfParams {
    fn default() -> Self {
        Self {
            p_spoof: 0.05,
            c_miss: 1.0,
            c_fa: 10.0,
        }
    }
}

/// A detection cost and the threshold where it was reached.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Dcf {
    /// Normalised cost (by `min(c_miss (1 - p_spoof), c_fa p_spoof)`).
    pub dcf: f64,
    /// Threshold, in the trials' convention (higher = fake).
    pub threshold: f64,
}

impl DcfParams {
    fn check(&self) -> Result<(), MetricError> {
        let ok = self.p_spoof > 0.0
            && self.p_spoof < 1.0
            && self.c_miss > 0.0
            && self.c_fa > 0.0
            && self.c_miss.is_finite()
            && self.c_fa.is_finite();
        if ok {
            Ok(())
        } else {
            Err(MetricError::InvalidParameter(format!(
                "DCF needs 0 < p_spoof < 1 and finite positive costs, got {self:?}"
            )))
        }
    }
}

/// The ASVspoof 5 package's `compute_mindcf` over its DET curve.
///
/// The package scans every point of `compute_det_curve` (one per trial) and keeps the first
/// strict minimum of `c_miss · frr · p_target + c_fa · far · (1 - p_target)` with
/// `p_target = 1 - p_spoof`. Along the curve the cost rises while bona fide trials of a tie are
/// counted and falls while spoof ones are, so only the points after each group (and the start)
/// can hold that first minimum; the few equal-cost points before it are walked back exactly.
pub fn min_dcf(ranked: &Ranked<'_>, params: DcfParams) -> Result<Dcf, MetricError> {
    ranked.trials().require_both_classes()?;
    params.check()?;
    let det = Det::new(ranked);
    let p_target = 1.0 - params.p_spoof;
    let cost = |(frr, far): (f64, f64)| {
        params.c_miss * frr * p_target + params.c_fa * far * (1.0 - p_target)
    };
    let start = (cost(det.rates(0)), 0);
    let best = (0..ranked.n_groups())
        .filter(|&g| ranked.cum_fake()[g] > ranked.before(g).0)
        .map(|g| (cost(det.rates_after_group(g)), det.index_after_group(g)))
        .fold(start, first_smallest);
    let (min_cost, mut index) = best;
    while index > 0 && cost(det.rates(index - 1)) == min_cost {
        index -= 1;
    }
    let c_default = (params.c_miss * p_target).min(params.c_fa * (1.0 - p_target));
    Ok(Dcf {
        dcf: min_cost / c_default,
        threshold: det.threshold(index),
    })
}

/// The ASVspoof 5 package's `compute_actDCF`: scores taken as bona fide LLRs (`-score`),
/// threshold `-ln(c_miss (1 - p_spoof) / (c_fa p_spoof))`.
///
/// The reported threshold is that one negated, `ln(c_miss (1 - p_spoof) / (c_fa p_spoof))`:
/// a trial is called fake when its score is above it.
pub fn act_dcf(trials: &Trials, params: DcfParams) -> Result<Dcf, MetricError> {
    trials.require_both_classes()?;
    params.check()?;
    let beta = params.c_miss * (1.0 - params.p_spoof) / (params.c_fa * params.p_spoof);
    // The package decides at -ln(beta); negated into our convention.
    let threshold = beta.ln();
    let (missed, accepted) = trials
        .scores()
        .par_iter()
        .zip(trials.labels().par_iter())
        .fold(
            || (0u64, 0u64),
            |(missed, accepted), (&score, &fake)| {
                if fake {
                    (missed, accepted + u64::from(score <= threshold))
                } else {
                    (missed + u64::from(score > threshold), accepted)
                }
            },
        )
        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    let rate_miss = missed as f64 / trials.n_real() as f64;
    let rate_fa = accepted as f64 / trials.n_fake() as f64;
    let cost =
        params.c_miss * (1.0 - params.p_spoof) * rate_miss + params.c_fa * params.p_spoof * rate_fa;
    let c_default = (params.c_fa * params.p_spoof).min(params.c_miss * (1.0 - params.p_spoof));
    Ok(Dcf {
        dcf: cost / c_default,
        threshold,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_parameters_are_refused() {
        let trials = Trials::new(vec![1.0, 0.0], vec![true, false]).unwrap();
        let bad = DcfParams {
            p_spoof: 1.0,
            ..DcfParams::default()
        };
        assert!(matches!(
            act_dcf(&trials, bad),
            Err(MetricError::InvalidParameter(_))
        ));
        assert!(matches!(
            min_dcf(&trials.ranked(), bad),
            Err(MetricError::InvalidParameter(_))
        ));
    }
}
