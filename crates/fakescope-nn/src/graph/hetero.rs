//! Heterogeneous graph attention with a master node (upstream `HtrgGraphAttentionLayer`).

use burn::module::{Module, Param};
use burn::nn::{BatchNorm, Linear};
use burn::tensor::Tensor;
use burn::tensor::activation::{selu, softmax};

use super::{attention_weights, pairwise_products};
use crate::layers::{load_batch_norm, load_linear};
use crate::{Error, Params};

/// Graph attention over the union of two node types (e.g. temporal and spectral nodes) plus a
/// master node that attends to all of them (HS-GAL of AASIST).
///
/// Both node sets are first projected to a common space (`proj_type1`, `proj_type2`) and
/// concatenated. Edge scores use a different weight vector per block of the adjacency matrix:
/// `att_weight11` inside type 1, `att_weight22` inside type 2 and `att_weight12` between the
/// types (both directions). Inference only.
#[derive(Module, Debug)]
pub struct HeteroGraphAttention {
    /// `proj_type1`: `in_dim → in_dim`.
    pub proj_type1: Linear,
    /// `proj_type2`: `in_dim → in_dim`.
    pub proj_type2: Linear,
    /// `att_proj`: `in_dim → out_dim`.
    pub att_proj: Linear,
    /// `att_projM`: `in_dim → out_dim` (master node).
    pub att_proj_m: Linear,
    /// `att_weight11`, `att_weight22`, `att_weight12`: `[out_dim, 1]` each.
    pub att_weights: [Param<Tensor<2>>; 3],
    /// `att_weightM`: `[out_dim, 1]`.
    pub att_weight_m: Param<Tensor<2>>,
    /// `proj_with_att`: `in_dim → out_dim`.
    pub proj_with_att: Linear,
    /// `proj_without_att`: `in_dim → out_dim`.
    pub proj_without_att: Linear,
    /// `proj_with_attM`: `in_dim → out_dim`.
    pub proj_with_att_m: Linear,
    /// `proj_without_attM`: `in_dim → out_dim`.
    pub proj_without_att_m: Linear,
    /// `bn`: batch norm over `out_dim`.
    pub bn: BatchNorm,
    /// Softmax temperature.
    pub temperature: f32,
}

/// The outputs of [`HeteroGraphAttention::forward`].
#[derive(Debug, Clone)]
pub struct HeteroOutput {
    /// Type-1 nodes `[batch, nodes1, out_dim]`.
    pub x1: Tensor<3>,
    /// Type-2 nodes `[batch, nodes2, out_dim]`.
    pub x2: Tensor<3>,
    /// Master node `[batch, 1, out_dim]`.
    pub master: Tensor<3>,
}

impl HeteroGraphAttention {
    /// Loads upstream `HtrgGraphAttentionLayer(in_dim, out_dim, temperature=temperature)`.
    pub fn load(
        p: &Params,
        in_dim: usize,
        out_dim: usize,
        temperature: f32,
    ) -> Result<Self, Error> {
        let linear = |name: &str, d_out: usize| load_linear(&p.pp(name), in_dim, d_out, true);
        Ok(HeteroGraphAttention {
            proj_type1: linear("proj_type1", in_dim)?,
            proj_type2: linear("proj_type2", in_dim)?,
            att_proj: linear("att_proj", out_dim)?,
            att_proj_m: linear("att_projM", out_dim)?,
            att_weights: [
                p.param("att_weight11", [out_dim, 1])?,
                p.param("att_weight22", [out_dim, 1])?,
                p.param("att_weight12", [out_dim, 1])?,
            ],
            att_weight_m: p.param("att_weightM", [out_dim, 1])?,
            proj_with_att: linear("proj_with_att", out_dim)?,
            proj_without_att: linear("proj_without_att", out_dim)?,
            proj_with_att_m: linear("proj_with_attM", out_dim)?,
            proj_without_att_m: linear("proj_without_attM", out_dim)?,
            bn: load_batch_norm(&p.pp("bn"), out_dim)?,
            temperature,
        })
    }

    /// # Shapes
    /// - `x1`: `[batch, nodes1, in_dim]`, `x2`: `[batch, nodes2, in_dim]`
    /// - `master`: `[batch or 1, 1, in_dim]`
    pub fn forward(&self, x1: Tensor<3>, x2: Tensor<3>, master: Tensor<3>) -> HeteroOutput {
        let [batch, n1, _] = x1.dims();
        let n2 = x2.dims()[1];
        let n = n1 + n2;
        let x = Tensor::cat(
            vec![self.proj_type1.forward(x1), self.proj_type2.forward(x2)],
            1,
        );

        // Node-to-node attention, one score vector per adjacency block.
        let hidden = self.att_proj.forward(pairwise_products(x.clone())).tanh(); // [b, n, n, out]
        let score = |w: &Param<Tensor<2>>| {
            hidden
                .clone()
                .matmul(w.val().unsqueeze_dim::<3>(0).unsqueeze_dim(0)) // [b, n, n, 1]
        };
        let [s11, s22, s12] = [
            score(&self.att_weights[0]),
            score(&self.att_weights[1]),
            score(&self.att_weights[2]),
        ];
        let top = Tensor::cat(
            vec![
                s11.slice([0..batch, 0..n1, 0..n1, 0..1]),
                s12.clone().slice([0..batch, 0..n1, n1..n, 0..1]),
            ],
            2,
        );
        let bottom = Tensor::cat(
            vec![
                s12.slice([0..batch, n1..n, 0..n1, 0..1]),
                s22.slice([0..batch, n1..n, n1..n, 0..1]),
            ],
            2,
        );
        let att = attention_weights(Tensor::cat(vec![top, bottom], 1), self.temperature)
            .reshape([batch, n, n]);

        // Master node: attention over all nodes, from their product with the master.
        let master_scores = self
            .att_proj_m
            .forward(x.clone() * master.clone())
            .tanh()
            .matmul(self.att_weight_m.val().unsqueeze_dim(0)); // [b, n, 1]
        let master_att = softmax(master_scores.div_scalar(self.temperature), 1); // over nodes
        let master = self
            .proj_with_att_m
            .forward(master_att.swap_dims(1, 2).matmul(x.clone()))
            + self.proj_without_att_m.forward(master);

        let y =
            self.proj_with_att.forward(att.matmul(x.clone())) + self.proj_without_att.forward(x);
        let out_dim = y.dims()[2];
        let y = selu(
            self.bn
                .forward(y.reshape([batch * n, out_dim]))
                .reshape([batch, n, out_dim]),
        );
        HeteroOutput {
            x1: y.clone().slice([0..batch, 0..n1, 0..out_dim]),
            x2: y.slice([0..batch, n1..n, 0..out_dim]),
            master,
        }
    }
}
