//! AASIST inference speed on CPU: one 64,600-sample window at batch 1 and batch 8.
//!
//! Run: `RAYON_NUM_THREADS=2 cargo bench -p fakescope-models --bench aasist`
//! (burn-flex runs its GEMMs and parallel loops on rayon's global pool, so
//! `RAYON_NUM_THREADS` sets its thread count; the default is one thread per logical CPU).
//! Needs `AASIST.pth` under `FAKESCOPE_MODELS` (default `../shared/models`); skips otherwise.
//! Results and method: `docs/PERFORMANCE.md`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use burn::tensor::Device;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use fakescope_models::load_audio_detector;

const SAMPLES: usize = 64_600;

fn models_dir() -> PathBuf {
    std::env::var_os("FAKESCOPE_MODELS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/models"))
}

/// A deterministic speech-like test signal (a chirp plus pseudo-random noise), in [-1, 1].
fn waveform(seed: u32) -> Vec<f32> {
    let mut state = seed;
    (0..SAMPLES)
        .map(|i| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let noise = (state >> 8) as f32 / (1u32 << 24) as f32 - 0.5;
            let t = i as f32 / 16_000.0;
            0.5 * (2.0 * std::f32::consts::PI * (200.0 + 400.0 * t) * t).sin() + 0.1 * noise
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let device = Device::flex();
    for (name, file) in [
        ("aasist", "aasist/AASIST.pth"),
        ("aasist-l", "aasist/AASIST-L.pth"),
    ] {
        let weights = models_dir().join(file);
        if !weights.exists() {
            eprintln!("skipped: {} not found", weights.display());
            continue;
        }
        let detector = load_audio_detector(name, &weights, &device).unwrap();
        let mut group = c.benchmark_group(format!("{name}_cpu"));
        group
            .sample_size(10)
            .measurement_time(Duration::from_secs(20));
        for batch in [1usize, 8] {
            let clips: Vec<Vec<f32>> = (0..batch as u32).map(waveform).collect();
            let windows: Vec<&[f32]> = clips.iter().map(Vec::as_slice).collect();
            group.throughput(Throughput::Elements(batch as u64));
            group.bench_with_input(BenchmarkId::new("batch", batch), &windows, |b, w| {
                b.iter(|| detector.raw_outputs(w).unwrap())
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
