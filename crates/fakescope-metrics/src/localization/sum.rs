//! `f32` summation in the order `ndarray` 0.15 uses, so sums match the evaluator bit for bit.

/// `ndarray`'s `sum()` of a contiguous array (`numeric_util::unrolled_fold`): eight running
/// partial sums over the blocks of eight, combined as `((p0+p4) + (p1+p5)) + …`, then the
/// remaining (at most seven) values added in order.
pub(super) fn unrolled(values: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let mut blocks = values.chunks_exact(8);
    for block in &mut blocks {
        for (lane, &v) in lanes.iter_mut().zip(block) {
            *lane += v;
        }
    }
    let mut acc = 0.0f32;
    for k in 0..4 {
        acc += lanes[k] + lanes[k + 4];
    }
    blocks.remainder().iter().fold(acc, |acc, &v| acc + v)
}

/// `ndarray`'s `sum()` of a strided (non-contiguous) 1-D view: plain left-to-right from 0.
pub(super) fn sequential(values: impl IntoIterator<Item = f32>) -> f32 {
    values.into_iter().fold(0.0, |acc, v| acc + v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unrolled_groups_lanes_like_ndarray() {
        // Near 1e8 an f32 absorbs +1, so the grouping shows: one block of eight, two left over.
        let mut v = vec![1e8f32, 1.0, 1.0, 1.0, -1e8, 1.0, 1.0, 1.0, 3.0, 4.0];
        let expected =
            ((((0.0f32 + (1e8 + -1e8)) + (1.0 + 1.0)) + (1.0 + 1.0)) + (1.0 + 1.0)) + 3.0 + 4.0;
        assert_eq!((unrolled(&v), expected), (13.0, 13.0));
        assert_eq!(sequential(v.iter().copied()), 10.0);
        v.truncate(3);
        assert_eq!(unrolled(&v), 1e8 + 1.0 + 1.0);
        assert_eq!(unrolled(&[]), 0.0);
        assert_eq!(sequential([1e8f32, 1.0, -1e8]), 0.0);
    }
}
