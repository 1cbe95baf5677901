//! Which tensors of an unpickled object become the state dict, and under which keys.
//!
//! The rule (also in the crate documentation):
//! 1. If the top-level object is a dict with an entry `state_dict`, `model_state_dict` or
//!    `model` (first match in that order) whose value is a dict holding at least one tensor
//!    directly, only that dict is used: a training checkpoint `{'epoch': 3, 'model': sd,
//!    'optimizer': ...}` yields exactly the model's tensors, with the keys of `sd`.
//! 2. Otherwise tensors are taken from the whole top-level object.
//!
//! Within the chosen object, dicts, lists and tuples are searched; keys are joined with `.`
//! (`{'a': {'b': t}}` → `a.b`, list items by index). Dict keys that are neither strings nor
//! integers, and non-tensor values (numbers, strings, None), are skipped. A repeated key keeps the
//! last value, as Python would. A bare tensor at the top level gets the empty key. Shared or
//! self-referencing containers are searched once; nesting deeper than
//! [`Limits::max_nesting`], keys longer than 1024 bytes or more than [`Limits::max_tensors`]
//! tensors are errors.

use std::collections::{BTreeMap, HashSet};

use crate::Limits;
use crate::error::{Parsed, Problem};
use crate::limits::check;
use crate::pickle::{Id, Obj, Unpickled};
use crate::torch_objects::TensorRef;

/// Entries of the top-level dict that hold the model's state dict, most specific first.
const WRAPPER_KEYS: [&str; 3] = ["state_dict", "model_state_dict", "model"];

/// Longest tensor key accepted, in bytes (real keys are well under 200).
const MAX_KEY_LEN: usize = 1024;

/// Applies the rule above; fails if no tensor is found.
pub(crate) fn tensors(pickle: &Unpickled, limits: &Limits) -> Parsed<BTreeMap<String, TensorRef>> {
    let start = wrapped_state_dict(pickle).unwrap_or(pickle.root);
    let mut walk = Walk {
        pickle,
        max_depth: limits.max_nesting,
        max_tensors: limits.max_tensors,
        visited: HashSet::new(),
        found: BTreeMap::new(),
    };
    walk.visit(start, String::new(), 0)?;
    if walk.found.is_empty() {
        let kind = pickle.root().map_or("nothing", Obj::kind);
        return Err(Problem::invalid(format!(
            "no tensors found (the pickled object is a {kind})"
        )));
    }
    Ok(walk.found)
}

/// Rule 1: the value of a wrapper key, if it is a dict with a tensor among its values.
fn wrapped_state_dict(pickle: &Unpickled) -> Option<Id> {
    let Some(Obj::Dict(items)) = pickle.root() else {
        return None;
    };
    WRAPPER_KEYS.iter().find_map(|&wanted| {
        items
            .iter()
            .rev() // the last occurrence of a key wins
            .find(|&&(k, _)| pickle.str(k) == Some(wanted))
            .map(|&(_, v)| v)
            .filter(|&v| holds_tensor(pickle, v))
    })
}

fn holds_tensor(pickle: &Unpickled, id: Id) -> bool {
    match pickle.get(id) {
        Some(Obj::Dict(items)) => items
            .iter()
            .any(|&(_, v)| matches!(pickle.get(v), Some(Obj::Tensor(_)))),
        _ => false,
    }
}

struct Walk<'a> {
    pickle: &'a Unpickled,
    max_depth: usize,
    max_tensors: usize,
    /// Containers already searched: shared or cyclic structures are searched once.
    visited: HashSet<Id>,
    found: BTreeMap<String, TensorRef>,
}

impl<'a> Walk<'a> {
    fn visit(&mut self, id: Id, key: String, depth: usize) -> Parsed<()> {
        let pickle: &'a Unpickled = self.pickle;
        match pickle.get(id) {
            Some(Obj::Tensor(tensor)) => {
                check(
                    "number of tensors",
                    self.found.len() as u64 + 1,
                    self.max_tensors as u64,
                )?;
                self.found.insert(key, tensor.clone());
                Ok(())
            }
            Some(Obj::Dict(items)) => {
                if !self.enter(id, depth)? {
                    return Ok(());
                }
                for &(k, v) in items {
                    let name = match pickle.get(k) {
                        Some(Obj::Str(s)) => s.clone(),
                        Some(Obj::Int(i)) => i.to_string(),
                        _ => continue,
                    };
                    self.visit(v, join(&key, &name)?, depth + 1)?;
                }
                Ok(())
            }
            Some(Obj::List(items) | Obj::Tuple(items)) => {
                if !self.enter(id, depth)? {
                    return Ok(());
                }
                for (i, &v) in items.iter().enumerate() {
                    self.visit(v, join(&key, &i.to_string())?, depth + 1)?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Whether to search container `id` (not yet searched), failing when nested too deep.
    fn enter(&mut self, id: Id, depth: usize) -> Parsed<bool> {
        check(
            "container nesting depth",
            depth as u64 + 1,
            self.max_depth as u64,
        )?;
        Ok(self.visited.insert(id))
    }
}

/// `prefix.name`, or `name` at the top level; keys are bounded in length.
fn join(prefix: &str, name: &str) -> Parsed<String> {
    let key = if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    };
    check("tensor key length", key.len() as u64, MAX_KEY_LEN as u64)?;
    Ok(key)
}
