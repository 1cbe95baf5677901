//! Graph attention layers on node features `[batch, nodes, dim]` (AASIST and its descendants).

mod attention;
mod hetero;
mod pool;

pub use attention::GraphAttention;
pub use hetero::{HeteroGraphAttention, HeteroOutput};
pub use pool::GraphPool;

use burn::tensor::Tensor;
use burn::tensor::activation::softmax;

/// Scores `[batch, i, j, 1]` → attention weights: divided by `temperature`, softmax over `j`.
fn attention_weights(scores: Tensor<4>, temperature: f32) -> Tensor<4> {
    softmax(scores.div_scalar(temperature), 2)
}

/// `x_i ⊙ x_j` for every pair of nodes: `[batch, nodes, dim]` → `[batch, nodes, nodes, dim]`.
fn pairwise_products(x: Tensor<3>) -> Tensor<4> {
    x.clone().unsqueeze_dim::<4>(2) * x.unsqueeze_dim::<4>(1)
}
