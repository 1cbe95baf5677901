//! Safe readers for published model weights.
//!
//! Detectors are published as PyTorch checkpoints, which are Python pickles: loading one with
//! Python's `pickle` runs whatever the file asks for. This crate reads them without executing
//! anything, and also reads safetensors files.
//!
//! # Overview
//!
//! - [`StateDict::load`] reads a weight file and returns every tensor by key, converted to
//!   contiguous row-major `f32` ([`StoredTensor`]), whatever the element type in the file
//!   ([`DType`]: half, bfloat16, float, double, integers, bool → 0/1).
//! - The format is recognised by content ([`Format::sniff`]), never by file name:
//!   - **PyTorch zip** (`torch.save` since 1.6): `<folder>/data.pkl` plus one entry per storage;
//!   - **legacy torch** (before 1.6, e.g. MTCNN's `pnet.pt`): pickles and raw storages in a row;
//!   - **safetensors**;
//!   - **HDF5** as Keras writes it (`.h5` weights, e.g. MesoNet): tensors are named by their
//!     Keras weight name (`conv2d_5/kernel:0`) with their HDF5 shape (kernels HWIO); see
//!     [`Format::Hdf5`] for the subset of HDF5 that is read.
//! - [`StateDict::get`] and [`StateDict::get_shaped`] fetch a tensor, with errors that name the
//!   file, the key and (for the latter) both shapes.
//! - [`Limits`] bounds everything a file could make the reader allocate; [`StateDict::load_bytes`]
//!   reads from memory.
//!
//! # The pickle reader
//!
//! It implements the opcodes of pickle protocols 2 to 5 and accepts only these globals:
//! `collections.OrderedDict`, `torch._utils._rebuild_tensor_v2`, `torch._utils._rebuild_tensor`,
//! `torch._utils._rebuild_parameter`, `torch._utils._rebuild_parameter_with_state`, and the
//! storage types `torch.{Float,Double,Half,BFloat16,Long,Int,Short,Char,Byte,Bool}Storage`.
//! Any other global (`os.system`, `builtins.eval`, ...) fails with [`Error::RejectedGlobal`]
//! before it could be used. Calls are interpreted (an `OrderedDict()` becomes a dict, a rebuild
//! call becomes a tensor description), never executed.
//!
//! Tensors may be non-contiguous (any non-negative strides, a storage offset, several tensors
//! sharing one storage): they are copied out in row-major order. Every size the file claims is
//! checked against the bytes actually present before allocating.
//!
//! # Which tensors are exposed
//!
//! 1. If the pickled object is a dict with an entry `state_dict`, `model_state_dict` or `model`
//!    (first match in that order) whose value is a dict holding tensors, only that dict is used,
//!    with its own keys: a checkpoint `{'epoch': 3, 'model': sd, 'optimizer': ...}` gives
//!    exactly the tensors of `sd`.
//! 2. Otherwise every tensor reachable from the pickled object is exposed.
//!
//! Nested dicts, lists and tuples are searched and their keys joined with `.`
//! (`{'a': {'b': t}}` gives `a.b`; list items by index). Non-tensor values are skipped. A file
//! without any tensor is an error. The `_metadata` attribute torch attaches to state dicts is
//! ignored.
//!
//! # Example
//!
//! ```
//! use fakescope_weights::{DType, StateDict};
//!
//! // A tiny safetensors file: one f32 tensor `bias` of shape [2].
//! let header = br#"{"bias":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#;
//! let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
//! bytes.extend_from_slice(header);
//! bytes.extend([1.5f32, -2.0].iter().flat_map(|v| v.to_le_bytes()));
//!
//! let weights = StateDict::load_bytes("tiny.safetensors", &bytes)?;
//! let bias = weights.get_shaped("bias", &[2])?;
//! assert_eq!(bias.dtype, DType::F32);
//! assert_eq!(bias.data, vec![1.5, -2.0]);
//!
//! // Errors name the file and the key.
//! let missing = weights.get("conv1.weight").unwrap_err();
//! assert_eq!(missing.to_string(), "tiny.safetensors: no tensor named `conv1.weight`");
//! # Ok::<(), fakescope_weights::Error>(())
//! ```
//!
//! Reading a file from disk is `StateDict::load(Path::new("AASIST.pth"))`.
#![deny(missing_docs)]

mod collect;
mod cursor;
mod elements;
mod error;
mod format;
mod hdf5;
mod layout;
mod limits;
mod materialize;
mod pickle;
mod safetensors;
mod torch_legacy;
mod torch_objects;
mod torch_zip;
mod zip;

#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

pub use error::Error;
pub use format::Format;
pub use limits::Limits;

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

impl StateDict {
    /// Reads a weight file, recognising its format by content: PyTorch zip (`.pth`), the legacy
    /// (non-zip) torch serialization, safetensors, or Keras HDF5 (`.h5`). Uses the default [`Limits`].
    pub fn load(path: &Path) -> Result<StateDict, Error> {
        StateDict::load_with_limits(path, &Limits::default())
    }

    /// [`StateDict::load`] with explicit limits.
    pub fn load_with_limits(path: &Path, limits: &Limits) -> Result<StateDict, Error> {
        let bytes = read_bounded(path, limits.max_file_bytes)?;
        StateDict::load_bytes_with_limits(path, &bytes, limits)
    }

    /// Reads a weight file already in memory; `name` is only used in errors.
    pub fn load_bytes(name: impl AsRef<Path>, bytes: &[u8]) -> Result<StateDict, Error> {
        StateDict::load_bytes_with_limits(name, bytes, &Limits::default())
    }

    /// [`StateDict::load_bytes`] with explicit limits.
    pub fn load_bytes_with_limits(
        name: impl AsRef<Path>,
        bytes: &[u8],
        limits: &Limits,
    ) -> Result<StateDict, Error> {
        let source = name.as_ref().to_owned();
        let in_file = |p: error::Problem| p.in_file(source.clone());
        limits::check(
            "file size in bytes",
            bytes.len() as u64,
            limits.max_file_bytes,
        )
        .map_err(in_file)?;
        let tensors = match Format::sniff(bytes) {
            Some(Format::TorchZip) => torch_zip::read(bytes, limits),
            Some(Format::TorchLegacy) => torch_legacy::read(bytes, limits),
            Some(Format::Safetensors) => safetensors::read(bytes, limits),
            Some(Format::Hdf5) => hdf5::read(bytes, limits),
            None => return Err(Error::UnknownFormat { path: source }),
        }
        .map_err(in_file)?;
        Ok(StateDict { source, tensors })
    }

    /// The tensor stored under `key`, or an error naming the file and the key.
    pub fn get(&self, key: &str) -> Result<&StoredTensor, Error> {
        self.tensors.get(key).ok_or_else(|| Error::MissingTensor {
            path: self.source.clone(),
            key: key.to_owned(),
        })
    }

    /// The tensor stored under `key`, which must have shape `shape`; the error names the file,
    /// the key and both shapes.
    pub fn get_shaped(&self, key: &str, shape: &[usize]) -> Result<&StoredTensor, Error> {
        let tensor = self.get(key)?;
        if tensor.shape != shape {
            return Err(Error::ShapeMismatch {
                path: self.source.clone(),
                key: key.to_owned(),
                expected: shape.to_vec(),
                found: tensor.shape.clone(),
            });
        }
        Ok(tensor)
    }

    /// Number of tensors.
    pub fn len(&self) -> usize {
        self.tensors.len()
    }

    /// Whether there are no tensors.
    pub fn is_empty(&self) -> bool {
        self.tensors.is_empty()
    }
}

/// Reads the whole file, refusing (before reading) one larger than `limit` bytes.
fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, Error> {
    let io = |source| Error::Io {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    let too_large = |actual| Error::LimitExceeded {
        path: path.to_owned(),
        what: "file size in bytes",
        actual,
        limit,
    };
    if size > limit {
        return Err(too_large(size));
    }
    // The size may change while reading: never read more than the limit allows.
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}
