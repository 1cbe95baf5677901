//! Where each video's output goes, mirroring DeepfakeBench's layout.
//!
//! DeepfakeBench writes the crops of `<dir>/videos/<name>.mp4` to `<dir>/frames/<name>/` and the
//! landmarks to `<dir>/landmarks/<name>/`, next to the `videos` folder. `prepare` does the same
//! under the output folder: a video found at `<input>/<rel>/videos/<name>.mp4` goes to
//! `OUT/<rel>/frames/<name>/` (a `videos` folder is dropped, any other folder kept), and a
//! video given by itself goes to `OUT/frames/<name>/`. So preparing a FaceForensics++ root
//! gives `OUT/manipulated_sequences/Deepfakes/c23/frames/000_003/000.png`, exactly as
//! DeepfakeBench would.
//!
//! A video is complete when its marker `landmarks/<name>/.done` exists; it is written last, so
//! an interrupted run leaves no marker and the video is redone. (The marker is kept out of
//! `frames/<name>/` because DeepfakeBench's `rearrange.py` lists every file there as a frame.)

use std::path::{Component, Path, PathBuf};

use crate::error::Error;

/// File extensions taken as videos when walking a folder (case-insensitive). Files named
/// directly on the command line are taken whatever their extension.
pub const VIDEO_EXTENSIONS: &[&str] = &["mp4", "mov", "m4v", "avi", "mkv", "webm"];

/// One video to prepare and the paths of its output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoJob {
    /// The video file.
    pub source: PathBuf,
    /// Its name without extension: the folder name under `frames/` and the key in the JSON.
    pub name: String,
    /// The folder holding `frames/` and `landmarks/`.
    pub base: PathBuf,
}

impl VideoJob {
    /// `base/frames/<name>`.
    pub fn frames_dir(&self) -> PathBuf {
        self.base.join("frames").join(&self.name)
    }

    /// `base/landmarks/<name>`.
    pub fn landmarks_dir(&self) -> PathBuf {
        self.base.join("landmarks").join(&self.name)
    }

    /// The crop of frame `index`: `frames/<name>/<index:03>.png`.
    pub fn frame_png(&self, index: u64) -> PathBuf {
        self.frames_dir().join(format!("{index:03}.png"))
    }

    /// The landmarks of frame `index`: `landmarks/<name>/<index:03>.npy`.
    pub fn landmarks_npy(&self, index: u64) -> PathBuf {
        self.landmarks_dir().join(format!("{index:03}.npy"))
    }

    /// The completion marker, written last.
    pub fn marker(&self) -> PathBuf {
        self.landmarks_dir().join(".done")
    }
}

/// The videos found under the inputs, and the inputs that could not be read.
#[derive(Debug, Default)]
pub struct Discovered {
    /// Videos in a stable order (inputs in the order given, folders sorted by name).
    pub jobs: Vec<VideoJob>,
    /// Paths that do not exist or could not be listed, with the reason.
    pub unreadable: Vec<(PathBuf, String)>,
}

fn is_video(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| VIDEO_EXTENSIONS.iter().any(|v| v.eq_ignore_ascii_case(e)))
}

/// Finds the videos of `inputs` (files, or folders walked recursively, hidden entries skipped)
/// and assigns each its output folder under `out`. Two videos that would share an output folder
/// are an error naming both.
pub fn discover(inputs: &[PathBuf], out: &Path) -> Result<Discovered, Error> {
    let mut found = Discovered::default();
    for input in inputs {
        let is_dir = input.is_dir();
        for entry in fakescope_scan::walk::walk(std::slice::from_ref(input)) {
            let path = match entry {
                fakescope_scan::walk::Entry::File(path) => path,
                fakescope_scan::walk::Entry::Unreadable(path, why) => {
                    found.unreadable.push((path, why));
                    continue;
                }
            };
            if is_dir && !is_video(&path) {
                continue;
            }
            let Some(name) = path.file_stem().and_then(|s| s.to_str()).map(str::to_owned) else {
                found
                    .unreadable
                    .push((path, "file name is not valid UTF-8".into()));
                continue;
            };
            let mut rel = PathBuf::new();
            if is_dir && let Some(parent) = path.parent().and_then(|p| p.strip_prefix(input).ok()) {
                rel = parent
                    .components()
                    .filter(|c| matches!(c, Component::Normal(_)))
                    .collect();
                if rel.file_name().is_some_and(|n| n == "videos") {
                    rel.pop();
                }
            }
            found.jobs.push(VideoJob {
                source: path,
                name,
                base: out.join(rel),
            });
        }
    }
    let mut seen = std::collections::HashMap::new();
    for job in &found.jobs {
        if let Some(other) = seen.insert(job.frames_dir(), &job.source) {
            return Err(Error::Invalid(format!(
                "{} and {} would both be written to {}; prepare them into different output folders",
                other.display(),
                job.source.display(),
                job.frames_dir().display()
            )));
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirrors_deepfakebench_layout() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let v = root.join("manipulated_sequences/Deepfakes/c23/videos");
        std::fs::create_dir_all(&v).unwrap();
        std::fs::write(v.join("000_003.mp4"), b"").unwrap();
        std::fs::write(v.join("notes.txt"), b"").unwrap();
        std::fs::write(root.join("001.MP4"), b"").unwrap();
        let found = discover(&[root.to_owned()], Path::new("/out")).unwrap();
        assert_eq!(found.jobs.len(), 2);
        assert_eq!(
            found.jobs[0].frame_png(7),
            Path::new("/out/frames/001/007.png")
        );
        assert_eq!(
            found.jobs[1].landmarks_npy(123),
            Path::new("/out/manipulated_sequences/Deepfakes/c23/landmarks/000_003/123.npy")
        );
    }

    #[test]
    fn colliding_outputs_are_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a/x.mp4"), dir.path().join("b/x.mp4"));
        for p in [&a, &b] {
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, b"").unwrap();
        }
        let err = discover(&[a, b], Path::new("/out")).unwrap_err();
        assert!(err.to_string().contains("x.mp4"), "{err}");
    }
}
