//! What the training loop needs from a modality's data: batches of model inputs with labels,
//! for training (augmented, seeded) and for validation (fixed).
//!
//! [`crate::face::FaceData`] (face crops, self-blended or labelled),
//! [`crate::speech::SpeechData`] (16 kHz windows of labelled clips) and
//! [`crate::whole_image::ImageData`] (crops of whole images at native resolution) implement
//! [`TrainData`]; the loop in [`crate::train`] knows nothing else about them. They read the
//! recipe's sets with [`read_sets`].

use std::collections::BTreeMap;
use std::path::Path;

use fakescope_datasets::{OpenOptions, Sample, Split, SplitRule};
use rand::Rng;

use crate::Error;
use crate::recipe::{Recipe, SplitSpec};

/// A batch of model inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    /// `shape.iter().product()` values, row-major (faces: planar RGB in [0, 1]; speech: LFCC
    /// frames).
    pub values: Vec<f32>,
    /// `[n, channels, height, width]`.
    pub shape: [usize; 4],
    /// 1 = fake, one per row.
    pub labels: Vec<f32>,
    /// The validation item each row belongs to: rows of one item (the windows of one clip)
    /// are pooled into one score, as `scan` pools them. Training batches: one item per row.
    pub items: Vec<usize>,
}

impl Batch {
    /// Rows.
    pub fn n(&self) -> usize {
        self.shape[0]
    }

    /// A batch of `rows` (values of one row, label, item), each row of shape `row`
    /// (`[channels, height, width]`).
    pub fn from_rows(rows: Vec<(Vec<f32>, f32, usize)>, row: [usize; 3]) -> Batch {
        let n = rows.len();
        let mut values = Vec::with_capacity(n * row.iter().product::<usize>());
        let mut labels = Vec::with_capacity(n);
        let mut items = Vec::with_capacity(n);
        for (v, label, item) in rows {
            values.extend_from_slice(&v);
            labels.push(label);
            items.push(item);
        }
        Batch {
            values,
            shape: [n, row[0], row[1], row[2]],
            labels,
            items,
        }
    }
}

/// A modality's training and validation data.
pub trait TrainData: Sync {
    /// Units one epoch goes through (the loop shuffles `0..train_len()` per epoch).
    fn train_len(&self) -> usize;
    /// Validation units available.
    fn val_len(&self) -> usize;
    /// Units one step takes for a batch of `batch_size` rows (one row per unit unless a unit
    /// gives several, as a real face and its self-blend do).
    fn units_per_step(&self, batch_size: usize) -> usize {
        batch_size
    }
    /// The training batch of units `indices` in `epoch`: every random choice from (seed,
    /// epoch, unit), so a resumed run sees the same batch.
    fn train_batch(&self, indices: &[usize], seed: u64, epoch: u64) -> Result<Batch, Error>;
    /// The validation units, at most `max_units` (0: all), spread evenly over the split.
    fn val_units(&self, max_units: usize) -> Vec<usize> {
        let n = self.val_len();
        if max_units == 0 || max_units >= n {
            return (0..n).collect();
        }
        (0..max_units).map(|i| i * n / max_units).collect()
    }
    /// Units per validation batch for about `rows` rows.
    fn val_units_per_batch(&self, rows: usize) -> usize {
        self.units_per_step(rows).max(1)
    }
    /// The validation batch of units `indices`: no augmentation, the same every time. Rows
    /// carry their unit index in [`Batch::items`].
    fn val_batch(&self, indices: &[usize], seed: u64) -> Result<Batch, Error>;
    /// Notes for the log (what was left out and why).
    fn notes(&self) -> &[String];
}

/// Reads the recipe's `[[data.sets]]` (paths relative to `recipe_dir`, `${VAR}` expanded),
/// keeps the sources each set names, and gives every sample its split. With the manifest's
/// splits, rows of other splits than `train` and `val` (`test`, `heldout`) are dropped before
/// anything else: they are never opened, and their groups do not count in the leak check (a
/// speaker may be in val and in a held-out generator's clips without any leak into training).
/// Only training and validation samples are returned.
pub fn read_sets(
    recipe: &Recipe,
    recipe_dir: &Path,
    open: &OpenOptions,
) -> Result<Vec<Sample>, Error> {
    let mut samples: Vec<Sample> = Vec::new();
    for set in &recipe.data.sets {
        let path = Recipe::resolve_path(&set.path, recipe_dir)?;
        let mut ds = fakescope_datasets::open(&path, open)?;
        if !set.sources.is_empty() {
            ds = ds.filter(|s| {
                s.source
                    .as_ref()
                    .is_some_and(|src| set.sources.contains(src))
            });
            if ds.samples.is_empty() {
                return Err(Error::Invalid(format!(
                    "{}: no sample has a source among {:?}",
                    path.display(),
                    set.sources
                )));
            }
        }
        let rule = match &set.split {
            SplitSpec::Manifest => {
                ds = ds.filter(|s| !matches!(s.split, Some(Split::Test | Split::Heldout)));
                SplitRule::FromManifest
            }
            SplitSpec::ByKey {
                key,
                val_fraction,
                salt,
            } => SplitRule::ByKey {
                key: match key.as_str() {
                    "group" => fakescope_datasets::GroupKey::Group,
                    "video" => fakescope_datasets::GroupKey::Video,
                    "source" => fakescope_datasets::GroupKey::Source,
                    _ => fakescope_datasets::GroupKey::Path,
                },
                val_fraction: *val_fraction,
                test_fraction: 0.0,
                salt: salt.clone(),
            },
        };
        fakescope_datasets::assign_splits(&mut ds, &rule)?;
        samples.extend(
            ds.samples
                .into_iter()
                .filter(|s| matches!(s.split, Some(Split::Train | Split::Val))),
        );
    }
    Ok(samples)
}

/// Draws the training items of one class so that no source dominates: a source with weight
/// `items^(1 - balance)` (0: every item alike; 1: every source alike), then an item uniformly
/// within it. Most real material comes from a few sources, and a model must not learn "which
/// corpus".
#[derive(Debug, Clone, Default)]
pub struct SourceSampler {
    cumulative: Vec<f64>,
    items: Vec<Vec<usize>>,
}

impl SourceSampler {
    /// A sampler of `items`: (index, source) pairs.
    pub fn new<'a>(items: impl IntoIterator<Item = (usize, &'a str)>, balance: f64) -> Self {
        let mut by_source: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, source) in items {
            by_source.entry(source).or_default().push(i);
        }
        let mut total = 0.0;
        let mut cumulative = Vec::new();
        let mut groups = Vec::new();
        for (_, idx) in by_source {
            total += (idx.len() as f64).powf(1.0 - balance);
            cumulative.push(total);
            groups.push(idx);
        }
        SourceSampler {
            cumulative,
            items: groups,
        }
    }

    /// One item's index; `None` when there is none.
    pub fn draw(&self, rng: &mut impl Rng) -> Option<usize> {
        let total = *self.cumulative.last()?;
        let u = rng.random::<f64>() * total;
        let s = self
            .cumulative
            .partition_point(|&c| c <= u)
            .min(self.items.len() - 1);
        let group = &self.items[s];
        Some(group[rng.random_range(0..group.len())])
    }
}
