//! Graph pooling by top-k node scores (upstream `GraphPool`).

use burn::module::Module;
use burn::nn::Linear;
use burn::tensor::Tensor;
use burn::tensor::activation::sigmoid;

use crate::layers::load_linear;
use crate::{Error, Params};

/// Scores each node with `sigmoid(proj(h))`, scales the nodes by their score and keeps the
/// `max(floor(nodes × ratio), 1)` best, in descending score order (as `torch.topk`).
#[derive(Module, Debug)]
pub struct GraphPool {
    /// `proj`: `in_dim → 1`.
    pub proj: Linear,
    /// Fraction of nodes kept.
    pub ratio: f64,
}

impl GraphPool {
    /// Loads upstream `GraphPool(ratio, in_dim, p)` (the dropout `p` does nothing at inference).
    pub fn load(p: &Params, ratio: f64, in_dim: usize) -> Result<Self, Error> {
        Ok(GraphPool {
            proj: load_linear(&p.pp("proj"), in_dim, 1, true)?,
            ratio,
        })
    }

    /// How many of `nodes` nodes are kept.
    pub fn kept(&self, nodes: usize) -> usize {
        // Python: max(int(n_nodes * k), 1), with k a float.
        ((nodes as f64 * self.ratio) as usize).max(1)
    }

    /// # Shapes
    /// - `h`: `[batch, nodes, dim]`
    /// - output: `[batch, kept(nodes), dim]`
    pub fn forward(&self, h: Tensor<3>) -> Tensor<3> {
        let [batch, nodes, dim] = h.dims();
        let scores = sigmoid(self.proj.forward(h.clone())); // [b, n, 1]
        let (_, idx) = scores.clone().topk_with_indices(self.kept(nodes), 1);
        let idx = idx.expand([batch, self.kept(nodes), dim]);
        (h * scores).gather(1, idx)
    }
}
