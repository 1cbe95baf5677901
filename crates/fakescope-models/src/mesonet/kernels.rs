//! The CPU kernels MesoNet needs, channels last (`[n, h, w, c]`), inference only:
//! Keras-"same" convolutions with ReLU and an optional per-channel affine (an eval-mode batch
//! norm) fused into the output, "same" max pooling, and dense layers.
//!
//! Each convolution output row is computed in register tiles of 4 pixels × `CO` output
//! channels (`CO` a compile-time constant, so the inner loop vectorises), reading a
//! zero-padded copy of the input so that the inner loops need no bounds checks; rows run in
//! parallel with rayon. Each row runs under [`pulp::Arch::dispatch`], so the tile loops
//! (all `#[inline(always)]`) are compiled for the machine's instruction set at run time
//! (AVX-512 or AVX2 + FMA on x86-64) and `f32::mul_add` becomes a fused multiply-add
//! instruction there.

use rayon::prelude::*;

/// A batch of channels-last feature maps.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Map {
    pub(crate) data: Vec<f32>,
    pub(crate) n: usize,
    pub(crate) h: usize,
    pub(crate) w: usize,
    pub(crate) c: usize,
}

impl Map {
    pub(crate) fn zeros(n: usize, h: usize, w: usize, c: usize) -> Map {
        Map {
            data: vec![0.0; n * h * w * c],
            n,
            h,
            w,
            c,
        }
    }

    /// A copy with `before`/`after` zero rows and columns around each map.
    fn padded(&self, before: usize, after: usize) -> Map {
        if before == 0 && after == 0 {
            return self.clone();
        }
        let (h, w) = (self.h + before + after, self.w + before + after);
        let mut out = Map::zeros(self.n, h, w, self.c);
        let row = self.w * self.c;
        for b in 0..self.n {
            for y in 0..self.h {
                let src = ((b * self.h + y) * self.w) * self.c;
                let dst = ((b * h + y + before) * w + before) * self.c;
                out.data[dst..dst + row].copy_from_slice(&self.data[src..src + row]);
            }
        }
        out
    }
}

/// Where a convolution writes in an output row: `width` pixels of `c_total` channels, its own
/// channels starting at `offset`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RowShape {
    pub(crate) width: usize,
    pub(crate) c_total: usize,
    pub(crate) offset: usize,
}

/// The output channel counts [`Conv`] has kernels for (MesoNet uses 1, 2, 4, 8 and 16).
pub(crate) const SUPPORTED_C_OUT: [usize; 5] = [1, 2, 4, 8, 16];

/// A stride-1 convolution with Keras "same" padding, ReLU, then `y · scale + shift` per output
/// channel. Weights are Keras' HWIO layout `[k][k][c_in][c_out]`.
#[derive(Debug, Clone)]
pub(crate) struct Conv {
    pub(crate) k: usize,
    pub(crate) dilation: usize,
    pub(crate) c_in: usize,
    pub(crate) c_out: usize,
    pub(crate) weight: Vec<f32>,
    pub(crate) bias: Vec<f32>,
    pub(crate) scale: Vec<f32>,
    pub(crate) shift: Vec<f32>,
    /// `weight` with its output channels zero-padded to a whole number of 8-lane vectors
    /// (`[k][k][c_in][lanes]`), for the vector kernels.
    pub(crate) lanes_weight: Vec<f32>,
    /// `bias` zero-padded the same way.
    pub(crate) lanes_bias: Vec<f32>,
}

impl Conv {
    /// A convolution from Keras' HWIO `weight` and `bias`, with ReLU and the identity affine.
    pub(crate) fn new(
        [k, dilation, c_in, c_out]: [usize; 4],
        weight: Vec<f32>,
        bias: Vec<f32>,
    ) -> Conv {
        let lanes = c_out.div_ceil(8) * 8;
        let mut lanes_weight = vec![0.0; k * k * c_in * lanes];
        for (dst, src) in lanes_weight
            .chunks_exact_mut(lanes)
            .zip(weight.chunks_exact(c_out))
        {
            dst[..c_out].copy_from_slice(src);
        }
        let mut lanes_bias = bias.clone();
        lanes_bias.resize(lanes, 0.0);
        Conv {
            k,
            dilation,
            c_in,
            c_out,
            weight,
            bias,
            scale: vec![1.0; c_out],
            shift: vec![0.0; c_out],
            lanes_weight,
            lanes_bias,
        }
    }

    /// The zero padding before and after that Keras "same" uses for this kernel and dilation.
    fn same_padding(&self) -> (usize, usize) {
        let total = (self.k - 1) * self.dilation;
        (total / 2, total - total / 2)
    }

    /// Runs the convolution on `x` and writes its channels into `out` (same `n`, `h`, `w`)
    /// starting at channel `offset` (a concatenation along channels).
    pub(crate) fn run_into(&self, x: &Map, out: &mut Map, offset: usize) {
        let (before, after) = self.same_padding();
        let padded = x.padded(before, after);
        let (width, c_total, h) = (out.w, out.c, out.h);
        let shape = RowShape {
            width,
            c_total,
            offset,
        };
        let arch = pulp::Arch::new();
        #[cfg(target_arch = "x86_64")]
        let v3 = pulp::x86::V3::try_new();
        out.data
            .par_chunks_mut(width * c_total)
            .enumerate()
            .for_each(|(i, row)| {
                #[cfg(target_arch = "x86_64")]
                if let Some(simd) = v3
                    && self.c_out <= 16
                {
                    pulp::Simd::vectorize(
                        simd,
                        super::avx2::Row {
                            simd,
                            conv: self,
                            x: &padded,
                            b: i / h,
                            y: i % h,
                            row,
                            shape,
                        },
                    );
                    return;
                }
                arch.dispatch(RowJob {
                    conv: self,
                    x: &padded,
                    b: i / h,
                    y: i % h,
                    row,
                    shape,
                });
            });
    }

    /// One output row `y` of batch item `b`; `row` is `[w][c_total]` of the output, computed
    /// in tiles of `P` pixels.
    #[inline(always)]
    fn row<const CO: usize, const P: usize>(
        &self,
        x: &Map,
        b: usize,
        y: usize,
        row: &mut [f32],
        RowShape {
            width,
            c_total,
            offset,
        }: RowShape,
    ) {
        let full = width / P * P;
        for px in (0..full).step_by(P) {
            self.pixels::<CO, P>(x, b, y, px, row, c_total, offset);
        }
        for px in full..width {
            self.pixels::<CO, 1>(x, b, y, px, row, c_total, offset);
        }
    }

    /// `P` neighbouring output pixels from `px` on: each weight vector is loaded once for the
    /// `P` pixels (register tile of `P × CO` accumulators).
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn pixels<const CO: usize, const P: usize>(
        &self,
        x: &Map,
        b: usize,
        y: usize,
        px: usize,
        row: &mut [f32],
        c_total: usize,
        offset: usize,
    ) {
        let (k, d, ci) = (self.k, self.dilation, self.c_in);
        let bias: [f32; CO] = self.bias[..CO].try_into().unwrap_or([0.0; CO]);
        let mut acc = [bias; P];
        let in_row = x.w * x.c;
        for ky in 0..k {
            let base = ((b * x.h + y + ky * d) * x.w) * x.c;
            let input = &x.data[base..base + in_row];
            for kx in 0..k {
                let at = (px + kx * d) * ci;
                let pixels = &input[at..at + P * ci];
                let w0 = (ky * k + kx) * ci * CO;
                let taps = &self.weight[w0..w0 + ci * CO];
                for (c, w) in taps.chunks_exact(CO).enumerate() {
                    let w: [f32; CO] = w.try_into().unwrap_or([0.0; CO]);
                    for (p, acc) in acc.iter_mut().enumerate() {
                        let v = pixels[p * ci + c];
                        for (a, w) in acc.iter_mut().zip(w) {
                            *a = v.mul_add(w, *a);
                        }
                    }
                }
            }
        }
        for (p, acc) in acc.iter().enumerate() {
            let start = (px + p) * c_total + offset;
            let out = &mut row[start..start + CO];
            for (((o, a), s), t) in out.iter_mut().zip(acc).zip(&self.scale).zip(&self.shift) {
                *o = a.max(0.0) * s + t;
            }
        }
    }
}

/// One output row of a [`Conv`], run by [`pulp::Arch::dispatch`].
struct RowJob<'a> {
    conv: &'a Conv,
    x: &'a Map,
    b: usize,
    y: usize,
    row: &'a mut [f32],
    shape: RowShape,
}

impl pulp::WithSimd for RowJob<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        let RowJob {
            conv,
            x,
            b,
            y,
            row,
            shape,
        } = self;
        // Tiles of 8 vectors of accumulators (8 lanes each) hide the multiply-add latency.
        match conv.c_out {
            1 => conv.row::<1, 8>(x, b, y, row, shape),
            2 => conv.row::<2, 8>(x, b, y, row, shape),
            4 => conv.row::<4, 8>(x, b, y, row, shape),
            8 => conv.row::<8, 8>(x, b, y, row, shape),
            _ => conv.row::<16, 4>(x, b, y, row, shape),
        }
    }
}

/// Max pooling with a `p × p` window and stride `p`, Keras "same" padding (the window is
/// clipped at the border, padding never wins the max).
pub(crate) fn max_pool_same(x: &Map, p: usize) -> Map {
    let (h, w) = (x.h.div_ceil(p), x.w.div_ceil(p));
    let pad_top = ((h - 1) * p + p).saturating_sub(x.h) / 2;
    let pad_left = ((w - 1) * p + p).saturating_sub(x.w) / 2;
    let mut out = Map::zeros(x.n, h, w, x.c);
    let c = x.c;
    out.data
        .par_chunks_mut(w * c)
        .enumerate()
        .for_each(|(i, row)| {
            let (b, oy) = (i / h, i % h);
            let y0 = (oy * p).saturating_sub(pad_top);
            let y1 = (oy * p + p - pad_top).min(x.h);
            for ox in 0..w {
                let x0 = (ox * p).saturating_sub(pad_left);
                let x1 = (ox * p + p - pad_left).min(x.w);
                let o = &mut row[ox * c..(ox + 1) * c];
                o.fill(f32::NEG_INFINITY);
                for yy in y0..y1 {
                    for xx in x0..x1 {
                        let at = ((b * x.h + yy) * x.w + xx) * c;
                        for (o, v) in o.iter_mut().zip(&x.data[at..at + c]) {
                            *o = o.max(*v);
                        }
                    }
                }
            }
        });
    out
}

/// `y = x · kernel + bias` for one row `x`; `kernel` is Keras' `[in][out]`.
pub(crate) fn dense(x: &[f32], kernel: &[f32], bias: &[f32]) -> Vec<f32> {
    let mut y = bias.to_vec();
    for (v, k) in x.iter().zip(kernel.chunks_exact(bias.len())) {
        for (o, w) in y.iter_mut().zip(k) {
            *o += v * w;
        }
    }
    y
}
