//! Quick AASIST timing without criterion: ms per 64,600-sample window at batch 1 and 8.
//!
//! Run: `RAYON_NUM_THREADS=2 cargo run --release -p fakescope-models --example aasist_timing`
//! (needs `AASIST.pth` under `FAKESCOPE_MODELS`, default `../shared/models`). Prints the
//! load average before each measurement: time only on an idle machine.

use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::tensor::Device;
use fakescope_models::load_audio_detector;

fn main() {
    let dir = std::env::var_os("FAKESCOPE_MODELS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/models"));
    let weights = dir.join("aasist/AASIST.pth");
    if !weights.exists() {
        eprintln!("skipped: {} not found", weights.display());
        return;
    }
    let detector = load_audio_detector("aasist", &weights, &Device::flex()).expect("load");
    let window: Vec<f32> = (0..64_600)
        .map(|i| (i as f32 * 0.01).sin() * 0.5 + ((i * 7919) % 101) as f32 / 1000.0)
        .collect();
    for batch in [1usize, 8] {
        let windows: Vec<&[f32]> = (0..batch).map(|_| window.as_slice()).collect();
        detector.raw_outputs(&windows).expect("warm-up");
        let runs = if batch == 1 { 5 } else { 2 };
        let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
        let start = Instant::now();
        for _ in 0..runs {
            detector.raw_outputs(&windows).expect("run");
        }
        let ms = start.elapsed().as_secs_f64() * 1e3 / (runs * batch) as f64;
        println!(
            "batch {batch}: {ms:.1} ms / window (loadavg before: {})",
            load.trim()
        );
    }
}
