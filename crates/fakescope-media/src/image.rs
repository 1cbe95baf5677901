//! Still-image decoding to 8-bit RGB, with the pixel count checked before any pixel is decoded.

use std::io::{BufReader, ErrorKind};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use image::{DynamicImage, ImageDecoder, ImageError, ImageReader, RgbImage};

use crate::error::MediaError;
use crate::sniff::{ImageFormat, MediaKind};
use crate::source::Source;

/// Limits enforced by [`decode_image`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageLimits {
    /// The most pixels (width × height) accepted (default 100 million). Checked against the
    /// dimensions in the header, before any pixel buffer is allocated.
    pub max_pixels: u64,
    /// The largest file accepted, in bytes (default 256 MiB). Checked before the file is opened.
    pub max_file_bytes: u64,
}

impl Default for ImageLimits {
    fn default() -> Self {
        ImageLimits {
            max_pixels: 100_000_000,
            max_file_bytes: 256 << 20,
        }
    }
}

/// Decodes the image at `path` (JPEG, PNG, WebP, BMP, or the first frame of a GIF) to 8-bit RGB.
///
/// The format is found from the content, never the file name. Grey, palette, CMYK (JPEG), 16-bit
/// and alpha images are converted to RGB8 (alpha is dropped, not composited). An EXIF orientation
/// (JPEG, WebP, PNG) is applied, so a photo comes out upright as viewers show it. Of an animated
/// GIF or WebP, only the first frame is decoded. Decoding needs up to
/// 8 bytes per pixel transiently (16-bit RGBA), so the default limit bounds it to about 800 MB.
///
/// # Errors
/// The same file errors as [`crate::decode_audio`] (`Io`, `NotAFile`, `Empty`, `FileTooLarge`,
/// `UnknownFormat`), plus [`MediaError::ImageTooLarge`] when the header declares more than
/// `max_pixels`, [`MediaError::Unsupported`] for audio/video files, and
/// [`MediaError::Truncated`] / [`MediaError::Corrupt`] for damaged data.
pub fn decode_image(path: impl AsRef<Path>, limits: &ImageLimits) -> Result<RgbImage, MediaError> {
    let source = Source::open(path.as_ref(), limits.max_file_bytes)?;
    decode_source(source, limits)
}

/// Decodes an opened, sniffed source (the byte limit was already checked).
pub(crate) fn decode_source(source: Source, limits: &ImageLimits) -> Result<RgbImage, MediaError> {
    let path = source.path.clone();
    let format = match source.kind {
        MediaKind::Image(format) => format,
        MediaKind::Unknown => return Err(MediaError::UnknownFormat { path }),
        other => {
            return Err(MediaError::Unsupported {
                path,
                what: format!("it is {other}, not an image"),
            });
        }
    };
    catch_unwind(AssertUnwindSafe(|| decode_checked(source, format, limits))).unwrap_or_else(|_| {
        Err(MediaError::Corrupt {
            path,
            detail: "the image decoder failed".to_string(),
        })
    })
}

fn decode_checked(
    source: Source,
    format: ImageFormat,
    limits: &ImageLimits,
) -> Result<RgbImage, MediaError> {
    let path = source.path;
    let map_err = |e: ImageError| match e {
        ImageError::IoError(io) if io.kind() == ErrorKind::UnexpectedEof => MediaError::Truncated {
            path: path.clone(),
            detail: "the image data ends early".to_string(),
        },
        ImageError::IoError(io) => MediaError::Io {
            path: path.clone(),
            source: io,
        },
        ImageError::Unsupported(u) => MediaError::Unsupported {
            path: path.clone(),
            what: u.to_string(),
        },
        other => MediaError::Corrupt {
            path: path.clone(),
            detail: other.to_string(),
        },
    };
    let mut reader = ImageReader::new(BufReader::new(source.file));
    reader.set_format(match format {
        ImageFormat::Jpeg => image::ImageFormat::Jpeg,
        ImageFormat::Png => image::ImageFormat::Png,
        ImageFormat::Webp => image::ImageFormat::WebP,
        ImageFormat::Bmp => image::ImageFormat::Bmp,
        ImageFormat::Gif => image::ImageFormat::Gif,
    });
    // A second guard inside the decoders: no allocation beyond 8 bytes per allowed pixel.
    let mut decoder_limits = image::Limits::default();
    decoder_limits.max_alloc = Some(limits.max_pixels.saturating_mul(8).max(1 << 20));
    reader.limits(decoder_limits);
    let mut decoder = reader.into_decoder().map_err(map_err)?;
    // A camera that saved the picture sideways says so in EXIF; unreadable EXIF is ignored.
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(MediaError::ImageTooLarge {
            path,
            width,
            height,
            limit_pixels: limits.max_pixels,
        });
    }
    if width == 0 || height == 0 {
        return Err(MediaError::Corrupt {
            path,
            detail: format!("the header declares a {width}x{height} image"),
        });
    }
    let mut image = DynamicImage::from_decoder(decoder).map_err(map_err)?;
    image.apply_orientation(orientation);
    Ok(match image {
        DynamicImage::ImageRgb8(rgb) => rgb,
        other => other.to_rgb8(),
    })
}
