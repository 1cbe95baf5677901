//! Resizing with a triangle (linear) filter, antialiased when shrinking: Pillow's `BILINEAR`
//! resampling, except that the pass between rows and columns stays in `f32`.

use image::RgbImage;

use crate::color::to_u8;

/// For each output index along one axis, the first input index and the normalised weights.
///
/// Output sample `i` sits at input position `c = (i + 0.5) * in / out` (pixel centres aligned).
/// The triangle filter is stretched by `ratio = max(in / out, 1)`: input sample `j` (centre
/// `j + 0.5`) weighs `max(0, 1 - |j + 0.5 - c| / ratio)`. Samples outside the image are left out
/// and the rest renormalised, which amounts to clamping at the edges when enlarging.
fn axis_weights(len_in: usize, len_out: usize) -> Vec<(usize, Vec<f32>)> {
    let scale = len_in as f64 / len_out as f64;
    let support = scale.max(1.0);
    (0..len_out)
        .map(|i| {
            let centre = (i as f64 + 0.5) * scale;
            let first = ((centre - support).floor().max(0.0)) as usize;
            let last = ((centre + support).ceil() as usize).min(len_in);
            let mut weights: Vec<f64> = (first..last)
                .map(|j| (1.0 - ((j as f64 + 0.5 - centre) / support).abs()).max(0.0))
                .collect();
            let sum: f64 = weights.iter().sum();
            if sum > 0.0 {
                weights.iter_mut().for_each(|w| *w /= sum);
            }
            (first, weights.into_iter().map(|w| w as f32).collect())
        })
        .collect()
}

/// `img` resized to `width` x `height` (see the module doc). An empty input or output size, or
/// the same size, returns a copy (the empty output size: an empty image).
pub(crate) fn resize_linear(img: &RgbImage, width: u32, height: u32) -> RgbImage {
    let (w_in, h_in) = (img.width() as usize, img.height() as usize);
    if width == 0 || height == 0 {
        return RgbImage::new(width, height);
    }
    if (w_in, h_in) == (width as usize, height as usize) || w_in == 0 || h_in == 0 {
        return img.clone();
    }
    let (w_out, h_out) = (width as usize, height as usize);
    let src = img.as_raw();
    // Rows: h_in x w_out.
    let columns = axis_weights(w_in, w_out);
    let mut rows = vec![0.0f32; h_in * w_out * 3];
    for y in 0..h_in {
        let line = &src[y * w_in * 3..(y + 1) * w_in * 3];
        for (x, (first, weights)) in columns.iter().enumerate() {
            let mut acc = [0.0f32; 3];
            for (k, w) in weights.iter().enumerate() {
                let s = &line[(first + k) * 3..(first + k) * 3 + 3];
                for c in 0..3 {
                    acc[c] += w * f32::from(s[c]);
                }
            }
            rows[(y * w_out + x) * 3..(y * w_out + x) * 3 + 3].copy_from_slice(&acc);
        }
    }
    // Columns: h_out x w_out.
    let stride = w_out * 3;
    let mut out = vec![0u8; h_out * stride];
    let mut acc = vec![0.0f32; stride];
    for (y, (first, weights)) in axis_weights(h_in, h_out).iter().enumerate() {
        acc.iter_mut().for_each(|a| *a = 0.0);
        for (k, w) in weights.iter().enumerate() {
            let line = &rows[(first + k) * stride..(first + k + 1) * stride];
            for (a, v) in acc.iter_mut().zip(line) {
                *a += w * v;
            }
        }
        for (o, a) in out[y * stride..(y + 1) * stride].iter_mut().zip(&acc) {
            *o = to_u8(*a);
        }
    }
    RgbImage::from_raw(width, height, out).expect("buffer of the output size")
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    fn row(values: &[u8]) -> RgbImage {
        RgbImage::from_fn(values.len() as u32, 1, |x, _| Rgb([values[x as usize]; 3]))
    }

    fn reds(img: &RgbImage) -> Vec<u8> {
        img.pixels().map(|p| p.0[0]).collect()
    }

    #[test]
    fn weights_by_hand() {
        // 2 -> 4: centres 0.25, 0.75, 1.25, 1.75 against input centres 0.5, 1.5.
        let w = axis_weights(2, 4);
        assert_eq!(w[0], (0, vec![1.0, 0.0]));
        assert_eq!(w[1], (0, vec![0.75, 0.25]));
        assert_eq!(w[2], (0, vec![0.25, 0.75]));
        assert_eq!(w[3].1.last(), Some(&1.0));
        // Same size: the identity.
        for (i, (first, weights)) in axis_weights(3, 3).iter().enumerate() {
            let nonzero: Vec<(usize, f32)> = weights
                .iter()
                .enumerate()
                .filter(|(_, w)| **w != 0.0)
                .map(|(k, w)| (first + k, *w))
                .collect();
            assert_eq!(nonzero, [(i, 1.0)]);
        }
    }

    #[test]
    fn upscale_by_hand() {
        assert_eq!(
            reds(&resize_linear(&row(&[0, 100]), 4, 1)),
            [0, 25, 75, 100]
        );
    }

    #[test]
    fn downscale_by_hand() {
        // 4 -> 2, filter stretched to radius 2 around centres 1 and 3:
        // out 0 = (0 * .75 + 40 * .75 + 80 * .25) / 1.75 = 28.57
        // out 1 = (40 * .25 + 80 * .75 + 120 * .75) / 1.75 = 91.43
        assert_eq!(
            reds(&resize_linear(&row(&[0, 40, 80, 120]), 2, 1)),
            [29, 91]
        );
        // 4 -> 1, radius 4 around centre 2: weights 1 - 1.5/4, 1 - 0.5/4, ... = 0.625, 0.875,
        // 0.875, 0.625 (sum 3): (35 + 70 + 75) / 3 = 60.
        assert_eq!(reds(&resize_linear(&row(&[0, 40, 80, 120]), 1, 1)), [60]);
    }

    #[test]
    fn vertical_matches_horizontal() {
        let col = RgbImage::from_fn(1, 4, |_, y| Rgb([[0, 40, 80, 120][y as usize]; 3]));
        let out = resize_linear(&col, 1, 2);
        assert_eq!(reds(&out), [29, 91]);
    }

    #[test]
    fn same_size_and_empty() {
        let img = RgbImage::from_fn(3, 2, |x, y| Rgb([x as u8 * 70, y as u8 * 90, 5]));
        assert_eq!(resize_linear(&img, 3, 2), img);
        assert_eq!(resize_linear(&img, 0, 2).dimensions(), (0, 2));
        assert_eq!(
            resize_linear(&RgbImage::new(0, 0), 3, 3).dimensions(),
            (0, 0)
        );
    }
}
