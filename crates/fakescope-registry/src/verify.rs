//! Verifying installed models: is each file there, of the right size and SHA-256?

use std::fmt;
use std::path::PathBuf;

use crate::hash::sha256_file;
use crate::manifest::ModelEntry;
use crate::models_dir::Resolver;

/// The state of one model file on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileStatus {
    /// Present, right size, right SHA-256.
    Ok,
    /// In none of the models directories.
    Missing,
    /// Present with another size than the manifest's (the checksum is not computed).
    WrongSize {
        /// Size from the manifest.
        expected: u64,
        /// Size on disk.
        actual: u64,
    },
    /// Present, right size, other SHA-256 (corrupted or a different file).
    WrongChecksum {
        /// SHA-256 from the manifest.
        expected: String,
        /// SHA-256 of the file on disk.
        actual: String,
    },
    /// Present but could not be read.
    Unreadable {
        /// The error, naming the path.
        error: String,
    },
}

/// The verification of one file of one model.
#[derive(Debug, Clone)]
pub struct FileReport {
    /// The model's name.
    pub model: String,
    /// The file's path relative to a models directory, as in the manifest.
    pub relative: String,
    /// The file checked: the first one found in the search path; `None` when missing.
    pub path: Option<PathBuf>,
    /// What was found.
    pub status: FileStatus,
}

impl FileReport {
    /// Whether the file is present and correct.
    pub fn is_ok(&self) -> bool {
        self.status == FileStatus::Ok
    }
}

/// Checks every file of `model`, taking each from the first directory of `resolver` that
/// has it (the file [`Resolver::locate`] would hand to a detector).
pub fn verify_model(resolver: &Resolver, model: &ModelEntry) -> Vec<FileReport> {
    model
        .files()
        .iter()
        .map(|file| {
            let found = resolver.find(file).map(|(path, _)| path);
            let status = match &found {
                None => FileStatus::Missing,
                Some(path) => match std::fs::metadata(path) {
                    Err(e) => FileStatus::Unreadable {
                        error: format!("{}: {e}", path.display()),
                    },
                    Ok(meta) if meta.len() != file.size() => FileStatus::WrongSize {
                        expected: file.size(),
                        actual: meta.len(),
                    },
                    Ok(_) => match sha256_file(path) {
                        Err(e) => FileStatus::Unreadable {
                            error: e.to_string(),
                        },
                        Ok(actual) if actual == file.sha256() => FileStatus::Ok,
                        Ok(actual) => FileStatus::WrongChecksum {
                            expected: file.sha256().to_owned(),
                            actual,
                        },
                    },
                },
            };
            FileReport {
                model: model.name().to_owned(),
                relative: file.path().to_owned(),
                path: found,
                status,
            }
        })
        .collect()
}

/// [`verify_model`] for several models, reports in order.
pub fn verify_models<'a>(
    resolver: &Resolver,
    models: impl IntoIterator<Item = &'a ModelEntry>,
) -> Vec<FileReport> {
    models
        .into_iter()
        .flat_map(|m| verify_model(resolver, m))
        .collect()
}

impl fmt::Display for FileStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileStatus::Ok => f.write_str("ok"),
            FileStatus::Missing => f.write_str("missing"),
            FileStatus::WrongSize { expected, actual } => {
                write!(f, "wrong size: {actual} bytes, expected {expected}")
            }
            FileStatus::WrongChecksum { expected, actual } => {
                write!(f, "wrong checksum: SHA-256 {actual}, expected {expected}")
            }
            FileStatus::Unreadable { error } => write!(f, "unreadable: {error}"),
        }
    }
}
