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

/// A CMYK JPEG (24x16, the gradient above converted to CMYK and saved by Pillow 13 with
/// `Image.convert("CMYK").save(path, quality=95)`; Adobe APP14 marker). Pillow reads its pixels
/// (0, 0), (12, 8) and (23, 15) back as RGB [0, 0, 128], [120, 120, 128], [230, 225, 128].
const CMYK_JPEG: [u8; 470] = [
    0xff, 0xd8, 0xff, 0xee, 0x00, 0x0e, 0x41, 0x64, 0x6f, 0x62, 0x65, 0x00, 0x64, 0x00, 0x00, 0x00,
    0x00, 0x00, 0xff, 0xdb, 0x00, 0x43, 0x00, 0x02, 0x01, 0x01, 0x01, 0x01, 0x01, 0x02, 0x01, 0x01,
    0x01, 0x02, 0x02, 0x02, 0x02, 0x02, 0x04, 0x03, 0x02, 0x02, 0x02, 0x02, 0x05, 0x04, 0x04, 0x03,
    0x04, 0x06, 0x05, 0x06, 0x06, 0x06, 0x05, 0x06, 0x06, 0x06, 0x07, 0x09, 0x08, 0x06, 0x07, 0x09,
    0x07, 0x06, 0x06, 0x08, 0x0b, 0x08, 0x09, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x06, 0x08, 0x0b, 0x0c,
    0x0b, 0x0a, 0x0c, 0x09, 0x0a, 0x0a, 0x0a, 0xff, 0xc0, 0x00, 0x14, 0x08, 0x00, 0x10, 0x00, 0x18,
    0x04, 0x43, 0x11, 0x00, 0x4d, 0x11, 0x00, 0x59, 0x11, 0x00, 0x4b, 0x11, 0x00, 0xff, 0xc4, 0x00,
    0x1f, 0x00, 0x00, 0x01, 0x05, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0xff, 0xc4,
    0x00, 0xb5, 0x10, 0x00, 0x02, 0x01, 0x03, 0x03, 0x02, 0x04, 0x03, 0x05, 0x05, 0x04, 0x04, 0x00,
    0x00, 0x01, 0x7d, 0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13,
    0x51, 0x61, 0x07, 0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08, 0x23, 0x42, 0xb1, 0xc1, 0x15,
    0x52, 0xd1, 0xf0, 0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25,
    0x26, 0x27, 0x28, 0x29, 0x2a, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46,
    0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66,
    0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x83, 0x84, 0x85, 0x86,
    0x87, 0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4,
    0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2,
    0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9,
    0xda, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5,
    0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xff, 0xda, 0x00, 0x0e, 0x04, 0x43, 0x00, 0x4d, 0x00, 0x59, 0x00,
    0x4b, 0x00, 0x00, 0x3f, 0x00, 0xfc, 0x8b, 0xfd, 0x92, 0x7f, 0xe5, 0xd7, 0xf0, 0xaf, 0xcd, 0x1f,
    0xf8, 0x77, 0x77, 0xfd, 0x40, 0xbf, 0xf2, 0x1d, 0x15, 0xfb, 0xf9, 0x5f, 0xa8, 0x1f, 0xb2, 0x4f,
    0xfc, 0xba, 0xfe, 0x14, 0x7f, 0xc3, 0xbb, 0xbf, 0xea, 0x05, 0xff, 0x00, 0x90, 0xe8, 0xa2, 0xbf,
    0x50, 0x3f, 0x64, 0x9f, 0xf9, 0x75, 0xfc, 0x28, 0xff, 0x00, 0x87, 0x77, 0x7f, 0xd4, 0x0b, 0xff,
    0x00, 0x21, 0xd1, 0x45, 0x7f, 0x2f, 0xff, 0x00, 0xb2, 0x4f, 0xfc, 0xba, 0xfe, 0x15, 0xfb, 0xc1,
    0xff, 0x00, 0x0e, 0xee, 0xff, 0x00, 0xa8, 0x17, 0xfe, 0x43, 0xa2, 0x8a, 0xfd, 0x40, 0xfd, 0x92,
    0x7f, 0xe5, 0xd7, 0xf0, 0xa3, 0xfe, 0x1d, 0xdd, 0xff, 0x00, 0x50, 0x2f, 0xfc, 0x87, 0x45, 0x15,
    0xfa, 0x81, 0xfb, 0x24, 0xff, 0x00, 0xcb, 0xaf, 0xe1, 0x47, 0xfc, 0x3b, 0xbb, 0xfe, 0xa0, 0x5f,
    0xf9, 0x0e, 0x8a, 0x2b, 0xff, 0xd9,
];

#[test]
fn cmyk_jpeg_becomes_rgb8() {
    let dir = Dir::new();
    let p = dir.path("cmyk.jpg");
    std::fs::write(&p, CMYK_JPEG).unwrap();
    let img = decode_image(&p, &ImageLimits::default()).unwrap();
    assert_eq!(img.dimensions(), (24, 16));
    for ((x, y), want) in [
        ((0, 0), [0u8, 0, 128]),
        ((12, 8), [120, 120, 128]),
        ((23, 15), [230, 225, 128]),
    ] {
        let got = img.get_pixel(x, y).0;
        for c in 0..3 {
            assert!(
                (i16::from(got[c]) - i16::from(want[c])).abs() <= 12,
                "pixel ({x}, {y}): {got:?}, Pillow {want:?}"
            );
        }
    }
}

/// A minimal EXIF block (TIFF, little endian) with one tag: Orientation = `value`.
fn exif_orientation(value: u16) -> Vec<u8> {
    let mut tiff = b"II*\0".to_vec();
    tiff.extend_from_slice(&8u32.to_le_bytes()); // first IFD at byte 8
    tiff.extend_from_slice(&1u16.to_le_bytes()); // one entry
    tiff.extend_from_slice(&0x0112u16.to_le_bytes()); // Orientation
    tiff.extend_from_slice(&3u16.to_le_bytes()); // SHORT
    tiff.extend_from_slice(&1u32.to_le_bytes()); // count
    tiff.extend_from_slice(&value.to_le_bytes());
    tiff.extend_from_slice(&[0, 0]); // padding of the value field
    tiff.extend_from_slice(&0u32.to_le_bytes()); // no next IFD
    tiff
}

#[test]
fn exif_orientation_is_applied() {
    use image::ImageEncoder;
    let dir = Dir::new();
    // 24 x 16, saved as a camera held sideways saves it: orientation 6 means "rotate 90°
    // clockwise to view".
    let p = dir.path("sideways.jpg");
    let mut bytes = Vec::new();
    let mut encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 95);
    encoder.set_exif_metadata(exif_orientation(6)).unwrap();
    encoder
        .write_image(gradient().as_raw(), 24, 16, image::ExtendedColorType::Rgb8)
        .unwrap();
    std::fs::write(&p, bytes).unwrap();
    let img = decode_image(&p, &ImageLimits::default()).unwrap();
    assert_eq!(img.dimensions(), (16, 24));
    // The stored top-left pixel (dark) is now at the top right; the stored bottom-left
    // (y = 15, green 225) at the top left.
    let near = |got: [u8; 3], want: [u8; 3]| (0..3).all(|c| got[c].abs_diff(want[c]) <= 12);
    assert!(
        near(img.get_pixel(15, 0).0, [0, 0, 128]),
        "{:?}",
        img.get_pixel(15, 0)
    );
    assert!(
        near(img.get_pixel(0, 0).0, [0, 225, 128]),
        "{:?}",
        img.get_pixel(0, 0)
    );
}

#[test]
fn an_animated_gif_gives_its_first_frame() {
    use image::codecs::gif::{GifEncoder, Repeat};
    let dir = Dir::new();
    let p = dir.path("animated.gif");
    let mut bytes = Vec::new();
    {
        let mut encoder = GifEncoder::new(&mut bytes);
        encoder.set_repeat(Repeat::Infinite).unwrap();
        for colour in [[200u8, 0, 0, 255], [0, 0, 200, 255]] {
            let frame = image::Frame::new(ImageBuffer::from_pixel(8, 8, Rgba(colour)));
            encoder.encode_frame(frame).unwrap();
        }
    }
    std::fs::write(&p, bytes).unwrap();
    let img = decode_image(&p, &ImageLimits::default()).unwrap();
    let px = img.get_pixel(4, 4).0;
    assert!(px[0] > 150 && px[2] < 50, "{px:?}");
}
