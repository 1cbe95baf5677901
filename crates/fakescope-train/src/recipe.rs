//! Recipes: everything a training run depends on, in one TOML file.
//!
//! Unknown keys are errors (a misspelt option must not be silently ignored), and
//! [`Recipe::validate`] rejects impossible values, naming the key. Paths may use
//! `${VARIABLE}` (for example `${FAKESCOPE_CORPORA}`) and are relative to the recipe's folder.
//!
//! ```toml
//! name = "effnetlite0-sbi"
//! task = "face"
//! seed = 1
//!
//! [model]
//! arch = "efficientnet-lite0"
//! init = "imagenet"
//! input_size = 224
//!
//! [[data.sets]]
//! path = "${FAKESCOPE_CORPORA}/images/manifest.csv"
//! sources = ["utkface_crop_part1"]
//!
//! [data]
//! synthesize = "sbi"
//!
//! [optim]
//! optimizer = "adamw"
//! lr = 0.0005
//! batch_size = 16
//! epochs = 4
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use fakescope_faces::sbi::SbiConfig;
use fakescope_perturb::Augment;
use serde::{Deserialize, Serialize};

use crate::Error;

/// A training recipe (the TOML file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipe {
    /// The model's name (the detector name it will have, e.g. `effnetlite0-sbi`).
    pub name: String,
    /// One line saying what the model is for.
    #[serde(default)]
    pub description: String,
    /// What the model looks at.
    pub task: TaskKind,
    /// Seed of every random choice (initialisation, order, augmentation, synthesis).
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// The architecture and its initialisation.
    pub model: ModelSection,
    /// Training and validation data.
    pub data: DataSection,
    /// On-the-fly augmentation, applied to both classes alike.
    #[serde(default)]
    pub augment: Augment,
    /// Self-blended images (with `data.synthesize = "sbi"`).
    #[serde(default)]
    pub sbi: SbiConfig,
    /// Speech windows and their augmentation (`task = "speech"` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio: Option<AudioSection>,
    /// Whole-image crops (`task = "image"` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageSection>,
    /// Optimiser, schedule, batch size, length.
    pub optim: OptimSection,
    /// Validation (model selection and early stopping).
    #[serde(default)]
    pub validation: ValidationSection,
    /// Checkpoints.
    #[serde(default)]
    pub checkpoint: CheckpointSection,
    /// What the model card says about the data (sources, licences, restrictions).
    #[serde(default)]
    pub card: CardSection,
}

fn default_seed() -> u64 {
    1
}

/// The kind of input a model learns from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// Face crops (images), scored by the face contract.
    Face,
    /// Speech (16 kHz mono windows), scored by the audio contract.
    Speech,
    /// Whole images in crops at native resolution (AI-generated images), scored by the
    /// whole-image contract.
    Image,
}

/// `[image]`: how whole images become training and validation crops (`task = "image"`).
/// The crop side is `model.input_size`; images are never resized to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageSection {
    /// What the network sees of a crop: `rgb` or `npr` (the neighbouring-pixel residual).
    #[serde(default)]
    pub input: fakescope_models::whole_image::InputTransform,
    /// Before cropping, the whole image is resized by a factor drawn from `scale` with
    /// probability `p` (both classes alike), so that the model meets images at other scales
    /// than the generators' native ones.
    #[serde(default)]
    pub rescale: Rescale,
    /// At validation, at most this many crops per image (the grid `scan` uses), pooled by
    /// their mean fake probability.
    #[serde(default = "default_val_crops")]
    pub val_crops: usize,
    /// How strongly sources are balanced within a class: an image is drawn with weight
    /// `1 / (images of its source)^source_balance` (0, the default: every image alike; 1:
    /// every source alike).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub source_balance: f64,
}

fn is_zero(v: &f64) -> bool {
    *v == 0.0
}

/// A random resize of the whole image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rescale {
    /// Probability of resizing.
    pub p: f32,
    /// Range of the factor (uniform), in (0, 2].
    pub scale: [f32; 2],
}

impl Default for Rescale {
    fn default() -> Rescale {
        Rescale {
            p: 0.0,
            scale: [0.5, 1.0],
        }
    }
}

fn default_val_crops() -> usize {
    9
}

/// `[audio]`: how speech clips become training and validation windows (`task = "speech"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AudioSection {
    /// Window length in seconds (the model's input; `scan` cuts recordings into windows of
    /// this length).
    #[serde(default = "default_window_s")]
    pub window_s: f64,
    /// Leading and trailing silence is trimmed from every clip, both classes alike: frames of
    /// 10 ms quieter than this many dB below the clip's loudest frame. 0 turns trimming off.
    #[serde(default = "default_trim_db")]
    pub trim_db: f64,
    /// How strongly sources are balanced within a class: a clip is drawn with weight
    /// `1 / (clips of its source)^source_balance` (0: every clip alike; 1: every source alike).
    #[serde(default = "default_source_balance")]
    pub source_balance: f64,
    /// At validation, at most this many windows per clip (spread over the clip as `scan`
    /// spreads them), pooled by their mean fake probability.
    #[serde(default = "default_val_windows")]
    pub val_windows: usize,
    /// Clips with less than this many seconds of sound after trimming are left out of both
    /// splits, and the run says how many (0, the default: every clip is kept, and one shorter
    /// than a window is tiled as `scan` tiles it). A tiled clip repeats itself every fraction
    /// of a second, which no long recording does: when most short clips belong to one class
    /// (digits and letters read by real speakers), the model can learn the repetition instead
    /// of the voice.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub min_duration_s: f64,
    /// The augmentation, applied to both classes alike.
    #[serde(default)]
    pub augment: fakescope_perturb::audio::AudioAugment,
}

fn default_window_s() -> f64 {
    4.0
}
fn default_trim_db() -> f64 {
    40.0
}
fn default_source_balance() -> f64 {
    0.5
}
fn default_val_windows() -> usize {
    4
}

/// `[model]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSection {
    /// Architecture (`efficientnet-lite0`, `efficientnet-lite2`).
    pub arch: String,
    /// `imagenet` (the published backbone of the architecture), `none` (random), or a path to
    /// weights with the architecture's keys.
    #[serde(default = "default_init")]
    pub init: String,
    /// Side of the square input in pixels (images; unused for speech).
    #[serde(default)]
    pub input_size: usize,
}

fn default_init() -> String {
    "imagenet".to_owned()
}

/// `[data]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataSection {
    /// The labelled sets (folders, CSV/JSONL manifests, DeepfakeBench JSON).
    pub sets: Vec<DataSet>,
    /// Fakes made on the fly from the real training faces (`sbi`), or `none`: the fakes are
    /// those of the sets.
    #[serde(default)]
    pub synthesize: Synthesize,
    /// Draw as many real as fake samples per batch (ignored with `synthesize = "sbi"`, where
    /// every real face comes with its own fake).
    #[serde(default = "yes")]
    pub balance_classes: bool,
}

fn yes() -> bool {
    true
}

/// How fakes are obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Synthesize {
    /// The sets' own fakes.
    #[default]
    None,
    /// Self-blended images from the real faces (Shiohara & Yamasaki, CVPR 2022).
    Sbi,
}

/// One `[[data.sets]]` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataSet {
    /// A folder (`real/`, `fake/`), a CSV or JSONL manifest, or a DeepfakeBench JSON.
    pub path: String,
    /// Keep only these sources (manifest column `source`); all when empty.
    #[serde(default)]
    pub sources: Vec<String>,
    /// Where the splits come from.
    #[serde(default)]
    pub split: SplitSpec,
}

/// How a set is split into train / val.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum SplitSpec {
    /// The manifest's `split` column.
    #[default]
    Manifest,
    /// Hash a key (`group`, `video`, `source`, `path`) so that no key is in two splits.
    ByKey {
        /// The key.
        key: String,
        /// Fraction of keys in val.
        val_fraction: f64,
        /// Salt of the hash.
        #[serde(default = "default_salt")]
        salt: String,
    },
}

fn default_salt() -> String {
    "fakescope-train".to_owned()
}

/// `[optim]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptimSection {
    /// `adamw` or `sgd` (with momentum).
    pub optimizer: OptimizerKind,
    /// Peak learning rate.
    pub lr: f64,
    /// Decoupled weight decay (AdamW) or L2 (SGD).
    #[serde(default = "default_weight_decay")]
    pub weight_decay: f64,
    /// SGD momentum.
    #[serde(default = "default_momentum")]
    pub momentum: f64,
    /// Images per step (with SBI: half real faces, half their self-blends).
    pub batch_size: usize,
    /// Passes over the training units.
    pub epochs: usize,
    /// Stop after this many steps even if epochs remain (0: no limit).
    #[serde(default)]
    pub max_steps: usize,
    /// Linear warm-up steps, then cosine decay to `min_lr`.
    #[serde(default)]
    pub warmup_steps: usize,
    /// Learning rate at the end of the cosine.
    #[serde(default)]
    pub min_lr: f64,
    /// Clip the global gradient norm to this value (0: off).
    #[serde(default)]
    pub clip_grad_norm: f64,
}

fn default_weight_decay() -> f64 {
    1e-4
}

fn default_momentum() -> f64 {
    0.9
}

/// The optimisers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OptimizerKind {
    /// AdamW (Loshchilov & Hutter).
    Adamw,
    /// SGD with momentum.
    Sgd,
}

/// `[validation]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidationSection {
    /// Validate every this many steps (and at the end).
    pub every_steps: usize,
    /// Use at most this many validation units (0: all); the same ones every time.
    pub max_units: usize,
    /// Stop after this many validations without a better AUC (0: never).
    pub patience: usize,
}

impl Default for ValidationSection {
    fn default() -> Self {
        ValidationSection {
            every_steps: 500,
            max_units: 0,
            patience: 0,
        }
    }
}

/// `[checkpoint]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointSection {
    /// Write a checkpoint every this many steps.
    pub every_steps: usize,
    /// Keep this many recent checkpoints (the best model is kept apart).
    pub keep: usize,
}

impl Default for CheckpointSection {
    fn default() -> Self {
        CheckpointSection {
            every_steps: 100,
            keep: 2,
        }
    }
}

/// `[card]`: what the model card says about the training data.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardSection {
    /// Each data source: name, where it comes from, its licence as stated.
    #[serde(default)]
    pub data: Vec<CardSource>,
    /// The restriction on use that follows from the data's terms.
    #[serde(default)]
    pub restriction: String,
    /// Free text: intended use, limits.
    #[serde(default)]
    pub notes: String,
}

/// One data source of the card.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardSource {
    /// Name (e.g. `UTKFace crop_part1`).
    pub name: String,
    /// Where it comes from (repository and commit, URL).
    pub origin: String,
    /// Its licence or terms, as stated.
    pub licence: String,
}

/// Common fields the command line may override.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--seed`.
    pub seed: Option<u64>,
    /// `--epochs`.
    pub epochs: Option<usize>,
    /// `--max-steps`.
    pub max_steps: Option<usize>,
    /// `--batch-size`.
    pub batch_size: Option<usize>,
    /// `--lr`.
    pub lr: Option<f64>,
    /// `--input-size`.
    pub input_size: Option<usize>,
    /// `--validate-every`.
    pub validate_every: Option<usize>,
    /// `--checkpoint-every`.
    pub checkpoint_every: Option<usize>,
}

impl Recipe {
    /// Reads, parses and validates the recipe at `path`.
    pub fn load(path: &Path) -> Result<Recipe, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Recipe::parse(&text, path)
    }

    /// Parses and validates a recipe's text (`path` names it in errors).
    pub fn parse(text: &str, path: &Path) -> Result<Recipe, Error> {
        let recipe: Recipe = toml::from_str(text).map_err(|e| Error::Recipe {
            path: path.to_owned(),
            message: e.to_string().trim_end().to_owned(),
        })?;
        recipe.validate().map_err(|message| Error::Recipe {
            path: path.to_owned(),
            message,
        })?;
        Ok(recipe)
    }

    /// Applies command-line overrides, then validates again.
    pub fn apply(&mut self, o: &Overrides) -> Result<(), Error> {
        if let Some(v) = o.seed {
            self.seed = v;
        }
        if let Some(v) = o.epochs {
            self.optim.epochs = v;
        }
        if let Some(v) = o.max_steps {
            self.optim.max_steps = v;
        }
        if let Some(v) = o.batch_size {
            self.optim.batch_size = v;
        }
        if let Some(v) = o.lr {
            self.optim.lr = v;
        }
        if let Some(v) = o.input_size {
            self.model.input_size = v;
        }
        if let Some(v) = o.validate_every {
            self.validation.every_steps = v;
        }
        if let Some(v) = o.checkpoint_every {
            self.checkpoint.every_steps = v;
        }
        self.validate().map_err(|message| Error::Recipe {
            path: PathBuf::from("<command line>"),
            message,
        })
    }

    /// Checks every value; the message names the key.
    pub fn validate(&self) -> Result<(), String> {
        let bad = |key: &str, why: String| Err(format!("{key}: {why}"));
        if self.name.trim().is_empty()
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return bad(
                "name",
                format!("{:?} must be letters, digits, - or _", self.name),
            );
        }
        match self.task {
            TaskKind::Face => {
                if fakescope_models::efficientnet_lite::Variant::from_name(&self.model.arch)
                    .is_none()
                {
                    return bad(
                        "model.arch",
                        format!(
                            "unknown face architecture {:?} (known: efficientnet-lite0, efficientnet-lite2)",
                            self.model.arch
                        ),
                    );
                }
                if !(32..=1024).contains(&self.model.input_size) {
                    return bad(
                        "model.input_size",
                        format!("{} is outside 32..=1024", self.model.input_size),
                    );
                }
                if self.audio.is_some() {
                    return bad("audio", "is for task = \"speech\"".to_owned());
                }
                if self.image.is_some() {
                    return bad("image", "is for task = \"image\"".to_owned());
                }
            }
            TaskKind::Image => {
                if fakescope_models::efficientnet_lite::Variant::from_name(&self.model.arch)
                    .is_none()
                {
                    return bad(
                        "model.arch",
                        format!(
                            "unknown image architecture {:?} (known: efficientnet-lite0, efficientnet-lite2)",
                            self.model.arch
                        ),
                    );
                }
                if !(32..=1024).contains(&self.model.input_size) {
                    return bad(
                        "model.input_size",
                        format!("{} is outside 32..=1024", self.model.input_size),
                    );
                }
                if self.data.synthesize != Synthesize::None {
                    return bad("data.synthesize", "SBI is for faces".to_owned());
                }
                if self.audio.is_some() {
                    return bad("audio", "is for task = \"speech\"".to_owned());
                }
                let i = self.image();
                let [lo, hi] = i.rescale.scale;
                if !(i.rescale.p.is_finite() && (0.0..=1.0).contains(&i.rescale.p)) {
                    return bad(
                        "image.rescale.p",
                        format!("{} is outside [0, 1]", i.rescale.p),
                    );
                }
                if !(lo.is_finite() && hi.is_finite() && lo > 0.0 && lo <= hi && hi <= 2.0) {
                    return bad(
                        "image.rescale.scale",
                        format!("[{lo}, {hi}] is not an increasing range in (0, 2]"),
                    );
                }
                if !(i.source_balance.is_finite() && (0.0..=1.0).contains(&i.source_balance)) {
                    return bad(
                        "image.source_balance",
                        format!("{} is outside [0, 1]", i.source_balance),
                    );
                }
                if !(1..=64).contains(&i.val_crops) {
                    return bad(
                        "image.val_crops",
                        format!("{} is outside 1..=64", i.val_crops),
                    );
                }
            }
            TaskKind::Speech => {
                if self.model.arch != "lcnn" {
                    return bad(
                        "model.arch",
                        format!(
                            "unknown speech architecture {:?} (known: lcnn)",
                            self.model.arch
                        ),
                    );
                }
                if self.data.synthesize != Synthesize::None {
                    return bad("data.synthesize", "SBI is for faces".to_owned());
                }
                if self.image.is_some() {
                    return bad("image", "is for task = \"image\"".to_owned());
                }
                if self.augment != Augment::default() {
                    return bad(
                        "augment",
                        "is image augmentation; speech augmentation goes in [audio.augment]"
                            .to_owned(),
                    );
                }
                let a = self.audio();
                if !(a.window_s.is_finite() && (0.5..=30.0).contains(&a.window_s)) {
                    return bad(
                        "audio.window_s",
                        format!("{} is outside 0.5..=30", a.window_s),
                    );
                }
                if !(a.trim_db.is_finite() && (0.0..=120.0).contains(&a.trim_db)) {
                    return bad("audio.trim_db", format!("{} is outside 0..=120", a.trim_db));
                }
                if !(a.source_balance.is_finite() && (0.0..=1.0).contains(&a.source_balance)) {
                    return bad(
                        "audio.source_balance",
                        format!("{} is outside [0, 1]", a.source_balance),
                    );
                }
                if a.val_windows == 0 {
                    return bad("audio.val_windows", "must be at least 1".to_owned());
                }
                if !(a.min_duration_s.is_finite() && (0.0..=60.0).contains(&a.min_duration_s)) {
                    return bad(
                        "audio.min_duration_s",
                        format!("{} is outside 0..=60", a.min_duration_s),
                    );
                }
                a.augment.validate().map_err(|e| e.to_string())?;
            }
        }
        if self.data.sets.is_empty() {
            return bad("data.sets", "no data set given".to_owned());
        }
        if let Some(set) = self.data.sets.iter().find(|s| s.path.trim().is_empty()) {
            return bad("data.sets.path", format!("empty path in {set:?}"));
        }
        for set in &self.data.sets {
            if let SplitSpec::ByKey {
                key, val_fraction, ..
            } = &set.split
            {
                if !["group", "video", "source", "path"].contains(&key.as_str()) {
                    return bad(
                        "data.sets.split.by_key.key",
                        format!("{key:?} is not one of group, video, source, path"),
                    );
                }
                if !(*val_fraction > 0.0 && *val_fraction < 1.0) {
                    return bad(
                        "data.sets.split.by_key.val_fraction",
                        format!("{val_fraction} is not in (0, 1)"),
                    );
                }
            }
        }
        let o = &self.optim;
        if !(o.lr.is_finite() && o.lr > 0.0 && o.lr < 10.0) {
            return bad("optim.lr", format!("{} is not in (0, 10)", o.lr));
        }
        if !(o.min_lr.is_finite() && o.min_lr >= 0.0 && o.min_lr <= o.lr) {
            return bad("optim.min_lr", format!("{} is not in [0, lr]", o.min_lr));
        }
        if !(o.weight_decay.is_finite() && (0.0..1.0).contains(&o.weight_decay)) {
            return bad(
                "optim.weight_decay",
                format!("{} is not in [0, 1)", o.weight_decay),
            );
        }
        if !(o.momentum.is_finite() && (0.0..1.0).contains(&o.momentum)) {
            return bad("optim.momentum", format!("{} is not in [0, 1)", o.momentum));
        }
        if o.batch_size < 2 || o.batch_size > 4096 {
            return bad(
                "optim.batch_size",
                format!("{} is outside 2..=4096", o.batch_size),
            );
        }
        if self.data.synthesize == Synthesize::Sbi && !o.batch_size.is_multiple_of(2) {
            return bad(
                "optim.batch_size",
                format!(
                    "{} must be even with SBI (each real face comes with its self-blend)",
                    o.batch_size
                ),
            );
        }
        if o.epochs == 0 {
            return bad("optim.epochs", "must be at least 1".to_owned());
        }
        if !(o.clip_grad_norm.is_finite() && o.clip_grad_norm >= 0.0) {
            return bad(
                "optim.clip_grad_norm",
                format!("{} must be >= 0", o.clip_grad_norm),
            );
        }
        if self.validation.every_steps == 0 {
            return bad("validation.every_steps", "must be at least 1".to_owned());
        }
        if self.checkpoint.every_steps == 0 {
            return bad("checkpoint.every_steps", "must be at least 1".to_owned());
        }
        if self.checkpoint.keep == 0 {
            return bad("checkpoint.keep", "must be at least 1".to_owned());
        }
        self.augment.validate().map_err(|e| e.to_string())?;
        self.sbi.validate().map_err(|e| e.to_string())?;
        Ok(())
    }

    /// The `[audio]` section, or its defaults.
    pub fn audio(&self) -> AudioSection {
        self.audio.clone().unwrap_or_else(|| AudioSection {
            window_s: default_window_s(),
            trim_db: default_trim_db(),
            source_balance: default_source_balance(),
            val_windows: default_val_windows(),
            min_duration_s: 0.0,
            augment: Default::default(),
        })
    }

    /// The `[image]` section, or its defaults.
    pub fn image(&self) -> ImageSection {
        self.image.clone().unwrap_or_else(|| ImageSection {
            input: Default::default(),
            rescale: Rescale::default(),
            val_crops: default_val_crops(),
            source_balance: 0.0,
        })
    }

    /// `path` with `${VAR}` expanded, relative to `base` (the recipe's folder) unless absolute.
    pub fn resolve_path(path: &str, base: &Path) -> Result<PathBuf, Error> {
        fakescope_datasets::resolve_path(path, base).map_err(Error::Invalid)
    }

    /// A stable digest of the recipe (what a checkpoint was made with).
    pub fn digest(&self) -> String {
        use sha2::{Digest, Sha256};
        let text = toml::to_string(self).unwrap_or_default();
        let hash = Sha256::digest(text.as_bytes());
        hash.iter().take(8).map(|b| format!("{b:02x}")).collect()
    }

    /// The fields that may differ between a checkpoint and a resumed run without changing what
    /// is trained: none but validation and checkpoint cadence, and the card.
    pub fn training_digest(&self) -> String {
        let mut core = self.clone();
        core.validation = ValidationSection::default();
        core.checkpoint = CheckpointSection::default();
        core.card = CardSection::default();
        core.description = String::new();
        core.digest()
    }
}

/// Values of a recipe as a flat `key = value` map (for the card and the log).
pub fn flatten(recipe: &Recipe) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Ok(value) = toml::Value::try_from(recipe) {
        walk("", &value, &mut out);
    }
    out
}

fn walk(prefix: &str, value: &toml::Value, out: &mut BTreeMap<String, String>) {
    match value {
        toml::Value::Table(table) => {
            for (k, v) in table {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                walk(&key, v, out);
            }
        }
        other => {
            out.insert(prefix.to_owned(), other.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
name = "t"
task = "face"
[model]
arch = "efficientnet-lite0"
input_size = 64
[[data.sets]]
path = "faces"
[data]
synthesize = "sbi"
[optim]
optimizer = "adamw"
lr = 0.001
batch_size = 4
epochs = 1
"#;

    #[test]
    fn the_repository_recipes_are_valid() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../recipes");
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                Recipe::load(&path).unwrap_or_else(|e| panic!("{e}"));
                seen += 1;
            }
        }
        assert!(seen >= 4, "only {seen} recipes in {}", dir.display());
    }

    #[test]
    fn minimal_recipe_parses_with_defaults() {
        let r = Recipe::parse(MINIMAL, Path::new("r.toml")).unwrap();
        assert_eq!(r.seed, 1);
        assert_eq!(r.model.init, "imagenet");
        assert_eq!(r.checkpoint.every_steps, 100);
        assert_eq!(r.data.synthesize, Synthesize::Sbi);
    }

    #[test]
    fn unknown_keys_are_errors() {
        let text = MINIMAL.replace("lr = 0.001", "lr = 0.001\nlearning_rate = 0.1");
        let err = Recipe::parse(&text, Path::new("r.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("r.toml"), "{err}");
        assert!(err.contains("learning_rate"), "{err}");
    }

    #[test]
    fn impossible_values_name_the_key() {
        for (from, to, key) in [
            ("lr = 0.001", "lr = -1.0", "optim.lr"),
            ("batch_size = 4", "batch_size = 3", "optim.batch_size"),
            ("epochs = 1", "epochs = 0", "optim.epochs"),
            ("input_size = 64", "input_size = 8", "model.input_size"),
            (
                "arch = \"efficientnet-lite0\"",
                "arch = \"xception\"",
                "model.arch",
            ),
        ] {
            let text = MINIMAL.replace(from, to);
            let err = Recipe::parse(&text, Path::new("r.toml"))
                .unwrap_err()
                .to_string();
            assert!(err.contains(key), "{to}: {err}");
        }
    }

    #[test]
    fn digest_ignores_cadence_but_not_training() {
        let a = Recipe::parse(MINIMAL, Path::new("r.toml")).unwrap();
        let mut b = a.clone();
        b.validation.every_steps = 7;
        assert_eq!(a.training_digest(), b.training_digest());
        b.optim.lr = 0.002;
        assert_ne!(a.training_digest(), b.training_digest());
    }
}
