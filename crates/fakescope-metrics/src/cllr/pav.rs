//! Pool adjacent violators on the distinct scores of a [`Ranked`] view.

use crate::Ranked;

/// A bin of the PAV fit: a run of adjacent distinct scores sharing one posterior.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct PavBin {
    /// The lowest score in the bin.
    pub lowest: f64,
    /// The highest score in the bin.
    pub highest: f64,
    /// Fake trials in the bin.
    pub n_fake: u64,
    /// Real trials in the bin.
    pub n_real: u64,
}

impl PavBin {
    /// Posterior log odds of fake in the bin, `ln(n_fake / n_real)` (±inf for a pure bin).
    /// Subtract the prior log odds `ln(N_fake / N_real)` to get the fake-versus-real LLR.
    pub fn log_odds(&self) -> f64 {
        (self.n_fake as f64).ln() - (self.n_real as f64).ln()
    }
}

/// The isotonic (non-decreasing in score) fit of P(fake | score), as bins in increasing score.
///
/// Tied trials always share a bin. Adjacent bins are pooled while the lower one's fake share is
/// at least the upper one's, compared exactly in integers, so the bins' shares strictly
/// increase. Empty trials give no bins.
pub fn pav(ranked: &Ranked<'_>) -> Vec<PavBin> {
    // Stack of (index of the bin's highest group, fake, real); groups run high to low score.
    let mut stack: Vec<(usize, u64, u64)> = Vec::new();
    for g in (0..ranked.n_groups()).rev() {
        let (fake_before, real_before) = ranked.before(g);
        let mut bin = (
            g,
            ranked.cum_fake()[g] - fake_before,
            ranked.cum_real()[g] - real_before,
        );
        while let Some(&(_, fake, real)) = stack.last() {
            // lower share fake / (fake + real) >= upper share: a violation (or a tie), pool.
            let lower = u128::from(fake) * u128::from(bin.1 + bin.2);
            let upper = u128::from(bin.1) * u128::from(fake + real);
            if lower < upper {
                break;
            }
            stack.pop();
            bin.1 += fake;
            bin.2 += real;
        }
        stack.push(bin);
    }
    let thresholds = ranked.thresholds();
    let mut lowest_group = thresholds.len();
    stack
        .iter()
        .map(|&(highest_group, n_fake, n_real)| {
            let bin = PavBin {
                lowest: thresholds[lowest_group - 1],
                highest: thresholds[highest_group],
                n_fake,
                n_real,
            };
            lowest_group = highest_group;
            bin
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Trials;

    #[test]
    fn pools_violators_and_ties() {
        // Scores 1..=5, labels real, fake, real, fake, fake; ties at 6 (one of each).
        let trials = Trials::new(
            vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 6.0],
            vec![false, true, false, true, true, true, false],
        )
        .unwrap();
        let bins = pav(&trials.ranked());
        let counts: Vec<_> = bins
            .iter()
            .map(|b| (b.lowest, b.highest, b.n_fake, b.n_real))
            .collect();
        assert_eq!(
            counts,
            [(1.0, 1.0, 0, 1), (2.0, 3.0, 1, 1), (4.0, 6.0, 3, 1)]
        );
    }
}
