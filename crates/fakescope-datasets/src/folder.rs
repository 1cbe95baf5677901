//! A folder of class subfolders: `real/` and `fake/`, or their aliases.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::{Dataset, Label, OpenOptions, Sample};

/// Subfolder names (compared ignoring ASCII case) whose files are real.
pub const REAL_FOLDERS: &[&str] = &["real", "bonafide"];

/// Subfolder names (compared ignoring ASCII case) whose files are fake.
pub const FAKE_FOLDERS: &[&str] = &["fake", "deepfake", "spoof"];

/// File extensions (compared ignoring ASCII case) taken as media; other files are skipped.
pub const MEDIA_EXTENSIONS: &[&str] = &[
    // images
    "jpg", "jpeg", "png", "webp", "bmp", "gif", // audio
    "wav", "flac", "mp3", "ogg", "m4a", // video
    "mp4", "mov", "mkv", "avi", "webm",
];

/// The class a subfolder called `name` holds, if it is one of [`REAL_FOLDERS`] or
/// [`FAKE_FOLDERS`].
pub fn folder_label(name: &str) -> Option<Label> {
    let name = name.to_ascii_lowercase();
    if REAL_FOLDERS.contains(&name.as_str()) {
        Some(Label::Real)
    } else if FAKE_FOLDERS.contains(&name.as_str()) {
        Some(Label::Fake)
    } else {
        None
    }
}

/// Whether `path` has one of the [`MEDIA_EXTENSIONS`].
pub fn is_media(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| MEDIA_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().first() == Some(&b'.')
}

/// The entries of `dir`, hidden ones left out, sorted by name.
fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut entries = Vec::new();
    for entry in fs::read_dir(dir).map_err(Error::io(dir))? {
        let entry = entry.map_err(Error::io(dir))?;
        if !is_hidden(&entry.file_name()) {
            entries.push(entry.path());
        }
    }
    entries.sort();
    Ok(entries)
}

/// Reads a folder holding class subfolders, [`REAL_FOLDERS`] and [`FAKE_FOLDERS`] (either may
/// be missing, not both), each walked recursively: every file with one of the
/// [`MEDIA_EXTENSIONS`] is a sample of the subfolder's class.
///
/// Other entries of `dir` are ignored; hidden files and folders (names starting with `.`) are
/// skipped everywhere; symbolic links are followed, each folder visited once. Subfolders and
/// files are taken in sorted order, so the samples' order does not depend on the file system.
/// Samples have no split, source, generator, group or video. The dataset is named after the
/// folder. `options` changes nothing here: every file listed was just found.
pub fn read_folder(dir: impl AsRef<Path>, options: &OpenOptions) -> Result<Dataset> {
    let _ = options;
    let dir = dir.as_ref();
    let mut classes = Vec::new();
    for entry in sorted_entries(dir)? {
        let label = entry
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(folder_label);
        if let Some(label) = label
            && entry.is_dir()
        {
            classes.push((entry, label));
        }
    }
    if classes.is_empty() {
        return Err(Error::invalid(
            dir,
            format!(
                "no class subfolder: expected one named {} (real) or {} (fake), in any case",
                REAL_FOLDERS.join(", "),
                FAKE_FOLDERS.join(", ")
            ),
        ));
    }
    let mut samples = Vec::new();
    let mut visited = HashSet::new();
    for (class_dir, label) in &classes {
        walk(class_dir, *label, &mut visited, &mut samples)?;
    }
    if samples.is_empty() {
        return Err(Error::invalid(
            dir,
            format!(
                "no media files under {} (extensions taken: {})",
                classes
                    .iter()
                    .map(|(d, _)| d.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                MEDIA_EXTENSIONS.join(" ")
            ),
        ));
    }
    let name = dir
        .canonicalize()
        .ok()
        .as_deref()
        .unwrap_or(dir)
        .file_name()
        .map_or_else(
            || dir.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
    Ok(Dataset {
        name,
        samples,
        origin: dir.to_path_buf(),
    })
}

fn walk(
    dir: &Path,
    label: Label,
    visited: &mut HashSet<PathBuf>,
    samples: &mut Vec<Sample>,
) -> Result<()> {
    // A link back up the tree would otherwise loop for ever.
    let real = dir.canonicalize().map_err(Error::io(dir))?;
    if !visited.insert(real) {
        return Ok(());
    }
    for entry in sorted_entries(dir)? {
        let meta = match fs::metadata(&entry) {
            Ok(meta) => meta,
            // A dangling link: an error only where it would have been a sample.
            Err(_) if !is_media(&entry) => continue,
            Err(e) => return Err(Error::io(&entry)(e)),
        };
        if meta.is_dir() {
            walk(&entry, label, visited, samples)?;
        } else if meta.is_file() && is_media(&entry) {
            samples.push(Sample::new(entry, label));
        }
    }
    Ok(())
}
