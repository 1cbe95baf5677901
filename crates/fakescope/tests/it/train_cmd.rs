//! `fakescope train` end to end: bad recipes are refused with the key named, and a run killed
//! with SIGKILL in the middle and started again ends with exactly the weights of an
//! uninterrupted run (tiny synthetic real/fake folder, a random EfficientNet-Lite0 at 32 px);
//! a speech model trained from a manifest scans next to AASIST.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::{assert_exit, run};

fn fakescope() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fakescope"));
    cmd.env_remove("FAKESCOPE_MODELS").arg("--quiet");
    cmd
}

/// `real/` and `fake/` folders of 64x64 PNGs: fakes carry a brighter square patch.
fn folder_set(dir: &Path) -> PathBuf {
    let root = dir.join("set");
    for (label, n) in [("real", 8u32), ("fake", 8u32)] {
        std::fs::create_dir_all(root.join(label)).unwrap();
        for i in 0..n {
            let image = image::RgbImage::from_fn(64, 64, |x, y| {
                let patch = label == "fake" && (20..40).contains(&x) && (20..40).contains(&y);
                let base = ((x * 3 + y * 5 + i * 17) % 200) as u8;
                if patch {
                    image::Rgb([base.saturating_add(50), base, 40])
                } else {
                    image::Rgb([base, (i * 20) as u8, 90])
                }
            });
            image
                .save(root.join(label).join(format!("{i}.png")))
                .unwrap();
        }
    }
    root
}

fn recipe(dir: &Path, set: &Path, extra: &str) -> PathBuf {
    let text = format!(
        r#"
name = "tiny"
task = "face"
seed = 3
[model]
arch = "efficientnet-lite0"
init = "none"
input_size = 32
[data]
synthesize = "none"
[[data.sets]]
path = "{}"
split = {{ by_key = {{ key = "path", val_fraction = 0.3 }} }}
[augment]
jpeg = {{ p = 0.5, quality = [50, 90] }}
[optim]
optimizer = "sgd"
lr = 0.01
# Batches of two 32-pixel images leave 1x1 feature maps: without clipping, one step from random
# weights can blow the activations up (NaN at step 2 on this machine).
clip_grad_norm = 1.0
batch_size = 2
epochs = 2
[validation]
every_steps = 3
max_units = 0
patience = 0
[checkpoint]
every_steps = 1
keep = 2
{extra}
"#,
        set.display()
    );
    let path = dir.join("recipe.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn bad_recipes_name_the_problem() {
    let tmp = tempfile::tempdir().unwrap();
    let set = folder_set(tmp.path());
    let good = std::fs::read_to_string(recipe(tmp.path(), &set, "")).unwrap();
    for (from, to, expect) in [
        ("lr = 0.01", "lr = 0.01\nmomentun = 0.9", "momentun"),
        ("batch_size = 2", "batch_size = 0", "optim.batch_size"),
        ("input_size = 32", "input_size = 100000", "model.input_size"),
        ("quality = [50, 90]", "quality = [90, 50]", "quality"),
    ] {
        let path = tmp.path().join("bad.toml");
        std::fs::write(&path, good.replace(from, to)).unwrap();
        let out = run(fakescope()
            .args(["train"])
            .arg(&path)
            .arg("-o")
            .arg(tmp.path().join("run")));
        assert_exit(&out, 2);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expect), "{to}: {stderr}");
        assert!(stderr.contains("bad.toml"), "{to}: {stderr}");
    }
    // A manifest naming a missing file.
    let manifest = tmp.path().join("m.csv");
    std::fs::write(&manifest, "path,label,split\nnot-there.png,real,train\n").unwrap();
    let path = tmp.path().join("missing.toml");
    std::fs::write(
        &path,
        good.replace(&set.display().to_string(), &manifest.display().to_string()),
    )
    .unwrap();
    let out = run(fakescope()
        .args(["train"])
        .arg(&path)
        .arg("-o")
        .arg(tmp.path().join("run2")));
    assert_exit(&out, 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not-there.png"), "{stderr}");
}

#[test]
fn killed_run_resumes_to_the_same_weights() {
    let tmp = tempfile::tempdir().unwrap();
    let set = folder_set(tmp.path());
    let recipe = recipe(tmp.path(), &set, "");
    let train = |out: &Path| {
        let mut cmd = fakescope();
        cmd.arg("train").arg(&recipe).arg("-o").arg(out);
        cmd
    };
    let whole = tmp.path().join("whole");
    assert_exit(&run(&mut train(&whole)), 0);

    // Kill -9 once the second checkpoint exists, then start again until done.
    let parts = tmp.path().join("parts");
    let mut child = train(&parts).spawn().unwrap();
    let start = Instant::now();
    let has_checkpoint = || {
        std::fs::read_dir(parts.join("checkpoints"))
            .map(|entries| {
                entries.filter_map(|e| e.ok()).any(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    name.strip_prefix("step-")
                        .and_then(|n| n.parse::<usize>().ok())
                        .is_some_and(|n| n >= 2)
                })
            })
            .unwrap_or(false)
    };
    while !has_checkpoint() {
        assert!(start.elapsed() < Duration::from_secs(120), "no checkpoint");
        assert!(child.try_wait().unwrap().is_none(), "the run ended early");
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        !parts.join("model/model.toml").exists(),
        "the run finished before it was killed"
    );
    let out = run(&mut train(&parts));
    assert_exit(&out, 0);

    for file in ["model/model.safetensors", "model/model.toml"] {
        let a = std::fs::read_to_string(whole.join(file)).unwrap_or_default();
        let b = std::fs::read_to_string(parts.join(file)).unwrap_or_default();
        if file.ends_with(".toml") {
            // Same card, same numbers.
            let strip = |s: &str| {
                s.lines()
                    .filter(|l| !l.starts_with("git_commit"))
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            assert_eq!(strip(&a), strip(&b));
        }
    }
    let bytes = |dir: &Path| std::fs::read(dir.join("model/model.safetensors")).unwrap();
    assert_eq!(bytes(&whole), bytes(&parts));
    for file in ["README.md", "report.html", "recipe.toml", "model.toml"] {
        assert!(whole.join("model").join(file).is_file(), "{file}");
    }

    // The model folder is a detector for `scan`.
    let out = run(fakescope()
        .args(["scan", "--crops", "--json", "-d"])
        .arg(whole.join("model"))
        .arg(set.join("fake")));
    assert_exit(&out, 0);
    let lines = crate::common::json_lines(&out);
    assert_eq!(lines.len(), 8);
    for line in &lines {
        let p = line["fake_probability"]
            .as_f64()
            .unwrap_or_else(|| panic!("{line}"));
        assert!((0.0..=1.0).contains(&p), "{line}");
        assert_eq!(line["detectors"][0]["name"], "tiny", "{line}");
    }

    // Its card's calibration is applied: against the same model without it, the probability
    // is the logistic of the card's affine map of the raw logit, and the report says so.
    let card = std::fs::read_to_string(whole.join("model/model.toml")).unwrap();
    let number = |key: &str| -> f64 {
        let calibration = &card[card.find("[calibration]").expect("a calibration")..];
        let line = calibration
            .lines()
            .find(|l| l.starts_with(&format!("{key} =")))
            .unwrap();
        line.split('=').nth(1).unwrap().trim().parse().unwrap()
    };
    let (a, b) = (number("a"), number("b"));
    let raw_model = tmp.path().join("raw-model");
    std::fs::create_dir_all(&raw_model).unwrap();
    for entry in std::fs::read_dir(whole.join("model")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), raw_model.join(entry.file_name())).unwrap();
    }
    let mut in_calibration = false;
    let without: Vec<&str> = card
        .lines()
        .filter(|l| {
            if l.starts_with('[') {
                in_calibration = *l == "[calibration]";
            }
            !in_calibration
        })
        .collect();
    std::fs::write(raw_model.join("model.toml"), without.join("\n")).unwrap();
    let scan = |model: &Path| {
        let out = run(fakescope()
            .args(["scan", "--crops", "--json", "-d"])
            .arg(model)
            .arg(set.join("fake/0.png")));
        assert_exit(&out, 0);
        crate::common::json_lines(&out).remove(0)
    };
    let (calibrated, raw) = (scan(&whole.join("model")), scan(&raw_model));
    assert_eq!(calibrated["calibrated"], true, "{calibrated}");
    assert_eq!(raw["calibrated"], false, "{raw}");
    let p0 = raw["fake_probability"].as_f64().unwrap();
    let expected = 1.0 / (1.0 + (-(a * (p0 / (1.0 - p0)).ln() + b)).exp());
    let p = calibrated["fake_probability"].as_f64().unwrap();
    assert!((p - expected).abs() < 1e-9, "{p} vs {expected}");
}

/// A speech model trained by the binary on a tiny manifest runs in `scan` on AASIST's windows,
/// alone and (when the published weights are present) next to `aasist`, with its calibration.
#[test]
fn speech_model_trains_and_scans_next_to_aasist() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut rows = String::from("path,label,split,source,generator,speaker\n");
    for i in 0..8u32 {
        for (label, source) in [("real", "studio"), ("fake", "tts")] {
            let mut samples = crate::common::tone(16_000, 1.0 + i as f32 * 0.1);
            if label == "fake" {
                // a hard-clipped, buzzier version
                samples
                    .iter_mut()
                    .for_each(|v| *v = (*v * 3.0).clamp(-0.3, 0.3));
            }
            let name = format!("{label}{i}.wav");
            crate::common::write_wav(&dir.join(&name), 16_000, &samples);
            let split = if i < 6 { "train" } else { "val" };
            rows.push_str(&format!("{name},{label},{split},{source},g,s{i}\n"));
        }
    }
    std::fs::write(dir.join("manifest.csv"), rows).unwrap();
    let recipe = dir.join("speech.toml");
    std::fs::write(
        &recipe,
        r#"
name = "tiny-speech"
task = "speech"
[model]
arch = "lcnn"
init = "none"
[[data.sets]]
path = "manifest.csv"
[audio]
window_s = 4.0375
[audio.augment]
codec = { p = 0.5, codecs = ["mp3"], kbps = [32, 32] }
[optim]
optimizer = "adamw"
lr = 0.001
batch_size = 4
epochs = 1
[validation]
every_steps = 2
max_units = 0
patience = 0
[checkpoint]
every_steps = 1
keep = 2
"#,
    )
    .unwrap();
    let run_dir = dir.join("run");
    let out = run(fakescope()
        .arg("train")
        .arg(&recipe)
        .arg("-o")
        .arg(&run_dir));
    assert_exit(&out, 0);
    let model = run_dir.join("model");
    let card = std::fs::read_to_string(model.join("model.toml")).unwrap();
    assert!(
        card.contains("task = \"speech\"") && card.contains("window_samples = 64600"),
        "{card}"
    );

    let clip = dir.join("real7.wav");
    let out = run(fakescope()
        .args(["scan", "--json", "-d"])
        .arg(&model)
        .arg(&clip));
    assert_exit(&out, 0);
    let line = crate::common::json_lines(&out).remove(0);
    assert_eq!(line["detectors"][0]["name"], "tiny-speech", "{line}");
    let p = line["fake_probability"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&p), "{line}");
    assert_eq!(line["calibrated"], card.contains("[calibration]"), "{line}");

    if let Some(models) = crate::common::models_dir_or_skip("speech model next to aasist") {
        let out = run(crate::common::fakescope(&models)
            .args(["--quiet", "scan", "--json", "-d", "aasist", "-d"])
            .arg(&model)
            .arg(&clip));
        assert_exit(&out, 0);
        let line = crate::common::json_lines(&out).remove(0);
        let names: Vec<&str> = line["detectors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["aasist", "tiny-speech"], "{line}");
    }
}

/// A whole-image model (AI-generated images) trained from a folder runs on images, with or
/// without faces, and on the frames of a video; an image smaller than a crop gets its own error.
#[test]
fn image_model_trains_and_scores_whole_images_and_video_frames() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let set = folder_set(dir);
    let recipe = dir.join("aigc.toml");
    std::fs::write(
        &recipe,
        format!(
            r#"
name = "tiny-aigc"
task = "image"
[model]
arch = "efficientnet-lite0"
init = "none"
input_size = 32
[[data.sets]]
path = "{}"
split = {{ by_key = {{ key = "path", val_fraction = 0.3 }} }}
[image]
val_crops = 4
[optim]
optimizer = "adamw"
lr = 0.001
batch_size = 4
epochs = 1
max_steps = 2
[validation]
every_steps = 2
max_units = 0
patience = 0
"#,
            set.display()
        ),
    )
    .unwrap();
    let run_dir = dir.join("run");
    let out = run(fakescope()
        .arg("train")
        .arg(&recipe)
        .arg("-o")
        .arg(&run_dir));
    assert_exit(&out, 0);
    let model = run_dir.join("model");
    let card = std::fs::read_to_string(model.join("model.toml")).unwrap();
    assert!(card.contains("task = \"image\""), "{card}");

    let tiny = dir.join("tiny.png");
    image::RgbImage::new(20, 20).save(&tiny).unwrap();
    let heatmaps = dir.join("heatmaps");
    let out = run(fakescope()
        .args(["scan", "--json", "--image-crops", "4", "--heatmaps"])
        .arg(&heatmaps)
        .arg("-d")
        .arg(&model)
        .arg(set.join("fake/0.png"))
        .arg(&tiny));
    assert_exit(&out, 1);
    let lines = crate::common::json_lines(&out);
    let image = &lines[0];
    assert_eq!(image["media"], "image", "{image}");
    assert_ne!(image["verdict"], "n/a", "{image}");
    let section = &image["image"];
    assert_eq!(section["detectors"][0]["name"], "tiny-aigc", "{image}");
    // A 64-pixel image in crops of 32: a 2 x 2 map, corners on the grid.
    let map = section["detectors"][0]["map"].as_array().unwrap();
    let corners: Vec<(u64, u64)> = map
        .iter()
        .map(|p| (p["x"].as_u64().unwrap(), p["y"].as_u64().unwrap()))
        .collect();
    assert_eq!(corners, [(0, 0), (32, 0), (0, 32), (32, 32)], "{image}");
    let mean = map
        .iter()
        .map(|p| p["fake_probability"].as_f64().unwrap())
        .sum::<f64>()
        / 4.0;
    let p = section["detectors"][0]["fake_probability"]
        .as_f64()
        .unwrap();
    assert!((p - mean).abs() < 1e-9, "{image}");
    assert_eq!(image["fake_probability"].as_f64().unwrap(), p, "{image}");
    assert_eq!(image["detectors"][0]["name"], "tiny-aigc", "{image}");
    // --heatmaps: the map drawn over the image, as large as the image.
    let png = section["detectors"][0]["heatmap"].as_str().unwrap();
    assert!(png.starts_with(heatmaps.to_str().unwrap()), "{png}");
    assert_eq!(image::image_dimensions(png).unwrap(), (64, 64));
    let bad = &lines[1];
    let error = bad["error"].as_str().unwrap();
    assert!(
        error.contains("20x20") && error.contains("at least 32"),
        "{bad}"
    );

    if crate::common::have("ffmpeg") {
        let video = dir.join("clip.mp4");
        let made = Command::new("ffmpeg")
            .args([
                "-hide_banner",
                "-loglevel",
                "error",
                "-y",
                "-loop",
                "1",
                "-t",
                "1",
                "-i",
            ])
            .arg(set.join("real/1.png"))
            .args(["-vf", "fps=10", "-c:v", "libx264", "-pix_fmt", "yuv420p"])
            .arg(&video)
            .status()
            .is_ok_and(|s| s.success());
        if made {
            let out = run(fakescope()
                .args(["scan", "--json", "--frames", "3", "-d"])
                .arg(&model)
                .arg(&video));
            assert_exit(&out, 0);
            let line = crate::common::json_lines(&out).remove(0);
            assert_eq!(line["media"], "video", "{line}");
            let frames = line["image"]["frames"].as_array().unwrap();
            assert_eq!(frames.len(), 3, "{line}");
            assert!(line["image"]["detectors"][0]["map"].is_null(), "{line}");
            assert_ne!(line["verdict"], "n/a", "{line}");
        }
    }
}
