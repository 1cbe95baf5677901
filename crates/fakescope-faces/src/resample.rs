//! Area resampling exactly as PyTorch's `interpolate(mode="area")`, which is
//! `adaptive_avg_pool2d`: output cell `i` of `n_out` averages the input cells
//! `floor(i * n_in / n_out) .. ceil((i + 1) * n_in / n_out)` (so it also enlarges, repeating
//! cells). Inputs are bytes, so the window sums are exact integers in `f32` and the result is
//! bit-identical to PyTorch's `sum / count`.

use rayon::prelude::*;

use crate::image::RgbImage;
use crate::layers::Map;

/// The input window `[start, end)` of output cell `i`.
fn window(i: usize, n_out: usize, n_in: usize) -> (usize, usize) {
    let start = i * n_in / n_out;
    let end = ((i + 1) * n_in).div_ceil(n_out);
    (start, end)
}

/// Resamples the region `x0..x1`, `y0..y1` of `image` to `out_w` x `out_h` and normalises each
/// value as MTCNN does, `(v - 127.5) * 0.0078125`.
///
/// # Shapes
/// region `[y1 - y0][x1 - x0][3]` → `[out_h][out_w][3]`.
pub(crate) fn area_normalised(
    image: &RgbImage<'_>,
    (x0, y0, x1, y1): (usize, usize, usize, usize),
    (out_w, out_h): (usize, usize),
    parallel: bool,
) -> Map {
    let (in_w, in_h) = (x1 - x0, y1 - y0);
    let mut data = vec![0.0f32; out_h * out_w * 3];
    let columns: Vec<(usize, usize)> = (0..out_w).map(|i| window(i, out_w, in_w)).collect();
    let row = |(oy, out): (usize, &mut [f32])| {
        let (ys, ye) = window(oy, out_h, in_h);
        for (px, &(xs, xe)) in out.chunks_exact_mut(3).zip(&columns) {
            let mut sum = [0u32; 3];
            for y in ys..ye {
                for x in xs..xe {
                    let p = image.get(x0 + x, y0 + y);
                    for c in 0..3 {
                        sum[c] += u32::from(p[c]);
                    }
                }
            }
            let count = ((ye - ys) * (xe - xs)) as f32;
            for c in 0..3 {
                px[c] = (sum[c] as f32 / count - 127.5) * 0.0078125;
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
        // 2x2 grey levels 0, 2, 4, 6 averaged to one pixel: 3 -> (3 - 127.5) / 128.
        let px = [0u8, 0, 0, 2, 2, 2, 4, 4, 4, 6, 6, 6];
        let img = RgbImage::new(2, 2, &px).unwrap();
        let m = area_normalised(&img, (0, 0, 2, 2), (1, 1), false);
        assert_eq!(m.data, vec![(3.0 - 127.5) * 0.0078125; 3]);
    }
}
