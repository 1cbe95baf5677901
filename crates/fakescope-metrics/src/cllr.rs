//! Log-likelihood-ratio cost: Cllr, minCllr, and the PAV algorithm behind minCllr.

use crate::{MetricError, Trials};

/// Cllr in bits with scores taken as natural-log LLRs (bona fide LLR = `-score`), computed in a
/// numerically stable way; equals the ASVspoof 5 package's value wherever that is finite.
pub fn cllr(trials: &Trials) -> Result<f64, MetricError> {
    todo!("{}", trials.len())
}

/// minCllr: Cllr after the optimal monotone (PAV) transform of the scores.
pub fn min_cllr(trials: &Trials) -> Result<f64, MetricError> {
    todo!("{}", trials.len())
}
