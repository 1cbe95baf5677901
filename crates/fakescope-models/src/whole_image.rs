//! Whole-image detectors: what they take and how an image of any size becomes their input.
//!
//! A whole-image detector (an AI-generated-image detector) looks at the pixels as they are: the
//! traces that tell generated images apart (upsampling patterns, missing sensor noise) live in
//! the high frequencies, which resizing destroys. So an image is never resized; it is cut into
//! square crops of the detector's input size at native resolution ([`crop_grid`]), every crop
//! is scored, and the crop scores are pooled (their mean probability) and kept as a coarse map.
//! Training validation cuts its images with the same functions, so a model is selected on
//! exactly what `scan` computes.
//!
//! - [`crop_grid`]: where the crops go — a grid that covers the image, evenly spread, at most
//!   `max_crops` of them (a sparser grid when more would be needed).
//! - [`cut_crop`]: one crop as the detector takes it (channels last, in [0, 1]). An image
//!   narrower or lower than a crop is **padded by mirroring** its edge (never upscaled, which
//!   would invent smooth pixels); below [`MIN_SIDE`] pixels it is refused.
//! - [`InputTransform`]: what the model sees of a crop — the RGB values, or NPR's
//!   neighbouring-pixel residual (Tan et al., CVPR 2024).

use crate::efficientnet_lite::IMAGENET_MEAN;

/// The shortest side an image may have to be scored (smaller ones are refused).
pub const MIN_SIDE: usize = 32;

/// How a crop is shown to the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputTransform {
    /// The RGB values in [0, 1].
    #[default]
    Rgb,
    /// NPR (Tan et al., "Rethinking the up-sampling operations in CNN-based generative
    /// network for generalizable deepfake detection", CVPR 2024): each pixel minus the top-left
    /// pixel of its 2×2 block (the image minus its nearest-neighbour down- and up-sampled
    /// copy), which keeps only the local correlations that generators' up-sampling leaves.
    /// Scaled as the paper feeds it (2/3 of the ImageNet-normalised residual) and re-centred
    /// on the ImageNet mean, so the network's usual normalisation gives exactly that input.
    Npr,
}

impl InputTransform {
    /// The name used in recipes and model cards (`rgb`, `npr`).
    pub fn as_str(self) -> &'static str {
        match self {
            InputTransform::Rgb => "rgb",
            InputTransform::Npr => "npr",
        }
    }

    /// Applies the transform to planar crops (`[n, 3, size, size]` row-major, in [0, 1]).
    pub fn apply_planar(self, planes: &mut [f32], size: usize) {
        if self == InputTransform::Rgb || size == 0 {
            return;
        }
        for (i, plane) in planes.chunks_exact_mut(size * size).enumerate() {
            let mean = IMAGENET_MEAN[i % 3];
            // Bottom-right first, so every block's top-left pixel is read before it changes.
            for y in (0..size).rev() {
                for x in (0..size).rev() {
                    let anchor = plane[(y & !1) * size + (x & !1)];
                    let residual = plane[y * size + x] - anchor;
                    plane[y * size + x] = mean + residual * (2.0 / 3.0);
                }
            }
        }
    }
}

/// The top-left corners of the crops of a `width` × `height` image for crops of `size`: along
/// each axis, `ceil(side / size)` positions spread evenly from 0 to `side - size` (one at 0
/// when the side is shorter than a crop), in rows; while the grid has more than `max_crops`
/// crops, the axis with more positions loses one. `max_crops` 0 counts as 1.
pub fn crop_grid(width: usize, height: usize, size: usize, max_crops: usize) -> Vec<[usize; 2]> {
    let max_crops = max_crops.max(1);
    let count = |side: usize| side.div_ceil(size.max(1)).max(1);
    let (mut nx, mut ny) = (count(width), count(height));
    while nx * ny > max_crops {
        if nx >= ny {
            nx -= 1;
        } else {
            ny -= 1;
        }
    }
    let positions = |side: usize, n: usize| -> Vec<usize> {
        let free = side.saturating_sub(size);
        if n == 1 {
            return vec![free / 2];
        }
        (0..n).map(|i| (i * free + (n - 1) / 2) / (n - 1)).collect()
    };
    let xs = positions(width, nx);
    let ys = positions(height, ny);
    ys.iter()
        .flat_map(|&y| xs.iter().map(move |&x| [x, y]))
        .collect()
}

/// Why an image cannot be cut into crops.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CropError {
    /// The image is too small to score.
    #[error(
        "the image is {width}x{height} pixels; whole-image detectors need at least {MIN_SIDE} on each side"
    )]
    TooSmall {
        /// Width in pixels.
        width: usize,
        /// Height in pixels.
        height: usize,
    },
    /// The buffer does not hold `width * height * 3` bytes.
    #[error("{len} bytes for a {width}x{height} RGB image")]
    Shape {
        /// Bytes given.
        len: usize,
        /// Width in pixels.
        width: usize,
        /// Height in pixels.
        height: usize,
    },
}

/// Checks that an RGB8 image can be cut into crops.
pub fn check_image(rgb: &[u8], width: usize, height: usize) -> Result<(), CropError> {
    if rgb.len() != width * height * 3 {
        return Err(CropError::Shape {
            len: rgb.len(),
            width,
            height,
        });
    }
    if width < MIN_SIDE || height < MIN_SIDE {
        return Err(CropError::TooSmall { width, height });
    }
    Ok(())
}

/// Appends the `size` × `size` crop at `corner` of an RGB8 image (`width * height * 3` bytes,
/// checked by [`check_image`]) to `out`, channels last, in [0, 1] ([`cut_crop_rgb8`]'s pixels).
pub fn cut_crop(
    rgb: &[u8],
    width: usize,
    height: usize,
    corner: [usize; 2],
    size: usize,
    out: &mut Vec<f32>,
) {
    let pixels = cut_crop_rgb8(rgb, width, height, corner, size);
    out.extend(pixels.iter().map(|&v| f32::from(v) / 255.0));
}

/// The `size` × `size` crop at `corner` of an RGB8 image (`width * height * 3` bytes, checked
/// by [`check_image`]), RGB8. Pixels beyond the image's edge (when it is smaller than a crop)
/// mirror the image about its edge pixels.
pub fn cut_crop_rgb8(
    rgb: &[u8],
    width: usize,
    height: usize,
    corner: [usize; 2],
    size: usize,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(size * size * 3);
    for dy in 0..size {
        let y = mirror(corner[1] + dy, height);
        for dx in 0..size {
            let x = mirror(corner[0] + dx, width);
            out.extend_from_slice(&rgb[(y * width + x) * 3..][..3]);
        }
    }
    out
}

/// `i` reflected into `0..len` about the edge pixels (`… c b | a b c | b a …`), periodically.
fn mirror(i: usize, len: usize) -> usize {
    if len <= 1 {
        return 0;
    }
    let period = 2 * (len - 1);
    let m = i % period;
    if m >= len { period - m } else { m }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_covers_the_image_and_respects_the_budget() {
        // 1024 px with 224 crops: 5 positions per axis, first at 0, last flush with the edge.
        let grid = crop_grid(1024, 1024, 224, 100);
        assert_eq!(grid.len(), 25);
        assert_eq!(grid[0], [0, 0]);
        assert_eq!(grid[24], [800, 800]);
        // A budget of 9 gives 3 × 3, still from edge to edge.
        let grid = crop_grid(1024, 1024, 224, 9);
        let xs: Vec<usize> = grid.iter().take(3).map(|c| c[0]).collect();
        assert_eq!(xs, vec![0, 400, 800]);
        // A wide image loses positions on its long axis first.
        let grid = crop_grid(2000, 300, 224, 4);
        assert_eq!(grid.len(), 4);
        assert!(grid.iter().all(|c| c[1] == 0 || c[1] == 76));
        // An image smaller than a crop: one crop at the corner (padded by mirroring).
        assert_eq!(crop_grid(100, 80, 224, 9), vec![[0, 0]]);
        assert_eq!(crop_grid(224, 224, 224, 0), vec![[0, 0]]);
    }

    #[test]
    fn crops_are_exact_pixels_and_pad_by_mirroring() {
        // A 3 × 2 image whose red channel counts pixels.
        let rgb: Vec<u8> = (0..6u8).flat_map(|i| [i, 0, 255]).collect();
        let mut out = Vec::new();
        cut_crop(&rgb, 3, 2, [0, 0], 4, &mut out);
        let red: Vec<u8> = out
            .chunks(3)
            .map(|p| (p[0] * 255.0).round() as u8)
            .collect();
        // Rows: 0 1 2 | 1, then 3 4 5 | 4, then mirrored rows 0.. again.
        assert_eq!(red, vec![0, 1, 2, 1, 3, 4, 5, 4, 0, 1, 2, 1, 3, 4, 5, 4]);
        assert!(out.chunks(3).all(|p| p[1] == 0.0 && p[2] == 1.0));
    }

    #[test]
    fn tiny_and_malformed_images_are_refused() {
        assert_eq!(
            check_image(&[0; 31 * 40 * 3], 31, 40),
            Err(CropError::TooSmall {
                width: 31,
                height: 40
            })
        );
        assert!(matches!(
            check_image(&[0; 10], 32, 32),
            Err(CropError::Shape { .. })
        ));
        assert_eq!(check_image(&[0; 32 * 32 * 3], 32, 32), Ok(()));
    }

    #[test]
    fn npr_is_the_residual_to_each_blocks_top_left_pixel() {
        // One 2 × 2 plane per channel.
        let mut planes = vec![0.5, 0.7, 0.2, 0.5, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0];
        InputTransform::Npr.apply_planar(&mut planes, 2);
        let r = |i: usize, c: usize| planes[c * 4 + i] - IMAGENET_MEAN[c];
        assert_eq!(r(0, 0), 0.0);
        assert!((r(1, 0) - 0.2 * 2.0 / 3.0).abs() < 1e-6);
        assert!((r(2, 0) + 0.3 * 2.0 / 3.0).abs() < 1e-6);
        assert_eq!(r(3, 0), 0.0);
        assert!((0..4).all(|i| r(i, 1) == 0.0 && r(i, 2) == 0.0));
        let mut rgb = vec![0.3; 12];
        InputTransform::Rgb.apply_planar(&mut rgb, 2);
        assert_eq!(rgb, vec![0.3; 12]);
    }
}
