//! AASIST's residual encoder (upstream `Residual_block` ×6), channels last.

use burn::module::Module;
use burn::nn::BatchNorm;
use burn::tensor::activation::selu;
use burn::tensor::{Tensor, s};
use fakescope_nn::layers::{Conv2dNhwc, batch_norm_channels_last, load_batch_norm};
use fakescope_nn::{Error, Params};

/// One upstream `Residual_block`: `conv1 (2,3) pad (1,1) → BN → SELU → conv2 (2,3) pad (0,1)`,
/// plus the input (through a (1,3) convolution when the channel count changes), then max
/// pooling (1,3) along time.
///
/// Upstream quirk kept: `forward` computes `selu(bn1(x))` on every block but the first, then
/// overwrites it with `conv1(x)`, so `conv1` always sees the **raw** input and `bn1` has no
/// effect on the output. `bn1` is still loaded (it is in the checkpoint and strict loading reads
/// every tensor) but never applied.
#[derive(Module, Debug)]
pub struct ResidualBlock {
    /// `bn1` (absent on the first block); loaded, unused (see above).
    pub bn1: Option<BatchNorm>,
    /// `conv1`: `(2, 3)`, padding `(1, 1)`.
    pub conv1: Conv2dNhwc,
    /// `bn2`.
    pub bn2: BatchNorm,
    /// `conv2`: `(2, 3)`, padding `(0, 1)`.
    pub conv2: Conv2dNhwc,
    /// `conv_downsample`: `(1, 3)`, padding `(0, 1)`, when `c_in != c_out`.
    pub conv_downsample: Option<Conv2dNhwc>,
}

impl ResidualBlock {
    /// Loads `Residual_block(nb_filts=[c_in, c_out], first=first)`.
    pub fn load(p: &Params, [c_in, c_out]: [usize; 2], first: bool) -> Result<Self, Error> {
        Ok(ResidualBlock {
            bn1: if first {
                None
            } else {
                Some(load_batch_norm(&p.pp("bn1"), c_in)?)
            },
            conv1: Conv2dNhwc::load(&p.pp("conv1"), [c_in, c_out], [2, 3], [1, 1], true)?,
            bn2: load_batch_norm(&p.pp("bn2"), c_out)?,
            conv2: Conv2dNhwc::load(&p.pp("conv2"), [c_out, c_out], [2, 3], [0, 1], true)?,
            conv_downsample: if c_in == c_out {
                None
            } else {
                Some(Conv2dNhwc::load(
                    &p.pp("conv_downsample"),
                    [c_in, c_out],
                    [1, 3],
                    [0, 1],
                    true,
                )?)
            },
        })
    }

    /// # Shapes
    /// - `x`: `[batch, freq, time, c_in]`
    /// - output: `[batch, freq, time / 3, c_out]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let out = self.conv1.forward(x.clone());
        let out = selu(batch_norm_channels_last(&self.bn2, out));
        let out = self.conv2.forward(out);
        let identity = match &self.conv_downsample {
            Some(conv) => conv.forward(x),
            None => x,
        };
        max_pool_time(out + identity, 3)
    }
}

/// Max pooling with kernel and stride `(1, k)` (floor mode) along dimension 2: the element-wise
/// max of `k` strided views (`x[.., i::k, ..]`), no reshaped copy.
fn max_pool_time(x: Tensor<4>, k: usize) -> Tensor<4> {
    let pooled = x.dims()[2] / k;
    let phase = |i: usize| {
        x.clone()
            .slice(s![.., .., i..i + pooled * k; k as isize, ..])
    };
    (1..k).fold(phase(0), |acc, i| acc.max_pair(phase(i)))
}
