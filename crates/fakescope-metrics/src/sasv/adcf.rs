//! The architecture-agnostic detection cost function (a-DCF), the primary metric of ASVspoof 5
//! Track 2.

use super::sweep::{Sweep, first_min, rate};
use super::{SasvClass, SasvCosts, SasvTrials};
use crate::MetricError;

/// A minimum a-DCF and the SASV threshold where it is reached.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct ADcf {
    /// The normalised minimum a-DCF; 1 is the cost of the better trivial system (accept
    /// everything or reject everything), 0 a perfect one.
    pub a_dcf: f64,
    /// The SASV threshold: trials scoring above it are accepted (higher = target). When
    /// accepting everything is best it is the lowest score minus 1e-8, as in the package.
    pub threshold: f64,
}

/// The ASVspoof 5 package's minimum a-DCF (`a_dcf._calculate_a_dcf` on the SASV scores).
///
/// A single threshold on the SASV score accepts or rejects each trial. At a threshold the
/// cost is
///
/// ```text
/// a-DCF = c_miss·p_target·P_miss(target)
///       + c_fa_nontarget·p_nontarget·P_fa(non-target)
///       + c_fa_spoof·p_spoof·P_fa(spoof)
/// ```
///
/// divided by the cost of the better of the two systems that decide without listening
/// (`min(c_miss·p_target, c_fa_nontarget·p_nontarget + c_fa_spoof·p_spoof)`). The minimum is
/// taken over every threshold between sorted scores. It needs target, non-target and spoof
/// trials; the CM and ASV scores are not used.
pub fn a_dcf(trials: &SasvTrials, costs: SasvCosts) -> Result<ADcf, MetricError> {
    costs.validate()?;
    trials.require_classes(
        &[SasvClass::Target, SasvClass::NonTarget, SasvClass::Spoof],
        "a-DCF",
    )?;
    let w_miss = costs.c_miss * costs.p_target;
    let w_fa_non = costs.c_fa_nontarget * costs.p_nontarget;
    let w_fa_spoof = costs.c_fa_spoof * costs.p_spoof;
    let norm = (w_fa_non + w_fa_spoof).min(w_miss);
    if norm <= 0.0 {
        return Err(MetricError::InvalidParameter(format!(
            "a-DCF is undefined when a trivial system costs nothing: {costs:?}"
        )));
    }

    let sweep = Sweep::new(
        trials
            .trials()
            .iter()
            .map(|t| (t.sasv, t.class.package_rank()))
            .collect(),
        1e-8,
    );
    let [n_tar, n_non, n_spoof] = sweep.totals();
    let cost = |rejected: [usize; 3]| {
        let p_miss = rate(rejected[0], n_tar);
        let p_fa_non = rate(n_non - rejected[1], n_non);
        let p_fa_spoof = rate(n_spoof - rejected[2], n_spoof);
        (w_miss * p_miss + w_fa_non * p_fa_non + w_fa_spoof * p_fa_spoof) / norm
    };
    let (a_dcf, threshold) = first_min(sweep.points().map(|p| (cost(p.rejected), p.threshold)))
        .ok_or(MetricError::Empty)?;
    Ok(ADcf { a_dcf, threshold })
}
