//! Scores with labels, and the sorted view every threshold metric reads.

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

/// The trials sorted by score, with cumulative counts at each distinct score.
///
/// Built once by [`Trials::ranked`] (a parallel sort); ROC, EER, DCF and threshold metrics all
/// read it.
#[derive(Debug, Clone)]
pub struct Ranked<'a> {
    trials: &'a Trials,
    // Implementation fields are private: see the module code.
}

impl<'a> Ranked<'a> {
    fn new(trials: &'a Trials) -> Self {
        todo!("sort trials: {}", trials.len())
    }

    /// The trials this view sorts.
    pub fn trials(&self) -> &'a Trials {
        self.trials
    }
}
