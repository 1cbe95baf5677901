//! `fakescope bench`: the field's protocols in one command. A TOML plan names detectors,
//! labelled sets and perturbations; the bench scores every file of every set under every
//! condition with every detector, caches the scores, and writes one report: the
//! cross-dataset matrix, robustness curves and fairness gaps, with bootstrap intervals.
//!
//! ```text
//! plan.toml ─► plan::Plan::resolve ─► Bench (sets read and chosen, conditions, settings)
//!   ─► run::run (decode each file once, perturb, scan; only what scores.jsonl lacks)
//!   ─► report::build (the eval engine on each detector × set × condition)
//!   ─► report.md, report.html, report.json
//! ```
//!
//! - [`plan`]: the plan's format and its checks (unknown detectors, distortions, levels and
//!   fields are errors that list what exists).
//! - [`run`]: the scoring pass; detectors come from a [`run::DetectorSource`] (the binary
//!   loads them as `fakescope scan` does), perturbations from
//!   [`fakescope_perturb::robustness`] (DeeperForensics-1.0's distortions and the speech
//!   channels), applied to the decoded file before the detector's own preprocessing — to every
//!   sampled frame of a video.
//! - [`cache`]: `scores.jsonl`, so a re-run with one more detector scores only that detector.
//! - [`report`]: the report, through `fakescope-eval` (the same metrics as `fakescope eval`).
#![deny(missing_docs)]

use std::path::Path;

pub mod cache;
pub mod plan;
pub mod report;
pub mod run;

pub use cache::{ScoreCache, ScoreLine};
pub use plan::{Bench, BenchSet, Condition, Plan};
pub use report::BenchReport;
pub use run::{DetectorSource, Progress};

/// What can go wrong in a bench.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The plan is wrong: the message names the field and what exists.
    #[error("plan: {0}")]
    Plan(String),
    /// A detector could not be loaded or set up.
    #[error("detector: {0}")]
    Detector(String),
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
}

impl Error {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Error {
        Error::Io {
            path: path.display().to_string(),
            source,
        }
    }
}
