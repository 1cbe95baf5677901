//! Why a training run could not start or go on.

use std::path::{Path, PathBuf};

/// A training error; every variant names the file or the key at fault.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("{path}: {source}", path = path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The recipe is not valid TOML, has unknown keys or impossible values.
    #[error("{path}: {message}", path = path.display())]
    Recipe {
        /// The recipe file (or `<command line>` for overrides).
        path: PathBuf,
        /// What is wrong, naming the key.
        message: String,
    },
    /// A data set could not be read or split.
    #[error(transparent)]
    Data(#[from] fakescope_datasets::Error),
    /// A model could not be built or loaded.
    #[error(transparent)]
    Model(#[from] fakescope_models::Error),
    /// A checkpoint is missing parts, is from another architecture or another recipe.
    #[error("{path}: {message}", path = path.display())]
    Checkpoint {
        /// The checkpoint folder.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Anything else that makes the run impossible (the message says what).
    #[error("{0}")]
    Invalid(String),
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: &Path, source: std::io::Error) -> Error {
        Error::Io {
            path: path.to_owned(),
            source,
        }
    }
}
