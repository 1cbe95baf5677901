//! Pooling window scores into a file score, detector scores into one, and windows into segments.

use serde::{Deserialize, Serialize};

/// How per-window (or per-detector) fake probabilities pool into one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pool {
    /// The arithmetic mean (the default): a file is as fake as it is on average.
    #[default]
    Mean,
    /// The maximum: a file is as fake as its most suspicious part. More sensitive to a short
    /// spliced-in passage, and to false alarms.
    Max,
}

impl Pool {
    /// Pools `values`; `None` when there are none.
    pub fn apply(self, values: impl IntoIterator<Item = f64>) -> Option<f64> {
        let mut n = 0usize;
        let mut acc = match self {
            Pool::Mean => 0.0,
            Pool::Max => f64::NEG_INFINITY,
        };
        for v in values {
            n += 1;
            match self {
                Pool::Mean => acc += v,
                Pool::Max => acc = acc.max(v),
            }
        }
        match (n, self) {
            (0, _) => None,
            (n, Pool::Mean) => Some(acc / n as f64),
            (_, Pool::Max) => Some(acc),
        }
    }
}

/// The fake probability of one window of a recording.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WindowScore {
    /// Where the window starts, in seconds from the start of the recording.
    pub start_s: f64,
    /// Where it ends (for a clip shorter than one window: the end of the clip).
    pub end_s: f64,
    /// Fake probability of the window (uncalibrated model output).
    pub fake_probability: f64,
}

/// A stretch of a recording where consecutive windows reach the `fake` threshold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    /// Start of the first window of the run, in seconds.
    pub start_s: f64,
    /// End of the last window of the run, in seconds.
    pub end_s: f64,
    /// Mean fake probability of the windows in the run.
    pub fake_probability: f64,
}

/// Merges runs of consecutive windows whose fake probability is `>= threshold` into segments.
///
/// Windows are taken in the order given (start time order). Overlapping windows of one run merge
/// into one segment from the first start to the last end.
///
/// ```
/// use fakescope_scan::aggregate::{segments, WindowScore};
/// let w = |s: f64, p: f64| WindowScore { start_s: s, end_s: s + 4.0, fake_probability: p };
/// let segs = segments(&[w(0.0, 0.9), w(2.0, 0.7), w(4.0, 0.1), w(6.0, 0.6)], 0.5);
/// assert_eq!(segs.len(), 2);
/// assert_eq!((segs[0].start_s, segs[0].end_s), (0.0, 6.0));
/// assert!((segs[0].fake_probability - 0.8).abs() < 1e-6);
/// assert_eq!((segs[1].start_s, segs[1].end_s), (6.0, 10.0));
/// ```
pub fn segments(windows: &[WindowScore], threshold: f64) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut run: Option<(f64, f64, f64, usize)> = None; // start, end, sum, count
    for w in windows {
        if w.fake_probability >= threshold {
            let r = run.get_or_insert((w.start_s, w.end_s, 0.0, 0));
            r.1 = r.1.max(w.end_s);
            r.2 += w.fake_probability;
            r.3 += 1;
        } else if let Some(r) = run.take() {
            out.push(close(r));
        }
    }
    if let Some(r) = run {
        out.push(close(r));
    }
    out
}

fn close((start_s, end_s, sum, n): (f64, f64, f64, usize)) -> Segment {
    Segment {
        start_s,
        end_s,
        fake_probability: sum / n as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pools() {
        assert_eq!(Pool::Mean.apply([0.2, 0.4]), Some(0.30000000000000004));
        assert_eq!(Pool::Max.apply([0.2, 0.4, 0.1]), Some(0.4));
        assert_eq!(Pool::Mean.apply([]), None);
        assert_eq!(Pool::Max.apply([]), None);
    }

    #[test]
    fn no_segment_below_threshold() {
        let w = WindowScore {
            start_s: 0.0,
            end_s: 4.04,
            fake_probability: 0.49,
        };
        assert!(segments(&[w, w], 0.5).is_empty());
    }

    #[test]
    fn threshold_is_inclusive_like_the_verdict() {
        let w = WindowScore {
            start_s: 0.0,
            end_s: 4.04,
            fake_probability: 0.5,
        };
        assert_eq!(segments(&[w], 0.5).len(), 1);
    }
}
