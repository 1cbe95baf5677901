//! Safe readers for published model weights.
//!
//! INTERFACE STUB — the implementation is being written. The public API below is fixed:
//! other crates (fakescope-nn, fakescope-models) build against it.
#![deny(missing_docs)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The element type a tensor had in the file (values are always handed out as `f32`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DType {
    /// 16-bit IEEE float.
    F16,
    /// bfloat16.
    BF16,
    /// 32-bit float.
    F32,
    /// 64-bit float.
    F64,
    /// Integers of any width (e.g. BatchNorm's `num_batches_tracked`).
    Int,
    /// Booleans.
    Bool,
}

/// One tensor read from a weight file, converted to `f32`, contiguous, row-major.
#[derive(Debug, Clone)]
pub struct StoredTensor {
    /// Dimensions, outermost first (PyTorch order).
    pub shape: Vec<usize>,
    /// Element type in the file.
    pub dtype: DType,
    /// `shape.iter().product()` values, row-major.
    pub data: Vec<f32>,
}

/// All tensors of one weight file, by their key (e.g. `encoder.0.conv1.weight`).
#[derive(Debug, Clone)]
pub struct StateDict {
    /// The file the tensors came from (named in every error).
    pub source: PathBuf,
    /// Tensors by key.
    pub tensors: BTreeMap<String, StoredTensor>,
}

/// Why a weight file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Placeholder until the readers land.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A key the model needs is absent.
    #[error("{path}: no tensor named `{key}`")]
    MissingTensor {
        /// The file.
        path: PathBuf,
        /// The key.
        key: String,
    },
}

impl StateDict {
    /// Reads a weight file, recognising its format by content: PyTorch zip (`.pth`), the legacy
    /// (non-zip) torch serialization, or safetensors.
    pub fn load(path: &Path) -> Result<StateDict, Error> {
        Err(Error::Invalid { path: path.to_owned(), message: "not implemented yet".into() })
    }

    /// The tensor stored under `key`, or an error naming the file and the key.
    pub fn get(&self, key: &str) -> Result<&StoredTensor, Error> {
        self.tensors.get(key).ok_or_else(|| Error::MissingTensor {
            path: self.source.clone(),
            key: key.to_owned(),
        })
    }
}
