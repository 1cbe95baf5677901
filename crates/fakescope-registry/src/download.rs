//! Downloading one file: stream to a temporary file beside the target, hash and count
//! while streaming, and move it into place only when size and SHA-256 are right.

use std::io::{Read, Write};
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::hash::{CHUNK, to_hex};
use crate::manifest::ModelFile;
use crate::progress::Progress;

/// Downloads `url` to `target`, which must end up with `file`'s size and SHA-256.
///
/// Nothing is left at `target` (or beside it) unless the whole download is right; an
/// existing file at `target` is replaced atomically.
pub(crate) fn download(
    agent: &ureq::Agent,
    url: &str,
    file: &ModelFile,
    target: &Path,
    progress: &dyn Progress,
) -> Result<()> {
    let expected = file.size();
    // Created before the request, so an unwritable destination fails without network use.
    let mut part = create_part(target)?;

    let response = agent.get(url).call().map_err(|source| Error::Network {
        url: url.to_owned(),
        source,
    })?;
    let status = response.status().as_u16();
    if status != 200 {
        return Err(Error::HttpStatus {
            url: url.to_owned(),
            status,
        });
    }
    let announced = response
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if announced.is_some_and(|n| n != expected) {
        return Err(Error::SizeMismatch {
            url: url.to_owned(),
            expected,
            received: None,
        });
    }

    progress.start(file.path(), expected);
    let _finish = FinishOnDrop(progress);
    let mut body = response.into_body().into_reader();
    let mut hasher = Sha256::new();
    let mut received: u64 = 0;
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = match body.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            // The connection closed before the announced Content-Length.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => {
                return Err(Error::Network {
                    url: url.to_owned(),
                    source: ureq::Error::Io(e),
                });
            }
        };
        received += n as u64;
        if received > expected {
            return Err(Error::SizeMismatch {
                url: url.to_owned(),
                expected,
                received: Some(received),
            });
        }
        let chunk = buf.get(..n).unwrap_or_default();
        hasher.update(chunk);
        part.write_all(chunk)
            .map_err(|e| Error::io(part.path(), "write", e))?;
        progress.advance(n as u64);
    }
    if received != expected {
        return Err(Error::SizeMismatch {
            url: url.to_owned(),
            expected,
            received: Some(received),
        });
    }
    let actual = to_hex(hasher);
    persist_checked(part, target, file, actual, url, "move the download to")
}

/// Moves a fully written temporary file into place after checking that its SHA-256 (`actual`)
/// is the manifest's; `source` names where the bytes came from in the error, `verb` the move.
/// A refused file is dropped, so nothing is left behind.
pub(crate) fn persist_checked(
    part: tempfile::NamedTempFile,
    target: &Path,
    file: &ModelFile,
    actual: String,
    source: &str,
    verb: &'static str,
) -> Result<()> {
    if actual != file.sha256() {
        return Err(Error::ChecksumMismatch {
            url: source.to_owned(),
            expected: file.sha256().to_owned(),
            actual,
        });
    }
    part.as_file()
        .sync_all()
        .map_err(|e| Error::io(part.path(), "flush", e))?;
    part.persist(target)
        .map_err(|e| Error::io(target, verb, e.error))?;
    Ok(())
}

/// Creates the folder of `target` and an empty temporary file in it (`.fakescope-*.part`),
/// removed when dropped unless it is persisted to `target`.
pub(crate) fn create_part(target: &Path) -> Result<tempfile::NamedTempFile> {
    let parent = target.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, "create directory", e))?;
    tempfile::Builder::new()
        .prefix(".fakescope-")
        .suffix(".part")
        .tempfile_in(parent)
        .map_err(|e| Error::io(parent, "create a temporary file in", e))
}

/// Calls [`Progress::finish`] when the download ends, whichever way it ends.
pub(crate) struct FinishOnDrop<'a>(pub(crate) &'a dyn Progress);

impl Drop for FinishOnDrop<'_> {
    fn drop(&mut self) {
        self.0.finish();
    }
}
