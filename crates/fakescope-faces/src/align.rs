//! Face alignment as DeepfakeBench prepares its training crops (`preprocessing/preprocess.py`,
//! `img_align_crop`), which the face detectors of fakescope expect.
//!
//! DeepfakeBench's recipe, reproduced here step by step:
//!
//! 1. **Template.** The ArcFace five-point template for 112x112 crops ([`ARCFACE_112`]) is
//!    shifted right by 8 px (it was drawn for 96 px wide crops), scaled to the output size
//!    `size / 112`, moved by the margin `size * (scale - 1) / 2` on both axes, and shrunk by
//!    `size / (size + 2 * margin)` so that the face occupies `1 / scale` of the crop (default
//!    scale 1.3). All in `f32`, as the upstream NumPy arrays are ([`deepfakebench_template`]).
//! 2. **Similarity.** The least-squares similarity (rotation, uniform scale, translation; no
//!    reflection) from the five landmarks to the template — skimage's `SimilarityTransform`
//!    (Umeyama's method), here in closed form and `f64` ([`Similarity::estimate`]; skimage
//!    works in `f32` on these `f32` arrays, so its matrix differs by ~1e-7 relative, which
//!    moves a rare sample across OpenCV's 1/32 px step. Measured against DeepfakeBench's exact
//!    pipeline (skimage 0.26 + OpenCV 4.6): 1 byte of 12 288 in the unit test's synthetic
//!    frame; on the 8 faces of the MTCNN parity group photo at 256 px, 529 of 1.57 M bytes,
//!    by at most 2 levels; with skimage's own matrix the warp is byte-identical).
//! 3. **Warp.** OpenCV `warpAffine` with its defaults (bilinear, black border) to
//!    `size` x `size` ([`warp_affine`]), reproducing OpenCV's fixed-point arithmetic as in the
//!    version DeepfakeBench pins (4.6).
//!
//! Landmarks: DeepfakeBench takes dlib's 68-point landmarks 37, 44, 30, 49, 55 (a point on each
//! upper eyelid, the nose tip, points next to the mouth corners); fakescope uses MTCNN's five
//! points (eye centres, nose tip, mouth corners) in the same order, which is what the ArcFace
//! template describes. Crops are therefore close to, not identical with, DeepfakeBench's.

use crate::error::Error;
use crate::image::RgbImage;

/// The ArcFace five-point template (left eye, right eye, nose, left and right mouth corner) of
/// 112x112 crops, in pixels, as DeepfakeBench writes it (before its +8 px shift in x).
pub const ARCFACE_112: [[f32; 2]; 5] = [
    [30.2946, 51.6963],
    [65.5318, 51.5014],
    [48.0252, 71.7366],
    [33.5493, 92.3655],
    [62.7299, 92.2041],
];

/// Largest output side accepted by [`warp_affine`] and the crops (a guard before allocating).
pub const MAX_CROP_SIZE: usize = 4096;

/// The template DeepfakeBench aligns to for a `size` x `size` crop whose face is enlarged by
/// `scale` (1.3 in DeepfakeBench), computed in `f32` in DeepfakeBench's order.
pub fn deepfakebench_template(size: usize, scale: f64) -> [[f32; 2]; 5] {
    let s = size as f32;
    // Python floats (f64), cast to f32 when NumPy applies them to the f32 array.
    let margin = size as f64 * (scale - 1.0) / 2.0;
    let shrink = (size as f64 / (size as f64 + 2.0 * margin)) as f32;
    let margin = margin as f32;
    ARCFACE_112.map(|[x, y]| {
        let x = (x + 8.0) * s / 112.0;
        let y = y * s / 112.0;
        [(x + margin) * shrink, (y + margin) * shrink]
    })
}

/// A similarity transform `x' = a x - b y + tx`, `y' = b x + a y + ty` (rotation by
/// `atan2(b, a)`, scale `hypot(a, b)`, then translation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Similarity {
    /// `scale * cos(angle)`.
    pub a: f64,
    /// `scale * sin(angle)`.
    pub b: f64,
    /// Translation in x.
    pub tx: f64,
    /// Translation in y.
    pub ty: f64,
}

impl Similarity {
    /// The least-squares similarity taking `src` onto `dst` (Umeyama 1991 with scaling, as
    /// skimage `SimilarityTransform.estimate`). In 2-D the optimum has a closed form: with both
    /// point sets centred, `a = Σ(sx dx + sy dy) / Σ|s|²`, `b = Σ(sx dy - sy dx) / Σ|s|²`, which
    /// equals Umeyama's `scale * R` including its reflection handling. `None` when the points
    /// are fewer than two or all equal (skimage returns NaNs then).
    pub fn estimate(src: &[[f64; 2]], dst: &[[f64; 2]]) -> Option<Similarity> {
        if src.len() != dst.len() || src.len() < 2 {
            return None;
        }
        let n = src.len() as f64;
        let mean = |p: &[[f64; 2]]| {
            let (sx, sy) = p.iter().fold((0.0, 0.0), |(x, y), q| (x + q[0], y + q[1]));
            [sx / n, sy / n]
        };
        let (ms, md) = (mean(src), mean(dst));
        let (mut num_a, mut num_b, mut var) = (0.0, 0.0, 0.0);
        for (s, d) in src.iter().zip(dst) {
            let (sx, sy) = (s[0] - ms[0], s[1] - ms[1]);
            let (dx, dy) = (d[0] - md[0], d[1] - md[1]);
            num_a += sx * dx + sy * dy;
            num_b += sx * dy - sy * dx;
            var += sx * sx + sy * sy;
        }
        if var <= 0.0 || !var.is_finite() {
            return None;
        }
        let (a, b) = (num_a / var, num_b / var);
        Some(Similarity {
            a,
            b,
            tx: md[0] - (a * ms[0] - b * ms[1]),
            ty: md[1] - (b * ms[0] + a * ms[1]),
        })
    }

    /// The 2x3 matrix `[[a, -b, tx], [b, a, ty]]` (skimage's `params[0:2]`).
    pub fn matrix(&self) -> [[f64; 3]; 2] {
        [[self.a, -self.b, self.tx], [self.b, self.a, self.ty]]
    }

    /// Maps a point.
    pub fn apply(&self, [x, y]: [f64; 2]) -> [f64; 2] {
        [
            self.a * x - self.b * y + self.tx,
            self.b * x + self.a * y + self.ty,
        ]
    }
}

/// OpenCV's fixed-point constants: coordinates in 1/1024, sampled at 1/32 pixel, weights in
/// 1/32768.
const AB_BITS: u32 = 10;
const INTER_BITS: u32 = 5;
const INTER_TAB: i32 = 1 << INTER_BITS;
const COEF_BITS: u32 = 15;

/// `saturate_cast<int>(double)`: round half to even, clamped.
fn round_i32(v: f64) -> i32 {
    v.round_ties_even().clamp(i32::MIN as f64, i32::MAX as f64) as i32
}

/// OpenCV `warpAffine(src, m, (size, size))` with its defaults (`INTER_LINEAR`,
/// `BORDER_CONSTANT` black) for RGB8: `m` maps source to output pixels; each output pixel
/// samples the source at `m⁻¹(x, y)` (integer pixel centres), quantised to 1/32 px, with
/// bilinear weights in 1/32768 and rounding — OpenCV's fixed-point path (versions up to 4.10;
/// 4.11 and later interpolate in `f32` and can differ by 1 level). Taps outside the image read
/// black. A singular `m` gives a black crop, as in OpenCV.
///
/// # Shapes
/// image `[h][w][3]` → `[size][size][3]`.
pub fn warp_affine(image: &RgbImage<'_>, m: &[[f64; 3]; 2], size: usize) -> Result<Vec<u8>, Error> {
    if size > MAX_CROP_SIZE {
        return Err(Error::TooLarge {
            width: size,
            height: size,
            limit: MAX_CROP_SIZE * MAX_CROP_SIZE,
        });
    }
    // The inverse map, computed as OpenCV does.
    let [[m0, m1, m2], [m3, m4, m5]] = *m;
    let det = m0 * m4 - m1 * m3;
    let d = if det != 0.0 { 1.0 / det } else { 0.0 };
    let (i0, i1, i3, i4) = (m4 * d, -m1 * d, -m3 * d, m0 * d);
    let i2 = -i0 * m2 - i1 * m5;
    let i5 = -i3 * m2 - i4 * m5;

    let scale = f64::from(1u32 << AB_BITS);
    let round_delta = (1 << AB_BITS) / INTER_TAB / 2;
    let adelta: Vec<i32> = (0..size)
        .map(|x| round_i32(i0 * x as f64 * scale))
        .collect();
    let bdelta: Vec<i32> = (0..size)
        .map(|x| round_i32(i3 * x as f64 * scale))
        .collect();
    let (w, h) = (image.width() as i64, image.height() as i64);
    let mut out = vec![0u8; size * size * 3];
    for (y, row) in out.chunks_exact_mut(size * 3).enumerate() {
        let x0 = round_i32((i1 * y as f64 + i2) * scale).saturating_add(round_delta);
        let y0 = round_i32((i4 * y as f64 + i5) * scale).saturating_add(round_delta);
        for (x, px) in row.chunks_exact_mut(3).enumerate() {
            let fx = x0.saturating_add(adelta[x]) >> (AB_BITS - INTER_BITS);
            let fy = y0.saturating_add(bdelta[x]) >> (AB_BITS - INTER_BITS);
            let (sx, sy) = (i64::from(fx >> INTER_BITS), i64::from(fy >> INTER_BITS));
            let (ax, ay) = (fx & (INTER_TAB - 1), fy & (INTER_TAB - 1));
            if sx >= w || sx + 1 < 0 || sy >= h || sy + 1 < 0 {
                continue; // all four taps outside: the border value, black
            }
            // The weights of OpenCV's table, exact: (32 - a) * (32 - b) * 32 and so on.
            let weights = [
                (INTER_TAB - ax) * (INTER_TAB - ay),
                ax * (INTER_TAB - ay),
                (INTER_TAB - ax) * ay,
                ax * ay,
            ]
            .map(|v| v * (1 << (COEF_BITS - 2 * INTER_BITS)));
            let taps = [(sx, sy), (sx + 1, sy), (sx, sy + 1), (sx + 1, sy + 1)];
            for (c, value) in px.iter_mut().enumerate() {
                let mut acc = 0i32;
                for (&(tx, ty), &wt) in taps.iter().zip(&weights) {
                    if (0..w).contains(&tx) && (0..h).contains(&ty) {
                        acc += i32::from(image.get(tx as usize, ty as usize)[c]) * wt;
                    }
                }
                *value = ((acc + (1 << (COEF_BITS - 1))) >> COEF_BITS).clamp(0, 255) as u8;
            }
        }
    }
    Ok(out)
}

/// Aligns the face with `landmarks` (MTCNN order: left eye, right eye, nose, left and right
/// mouth corner) DeepfakeBench's way into a `size` x `size` RGB8 crop (DeepfakeBench: 256 and
/// `scale` 1.3). Returns the crop and the source-to-crop similarity; `None` for degenerate
/// landmarks (all equal or not finite).
pub fn align_deepfakebench(
    image: &RgbImage<'_>,
    landmarks: &[[f32; 2]; 5],
    size: usize,
    scale: f64,
) -> Result<Option<(Vec<u8>, Similarity)>, Error> {
    let src = landmarks.map(|[x, y]| [f64::from(x), f64::from(y)]);
    let dst = deepfakebench_template(size, scale).map(|[x, y]| [f64::from(x), f64::from(y)]);
    if src.iter().flatten().any(|v| !v.is_finite()) {
        return Ok(None);
    }
    let Some(t) = Similarity::estimate(&src, &dst) else {
        return Ok(None);
    };
    Ok(Some((warp_affine(image, &t.matrix(), size)?, t)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_for_256_at_1_3() {
        // By hand: x = (30.2946 + 8) * 256 / 112 = 87.5305..., + 38.4, * 256 / 332.8.
        let t = deepfakebench_template(256, 1.3);
        let x = ((30.2946 + 8.0) * 256.0 / 112.0 + 38.4) * 256.0 / 332.8;
        let y = (51.6963 * 256.0 / 112.0 + 38.4) * 256.0 / 332.8;
        assert!((f64::from(t[0][0]) - x).abs() < 1e-4, "{} vs {x}", t[0][0]);
        assert!((f64::from(t[0][1]) - y).abs() < 1e-4, "{} vs {y}", t[0][1]);
    }

    #[test]
    fn landmarks_on_the_template_give_identity() {
        let t = deepfakebench_template(256, 1.3).map(|[x, y]| [f64::from(x), f64::from(y)]);
        let s = Similarity::estimate(&t, &t).unwrap();
        for (got, want) in [s.a, s.b, s.tx, s.ty].iter().zip([1.0, 0.0, 0.0, 0.0]) {
            assert!((got - want).abs() < 1e-12, "{s:?}");
        }
    }

    #[test]
    fn recovers_a_known_similarity() {
        let (scale, angle, tx, ty) = (1.7f64, 0.3f64, -12.5, 40.25);
        let truth = Similarity {
            a: scale * angle.cos(),
            b: scale * angle.sin(),
            tx,
            ty,
        };
        let src = [
            [10.0, 20.0],
            [50.0, 18.0],
            [30.0, 40.0],
            [15.0, 60.0],
            [48.0, 61.0],
        ];
        let dst = src.map(|p| truth.apply(p));
        let s = Similarity::estimate(&src, &dst).unwrap();
        for (got, want) in [s.a, s.b, s.tx, s.ty]
            .iter()
            .zip([truth.a, truth.b, tx, ty])
        {
            assert!((got - want).abs() < 1e-9, "{s:?} vs {truth:?}");
        }
    }

    #[test]
    fn degenerate_landmarks_are_refused() {
        assert!(Similarity::estimate(&[[3.0, 3.0]; 5], &[[1.0, 2.0]; 5]).is_none());
    }

    /// A 4x4 test image whose red channel is `16 * x + y`, green `y * 40`, blue 255.
    fn ramp() -> Vec<u8> {
        let mut px = Vec::new();
        for y in 0..4u8 {
            for x in 0..4u8 {
                px.extend_from_slice(&[16 * x + y, 40 * y, 255]);
            }
        }
        px
    }

    #[test]
    fn warp_translation_by_half_a_pixel_averages_neighbours() {
        let px = ramp();
        let img = RgbImage::new(4, 4, &px).unwrap();
        // Output (x, y) samples source (x + 0.5, y): weights 16384/16384 on columns x, x + 1.
        let m = [[1.0, 0.0, -0.5], [0.0, 1.0, 0.0]];
        let out = warp_affine(&img, &m, 4).unwrap();
        let at = |x: usize, y: usize, c: usize| out[(y * 4 + x) * 3 + c];
        // Red at (0, 1): (1 + 17) / 2 = 9; at (2, 3): (35 + 51) / 2 = 43.
        assert_eq!(at(0, 1, 0), 9);
        assert_eq!(at(2, 3, 0), 43);
        // Column 3 reads (3.5, y): half the pixel, half black border: (48 + 2 + 0) / 2 -> 25.
        assert_eq!(at(3, 2, 0), 25);
        assert_eq!(at(3, 2, 2), 128); // 255 / 2 = 127.5 rounds up in fixed point
    }

    #[test]
    fn warp_scaling_by_two_samples_quarter_pixels() {
        let px = ramp();
        let img = RgbImage::new(4, 4, &px).unwrap();
        // Enlarge 2x: output (x, y) samples (x / 2, y / 2).
        let m = [[2.0, 0.0, 0.0], [0.0, 2.0, 0.0]];
        let out = warp_affine(&img, &m, 8).unwrap();
        let at = |x: usize, y: usize, c: usize| out[(y * 8 + x) * 3 + c];
        // (3, 3) samples (1.5, 1.5): red mean of 17, 33, 18, 34 = 25.5 -> 26 (round half up).
        assert_eq!(at(3, 3, 0), 26);
        // (2, 5) samples (1, 2.5): green (80 + 120) / 2 = 100.
        assert_eq!(at(2, 5, 1), 100);
        // (0, 0) is the source pixel itself.
        assert_eq!(&out[..3], &px[..3]);
    }

    /// Reference numbers for one synthetic case, obtained with DeepfakeBench's own
    /// `img_align_crop` arithmetic: the template (NumPy 2.4 `float32`, outsize 64, scale 1.3),
    /// `skimage.transform.SimilarityTransform().estimate(landmarks, template)` (scikit-image
    /// 0.26), then `cv2.warpAffine(img, M, (64, 64))` + `cv2.resize` to the same size with
    /// `opencv-python-headless==4.6.0.66` (the version DeepfakeBench's install.sh pins). The
    /// crop is summarised by its byte sum and 64-bit FNV-1a hash; OpenCV 5.0 gives a different
    /// crop (sum 961317, 2021 of 12288 bytes differ by up to 5) because it interpolates in
    /// `f32`.
    #[test]
    fn matches_skimage_and_opencv_4_6_on_a_synthetic_frame() {
        let (w, h) = (96usize, 96usize);
        let mut px = Vec::with_capacity(w * h * 3);
        for y in 0..h as i64 {
            for x in 0..w as i64 {
                px.push(((x * 7 + y * 13) % 256) as u8);
                px.push(((x * x + 3 * y) % 256) as u8);
                px.push((255 - 2 * x + y).rem_euclid(256) as u8);
            }
        }
        let img = RgbImage::new(w, h, &px).unwrap();
        let landmarks = [
            [30.3f32, 40.1],
            [61.7, 35.2],
            [47.9, 55.5],
            [36.0, 72.4],
            [63.2, 68.8],
        ];

        let template = deepfakebench_template(64, 1.3);
        assert_eq!(template[0], [24.217_407, 30.108_265]);
        assert_eq!(template[4], [38.474_686, 47.913_89]);
        let t256 = deepfakebench_template(256, 1.3);
        assert_eq!(t256[2], [128.044_31, 155.668_76]);

        let (crop, t) = align_deepfakebench(&img, &landmarks, 64, 1.3)
            .unwrap()
            .unwrap();
        let skimage = [
            [0.5084306215972251, -0.06046835968311458, 10.987824186968826],
            [0.06046835968311458, 0.5084306215972251, 8.43913346234324],
        ];
        for (row, want) in t.matrix().iter().zip(&skimage) {
            for (a, b) in row.iter().zip(want) {
                // skimage computes in f32 (the landmarks and template are f32 arrays); we in f64.
                assert!((a - b).abs() < 5e-6, "{:?} vs {skimage:?}", t.matrix());
            }
        }
        // The warp alone is exact: OpenCV 4.6's bytes from skimage's matrix.
        let opencv = warp_affine(&img, &skimage, 64).unwrap();
        let sum: u64 = opencv.iter().map(|&v| u64::from(v)).sum();
        let fnv = opencv.iter().fold(0xcbf29ce484222325u64, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
        });
        assert_eq!(sum, 961_410);
        assert_eq!(fnv, 0x0de8_9651_e679_855b);
        // Our f64 matrix differs from skimage's f32 one by ~1e-6 px, which moves a few samples
        // across a 1/32 px step: count them.
        let differ: Vec<i32> = crop
            .iter()
            .zip(&opencv)
            .map(|(&a, &b)| i32::from(a) - i32::from(b))
            .filter(|&d| d != 0)
            .collect();
        eprintln!("aligned crop vs DeepfakeBench (OpenCV 4.6): {differ:?}");
        assert!(
            differ.len() <= 4 && differ.iter().all(|d| d.abs() <= 8),
            "{differ:?}"
        );
        assert_eq!(&opencv[(20 * 64 + 10) * 3..][..3], &[44, 69, 20]);
        assert_eq!(&opencv[(50 * 64 + 40) * 3..][..3], &[142, 205, 197]);
    }

    #[test]
    fn warp_refuses_huge_crops() {
        let px = ramp();
        let img = RgbImage::new(4, 4, &px).unwrap();
        let m = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]];
        assert!(warp_affine(&img, &m, MAX_CROP_SIZE + 1).is_err());
    }
}
