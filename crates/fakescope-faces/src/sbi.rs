//! Self-Blended Images: training fakes made from one real face.
//!
//! SBI (Shiohara & Yamasaki, "Detecting Deepfakes with Self-Blended Images", CVPR 2022,
//! <https://arxiv.org/abs/2204.08376>) makes a forgery without a second identity: a copy of the
//! face is altered slightly (colour, sharpness, resolution, a small shift), and one of the two is
//! pasted onto the other through a soft face-shaped mask. What remains are exactly the traces
//! every face swap leaves (a blending boundary, colour and frequency mismatch between the inner
//! face and its surroundings, slight misalignment), without the generator's own fingerprints, so
//! a detector trained on them generalises across forgery methods.
//!
//! - [`source_target`] makes the altered copy.
//! - [`face_mask`] draws a soft face mask from MTCNN's five landmarks (the paper uses a hull of
//!   68 or 81 landmarks; from five points the outline is an oval fitted to eyes and mouth).
//! - [`self_blend`] does both and blends: `source * M + target * (1 - M)` per pixel, the altered
//!   copy being the source or the target with probability one half each.
//! - [`SbiConfig`] holds every range (serde, with defaults, unknown fields refused) and
//!   [`SbiConfig::validate`] names the first impossible one.
//!
//! Images here are owned buffers, [`fakescope_perturb::RgbImage`] (`image`'s `RgbImage`), not the
//! borrowed [`crate::RgbImage`] the detector reads; landmarks are in pixel coordinates, pixel
//! `(x, y)` covering `[x, x + 1) x [y, y + 1)` (its centre at `x + 0.5, y + 0.5`), as MTCNN's
//! [`crate::Face::landmarks`] are. Every draw comes from the `rng` passed in, so
//! `fakescope_perturb::sample_rng(seed, &[epoch, index])` makes a sample reproducible.

use fakescope_perturb::{
    RgbImage, adjust_brightness_contrast, adjust_saturation, downscale_roundtrip, gaussian_blur,
    gaussian_blur_f32, shift_hue, shift_rgb, translate, unsharp_mask,
};
use rand::Rng;
use serde::{Deserialize, Serialize};

/// What went wrong making a self-blended image.
#[derive(Debug, thiserror::Error)]
pub enum SbiError {
    /// A setting is impossible; `field` is its dotted path (`sbi.mask.blur`).
    #[error("{field}: {reason}")]
    Invalid {
        /// Dotted path of the setting.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The landmarks cannot describe a face in this image (named: which point, and why).
    #[error("landmarks: {0}")]
    Landmarks(String),
    /// The image has no pixels.
    #[error("image of {width}x{height} is empty")]
    EmptyImage {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
    },
    /// A transform failed.
    #[error(transparent)]
    Perturb(#[from] fakescope_perturb::Error),
}

/// The names of the five landmarks, in MTCNN's order.
const LANDMARK_NAMES: [&str; 5] = [
    "left eye",
    "right eye",
    "nose",
    "left mouth corner",
    "right mouth corner",
];

/// How many vertices the face outline has before its convex hull is taken.
const OUTLINE_VERTICES: usize = 32;

/// Eye distance and eye-to-mouth distance below which the landmarks are degenerate, in pixels.
const MIN_FACE_PX: f32 = 1.0;

/// Every range of a self-blend. Ranges are `[min, max]`, drawn uniformly; lengths of the mask
/// are in units of the face, not pixels, so the same settings suit any resolution.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SbiConfig {
    /// Probability that the roles swap: the original face is pasted into the altered copy
    /// instead of the altered face into the original (default 0.5, as in the paper).
    pub swap_p: f32,
    /// The face mask.
    pub mask: SbiMask,
    /// The altered copy.
    pub source: SbiSource,
}

impl Default for SbiConfig {
    fn default() -> SbiConfig {
        SbiConfig {
            swap_p: 0.5,
            mask: SbiMask::default(),
            source: SbiSource::default(),
        }
    }
}

/// The face mask ([`face_mask`]). `D` is the distance from the eye centre to the mouth centre,
/// `E` the distance between the eyes.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SbiMask {
    /// How far the outline reaches above the eye centre, in `D` (default 0.5 to 1).
    pub forehead: [f32; 2],
    /// How far the outline reaches below the mouth centre, in `D` (default 0.6 to 1).
    pub chin: [f32; 2],
    /// Half the face width at cheek level, in `E` (default 0.9 to 1.3).
    pub half_width: [f32; 2],
    /// Largest random offset of each outline vertex along x and along y, in `D` (default 0.05).
    pub jitter: f32,
    /// Sigma of the two Gaussian blurs of the mask, each drawn on its own, in `D` (default 0.02
    /// to 0.08; 1 to 4 pixels for a face with `D` = 50 pixels).
    pub blur: [f32; 2],
    /// Level at which the once-blurred mask is cut back to 0 / 1: below 0.5 the mask grows,
    /// above it shrinks (by up to about one first-blur sigma; default 0.2 to 0.8).
    pub threshold: [f32; 2],
    /// The blend ratio (the mask's maximum) is drawn uniformly from this list (default 0.25,
    /// 0.5, 0.75, 1, 1, 1: a full blend half the time, as in the paper).
    pub blend_ratios: Vec<f32>,
}

impl Default for SbiMask {
    fn default() -> SbiMask {
        SbiMask {
            forehead: [0.5, 1.0],
            chin: [0.6, 1.0],
            half_width: [0.9, 1.3],
            jitter: 0.05,
            blur: [0.02, 0.08],
            threshold: [0.2, 0.8],
            blend_ratios: vec![0.25, 0.5, 0.75, 1.0, 1.0, 1.0],
        }
    }
}

/// The altered copy ([`source_target`]).
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SbiSource {
    /// Largest shift of each of R, G, B, drawn on its own, in levels of `0..=255` (default 20).
    pub rgb_shift: f32,
    /// Largest hue rotation, in degrees (default 10).
    pub hue: f32,
    /// Range of the saturation factor (default 0.85 to 1.15).
    pub saturation: [f32; 2],
    /// Largest brightness change, in `[0, 1]` units (default 0.1).
    pub brightness: f32,
    /// Range of the contrast factor (default 0.9 to 1.1).
    pub contrast: [f32; 2],
    /// Probability of changing the sharpness: sharpen or blur, one half each (default 0.5).
    pub filter_p: f32,
    /// Range of the unsharp-mask amount, sigma 1 pixel (default 0.3 to 1).
    pub sharpen: [f32; 2],
    /// Range of the blur sigma, in pixels (default 0.5 to 1.5).
    pub blur: [f32; 2],
    /// Probability of losing resolution (default 0.5).
    pub downscale_p: f32,
    /// Range of the intermediate scale, in `(0, 1]` (default 0.25 to 0.5: the paper shrinks the
    /// source by a factor of 2 or 4, so half the fakes carry a clearly softer inner face).
    pub downscale: [f32; 2],
    /// Probability of a small shift (default 0.5).
    pub translate_p: f32,
    /// Largest shift, as a fraction of the width (x) and of the height (y), in `[0, 0.5]`
    /// (default 0.03).
    pub translate: f32,
}

impl Default for SbiSource {
    fn default() -> SbiSource {
        SbiSource {
            rgb_shift: 20.0,
            hue: 10.0,
            saturation: [0.85, 1.15],
            brightness: 0.1,
            contrast: [0.9, 1.1],
            filter_p: 0.5,
            sharpen: [0.3, 1.0],
            blur: [0.5, 1.5],
            downscale_p: 0.5,
            downscale: [0.25, 0.5],
            translate_p: 0.5,
            translate: 0.03,
        }
    }
}

/// An [`SbiError::Invalid`].
fn invalid(field: &str, reason: String) -> SbiError {
    SbiError::Invalid {
        field: field.to_string(),
        reason,
    }
}

/// Checks that `p` is a probability.
fn check_p(field: &str, p: f32) -> Result<(), SbiError> {
    if (0.0..=1.0).contains(&p) {
        return Ok(());
    }
    Err(invalid(field, format!("{p} is outside [0, 1]")))
}

/// Checks that a single value is finite and at least 0.
fn check_nonnegative(field: &str, v: f32) -> Result<(), SbiError> {
    if v.is_finite() && v >= 0.0 {
        return Ok(());
    }
    Err(invalid(field, format!("{v} is not a finite value >= 0")))
}

/// Checks that a range is finite, ordered, and that its minimum is at least `floor`.
fn check_range(field: &str, [min, max]: [f32; 2], floor: f32) -> Result<(), SbiError> {
    if !min.is_finite() || !max.is_finite() {
        return Err(invalid(field, format!("[{min}, {max}] is not finite")));
    }
    if min > max {
        return Err(invalid(field, format!("min {min} > max {max}")));
    }
    if min < floor {
        return Err(invalid(field, format!("{min} is below {floor}")));
    }
    Ok(())
}

impl SbiConfig {
    /// Checks every setting; the error names the first bad field by its path, e.g.
    /// `sbi.mask.threshold: 1 is outside (0, 1)`.
    ///
    /// # Errors
    /// [`SbiError::Invalid`] for a probability outside `[0, 1]`, a range that is not finite or
    /// has min > max, a negative length, factor or sigma, a zero half width, a threshold outside
    /// `(0, 1)`, an empty list of blend ratios or one outside `(0, 1]`, a downscale outside
    /// `(0, 1]` or a translation outside `[0, 0.5]`.
    pub fn validate(&self) -> Result<(), SbiError> {
        check_p("sbi.swap_p", self.swap_p)?;
        let m = &self.mask;
        check_range("sbi.mask.forehead", m.forehead, 0.0)?;
        check_range("sbi.mask.chin", m.chin, 0.0)?;
        check_range("sbi.mask.half_width", m.half_width, 0.0)?;
        if m.half_width[0] <= 0.0 {
            return Err(invalid("sbi.mask.half_width", "0 is not > 0".into()));
        }
        check_nonnegative("sbi.mask.jitter", m.jitter)?;
        check_range("sbi.mask.blur", m.blur, 0.0)?;
        check_range("sbi.mask.threshold", m.threshold, 0.0)?;
        for t in m.threshold {
            if !(t > 0.0 && t < 1.0) {
                return Err(invalid(
                    "sbi.mask.threshold",
                    format!("{t} is outside (0, 1)"),
                ));
            }
        }
        if m.blend_ratios.is_empty() {
            return Err(invalid("sbi.mask.blend_ratios", "is empty".into()));
        }
        for &r in &m.blend_ratios {
            if !(r > 0.0 && r <= 1.0) {
                return Err(invalid(
                    "sbi.mask.blend_ratios",
                    format!("{r} is outside (0, 1]"),
                ));
            }
        }
        let s = &self.source;
        check_nonnegative("sbi.source.rgb_shift", s.rgb_shift)?;
        check_nonnegative("sbi.source.hue", s.hue)?;
        check_range("sbi.source.saturation", s.saturation, 0.0)?;
        check_nonnegative("sbi.source.brightness", s.brightness)?;
        check_range("sbi.source.contrast", s.contrast, 0.0)?;
        check_p("sbi.source.filter_p", s.filter_p)?;
        check_range("sbi.source.sharpen", s.sharpen, 0.0)?;
        check_range("sbi.source.blur", s.blur, 0.0)?;
        check_p("sbi.source.downscale_p", s.downscale_p)?;
        check_range("sbi.source.downscale", s.downscale, 0.0)?;
        for d in s.downscale {
            if !(d > 0.0 && d <= 1.0) {
                return Err(invalid(
                    "sbi.source.downscale",
                    format!("{d} is outside (0, 1]"),
                ));
            }
        }
        check_p("sbi.source.translate_p", s.translate_p)?;
        if !(0.0..=0.5).contains(&s.translate) {
            return Err(invalid(
                "sbi.source.translate",
                format!("{} is outside [0, 0.5]", s.translate),
            ));
        }
        Ok(())
    }
}

/// A uniform draw from `[lo, hi)`; never panics.
fn uniform(rng: &mut impl Rng, [lo, hi]: [f32; 2]) -> f32 {
    lo + (hi - lo) * rng.random::<f32>()
}

/// A uniform draw from `[-max, max)`.
fn symmetric(rng: &mut impl Rng, max: f32) -> f32 {
    uniform(rng, [-max, max])
}

/// `true` with probability `p`; always draws one number.
fn coin(rng: &mut impl Rng, p: f32) -> bool {
    rng.random::<f32>() < p
}

/// The altered copy of `img` that SBI blends with the original: its colour, sharpness,
/// resolution and position change a little, the way a second face (or a generator's output)
/// differs from the frame it is pasted into.
///
/// In this order, with `cfg.source`'s ranges (drawn from `rng` in this order too):
/// 1. colour, always: [`shift_rgb`] by a uniform `±rgb_shift` per channel, [`shift_hue`] by
///    `±hue` degrees, [`adjust_saturation`], then [`adjust_brightness_contrast`];
/// 2. with probability `filter_p`, one half each: sharpen ([`unsharp_mask`], sigma 1 px,
///    amount from `sharpen`) or blur ([`gaussian_blur`], sigma from `blur`);
/// 3. with probability `downscale_p`: [`downscale_roundtrip`] at a scale from `downscale`;
/// 4. with probability `translate_p`: [`translate`] by a whole number of pixels up to
///    `translate` times the width (x) and the height (y), the border pixels repeated.
///
/// An invalid `cfg` (see [`SbiConfig::validate`]) gives an unspecified image, never a panic.
pub fn source_target(img: &RgbImage, cfg: &SbiConfig, rng: &mut impl Rng) -> RgbImage {
    let s = &cfg.source;
    let shift = [
        symmetric(rng, s.rgb_shift),
        symmetric(rng, s.rgb_shift),
        symmetric(rng, s.rgb_shift),
    ];
    let hue = symmetric(rng, s.hue);
    let saturation = uniform(rng, s.saturation);
    let brightness = symmetric(rng, s.brightness);
    let contrast = uniform(rng, s.contrast);
    let mut out = shift_rgb(img, shift);
    out = shift_hue(&out, hue);
    out = adjust_saturation(&out, saturation);
    out = adjust_brightness_contrast(&out, brightness, contrast);
    if coin(rng, s.filter_p) {
        if coin(rng, 0.5) {
            out = unsharp_mask(&out, 1.0, uniform(rng, s.sharpen));
        } else {
            out = gaussian_blur(&out, uniform(rng, s.blur));
        }
    }
    if coin(rng, s.downscale_p) {
        out = downscale_roundtrip(&out, uniform(rng, s.downscale));
    }
    if coin(rng, s.translate_p) {
        let (w, h) = out.dimensions();
        let dx = symmetric(rng, s.translate) * w as f32;
        let dy = symmetric(rng, s.translate) * h as f32;
        out = translate(&out, [dx.round() as i32, dy.round() as i32]);
    }
    out
}

/// A 2-D point or vector, in pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
struct P {
    x: f64,
    y: f64,
}

impl P {
    fn from(p: [f32; 2]) -> P {
        P {
            x: f64::from(p[0]),
            y: f64::from(p[1]),
        }
    }
    fn add(self, o: P) -> P {
        P {
            x: self.x + o.x,
            y: self.y + o.y,
        }
    }
    fn sub(self, o: P) -> P {
        P {
            x: self.x - o.x,
            y: self.y - o.y,
        }
    }
    fn scale(self, k: f64) -> P {
        P {
            x: self.x * k,
            y: self.y * k,
        }
    }
    fn dot(self, o: P) -> f64 {
        self.x * o.x + self.y * o.y
    }
    fn norm(self) -> f64 {
        self.dot(self).sqrt()
    }
}

/// The face's frame from its five landmarks: the eye centre `e`, the down axis `u` (from the
/// eye centre to the mouth centre), its perpendicular `v`, `D` and `E`.
struct FaceFrame {
    eyes: P,
    down: P,
    across: P,
    /// Eye centre to mouth centre.
    d: f64,
    /// Eye to eye.
    e: f64,
    /// The nose projected on the down axis, from the eye centre.
    nose_down: f64,
}

/// The face frame, or why there is none.
fn face_frame(landmarks: &[[f32; 2]; 5]) -> Result<FaceFrame, String> {
    for (i, p) in landmarks.iter().enumerate() {
        if !p[0].is_finite() || !p[1].is_finite() {
            return Err(format!(
                "landmark {i} ({}) is not finite: ({}, {})",
                LANDMARK_NAMES[i], p[0], p[1]
            ));
        }
    }
    let [le, re, nose, lm, rm] = landmarks.map(P::from);
    let eyes = le.add(re).scale(0.5);
    let mouth = lm.add(rm).scale(0.5);
    let e = re.sub(le).norm();
    let d = mouth.sub(eyes).norm();
    if e < f64::from(MIN_FACE_PX) {
        return Err(format!(
            "the eyes are {e:.2} px apart (at least {MIN_FACE_PX} needed)"
        ));
    }
    if d < f64::from(MIN_FACE_PX) {
        return Err(format!(
            "the eye centre and the mouth centre are {d:.2} px apart (at least {MIN_FACE_PX} needed)"
        ));
    }
    let down = mouth.sub(eyes).scale(1.0 / d);
    let across = P {
        x: down.y,
        y: -down.x,
    };
    Ok(FaceFrame {
        eyes,
        down,
        across,
        d,
        e,
        nose_down: nose.sub(eyes).dot(down),
    })
}

/// The convex hull of `points` (Andrew's monotone chain), its vertices in order; fewer than 3
/// distinct points come back as they are.
fn convex_hull(mut points: Vec<P>) -> Vec<P> {
    points.sort_by(|a, b| a.x.total_cmp(&b.x).then(a.y.total_cmp(&b.y)));
    points.dedup();
    if points.len() < 3 {
        return points;
    }
    let cross = |o: P, a: P, b: P| (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
    // One chain left to right (lower), one right to left (upper); each drops its last point,
    // the first of the other.
    let chain = |points: &mut dyn Iterator<Item = P>| {
        let mut chain: Vec<P> = Vec::new();
        for p in points {
            while chain.len() >= 2
                && cross(chain[chain.len() - 2], chain[chain.len() - 1], p) <= 0.0
            {
                chain.pop();
            }
            chain.push(p);
        }
        chain.pop();
        chain
    };
    let mut hull = chain(&mut points.iter().copied());
    hull.extend(chain(&mut points.iter().rev().copied()));
    hull
}

/// Sets to 1 the pixels of the `w` x `h` region at `(x0, y0)` whose centres lie in the convex
/// polygon `poly` (scanline: per row, the span between the outline's two crossings).
fn fill_convex(poly: &[P], region: (usize, usize, usize, usize), plane: &mut [f32]) {
    let (x0, y0, w, h) = region;
    for row in 0..h {
        let yc = (y0 + row) as f64 + 0.5;
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for (i, &a) in poly.iter().enumerate() {
            let b = poly[(i + 1) % poly.len()];
            if (a.y <= yc) != (b.y <= yc) {
                let x = a.x + (yc - a.y) * (b.x - a.x) / (b.y - a.y);
                lo = lo.min(x);
                hi = hi.max(x);
            }
        }
        if lo > hi {
            continue;
        }
        // Columns whose centre x + 0.5 lies in [lo, hi], relative to the region.
        let first = (lo - 0.5 - x0 as f64).ceil().max(0.0);
        let last = (hi - 0.5 - x0 as f64).floor().min(w as f64 - 1.0);
        if first > last {
            continue;
        }
        plane[row * w + first as usize..=row * w + last as usize].fill(1.0);
    }
}

/// A soft face mask for a `width` x `height` image, from MTCNN's five landmarks (left eye, right
/// eye, nose, left mouth corner, right mouth corner, in pixels): `width * height` values in
/// `[0, 1]`, row by row.
///
/// With `e` the eye centre, `m` the mouth centre, `D = |m - e|`, `u = (m - e) / D` the down axis,
/// `v` its perpendicular and `E` the eye distance:
/// 1. The outline is an oval of 32 points: two half-ellipses joined at
///    cheek level (the nose's height along `u`, kept within 0.2 to 0.8 `D` below the eyes), both
///    `c E` wide to each side there (`c` from `half_width`); the upper one reaches `a D` above
///    the eyes (`a` from `forehead`), the lower one `b D` below the mouth (`b` from `chin`), so
///    the face narrows towards the chin. It follows the face's roll, being built on `u`.
/// 2. Each vertex moves by up to `jitter D` along x and y, and the convex hull of the moved
///    points is the outline (no dents, any jitter).
/// 3. Pixels whose centres are inside are 1, the rest 0.
/// 4. Gaussian blur (sigma from `blur`, times `D`), then cut back to 0 / 1 at a level from
///    `threshold`: the edge moves out (level < 0.5) or in (> 0.5) and the corners round off.
///    If nothing is left, the unblurred outline is kept.
/// 5. A second Gaussian blur (sigma drawn again) makes the feathered edge, the mask is divided
///    by its maximum, and multiplied by a blend ratio `r` drawn from `blend_ratios`: the inner
///    face is `r`, the outside 0.
///
/// Both sigmas are limited to the image's longer side. The blurs only run on the outline's
/// bounding box widened by both blur radii (the same values, faster). All draws are made first,
/// in the order `a, b, c`, the 64 jitters, the two sigmas with the level between them, then
/// `r`. Landmarks that are not finite or closer than 1 px (eye to eye, or eyes to mouth), or an
/// outline outside the image, give a mask of zeros; [`self_blend`] reports them as errors.
pub fn face_mask(
    width: u32,
    height: u32,
    landmarks: &[[f32; 2]; 5],
    cfg: &SbiConfig,
    rng: &mut impl Rng,
) -> Vec<f32> {
    let (w, h) = (width as usize, height as usize);
    let mut mask = vec![0.0f32; w * h];
    let m = &cfg.mask;
    let a = f64::from(uniform(rng, m.forehead));
    let b = f64::from(uniform(rng, m.chin));
    let c = f64::from(uniform(rng, m.half_width));
    let jitters: Vec<[f32; 2]> = (0..OUTLINE_VERTICES)
        .map(|_| [symmetric(rng, m.jitter), symmetric(rng, m.jitter)])
        .collect();
    let soften = uniform(rng, m.blur);
    let level = uniform(rng, m.threshold);
    let feather = uniform(rng, m.blur);
    let ratio = if m.blend_ratios.is_empty() {
        1.0
    } else {
        m.blend_ratios[rng.random_range(0..m.blend_ratios.len())]
    };
    let Ok(face) = face_frame(landmarks) else {
        return mask;
    };
    if w == 0 || h == 0 {
        return mask;
    }

    // 1-2. The outline, in pixels.
    let d = face.d;
    let cheek = face.nose_down.clamp(0.2 * d, 0.8 * d);
    let up_radius = cheek + a * d;
    let down_radius = (d + b * d - cheek).max(0.0);
    let half_width = c * face.e;
    let outline: Vec<P> = jitters
        .iter()
        .enumerate()
        .map(|(k, j)| {
            let phi = std::f64::consts::TAU * k as f64 / OUTLINE_VERTICES as f64;
            let (sin, cos) = phi.sin_cos();
            let radius = if cos >= 0.0 { up_radius } else { down_radius };
            let along = cheek - radius * cos;
            let across = half_width * sin;
            let jitter = P {
                x: f64::from(j[0]) * d,
                y: f64::from(j[1]) * d,
            };
            face.eyes
                .add(face.down.scale(along))
                .add(face.across.scale(across))
                .add(jitter)
        })
        .collect();
    let hull = convex_hull(outline);
    if hull.len() < 3 {
        return mask;
    }

    // The region the blurs can reach: the hull's box widened by both kernel radii.
    let longest = w.max(h) as f32;
    let sigma_of = |s: f32| (s * d as f32).clamp(0.0, longest);
    let (soften, feather) = (sigma_of(soften), sigma_of(feather));
    let margin = (3.0 * soften).ceil() as f64 + (3.0 * feather).ceil() as f64 + 2.0;
    let (mut x_min, mut y_min) = (f64::INFINITY, f64::INFINITY);
    let (mut x_max, mut y_max) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
    for p in &hull {
        x_min = x_min.min(p.x);
        x_max = x_max.max(p.x);
        y_min = y_min.min(p.y);
        y_max = y_max.max(p.y);
    }
    let clip = |v: f64, n: usize| v.clamp(0.0, n as f64) as usize;
    let (rx0, rx1) = (
        clip((x_min - margin).floor(), w),
        clip((x_max + margin).ceil(), w),
    );
    let (ry0, ry1) = (
        clip((y_min - margin).floor(), h),
        clip((y_max + margin).ceil(), h),
    );
    if rx0 >= rx1 || ry0 >= ry1 {
        return mask;
    }
    let (rw, rh) = (rx1 - rx0, ry1 - ry0);

    // 3. Rasterise.
    let mut plane = vec![0.0f32; rw * rh];
    fill_convex(&hull, (rx0, ry0, rw, rh), &mut plane);
    if !plane.iter().any(|&v| v > 0.0) {
        return mask;
    }
    // 4. Soften and cut back.
    let softened = gaussian_blur_f32(&plane, rw, rh, 1, soften);
    let cut: Vec<f32> = softened
        .iter()
        .map(|&v| if v >= level { 1.0 } else { 0.0 })
        .collect();
    if cut.iter().any(|&v| v > 0.0) {
        plane = cut;
    }
    // 5. Feather, normalise, scale.
    let feathered = gaussian_blur_f32(&plane, rw, rh, 1, feather);
    let peak = feathered.iter().copied().fold(0.0f32, f32::max);
    if peak <= 0.0 {
        return mask;
    }
    for row in 0..rh {
        let dst = &mut mask[(ry0 + row) * w + rx0..(ry0 + row) * w + rx1];
        for (o, &v) in dst.iter_mut().zip(&feathered[row * rw..(row + 1) * rw]) {
            *o = (v / peak * ratio).clamp(0.0, 1.0);
        }
    }
    mask
}

/// Checks that the landmarks describe a face in a `width` x `height` image. A landmark may lie
/// up to half the image's size beyond its edge (a face cut off by a tight crop: MTCNN then
/// places the hidden points outside); further out, the points are not of this image.
fn check_landmarks(landmarks: &[[f32; 2]; 5], width: u32, height: u32) -> Result<(), SbiError> {
    face_frame(landmarks).map_err(SbiError::Landmarks)?;
    let (w, h) = (width as f32, height as f32);
    for (i, p) in landmarks.iter().enumerate() {
        if p[0] < -w / 2.0 || p[0] > 1.5 * w || p[1] < -h / 2.0 || p[1] > 1.5 * h {
            return Err(SbiError::Landmarks(format!(
                "landmark {i} ({}) at ({}, {}) is outside the {width}x{height} image",
                LANDMARK_NAMES[i], p[0], p[1]
            )));
        }
    }
    Ok(())
}

/// A self-blended image made from one real face: the fake and its mask.
///
/// Draws, in this order: whether the roles swap (`swap_p`), the altered copy
/// ([`source_target`]), the mask ([`face_mask`]). Without the swap the altered copy is the
/// source, pasted into the original (the target); with it, the original is pasted into the
/// altered copy. Each pixel and channel is then `round(source * M + target * (1 - M))`, so where
/// `M` is 0 the result is the target, exactly. The mask is returned as `width * height` values
/// in `[0, 1]`, row by row: the per-pixel amount of source, and the ground truth of where the
/// forgery is.
///
/// # Errors
/// [`SbiConfig::validate`]'s; [`SbiError::EmptyImage`]; [`SbiError::Landmarks`] when a landmark
/// is not finite or outside the image, when the eyes, or the eye centre and the mouth centre,
/// are less than 1 px apart, or when the face is too small to cover any pixel centre.
pub fn self_blend(
    img: &RgbImage,
    landmarks: &[[f32; 2]; 5],
    cfg: &SbiConfig,
    rng: &mut impl Rng,
) -> Result<(RgbImage, Vec<f32>), SbiError> {
    cfg.validate()?;
    let (width, height) = img.dimensions();
    if width == 0 || height == 0 {
        return Err(SbiError::EmptyImage { width, height });
    }
    check_landmarks(landmarks, width, height)?;
    let swap = coin(rng, cfg.swap_p);
    let altered = source_target(img, cfg, rng);
    let mask = face_mask(width, height, landmarks, cfg, rng);
    if !mask.iter().any(|&v| v > 0.0) {
        return Err(SbiError::Landmarks(
            "the face outline covers no pixel of the image".into(),
        ));
    }
    let (source, target) = if swap {
        (img, &altered)
    } else {
        (&altered, img)
    };
    let mut out = target.clone();
    for ((o, s), &m) in out.pixels_mut().zip(source.pixels()).zip(mask.iter()) {
        for c in 0..3 {
            let v = f32::from(s.0[c]) * m + f32::from(o.0[c]) * (1.0 - m);
            o.0[c] = v.round().clamp(0.0, 255.0) as u8;
        }
    }
    Ok((out, mask))
}

#[cfg(test)]
mod tests {
    use super::*;
    use fakescope_perturb::image::Rgb;
    use fakescope_perturb::sample_rng;

    /// A 200x200 "face": a skin-coloured disc with darker eyes and mouth on a grey-green
    /// background, and the landmarks that go with it.
    fn face() -> (RgbImage, [[f32; 2]; 5]) {
        let img = RgbImage::from_fn(200, 200, |x, y| {
            let (dx, dy) = (x as f32 - 100.0, y as f32 - 105.0);
            if (dx * dx) / (60.0 * 60.0) + (dy * dy) / (80.0 * 80.0) <= 1.0 {
                let feature = ((x as i32 - 80).abs() < 6 || (x as i32 - 120).abs() < 6)
                    && (y as i32 - 80).abs() < 4
                    || (x as i32 - 100).abs() < 15 && (y as i32 - 130).abs() < 3;
                if feature {
                    Rgb([90, 50, 40])
                } else {
                    Rgb([200, 150, 120])
                }
            } else {
                Rgb([80, 110, 90 + (x % 7) as u8])
            }
        });
        let landmarks = [
            [80.0, 80.0],
            [120.0, 80.0],
            [100.0, 105.0],
            [85.0, 130.0],
            [115.0, 130.0],
        ];
        (img, landmarks)
    }

    #[test]
    fn defaults_validate() {
        SbiConfig::default().validate().unwrap();
    }

    #[test]
    fn mask_zero_far_away_and_ratio_at_the_centre() {
        let (_, lm) = face();
        let cfg = SbiConfig::default();
        let mut seen = Vec::new();
        for seed in 0..40 {
            let mask = face_mask(200, 200, &lm, &cfg, &mut sample_rng(seed, &[]));
            assert_eq!(mask.len(), 200 * 200);
            assert!(mask.iter().all(|v| (0.0..=1.0).contains(v)));
            for (x, y) in [
                (0, 0),
                (199, 0),
                (0, 199),
                (199, 199),
                (100, 5),
                (10, 105),
                (190, 105),
            ] {
                assert_eq!(mask[y * 200 + x], 0.0, "seed {seed} at ({x}, {y})");
            }
            // The nose is deep inside: the mask's maximum, the blend ratio.
            let centre = mask[105 * 200 + 100];
            let peak = mask.iter().copied().fold(0.0, f32::max);
            assert_eq!(centre, peak, "seed {seed}");
            assert!(
                cfg.mask.blend_ratios.contains(&centre),
                "seed {seed}: {centre}"
            );
            seen.push(centre);
            // The eyes and mouth are inside too.
            assert!(mask[80 * 200 + 80] > 0.5 * centre, "seed {seed}");
            assert!(mask[130 * 200 + 100] > 0.9 * centre, "seed {seed}");
            // Soft edge: some values strictly between 0 and the ratio.
            assert!(mask.iter().any(|&v| v > 0.05 * centre && v < 0.95 * centre));
        }
        seen.sort_by(f32::total_cmp);
        seen.dedup();
        assert!(seen.len() >= 3, "{seen:?}");
    }

    #[test]
    fn mask_follows_roll() {
        // The same face turned 90 degrees (eyes on a vertical line, mouth to the left): the mask
        // is the transposed-and-mirrored one, roughly: wide along y, short along x.
        let lm = [
            [120.0, 80.0],
            [120.0, 120.0],
            [95.0, 100.0],
            [70.0, 85.0],
            [70.0, 115.0],
        ];
        let mut cfg = SbiConfig::default();
        cfg.mask.jitter = 0.0;
        let mask = face_mask(200, 200, &lm, &cfg, &mut sample_rng(3, &[]));
        let centre = mask[100 * 200 + 95];
        assert!(centre > 0.0);
        // Chin side (left), forehead side (right), and across (top, bottom).
        assert_eq!(mask[100 * 200], 0.0);
        assert_eq!(mask[100 * 200 + 199], 0.0);
        assert_eq!(mask[5 * 200 + 95], 0.0);
        assert_eq!(mask[194 * 200 + 95], 0.0);
        assert!(mask[80 * 200 + 120] > 0.5 * centre);
        // Longer along x (the face's axis) than along y.
        let along = (0..200)
            .filter(|&x| mask[100 * 200 + x] > 0.5 * centre)
            .count();
        let across = (0..200)
            .filter(|&y| mask[y * 200 + 95] > 0.5 * centre)
            .count();
        assert!(along > across, "{along} {across}");
    }

    #[test]
    fn target_kept_where_the_mask_is_zero() {
        let (img, lm) = face();
        // No swap: the target is the original.
        let mut cfg = SbiConfig {
            swap_p: 0.0,
            ..SbiConfig::default()
        };
        for seed in 0..10 {
            let (out, mask) = self_blend(&img, &lm, &cfg, &mut sample_rng(seed, &[])).unwrap();
            let mut zeros = 0;
            for (i, (o, p)) in out.pixels().zip(img.pixels()).enumerate() {
                if mask[i] == 0.0 {
                    assert_eq!(o, p);
                    zeros += 1;
                }
            }
            assert!(zeros > 10_000);
            assert_ne!(out, img, "seed {seed}");
        }
        // Always swapped: the target is the altered copy, made right after the coin.
        cfg.swap_p = 1.0;
        for seed in 0..10 {
            let (out, mask) = self_blend(&img, &lm, &cfg, &mut sample_rng(seed, &[])).unwrap();
            let mut rng = sample_rng(seed, &[]);
            let _coin: f32 = rng.random();
            let altered = source_target(&img, &cfg, &mut rng);
            for (i, (o, a)) in out.pixels().zip(altered.pixels()).enumerate() {
                if mask[i] == 0.0 {
                    assert_eq!(o, a);
                }
                if mask[i] == 1.0 {
                    assert_eq!(o, img.get_pixel(i as u32 % 200, i as u32 / 200));
                }
            }
        }
    }

    #[test]
    fn blend_by_hand() {
        // A flat image, no colour change but a known shift: the blend is exact arithmetic.
        let img = RgbImage::from_pixel(60, 60, Rgb([100, 100, 100]));
        let lm = [
            [20.0, 20.0],
            [40.0, 20.0],
            [30.0, 30.0],
            [22.0, 40.0],
            [38.0, 40.0],
        ];
        let mut cfg = SbiConfig {
            swap_p: 0.0,
            ..SbiConfig::default()
        };
        let s = &mut cfg.source;
        s.rgb_shift = 0.0;
        s.hue = 0.0;
        s.saturation = [1.0, 1.0];
        s.brightness = 0.0;
        s.contrast = [2.0, 2.0];
        s.filter_p = 0.0;
        s.downscale_p = 0.0;
        s.translate_p = 0.0;
        // Contrast 2 about 127.5: 100 -> 72.5 -> 73 (half away from zero).
        let (out, mask) = self_blend(&img, &lm, &cfg, &mut sample_rng(1, &[])).unwrap();
        for (p, m) in out.pixels().zip(&mask) {
            let expected = (73.0 * m + 100.0 * (1.0 - m)).round() as u8;
            assert_eq!(p.0, [expected; 3]);
        }
    }

    #[test]
    fn deterministic() {
        let (img, lm) = face();
        let cfg = SbiConfig::default();
        let run = |seed| self_blend(&img, &lm, &cfg, &mut sample_rng(seed, &[0, 1])).unwrap();
        assert_eq!(run(7), run(7));
        assert_ne!(run(7).0, run(8).0);
        assert_ne!(run(7).1, run(8).1);
    }

    #[test]
    fn degenerate_landmarks_are_errors() {
        let (img, lm) = face();
        let cfg = SbiConfig::default();
        let err = |lm: [[f32; 2]; 5]| {
            let mut rng = sample_rng(0, &[]);
            self_blend(&img, &lm, &cfg, &mut rng)
                .unwrap_err()
                .to_string()
        };
        // face_mask alone gives zeros for them, and never panics.
        let zeros = |lm: [[f32; 2]; 5]| {
            let mask = face_mask(200, 200, &lm, &cfg, &mut sample_rng(0, &[]));
            mask.iter().all(|&v| v == 0.0)
        };
        assert!(zeros([[50.0, 50.0]; 5]));
        assert_eq!(
            err([[50.0, 50.0]; 5]),
            "landmarks: the eyes are 0.00 px apart (at least 1 needed)"
        );
        let mut nan = lm;
        nan[2][1] = f32::NAN;
        assert!(zeros(nan));
        assert_eq!(
            err(nan),
            "landmarks: landmark 2 (nose) is not finite: (100, NaN)"
        );
        let mut inf = lm;
        inf[4][0] = f32::INFINITY;
        assert_eq!(
            err(inf),
            "landmarks: landmark 4 (right mouth corner) is not finite: (inf, 130)"
        );
        let mut flat = lm;
        flat[3] = [80.0, 80.0];
        flat[4] = [120.0, 80.0];
        assert_eq!(
            err(flat),
            "landmarks: the eye centre and the mouth centre are 0.00 px apart (at least 1 needed)"
        );
        let outside = lm.map(|[x, y]| [x + 500.0, y]);
        assert!(zeros(outside));
        assert!(zeros(lm.map(|[x, y]| [x * 1e30, y])));
        assert_eq!(
            err(outside),
            "landmarks: landmark 0 (left eye) at (580, 80) is outside the 200x200 image"
        );
        let mut negative = lm;
        negative[3] = [-101.0, 130.0];
        assert!(err(negative).contains("landmark 3 (left mouth corner) at (-101, 130) is outside"));
        // A point a little outside (a face cut off by a tight crop) is accepted.
        let mut cut = lm;
        cut[0] = [-4.75, 43.9];
        let mut rng = sample_rng(0, &[]);
        assert!(self_blend(&img, &cut, &cfg, &mut rng).is_ok());
    }

    #[test]
    fn tiny_and_empty_images() {
        let cfg = SbiConfig::default();
        let lm = [[0.2, 0.3], [1.8, 0.3], [1.0, 1.0], [0.4, 1.8], [1.6, 1.8]];
        let img = RgbImage::from_pixel(2, 2, Rgb([10, 20, 30]));
        for seed in 0..20 {
            match self_blend(&img, &lm, &cfg, &mut sample_rng(seed, &[])) {
                Ok((out, mask)) => {
                    assert_eq!(out.dimensions(), (2, 2));
                    assert_eq!(mask.len(), 4);
                }
                Err(e) => assert!(e.to_string().starts_with("landmarks:"), "{e}"),
            }
        }
        let empty = RgbImage::new(0, 0);
        assert_eq!(
            self_blend(&empty, &lm, &cfg, &mut sample_rng(0, &[]))
                .unwrap_err()
                .to_string(),
            "image of 0x0 is empty"
        );
        assert!(face_mask(0, 0, &lm, &cfg, &mut sample_rng(0, &[])).is_empty());
    }

    #[test]
    fn validate_names_the_field() {
        let check = |f: &dyn Fn(&mut SbiConfig), msg: &str| {
            let mut cfg = SbiConfig::default();
            f(&mut cfg);
            assert_eq!(cfg.validate().unwrap_err().to_string(), msg);
        };
        check(&|c| c.swap_p = 2.0, "sbi.swap_p: 2 is outside [0, 1]");
        check(
            &|c| c.mask.forehead = [1.0, 0.5],
            "sbi.mask.forehead: min 1 > max 0.5",
        );
        check(
            &|c| c.mask.half_width = [0.0, 1.0],
            "sbi.mask.half_width: 0 is not > 0",
        );
        check(
            &|c| c.mask.blur = [-0.1, 0.1],
            "sbi.mask.blur: -0.1 is below 0",
        );
        check(
            &|c| c.mask.threshold = [0.2, 1.0],
            "sbi.mask.threshold: 1 is outside (0, 1)",
        );
        check(
            &|c| c.mask.blend_ratios.clear(),
            "sbi.mask.blend_ratios: is empty",
        );
        check(
            &|c| c.mask.blend_ratios.push(1.5),
            "sbi.mask.blend_ratios: 1.5 is outside (0, 1]",
        );
        check(
            &|c| c.mask.jitter = f32::NAN,
            "sbi.mask.jitter: NaN is not a finite value >= 0",
        );
        check(
            &|c| c.source.downscale = [0.0, 1.0],
            "sbi.source.downscale: 0 is outside (0, 1]",
        );
        check(
            &|c| c.source.translate = 0.7,
            "sbi.source.translate: 0.7 is outside [0, 0.5]",
        );
        check(
            &|c| c.source.filter_p = -1.0,
            "sbi.source.filter_p: -1 is outside [0, 1]",
        );
        let (img, lm) = face();
        let mut bad = SbiConfig::default();
        bad.mask.threshold = [0.9, 0.1];
        assert!(matches!(
            self_blend(&img, &lm, &bad, &mut sample_rng(0, &[])),
            Err(SbiError::Invalid { .. })
        ));
    }

    #[test]
    fn convex_hull_by_hand() {
        let pts = [
            (0.0, 0.0),
            (2.0, 0.0),
            (1.0, 1.0),
            (2.0, 2.0),
            (0.0, 2.0),
            (1.0, 0.0),
        ]
        .map(|(x, y)| P { x, y });
        let hull = convex_hull(pts.to_vec());
        assert_eq!(hull.len(), 4);
        for corner in [pts[0], pts[1], pts[3], pts[4]] {
            assert!(hull.contains(&corner));
        }
    }

    #[test]
    fn fill_by_hand() {
        // A 4x2 rectangle from (1, 0) to (5, 2) fills the pixels whose centres are inside.
        let poly = [(1.0, 0.0), (5.0, 0.0), (5.0, 2.0), (1.0, 2.0)].map(|(x, y)| P { x, y });
        let mut plane = vec![0.0; 6 * 3];
        fill_convex(&poly, (0, 0, 6, 3), &mut plane);
        let rows: Vec<Vec<u8>> = plane
            .chunks(6)
            .map(|r| r.iter().map(|&v| v as u8).collect())
            .collect();
        assert_eq!(
            rows,
            [vec![0, 1, 1, 1, 1, 0], vec![0, 1, 1, 1, 1, 0], vec![0; 6]]
        );
    }

    #[test]
    fn serde_defaults_and_unknown_fields() {
        let cfg: SbiConfig = serde_json::from_str(r#"{"mask": {"jitter": 0.1}}"#).unwrap();
        let mut expected = SbiConfig::default();
        expected.mask.jitter = 0.1;
        assert_eq!(cfg, expected);
        assert!(serde_json::from_str::<SbiConfig>(r#"{"mask": {"jiter": 0.1}}"#).is_err());
    }
}
