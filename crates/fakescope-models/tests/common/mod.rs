//! Helpers shared by the parity tests: where the shared material is, and reading reference
//! tensors.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// `$FAKESCOPE_SHARED`, else `../shared` next to the repository.
pub fn shared_dir() -> PathBuf {
    std::env::var_os("FAKESCOPE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
}

/// `$FAKESCOPE_MODELS`, else the shared `models` folder.
pub fn models_dir() -> PathBuf {
    std::env::var_os("FAKESCOPE_MODELS")
        .map(PathBuf::from)
        .unwrap_or_else(|| shared_dir().join("models"))
}

/// A tensor of the reference file: (shape, f32 values).
pub fn reference(file: &safetensors::SafeTensors, name: &str) -> (Vec<usize>, Vec<f32>) {
    let view = file.tensor(name).unwrap();
    assert_eq!(view.dtype(), safetensors::Dtype::F32, "{name}");
    let values = view
        .data()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    (view.shape().to_vec(), values)
}

/// Largest absolute difference of two equally long slices.
pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}
