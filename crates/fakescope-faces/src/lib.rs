//! Faces for fakescope: find them, cut them out the way the detectors were trained, and follow
//! them through a video.
//!
//! # Overview
//! - [`Mtcnn`] detects faces with the MTCNN cascade and facenet-pytorch's published weights,
//!   reproducing facenet-pytorch 2.6.0 `MTCNN(keep_all=True)` (boxes, probabilities and five
//!   landmarks per [`Face`]); [`MtcnnOptions`] holds its thresholds and limits.
//! - Input is an [`RgbImage`]: a borrowed RGB8 buffer. Grey or RGBA images are the caller's to
//!   convert.
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

mod error;
mod image;
mod layers;
mod mtcnn;
mod nets;
mod nms;
mod resample;

pub use error::Error;
pub use image::RgbImage;
pub use mtcnn::{Face, Mtcnn, MtcnnOptions};
