//! Strided views into a storage, copied out as contiguous row-major `f32`.

use crate::elements::ElemType;
use crate::error::{Parsed, Problem};

/// Where a tensor's elements lie in its storage, counted in elements (PyTorch's convention).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Layout {
    /// Dimensions, outermost first.
    pub shape: Vec<usize>,
    /// Step in the storage for each dimension.
    pub strides: Vec<usize>,
    /// First element's index in the storage.
    pub offset: usize,
}

impl Layout {
    /// Number of elements, or an error when the product overflows.
    pub(crate) fn numel(&self) -> Parsed<usize> {
        self.shape.iter().try_fold(1usize, |n, &d| {
            n.checked_mul(d)
                .ok_or_else(|| Problem::invalid(format!("shape {:?} overflows", self.shape)))
        })
    }

    /// Index of the last element the view touches (only meaningful when `numel() > 0`).
    fn last_index(&self) -> Parsed<usize> {
        let overflow = || Problem::invalid(format!("strides {:?} overflow", self.strides));
        self.shape
            .iter()
            .zip(&self.strides)
            .try_fold(self.offset, |acc, (&d, &s)| {
                d.saturating_sub(1)
                    .checked_mul(s)
                    .and_then(|step| acc.checked_add(step))
                    .ok_or_else(overflow)
            })
    }

    /// Whether the view is the contiguous row-major block starting at `offset`.
    fn is_contiguous(&self) -> bool {
        let mut expected = 1usize;
        for (&d, &s) in self.shape.iter().zip(&self.strides).rev() {
            if d != 1 && s != expected {
                return false;
            }
            expected = expected.saturating_mul(d);
        }
        true
    }

    /// Copies the view out of `storage` (raw little-endian elements of type `elem`) as
    /// contiguous row-major `f32`, checking every index against the bytes present.
    pub(crate) fn gather(&self, elem: ElemType, storage: &[u8]) -> Parsed<Vec<f32>> {
        if self.shape.len() != self.strides.len() {
            return Err(Problem::invalid(format!(
                "shape {:?} and strides {:?} differ in length",
                self.shape, self.strides
            )));
        }
        let numel = self.numel()?;
        if numel == 0 {
            return Ok(Vec::new());
        }
        let last = self.last_index()?;
        let available = storage.len() / elem.size();
        if last >= available {
            return Err(Problem::invalid(format!(
                "view (shape {:?}, strides {:?}, offset {}) reaches element {last} but its storage holds {available}",
                self.shape, self.strides, self.offset
            )));
        }
        // `last < available` bounds both ends of the span, so these byte offsets are in range.
        let span = storage
            .get(self.offset * elem.size()..(last + 1) * elem.size())
            .ok_or_else(|| Problem::invalid("view outside its storage"))?;
        let values = elem.decode(span);
        if self.is_contiguous() {
            return Ok(values);
        }
        self.gather_strided(&values, numel)
    }

    /// Walks the multi-index in row-major order; `values[0]` is the element at `offset`.
    fn gather_strided(&self, values: &[f32], numel: usize) -> Parsed<Vec<f32>> {
        let mut out = Vec::with_capacity(numel);
        let mut index = vec![0usize; self.shape.len()];
        let mut position = 0usize; // relative to `offset`
        for _ in 0..numel {
            let value = values
                .get(position)
                .ok_or_else(|| Problem::invalid("strided index outside its storage"))?;
            out.push(*value);
            // Odometer step: increment the innermost dimension, carrying outwards.
            for dim in (0..self.shape.len()).rev() {
                let (size, stride) = (self.shape[dim], self.strides[dim]);
                // Wrapping: a size-1 dimension may carry any stride; the step is undone at once.
                index[dim] += 1;
                position = position.wrapping_add(stride);
                if index[dim] < size {
                    break;
                }
                position = position.wrapping_sub(stride.wrapping_mul(size));
                index[dim] = 0;
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f32_bytes(values: &[f32]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    #[test]
    fn contiguous_view_with_offset() {
        let storage = f32_bytes(&[9.0, 1.0, 2.0, 3.0, 4.0]);
        let layout = Layout {
            shape: vec![2, 2],
            strides: vec![2, 1],
            offset: 1,
        };
        assert_eq!(
            layout.gather(ElemType::F32, &storage).unwrap(),
            vec![1.0, 2.0, 3.0, 4.0]
        );
    }

    #[test]
    fn transposed_view_is_copied_row_major() {
        // Storage holds [[0,1,2],[3,4,5]]; the view is its transpose, shape [3,2].
        let storage = f32_bytes(&[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
        let layout = Layout {
            shape: vec![3, 2],
            strides: vec![1, 3],
            offset: 0,
        };
        assert_eq!(
            layout.gather(ElemType::F32, &storage).unwrap(),
            vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
        );
    }

    #[test]
    fn broadcast_stride_zero() {
        let storage = f32_bytes(&[7.0]);
        let layout = Layout {
            shape: vec![3],
            strides: vec![0],
            offset: 0,
        };
        assert_eq!(
            layout.gather(ElemType::F32, &storage).unwrap(),
            vec![7.0; 3]
        );
    }

    #[test]
    fn size_one_dimension_may_have_any_stride() {
        let storage = f32_bytes(&[1.0, 9.0, 2.0]);
        let layout = Layout {
            shape: vec![2, 1],
            strides: vec![2, usize::MAX],
            offset: 0,
        };
        assert_eq!(
            layout.gather(ElemType::F32, &storage).unwrap(),
            vec![1.0, 2.0]
        );
    }

    #[test]
    fn view_past_the_storage_is_an_error() {
        let storage = f32_bytes(&[1.0, 2.0]);
        let layout = Layout {
            shape: vec![3],
            strides: vec![1],
            offset: 0,
        };
        let err = layout.gather(ElemType::F32, &storage).unwrap_err();
        assert!(format!("{err:?}").contains("storage holds 2"));
    }

    #[test]
    fn overflowing_shape_is_an_error() {
        let layout = Layout {
            shape: vec![usize::MAX, 3],
            strides: vec![1, 1],
            offset: 0,
        };
        assert!(layout.gather(ElemType::F32, &[]).is_err());
    }
}
