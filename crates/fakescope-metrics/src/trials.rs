//! Scores with labels, and the sorted view every threshold metric reads.

use rayon::prelude::*;

use crate::MetricError;

/// Scores and labels of a binary detection task.
///
/// Label `true` = fake / spoof (positive); a higher score means more likely fake. Every score is
/// finite (checked by [`Trials::new`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Trials {
    scores: Vec<f64>,
    fake: Vec<bool>,
    n_fake: usize,
}

impl Trials {
    /// Checks that lengths agree and every score is finite.
    pub fn new(scores: Vec<f64>, fake: Vec<bool>) -> Result<Self, MetricError> {
        if scores.len() != fake.len() {
            return Err(MetricError::LengthMismatch {
                scores: scores.len(),
                labels: fake.len(),
            });
        }
        if let Some(index) = scores.iter().position(|s| !s.is_finite()) {
            return Err(MetricError::NonFinite {
                index,
                value: scores[index],
            });
        }
        let n_fake = fake.iter().filter(|&&f| f).count();
        Ok(Self {
            scores,
            fake,
            n_fake,
        })
    }

    /// The scores (higher = more likely fake).
    pub fn scores(&self) -> &[f64] {
        &self.scores
    }

    /// The labels (`true` = fake).
    pub fn labels(&self) -> &[bool] {
        &self.fake
    }

    /// Number of trials.
    pub fn len(&self) -> usize {
        self.scores.len()
    }

    /// Whether there are no trials.
    pub fn is_empty(&self) -> bool {
        self.scores.is_empty()
    }

    /// Number of fake (positive) trials.
    pub fn n_fake(&self) -> usize {
        self.n_fake
    }

    /// Number of real (negative) trials.
    pub fn n_real(&self) -> usize {
        self.scores.len() - self.n_fake
    }

    /// `Err(OneClass)` unless both classes are present (`Err(Empty)` when there are no trials).
    pub fn require_both_classes(&self) -> Result<(), MetricError> {
        if self.is_empty() {
            return Err(MetricError::Empty);
        }
        if self.n_fake == 0 {
            return Err(MetricError::OneClass {
                present: "real",
                n: self.len(),
            });
        }
        if self.n_fake == self.len() {
            return Err(MetricError::OneClass {
                present: "fake",
                n: self.len(),
            });
        }
        Ok(())
    }

    /// The trials at `indices` (with repetition), e.g. a bootstrap resample.
    pub fn select(&self, indices: &[usize]) -> Self {
        let scores: Vec<f64> = indices.iter().map(|&i| self.scores[i]).collect();
        let fake: Vec<bool> = indices.iter().map(|&i| self.fake[i]).collect();
        let n_fake = fake.iter().filter(|&&f| f).count();
        Self {
            scores,
            fake,
            n_fake,
        }
    }

    /// Sorts once; every threshold metric reads the returned view.
    pub fn ranked(&self) -> Ranked<'_> {
        Ranked::new(self)
    }
}

/// The trials sorted by score, grouped into distinct scores with cumulative counts.
///
/// Built once by [`Trials::ranked`]; ROC, EER, DCF, TPR-at-FPR and PAV all read it. Group `g`
/// holds every trial whose score equals `thresholds()[g]`; thresholds decrease, and
/// `cum_fake()[g]` / `cum_real()[g]` count the fake / real trials scoring **at least**
/// `thresholds()[g]` — exactly scikit-learn's `tps` / `fps` at that threshold. Ties are pooled
/// here, so a definition that orders tied trials (ASVspoof's DET curve puts bona fide before
/// spoof) reads the order from the counts of the group (see [`crate::eer::det_curve`]).
///
/// `-0.0` and `0.0` are one score (they compare equal, as in NumPy). No stable sort is needed:
/// tied trials land in one group whatever their order. Memory: 24 bytes per distinct score
/// (building takes up to 32 bytes per trial for a moment).
#[derive(Debug, Clone)]
pub struct Ranked<'a> {
    trials: &'a Trials,
    thresholds: Vec<f64>,
    cum_fake: Vec<u64>,
    cum_real: Vec<u64>,
}

/// A `u64` whose ascending order is the *descending* order of the finite score it encodes.
///
/// The usual total-order trick (flip every bit of a negative float, only the sign bit of a
/// positive one), written without branches, then inverted.
fn descending_key(score: f64) -> u64 {
    // `+ 0.0` turns -0.0 into +0.0, so the two zeros share one key.
    let bits = (score + 0.0).to_bits();
    let negative = ((bits as i64) >> 63) as u64;
    !(bits ^ (negative | 1 << 63))
}

/// The score [`descending_key`] encodes.
fn key_score(key: u64) -> f64 {
    let ascending = !key;
    let negative = (ascending >> 63).wrapping_sub(1);
    f64::from_bits(ascending ^ (negative | 1 << 63))
}

/// Above every key of a finite score (it would encode a NaN): ends each sorted class.
const END: u64 = u64::MAX;

impl<'a> Ranked<'a> {
    fn new(trials: &'a Trials) -> Self {
        let (n_fake, n_real) = (trials.n_fake(), trials.n_real());
        // The two classes apart, as integer keys (8 bytes a trial), each followed by END. Every
        // key is written to both arrays and only the cursor of its class advances: no branch.
        let mut fake = vec![0u64; n_fake + 1];
        let mut real = vec![0u64; n_real + 1];
        let (mut i, mut j) = (0, 0);
        for (&score, &is_fake) in trials.scores.iter().zip(&trials.fake) {
            let key = descending_key(score);
            fake[i] = key;
            real[j] = key;
            i += usize::from(is_fake);
            j += usize::from(!is_fake);
        }
        fake[n_fake] = END;
        real[n_real] = END;
        rayon::join(
            || fake[..n_fake].par_sort_unstable(),
            || real[..n_real].par_sort_unstable(),
        );

        // Merge them into groups of equal scores, again without branches: each trial writes its
        // group's slot, so the last write of a group leaves its cumulative counts.
        let n = n_fake + n_real;
        let mut thresholds = vec![0.0; n];
        let mut cum_fake = vec![0u64; n];
        let mut cum_real = vec![0u64; n];
        let (mut i, mut j, mut groups) = (0, 0, 0);
        let mut previous = END;
        for _ in 0..n {
            let take_fake = fake[i] <= real[j];
            let key = if take_fake { fake[i] } else { real[j] };
            i += usize::from(take_fake);
            j += usize::from(!take_fake);
            groups += usize::from(key != previous);
            previous = key;
            thresholds[groups - 1] = key_score(key);
            cum_fake[groups - 1] = i as u64;
            cum_real[groups - 1] = j as u64;
        }
        drop((fake, real));
        for counts in [&mut cum_fake, &mut cum_real] {
            counts.truncate(groups);
            counts.shrink_to_fit();
        }
        thresholds.truncate(groups);
        thresholds.shrink_to_fit();
        Self {
            trials,
            thresholds,
            cum_fake,
            cum_real,
        }
    }

    /// The trials this view sorts.
    pub fn trials(&self) -> &'a Trials {
        self.trials
    }

    /// The distinct scores, decreasing.
    pub fn thresholds(&self) -> &[f64] {
        &self.thresholds
    }

    /// For each distinct score, how many fake trials score at least that much (non-decreasing;
    /// the last is the number of fake trials).
    pub fn cum_fake(&self) -> &[u64] {
        &self.cum_fake
    }

    /// For each distinct score, how many real trials score at least that much (non-decreasing;
    /// the last is the number of real trials).
    pub fn cum_real(&self) -> &[u64] {
        &self.cum_real
    }

    /// Number of distinct scores.
    pub fn n_groups(&self) -> usize {
        self.thresholds.len()
    }

    /// `(fake, real)` trials scoring strictly more than `thresholds()[g]`: the counts before
    /// group `g`.
    pub(crate) fn before(&self, g: usize) -> (u64, u64) {
        match g {
            0 => (0, 0),
            _ => (self.cum_fake[g - 1], self.cum_real[g - 1]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_order_scores_descending_and_round_trip() {
        let scores = [
            f64::MAX,
            1e300,
            1.0,
            1e-300,
            f64::MIN_POSITIVE / 4.0,
            0.0,
            -1e-300,
            -1.0,
            -1e300,
            f64::MIN,
        ];
        for pair in scores.windows(2) {
            assert!(
                descending_key(pair[0]) < descending_key(pair[1]),
                "{pair:?}"
            );
        }
        for s in scores {
            assert_eq!(key_score(descending_key(s)).to_bits(), s.to_bits());
        }
        assert_eq!(descending_key(-0.0), descending_key(0.0));
    }

    #[test]
    fn groups_pool_ties_and_count_cumulatively() {
        let trials = Trials::new(
            vec![0.5, -0.0, 2.0, 0.0, 0.5, 0.5],
            vec![true, false, false, true, false, true],
        )
        .unwrap();
        let ranked = trials.ranked();
        assert_eq!(ranked.thresholds(), &[2.0, 0.5, 0.0]);
        assert_eq!(ranked.cum_fake(), &[0, 2, 3]);
        assert_eq!(ranked.cum_real(), &[1, 2, 3]);
        assert_eq!(ranked.before(1), (0, 1));
    }
}
