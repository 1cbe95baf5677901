//! Expanding the paths given on the command line into the files to scan.

use std::path::{Path, PathBuf};

/// One entry to scan: a file, or a path that could not be read (its report will carry the error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A regular file (or something that is not a directory) to scan.
    File(PathBuf),
    /// A path that could not be listed or does not exist, with the reason.
    Unreadable(PathBuf, String),
}

/// Expands `paths`: files are kept as given, directories are walked recursively. Entries of a
/// directory are sorted by name so output order is stable; hidden files (`.name`) inside walked
/// directories are skipped. Symbolic links to files are followed, links to directories are not
/// (no cycles).
///
/// ```
/// let dir = std::env::temp_dir().join("fakescope-walk-doc");
/// std::fs::create_dir_all(dir.join("sub")).unwrap();
/// std::fs::write(dir.join("b.wav"), b"").unwrap();
/// std::fs::write(dir.join("sub/a.wav"), b"").unwrap();
/// let files = fakescope_scan::walk::walk(&[dir.clone()]);
/// assert_eq!(files.len(), 2);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub fn walk(paths: &[PathBuf]) -> Vec<Entry> {
    let mut out = Vec::new();
    for path in paths {
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => walk_dir(path, &mut out),
            Ok(_) => out.push(Entry::File(path.clone())),
            Err(e) => out.push(Entry::Unreadable(path.clone(), describe(&e))),
        }
    }
    out
}

fn walk_dir(dir: &Path, out: &mut Vec<Entry>) {
    let read = match std::fs::read_dir(dir) {
        Ok(read) => read,
        Err(e) => {
            out.push(Entry::Unreadable(
                dir.to_owned(),
                format!("cannot list directory: {}", describe(&e)),
            ));
            return;
        }
    };
    let mut children: Vec<PathBuf> = Vec::new();
    for entry in read {
        match entry {
            Ok(entry) => {
                if !entry.file_name().to_string_lossy().starts_with('.') {
                    children.push(entry.path());
                }
            }
            Err(e) => out.push(Entry::Unreadable(
                dir.to_owned(),
                format!("cannot list directory: {}", describe(&e)),
            )),
        }
    }
    children.sort();
    for child in children {
        match std::fs::symlink_metadata(&child) {
            Ok(meta) if meta.is_dir() => walk_dir(&child, out),
            Ok(meta) if meta.file_type().is_symlink() => match std::fs::metadata(&child) {
                Ok(target) if target.is_dir() => {}
                Ok(_) => out.push(Entry::File(child)),
                Err(e) => out.push(Entry::Unreadable(
                    child,
                    format!("broken link: {}", describe(&e)),
                )),
            },
            Ok(_) => out.push(Entry::File(child)),
            Err(e) => out.push(Entry::Unreadable(child, describe(&e))),
        }
    }
}

/// An I/O error in words, without Rust's "(os error 2)" suffix.
pub(crate) fn describe(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_path_is_reported_not_dropped() {
        let out = walk(&[PathBuf::from("/definitely/not/here.wav")]);
        assert_eq!(
            out,
            vec![Entry::Unreadable(
                PathBuf::from("/definitely/not/here.wav"),
                "no such file or directory".into()
            )]
        );
    }

    #[test]
    fn directories_are_walked_sorted_and_hidden_files_skipped() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("z")).unwrap();
        std::fs::write(dir.path().join("z/1.wav"), b"").unwrap();
        std::fs::write(dir.path().join("b.wav"), b"").unwrap();
        std::fs::write(dir.path().join("a.wav"), b"").unwrap();
        std::fs::write(dir.path().join(".hidden"), b"").unwrap();
        let names: Vec<String> = walk(&[dir.path().to_owned()])
            .into_iter()
            .map(|e| match e {
                Entry::File(p) => p.strip_prefix(dir.path()).unwrap().display().to_string(),
                Entry::Unreadable(p, e) => panic!("{}: {e}", p.display()),
            })
            .collect();
        assert_eq!(names, vec!["a.wav", "b.wav", "z/1.wav"]);
    }
}
