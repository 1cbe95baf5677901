//! Errors from reading score, key and label files: each names the file, and the line when there
//! is one.

use std::path::PathBuf;

/// Why scores or labels could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// The file could not be opened or read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A problem on one line (1-based).
    #[error("{}:{line}: {message}", path.display())]
    Line {
        /// The file.
        path: PathBuf,
        /// Line number, 1-based.
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// A problem with the file as a whole (no header, no rows, a missing column, ...).
    #[error("{}: {message}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The options cannot be used as given (e.g. the score direction is ambiguous and
    /// `--higher-means` is needed).
    #[error("{0}")]
    Usage(String),
}
