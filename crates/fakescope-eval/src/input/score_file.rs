//! One score file: opened, and its columns and what it says about itself known before any row
//! is read (so a missing `--higher-means` is reported before a big file is parsed); then its
//! rows read.

use std::path::{Path, PathBuf};

use super::asvspoof::{Side, is_score_file};
use super::columns::{self, cat_option};
use super::layout::{Layout, open};
use super::rows::{Cat, Part};
use super::table::{Delim, Pick};
use super::text::TextFile;
use super::{HigherMeans, InputError, ReadOptions, ScoreKind, jsonl, scan, table};

/// What kind of score file a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// CSV, TSV, whitespace-separated or JSON Lines table with named columns.
    Table,
    /// ASVspoof 5 score file (`filename cm-score` header).
    AsvspoofScores,
    /// A headerless ASVspoof layout, described.
    Headerless(&'static str),
    /// `fakescope scan --json` output.
    Scan,
}

impl Format {
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Format::Table => "a score table",
            Format::AsvspoofScores => "an ASVspoof score file",
            Format::Headerless(_) => "a headerless ASVspoof score file",
            Format::Scan => "fakescope scan output",
        }
    }
}

/// What a score file says about itself, known once its first line is read.
#[derive(Debug, Clone)]
pub(crate) struct FileFacts {
    /// The file.
    pub path: PathBuf,
    /// Its format.
    pub format: Format,
    /// Its column names.
    pub columns: Vec<String>,
    /// Name of the score column (for messages and inference).
    pub score_col: String,
    /// Whether it has an id column.
    pub has_id: bool,
    /// Whether it has the video, group, condition columns named in the options.
    pub cats: [bool; 3],
}

impl FileFacts {
    fn from_pick(path: &Path, format: Format, columns: &[String], pick: &Pick) -> Self {
        FileFacts {
            path: path.to_path_buf(),
            format,
            columns: columns.to_vec(),
            score_col: pick.score.map(|i| columns[i].clone()).unwrap_or_default(),
            has_id: pick.id.is_some(),
            cats: pick.cats.map(|c| c.is_some()),
        }
    }

    /// The direction the file states itself, and why.
    pub(crate) fn inferred_direction(&self) -> Option<(HigherMeans, String)> {
        if self.format == Format::Scan {
            Some((
                HigherMeans::Fake,
                format!("fakescope scan output ({})", self.score_col),
            ))
        } else if self.score_col == "fake_probability" {
            Some((HigherMeans::Fake, "column fake_probability".to_string()))
        } else if self.score_col == "fake_llr" {
            Some((
                HigherMeans::Fake,
                "column fake_llr (fakescope calibrate apply)".to_string(),
            ))
        } else if self.format == Format::AsvspoofScores && self.score_col == "cm-score" {
            Some((
                HigherMeans::Real,
                "ASVspoof score file (cm-score: higher = bona fide)".to_string(),
            ))
        } else {
            None
        }
    }

    /// The kind of scores the file states itself.
    pub(crate) fn inferred_kind(&self) -> ScoreKind {
        if self.format == Format::Scan || self.score_col == "fake_probability" {
            ScoreKind::Probability
        } else if self.score_col == "fake_llr"
            || (self.format == Format::AsvspoofScores && self.score_col == "cm-score")
        {
            ScoreKind::Llr
        } else {
            ScoreKind::Score
        }
    }
}

/// How the rows of a score file are read.
enum Reader {
    Scan,
    Json {
        columns: Vec<String>,
        pick: Pick,
    },
    Text {
        delim: Delim,
        columns: Vec<String>,
        pick: Pick,
    },
}

/// A score file, opened and understood, its rows not read yet.
pub(crate) struct ScoreFile {
    file: TextFile,
    bytes: u64,
    reader: Reader,
    /// What the file says about itself.
    pub facts: FileFacts,
}

impl ScoreFile {
    /// Opens `path`, decides its format and picks its columns. `labels_elsewhere`: the labels
    /// come from `--key`, `--labels` or `--label-from-dir`.
    pub(crate) fn open(
        path: &Path,
        opts: &ReadOptions,
        labels_elsewhere: bool,
    ) -> Result<Self, InputError> {
        let (file, bytes, layout) = open(path, Side::Scores)?;
        if opts.detector.is_some() && !matches!(layout, Layout::Scan) {
            return Err(InputError::Usage(format!(
                "{}: --detector applies only to fakescope scan output, which this is not",
                path.display()
            )));
        }
        let (reader, facts) = match layout {
            Layout::Scan => {
                if !labels_elsewhere {
                    return Err(InputError::Usage(format!(
                        "{}: fakescope scan output has no labels; give them with --labels FILE, \
                         --key FILE or --label-from-dir",
                        path.display()
                    )));
                }
                let score_col = match &opts.detector {
                    Some(name) => format!("fake_probability of detector {name}"),
                    None => "fake_probability".to_string(),
                };
                let facts = FileFacts {
                    path: path.to_path_buf(),
                    format: Format::Scan,
                    columns: vec!["path".to_string(), score_col.clone()],
                    score_col,
                    has_id: true,
                    cats: [false; 3],
                };
                (Reader::Scan, facts)
            }
            Layout::Json(columns) => {
                let pick = columns::for_scores(path, &columns, opts, labels_elsewhere)?;
                let facts = FileFacts::from_pick(path, Format::Table, &columns, &pick);
                (Reader::Json { columns, pick }, facts)
            }
            Layout::Text {
                delim,
                columns,
                what,
            } => {
                let format = match what {
                    Some(what) => Format::Headerless(what),
                    None if is_score_file(&columns) => Format::AsvspoofScores,
                    None => Format::Table,
                };
                let pick = columns::for_scores(path, &columns, opts, labels_elsewhere)?;
                let facts = FileFacts::from_pick(path, format, &columns, &pick);
                (
                    Reader::Text {
                        delim,
                        columns,
                        pick,
                    },
                    facts,
                )
            }
        };
        let needs_id = if opts.video_from_parent {
            Some("--video-from-parent")
        } else if labels_elsewhere {
            Some("labels from --key, --labels or --label-from-dir")
        } else {
            None
        };
        if let Some(what) = needs_id
            && !facts.has_id
        {
            return Err(InputError::File {
                path: path.to_path_buf(),
                message: format!(
                    "{what} need{} an id or path column: none of {} (columns: {}); name it with \
                     --id-col",
                    if opts.video_from_parent { "s" } else { "" },
                    columns::ID_DEFAULTS.join(", "),
                    facts.columns.join(", ")
                ),
            });
        }
        Ok(ScoreFile {
            file,
            bytes,
            reader,
            facts,
        })
    }

    /// Reads the rows into `part`. Returns warnings (reports skipped in scan output).
    pub(crate) fn read_into(
        mut self,
        part: &mut Part,
        opts: &ReadOptions,
    ) -> Result<Vec<String>, InputError> {
        let first_row = part.rows.len();
        let path = self.facts.path.clone();
        part.begin_file(&path, self.facts.columns.clone());
        let warnings = match &self.reader {
            Reader::Scan => scan::read(&mut self.file, opts.detector.as_deref(), self.bytes, part)?,
            Reader::Json { columns, pick } => {
                jsonl::read_rows(&mut self.file, columns, pick, self.bytes, part)?;
                Vec::new()
            }
            Reader::Text {
                delim,
                columns,
                pick,
            } => {
                table::read_rows(&mut self.file, *delim, columns, pick, self.bytes, part)?;
                Vec::new()
            }
        };
        if part.rows.len() == first_row {
            let message = match self.facts.format {
                Format::Scan => "no scored file: every report was skipped (see the warnings)",
                _ => "no rows after the header",
            };
            return Err(InputError::File {
                path,
                message: message.to_string(),
            });
        }
        Ok(warnings)
    }
}

/// Checks that a later score file can be read together with the first.
pub(crate) fn agree(
    first: &FileFacts,
    later: &FileFacts,
    opts: &ReadOptions,
) -> Result<(), InputError> {
    if first.format != later.format {
        return Err(InputError::Usage(format!(
            "{} is {} but {} is {}: score files read together must have the same format",
            later.path.display(),
            later.format.describe(),
            first.path.display(),
            first.format.describe()
        )));
    }
    let lacking = |without: &FileFacts, name: &str, option: &str| {
        let with = if std::ptr::eq(without, first) {
            later
        } else {
            first
        };
        InputError::File {
            path: without.path.clone(),
            message: format!(
                "no column `{name}` ({option}), which {} has; the columns are: {}",
                with.path.display(),
                without.columns.join(", ")
            ),
        }
    };
    if first.has_id != later.has_id {
        let without = if first.has_id { later } else { first };
        return Err(lacking(without, "id", "--id-col"));
    }
    for cat in Cat::ALL {
        let i = cat as usize;
        if first.cats[i] != later.cats[i] {
            let without = if first.cats[i] { later } else { first };
            return Err(lacking(
                without,
                cat_option(opts, cat).unwrap_or_default(),
                cat.option(),
            ));
        }
    }
    Ok(())
}
