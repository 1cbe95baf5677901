//! Reliability of fake probabilities: the bins of a reliability diagram and the expected
//! calibration error (ECE) they give.
//!
//! The probabilities are cut into `bins` equal-width bins `[k/n, (k+1)/n)` (the last one
//! closed, so 1.0 falls in it). Per bin: the mean predicted probability and the fraction of
//! fake trials. The ECE is their absolute difference averaged over bins weighted by the bins'
//! trial counts (Guo et al., "On Calibration of Modern Neural Networks", ICML 2017; with 15
//! bins it is torchmetrics' `BinaryCalibrationError(n_bins=15, norm="l1")`, whose bins are
//! closed on the left as well). 0 is perfect calibration; it is a number between 0 and 1.
//!
//! ```
//! use fakescope_metrics::ece::{ece, ECE_BINS};
//! // Predictions of 0.8 of which 8 in 10 are fake, 0.2 of which 2 in 10: calibrated.
//! let p: Vec<f64> = [0.8; 10].into_iter().chain([0.2; 10]).collect();
//! let fake: Vec<bool> = (0..20).map(|i| matches!(i, 0..=7 | 10..=11)).collect();
//! assert!(ece(&p, &fake, ECE_BINS).unwrap() < 1e-12);
//! ```

use crate::MetricError;

/// The number of bins of [`ece`] in fakescope's reports (Guo et al.'s and torchmetrics').
pub const ECE_BINS: usize = 15;

/// One non-empty bin of a reliability diagram.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bin {
    /// Mean predicted fake probability of the bin's trials.
    pub mean_predicted: f64,
    /// Fraction of fake trials in the bin.
    pub fraction_fake: f64,
    /// Trials in the bin.
    pub count: u64,
}

/// The non-empty bins, in order, of `bins` equal-width bins over `[0, 1]`. Probabilities
/// outside `[0, 1]` go to the first or last bin.
pub fn reliability_bins(p: &[f64], fake: &[bool], bins: usize) -> Vec<Bin> {
    let bins = bins.max(1);
    let mut sum_p = vec![0.0f64; bins];
    let mut n_fake = vec![0u64; bins];
    let mut n = vec![0u64; bins];
    for (&p, &f) in p.iter().zip(fake) {
        let b = ((p.max(0.0) * bins as f64) as usize).min(bins - 1);
        sum_p[b] += p;
        n_fake[b] += u64::from(f);
        n[b] += 1;
    }
    (0..bins)
        .filter(|&b| n[b] > 0)
        .map(|b| Bin {
            mean_predicted: sum_p[b] / n[b] as f64,
            fraction_fake: n_fake[b] as f64 / n[b] as f64,
            count: n[b],
        })
        .collect()
}

/// The expected calibration error of fake probabilities `p` over `bins` bins.
///
/// # Errors
/// No trials, lengths that differ, or a probability that is NaN or infinite.
pub fn ece(p: &[f64], fake: &[bool], bins: usize) -> Result<f64, MetricError> {
    if p.len() != fake.len() {
        return Err(MetricError::LengthMismatch {
            scores: p.len(),
            labels: fake.len(),
        });
    }
    if p.is_empty() {
        return Err(MetricError::Empty);
    }
    if let Some((index, &value)) = p.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(MetricError::NonFinite { index, value });
    }
    let n = p.len() as f64;
    Ok(reliability_bins(p, fake, bins)
        .iter()
        .map(|b| b.count as f64 / n * (b.fraction_fake - b.mean_predicted).abs())
        .sum())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ece_by_hand() {
        // Bin [0.6, 0.667) of 15: p 0.6 twice, one fake: |0.5 - 0.6| = 0.1, weight 2/4.
        // Bin [0.933, 1]: p 1.0 and 0.95, both fake: |1 - 0.975| = 0.025, weight 2/4.
        let p = [0.6, 0.6, 1.0, 0.95];
        let fake = [true, false, true, true];
        let e = ece(&p, &fake, 15).unwrap();
        assert!((e - (0.5 * 0.1 + 0.5 * 0.025)).abs() < 1e-12, "{e}");
        // Always-wrong certainty is the worst: 1.
        assert_eq!(ece(&[1.0, 0.0], &[false, true], 15).unwrap(), 1.0);
        assert!(matches!(ece(&[], &[], 15), Err(MetricError::Empty)));
        assert!(ece(&[f64::NAN], &[true], 15).is_err());
        assert!(ece(&[0.5], &[true, false], 15).is_err());
    }

    #[test]
    fn bins_are_left_closed_and_the_last_holds_one() {
        let bins = reliability_bins(&[0.0, 0.1, 0.1999, 0.25, 1.0], &[false; 5], 5);
        let counts: Vec<u64> = bins.iter().map(|b| b.count).collect();
        assert_eq!(counts, [3, 1, 1]);
        assert_eq!(bins[2].mean_predicted, 1.0);
    }
}
