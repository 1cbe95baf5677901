//! The scan of one file: sniff, decode, window, score with every detector, pool, decide.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use fakescope_media::{AudioLimits, ImageLimits, Limits, Media, MediaError, MediaKind as Sniffed};
use fakescope_metrics::fusion::DetectorFusion;
use fakescope_models::{AudioDetector, InputSpec};
use rayon::prelude::*;

use fakescope_media::{RgbImage, VideoReader};

use crate::aggregate::{Pool, Segment, WindowScore, segments};
use crate::explain;
use crate::faces::FaceStage;
use crate::report::ModalityReport;
use crate::report::{DetectorReport, FileReport, MediaKind};
use crate::verdict::{Thresholds, Verdict, most_severe};
use crate::video::{self, FrameFilter, FrameStages, VideoOptions};
use crate::whole_image::{ImageReport, ImageStage};
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
    /// Windows (or face crops) per model call.
    pub batch_size: usize,
    /// Limits on the audio accepted (duration, bytes).
    pub audio_limits: AudioLimits,
    /// How the faces of an image pool into its score (default: the most suspicious face).
    pub face_pool: Pool,
    /// Limits on the images accepted (pixels, bytes).
    pub image_limits: ImageLimits,
    /// Which frames of a video are scanned, and how its face tracks pool.
    pub video: VideoOptions,
    /// Whole-image detectors: at most this many crops per image or frame (default 4).
    pub image_crops: usize,
    /// A change made to every sampled video frame before it is scored (none by default).
    pub frame_filter: Option<FrameFilter>,
    /// Folder the heatmaps of images are written to (`scan --heatmaps`; none by default).
    pub heatmaps: Option<PathBuf>,
    /// A logistic fusion of the detectors (`scan --combine fusion --fusion FILE`): the file's
    /// probability is the fusion of its detectors' probabilities instead of the modalities'
    /// most severe one (none by default).
    pub fusion: Option<Arc<DetectorFusion>>,
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
            face_pool: Pool::Max,
            image_limits: ImageLimits::default(),
            video: VideoOptions::default(),
            image_crops: 4,
            frame_filter: None,
            heatmaps: None,
            fusion: None,
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

/// A decoded image and the path its report names.
type Labelled = (String, fakescope_media::RgbImage);

/// Scans files with a fixed set of detectors and options.
pub struct Scanner {
    /// Shared with the scanners [`Scanner::with_options`] makes: the loaded models.
    detectors: Arc<Vec<Box<dyn AudioDetector>>>,
    faces: Option<Arc<FaceStage>>,
    images: Option<Arc<ImageStage>>,
    options: ScanOptions,
    sample_rate: u32,
    window: usize,
    hop: usize,
}

impl Scanner {
    /// Checks the options and that every audio detector takes the same windows. `detectors`
    /// are the audio detectors (possibly none); `faces` the face stage, if faces are scanned;
    /// `images` the whole-image stage, if images and frames are scored whole.
    pub fn new(
        detectors: Vec<Box<dyn AudioDetector>>,
        faces: Option<FaceStage>,
        images: Option<ImageStage>,
        options: ScanOptions,
    ) -> Result<Self, SetupError> {
        Scanner::from_shared(
            Arc::new(detectors),
            faces.map(Arc::new),
            images.map(Arc::new),
            options,
        )
    }

    /// The same detectors (not loaded again) with other options, checked as
    /// [`Scanner::new`] checks them.
    pub fn with_options(&self, options: ScanOptions) -> Result<Self, SetupError> {
        Scanner::from_shared(
            self.detectors.clone(),
            self.faces.clone(),
            self.images.clone(),
            options,
        )
    }

    fn from_shared(
        detectors: Arc<Vec<Box<dyn AudioDetector>>>,
        faces: Option<Arc<FaceStage>>,
        images: Option<Arc<ImageStage>>,
        options: ScanOptions,
    ) -> Result<Self, SetupError> {
        if detectors.is_empty() && faces.is_none() && images.is_none() {
            return Err(SetupError::NoDetector);
        }
        if !(1..=256).contains(&options.image_crops) {
            return Err(SetupError::Option(format!(
                "image crops must be between 1 and 256, got {}",
                options.image_crops
            )));
        }
        let (sample_rate, samples) = match detectors.first().map(|d| d.info()) {
            None => (fakescope_media::TARGET_SAMPLE_RATE, 1),
            Some(info) => match info.input {
                InputSpec::AudioWindow {
                    sample_rate,
                    samples,
                } => (sample_rate, samples),
                _ => {
                    return Err(SetupError::Option(format!(
                        "{} does not take audio windows",
                        info.name
                    )));
                }
            },
        };
        for d in detectors.iter().skip(1) {
            let first = &detectors[0];
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
            faces,
            images,
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

    /// Names of the detectors, in order: audio, face, then whole-image detectors.
    pub fn detector_names(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = self.detectors.iter().map(|d| d.info().name).collect();
        if let Some(f) = &self.faces {
            names.extend(f.detector_names());
        }
        if let Some(i) = &self.images {
            names.extend(i.detector_names());
        }
        names
    }

    /// Names of the detectors whose probabilities are calibrated (see
    /// [`FileReport::calibrated`]).
    pub fn calibrated_names(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = self
            .detectors
            .iter()
            .filter(|d| d.calibration().is_some())
            .map(|d| d.info().name)
            .collect();
        if let Some(f) = &self.faces {
            names.extend(f.calibrated_names());
        }
        if let Some(i) = &self.images {
            names.extend(i.calibrated_names());
        }
        names
    }

    /// Scans several files, in order. Images are decoded in parallel and their faces scored in
    /// shared batches, which is much faster than one by one; other files are scanned as
    /// [`Scanner::scan_file`] does.
    pub fn scan_files(&self, paths: &[PathBuf]) -> Vec<FileReport> {
        if self.faces.is_none() && self.images.is_none() {
            return paths.iter().map(|p| self.scan_file(p)).collect();
        }
        let is_image: Vec<bool> = paths
            .iter()
            .map(|p| matches!(fakescope_media::sniff_file(p), Ok(Sniffed::Image(_))))
            .collect();
        let images: Vec<(usize, Result<Labelled, String>)> = paths
            .par_iter()
            .enumerate()
            .filter(|(i, _)| is_image[*i])
            .map(|(i, p)| (i, self.decode_image(p)))
            .collect();
        let mut reports: Vec<Option<FileReport>> = (0..paths.len()).map(|_| None).collect();
        let mut decoded = Vec::new();
        let mut slots = Vec::new();
        for (i, r) in images {
            match r {
                Ok(img) => {
                    slots.push(i);
                    decoded.push(img);
                }
                Err(e) => {
                    reports[i] = Some(FileReport::failed(
                        paths[i].display().to_string(),
                        MediaKind::Image,
                        e,
                    ))
                }
            }
        }
        for (i, r) in slots.into_iter().zip(self.scan_images(decoded)) {
            reports[i] = Some(r);
        }
        reports
            .into_iter()
            .zip(paths)
            .map(|(r, p)| match r {
                Some(r) => self.mark_calibration(r),
                None => self.scan_file(p),
            })
            .collect()
    }

    /// Scores decoded images: their faces with the face stage (in shared batches), the whole
    /// images with the whole-image stage; the file's verdict is the more severe of the two.
    fn scan_images(&self, images: Vec<Labelled>) -> Vec<FileReport> {
        let o = &self.options;
        let whole: Vec<Option<Result<ImageReport, String>>> = match &self.images {
            Some(stage) => images
                .par_iter()
                .map(|(_, img)| {
                    Some(stage.score(img, o.image_crops, o.combine, o.thresholds, o.batch_size))
                })
                .collect(),
            None => images.iter().map(|_| None).collect(),
        };
        let whole = match (&o.heatmaps, &self.images) {
            (Some(dir), Some(_)) => images
                .par_iter()
                .zip(whole)
                .map(|((label, img), report)| match report {
                    Some(Ok(mut r)) => {
                        for d in &mut r.detectors {
                            let path =
                                dir.join(explain::file_name(label, &format!("image-{}", d.name)));
                            match explain::write_png(&explain::patch_overlay(img, &d.map), &path) {
                                Ok(()) => d.heatmap = Some(path.display().to_string()),
                                Err(e) => return Some(Err(e)),
                            }
                        }
                        Some(Ok(r))
                    }
                    other => other,
                })
                .collect(),
            _ => whole,
        };
        let labels: Vec<String> = images.iter().map(|(l, _)| l.clone()).collect();
        let face_reports: Vec<Option<FileReport>> = match &self.faces {
            Some(faces) => faces
                .scan_images(
                    images,
                    o.combine,
                    o.face_pool,
                    o.thresholds,
                    o.batch_size,
                    o.heatmaps.as_deref(),
                )
                .into_iter()
                .map(Some)
                .collect(),
            None => labels.iter().map(|_| None).collect(),
        };
        labels
            .into_iter()
            .zip(face_reports)
            .zip(whole)
            .map(|((label, faces), whole)| self.merge_image(label, faces, whole))
            .collect()
    }

    /// One image's report from its face report and whole-image report (either may be absent:
    /// that stage is not selected).
    fn merge_image(
        &self,
        label: String,
        faces: Option<FileReport>,
        whole: Option<Result<ImageReport, String>>,
    ) -> FileReport {
        let thresholds = self.options.thresholds;
        let w = match whole {
            None => {
                return faces.unwrap_or_else(|| {
                    FileReport::not_applicable(
                        label,
                        MediaKind::Image,
                        "no face or whole-image detector is selected; the audio detectors do not apply to images".into(),
                    )
                });
            }
            Some(Err(e)) => {
                return match faces {
                    // The faces were scored: they keep the verdict, with a note.
                    Some(mut f) if f.error.is_none() && f.fake_probability.is_some() => {
                        f.note = Some(format!("whole image not scored: {e}"));
                        f
                    }
                    _ => FileReport::failed(label, MediaKind::Image, e),
                };
            }
            Some(Ok(w)) => w,
        };
        let mut report = match faces {
            Some(f) if f.error.is_none() => f,
            Some(f) => {
                // The faces failed (the finder could not run): the whole image still speaks.
                let why = f.error.unwrap_or_default();
                FileReport {
                    note: Some(format!("faces not scanned: {why}")),
                    ..FileReport::not_applicable(label, MediaKind::Image, String::new())
                }
            }
            None => {
                FileReport::not_applicable(label, MediaKind::Image, String::new()).without_note()
            }
        };
        report.detectors.extend(w.detector_reports(thresholds));
        let (p, verdict) = most_severe([
            (report.fake_probability, report.verdict),
            (Some(w.fake_probability), w.verdict),
        ]);
        report.fake_probability = p;
        report.verdict = verdict;
        report.image = Some(w);
        report
    }

    /// Decodes an image for the face stage, or says why it cannot be.
    fn decode_image(&self, path: &Path) -> Result<Labelled, String> {
        fakescope_media::decode_image(path, &self.options.image_limits)
            .map(|img| (path.display().to_string(), img))
            .map_err(|e| e.to_string())
    }

    /// Scores images decoded already (the label is the path the report names), as
    /// [`Scanner::scan_files`] scores the images it decodes: faces in shared batches, whole
    /// images in parallel. Benchmarks use it to score perturbed copies of a decoded image.
    pub fn scan_decoded_images(&self, images: Vec<(String, RgbImage)>) -> Vec<FileReport> {
        self.scan_images(images)
            .into_iter()
            .map(|r| self.mark_calibration(r))
            .collect()
    }

    /// Scans one file. Never fails: problems end up in [`FileReport::error`].
    pub fn scan_file(&self, path: &Path) -> FileReport {
        self.mark_calibration(self.scan_one(path))
    }

    /// Sets [`FileReport::calibrated`]: true when the report has detector scores and every
    /// one of them is calibrated. With a fusion, the file's probability becomes the fused one
    /// (calibrated by construction: fitted on labelled development data) when every fused
    /// detector scored the file; otherwise it stays as it was, with a note.
    fn mark_calibration(&self, mut report: FileReport) -> FileReport {
        let calibrated = self.calibrated_names();
        report.calibrated = !report.detectors.is_empty()
            && report
                .detectors
                .iter()
                .all(|d| calibrated.contains(&d.name.as_str()));
        if let Some(fusion) = &self.options.fusion
            && report.error.is_none()
            && !report.detectors.is_empty()
        {
            let fused = fusion.fake_probability(|name| {
                report
                    .detectors
                    .iter()
                    .find(|d| d.name == name)
                    .map(|d| d.fake_probability)
            });
            match fused {
                Ok(p) => {
                    report.fake_probability = Some(p);
                    report.verdict = self.options.thresholds.verdict(Some(p));
                    report.calibrated = true;
                }
                Err(why) => {
                    let note = format!("fusion not applied: {why}");
                    report.note = Some(match report.note.take() {
                        Some(n) => format!("{n}; {note}"),
                        None => note,
                    });
                }
            }
        }
        report
    }

    /// [`Scanner::scan_file`] before [`Scanner::mark_calibration`].
    fn scan_one(&self, path: &Path) -> FileReport {
        let label = path.display().to_string();
        let limits = Limits {
            audio: self.options.audio_limits,
            image: self.options.image_limits,
        };
        match fakescope_media::open(path, &limits) {
            Ok(Media::Audio(_)) if self.detectors.is_empty() => FileReport::not_applicable(
                label,
                MediaKind::Audio,
                "no audio detector is selected; the face detectors do not apply to audio".into(),
            ),
            Ok(Media::Audio(clip)) => self.scan_samples(label, MediaKind::Audio, &clip.samples),
            Ok(Media::Image(image)) => self.scan_images(vec![(label, image)]).remove(0),
            Ok(Media::Video(_)) => self.scan_video(path, label),
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

    /// Scans a video: its frames with the face stage and its audio track with the audio
    /// detectors, each when selected. The file's verdict is the more severe of the two.
    fn scan_video(&self, path: &Path, label: String) -> FileReport {
        let thresholds = self.options.thresholds;
        let mut notes = Vec::new();

        let audio = if self.detectors.is_empty() {
            notes.push("audio track not scanned: no audio detector is selected".to_string());
            None
        } else {
            match fakescope_media::decode_audio(path, &self.options.audio_limits) {
                Ok(clip) => Some(self.scan_samples(label.clone(), MediaKind::Video, &clip.samples)),
                Err(e) => {
                    notes.push(format!("audio track not scanned: {e}"));
                    None
                }
            }
        };

        let stages = FrameStages {
            faces: self.faces.as_deref(),
            images: self
                .images
                .as_deref()
                .map(|stage| (stage, self.options.image_crops)),
        };
        let visual = if stages.faces.is_none() && stages.images.is_none() {
            notes.push("frames not scanned: no face or whole-image detector is selected".into());
            None
        } else {
            let scanned = VideoReader::open(path, &self.options.video.limits)
                .map_err(|e| e.to_string())
                .and_then(|reader| {
                    video::scan_frames(
                        &reader,
                        stages,
                        &self.options.video,
                        self.options.frame_filter.as_ref(),
                        self.options.combine,
                        thresholds,
                        self.options.batch_size,
                    )
                });
            match scanned {
                Ok(mut v) => {
                    if let (Some(dir), Some(faces)) = (&self.options.heatmaps, stages.faces) {
                        notes.extend(self.track_heatmaps(path, &label, faces, &mut v, dir));
                    }
                    Some(v)
                }
                Err(e) => {
                    notes.push(format!("frames not scanned: {e}"));
                    None
                }
            }
        };

        let mut report = match (audio, &visual) {
            (None, None) => {
                let why = notes.join("; ");
                return if self.detectors.is_empty()
                    || (stages.faces.is_none() && stages.images.is_none())
                {
                    FileReport::not_applicable(label, MediaKind::Video, why)
                } else {
                    FileReport::failed(label, MediaKind::Video, why)
                };
            }
            (Some(a), _) => a,
            (None, Some(_)) => {
                FileReport::not_applicable(label, MediaKind::Video, String::new()).without_note()
            }
        };
        let audio_summary =
            (!self.detectors.is_empty() && report.error.is_none() && !report.detectors.is_empty())
                .then(|| ModalityReport {
                    fake_probability: report.fake_probability,
                    verdict: report.verdict,
                    segments: report.segments.clone(),
                });
        if let Some(v) = visual {
            if stages.faces.is_some() {
                report.visual = Some(ModalityReport {
                    fake_probability: v.fake_probability,
                    verdict: thresholds.verdict(v.fake_probability),
                    segments: v.segments.clone(),
                });
                for (name, p) in &v.per_detector {
                    report.detectors.push(DetectorReport {
                        name: name.clone(),
                        fake_probability: p.unwrap_or(f64::NAN),
                        verdict: thresholds.verdict(*p),
                        windows: Vec::new(),
                        segments: Vec::new(),
                    });
                }
                if v.fake_probability.is_none() {
                    notes.push(format!(
                        "no face found in the {} frames scanned",
                        v.frames_scanned
                    ));
                }
            }
            match v.image {
                Some(Ok(w)) => {
                    report.detectors.extend(w.detector_reports(thresholds));
                    report.image = Some(w);
                }
                Some(Err(e)) => notes.push(format!("whole frames not scored: {e}")),
                None => {}
            }
            report.duration_s = report.duration_s.or(Some(v.duration_s));
            report.tracks = v.tracks;
            report.timeline = v.timeline;
            report.frames_scanned = Some(v.frames_scanned);
            report.decoder = Some(v.decoder);
        }
        report.audio = audio_summary;
        // The most severe of the modalities' verdicts decides; its probability is the file's.
        let modalities = [&report.audio, &report.visual]
            .into_iter()
            .flatten()
            .map(|m| (m.fake_probability, m.verdict))
            .chain(
                report
                    .image
                    .as_ref()
                    .map(|w| (Some(w.fake_probability), w.verdict)),
            );
        let (p, verdict) = most_severe(modalities);
        if verdict != Verdict::NotApplicable {
            report.fake_probability = p;
            report.verdict = verdict;
        }
        let mut segments: Vec<Segment> = [&report.audio, &report.visual]
            .into_iter()
            .flatten()
            .flat_map(|m| m.segments.iter().copied())
            .collect();
        segments.sort_by(|a, b| a.start_s.total_cmp(&b.start_s));
        report.segments = segments;
        report.note = (!notes.is_empty()).then(|| notes.join("; "));
        report
    }

    /// Heatmaps of each face track of a scanned video, in its most suspicious frame: the frame
    /// is decoded again (and filtered as the scan filtered it), the face found again, and each
    /// detector's occlusion map written to `dir`; the paths go into that frame's scores.
    /// Returns notes for the tracks that got none.
    fn track_heatmaps(
        &self,
        path: &Path,
        label: &str,
        faces: &FaceStage,
        visual: &mut video::VisualScan,
        dir: &Path,
    ) -> Vec<String> {
        let mut notes = Vec::new();
        let reader = match VideoReader::open(path, &self.options.video.limits) {
            Ok(r) => r,
            Err(e) => return vec![format!("no heatmaps: {e}")],
        };
        for track in &mut visual.tracks {
            let Some(worst) = track
                .frames
                .iter_mut()
                .max_by(|a, b| a.fake_probability.total_cmp(&b.fake_probability))
            else {
                continue;
            };
            let frame = reader
                .frames(&[worst.frame])
                .map_err(|e| e.to_string())
                .and_then(|mut frames| {
                    frames
                        .next()
                        .ok_or_else(|| "the frame could not be decoded again".to_string())?
                        .map_err(|e| e.to_string())
                })
                .and_then(|f| {
                    RgbImage::from_raw(f.width, f.height, f.rgb)
                        .ok_or_else(|| "a decoded frame has the wrong size".to_string())
                })
                .and_then(|img| match &self.options.frame_filter {
                    Some(filter) => (filter.0)(worst.frame, img),
                    None => Ok(img),
                });
            let written = frame.and_then(|img| {
                faces.heatmaps_at(
                    &img,
                    worst.bbox,
                    label,
                    &format!("track{}-frame{}", track.id, worst.frame),
                    dir,
                    self.options.batch_size,
                )
            });
            match written {
                Ok(paths) => {
                    for (score, p) in worst.detectors.iter_mut().zip(paths) {
                        score.heatmap = Some(p);
                    }
                }
                Err(e) => notes.push(format!("no heatmap for track {}: {e}", track.id)),
            }
        }
        notes
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
        for detector in self.detectors.iter() {
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
            ..FileReport::failed(String::new(), media, String::new())
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
