//! The threshold sweep every Track 2 metric reads: trials sorted by score, one operating point
//! after each trial.

use rayon::slice::ParallelSliceMut;

/// Trials sorted by score, with the counts of each class rejected so far.
///
/// The package concatenates the score arrays class by class and sorts them with a stable
/// merge sort, so tied scores keep the class order of the concatenation. Here each trial
/// carries a class `rank` (its position in that concatenation) and the sort key is
/// `(score, rank)`, which gives the same order of classes without a stable sort.
pub(super) struct Sweep {
    /// `(score, rank)`, ascending.
    sorted: Vec<(f64, u8)>,
    /// Trials of each rank.
    totals: [usize; 3],
    /// Threshold of the first point (everything accepted): the lowest score minus this.
    below_lowest: f64,
}

/// One operating point of the sweep: the first `k` sorted trials rejected, the rest accepted.
#[derive(Debug, Clone, Copy)]
pub(super) struct Point {
    /// The package's threshold of this point: the score of the last rejected trial (or the
    /// lowest score minus a margin for the first point).
    pub threshold: f64,
    /// Trials of each rank rejected at this point.
    pub rejected: [usize; 3],
}

impl Sweep {
    /// Sorts `(score, rank)` pairs (`rank < 3`). `below_lowest` is the package's margin for
    /// the accept-everything point (1e-8 in `a_dcf.py`, 0.001 in `calculate_modules.py`).
    pub fn new(mut items: Vec<(f64, u8)>, below_lowest: f64) -> Self {
        // `+ 0.0` turns -0.0 into +0.0: NumPy's sort, like `==`, does not tell them apart.
        items.par_sort_unstable_by(|a, b| (a.0 + 0.0).total_cmp(&(b.0 + 0.0)).then(a.1.cmp(&b.1)));
        let mut totals = [0; 3];
        for &(_, rank) in &items {
            totals[usize::from(rank)] += 1;
        }
        Self {
            sorted: items,
            totals,
            below_lowest,
        }
    }

    /// Trials of each rank.
    pub fn totals(&self) -> [usize; 3] {
        self.totals
    }

    /// The `n + 1` operating points: everything accepted, then one more trial rejected at a
    /// time. Empty trials give no points.
    pub fn points(&self) -> impl Iterator<Item = Point> + '_ {
        let first = self.sorted.first().map(|&(lowest, _)| Point {
            threshold: lowest - self.below_lowest,
            rejected: [0; 3],
        });
        first.into_iter().chain(
            self.sorted
                .iter()
                .scan([0usize; 3], |rejected, &(score, rank)| {
                    rejected[usize::from(rank)] += 1;
                    Some(Point {
                        threshold: score,
                        rejected: *rejected,
                    })
                }),
        )
    }
}

/// `count / total` as the package computes a rate from integer counts.
pub(super) fn rate(count: usize, total: usize) -> f64 {
    count as f64 / total as f64
}

/// The item with the smallest value, the first one on ties (NumPy's `argmin`; no NaN occurs
/// here). `None` when there are no items.
pub(super) fn first_min<T>(items: impl IntoIterator<Item = (f64, T)>) -> Option<(f64, T)> {
    items.into_iter().fold(None, |best, (v, item)| match best {
        Some((b, _)) if v >= b => best,
        _ => Some((v, item)),
    })
}
