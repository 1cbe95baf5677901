//! `nn.Conv2d` (stride 1, zero padding) on channels-last tensors, as windows × matrix products.

use burn::module::{Module, Param};
use burn::tensor::ops::PadMode;
use burn::tensor::{Tensor, TensorData};

use crate::{Error, Params};

/// A stride-1, zero-padded 2-D convolution on channels-last tensors `[batch, height, width,
/// channels]`, loaded from PyTorch's `nn.Conv2d`.
///
/// # Why not burn's `Conv2d`
///
/// burn-flex's convolution builds an im2col copy of the input tile by tile and was measured at
/// ~290 ms for one 32→32 (2, 3) convolution of AASIST's encoder. Here the input stays
/// channels-last and is padded once; then, for each kernel row `dh`, the rows of the padded input
/// flattened to `[pixels × channels]` are read as overlapping windows of `kw × channels` values
/// (burn's `unfold`, a zero-copy strided view) and multiplied by that kernel row's `[kw ×
/// c_in, c_out]` matrix: one GEMM per kernel row, no im2col buffer. The windows that straddle
/// a row end give `kw - 1` junk columns per row, which are sliced away.
///
/// The weights are a burn [`Param`], so the layer stays trainable; only their layout differs
/// from PyTorch's (`[kh, kw × c_in, c_out]` instead of `[c_out, c_in, kh, kw]`).
#[derive(Module, Debug)]
pub struct Conv2dNhwc {
    /// `[kernel_h, kernel_w × channels_in, channels_out]`, index `(dh, dw × c_in + ci, co)`.
    pub weight: Param<Tensor<3>>,
    /// `[channels_out]`.
    pub bias: Option<Param<Tensor<1>>>,
    /// Zero padding `[height, width]`, applied on both sides.
    pub padding: [usize; 2],
}

impl Conv2dNhwc {
    /// Loads `nn.Conv2d(channels[0], channels[1], kernel, padding=padding, bias=bias)` from `p`
    /// (`weight` `[c_out, c_in, kh, kw]`, optional `bias` `[c_out]`).
    pub fn load(
        p: &Params,
        channels: [usize; 2],
        kernel: [usize; 2],
        padding: [usize; 2],
        bias: bool,
    ) -> Result<Conv2dNhwc, Error> {
        let [c_in, c_out] = channels;
        let [kh, kw] = kernel;
        let torch = p.values("weight", &[c_out, c_in, kh, kw])?;
        let mut weight = vec![0.0f32; torch.len()];
        for co in 0..c_out {
            for ci in 0..c_in {
                for dh in 0..kh {
                    for dw in 0..kw {
                        let src = ((co * c_in + ci) * kh + dh) * kw + dw;
                        let dst = (dh * kw * c_in + dw * c_in + ci) * c_out + co;
                        weight[dst] = torch[src];
                    }
                }
            }
        }
        let weight = Tensor::from_data(TensorData::new(weight, [kh, kw * c_in, c_out]), p.device());
        let bias = if bias {
            Some(p.param("bias", [c_out])?)
        } else {
            None
        };
        Ok(Conv2dNhwc {
            weight: Param::from_tensor(weight),
            bias,
            padding,
        })
    }

    /// # Shapes
    /// - `x`: `[batch, height, width, c_in]`
    /// - output: `[batch, height + 2 pad_h - kh + 1, width + 2 pad_w - kw + 1, c_out]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let [batch, height, width, c_in] = x.dims();
        let weight = self.weight.val();
        let [kh, kw_c_in, c_out] = weight.dims();
        let kw = kw_c_in / c_in;
        let [pad_h, pad_w] = self.padding;
        let padded_w = width + 2 * pad_w;
        let out_h = height + 2 * pad_h + 1 - kh;
        let out_w = padded_w + 1 - kw;
        // One extra zero row at the bottom lets the last row's junk windows read in bounds.
        let extra = usize::from(kw > 1);
        let rows = height + 2 * pad_h + extra;
        let flat = x
            .pad(
                [(0, 0), (pad_h, pad_h + extra), (pad_w, pad_w), (0, 0)],
                PadMode::Constant(0.0),
            )
            .reshape([batch, rows * padded_w * c_in]);
        // Output pixel n = h * padded_w + w reads pixels n + dh * padded_w + (0..kw).
        let windows = out_h * padded_w;
        let span = (windows + kw - 1) * c_in;
        let mut acc: Option<Tensor<3>> = None;
        for dh in 0..kh {
            let start = dh * padded_w * c_in;
            let view: Tensor<3> =
                flat.clone()
                    .slice([0..batch, start..start + span])
                    .unfold(1, kw * c_in, c_in); // [batch, windows, kw * c_in]
            let row_weight = weight.clone().slice([dh..dh + 1, 0..kw_c_in, 0..c_out]);
            let y = view.matmul(row_weight); // [batch, windows, c_out]
            acc = Some(match acc {
                Some(acc) => acc + y,
                None => y,
            });
        }
        let mut y = acc.unwrap_or_else(|| Tensor::zeros([batch, windows, c_out], &flat.device()));
        if let Some(bias) = &self.bias {
            y = y + bias.val().reshape([1, 1, c_out]);
        }
        y.reshape([batch, out_h, padded_w, c_out])
            .slice([0..batch, 0..out_h, 0..out_w, 0..c_out])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::tests::dict;
    use burn::tensor::Device;
    use burn::tensor::module::conv2d;
    use burn::tensor::ops::ConvOptions;

    fn pseudo_random(n: usize, seed: u32) -> Vec<f32> {
        let mut state = seed;
        (0..n)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (state >> 8) as f32 / (1u32 << 24) as f32 - 0.5
            })
            .collect()
    }

    /// Compares with burn's NCHW `conv2d` (PyTorch semantics) for AASIST's three kernel shapes.
    #[test]
    fn equals_burn_conv2d() {
        let device = Device::flex();
        for (kernel, padding, c_in, c_out) in [
            ([2, 3], [1, 1], 3, 4),
            ([2, 3], [0, 1], 4, 4),
            ([1, 3], [0, 1], 2, 5),
        ] {
            let [kh, kw] = kernel;
            let (b, h, w) = (2, 5, 7);
            let wv = pseudo_random(c_out * c_in * kh * kw, 1);
            let bv = pseudo_random(c_out, 2);
            let xv = pseudo_random(b * c_in * h * w, 3);
            let p = Params::new(
                dict(&[
                    ("c.weight", &[c_out, c_in, kh, kw], &wv),
                    ("c.bias", &[c_out], &bv),
                ]),
                &device,
            );
            let conv = Conv2dNhwc::load(&p.pp("c"), [c_in, c_out], kernel, padding, true).unwrap();
            p.finish().unwrap();
            let x = Tensor::<4>::from_data(TensorData::new(xv, [b, c_in, h, w]), &device);
            let expected = conv2d(
                x.clone(),
                Tensor::from_data(TensorData::new(wv, [c_out, c_in, kh, kw]), &device),
                Some(Tensor::from_data(TensorData::new(bv, [c_out]), &device)),
                ConvOptions::new([1, 1], padding, [1, 1], 1),
            );
            let got = conv.forward(x.permute([0, 2, 3, 1])).permute([0, 3, 1, 2]);
            assert_eq!(got.dims(), expected.dims());
            let got = got.into_data().try_to_vec::<f32>().unwrap();
            let expected = expected.into_data().try_to_vec::<f32>().unwrap();
            for (g, e) in got.iter().zip(&expected) {
                assert!((g - e).abs() < 1e-5, "{kernel:?}: {g} vs {e}");
            }
        }
    }
}
