//! Finding and loading the detectors the user asked for.

use anyhow::{Context, Result, bail};
use fakescope_models::{AudioDetector, FaceDetector, ImageDetector};
use fakescope_registry::{Manifest, Resolver, Role, Status};
use fakescope_scan::faces::{CropKind, FaceFinder, MtcnnFinder};

use crate::cli::GlobalArgs;

/// The detectors of a scan, by modality.
pub struct Loaded {
    /// Audio detectors.
    pub audio: Vec<Box<dyn AudioDetector>>,
    /// Face-forgery detectors.
    pub face: Vec<Box<dyn FaceDetector>>,
    /// Whole-image detectors.
    pub image: Vec<Box<dyn ImageDetector>>,
}

/// Loads the named detectors (audio or face), their weights located through `--models-dir`,
/// `$FAKESCOPE_MODELS` and the user cache. A name that is a folder holding `model.toml` is a
/// model trained by `fakescope train`; the models fakescope ships are built in and load by name.
///
/// With `optional`, a detector whose model files are not installed is skipped with a warning
/// (used for the default set) as long as at least one detector loads.
pub fn load(global: &GlobalArgs, names: &[String], optional: bool) -> Result<Loaded> {
    let manifest = Manifest::builtin();
    let resolver = Resolver::from_env(global.models_dir.clone());
    // burn-flex: the pure-Rust CPU backend (a GPU backend will be a cargo feature).
    let device = burn::prelude::Device::flex();
    let mut seen: Vec<&String> = Vec::new();
    let mut loaded = Loaded {
        audio: Vec::new(),
        face: Vec::new(),
        image: Vec::new(),
    };
    let mut skipped = Vec::new();
    for name in names {
        if seen.contains(&name) {
            continue;
        }
        seen.push(name);
        let folder = std::path::Path::new(name);
        let trained = if fakescope_models::trained::is_model_dir(folder) {
            // A model folder written by `fakescope train` (model.toml + weights).
            Some(
                fakescope_models::trained::Trained::load(folder, &device)
                    .with_context(|| format!("cannot load the model folder {name}"))?,
            )
        } else if let Some(bundled) = fakescope_models::trained::find_bundled(name) {
            // A model fakescope trained and ships inside the binary.
            Some(
                fakescope_models::trained::Trained::load_bundled(bundled, &device)
                    .with_context(|| format!("cannot load the built-in model {name}"))?,
            )
        } else {
            None
        };
        match trained {
            Some(fakescope_models::trained::Trained::Face(m)) => {
                loaded.face.push(m);
                continue;
            }
            Some(fakescope_models::trained::Trained::Audio(m)) => {
                loaded.audio.push(m);
                continue;
            }
            Some(fakescope_models::trained::Trained::Image(m)) => {
                loaded.image.push(m);
                continue;
            }
            None => {}
        }
        let entry = manifest.get(name)?;
        if entry.role() == Role::Backbone {
            bail!(
                "`{name}` is not a detector: it is a backbone ({}); train a detector from it with \
                 `fakescope train` (recipe `arch = \"{name}\"`) and scan the model folder it writes",
                entry.role().summary()
            );
        }
        if entry.status() != Status::Supported {
            bail!(
                "model `{name}` is in the manifest but no scan uses it yet (status: {})",
                entry.status()
            );
        }
        let located = match resolver.locate_entry(entry) {
            Ok(l) => l,
            Err(e) if optional => {
                skipped.push((name.clone(), e));
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let path = located.first_path();
        if fakescope_models::audio_detector_names().any(|n| n == name) {
            loaded.audio.push(
                fakescope_models::load_audio_detector(name, path, &device)
                    .with_context(|| format!("cannot load detector `{name}`"))?,
            );
        } else if fakescope_models::face_detector_names().any(|n| n == name) {
            loaded.face.push(
                fakescope_models::load_face_detector(name, path, &device)
                    .with_context(|| format!("cannot load detector `{name}`"))?,
            );
        } else {
            bail!(
                "`{name}` is a model but not a detector (e.g. mtcnn finds faces; it is loaded when face detectors run)"
            );
        }
    }
    if loaded.audio.is_empty() && loaded.face.is_empty() && loaded.image.is_empty() {
        if let Some((_, e)) = skipped.into_iter().next() {
            return Err(e.into());
        }
        bail!("no detector selected");
    }
    if !global.quiet {
        for (name, _) in &skipped {
            eprintln!(
                "fakescope: note: default detector `{name}` is not installed; skipped (`fakescope models pull {name}`)"
            );
        }
    }
    Ok(loaded)
}

/// Loads MTCNN from the model store; `why` starts the error when it is not installed.
pub fn load_mtcnn(global: &GlobalArgs, why: &str) -> Result<fakescope_faces::Mtcnn> {
    let manifest = Manifest::builtin();
    let resolver = Resolver::from_env(global.models_dir.clone());
    let located = resolver
        .locate_entry(manifest.get("mtcnn")?)
        .with_context(|| format!("{why} (`fakescope models pull mtcnn`)"))?;
    let file = |name: &str| {
        located
            .path(&format!("mtcnn/{name}.pt"))
            .with_context(|| format!("the mtcnn model has no {name}.pt"))
    };
    fakescope_faces::Mtcnn::load_files(file("pnet")?, file("rnet")?, file("onet")?)
        .context("cannot load mtcnn")
}

/// Loads MTCNN, the face finder, with the crop method.
pub fn face_finder(global: &GlobalArgs, crop: CropKind) -> Result<Box<dyn FaceFinder>> {
    let mtcnn = load_mtcnn(
        global,
        "face detection needs the mtcnn model (or --crops for pre-cropped faces)",
    )?;
    Ok(Box::new(MtcnnFinder::new(mtcnn, crop)))
}
