//! Parity with upstream AASIST: the published weights on the reference inputs give the logits
//! and `last_hidden` PyTorch gave (`shared/parity/aasist*.safetensors`, made by running the
//! upstream model code on CPU), within 1e-4.
//!
//! Needs the shared folder: `FAKESCOPE_MODELS` (models) and `FAKESCOPE_SHARED` (its root),
//! else `../shared` next to the workspace. When absent, each test prints "skipped: ..." and
//! passes.

mod common;

use burn::tensor::Device;
use fakescope_models::aasist::{Aasist, Config};
use fakescope_models::{AudioDetectorName, ScoreConvention, load_audio_detector};

use common::{max_abs_diff, models_dir, reference, shared_dir};

const TOLERANCE: f32 = 1e-4;

fn check(name: AudioDetectorName, weights: &str, fixture: &str) {
    let weights = models_dir().join(weights);
    let fixture = shared_dir().join("parity").join(fixture);
    for path in [&weights, &fixture] {
        if !path.exists() {
            eprintln!("skipped: {} not found", path.display());
            return;
        }
    }
    let bytes = std::fs::read(&fixture).unwrap();
    let file = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let (shape, input) = reference(&file, "input_waveform");
    let (_, want_logits) = reference(&file, "logits");
    let (hidden_shape, want_hidden) = reference(&file, "last_hidden");
    assert_eq!(shape[0] * shape[1], input.len());
    let windows: Vec<&[f32]> = input.chunks_exact(shape[1]).collect();

    let device = Device::flex();
    let detector = load_audio_detector(name.as_str(), &weights, &device).unwrap();
    let config = match name {
        AudioDetectorName::Aasist => Config::aasist(),
        AudioDetectorName::AasistL => Config::aasist_l(),
        AudioDetectorName::AasistAsvspoof5 => Config::aasist_asvspoof5(),
    };
    let model = Aasist::load(name.as_str(), config, &weights, &device).unwrap();

    let out = model.forward(&windows).unwrap();
    assert_eq!(out.last_hidden.dims().to_vec(), hidden_shape);
    let hidden = out.last_hidden.into_data().try_to_vec::<f32>().unwrap();
    let logits = out.logits.into_data().try_to_vec::<f32>().unwrap();
    let d_logits = max_abs_diff(&logits, &want_logits);
    let d_hidden = max_abs_diff(&hidden, &want_hidden);
    eprintln!("{name}: max |Δlogits| = {d_logits:.2e}, max |Δlast_hidden| = {d_hidden:.2e}");
    assert!(
        d_logits <= TOLERANCE,
        "{name}: logits {logits:?} vs {want_logits:?}"
    );
    assert!(
        d_hidden <= TOLERANCE,
        "{name}: last_hidden differs by {d_hidden}"
    );

    // The detector contract: the same logits, and fake = softmax column 0 (spoof).
    let raw = detector.raw_outputs(&windows).unwrap();
    assert_eq!(raw.concat(), logits);
    let probabilities = detector.fake_probability(&windows).unwrap();
    assert_eq!(
        detector.info().convention,
        ScoreConvention::SoftmaxTwoClass { fake_column: 0 }
    );
    for (p, row) in probabilities.iter().zip(want_logits.chunks_exact(2)) {
        let (spoof, bona) = (f64::from(row[0]), f64::from(row[1]));
        let softmax0 = spoof.exp() / (spoof.exp() + bona.exp());
        assert!((*p - softmax0).abs() <= 1e-4, "{p} vs {softmax0}");
    }
}

#[test]
fn aasist_matches_upstream() {
    check(
        AudioDetectorName::Aasist,
        "aasist/AASIST.pth",
        "aasist.safetensors",
    );
}

#[test]
fn aasist_l_matches_upstream() {
    check(
        AudioDetectorName::AasistL,
        "aasist/AASIST-L.pth",
        "aasist_l.safetensors",
    );
}

#[test]
fn aasist_asvspoof5_matches_upstream() {
    check(
        AudioDetectorName::AasistAsvspoof5,
        "aasist-asvspoof5/best.pth",
        "aasist_asvspoof5.safetensors",
    );
}

/// The presets equal the `model_config` of the upstream `.conf` files.
#[test]
fn presets_equal_upstream_conf_files() {
    for (file, preset) in [
        ("aasist/AASIST.conf", Config::aasist()),
        ("aasist/AASIST-L.conf", Config::aasist_l()),
        (
            "aasist-asvspoof5/AASIST_ASVspoof5.conf",
            Config::aasist_asvspoof5(),
        ),
    ] {
        let path = models_dir().join(file);
        let Ok(text) = std::fs::read_to_string(&path) else {
            eprintln!("skipped: {} not found", path.display());
            continue;
        };
        let conf: serde_json::Value = serde_json::from_str(&text).unwrap();
        let parsed: Config = serde_json::from_value(conf["model_config"].clone()).unwrap();
        assert_eq!(parsed, preset, "{file}");
    }
}

/// Strict loading: a checkpoint for another config is refused with the key and both shapes.
#[test]
fn wrong_config_is_refused() {
    let weights = models_dir().join("aasist/AASIST-L.pth");
    if !weights.exists() {
        eprintln!("skipped: {} not found", weights.display());
        return;
    }
    let err = Aasist::load("aasist", Config::aasist(), &weights, &Device::flex())
        .unwrap_err()
        .to_string();
    assert!(err.contains("AASIST-L.pth: tensor `encoder.2.0"), "{err}");
    assert!(err.contains("the model expects"), "{err}");
}

#[test]
fn wrong_window_length_is_an_input_error() {
    let weights = models_dir().join("aasist/AASIST-L.pth");
    if !weights.exists() {
        eprintln!("skipped: {} not found", weights.display());
        return;
    }
    let detector = load_audio_detector("aasist-l", &weights, &Device::flex()).unwrap();
    let short = vec![0.0f32; 1000];
    let err = detector.raw_outputs(&[&short]).unwrap_err().to_string();
    assert_eq!(err, "aasist-l: window 0 has 1000 samples, expected 64600");
}
