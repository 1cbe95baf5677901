//! Opening a media file: checks done before any decoder sees it (regular file, not empty, within
//! the byte limit) and content sniffing of the opened file.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::error::MediaError;
use crate::isobmff;
use crate::sniff::{AudioFormat, MediaKind, SNIFF_LEN, VideoFormat, sniff};

/// An opened, checked and sniffed media file, positioned at its start.
#[derive(Debug)]
pub(crate) struct Source {
    pub(crate) path: PathBuf,
    pub(crate) file: File,
    pub(crate) len: u64,
    pub(crate) kind: MediaKind,
    /// The container's own structure says the file is shorter than it should be (ISO-BMFF
    /// boxes running past the end); decoders report a failure as truncation then.
    pub(crate) cut_short: bool,
}

impl Source {
    /// Opens `path`, refusing directories, empty files and files over `max_bytes`, then sniffs it.
    pub(crate) fn open(path: &Path, max_bytes: u64) -> Result<Source, MediaError> {
        let io_err = |source| MediaError::Io {
            path: path.to_path_buf(),
            source,
        };
        let meta = std::fs::metadata(path).map_err(io_err)?;
        if !meta.is_file() {
            return Err(MediaError::NotAFile {
                path: path.to_path_buf(),
            });
        }
        let len = meta.len();
        if len == 0 {
            return Err(MediaError::Empty {
                path: path.to_path_buf(),
            });
        }
        if len > max_bytes {
            return Err(MediaError::FileTooLarge {
                path: path.to_path_buf(),
                bytes: len,
                limit: max_bytes,
            });
        }
        let mut file = File::open(path).map_err(io_err)?;
        let mut prefix =
            Vec::with_capacity(SNIFF_LEN.min(usize::try_from(len).unwrap_or(SNIFF_LEN)));
        file.by_ref()
            .take(SNIFF_LEN as u64)
            .read_to_end(&mut prefix)
            .map_err(io_err)?;
        if prefix.is_empty() {
            // The size changed between stat and read (or a special file reporting a size).
            return Err(MediaError::Empty {
                path: path.to_path_buf(),
            });
        }
        let mut kind = sniff(&prefix);
        let is_isobmff = matches!(
            kind,
            MediaKind::Audio(AudioFormat::M4a)
                | MediaKind::Video(VideoFormat::Mp4 | VideoFormat::QuickTime)
        );
        let mut cut_short = false;
        if is_isobmff && (prefix.len() as u64) < len {
            kind = isobmff::refine_from_file(&mut file, kind);
        }
        if is_isobmff {
            cut_short = isobmff::is_cut_short(&mut file);
        }
        file.seek(SeekFrom::Start(0)).map_err(io_err)?;
        Ok(Source {
            path: path.to_path_buf(),
            file,
            len,
            kind,
            cut_short,
        })
    }
}

/// Sniffs the file at `path` by content (see [`sniff`] for the rules; ISO-BMFF files are
/// classified by their tracks even when `moov` sits at the end of the file).
///
/// # Errors
/// [`MediaError::Io`] when the file cannot be opened or read, [`MediaError::NotAFile`] for a
/// directory, [`MediaError::Empty`] for a zero-byte file. Unknown content is not an error here:
/// it returns [`MediaKind::Unknown`].
pub fn sniff_file(path: impl AsRef<Path>) -> Result<MediaKind, MediaError> {
    Source::open(path.as_ref(), u64::MAX).map(|s| s.kind)
}
