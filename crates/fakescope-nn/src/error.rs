//! The errors of weight loading.

use std::path::PathBuf;

/// Why weights could not be loaded into a layer.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading the weight file failed.
    #[error(transparent)]
    Weights(#[from] fakescope_weights::Error),
    /// A key the layer needs is absent from the file.
    #[error("{path}: no tensor named `{key}`", path = path.display())]
    Missing {
        /// The weight file.
        path: PathBuf,
        /// The full key.
        key: String,
    },
    /// A tensor has another shape than the architecture expects.
    #[error("{path}: tensor `{key}` has shape {found:?}, the model expects {expected:?}", path = path.display())]
    Shape {
        /// The weight file.
        path: PathBuf,
        /// The full key.
        key: String,
        /// The shape the architecture expects.
        expected: Vec<usize>,
        /// The shape in the file.
        found: Vec<usize>,
    },
    /// A tensor that should hold floating-point weights holds integers or booleans.
    #[error("{path}: tensor `{key}` holds {dtype:?} values, the model expects floats", path = path.display())]
    DType {
        /// The weight file.
        path: PathBuf,
        /// The full key.
        key: String,
        /// The element type in the file.
        dtype: fakescope_weights::DType,
    },
    /// Strict loading: the file holds tensors the architecture does not use (wrong model or config).
    #[error("{path}: {} tensor(s) not used by the model: {}", keys.len(), keys.join(", "), path = path.display())]
    Unused {
        /// The weight file.
        path: PathBuf,
        /// The unused keys.
        keys: Vec<String>,
    },
    /// Inference kernels were given inconsistent shapes (a bug in the caller, not bad input).
    #[error("inconsistent shapes: {0}")]
    Geometry(String),
    /// Reading tensor values back from the backend failed.
    #[error("reading `{what}` back from the backend: {message}")]
    Backend {
        /// The tensor.
        what: String,
        /// The backend's message.
        message: String,
    },
}
