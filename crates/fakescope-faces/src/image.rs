//! The image type the detector reads: a borrowed RGB8 buffer.

use crate::error::Error;

/// A borrowed image, 8-bit RGB, rows top to bottom, `width * height * 3` bytes without row
/// padding. Grey or RGBA images must be converted by the caller (e.g. with
/// `fakescope-media`'s decoders, which give RGB8).
#[derive(Debug, Clone, Copy)]
pub struct RgbImage<'a> {
    width: usize,
    height: usize,
    pixels: &'a [u8],
}

impl<'a> RgbImage<'a> {
    /// Wraps `pixels`; errors when its length is not `width * height * 3`.
    pub fn new(width: usize, height: usize, pixels: &'a [u8]) -> Result<RgbImage<'a>, Error> {
        let expected = width
            .checked_mul(height)
            .and_then(|n| n.checked_mul(3))
            .unwrap_or(usize::MAX);
        if pixels.len() != expected {
            return Err(Error::BufferSize {
                width,
                height,
                expected,
                found: pixels.len(),
            });
        }
        Ok(RgbImage {
            width,
            height,
            pixels,
        })
    }

    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> usize {
        self.height
    }

    /// The bytes, `[y][x][r, g, b]`.
    pub fn pixels(&self) -> &'a [u8] {
        self.pixels
    }

    /// The pixel at column `x`, row `y` (both in range).
    pub(crate) fn get(&self, x: usize, y: usize) -> [u8; 3] {
        let i = (y * self.width + x) * 3;
        [self.pixels[i], self.pixels[i + 1], self.pixels[i + 2]]
    }
}
