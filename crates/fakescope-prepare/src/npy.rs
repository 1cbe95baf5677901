//! The smallest `.npy` writer: version 1.0, little-endian float32, C order — what
//! `numpy.load` reads back as the array DeepfakeBench's loader expects.

/// The bytes of a `.npy` file holding `data` with `shape` (little-endian `<f4`, C order).
///
/// The header is the magic `\x93NUMPY`, version 1.0, a 2-byte header length, then a Python
/// dict literal padded with spaces and ended by `\n` so the data starts on a multiple of 64.
///
/// ```
/// let bytes = fakescope_prepare::npy::f32_npy(&[2, 2], &[1.0, 2.0, 3.0, 4.0]);
/// assert_eq!(&bytes[..6], b"\x93NUMPY");
/// assert_eq!((bytes.len() - 16) % 64, 0); // header padded to 64 bytes, then 4 floats
/// ```
///
/// # Panics
/// When `data.len()` is not the product of `shape` (a bug in the caller).
pub fn f32_npy(shape: &[usize], data: &[f32]) -> Vec<u8> {
    assert_eq!(
        shape.iter().product::<usize>(),
        data.len(),
        "npy shape mismatch"
    );
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let shape = match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    };
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}");
    // magic (6) + version (2) + length (2) + header + '\n' padded to 64.
    let unpadded = 10 + header.len() + 1;
    header.push_str(&" ".repeat(unpadded.next_multiple_of(64) - unpadded));
    header.push('\n');
    let mut out = Vec::with_capacity(10 + header.len() + data.len() * 4);
    out.extend_from_slice(b"\x93NUMPY\x01\x00");
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for v in data {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_aligned_and_describes_the_array() {
        let bytes = f32_npy(&[5, 2], &[0.5; 10]);
        let len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
        assert_eq!((10 + len) % 64, 0);
        let header = std::str::from_utf8(&bytes[10..10 + len]).unwrap();
        assert!(header.contains("'shape': (5, 2)"), "{header}");
        assert!(header.ends_with('\n'));
        assert_eq!(bytes.len(), 10 + len + 40);
        assert_eq!(&bytes[10 + len..10 + len + 4], &0.5f32.to_le_bytes());
    }
}
