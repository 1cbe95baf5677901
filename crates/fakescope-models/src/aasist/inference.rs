//! The encoder for inference: AASIST's front end and residual blocks on folded weights and
//! fused CPU kernels ([`fakescope_nn::fused`]), computing what
//! [`AasistModel::encode`](super::AasistModel::encode) computes.
//!
//! Folding, done once at load from the burn modules (which stay the trainable reference):
//! - `bn2` (eval mode) into `conv1`'s weights and bias;
//! - SELU's λ into the weights that read a SELU output: `conv2`, and for the first block
//!   `conv1`, `conv_downsample` (the front end ends with SELU);
//! - `conv2` and `conv_downsample` summed in one kernel, whose epilogue adds the identity and
//!   max-pools `(1, 3)`; `conv1`'s epilogue applies SELU and writes the zero-padded map
//!   `conv2` reads.

use burn::tensor::{Tensor, TensorData};
use fakescope_nn::Error;
use fakescope_nn::fused::{
    FeatureMap, PackedConv, SELU_LAMBDA, conv_add_pool3, conv_selu, selu_unscaled,
};
use fakescope_nn::layers::{Conv2dNhwc, eval_affine};
use rayon::prelude::*;

use super::AasistModel;
use super::encoder::ResidualBlock;

/// One residual block with folded weights.
#[derive(Debug, Clone)]
struct FoldedBlock {
    /// `bn2(conv1(λ_in · x))`.
    conv1: PackedConv,
    /// `conv2(λ · selu(..) / λ)`.
    conv2: PackedConv,
    /// `conv_downsample(λ_in · x)`.
    downsample: Option<PackedConv>,
    /// `λ_in`: the factor the block's input map is missing (SELU's λ for the first block).
    input_scale: f32,
}

/// AASIST's encoder with folded weights, for inference on CPU.
#[derive(Debug, Clone)]
pub struct InferenceEncoder {
    /// `first_bn` (one channel): `(scale, shift)`.
    first_bn: (f32, f32),
    sinc_channels: usize,
    blocks: Vec<FoldedBlock>,
}

fn values<const D: usize>(t: Tensor<D>, what: &str) -> Result<Vec<f32>, Error> {
    t.into_data()
        .try_into_vec::<f32>()
        .map_err(|e| Error::Backend {
            what: what.to_string(),
            message: format!("{e:?}"),
        })
}

/// `conv` (kernel width `kw`) as a [`PackedConv`].
fn packed(conv: &Conv2dNhwc, kw: usize, what: &str) -> Result<PackedConv, Error> {
    let weight = conv.weight.val();
    let [kh, k, c_out] = weight.dims();
    let bias = match &conv.bias {
        Some(b) => values(b.val(), what)?,
        None => vec![0.0; c_out],
    };
    let weight = values(weight, what)?;
    PackedConv::new(weight, bias, [kh, kw], [k / kw, c_out], conv.padding)
}

impl FoldedBlock {
    fn new(block: &ResidualBlock, input_scale: f32) -> Result<FoldedBlock, Error> {
        let (scale, shift) = eval_affine(&block.bn2);
        let conv1 = packed(&block.conv1, 3, "conv1")?
            .scale_input(input_scale)
            .scale_output(&values(scale, "bn2")?, &values(shift, "bn2")?)?;
        let conv2 = packed(&block.conv2, 3, "conv2")?.scale_input(SELU_LAMBDA);
        let downsample = match &block.conv_downsample {
            Some(conv) => Some(packed(conv, 3, "conv_downsample")?.scale_input(input_scale)),
            None => None,
        };
        Ok(FoldedBlock {
            conv1,
            conv2,
            downsample,
            input_scale,
        })
    }

    /// `x` with a border of 1 → the pooled block output with a border of `out_pad`.
    fn forward(&self, x: &FeatureMap, out_pad: [usize; 2]) -> Result<FeatureMap, Error> {
        let y = conv_selu(&[(x, &self.conv1)], [0, 1])?;
        match &self.downsample {
            Some(ds) => conv_add_pool3(&[(&y, &self.conv2), (x, ds)], None, out_pad),
            None => conv_add_pool3(&[(&y, &self.conv2)], Some((x, self.input_scale)), out_pad),
        }
    }
}

impl InferenceEncoder {
    /// Folds the weights of `model`'s front end and encoder.
    pub fn new(model: &AasistModel) -> Result<InferenceEncoder, Error> {
        let (scale, shift) = eval_affine(&model.first_bn);
        let (scale, shift) = (values(scale, "first_bn")?, values(shift, "first_bn")?);
        let first_bn = match (scale.as_slice(), shift.as_slice()) {
            ([s], [t]) => (*s, *t),
            _ => return Err(Error::Geometry("first_bn has more than one channel".into())),
        };
        let blocks = model
            .encoder
            .iter()
            .enumerate()
            .map(|(i, b)| FoldedBlock::new(b, if i == 0 { SELU_LAMBDA } else { 1.0 }))
            .collect::<Result<_, _>>()?;
        Ok(InferenceEncoder {
            first_bn,
            sinc_channels: model.conv_time.filters.dims()[1],
            blocks,
        })
    }

    /// As [`AasistModel::encode`]: `[batch, samples]` → `[batch, freq, time, channels]`.
    pub fn forward(&self, model: &AasistModel, x: Tensor<2>) -> Result<Tensor<4>, Error> {
        let device = x.device();
        let sinc = model.conv_time.forward(x); // [batch, time, bands]
        let [batch, time, bands] = sinc.dims();
        let sinc = values(sinc, "sinc filterbank output")?;
        debug_assert_eq!(bands, self.sinc_channels);
        let mut e = self.front_end(&sinc, [batch, time, bands]);
        let last = self.blocks.len().saturating_sub(1);
        for (i, block) in self.blocks.iter().enumerate() {
            let pad = if i == last { [0, 0] } else { [1, 1] };
            e = block.forward(&e, pad)?;
        }
        let dims = e.dims();
        Ok(Tensor::from_data(
            TensorData::new(e.into_unpadded(), dims),
            &device,
        ))
    }

    /// `|sinc|` → 3×3 max pooling → `first_bn` → SELU (without λ, folded into block 0), as a
    /// `[batch, bands / 3, time / 3, 1]` map with a border of 1.
    fn front_end(&self, sinc: &[f32], [batch, time, bands]: [usize; 3]) -> FeatureMap {
        let (t3, f3) = (time / 3, bands / 3);
        let mut map = FeatureMap::zeros(batch, f3, t3, 1, [1, 1]);
        let padded_h = map.padded_height();
        let row_len = map.row_len();
        let (scale, shift) = self.first_bn;
        map.data_mut()
            .par_chunks_mut(row_len)
            .enumerate()
            .for_each(|(i, row)| {
                let (b, r) = (i / padded_h, i % padded_h);
                if r == 0 || r > f3 {
                    return;
                }
                let f = r - 1;
                let item = &sinc[b * time * bands..(b + 1) * time * bands];
                for (t, out) in row[1..=t3].iter_mut().enumerate() {
                    let mut m = 0.0f32;
                    for dt in 0..3 {
                        let at = (3 * t + dt) * bands + 3 * f;
                        for v in &item[at..at + 3] {
                            m = m.max(v.abs());
                        }
                    }
                    *out = selu_unscaled(m * scale + shift);
                }
            });
        map
    }
}
