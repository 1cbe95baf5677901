//! Gaussian blur (on images and on float planes such as masks), unsharp masking and Gaussian
//! noise.

use image::{Rgb, RgbImage};
use rand::Rng;

use crate::color::to_u8;
use crate::rng::normal_pair;

/// The largest Gaussian sigma used, in pixels: larger values are clamped to it (kernel radius
/// 3000), so that a wild setting costs time, not memory.
pub const MAX_SIGMA: f32 = 1000.0;

/// The normalised taps `w[k + r]`, `k` in `-r..=r`, `r = ceil(3 sigma)`, of a sampled Gaussian
/// (`exp(-k^2 / (2 sigma^2))`, computed in `f64`). `None` for `sigma <= 0` or NaN.
fn gaussian_kernel(sigma: f32) -> Option<Vec<f32>> {
    if sigma.is_nan() || sigma <= 0.0 {
        return None;
    }
    let sigma = f64::from(sigma.min(MAX_SIGMA));
    let radius = (3.0 * sigma).ceil() as i64;
    let taps: Vec<f64> = (-radius..=radius)
        .map(|k| (-((k * k) as f64) / (2.0 * sigma * sigma)).exp())
        .collect();
    let sum: f64 = taps.iter().sum();
    Some(taps.iter().map(|w| (w / sum) as f32).collect())
}

/// Gaussian blur of an interleaved float plane: `values` holds `height` rows of `width` pixels
/// of `channels` values each (a mask: 1 channel; RGB: 3). Separable: rows first, then columns,
/// in `f32`, with the kernel of [`gaussian_blur`] and edges clamped (the border pixel is
/// repeated). `sigma <= 0` or NaN returns the values unchanged.
///
/// # Panics
/// When `values.len() != width * height * channels`.
pub fn gaussian_blur_f32(
    values: &[f32],
    width: usize,
    height: usize,
    channels: usize,
    sigma: f32,
) -> Vec<f32> {
    assert_eq!(
        values.len(),
        width * height * channels,
        "gaussian_blur_f32: {width}x{height}x{channels} needs {} values, got {}",
        width * height * channels,
        values.len()
    );
    let Some(kernel) = gaussian_kernel(sigma) else {
        return values.to_vec();
    };
    if values.is_empty() {
        return Vec::new();
    }
    let radius = (kernel.len() / 2) as i64;
    let clamp = |i: i64, n: usize| i.clamp(0, n as i64 - 1) as usize;
    // Rows.
    let mut rows = vec![0.0f32; values.len()];
    for y in 0..height {
        let line = &values[y * width * channels..(y + 1) * width * channels];
        let out = &mut rows[y * width * channels..(y + 1) * width * channels];
        for x in 0..width {
            for c in 0..channels {
                let mut acc = 0.0f32;
                for (k, w) in kernel.iter().enumerate() {
                    let sx = clamp(x as i64 + k as i64 - radius, width);
                    acc += w * line[sx * channels + c];
                }
                out[x * channels + c] = acc;
            }
        }
    }
    // Columns.
    let stride = width * channels;
    let mut out = vec![0.0f32; values.len()];
    for y in 0..height {
        for (k, w) in kernel.iter().enumerate() {
            let sy = clamp(y as i64 + k as i64 - radius, height);
            let src = &rows[sy * stride..(sy + 1) * stride];
            let dst = &mut out[y * stride..(y + 1) * stride];
            for (d, s) in dst.iter_mut().zip(src) {
                *d += w * s;
            }
        }
    }
    out
}

/// The image as interleaved `f32` values.
fn to_f32(img: &RgbImage) -> Vec<f32> {
    img.as_raw().iter().map(|&v| f32::from(v)).collect()
}

/// An image of `img`'s size from interleaved values, rounded and clamped.
fn from_f32(img: &RgbImage, values: &[f32]) -> RgbImage {
    let raw = values.iter().map(|&v| to_u8(v)).collect();
    RgbImage::from_raw(img.width(), img.height(), raw).expect("same size as the input")
}

/// Gaussian blur with standard deviation `sigma` pixels: separable, kernel radius
/// `ceil(3 sigma)`, taps `exp(-k^2 / (2 sigma^2))` normalised to sum 1, edges clamped (the border
/// pixel is repeated), `f32` in between, rounded once at the end. `sigma <= 0` (or NaN) returns
/// the image unchanged; sigma is clamped to [`MAX_SIGMA`].
pub fn gaussian_blur(img: &RgbImage, sigma: f32) -> RgbImage {
    if gaussian_kernel(sigma).is_none() {
        return img.clone();
    }
    let (w, h) = (img.width() as usize, img.height() as usize);
    from_f32(img, &gaussian_blur_f32(&to_f32(img), w, h, 3, sigma))
}

/// Unsharp masking: `v' = v + amount * (v - blurred)`, where `blurred` is [`gaussian_blur`]'s
/// result before rounding. `amount` 0 or `sigma <= 0` returns the image unchanged; a negative
/// `amount` blurs instead.
pub fn unsharp_mask(img: &RgbImage, sigma: f32, amount: f32) -> RgbImage {
    if gaussian_kernel(sigma).is_none() {
        return img.clone();
    }
    let (w, h) = (img.width() as usize, img.height() as usize);
    let values = to_f32(img);
    let blurred = gaussian_blur_f32(&values, w, h, 3, sigma);
    let sharp: Vec<f32> = values
        .iter()
        .zip(&blurred)
        .map(|(v, b)| v + amount * (v - b))
        .collect();
    from_f32(img, &sharp)
}

/// Adds independent Gaussian noise of standard deviation `sigma` (in `0..255` units) to every
/// channel of every pixel, then rounds and clamps. The draws come from `rng` (Box–Muller, two
/// per pair of values), pixel by pixel, R, G, B. `sigma <= 0` (or NaN) returns the image
/// unchanged and draws nothing.
pub fn gaussian_noise(img: &RgbImage, sigma: f32, rng: &mut impl Rng) -> RgbImage {
    if sigma.is_nan() || sigma <= 0.0 {
        return img.clone();
    }
    let mut out = img.clone();
    let mut spare: Option<f32> = None;
    for px in out.pixels_mut() {
        let noisy = px.0.map(|v| {
            let z = spare.take().unwrap_or_else(|| {
                let (a, b) = normal_pair(rng);
                spare = Some(b);
                a
            });
            to_u8(f32::from(v) + sigma * z)
        });
        *px = Rgb(noisy);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample_rng;

    #[test]
    fn kernel_radius_and_sum() {
        assert!(gaussian_kernel(0.0).is_none());
        assert!(gaussian_kernel(-1.0).is_none());
        assert!(gaussian_kernel(f32::NAN).is_none());
        assert_eq!(gaussian_kernel(1.0).unwrap().len(), 7);
        assert_eq!(gaussian_kernel(0.1).unwrap().len(), 3);
        assert_eq!(gaussian_kernel(1.01).unwrap().len(), 9);
        let k = gaussian_kernel(2.5).unwrap();
        assert!((k.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert_eq!(k.first(), k.last());
        assert_eq!(gaussian_kernel(1e9).unwrap().len(), 6001);
    }

    #[test]
    fn blur_by_hand() {
        // [0, 255, 0] in one row, sigma 1: taps 1, e^-1/2, e^-2, e^-9/2 (sum 2.505949).
        // x = 0 and 2: 255 * e^-1/2 / 2.505949 = 61.72; x = 1: 255 / 2.505949 = 101.76.
        let mut img = RgbImage::new(3, 1);
        img.put_pixel(1, 0, Rgb([255, 255, 255]));
        let out = gaussian_blur(&img, 1.0);
        let row: Vec<u8> = out.pixels().map(|p| p.0[0]).collect();
        assert_eq!(row, [62, 102, 62]);
        // The same along a column.
        let mut col = RgbImage::new(1, 3);
        col.put_pixel(0, 1, Rgb([0, 255, 0]));
        let out = gaussian_blur(&col, 1.0);
        let g: Vec<u8> = out.pixels().map(|p| p.0[1]).collect();
        assert_eq!(g, [62, 102, 62]);
    }

    #[test]
    fn blur_identities_and_flat() {
        let img = RgbImage::from_fn(5, 4, |x, y| Rgb([(x * 50) as u8, (y * 60) as u8, 7]));
        assert_eq!(gaussian_blur(&img, 0.0), img);
        assert_eq!(gaussian_blur(&img, -2.0), img);
        // sigma 0.1: the neighbours weigh e^-50, nothing.
        assert_eq!(gaussian_blur(&img, 0.1), img);
        let flat = RgbImage::from_pixel(6, 3, Rgb([10, 200, 33]));
        assert_eq!(gaussian_blur(&flat, 4.0), flat);
        assert_eq!(
            gaussian_blur(&RgbImage::new(0, 0), 2.0),
            RgbImage::new(0, 0)
        );
    }

    #[test]
    fn blur_plane_single_channel() {
        let plane = [0.0, 0.0, 1.0, 0.0, 0.0];
        let out = gaussian_blur_f32(&plane, 5, 1, 1, 1.0);
        let s = 2.505_949_f32;
        let expected = [(-2.0f32).exp() / s, (-0.5f32).exp() / s, 1.0 / s];
        for (i, e) in [0, 1, 2, 1, 0].iter().map(|&i| expected[i]).enumerate() {
            assert!((out[i] - e).abs() < 1e-5, "{i}: {} vs {e}", out[i]);
        }
    }

    #[test]
    fn unsharp_by_hand() {
        // [0, 255, 0], sigma 1, amount 1: 2 v - blurred = [-61.7, 408.2, -61.7].
        let mut img = RgbImage::new(3, 1);
        img.put_pixel(1, 0, Rgb([255, 255, 255]));
        let out = unsharp_mask(&img, 1.0, 1.0);
        assert_eq!(
            out.pixels().map(|p| p.0[2]).collect::<Vec<_>>(),
            [0, 255, 0]
        );
        let mid = RgbImage::from_fn(3, 1, |x, _| Rgb([if x == 1 { 150 } else { 100 }; 3]));
        // blurred middle: 100 + 50 / 2.505949 = 119.95; 150 + (150 - 119.95) = 180.05.
        // sides: 100 + 50 e^-1/2 / 2.505949 = 112.10; 100 - 12.10 = 87.90.
        let out = unsharp_mask(&mid, 1.0, 1.0);
        assert_eq!(
            out.pixels().map(|p| p.0[0]).collect::<Vec<_>>(),
            [88, 180, 88]
        );
        assert_eq!(unsharp_mask(&mid, 1.0, 0.0), mid);
        assert_eq!(unsharp_mask(&mid, 0.0, 1.0), mid);
    }

    #[test]
    fn noise_statistics_and_determinism() {
        let img = RgbImage::from_pixel(100, 100, Rgb([128, 128, 128]));
        assert_eq!(gaussian_noise(&img, 0.0, &mut sample_rng(1, &[])), img);
        let a = gaussian_noise(&img, 8.0, &mut sample_rng(1, &[]));
        let b = gaussian_noise(&img, 8.0, &mut sample_rng(1, &[]));
        let c = gaussian_noise(&img, 8.0, &mut sample_rng(2, &[]));
        assert_eq!(a, b);
        assert_ne!(a, c);
        let d: Vec<f64> = a.as_raw().iter().map(|&v| f64::from(v) - 128.0).collect();
        let mean = d.iter().sum::<f64>() / d.len() as f64;
        let var = d.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / d.len() as f64;
        assert!(mean.abs() < 0.15, "mean {mean}");
        // Rounding adds 1/12 to the variance.
        assert!((var - 64.0 - 1.0 / 12.0).abs() < 2.0, "variance {var}");
    }
}
