//! A pickle reader that executes nothing.
//!
//! It implements the opcodes of protocols 2 to 5 that `torch.save` and ordinary Python
//! containers produce. A `GLOBAL` is looked up in a fixed allow-list
//! ([`crate::torch_objects::Global`]); anything else is rejected before it could ever be used.
//! `REDUCE` / `NEWOBJ` only *interpret* the allowed globals (building a dict or a tensor
//! description), and persistent ids only name storages. All sizes are checked against the
//! bytes present and against [`crate::Limits`] before anything is allocated.

mod machine;
mod object;

pub(crate) use machine::unpickle;
pub(crate) use object::{Id, Obj, Unpickled};
