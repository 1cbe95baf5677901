//! The scan of one file: sniff, decode, window, score with every detector, pool, decide.

use std::path::Path;

use fakescope_media::{AudioLimits, Limits, Media, MediaError, MediaKind as Sniffed};
use fakescope_models::{AudioDetector, InputSpec};

use crate::aggregate::{Pool, WindowScore, segments};
use crate::report::{DetectorReport, FileReport, MediaKind};
use crate::verdict::Thresholds;
use crate::windows::windows;

/// Which windows of a recording are scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WindowPolicy {
    /// Cover the whole recording with windows spread evenly, at most `hop` apart.
    #[default]
    All,
    /// Only the first window (the first 4.04 s, or the tiled clip): what the upstream AASIST
    /// evaluation scores. Useful to reproduce published numbers.
    First,
}

/// Everything that shapes a scan besides the detectors.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Seconds between window starts (default 2).
    pub hop_s: f64,
    /// Which windows to score.
    pub window_policy: WindowPolicy,
    /// How a detector's window scores pool into its file score.
    pub aggregate: Pool,
    /// How detectors' scores pool into the file score (and per-window combined scores).
    pub combine: Pool,
    /// Verdict thresholds; the `fake` threshold also delimits segments.
    pub thresholds: Thresholds,
    /// Windows per model call.
    pub batch_size: usize,
    /// Limits on the audio accepted (duration, bytes).
    pub audio_limits: AudioLimits,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            hop_s: 2.0,
            window_policy: WindowPolicy::All,
            aggregate: Pool::Mean,
            combine: Pool::Mean,
            thresholds: Thresholds::default(),
            batch_size: 8,
            audio_limits: AudioLimits::default(),
        }
    }
}

/// Why a [`Scanner`] could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// No detector was given.
    #[error("no detector to run")]
    NoDetector,
    /// Options out of range.
    #[error("invalid option: {0}")]
    Option(String),
    /// Detectors that need different windows cannot share one scan yet.
    #[error("detectors {first} and {other} take different inputs; scan them separately")]
    MixedInputs {
        /// The first detector.
        first: String,
        /// The one that differs.
        other: String,
    },
}

/// Scans files with a fixed set of detectors and options.
pub struct Scanner {
    detectors: Vec<Box<dyn AudioDetector>>,
    options: ScanOptions,
    sample_rate: u32,
    window: usize,
    hop: usize,
}

impl Scanner {
    /// Checks the options and that every detector takes the same windows.
    pub fn new(
        detectors: Vec<Box<dyn AudioDetector>>,
        options: ScanOptions,
    ) -> Result<Self, SetupError> {
        let first = detectors.first().ok_or(SetupError::NoDetector)?;
        let InputSpec::AudioWindow {
            sample_rate,
            samples,
        } = first.info().input.clone()
        else {
            return Err(SetupError::Option(format!(
                "{} does not take audio windows",
                first.info().name
            )));
        };
        for d in &detectors[1..] {
            if d.info().input != first.info().input {
                return Err(SetupError::MixedInputs {
                    first: first.info().name.to_owned(),
                    other: d.info().name.to_owned(),
                });
            }
        }
        options.thresholds.validate().map_err(SetupError::Option)?;
        if !(options.hop_s.is_finite() && options.hop_s > 0.0) {
            return Err(SetupError::Option(format!(
                "hop must be a positive number of seconds, got {}",
                options.hop_s
            )));
        }
        if options.batch_size == 0 {
            return Err(SetupError::Option("batch size must be at least 1".into()));
        }
        let hop = ((options.hop_s * f64::from(sample_rate)).round() as usize).max(1);
        Ok(Scanner {
            detectors,
            options,
            sample_rate,
            window: samples,
            hop,
        })
    }

    /// The options in use.
    pub fn options(&self) -> &ScanOptions {
        &self.options
    }

    /// Names of the detectors, in order.
    pub fn detector_names(&self) -> Vec<&'static str> {
        self.detectors.iter().map(|d| d.info().name).collect()
    }

    /// Scans one file. Never fails: problems end up in [`FileReport::error`].
    pub fn scan_file(&self, path: &Path) -> FileReport {
        let label = path.display().to_string();
        let limits = Limits {
            audio: self.options.audio_limits,
            ..Limits::default()
        };
        match fakescope_media::open(path, &limits) {
            Ok(Media::Audio(clip)) => self.scan_samples(label, MediaKind::Audio, &clip.samples),
            Ok(Media::Image(_)) => FileReport::not_applicable(
                label,
                MediaKind::Image,
                "no image detector is selected; the audio detectors do not apply to images".into(),
            ),
            Ok(Media::Video(_)) => {
                match fakescope_media::decode_audio(path, &self.options.audio_limits) {
                    Ok(clip) => {
                        let mut report = self.scan_samples(label, MediaKind::Video, &clip.samples);
                        report.note = Some(
                            "only the audio track was scanned; video frames are not scanned yet"
                                .into(),
                        );
                        report
                    }
                    Err(MediaError::Unsupported { what, .. }) => FileReport::not_applicable(
                        label,
                        MediaKind::Video,
                        format!(
                            "video frames are not scanned yet, and the audio track cannot be: {what}"
                        ),
                    ),
                    Err(e) => FileReport::failed(label, MediaKind::Video, e.to_string()),
                }
            }
            Err(e) => {
                let media = match &e {
                    MediaError::Unsupported { .. }
                    | MediaError::Truncated { .. }
                    | MediaError::Corrupt { .. }
                    | MediaError::NoSamples { .. }
                    | MediaError::TooLong { .. } => sniffed_kind(path),
                    _ => MediaKind::Unknown,
                };
                FileReport::failed(label, media, e.to_string())
            }
        }
    }

    /// Scores decoded mono samples at the detectors' sample rate.
    pub fn scan_samples(&self, label: String, media: MediaKind, samples: &[f32]) -> FileReport {
        let rate = f64::from(self.sample_rate);
        let mut wins = windows(samples, self.window, self.hop);
        if self.options.window_policy == WindowPolicy::First {
            wins.truncate(1);
        }
        if wins.is_empty() {
            return FileReport::failed(label, media, "no audio samples to scan".into());
        }
        let times: Vec<(f64, f64)> = wins
            .iter()
            .map(|w| (w.span.start as f64 / rate, w.span.end as f64 / rate))
            .collect();
        let slices: Vec<&[f32]> = wins.iter().map(|w| &*w.samples).collect();

        let thresholds = self.options.thresholds;
        let mut reports = Vec::with_capacity(self.detectors.len());
        for detector in &self.detectors {
            let mut probs = Vec::with_capacity(slices.len());
            for batch in slices.chunks(self.options.batch_size) {
                match detector.fake_probability(batch) {
                    Ok(p) => probs.extend(p),
                    Err(e) => {
                        return FileReport::failed(
                            label,
                            media,
                            format!("{}: {e}", detector.info().name),
                        );
                    }
                }
            }
            let windows: Vec<WindowScore> = times
                .iter()
                .zip(&probs)
                .map(|(&(start_s, end_s), &fake_probability)| WindowScore {
                    start_s,
                    end_s,
                    fake_probability,
                })
                .collect();
            let p = self
                .options
                .aggregate
                .apply(probs.iter().copied())
                .unwrap_or(f64::NAN);
            reports.push(DetectorReport {
                name: detector.info().name.to_owned(),
                fake_probability: p,
                verdict: thresholds.verdict(Some(p)),
                segments: segments(&windows, thresholds.fake),
                windows,
            });
        }

        let combined_windows: Vec<WindowScore> = times
            .iter()
            .enumerate()
            .map(|(i, &(start_s, end_s))| WindowScore {
                start_s,
                end_s,
                fake_probability: self
                    .options
                    .combine
                    .apply(reports.iter().map(|r| r.windows[i].fake_probability))
                    .unwrap_or(f64::NAN),
            })
            .collect();
        let fake_probability = self
            .options
            .combine
            .apply(reports.iter().map(|r| r.fake_probability));
        FileReport {
            path: label,
            media,
            duration_s: Some(samples.len() as f64 / rate),
            fake_probability,
            verdict: thresholds.verdict(fake_probability),
            calibrated: false,
            detectors: reports,
            segments: segments(&combined_windows, thresholds.fake),
            note: None,
            error: None,
        }
    }
}

/// What a file that failed to decode looked like, for the report's `media` field.
fn sniffed_kind(path: &Path) -> MediaKind {
    match fakescope_media::sniff_file(path) {
        Ok(Sniffed::Audio(_)) => MediaKind::Audio,
        Ok(Sniffed::Image(_)) => MediaKind::Image,
        Ok(Sniffed::Video(_)) => MediaKind::Video,
        _ => MediaKind::Unknown,
    }
}
