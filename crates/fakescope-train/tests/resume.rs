//! The training engine end to end on a tiny synthetic face set (self-blended images from a
//! fixed landmark finder, a randomly initialised EfficientNet-Lite0 at 32 px): a run stopped
//! after some steps and resumed gives exactly the weights and log of an uninterrupted run, a
//! different seed gives different weights, and a checkpoint of another recipe is refused.

use std::path::{Path, PathBuf};

use fakescope_models::efficientnet_lite::EfficientNetLite;
use fakescope_train::face::{FaceData, LandmarkFinder, Landmarks};
use fakescope_train::{Recipe, RunOptions};
use image::RgbImage;

/// Every face of the synthetic set has its features at the same place.
struct FixedLandmarks;

impl LandmarkFinder for FixedLandmarks {
    fn landmarks(&self, _: &RgbImage) -> Option<Landmarks> {
        Some([
            [20.0, 24.0],
            [44.0, 24.0],
            [32.0, 36.0],
            [23.0, 46.0],
            [41.0, 46.0],
        ])
    }
}

/// 12 train and 4 val "faces": a skin-coloured ellipse with two eyes on a textured background,
/// each with its own colours, and a manifest with the splits.
fn synthetic_set(dir: &Path) -> PathBuf {
    let mut rows = String::from("path,label,split,source\n");
    for i in 0..16u32 {
        let image = RgbImage::from_fn(64, 64, |x, y| {
            let (dx, dy) = (x as f32 - 32.0, y as f32 - 34.0);
            let inside = (dx / 20.0).powi(2) + (dy / 26.0).powi(2) < 1.0;
            let eye = ((x as i32 - 20).abs() < 3 || (x as i32 - 44).abs() < 3)
                && (y as i32 - 24).abs() < 2;
            if eye {
                image::Rgb([20, 20, 30])
            } else if inside {
                image::Rgb([
                    (180 + i * 3) as u8,
                    (140 + (x + i) % 20) as u8,
                    (120 + y % 15) as u8,
                ])
            } else {
                image::Rgb([
                    ((x * 7 + y * 3 + i * 11) % 255) as u8,
                    ((x * y + i) % 200) as u8,
                    (90 + i * 5) as u8,
                ])
            }
        });
        let name = format!("face{i:02}.png");
        image.save(dir.join(&name)).unwrap();
        let split = if i < 12 { "train" } else { "val" };
        rows.push_str(&format!("{name},real,{split},synthetic\n"));
    }
    let manifest = dir.join("manifest.csv");
    std::fs::write(&manifest, rows).unwrap();
    manifest
}

fn recipe(manifest: &Path, seed: u64) -> Recipe {
    let text = format!(
        r#"
name = "tiny-sbi"
description = "test"
task = "face"
seed = {seed}
[model]
arch = "efficientnet-lite0"
init = "none"
input_size = 32
[data]
synthesize = "sbi"
[[data.sets]]
path = "{}"
[optim]
optimizer = "adamw"
lr = 0.001
batch_size = 4
epochs = 1
warmup_steps = 2
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

fn run(recipe: &Recipe, data: &FaceData, dir: &Path, stop_after: Option<usize>) -> usize {
    let opts = RunOptions {
        run_dir: dir.to_owned(),
        backbone: None,
        restart: false,
        quiet: true,
        stop_after,
    };
    fakescope_train::train::<EfficientNetLite, FaceData>(recipe, data, &opts)
        .unwrap()
        .steps
}

fn prepare(recipe: &Recipe, cache: &Path) -> FaceData {
    FaceData::prepare(
        recipe,
        Path::new("."),
        cache,
        Some(&FixedLandmarks),
        &|_, _, _| {},
    )
    .unwrap()
}

#[test]
fn resumed_run_equals_uninterrupted_run() {
    let tmp = tempfile::tempdir().unwrap();
    let manifest = synthetic_set(tmp.path());
    let r = recipe(&manifest, 7);
    let data = prepare(&r, &tmp.path().join("cache"));
    assert_eq!((data.train.len(), data.val.len()), (12, 4));

    let whole = tmp.path().join("whole");
    assert_eq!(run(&r, &data, &whole, None), 6);
    let parts = tmp.path().join("parts");
    assert_eq!(run(&r, &data, &parts, Some(2)), 2);
    assert_eq!(run(&r, &data, &parts, Some(3)), 5);
    assert_eq!(run(&r, &data, &parts, None), 6);
    // Running a finished run again does nothing.
    assert_eq!(run(&r, &data, &parts, None), 6);

    let read = |dir: &Path, file: &str| std::fs::read(dir.join(file)).unwrap();
    // The logs agree line for line, but for the measured speed.
    let log = |dir: &Path| -> Vec<serde_json::Value> {
        String::from_utf8(read(dir, "log.jsonl"))
            .unwrap()
            .lines()
            .map(|line| {
                let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
                if let Some(o) = v.as_object_mut() {
                    o.remove("images_per_s");
                }
                v
            })
            .collect()
    };
    assert_eq!(log(&whole), log(&parts));
    assert_eq!(log(&whole).len(), 4);
    // The checkpoints of the last step hold the same weights and statistics.
    let weights = |dir: &Path| {
        use burn::module::Module;
        use fakescope_models::efficientnet_lite::Variant;
        EfficientNetLite::new(Variant::Lite0, 1, &burn::tensor::Device::flex())
            .try_load_file(dir.join("checkpoints/step-00000006/model.bpk"))
            .unwrap()
            .state_dict()
    };
    assert_eq!(weights(&whole), weights(&parts));
    let a = fakescope_train::export::export::<EfficientNetLite>(&r, &whole).unwrap();
    let b = fakescope_train::export::export::<EfficientNetLite>(&r, &parts).unwrap();
    assert_eq!(read(&a, "model.safetensors"), read(&b, "model.safetensors"));
    let card = fakescope_models::trained::ModelCard::read(&a).unwrap();
    assert_eq!(card.name, "tiny-sbi");
    assert_eq!(card.training.steps, 6);
    assert!(card.validation.is_some());
    let report = String::from_utf8(read(&a, "report.html")).unwrap();
    assert!(report.contains("Learning curves") && report.contains("<svg"));

    // The exported folder runs as a detector, from disk or compiled in (as `models/<name>/`
    // is): the same scores either way.
    use fakescope_models::FaceDetector;
    use fakescope_models::trained::{Bundled, TrainedFace};
    let device = burn::tensor::Device::flex();
    let from_dir = TrainedFace::load(&a, &device).unwrap();
    let bundled = Bundled {
        folder: "tiny-sbi",
        card: String::leak(String::from_utf8(read(&a, "model.toml")).unwrap()),
        weights: read(&a, "model.safetensors").leak(),
    };
    let built_in = TrainedFace::load_bundled(&bundled, &device).unwrap();
    let crops: Vec<f32> = (0..2 * 32 * 32 * 3)
        .map(|i| (i % 251) as f32 / 250.0)
        .collect();
    let p = from_dir.fake_probability(&crops, 2).unwrap();
    assert_eq!(p, built_in.fake_probability(&crops, 2).unwrap());
    assert!(p.iter().all(|v| (0.0..=1.0).contains(v)));

    // Another seed: other weights.
    let other = recipe(&manifest, 8);
    let data8 = prepare(&other, &tmp.path().join("cache"));
    let c = tmp.path().join("seed8");
    run(&other, &data8, &c, Some(2));
    // The seed-7 checkpoints are refused for the seed-8 recipe.
    let opts = RunOptions {
        run_dir: whole.clone(),
        backbone: None,
        restart: false,
        quiet: true,
        stop_after: None,
    };
    let err = fakescope_train::train::<EfficientNetLite, FaceData>(&other, &data8, &opts)
        .unwrap_err()
        .to_string();
    assert!(err.contains("another recipe"), "{err}");
}
