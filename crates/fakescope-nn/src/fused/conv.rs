//! Direct channels-last convolutions (stride 1) in register tiles, with fused epilogues.

use rayon::prelude::*;

use super::act::selu_unscaled;
use super::map::FeatureMap;
use crate::Error;

/// Output pixels per register tile.
const TILE: usize = 6;

/// A stride-1, zero-padded 2-D convolution with its weights laid out for [`conv_selu`] and
/// [`conv_add_pool3`], inference only.
///
/// Built from weights in [`Conv2dNhwc`](crate::layers::Conv2dNhwc)'s layout
/// (`[kh][kw × c_in][c_out]`); [`scale_output`](Self::scale_output) and
/// [`scale_input`](Self::scale_input) fold an eval-mode batch norm after it or a constant
/// factor before it into the weights.
#[derive(Debug, Clone)]
pub struct PackedConv {
    kernel: [usize; 2],
    c_in: usize,
    c_out: usize,
    padding: [usize; 2],
    /// Output channels per register tile: 32, 8 or 1.
    chunk: usize,
    /// `[kh][kw × c_in][c_out]`.
    weight: Vec<f32>,
    /// `[c_out / chunk][kh][kw × c_in][chunk]`.
    packed: Vec<f32>,
    bias: Vec<f32>,
}

impl PackedConv {
    /// `weight` `[kh][kw × c_in][c_out]`, `bias` `[c_out]`.
    pub fn new(
        weight: Vec<f32>,
        bias: Vec<f32>,
        kernel: [usize; 2],
        [c_in, c_out]: [usize; 2],
        padding: [usize; 2],
    ) -> Result<PackedConv, Error> {
        let [kh, kw] = kernel;
        if weight.len() != kh * kw * c_in * c_out || bias.len() != c_out || c_out == 0 {
            return Err(Error::Geometry(format!(
                "convolution weights: {} values and {} biases for kernel {kernel:?} and \
                 {c_in} → {c_out} channels",
                weight.len(),
                bias.len()
            )));
        }
        if padding[1] >= kw || padding[0] >= kh.max(1) {
            return Err(Error::Geometry(format!(
                "padding {padding:?} too large for kernel {kernel:?}"
            )));
        }
        let chunk = [32, 8, 1]
            .into_iter()
            .find(|c| c_out.is_multiple_of(*c))
            .unwrap_or(1);
        let mut conv = PackedConv {
            kernel,
            c_in,
            c_out,
            padding,
            chunk,
            weight,
            packed: Vec::new(),
            bias,
        };
        conv.pack();
        Ok(conv)
    }

    /// Folds `y · scale[co] + shift[co]` on the output (an eval-mode batch norm) into the
    /// weights and bias.
    pub fn scale_output(mut self, scale: &[f32], shift: &[f32]) -> Result<PackedConv, Error> {
        if scale.len() != self.c_out || shift.len() != self.c_out {
            return Err(Error::Geometry(format!(
                "output scale of {} / shift of {} values for {} channels",
                scale.len(),
                shift.len(),
                self.c_out
            )));
        }
        for row in self.weight.chunks_exact_mut(self.c_out) {
            for (w, s) in row.iter_mut().zip(scale) {
                *w *= s;
            }
        }
        for ((b, s), t) in self.bias.iter_mut().zip(scale).zip(shift) {
            *b = *b * s + t;
        }
        self.pack();
        Ok(self)
    }

    /// Folds a constant factor on the input into the weights.
    pub fn scale_input(mut self, factor: f32) -> PackedConv {
        for w in &mut self.weight {
            *w *= factor;
        }
        self.pack();
        self
    }

    /// `[c_in, c_out]`.
    pub fn channels(&self) -> [usize; 2] {
        [self.c_in, self.c_out]
    }

    fn pack(&mut self) {
        let [kh, kw] = self.kernel;
        let k = kw * self.c_in;
        let chunk = self.chunk;
        self.packed = Vec::with_capacity(self.weight.len());
        for j in 0..self.c_out / chunk {
            for row in self.weight.chunks_exact(self.c_out).take(kh * k) {
                self.packed
                    .extend_from_slice(&row[j * chunk..(j + 1) * chunk]);
            }
        }
    }
}

/// The rows one output row reads from one input.
struct RowInput<'a> {
    rows: Vec<&'a [f32]>,
    /// First padded column read by output pixel 0.
    col0: usize,
    c_in: usize,
    /// `kw × c_in`: contiguous values per kernel row and output pixel.
    k: usize,
    conv: &'a PackedConv,
}

/// Checks that every input has the same batch, channels matching its convolution, and the
/// same output geometry; returns `[batch, out_h, out_w, c_out]`.
fn output_dims(inputs: &[(&FeatureMap, &PackedConv)]) -> Result<[usize; 4], Error> {
    let mut dims: Option<[usize; 4]> = None;
    for (map, conv) in inputs {
        let [batch, height, width, channels] = map.dims();
        let [kh, kw] = conv.kernel;
        let [ph, pw] = conv.padding;
        let [map_ph, map_pw] = map.pad();
        if channels != conv.c_in
            || map_ph < ph
            || map_pw < pw
            || height + 2 * ph < kh
            || width + 2 * pw < kw
        {
            return Err(Error::Geometry(format!(
                "convolution {:?} {:?} with padding {:?} on a map of {:?} with border {:?}",
                conv.kernel,
                conv.channels(),
                conv.padding,
                map.dims(),
                map.pad()
            )));
        }
        let d = [
            batch,
            height + 2 * ph + 1 - kh,
            width + 2 * pw + 1 - kw,
            conv.c_out,
        ];
        match dims {
            Some(prev) if prev != d => {
                return Err(Error::Geometry(format!(
                    "summed convolutions disagree on the output shape: {prev:?} vs {d:?}"
                )));
            }
            _ => dims = Some(d),
        }
    }
    dims.ok_or_else(|| Error::Geometry("no convolution input".into()))
}

fn row_inputs<'a>(
    inputs: &[(&'a FeatureMap, &'a PackedConv)],
    b: usize,
    h: usize,
) -> Vec<RowInput<'a>> {
    inputs
        .iter()
        .map(|&(map, conv)| {
            let first = h + map.pad()[0] - conv.padding[0];
            RowInput {
                rows: (0..conv.kernel[0])
                    .map(|dh| map.row(b, first + dh))
                    .collect(),
                col0: map.pad()[1] - conv.padding[1],
                c_in: conv.c_in,
                k: conv.kernel[1] * conv.c_in,
                conv,
            }
        })
        .collect()
}

/// Accumulates the convolution sums of output pixels `w0 .. w0 + P`, channels
/// `j·CO .. (j+1)·CO`, onto `acc`.
#[inline(always)]
fn tile<const CO: usize, const P: usize>(
    inputs: &[RowInput<'_>],
    j: usize,
    w0: usize,
    acc: &mut [[f32; CO]; P],
) {
    for input in inputs {
        let k = input.k;
        let per_chunk = input.rows.len() * k * CO;
        let weights = &input.conv.packed[j * per_chunk..(j + 1) * per_chunk];
        for (row, wr) in input.rows.iter().zip(weights.chunks_exact(k * CO)) {
            let xs: [&[f32]; P] =
                std::array::from_fn(|p| &row[(w0 + p + input.col0) * input.c_in..][..k]);
            for (kk, wv) in (0..k).zip(wr.chunks_exact(CO)) {
                let Ok(wv) = <&[f32; CO]>::try_from(wv) else {
                    continue;
                };
                for (a, x) in acc.iter_mut().zip(&xs) {
                    let x = x[kk];
                    for (a, w) in a.iter_mut().zip(wv) {
                        *a = x.mul_add(*w, *a);
                    }
                }
            }
        }
    }
}

/// As [`tile`], with explicit SIMD vectors: `CO = NV × S::F32_LANES`, accumulators in
/// registers (`P × NV` vectors).
#[inline(always)]
fn tile_simd<S: pulp::Simd, const CO: usize, const NV: usize, const P: usize>(
    simd: S,
    inputs: &[RowInput<'_>],
    j: usize,
    w0: usize,
    acc_out: &mut [[f32; CO]; P],
) {
    let mut acc: [[S::f32s; NV]; P] = std::array::from_fn(|p| {
        let (init, _) = S::as_simd_f32s(&acc_out[p]);
        std::array::from_fn(|v| init[v])
    });
    for input in inputs {
        let k = input.k;
        let per_chunk = input.rows.len() * k * CO;
        let weights = &input.conv.packed[j * per_chunk..(j + 1) * per_chunk];
        for (row, wr) in input.rows.iter().zip(weights.chunks_exact(k * CO)) {
            let xs: [&[f32]; P] =
                std::array::from_fn(|p| &row[(w0 + p + input.col0) * input.c_in..][..k]);
            for (kk, wv) in (0..k).zip(wr.chunks_exact(CO)) {
                let (wv, _) = S::as_simd_f32s(wv);
                let wv: [S::f32s; NV] = std::array::from_fn(|v| wv[v]);
                for (a, x) in acc.iter_mut().zip(&xs) {
                    let x = simd.splat_f32s(x[kk]);
                    for (a, w) in a.iter_mut().zip(&wv) {
                        *a = simd.mul_add_e_f32s(x, *w, *a);
                    }
                }
            }
        }
    }
    for (out, acc) in acc_out.iter_mut().zip(&acc) {
        let (out, _) = S::as_mut_simd_f32s(out);
        for (o, a) in out.iter_mut().zip(acc) {
            *o = *a;
        }
    }
}

/// [`tile_simd`] when `CO` is a multiple of the vector width, else [`tile`].
#[inline(always)]
fn tile_any<S: pulp::Simd, const CO: usize, const P: usize>(
    simd: S,
    inputs: &[RowInput<'_>],
    j: usize,
    w0: usize,
    acc: &mut [[f32; CO]; P],
) {
    let lanes = S::F32_LANES;
    if !CO.is_multiple_of(lanes) {
        return tile(inputs, j, w0, acc);
    }
    match CO / lanes {
        1 => tile_simd::<S, CO, 1, P>(simd, inputs, j, w0, acc),
        2 => tile_simd::<S, CO, 2, P>(simd, inputs, j, w0, acc),
        4 => tile_simd::<S, CO, 4, P>(simd, inputs, j, w0, acc),
        _ => tile(inputs, j, w0, acc),
    }
}

/// What happens to a finished register tile of `CO` channels of pixels `w0 ..`.
trait Epilogue {
    fn apply<const CO: usize>(&mut self, w0: usize, j: usize, acc: &[[f32; CO]]);
}

/// Runs the epilogue on every tile of one output row: full tiles of `P` pixels, then tiles of
/// `PT` pixels (`width - full` must be a multiple of `PT`).
#[inline(always)]
fn row_tiles<S: pulp::Simd, const CO: usize, const P: usize, const PT: usize, E: Epilogue>(
    simd: S,
    inputs: &[RowInput<'_>],
    bias: &[f32],
    width: usize,
    epilogue: &mut E,
) {
    for (j, bias) in bias.chunks_exact(CO).enumerate() {
        let Ok(bias) = <&[f32; CO]>::try_from(bias) else {
            continue;
        };
        let full = width / P * P;
        for w0 in (0..full).step_by(P) {
            let mut acc = [*bias; P];
            tile_any(simd, inputs, j, w0, &mut acc);
            epilogue.apply(w0, j, &acc);
        }
        for w0 in (full..width).step_by(PT) {
            let mut acc = [*bias; PT];
            tile_any(simd, inputs, j, w0, &mut acc);
            epilogue.apply(w0, j, &acc);
        }
    }
}

/// One output row, run by [`pulp::Arch::dispatch`] so that the tile loops are compiled for
/// the machine's instruction set (everything below `with_simd` is `#[inline(always)]`).
struct RowJob<'a, E> {
    inputs: Vec<RowInput<'a>>,
    bias: &'a [f32],
    width: usize,
    chunk: usize,
    tail: usize,
    epilogue: E,
}

impl<E: Epilogue> pulp::WithSimd for RowJob<'_, E> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(mut self, simd: S) {
        let (inputs, bias, width, e) = (&self.inputs, self.bias, self.width, &mut self.epilogue);
        match (self.chunk, self.tail) {
            (32, 1) => row_tiles::<S, 32, TILE, 1, E>(simd, inputs, bias, width, e),
            (32, _) => row_tiles::<S, 32, TILE, 3, E>(simd, inputs, bias, width, e),
            (8, 1) => row_tiles::<S, 8, TILE, 1, E>(simd, inputs, bias, width, e),
            (8, _) => row_tiles::<S, 8, TILE, 3, E>(simd, inputs, bias, width, e),
            (_, 1) => row_tiles::<S, 1, TILE, 1, E>(simd, inputs, bias, width, e),
            (_, _) => row_tiles::<S, 1, TILE, 3, E>(simd, inputs, bias, width, e),
        }
    }
}

/// SELU (without λ) into a padded output row.
struct SeluOut<'a> {
    out: &'a mut [f32],
    col: usize,
    c_out: usize,
}

impl Epilogue for SeluOut<'_> {
    #[inline(always)]
    fn apply<const CO: usize>(&mut self, w0: usize, j: usize, acc: &[[f32; CO]]) {
        for (p, acc) in acc.iter().enumerate() {
            let start = (w0 + p + self.col) * self.c_out + j * CO;
            for (o, a) in self.out[start..start + CO].iter_mut().zip(acc) {
                *o = selu_unscaled(*a);
            }
        }
    }
}

/// Identity add and `(1, 3)` max pooling into a padded output row.
struct AddPoolOut<'a> {
    out: &'a mut [f32],
    col: usize,
    c_out: usize,
    identity: Option<(&'a [f32], f32)>,
}

impl Epilogue for AddPoolOut<'_> {
    #[inline(always)]
    fn apply<const CO: usize>(&mut self, w0: usize, j: usize, acc: &[[f32; CO]]) {
        let c_out = self.c_out;
        for (q, group) in acc.chunks_exact(3).enumerate() {
            let start = (w0 / 3 + q + self.col) * c_out + j * CO;
            let out = &mut self.out[start..start + CO];
            out.fill(f32::NEG_INFINITY);
            for (i, acc) in group.iter().enumerate() {
                match self.identity {
                    Some((id, s)) => {
                        let at = (w0 + 3 * q + i) * c_out + j * CO;
                        for ((o, a), x) in out.iter_mut().zip(acc).zip(&id[at..at + CO]) {
                            *o = o.max(*a + x * s);
                        }
                    }
                    None => {
                        for (o, a) in out.iter_mut().zip(acc) {
                            *o = o.max(*a);
                        }
                    }
                }
            }
        }
    }
}

/// Sums of the biases of `inputs`' convolutions.
fn summed_bias(inputs: &[(&FeatureMap, &PackedConv)], c_out: usize) -> Vec<f32> {
    let mut bias = vec![0.0f32; c_out];
    for (_, conv) in inputs {
        for (b, c) in bias.iter_mut().zip(&conv.bias) {
            *b += c;
        }
    }
    bias
}

/// Runs `row(b, h, out_row)` for every content row of `out` in parallel.
fn for_each_row(out: &mut FeatureMap, row: impl Fn(usize, usize, &mut [f32]) + Sync) {
    let padded_h = out.padded_height();
    let (ph, height) = (out.pad()[0], out.dims()[1]);
    let len = out.row_len();
    if len == 0 {
        return;
    }
    out.data_mut()
        .par_chunks_mut(len)
        .enumerate()
        .for_each(|(i, out_row)| {
            let (b, r) = (i / padded_h, i % padded_h);
            if r >= ph && r < ph + height {
                row(b, r - ph, out_row);
            }
        });
}

/// `selu(Σ conv(x) + bias) / λ` — the sum over `inputs` of each convolution of its map —
/// into a new map with a zero border of `out_pad`. (Fold λ into the consumer's weights with
/// [`PackedConv::scale_input`].)
pub fn conv_selu(
    inputs: &[(&FeatureMap, &PackedConv)],
    out_pad: [usize; 2],
) -> Result<FeatureMap, Error> {
    let [batch, height, width, c_out] = output_dims(inputs)?;
    let bias = summed_bias(inputs, c_out);
    let mut out = FeatureMap::zeros(batch, height, width, c_out, out_pad);
    let chunk = inputs.first().map_or(1, |(_, c)| c.chunk);
    let col = out_pad[1];
    for_each_row(&mut out, |b, h, out_row| {
        pulp::Arch::new().dispatch(RowJob {
            inputs: row_inputs(inputs, b, h),
            bias: &bias,
            width,
            chunk,
            tail: 1,
            epilogue: SeluOut {
                out: out_row,
                col,
                c_out,
            },
        });
    });
    Ok(out)
}

/// `maxpool_(1,3)(Σ conv(x) + bias + identity_scale · identity)` along the width (floor
/// mode), into a new map with a zero border of `out_pad`. `identity`, when given, must have
/// the output's shape before pooling.
pub fn conv_add_pool3(
    inputs: &[(&FeatureMap, &PackedConv)],
    identity: Option<(&FeatureMap, f32)>,
    out_pad: [usize; 2],
) -> Result<FeatureMap, Error> {
    let [batch, height, width, c_out] = output_dims(inputs)?;
    if let Some((id, _)) = identity
        && id.dims() != [batch, height, width, c_out]
    {
        return Err(Error::Geometry(format!(
            "identity of shape {:?} added to a convolution output of {:?}",
            id.dims(),
            [batch, height, width, c_out]
        )));
    }
    let bias = summed_bias(inputs, c_out);
    let pooled = width / 3;
    let mut out = FeatureMap::zeros(batch, height, pooled, c_out, out_pad);
    let chunk = inputs.first().map_or(1, |(_, c)| c.chunk);
    let col = out_pad[1];
    for_each_row(&mut out, |b, h, out_row| {
        let identity = identity.map(|(id, s)| {
            let [ph, pw] = id.pad();
            (&id.row(b, h + ph)[pw * c_out..], s)
        });
        pulp::Arch::new().dispatch(RowJob {
            inputs: row_inputs(inputs, b, h),
            bias: &bias,
            width: pooled * 3,
            chunk,
            tail: 3,
            epilogue: AddPoolOut {
                out: out_row,
                col,
                c_out,
                identity,
            },
        });
    });
    Ok(out)
}
