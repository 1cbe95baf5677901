//! Detection cost functions of ASVspoof 5 Track 1: minDCF and actDCF.

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

/// The ASVspoof 5 package's `compute_mindcf` over its DET curve.
pub fn min_dcf(ranked: &Ranked<'_>, params: DcfParams) -> Result<Dcf, MetricError> {
    todo!("{} {params:?}", ranked.trials().len())
}

/// The ASVspoof 5 package's `compute_actDCF`: scores taken as bona fide LLRs (`-score`),
/// threshold `-ln(c_miss (1 - p_spoof) / (c_fa p_spoof))`.
pub fn act_dcf(trials: &Trials, params: DcfParams) -> Result<Dcf, MetricError> {
    todo!("{} {params:?}", trials.len())
}
