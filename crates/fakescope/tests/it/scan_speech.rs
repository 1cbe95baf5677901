//! Real speech against synthetic speech, end to end through `fakescope scan --json`.
//!
//! Real: the 13 recordings of Debian's `pocketsphinx-testdata` (5 LibriVox sentences, 5 card
//! commands, 3 raw command recordings). Fake: espeak-ng and flite readings of the 5 LibriVox
//! sentences. Upstream AASIST scoring the first 4 s of each clip reaches AUC 0.9385 (fake positive)
//! on this set and the ASVspoof 5 baseline 0.1385 (see ../shared/README.md).
//!
//! The real recordings are the same files upstream scored, but the synthetic ones are made anew
//! here, and the reference's TTS clips were not made the same way (its parity fixture holds a
//! flite clip of 50,552 samples at 16 kHz where flite 2.2 here writes 8 kHz audio of other
//! lengths), so the AUC is compared with a tolerance: one swapped pair out of 130 moves it by
//! 0.0077. The numeric match with upstream is proven exactly by the parity tests of
//! fakescope-models.

use std::path::Path;
use std::process::Command;

use crate::common::*;

const TESTDATA: &str = "/usr/share/pocketsphinx/test/data";

/// ROC AUC with ties counted as one half (Mann-Whitney), positives = fake.
fn auc(fake: &[f64], real: &[f64]) -> f64 {
    let mut wins = 0.0;
    for f in fake {
        for r in real {
            wins += if f > r {
                1.0
            } else if f == r {
                0.5
            } else {
                0.0
            };
        }
    }
    wins / (fake.len() * real.len()) as f64
}

/// Writes the 13 real and 10 synthetic clips into `real/` and `fake/`.
fn build_set(dir: &Path) {
    let real = dir.join("real");
    let fake = dir.join("fake");
    std::fs::create_dir_all(&real).unwrap();
    std::fs::create_dir_all(&fake).unwrap();
    for sub in ["librivox", "cards"] {
        for entry in std::fs::read_dir(Path::new(TESTDATA).join(sub)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "wav") {
                let name = format!("{sub}-{}", path.file_name().unwrap().to_str().unwrap());
                std::fs::copy(&path, real.join(name)).unwrap();
            }
        }
    }
    for raw in ["goforward", "numbers", "something"] {
        // headerless 16-bit little-endian PCM at 16 kHz
        let data = std::fs::read(Path::new(TESTDATA).join(format!("{raw}.raw"))).unwrap();
        std::fs::write(
            real.join(format!("{raw}.wav")),
            wav_bytes(16_000, 1, &data, data.len() as u32),
        )
        .unwrap();
    }
    let transcription =
        std::fs::read_to_string(Path::new(TESTDATA).join("librivox/transcription")).unwrap();
    for (i, line) in transcription.lines().enumerate() {
        let text = line.replace("<s>", "").replace("</s>", "");
        let text = text.split('(').next().unwrap().trim();
        let espeak = fake.join(format!("espeak-{i}.wav"));
        let flite = fake.join(format!("flite-{i}.wav"));
        assert!(
            Command::new("espeak-ng")
                .arg("-w")
                .arg(&espeak)
                .arg(text)
                .status()
                .unwrap()
                .success()
        );
        assert!(
            Command::new("flite")
                .arg("-t")
                .arg(text)
                .arg("-o")
                .arg(&flite)
                .status()
                .unwrap()
                .success()
        );
    }
    assert_eq!(std::fs::read_dir(&real).unwrap().count(), 13);
    assert_eq!(std::fs::read_dir(&fake).unwrap().count(), 10);
}

#[test]
fn aasist_separates_real_from_synthetic_speech_like_upstream() {
    let Some(models) =
        models_dir_or_skip("aasist_separates_real_from_synthetic_speech_like_upstream")
    else {
        return;
    };
    if !(Path::new(TESTDATA).is_dir() && have("espeak-ng") && have("flite")) {
        eprintln!(
            "skipped: aasist_separates_real_from_synthetic_speech_like_upstream: needs pocketsphinx-testdata, espeak-ng and flite (scripts/install-deps)"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    build_set(dir.path());
    let out = run(fakescope(&models)
        .args([
            "scan",
            "--json",
            "--first-window",
            "--detector",
            "aasist",
            "--detector",
            "aasist-asvspoof5",
        ])
        .arg(dir.path()));
    assert_exit(&out, 0);

    let (mut fake, mut real) = ([Vec::new(), Vec::new()], [Vec::new(), Vec::new()]);
    for r in json_lines(&out) {
        let is_fake = r["path"].as_str().unwrap().contains("/fake/");
        for (i, d) in r["detectors"].as_array().unwrap().iter().enumerate() {
            let p = d["fake_probability"].as_f64().unwrap();
            if is_fake {
                fake[i].push(p)
            } else {
                real[i].push(p)
            }
        }
    }
    let aasist = auc(&fake[0], &real[0]);
    let asvspoof5 = auc(&fake[1], &real[1]);
    eprintln!(
        "AUC aasist {aasist:.4} (upstream 0.9385), aasist-asvspoof5 {asvspoof5:.4} (upstream 0.1385)"
    );
    assert!((aasist - 0.9385).abs() <= 0.016, "aasist AUC {aasist}");
    // The ASVspoof 5 baseline calls all of this speech bona fide (every probability < 1e-3), so
    // its AUC is decided by tiny differences; what must hold is that it ranks worse than chance.
    assert!(asvspoof5 < 0.35, "aasist-asvspoof5 AUC {asvspoof5}");
}
