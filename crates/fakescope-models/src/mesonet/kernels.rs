//! The CPU kernels MesoNet needs, for one image at a time, inference only: a Keras-"same"
//! convolution with everything that follows it in a MesoNet stage fused into its output
//! (ReLU, the eval-mode batch norm as a per-channel affine, and max pooling).
//!
//! # Layout
//!
//! Feature maps are channel planes ([`Planes`], `[c][h][w]`), each inside the zero border its
//! consumer reads as "same" padding. Neighbouring *pixels* of a row fill the SIMD lanes, so a
//! convolution uses every lane whatever its channel count: MesoInception's branches have 1, 2
//! and 4 channels, which would leave most lanes empty with channels in the lanes.
//!
//! # Register tiles
//!
//! One step computes a tile of `T` output channels × `R` output rows × `P` vectors of
//! neighbouring pixels in registers: for every input channel and kernel tap it loads `R × P`
//! input vectors and broadcasts `T` weights, then does `T × R × P` fused multiply-adds. The
//! tile then goes through ReLU and the affine, the `R` rows are max-pooled vertically in
//! registers and into a small row buffer, and pooling ends horizontally when the buffer holds
//! the whole window. The code is generic over [`pulp::Simd`] and runs under
//! [`pulp::Arch::dispatch`], so it is compiled for AVX-512 (16 lanes, 32 registers), AVX2 + FMA
//! (8 lanes, 16 registers), NEON and plain scalar code, and the best one the CPU has runs.

use std::ops::Range;

use pulp::Simd;

/// Channel planes of one image, `[c][h + 2·pad][w + 2·pad]`: each plane inside a zero border
/// `pad` pixels wide, so a convolution reads its "same" padding in place, without a copy.
/// Kernels write only the content, so the border stays zero when the planes are reused.
#[derive(Debug, Clone)]
pub(crate) struct Planes {
    data: Vec<f32>,
    pub(crate) c: usize,
    pub(crate) h: usize,
    pub(crate) w: usize,
    pub(crate) pad: usize,
}

impl Planes {
    pub(crate) fn zeros(c: usize, h: usize, w: usize, pad: usize) -> Planes {
        Planes {
            data: vec![0.0; c * (h + 2 * pad) * (w + 2 * pad)],
            c,
            h,
            w,
            pad,
        }
    }

    /// Values in one row, border included.
    fn stride(&self) -> usize {
        self.w + 2 * self.pad
    }

    /// Values in one plane, border included.
    fn plane_len(&self) -> usize {
        (self.h + 2 * self.pad) * self.stride()
    }

    /// Index in `data` of the first content value of content row `y` of plane `c`.
    fn content_start(&self, c: usize, y: usize) -> usize {
        c * self.plane_len() + (y + self.pad) * self.stride() + self.pad
    }

    /// The `w` content values of content row `y` of plane `c`.
    fn content_row_mut(&mut self, c: usize, y: usize) -> &mut [f32] {
        let start = self.content_start(c, y);
        &mut self.data[start..start + self.w]
    }

    /// Copies one channels-last image `[h][w][c]` into the content.
    pub(crate) fn fill_channels_last(&mut self, values: &[f32]) {
        if self.c == 3 {
            return self.fill_rgb(values);
        }
        let (c, w) = (self.c, self.w);
        for (y, row) in values.chunks_exact(w * c).take(self.h).enumerate() {
            for ch in 0..c {
                let dst = self.content_row_mut(ch, y);
                for (d, pixel) in dst.iter_mut().zip(row.chunks_exact(c)) {
                    *d = pixel[ch];
                }
            }
        }
    }

    /// [`Planes::fill_channels_last`] for three channels: one pass over each row, writing the
    /// three planes together.
    fn fill_rgb(&mut self, values: &[f32]) {
        let (w, stride, pad, plane) = (self.w, self.stride(), self.pad, self.plane_len());
        let (red, rest) = self.data.split_at_mut(plane);
        let (green, blue) = rest.split_at_mut(plane);
        for (y, row) in values.chunks_exact(w * 3).take(self.h).enumerate() {
            let at = (y + pad) * stride + pad;
            let (pixels, _) = row.as_chunks::<3>();
            let dst = red[at..at + w]
                .iter_mut()
                .zip(&mut green[at..at + w])
                .zip(&mut blue[at..at + w]);
            for (((r, g), b), &[pr, pg, pb]) in dst.zip(pixels) {
                (*r, *g, *b) = (pr, pg, pb);
            }
        }
    }

    /// The content, channel-major (`[c][h][w]`); all of `data` when there is no border.
    pub(crate) fn unpadded(&self) -> &[f32] {
        assert_eq!(self.pad, 0, "unpadded() needs planes without a border");
        &self.data
    }
}

/// Output channels in one register tile at most.
const TILE_C: usize = 4;

/// A stride-1 convolution with Keras "same" padding, then ReLU, then `y · scale + shift` per
/// output channel (an eval-mode batch norm; the identity for a plain ReLU convolution).
#[derive(Debug, Clone)]
pub(crate) struct Conv {
    pub(crate) k: usize,
    pub(crate) dilation: usize,
    pub(crate) c_in: usize,
    pub(crate) c_out: usize,
    /// The weights by tiles of output channels ([`Conv::tiles`]): tile `(first, width)` holds
    /// `[c_in][k][k][width]` from `first · c_in · k · k` on.
    packed: Vec<f32>,
    bias: Vec<f32>,
    pub(crate) scale: Vec<f32>,
    pub(crate) shift: Vec<f32>,
}

impl Conv {
    /// A convolution from Keras' HWIO `weight` (`[k][k][c_in][c_out]`) and `bias`, with ReLU
    /// and the identity affine.
    pub(crate) fn new(
        [k, dilation, c_in, c_out]: [usize; 4],
        weight: &[f32],
        bias: Vec<f32>,
    ) -> Conv {
        assert_eq!(weight.len(), k * k * c_in * c_out, "HWIO weight shape");
        let mut packed = Vec::with_capacity(weight.len());
        for (first, width) in tiles(c_out) {
            for ci in 0..c_in {
                for tap in 0..k * k {
                    let at = (tap * c_in + ci) * c_out + first;
                    packed.extend_from_slice(&weight[at..at + width]);
                }
            }
        }
        Conv {
            k,
            dilation,
            c_in,
            c_out,
            packed,
            bias,
            scale: vec![1.0; c_out],
            shift: vec![0.0; c_out],
        }
    }

    /// The zero border Keras "same" padding needs on each side (kernels are odd-sized).
    pub(crate) fn same_padding(&self) -> usize {
        (self.k - 1) * self.dilation / 2
    }

    /// Runs the convolution with ReLU and the affine on `x`, max-pools the result in `pool × pool`
    /// windows with stride `pool`, and writes output rows `out_rows` of it into `out`'s
    /// channels from `offset` on (a concatenation along channels). `rows` is scratch space,
    /// grown as needed.
    ///
    /// `x` must have the border this convolution needs (or wider), a size that `pool` divides
    /// and a width that the SIMD lanes divide (true of every power of two from 16 on); `out` must
    /// be `pool` times smaller.
    pub(crate) fn run(
        &self,
        x: &Planes,
        pool: usize,
        out: &mut Planes,
        offset: usize,
        out_rows: Range<usize>,
        rows: &mut Vec<f32>,
    ) {
        assert!(x.pad >= self.same_padding(), "input border too narrow");
        assert!(x.c == self.c_in && offset + self.c_out <= out.c);
        assert!(x.h == out.h * pool && x.w == out.w * pool && out_rows.end <= out.h);
        rows.resize(TILE_C * x.w, 0.0);
        pulp::Arch::new().dispatch(Job {
            conv: self,
            x,
            pool,
            out,
            offset,
            out_rows,
            rows,
        });
    }
}

/// Splits `c_out` channels into register tiles: as many of [`TILE_C`] as fit, then 2, then 1.
fn tiles(c_out: usize) -> impl Iterator<Item = (usize, usize)> {
    let mut first = 0;
    std::iter::from_fn(move || {
        let left = c_out - first;
        let width = [TILE_C, 2, 1].into_iter().find(|&t| t <= left)?;
        first += width;
        Some((first - width, width))
    })
}

/// One [`Conv::run`], dispatched to the best instruction set.
struct Job<'a> {
    conv: &'a Conv,
    x: &'a Planes,
    pool: usize,
    out: &'a mut Planes,
    offset: usize,
    out_rows: Range<usize>,
    rows: &'a mut [f32],
}

/// The constant parts of a tile step.
#[derive(Clone, Copy)]
struct Tile<'a> {
    conv: &'a Conv,
    x: &'a Planes,
    /// Tile's first output channel.
    first: usize,
    /// `[c_in][k][k][T]`.
    weights: &'a [f32],
    /// How much wider the input border is than the convolution needs.
    shift: usize,
}

/// Where a tile's results go: channel `j`'s row at `j · stride` in `data`, and whether to
/// overwrite (`first`) or keep the maximum of old and new (vertical pooling).
struct Dst<'a> {
    data: &'a mut [f32],
    stride: usize,
    first: bool,
}

impl pulp::WithSimd for Job<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let Job {
            conv,
            x,
            pool,
            out,
            offset,
            out_rows,
            rows,
        } = self;
        assert_eq!(x.w % S::F32_LANES, 0, "width not a whole number of vectors");
        let taps = conv.c_in * conv.k * conv.k;
        // Two rows per step when the pooling window allows: their input rows overlap.
        let r = if pool % 2 == 0 { 2 } else { 1 };
        let plane = out.plane_len();
        for oy in out_rows {
            for (first, width) in tiles(conv.c_out) {
                let tile = Tile {
                    conv,
                    x,
                    first,
                    weights: &conv.packed[first * taps..(first + width) * taps],
                    shift: x.pad - conv.same_padding(),
                };
                if pool == 1 {
                    // Straight into the output planes.
                    let start = out.content_start(offset + first, oy);
                    let dst = Dst {
                        data: &mut out.data[start..],
                        stride: plane,
                        first: true,
                    };
                    band_of::<S>(simd, tile, [width, r], oy, dst);
                    continue;
                }
                for step in 0..pool / r {
                    let dst = Dst {
                        data: rows,
                        stride: x.w,
                        first: step == 0,
                    };
                    band_of::<S>(simd, tile, [width, r], oy * pool + step * r, dst);
                }
                // Horizontal pooling of the vertically pooled rows.
                for j in 0..width {
                    let src = &rows[j * x.w..(j + 1) * x.w];
                    let dst = out.content_row_mut(offset + first + j, oy);
                    if pool == 2 {
                        for (d, pair) in dst.iter_mut().zip(src.chunks_exact(2)) {
                            *d = max(pair[0], pair[1]);
                        }
                    } else {
                        for (d, window) in dst.iter_mut().zip(src.chunks_exact(pool)) {
                            *d = window.iter().copied().fold(f32::NEG_INFINITY, max);
                        }
                    }
                }
            }
        }
    }
}

/// The larger of `a` and `b` (without `f32::max`'s NaN rule, which keeps the compiler from
/// vectorizing; no NaN reaches here from finite inputs).
#[inline(always)]
fn max(a: f32, b: f32) -> f32 {
    if a > b { a } else { b }
}

/// [`band`] for a tile of `width` channels and `r` rows, with the register tile that fits:
/// 16 accumulators with 32 vector registers (AVX-512), else 8.
#[inline(always)]
fn band_of<S: Simd>(simd: S, tile: Tile<'_>, [width, r]: [usize; 2], y: usize, dst: Dst<'_>) {
    let wide = S::F32_LANES >= 16;
    macro_rules! go {
        ($t:literal, $r:literal, $wide:literal, $narrow:literal) => {
            if wide {
                band::<S, $t, $r, $wide>(simd, tile, y, dst)
            } else {
                band::<S, $t, $r, $narrow>(simd, tile, y, dst)
            }
        };
    }
    match (width, r) {
        (4, 2) => go!(4, 2, 2, 1),
        (4, _) => go!(4, 1, 4, 2),
        (2, 2) => go!(2, 2, 4, 2),
        (2, _) => go!(2, 1, 4, 4),
        (_, 2) => go!(1, 2, 4, 4),
        (_, _) => go!(1, 1, 4, 4),
    }
}

/// Output rows `y .. y + R` of the tile's `T` channels over the whole width, after ReLU and
/// the affine, max-pooled over the `R` rows into `dst`.
#[inline(always)]
fn band<S: Simd, const T: usize, const R: usize, const P: usize>(
    simd: S,
    tile: Tile<'_>,
    y: usize,
    mut dst: Dst<'_>,
) {
    let lanes = S::F32_LANES;
    let w = tile.x.w;
    let mut px = 0;
    while px + P * lanes <= w {
        pixels::<S, T, R, P>(simd, tile, y, px, &mut dst);
        px += P * lanes;
    }
    while px < w {
        pixels::<S, T, R, 1>(simd, tile, y, px, &mut dst);
        px += lanes;
    }
}

/// One register tile: `T` channels × `R` rows × `P` vectors of pixels from `px` on.
#[inline(always)]
fn pixels<S: Simd, const T: usize, const R: usize, const P: usize>(
    simd: S,
    tile: Tile<'_>,
    y: usize,
    px: usize,
    dst: &mut Dst<'_>,
) {
    let lanes = S::F32_LANES;
    let Tile {
        conv,
        x,
        first: c0,
        weights,
        shift,
    } = tile;
    let (k, d) = (conv.k, conv.dilation);
    let bias: [S::f32s; T] = std::array::from_fn(|j| simd.splat_f32s(conv.bias[c0 + j]));
    let mut acc: [[[S::f32s; P]; R]; T] = bias.map(|b| [[b; P]; R]);
    let (stride, plane) = (x.stride(), x.plane_len());
    let mut taps = weights.chunks_exact(T);
    let zero = simd.splat_f32s(0.0);
    for ci in 0..conv.c_in {
        for ky in 0..k {
            // Start of the `R` input rows' first tap (plain loops: a closure left un-inlined
            // here would push every accumulator to the stack).
            let row0 = ci * plane + (y + shift + ky * d) * stride + px + shift;
            for kx in 0..k {
                let mut v = [[zero; P]; R];
                for (r, v) in v.iter_mut().enumerate() {
                    let at = row0 + r * stride + kx * d;
                    let (vectors, _) = S::as_simd_f32s(&x.data[at..at + P * lanes]);
                    v.copy_from_slice(&vectors[..P]);
                }
                let Some(w) = taps.next() else { return };
                for (acc, &w) in acc.iter_mut().zip(w) {
                    let w = simd.splat_f32s(w);
                    for (acc, v) in acc.iter_mut().zip(&v) {
                        for (a, &v) in acc.iter_mut().zip(v) {
                            *a = simd.mul_add_f32s(w, v, *a);
                        }
                    }
                }
            }
        }
    }
    for (j, acc) in acc.iter().enumerate() {
        let scale = simd.splat_f32s(conv.scale[c0 + j]);
        let shift = simd.splat_f32s(conv.shift[c0 + j]);
        let at = j * dst.stride + px;
        let out = &mut dst.data[at..at + P * lanes];
        let (out, _) = S::as_mut_simd_f32s(out);
        for (p, out) in out.iter_mut().enumerate() {
            let mut m = simd.mul_add_f32s(simd.max_f32s(acc[0][p], zero), scale, shift);
            for acc in &acc[1..] {
                let v = simd.mul_add_f32s(simd.max_f32s(acc[p], zero), scale, shift);
                m = simd.max_f32s(m, v);
            }
            *out = if dst.first { m } else { simd.max_f32s(*out, m) };
        }
    }
}

/// `y = x · kernel + bias` for one row `x`; `kernel` is `[in][out]`.
pub(crate) fn dense(x: &[f32], kernel: &[f32], bias: &[f32]) -> Vec<f32> {
    let mut y = bias.to_vec();
    for (v, k) in x.iter().zip(kernel.chunks_exact(bias.len())) {
        for (o, w) in y.iter_mut().zip(k) {
            *o += v * w;
        }
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition: a "same" convolution, ReLU, affine and max pooling, one value at a time.
    fn reference(
        conv: &Conv,
        weight: &[f32],
        x: &[f32],
        [c, h, w]: [usize; 3],
        pool: usize,
    ) -> Vec<f32> {
        let (k, d, co) = (conv.k, conv.dilation, conv.c_out);
        let pad = conv.same_padding() as isize;
        let full = |o: usize, yy: usize, xx: usize| {
            let mut s = conv.bias[o];
            for ky in 0..k {
                for kx in 0..k {
                    let iy = (yy + ky * d) as isize - pad;
                    let ix = (xx + kx * d) as isize - pad;
                    if iy < 0 || ix < 0 || iy >= h as isize || ix >= w as isize {
                        continue;
                    }
                    for ci in 0..c {
                        let v = x[(ci * h + iy as usize) * w + ix as usize];
                        s += v * weight[((ky * k + kx) * c + ci) * co + o];
                    }
                }
            }
            s.max(0.0) * conv.scale[o] + conv.shift[o]
        };
        let (oh, ow) = (h / pool, w / pool);
        let mut out = vec![0.0; co * oh * ow];
        for o in 0..co {
            for oy in 0..oh {
                for ox in 0..ow {
                    let mut m = f32::NEG_INFINITY;
                    for yy in oy * pool..(oy + 1) * pool {
                        for xx in ox * pool..(ox + 1) * pool {
                            m = m.max(full(o, yy, xx));
                        }
                    }
                    out[(o * oh + oy) * ow + ox] = m;
                }
            }
        }
        out
    }

    /// An instruction set to run [`Job`] with.
    #[derive(Clone, Copy)]
    enum Isa {
        Scalar,
        #[cfg(target_arch = "x86_64")]
        V3(pulp::x86::V3),
        #[cfg(target_arch = "x86_64")]
        V4(pulp::x86::V4),
    }

    /// [`Conv::run`] on the whole output with the instruction set `isa`.
    fn run_on(
        isa: Isa,
        conv: &Conv,
        x: &Planes,
        pool: usize,
        mut out: Planes,
        offset: usize,
    ) -> Planes {
        let mut rows = vec![0.0; TILE_C * x.w];
        let job = Job {
            conv,
            x,
            pool,
            out_rows: 0..out.h,
            out: &mut out,
            offset,
            rows: &mut rows,
        };
        match isa {
            Isa::Scalar => Simd::vectorize(pulp::Scalar::new(), job),
            #[cfg(target_arch = "x86_64")]
            Isa::V3(simd) => Simd::vectorize(simd, job),
            #[cfg(target_arch = "x86_64")]
            Isa::V4(simd) => Simd::vectorize(simd, job),
        }
        out
    }

    /// Deterministic values in [-1, 1).
    fn values(n: usize, seed: u64) -> Vec<f32> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
            })
            .collect()
    }

    #[test]
    fn every_tile_shape_matches_the_definition() {
        // Channel counts that exercise tiles of 4, 2 and 1; kernels, dilations and pools of
        // MesoNet; an input border wider than needed; an output channel offset.
        for (k, d, c_in, c_out, pool) in [
            (3, 1, 3, 8, 2),
            (1, 1, 3, 1, 2),
            (1, 1, 11, 10, 1),
            (3, 2, 4, 4, 2),
            (3, 3, 2, 2, 2),
            (5, 1, 16, 16, 4),
            (5, 1, 12, 7, 2),
        ] {
            let (h, w) = (8, 32);
            let weight = values(k * k * c_in * c_out, 1 + k as u64);
            let mut conv = Conv::new([k, d, c_in, c_out], &weight, values(c_out, 2));
            conv.scale = values(c_out, 3);
            conv.shift = values(c_out, 4);
            let input = values(c_in * h * w, 5);
            let mut x = Planes::zeros(c_in, h, w, conv.same_padding() + 1);
            for ci in 0..c_in {
                for yy in 0..h {
                    x.content_row_mut(ci, yy)
                        .copy_from_slice(&input[(ci * h + yy) * w..(ci * h + yy + 1) * w]);
                }
            }
            let want = reference(&conv, &weight, &input, [c_in, h, w], pool);
            // The instruction set the machine dispatches to, and every other one it has.
            let offset = 3;
            let fresh = || Planes::zeros(offset + c_out, h / pool, w / pool, 0);
            let mut dispatched = fresh();
            conv.run(
                &x,
                pool,
                &mut dispatched,
                offset,
                0..h / pool,
                &mut Vec::new(),
            );
            let on = |simd| run_on(simd, &conv, &x, pool, fresh(), offset);
            let mut results = vec![("dispatched", dispatched), ("scalar", on(Isa::Scalar))];
            #[cfg(target_arch = "x86_64")]
            {
                if let Some(simd) = pulp::x86::V3::try_new() {
                    results.push(("avx2", on(Isa::V3(simd))));
                }
                if let Some(simd) = pulp::x86::V4::try_new() {
                    results.push(("avx512", on(Isa::V4(simd))));
                }
            }
            for (isa, out) in results {
                let got = &out.unpadded()[offset * (h / pool) * (w / pool)..];
                let worst = want
                    .iter()
                    .zip(got)
                    .map(|(a, b)| (a - b).abs())
                    .fold(0.0, f32::max);
                assert!(
                    worst < 1e-5,
                    "{isa}: k {k} d {d} {c_in}->{c_out} pool {pool}: {worst}"
                );
            }
        }
    }
}
