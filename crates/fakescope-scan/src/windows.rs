//! Cutting a recording into the fixed-length windows an audio detector takes.
//!
//! AASIST-family models look at 64,600 samples (4.04 s at 16 kHz). A recording is covered by
//! windows spread evenly from its start to its end: the first starts at sample 0, the last ends
//! at the last sample, and consecutive starts are at most `hop` samples apart (as few windows as
//! that allows). So no audio is left unscored and no window nearly repeats another, which a
//! fixed hop plus an end-aligned tail window would do (AASIST's score can move a lot between two
//! windows a few milliseconds apart). When `hop` divides the spare length exactly, the starts
//! are exactly `0, hop, 2·hop, ...`. A recording shorter
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

/// Splits `samples` into windows of `window` samples at most `hop` apart (see the module docs).
///
/// Returns no windows only for an empty recording. `window` and `hop` must be non-zero.
///
/// ```
/// use fakescope_scan::windows::windows;
/// let audio = vec![0.0f32; 10];
/// let spans: Vec<_> = windows(&audio, 4, 3).iter().map(|w| w.span.clone()).collect();
/// assert_eq!(spans, vec![0..4, 3..7, 6..10]);
/// let audio = vec![0.0f32; 11];
/// let spans: Vec<_> = windows(&audio, 4, 3).iter().map(|w| w.span.clone()).collect();
/// assert_eq!(spans, vec![0..4, 2..6, 5..9, 7..11]);
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
    let spare = len - window;
    let gaps = spare.div_ceil(hop);
    (0..=gaps)
        .map(|i| {
            // integer rounding of i * spare / gaps; exact when hop divides spare
            // (gaps == 0 only when spare == 0: a single window at 0)
            let start = (i * spare + gaps / 2).checked_div(gaps).unwrap_or(0);
            Window {
                span: start..start + window,
                samples: Cow::Borrowed(&samples[start..start + window]),
            }
        })
        .collect()
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
    fn windows_spread_evenly_from_start_to_end() {
        assert_eq!(spans(9, 4, 4), vec![0..4, 3..7, 5..9]);
        // 6.05 s at 16 kHz, 4.04 s windows, 2 s hop: three windows about 1 s apart, not a
        // third one 12.5 ms after the second
        let starts: Vec<usize> = spans(96_800, 64_600, 32_000)
            .iter()
            .map(|s| s.start)
            .collect();
        assert_eq!(starts, vec![0, 16_100, 32_200]);
    }

    #[test]
    fn starts_are_never_more_than_hop_apart_and_cover_the_end() {
        for len in [64_600, 64_601, 96_599, 96_600, 96_601, 160_000, 1_000_003] {
            let s = spans(len, 64_600, 32_000);
            assert_eq!(s[0].start, 0);
            assert_eq!(s.last().unwrap().end, len);
            for pair in s.windows(2) {
                let gap = pair[1].start - pair[0].start;
                assert!(gap > 0 && gap <= 32_000, "len {len}: gap {gap}");
            }
        }
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
