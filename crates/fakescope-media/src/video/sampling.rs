//! Which frames to decode: DeepfakeBench's sampling rules over the frame count.

/// How many frames of a video to decode.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sampling {
    /// `n` frames spread evenly from the first to the last, DeepfakeBench's `fixed_num_frames`
    /// mode: `np.linspace(0, total - 1, n, endpoint=True, dtype=int)` (`preprocessing/preprocess.py`),
    /// i.e. `floor(i * (total - 1) / (n - 1))` computed in `f64` as numpy does, the last one
    /// exactly `total - 1`. When `n > total` some indices repeat; DeepfakeBench keeps a frame when
    /// its index is in that list, so the repeats collapse, and they collapse here too.
    Count(usize),
    /// About this many frames per second of video: every `k`-th frame with
    /// `k = max(1, round(average_fps / fps))`, DeepfakeBench's `fixed_stride` mode
    /// (`np.arange(0, total, k)`). Non-finite or non-positive rates take every frame.
    Fps(f64),
}

/// The frame indices (presentation order, 0-based) chosen by `sampling` for a video of
/// `total` frames at `average_fps`: strictly increasing, each below `total`.
pub(crate) fn indices(sampling: Sampling, total: u64, average_fps: f64) -> Vec<u64> {
    if total == 0 {
        return Vec::new();
    }
    let mut out: Vec<u64> = match sampling {
        Sampling::Count(0) => Vec::new(),
        Sampling::Count(1) => vec![0],
        Sampling::Count(n) => {
            // numpy: step = (stop - start) / (num - 1); y = arange(num) * step + start;
            // y[-1] = stop; astype(int) truncates toward zero.
            let stop = (total - 1) as f64;
            let step = stop / (n - 1) as f64;
            (0..n)
                .map(|i| {
                    if i == n - 1 {
                        total - 1
                    } else {
                        (i as f64 * step) as u64
                    }
                })
                .collect()
        }
        Sampling::Fps(fps) => {
            let stride = if fps.is_finite() && fps > 0.0 && average_fps.is_finite() {
                (average_fps / fps).round().max(1.0)
            } else {
                1.0
            };
            let stride = if stride < u64::MAX as f64 {
                stride as u64
            } else {
                total
            };
            (0..total)
                .step_by(usize::try_from(stride).unwrap_or(usize::MAX))
                .collect()
        }
    };
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected values printed by numpy (1.26, in a throwaway virtual environment):
    /// `list(np.linspace(0, t - 1, n, endpoint=True, dtype=int))`, duplicates then removed.
    #[test]
    fn count_matches_numpy_linspace() {
        let numpy_300_32 = [
            0, 9, 19, 28, 38, 48, 57, 67, 77, 86, 96, 106, 115, 125, 135, 144, 154, 163, 173, 183,
            192, 202, 212, 221, 231, 241, 250, 260, 270, 279, 289, 299,
        ];
        assert_eq!(indices(Sampling::Count(32), 300, 30.0), numpy_300_32);
        let numpy_457_32 = [
            0, 14, 29, 44, 58, 73, 88, 102, 117, 132, 147, 161, 176, 191, 205, 220, 235, 250, 264,
            279, 294, 308, 323, 338, 353, 367, 382, 397, 411, 426, 441, 456,
        ];
        assert_eq!(indices(Sampling::Count(32), 457, 30.0), numpy_457_32);
        assert_eq!(
            indices(Sampling::Count(7), 100, 30.0),
            [0, 16, 33, 49, 66, 82, 99]
        );
        // numpy gives [0, 0, 0, 0, 1, 1, 1, 2, ..., 8, 8, 8, 9] for 10 frames, 32 samples.
        assert_eq!(
            indices(Sampling::Count(32), 10, 30.0),
            (0..10).collect::<Vec<_>>()
        );
        assert_eq!(indices(Sampling::Count(32), 1, 30.0), [0]);
        assert!(indices(Sampling::Count(32), 0, 30.0).is_empty());
        assert!(indices(Sampling::Count(0), 10, 30.0).is_empty());
    }

    #[test]
    fn fps_is_a_stride() {
        // np.arange(0, 10, 3)
        assert_eq!(indices(Sampling::Fps(10.0), 10, 30.0), [0, 3, 6, 9]);
        assert_eq!(indices(Sampling::Fps(60.0), 3, 30.0), [0, 1, 2]);
        assert_eq!(indices(Sampling::Fps(f64::NAN), 3, 30.0), [0, 1, 2]);
        assert_eq!(indices(Sampling::Fps(1e-300), 3, 30.0), [0]);
    }
}
