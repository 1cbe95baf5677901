//! Neural-network layers shared by fakescope's architectures, on burn, and strict loading of
//! PyTorch weights into them.
//!
//! # Overview
//!
//! - [`Params`]: a view of a [`StateDict`](fakescope_weights::StateDict) under a key prefix,
//!   like candle's `VarBuilder`. `p.pp("encoder").pp(0).tensor("conv1.weight", [32, 1, 2, 3])`
//!   reads `encoder.0.conv1.weight`, checks its shape and names the file, the key and both
//!   shapes when it does not match. [`Params::finish`] makes loading strict: it fails when
//!   the file holds tensors the architecture never read (`num_batches_tracked` excepted).
//! - [`layers`]: PyTorch layers as burn modules with their weights assigned from the file —
//!   burn's own [`Linear`](burn::nn::Linear) and [`BatchNorm`](burn::nn::BatchNorm) where
//!   they fit, and [`Conv2dNhwc`](layers::Conv2dNhwc), a channels-last convolution that is much
//!   faster on CPU than burn-flex's im2col for long audio feature maps, and the mel-spaced sinc
//!   filterbank [`SincFilterbank`](layers::SincFilterbank).
//! - [`fused`]: inference-only CPU kernels (direct convolutions with batch norm and SELU
//!   folded in and fused epilogues) on plain [`FeatureMap`](fused::FeatureMap)s.
//! - [`graph`]: graph attention, heterogeneous graph attention with a master node, and top-k
//!   graph pooling (AASIST).
//!
//! Everything is a burn [`Module`](burn::module::Module) holding `Param` tensors, so the same
//! structs can be trained later on an autodiff device; only inference is tested here.
//!
//! # Example
//!
//! ```
//! use std::collections::BTreeMap;
//! use std::path::PathBuf;
//! use burn::tensor::{Device, Tensor, TensorData};
//! use fakescope_nn::{Params, layers::load_linear};
//! use fakescope_weights::{DType, StateDict, StoredTensor};
//!
//! let tensor = |shape: Vec<usize>, data: Vec<f32>| StoredTensor { shape, dtype: DType::F32, data };
//! let dict = StateDict {
//!     source: PathBuf::from("tiny.pth"),
//!     tensors: BTreeMap::from([
//!         ("head.weight".to_string(), tensor(vec![1, 2], vec![1.0, -1.0])),
//!         ("head.bias".to_string(), tensor(vec![1], vec![0.5])),
//!     ]),
//! };
//! let p = Params::new(dict, &Device::flex());
//! let head = load_linear(&p.pp("head"), 2, 1, true)?;
//! p.finish()?; // every tensor of the file was used
//!
//! let x = Tensor::<2>::from_data(TensorData::new(vec![3.0f32, 1.0], [1, 2]), p.device());
//! assert_eq!(head.forward(x).into_data().try_to_vec::<f32>().unwrap(), vec![2.5]);
//! # Ok::<(), fakescope_nn::Error>(())
//! ```
#![deny(missing_docs)]

mod error;
pub mod fused;
pub mod graph;
pub mod layers;
mod params;

pub use error::Error;
pub use params::Params;
