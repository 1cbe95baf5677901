//! Replays the checked-in seed corpus of the fuzz targets (see /fuzz/README.md) and the
//! fixtures: whatever the bytes, loading returns `Ok` or an error naming the file, never panics.
//! Inputs the fuzzer once crashed on are kept in `corpus/` as regressions.

mod common;

use std::path::Path;

use fakescope_weights::StateDict;

fn files(dir: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(dir);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect();
    files.sort();
    files
}

fn replay(name: &str, bytes: &[u8]) -> bool {
    match StateDict::load_bytes(name, bytes) {
        Ok(sd) => {
            for (key, t) in &sd.tensors {
                assert_eq!(
                    t.data.len(),
                    t.shape.iter().product::<usize>(),
                    "{name}: {key}"
                );
            }
            true
        }
        Err(err) => {
            assert!(err.to_string().starts_with(name), "{err}");
            false
        }
    }
}

#[test]
fn whole_file_seeds_never_panic() {
    let mut seen = 0;
    for dir in ["corpus/torch_file", "fixtures"] {
        for (name, bytes) in files(dir) {
            replay(&name, &bytes);
            seen += 1;
        }
    }
    assert!(seen >= 8, "only {seen} seeds found");
}

#[test]
fn pickle_seeds_never_panic() {
    let seeds = files("corpus/pickle");
    assert!(seeds.len() >= 5, "only {} seeds found", seeds.len());
    let mut loaded = 0;
    for (name, bytes) in seeds {
        // Wrapped as the main pickle of a legacy file (it has no storages, so tensors fail).
        if replay(&name, &common::legacy(&bytes)) {
            loaded += 1;
        }
    }
    assert_eq!(loaded, 0);
}
