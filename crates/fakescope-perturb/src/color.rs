//! Colour transforms. Each works per pixel in `f32` and rounds half away from zero and clamps
//! to `0..=255` once, at the end.

use image::{Rgb, RgbImage};

/// Rounds half away from zero and clamps to `0..=255` (NaN gives 0).
pub(crate) fn to_u8(v: f32) -> u8 {
    // `as` saturates and maps NaN to 0.
    v.round() as u8
}

/// Applies `f` to every pixel, as `f32` in `0..=255`.
fn map_pixels(img: &RgbImage, f: impl Fn([f32; 3]) -> [f32; 3]) -> RgbImage {
    let mut out = img.clone();
    for px in out.pixels_mut() {
        let y = f(px.0.map(f32::from));
        *px = Rgb(y.map(to_u8));
    }
    out
}

/// Brightness and contrast: with `x = v / 255` for each channel value `v`,
/// `x' = (x - 0.5) * contrast_factor + 0.5 + brightness_delta`, i.e. contrast is scaled about
/// mid-grey and the brightness delta (in `[0, 1]` units: 0.1 is 25.5 levels) is then added.
/// `(0.0, 1.0)` is the identity.
pub fn adjust_brightness_contrast(
    img: &RgbImage,
    brightness_delta: f32,
    contrast_factor: f32,
) -> RgbImage {
    let offset = 127.5 + 255.0 * brightness_delta;
    map_pixels(img, |p| p.map(|v| (v - 127.5) * contrast_factor + offset))
}

/// Saturation: each channel moves away from (`factor > 1`) or towards (`factor < 1`) the pixel's
/// luma `0.299 R + 0.587 G + 0.114 B` (ITU-R BT.601, as torchvision and Pillow use):
/// `v' = luma + factor * (v - luma)`. 0 gives grey, 1 the identity.
pub fn adjust_saturation(img: &RgbImage, factor: f32) -> RgbImage {
    map_pixels(img, |[r, g, b]| {
        let luma = 0.299 * r + 0.587 * g + 0.114 * b;
        [r, g, b].map(|v| luma + factor * (v - luma))
    })
}

/// Hue rotation: each pixel goes to HSV (hexcone model, hue in degrees), `degrees` is added to
/// its hue (wrapping around 360), and it comes back to RGB; saturation and value are kept, so
/// greys do not change. `(255, 0, 0)` turned by 120 becomes `(0, 255, 0)`.
pub fn shift_hue(img: &RgbImage, degrees: f32) -> RgbImage {
    map_pixels(img, |p| {
        let (h, s, v) = rgb_to_hsv(p);
        hsv_to_rgb((h + degrees).rem_euclid(360.0), s, v)
    })
}

/// Adds `delta[c]` (in `0..255` units) to channel `c` of every pixel.
pub fn shift_rgb(img: &RgbImage, delta: [f32; 3]) -> RgbImage {
    map_pixels(img, |[r, g, b]| [r + delta[0], g + delta[1], b + delta[2]])
}

/// `(hue in [0, 360), saturation in [0, 1], value in 0..=255)`.
fn rgb_to_hsv([r, g, b]: [f32; 3]) -> (f32, f32, f32) {
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    let delta = max - min;
    if delta <= 0.0 {
        return (0.0, 0.0, max);
    }
    let h = if max == r {
        ((g - b) / delta).rem_euclid(6.0)
    } else if max == g {
        (b - r) / delta + 2.0
    } else {
        (r - g) / delta + 4.0
    };
    (60.0 * h, delta / max, max)
}

/// The inverse of [`rgb_to_hsv`].
fn hsv_to_rgb(h: f32, s: f32, v: f32) -> [f32; 3] {
    let chroma = v * s;
    let sector = h / 60.0;
    let x = chroma * (1.0 - (sector.rem_euclid(2.0) - 1.0).abs());
    let m = v - chroma;
    let (r, g, b) = match sector as u32 {
        0 => (chroma, x, 0.0),
        1 => (x, chroma, 0.0),
        2 => (0.0, chroma, x),
        3 => (0.0, x, chroma),
        4 => (x, 0.0, chroma),
        _ => (chroma, 0.0, x),
    };
    [r + m, g + m, b + m]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 3x2 image from its six pixels, row by row.
    fn img3x2(px: [[u8; 3]; 6]) -> RgbImage {
        RgbImage::from_fn(3, 2, |x, y| Rgb(px[(y * 3 + x) as usize]))
    }

    fn pixels(img: &RgbImage) -> Vec<[u8; 3]> {
        img.pixels().map(|p| p.0).collect()
    }

    const SAMPLE: [[u8; 3]; 6] = [
        [0, 0, 0],
        [255, 255, 255],
        [100, 50, 0],
        [200, 100, 100],
        [255, 0, 0],
        [12, 200, 77],
    ];

    #[test]
    fn brightness_contrast_by_hand() {
        let img = img3x2([
            [100, 200, 127],
            [0, 255, 128],
            [0; 3],
            [0; 3],
            [0; 3],
            [0; 3],
        ]);
        let out = adjust_brightness_contrast(&img, 0.1, 2.0);
        // (v - 127.5) * 2 + 127.5 + 25.5
        assert_eq!(pixels(&out)[0], [98, 255, 152]);
        assert_eq!(pixels(&out)[1], [0, 255, 154]);
        let darker = adjust_brightness_contrast(&img, -0.2, 1.0);
        assert_eq!(pixels(&darker)[0], [49, 149, 76]);
    }

    #[test]
    fn saturation_by_hand() {
        let img = img3x2(SAMPLE);
        // luma of (100, 50, 0) = 29.9 + 29.35 = 59.25
        assert_eq!(pixels(&adjust_saturation(&img, 0.0))[2], [59, 59, 59]);
        assert_eq!(pixels(&adjust_saturation(&img, 2.0))[2], [141, 41, 0]);
        // Greys stay grey whatever the factor.
        assert_eq!(pixels(&adjust_saturation(&img, 3.0))[1], [255, 255, 255]);
    }

    #[test]
    fn hue_by_hand() {
        let img = img3x2(SAMPLE);
        assert_eq!(pixels(&shift_hue(&img, 120.0))[4], [0, 255, 0]);
        assert_eq!(pixels(&shift_hue(&img, -120.0))[4], [0, 0, 255]);
        assert_eq!(pixels(&shift_hue(&img, 60.0))[4], [255, 255, 0]);
        assert_eq!(pixels(&shift_hue(&img, 180.0))[3], [100, 200, 200]);
        assert_eq!(pixels(&shift_hue(&img, 540.0))[3], [100, 200, 200]);
        assert_eq!(pixels(&shift_hue(&img, 77.0))[1], [255, 255, 255]);
    }

    #[test]
    fn rgb_shift_by_hand() {
        let img = img3x2(SAMPLE);
        let out = pixels(&shift_rgb(&img, [10.4, -20.5, 300.0]));
        assert_eq!(out[0], [10, 0, 255]);
        assert_eq!(out[2], [110, 30, 255]);
        assert_eq!(out[5], [22, 180, 255]);
    }

    #[test]
    fn identities_are_exact() {
        // Every 5th level of each channel: 52^3 colours.
        let levels: Vec<u8> = (0..=255).step_by(5).collect();
        let n = levels.len() as u32;
        let img = RgbImage::from_fn(n * n, n, |x, y| {
            Rgb([
                levels[(x / n) as usize],
                levels[(x % n) as usize],
                levels[y as usize],
            ])
        });
        assert_eq!(adjust_brightness_contrast(&img, 0.0, 1.0), img);
        assert_eq!(adjust_saturation(&img, 1.0), img);
        assert_eq!(shift_hue(&img, 0.0), img);
        assert_eq!(shift_hue(&img, 360.0), img);
        assert_eq!(shift_rgb(&img, [0.0; 3]), img);
    }

    #[test]
    fn to_u8_rounds_and_clamps() {
        assert_eq!(to_u8(-3.0), 0);
        assert_eq!(to_u8(0.5), 1);
        assert_eq!(to_u8(254.49), 254);
        assert_eq!(to_u8(1e9), 255);
        assert_eq!(to_u8(f32::NAN), 0);
    }
}
