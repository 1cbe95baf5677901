//! The training loop: batches, the optimiser step on burn's autodiff, validation, early
//! stopping, checkpoints and resume, the JSONL log and the progress bar.
//!
//! # Determinism
//!
//! Step `s` of a run depends only on the recipe, the data and the weights after step `s - 1`:
//! the units of a step come from the epoch's seeded permutation, every image's randomness from
//! (seed, epoch, unit, stream), and the model's own randomness (dropout, drop connect) from the
//! device's generator reseeded with (seed, step) before the step. A run resumed from a
//! checkpoint therefore goes on exactly as if it had not stopped, and the same seed and data
//! give the same weights on the same machine.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::grad_clipping::GradientClippingConfig;
use burn::optim::{
    AdamWConfig, GradientsParams, ModuleOptimizer, SgdConfig, decay::WeightDecayConfig,
    momentum::MomentumConfig,
};
use burn::tensor::{Device, Tensor, TensorData};
use fakescope_metrics::Trials;
use indicatif::{ProgressBar, ProgressStyle};
use rand::seq::SliceRandom;
use serde::Serialize;

use crate::Error;
use crate::checkpoint::{
    Checkpoints, MODEL_FILE, OPTIM_FILE, TrainState, Validation, read_state, write_atomically,
};
use crate::data::{Batch, TrainData};
use crate::net::Network;
use crate::recipe::{OptimizerKind, Recipe};
use crate::schedule::WarmupCosine;

/// Random stream of the epoch permutations.
const STREAM_ORDER: u64 = 0x006f_7264_6572;
/// Log the training loss every this many steps.
const LOG_EVERY: usize = 10;
/// Rows per forward pass at validation.
const VAL_BATCH: usize = 16;

/// How to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The run folder (checkpoints, log, the best model, the exported model).
    pub run_dir: PathBuf,
    /// Where the ImageNet backbones are (for `init = "imagenet"`).
    pub backbone: Option<PathBuf>,
    /// Start over even if the run folder has checkpoints of another recipe.
    pub restart: bool,
    /// No progress bar.
    pub quiet: bool,
    /// Stop (with a checkpoint) after this many steps of this invocation; the next one goes on
    /// from there. For working in bounded sessions, and for tests of resume.
    pub stop_after: Option<usize>,
}

/// What a finished (or early-stopped) run reached.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Steps done.
    pub steps: usize,
    /// The best validation.
    pub best: Option<Validation>,
    /// Whether early stopping ended it.
    pub stopped_early: bool,
    /// Whether the run is complete (all steps done, or stopped early); false after
    /// [`RunOptions::stop_after`].
    pub finished: bool,
    /// The run folder.
    pub run_dir: PathBuf,
}

/// One line of `log.jsonl`.
#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum LogLine {
    Train {
        step: usize,
        epoch: usize,
        loss: f64,
        lr: f64,
        images_per_s: f64,
    },
    Validation {
        step: usize,
        auc: f64,
        loss: f64,
        n: usize,
        best: bool,
    },
}

/// Trains the recipe's model on `data` in `opts.run_dir`, resuming from its last checkpoint.
///
/// `N` is the architecture ([`Network`]), `D` the modality's data ([`TrainData`]);
/// `fakescope train` picks both from the recipe's task and architecture.
pub fn train<N: Network, D: TrainData>(
    recipe: &Recipe,
    data: &D,
    opts: &RunOptions,
) -> Result<Summary, Error> {
    let run = &opts.run_dir;
    std::fs::create_dir_all(run).map_err(|e| Error::io(run, e))?;
    let digest = recipe.training_digest();
    let checkpoints = Checkpoints::new(run);
    let latest = checkpoints.latest()?;
    let resume = match latest {
        Some(dir) => {
            let state = read_state(&dir)?;
            if state.arch != recipe.model.arch {
                return Err(Error::Checkpoint {
                    path: dir,
                    message: format!(
                        "is a checkpoint of {}, the recipe trains {}",
                        state.arch, recipe.model.arch
                    ),
                });
            }
            if state.recipe_digest != digest && !opts.restart {
                return Err(Error::Checkpoint {
                    path: dir,
                    message: "was made with another recipe (a different model, data, \
                              augmentation or optimisation); use another --output, or \
                              --restart to start over in this folder"
                        .to_owned(),
                });
            }
            if state.recipe_digest == digest {
                Some((dir, state))
            } else {
                None
            }
        }
        None => None,
    };
    if resume.is_none() {
        for stale in ["checkpoints", "best"] {
            let p = run.join(stale);
            if p.exists() {
                std::fs::remove_dir_all(&p).map_err(|e| Error::io(&p, e))?;
            }
        }
    }
    let recipe_text = toml::to_string_pretty(recipe).map_err(|e| Error::Invalid(e.to_string()))?;
    crate::checkpoint::write_synced(&run.join("recipe.toml"), recipe_text.as_bytes())?;

    let device = Device::flex().autodiff();
    device.seed(recipe.seed);
    let mut model = N::init(recipe, opts.backbone.as_deref(), &device)?;
    let mut optim = build_optimizer(recipe);
    let mut state = TrainState {
        step: 0,
        arch: recipe.model.arch.clone(),
        recipe_digest: digest,
        best: None,
        since_best: 0,
        stopped_early: false,
        pending_loss: (0.0, 0),
    };
    if let Some((dir, saved)) = &resume {
        model = model
            .try_load_file(dir.join(MODEL_FILE))
            .map_err(|e| Error::Checkpoint {
                path: dir.clone(),
                message: format!("cannot load model.bpk: {e:?}"),
            })?;
        optim = optim
            .load(dir.join(OPTIM_FILE))
            .map_err(|e| Error::Checkpoint {
                path: dir.clone(),
                message: format!("cannot load optim.bpk: {e:?}"),
            })?;
        state = saved.clone();
    }
    let mut log = Log::open(&run.join("log.jsonl"), state.step)?;

    let per_step = data.units_per_step(recipe.optim.batch_size);
    let steps_per_epoch = (data.train_len() / per_step).max(1);
    let mut total = steps_per_epoch * recipe.optim.epochs;
    if recipe.optim.max_steps > 0 {
        total = total.min(recipe.optim.max_steps);
    }
    let schedule = WarmupCosine {
        peak: recipe.optim.lr,
        floor: recipe.optim.min_lr,
        warmup: recipe.optim.warmup_steps,
        total,
    };
    let bar = progress_bar(total, state.step, opts.quiet);
    if let Some((dir, _)) = &resume {
        bar.println(format!(
            "resuming from {} (step {} of {total})",
            dir.display(),
            state.step
        ));
    }
    let mut order_epoch = usize::MAX;
    let mut order: Vec<usize> = Vec::new();
    let (mut loss_sum, mut loss_n) = state.pending_loss;
    let mut since_log = Instant::now();
    let mut images_since_log = 0usize;
    let mut model_t = model.train();
    let stop_at = opts
        .stop_after
        .map_or(total, |n| state.step.saturating_add(n).min(total));
    while state.step < stop_at && !state.stopped_early {
        let step = state.step;
        let epoch = step / steps_per_epoch;
        if epoch != order_epoch {
            order = (0..data.train_len()).collect();
            let mut rng = fakescope_perturb::sample_rng(recipe.seed, &[epoch as u64, STREAM_ORDER]);
            order.shuffle(&mut rng);
            order_epoch = epoch;
        }
        let within = step % steps_per_epoch;
        let units = &order[within * per_step..(within + 1) * per_step];
        let batch = data.train_batch(units, recipe.seed, epoch as u64)?;
        device.seed(mix(recipe.seed, step as u64));
        let lr = schedule.at(step);
        let (next, loss) = train_step(model_t, &mut optim, &batch, lr, &device);
        model_t = next;
        if !loss.is_finite() {
            return Err(Error::Invalid(format!(
                "the loss became {loss} at step {step} (learning rate {lr:.2e}); lower optim.lr or set optim.clip_grad_norm"
            )));
        }
        loss_sum += loss;
        loss_n += 1;
        images_since_log += batch.n();
        state.step += 1;
        bar.set_position(state.step as u64);
        if state.step.is_multiple_of(LOG_EVERY) || state.step == total {
            let speed = images_since_log as f64 / since_log.elapsed().as_secs_f64().max(1e-9);
            let mean = loss_sum / loss_n.max(1) as f64;
            log.write(&LogLine::Train {
                step: state.step,
                epoch,
                loss: mean,
                lr,
                images_per_s: speed,
            })?;
            bar.set_message(status(mean, speed, state.best.as_ref()));
            loss_sum = 0.0;
            loss_n = 0;
            images_since_log = 0;
            since_log = Instant::now();
        }
        let validate_now =
            state.step.is_multiple_of(recipe.validation.every_steps) || state.step == total;
        if validate_now {
            let (v, scores) = validate(&model_t, data, recipe, state.step)?;
            let better = state.best.as_ref().is_none_or(|b| v.auc > b.auc);
            log.write(&LogLine::Validation {
                step: v.step,
                auc: v.auc,
                loss: v.loss,
                n: v.n,
                best: better,
            })?;
            if better {
                state.best = Some(v.clone());
                state.since_best = 0;
                save_best(run, &model_t, &state, &scores)?;
            } else {
                state.since_best += 1;
                if recipe.validation.patience > 0 && state.since_best >= recipe.validation.patience
                {
                    state.stopped_early = true;
                    bar.println(format!(
                        "early stop at step {}: {} validations without a better AUC",
                        state.step, state.since_best
                    ));
                }
            }
            bar.set_message(status(
                loss_sum / loss_n.max(1) as f64,
                0.0,
                state.best.as_ref(),
            ));
        }
        if state.step.is_multiple_of(recipe.checkpoint.every_steps)
            || state.step == total
            || state.step == stop_at
            || state.stopped_early
        {
            model_t.sync_running_stats();
            state.pending_loss = (loss_sum, loss_n);
            let snapshot = model_t.clone();
            checkpoints.save(&state, recipe.checkpoint.keep, |dir| {
                snapshot
                    .save_file(dir.join(MODEL_FILE))
                    .map_err(|e| Error::Invalid(format!("{}: {e:?}", dir.display())))?;
                optim
                    .save(dir.join(OPTIM_FILE))
                    .map_err(|e| Error::Invalid(format!("{}: {e:?}", dir.display())))
            })?;
        }
    }
    bar.finish_and_clear();
    Ok(Summary {
        steps: state.step,
        finished: state.step == total || state.stopped_early,
        best: state.best,
        stopped_early: state.stopped_early,
        run_dir: run.clone(),
    })
}

fn status(loss: f64, speed: f64, best: Option<&Validation>) -> String {
    let mut s = format!("loss {loss:.4}");
    if speed > 0.0 {
        s.push_str(&format!(" | {speed:.1} img/s"));
    }
    if let Some(b) = best {
        s.push_str(&format!(" | best val AUC {:.4} (step {})", b.auc, b.step));
    }
    s
}

fn progress_bar(total: usize, position: usize, quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{prefix:.bold} [{elapsed_precise}] {wide_bar} {pos}/{len} steps (eta {eta}) {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_prefix("train");
    bar.set_position(position as u64);
    bar
}

/// One optimiser step; returns the updated model and the batch's mean loss.
fn train_step<N: Network>(
    model: N,
    optim: &mut ModuleOptimizer,
    batch: &Batch,
    lr: f64,
    device: &Device,
) -> (N, f64) {
    let x = N::input(batch, device);
    let y = Tensor::<1>::from_data(TensorData::new(batch.labels.clone(), [batch.n()]), device);
    let logits = model.logits(x, true);
    let loss = bce_with_logits(logits, y);
    let value = loss
        .clone()
        .into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .map(|v| f64::from(v[0]))
        .unwrap_or(f64::NAN);
    let grads = loss.backward();
    let grads = GradientsParams::from_grads(grads, &model);
    (optim.step(lr, model, grads), value)
}

/// Mean binary cross-entropy of logits `z` against labels `y` (1 = fake), computed stably:
/// `max(z, 0) - z·y + log(1 + e^{-|z|})`.
pub fn bce_with_logits(z: Tensor<1>, y: Tensor<1>) -> Tensor<1> {
    let loss = z.clone().clamp_min(0.0) - z.clone() * y + z.abs().neg().exp().log1p();
    loss.mean()
}

/// Scores the validation units with the model in evaluation mode. Rows of one item (the
/// windows of one clip) are pooled as `scan` pools them, by the mean fake probability, and the
/// AUC is over items. Returns the validation and the per-row `(logit, is_fake)` pairs (what
/// the calibration is fitted on: the detector's raw output per input, as `scan` calibrates it).
fn validate<N: Network, D: TrainData>(
    model: &N,
    data: &D,
    recipe: &Recipe,
    step: usize,
) -> Result<(Validation, Vec<(f64, bool)>), Error> {
    let eval = model.valid();
    let device = Device::flex();
    let units = data.val_units(recipe.validation.max_units);
    let mut rows = Vec::new();
    let mut pooled: std::collections::BTreeMap<usize, (f64, usize, bool)> =
        std::collections::BTreeMap::new();
    let per_forward = data.val_units_per_batch(VAL_BATCH);
    let mut loss_sum = 0.0;
    for chunk in units.chunks(per_forward) {
        let batch = data.val_batch(chunk, recipe.seed)?;
        let logits = eval
            .logits(N::input(&batch, &device), false)
            .into_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
            .map_err(|e| Error::Invalid(format!("{e:?}")))?;
        for ((z, y), item) in logits.iter().zip(&batch.labels).zip(&batch.items) {
            let z = f64::from(*z);
            let y = f64::from(*y);
            loss_sum += z.max(0.0) - z * y + (-z.abs()).exp().ln_1p();
            rows.push((z, y > 0.5));
            let entry = pooled.entry(*item).or_insert((0.0, 0, y > 0.5));
            entry.0 += 1.0 / (1.0 + (-z).exp());
            entry.1 += 1;
        }
    }
    let n = pooled.len();
    let (scores, labels): (Vec<f64>, Vec<bool>) = pooled
        .values()
        .map(|&(sum, count, fake)| (sum / count.max(1) as f64, fake))
        .unzip();
    let trials =
        Trials::new(scores, labels).map_err(|e| Error::Invalid(format!("validation: {e}")))?;
    let auc = fakescope_metrics::roc::roc_auc(&trials.ranked())
        .map_err(|e| Error::Invalid(format!("validation: {e}")))?;
    Ok((
        Validation {
            step,
            auc,
            loss: loss_sum / rows.len().max(1) as f64,
            n,
        },
        rows,
    ))
}

fn save_best<N: Network>(
    run: &Path,
    model: &N,
    state: &TrainState,
    scores: &[(f64, bool)],
) -> Result<(), Error> {
    let best = run.join("best");
    let partial = run.join(".partial-best");
    model.sync_running_stats();
    let snapshot = model.clone();
    let json = serde_json::to_vec(scores).map_err(|e| Error::Invalid(e.to_string()))?;
    write_atomically(&partial, &best, state, |dir| {
        snapshot
            .save_file(dir.join(MODEL_FILE))
            .map_err(|e| Error::Invalid(format!("{}: {e:?}", dir.display())))?;
        crate::checkpoint::write_synced(&dir.join("val_scores.json"), &json)
    })
}

fn build_optimizer(recipe: &Recipe) -> ModuleOptimizer {
    let o = &recipe.optim;
    let clip =
        (o.clip_grad_norm > 0.0).then_some(GradientClippingConfig::Norm(o.clip_grad_norm as f32));
    match o.optimizer {
        OptimizerKind::Adamw => AdamWConfig::new()
            .with_weight_decay(o.weight_decay as f32)
            .with_epsilon(1e-8)
            .with_grad_clipping(clip)
            .init(),
        OptimizerKind::Sgd => SgdConfig::new()
            .with_momentum(Some(MomentumConfig::new().with_momentum(o.momentum)))
            .with_weight_decay(
                (o.weight_decay > 0.0).then(|| WeightDecayConfig::new(o.weight_decay as f32)),
            )
            .with_gradient_clipping(clip)
            .init(),
    }
}

/// splitmix64 of `seed` and `step`: the device generator's seed for a step.
fn mix(seed: u64, step: u64) -> u64 {
    let mut z = seed ^ step.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The JSONL log; on resume, lines after the checkpoint's step are dropped (they will be
/// written again).
struct Log {
    file: std::fs::File,
    path: PathBuf,
}

impl Log {
    fn open(path: &Path, resume_step: usize) -> Result<Log, Error> {
        let kept: Vec<String> = match std::fs::read_to_string(path) {
            Ok(text) => text
                .lines()
                .filter(|line| {
                    serde_json::from_str::<serde_json::Value>(line)
                        .ok()
                        .and_then(|v| v.get("step").and_then(|s| s.as_u64()))
                        .is_some_and(|s| s as usize <= resume_step)
                })
                .map(str::to_owned)
                .collect(),
            Err(_) => Vec::new(),
        };
        let mut text = kept.join("\n");
        if !text.is_empty() {
            text.push('\n');
        }
        crate::checkpoint::write_synced(path, text.as_bytes())?;
        let file = std::fs::OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        Ok(Log {
            file,
            path: path.to_owned(),
        })
    }

    fn write(&mut self, line: &LogLine) -> Result<(), Error> {
        let mut text = serde_json::to_string(line).map_err(|e| Error::Invalid(e.to_string()))?;
        text.push('\n');
        self.file
            .write_all(text.as_bytes())
            .map_err(|e| Error::io(&self.path, e))
    }
}
