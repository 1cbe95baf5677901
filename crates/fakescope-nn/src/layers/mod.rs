//! Layers shared by the architectures, each loadable from a PyTorch state dict.

mod batch_norm;
mod conv;
mod linear;
mod sinc;

pub use batch_norm::{batch_norm_channels_last, eval_affine, load_batch_norm};
pub use conv::Conv2dNhwc;
pub use linear::load_linear;
pub use sinc::SincFilterbank;
