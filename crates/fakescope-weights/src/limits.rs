//! Bounds checked before anything is allocated, so a hostile file cannot exhaust memory.

use crate::error::{Parsed, Problem};

/// Size limits applied while reading a weight file.
///
/// The defaults fit every published checkpoint fakescope uses with a wide margin. Set only the
/// fields you need and take the rest from the default (more fields may be added):
///
/// ```
/// let limits = fakescope_weights::Limits {
///     max_file_bytes: 64 << 20,
///     ..Default::default()
/// };
/// # assert_eq!(limits.max_nesting, 64);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest file accepted, in bytes (default 2 GiB).
    pub max_file_bytes: u64,
    /// Largest number of `f32` values handed out over all tensors (default 2^30, i.e. 4 GiB).
    pub max_total_elements: u64,
    /// Largest number of objects one pickle may create (default 2^22).
    pub max_pickle_objects: usize,
    /// Largest pickle stack, including open MARKs (default 2^20).
    pub max_pickle_stack: usize,
    /// Largest number of memo entries (default 2^20).
    pub max_pickle_memo: usize,
    /// Deepest nesting of containers (dicts, lists, tuples) searched for tensors (default 64).
    pub max_nesting: usize,
    /// Most dimensions a tensor may have (default 32).
    pub max_dims: usize,
    /// Most tensors one file may hold (default 2^18).
    pub max_tensors: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 2 << 30,
            max_total_elements: 1 << 30,
            max_pickle_objects: 1 << 22,
            max_pickle_stack: 1 << 20,
            max_pickle_memo: 1 << 20,
            max_nesting: 64,
            max_dims: 32,
            max_tensors: 1 << 18,
        }
    }
}

/// Fails with a [`Problem::Limit`] when `actual > limit`.
pub(crate) fn check(what: &'static str, actual: u64, limit: u64) -> Parsed<()> {
    if actual > limit {
        Err(Problem::Limit {
            what,
            actual,
            limit,
        })
    } else {
        Ok(())
    }
}
