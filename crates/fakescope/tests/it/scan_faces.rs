//! Faces end to end: images with MTCNN and MesoNet, `--crops`, images without a face, bad
//! images, and a video made in the test from the sample crops (tracks, timeline, audio).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{
    assert_exit, fakescope, have, json_lines, models_dir_or_skip, run, shared_dir,
};

/// The four sample crops of the MesoNet repository (2 deepfakes, 2 real), or `None` (skipped).
fn sample_crops(test: &str) -> Option<PathBuf> {
    let dir = shared_dir()?.join("data/mesonet-test-images");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipped: {test}: no ../shared/data/mesonet-test-images");
        None
    }
}

fn by_name<'a>(reports: &'a [serde_json::Value], name: &str) -> &'a serde_json::Value {
    reports
        .iter()
        .find(|r| r["path"].as_str().unwrap().ends_with(name))
        .unwrap_or_else(|| panic!("no report for {name}"))
}

/// MTCNN finds the face of each sample crop; MesoNet calls the deepfakes fake and the real
/// faces real, and each face has a box, landmarks and per-detector scores.
#[test]
fn images_faces_found_and_scored() {
    let (Some(models), Some(crops)) = (
        models_dir_or_skip("images_faces_found_and_scored"),
        sample_crops("images_faces_found_and_scored"),
    ) else {
        return;
    };
    let out = run(fakescope(&models)
        .args([
            "scan",
            "--json",
            "-d",
            "meso4-df",
            "-d",
            "mesoinception4-df",
        ])
        .arg(&crops));
    assert_exit(&out, 0);
    let reports = json_lines(&out);
    assert_eq!(reports.len(), 4);
    for r in &reports {
        let faces = r["faces"].as_array().expect("faces");
        assert!(!faces.is_empty(), "no face in {}", r["path"]);
        let face = &faces[0];
        assert_eq!(face["bbox"].as_array().unwrap().len(), 4);
        assert_eq!(face["landmarks"].as_array().unwrap().len(), 5);
        assert!(face["face_probability"].as_f64().unwrap() > 0.9);
        assert_eq!(face["detectors"].as_array().unwrap().len(), 2);
        let fake = r["path"].as_str().unwrap().contains("/df/");
        let verdict = r["verdict"].as_str().unwrap();
        assert_eq!(
            verdict,
            if fake { "likely_fake" } else { "likely_real" },
            "{}",
            r["path"]
        );
    }
}

/// `--crops`: the whole image is the face (no box), resized like upstream.
#[test]
fn crops_mode_scores_whole_images() {
    let (Some(models), Some(crops)) = (
        models_dir_or_skip("crops_mode_scores_whole_images"),
        sample_crops("crops_mode_scores_whole_images"),
    ) else {
        return;
    };
    let out = run(fakescope(&models)
        .args(["scan", "--json", "--crops", "-d", "meso4-df"])
        .arg(&crops));
    assert_exit(&out, 0);
    let reports = json_lines(&out);
    let df = by_name(&reports, "df00204.jpg");
    assert!(df["faces"][0]["bbox"].is_null());
    assert!(df["fake_probability"].as_f64().unwrap() > 0.5);
    let real = by_name(&reports, "real00240.jpg");
    assert!(real["fake_probability"].as_f64().unwrap() < 0.5);
}

/// `--heatmaps`: an occlusion heatmap per face and detector, as a PNG over the face crop,
/// named in the JSON; a fake's heatmap is mostly red (evidence of a fake) where it differs.
#[test]
fn heatmaps_are_written_and_referenced() {
    let (Some(models), Some(crops)) = (
        models_dir_or_skip("heatmaps_are_written_and_referenced"),
        sample_crops("heatmaps_are_written_and_referenced"),
    ) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("maps");
    let out = run(fakescope(&models)
        .args([
            "scan",
            "--json",
            "--crops",
            "-d",
            "meso4-df",
            "-d",
            "mesoinception4-df",
        ])
        .arg("--heatmaps")
        .arg(&dir)
        .arg(crops.join("df/df00204.jpg")));
    assert_exit(&out, 0);
    let report = &json_lines(&out)[0];
    let scores = report["faces"][0]["detectors"].as_array().unwrap();
    assert_eq!(scores.len(), 2);
    let mut names = Vec::new();
    for s in scores {
        let png = PathBuf::from(s["heatmap"].as_str().unwrap());
        assert_eq!(png.parent().unwrap(), dir);
        // Over the detector's own crop: 256x256 for both MesoNets.
        assert_eq!(image::image_dimensions(&png).unwrap(), (256, 256));
        names.push(png.file_name().unwrap().to_str().unwrap().to_owned());
    }
    assert_ne!(names[0], names[1], "one file per detector");
    assert!(names[0].starts_with("df00204-") && names[0].ends_with("-face0-meso4-df.png"));

    // A video: each track gets its heatmaps in its most suspicious frame.
    if !have("ffmpeg") {
        return;
    }
    let video = tmp.path().join("clip.mp4");
    assert!(make_video(&crops, &video));
    let out = run(fakescope(&models)
        .args([
            "scan",
            "--json",
            "--frames",
            "4",
            "-d",
            "meso4-df",
            "--heatmaps",
        ])
        .arg(&dir)
        .arg(&video));
    assert_exit(&out, 0);
    let report = &json_lines(&out)[0];
    let tracks = report["tracks"].as_array().unwrap();
    assert!(!tracks.is_empty(), "{report}");
    for t in tracks {
        let frames = t["frames"].as_array().unwrap();
        let worst = frames
            .iter()
            .max_by(|a, b| {
                a["fake_probability"]
                    .as_f64()
                    .unwrap()
                    .total_cmp(&b["fake_probability"].as_f64().unwrap())
            })
            .unwrap();
        let png = worst["detectors"][0]["heatmap"]
            .as_str()
            .unwrap_or_else(|| panic!("{t}"));
        assert!(
            png.contains("-track") && png.ends_with("-meso4-df.png"),
            "{png}"
        );
        assert_eq!(image::image_dimensions(png).unwrap(), (256, 256));
        let with_maps = frames
            .iter()
            .filter(|f| f["detectors"][0].get("heatmap").is_some())
            .count();
        assert_eq!(with_maps, 1, "one frame per track: {t}");
    }
}

/// No face: n/a with a note; a grey JPEG of a face is scanned; a tiny image has no face; bad
/// images are per-file errors.
#[test]
fn images_without_faces_and_bad_images() {
    let (Some(models), Some(crops)) = (
        models_dir_or_skip("images_without_faces_and_bad_images"),
        sample_crops("images_without_faces_and_bad_images"),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A smooth gradient: no face.
    let gradient = image::RgbImage::from_fn(200, 150, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
    });
    gradient.save(d.join("gradient.png")).unwrap();
    // The same face in grey.
    image::open(crops.join("df/df00204.jpg"))
        .unwrap()
        .to_luma8()
        .save(d.join("grey.jpg"))
        .unwrap();
    image::RgbImage::new(5, 5).save(d.join("tiny.png")).unwrap();
    std::fs::write(d.join("garbage.jpg"), b"\xff\xd8\xff\xe0 not really a jpeg").unwrap();
    let out = run(fakescope(&models)
        .args(["scan", "--json", "-d", "meso4-df"])
        .arg(d));
    assert_exit(&out, 1);
    let reports = json_lines(&out);
    let g = by_name(&reports, "gradient.png");
    assert_eq!(g["verdict"], "n/a");
    assert!(g["note"].as_str().unwrap().contains("no face"), "{g}");
    let grey = by_name(&reports, "grey.jpg");
    assert!(grey["error"].is_null(), "{grey}");
    assert!(!grey["faces"].as_array().unwrap().is_empty(), "{grey}");
    assert_eq!(by_name(&reports, "tiny.png")["verdict"], "n/a");
    let bad = by_name(&reports, "garbage.jpg");
    assert!(
        bad["error"].as_str().unwrap().contains("garbage.jpg"),
        "{bad}"
    );
}

/// Makes a 4 s H.264 video with an audio track from two sample crops (2 s each).
pub(crate) fn make_video(crops: &Path, out: &Path) -> bool {
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(["-loop", "1", "-t", "2", "-i"])
        .arg(crops.join("df/df00204.jpg"))
        .args(["-loop", "1", "-t", "2", "-i"])
        .arg(crops.join("df/df01254.jpg"))
        .args(["-f", "lavfi", "-t", "4", "-i", "sine=frequency=220:sample_rate=16000"])
        .args([
            "-filter_complex",
            "[0:v]scale=256:256,setsar=1,fps=10[a];[1:v]scale=256:256,setsar=1,fps=10[b];[a][b]concat=n=2:v=1:a=0[v]",
            "-map",
            "[v]",
            "-map",
            "2:a",
            "-c:v",
            "libx264",
            "-profile:v",
            "high",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
        ])
        .arg(out)
        .status();
    status.is_ok_and(|s| s.success())
}

/// A real video scanned end to end: faces tracked through the sampled frames, a timeline, the
/// audio track scanned too, and the more severe verdict on top.
#[test]
fn video_tracks_timeline_and_audio() {
    let (Some(models), Some(crops)) = (
        models_dir_or_skip("video_tracks_timeline_and_audio"),
        sample_crops("video_tracks_timeline_and_audio"),
    ) else {
        return;
    };
    if !have("ffmpeg") {
        eprintln!("skipped: video_tracks_timeline_and_audio: no ffmpeg to make the video");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let video = dir.path().join("faces.mp4");
    assert!(
        make_video(&crops, &video),
        "ffmpeg could not make the test video"
    );
    let out = run(fakescope(&models)
        .args([
            "scan", "--json", "--frames", "8", "-d", "aasist", "-d", "meso4-df",
        ])
        .arg(&video));
    assert_exit(&out, 0);
    let r = &json_lines(&out)[0];
    assert_eq!(r["media"], "video");
    assert_eq!(r["decoder"], "openh264");
    assert_eq!(r["frames_scanned"], 8);
    let timeline = r["timeline"].as_array().unwrap();
    assert_eq!(timeline.len(), 8);
    assert!(
        timeline.iter().all(|p| p["faces"].as_u64() == Some(1)),
        "{timeline:?}"
    );
    let tracks = r["tracks"].as_array().unwrap();
    assert!(!tracks.is_empty());
    let frames_in_tracks: usize = tracks
        .iter()
        .map(|t| t["frames"].as_array().unwrap().len())
        .sum();
    assert_eq!(frames_in_tracks, 8);
    // Both sample crops are deepfakes: the frames say fake; the sine tone is scored too.
    assert_eq!(r["visual"]["verdict"], "likely_fake");
    assert!(r["audio"]["fake_probability"].is_number());
    assert_eq!(r["verdict"], "likely_fake");
    let names: Vec<&str> = r["detectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["aasist", "meso4-df"]);
}

/// `calibrate fuse` fits a logistic fusion of two face detectors on labelled scans, and
/// `scan --combine fusion --fusion FILE` gives each file the fused, calibrated probability.
#[test]
fn detectors_fuse_on_development_scans() {
    let (Some(models), Some(crops)) = (
        models_dir_or_skip("detectors_fuse_on_development_scans"),
        sample_crops("detectors_fuse_on_development_scans"),
    ) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let scan = |extra: &[&str]| {
        let out = run(fakescope(&models)
            .args([
                "--quiet",
                "scan",
                "--json",
                "--crops",
                "-d",
                "meso4-df",
                "-d",
                "mesoinception4-df",
            ])
            .args(extra)
            .arg(&crops));
        assert_exit(&out, 0);
        out
    };
    let dev = tmp.path().join("dev.jsonl");
    std::fs::write(&dev, &scan(&[]).stdout).unwrap();
    let fusion = tmp.path().join("fusion.json");
    let out = run(fakescope(&models)
        .args(["calibrate", "fuse", "--dev"])
        .arg(&dev)
        .args(["--fuse", "meso4-df", "--fuse", "mesoinception4-df"])
        .args(["--label-from-dir", "fake=df,real=real", "-o"])
        .arg(&fusion));
    assert_exit(&out, 0);
    let f: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&fusion).unwrap()).unwrap();
    assert_eq!(f["method"], "logistic_fusion");
    let w: Vec<f64> = f["fusion"]["weights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let b = f["fusion"]["bias"].as_f64().unwrap();
    assert_eq!(w.len(), 2);

    let fused = scan(&["--combine", "fusion", "--fusion", fusion.to_str().unwrap()]);
    for r in json_lines(&fused) {
        let p = |name: &str| {
            let d = r["detectors"]
                .as_array()
                .unwrap()
                .iter()
                .find(|d| d["name"] == name)
                .unwrap();
            let p = d["fake_probability"]
                .as_f64()
                .unwrap()
                .clamp(1e-12, 1.0 - 1e-12);
            (p / (1.0 - p)).ln()
        };
        let llr = w[0] * p("meso4-df") + w[1] * p("mesoinception4-df") + b;
        let want = 1.0 / (1.0 + (-llr).exp());
        let got = r["fake_probability"].as_f64().unwrap();
        assert!((got - want).abs() < 1e-9, "{r}");
        assert_eq!(r["calibrated"], true, "{r}");
    }
    // The four crops are separable: the fusion ranks every fake above every real.
    let reports = json_lines(&fused);
    let p = |name: &str| {
        by_name(&reports, name)["fake_probability"]
            .as_f64()
            .unwrap()
    };
    assert!(p("df00204.jpg").min(p("df01254.jpg")) > p("real00240.jpg").max(p("real00772.jpg")));

    // The same fusion over HTTP, by name: `scan --submit` prints what the local scan printed.
    let data = tmp.path().join("serve");
    let mut cmd = fakescope(&models);
    cmd.args(["serve", "--bind", "127.0.0.1:0", "--no-auth", "--data"])
        .arg(&data)
        .arg("--fusion")
        .arg(format!("faces={}", fusion.display()));
    let api = crate::serve_cluster::Node::start(cmd);
    let submit = |name: &str| {
        run(fakescope(&models)
            .args(["--quiet", "scan", "--json", "--crops", "-d", "meso4-df"])
            .args([
                "-d",
                "mesoinception4-df",
                "--combine",
                "fusion",
                "--fusion",
                name,
            ])
            .args(["--submit", &api.base(), "--state"])
            .arg(data.join(format!("{name}.jsonl")))
            .arg(&crops))
    };
    let listed = crate::serve_cluster::get_json(
        &crate::serve_cluster::agent(),
        &format!("{}/v1/detectors", api.base()),
        "unused",
    );
    assert_eq!(
        listed["fusions"],
        serde_json::json!([{"name": "faces", "detectors": ["meso4-df", "mesoinception4-df"]}])
    );
    let remote = submit("faces");
    assert_exit(&remote, 0);
    assert_eq!(json_lines(&remote), json_lines(&fused));
    // A name the server does not have is refused, with the names it has.
    let out = submit("other");
    assert_exit(&out, 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("unknown fusion `other` (this server has: faces)"),
        "{stderr}"
    );

    // Mistakes: no fusion file; a fusion of a detector the scan does not run.
    let out = run(fakescope(&models)
        .args(["scan", "--crops", "-d", "meso4-df", "--combine", "fusion"])
        .arg(&crops));
    assert_exit(&out, 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--combine fusion needs --fusion FILE"));
    let out = run(fakescope(&models)
        .args([
            "scan",
            "--crops",
            "-d",
            "meso4-df",
            "--combine",
            "fusion",
            "--fusion",
        ])
        .arg(&fusion)
        .arg(&crops));
    assert_exit(&out, 2);
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("fuses `mesoinception4-df`, which this scan does not run")
    );
}
