//! Finding and loading the detectors the user asked for.

use anyhow::{Context, Result, bail};
use fakescope_models::AudioDetector;
use fakescope_registry::{Manifest, Resolver, Status};

use crate::cli::GlobalArgs;

/// Loads the named audio detectors, their weights located through `--models-dir`,
/// `$FAKESCOPE_MODELS` and the user cache.
pub fn load_audio(global: &GlobalArgs, names: &[String]) -> Result<Vec<Box<dyn AudioDetector>>> {
    let manifest = Manifest::builtin();
    let resolver = Resolver::from_env(global.models_dir.clone());
    // burn-flex: the pure-Rust CPU backend (a GPU backend will be a cargo feature).
    let device = burn::prelude::Device::flex();
    let mut seen = Vec::new();
    let mut detectors = Vec::with_capacity(names.len());
    for name in names {
        if seen.contains(name) {
            continue;
        }
        seen.push(name.clone());
        let entry = manifest.get(name)?;
        if entry.status() != Status::Supported {
            bail!(
                "model `{name}` is in the manifest but no scan uses it yet (status: {})",
                entry.status()
            );
        }
        let located = resolver.locate_entry(entry)?;
        let detector = fakescope_models::load_audio_detector(name, located.first_path(), &device)
            .with_context(|| format!("cannot load detector `{name}`"))?;
        detectors.push(detector);
    }
    Ok(detectors)
}
