//! JPEG compression artefacts: encode, decode again.

use image::{ImageFormat, RgbImage};
use jpeg_encoder::{ChromaSubsamplingMethod, ColorType, Encoder, SamplingFactor};

use crate::Error;

/// Compresses the image to JPEG at `quality` (1 worst to 100 best, the IJG scale) and decodes it
/// again: baseline JPEG from the `jpeg-encoder` crate with the standard (Annex K) tables scaled
/// to `quality`, chroma subsampled 4:2:0 at every quality (2x2 blocks averaged, like libjpeg),
/// decoded by `image`'s JPEG decoder (zune-jpeg). Deterministic: the same input and quality give
/// the same bytes. An empty image is returned as is.
///
/// # Errors
/// [`Error::JpegQuality`] for quality 0 or above 100, [`Error::JpegTooLarge`] for a side over
/// 65 535 pixels, and the encoder's or decoder's failure.
pub fn jpeg_roundtrip(img: &RgbImage, quality: u8) -> Result<RgbImage, Error> {
    if !(1..=100).contains(&quality) {
        return Err(Error::JpegQuality(quality));
    }
    let (width, height) = img.dimensions();
    if width == 0 || height == 0 {
        return Ok(img.clone());
    }
    let (Ok(w), Ok(h)) = (u16::try_from(width), u16::try_from(height)) else {
        return Err(Error::JpegTooLarge { width, height });
    };
    let mut bytes = Vec::new();
    let mut encoder = Encoder::new(&mut bytes, quality);
    encoder.set_sampling_factor(SamplingFactor::R_4_2_0);
    encoder.set_chroma_subsampling_method(ChromaSubsamplingMethod::Average);
    encoder
        .encode(img.as_raw(), w, h, ColorType::Rgb)
        .map_err(Error::JpegEncode)?;
    let decoded = image::load_from_memory_with_format(&bytes, ImageFormat::Jpeg)
        .map_err(Error::JpegDecode)?;
    Ok(decoded.into_rgb8())
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    /// A smooth colour gradient with a sharp edge.
    fn test_image(w: u32, h: u32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| {
            let edge = if x > w / 2 { 60 } else { 0 };
            Rgb([
                (x * 255 / w.max(1)) as u8,
                (y * 255 / h.max(1)) as u8,
                (100 + edge) as u8,
            ])
        })
    }

    fn max_abs_diff(a: &RgbImage, b: &RgbImage) -> u8 {
        a.as_raw()
            .iter()
            .zip(b.as_raw())
            .map(|(x, y)| x.abs_diff(*y))
            .max()
            .unwrap_or(0)
    }

    fn mean_abs_diff(a: &RgbImage, b: &RgbImage) -> f64 {
        let sum: u64 = a
            .as_raw()
            .iter()
            .zip(b.as_raw())
            .map(|(x, y)| u64::from(x.abs_diff(*y)))
            .sum();
        sum as f64 / a.as_raw().len() as f64
    }

    #[test]
    fn quality_100_is_close_and_lower_is_worse() {
        let img = test_image(48, 32);
        let q100 = jpeg_roundtrip(&img, 100).unwrap();
        assert_eq!(q100.dimensions(), img.dimensions());
        // 4:2:0 even at 100 blurs colour edges a little; the mean stays small.
        assert!(
            mean_abs_diff(&img, &q100) < 2.0,
            "{}",
            mean_abs_diff(&img, &q100)
        );
        let grey = RgbImage::from_fn(48, 32, |x, y| Rgb([((x + y) * 3) as u8; 3]));
        assert!(max_abs_diff(&grey, &jpeg_roundtrip(&grey, 100).unwrap()) <= 3);
        let q10 = jpeg_roundtrip(&img, 10).unwrap();
        assert!(mean_abs_diff(&img, &q10) > mean_abs_diff(&img, &q100));
    }

    #[test]
    fn deterministic() {
        let img = test_image(33, 17);
        assert_eq!(
            jpeg_roundtrip(&img, 55).unwrap(),
            jpeg_roundtrip(&img, 55).unwrap()
        );
    }

    #[test]
    fn tiny_and_empty_images() {
        for (w, h) in [(1, 1), (1, 7), (7, 1), (3, 2)] {
            let out = jpeg_roundtrip(&test_image(w, h), 30).unwrap();
            assert_eq!(out.dimensions(), (w, h));
        }
        let empty = RgbImage::new(0, 5);
        assert_eq!(jpeg_roundtrip(&empty, 50).unwrap(), empty);
    }

    #[test]
    fn bad_quality_and_size() {
        let img = test_image(4, 4);
        assert_eq!(
            jpeg_roundtrip(&img, 0).unwrap_err().to_string(),
            "JPEG quality 0 is outside 1..=100"
        );
        assert!(matches!(
            jpeg_roundtrip(&img, 101),
            Err(Error::JpegQuality(101))
        ));
        let wide = RgbImage::new(70_000, 1);
        assert!(matches!(
            jpeg_roundtrip(&wide, 90),
            Err(Error::JpegTooLarge {
                width: 70_000,
                height: 1
            })
        ));
    }
}
