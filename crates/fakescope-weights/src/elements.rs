//! Element types as stored on disk (little-endian) and their conversion to `f32`.

use crate::DType;

/// How one element is stored in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ElemType {
    F16,
    BF16,
    F32,
    F64,
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    I64,
    U64,
    Bool,
}

impl ElemType {
    /// Bytes per element.
    pub(crate) fn size(self) -> usize {
        match self {
            ElemType::I8 | ElemType::U8 | ElemType::Bool => 1,
            ElemType::F16 | ElemType::BF16 | ElemType::I16 | ElemType::U16 => 2,
            ElemType::F32 | ElemType::I32 | ElemType::U32 => 4,
            ElemType::F64 | ElemType::I64 | ElemType::U64 => 8,
        }
    }

    /// The public element type reported for a tensor.
    pub(crate) fn dtype(self) -> DType {
        match self {
            ElemType::F16 => DType::F16,
            ElemType::BF16 => DType::BF16,
            ElemType::F32 => DType::F32,
            ElemType::F64 => DType::F64,
            ElemType::Bool => DType::Bool,
            ElemType::I8
            | ElemType::U8
            | ElemType::I16
            | ElemType::U16
            | ElemType::I32
            | ElemType::U32
            | ElemType::I64
            | ElemType::U64 => DType::Int,
        }
    }

    /// Converts whole little-endian elements to `f32` (a trailing partial element is ignored).
    /// Integers are converted by value (large ones round), booleans become 0 or 1.
    pub(crate) fn decode(self, bytes: &[u8]) -> Vec<f32> {
        match self {
            ElemType::F16 => map(bytes, |b| f16_to_f32(u16::from_le_bytes(b))),
            ElemType::BF16 => map(bytes, |b| bf16_to_f32(u16::from_le_bytes(b))),
            ElemType::F32 => map(bytes, f32::from_le_bytes),
            ElemType::F64 => map(bytes, |b| f64::from_le_bytes(b) as f32),
            ElemType::I8 => map(bytes, |b: [u8; 1]| f32::from(i8::from_le_bytes(b))),
            ElemType::U8 => map(bytes, |b: [u8; 1]| f32::from(b[0])),
            ElemType::Bool => map(bytes, |b: [u8; 1]| if b[0] == 0 { 0.0 } else { 1.0 }),
            ElemType::I16 => map(bytes, |b| f32::from(i16::from_le_bytes(b))),
            ElemType::U16 => map(bytes, |b| f32::from(u16::from_le_bytes(b))),
            ElemType::I32 => map(bytes, |b| i32::from_le_bytes(b) as f32),
            ElemType::U32 => map(bytes, |b| u32::from_le_bytes(b) as f32),
            ElemType::I64 => map(bytes, |b| i64::from_le_bytes(b) as f32),
            ElemType::U64 => map(bytes, |b| u64::from_le_bytes(b) as f32),
        }
    }
}

/// Applies `f` to each complete `N`-byte chunk.
fn map<const N: usize>(bytes: &[u8], f: impl Fn([u8; N]) -> f32) -> Vec<f32> {
    let (chunks, _rest) = bytes.as_chunks::<N>();
    chunks.iter().map(|c| f(*c)).collect()
}

/// IEEE 754 half precision to single precision (exact: every f16 is an f32).
pub(crate) fn f16_to_f32(h: u16) -> f32 {
    let negative = h & 0x8000 != 0;
    let exponent = u32::from((h >> 10) & 0x1f);
    let mantissa = u32::from(h & 0x3ff);
    let magnitude = match exponent {
        // Zero and subnormals: mantissa * 2^-24.
        0 => mantissa as f32 * f32::from_bits(0x3380_0000),
        // Infinity and NaN (payload kept).
        0x1f => f32::from_bits(0x7f80_0000 | (mantissa << 13)),
        // Normal: rebias the exponent from 15 to 127.
        _ => f32::from_bits(((exponent + 112) << 23) | (mantissa << 13)),
    };
    if negative { -magnitude } else { magnitude }
}

/// bfloat16 is the upper half of an f32.
pub(crate) fn bf16_to_f32(h: u16) -> f32 {
    f32::from_bits(u32::from(h) << 16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_precision_known_values() {
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x7bff), 65504.0);
        assert_eq!(f16_to_f32(0x0001), 2f32.powi(-24));
        assert_eq!(f16_to_f32(0x0400), 2f32.powi(-14));
        assert_eq!(f16_to_f32(0x3555), 0.333_251_95);
        assert_eq!(f16_to_f32(0x8000).to_bits(), (-0.0f32).to_bits());
        assert_eq!(f16_to_f32(0x7c00), f32::INFINITY);
        assert_eq!(f16_to_f32(0xfc00), f32::NEG_INFINITY);
        assert!(f16_to_f32(0x7e00).is_nan());
    }

    #[test]
    fn bfloat16_known_values() {
        assert_eq!(bf16_to_f32(0x3f80), 1.0);
        assert_eq!(bf16_to_f32(0xc040), -3.0);
    }

    #[test]
    fn integers_and_bools_convert_by_value() {
        assert_eq!(ElemType::I64.decode(&(-7i64).to_le_bytes()), vec![-7.0]);
        assert_eq!(ElemType::I8.decode(&[0xff, 5]), vec![-1.0, 5.0]);
        assert_eq!(ElemType::U8.decode(&[0xff]), vec![255.0]);
        assert_eq!(ElemType::Bool.decode(&[0, 1, 2]), vec![0.0, 1.0, 1.0]);
        assert_eq!(ElemType::F64.decode(&0.5f64.to_le_bytes()), vec![0.5]);
    }

    #[test]
    fn partial_trailing_element_is_ignored() {
        assert_eq!(ElemType::F32.decode(&[0, 0, 128, 63, 1, 2]), vec![1.0]);
    }
}
