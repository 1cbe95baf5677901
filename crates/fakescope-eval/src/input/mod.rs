//! Reading scores and labels: CSV/TSV/JSON Lines tables, ASVspoof files, `fakescope scan` output.
//!
//! Whatever the file, the result is a [`ScoreTable`] whose scores are oriented **higher = more
//! likely fake** and whose labels are `true` = fake / spoof. The file's own direction is kept in
//! [`ScoreTable::direction`] so reports can say what was done.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

mod error;
pub mod localization;
pub mod track2;

pub use error::InputError;

/// What a higher score means in the file as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HigherMeans {
    /// Higher = more likely fake (e.g. `fake_probability`).
    Fake,
    /// Higher = more likely real / bona fide (e.g. ASVspoof score files). Negated on reading.
    Real,
}

/// What kind of number a score is; decides which metrics apply (actDCF and Cllr need LLRs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScoreKind {
    /// A probability in [0, 1] that the trial is fake.
    Probability,
    /// A natural-log likelihood ratio (ASVspoof convention).
    Llr,
    /// Any other monotone score: ranking metrics only.
    Score,
}

/// A categorical column (video, group, condition), interned.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Categorical {
    /// Per trial: index into `names`.
    pub codes: Vec<u32>,
    /// The distinct values, in order of first appearance.
    pub names: Vec<String>,
}

/// Scores and labels read from one or more files.
#[derive(Debug, Clone)]
pub struct ScoreTable {
    /// Files read, for reports and error messages.
    pub sources: Vec<PathBuf>,
    /// Scores, oriented higher = more likely fake (negated on reading when the file said
    /// otherwise).
    pub scores: Vec<f64>,
    /// Labels: `true` = fake / spoof.
    pub fake: Vec<bool>,
    /// Trial ids, when the file has them.
    pub ids: Option<Vec<String>>,
    /// Video of each trial (frame-level files), for video-level metrics.
    pub video: Option<Categorical>,
    /// Group of each trial (fairness breakdowns).
    pub group: Option<Categorical>,
    /// Condition of each trial (attack, codec, ...).
    pub condition: Option<Categorical>,
    /// What a higher score meant in the file.
    pub direction: HigherMeans,
    /// How the direction was decided, e.g. "--higher-means fake" or "column fake_probability".
    pub direction_reason: String,
    /// What kind of number the scores are.
    pub kind: ScoreKind,
    /// Things the reader did that the report should mention (rows skipped, ...).
    pub warnings: Vec<String>,
}

/// How to read score files: which columns, which direction, where labels come from.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Label column (default: the first of `label`, `cm-label`, `key`, `target`).
    pub label_col: Option<String>,
    /// Score column (default: the first of `fake_probability`, `score`, `cm-score`, `prob`, `pred`).
    pub score_col: Option<String>,
    /// Id column (default: the first of `id`, `filename`, `path`, `file`).
    pub id_col: Option<String>,
    /// Video column; frames of one video are aggregated for video-level metrics.
    pub video_col: Option<String>,
    /// Group column (fairness tables).
    pub group_col: Option<String>,
    /// Condition column (attack, codec, ...).
    pub condition_col: Option<String>,
    /// What a higher score means; inferred only when unambiguous.
    pub higher_means: Option<HigherMeans>,
    /// What kind of number the scores are; inferred when not given.
    pub score_kind: Option<ScoreKind>,
    /// An ASVspoof key file (`filename cm-label`) or 2019/2021 protocol file giving the labels.
    pub key: Option<PathBuf>,
    /// A label file (`path,label`) for `fakescope scan` output.
    pub labels: Option<PathBuf>,
    /// Labels from path components, e.g. `[("DeepFake", true), ("Real", false)]`.
    pub label_from_dir: Option<Vec<(String, bool)>>,
    /// Video of a frame = its parent folder (DeepfakeBench's rule), when there is no video column.
    pub video_from_parent: bool,
    /// For `fakescope scan` output: the detector whose probability to use (default: the file's
    /// combined `fake_probability`).
    pub detector: Option<String>,
}
