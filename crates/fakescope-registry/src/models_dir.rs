//! Where model files are looked for: `--models-dir`, then `FAKESCOPE_MODELS`, then the user cache.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::manifest::{Manifest, ModelEntry, ModelFile};

/// The environment variable naming a models directory (searched after `--models-dir`).
pub const MODELS_ENV: &str = "FAKESCOPE_MODELS";

/// One directory that may hold model files, and why it is searched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelsDir {
    path: PathBuf,
    origin: DirOrigin,
}

/// Why a directory is in the search path; shown in error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirOrigin {
    /// Given on the command line (`--models-dir`) or by the caller.
    Explicit,
    /// From the `FAKESCOPE_MODELS` environment variable.
    Env,
    /// The per-user cache: `$XDG_CACHE_HOME/fakescope/models` or `~/.cache/fakescope/models`
    /// on Linux (the platform's cache folder elsewhere).
    UserCache,
}

/// The ordered list of models directories, and the lookup of a model's files in them.
///
/// Each file is taken from the first directory that has it, so a partial `--models-dir`
/// falls back to the user cache for the rest. Pulls go to [`Resolver::primary`], the first
/// directory, so that what was pulled is what is found next.
#[derive(Debug, Clone)]
pub struct Resolver {
    dirs: Vec<ModelsDir>,
}

/// The files of one model, found on disk.
#[derive(Debug, Clone)]
pub struct LocatedModel {
    name: String,
    files: Vec<LocatedFile>,
}

/// One file of a located model.
#[derive(Debug, Clone)]
pub struct LocatedFile {
    /// The path relative to a models directory, as in the manifest.
    pub relative: String,
    /// Where it is on disk.
    pub path: PathBuf,
    /// The directory it was found in.
    pub dir: ModelsDir,
}

impl ModelsDir {
    /// A directory with the reason it is searched.
    pub fn new(path: impl Into<PathBuf>, origin: DirOrigin) -> Self {
        ModelsDir {
            path: path.into(),
            origin,
        }
    }
    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }
    /// Why it is searched.
    pub fn origin(&self) -> DirOrigin {
        self.origin
    }
}

impl fmt::Display for DirOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DirOrigin::Explicit => "--models-dir",
            DirOrigin::Env => "$FAKESCOPE_MODELS",
            DirOrigin::UserCache => "user cache",
        })
    }
}

/// The per-user models directory (`<cache dir>/fakescope/models`), if the platform has one.
pub fn user_cache_dir() -> Option<PathBuf> {
    dirs::cache_dir().map(|d| d.join("fakescope").join("models"))
}

impl Resolver {
    /// The search path from `explicit` (`--models-dir`), then `$FAKESCOPE_MODELS`, then
    /// [`user_cache_dir`]. Empty values are ignored.
    pub fn from_env(explicit: Option<PathBuf>) -> Self {
        Resolver::from_sources(explicit, std::env::var_os(MODELS_ENV), user_cache_dir())
    }

    /// The search path from given values, in the same order as [`Resolver::from_env`]
    /// (for callers and tests that must not read the process environment).
    pub fn from_sources(
        explicit: Option<PathBuf>,
        env: Option<OsString>,
        user_cache: Option<PathBuf>,
    ) -> Self {
        let candidates = [
            (explicit, DirOrigin::Explicit),
            (env.map(PathBuf::from), DirOrigin::Env),
            (user_cache, DirOrigin::UserCache),
        ];
        let dirs = candidates
            .into_iter()
            .filter_map(|(path, origin)| {
                let path = path.filter(|p| !p.as_os_str().is_empty())?;
                Some(ModelsDir::new(path, origin))
            })
            .collect();
        Resolver { dirs }
    }

    /// A resolver searching exactly these directories, in order.
    pub fn from_dirs(dirs: Vec<ModelsDir>) -> Self {
        Resolver { dirs }
    }

    /// The directories searched, in order.
    pub fn dirs(&self) -> &[ModelsDir] {
        &self.dirs
    }

    /// The first directory: where `fakescope models pull` writes.
    pub fn primary(&self) -> Result<&ModelsDir> {
        self.dirs.first().ok_or(Error::NoModelsDir)
    }

    /// Finds every file of the model `name` of `manifest`.
    ///
    /// Errors: [`Error::UnknownModel`] (listing the known names), [`Error::Missing`] (naming
    /// the file, every place looked and the pull command), or [`Error::WrongSize`] when the
    /// first file found has another size than the manifest's (checksums are left to
    /// [`crate::verify_model`], which reads the whole file).
    pub fn locate(&self, manifest: &Manifest, name: &str) -> Result<LocatedModel> {
        self.locate_entry(manifest.get(name)?)
    }

    /// [`Resolver::locate`] for an entry already looked up.
    pub fn locate_entry(&self, model: &ModelEntry) -> Result<LocatedModel> {
        let mut files = Vec::with_capacity(model.files().len());
        for file in model.files() {
            let Some((path, dir)) = self.find(file) else {
                return Err(Error::Missing {
                    model: model.name().to_owned(),
                    file: file.path().to_owned(),
                    looked: self.candidates(file).collect(),
                });
            };
            let actual = std::fs::metadata(&path)
                .map_err(|e| Error::io(&path, "read metadata of", e))?
                .len();
            if actual != file.size() {
                return Err(Error::WrongSize {
                    model: model.name().to_owned(),
                    path,
                    expected: file.size(),
                    actual,
                });
            }
            files.push(LocatedFile {
                relative: file.path().to_owned(),
                path,
                dir: dir.clone(),
            });
        }
        Ok(LocatedModel {
            name: model.name().to_owned(),
            files,
        })
    }

    /// The first existing regular file for `file`, and the directory it is in.
    pub(crate) fn find(&self, file: &ModelFile) -> Option<(PathBuf, &ModelsDir)> {
        self.dirs.iter().find_map(|dir| {
            let path = file.path_in(dir.path());
            path.is_file().then_some((path, dir))
        })
    }

    /// Every path `file` is looked for at, with its directory.
    fn candidates<'a>(
        &'a self,
        file: &'a ModelFile,
    ) -> impl Iterator<Item = (PathBuf, ModelsDir)> + 'a {
        self.dirs
            .iter()
            .map(|d| (file.path_in(d.path()), d.clone()))
    }
}

impl LocatedModel {
    /// The model's name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Its files, in manifest order.
    pub fn files(&self) -> &[LocatedFile] {
        &self.files
    }
    /// The on-disk path of the file whose manifest path is `relative` (e.g. `mtcnn/pnet.pt`).
    pub fn path(&self, relative: &str) -> Option<&Path> {
        self.files
            .iter()
            .find(|f| f.relative == relative)
            .map(|f| f.path.as_path())
    }
    /// The on-disk path of the model's first file: the weights of a one-file model.
    pub fn first_path(&self) -> &Path {
        // A manifest entry has at least one file, so a located model does too.
        self.files
            .first()
            .map_or(Path::new(""), |f| f.path.as_path())
    }
}
