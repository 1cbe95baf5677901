//! Face crops for the detectors: either aligned on the landmarks (DeepfakeBench's method, see
//! [`crate::align`]) or a plain square around the box.
//!
//! Both are one affine warp of the frame with the same bilinear sampler
//! ([`crate::align::warp_affine`]), so pixels outside the frame are black in both — a face at
//! the edge is padded, never shifted or squeezed.

use crate::align::{MAX_CROP_SIZE, Similarity, align_deepfakebench, warp_affine};
use crate::error::Error;
use crate::image::RgbImage;
use crate::mtcnn::Face;

/// How to cut a face out of a frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CropMethod {
    /// DeepfakeBench's alignment: the five landmarks mapped onto the ArcFace template by a
    /// similarity, the face taking `1 / scale` of the crop (DeepfakeBench: `size` 256, `scale`
    /// 1.3). Falls back to [`CropMethod::Box`] with the same `size` and `scale` when the
    /// landmarks are degenerate.
    Aligned {
        /// Output side in pixels.
        size: usize,
        /// Enlargement of the template (1.3 in DeepfakeBench).
        scale: f64,
    },
    /// The square of side `margin * max(box width, box height)` centred on the box, resized
    /// to `size` x `size` (no rotation) like OpenCV's `resize`: output pixel `i` samples the
    /// frame at `left + (i + 0.5) * side / size - 0.5` (pixel centres at integers), so the
    /// square's edges meet the crop's edges. Parts outside the frame are black (padded, not
    /// clamped or shifted).
    Box {
        /// Output side in pixels.
        size: usize,
        /// Enlargement of the box (e.g. 1.3).
        margin: f64,
    },
}

impl CropMethod {
    /// DeepfakeBench's 256x256 aligned crop with margin 1.3.
    pub const DEEPFAKEBENCH: CropMethod = CropMethod::Aligned {
        size: 256,
        scale: 1.3,
    };
}

/// A face crop and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct FaceCrop {
    /// Side in pixels.
    pub size: usize,
    /// `size * size * 3` bytes, RGB8, rows top to bottom.
    pub pixels: Vec<u8>,
    /// The 2x3 matrix taking frame pixels to crop pixels.
    pub transform: [[f64; 3]; 2],
}

/// The frame-to-crop map of [`CropMethod::Box`], or `None` for an empty or non-finite box.
fn box_transform(face: &Face, size: usize, margin: f64) -> Option<Similarity> {
    let [x1, y1, x2, y2] = face.bbox.map(f64::from);
    let side = (x2 - x1).max(y2 - y1) * margin;
    if !(side.is_finite() && side > 0.0) {
        return None;
    }
    let (cx, cy) = ((x1 + x2) / 2.0, (y1 + y2) / 2.0);
    let k = size as f64 / side;
    // Crop pixel i <- frame left + (i + 0.5) / k - 0.5, inverted: i = k (x - left + 0.5) - 0.5.
    let (left, top) = (cx - side / 2.0, cy - side / 2.0);
    Some(Similarity {
        a: k,
        b: 0.0,
        tx: k * (0.5 - left) - 0.5,
        ty: k * (0.5 - top) - 0.5,
    })
}

/// Cuts `face` out of `image` with `method`. `Ok(None)` when the face gives no usable
/// transform (an empty box); an error when the size is 0 or above
/// [`crate::align::MAX_CROP_SIZE`].
pub fn crop_face(
    image: &RgbImage<'_>,
    face: &Face,
    method: CropMethod,
) -> Result<Option<FaceCrop>, Error> {
    let size = match method {
        CropMethod::Aligned { size, .. } | CropMethod::Box { size, .. } => size,
    };
    if size == 0 || size > MAX_CROP_SIZE {
        return Err(Error::InvalidOption(format!(
            "crop size must be in 1..={MAX_CROP_SIZE}, got {size}"
        )));
    }
    if let CropMethod::Aligned { scale, .. } = method
        && let Some((pixels, t)) = align_deepfakebench(image, &face.landmarks, size, scale)?
    {
        return Ok(Some(FaceCrop {
            size,
            pixels,
            transform: t.matrix(),
        }));
    }
    let margin = match method {
        CropMethod::Aligned { scale, .. } => scale,
        CropMethod::Box { margin, .. } => margin,
    };
    let Some(t) = box_transform(face, size, margin) else {
        return Ok(None);
    };
    Ok(Some(FaceCrop {
        size,
        pixels: warp_affine(image, &t.matrix(), size)?,
        transform: t.matrix(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn face(bbox: [f32; 4]) -> Face {
        Face {
            bbox,
            probability: 1.0,
            landmarks: [[0.0; 2]; 5],
        }
    }

    #[test]
    fn box_crop_maps_the_box_onto_the_crop() {
        // Box 100 x 50 at (10, 20); margin 1.2: side 120 centred on (60, 45), left 0, top -15.
        let t = box_transform(&face([10.0, 20.0, 110.0, 70.0]), 60, 1.2).unwrap();
        // Pixel centres sit at integers, so the square's outer corner (left, top) is the point
        // (left - 0.5, top - 0.5); it lands on the crop's outer corner (-0.5, -0.5), the far
        // corner on 59.5.
        let p = t.apply([-0.5, -15.5]);
        assert!(
            (p[0] + 0.5).abs() < 1e-12 && (p[1] + 0.5).abs() < 1e-12,
            "{p:?}"
        );
        let q = t.apply([119.5, 104.5]);
        assert!(
            (q[0] - 59.5).abs() < 1e-12 && (q[1] - 59.5).abs() < 1e-12,
            "{q:?}"
        );
    }

    #[test]
    fn box_crop_pads_outside_the_frame_with_black() {
        // A 4x4 white frame; a box covering it with margin 2 has the frame in its middle half.
        let px = vec![255u8; 4 * 4 * 3];
        let img = RgbImage::new(4, 4, &px).unwrap();
        let crop = crop_face(
            &img,
            &face([0.0, 0.0, 4.0, 4.0]),
            CropMethod::Box {
                size: 8,
                margin: 2.0,
            },
        )
        .unwrap()
        .unwrap();
        let at = |x: usize, y: usize| crop.pixels[(y * 8 + x) * 3];
        assert_eq!(at(0, 0), 0);
        assert_eq!(at(4, 4), 255);
        assert_eq!(at(7, 3), 0);
    }

    #[test]
    fn hostile_coordinates_do_not_panic() {
        let px = vec![7u8; 8 * 8 * 3];
        let img = RgbImage::new(8, 8, &px).unwrap();
        for v in [f32::NAN, f32::INFINITY, 1e30, -1e30, 3e9] {
            let mut f = face([0.0, 0.0, v, v]);
            f.landmarks = [[v, 1.0], [2.0, v], [3.0, 3.0], [v, v], [0.0, 5.0]];
            for method in [
                CropMethod::DEEPFAKEBENCH,
                CropMethod::Box {
                    size: 16,
                    margin: 1.3,
                },
            ] {
                if let Some(crop) = crop_face(&img, &f, method).unwrap() {
                    assert_eq!(crop.pixels.len(), crop.size * crop.size * 3);
                }
            }
        }
    }

    #[test]
    fn degenerate_faces_and_bad_sizes() {
        let px = vec![0u8; 4 * 4 * 3];
        let img = RgbImage::new(4, 4, &px).unwrap();
        let empty = face([1.0, 1.0, 1.0, 1.0]);
        assert_eq!(
            crop_face(&img, &empty, CropMethod::DEEPFAKEBENCH).unwrap(),
            None
        );
        assert!(
            crop_face(
                &img,
                &empty,
                CropMethod::Box {
                    size: 0,
                    margin: 1.3
                }
            )
            .is_err()
        );
    }
}
