//! Pixel work on decoded frames: YUV 4:2:0 → RGB8 and display rotation.

/// Converts an 8-bit YUV 4:2:0 picture (limited range, BT.601, as ffmpeg's `rgb24` conversion
/// assumes for untagged video) to packed RGB8, chroma repeated over each 2×2 block (ffmpeg's
/// unscaled conversion does the same). Rows or planes shorter than their strides say (a
/// decoder's buffers for odd heights can end early) fall back to the nearest available chroma
/// row or to black; nothing panics.
pub(crate) fn yuv420_to_rgb(
    (y, u, v): (&[u8], &[u8], &[u8]),
    (width, height): (usize, usize),
    (y_stride, uv_stride): (usize, usize),
) -> Vec<u8> {
    let mut out = vec![0u8; width * height * 3];
    for (row, rgb_row) in out.chunks_exact_mut(width * 3).enumerate() {
        let Some(y_row) = y.get(row * y_stride..row * y_stride + width) else {
            continue;
        };
        let chroma_rows = |r: usize| {
            let start = r * uv_stride;
            let end = start + width.div_ceil(2);
            Some((u.get(start..end)?, v.get(start..end)?))
        };
        let Some((u_row, v_row)) =
            chroma_rows(row / 2).or_else(|| chroma_rows((row / 2).saturating_sub(1)))
        else {
            continue;
        };
        for (col, px) in rgb_row.chunks_exact_mut(3).enumerate() {
            let c = (i32::from(y_row[col]) - 16) * 298;
            let d = i32::from(u_row[col / 2]) - 128;
            let e = i32::from(v_row[col / 2]) - 128;
            let clip = |x: i32| ((x + 128) >> 8).clamp(0, 255) as u8;
            px[0] = clip(c + 409 * e);
            px[1] = clip(c - 100 * d - 208 * e);
            px[2] = clip(c + 516 * d);
        }
    }
    out
}

/// Rotates a packed RGB8 image clockwise by `degrees` (0, 90, 180 or 270; others are treated as
/// 0) and returns the new pixels with the new width and height.
pub(crate) fn rotate_rgb(
    rgb: Vec<u8>,
    width: usize,
    height: usize,
    degrees: u32,
) -> (Vec<u8>, usize, usize) {
    if !matches!(degrees, 90 | 180 | 270) || rgb.len() != width * height * 3 {
        return (rgb, width, height);
    }
    let (ow, oh) = if degrees == 180 {
        (width, height)
    } else {
        (height, width)
    };
    let mut out = vec![0u8; rgb.len()];
    for sy in 0..height {
        for sx in 0..width {
            let (dx, dy) = match degrees {
                90 => (height - 1 - sy, sx),
                180 => (width - 1 - sx, height - 1 - sy),
                _ => (sy, width - 1 - sx),
            };
            let s = (sy * width + sx) * 3;
            let d = (dy * ow + dx) * 3;
            out[d..d + 3].copy_from_slice(&rgb[s..s + 3]);
        }
    }
    (out, ow, oh)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_moves_the_top_left_corner() {
        // 3x2 image, pixel value = its index.
        let img: Vec<u8> = (0..6u8).flat_map(|i| [i, i, i]).collect();
        let (r, w, h) = rotate_rgb(img.clone(), 3, 2, 90);
        assert_eq!((w, h), (2, 3));
        // Clockwise: the bottom-left source pixel (index 3) becomes the top-left.
        let firsts: Vec<u8> = r.chunks(3).map(|p| p[0]).collect();
        assert_eq!(firsts, [3, 0, 4, 1, 5, 2]);
        let (r, _, _) = rotate_rgb(img.clone(), 3, 2, 270);
        let firsts: Vec<u8> = r.chunks(3).map(|p| p[0]).collect();
        assert_eq!(firsts, [2, 5, 1, 4, 0, 3]);
        let (r, _, _) = rotate_rgb(img, 3, 2, 180);
        let firsts: Vec<u8> = r.chunks(3).map(|p| p[0]).collect();
        assert_eq!(firsts, [5, 4, 3, 2, 1, 0]);
    }

    #[test]
    fn grey_and_short_planes() {
        // Y=126 U=V=128 is mid grey in limited range: (126-16)*255/219 = 128.
        let (w, h) = (3, 3);
        let y = vec![126u8; 4 * 3];
        let uv = vec![128u8; 2]; // one chroma row of 2 bytes; two are needed
        let rgb = yuv420_to_rgb((&y, &uv, &uv), (w, h), (4, 2));
        assert!(rgb.iter().all(|&p| p == 128), "{rgb:?}");
        assert!(
            yuv420_to_rgb((&[], &[], &[]), (2, 2), (2, 1))
                .iter()
                .all(|&p| p == 0)
        );
    }
}
