//! Evaluation of detector scores: read them, compute every metric, write a report.
//!
//! ```text
//! score file(s) ─► input::read_scores ─► ScoreTable (higher = fake, labels 1 = fake)
//!   ─► evaluate::evaluate (overall, per video, per condition, per group, bootstrap CIs)
//!   ─► report::Report ─► terminal table | JSON | Markdown | HTML with SVG plots
//! ```
//!
//! - [`input`] reads CSV/TSV/JSON Lines tables, ASVspoof score, key and protocol files, and the
//!   JSON Lines output of `fakescope scan`; every error names the file and the line.
//! - [`evaluate`] turns a [`input::ScoreTable`] into a [`report::Report`].
//! - [`report`] renders a report.
//!
//! The metrics themselves live in `fakescope-metrics`, each named for its definition.
#![deny(missing_docs)]

pub mod evaluate;
pub mod input;
pub mod report;
pub mod track2;
