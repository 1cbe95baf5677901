//! Area resampling exactly as PyTorch's `interpolate(mode="area")`, which is
//! `adaptive_avg_pool2d`: output cell `i` of `n_out` averages the input cells
//! `floor(i * n_in / n_out) .. ceil((i + 1) * n_in / n_out)` (so it also enlarges, repeating
//! cells). Inputs are bytes, so the window sums are exact integers and the result is
//! bit-identical to PyTorch's `sum / count` in `f32`.
//!
//! Window sums come from a summed-area table built once per image ([`Integral`]), so every
//! pyramid level and crop costs only its output size. The table holds `u32` sums with
//! wrapping arithmetic: a window's sum is below 2³² for every window MTCNN asks for (each
//! covers at most about `(min(w, h) / 12)²` pixels), and differences of wrapped sums are exact
//! modulo 2³².

use rayon::prelude::*;

use crate::image::RgbImage;
use crate::layers::Map;

/// The input window `[start, end)` of output cell `i`.
fn window(i: usize, n_out: usize, n_in: usize) -> (usize, usize) {
    let start = i * n_in / n_out;
    let end = ((i + 1) * n_in).div_ceil(n_out);
    (start, end)
}

/// Summed-area table of an RGB8 image: `sums[(y * (w + 1) + x) * 3 + c]` is the sum of channel
/// `c` over rows `..y`, columns `..x` (wrapping `u32`).
#[derive(Debug)]
pub(crate) struct Integral {
    w: usize,
    h: usize,
    sums: Vec<u32>,
}

impl Integral {
    pub fn new(image: &RgbImage<'_>) -> Integral {
        let (w, h) = (image.width(), image.height());
        let stride = (w + 1) * 3;
        let mut sums = vec![0u32; (h + 1) * stride];
        let pixels = image.pixels();
        for y in 0..h {
            let (above, below) = sums.split_at_mut((y + 1) * stride);
            let above = &above[y * stride..];
            let row = &mut below[..stride];
            let mut run = [0u32; 3];
            for x in 0..w {
                for c in 0..3 {
                    run[c] = run[c].wrapping_add(u32::from(pixels[(y * w + x) * 3 + c]));
                    let i = (x + 1) * 3 + c;
                    row[i] = above[i].wrapping_add(run[c]);
                }
            }
        }
        Integral { w, h, sums }
    }

    /// Sum of channel `c` over columns `x0..x1`, rows `y0..y1`.
    fn sum(&self, (x0, y0, x1, y1): (usize, usize, usize, usize), c: usize) -> u32 {
        let at = |x: usize, y: usize| self.sums[(y * (self.w + 1) + x) * 3 + c];
        at(x1, y1)
            .wrapping_sub(at(x0, y1))
            .wrapping_sub(at(x1, y0))
            .wrapping_add(at(x0, y0))
    }

    /// Resamples the region `x0..x1`, `y0..y1` to `out_w` x `out_h` and normalises each value
    /// as MTCNN does, `(v - 127.5) * 0.0078125`.
    ///
    /// # Shapes
    /// region `[y1 - y0][x1 - x0][3]` → `[out_h][out_w][3]`.
    pub fn area_normalised(
        &self,
        (x0, y0, x1, y1): (usize, usize, usize, usize),
        (out_w, out_h): (usize, usize),
        parallel: bool,
    ) -> Map {
        debug_assert!(x1 <= self.w && y1 <= self.h && x0 < x1 && y0 < y1);
        let (in_w, in_h) = (x1 - x0, y1 - y0);
        let mut data = vec![0.0f32; out_h * out_w * 3];
        let columns: Vec<(usize, usize)> = (0..out_w).map(|i| window(i, out_w, in_w)).collect();
        let row = |(oy, out): (usize, &mut [f32])| {
            let (ys, ye) = window(oy, out_h, in_h);
            for (px, &(xs, xe)) in out.chunks_exact_mut(3).zip(&columns) {
                let region = (x0 + xs, y0 + ys, x0 + xe, y0 + ye);
                let count = ((ye - ys) * (xe - xs)) as f32;
                for (c, v) in px.iter_mut().enumerate() {
                    *v = (self.sum(region, c) as f32 / count - 127.5) * 0.0078125;
                }
            }
        };
        if parallel {
            data.par_chunks_mut(out_w * 3).enumerate().for_each(row);
        } else {
            data.chunks_mut(out_w * 3).enumerate().for_each(row);
        }
        Map {
            h: out_h,
            w: out_w,
            c: 3,
            data,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_match_adaptive_pooling() {
        // torch adaptive_avg_pool1d windows for 5 -> 3: [0,2), [1,4), [3,5).
        assert_eq!(window(0, 3, 5), (0, 2));
        assert_eq!(window(1, 3, 5), (1, 4));
        assert_eq!(window(2, 3, 5), (3, 5));
        // Enlarging 2 -> 3: [0,1), [0,2), [1,2).
        assert_eq!(window(1, 3, 2), (0, 2));
        assert_eq!(window(2, 3, 2), (1, 2));
    }

    #[test]
    fn averages_and_normalises() {
        // 3x2 image, grey levels 0, 2, 4 / 6, 8, 250: the left 2x2 block averages to 4.
        let px: Vec<u8> = [0u8, 2, 4, 6, 8, 250]
            .iter()
            .flat_map(|&v| [v; 3])
            .collect();
        let img = RgbImage::new(3, 2, &px).unwrap();
        let integral = Integral::new(&img);
        let m = integral.area_normalised((0, 0, 2, 2), (1, 1), false);
        assert_eq!(m.data, vec![(4.0 - 127.5) * 0.0078125; 3]);
        // The right column (4, 250) enlarged to 1x3: 4, mean 127, 250.
        let m = integral.area_normalised((2, 0, 3, 2), (1, 3), false);
        let want = [4.0f32, 127.0, 250.0].map(|v| (v - 127.5) * 0.0078125);
        assert_eq!(
            m.data,
            want.iter().flat_map(|&v| [v; 3]).collect::<Vec<_>>()
        );
    }
}
