//! The fakescope scan pipeline: from a file to a [`FileReport`].
//!
//! ```text
//! path ─► sniff (magic bytes) ─► decode to 16 kHz mono ─► windows (4.04 s, hop 2 s)
//!      ─► each detector, batched ─► fake probability per window
//!      ─► pool windows (mean | max) per detector ─► pool detectors ─► verdict, segments
//! ```
//!
//! - [`Scanner`] holds the detectors and [`ScanOptions`]; [`Scanner::scan_file`] never fails:
//!   a file that cannot be scanned gets a report whose `error` says why.
//! - Images go to the face stage ([`FaceStage`]: faces found, aligned, scored) and to the
//!   whole-image stage ([`ImageStage`]: crops at native resolution, a map); videos' sampled
//!   frames to both. A file's verdict is the most severe of its modalities ([`most_severe`]).
//! - [`windows::windows`] cuts recordings (tiling clips shorter than one window, like upstream).
//! - [`explain`]: occlusion heatmaps of face detectors and whole-image patch maps drawn as
//!   PNG overlays (`scan --heatmaps DIR`).
//! - [`page`]: `scan --report`, one self-contained HTML page of the reports for people.
//! - [`aggregate`] pools scores and finds [`Segment`]s; [`verdict`] turns a probability into a
//!   [`Verdict`] with [`Thresholds`].
//! - [`walk::walk`] expands directories.
//! - [`ScanSettings`] is a scan as a user asks for it (the command line's or the HTTP API's
//!   options), turned into [`ScanOptions`] in one place.
//!
//! All probabilities are fake probabilities (1 = fake); they are raw model outputs unless the
//! detector carries a calibration (`FileReport::calibrated`).
#![deny(missing_docs)]

pub mod aggregate;
pub mod explain;
pub mod faces;
pub mod page;
mod pipeline;
pub mod report;
pub mod settings;
pub mod verdict;
pub mod video;
pub mod walk;
pub mod whole_image;
pub mod windows;

pub use aggregate::{Pool, Segment, WindowScore};
pub use faces::{FaceFinder, FaceMode, FaceReport, FaceScore, FaceStage, FoundFace};
pub use pipeline::{ScanOptions, Scanner, SetupError, WindowPolicy};
pub use report::{DetectorReport, FileReport, MediaKind, ModalityReport};
pub use settings::ScanSettings;
pub use verdict::{Thresholds, Verdict, most_severe};
pub use video::{FrameFilter, TimelinePoint, TrackFrame, TrackReport, VideoOptions};
pub use whole_image::{ImageReport, ImageStage};
