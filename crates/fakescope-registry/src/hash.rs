//! SHA-256 of files, streamed (model files are never read into memory whole).

use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// Bytes read per step when hashing or downloading.
pub(crate) const CHUNK: usize = 64 * 1024;

/// The SHA-256 of the file at `path`, as 64 lowercase hex digits.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, "open", e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io(path, "read", e)),
        };
        hasher.update(buf.get(..n).unwrap_or_default());
    }
    Ok(to_hex(hasher))
}

/// Finishes `hasher` into 64 lowercase hex digits.
pub(crate) fn to_hex(hasher: Sha256) -> String {
    format!("{:x}", hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digests() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty");
        std::fs::write(&empty, b"").unwrap();
        assert_eq!(
            sha256_file(&empty).unwrap(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        // Larger than one chunk, so the streaming loop runs more than once.
        let big = dir.path().join("big");
        std::fs::write(&big, vec![b'a'; 1_000_000]).unwrap();
        assert_eq!(
            sha256_file(&big).unwrap(),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        );
    }

    #[test]
    fn missing_file_error_names_path() {
        let err = sha256_file(Path::new("/nonexistent/x.pth"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("/nonexistent/x.pth: cannot open"), "{err}");
    }
}
