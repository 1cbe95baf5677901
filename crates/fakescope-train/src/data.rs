//! What the training loop needs from a modality's data: batches of model inputs with labels,
//! for training (augmented, seeded) and for validation (fixed).
//!
//! [`crate::face::FaceData`] (face crops, self-blended or labelled) and
//! [`crate::speech::SpeechData`] (16 kHz windows of labelled clips) implement [`TrainData`];
//! the loop in [`crate::train`] knows nothing else about them.

use crate::Error;

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
}

/// A modality's training and validation data.
pub trait TrainData: Sync {
    /// Units one epoch goes through (the loop shuffles `0..train_len()` per epoch).
    fn train_len(&self) -> usize;
    /// Validation units available.
    fn val_len(&self) -> usize;
    /// Units one step takes for a batch of `batch_size` rows.
    fn units_per_step(&self, batch_size: usize) -> usize;
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
