//! What can go wrong: weights that do not load, images that are malformed or too large.

use std::path::PathBuf;

/// An error of this crate; each names what it is about.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A weight file could not be read or lacks a tensor (the inner error names the file, the
    /// key and both shapes).
    #[error(transparent)]
    Weights(#[from] fakescope_weights::Error),
    /// The weight folder lacks one of `pnet.pt`, `rnet.pt`, `onet.pt`.
    #[error("{path}: MTCNN weight file not found")]
    MissingWeights {
        /// The file looked for.
        path: PathBuf,
    },
    /// The pixel buffer does not hold `width * height * 3` bytes.
    #[error("image of {width}x{height} RGB8 needs {expected} bytes, got {found}")]
    BufferSize {
        /// Width in pixels.
        width: usize,
        /// Height in pixels.
        height: usize,
        /// `width * height * 3`.
        expected: usize,
        /// Bytes given.
        found: usize,
    },
    /// The image has more pixels than the configured limit (checked before any allocation).
    #[error("image of {width}x{height} has more pixels than the limit of {limit}")]
    TooLarge {
        /// Width in pixels.
        width: usize,
        /// Height in pixels.
        height: usize,
        /// The limit ([`crate::MtcnnOptions::max_pixels`] or the crop's).
        limit: usize,
    },
    /// An option is out of range (named with the reason).
    #[error("invalid option: {0}")]
    InvalidOption(String),
}
