//! Heatmaps: where in a face a detector saw the forgery (`scan --heatmaps DIR`).
//!
//! **Occlusion sensitivity** (Zeiler & Fergus, 2014), which needs nothing but the detector's
//! scores and so works for every face detector, the published MesoNets on their own CPU kernels
//! as well as the EfficientNets fakescope trains: the crop is cut into a `grid` x `grid` grid; a
//! copy with one cell painted mid-grey is scored for every cell (in batches); a cell's value is
//! how much hiding it lowers the detector's fake log-odds, `logit(p) - logit(p_hidden)`.
//! Positive cells are where the detector saw evidence of a fake, negative ones evidence of a
//! real face. Probabilities are clamped to `[1e-6, 1 - 1e-6]` first, so a saturated detector
//! gives finite values.
//!
//! Whole-image detectors need no occlusion: they score crops of the image already, and
//! [`patch_overlay`] draws that map.
//!
//! [`overlay`] draws the map over the crop as a PNG: red where the detector saw a fake, blue
//! where it saw a real face, more opaque the stronger, each colour scaled to the largest
//! absolute value of the map (a flat map draws nothing).

use std::path::Path;

use fakescope_media::RgbImage;
use fakescope_models::FaceDetector;
use serde::{Deserialize, Serialize};

use crate::whole_image::Patch;

/// Cells per side of the occlusion grid.
pub const GRID: usize = 8;

/// A detector's occlusion map of one crop: `grid * grid` values, row by row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OcclusionMap {
    /// Cells per side.
    pub grid: usize,
    /// `logit(p) - logit(p with the cell hidden)`, row by row from the top left.
    pub values: Vec<f32>,
}

fn logit(p: f64) -> f64 {
    let p = p.clamp(1e-6, 1.0 - 1e-6);
    (p / (1.0 - p)).ln()
}

/// The occlusion map of `crop` (the detector's input size, square) for `detector`, scoring
/// `batch` occluded copies per call; at most one cell per pixel.
pub fn occlusion(
    detector: &dyn FaceDetector,
    crop: &RgbImage,
    grid: usize,
    batch: usize,
) -> Result<OcclusionMap, String> {
    let size = crop.width() as usize;
    if size == 0 || crop.height() as usize != size {
        return Err(format!(
            "occlusion needs a square crop, got {}x{}",
            crop.width(),
            crop.height()
        ));
    }
    // A crop smaller than the grid gets one cell per pixel.
    let grid = grid.clamp(1, size);
    let clean: Vec<f32> = crop
        .as_raw()
        .iter()
        .map(|&v| f32::from(v) / 255.0)
        .collect();
    let name = detector.info().name;
    let p0 = detector
        .fake_probability(&clean, 1)
        .map_err(|e| format!("{name}: {e}"))?[0];
    let bounds = |i: usize| (i * size / grid, (i + 1) * size / grid);
    let mut values = Vec::with_capacity(grid * grid);
    let cells: Vec<(usize, usize)> = (0..grid)
        .flat_map(|r| (0..grid).map(move |c| (r, c)))
        .collect();
    let mut data = Vec::new();
    for chunk in cells.chunks(batch.max(1)) {
        data.clear();
        for &(r, c) in chunk {
            let mut copy = clean.clone();
            let (y0, y1) = bounds(r);
            let (x0, x1) = bounds(c);
            for y in y0..y1 {
                copy[(y * size + x0) * 3..(y * size + x1) * 3].fill(0.5);
            }
            data.extend_from_slice(&copy);
        }
        let p = detector
            .fake_probability(&data, chunk.len())
            .map_err(|e| format!("{name}: {e}"))?;
        values.extend(p.iter().map(|&p| (logit(p0) - logit(p)) as f32));
    }
    Ok(OcclusionMap { grid, values })
}

/// `map` drawn over `image` (any size: the map is stretched over it with bilinear
/// interpolation between cell centres).
pub fn overlay(image: &RgbImage, map: &OcclusionMap) -> RgbImage {
    let (w, h) = image.dimensions();
    let g = map.grid;
    let peak = map.values.iter().fold(0f32, |m, v| m.max(v.abs()));
    let mut out = image.clone();
    if peak <= 0.0 || !peak.is_finite() || g == 0 || map.values.len() != g * g {
        return out;
    }
    let cell = |r: isize, c: isize| {
        let r = r.clamp(0, g as isize - 1) as usize;
        let c = c.clamp(0, g as isize - 1) as usize;
        map.values[r * g + c]
    };
    for (x, y, px) in out.enumerate_pixels_mut() {
        // Position in cell units, 0 at the centre of the first cell.
        let fx = (x as f32 + 0.5) * g as f32 / w as f32 - 0.5;
        let fy = (y as f32 + 0.5) * g as f32 / h as f32 - 0.5;
        let (c0, r0) = (fx.floor(), fy.floor());
        let (tx, ty) = (fx - c0, fy - r0);
        let (c0, r0) = (c0 as isize, r0 as isize);
        let top = cell(r0, c0) * (1.0 - tx) + cell(r0, c0 + 1) * tx;
        let bottom = cell(r0 + 1, c0) * (1.0 - tx) + cell(r0 + 1, c0 + 1) * tx;
        tint(&mut px.0, (top * (1.0 - ty) + bottom * ty) / peak);
    }
    out
}

/// A whole-image detector's patch map drawn over the image: each pixel takes the mean fake
/// probability of the crops covering it, red above 0.5 and blue below, more opaque the further
/// from 0.5; pixels no crop covers are left as they are.
pub fn patch_overlay(image: &RgbImage, map: &[Patch]) -> RgbImage {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let mut sum = vec![0f64; w * h];
    let mut count = vec![0u32; w * h];
    for patch in map {
        for y in patch.y.min(h)..(patch.y + patch.size).min(h) {
            for x in patch.x.min(w)..(patch.x + patch.size).min(w) {
                sum[y * w + x] += patch.fake_probability;
                count[y * w + x] += 1;
            }
        }
    }
    let mut out = image.clone();
    for (i, px) in out.pixels_mut().enumerate() {
        if count[i] == 0 {
            continue;
        }
        let v = (2.0 * sum[i] / f64::from(count[i]) - 1.0) as f32;
        tint(&mut px.0, v);
    }
    out
}

/// Blends red (`v > 0`) or blue (`v < 0`) into a pixel, with opacity `0.6 |v|` (`v` in
/// `[-1, 1]`).
fn tint(px: &mut [u8; 3], v: f32) {
    let alpha = 0.6 * v.abs().min(1.0);
    let colour = if v > 0.0 {
        [230.0, 30.0, 30.0]
    } else {
        [30.0, 90.0, 230.0]
    };
    for (ch, col) in px.iter_mut().zip(colour) {
        *ch = (f32::from(*ch) * (1.0 - alpha) + col * alpha).round() as u8;
    }
}

/// Writes `image` as a PNG, naming the file in the error.
pub fn write_png(image: &RgbImage, path: &Path) -> Result<(), String> {
    image
        .save_with_format(path, image::ImageFormat::Png)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// A file name for a heatmap: the scanned file's stem, a digest of its full path (two files of
/// the same name in different folders do not collide), and `what` (face and detector).
pub fn file_name(scanned: &str, what: &str) -> String {
    let stem = Path::new(scanned)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("file");
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    // FNV-1a: a stable digest of the path, without another dependency.
    let digest = scanned.bytes().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    });
    format!("{}-{:08x}-{}.png", clean(stem), digest as u32, clean(what))
}

#[cfg(test)]
mod tests {
    use super::*;
    use fakescope_models::{DetectorInfo, Error, InputSpec, Modality, ScoreConvention};
    use image::Rgb;

    /// Fake probability = mean red of the top-left quarter: only those cells matter.
    struct TopLeftRed(DetectorInfo);

    impl FaceDetector for TopLeftRed {
        fn info(&self) -> &DetectorInfo {
            &self.0
        }
        fn raw_outputs(&self, crops: &[f32], n: usize) -> Result<Vec<Vec<f32>>, Error> {
            let size = 16;
            Ok((0..n)
                .map(|i| {
                    let c = &crops[i * size * size * 3..(i + 1) * size * size * 3];
                    let mut sum = 0.0;
                    for y in 0..8 {
                        for x in 0..8 {
                            sum += c[(y * size + x) * 3];
                        }
                    }
                    vec![sum / 64.0]
                })
                .collect())
        }
    }

    fn detector() -> TopLeftRed {
        TopLeftRed(DetectorInfo {
            name: "top-left-red",
            modality: Modality::Face,
            input: InputSpec::FaceCrop { size: 16 },
            convention: ScoreConvention::SigmoidReal,
        })
    }

    #[test]
    fn hiding_the_evidence_lowers_the_score_there_only() {
        // Red everywhere: with SigmoidReal, p(fake) = 1 - red = 0.2 (red 0.8).
        let crop = RgbImage::from_pixel(16, 16, Rgb([204, 0, 0]));
        let map = occlusion(&detector(), &crop, 4, 5).unwrap();
        assert_eq!(map.values.len(), 16);
        // Greying a top-left cell (4x4 of the 8x8 quarter) lowers red there: p(fake) rises, so
        // the value (logit p0 - logit p_hidden) is negative: that cell was evidence of real.
        for r in 0..4 {
            for c in 0..4 {
                let v = map.values[r * 4 + c];
                if r < 2 && c < 2 {
                    assert!(v < -0.1, "cell {r},{c}: {v}");
                } else {
                    assert_eq!(v, 0.0, "cell {r},{c}");
                }
            }
        }
        // The overlay is blue over the top-left quarter and untouched elsewhere.
        let img = overlay(&crop, &map);
        assert!(img.get_pixel(2, 2).0[2] > 100);
        assert_eq!(img.get_pixel(15, 15).0, [204, 0, 0]);
    }

    #[test]
    fn names_are_safe_and_distinct() {
        let a = file_name("/data/a b/x.jpg", "face0-meso4-df");
        let b = file_name("/data/other/x.jpg", "face0-meso4-df");
        assert!(
            a.starts_with("x-") && a.ends_with("-face0-meso4-df.png"),
            "{a}"
        );
        assert_ne!(a, b);
        assert!(!file_name("../../etc/passwd", "w/x").contains('/'));
    }

    #[test]
    fn a_patch_map_tints_what_it_covers() {
        let img = RgbImage::from_pixel(10, 4, Rgb([100, 100, 100]));
        let map = [
            Patch {
                x: 0,
                y: 0,
                size: 4,
                fake_probability: 1.0,
            },
            Patch {
                x: 4,
                y: 0,
                size: 4,
                fake_probability: 0.5,
            },
        ];
        let out = patch_overlay(&img, &map);
        assert!(out.get_pixel(1, 1).0[0] > 150, "fake crop is red");
        assert_eq!(out.get_pixel(5, 1).0, [100, 100, 100], "0.5 is neutral");
        assert_eq!(out.get_pixel(9, 1).0, [100, 100, 100], "not covered");
    }
}
