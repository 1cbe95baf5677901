//! `nn.Linear` → burn's [`Linear`].

use burn::module::Param;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Tensor, TensorData};

use crate::{Error, Params};

/// Loads PyTorch's `nn.Linear(d_input, d_output)` from `p` (`weight` `[d_output, d_input]`, and
/// `bias` `[d_output]` when `bias` is true) into burn's [`Linear`], which stores the transposed
/// weight `[d_input, d_output]`.
pub fn load_linear(
    p: &Params,
    d_input: usize,
    d_output: usize,
    bias: bool,
) -> Result<Linear, Error> {
    let torch = p.values("weight", &[d_output, d_input])?;
    // PyTorch keeps [out, in]; burn multiplies x [.., in] by [in, out].
    let mut transposed = vec![0.0f32; torch.len()];
    for (o, row) in torch.chunks_exact(d_input).enumerate() {
        for (i, &v) in row.iter().enumerate() {
            transposed[i * d_output + o] = v;
        }
    }
    let mut linear = LinearConfig::new(d_input, d_output)
        .with_bias(bias)
        .init(p.device());
    linear.weight = Param::from_tensor(Tensor::from_data(
        TensorData::new(transposed, [d_input, d_output]),
        p.device(),
    ));
    linear.bias = if bias {
        Some(p.param("bias", [d_output])?)
    } else {
        None
    };
    Ok(linear)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::tests::dict;
    use burn::tensor::Device;

    #[test]
    fn matches_pytorch_convention() {
        // y = W x + b with W = [[1, 2], [3, 4], [5, 6]] (torch [out=3, in=2]).
        let p = Params::new(
            dict(&[
                ("fc.weight", &[3, 2], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
                ("fc.bias", &[3], &[0.5, 0.0, -1.0]),
            ]),
            &Device::flex(),
        );
        let fc = load_linear(&p.pp("fc"), 2, 3, true).unwrap();
        p.finish().unwrap();
        let x = Tensor::<2>::from_data(TensorData::new(vec![1.0f32, -1.0], [1, 2]), p.device());
        let y = fc.forward(x).into_data().try_to_vec::<f32>().unwrap();
        assert_eq!(y, vec![-0.5, -1.0, -2.0]);
    }
}
