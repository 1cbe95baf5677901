//! Parity with upstream MesoNet: the published Keras weights on the reference crops give the
//! sigmoid outputs Keras gave (`shared/parity/mesonet.safetensors`, made by running MesoNet's
//! own model definitions with Keras 3.15 on CPU: rows df00204, df01254, real00240, real00772 of
//! the upstream test images and one uniform-noise crop), within 1e-4.
//!
//! Needs the shared folder (`FAKESCOPE_MODELS`, `FAKESCOPE_SHARED`, else `../shared`); when it
//! is absent each test prints "skipped: ..." and passes.

mod common;

use burn::tensor::Device;
use fakescope_models::{FaceDetectorName, face_detector_names, load_face_detector};

use common::{models_dir, reference, shared_dir};

const TOLERANCE: f32 = 1e-4;

/// (registry name, weight file, output tensor in the fixture)
const MODELS: [(&str, &str, &str); 4] = [
    ("meso4-df", "Meso4_DF.h5", "meso4_df"),
    ("meso4-f2f", "Meso4_F2F.h5", "meso4_f2f"),
    (
        "mesoinception4-df",
        "MesoInception_DF.h5",
        "mesoinception4_df",
    ),
    (
        "mesoinception4-f2f",
        "MesoInception_F2F.h5",
        "mesoinception4_f2f",
    ),
];

#[test]
fn all_four_models_match_keras() {
    let fixture = shared_dir().join("parity/mesonet.safetensors");
    let models = models_dir().join("mesonet");
    if !fixture.is_file() || !models.is_dir() {
        eprintln!(
            "skipped: {} or {} not found",
            fixture.display(),
            models.display()
        );
        return;
    }
    let bytes = std::fs::read(&fixture).unwrap();
    let file = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let (shape, input) = reference(&file, "input_nhwc");
    assert_eq!(shape, [5, 256, 256, 3]);
    for (name, weights, output) in MODELS {
        let detector = load_face_detector(name, &models.join(weights), &Device::flex()).unwrap();
        let raw = detector.raw_outputs(&input, 5).unwrap();
        let (_, expected) = reference(&file, output);
        let got: Vec<f32> = raw.iter().map(|r| r[0]).collect();
        let max = got
            .iter()
            .zip(&expected)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        eprintln!("{name}: max |Δ| = {max:.2e} ({got:?} vs {expected:?})");
        assert!(max <= TOLERANCE, "{name}: max |Δ| {max}");
        // fake = 1 - sigmoid output
        let fake = detector.fake_probability(&input, 5).unwrap();
        for (f, r) in fake.iter().zip(&got) {
            assert!((f - (1.0 - f64::from(*r))).abs() < 1e-12);
        }
    }
}

#[test]
fn wrong_architecture_or_input_is_an_error() {
    let models = models_dir().join("mesonet");
    if !models.is_dir() {
        eprintln!("skipped: {} not found", models.display());
        return;
    }
    // Meso-4 weights into MesoInception-4: a missing tensor, named with the file.
    let err = load_face_detector(
        "mesoinception4-df",
        &models.join("Meso4_DF.h5"),
        &Device::flex(),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(err.contains("Meso4_DF.h5"), "{err}");
    let detector = FaceDetectorName::Meso4Df
        .load(&models.join("Meso4_DF.h5"), &Device::flex())
        .unwrap();
    let err = detector.raw_outputs(&[0.0; 10], 1).unwrap_err().to_string();
    assert!(err.starts_with("meso4-df: "), "{err}");
    assert_eq!(face_detector_names().count(), 4);
}

/// Throughput of each model at batch 16 and 32 (run with
/// `RAYON_NUM_THREADS=2 cargo test --release -p fakescope-models --test mesonet_parity -- --ignored --nocapture`).
#[test]
#[ignore = "timing, not a check"]
fn throughput() {
    let models = models_dir().join("mesonet");
    if !models.is_dir() {
        eprintln!("skipped: {} not found", models.display());
        return;
    }
    for (name, weights, _) in [MODELS[0], MODELS[2]] {
        let detector = load_face_detector(name, &models.join(weights), &Device::flex()).unwrap();
        for batch in [16, 32] {
            let crops: Vec<f32> = (0..batch * 256 * 256 * 3)
                .map(|i| (i % 251) as f32 / 251.0)
                .collect();
            detector.raw_outputs(&crops, batch).unwrap(); // warm-up
            let runs = 4;
            let start = std::time::Instant::now();
            for _ in 0..runs {
                detector.raw_outputs(&crops, batch).unwrap();
            }
            let secs = start.elapsed().as_secs_f64();
            eprintln!(
                "{name} batch {batch}: {:.0} crops/s",
                (runs * batch) as f64 / secs
            );
        }
    }
}
