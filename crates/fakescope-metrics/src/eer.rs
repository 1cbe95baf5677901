//! Equal error rate, in the two definitions the field uses, and why they differ.
//!
//! Both look for the operating point where the miss and false-alarm rates meet, but on
//! different curves and with a different read-out:
//!
//! - **DeepfakeBench** ([`eer_deepfakebench`]) takes scikit-learn's ROC curve, one point per
//!   *distinct* score plus `(0, 0)` at `+inf`, **after `drop_intermediate` removed collinear
//!   points**, finds the first index minimising `|fnr - fpr|` (`fnr = 1 - tpr`) and reports
//!   **`fpr` alone** at that index.
//! - **ASVspoof 5** ([`eer_asvspoof`]) takes its own DET curve, **one point per trial** (a
//!   stable sort: inside a run of tied scores, bona fide trials are counted before spoof ones),
//!   finds the first index minimising `|frr - far|` and reports **the mean of the two rates**.
//!
//! A tiny example, fake scores `[3, 1]`, real `[2]`: the ROC points `(fpr, tpr)` are `(0, 0)`,
//! `(0, ½)`, `(1, ½)`, `(1, 1)`; `|fnr - fpr|` is first minimal (½) at `(0, ½)`, so DeepfakeBench
//! says **0**. ASVspoof's DET curve meets the same minimum at `frr = 0, far = ½` and says
//! **0.25**. Ties pull them further apart: one fake and one real trial with the same score give
//! DeepfakeBench **0** (both ROC points tie at 1, the first is `(0, 0)` at `+inf`) and ASVspoof
//! **1** (bona fide first: `frr = 1` while `far` is still 1). And `drop_intermediate` can drop
//! the very crossing: fake and real scores both `[3, 2, 1, 0]` put the ROC on the diagonal;
//! its inner points are collinear, so only `(¼, ¼)` survives between the ends and DeepfakeBench
//! says **0.25**, where the kept `(½, ½)` would give 0.5, ASVspoof's answer.

use crate::roc::kept_by_drop_intermediate;
use crate::{MetricError, Ranked};

/// An equal error rate and the threshold where it was read.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Eer {
    /// The equal error rate, in [0, 1].
    pub eer: f64,
    /// The threshold (in the trials' score convention: higher = fake).
    pub threshold: f64,
}

/// DeepfakeBench's EER: `fpr[nanargmin(|fnr - fpr|)]` on `sklearn.metrics.roc_curve` with its
/// defaults (`drop_intermediate=True`).
///
/// The threshold is `roc_curve`'s at that index. It is `+inf` when the first point `(0, 0)`
/// wins, e.g. when every score is equal (then the EER is 0: DeepfakeBench reads `fpr` alone).
/// `Err(OneClass)` where `roc_curve` warns and returns NaN rates.
pub fn eer_deepfakebench(ranked: &Ranked<'_>) -> Result<Eer, MetricError> {
    let trials = ranked.trials();
    trials.require_both_classes()?;
    let (n_fake, n_real) = (trials.n_fake() as f64, trials.n_real() as f64);
    let fpr = |g: usize| ranked.cum_real()[g] as f64 / n_real;
    // |fnr - fpr| and position of each kept point; the prepended (0, 0) at +inf has gap 1.
    let start = (1.0, 0);
    let (_, position) = (0..ranked.n_groups())
        .filter(|&g| kept_by_drop_intermediate(ranked, g))
        .map(|g| {
            let fnr = 1.0 - ranked.cum_fake()[g] as f64 / n_fake;
            ((fnr - fpr(g)).abs(), g + 1)
        })
        .fold(start, first_smallest);
    Ok(match position {
        0 => Eer {
            eer: 0.0,
            threshold: f64::INFINITY,
        },
        p => Eer {
            eer: fpr(p - 1),
            threshold: ranked.thresholds()[p - 1],
        },
    })
}

/// Of two `(value, position)`, the smaller value, or the earlier position on a tie: NumPy's
/// `argmin` (first minimum) as a fold, in whatever order the candidates come.
pub(crate) fn first_smallest<P: Ord>(a: (f64, P), b: (f64, P)) -> (f64, P) {
    if b.0 < a.0 || (b.0 == a.0 && b.1 < a.1) {
        b
    } else {
        a
    }
}

/// The ASVspoof 5 evaluation package's `compute_eer` (bona fide = target; stable sort with
/// bona fide before spoof on ties; mean of the two rates at the first minimum of |frr - far|).
///
/// The threshold is the package's, negated into our convention: the score of the last trial
/// counted, or `max score + 0.001` at the first point (nothing rejected).
pub fn eer_asvspoof(ranked: &Ranked<'_>) -> Result<Eer, MetricError> {
    ranked.trials().require_both_classes()?;
    let det = Det::new(ranked);
    let gap = |k: u64| {
        let (frr, far) = det.rates(k);
        frr - far
    };
    // frr - far never decreases along the curve (-1 at k = 0, 1 at k = n), so |frr - far| falls
    // then rises: the first minimum is next to the first k where frr - far >= 0, or at the
    // start of a run of equal values just before it.
    let crossing = first_true(0, det.n, |k| gap(k) >= 0.0);
    let mut index = crossing;
    if crossing > 0 {
        let below = gap(crossing - 1);
        if below.abs() <= gap(crossing).abs() {
            index = first_true(0, crossing - 1, |k| gap(k) >= below);
        }
    }
    let (frr, far) = det.rates(index);
    Ok(Eer {
        eer: (frr + far) / 2.0,
        threshold: det.threshold(index),
    })
}

/// The DET curve of the ASVspoof 5 package (`compute_det_curve`), one point per trial plus the
/// start.
#[derive(Debug, Clone, PartialEq)]
pub struct DetCurve {
    /// False rejection rate: share of real (bona fide) trials among those counted so far.
    pub frr: Vec<f64>,
    /// False acceptance rate: share of fake (spoof) trials not counted yet.
    pub far: Vec<f64>,
    /// Thresholds in our convention (higher = fake): the score of the last trial counted;
    /// first `max score + 0.001`.
    pub thresholds: Vec<f64>,
}

/// The ASVspoof 5 package's `compute_det_curve(bona fide, spoof)`, in our convention.
///
/// Point `k` (0 ≤ k ≤ n) counts the `k` trials the package sorts first: ours by decreasing score,
/// with real (bona fide) trials before fake ones inside a tie, as its stable ascending sort of
/// `-score` does. `n + 1` points: for plots and Track 2 metrics, not needed by the EER or minDCF.
pub fn det_curve(ranked: &Ranked<'_>) -> Result<DetCurve, MetricError> {
    ranked.trials().require_both_classes()?;
    let det = Det::new(ranked);
    let mut curve = DetCurve {
        frr: Vec::with_capacity(det.n as usize + 1),
        far: Vec::with_capacity(det.n as usize + 1),
        thresholds: Vec::with_capacity(det.n as usize + 1),
    };
    for k in 0..=det.n {
        let (frr, far) = det.rates(k);
        curve.frr.push(frr);
        curve.far.push(far);
        curve.thresholds.push(det.threshold(k));
    }
    Ok(curve)
}

/// Random access to the points of the ASVspoof DET curve, from the groups of [`Ranked`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Det<'r, 'a> {
    ranked: &'r Ranked<'a>,
    /// Number of trials: the last point's index.
    pub(crate) n: u64,
    n_fake: f64,
    n_real: f64,
}

impl<'r, 'a> Det<'r, 'a> {
    /// Needs both classes (checked by the caller).
    pub(crate) fn new(ranked: &'r Ranked<'a>) -> Self {
        let trials = ranked.trials();
        Self {
            ranked,
            n: trials.len() as u64,
            n_fake: trials.n_fake() as f64,
            n_real: trials.n_real() as f64,
        }
    }

    /// The group holding the `k`-th counted trial (k ≥ 1).
    fn group_of(&self, k: u64) -> usize {
        let (fake, real) = (self.ranked.cum_fake(), self.ranked.cum_real());
        first_true(0, fake.len() as u64 - 1, |g| {
            fake[g as usize] + real[g as usize] >= k
        }) as usize
    }

    /// `(real, fake)` trials among the first `k` counted.
    pub(crate) fn counts(&self, k: u64) -> (u64, u64) {
        if k == 0 {
            return (0, 0);
        }
        let g = self.group_of(k);
        let (fake_before, real_before) = self.ranked.before(g);
        let reals_here = self.ranked.cum_real()[g] - real_before;
        let taken = k - fake_before - real_before;
        (
            real_before + taken.min(reals_here),
            fake_before + taken.saturating_sub(reals_here),
        )
    }

    /// The package's `(frr, far)` at point `k`, computed with its operations.
    pub(crate) fn rates(&self, k: u64) -> (f64, f64) {
        let (real, fake) = self.counts(k);
        (
            real as f64 / self.n_real,
            (self.n_fake - fake as f64) / self.n_fake,
        )
    }

    /// `(frr, far)` at the point that has counted every trial of group `g`.
    pub(crate) fn rates_after_group(&self, g: usize) -> (f64, f64) {
        let fake = self.ranked.cum_fake()[g] as f64;
        let real = self.ranked.cum_real()[g] as f64;
        (real / self.n_real, (self.n_fake - fake) / self.n_fake)
    }

    /// The point index after group `g`.
    pub(crate) fn index_after_group(&self, g: usize) -> u64 {
        self.ranked.cum_fake()[g] + self.ranked.cum_real()[g]
    }

    /// The package's threshold at point `k`, negated into our convention.
    pub(crate) fn threshold(&self, k: u64) -> f64 {
        if k == 0 {
            // The package: lowest bona-fide-convention score minus 0.001.
            let lowest = -self.ranked.thresholds()[0];
            -(lowest - 0.001)
        } else {
            self.ranked.thresholds()[self.group_of(k)]
        }
    }
}

/// The smallest `k` in `lo..=hi` where `pred` holds, for a `pred` that is false then true
/// (`hi` if it never holds before `hi`).
pub(crate) fn first_true(mut lo: u64, mut hi: u64, pred: impl Fn(u64) -> bool) -> u64 {
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if pred(mid) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    lo
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Trials;

    #[test]
    fn module_doc_examples() {
        let trials = Trials::new(vec![3.0, 1.0, 2.0], vec![true, true, false]).unwrap();
        let ranked = trials.ranked();
        assert_eq!(eer_deepfakebench(&ranked).unwrap().eer, 0.0);
        assert_eq!(eer_asvspoof(&ranked).unwrap().eer, 0.25);
        let tied = Trials::new(vec![1.0, 1.0], vec![true, false]).unwrap();
        let ranked = tied.ranked();
        assert_eq!(
            eer_deepfakebench(&ranked),
            Ok(Eer {
                eer: 0.0,
                threshold: f64::INFINITY
            })
        );
        assert_eq!(eer_asvspoof(&ranked).unwrap().eer, 1.0);
        let diagonal = [3.0, 2.0, 1.0, 0.0];
        let scores = [diagonal, diagonal].concat();
        let labels = [[true; 4], [false; 4]].concat();
        let trials = Trials::new(scores, labels).unwrap();
        let ranked = trials.ranked();
        assert_eq!(eer_deepfakebench(&ranked).unwrap().eer, 0.25);
        assert_eq!(eer_asvspoof(&ranked).unwrap().eer, 0.5);
    }

    #[test]
    fn det_counts_bona_fide_first_in_a_tie() {
        // Our order: 2 (fake), then the tie at 1: real, real, fake.
        let trials = Trials::new(vec![1.0, 2.0, 1.0, 1.0], vec![true, true, false, false]).unwrap();
        let ranked = trials.ranked();
        let det = Det::new(&ranked);
        let counts: Vec<_> = (0..=4).map(|k| det.counts(k)).collect();
        assert_eq!(counts, [(0, 0), (0, 1), (1, 1), (2, 1), (2, 2)]);
    }
}
