//! safetensors files, through the `safetensors` crate (which validates the header, the offsets
//! and that every tensor's bytes match its shape and dtype).

use std::collections::BTreeMap;

use safetensors::{Dtype, SafeTensors};

use crate::elements::ElemType;
use crate::error::{Parsed, Problem};
use crate::limits::check;
use crate::{Limits, StoredTensor};

/// Reads all tensors of a safetensors file held in `bytes`.
pub(crate) fn read(bytes: &[u8], limits: &Limits) -> Parsed<BTreeMap<String, StoredTensor>> {
    let file = SafeTensors::deserialize(bytes)
        .map_err(|e| Problem::invalid(format!("safetensors: {e}")))?;
    check(
        "number of tensors",
        file.len() as u64,
        limits.max_tensors as u64,
    )?;
    let mut total: u64 = 0;
    let mut out = BTreeMap::new();
    for (key, view) in file.iter() {
        let elem = elem_type(view.dtype()).ok_or_else(|| {
            Problem::Unsupported(format!("tensor `{key}` has dtype {:?}", view.dtype()))
        })?;
        total = total.saturating_add((view.data().len() / elem.size()) as u64);
        check("total number of elements", total, limits.max_total_elements)?;
        let tensor = StoredTensor {
            shape: view.shape().to_vec(),
            dtype: elem.dtype(),
            data: elem.decode(view.data()),
        };
        out.insert(key.to_owned(), tensor);
    }
    Ok(out)
}

fn elem_type(dtype: Dtype) -> Option<ElemType> {
    Some(match dtype {
        Dtype::BOOL => ElemType::Bool,
        Dtype::U8 => ElemType::U8,
        Dtype::I8 => ElemType::I8,
        Dtype::I16 => ElemType::I16,
        Dtype::U16 => ElemType::U16,
        Dtype::F16 => ElemType::F16,
        Dtype::BF16 => ElemType::BF16,
        Dtype::I32 => ElemType::I32,
        Dtype::U32 => ElemType::U32,
        Dtype::F32 => ElemType::F32,
        Dtype::F64 => ElemType::F64,
        Dtype::I64 => ElemType::I64,
        Dtype::U64 => ElemType::U64,
        _ => return None,
    })
}
