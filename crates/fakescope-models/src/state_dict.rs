//! Writing a model's weights back under PyTorch-style keys (the inverse of loading them with
//! [`fakescope_nn::Params`]), for the safetensors files of the models fakescope trains.

use burn::nn::BatchNorm;
use burn::tensor::Tensor;

/// Collects `(key, shape, values)` in the order they are written.
#[derive(Default)]
pub(crate) struct StateDictWriter {
    tensors: Vec<(String, Vec<usize>, Vec<f32>)>,
}

impl StateDictWriter {
    /// One tensor under `key`.
    pub(crate) fn tensor<const D: usize>(&mut self, key: &str, t: Tensor<D>) {
        let shape = t.dims().to_vec();
        let values = t
            .into_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
            .unwrap_or_default();
        self.tensors.push((key.to_owned(), shape, values));
    }

    /// A batch norm's four tensors under `prefix.{weight,bias,running_mean,running_var}`.
    pub(crate) fn batch_norm(&mut self, prefix: &str, bn: &BatchNorm) {
        self.tensor(&format!("{prefix}.weight"), bn.gamma.val());
        self.tensor(&format!("{prefix}.bias"), bn.beta.val());
        self.tensor(&format!("{prefix}.running_mean"), bn.running_mean.value());
        self.tensor(&format!("{prefix}.running_var"), bn.running_var.value());
    }

    /// Everything written.
    pub(crate) fn into_tensors(self) -> Vec<(String, Vec<usize>, Vec<f32>)> {
        self.tensors
    }
}
