//! Cutting a recording into the fixed-length windows an audio detector takes.
//!
//! AASIST-family models look at 64,600 samples (4.04 s at 16 kHz). A recording is covered by
//! windows that start every `hop` samples; when the last regular window stops short of the end,
//! one more window is aligned to the end so that no audio is left unscored. A recording shorter
//! than one window is *tiled* to length — repeated from its start and cut — exactly as the
//! upstream AASIST evaluation code pads its inputs (`numpy.tile`), so a 1 s clip is scored the
//! way the published models were evaluated.

use std::borrow::Cow;
use std::ops::Range;

/// One window of a recording.
#[derive(Debug, Clone, PartialEq)]
pub struct Window<'a> {
    /// The sample range of the original recording this window covers. For a tiled clip this is
    /// the whole recording (`0..len`).
    pub span: Range<usize>,
    /// Exactly `window` samples: borrowed for regular windows, owned when tiled.
    pub samples: Cow<'a, [f32]>,
}

/// Splits `samples` into windows of `window` samples every `hop` samples (see the module docs).
///
/// Returns no windows only for an empty recording. `window` and `hop` must be non-zero.
///
/// ```
/// use fakescope_scan::windows::windows;
/// let audio = vec![0.0f32; 10];
/// let w = windows(&audio, 4, 3);
/// let spans: Vec<_> = w.iter().map(|w| w.span.clone()).collect();
/// assert_eq!(spans, vec![0..4, 3..7, 6..10]);
/// // shorter than a window: tiled
/// let w = windows(&[1.0, 2.0, 3.0], 8, 4);
/// assert_eq!(&*w[0].samples, &[1.0, 2.0, 3.0, 1.0, 2.0, 3.0, 1.0, 2.0]);
/// ```
pub fn windows(samples: &[f32], window: usize, hop: usize) -> Vec<Window<'_>> {
    assert!(window > 0 && hop > 0, "window and hop must be non-zero");
    let len = samples.len();
    if len == 0 {
        return Vec::new();
    }
    if len < window {
        let tiled: Vec<f32> = samples.iter().copied().cycle().take(window).collect();
        return vec![Window {
            span: 0..len,
            samples: Cow::Owned(tiled),
        }];
    }
    let mut out = Vec::with_capacity((len - window) / hop + 2);
    let mut start = 0;
    while start + window <= len {
        out.push(Window {
            span: start..start + window,
            samples: Cow::Borrowed(&samples[start..start + window]),
        });
        start += hop;
    }
    let last_end = out.last().map_or(0, |w| w.span.end);
    if last_end < len {
        let start = len - window;
        out.push(Window {
            span: start..len,
            samples: Cow::Borrowed(&samples[start..]),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(len: usize, window: usize, hop: usize) -> Vec<Range<usize>> {
        let audio = vec![0.0f32; len];
        windows(&audio, window, hop)
            .into_iter()
            .map(|w| w.span)
            .collect()
    }

    #[test]
    fn exact_fit_has_no_extra_tail_window() {
        assert_eq!(spans(8, 4, 4), vec![0..4, 4..8]);
        assert_eq!(spans(4, 4, 2), vec![0..4]);
    }

    #[test]
    fn tail_is_covered_by_an_end_aligned_window() {
        assert_eq!(spans(9, 4, 4), vec![0..4, 4..8, 5..9]);
    }

    #[test]
    fn upstream_tiling_of_short_clips() {
        // upstream: num_repeats = int(max_len / x_len) + 1; np.tile(x, num_repeats)[:max_len]
        let clip: Vec<f32> = (0..7).map(|i| i as f32).collect();
        let w = windows(&clip, 64_600, 32_000);
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].span, 0..7);
        assert_eq!(w[0].samples.len(), 64_600);
        for (i, s) in w[0].samples.iter().enumerate() {
            assert_eq!(*s, (i % 7) as f32);
        }
    }

    #[test]
    fn empty_recording_has_no_windows() {
        assert!(windows(&[], 4, 2).is_empty());
    }

    #[test]
    fn every_window_has_the_requested_length() {
        for len in [1, 3, 4, 5, 11, 100] {
            let audio = vec![0.5f32; len];
            for w in windows(&audio, 4, 3) {
                assert_eq!(w.samples.len(), 4, "len {len}");
            }
        }
    }
}
