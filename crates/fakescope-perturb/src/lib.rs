//! Seeded image and audio transforms for fakescope: the training augmentation, and the
//! robustness perturbations of benchmarks (the same primitives at fixed strengths).
//!
//! # Brief overview
//! - [`sample_rng`] gives the random stream of one sample from a seed and its coordinates
//!   (epoch, sample index, stream id): the same inputs give the same bytes on every run, thread
//!   count and platform, and neighbouring indices give unrelated streams.
//! - Primitives, each a pure function of its arguments (and of `rng`, when it takes one):
//!   - geometry: [`hflip`], [`translate`], [`zoom_out`] (shrink onto a canvas filled with the
//!     mirrored image), [`random_resized_crop`] (torchvision's crop, without the resize);
//!   - colour: [`adjust_brightness_contrast`], [`adjust_saturation`], [`shift_hue`],
//!     [`shift_rgb`];
//!   - quality: [`jpeg_roundtrip`] (4:2:0 JPEG at a given quality, decoded again),
//!     [`downscale_roundtrip`], [`gaussian_blur`] (and [`gaussian_blur_f32`] for float planes
//!     such as masks), [`unsharp_mask`], [`gaussian_noise`].
//! - [`robustness`]: DeeperForensics-1.0's seven image distortions (and JPEG, down-scaling and
//!   the speech channels) at five named levels, as `fakescope bench` applies them.
//! - [`Augment`] chains them, each with a probability and ranges (serde, with defaults), in a
//!   fixed order; [`Augment::validate`] names the first impossible setting.
//!
//! Images are [`RgbImage`] (`image`'s 8-bit RGB buffer, re-exported with the crate as
//! [`image`]). Colour and filter arithmetic is in `f32` and rounded (half away from zero) and
//! clamped to `0..=255` once per transform. No transform panics on any image size, 0x0 and 1x1
//! included.
//!
//! # Example
//! ```
//! use fakescope_perturb::{Augment, RgbImage, image::Rgb, sample_rng};
//!
//! # fn main() -> Result<(), fakescope_perturb::Error> {
//! let face = RgbImage::from_fn(64, 48, |x, y| Rgb([x as u8 * 3, y as u8 * 4, 120]));
//! let augment = Augment::default();
//! augment.validate()?;
//! // Epoch 2, sample 17, stream 0: the same triple always gives the same image.
//! let a = augment.apply(&face, &mut sample_rng(1234, &[2, 17, 0]))?;
//! let b = augment.apply(&face, &mut sample_rng(1234, &[2, 17, 0]))?;
//! assert_eq!(a, b);
//! assert_eq!(a.dimensions(), (64, 48));
//!
//! // A primitive at a fixed strength, as a robustness perturbation.
//! let compressed = fakescope_perturb::jpeg_roundtrip(&face, 50)?;
//! assert_eq!(compressed.dimensions(), face.dimensions());
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]

pub mod audio;
mod augment;
mod color;
mod error;
mod filter;
mod geometry;
mod jpeg;
mod resample;
mod rng;
pub mod robustness;

pub use augment::{Augment, Blur, ColorJitter, Downscale, Hflip, Jpeg, Noise, ZoomOut};
pub use color::{adjust_brightness_contrast, adjust_saturation, shift_hue, shift_rgb};
pub use error::Error;
pub use filter::{MAX_SIGMA, gaussian_blur, gaussian_blur_f32, gaussian_noise, unsharp_mask};
pub use geometry::{downscale_roundtrip, hflip, random_resized_crop, translate, zoom_out};
pub use image;
pub use image::RgbImage;
pub use jpeg::jpeg_roundtrip;
pub use rand_chacha::ChaCha8Rng;
pub use rng::{coin, sample_rng, uniform};
