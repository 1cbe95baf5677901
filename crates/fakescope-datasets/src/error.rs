//! What can go wrong while reading, splitting or checking a dataset.
//!
//! Every variant that concerns a file names it: the manifest, folder or JSON read, and for a
//! problem with one record its [`Location`] (row and line of a CSV file, line of a JSON Lines
//! file, key path of a DeepfakeBench JSON).

use std::fmt;
use std::path::PathBuf;

use crate::{GroupKey, Label, Split};

/// Shorthand for this crate's results.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where in a file a problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A CSV record: its number among the data rows (the header is not counted, the first row
    /// is 1) and the line of the file it starts on (the header is line 1).
    Row {
        /// 1-based data row.
        row: u64,
        /// 1-based line of the file.
        line: u64,
    },
    /// A line of a JSON Lines file, 1-based.
    Line(u64),
    /// A place in a JSON document, as its keys from the top (`FaceForensics++/FF-DF/train`).
    Keys(String),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Row { row, line } => write!(f, "row {row} (line {line})"),
            Location::Line(line) => write!(f, "line {line}"),
            Location::Keys(keys) => write!(f, "at {keys}"),
        }
    }
}

/// An error from this crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or folder cannot be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A whole file is unusable: unknown kind, no header, a required column missing, no
    /// samples, a folder without class subfolders.
    #[error("{}: {message}", path.display())]
    Invalid {
        /// The file or folder.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// One record of a file is unusable: a bad label, an unknown split, malformed JSON, an
    /// unexpected layout.
    #[error("{}: {at}: {message}", path.display())]
    Record {
        /// The file.
        path: PathBuf,
        /// The record.
        at: Location,
        /// What is wrong.
        message: String,
    },
    /// [`OpenOptions::check_files`](crate::OpenOptions::check_files) found listed files that
    /// do not exist.
    #[error("{}: {count} listed file(s) do not exist: {}{}", path.display(), list_paths(missing), more(*count, missing.len()))]
    MissingFiles {
        /// The manifest.
        path: PathBuf,
        /// How many are missing in all.
        count: usize,
        /// The first of them (at most 10).
        missing: Vec<PathBuf>,
    },
    /// [`SplitRule::FromManifest`](crate::SplitRule::FromManifest) met a sample without a
    /// split.
    #[error("{}: sample {index} ({}) has no split, and the rule takes every split from the manifest", path.display(), sample.display())]
    NoSplit {
        /// The dataset's origin.
        path: PathBuf,
        /// The sample's position in [`Dataset::samples`](crate::Dataset::samples), 0-based.
        index: usize,
        /// The sample's file.
        sample: PathBuf,
    },
    /// A split by key met a sample without that key.
    #[error("{}: sample {} has no {key} to split by", path.display(), sample.display())]
    MissingKey {
        /// The dataset's origin.
        path: PathBuf,
        /// The key asked for.
        key: GroupKey,
        /// The sample's file.
        sample: PathBuf,
    },
    /// One key (a file, group or video) is in two splits: a leak between them.
    #[error("{}: {kind} {key:?} is in both {first} ({}) and {second} ({})", path.display(), first_sample.display(), second_sample.display())]
    Leak {
        /// The dataset's origin.
        path: PathBuf,
        /// What the key is: `file`, `group` or `video`.
        kind: &'static str,
        /// The key.
        key: String,
        /// The split it was seen in first.
        first: Split,
        /// A sample of it there.
        first_sample: PathBuf,
        /// The other split.
        second: Split,
        /// A sample of it there.
        second_sample: PathBuf,
    },
    /// A split rule's fractions are not usable.
    #[error("invalid split rule: {0}")]
    Rule(String),
    /// A set meant for training or evaluation has no samples.
    #[error("{what} is empty")]
    Empty {
        /// The set, as given to [`check_trainable`](crate::check_trainable).
        what: String,
    },
    /// A set meant for training or evaluation has one class only.
    #[error("{what} has only {label} samples ({count}); {}", hint(*label))]
    SingleClass {
        /// The set, as given to [`check_trainable`](crate::check_trainable).
        what: String,
        /// The one class present.
        label: Label,
        /// How many samples it has.
        count: usize,
    },
}

fn list_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn more(count: usize, shown: usize) -> String {
    if count > shown {
        format!(" and {} more", count - shown)
    } else {
        String::new()
    }
}

fn hint(label: Label) -> &'static str {
    match label {
        Label::Real => "add fakes or a synthesiser such as SBI",
        Label::Fake => "add real samples",
    }
}

impl Error {
    /// An [`Error::Io`] for `path`.
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { path, source }
    }

    /// An [`Error::Invalid`].
    pub(crate) fn invalid(path: impl Into<PathBuf>, message: impl Into<String>) -> Error {
        Error::Invalid {
            path: path.into(),
            message: message.into(),
        }
    }

    /// An [`Error::Record`].
    pub(crate) fn record(
        path: impl Into<PathBuf>,
        at: Location,
        message: impl Into<String>,
    ) -> Error {
        Error::Record {
            path: path.into(),
            at,
            message: message.into(),
        }
    }
}
