//! SELU without its output scale λ, with a branch-free polynomial `exp` that vectorises.

/// SELU's α (PyTorch's constant, rounded to `f32`).
pub const SELU_ALPHA: f32 = 1.673_263_2;
/// SELU's output scale λ (PyTorch's constant, rounded to `f32`).
pub const SELU_LAMBDA: f32 = 1.050_701;

/// `selu(x) / λ`: `x` for `x > 0`, else `α (eˣ − 1)`. Multiply by [`SELU_LAMBDA`] (or fold λ
/// into the weights of the next linear operation) to get PyTorch's `selu`.
#[inline(always)]
pub fn selu_unscaled(x: f32) -> f32 {
    let negative = SELU_ALPHA * (exp_non_positive(x.min(0.0)) - 1.0);
    if x > 0.0 { x } else { negative }
}

/// `eˣ` for `x ≤ 0` (clamped at `e⁻⁸⁷` below −87, where `eˣ − 1` is −1 anyway), relative error below 5e-7: `x = n ln 2 + r`
/// with `|r| ≤ ln 2 / 2`, `2ⁿ` built from the exponent bits, `eʳ` by a degree-7 Taylor
/// polynomial. Branch-free so that LLVM vectorises loops over it.
#[inline(always)]
fn exp_non_positive(x: f32) -> f32 {
    // 1.5 · 2²³: adding it rounds to an integer held in the low mantissa bits.
    const ROUND: f32 = 12_582_912.0;
    const LN2_HI: f32 = 0.693_145_75;
    const LN2_LO: f32 = 1.428_606_8e-6;
    let x = x.max(-87.0);
    let t = x * std::f32::consts::LOG2_E + ROUND;
    let n = t - ROUND;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    let p = 1.0 / 5040.0;
    let p = p * r + 1.0 / 720.0;
    let p = p * r + 1.0 / 120.0;
    let p = p * r + 1.0 / 24.0;
    let p = p * r + 1.0 / 6.0;
    let p = p * r + 0.5;
    let p = p * r + 1.0;
    let p = p * r + 1.0;
    // n ∈ [−126, 0] is the difference of t's bits from ROUND's bits.
    let exponent = (t.to_bits() as i32 - ROUND.to_bits() as i32 + 127) as u32;
    p * f32::from_bits(exponent << 23)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_is_accurate() {
        let mut worst = 0.0f64;
        for i in 0..=200_000 {
            let x = -87.0 * f64::from(i) / 200_000.0;
            let got = f64::from(exp_non_positive(x as f32));
            let want = (x as f32 as f64).exp();
            worst = worst.max((got - want).abs() / want);
        }
        assert!(worst < 5e-7, "relative error {worst}");
        assert!(exp_non_positive(-200.0) < 1e-37);
        assert_eq!(exp_non_positive(0.0), 1.0);
    }

    #[test]
    fn matches_selu() {
        for x in [-20.0f32, -3.0, -1.0, -0.25, -1e-4, 0.0, 1e-4, 0.5, 7.0] {
            let want = f64::from(SELU_ALPHA) * (f64::from(x).exp() - 1.0);
            let want = if x > 0.0 { f64::from(x) } else { want };
            assert!((f64::from(selu_unscaled(x)) - want).abs() < 1e-6, "{x}");
        }
    }
}
