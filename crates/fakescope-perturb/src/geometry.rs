//! Geometric transforms: mirroring, shifting, rescaling, zooming out, cropping.

use image::RgbImage;
use rand::Rng;

use crate::resample::resize_linear;
use crate::rng::uniform;

/// Mirrors the image left to right: pixel `(x, y)` comes from `(width - 1 - x, y)`.
pub fn hflip(img: &RgbImage) -> RgbImage {
    image::imageops::flip_horizontal(img)
}

/// Shifts the content by `[dx, dy]` whole pixels (positive: right and down); the uncovered
/// border repeats the nearest edge pixel: pixel `(x, y)` comes from
/// `(clamp(x - dx), clamp(y - dy))`.
pub fn translate(img: &RgbImage, shift: [i32; 2]) -> RgbImage {
    let (w, h) = img.dimensions();
    if w == 0 || h == 0 || shift == [0, 0] {
        return img.clone();
    }
    let clamp = |v: i64, n: u32| v.clamp(0, i64::from(n) - 1) as u32;
    RgbImage::from_fn(w, h, |x, y| {
        *img.get_pixel(
            clamp(i64::from(x) - i64::from(shift[0]), w),
            clamp(i64::from(y) - i64::from(shift[1]), h),
        )
    })
}

/// The side `round(scale * len)`, at least 1 and at most `len`.
fn scaled_side(len: u32, scale: f32) -> u32 {
    let side = (f64::from(scale) * f64::from(len)).round();
    if side.is_nan() {
        return len;
    }
    side.clamp(1.0, f64::from(len)) as u32
}

/// Loses detail the way a smaller copy does: resizes the image down to
/// `round(scale * width) x round(scale * height)` (at least 1x1) with an antialiased triangle
/// filter (Pillow's `BILINEAR` when shrinking: the triangle stretched to the scale ratio, close
/// to an area average), rounds that to 8 bits, and resizes it back up to the original size with
/// the plain triangle filter (bilinear, pixel centres aligned, edges clamped). `scale >= 1` (or
/// NaN) returns the image unchanged.
pub fn downscale_roundtrip(img: &RgbImage, scale: f32) -> RgbImage {
    let (w, h) = img.dimensions();
    if scale.is_nan() || scale >= 1.0 || w == 0 || h == 0 {
        return img.clone();
    }
    let small = resize_linear(img, scaled_side(w, scale), scaled_side(h, scale));
    resize_linear(&small, w, h)
}

/// The index in `0..len` that BORDER_REFLECT_101 (OpenCV) maps `i` to: the row
/// `… c b | a b c … | … b a` mirrored about the first and last samples without repeating them,
/// periodically, so any `i` maps. `len` must be at least 1.
pub(crate) fn reflect_101(i: i64, len: u32) -> u32 {
    if len == 1 {
        return 0;
    }
    let period = 2 * (i64::from(len) - 1);
    let m = i.rem_euclid(period);
    (if m >= i64::from(len) { period - m } else { m }) as u32
}

/// Zooms out: shrinks the image to `round(scale * width) x round(scale * height)` (at least 1x1;
/// the antialiased triangle filter of [`downscale_roundtrip`]) and places it on a canvas of the
/// original size, its top-left corner at `round(offset[0] * free_x), round(offset[1] * free_y)`,
/// where `free_*` is the canvas size minus the shrunk size (`[0, 0]`: top left; `[0.5, 0.5]`:
/// centred; `[1, 1]`: bottom right). The rest of the canvas repeats the shrunk image mirrored
/// about its border pixels (OpenCV's `BORDER_REFLECT_101`, tiled again when the border is wider
/// than the image), so that a tight face crop gets surroundings of the same kind instead of a
/// flat colour.
///
/// `scale >= 1` (or NaN) returns the image unchanged; offsets are clamped to `[0, 1]` (NaN counts
/// as 0).
pub fn zoom_out(img: &RgbImage, scale: f32, offset: [f32; 2]) -> RgbImage {
    let (w, h) = img.dimensions();
    if scale.is_nan() || scale >= 1.0 || w == 0 || h == 0 {
        return img.clone();
    }
    let (sw, sh) = (scaled_side(w, scale), scaled_side(h, scale));
    let small = resize_linear(img, sw, sh);
    let place = |off: f32, free: u32| {
        let off = if off.is_nan() {
            0.0
        } else {
            off.clamp(0.0, 1.0)
        };
        (f64::from(off) * f64::from(free)).round() as i64
    };
    let (x0, y0) = (place(offset[0], w - sw), place(offset[1], h - sh));
    RgbImage::from_fn(w, h, |x, y| {
        *small.get_pixel(
            reflect_101(i64::from(x) - x0, sw),
            reflect_101(i64::from(y) - y0, sh),
        )
    })
}

/// A random crop with torchvision's `RandomResizedCrop.get_params`, without the resize: up to 10
/// tries draw an area fraction uniformly from `scale` and an aspect ratio (width / height)
/// log-uniformly from `ratio`, give the side lengths `round(sqrt(area * aspect))` (width) and
/// `round(sqrt(area / aspect))` (height) (half away from zero, where Python rounds half to even),
/// and keep the first that fits, at a uniformly drawn position. When none fits, the largest
/// centred crop whose aspect ratio is clamped into `ratio` is taken.
///
/// Never panics: ranges given the wrong way round still draw between their ends, and
/// non-positive or NaN ratios make every try fail and the fallback keep the whole image.
pub fn random_resized_crop(
    img: &RgbImage,
    scale: [f32; 2],
    ratio: [f32; 2],
    rng: &mut impl Rng,
) -> RgbImage {
    let (width, height) = img.dimensions();
    if width == 0 || height == 0 {
        return img.clone();
    }
    let area = f64::from(width) * f64::from(height);
    let log_ratio = [ratio[0].ln(), ratio[1].ln()];
    for _ in 0..10 {
        let target = area * f64::from(uniform(rng, scale[0], scale[1]));
        let aspect = f64::from(uniform(rng, log_ratio[0], log_ratio[1]).exp());
        let w = (target * aspect).sqrt().round();
        let h = (target / aspect).sqrt().round();
        if w > 0.0 && w <= f64::from(width) && h > 0.0 && h <= f64::from(height) {
            let (w, h) = (w as u32, h as u32);
            let top = rng.random_range(0..=height - h);
            let left = rng.random_range(0..=width - w);
            return image::imageops::crop_imm(img, left, top, w, h).to_image();
        }
    }
    let in_ratio = f64::from(width) / f64::from(height);
    let (lo, hi) = (
        f64::from(ratio[0].min(ratio[1])),
        f64::from(ratio[0].max(ratio[1])),
    );
    let (w, h) = if !(lo > 0.0 && hi < f64::INFINITY) {
        (width, height)
    } else if in_ratio < lo {
        let h = (f64::from(width) / lo)
            .round()
            .clamp(1.0, f64::from(height));
        (width, h as u32)
    } else if in_ratio > hi {
        let w = (f64::from(height) * hi)
            .round()
            .clamp(1.0, f64::from(width));
        (w as u32, height)
    } else {
        (width, height)
    };
    image::imageops::crop_imm(img, (width - w) / 2, (height - h) / 2, w, h).to_image()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample_rng;
    use image::Rgb;

    /// 3x2, pixel `(x, y)` = `[10 x + y, y, x]`.
    fn img3x2() -> RgbImage {
        RgbImage::from_fn(3, 2, |x, y| Rgb([(10 * x + y) as u8, y as u8, x as u8]))
    }

    fn reds(img: &RgbImage) -> Vec<u8> {
        img.pixels().map(|p| p.0[0]).collect()
    }

    #[test]
    fn hflip_by_hand() {
        assert_eq!(reds(&hflip(&img3x2())), [20, 10, 0, 21, 11, 1]);
        assert_eq!(hflip(&hflip(&img3x2())), img3x2());
    }

    #[test]
    fn translate_by_hand() {
        assert_eq!(reds(&translate(&img3x2(), [1, 0])), [0, 0, 10, 1, 1, 11]);
        assert_eq!(
            reds(&translate(&img3x2(), [-2, 1])),
            [20, 20, 20, 20, 20, 20]
        );
        assert_eq!(reds(&translate(&img3x2(), [0, -1])), [1, 11, 21, 1, 11, 21]);
        assert_eq!(translate(&img3x2(), [0, 0]), img3x2());
        assert_eq!(
            reds(&translate(&img3x2(), [i32::MIN, i32::MAX])),
            [20, 20, 20, 20, 20, 20]
        );
    }

    #[test]
    fn reflect_101_like_opencv() {
        // gfedcb|abcdefgh|gfedcba|bcdefgh (the OpenCV doc's row, then the next period).
        let row: Vec<u32> = (-6..17).map(|i| reflect_101(i, 8)).collect();
        assert_eq!(
            row,
            [
                6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2
            ]
        );
        assert_eq!(reflect_101(-5, 1), 0);
        assert_eq!(reflect_101(3, 2), 1);
        assert_eq!(reflect_101(-1, 2), 1);
        assert_eq!(
            reflect_101(i64::MIN, 3),
            reflect_101(i64::MIN.rem_euclid(4), 3)
        );
    }

    #[test]
    fn zoom_out_by_hand() {
        // 4x1 row shrunk by half: [29, 91] (see resample's test); on the canvas at offset 0:
        // a b | b a (reflect-101 of a 2-wide image is a b a b ...).
        let row = RgbImage::from_fn(4, 1, |x, _| Rgb([[0, 40, 80, 120][x as usize]; 3]));
        assert_eq!(reds(&zoom_out(&row, 0.5, [0.0, 0.0])), [29, 91, 29, 91]);
        // Offset 0.5 puts it at x = 1: b | a b | a.
        assert_eq!(reds(&zoom_out(&row, 0.5, [0.5, 0.0])), [91, 29, 91, 29]);
        // 1 pixel wide: the same pixel everywhere (the mean of the row, 60).
        assert_eq!(reds(&zoom_out(&row, 0.1, [1.0, 0.0])), [60, 60, 60, 60]);
        // A 6-wide canvas from a 3-wide image: reflect-101 tiling, c b a b c b ...
        let six = RgbImage::from_fn(6, 1, |x, _| Rgb([[10, 10, 50, 50, 90, 90][x as usize]; 3]));
        let out = reds(&zoom_out(&six, 0.5, [1.0, 0.0]));
        let small = reds(&resize_linear(&six, 3, 1));
        let expected: Vec<u8> = (0..6)
            .map(|x| small[reflect_101(x - 3, 3) as usize])
            .collect();
        assert_eq!(out, expected);
        assert_eq!(expected[3..], small[..]);
    }

    #[test]
    fn zoom_out_and_downscale_identities() {
        let img = img3x2();
        assert_eq!(zoom_out(&img, 1.0, [0.3, 0.9]), img);
        assert_eq!(zoom_out(&img, f32::NAN, [0.3, 0.9]), img);
        assert_eq!(downscale_roundtrip(&img, 1.0), img);
        assert_eq!(downscale_roundtrip(&img, 2.0), img);
        // Offsets out of range are clamped, NaN is 0.
        assert_eq!(
            zoom_out(&img, 0.5, [f32::NAN, -3.0]),
            zoom_out(&img, 0.5, [0.0, 0.0])
        );
        assert_eq!(
            zoom_out(&img, 0.5, [7.0, 1.0]),
            zoom_out(&img, 0.5, [1.0, 1.0])
        );
        for s in [0.0, -1.0, 1e-9, 0.5, 0.99] {
            assert_eq!(zoom_out(&img, s, [0.5, 0.5]).dimensions(), (3, 2));
            assert_eq!(downscale_roundtrip(&img, s).dimensions(), (3, 2));
        }
    }

    #[test]
    fn downscale_by_hand() {
        // [0, 40, 80, 120] -> [29, 91] -> centres 0.25, 0.75, 1.25, 1.75 of the small row:
        // 29, 29 * .75 + 91 * .25 = 44.5, 29 * .25 + 91 * .75 = 75.5, 91.
        let row = RgbImage::from_fn(4, 1, |x, _| Rgb([[0, 40, 80, 120][x as usize]; 3]));
        assert_eq!(reds(&downscale_roundtrip(&row, 0.5)), [29, 45, 76, 91]);
    }

    #[test]
    fn random_resized_crop_sizes() {
        let img = RgbImage::from_fn(40, 30, |x, y| Rgb([x as u8, y as u8, 0]));
        let mut rng = sample_rng(5, &[]);
        for _ in 0..200 {
            let out = random_resized_crop(&img, [0.08, 1.0], [0.75, 4.0 / 3.0], &mut rng);
            let (w, h) = out.dimensions();
            assert!((1..=40).contains(&w) && (1..=30).contains(&h));
            let area = f64::from(w * h) / 1200.0;
            assert!((0.05..=1.05).contains(&area), "{w}x{h}");
            // A crop: pixels keep their coordinates' pattern.
            let p = out.get_pixel(0, 0).0;
            assert_eq!(
                *out.get_pixel(w - 1, h - 1),
                Rgb([p[0] + w as u8 - 1, p[1] + h as u8 - 1, 0])
            );
        }
        // Scale 1 and ratio exactly 4:3 of a 40x30 image: the whole image.
        let whole = random_resized_crop(&img, [1.0, 1.0], [4.0 / 3.0, 4.0 / 3.0], &mut rng);
        assert_eq!(whole, img);
    }

    #[test]
    fn random_resized_crop_fallback() {
        let img = RgbImage::from_fn(40, 10, |x, y| Rgb([x as u8, y as u8, 0]));
        let mut rng = sample_rng(5, &[]);
        // Ratio 1 never fits a 40x10 image at full area: the fallback is the centred 10x10.
        let out = random_resized_crop(&img, [1.0, 1.0], [1.0, 1.0], &mut rng);
        assert_eq!(out.dimensions(), (10, 10));
        assert_eq!(out.get_pixel(0, 0).0, [15, 0, 0]);
        // Tall ratios on a wide image: clamped into the range, centred.
        let out = random_resized_crop(&img, [2.0, 3.0], [0.5, 2.0], &mut rng);
        assert_eq!(out.dimensions(), (20, 10));
        assert_eq!(out.get_pixel(0, 0).0, [10, 0, 0]);
        // Nonsense ratios: every try fails, the fallback keeps the image.
        let out = random_resized_crop(&img, [0.5, 0.5], [-1.0, f32::NAN], &mut rng);
        assert_eq!(out, img);
    }

    #[test]
    fn random_resized_crop_is_deterministic() {
        let img = RgbImage::from_fn(64, 48, |x, y| Rgb([x as u8, y as u8, 3]));
        let crop =
            |seed| random_resized_crop(&img, [0.08, 1.0], [0.75, 1.34], &mut sample_rng(seed, &[]));
        assert_eq!(crop(9), crop(9));
        assert_ne!(crop(9), crop(10));
    }
}
