//! The report of one scanned file: what `fakescope scan --json` prints, one object per line.
//!
//! Every probability is a fake probability (1 = fake/spoof). `calibrated` says in every record
//! whether it is calibrated (every detector that scored the file carries a calibration fitted
//! on its validation split, as the models fakescope trains do) or a raw model output (the
//! published models).
//!
//! ```json
//! {"path":"clip.wav","media":"audio","duration_s":6.2,"fake_probability":0.93,"verdict":"likely_fake",
//!  "calibrated":false,"detectors":[{"name":"aasist","fake_probability":0.93,"verdict":"likely_fake",
//!  "windows":[{"start_s":0.0,"end_s":4.0375,"fake_probability":0.95}, ...],"segments":[...]}],
//!  "segments":[{"start_s":0.0,"end_s":6.2,"fake_probability":0.93}],"note":null,"error":null}
//! ```

use serde::{Deserialize, Serialize};

use crate::aggregate::{Segment, WindowScore};
use crate::faces::FaceReport;
use crate::verdict::Verdict;
use crate::video::{TimelinePoint, TrackReport};
use crate::whole_image::ImageReport;

/// What a file turned out to be, by content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    /// A recording.
    Audio,
    /// A still image.
    Image,
    /// A video container (MP4, MOV, ...).
    Video,
    /// Not recognised, or not readable.
    Unknown,
}

impl MediaKind {
    /// The name used in the output.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaKind::Audio => "audio",
            MediaKind::Image => "image",
            MediaKind::Video => "video",
            MediaKind::Unknown => "unknown",
        }
    }
}

/// One detector's view of a file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DetectorReport {
    /// Registry name of the detector (e.g. `aasist`).
    pub name: String,
    /// The detector's file-level fake probability (windows pooled with `--aggregate`).
    pub fake_probability: f64,
    /// The verdict for that probability alone.
    pub verdict: Verdict,
    /// Per-window fake probabilities, in time order.
    pub windows: Vec<WindowScore>,
    /// Runs of windows at or above the fake threshold.
    pub segments: Vec<Segment>,
}

/// One modality's view of a video (its audio track, or its frames).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModalityReport {
    /// Fake probability from this modality alone; `null` when nothing could be scored (no face).
    pub fake_probability: Option<f64>,
    /// Its verdict.
    pub verdict: Verdict,
    /// Its segments over the fake threshold (audio windows, or runs of sampled frames).
    pub segments: Vec<Segment>,
}

/// The result of scanning one file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileReport {
    /// The path as given or found while walking a directory.
    pub path: String,
    /// What the file is, by content.
    pub media: MediaKind,
    /// Duration of the scanned audio in seconds, when there was audio.
    pub duration_s: Option<f64>,
    /// The combined fake probability over all detectors that applied; `null` when none did.
    pub fake_probability: Option<f64>,
    /// The verdict for `fake_probability`.
    pub verdict: Verdict,
    /// Whether `fake_probability` is calibrated: every detector that scored the file carries a
    /// calibration (the models fakescope trains do, fitted on their validation split; the
    /// published models do not, and their probabilities are raw model outputs).
    pub calibrated: bool,
    /// Each detector that scored the file.
    pub detectors: Vec<DetectorReport>,
    /// Runs of windows whose combined fake probability reaches the fake threshold.
    pub segments: Vec<Segment>,
    /// Each face of an image and its scores (absent for audio and video).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faces: Vec<FaceReport>,
    /// Video: each person followed through the sampled frames, with per-frame boxes and scores.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tracks: Vec<TrackReport>,
    /// Video: the most suspicious face of every sampled frame.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub timeline: Vec<TimelinePoint>,
    /// Video: the verdict of the audio track alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio: Option<ModalityReport>,
    /// Video: the verdict of the frames alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visual: Option<ModalityReport>,
    /// The whole-image detectors' view (AI-generated images): per detector its score and, for
    /// an image, the map of its crops; for a video, the mean over the sampled frames and each
    /// frame's score. Absent when no whole-image detector ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageReport>,
    /// Video: frames decoded and scanned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frames_scanned: Option<usize>,
    /// Video: which decoder read the frames (`openh264` or `ffmpeg`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decoder: Option<String>,
    /// Why the verdict is `n/a` when the file was read but no detector applies.
    pub note: Option<String>,
    /// Why the file could not be scanned; `null` on success.
    pub error: Option<String>,
}

impl FileReport {
    /// A report for a file that could not be scanned.
    pub fn failed(path: String, media: MediaKind, error: String) -> Self {
        FileReport {
            path,
            media,
            duration_s: None,
            fake_probability: None,
            verdict: Verdict::NotApplicable,
            calibrated: false,
            detectors: Vec::new(),
            segments: Vec::new(),
            faces: Vec::new(),
            tracks: Vec::new(),
            timeline: Vec::new(),
            audio: None,
            visual: None,
            image: None,
            frames_scanned: None,
            decoder: None,
            note: None,
            error: Some(error),
        }
    }

    /// A report for a file that was read but that none of the chosen detectors can score.
    pub fn not_applicable(path: String, media: MediaKind, note: String) -> Self {
        FileReport {
            note: Some(note),
            error: None,
            ..FileReport::failed(path, media, String::new())
        }
    }

    /// The same report without its note.
    pub fn without_note(self) -> Self {
        FileReport { note: None, ..self }
    }
}
