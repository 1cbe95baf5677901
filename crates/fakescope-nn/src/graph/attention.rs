//! Graph attention layer (upstream `GraphAttentionLayer`).

use burn::module::{Module, Param};
use burn::nn::{BatchNorm, Linear};
use burn::tensor::Tensor;
use burn::tensor::activation::selu;

use super::{attention_weights, pairwise_products};
use crate::layers::{load_batch_norm, load_linear};
use crate::{Error, Params};

/// Graph attention over a fully connected graph: attention from the projected pairwise products
/// of node features, then `proj_with_att(A x) + proj_without_att(x)`, batch norm over the
/// feature dimension and SELU. Inference only (the input dropout is the identity).
#[derive(Module, Debug)]
pub struct GraphAttention {
    /// `att_proj`: `in_dim → out_dim`.
    pub att_proj: Linear,
    /// `att_weight`: `[out_dim, 1]`.
    pub att_weight: Param<Tensor<2>>,
    /// `proj_with_att`: `in_dim → out_dim`.
    pub proj_with_att: Linear,
    /// `proj_without_att`: `in_dim → out_dim`.
    pub proj_without_att: Linear,
    /// `bn`: batch norm over `out_dim`.
    pub bn: BatchNorm,
    /// Softmax temperature.
    pub temperature: f32,
}

impl GraphAttention {
    /// Loads upstream `GraphAttentionLayer(in_dim, out_dim, temperature=temperature)`.
    pub fn load(
        p: &Params,
        in_dim: usize,
        out_dim: usize,
        temperature: f32,
    ) -> Result<Self, Error> {
        Ok(GraphAttention {
            att_proj: load_linear(&p.pp("att_proj"), in_dim, out_dim, true)?,
            att_weight: p.param("att_weight", [out_dim, 1])?,
            proj_with_att: load_linear(&p.pp("proj_with_att"), in_dim, out_dim, true)?,
            proj_without_att: load_linear(&p.pp("proj_without_att"), in_dim, out_dim, true)?,
            bn: load_batch_norm(&p.pp("bn"), out_dim)?,
            temperature,
        })
    }

    /// # Shapes
    /// - `x`: `[batch, nodes, in_dim]`
    /// - output: `[batch, nodes, out_dim]`
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let [batch, nodes, _] = x.dims();
        let scores = self
            .att_proj
            .forward(pairwise_products(x.clone()))
            .tanh()
            .matmul(self.att_weight.val().unsqueeze_dim::<3>(0).unsqueeze_dim(0)); // [b, n, n, 1]
        let att = attention_weights(scores, self.temperature).reshape([batch, nodes, nodes]);
        let y =
            self.proj_with_att.forward(att.matmul(x.clone())) + self.proj_without_att.forward(x);
        let out_dim = y.dims()[2];
        let y = self.bn.forward(y.reshape([batch * nodes, out_dim]));
        selu(y.reshape([batch, nodes, out_dim]))
    }
}
