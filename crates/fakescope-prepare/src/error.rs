//! What can go wrong while preparing one video.

use std::path::PathBuf;

/// An error while preparing one video; every variant names the file concerned.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The video cannot be opened or decoded.
    #[error("{path}: {source}")]
    Media {
        /// The video.
        path: PathBuf,
        /// Why.
        source: Box<fakescope_media::MediaError>,
    },
    /// Face detection or cropping failed on a frame.
    #[error("{path}: frame {frame}: {source}")]
    Faces {
        /// The video.
        path: PathBuf,
        /// The frame index.
        frame: u64,
        /// Why.
        source: Box<fakescope_faces::Error>,
    },
    /// An output file cannot be written or an output folder read.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A crop cannot be encoded as PNG.
    #[error("{path}: cannot write PNG: {source}")]
    Png {
        /// The PNG file.
        path: PathBuf,
        /// Why.
        source: Box<image::ImageError>,
    },
    /// A command-line option or split file is malformed.
    #[error("{0}")]
    Invalid(String),
}

impl Error {
    /// An [`Error::Io`] for `path`.
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { path, source }
    }
}
