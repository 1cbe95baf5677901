//! MesoNet (Afchar et al., WIFS 2018): Meso-4 and MesoInception-4, the face-forgery detectors
//! of DariusAf/MesoNet, run from the published Keras `.h5` weights.
//!
//! # Architecture (as MesoNet's own Keras definitions build it)
//!
//! Input: RGB face crops 256 × 256 in [0, 1], channels last. Four stages, each
//! `conv(s) → ReLU → BatchNorm → MaxPool` with Keras "same" padding:
//!
//! | stage | Meso-4 | MesoInception-4 | pool |
//! |---|---|---|---|
//! | 1 | conv 3×3, 8 | inception (1, 4, 4, 2) → 11 channels | 2 |
//! | 2 | conv 5×5, 8 | inception (2, 4, 4, 2) → 12 channels | 2 |
//! | 3 | conv 5×5, 16 | conv 5×5, 16 | 2 |
//! | 4 | conv 5×5, 16 | conv 5×5, 16 | 4 |
//!
//! An inception module `(a, b, c, d)` concatenates four ReLU branches along channels: a 1×1
//! conv of `a` channels; 1×1 then 3×3 (`b`); 1×1 then 3×3 dilated by 2 (`c`); 1×1 then 3×3
//! dilated by 3 (`d`). Then `Flatten` (8 × 8 × 16 = 1024, in height-width-channel order) →
//! `Dense(16)` → `LeakyReLU(0.1)` → `Dense(1)` → sigmoid. Dropout is the identity at inference,
//! and batch norm uses its moving statistics with Keras' ε = 10⁻³.
//!
//! The output is the probability that the crop is **real** (MesoNet's training label 1 =
//! real), so [`ScoreConvention::SigmoidReal`] gives fake = 1 − output.
//!
//! # Weights
//!
//! The `.h5` files name layers by Keras' global counters (`conv2d_5`, `batch_normalization_5`,
//! `dense_3` in `Meso4_DF.h5`; `conv2d_1` … `conv2d_16` in `MesoInception_DF.h5`), so layers are
//! taken in the order of their number, which is the order the model definition creates them
//! (inside an inception module: `a`, `b` 1×1, `b` 3×3, `c` 1×1, `c` 3×3, `d` 1×1, `d` 3×3).
//! Loading is strict: every tensor must exist with the expected HWIO shape, and a tensor the
//! architecture does not use is an error naming the file.
//!
//! # Speed
//!
//! Inference runs on the CPU kernels of `mesonet::kernels`, not on burn: direct convolutions
//! on channel planes with pixels in the SIMD lanes, ReLU, batch norm and max pooling fused into
//! each convolution's output, instruction set chosen at run time. A crop runs on one thread
//! with its feature maps in that thread's cache; the crops of a batch run in parallel with
//! rayon. The `device` argument of the loaders is accepted for symmetry with the other
//! detectors.

mod kernels;

use std::path::Path;
use std::sync::Mutex;

use burn::tensor::Device;
use fakescope_nn::Params;
use fakescope_weights::StateDict;

use crate::{DetectorInfo, Error, FaceDetector, InputSpec, Modality, ScoreConvention};
use kernels::{Conv, Planes, dense};
use rayon::prelude::*;

/// Side of the square face crop MesoNet takes.
pub const CROP_SIZE: usize = 256;

/// Keras' default batch-norm epsilon.
const BN_EPSILON: f32 = 1e-3;

/// Output rows of a stage computed together (see [`MesoNet::forward_one`]).
const BAND_ROWS: usize = 8;

/// Slope of the LeakyReLU after the first dense layer.
const LEAKY_SLOPE: f32 = 0.1;

/// The two MesoNet architectures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// Meso-4: four plain convolution stages.
    Meso4,
    /// MesoInception-4: two inception stages, then two convolution stages.
    MesoInception4,
}

/// What one stage's convolutions are: plain `(kernel, channels)` or an inception module.
#[derive(Debug, Clone, Copy)]
enum StageSpec {
    Conv { k: usize, c_out: usize },
    Inception([usize; 4]),
}

impl Variant {
    fn stages(self) -> [(StageSpec, usize); 4] {
        use StageSpec::{Conv, Inception};
        match self {
            Variant::Meso4 => [
                (Conv { k: 3, c_out: 8 }, 2),
                (Conv { k: 5, c_out: 8 }, 2),
                (Conv { k: 5, c_out: 16 }, 2),
                (Conv { k: 5, c_out: 16 }, 4),
            ],
            Variant::MesoInception4 => [
                (Inception([1, 4, 4, 2]), 2),
                (Inception([2, 4, 4, 2]), 2),
                (Conv { k: 5, c_out: 16 }, 2),
                (Conv { k: 5, c_out: 16 }, 4),
            ],
        }
    }
}

/// One branch of a stage: an optional 1×1 ReLU convolution, then the convolution whose output
/// (ReLU, then its slice of the stage's batch norm) is written into the stage output.
#[derive(Debug, Clone)]
struct Branch {
    reduce: Option<Conv>,
    conv: Conv,
}

/// Branches concatenated along channels, then max pooling.
#[derive(Debug, Clone)]
struct Stage {
    branches: Vec<Branch>,
    channels: usize,
    pool: usize,
}

/// A loaded MesoNet detector.
#[derive(Debug)]
pub struct MesoNet {
    info: DetectorInfo,
    stages: Vec<Stage>,
    /// `[1024][16]` (rows in the channel-major order of the last feature map; Keras flattens
    /// height-width-channel) and `[16]`.
    dense1: (Vec<f32>, Vec<f32>),
    /// `[16][1]` and `[1]`.
    dense2: (Vec<f32>, Vec<f32>),
    /// Feature maps of finished crops, reused by the next (their borders stay zero).
    spare: Mutex<Vec<Scratch>>,
}

/// The feature maps one crop needs.
#[derive(Debug)]
struct Scratch {
    /// The input, then each stage's pooled output, each with the border its reader needs.
    maps: Vec<Planes>,
    /// Per stage and branch, the output of the branch's 1×1 reduction (if it has one).
    reduced: Vec<Vec<Option<Planes>>>,
    /// Row buffer of the convolutions.
    rows: Vec<f32>,
}

/// Layer names of one kind (`conv2d`, ...) in the file, ordered by their number, padded with
/// the next unused numbers when the file has fewer than `count` (they then fail as missing).
fn layers(dict: &StateDict, kind: &str, first_weight: &str, count: usize) -> Vec<String> {
    let mut numbers: Vec<u64> = dict
        .tensors
        .keys()
        .filter_map(|key| {
            key.strip_suffix(first_weight)?
                .strip_prefix(kind)?
                .strip_prefix('_')
        })
        .filter_map(|n| n.parse().ok())
        .collect();
    numbers.sort_unstable();
    let next = numbers.last().map_or(1, |n| n + 1);
    while numbers.len() < count {
        numbers.push(next + (numbers.len() as u64));
    }
    numbers.iter().map(|n| format!("{kind}_{n}")).collect()
}

/// Reads a convolution `layer` with a `k × k` kernel, `c_in → c_out`, ReLU and identity affine.
fn conv(
    p: &Params,
    layer: &str,
    k: usize,
    dilation: usize,
    [c_in, c_out]: [usize; 2],
) -> Result<Conv, Error> {
    let weight = p.values(format!("{layer}/kernel:0"), &[k, k, c_in, c_out])?;
    let bias = p.values(format!("{layer}/bias:0"), &[c_out])?;
    Ok(Conv::new([k, dilation, c_in, c_out], &weight, bias))
}

/// The eval-mode batch norm `layer` as `(scale, shift)` per channel.
fn batch_norm(p: &Params, layer: &str, c: usize) -> Result<(Vec<f32>, Vec<f32>), Error> {
    let get = |name: &str| p.values(format!("{layer}/{name}:0"), &[c]);
    let (gamma, beta) = (get("gamma")?, get("beta")?);
    let (mean, var) = (get("moving_mean")?, get("moving_variance")?);
    let scale: Vec<f32> = gamma
        .iter()
        .zip(&var)
        .map(|(g, v)| g / (v + BN_EPSILON).sqrt())
        .collect();
    let shift = beta
        .iter()
        .zip(&mean)
        .zip(&scale)
        .map(|((b, m), s)| b - m * s)
        .collect();
    Ok((scale, shift))
}

impl MesoNet {
    /// Reads the Keras `.h5` weights at `weights` into a `variant` detector called `name`.
    pub fn load(
        name: &'static str,
        variant: Variant,
        weights: &Path,
        device: &Device,
    ) -> Result<MesoNet, Error> {
        let dict = StateDict::load(weights)?;
        MesoNet::from_state_dict(name, variant, dict, device)
    }

    /// As [`MesoNet::load`], from an already read state dict (keys as Keras names them).
    pub fn from_state_dict(
        name: &'static str,
        variant: Variant,
        dict: StateDict,
        device: &Device,
    ) -> Result<MesoNet, Error> {
        let specs = variant.stages();
        let n_convs: usize = specs
            .iter()
            .map(|(s, _)| match s {
                StageSpec::Conv { .. } => 1,
                StageSpec::Inception(_) => 7,
            })
            .sum();
        let convs = layers(&dict, "conv2d", "/kernel:0", n_convs);
        let norms = layers(&dict, "batch_normalization", "/gamma:0", 4);
        let denses = layers(&dict, "dense", "/kernel:0", 2);
        let p = Params::new(dict, device);
        let mut convs = convs.iter();
        let mut next = || convs.next().map(String::as_str).unwrap_or("conv2d_missing");
        let mut c_in = 3;
        let mut stages = Vec::new();
        for ((spec, pool), norm) in specs.into_iter().zip(&norms) {
            let mut branches = Vec::new();
            match spec {
                StageSpec::Conv { k, c_out } => branches.push(Branch {
                    reduce: None,
                    conv: conv(&p, next(), k, 1, [c_in, c_out])?,
                }),
                StageSpec::Inception([a, b, c, d]) => {
                    branches.push(Branch {
                        reduce: None,
                        conv: conv(&p, next(), 1, 1, [c_in, a])?,
                    });
                    for (width, dilation) in [(b, 1), (c, 2), (d, 3)] {
                        let reduce = conv(&p, next(), 1, 1, [c_in, width])?;
                        let conv = conv(&p, next(), 3, dilation, [width, width])?;
                        branches.push(Branch {
                            reduce: Some(reduce),
                            conv,
                        });
                    }
                }
            }
            let channels: usize = branches.iter().map(|b| b.conv.c_out).sum();
            let (scale, shift) = batch_norm(&p, norm, channels)?;
            let mut offset = 0;
            for branch in &mut branches {
                let c = branch.conv.c_out;
                branch.conv.scale = scale[offset..offset + c].to_vec();
                branch.conv.shift = shift[offset..offset + c].to_vec();
                offset += c;
            }
            stages.push(Stage {
                branches,
                channels,
                pool,
            });
            c_in = channels;
        }
        let flat = (CROP_SIZE / 32) * (CROP_SIZE / 32) * c_in;
        let keras_dense1 = p.values(format!("{}/kernel:0", denses[0]), &[flat, 16])?;
        // Keras flattens [h][w][c]; the last feature map is [c][h][w].
        let side = CROP_SIZE / 32;
        let mut channel_major = vec![0.0; keras_dense1.len()];
        for (i, row) in keras_dense1.chunks_exact(16).enumerate() {
            let (pixel, ch) = (i / c_in, i % c_in);
            let at = ch * side * side + pixel;
            channel_major[at * 16..(at + 1) * 16].copy_from_slice(row);
        }
        let dense1 = (
            channel_major,
            p.values(format!("{}/bias:0", denses[0]), &[16])?,
        );
        let dense2 = (
            p.values(format!("{}/kernel:0", denses[1]), &[16, 1])?,
            p.values(format!("{}/bias:0", denses[1]), &[1])?,
        );
        p.finish()?;
        Ok(MesoNet {
            info: DetectorInfo {
                name,
                modality: Modality::Face,
                input: InputSpec::FaceCrop { size: CROP_SIZE },
                convention: ScoreConvention::SigmoidReal,
            },
            stages,
            dense1,
            dense2,
            spare: Mutex::new(Vec::new()),
        })
    }

    /// The sigmoid output (1 = real) for each of the `n` crops in `crops`
    /// (`[n, 256, 256, 3]`, channels last, in [0, 1]).
    pub fn forward(&self, crops: &[f32], n: usize) -> Result<Vec<f32>, Error> {
        let per_crop = CROP_SIZE * CROP_SIZE * 3;
        if n.checked_mul(per_crop) != Some(crops.len()) {
            return Err(Error::Input {
                detector: self.info.name,
                message: format!(
                    "{} values given for {n} crops of {CROP_SIZE}x{CROP_SIZE}x3",
                    crops.len()
                ),
            });
        }
        // One crop per task: its maps stay in the cache of the core that runs it.
        Ok(crops
            .par_chunks_exact(per_crop)
            .map_init(
                || SpareGuard::take(self),
                |scratch, crop| self.forward_one(crop, scratch.get()),
            )
            .collect())
    }

    /// Feature maps for one crop, each with the zero border its reader needs.
    fn scratch(&self) -> Scratch {
        // The border a map needs is the widest "same" padding among the convolutions that
        // read it: a stage's first convolutions (reductions included) for its input, a
        // branch's second convolution for the reduction's output.
        let input_pad = |stage: Option<&Stage>| {
            stage.map_or(0, |s| {
                s.branches
                    .iter()
                    .map(|b| b.reduce.as_ref().unwrap_or(&b.conv).same_padding())
                    .max()
                    .unwrap_or(0)
            })
        };
        let mut maps = vec![Planes::zeros(
            3,
            CROP_SIZE,
            CROP_SIZE,
            input_pad(self.stages.first()),
        )];
        let mut reduced = Vec::new();
        let mut side = CROP_SIZE;
        for (i, stage) in self.stages.iter().enumerate() {
            reduced.push(
                stage
                    .branches
                    .iter()
                    .map(|b| {
                        let r = b.reduce.as_ref()?;
                        Some(Planes::zeros(r.c_out, side, side, b.conv.same_padding()))
                    })
                    .collect(),
            );
            side /= stage.pool;
            let pad = input_pad(self.stages.get(i + 1));
            maps.push(Planes::zeros(stage.channels, side, side, pad));
        }
        Scratch {
            maps,
            reduced,
            rows: Vec::new(),
        }
    }

    /// The sigmoid output for one crop (`[256][256][3]`) whose length was checked.
    fn forward_one(&self, crop: &[f32], scratch: &mut Scratch) -> f32 {
        let Scratch {
            maps,
            reduced,
            rows,
        } = scratch;
        maps[0].fill_channels_last(crop);
        for (i, (stage, reduced)) in self.stages.iter().zip(reduced).enumerate() {
            let (done, next) = maps.split_at_mut(i + 1);
            let (x, out) = (&done[i], &mut next[0]);
            // In bands of output rows, so that the rows a reduction writes are still in the
            // cache when its branch reads them.
            let mut reduced_rows = vec![0; reduced.len()];
            for band in (0..out.h).step_by(BAND_ROWS) {
                let band = band..(band + BAND_ROWS).min(out.h);
                let mut offset = 0;
                for ((branch, reduced), ready) in stage
                    .branches
                    .iter()
                    .zip(reduced.iter_mut())
                    .zip(&mut reduced_rows)
                {
                    let input = match (&branch.reduce, reduced) {
                        (Some(reduce), Some(r)) => {
                            // The rows the branch reads: its band and the border of its taps.
                            let need =
                                (band.end * stage.pool + branch.conv.same_padding()).min(r.h);
                            reduce.run(x, 1, r, 0, *ready..need, rows);
                            *ready = need;
                            &*r
                        }
                        _ => x,
                    };
                    branch
                        .conv
                        .run(input, stage.pool, out, offset, band.clone(), rows);
                    offset += branch.conv.c_out;
                }
            }
        }
        let last = maps.last().map_or(&[][..], Planes::unpadded);
        let mut hidden = dense(last, &self.dense1.0, &self.dense1.1);
        for h in &mut hidden {
            if *h < 0.0 {
                *h *= LEAKY_SLOPE;
            }
        }
        let logit = dense(&hidden, &self.dense2.0, &self.dense2.1)[0];
        1.0 / (1.0 + (-logit).exp())
    }
}

/// Scratch maps taken from a detector's spares for one rayon task, given back when dropped.
struct SpareGuard<'a> {
    net: &'a MesoNet,
    scratch: Option<Scratch>,
}

impl<'a> SpareGuard<'a> {
    fn take(net: &'a MesoNet) -> SpareGuard<'a> {
        let spare = net.spare.lock().ok().and_then(|mut s| s.pop());
        SpareGuard {
            net,
            scratch: Some(spare.unwrap_or_else(|| net.scratch())),
        }
    }

    fn get(&mut self) -> &mut Scratch {
        self.scratch.get_or_insert_with(|| self.net.scratch())
    }
}

impl Drop for SpareGuard<'_> {
    fn drop(&mut self) {
        if let (Some(scratch), Ok(mut spare)) = (self.scratch.take(), self.net.spare.lock()) {
            spare.push(scratch);
        }
    }
}

impl FaceDetector for MesoNet {
    fn info(&self) -> &DetectorInfo {
        &self.info
    }

    fn raw_outputs(&self, crops: &[f32], n: usize) -> Result<Vec<Vec<f32>>, Error> {
        Ok(self
            .forward(crops, n)?
            .into_iter()
            .map(|p| vec![p])
            .collect())
    }
}
