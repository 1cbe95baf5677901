//! Labelled sets for training and benchmarks: read them, split them without leaks, check them.
//!
//! # Brief overview
//!
//! A [`Dataset`] is a list of [`Sample`]s: a file, its [`Label`] (fake = 1, the positive
//! class; real = 0), and optionally a [`Split`], a source, a generator, a group (the identity,
//! speaker or video that must not cross splits) and a video. Files are listed and, on request,
//! checked to exist; nothing is decoded.
//!
//! [`open`] reads a dataset, choosing the reader by what the path is:
//!
//! | path | reader |
//! |---|---|
//! | a folder with `real/` and `fake/` subfolders | [`read_folder`] (aliases: [`REAL_FOLDERS`], [`FAKE_FOLDERS`]; files: [`MEDIA_EXTENSIONS`]) |
//! | `*.csv` | [`read_csv`], a manifest with a header (fields: [`manifest`]) |
//! | `*.jsonl` | [`read_jsonl`], one JSON object per line, same fields |
//! | `*.json` | [`read_deepfakebench`], DeepfakeBench's rearranged dataset JSON, one sample per frame |
//! | `*.txt`, `*.tsv` | [`read_asvspoof`], an ASVspoof protocol or key (2019, 2021, ASVspoof 5); the recordings in `flac/` beside it, or the folder given to [`read_asvspoof`] |
//!
//! [`assign_splits`] gives every sample a split by a [`SplitRule`]: the manifest's, or a
//! deterministic hash of a [`GroupKey`] so that all samples of one identity or video land in
//! the same split, or both. It then refuses any file, group or video found in two splits, and
//! returns a [`SplitSummary`], counts per split and label that print as a table.
//! [`check_trainable`] refuses an empty or single-class set before training starts.
//!
//! Input is untrusted: nothing panics on it, and every [`Error`] names the file, and the row,
//! line or JSON keys where it applies.
//!
//! # Example
//!
//! ```
//! use fakescope_datasets::{OpenOptions, Split, SplitRule, assign_splits, check_trainable, open};
//!
//! let dir = tempfile::tempdir()?;
//! std::fs::write(
//!     dir.path().join("faces.csv"),
//!     "path,label,split,group\n\
//!      real/a.jpg,real,train,alice\n\
//!      fake/b.jpg,fake,train,bob\n\
//!      real/c.jpg,bonafide,test,carol\n",
//! )?;
//! let mut ds = open(dir.path().join("faces.csv"), &OpenOptions::default())?;
//! assert_eq!(ds.name, "faces");
//! assert_eq!(ds.samples[0].path, dir.path().join("real/a.jpg"));
//!
//! let summary = assign_splits(&mut ds, &SplitRule::FromManifest)?;
//! assert_eq!(summary.get(Some(Split::Train)).fake, 1);
//! println!("{summary}");
//! check_trainable(ds.split(Split::Train), "train split", false)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

use std::path::{Path, PathBuf};

pub mod asvspoof;
pub mod deepfakebench;
mod error;
pub mod folder;
pub mod manifest;
mod paths;
mod sample;
mod split;

pub use asvspoof::read_asvspoof;
pub use deepfakebench::read_deepfakebench;
pub use error::{Error, Location, Result};
pub use folder::{FAKE_FOLDERS, MEDIA_EXTENSIONS, REAL_FOLDERS, read_folder};
pub use manifest::{read_csv, read_jsonl};
pub use paths::{expand_vars, resolve_path};
pub use sample::{Counts, Dataset, Label, Sample, Split, SplitSummary};
pub use split::{GroupKey, SplitRule, assign_splits, check_trainable, key_fraction, split_of_key};

/// How [`open`] and the readers read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OpenOptions {
    /// Every listed file must exist (as a file): otherwise an [`Error::MissingFiles`] with the
    /// first 10 missing and their count.
    pub check_files: bool,
}

/// Reads the dataset at `path`: a folder with [`read_folder`], `.csv` with [`read_csv`],
/// `.jsonl` with [`read_jsonl`], `.json` with [`read_deepfakebench`], `.txt` and `.tsv` with
/// [`read_asvspoof`] (extensions in any case).
pub fn open(path: impl AsRef<Path>, options: &OpenOptions) -> Result<Dataset> {
    let path = path.as_ref();
    let meta = std::fs::metadata(path).map_err(Error::io(path))?;
    if meta.is_dir() {
        return read_folder(path, options);
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("csv") => read_csv(path, options),
        Some("jsonl") => read_jsonl(path, options),
        Some("json") => read_deepfakebench(path, options),
        Some("txt" | "tsv") => read_asvspoof(path, None, options),
        _ => Err(Error::invalid(
            path,
            "unknown kind of dataset: expected a folder, a .csv or .jsonl manifest, a \
             DeepfakeBench .json, or an ASVspoof protocol (.txt, .tsv)",
        )),
    }
}

impl Dataset {
    /// Errors with [`Error::MissingFiles`] unless every sample's file exists.
    pub fn check_files(&self) -> Result<()> {
        let mut missing: Vec<PathBuf> = Vec::new();
        let mut count = 0;
        for s in &self.samples {
            if !s.path.is_file() {
                count += 1;
                if missing.len() < 10 {
                    missing.push(s.path.clone());
                }
            }
        }
        if count == 0 {
            Ok(())
        } else {
            Err(Error::MissingFiles {
                path: self.origin.clone(),
                count,
                missing,
            })
        }
    }
}
