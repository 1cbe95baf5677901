//! The content-addressed folder of uploads: `<root>/<first two hex digits>/<sha256>`.
//!
//! An upload is written to `<root>/tmp/<random>`, hashed as it streams in, synced, then renamed
//! to its hash, and the folder synced: a file under its hash is always complete. A crash leaves
//! at most a file in `tmp/`, which [`Blobs::open`] removes.

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::keys;

/// The upload folder.
#[derive(Debug, Clone)]
pub struct Blobs {
    root: PathBuf,
}

impl Blobs {
    /// Opens (creating) the folder and removes half-written uploads left by a crash.
    pub fn open(root: &Path) -> io::Result<Self> {
        let tmp = root.join("tmp");
        std::fs::create_dir_all(&tmp)?;
        for entry in std::fs::read_dir(&tmp)? {
            let _ = std::fs::remove_file(entry?.path());
        }
        Ok(Blobs {
            root: root.to_owned(),
        })
    }

    /// Where the upload with this hash lives; `None` for anything but 64 lowercase hex digits.
    pub fn path(&self, sha256: &str) -> Option<PathBuf> {
        let valid = sha256.len() == 64
            && sha256
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        valid.then(|| self.root.join(&sha256[..2]).join(sha256))
    }

    /// Starts writing a new upload.
    pub async fn writer(&self) -> io::Result<BlobWriter> {
        let tmp = self.root.join("tmp").join(keys::random_id(16)?);
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .await?;
        Ok(BlobWriter {
            file: Some(file),
            tmp,
            hasher: Sha256::new(),
            bytes: 0,
            root: self.root.clone(),
        })
    }

    /// Copies an upload that comes from elsewhere (a shared store) into a private temporary
    /// file, which the caller removes when done with it (two scans of one file never share
    /// it): `fill` writes the bytes and says whether it had any; they must hash to `sha256`.
    /// Returns the file, or `None` when `fill` had nothing.
    pub fn import(
        &self,
        sha256: &str,
        fill: impl FnOnce(&mut dyn std::io::Write) -> io::Result<bool>,
    ) -> io::Result<Option<PathBuf>> {
        let tmp = self.root.join("tmp").join(keys::random_id(16)?);
        struct Hashing {
            file: std::fs::File,
            hasher: Sha256,
        }
        impl std::io::Write for Hashing {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                let n = self.file.write(buf)?;
                self.hasher.update(&buf[..n]);
                Ok(n)
            }
            fn flush(&mut self) -> io::Result<()> {
                self.file.flush()
            }
        }
        let mut out = Hashing {
            file: std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)?,
            hasher: Sha256::new(),
        };
        let written = fill(&mut out).and_then(|found| {
            if !found {
                return Ok(false);
            }
            let got = keys::hex(&out.hasher.clone().finalize());
            if got != sha256 {
                return Err(io::Error::other(format!(
                    "the stored upload {sha256} reads back as {got}: it is damaged"
                )));
            }
            Ok(true)
        });
        if !matches!(written, Ok(true)) {
            let _ = std::fs::remove_file(&tmp);
        }
        Ok(written?.then_some(tmp))
    }

    /// Deletes an upload (no error when it is gone already).
    pub fn remove(&self, sha256: &str) -> io::Result<()> {
        match self.path(sha256) {
            Some(p) => match std::fs::remove_file(p) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            },
            None => Ok(()),
        }
    }

    /// Deletes every stored upload not in `keep` (uploads whose jobs were deleted while the
    /// server was down). Returns how many.
    pub fn remove_strays(&self, keep: &HashSet<String>) -> io::Result<usize> {
        let mut removed = 0;
        for dir in std::fs::read_dir(&self.root)? {
            let dir = dir?;
            if dir.file_name() == "tmp" || !dir.file_type()?.is_dir() {
                continue;
            }
            for file in std::fs::read_dir(dir.path())? {
                let file = file?;
                let name = file.file_name().to_string_lossy().into_owned();
                if !keep.contains(&name) {
                    std::fs::remove_file(file.path())?;
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }
}

/// An upload being written. Dropped without [`BlobWriter::finish`], its temporary file is
/// removed.
pub struct BlobWriter {
    file: Option<tokio::fs::File>,
    tmp: PathBuf,
    hasher: Sha256,
    bytes: u64,
    root: PathBuf,
}

impl BlobWriter {
    /// Appends a chunk.
    pub async fn write(&mut self, chunk: &[u8]) -> io::Result<()> {
        let file = self
            .file
            .as_mut()
            .ok_or_else(|| io::Error::other("closed"))?;
        file.write_all(chunk).await?;
        self.hasher.update(chunk);
        self.bytes += chunk.len() as u64;
        Ok(())
    }

    /// Bytes written so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Syncs and closes the file, which stays where it is: a private temporary file, removed
    /// when the writer is dropped (for a store that keeps the upload itself). Returns the hash,
    /// the size and the file.
    pub async fn seal(&mut self) -> io::Result<(String, u64, PathBuf)> {
        let mut file = self.file.take().ok_or_else(|| io::Error::other("closed"))?;
        file.flush().await?;
        file.sync_all().await?;
        drop(file);
        let sha = keys::hex(&std::mem::take(&mut self.hasher).finalize());
        Ok((sha, self.bytes, self.tmp.clone()))
    }

    /// Syncs the file, moves it under its hash (keeping an existing copy: same hash, same
    /// bytes) and syncs the folder. Returns the hash and the size.
    pub async fn finish(mut self) -> io::Result<(String, u64)> {
        let (sha, _, _) = self.seal().await?;
        let dir = self.root.join(&sha[..2]);
        let dest = dir.join(&sha);
        let tmp = self.tmp.clone();
        let bytes = self.bytes;
        tokio::task::spawn_blocking(move || -> io::Result<()> {
            std::fs::create_dir_all(&dir)?;
            if dest.exists() {
                std::fs::remove_file(&tmp)?;
            } else {
                std::fs::rename(&tmp, &dest)?;
                std::fs::File::open(&dir)?.sync_all()?;
            }
            Ok(())
        })
        .await
        .map_err(io::Error::other)??;
        self.tmp = PathBuf::new();
        Ok((sha, bytes))
    }
}

impl Drop for BlobWriter {
    fn drop(&mut self) {
        if !self.tmp.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn uploads_are_stored_under_their_hash() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::open(dir.path()).unwrap();
        let mut w = blobs.writer().await.unwrap();
        w.write(b"ab").await.unwrap();
        w.write(b"c").await.unwrap();
        let (sha, n) = w.finish().await.unwrap();
        assert_eq!(
            (sha.as_str(), n),
            (
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                3
            )
        );
        assert_eq!(std::fs::read(blobs.path(&sha).unwrap()).unwrap(), b"abc");
        // An abandoned upload leaves nothing behind.
        let mut w = blobs.writer().await.unwrap();
        w.write(b"half").await.unwrap();
        drop(w);
        assert_eq!(
            std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
            0
        );
        assert!(blobs.path("../etc/passwd").is_none());
        // Imported uploads are checked against their hash.
        let other = "a".repeat(64);
        let bad = blobs.import(&other, |w| w.write_all(b"abc").map(|_| true));
        assert!(bad.unwrap_err().to_string().contains("damaged"));
        assert!(blobs.import(&other, |_| Ok(false)).unwrap().is_none());
        let private = blobs.import(&sha, |w| w.write_all(b"abc").map(|_| true));
        let private = private.unwrap().unwrap();
        assert!(private.starts_with(dir.path().join("tmp")));
        assert_eq!(std::fs::read(&private).unwrap(), b"abc");
        std::fs::remove_file(private).unwrap();
        assert_eq!(
            std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
            0
        );
        assert_eq!(blobs.remove_strays(&HashSet::new()).unwrap(), 1);
    }
}
