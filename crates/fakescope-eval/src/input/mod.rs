//! Reading scores and labels: CSV/TSV/JSON Lines tables, ASVspoof files, `fakescope scan` output.
//!
//! Whatever the file, the result is a [`ScoreTable`] whose scores are oriented **higher = more
//! likely fake** and whose labels are `true` = fake / spoof. The file's own direction is kept in
//! [`ScoreTable::direction`] so reports can say what was done.
//!
//! # Formats
//! [`read_scores`] decides each file's format from its first non-blank line (not from its
//! extension). A UTF-8 byte order mark, `\r\n` line ends and blank lines are accepted anywhere.
//!
//! | first line | format |
//! |---|---|
//! | a JSON object with `path` and `detectors` | `fakescope scan --json` output (see [below](self#fakescope-scan-output)) |
//! | another JSON object | JSON Lines table: the object's keys are the columns |
//! | names, with tabs | TSV (quoted fields allowed) |
//! | names, with commas | CSV (RFC 4180 quoting; a quoted field cannot span lines) |
//! | names, with spaces only | whitespace-separated (runs of spaces and tabs; no quoting) |
//! | data: a number or `bonafide`/`spoof` in it | a headerless [ASVspoof layout](self#asvspoof-files), else an error asking for a header |
//!
//! # ASVspoof files
//! With a header (tab- or space-separated, as the ASVspoof 5 evaluation package reads them):
//!
//! - score file `filename cm-score`: higher = bona fide, scores are LLRs (ASVspoof 5 asks for
//!   them). Read as direction [`Real`](HigherMeans::Real), kind
//!   [`Llr`](ScoreKind::Llr), and negated.
//! - key file `filename cm-label` (`bonafide` / `spoof`), possibly with more columns (`codec`,
//!   `attack`, ...) usable as conditions.
//!
//! Without a header (whitespace-separated), recognised by the position of the `bonafide` /
//! `spoof` column and of the number; the columns get these names, usable with
//! `--condition-col` / `--group-col`:
//!
//! | file | columns |
//! |---|---|
//! | score file, 2019/2021 submissions | `filename score` |
//! | score file, ASVspoof 2019 baseline CM scores | `filename attack key score` |
//! | score file, ASVspoof 5 AASIST baseline output | `speaker filename score key` |
//! | key, ASVspoof 2019 LA/PA protocol | `speaker filename env attack key` |
//! | key, ASVspoof 2021 LA/DF keys | `speaker filename codec transmission attack key trim subset` (+ `col9`, ...) |
//! | key, ASVspoof 5 protocol / metadata | `speaker filename gender codec codec_q codec_seed attack_tag attack key tmp` |
//! | labels, any | `path label` (when the label is 0/1 or bonafide/spoof; `real`/`fake` could be column names, so such a file needs a header) |
//!
//! Bona fide trials have `-` (2019) or `bonafide` (2021, ASVspoof 5) as their `attack`. A
//! headerless score file does not say what a higher score means, so `--higher-means` is
//! required for it (the ASVspoof convention is higher = bona fide, i.e. `--higher-means
//! real`), and its kind is [`Score`](ScoreKind::Score) unless `--score-kind` says otherwise.
//!
//! # Columns
//! The score, label and id columns are the ones named in [`ReadOptions`], else the first of
//! [`SCORE_DEFAULTS`], [`LABEL_DEFAULTS`] and [`ID_DEFAULTS`] present (names match exactly,
//! else ignoring case). Labels: `1`/`0`, `fake`/`real`, `spoof`/`bonafide` (also `bona-fide`,
//! `bona_fide`), any case; `true`/`false` only in a column whose name says which class `true`
//! is (`is_fake`, `fake`, `spoof`, ... or `is_real`, `real`, `bonafide`, ...), since in a
//! column named `label` it could mean either.
//!
//! # Labels from another file
//! With [`ReadOptions::key`] (an ASVspoof key or protocol, or any table with an id and a label
//! column) or [`ReadOptions::labels`] (a `path,label` table), the score files' own label
//! columns are not read; rows are joined by id: equal ids, else equal file names (when unique
//! in the key), else equal file names without extension, so scan paths like
//! `data/LA_E_1000147.flac` match key ids like `LA_E_1000147`. Scores without a label are an
//! error; labels without a score are an error for `--key` (as in the ASVspoof evaluation
//! package) and a warning for `--labels`. Categorical columns (`--condition-col attack`,
//! `codec`, ...) are taken from the score file when it has them, else from the key.
//! [`ReadOptions::label_from_dir`] labels each id by a folder in its path instead.
//!
//! # Direction and kind
//! What a higher score means is [`ReadOptions::higher_means`] when given; otherwise only four
//! cases are clear enough to infer: a `fake_probability` column (higher = fake), a `fake_llr`
//! column (written by `fakescope calibrate apply`: higher = fake), an ASVspoof 5 score file's
//! `cm-score` (higher = bona fide) and `fakescope scan` output (higher = fake).
//! Anything else is an [`InputError::Usage`] asking for `--higher-means fake|real`. Scores
//! where higher = real are negated (probabilities of real become `1 - p` instead, so they stay
//! probabilities). The kind is [`ReadOptions::score_kind`] when given, else
//! [`ScoreKind::Probability`] for `fake_probability` and scan output (values must lie in
//! [0, 1]), [`ScoreKind::Llr`] for `fake_llr` and ASVspoof 5 score files, [`ScoreKind::Score`]
//! otherwise.
//!
//! # fakescope scan output
//! Ids are the reports' paths, scores their `fake_probability` (or, with
//! [`ReadOptions::detector`], that detector's); reports with an error or without a probability
//! are skipped and counted in [`ScoreTable::warnings`]. Labels must come from `--labels`,
//! `--key` or `--label-from-dir`.
//!
//! # Videos
//! [`ReadOptions::video_col`] names the video of each row; [`ReadOptions::video_from_parent`]
//! takes the folder of each id instead: the whole parent path (`ff/Deepfakes/000_003`), where
//! DeepfakeBench keys by the folder's name alone and so merges same-named folders of
//! different datasets or methods.
//!
//! # Errors and limits
//! Every error names the file, and the line when there is one: empty file, header only,
//! missing columns (listing those present), a row with the wrong number of fields, an
//! unparsable, NaN or infinite score, a bad label, a repeated id (both lines named), ids
//! without labels or labels without scores (counted, first five listed). Only one class
//! present is not an input error; the metrics report it. Large files are read in 4 MiB blocks
//! parsed in parallel.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

mod asvspoof;
mod columns;
mod direction;
mod dups;
mod join;
mod jsonl;
mod labels;
mod layout;
mod read;
mod rows;
mod scan;
mod score_file;
mod table;
mod text;

pub use columns::{ID_DEFAULTS, LABEL_DEFAULTS, SCORE_DEFAULTS};
pub use read::read_scores;

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
    /// otherwise; a probability of real becomes 1 − p).
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
    /// Score column (default: the first of `fake_probability`, `fake_llr`, `score`, `cm-score`,
    /// `prob`, `pred`).
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
