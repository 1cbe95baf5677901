//! The few layers MTCNN needs, as plain loops over channels-last (`[h][w][c]`) `f32` maps:
//! a valid 2-D convolution with the PReLU that always follows it, max pooling with PyTorch's
//! `ceil_mode=True`, and a dense layer.
//!
//! The nets are tiny (P-Net has 6.6 k parameters) but P-Net runs over whole frames, so the
//! convolution computes register tiles of [`TILE`] output pixels × [`CHUNK`] output channels
//! straight from the input rows (no im2col), in safe SIMD compiled for the best instruction set
//! found at run time ([`pulp::Arch::dispatch`]: AVX-512 or AVX2 + FMA on x86-64). Output
//! channels are zero-padded to a multiple of [`CHUNK`] in the packed weights, the bias and the
//! PReLU slopes, so bias and PReLU are vector operations on the tile too (done one channel at
//! a time, they took as long as the convolution's multiply-adds).

use fakescope_weights::StateDict;
use rayon::prelude::*;

/// Output pixels per register tile.
const TILE: usize = 6;
/// Output channels per register tile.
const CHUNK: usize = 16;

use crate::error::Error;

/// A feature map of one image, channels last.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Map {
    /// Rows.
    pub h: usize,
    /// Columns.
    pub w: usize,
    /// Channels.
    pub c: usize,
    /// `h * w * c` values, `[y][x][channel]`.
    pub data: Vec<f32>,
}

/// Reads `key` from `dict`, checking its shape; errors name the file, the key and both shapes.
fn tensor(dict: &StateDict, key: &str, shape: &[usize]) -> Result<Vec<f32>, Error> {
    Ok(dict.get_shaped(key, shape)?.data.clone())
}

/// `Conv2d(ci, co, k)` (stride 1, no padding) followed by `PReLU(co)`, or by nothing for the
/// heads (`prelu: None`).
#[derive(Debug, Clone)]
pub(crate) struct ConvPrelu {
    k: usize,
    ci: usize,
    co: usize,
    /// `[co / CHUNK][ky][kx][ci][CHUNK]`, channels past `co` zero.
    packed: Vec<f32>,
    /// Bias, then the PReLU slopes (1 for the heads: the identity), each padded with zeros
    /// to whole chunks.
    bias: Vec<f32>,
    slope: Vec<f32>,
}

impl ConvPrelu {
    /// Loads `{conv}.weight`, `{conv}.bias` and, when given, `{prelu}.weight`.
    pub fn load(
        dict: &StateDict,
        conv: &str,
        prelu: Option<&str>,
        ci: usize,
        co: usize,
        k: usize,
    ) -> Result<ConvPrelu, Error> {
        let torch = tensor(dict, &format!("{conv}.weight"), &[co, ci, k, k])?;
        // PyTorch stores [co][ci][ky][kx]; the tiles want [chunk][ky][kx][ci][CHUNK].
        let chunks = co.div_ceil(CHUNK);
        let mut packed = vec![0.0; chunks * k * k * ci * CHUNK];
        for o in 0..co {
            let (j, lane) = (o / CHUNK, o % CHUNK);
            for i in 0..ci {
                for ky in 0..k {
                    for kx in 0..k {
                        packed[(((j * k + ky) * k + kx) * ci + i) * CHUNK + lane] =
                            torch[((o * ci + i) * k + ky) * k + kx];
                    }
                }
            }
        }
        let mut bias = tensor(dict, &format!("{conv}.bias"), &[co])?;
        let mut slope = match prelu {
            Some(name) => tensor(dict, &format!("{name}.weight"), &[co])?,
            None => vec![1.0; co],
        };
        bias.resize(chunks * CHUNK, 0.0);
        slope.resize(chunks * CHUNK, 0.0);
        Ok(ConvPrelu {
            k,
            ci,
            co,
            packed,
            bias,
            slope,
        })
    }

    /// Output channels.
    pub fn out_channels(&self) -> usize {
        self.co
    }

    /// Applies the layer; `parallel` spreads output rows over the rayon pool (for big maps).
    ///
    /// # Shapes
    /// `[h][w][ci]` → `[h - k + 1][w - k + 1][co]`; a map smaller than the kernel gives an empty
    /// map.
    pub fn forward(&self, x: &Map, parallel: bool) -> Map {
        debug_assert_eq!(x.c, self.ci);
        let (k, co) = (self.k, self.co);
        let oh = (x.h + 1).saturating_sub(k);
        let ow = (x.w + 1).saturating_sub(k);
        let mut data = vec![0.0f32; oh * ow * co];
        if oh == 0 || ow == 0 {
            return Map {
                h: oh,
                w: ow,
                c: co,
                data,
            };
        }
        let row = |(y, out): (usize, &mut [f32])| {
            pulp::Arch::new().dispatch(RowJob {
                src: Rows {
                    conv: self,
                    input: x,
                    y,
                },
                out,
            });
        };
        if parallel {
            data.par_chunks_mut(ow * co).enumerate().for_each(row);
        } else {
            data.chunks_mut(ow * co).enumerate().for_each(row);
        }
        Map {
            h: oh,
            w: ow,
            c: co,
            data,
        }
    }
}

/// One output row of a [`ConvPrelu`], run by [`pulp::Arch::dispatch`] so that the tile loops
/// are compiled for the machine's instruction set (everything below is `#[inline(always)]`).
struct RowJob<'a> {
    src: Rows<'a>,
    /// `[ow][co]`.
    out: &'a mut [f32],
}

/// What a row's tiles read: the layer, its input and the output row index.
#[derive(Clone, Copy)]
struct Rows<'a> {
    conv: &'a ConvPrelu,
    input: &'a Map,
    y: usize,
}

impl pulp::WithSimd for RowJob<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, simd: S) {
        match CHUNK / S::F32_LANES {
            1 => row::<S, 1>(simd, self.src, self.out),
            2 => row::<S, 2>(simd, self.src, self.out),
            4 => row::<S, 4>(simd, self.src, self.out),
            _ => row_scalar(self.src, self.out),
        }
    }
}

impl<'a> Rows<'a> {
    /// Kernel row `ky` under output pixel `x`: `k * ci` input values.
    #[inline(always)]
    fn taps(self, ky: usize, x: usize) -> &'a [f32] {
        let (c, input) = (self.conv, self.input);
        let start = ((self.y + ky) * input.w + x) * c.ci;
        &input.data[start..start + c.k * c.ci]
    }

    /// Packed weights of chunk `j`, kernel row `ky`: `[k * ci][CHUNK]`.
    #[inline(always)]
    fn weights(self, j: usize, ky: usize) -> &'a [f32] {
        let c = self.conv;
        let per_row = c.k * c.ci * CHUNK;
        &c.packed[(j * c.k + ky) * per_row..][..per_row]
    }

    /// The valid channels of a finished tile into the output row.
    #[inline(always)]
    fn store(self, j: usize, x0: usize, acc: &[[f32; CHUNK]], out: &mut [f32]) {
        let c = self.conv;
        let lo = j * CHUNK;
        let n = CHUNK.min(c.co - lo);
        for (p, a) in acc.iter().enumerate() {
            out[(x0 + p) * c.co + lo..][..n].copy_from_slice(&a[..n]);
        }
    }
}

/// A tile of `P` pixels from `x0`, chunk `j`, in `NV` vectors of `S::F32_LANES` channels.
#[inline(always)]
fn tile<S: pulp::Simd, const NV: usize, const P: usize>(
    simd: S,
    src: Rows<'_>,
    j: usize,
    x0: usize,
) -> [[f32; CHUNK]; P] {
    let chunk = |v: &'_ [f32]| -> [S::f32s; NV] {
        let (v, _) = S::as_simd_f32s(&v[j * CHUNK..(j + 1) * CHUNK]);
        let mut out = [simd.splat_f32s(0.0); NV];
        out.copy_from_slice(&v[..NV]);
        out
    };
    let mut acc: [[S::f32s; NV]; P] = [chunk(&src.conv.bias); P];
    for ky in 0..src.conv.k {
        // Plain loops, no closures: one left un-inlined here would spill the accumulators.
        let mut xs: [&[f32]; P] = [&[]; P];
        for (p, x) in xs.iter_mut().enumerate() {
            *x = src.taps(ky, x0 + p);
        }
        for (t, wv) in src.weights(j, ky).chunks_exact(CHUNK).enumerate() {
            let (wv, _) = S::as_simd_f32s(wv);
            for (a, x) in acc.iter_mut().zip(&xs) {
                let x = simd.splat_f32s(x[t]);
                for (a, w) in a.iter_mut().zip(wv) {
                    *a = simd.mul_add_e_f32s(x, *w, *a);
                }
            }
        }
    }
    // PReLU: max(a, 0) + slope · min(a, 0), which is a · slope below zero, exactly.
    let (slope, zero) = (chunk(&src.conv.slope), simd.splat_f32s(0.0));
    for a in &mut acc {
        for (a, s) in a.iter_mut().zip(&slope) {
            *a = simd.mul_add_e_f32s(*s, simd.min_f32s(*a, zero), simd.max_f32s(*a, zero));
        }
    }
    let mut out = [[0.0f32; CHUNK]; P];
    for (o, a) in out.iter_mut().zip(&acc) {
        let (o, _) = S::as_mut_simd_f32s(o);
        for (o, a) in o.iter_mut().zip(a) {
            *o = *a;
        }
    }
    out
}

#[inline(always)]
fn row<S: pulp::Simd, const NV: usize>(simd: S, src: Rows<'_>, out: &mut [f32]) {
    let ow = out.len() / src.conv.co;
    let full = ow / TILE * TILE;
    for j in 0..src.conv.co.div_ceil(CHUNK) {
        for x0 in (0..full).step_by(TILE) {
            src.store(j, x0, &tile::<S, NV, TILE>(simd, src, j, x0), out);
        }
        for x0 in full..ow {
            src.store(j, x0, &tile::<S, NV, 1>(simd, src, j, x0), out);
        }
    }
}

/// The same without SIMD vectors (instruction sets whose width does not divide [`CHUNK`]).
fn row_scalar(src: Rows<'_>, out: &mut [f32]) {
    let ow = out.len() / src.conv.co;
    for j in 0..src.conv.co.div_ceil(CHUNK) {
        for x0 in 0..ow {
            let mut acc = [0.0f32; CHUNK];
            acc.copy_from_slice(&src.conv.bias[j * CHUNK..(j + 1) * CHUNK]);
            for ky in 0..src.conv.k {
                let xs = src.taps(ky, x0);
                for (&x, w) in xs.iter().zip(src.weights(j, ky).chunks_exact(CHUNK)) {
                    for (a, &w) in acc.iter_mut().zip(w) {
                        *a = x.mul_add(w, *a);
                    }
                }
            }
            for (a, s) in acc.iter_mut().zip(&src.conv.slope[j * CHUNK..]) {
                if *a < 0.0 {
                    *a *= s;
                }
            }
            src.store(j, x0, &[acc], out);
        }
    }
}

/// Output length of PyTorch's `MaxPool2d(k, s, ceil_mode=True)` (no padding) along one axis.
fn pooled_len(n: usize, k: usize, s: usize) -> usize {
    if n < k {
        // PyTorch refuses this; MTCNN never gets here with a non-empty map.
        return 0;
    }
    let mut out = (n - k).div_ceil(s) + 1;
    // The last window must start inside the input.
    if (out - 1) * s >= n {
        out -= 1;
    }
    out
}

/// `MaxPool2d(k, s, ceil_mode=True)`: windows that run past the edge use the part inside.
pub(crate) fn max_pool(x: &Map, k: usize, s: usize, parallel: bool) -> Map {
    let (oh, ow, c) = (pooled_len(x.h, k, s), pooled_len(x.w, k, s), x.c);
    let mut data = vec![0.0f32; oh * ow * c];
    if oh == 0 || ow == 0 {
        return Map {
            h: oh,
            w: ow,
            c,
            data,
        };
    }
    // Rows first (whole rows at once, which vectorises), then columns.
    let row = |(oy, out): (usize, &mut [f32])| {
        let (y0, y1) = (oy * s, (oy * s + k).min(x.h));
        let stride = x.w * c;
        let mut rows = x.data[y0 * stride..(y0 + 1) * stride].to_vec();
        for y in y0 + 1..y1 {
            for (a, &v) in rows.iter_mut().zip(&x.data[y * stride..(y + 1) * stride]) {
                *a = if v > *a { v } else { *a };
            }
        }
        for (ox, acc) in out.chunks_exact_mut(c).enumerate() {
            let (x0, x1) = (ox * s, (ox * s + k).min(x.w));
            acc.copy_from_slice(&rows[x0 * c..(x0 + 1) * c]);
            for xx in x0 + 1..x1 {
                for (a, &v) in acc.iter_mut().zip(&rows[xx * c..(xx + 1) * c]) {
                    *a = if v > *a { v } else { *a };
                }
            }
        }
    };
    if parallel {
        data.par_chunks_mut(ow * c).enumerate().for_each(row);
    } else {
        data.chunks_mut(ow * c).enumerate().for_each(row);
    }
    Map {
        h: oh,
        w: ow,
        c,
        data,
    }
}

/// `Linear(ni, no)`, optionally followed by `PReLU(no)`.
#[derive(Debug, Clone)]
pub(crate) struct Dense {
    ni: usize,
    /// `[no][ni]`, as PyTorch stores it.
    weight: Vec<f32>,
    bias: Vec<f32>,
    prelu: Option<Vec<f32>>,
}

impl Dense {
    /// Loads `{dense}.weight`, `{dense}.bias` and, when given, `{prelu}.weight`.
    pub fn load(
        dict: &StateDict,
        dense: &str,
        prelu: Option<&str>,
        ni: usize,
        no: usize,
    ) -> Result<Dense, Error> {
        Ok(Dense {
            ni,
            weight: tensor(dict, &format!("{dense}.weight"), &[no, ni])?,
            bias: tensor(dict, &format!("{dense}.bias"), &[no])?,
            prelu: match prelu {
                Some(name) => Some(tensor(dict, &format!("{name}.weight"), &[no])?),
                None => None,
            },
        })
    }

    /// `x` has `ni` values; returns `no`.
    pub fn forward(&self, x: &[f32]) -> Vec<f32> {
        debug_assert_eq!(x.len(), self.ni);
        let mut out: Vec<f32> = self
            .weight
            .chunks_exact(self.ni)
            .zip(&self.bias)
            .map(|(w, &b)| b + dot(w, x))
            .collect();
        if let Some(slope) = &self.prelu {
            for (a, &s) in out.iter_mut().zip(slope) {
                if *a < 0.0 {
                    *a *= s;
                }
            }
        }
        out
    }
}

/// A dot product in 8 interleaved partial sums (so that it vectorises).
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let (ac, bc) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ac
        .remainder()
        .iter()
        .zip(bc.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ac.zip(bc) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// PyTorch flattens the last conv map after `permute(0, 3, 2, 1)`, i.e. in `[x][y][c]` order;
/// our maps are `[y][x][c]`.
pub(crate) fn flatten_xyc(x: &Map) -> Vec<f32> {
    let mut out = Vec::with_capacity(x.data.len());
    for xx in 0..x.w {
        for y in 0..x.h {
            let start = (y * x.w + xx) * x.c;
            out.extend_from_slice(&x.data[start..start + x.c]);
        }
    }
    out
}

/// Probability of class 1 of a 2-way softmax, computed as PyTorch does (shifted by the max).
pub(crate) fn softmax2_1(a0: f32, a1: f32) -> f32 {
    let m = a0.max(a1);
    let (e0, e1) = ((a0 - m).exp(), (a1 - m).exp());
    e1 / (e0 + e1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use fakescope_weights::{DType, StoredTensor};

    fn stored(shape: &[usize], data: Vec<f32>) -> StoredTensor {
        StoredTensor {
            shape: shape.to_vec(),
            dtype: DType::F32,
            data,
        }
    }

    /// Deterministic values in [-1, 1).
    fn values(n: usize, seed: u32) -> Vec<f32> {
        let mut state = seed;
        (0..n)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (state >> 8) as f32 / (1u32 << 23) as f32 - 1.0
            })
            .collect()
    }

    /// The tiled SIMD convolution (channels padded to 16, tiles of 6 pixels plus a tail)
    /// against the textbook loop on PyTorch's `[co][ci][ky][kx]` weights.
    #[test]
    fn tiled_convolution_matches_the_direct_sum() {
        let (ci, co, k, h, w) = (3, 10, 3, 9, 17);
        let weight = values(co * ci * k * k, 1);
        let bias = values(co, 2);
        let slope = values(co, 3);
        let mut dict = StateDict {
            source: "test".into(),
            tensors: Default::default(),
        };
        dict.tensors
            .insert("c.weight".into(), stored(&[co, ci, k, k], weight.clone()));
        dict.tensors
            .insert("c.bias".into(), stored(&[co], bias.clone()));
        dict.tensors
            .insert("p.weight".into(), stored(&[co], slope.clone()));
        let conv = ConvPrelu::load(&dict, "c", Some("p"), ci, co, k).unwrap();
        let x = Map {
            h,
            w,
            c: ci,
            data: values(h * w * ci, 4),
        };
        for parallel in [false, true] {
            let y = conv.forward(&x, parallel);
            assert_eq!((y.h, y.w, y.c), (h - 2, w - 2, co));
            for oy in 0..y.h {
                for ox in 0..y.w {
                    for o in 0..co {
                        let mut v = bias[o];
                        for i in 0..ci {
                            for ky in 0..k {
                                for kx in 0..k {
                                    v += weight[((o * ci + i) * k + ky) * k + kx]
                                        * x.data[((oy + ky) * w + ox + kx) * ci + i];
                                }
                            }
                        }
                        if v < 0.0 {
                            v *= slope[o];
                        }
                        let got = y.data[(oy * y.w + ox) * co + o];
                        assert!((got - v).abs() < 1e-5, "({oy}, {ox}, {o}): {got} vs {v}");
                    }
                }
            }
        }
    }

    #[test]
    fn ceil_mode_pooling_lengths_match_pytorch() {
        // torch.nn.MaxPool2d(2, 2, ceil_mode=True) on 5 -> 3, on 4 -> 2;
        // MaxPool2d(3, 2, ceil_mode=True) on 22 -> 11, on 46 -> 23, on 10 -> 5, on 21 -> 10.
        assert_eq!(pooled_len(5, 2, 2), 3);
        assert_eq!(pooled_len(4, 2, 2), 2);
        assert_eq!(pooled_len(22, 3, 2), 11);
        assert_eq!(pooled_len(46, 3, 2), 23);
        assert_eq!(pooled_len(10, 3, 2), 5);
        assert_eq!(pooled_len(21, 3, 2), 10);
    }
}
