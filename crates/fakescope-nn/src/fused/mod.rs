//! Inference-only CPU kernels: direct channels-last convolutions with fused epilogues.
//!
//! The burn layers of [`layers`](crate::layers) stay the trainable, reference implementation.
//! For inference the same weights can be turned into [`PackedConv`]s, with eval-mode batch norm
//! and constant activation scales folded into the weights, and run on plain
//! [`FeatureMap`]s (`Vec<f32>`, channels last, with a zero border):
//!
//! - [`conv_selu`]: a sum of convolutions, bias, then SELU (without its λ, which the consumer
//!   folds into its own weights), written straight into the zero-padded buffer the next
//!   convolution reads;
//! - [`conv_add_pool3`]: a sum of convolutions, bias, plus an optional scaled identity, then
//!   `(1, 3)` max pooling along the width, in one pass.
//!
//! Each output row is computed in register tiles of 6 pixels × 32 (or 8) output channels from
//! the input rows (no im2col), in safe Rust compiled for the best instruction set available at
//! run time ([`pulp::Arch::dispatch`]: AVX-512 or AVX2 + FMA on x86-64), rows in parallel with
//! rayon.
//!
//! # Example
//!
//! ```
//! use fakescope_nn::fused::{FeatureMap, PackedConv, conv_selu};
//!
//! // A 1 → 1 channel (1, 3) convolution with padding (0, 1) summing its three taps.
//! let conv = PackedConv::new(vec![1.0; 3], vec![0.0], [1, 3], [1, 1], [0, 1]).unwrap();
//! let mut x = FeatureMap::zeros(1, 1, 4, 1, [0, 1]);
//! x.set(0, 0, 1, 0, 2.0);
//! let y = conv_selu(&[(&x, &conv)], [0, 0]).unwrap();
//! assert_eq!(y.data(), &[2.0, 2.0, 2.0, 0.0]);
//! ```

mod act;
mod conv;
mod map;

pub use act::{SELU_ALPHA, SELU_LAMBDA, selu_unscaled};
pub use conv::{PackedConv, conv_add_pool3, conv_selu};
pub use map::FeatureMap;
