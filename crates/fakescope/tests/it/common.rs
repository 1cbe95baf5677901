//! Helpers shared by the end-to-end tests: running the binary, finding shared material,
//! writing WAV files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// `../shared` (or `$FAKESCOPE_SHARED`), when present.
pub fn shared_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("FAKESCOPE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("../shared"));
    dir.is_dir().then_some(dir)
}

/// The directory of published weights (`$FAKESCOPE_MODELS`, else `../shared/models`), or `None`
/// after printing why the calling test is skipped.
pub fn models_dir_or_skip(test: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("FAKESCOPE_MODELS")
        .map(PathBuf::from)
        .or_else(|| shared_dir().map(|s| s.join("models")))
        .filter(|d| d.is_dir());
    if dir.is_none() {
        eprintln!(
            "skipped: {test}: no published weights (set FAKESCOPE_MODELS or provide ../shared/models)"
        );
    }
    dir
}

/// A `fakescope` command with the given models directory and no user environment leaking in.
pub fn fakescope(models_dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fakescope"));
    cmd.arg("--models-dir")
        .arg(models_dir)
        .env_remove("FAKESCOPE_MODELS")
        .env("XDG_CACHE_HOME", "/nonexistent");
    cmd
}

/// Runs and returns the output, failing the test with stderr if the process panicked.
pub fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("run fakescope");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked"),
        "fakescope panicked:\n{stderr}"
    );
    out
}

/// Fails the test unless fakescope exited with `code`, showing what it printed.
pub fn assert_exit(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Parses JSON Lines from stdout.
pub fn json_lines(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// Writes 16-bit PCM mono WAV.
pub fn write_wav(path: &Path, rate: u32, samples: &[f32]) {
    let data: Vec<u8> = samples
        .iter()
        .flat_map(|s| ((s.clamp(-1.0, 1.0) * 32767.0).round() as i16).to_le_bytes())
        .collect();
    std::fs::write(path, wav_bytes(rate, 1, &data, data.len() as u32)).unwrap();
}

/// A WAV file: header declaring `declared_data_len` bytes of 16-bit PCM, then `data`.
pub fn wav_bytes(rate: u32, channels: u16, data: &[u8], declared_data_len: u32) -> Vec<u8> {
    let mut b = Vec::with_capacity(44 + data.len());
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + declared_data_len).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&channels.to_le_bytes());
    b.extend_from_slice(&rate.to_le_bytes());
    b.extend_from_slice(&(rate * 2 * u32::from(channels)).to_le_bytes());
    b.extend_from_slice(&(2 * channels).to_le_bytes());
    b.extend_from_slice(&16u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&declared_data_len.to_le_bytes());
    b.extend_from_slice(data);
    b
}

/// A deterministic speech-like test signal: a few harmonics with a slow envelope.
pub fn tone(rate: u32, seconds: f32) -> Vec<f32> {
    let n = (rate as f32 * seconds) as usize;
    (0..n)
        .map(|i| {
            let t = i as f32 / rate as f32;
            let env = 0.5 + 0.5 * (2.0 * std::f32::consts::PI * 3.0 * t).sin();
            env * 0.3
                * ((2.0 * std::f32::consts::PI * 220.0 * t).sin()
                    + 0.5 * (2.0 * std::f32::consts::PI * 440.0 * t).sin())
        })
        .collect()
}

/// Whether a program is on PATH.
pub fn have(program: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {program}"))
        .output()
        .is_ok_and(|o| o.status.success())
}
