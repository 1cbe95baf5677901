//! Faces for fakescope: find them, cut them out the way the detectors were trained, and follow
//! them through a video.
//!
//! # Overview
//! - [`Mtcnn`] detects faces with the MTCNN cascade and facenet-pytorch's published weights,
//!   reproducing facenet-pytorch 2.6.0 `MTCNN(keep_all=True)` (boxes, probabilities and five
//!   landmarks per [`Face`]); [`MtcnnOptions`] holds its thresholds and limits.
//! - [`crop_face`] cuts a face out for a detector, by [`CropMethod`]: aligned on the five
//!   landmarks as DeepfakeBench does ([`align`]: ArcFace template, similarity, bilinear warp to
//!   256x256 with margin 1.3) or a plain square around the box.
//! - [`Tracker`] / [`link_tracks`] link the faces of consecutive frames into identity
//!   [`Track`]s by box overlap.
//! - [`sbi`] makes training fakes from one real face and its five landmarks (Self-Blended
//!   Images: [`self_blend`] pastes a slightly altered copy back through a soft face mask).
//! - Input is an [`RgbImage`]: a borrowed RGB8 buffer. Grey or RGBA images are the caller's to
//!   convert.
//!
//! # Engine
//! The three nets have 6.6 k, 100 k and 390 k parameters; they run on the CPU in plain safe
//! Rust (SIMD register-tile convolutions chosen at run time, rayon threads), not through burn,
//! so there is no device argument. Pyramid levels run in parallel, and so do the R-Net and
//! O-Net crops. A 1080x1920 DFDC frame takes about 0.21 s on one thread and 0.12 s on two
//! (release build, 2-core AMD EPYC), against about 3 s for facenet-pytorch with two torch
//! threads on the same machine.
//!
//! # Limits and bad input
//! [`MtcnnOptions::max_pixels`] refuses a huge image (or a huge first pyramid level, for a
//! small `min_face`) before anything is allocated; an image whose shorter side is under
//! `min_face` (20 px by default) gives no faces (not an error); crops are limited to
//! [`align::MAX_CROP_SIZE`].
//!
//! # Example
//! ```no_run
//! use fakescope_faces::{Mtcnn, RgbImage};
//! # fn main() -> Result<(), fakescope_faces::Error> {
//! let detector = Mtcnn::load(std::path::Path::new("models/mtcnn"))?;
//! let pixels = vec![0u8; 640 * 480 * 3];
//! let faces = detector.detect(&RgbImage::new(640, 480, &pixels)?)?;
//! for face in &faces {
//!     println!("{:?} p={}", face.bbox, face.probability);
//! }
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]

pub mod align;
mod crop;
mod error;
mod image;
mod layers;
mod mtcnn;
mod nets;
mod nms;
mod resample;
pub mod sbi;
mod track;

pub use crop::{CropMethod, FaceCrop, crop_face};
pub use error::Error;
pub use image::RgbImage;
pub use mtcnn::{Face, Mtcnn, MtcnnOptions};
pub use sbi::{SbiConfig, SbiError, SbiMask, SbiSource, self_blend};
pub use track::{Track, Tracker, TrackerOptions, iou, link_tracks};
