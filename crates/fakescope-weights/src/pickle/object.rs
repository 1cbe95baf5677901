//! The objects an unpickled file is made of, kept in one arena and referred to by index, so
//! that shared and even self-referencing objects cost nothing to copy and cannot explode.

use crate::torch_objects::{Global, StorageRef, TensorRef};

/// Index of an object in [`Unpickled::objects`].
pub(crate) type Id = usize;

/// A Python value as far as state dicts need one. Containers hold [`Id`]s.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Obj {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Bytes(Vec<u8>),
    Tuple(Vec<Id>),
    List(Vec<Id>),
    /// Items in insertion order; a repeated key overrides the earlier one when read.
    Dict(Vec<(Id, Id)>),
    Set(Vec<Id>),
    /// A class or function from the allow-list (never executed: interpreted by the reader).
    Global(Global),
    /// A storage named by a persistent id.
    Storage(StorageRef),
    /// A rebuilt tensor (metadata only; its bytes are read later).
    Tensor(TensorRef),
}

impl Obj {
    /// A short name for error messages.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Obj::None => "None",
            Obj::Bool(_) => "bool",
            Obj::Int(_) => "int",
            Obj::Float(_) => "float",
            Obj::Str(_) => "str",
            Obj::Bytes(_) => "bytes",
            Obj::Tuple(_) => "tuple",
            Obj::List(_) => "list",
            Obj::Dict(_) => "dict",
            Obj::Set(_) => "set",
            Obj::Global(_) => "global",
            Obj::Storage(_) => "storage",
            Obj::Tensor(_) => "tensor",
        }
    }
}

/// The result of running one pickle: every object it made and the one it returned.
#[derive(Debug, Clone)]
pub(crate) struct Unpickled {
    /// The arena.
    pub objects: Vec<Obj>,
    /// The object the pickle's STOP returned.
    pub root: Id,
}

impl Unpickled {
    /// The object with index `id` (`None` if out of range, which the reader never produces).
    pub(crate) fn get(&self, id: Id) -> Option<&Obj> {
        self.objects.get(id)
    }

    /// The root object.
    pub(crate) fn root(&self) -> Option<&Obj> {
        self.get(self.root)
    }

    /// The string value of `id`, if it is a `str`.
    pub(crate) fn str(&self, id: Id) -> Option<&str> {
        match self.get(id) {
            Some(Obj::Str(s)) => Some(s),
            _ => None,
        }
    }
}
