//! The public [`Error`] and the path-less [`Problem`] the parsers report before the file is known.

use std::path::PathBuf;

/// Why a weight file could not be read. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file is malformed: truncated, inconsistent sizes, a broken pickle or zip, ...
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A key the model needs is absent.
    #[error("{path}: no tensor named `{key}`")]
    MissingTensor {
        /// The file.
        path: PathBuf,
        /// The key.
        key: String,
    },
    /// The file could not be read from disk.
    #[error("{path}: cannot read: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The content is none of the formats this crate reads (detected by content, not by name).
    #[error(
        "{path}: not a recognised weight file (expected a PyTorch zip or legacy checkpoint, or safetensors)"
    )]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
    /// The format is recognised but this part of it is not supported (yet).
    #[error("{path}: unsupported: {what}")]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// What is unsupported.
        what: String,
    },
    /// The pickle asked for a Python global outside the allow-list; nothing was executed.
    #[error("{path}: rejected global `{global}`: fakescope only rebuilds tensors")]
    RejectedGlobal {
        /// The file.
        path: PathBuf,
        /// `module.name` of the global, e.g. `os.system`.
        global: String,
    },
    /// A size limit from [`crate::Limits`] was exceeded.
    #[error("{path}: {what} is {actual}, over the limit of {limit}")]
    LimitExceeded {
        /// The file.
        path: PathBuf,
        /// What was counted (e.g. "file size in bytes").
        what: &'static str,
        /// The count in this file (or the first count found over the limit).
        actual: u64,
        /// The configured limit.
        limit: u64,
    },
    /// A tensor has a different shape from the one the model expects.
    #[error("{path}: tensor `{key}` has shape {found:?}, expected {expected:?}")]
    ShapeMismatch {
        /// The file.
        path: PathBuf,
        /// The key.
        key: String,
        /// The shape the caller asked for.
        expected: Vec<usize>,
        /// The shape in the file.
        found: Vec<usize>,
    },
}

/// A parse failure before it is attached to a file name: the readers work on bytes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Problem {
    /// Malformed content.
    Invalid(String),
    /// A recognised but unsupported feature.
    Unsupported(String),
    /// A global outside the allow-list (`module.name`).
    RejectedGlobal(String),
    /// A limit was exceeded.
    Limit {
        what: &'static str,
        actual: u64,
        limit: u64,
    },
}

impl Problem {
    /// A malformed-content problem.
    pub(crate) fn invalid(message: impl Into<String>) -> Problem {
        Problem::Invalid(message.into())
    }

    /// Attaches the file name.
    pub(crate) fn in_file(self, path: PathBuf) -> Error {
        match self {
            Problem::Invalid(message) => Error::Invalid { path, message },
            Problem::Unsupported(what) => Error::Unsupported { path, what },
            Problem::RejectedGlobal(global) => Error::RejectedGlobal { path, global },
            Problem::Limit {
                what,
                actual,
                limit,
            } => Error::LimitExceeded {
                path,
                what,
                actual,
                limit,
            },
        }
    }

    /// Prefixes the message with where the problem was found (e.g. a zip entry's name).
    pub(crate) fn context(self, place: &str) -> Problem {
        match self {
            Problem::Invalid(m) => Problem::Invalid(format!("{place}: {m}")),
            Problem::Unsupported(m) => Problem::Unsupported(format!("{place}: {m}")),
            other => other,
        }
    }
}

/// Shorthand for results inside the readers.
pub(crate) type Parsed<T> = Result<T, Problem>;
