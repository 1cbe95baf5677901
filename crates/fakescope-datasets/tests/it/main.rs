//! Integration tests: every reader on valid and bad input, split rules, the real corpus.

mod corpus;
mod readers;
mod splits;

use std::path::{Path, PathBuf};

/// Writes `text` to `dir/name` (creating folders) and returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

/// The error's message, asserting that it is an error.
pub fn message<T: std::fmt::Debug>(result: fakescope_datasets::Result<T>) -> String {
    result.expect_err("expected an error").to_string()
}
