//! The MTCNN cascade of facenet-pytorch 2.6.0 (`MTCNN(keep_all=True).detect(img,
//! landmarks=True)` with its defaults), step by step:
//!
//! 1. **Pyramid.** Scales `m = 12 / min_face`, `m * factor`, … while the shorter side times the
//!    scale is at least 12 px (computed in `f64` like Python). Level size
//!    `int(h * scale + 1) x int(w * scale + 1)`, area resampling, `(v - 127.5) / 128`.
//! 2. **P-Net** on every level (levels run in parallel). Cells with probability `>= t1` become
//!    boxes `floor((2 * cell + 1) / scale)` .. `floor((2 * cell + 12) / scale)`; NMS (IoU 0.5)
//!    per level, then NMS (IoU 0.7) across levels; the regression (scaled by `x2 - x1`) is
//!    applied, the box made square ("rerec").
//! 3. **R-Net.** Each box is truncated to integers and clipped to the image ("pad": facenet-pytorch
//!    crops the clipped region, it does not zero-pad), resampled (area) to 24x24; probability
//!    `> t2` kept; NMS 0.7; regression (scaled by `x2 - x1 + 1`); square.
//! 4. **O-Net** on 48x48 crops the same way; probability `> t3` kept; landmarks
//!    `x1 - 1 + p * (x2 - x1 + 1)` from the box before its regression; regression; "Min" NMS at
//!    0.7.
//! 5. Faces sorted by box area, largest first (facenet-pytorch's `select_largest=True`).
//!
//! Arithmetic is `f32` where PyTorch's is, so boxes agree to float rounding (see
//! `tests/mtcnn_parity.rs`). One deviation: a box whose clipped region is empty is dropped (in
//! facenet-pytorch it would misalign the batch and fail).

use std::path::Path;

use rayon::prelude::*;

use crate::error::Error;
use crate::image::RgbImage;
use crate::nets::{Onet, Pnet, Rnet};
use crate::nms::{Corners, nms_min, nms_union};
use crate::resample::Integral;

/// One detected face.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Face {
    /// Box corners `x1, y1, x2, y2` in pixels of the input image (may extend past its edges).
    pub bbox: [f32; 4],
    /// O-Net's face probability.
    pub probability: f32,
    /// `(x, y)` of the left eye, right eye, nose, left and right mouth corner (left/right as
    /// seen in the image).
    pub landmarks: [[f32; 2]; 5],
}

impl Face {
    /// Box width `x2 - x1`.
    pub fn width(&self) -> f32 {
        self.bbox[2] - self.bbox[0]
    }

    /// Box height `y2 - y1`.
    pub fn height(&self) -> f32 {
        self.bbox[3] - self.bbox[1]
    }
}

/// Detector settings; [`Default`] is facenet-pytorch's.
#[derive(Debug, Clone, PartialEq)]
pub struct MtcnnOptions {
    /// Smallest face searched, in pixels (default 20). Below 12 the image is enlarged.
    pub min_face: f64,
    /// Probability thresholds of P-Net, R-Net and O-Net (default 0.6, 0.7, 0.7).
    pub thresholds: [f32; 3],
    /// Pyramid step (default 0.709), in `[0.1, 0.95]`.
    pub factor: f64,
    /// Largest image (and largest first pyramid level) accepted, in pixels; default
    /// 50 000 000 (8K UHD is 33 M). Checked before anything is allocated.
    pub max_pixels: usize,
}

impl Default for MtcnnOptions {
    fn default() -> Self {
        MtcnnOptions {
            min_face: 20.0,
            thresholds: [0.6, 0.7, 0.7],
            factor: 0.709,
            max_pixels: 50_000_000,
        }
    }
}

impl MtcnnOptions {
    fn validate(&self) -> Result<(), Error> {
        if !(self.min_face.is_finite() && self.min_face > 0.0) {
            return Err(Error::InvalidOption(format!(
                "min_face must be positive, got {}",
                self.min_face
            )));
        }
        if !(0.1..=0.95).contains(&self.factor) {
            return Err(Error::InvalidOption(format!(
                "factor must be in [0.1, 0.95], got {}",
                self.factor
            )));
        }
        if self.thresholds.iter().any(|t| !(0.0..=1.0).contains(t)) {
            return Err(Error::InvalidOption(format!(
                "thresholds must be in [0, 1], got {:?}",
                self.thresholds
            )));
        }
        Ok(())
    }
}

/// The pyramid scales for an image of `w` x `h` (facenet-pytorch's loop, in `f64`).
fn scales(w: usize, h: usize, min_face: f64, factor: f64) -> Vec<f64> {
    let m = 12.0 / min_face;
    let mut minl = w.min(h) as f64 * m;
    let mut scale = m;
    let mut out = Vec::new();
    while minl >= 12.0 {
        out.push(scale);
        scale *= factor;
        minl *= factor;
    }
    out
}

/// A candidate between stages: corners, score and the regression to apply.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    corners: Corners,
    score: f32,
    reg: [f32; 4],
}

/// facenet-pytorch `rerec`: a square of side `max(w, h)` on the same centre.
fn square(b: Corners) -> Corners {
    let (w, h) = (b[2] - b[0], b[3] - b[1]);
    let l = w.max(h);
    let x1 = b[0] + w * 0.5 - l * 0.5;
    let y1 = b[1] + h * 0.5 - l * 0.5;
    [x1, y1, x1 + l, y1 + l]
}

/// facenet-pytorch `bbreg`: offsets scaled by the inclusive width/height.
fn regress(b: Corners, reg: [f32; 4]) -> Corners {
    let (w, h) = (b[2] - b[0] + 1.0, b[3] - b[1] + 1.0);
    [
        b[0] + reg[0] * w,
        b[1] + reg[1] * h,
        b[2] + reg[2] * w,
        b[3] + reg[3] * h,
    ]
}

/// facenet-pytorch `pad` + the crop: the truncated box clipped to the image, as the pixel
/// region `x0..x1, y0..y1` (`None` when empty).
fn clip(b: Corners, w: usize, h: usize) -> Option<(usize, usize, usize, usize)> {
    // `trunc().int()`; the clamp to ±2^30 only guards the conversion.
    let t = |v: f32| (v.trunc() as f64).clamp(-1e9, 1e9) as i64;
    let x = t(b[0]).max(1);
    let y = t(b[1]).max(1);
    let ex = t(b[2]).min(w as i64);
    let ey = t(b[3]).min(h as i64);
    (ey > y - 1 && ex > x - 1)
        .then(|| ((x - 1) as usize, (y - 1) as usize, ex as usize, ey as usize))
}

/// The MTCNN face detector (P-Net, R-Net, O-Net) with facenet-pytorch's weights.
///
/// Runs on the CPU in plain Rust (rayon threads); the nets are too small for a tensor engine to
/// pay off.
#[derive(Debug, Clone)]
pub struct Mtcnn {
    pnet: Pnet,
    rnet: Rnet,
    onet: Onet,
    options: MtcnnOptions,
}

impl Mtcnn {
    /// Loads `pnet.pt`, `rnet.pt` and `onet.pt` from `dir` (facenet-pytorch's `data/` files),
    /// with default options.
    pub fn load(dir: &Path) -> Result<Mtcnn, Error> {
        Mtcnn::load_files(
            &dir.join("pnet.pt"),
            &dir.join("rnet.pt"),
            &dir.join("onet.pt"),
        )
    }

    /// Loads the three weight files (legacy torch state dicts, zip or safetensors).
    pub fn load_files(pnet: &Path, rnet: &Path, onet: &Path) -> Result<Mtcnn, Error> {
        Ok(Mtcnn {
            pnet: Pnet::load(pnet)?,
            rnet: Rnet::load(rnet)?,
            onet: Onet::load(onet)?,
            options: MtcnnOptions::default(),
        })
    }

    /// Replaces the options (validated: positive `min_face`, `factor` in `[0.1, 0.95]`,
    /// thresholds in `[0, 1]`).
    pub fn with_options(mut self, options: MtcnnOptions) -> Result<Mtcnn, Error> {
        options.validate()?;
        self.options = options;
        Ok(self)
    }

    /// The options in use.
    pub fn options(&self) -> &MtcnnOptions {
        &self.options
    }

    /// All faces in `image`, largest box first. An image whose shorter side is below
    /// `min_face` (the pyramid's first level would be under 12 px) has no faces; one above
    /// [`MtcnnOptions::max_pixels`] is an error.
    pub fn detect(&self, image: &RgbImage<'_>) -> Result<Vec<Face>, Error> {
        let (w, h) = (image.width(), image.height());
        let o = &self.options;
        let too_large = |pixels: f64| {
            (pixels > o.max_pixels as f64).then_some(Error::TooLarge {
                width: w,
                height: h,
                limit: o.max_pixels,
            })
        };
        if let Some(e) = too_large(w as f64 * h as f64) {
            return Err(e);
        }
        let scales = scales(w, h, o.min_face, o.factor);
        if let Some(&first) = scales.first()
            && let Some(e) = too_large((w as f64 * first + 1.0) * (h as f64 * first + 1.0))
        {
            return Err(e);
        }
        if scales.is_empty() {
            return Ok(Vec::new());
        }
        let integral = Integral::new(image);
        let boxes = self.stage1(&integral, (w, h), &scales);
        let boxes = self.stage2(&integral, (w, h), boxes);
        let mut faces = self.stage3(&integral, (w, h), boxes);
        // `select_largest`: NumPy's argsort of the areas, reversed.
        let area = |f: &Face| f.width() * f.height();
        let mut order: Vec<usize> = (0..faces.len()).collect();
        order.sort_by(|&a, &b| area(&faces[a]).total_cmp(&area(&faces[b])));
        order.reverse();
        faces = order.into_iter().map(|i| faces[i]).collect();
        Ok(faces)
    }

    /// P-Net over the pyramid: squared proposals.
    fn stage1(&self, image: &Integral, (w, h): (usize, usize), scales: &[f64]) -> Vec<Corners> {
        let threshold = self.options.thresholds[0];
        let per_scale: Vec<Vec<Candidate>> = scales
            .par_iter()
            .map(|&scale| {
                let (lh, lw) = (
                    (h as f64 * scale + 1.0) as usize,
                    (w as f64 * scale + 1.0) as usize,
                );
                let level = image.area_normalised((0, 0, w, h), (lw, lh), true);
                let out = self.pnet.forward(&level, true);
                let s = scale as f32;
                let mut found = Vec::new();
                for y in 0..out.h {
                    for x in 0..out.w {
                        let i = y * out.w + x;
                        let score = out.prob[i];
                        if score >= threshold {
                            let (bx, by) = (x as f32, y as f32);
                            found.push(Candidate {
                                corners: [
                                    ((2.0 * bx + 1.0) / s).floor(),
                                    ((2.0 * by + 1.0) / s).floor(),
                                    ((2.0 * bx + 11.0 + 1.0) / s).floor(),
                                    ((2.0 * by + 11.0 + 1.0) / s).floor(),
                                ],
                                score,
                                reg: [
                                    out.reg[i * 4],
                                    out.reg[i * 4 + 1],
                                    out.reg[i * 4 + 2],
                                    out.reg[i * 4 + 3],
                                ],
                            });
                        }
                    }
                }
                let (corners, scores) = split(&found);
                nms_union(&corners, &scores, 0.5)
                    .into_iter()
                    .map(|i| found[i])
                    .collect()
            })
            .collect();
        let all: Vec<Candidate> = per_scale.into_iter().flatten().collect();
        let (corners, scores) = split(&all);
        nms_union(&corners, &scores, 0.7)
            .into_iter()
            .map(|i| {
                let c = &all[i];
                let b = c.corners;
                let (rw, rh) = (b[2] - b[0], b[3] - b[1]);
                square([
                    b[0] + c.reg[0] * rw,
                    b[1] + c.reg[1] * rh,
                    b[2] + c.reg[2] * rw,
                    b[3] + c.reg[3] * rh,
                ])
            })
            .collect()
    }

    /// R-Net on 24x24 crops: refined, squared boxes.
    fn stage2(
        &self,
        image: &Integral,
        (w, h): (usize, usize),
        boxes: Vec<Corners>,
    ) -> Vec<Corners> {
        let threshold = self.options.thresholds[1];
        let kept: Vec<Candidate> = boxes
            .par_iter()
            .filter_map(|&b| {
                let region = clip(b, w, h)?;
                let crop = image.area_normalised(region, (24, 24), false);
                let (score, reg) = self.rnet.forward(&crop);
                (score > threshold).then_some(Candidate {
                    corners: b,
                    score,
                    reg,
                })
            })
            .collect();
        let (corners, scores) = split(&kept);
        nms_union(&corners, &scores, 0.7)
            .into_iter()
            .map(|i| square(regress(kept[i].corners, kept[i].reg)))
            .collect()
    }

    /// O-Net on 48x48 crops: final boxes, probabilities and landmarks.
    fn stage3(&self, image: &Integral, (w, h): (usize, usize), boxes: Vec<Corners>) -> Vec<Face> {
        let threshold = self.options.thresholds[2];
        let faces: Vec<Face> = boxes
            .par_iter()
            .filter_map(|&b| {
                let region = clip(b, w, h)?;
                let crop = image.area_normalised(region, (48, 48), false);
                let out = self.onet.forward(&crop);
                if out.prob <= threshold {
                    return None;
                }
                let (bw, bh) = (b[2] - b[0] + 1.0, b[3] - b[1] + 1.0);
                let mut landmarks = [[0.0f32; 2]; 5];
                for (k, point) in landmarks.iter_mut().enumerate() {
                    *point = [
                        bw * out.points[k] + b[0] - 1.0,
                        bh * out.points[k + 5] + b[1] - 1.0,
                    ];
                }
                Some(Face {
                    bbox: regress(b, out.reg),
                    probability: out.prob,
                    landmarks,
                })
            })
            .collect();
        let corners: Vec<Corners> = faces.iter().map(|f| f.bbox).collect();
        let scores: Vec<f32> = faces.iter().map(|f| f.probability).collect();
        nms_min(&corners, &scores, 0.7)
            .into_iter()
            .map(|i| faces[i])
            .collect()
    }
}

fn split(candidates: &[Candidate]) -> (Vec<Corners>, Vec<f32>) {
    candidates.iter().map(|c| (c.corners, c.score)).unzip()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pyramid_matches_facenet_pytorch() {
        // facenet-pytorch on a 256x256 image with defaults: 0.6, 0.4254, 0.3016..., 8 levels.
        let s = scales(256, 256, 20.0, 0.709);
        assert_eq!(s.len(), 8);
        assert!((s[0] - 0.6).abs() < 1e-15);
        assert!((s[1] - 0.6 * 0.709).abs() < 1e-15);
        // Shorter side 19 px: 19 * 0.6 = 11.4 < 12, no level at all.
        assert!(scales(1000, 19, 20.0, 0.709).is_empty());
    }

    #[test]
    fn square_and_clip_follow_upstream() {
        assert_eq!(square([10.0, 20.0, 30.0, 60.0]), [0.0, 20.0, 40.0, 60.0]);
        // Truncation toward zero, then 1-based clipping: x -3.7 -> -3 -> 1 -> column 0.
        assert_eq!(clip([-3.7, 2.9, 50.2, 70.0], 40, 60), Some((0, 1, 40, 60)));
        assert_eq!(clip([45.0, 2.0, 60.0, 10.0], 40, 60), None);
    }
}
