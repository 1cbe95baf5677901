//! The training engine on whole images, end to end on a tiny synthetic set written by the test:
//! "photos" are JPEG files of several sizes, "generated" images PNG squares whose pixels come in
//! 2x2 blocks (an up-sampling trace). Unreadable and too-small images are counted in the notes
//! and held-out rows are never opened; batches are crops at native resolution, balanced and
//! deterministic; validation takes `scan`'s crop grid; a stopped and resumed run equals an
//! uninterrupted one; the exported folder runs as a whole-image detector.

use std::path::{Path, PathBuf};

use fakescope_models::ImageDetector;
use fakescope_models::efficientnet_lite::EfficientNetLite;
use fakescope_models::trained::{ModelCard, Trained};
use fakescope_models::whole_image::InputTransform;
use fakescope_train::data::TrainData;
use fakescope_train::whole_image::ImageData;
use fakescope_train::{Recipe, RunOptions};
use image::{Rgb, RgbImage};

/// Deterministic texture: a hash of the pixel position.
fn noise(x: u32, y: u32, seed: u32) -> u8 {
    let mut h = x.wrapping_mul(0x9E37_79B9) ^ y.wrapping_mul(0x85EB_CA6B) ^ seed;
    h ^= h >> 15;
    h = h.wrapping_mul(0x2C1B_3C6D);
    (h >> 24) as u8
}

fn photo(i: u32) -> RgbImage {
    let (w, h) = (60 + 8 * (i % 4), 48 + 6 * (i % 3));
    RgbImage::from_fn(w, h, |x, y| {
        let v = noise(x, y, i);
        Rgb([v, v / 2 + 40, 255 - v])
    })
}

fn generated(i: u32) -> RgbImage {
    RgbImage::from_fn(64, 64, |x, y| {
        let v = noise(x / 2, y / 2, 100 + i);
        Rgb([v, v / 2 + 40, 255 - v])
    })
}

fn synthetic_set(dir: &Path) -> PathBuf {
    let mut rows = String::from("path,label,split,source,generator\n");
    for i in 0..10u32 {
        let split = if i < 7 { "train" } else { "val" };
        let name = format!("photo{i}.jpg");
        photo(i).save(dir.join(&name)).unwrap();
        rows.push_str(&format!("{name},real,{split},photos,none\n"));
        let name = format!("gen{i}.png");
        generated(i).save(dir.join(&name)).unwrap();
        rows.push_str(&format!("{name},fake,{split},t2i,gen-a\n"));
    }
    // never opened: held out
    rows.push_str("missing_heldout.png,fake,heldout,t2i,gen-z\n");
    // counted and left out
    std::fs::write(dir.join("corrupt.png"), b"\x89PNG\r\n\x1a\nnot really").unwrap();
    rows.push_str("corrupt.png,fake,train,t2i,gen-a\n");
    RgbImage::new(20, 100).save(dir.join("tiny.png")).unwrap();
    rows.push_str("tiny.png,real,train,photos,none\n");
    rows.push_str("missing.jpg,real,train,photos,none\n");
    let manifest = dir.join("manifest.csv");
    std::fs::write(&manifest, rows).unwrap();
    manifest
}

fn recipe(manifest: &Path, input: &str) -> Recipe {
    let text = format!(
        r#"
name = "tiny-aigc"
description = "test"
task = "image"
seed = 5
[model]
arch = "efficientnet-lite0"
init = "none"
input_size = 32
[[data.sets]]
path = "{}"
[image]
input = "{input}"
rescale = {{ p = 0.5, scale = [0.6, 1.0] }}
val_crops = 4
[augment]
jpeg = {{ p = 0.5, quality = [60, 95] }}
[optim]
optimizer = "adamw"
lr = 0.001
batch_size = 4
epochs = 2
max_steps = 4
warmup_steps = 1
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

/// burn's random numbers (initialisation, dropout) come from one seeded stream per device for
/// the whole process: a test that trains or exports while another trains would draw from the
/// other's stream, so such tests take turns.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn take_turn() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn run(recipe: &Recipe, data: &ImageData, dir: &Path, stop_after: Option<usize>) -> usize {
    let opts = RunOptions {
        run_dir: dir.to_owned(),
        backbone: None,
        restart: false,
        quiet: true,
        stop_after,
    };
    fakescope_train::train::<EfficientNetLite, ImageData>(recipe, data, &opts)
        .unwrap()
        .steps
}

#[test]
fn whole_image_training_resumes_exactly_and_exports_an_image_detector() {
    let _turn = take_turn();
    let tmp = tempfile::tempdir().unwrap();
    let manifest = synthetic_set(tmp.path());
    let r = recipe(&manifest, "rgb");
    let data = ImageData::prepare(&r, Path::new(".")).unwrap();
    assert_eq!((data.train.len(), data.val.len()), (14, 6));
    let notes = data.notes().join("\n");
    assert!(notes.contains("train split: 3 images left out"), "{notes}");
    assert!(notes.contains("missing.jpg"), "{notes}");
    assert!(notes.contains("tiny.png: 20x100 pixels"), "{notes}");
    assert!(notes.contains("corrupt.png"), "{notes}");

    // Training rows alternate photo and generated image; crops keep the model's size; the same
    // (seed, epoch, units) give the same batch.
    let b = data.train_batch(&[3, 8, 1, 0], 5, 0).unwrap();
    assert_eq!(b.labels, vec![0.0, 1.0, 0.0, 1.0]);
    assert_eq!(b.shape, [4, 3, 32, 32]);
    assert!(b.values.iter().all(|v| (0.0..=1.0).contains(v)));
    assert_eq!(b, data.train_batch(&[3, 8, 1, 0], 5, 0).unwrap());
    assert_ne!(b, data.train_batch(&[3, 8, 1, 0], 5, 1).unwrap());
    // Validation: `scan`'s grid (a 64-pixel square gives 2 x 2 crops of 32), one item per image.
    let v = data.val_batch(&[0, 1], 5).unwrap();
    assert_eq!(v.n(), 8);
    assert_eq!(v.items, vec![0, 0, 0, 0, 1, 1, 1, 1]);

    let whole = tmp.path().join("whole");
    assert_eq!(run(&r, &data, &whole, None), 4);
    let parts = tmp.path().join("parts");
    assert_eq!(run(&r, &data, &parts, Some(3)), 3);
    assert_eq!(run(&r, &data, &parts, None), 4);
    let read = |dir: &Path, file: &str| std::fs::read(dir.join(file)).unwrap();
    let a = fakescope_train::export::export::<EfficientNetLite>(&r, &whole).unwrap();
    let b = fakescope_train::export::export::<EfficientNetLite>(&r, &parts).unwrap();
    assert_eq!(read(&a, "model.safetensors"), read(&b, "model.safetensors"));

    let card = ModelCard::read(&a).unwrap();
    assert_eq!((card.task.as_str(), card.input_size), ("image", 32));
    assert_eq!(card.input_transform, InputTransform::Rgb);
    assert!(card.preprocessing.contains("never resized"), "{card:?}");
    assert!(!card.preprocessing.contains("  "), "{card:?}");
    let readme = String::from_utf8(read(&a, "README.md")).unwrap();
    assert!(
        readme.contains("images (each the mean of its crops)"),
        "{readme}"
    );

    let device = burn::tensor::Device::flex();
    let Trained::Image(detector) = Trained::load(&a, &device).unwrap() else {
        panic!("an image model loaded as another kind");
    };
    assert_eq!(detector.info().name, "tiny-aigc");
    let crops = vec![0.5f32; 2 * 32 * 32 * 3];
    let p = detector.fake_probability(&crops, 2).unwrap();
    assert_eq!(p.len(), 2);
    assert!(p.iter().all(|v| (0.0..=1.0).contains(v)));
    let err = detector
        .fake_probability(&crops[..100], 1)
        .unwrap_err()
        .to_string();
    assert!(err.contains("100 values"), "{err}");
    // A face-model loader refuses the folder, naming the task.
    let err = fakescope_models::trained::TrainedFace::load(&a, &device)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("\"image\" is not a face model"), "{err}");
}

#[test]
fn npr_input_is_the_residual_in_training_and_in_the_exported_card() {
    let _turn = take_turn();
    let tmp = tempfile::tempdir().unwrap();
    let manifest = synthetic_set(tmp.path());
    let r = recipe(&manifest, "npr");
    let data = ImageData::prepare(&r, Path::new(".")).unwrap();
    // The generated images are made of 2x2 blocks: at native resolution their NPR residual is
    // zero wherever a crop is aligned with the blocks, which the validation grid (corners at
    // 0 and 32) is.
    let v = data.val_batch(&[1], 5).unwrap();
    assert_eq!(v.labels[0], 1.0);
    let mean = fakescope_models::efficientnet_lite::IMAGENET_MEAN;
    let plane = 32 * 32;
    for (i, value) in v.values.iter().enumerate() {
        let c = (i / plane) % 3;
        assert!((value - mean[c]).abs() < 1e-6, "value {value} at {i}");
    }
    let run_dir = tmp.path().join("npr");
    run(&r, &data, &run_dir, Some(2));
    let out = fakescope_train::export::export::<EfficientNetLite>(&r, &run_dir).unwrap();
    let card = ModelCard::read(&out).unwrap();
    assert_eq!(card.input_transform, InputTransform::Npr);
    let text = std::fs::read_to_string(out.join("model.toml")).unwrap();
    assert!(text.contains("input_transform = \"npr\""), "{text}");
}

#[test]
fn sources_can_be_balanced_within_a_class() {
    let tmp = tempfile::tempdir().unwrap();
    let manifest = synthetic_set(tmp.path());
    // A second source of photos, one image against seven, all green: its crops are easy to
    // recognise in a batch.
    RgbImage::from_pixel(64, 64, Rgb([10, 240, 10]))
        .save(tmp.path().join("green.jpg"))
        .unwrap();
    let mut rows = std::fs::read_to_string(&manifest).unwrap();
    rows.push_str("green.jpg,real,train,other-photos,none\n");
    std::fs::write(&manifest, rows).unwrap();
    let green_share = |balance: f64| {
        let text = toml::to_string(&recipe(&manifest, "rgb")).unwrap().replace(
            "[image]\n",
            &format!("[image]\nsource_balance = {balance:?}\n"),
        );
        let r = Recipe::parse(&text, Path::new("balanced.toml")).unwrap();
        let data = ImageData::prepare(&r, Path::new(".")).unwrap();
        let units: Vec<usize> = (0..120).collect();
        let batch = data.train_batch(&units, 5, 0).unwrap();
        let plane = 32 * 32;
        let green = (0..120)
            .step_by(2)
            .filter(|&row| {
                let v = &batch.values[row * 3 * plane..(row + 1) * 3 * plane];
                let mean =
                    |c: usize| v[c * plane..(c + 1) * plane].iter().sum::<f32>() / plane as f32;
                mean(1) > 0.7 && mean(0) < 0.3
            })
            .count();
        green as f64 / 60.0
    };
    // Every photo alike: the green one is 1 of 8 photos. Every source alike: half the draws.
    let (alike, balanced) = (green_share(0.0), green_share(1.0));
    assert!(alike < 0.3, "{alike}");
    assert!(balanced > 0.3, "{balanced}");
}

#[test]
fn image_recipes_refuse_what_does_not_apply() {
    let bad = |task: &str, extra: &str| {
        let text = format!(
            "name = \"x\"\ntask = \"{task}\"\n[model]\narch = \"efficientnet-lite0\"\ninit = \"none\"\ninput_size = 224\n[[data.sets]]\npath = \"m.csv\"\n[optim]\noptimizer = \"adamw\"\nlr = 0.001\nbatch_size = 4\nepochs = 1\n{extra}"
        );
        Recipe::parse(&text, Path::new("r.toml"))
            .unwrap_err()
            .to_string()
    };
    assert!(bad("face", "[image]\nval_crops = 4\n").contains("is for task = \"image\""));
    assert!(bad("image", "[image]\nval_crops = 0\n").contains("image.val_crops"));
    assert!(
        bad(
            "image",
            "[image]\nrescale = { p = 0.5, scale = [1.0, 0.5] }\n"
        )
        .contains("image.rescale.scale")
    );
    assert!(bad("image", "[image]\ninput = \"dct\"\n").contains("dct"));
    assert!(bad("image", "[image]\nsource_balance = 1.5\n").contains("image.source_balance"));
    assert!(bad("image", "[data]\nsynthesize = \"sbi\"\n").contains("SBI is for faces"));
}
