//! Turning tensor descriptions plus storage bytes into [`StoredTensor`]s (both torch formats).

use std::collections::BTreeMap;

use crate::error::{Parsed, Problem};
use crate::limits::check;
use crate::torch_objects::TensorRef;
use crate::{Limits, StoredTensor};

/// Reads every tensor from the bytes of its root storage, as returned by `storage(key)`.
///
/// The element budget of [`Limits::max_total_elements`] is checked before each allocation.
pub(crate) fn materialize<'a>(
    tensors: BTreeMap<String, TensorRef>,
    storage: impl Fn(&str) -> Parsed<&'a [u8]>,
    limits: &Limits,
) -> Parsed<BTreeMap<String, StoredTensor>> {
    let mut total: u64 = 0;
    let mut out = BTreeMap::new();
    for (key, tensor) in tensors {
        let stored = one(&tensor, &storage, limits, &mut total)
            .map_err(|p| p.context(&format!("tensor `{key}`")))?;
        out.insert(key, stored);
    }
    Ok(out)
}

fn one<'a>(
    tensor: &TensorRef,
    storage: &impl Fn(&str) -> Parsed<&'a [u8]>,
    limits: &Limits,
    total: &mut u64,
) -> Parsed<StoredTensor> {
    let numel = tensor.layout.numel()?;
    *total = total.saturating_add(numel as u64);
    check(
        "total number of elements",
        *total,
        limits.max_total_elements,
    )?;

    let s = &tensor.storage;
    let bytes = storage(&s.key)?;
    // The (view of the) storage claims `offset + numel` elements of the root storage.
    let claimed_end = s
        .offset
        .checked_add(s.numel)
        .and_then(|n| n.checked_mul(s.elem.size()))
        .filter(|&end| end <= bytes.len())
        .ok_or_else(|| {
            Problem::invalid(format!(
                "storage `{}` claims {} elements of {} bytes (from element {}) but holds {} bytes",
                s.key,
                s.numel,
                s.elem.size(),
                s.offset,
                bytes.len()
            ))
        })?;
    let claimed = bytes.get(..claimed_end).unwrap_or_default();
    let data = tensor.layout.gather(s.elem, claimed)?;
    Ok(StoredTensor {
        shape: tensor.layout.shape.clone(),
        dtype: s.elem.dtype(),
        data,
    })
}
