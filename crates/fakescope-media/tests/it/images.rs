//! Still images: every format to RGB8, colour conversions, and the pixel limit.

use fakescope_media::{
    ImageFormat, ImageLimits, Media, MediaError, MediaKind, decode_image, open, sniff_file,
};
use image::{ImageBuffer, Luma, Rgb, Rgba};

use crate::fixtures::{Dir, read};

/// A 24×16 gradient that survives lossy coding well enough to check its corners.
fn gradient() -> image::RgbImage {
    ImageBuffer::from_fn(24, 16, |x, y| Rgb([(x * 10) as u8, (y * 15) as u8, 128]))
}

#[test]
fn every_format_decodes_to_rgb8() {
    let dir = Dir::new();
    let cases = [
        (image::ImageFormat::Png, ImageFormat::Png, 0),
        (image::ImageFormat::Jpeg, ImageFormat::Jpeg, 12),
        (image::ImageFormat::WebP, ImageFormat::Webp, 0),
        (image::ImageFormat::Bmp, ImageFormat::Bmp, 0),
        (image::ImageFormat::Gif, ImageFormat::Gif, 40),
    ];
    let src = gradient();
    for (encoding, format, tolerance) in cases {
        // A neutral name: the content decides.
        let p = dir.path(&format!("image-{format}.bin"));
        src.save_with_format(&p, encoding).unwrap();
        assert_eq!(sniff_file(&p).unwrap(), MediaKind::Image(format));
        let img = decode_image(&p, &ImageLimits::default()).unwrap();
        assert_eq!(img.dimensions(), (24, 16), "{format}");
        for (x, y) in [(0, 0), (23, 0), (0, 15), (23, 15), (12, 8)] {
            let (a, b) = (img.get_pixel(x, y), src.get_pixel(x, y));
            for c in 0..3 {
                assert!(
                    a[c].abs_diff(b[c]) <= tolerance,
                    "{format} pixel ({x},{y}): {a:?} vs {b:?}"
                );
            }
        }
        assert!(matches!(
            open(&p, &Default::default()).unwrap(),
            Media::Image(i) if i.dimensions() == (24, 16)
        ));
    }
}

#[test]
fn grey_16_bit_and_alpha_become_rgb8() {
    let dir = Dir::new();
    let grey = ImageBuffer::from_fn(4, 2, |x, _| Luma([(x * 60) as u8]));
    let p = dir.path("grey.png");
    grey.save(&p).unwrap();
    let img = decode_image(&p, &ImageLimits::default()).unwrap();
    assert_eq!(img.get_pixel(3, 1).0, [180, 180, 180]);

    let grey16: ImageBuffer<Luma<u16>, Vec<u16>> =
        ImageBuffer::from_fn(2, 2, |x, _| Luma([if x == 0 { 65535 } else { 257 * 100 }]));
    let p = dir.path("grey16.png");
    grey16.save(&p).unwrap();
    let img = decode_image(&p, &ImageLimits::default()).unwrap();
    assert_eq!(img.get_pixel(0, 0).0, [255, 255, 255]);
    assert_eq!(img.get_pixel(1, 0).0, [100, 100, 100]);

    let rgb16: ImageBuffer<Rgb<u16>, Vec<u16>> =
        ImageBuffer::from_pixel(2, 2, Rgb([65535, 257 * 128, 0]));
    let p = dir.path("rgb16.png");
    rgb16.save(&p).unwrap();
    let img = decode_image(&p, &ImageLimits::default()).unwrap();
    assert_eq!(img.get_pixel(1, 1).0, [255, 128, 0]);

    let rgba = ImageBuffer::from_pixel(2, 2, Rgba([10u8, 20, 30, 0]));
    let p = dir.path("rgba.png");
    rgba.save(&p).unwrap();
    let img = decode_image(&p, &ImageLimits::default()).unwrap();
    assert_eq!(img.get_pixel(0, 0).0, [10, 20, 30], "alpha is dropped");
}

/// A PNG signature and IHDR chunk (with a correct CRC) declaring `width`×`height` RGB8, followed
/// by no image data.
fn png_header(width: u32, height: u32) -> Vec<u8> {
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend_from_slice(&13u32.to_be_bytes());
    png.extend_from_slice(&ihdr);
    png.extend_from_slice(&crc32(&ihdr).to_be_bytes());
    png
}

/// [`png_header`] plus a tiny `IDAT` (one zlib-compressed zero byte) and `IEND`: what the PNG
/// decoder needs to see before it reports the dimensions.
fn png_bomb(width: u32, height: u32) -> Vec<u8> {
    let mut png = png_header(width, height);
    for (kind, data) in [
        (
            &b"IDAT"[..],
            &[0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01][..],
        ),
        (&b"IEND"[..], &[][..]),
    ] {
        let mut chunk = kind.to_vec();
        chunk.extend_from_slice(data);
        png.extend_from_slice(&(data.len() as u32).to_be_bytes());
        png.extend_from_slice(&chunk);
        png.extend_from_slice(&crc32(&chunk).to_be_bytes());
    }
    png
}

/// CRC-32 (IEEE), as PNG chunks use.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn huge_declared_dimensions_are_refused_before_allocating() {
    let dir = Dir::new();
    // 100,000 × 100,000 RGB would need 30 GB: refused from the header alone.
    let p = dir.write("huge.png", &png_bomb(100_000, 100_000));
    match decode_image(&p, &ImageLimits::default()) {
        Err(MediaError::ImageTooLarge {
            width: 100_000,
            height: 100_000,
            limit_pixels: 100_000_000,
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    // The same for a BMP header (60,000 on a side: under the BMP decoder's own 65,535 limit).
    let mut bmp = b"BM".to_vec();
    bmp.extend_from_slice(&[0; 12]);
    bmp.extend_from_slice(&40u32.to_le_bytes());
    bmp.extend_from_slice(&60_000i32.to_le_bytes());
    bmp.extend_from_slice(&60_000i32.to_le_bytes());
    bmp.extend_from_slice(&1u16.to_le_bytes());
    bmp.extend_from_slice(&24u16.to_le_bytes());
    bmp.extend_from_slice(&[0; 24]);
    let p = dir.write("huge.bmp", &bmp);
    let err = decode_image(&p, &ImageLimits::default()).unwrap_err();
    assert!(matches!(err, MediaError::ImageTooLarge { .. }), "{err}");
    // And a configurable limit on an ordinary image.
    let p = dir.path("small.png");
    gradient().save(&p).unwrap();
    let strict = ImageLimits {
        max_pixels: 100,
        ..ImageLimits::default()
    };
    assert!(matches!(
        decode_image(&p, &strict),
        Err(MediaError::ImageTooLarge {
            width: 24,
            height: 16,
            ..
        })
    ));
}

#[test]
fn damaged_images() {
    let dir = Dir::new();
    // A valid header and no pixel data.
    let p = dir.write("header-only.png", &png_header(8, 8));
    let err = decode_image(&p, &ImageLimits::default()).unwrap_err();
    assert!(matches!(err, MediaError::Truncated { .. }), "{err}");
    // Half a JPEG and half a PNG.
    for (name, format) in [
        ("half.jpg", image::ImageFormat::Jpeg),
        ("half.png", image::ImageFormat::Png),
    ] {
        let full = dir.path(&format!("full-{name}"));
        gradient().save_with_format(&full, format).unwrap();
        let bytes = read(&full);
        let p = dir.write(name, &bytes[..bytes.len() / 2]);
        match decode_image(&p, &ImageLimits::default()) {
            Err(MediaError::Truncated { .. } | MediaError::Corrupt { .. }) => {}
            // zune-jpeg fills a cut-off scan with grey, as browsers do.
            Ok(img) if format == image::ImageFormat::Jpeg => assert_eq!(img.dimensions(), (24, 16)),
            other => panic!("{name}: {other:?}"),
        }
    }
    // Zero dimensions.
    let p = dir.write("zero.png", &png_bomb(0, 10));
    let err = decode_image(&p, &ImageLimits::default()).unwrap_err();
    assert!(matches!(err, MediaError::Corrupt { .. }), "{err}");
}
