//! The convolution tile loop with explicit 8-lane vectors (AVX2 + FMA) for 8 and 16 output
//! channels or fewer (weights zero-padded to whole vectors): a tile keeps `P × NV`
//! accumulator vectors in registers, multiplying one broadcast input value per pixel with one
//! weight vector per 8 output channels. (Left to the compiler, the same loop spilled its
//! accumulators to the stack on every step.)

use pulp::f32x8;
use pulp::x86::V3;

use super::kernels::{Conv, Map, RowShape};

/// One output row of `conv` (at most 16 output channels) for batch item `b`, output row `y`.
pub(super) struct Row<'a> {
    pub(super) simd: V3,
    pub(super) conv: &'a Conv,
    pub(super) x: &'a Map,
    pub(super) b: usize,
    pub(super) y: usize,
    pub(super) row: &'a mut [f32],
    pub(super) shape: RowShape,
}

impl pulp::WithSimd for Row<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(mut self, _: S) {
        if self.conv.c_out <= 8 {
            self.run::<1, 8>();
        } else {
            self.run::<2, 4>();
        }
    }
}

impl Row<'_> {
    /// The row in tiles of `P` pixels of `NV` vectors each, then the remaining pixels singly.
    #[inline(always)]
    fn run<const NV: usize, const P: usize>(&mut self) {
        let width = self.shape.width;
        let full = width / P * P;
        for px in (0..full).step_by(P) {
            let acc = self.tile::<NV, P>(px);
            self.store(px, &acc);
        }
        for px in full..width {
            let acc = self.tile::<NV, 1>(px);
            self.store(px, &acc);
        }
    }

    /// Bias plus the convolution sums of the `P` output pixels from `px` on.
    #[inline(always)]
    fn tile<const NV: usize, const P: usize>(&self, px: usize) -> [[f32x8; NV]; P] {
        let (simd, conv, x) = (self.simd, self.conv, self.x);
        let (k, d, ci) = (conv.k, conv.dilation, conv.c_in);
        let co = 8 * NV;
        let bias: [f32x8; NV] = std::array::from_fn(|v| load(&conv.lanes_bias[8 * v..]));
        let mut acc = [bias; P];
        let shift = self.shape.shift;
        for ky in 0..k {
            let input = x.row(self.b, self.y + shift + ky * d);
            for kx in 0..k {
                let at = (px + shift + kx * d) * ci;
                let pixels = &input[at..at + P * ci];
                let w0 = (ky * k + kx) * ci * co;
                let taps = &conv.lanes_weight[w0..w0 + ci * co];
                for (c, w) in taps.chunks_exact(co).enumerate() {
                    let w: [f32x8; NV] = std::array::from_fn(|v| load(&w[8 * v..]));
                    let v: [f32; P] = std::array::from_fn(|p| pixels[p * ci + c]);
                    for (acc, v) in acc.iter_mut().zip(v) {
                        let v = simd.splat_f32x8(v);
                        for (a, w) in acc.iter_mut().zip(w) {
                            *a = simd.mul_add_f32x8(v, w, *a);
                        }
                    }
                }
            }
        }
        acc
    }

    /// Writes ReLU, then the per-channel affine, of `acc` (pixels from `px` on) into the row.
    #[inline(always)]
    fn store<const NV: usize, const P: usize>(&mut self, px: usize, acc: &[[f32x8; NV]; P]) {
        let RowShape {
            c_total, offset, ..
        } = self.shape;
        let conv = self.conv;
        for (p, acc) in acc.iter().enumerate() {
            let start = (px + p) * c_total + offset;
            let out = &mut self.row[start..start + conv.c_out];
            let values: [[f32; 8]; NV] = acc.map(pulp::bytemuck::cast);
            for ((o, a), (s, t)) in out
                .iter_mut()
                .zip(values.iter().flatten())
                .zip(conv.scale.iter().zip(&conv.shift))
            {
                *o = a.max(0.0) * s + t;
            }
        }
    }
}

/// The first 8 values of `values` as a vector (zeros if there are fewer).
#[inline(always)]
fn load(values: &[f32]) -> f32x8 {
    let lanes: [f32; 8] = values
        .get(..8)
        .and_then(|v| v.try_into().ok())
        .unwrap_or_default();
    pulp::bytemuck::cast(lanes)
}
