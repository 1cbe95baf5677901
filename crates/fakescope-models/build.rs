//! Bundles the models fakescope ships (`models/<name>/` at the workspace root: `model.toml` and
//! the weights it names) into the library, so that a release binary runs them without a
//! download. Writes `$OUT_DIR/bundled.rs`: one `Bundled` per folder, sorted by name.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"))
        .join("../../models");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut folders: Vec<PathBuf> = match std::fs::read_dir(&root) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.join("model.toml").is_file())
            .collect(),
        Err(_) => Vec::new(),
    };
    folders.sort();
    let mut code = String::from("&[\n");
    for folder in &folders {
        let card = folder.join("model.toml");
        println!("cargo:rerun-if-changed={}", card.display());
        let weights = folder.join(weights_file(&card));
        println!("cargo:rerun-if-changed={}", weights.display());
        assert!(
            weights.is_file(),
            "{}: the weights {} are missing",
            card.display(),
            weights.display()
        );
        let name = folder
            .file_name()
            .and_then(|n| n.to_str())
            .expect("a UTF-8 folder name");
        writeln!(
            code,
            "    Bundled {{ folder: {name:?}, card: include_str!({card:?}), weights: include_bytes!({weights:?}) }},",
            card = abs(&card),
            weights = abs(&weights),
        )
        .unwrap();
    }
    code.push_str("]\n");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it")).join("bundled.rs");
    std::fs::write(out, code).expect("write bundled.rs");
}

/// The `weights = "..."` line of a card (the build needs only that key, so it reads no TOML).
fn weights_file(card: &Path) -> String {
    let text = std::fs::read_to_string(card).expect("read model.toml");
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("weights"))
        .filter_map(|rest| rest.trim_start().strip_prefix('='))
        .map(|v| v.trim().trim_matches('"').to_owned())
        .next()
        .unwrap_or_else(|| panic!("{}: no `weights = \"...\"` line", card.display()))
}

fn abs(p: &Path) -> String {
    p.canonicalize()
        .expect("an existing file")
        .to_string_lossy()
        .into_owned()
}
