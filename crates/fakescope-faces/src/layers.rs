//! The few layers MTCNN needs, as plain loops over channels-last (`[h][w][c]`) `f32` maps:
//! a valid 2-D convolution with the PReLU that always follows it, max pooling with PyTorch's
//! `ceil_mode=True`, and a dense layer.
//!
//! The nets are tiny (P-Net has 6.6 k parameters) and P-Net runs over whole frames, so the
//! convolution keeps one output pixel's channels in a small accumulator and walks its weights
//! in `[ky][kx][ci][co]` order, which the compiler turns into vector code over `co`.

use fakescope_weights::StateDict;
use rayon::prelude::*;

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
    /// `[ky][kx][ci][co]`.
    weight: Vec<f32>,
    bias: Vec<f32>,
    prelu: Option<Vec<f32>>,
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
        // PyTorch stores [co][ci][ky][kx]; the loops want [ky][kx][ci][co].
        let mut weight = vec![0.0; torch.len()];
        for o in 0..co {
            for i in 0..ci {
                for ky in 0..k {
                    for kx in 0..k {
                        weight[((ky * k + kx) * ci + i) * co + o] =
                            torch[((o * ci + i) * k + ky) * k + kx];
                    }
                }
            }
        }
        let bias = tensor(dict, &format!("{conv}.bias"), &[co])?;
        let prelu = match prelu {
            Some(name) => Some(tensor(dict, &format!("{name}.weight"), &[co])?),
            None => None,
        };
        Ok(ConvPrelu {
            k,
            ci,
            co,
            weight,
            bias,
            prelu,
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
        let (k, ci, co) = (self.k, self.ci, self.co);
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
            for (xo, acc) in out.chunks_exact_mut(co).enumerate() {
                acc.copy_from_slice(&self.bias);
                for ky in 0..k {
                    let start = ((y + ky) * x.w + xo) * ci;
                    let input = &x.data[start..start + k * ci];
                    let weights = &self.weight[ky * k * ci * co..(ky + 1) * k * ci * co];
                    for (&v, w) in input.iter().zip(weights.chunks_exact(co)) {
                        for (a, &wv) in acc.iter_mut().zip(w) {
                            *a += v * wv;
                        }
                    }
                }
                if let Some(slope) = &self.prelu {
                    for (a, &s) in acc.iter_mut().zip(slope) {
                        if *a < 0.0 {
                            *a *= s;
                        }
                    }
                }
            }
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
    let row = |(oy, out): (usize, &mut [f32])| {
        let (y0, y1) = (oy * s, (oy * s + k).min(x.h));
        for (ox, acc) in out.chunks_exact_mut(c).enumerate() {
            let (x0, x1) = (ox * s, (ox * s + k).min(x.w));
            acc.fill(f32::NEG_INFINITY);
            for y in y0..y1 {
                for xx in x0..x1 {
                    let start = (y * x.w + xx) * c;
                    for (a, &v) in acc.iter_mut().zip(&x.data[start..start + c]) {
                        if v > *a {
                            *a = v;
                        }
                    }
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
            .map(|(w, &b)| b + w.iter().zip(x).map(|(a, b)| a * b).sum::<f32>())
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
