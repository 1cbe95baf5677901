//! LFCC-LCNN: linear-frequency cepstral coefficients computed in Rust, and a light CNN with
//! max-feature-map activations on them — the cheaper of fakescope's trainable speech
//! architectures.
//!
//! - Front end ([`Lfcc`]): pre-emphasis 0.97, 20 ms Hamming frames every 10 ms, a 512-point
//!   power spectrum, 20 triangular filters spaced linearly from 0 Hz to Nyquist, natural log,
//!   orthonormal DCT-II keeping 20 coefficients, then deltas and delta-deltas: 60 values per
//!   frame, as in the ASVspoof 2021 LFCC-LCNN baseline (Wang & Yamagishi, 2021).
//! - Network ([`Lcnn`]): the baseline's nine convolutions with max-feature-map (MFM: the
//!   channel-wise maximum of two halves; Wu et al., 2018), four 2×2 max-pools and batch norms.
//!   **Departures**, both for training on two CPU cores: every convolution has half the
//!   baseline's channels (16 to 32 after MFM instead of 32 to 64; at full width a training step
//!   of 32 four-second windows took 6 s here, 5.9 windows/s); and the baseline's two
//!   bidirectional LSTMs are replaced by mean and standard-deviation pooling of the frame
//!   features over time (an LSTM runs one frame after another, and pooling keeps the model
//!   independent of the window length).
//! - Output: one logit, higher = fake (fakescope's convention for the models it trains).
//!
//! Weights are keyed `input_bn.*`, `convs.{i}.weight|bias`, `bns.{i}.*`, `fc.weight|bias`.

use std::sync::Arc;

use burn::module::{Module, Param};
use burn::nn::{BatchNorm, BatchNormConfig, Dropout, DropoutConfig, Linear, LinearConfig};
use burn::tensor::module::{conv2d, max_pool2d};
use burn::tensor::ops::{ConvOptions, MaxPoolOptions};
use burn::tensor::{Device, Distribution, Tensor, TensorData};
use fakescope_nn::Params;
use fakescope_nn::layers::{load_batch_norm, load_linear};
use fakescope_weights::StateDict;
use realfft::{RealFftPlanner, RealToComplex};

use crate::Error;
use crate::state_dict::StateDictWriter;

/// Sample rate the front end expects.
pub const SAMPLE_RATE: u32 = 16_000;
/// Values per frame: 20 coefficients, their deltas and delta-deltas.
pub const FEATURES: usize = 60;

/// The LFCC front end (see the module docs). Cheap to build; holds the FFT plan, the window,
/// the filterbank and the DCT matrices.
#[derive(Clone)]
pub struct Lfcc {
    fft: Arc<dyn RealToComplex<f32>>,
    window: Vec<f32>,
    /// `[filters, bins]`
    filterbank: Vec<Vec<f32>>,
    /// `[coefficients, filters]`
    dct: Vec<Vec<f32>>,
}

const FRAME: usize = 320;
const HOP: usize = 160;
const FFT: usize = 512;
const FILTERS: usize = 20;
const COEFFICIENTS: usize = 20;
const PRE_EMPHASIS: f32 = 0.97;
/// Floor of the filterbank energies before the logarithm.
const ENERGY_FLOOR: f32 = 1e-10;

impl std::fmt::Debug for Lfcc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lfcc")
            .field("fft_len", &FFT)
            .finish_non_exhaustive()
    }
}

impl Default for Lfcc {
    fn default() -> Lfcc {
        Lfcc::new()
    }
}

impl Lfcc {
    /// The front end at 16 kHz.
    pub fn new() -> Lfcc {
        // periodic Hamming window (torch.hamming_window's default)
        let window = (0..FRAME)
            .map(|i| (0.54 - 0.46 * (std::f64::consts::TAU * i as f64 / FRAME as f64).cos()) as f32)
            .collect();
        let bins = FFT / 2 + 1;
        let nyquist = f64::from(SAMPLE_RATE) / 2.0;
        let edges: Vec<f64> = (0..FILTERS + 2)
            .map(|i| nyquist * i as f64 / (FILTERS + 1) as f64)
            .collect();
        let filterbank = (0..FILTERS)
            .map(|f| {
                let (lo, mid, hi) = (edges[f], edges[f + 1], edges[f + 2]);
                (0..bins)
                    .map(|b| {
                        let hz = b as f64 * f64::from(SAMPLE_RATE) / FFT as f64;
                        let w = if hz <= lo || hz >= hi {
                            0.0
                        } else if hz <= mid {
                            (hz - lo) / (mid - lo)
                        } else {
                            (hi - hz) / (hi - mid)
                        };
                        w as f32
                    })
                    .collect()
            })
            .collect();
        let dct = (0..COEFFICIENTS)
            .map(|k| {
                let scale = if k == 0 {
                    (1.0 / FILTERS as f64).sqrt()
                } else {
                    (2.0 / FILTERS as f64).sqrt()
                };
                (0..FILTERS)
                    .map(|n| {
                        let angle = std::f64::consts::PI * k as f64 * (2 * n + 1) as f64
                            / (2 * FILTERS) as f64;
                        (scale * angle.cos()) as f32
                    })
                    .collect()
            })
            .collect();
        Lfcc {
            fft: RealFftPlanner::<f32>::new().plan_fft_forward(FFT),
            window,
            filterbank,
            dct,
        }
    }

    /// Frames of a clip of `samples` samples (at least one).
    pub fn frames(samples: usize) -> usize {
        if samples <= FRAME {
            1
        } else {
            1 + (samples - FRAME) / HOP
        }
    }

    /// The features of `x` (16 kHz), row-major `[frames, 60]`. A clip shorter than one frame
    /// is zero-padded to it.
    pub fn features(&self, x: &[f32]) -> Vec<f32> {
        let frames = Lfcc::frames(x.len());
        let mut emphasised = Vec::with_capacity(x.len().max(FRAME));
        let mut prev = 0.0f32;
        for &v in x {
            emphasised.push(v - PRE_EMPHASIS * prev);
            prev = v;
        }
        emphasised.resize(emphasised.len().max(FRAME), 0.0);
        let fft = &self.fft;
        let mut input = fft.make_input_vec();
        let mut spectrum = fft.make_output_vec();
        let mut power = vec![0.0f32; FFT / 2 + 1];
        let mut cepstra = vec![0.0f32; frames * COEFFICIENTS];
        for t in 0..frames {
            let frame = &emphasised[t * HOP..t * HOP + FRAME];
            input.iter_mut().for_each(|v| *v = 0.0);
            for ((i, s), w) in input.iter_mut().zip(frame).zip(&self.window) {
                *i = s * w;
            }
            // Buffers are the plan's own: the transform cannot fail.
            let _ = fft.process(&mut input, &mut spectrum);
            for (p, c) in power.iter_mut().zip(&spectrum) {
                *p = c.norm_sqr();
            }
            let log_energy: Vec<f32> = self
                .filterbank
                .iter()
                .map(|f| {
                    let e: f32 = f.iter().zip(&power).map(|(w, p)| w * p).sum();
                    e.max(ENERGY_FLOOR).ln()
                })
                .collect();
            for (k, row) in self.dct.iter().enumerate() {
                cepstra[t * COEFFICIENTS + k] =
                    row.iter().zip(&log_energy).map(|(d, e)| d * e).sum();
            }
        }
        let deltas = delta(&cepstra, frames);
        let delta2 = delta(&deltas, frames);
        let mut out = vec![0.0f32; frames * FEATURES];
        for t in 0..frames {
            let row = &mut out[t * FEATURES..(t + 1) * FEATURES];
            let src = t * COEFFICIENTS..(t + 1) * COEFFICIENTS;
            row[..COEFFICIENTS].copy_from_slice(&cepstra[src.clone()]);
            row[COEFFICIENTS..2 * COEFFICIENTS].copy_from_slice(&deltas[src.clone()]);
            row[2 * COEFFICIENTS..].copy_from_slice(&delta2[src]);
        }
        out
    }
}

/// `(c[t+1] - c[t-1]) / 2` per coefficient, the edges repeated.
fn delta(c: &[f32], frames: usize) -> Vec<f32> {
    let mut d = vec![0.0f32; c.len()];
    for t in 0..frames {
        let prev = t.saturating_sub(1);
        let next = (t + 1).min(frames - 1);
        for k in 0..COEFFICIENTS {
            d[t * COEFFICIENTS + k] =
                (c[next * COEFFICIENTS + k] - c[prev * COEFFICIENTS + k]) / 2.0;
        }
    }
    d
}

/// One convolution of the stack: `(c_in, c_out before MFM, kernel, max-pool after, batch norm
/// after)`.
/// The baseline's layer pattern at half its widths (see the module docs).
const LAYERS: [(usize, usize, usize, bool, bool); 9] = [
    (1, 32, 5, true, false),
    (16, 32, 1, false, true),
    (16, 48, 3, true, true),
    (24, 48, 1, false, true),
    (24, 64, 3, true, false),
    (32, 64, 1, false, true),
    (32, 32, 3, false, true),
    (16, 32, 1, false, true),
    (16, 32, 3, true, false),
];
/// Channels after the last MFM.
const LAST_CHANNELS: usize = 16;
/// The frequency axis after four 2×2 pools: 60 → 30 → 15 → 7 → 3.
const LAST_BINS: usize = FEATURES / 2 / 2 / 2 / 2;
/// Per-frame features before pooling.
const FRAME_FEATURES: usize = LAST_CHANNELS * LAST_BINS;
const DROPOUT: f64 = 0.5;
const BN_EPSILON: f64 = 1e-5;

/// A convolution with bias (PyTorch layout `[c_out, c_in, k, k]`), "same" padding.
#[derive(Module, Debug)]
pub struct Conv {
    /// Weight.
    pub weight: Param<Tensor<4>>,
    /// Bias.
    pub bias: Param<Tensor<1>>,
}

impl Conv {
    fn new(c_in: usize, c_out: usize, k: usize, device: &Device) -> Conv {
        // Kaiming uniform with a = sqrt(5), PyTorch's default for Conv2d.
        let fan_in = (c_in * k * k) as f64;
        let bound = 1.0 / fan_in.sqrt();
        Conv {
            weight: Param::from_tensor(Tensor::random(
                [c_out, c_in, k, k],
                Distribution::Uniform(-bound, bound),
                device,
            )),
            bias: Param::from_tensor(Tensor::random(
                [c_out],
                Distribution::Uniform(-bound, bound),
                device,
            )),
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let [_, _, k, _] = self.weight.dims();
        let options = ConvOptions::new([1, 1], [k / 2, k / 2], [1, 1], 1);
        conv2d(x, self.weight.val(), Some(self.bias.val()), options)
    }
}

/// Max-feature-map: the element-wise maximum of the first and second half of the channels.
fn mfm(x: Tensor<4>) -> Tensor<4> {
    let mut halves = x.chunk(2, 1);
    let b = halves.pop();
    let a = halves.pop();
    match (a, b) {
        (Some(a), Some(b)) => a.max_pair(b),
        // chunk(2) of an even channel count always gives two halves
        (Some(a), None) | (None, Some(a)) => a,
        (None, None) => unreachable!("chunk returns at least one tensor"),
    }
}

/// The LCNN (see the module docs).
#[derive(Module, Debug)]
pub struct Lcnn {
    /// Batch norm of the input features (one channel: a global standardisation, learned).
    pub input_bn: BatchNorm,
    /// The nine convolutions.
    pub convs: Vec<Conv>,
    /// Batch norms after the convolutions that have one (in order).
    pub bns: Vec<BatchNorm>,
    /// Dropout before the output (training only).
    pub dropout: Dropout,
    /// Output: mean and standard deviation of the frame features → one logit.
    pub fc: Linear,
}

impl Lcnn {
    /// A freshly initialised model.
    pub fn new(device: &Device) -> Lcnn {
        let bn = |c| {
            BatchNormConfig::new(c)
                .with_epsilon(BN_EPSILON)
                .init(device)
        };
        Lcnn {
            input_bn: bn(1),
            convs: LAYERS
                .iter()
                .map(|&(c_in, c_out, k, _, _)| Conv::new(c_in, c_out, k, device))
                .collect(),
            bns: LAYERS
                .iter()
                .filter(|l| l.4)
                .map(|&(_, c_out, _, _, _)| bn(c_out / 2))
                .collect(),
            dropout: DropoutConfig::new(DROPOUT).init(),
            fc: LinearConfig::new(2 * FRAME_FEATURES, 1).init(device),
        }
    }

    /// The model from weights read (every tensor must be used).
    pub fn from_state_dict(state: StateDict, device: &Device) -> Result<Lcnn, Error> {
        let p = Params::new(state, device);
        let input_bn = load_batch_norm(&p.pp("input_bn"), 1)?;
        let mut convs = Vec::new();
        let mut bns = Vec::new();
        for (i, &(c_in, c_out, k, _, has_bn)) in LAYERS.iter().enumerate() {
            let c = p.pp("convs").pp(i);
            convs.push(Conv {
                weight: c.param("weight", [c_out, c_in, k, k])?,
                bias: c.param("bias", [c_out])?,
            });
            if has_bn {
                bns.push(load_batch_norm(&p.pp("bns").pp(bns.len()), c_out / 2)?);
            }
        }
        let fc = load_linear(&p.pp("fc"), 2 * FRAME_FEATURES, 1, true)?;
        p.finish()?;
        Ok(Lcnn {
            input_bn,
            convs,
            bns,
            dropout: DropoutConfig::new(DROPOUT).init(),
            fc,
        })
    }

    /// Logits.
    ///
    /// # Shapes
    /// - `x`: `[n, 1, frames, 60]` ([`Lfcc::features`] of each window)
    /// - output: `[n, 1]`
    pub fn forward(&self, x: Tensor<4>, training: bool) -> Tensor<2> {
        let mut x = self.input_bn.forward(x);
        let mut bn = self.bns.iter();
        for (conv, &(_, _, _, pool, has_bn)) in self.convs.iter().zip(LAYERS.iter()) {
            x = mfm(conv.forward(x));
            if pool {
                x = max_pool2d(x, MaxPoolOptions::new([2, 2]));
            }
            if has_bn && let Some(norm) = bn.next() {
                x = norm.forward(x);
            }
        }
        // [n, c, t, f] → [n, t, c·f]
        let [n, c, t, f] = x.dims();
        let frames = x.swap_dims(1, 2).reshape([n, t, c * f]);
        let mean = frames.clone().mean_dim(1); // [n, 1, cf]
        let centred = frames - mean.clone();
        let std = (centred.clone() * centred)
            .mean_dim(1)
            .add_scalar(1e-5)
            .sqrt();
        let pooled = Tensor::cat(vec![mean, std], 2).reshape([n, 2 * c * f]);
        let pooled = if training {
            self.dropout.forward(pooled)
        } else {
            pooled
        };
        self.fc.forward(pooled)
    }

    /// Folds pending batch-norm statistics into the running ones (see
    /// [`EfficientNetLite::sync_running_stats`](crate::efficientnet_lite::EfficientNetLite::sync_running_stats)).
    pub fn sync_running_stats(&self) {
        for bn in std::iter::once(&self.input_bn).chain(&self.bns) {
            bn.running_mean.value_sync();
            bn.running_var.value_sync();
        }
    }

    /// The weights under this module's keys: `(key, shape, values)`.
    pub fn state_dict(&self) -> Vec<(String, Vec<usize>, Vec<f32>)> {
        let mut out = StateDictWriter::default();
        out.batch_norm("input_bn", &self.input_bn);
        for (i, conv) in self.convs.iter().enumerate() {
            out.tensor(&format!("convs.{i}.weight"), conv.weight.val());
            out.tensor(&format!("convs.{i}.bias"), conv.bias.val());
        }
        for (i, bn) in self.bns.iter().enumerate() {
            out.batch_norm(&format!("bns.{i}"), bn);
        }
        out.tensor("fc.weight", self.fc.weight.val().transpose());
        if let Some(bias) = &self.fc.bias {
            out.tensor("fc.bias", bias.val());
        }
        out.into_tensors()
    }
}

/// The model's input for `windows` of equal length: `[n, 1, frames, 60]`, features computed
/// in parallel.
pub fn lcnn_input(lfcc: &Lfcc, windows: &[&[f32]], device: &Device) -> Tensor<4> {
    use rayon::prelude::*;
    let n = windows.len();
    let len = windows.first().map_or(0, |w| w.len());
    let frames = Lfcc::frames(len);
    let values: Vec<f32> = windows
        .par_iter()
        .flat_map_iter(|w| lfcc.features(w))
        .collect();
    Tensor::from_data(TensorData::new(values, [n, 1, frames, FEATURES]), device)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lfcc_shapes_and_a_tone_in_its_band() {
        let lfcc = Lfcc::new();
        assert_eq!(Lfcc::frames(64_000), 399);
        assert_eq!(Lfcc::frames(10), 1);
        let tone: Vec<f32> = (0..16_000)
            .map(|i| 0.5 * (std::f32::consts::TAU * 2_000.0 * i as f32 / 16_000.0).sin())
            .collect();
        let f = lfcc.features(&tone);
        assert_eq!(f.len(), Lfcc::frames(16_000) * FEATURES);
        assert!(f.iter().all(|v| v.is_finite()));
        // a steady tone: deltas of the middle frames are (nearly) zero
        let mid = 50 * FEATURES;
        for k in COEFFICIENTS..FEATURES {
            assert!(f[mid + k].abs() < 1e-2, "{k}: {}", f[mid + k]);
        }
        // silence hits the floor, not -inf
        let s = lfcc.features(&[0.0; 1_000]);
        assert!(s.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn lcnn_forward_shapes_and_roundtrip_through_its_state_dict() {
        let device = Device::flex();
        let model = Lcnn::new(&device);
        let lfcc = Lfcc::new();
        let a: Vec<f32> = (0..8_000).map(|i| (i as f32 * 0.01).sin() * 0.1).collect();
        let b: Vec<f32> = (0..8_000).map(|i| (i as f32 * 0.07).cos() * 0.2).collect();
        let x = lcnn_input(&lfcc, &[&a, &b], &device);
        let y = model.forward(x.clone(), false);
        assert_eq!(y.dims(), [2, 1]);
        let state = StateDict {
            source: "test".into(),
            tensors: model
                .state_dict()
                .into_iter()
                .map(|(key, shape, data)| {
                    let tensor = fakescope_weights::StoredTensor {
                        shape,
                        dtype: fakescope_weights::DType::F32,
                        data,
                    };
                    (key, tensor)
                })
                .collect(),
        };
        let again = Lcnn::from_state_dict(state, &device).unwrap();
        let y2 = again.forward(x, false);
        let (y, y2): (Vec<f32>, Vec<f32>) = (
            y.into_data().try_into_vec::<f32>().unwrap(),
            y2.into_data().try_into_vec::<f32>().unwrap(),
        );
        for (p, q) in y.iter().zip(&y2) {
            assert!((p - q).abs() < 1e-5, "{p} vs {q}");
        }
    }
}
