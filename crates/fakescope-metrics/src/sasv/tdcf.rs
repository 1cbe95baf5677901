//! The tandem detection cost function (t-DCF) of a countermeasure placed in front of a fixed
//! speaker verifier, as ASVspoof 5 reports it for Track 2.

use super::sweep::{Sweep, first_min, rate};
use super::{SasvClass, SasvCosts, SasvTrials};
use crate::MetricError;

/// The error rates of the ASV system a countermeasure is evaluated in tandem with, at its
/// operating threshold. Rates are fractions in [0, 1].
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AsvErrorRates {
    /// Fraction of target trials the ASV rejects.
    pub p_miss: f64,
    /// Fraction of non-target trials the ASV accepts.
    pub p_fa_nontarget: f64,
    /// Fraction of spoof trials the ASV accepts.
    pub p_fa_spoof: f64,
}

impl AsvErrorRates {
    /// The rates of the organisers' ASV system pooled over all conditions, hard-coded in the
    /// ASVspoof 5 package and used by its `t2_tandem` mode (the [`Default`]).
    pub const ASVSPOOF5_ORGANIZERS: Self = Self {
        p_miss: 0.01880141010575793,
        p_fa_nontarget: 0.01881016557566423,
        p_fa_spoof: 0.4607082907604729,
    };

    /// The rates of an ASV system at its equal-error threshold, as the package computes them
    /// when it is given the ASV scores (`compute_eer` on target versus non-target scores, then
    /// `obtain_asv_error_rates`): the threshold is that of the first DET point minimising
    /// `|P_miss - P_fa|`, and a trial is accepted when its ASV score is `>=` the threshold.
    ///
    /// Reads the ASV score of every trial; needs target, non-target and spoof trials.
    ///
    /// Note: the package's `calculate_aDCF_tdcf_tEER`, when given ASV scores, passes the
    /// fraction of spoofs the ASV *rejects* where the t-DCF expects the fraction it accepts
    /// (element 2 of `obtain_asv_error_rates` instead of 3). This function returns the rate
    /// the t-DCF defines; to reproduce that branch's number, use `1 - p_fa_spoof`.
    pub fn at_eer_threshold(trials: &SasvTrials) -> Result<AsvOperatingPoint, MetricError> {
        trials.require_classes(
            &[SasvClass::Target, SasvClass::NonTarget, SasvClass::Spoof],
            "the ASV EER threshold",
        )?;
        let asv = trials.component_scores(false, "the ASV EER threshold")?;
        let classes = trials.trials().iter().map(|t| t.class);
        // compute_eer's DET curve: targets before non-targets among tied scores.
        let sweep = Sweep::new(
            asv.iter()
                .zip(classes.clone())
                .filter(|(_, c)| c.is_bona_fide())
                .map(|(&s, c)| (s, c.package_rank()))
                .collect(),
            0.001,
        );
        let [n_tar, n_non, _] = sweep.totals();
        let (_, threshold) = first_min(sweep.points().map(|p| {
            let p_miss = rate(p.rejected[0], n_tar);
            let p_fa = rate(n_non - p.rejected[1], n_non);
            ((p_miss - p_fa).abs(), p.threshold)
        }))
        .ok_or(MetricError::Empty)?;

        let mut counts = [0usize; 3]; // targets rejected, non-targets accepted, spoofs accepted
        let mut totals = [0usize; 3];
        for (&s, c) in asv.iter().zip(classes) {
            let (slot, counted) = match c {
                SasvClass::Target => (0, s < threshold),
                SasvClass::NonTarget => (1, s >= threshold),
                SasvClass::Spoof => (2, s >= threshold),
            };
            totals[slot] += 1;
            counts[slot] += usize::from(counted);
        }
        Ok(AsvOperatingPoint {
            rates: Self {
                p_miss: rate(counts[0], totals[0]),
                p_fa_nontarget: rate(counts[1], totals[1]),
                p_fa_spoof: rate(counts[2], totals[2]),
            },
            threshold,
        })
    }
}

impl Default for AsvErrorRates {
    fn default() -> Self {
        Self::ASVSPOOF5_ORGANIZERS
    }
}

/// ASV error rates and the ASV threshold they were measured at.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct AsvOperatingPoint {
    /// The error rates at `threshold`.
    pub rates: AsvErrorRates,
    /// The ASV threshold (higher = same speaker; scores `>=` it are accepted).
    pub threshold: f64,
}

/// A minimum normalised t-DCF and the CM threshold where it is reached.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct TDcf {
    /// The minimum normalised t-DCF: 1 is the cost of the better of "no CM" and "a CM that
    /// rejects everything", its lower bound is the cost of the ASV alone with a perfect CM.
    pub t_dcf: f64,
    /// The CM threshold (higher = bona fide): trials scoring above it pass to the ASV. When
    /// passing everything is best it is the lowest CM score minus 0.001, as in the package.
    pub threshold: f64,
}

/// The ASVspoof 5 package's minimum t-DCF (`compute_tDCF`, then `min` of its curve) of the CM
/// scores, the ASV being fixed and summarised by `asv`.
///
/// A CM with threshold `s` sits in front of the ASV; with its miss rate `P_miss,cm(s)` over
/// bona fide trials (target and non-target) and false-alarm rate `P_fa,cm(s)` over spoof
/// trials, the tandem cost is
///
/// ```text
/// t-DCF(s) = C0 + C1·P_miss,cm(s) + C2·P_fa,cm(s)
/// C0 = p_target·c_miss·P_miss,asv + p_nontarget·c_fa_nontarget·P_fa,asv     (ASV errors alone)
/// C1 = p_target·c_miss - C0                                                 (CM blocks a target)
/// C2 = p_spoof·c_fa_spoof·P_fa_spoof,asv                                    (CM passes a spoof)
/// ```
///
/// normalised by `C0 + min(C1, C2)`. For the ASVspoof 5 number use `SasvCosts::default()` and
/// `AsvErrorRates::default()`. Needs the CM score of every trial, bona fide and spoof trials,
/// and at least three distinct CM scores (the package refuses hard decisions).
pub fn t_dcf(
    trials: &SasvTrials,
    costs: SasvCosts,
    asv: AsvErrorRates,
) -> Result<TDcf, MetricError> {
    costs.validate()?;
    let cm = trials.component_scores(true, "t-DCF")?;
    let bona_fide: Vec<bool> = trials
        .trials()
        .iter()
        .map(|t| t.class.is_bona_fide())
        .collect();
    if !bona_fide.contains(&true) || !bona_fide.contains(&false) {
        return Err(MetricError::InvalidParameter(
            "t-DCF needs both bona fide and spoof trials".into(),
        ));
    }
    if distinct_values(&cm) < 3 {
        return Err(MetricError::InvalidParameter(
            "t-DCF needs soft CM scores, not decisions: fewer than 3 distinct CM scores".into(),
        ));
    }
    let rates = [asv.p_miss, asv.p_fa_nontarget, asv.p_fa_spoof];
    if !rates.iter().all(|r| (0.0..=1.0).contains(r)) {
        return Err(MetricError::InvalidParameter(format!(
            "ASV error rates must lie in [0, 1]: {asv:?}"
        )));
    }

    let c0 = costs.p_target * costs.c_miss * asv.p_miss
        + costs.p_nontarget * costs.c_fa_nontarget * asv.p_fa_nontarget;
    let c1 = costs.p_target * costs.c_miss - c0;
    let c2 = costs.p_spoof * costs.c_fa_spoof * asv.p_fa_spoof;
    let default_cost = c0 + c1.min(c2);
    if c1 < 0.0 || default_cost <= 0.0 {
        return Err(MetricError::InvalidParameter(format!(
            "t-DCF weights are negative or the default cost is 0 (C0 = {c0}, C1 = {c1}, C2 = {c2})"
        )));
    }

    // compute_det_curve(bona fide, spoof): bona fide before spoof among tied scores.
    let sweep = Sweep::new(
        cm.iter()
            .zip(&bona_fide)
            .map(|(&s, &b)| (s, u8::from(!b)))
            .collect(),
        0.001,
    );
    let [n_bona, n_spoof, _] = sweep.totals();
    let (t_dcf, threshold) = first_min(sweep.points().map(|p| {
        let p_miss_cm = rate(p.rejected[0], n_bona);
        let p_fa_cm = rate(n_spoof - p.rejected[1], n_spoof);
        (
            (c0 + c1 * p_miss_cm + c2 * p_fa_cm) / default_cost,
            p.threshold,
        )
    }))
    .ok_or(MetricError::Empty)?;
    Ok(TDcf { t_dcf, threshold })
}

/// Number of distinct values (-0.0 and 0.0 count as one, as in `np.unique`).
fn distinct_values(values: &[f64]) -> usize {
    let mut sorted: Vec<f64> = values.iter().map(|v| v + 0.0).collect();
    sorted.sort_unstable_by(f64::total_cmp);
    sorted.dedup();
    sorted.len()
}
