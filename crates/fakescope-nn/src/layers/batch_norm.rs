//! `nn.BatchNorm{1,2}d` in eval mode → burn's [`BatchNorm`], plus a channels-last variant.

use burn::module::RunningState;
use burn::nn::{BatchNorm, BatchNormConfig};
use burn::tensor::Tensor;

use crate::{Error, Params};

/// PyTorch's default `eps` for batch norm.
const TORCH_EPS: f64 = 1e-5;

/// Loads PyTorch's `nn.BatchNorm{1,2}d(features)` from `p` (`weight`, `bias`, `running_mean`,
/// `running_var`; `num_batches_tracked` is not needed) into burn's [`BatchNorm`]. On a device
/// without autodiff burn's `forward` uses the running statistics, as PyTorch's eval mode does.
pub fn load_batch_norm(p: &Params, features: usize) -> Result<BatchNorm, Error> {
    let mut bn = BatchNormConfig::new(features)
        .with_epsilon(TORCH_EPS)
        .init(p.device());
    bn.gamma = p.param("weight", [features])?;
    bn.beta = p.param("bias", [features])?;
    bn.running_mean = RunningState::new(p.tensor("running_mean", [features])?);
    bn.running_var = RunningState::new(p.tensor("running_var", [features])?);
    Ok(bn)
}

/// The per-channel `(scale, shift)` of `bn` in eval mode, `y = x * scale + shift`, computed as
/// PyTorch's CPU kernel does (`scale = gamma / sqrt(var + eps)`, `shift = beta - mean * scale`).
pub fn eval_affine(bn: &BatchNorm) -> (Tensor<1>, Tensor<1>) {
    let scale = bn.gamma.val() / bn.running_var.value().add_scalar(bn.epsilon).sqrt();
    let shift = bn.beta.val() - bn.running_mean.value() * scale.clone();
    (scale, shift)
}

/// Eval-mode batch norm over the **last** dimension (channels-last tensors such as
/// `[batch, height, width, channels]`), with `bn`'s running statistics.
pub fn batch_norm_channels_last<const D: usize>(bn: &BatchNorm, x: Tensor<D>) -> Tensor<D> {
    let (scale, shift) = eval_affine(bn);
    let mut shape = [1usize; D];
    shape[D - 1] = scale.dims()[0];
    x * scale.reshape(shape) + shift.reshape(shape)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::tests::dict;
    use burn::tensor::{Device, TensorData};

    #[test]
    fn channels_last_equals_burn_channels_first() {
        let p = Params::new(
            dict(&[
                ("bn.weight", &[2], &[2.0, 0.5]),
                ("bn.bias", &[2], &[1.0, -1.0]),
                ("bn.running_mean", &[2], &[0.5, -2.0]),
                ("bn.running_var", &[2], &[4.0, 0.25]),
                ("bn.num_batches_tracked", &[], &[7.0]),
            ]),
            &Device::flex(),
        );
        let bn = load_batch_norm(&p.pp("bn"), 2).unwrap();
        p.finish().unwrap();
        let values = vec![1.0f32, 2.0, 3.0, -4.0, 5.0, 6.0];
        let first = Tensor::<3>::from_data(TensorData::new(values.clone(), [1, 2, 3]), p.device());
        let expected = bn.forward(first).into_data().try_to_vec::<f32>().unwrap();
        let last =
            Tensor::<3>::from_data(TensorData::new(values, [1, 2, 3]), p.device()).swap_dims(1, 2);
        let got = batch_norm_channels_last(&bn, last)
            .swap_dims(1, 2)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        for (g, e) in got.iter().zip(&expected) {
            assert!((g - e).abs() < 1e-5, "{got:?} vs {expected:?}");
        }
        // (1 - 0.5) / 2 * 2 + 1 = 1.5
        assert!((expected[0] - 1.5).abs() < 1e-4);
    }
}
