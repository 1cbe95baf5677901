//! The training engine on speech, end to end on a tiny synthetic set (16 kHz WAV files written
//! by the test): unreadable, missing and silent clips are counted in the notes, a run stopped
//! and resumed equals an uninterrupted one, and the exported LFCC-LCNN folder runs as an audio
//! detector with its calibration.

use std::path::{Path, PathBuf};

use fakescope_models::AudioDetector;
use fakescope_models::lcnn::Lcnn;
use fakescope_train::data::TrainData;
use fakescope_train::speech::SpeechData;
use fakescope_train::{Recipe, RunOptions};

/// A 16-bit mono PCM WAV file.
fn write_wav(path: &Path, samples: &[f32]) {
    let data_len = (samples.len() * 2) as u32;
    let mut bytes = Vec::with_capacity(44 + samples.len() * 2);
    bytes.extend_from_slice(b"RIFF");
    bytes.extend_from_slice(&(36 + data_len).to_le_bytes());
    bytes.extend_from_slice(b"WAVEfmt ");
    bytes.extend_from_slice(&16u32.to_le_bytes());
    bytes.extend_from_slice(&1u16.to_le_bytes()); // PCM
    bytes.extend_from_slice(&1u16.to_le_bytes()); // mono
    bytes.extend_from_slice(&16_000u32.to_le_bytes());
    bytes.extend_from_slice(&32_000u32.to_le_bytes());
    bytes.extend_from_slice(&2u16.to_le_bytes());
    bytes.extend_from_slice(&16u16.to_le_bytes());
    bytes.extend_from_slice(b"data");
    bytes.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        bytes.extend_from_slice(&((s.clamp(-1.0, 1.0) * 32_767.0) as i16).to_le_bytes());
    }
    std::fs::write(path, bytes).unwrap();
}

/// "Real" clips are voiced (a harmonic series at a wobbling pitch), "fake" ones the same with
/// a buzzy, perfectly periodic excitation; 0.2 s of silence at each end.
fn clip(i: u32, fake: bool) -> Vec<f32> {
    let len = 12_000 + (i as usize % 5) * 1_000;
    let f0 = 110.0 + 10.0 * i as f32;
    let mut out = vec![0.0f32; 3_200];
    out.extend((0..len).map(|n| {
        let t = n as f32 / 16_000.0;
        let pitch = if fake {
            f0
        } else {
            f0 * (1.0 + 0.03 * (t * 5.0).sin())
        };
        let mut v = 0.0;
        for h in 1..8 {
            let amp = if fake {
                0.5 / h as f32
            } else {
                0.5 / (h * h) as f32
            };
            v += amp * (std::f32::consts::TAU * pitch * h as f32 * t).sin();
        }
        0.4 * v * (std::f32::consts::PI * n as f32 / len as f32).sin()
    }));
    out.extend(vec![0.0f32; 3_200]);
    out
}

fn synthetic_set(dir: &Path) -> PathBuf {
    let mut rows = String::from("path,label,split,source,generator,speaker\n");
    for i in 0..16u32 {
        for fake in [false, true] {
            let name = format!("{}{i:02}.wav", if fake { "fake" } else { "real" });
            write_wav(&dir.join(&name), &clip(i, fake));
            let split = if i < 12 { "train" } else { "val" };
            let (label, source, generator) = if fake {
                ("fake", if i % 2 == 0 { "tts_a" } else { "tts_b" }, "buzz")
            } else {
                ("real", "studio", "bonafide")
            };
            rows.push_str(&format!(
                "{name},{label},{split},{source},{generator},s{i}\n"
            ));
        }
    }
    // never opened: held out
    rows.push_str("missing_heldout.wav,fake,heldout,tts_c,x,s99\n");
    // counted and left out
    std::fs::write(dir.join("corrupt.wav"), b"RIFF\x10\x00\x00\x00WAVEjunk").unwrap();
    rows.push_str("corrupt.wav,real,train,studio,bonafide,s50\n");
    rows.push_str("missing.wav,fake,train,tts_a,buzz,s51\n");
    write_wav(&dir.join("silent.wav"), &[0.0; 8_000]);
    rows.push_str("silent.wav,real,train,studio,bonafide,s52\n");
    let manifest = dir.join("manifest.csv");
    std::fs::write(&manifest, rows).unwrap();
    manifest
}

fn recipe(manifest: &Path) -> Recipe {
    recipe_with(manifest, "")
}

/// The test recipe with more `[audio]` keys.
fn recipe_with(manifest: &Path, audio: &str) -> Recipe {
    let text = format!(
        r#"
name = "tiny-lcnn"
description = "test"
task = "speech"
seed = 3
[model]
arch = "lcnn"
init = "none"
[[data.sets]]
path = "{}"
[audio]
window_s = 0.5
val_windows = 2
{audio}
[audio.augment]
codec = {{ p = 0.0 }}
reverb = {{ p = 0.3 }}
[optim]
optimizer = "adamw"
lr = 0.001
batch_size = 4
epochs = 1
warmup_steps = 1
clip_grad_norm = 5.0
[validation]
every_steps = 2
max_units = 0
patience = 0
[checkpoint]
every_steps = 1
keep = 2
"#,
        manifest.display()
    );
    Recipe::parse(&text, Path::new("tiny.toml")).unwrap()
}

fn run(recipe: &Recipe, data: &SpeechData, dir: &Path, stop_after: Option<usize>) -> usize {
    let opts = RunOptions {
        run_dir: dir.to_owned(),
        backbone: None,
        restart: false,
        quiet: true,
        stop_after,
    };
    fakescope_train::train::<Lcnn, SpeechData>(recipe, data, &opts)
        .unwrap()
        .steps
}

#[test]
fn speech_training_resumes_exactly_and_exports_an_audio_detector() {
    let tmp = tempfile::tempdir().unwrap();
    let manifest = synthetic_set(tmp.path());
    let r = recipe(&manifest);
    let data =
        SpeechData::prepare(&r, Path::new("."), &tmp.path().join("cache"), &|_, _, _| {}).unwrap();
    assert_eq!((data.train.len(), data.val.len()), (24, 8));
    let notes = data.notes().join("\n");
    assert!(
        notes.contains("train: 2 unreadable clips left out"),
        "{notes}"
    );
    assert!(notes.contains("train: 1 silent clips left out"), "{notes}");
    // trimming took the silence off both ends, the same for both classes
    let kept = &data.train[0].kept;
    assert!((3_100..=3_200).contains(&kept.start), "{kept:?}");

    // a training batch alternates real and fake rows; the same (seed, epoch, units) give the
    // same batch
    let b1 = data.train_batch(&[5, 9, 1, 3], 3, 0).unwrap();
    assert_eq!(b1.labels, vec![0.0, 1.0, 0.0, 1.0]);
    assert_eq!(b1.shape, [4, 1, 49, 60]);
    assert_eq!(b1, data.train_batch(&[5, 9, 1, 3], 3, 0).unwrap());
    // validation: at most two windows a clip, one item per clip
    let v = data.val_batch(&[0, 1], 3).unwrap();
    assert_eq!(v.items.iter().filter(|&&i| i == 0).count(), 2);

    let whole = tmp.path().join("whole");
    assert_eq!(run(&r, &data, &whole, None), 6);
    let parts = tmp.path().join("parts");
    assert_eq!(run(&r, &data, &parts, Some(4)), 4);
    assert_eq!(run(&r, &data, &parts, None), 6);
    let read = |dir: &Path, file: &str| std::fs::read(dir.join(file)).unwrap();
    let a = fakescope_train::export::export::<Lcnn>(&r, &whole).unwrap();
    let b = fakescope_train::export::export::<Lcnn>(&r, &parts).unwrap();
    assert_eq!(read(&a, "model.safetensors"), read(&b, "model.safetensors"));

    let card = fakescope_models::trained::ModelCard::read(&a).unwrap();
    assert_eq!(card.task, "speech");
    assert_eq!(card.window_samples, Some(8_000));
    let readme = String::from_utf8(read(&a, "README.md")).unwrap();
    assert!(
        readme.contains("clips (each the mean of its windows)"),
        "{readme}"
    );

    let device = burn::tensor::Device::flex();
    let detector = match fakescope_models::trained::Trained::load(&a, &device).unwrap() {
        fakescope_models::trained::Trained::Audio(d) => d,
        _ => panic!("a speech model loaded as another kind"),
    };
    assert_eq!(detector.info().name, "tiny-lcnn");
    let window: Vec<f32> = clip(3, true)[..8_000].to_vec();
    let p = detector.fake_probability(&[&window, &window]).unwrap();
    assert_eq!(p.len(), 2);
    assert!(p.iter().all(|v| (0.0..=1.0).contains(v)));
    assert_eq!(p[0], p[1]);
    let short = vec![0.0f32; 100];
    let err = detector
        .fake_probability(&[&short])
        .unwrap_err()
        .to_string();
    assert!(err.contains("100 samples"), "{err}");
}

#[test]
fn clips_shorter_than_min_duration_are_left_out_of_both_splits_and_counted() {
    let tmp = tempfile::tempdir().unwrap();
    let manifest = synthetic_set(tmp.path());
    // the clips have 0.75 to 1.0 s of sound: 12,000 samples when i % 5 == 0
    let r = recipe_with(&manifest, "min_duration_s = 0.8");
    let data =
        SpeechData::prepare(&r, Path::new("."), &tmp.path().join("cache"), &|_, _, _| {}).unwrap();
    // train: i = 0, 5, 10 of each class; val: i = 15
    assert_eq!((data.train.len(), data.val.len()), (18, 6));
    assert!(data.train.iter().all(|c| c.kept.len() >= 12_800));
    let notes = data.notes().join("\n");
    assert!(
        notes.contains(
            "train: 3 real and 3 fake clips shorter than min_duration_s = 0.8 s left out"
        ),
        "{notes}"
    );
    assert!(
        notes.contains("val: 1 real and 1 fake clips shorter than min_duration_s = 0.8 s left out"),
        "{notes}"
    );
    // and the recipe that keeps every clip serialises as before (its digest is unchanged)
    assert!(
        !toml::to_string(&recipe(&manifest))
            .unwrap()
            .contains("min_duration_s")
    );
}

#[test]
fn speech_recipes_refuse_what_does_not_apply() {
    let bad = |extra: &str, arch: &str| {
        let text = format!(
            "name = \"x\"\ntask = \"speech\"\n[model]\narch = \"{arch}\"\ninit = \"none\"\n[[data.sets]]\npath = \"m.csv\"\n[optim]\noptimizer = \"adamw\"\nlr = 0.001\nbatch_size = 4\nepochs = 1\n{extra}"
        );
        Recipe::parse(&text, Path::new("r.toml"))
            .unwrap_err()
            .to_string()
    };
    assert!(bad("", "efficientnet-lite0").contains("unknown speech architecture"));
    assert!(bad("[augment.jpeg]\np = 0.7\n", "lcnn").contains("[audio.augment]"));
    assert!(bad("[audio]\nwindow_s = 0.1\n", "lcnn").contains("audio.window_s"));
    assert!(bad("[audio.augment.codec]\nkbps = [64, 16]\n", "lcnn").contains("augment.codec.kbps"));
    assert!(bad("[audio]\nwindowz = 1\n", "lcnn").contains("windowz"));
}
