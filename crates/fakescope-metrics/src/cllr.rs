//! Log-likelihood-ratio cost: Cllr, minCllr, and the PAV algorithm behind minCllr.
//!
//! Cllr (Brümmer & du Preez, 2006) scores calibrated LLRs: the mean over both classes of the
//! log-loss, in bits. minCllr is the Cllr the same scores reach after the best monotone
//! re-mapping to LLRs, found by the pool-adjacent-violators algorithm (PAV): what is left is
//! discrimination loss, `cllr - min_cllr` is calibration loss.
//!
//! The ASVspoof 5 package computes Cllr (`calculate_CLLR`) but no minCllr, so [`min_cllr`]
//! follows BOSARIS / FoCal (`min_cllr` = Cllr of `opt_loglr(..., 'raw')`): PAV of the class
//! posterior over the pooled scores sorted, tied trials pooled (BOSARIS sorts tied target
//! trials below non-target ones, which makes PAV pool every tie: the same fit),
//! LLR = logit(PAV posterior) − logit(empirical prior), infinite LLRs allowed. One difference:
//! BOSARIS adds `i · 1e-6 / n` to the i-th sorted LLR to keep its output idempotent; that
//! moves its value by up to ~1e-6 bits, and we leave it out (the exact PAV optimum).

mod pav;

use rayon::prelude::*;

pub use pav::{PavBin, pav};

use crate::{MetricError, Ranked, Trials};

/// `ln(1 + e^x)` without overflow: equals NumPy's `log1p(exp(x))` to a few ulps wherever that
/// is finite, and `x + ln(1 + e^-x)` beyond.
fn softplus(x: f64) -> f64 {
    if x > 0.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

/// Cllr in bits with scores taken as natural-log LLRs (bona fide LLR = `-score`), computed in a
/// numerically stable way; equals the ASVspoof 5 package's value wherever that is finite.
///
/// `0.5 · (mean over real trials of ln(1 + e^score) + mean over fake trials of
/// ln(1 + e^-score)) / ln 2` — the package's `calculate_CLLR(bona fide, spoof)`, which overflows
/// to `inf` once a score passes ~709 on the wrong side; this stays finite. `Err(OneClass)` where
/// the package's mean of an empty class is NaN.
pub fn cllr(trials: &Trials) -> Result<f64, MetricError> {
    trials.require_both_classes()?;
    let (real_sum, fake_sum) = trials
        .scores()
        .par_iter()
        .zip(trials.labels().par_iter())
        .fold(
            || (0.0, 0.0),
            |(real, fake), (&score, &is_fake)| {
                if is_fake {
                    (real, fake + softplus(-score))
                } else {
                    (real + softplus(score), fake)
                }
            },
        )
        .reduce(|| (0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1));
    let real_mean = real_sum / trials.n_real() as f64;
    let fake_mean = fake_sum / trials.n_fake() as f64;
    Ok(0.5 * (real_mean + fake_mean) / std::f64::consts::LN_2)
}

/// minCllr: Cllr after the optimal monotone (PAV) transform of the scores.
///
/// Sorts the trials; with a [`Ranked`] view at hand, [`min_cllr_ranked`] avoids sorting again.
pub fn min_cllr(trials: &Trials) -> Result<f64, MetricError> {
    min_cllr_ranked(&trials.ranked())
}

/// [`min_cllr`] on an existing sorted view.
///
/// A PAV bin with `k` fake and `m` real trials has posterior odds `k / m`; with prior odds
/// `F / R` its fake-versus-real LLR is `ln(k R / (m F))`, so each real trial of it costs
/// `ln(1 + k R / (m F))` nats and each fake trial `ln(1 + m F / (k R))`. Pure bins (infinite
/// LLRs) cost nothing.
pub fn min_cllr_ranked(ranked: &Ranked<'_>) -> Result<f64, MetricError> {
    let trials = ranked.trials();
    trials.require_both_classes()?;
    let n_fake = trials.n_fake() as f64;
    let n_real = trials.n_real() as f64;
    let (mut real_sum, mut fake_sum) = (0.0, 0.0);
    for bin in pav(ranked) {
        if bin.n_fake == 0 || bin.n_real == 0 {
            continue;
        }
        let (k, m) = (bin.n_fake as f64, bin.n_real as f64);
        let odds_ratio = (k * n_real) / (m * n_fake);
        real_sum += m * odds_ratio.ln_1p();
        fake_sum += k * odds_ratio.recip().ln_1p();
    }
    Ok(0.5 * (real_sum / n_real + fake_sum / n_fake) / std::f64::consts::LN_2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softplus_is_finite_far_out() {
        assert_eq!(softplus(1e300), 1e300);
        assert_eq!(softplus(-1e300), 0.0);
        assert!((softplus(0.0) - std::f64::consts::LN_2).abs() < 1e-16);
    }

    #[test]
    fn uninformative_scores_have_min_cllr_one() {
        let trials = Trials::new(vec![0.3; 5], vec![true, false, true, true, false]).unwrap();
        assert!((min_cllr(&trials).unwrap() - 1.0).abs() < 1e-15);
    }
}
