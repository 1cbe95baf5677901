//! The CPU kernels MesoNet needs, channels last (`[n, h, w, c]`), inference only:
//! Keras-"same" convolutions with ReLU and an optional per-channel affine (an eval-mode batch
//! norm) fused into the output, "same" max pooling, and dense layers.
//!
//! Feature maps carry the zero border their consumer reads as "same" padding, so no
//! convolution copies its input. Output rows run in parallel with rayon; on x86-64 with
//! AVX2 + FMA each row runs the explicit register tiles of `mesonet::avx2` (8 or 4 pixels ×
//! one or two 8-lane vectors of output channels). Elsewhere the portable tile loop here runs
//! under [`pulp::Arch::dispatch`], so it is compiled for the machine's instruction set at run
//! time and `f32::mul_add` becomes a fused multiply-add where the machine has one.

use rayon::prelude::*;

/// A batch of channels-last feature maps of `h × w` pixels, each inside a zero border `pad`
/// pixels wide (so a convolution reads its "same" padding in place, without a copy).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Map {
    pub(crate) data: Vec<f32>,
    pub(crate) n: usize,
    pub(crate) h: usize,
    pub(crate) w: usize,
    pub(crate) c: usize,
    pub(crate) pad: usize,
}

impl Map {
    pub(crate) fn zeros(n: usize, h: usize, w: usize, c: usize, pad: usize) -> Map {
        Map {
            data: vec![0.0; n * (h + 2 * pad) * (w + 2 * pad) * c],
            n,
            h,
            w,
            c,
            pad,
        }
    }

    /// Values in one row including its border.
    pub(crate) fn row_len(&self) -> usize {
        (self.w + 2 * self.pad) * self.c
    }

    /// Row `r` (counted from the top of the border) of map `b`, border included.
    pub(crate) fn row(&self, b: usize, r: usize) -> &[f32] {
        let len = self.row_len();
        let start = (b * (self.h + 2 * self.pad) + r) * len;
        &self.data[start..start + len]
    }

    /// `n` unpadded maps `values` (`[n][h][w][c]`) copied inside a border of `pad`.
    pub(crate) fn from_values(values: &[f32], [n, h, w, c]: [usize; 4], pad: usize) -> Map {
        let mut out = Map::zeros(n, h, w, c, pad);
        let (len, content) = (out.row_len(), w * c);
        for (i, src) in values.chunks_exact(content).enumerate() {
            let (b, y) = (i / h, i % h);
            let dst = (b * (h + 2 * pad) + y + pad) * len + pad * c;
            out.data[dst..dst + content].copy_from_slice(src);
        }
        out
    }

    /// Calls `f(b, y, row)` for every content row `y` of every map `b` in parallel, `row`
    /// starting at the first content pixel.
    fn for_each_row_mut(&mut self, f: impl Fn(usize, usize, &mut [f32]) + Sync) {
        let (h, pad, c, len) = (self.h, self.pad, self.c, self.row_len());
        let padded_h = h + 2 * pad;
        self.data
            .par_chunks_mut(len)
            .enumerate()
            .for_each(|(i, row)| {
                let (b, r) = (i / padded_h, i % padded_h);
                if r >= pad && r < pad + h {
                    f(b, r - pad, &mut row[pad * c..]);
                }
            });
    }
}

/// Where a convolution writes in an output row: `width` pixels of `c_total` channels, its own
/// channels starting at `offset`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RowShape {
    /// How far the input's border is wider than this convolution needs: input row and column
    /// of output pixel `(y, x)`'s first tap are `y + shift` and `x + shift`.
    pub(crate) shift: usize,
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
    /// The zero border Keras "same" padding needs on each side (kernels are odd-sized).
    pub(crate) fn same_padding(&self) -> usize {
        (self.k - 1) * self.dilation / 2
    }

    /// Runs the convolution on `x` and writes its channels into `out` (same `n`, `h`, `w`;
    /// any border) starting at channel `offset` (a concatenation along channels). `x` is read
    /// in place when its border is wide enough, else from a copy with a wider one.
    pub(crate) fn run_into(&self, x: &Map, out: &mut Map, offset: usize) {
        let need = self.same_padding();
        let copy;
        let x = if x.pad >= need {
            x
        } else {
            copy = Map::from_values(&unpadded(x), [x.n, x.h, x.w, x.c], need);
            &copy
        };
        let shape = RowShape {
            shift: x.pad - need,
            width: out.w,
            c_total: out.c,
            offset,
        };
        let arch = pulp::Arch::new();
        #[cfg(target_arch = "x86_64")]
        let v3 = pulp::x86::V3::try_new();
        out.for_each_row_mut(|b, y, row| {
            #[cfg(target_arch = "x86_64")]
            if let Some(simd) = v3
                && self.c_out <= 16
            {
                pulp::Simd::vectorize(
                    simd,
                    super::avx2::Row {
                        simd,
                        conv: self,
                        x,
                        b,
                        y,
                        row,
                        shape,
                    },
                );
                return;
            }
            arch.dispatch(RowJob {
                conv: self,
                x,
                b,
                y,
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
        shape: RowShape,
    ) {
        let full = shape.width / P * P;
        for px in (0..full).step_by(P) {
            self.pixels::<CO, P>(x, b, y, px, row, shape);
        }
        for px in full..shape.width {
            self.pixels::<CO, 1>(x, b, y, px, row, shape);
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
        RowShape {
            shift,
            c_total,
            offset,
            ..
        }: RowShape,
    ) {
        let (k, d, ci) = (self.k, self.dilation, self.c_in);
        let bias: [f32; CO] = self.bias[..CO].try_into().unwrap_or([0.0; CO]);
        let mut acc = [bias; P];
        for ky in 0..k {
            let input = x.row(b, y + shift + ky * d);
            for kx in 0..k {
                let at = (px + shift + kx * d) * ci;
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
pub(crate) fn max_pool_same(x: &Map, p: usize, out_pad: usize) -> Map {
    let (h, w) = (x.h.div_ceil(p), x.w.div_ceil(p));
    let pad_top = ((h - 1) * p + p).saturating_sub(x.h) / 2;
    let pad_left = ((w - 1) * p + p).saturating_sub(x.w) / 2;
    let mut out = Map::zeros(x.n, h, w, x.c, out_pad);
    let c = x.c;
    out.for_each_row_mut(|b, oy, row| {
        let y0 = (oy * p).saturating_sub(pad_top);
        let y1 = (oy * p + p - pad_top).min(x.h);
        for ox in 0..w {
            let x0 = (ox * p).saturating_sub(pad_left);
            let x1 = (ox * p + p - pad_left).min(x.w);
            let o = &mut row[ox * c..(ox + 1) * c];
            o.fill(f32::NEG_INFINITY);
            for yy in y0..y1 {
                let input = x.row(b, yy + x.pad);
                for xx in x0..x1 {
                    let at = (xx + x.pad) * c;
                    for (o, v) in o.iter_mut().zip(&input[at..at + c]) {
                        *o = o.max(*v);
                    }
                }
            }
        }
    });
    out
}

/// The content of `x` without its border, `[n][h][w][c]`.
fn unpadded(x: &Map) -> Vec<f32> {
    let mut values = Vec::with_capacity(x.n * x.h * x.w * x.c);
    for b in 0..x.n {
        for y in 0..x.h {
            let row = x.row(b, y + x.pad);
            values.extend_from_slice(&row[x.pad * x.c..(x.pad + x.w) * x.c]);
        }
    }
    values
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
