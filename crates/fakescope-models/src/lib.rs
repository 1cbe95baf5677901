//! The detectors of fakescope: one file per architecture behind one [`Detector`] contract.
//!
//! INTERFACE STUB — the contract below is what `fakescope-scan` builds against; architectures
//! (starting with `aasist.rs`) are being written.
#![deny(missing_docs)]

/// What kind of media a detector looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Modality {
    /// Speech recordings, scored window by window.
    Audio,
}

/// What a detector takes as input.
#[derive(Debug, Clone, PartialEq)]
pub enum InputSpec {
    /// Mono waveform windows of exactly `samples` samples at `sample_rate` Hz, float in [-1, 1].
    /// Clips shorter than one window are tiled to length (as upstream AASIST does).
    AudioWindow {
        /// Sample rate in Hz.
        sample_rate: u32,
        /// Samples per window.
        samples: usize,
    },
}

/// How the upstream model's raw outputs turn into a fake probability (1 = fake/spoof).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScoreConvention {
    /// Two logits; the probability is the softmax of the two, taken at `fake_column`.
    /// AASIST: column 0 = spoof, column 1 = bona fide, so `fake_column = 0`.
    SoftmaxTwoClass {
        /// The column holding the fake/spoof logit.
        fake_column: usize,
    },
}

impl ScoreConvention {
    /// Converts one row of raw outputs to a fake probability.
    pub fn fake_probability(self, raw: &[f32]) -> f32 {
        match self {
            ScoreConvention::SoftmaxTwoClass { fake_column } => {
                let other = 1 - fake_column;
                // softmax of two logits = sigmoid of their difference; stable for any magnitude.
                let d = (raw[fake_column] - raw[other]) as f64;
                (1.0 / (1.0 + (-d).exp())) as f32
            }
        }
    }
}

/// Static description of a detector.
#[derive(Debug, Clone)]
pub struct DetectorInfo {
    /// Registry name, e.g. `aasist`.
    pub name: &'static str,
    /// What it looks at.
    pub modality: Modality,
    /// What it takes.
    pub input: InputSpec,
    /// How raw outputs map to a fake probability.
    pub convention: ScoreConvention,
}

/// Why a detector could not be built or run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading the weights failed.
    #[error(transparent)]
    Weights(#[from] fakescope_weights::Error),
    /// The input does not match the detector's [`InputSpec`].
    #[error("{detector}: {message}")]
    Input {
        /// Detector name.
        detector: &'static str,
        /// What is wrong.
        message: String,
    },
}

/// The contract every audio detector fulfils.
pub trait AudioDetector: Send + Sync {
    /// Name, modality, input and score convention.
    fn info(&self) -> &DetectorInfo;

    /// The upstream model's raw outputs, one row per window (AASIST: 2 logits).
    /// Every window has exactly the length the [`InputSpec`] asks for.
    fn raw_outputs(&self, windows: &[&[f32]]) -> Result<Vec<Vec<f32>>, Error>;

    /// Fake probability per window (1 = fake), converted with the detector's convention.
    fn fake_probability(&self, windows: &[&[f32]]) -> Result<Vec<f32>, Error> {
        let convention = self.info().convention;
        Ok(self
            .raw_outputs(windows)?
            .iter()
            .map(|row| convention.fake_probability(row))
            .collect())
    }
}
