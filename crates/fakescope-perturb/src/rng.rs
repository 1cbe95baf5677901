//! Deterministic random streams, and the few draws the transforms need.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// 2^64 / golden ratio, the increment of splitmix64.
const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// The splitmix64 finaliser (Vigna's `splitmix64.c`, from Stafford's "Mix13"): a bijection of
/// `u64` in which every input bit flips every output bit with probability about one half.
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A random stream determined by `seed` and `parts` alone, e.g.
/// `sample_rng(seed, &[epoch, sample_index, stream_id])`.
///
/// The seed and each part in turn are folded into a 64-bit state through the splitmix64
/// finaliser (`h = mix(h + φ ^ mix(part + φ))`, then the number of parts), so neighbouring
/// indices (sample 7 and sample 8, or the same sample in epochs 1 and 2) give unrelated
/// streams, and the order of the parts matters. Four splitmix64 outputs of that state make the
/// 256-bit ChaCha8 key. The result depends on nothing else (no thread, no time), and is the same
/// on every platform.
pub fn sample_rng(seed: u64, parts: &[u64]) -> ChaCha8Rng {
    let mut h = mix64(seed.wrapping_add(GOLDEN));
    for &part in parts {
        h = mix64(h.wrapping_add(GOLDEN) ^ mix64(part.wrapping_add(GOLDEN)));
    }
    h = mix64(h ^ parts.len() as u64);
    let mut key = [0u8; 32];
    for (k, word) in key.chunks_exact_mut(8).enumerate() {
        let z = mix64(h.wrapping_add(GOLDEN.wrapping_mul(k as u64 + 1)));
        word.copy_from_slice(&z.to_le_bytes());
    }
    ChaCha8Rng::from_seed(key)
}

/// A uniform draw from `[lo, hi)` (`lo` when the two are equal; never panics).
pub fn uniform(rng: &mut impl Rng, lo: f32, hi: f32) -> f32 {
    let u: f32 = rng.random();
    lo + (hi - lo) * u
}

/// `true` with probability `p` (never for `p <= 0`, always for `p >= 1`); always draws one
/// number, so the stream advances the same way whatever `p` is.
pub fn coin(rng: &mut impl Rng, p: f32) -> bool {
    let u: f32 = rng.random();
    u < p
}

/// Two independent standard normal draws (Box–Muller, in `f64`).
pub(crate) fn normal_pair(rng: &mut impl Rng) -> (f32, f32) {
    // 1 - [0, 1) is (0, 1]: the logarithm stays finite.
    let u1 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random();
    let r = (-2.0 * u1.ln()).sqrt();
    let (s, c) = (std::f64::consts::TAU * u2).sin_cos();
    ((r * c) as f32, (r * s) as f32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngCore;

    #[test]
    fn mix64_matches_splitmix64_reference() {
        // splitmix64.c seeded with 0 first returns mix64(0x9E3779B97F4A7C15).
        assert_eq!(mix64(GOLDEN), 0xE220_A839_7B1D_CDAF);
        assert_eq!(mix64(0), 0);
    }

    #[test]
    fn sample_rng_is_stable() {
        // Hard-coded so that a change of rand / rand_chacha (or of the mixing) is noticed: the
        // augmentation of every stored experiment depends on it.
        let mut rng = sample_rng(42, &[3, 17, 1]);
        assert_eq!(rng.next_u64(), FIRST_U64);
        let mut again = sample_rng(42, &[3, 17, 1]);
        assert_eq!(again.next_u64(), FIRST_U64);
    }
    const FIRST_U64: u64 = 0xDBEC_0396_08AD_EA83;

    #[test]
    fn nearby_inputs_give_unrelated_streams() {
        let first = |seed, parts: &[u64]| sample_rng(seed, parts).next_u64();
        let base = first(42, &[3, 17, 1]);
        let others = [
            first(43, &[3, 17, 1]),
            first(42, &[4, 17, 1]),
            first(42, &[3, 18, 1]),
            first(42, &[3, 17, 2]),
            first(42, &[17, 3, 1]),
            first(42, &[3, 17]),
            first(42, &[3, 17, 1, 0]),
            first(42, &[]),
        ];
        for other in others {
            assert_ne!(other, base);
            // Unrelated: about half the bits differ (32 ± 16 is > 5 sigma wide).
            let differing = (other ^ base).count_ones();
            assert!((16..=48).contains(&differing), "{differing} bits differ");
        }
    }

    #[test]
    fn coin_and_uniform_bounds() {
        let mut rng = sample_rng(1, &[]);
        for _ in 0..1000 {
            assert!(!coin(&mut rng, 0.0));
            assert!(coin(&mut rng, 1.0));
            let x = uniform(&mut rng, -2.0, 3.0);
            assert!((-2.0..3.0).contains(&x));
            assert_eq!(uniform(&mut rng, 5.0, 5.0), 5.0);
        }
    }

    #[test]
    fn normal_pair_has_unit_variance() {
        let mut rng = sample_rng(7, &[]);
        let n = 20_000;
        let (mut sum, mut sum2) = (0.0f64, 0.0f64);
        for _ in 0..n {
            let (a, b) = normal_pair(&mut rng);
            for z in [a as f64, b as f64] {
                sum += z;
                sum2 += z * z;
            }
        }
        let mean = sum / (2 * n) as f64;
        let var = sum2 / (2 * n) as f64 - mean * mean;
        assert!(mean.abs() < 0.03, "mean {mean}");
        assert!((var - 1.0).abs() < 0.03, "variance {var}");
    }
}
