//! Entry points for the fuzz targets (feature `fuzzing`; not part of the stable API).

use crate::{Limits, pickle};

/// Limits small enough that a fuzzer's memory cap is never the first thing to fail.
pub fn fuzz_limits() -> Limits {
    Limits {
        max_file_bytes: 1 << 20,
        max_total_elements: 1 << 20,
        max_pickle_objects: 1 << 16,
        max_pickle_stack: 1 << 14,
        max_pickle_memo: 1 << 14,
        ..Limits::default()
    }
}

/// Runs raw pickle bytes through the unpickler and the tensor selection; returns the number of
/// tensors described, or the error message.
pub fn unpickle(bytes: &[u8]) -> Result<usize, String> {
    let limits = fuzz_limits();
    let (unpickled, used) = pickle::unpickle(bytes, &limits).map_err(|p| format!("{p:?}"))?;
    assert!(used <= bytes.len());
    crate::collect::tensors(&unpickled, &limits)
        .map(|t| t.len())
        .map_err(|p| format!("{p:?}"))
}
