//! The Python objects a torch state dict is allowed to mention, and what the reader makes of
//! them. This is the whole allow-list: every other global is rejected by name.

use crate::Limits;
use crate::elements::ElemType;
use crate::error::{Parsed, Problem};
use crate::layout::Layout;
use crate::limits::check;
use crate::pickle::{Id, Obj};

/// An allowed `module.name` global.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Global {
    /// `collections.OrderedDict`: the container of every state dict.
    OrderedDict,
    /// `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])`.
    RebuildTensorV2,
    /// `torch._utils._rebuild_tensor(storage, offset, size, stride)` (older files).
    RebuildTensor,
    /// `torch._utils._rebuild_parameter(data, requires_grad, hooks)`.
    RebuildParameter,
    /// `torch._utils._rebuild_parameter_with_state(data, requires_grad, hooks, state)`.
    RebuildParameterWithState,
    /// `torch.FloatStorage` and friends: only ever named inside persistent ids.
    Storage(ElemType),
}

/// Looks up a global; anything outside the allow-list is a [`Problem::RejectedGlobal`].
pub(crate) fn resolve(module: &str, name: &str) -> Parsed<Global> {
    let global = match (module, name) {
        ("collections", "OrderedDict") => Global::OrderedDict,
        ("torch._utils", "_rebuild_tensor_v2") => Global::RebuildTensorV2,
        ("torch._utils", "_rebuild_tensor") => Global::RebuildTensor,
        ("torch._utils", "_rebuild_parameter") => Global::RebuildParameter,
        ("torch._utils", "_rebuild_parameter_with_state") => Global::RebuildParameterWithState,
        ("torch", storage) => match storage_type(storage) {
            Some(elem) => Global::Storage(elem),
            None => return Err(Problem::RejectedGlobal(format!("{module}.{name}"))),
        },
        _ => return Err(Problem::RejectedGlobal(format!("{module}.{name}"))),
    };
    Ok(global)
}

fn storage_type(name: &str) -> Option<ElemType> {
    Some(match name {
        "FloatStorage" => ElemType::F32,
        "DoubleStorage" => ElemType::F64,
        "HalfStorage" => ElemType::F16,
        "BFloat16Storage" => ElemType::BF16,
        "LongStorage" => ElemType::I64,
        "IntStorage" => ElemType::I32,
        "ShortStorage" => ElemType::I16,
        "CharStorage" => ElemType::I8,
        "ByteStorage" => ElemType::U8,
        "BoolStorage" => ElemType::Bool,
        _ => return None,
    })
}

/// A storage named by a persistent id: `('storage', type, key, location, numel[, view])`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StorageRef {
    /// Key of the root storage (zip entry `data/<key>`, or a legacy storage key).
    pub key: String,
    /// Element type.
    pub elem: ElemType,
    /// First element of this (view of the) storage within the root storage.
    pub offset: usize,
    /// Number of elements the file claims for it.
    pub numel: usize,
}

/// A tensor as described by the pickle: where its elements lie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TensorRef {
    /// The storage it views.
    pub storage: StorageRef,
    /// Shape, strides and offset in elements, relative to the root storage.
    pub layout: Layout,
}

/// What a call produced: a new object, or one of its arguments (parameters unwrap to tensors).
pub(crate) enum Called {
    New(Obj),
    Existing(Id),
}

/// Interprets `callable(*args)` for the allowed globals. Nothing is executed.
pub(crate) fn call(objects: &[Obj], callable: Id, args: Id, limits: &Limits) -> Parsed<Called> {
    let Some(Obj::Global(global)) = objects.get(callable) else {
        return Err(Problem::invalid(
            "call of an object that is not an allowed global",
        ));
    };
    let Some(Obj::Tuple(args)) = objects.get(args) else {
        return Err(Problem::invalid("call arguments are not a tuple"));
    };
    match (global, args.as_slice()) {
        (Global::OrderedDict, []) => Ok(Called::New(Obj::Dict(Vec::new()))),
        (Global::RebuildTensorV2, [storage, offset, size, stride, _, _])
        | (Global::RebuildTensorV2, [storage, offset, size, stride, _, _, _])
        | (Global::RebuildTensor, [storage, offset, size, stride]) => Ok(Called::New(Obj::Tensor(
            rebuild_tensor(objects, [*storage, *offset, *size, *stride], limits)?,
        ))),
        (Global::RebuildParameter, [data, _, _])
        | (Global::RebuildParameterWithState, [data, _, _, _]) => match objects.get(*data) {
            Some(Obj::Tensor(_)) => Ok(Called::Existing(*data)),
            _ => Err(Problem::invalid("parameter data is not a tensor")),
        },
        (global, args) => Err(Problem::invalid(format!(
            "unexpected call of {global:?} with {} arguments",
            args.len()
        ))),
    }
}

fn rebuild_tensor(
    objects: &[Obj],
    [storage, offset, size, stride]: [Id; 4],
    limits: &Limits,
) -> Parsed<TensorRef> {
    let Some(Obj::Storage(storage)) = objects.get(storage) else {
        return Err(Problem::invalid(
            "tensor storage is not a persistent storage",
        ));
    };
    let shape = usize_tuple(objects, size, "size")?;
    let strides = usize_tuple(objects, stride, "stride")?;
    check(
        "tensor dimensions",
        shape.len() as u64,
        limits.max_dims as u64,
    )?;
    if shape.len() != strides.len() {
        return Err(Problem::invalid(format!(
            "tensor size {shape:?} and stride {strides:?} differ in length"
        )));
    }
    let offset = usize_of(objects, offset, "storage offset")?
        .checked_add(storage.offset)
        .ok_or_else(|| Problem::invalid("storage offset overflows"))?;
    Ok(TensorRef {
        storage: storage.clone(),
        layout: Layout {
            shape,
            strides,
            offset,
        },
    })
}

/// Reads a persistent id naming a storage.
pub(crate) fn persistent_load(objects: &[Obj], pid: Id) -> Parsed<StorageRef> {
    let Some(Obj::Tuple(items)) = objects.get(pid) else {
        return Err(Problem::invalid("persistent id is not a tuple"));
    };
    let (tag, elem, key, numel, view) = match items.as_slice() {
        [tag, elem, key, _location, numel] => (tag, elem, key, numel, None),
        [tag, elem, key, _location, numel, view] => (tag, elem, key, numel, Some(view)),
        _ => return Err(Problem::invalid("persistent id has the wrong length")),
    };
    if !matches!(objects.get(*tag), Some(Obj::Str(s)) if s == "storage") {
        return Err(Problem::Unsupported(
            "persistent id that is not a storage".into(),
        ));
    }
    let Some(Obj::Global(Global::Storage(elem))) = objects.get(*elem) else {
        return Err(Problem::invalid("persistent id without a storage type"));
    };
    let key = match objects.get(*key) {
        Some(Obj::Str(s)) => s.clone(),
        Some(Obj::Int(i)) => i.to_string(),
        _ => return Err(Problem::invalid("storage key is not a string")),
    };
    let mut storage = StorageRef {
        key,
        elem: *elem,
        offset: 0,
        numel: usize_of(objects, *numel, "storage size")?,
    };
    // Legacy files may describe a view: (view_key, offset, size) within the root storage.
    match view.and_then(|&v| objects.get(v)) {
        None | Some(Obj::None) => {}
        Some(Obj::Tuple(view)) => match view.as_slice() {
            [_view_key, offset, numel] => {
                storage.offset = usize_of(objects, *offset, "view offset")?;
                storage.numel = usize_of(objects, *numel, "view size")?;
            }
            _ => return Err(Problem::invalid("storage view has the wrong length")),
        },
        Some(_) => return Err(Problem::invalid("storage view is not a tuple")),
    }
    Ok(storage)
}

fn usize_of(objects: &[Obj], id: Id, what: &str) -> Parsed<usize> {
    match objects.get(id) {
        Some(Obj::Int(i)) => usize::try_from(*i)
            .map_err(|_| Problem::invalid(format!("{what} {i} is negative or too large"))),
        _ => Err(Problem::invalid(format!("{what} is not an integer"))),
    }
}

fn usize_tuple(objects: &[Obj], id: Id, what: &str) -> Parsed<Vec<usize>> {
    match objects.get(id) {
        Some(Obj::Tuple(items)) => items.iter().map(|&i| usize_of(objects, i, what)).collect(),
        _ => Err(Problem::invalid(format!("tensor {what} is not a tuple"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_allow_listed_globals_resolve() {
        assert_eq!(
            resolve("collections", "OrderedDict"),
            Ok(Global::OrderedDict)
        );
        assert_eq!(
            resolve("torch", "HalfStorage"),
            Ok(Global::Storage(ElemType::F16))
        );
        for (module, name) in [
            ("os", "system"),
            ("builtins", "eval"),
            ("torch", "load"),
            ("torch._utils", "_rebuild_qtensor"),
            ("posix", "system"),
        ] {
            assert_eq!(
                resolve(module, name),
                Err(Problem::RejectedGlobal(format!("{module}.{name}")))
            );
        }
    }
}
