//! `fakescope prepare` end to end: two small videos made with the system ffmpeg from face
//! photos, prepared into DeepfakeBench's layout, rerun (skipped), and a corrupt video.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{assert_exit, fakescope, models_dir_or_skip, run, shared_dir};

/// Makes a 12-frame 10 fps H.264 video of `image` scaled to 256x256 in the middle of a
/// 480x360 black frame, or returns false when ffmpeg is missing.
fn make_video(image: &Path, out: &Path) -> bool {
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-loop", "1", "-i"])
        .arg(image)
        .args([
            "-frames:v",
            "12",
            "-r",
            "10",
            "-vf",
            "scale=256:256,pad=480:360:112:52,format=yuv420p",
            "-c:v",
            "libx264",
        ])
        .arg(out)
        .status();
    matches!(status, Ok(s) if s.success())
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[1..4], b"PNG", "{}", path.display());
    let be = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().unwrap());
    (be(16), be(20))
}

/// The inputs (a fake and a real video) and the models, or `None` after saying why.
fn setup(test: &str, root: &Path) -> Option<(PathBuf, PathBuf)> {
    let models = models_dir_or_skip(test)?;
    let Some(images) = shared_dir().map(|s| s.join("data/mesonet-test-images")) else {
        eprintln!("skipped: {test}: no ../shared/data/mesonet-test-images");
        return None;
    };
    let input = root.join("in");
    let made = make_video(&images.join("df/df00204.jpg"), &input.join("fakes/a.mp4"))
        && make_video(
            &images.join("real/real00240.jpg"),
            &input.join("reals/b.mp4"),
        );
    if !made {
        eprintln!("skipped: {test}: the system ffmpeg (with libx264) is needed to make videos");
        return None;
    }
    Some((models, input))
}

fn prepare(models: &Path, input: &Path, out: &Path) -> std::process::Output {
    run(fakescope(models)
        .args([
            "prepare",
            "--quiet",
            "--frames",
            "4",
            "--jobs",
            "2",
            "--dataset",
            "mini",
        ])
        .args(["--label-from-dir", "mini_fake=fakes,mini_real=reals"])
        .arg(input)
        .arg("-o")
        .arg(out))
}

#[test]
fn prepares_deepfakebench_layout_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let Some((models, input)) = setup("prepares_deepfakebench_layout_and_resumes", dir.path())
    else {
        return;
    };
    let out = dir.path().join("out");
    let first = prepare(&models, &input, &out);
    assert_exit(&first, 0);
    let out = out.canonicalize().unwrap();

    // 12 frames, 4 samples: linspace(0, 11, 4) = 0, 3, 7, 11.
    for (video, sub) in [("a", "fakes"), ("b", "reals")] {
        let frames = out.join(sub).join("frames").join(video);
        for idx in ["000", "003", "007", "011"] {
            let png = frames.join(format!("{idx}.png"));
            assert_eq!(png_size(&png), (256, 256), "{}", png.display());
            let npy = out
                .join(sub)
                .join("landmarks")
                .join(video)
                .join(format!("{idx}.npy"));
            let bytes = std::fs::read(&npy).unwrap();
            // .npy 1.0: magic, version, header length, header; data aligned to 64 bytes.
            assert_eq!(&bytes[..8], b"\x93NUMPY\x01\x00", "{}", npy.display());
            let data = 10 + u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
            assert_eq!(data % 64, 0);
            let header = String::from_utf8_lossy(&bytes[10..data]);
            assert!(header.contains("'descr': '<f4'") && header.contains("'shape': (5, 2)"));
            assert_eq!(bytes.len(), data + 5 * 2 * 4, "{}", npy.display());
            for v in bytes[data..].chunks(4) {
                let v = f32::from_le_bytes(v.try_into().unwrap());
                assert!((0.0..256.0).contains(&v), "landmark {v} outside the crop");
            }
        }
        assert!(
            out.join(sub)
                .join("landmarks")
                .join(video)
                .join(".done")
                .is_file()
        );
    }

    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("mini.json")).unwrap()).unwrap();
    let mini = json["mini"].as_object().unwrap();
    assert_eq!(mini.len(), 2, "{json}");
    for (label, video, sub) in [("mini_fake", "a", "fakes"), ("mini_real", "b", "reals")] {
        let splits = mini[label].as_object().unwrap();
        assert_eq!(splits.keys().collect::<Vec<_>>(), ["test", "train", "val"]);
        let entry = &splits["test"][video];
        assert_eq!(entry["label"], label);
        let frames: Vec<&str> = entry["frames"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap())
            .collect();
        let expected: Vec<String> = ["000", "003", "007", "011"]
            .iter()
            .map(|i| format!("{}/{sub}/frames/{video}/{i}.png", out.display()))
            .collect();
        assert_eq!(frames, expected);
    }

    // A rerun skips both; removing one marker redoes only that video.
    let png = out.join("fakes/frames/a/000.png");
    let written = std::fs::metadata(&png).unwrap().modified().unwrap();
    let again = run(fakescope(&models)
        .args(["prepare", "--frames", "4", "--dataset", "mini"])
        .args(["--label-from-dir", "mini_fake=fakes,mini_real=reals"])
        .arg(&input)
        .arg("-o")
        .arg(&out));
    assert_exit(&again, 0);
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("prepared 0 videos, skipped 2"), "{stderr}");
    assert_eq!(
        std::fs::metadata(&png).unwrap().modified().unwrap(),
        written
    );
    let rerun_json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("mini.json")).unwrap()).unwrap();
    assert_eq!(rerun_json, json);

    std::fs::remove_file(out.join("reals/landmarks/b/.done")).unwrap();
    let third = run(fakescope(&models)
        .args(["prepare", "--frames", "4", "--dataset", "mini"])
        .args(["--label-from-dir", "mini_fake=fakes,mini_real=reals"])
        .arg(&input)
        .arg("-o")
        .arg(&out));
    assert_exit(&third, 0);
    let stderr = String::from_utf8_lossy(&third.stderr);
    assert!(stderr.contains("prepared 1 videos, skipped 1"), "{stderr}");
}

#[test]
fn a_corrupt_video_fails_alone() {
    let dir = tempfile::tempdir().unwrap();
    let Some((models, input)) = setup("a_corrupt_video_fails_alone", dir.path()) else {
        return;
    };
    let bad = input.join("fakes/broken.mp4");
    std::fs::write(&bad, b"\x00\x00\x00\x18ftypisom this is not a video at all").unwrap();
    let out = dir.path().join("out");
    let result = prepare(&models, &input, &out);
    assert_exit(&result, 1);
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(
        stderr.contains("broken.mp4"),
        "the error should name the file: {stderr}"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("mini.json")).unwrap()).unwrap();
    assert!(json["mini"]["mini_fake"]["test"]["a"].is_object(), "{json}");
    assert!(
        json["mini"]["mini_fake"]["test"]["broken"].is_null(),
        "{json}"
    );
    assert!(!out.join("fakes/landmarks/broken/.done").exists());
}
