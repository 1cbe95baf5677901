//! `fakescope bench` end to end: a plan over face crops, recordings and videos, perturbed; the
//! cache (a re-run with one more detector scores only that detector); plan mistakes.

use std::path::Path;

use crate::common::{
    assert_exit, fakescope, have, models_dir_or_skip, run, shared_dir, tone, write_wav,
};
use crate::scan_faces::make_video;

/// Lines of `scores.jsonl`, parsed.
fn score_lines(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("scores.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn write_plan(
    dir: &Path,
    face_detectors: &str,
    crops: &Path,
    speech: &Path,
    videos: Option<&Path>,
) {
    let mut plan = format!(
        r#"
name = "it"
seed = 3
detectors = [{face_detectors}, "aasist"]
bootstrap = 50

[[sets]]
name = "crops"
path = "{}"
detectors = [{face_detectors}]
perturbations = ["jpeg:3", "blur:1"]
scan = {{ crops = true }}

[[sets]]
name = "speech"
path = "{}"
detectors = ["aasist"]
perturbations = ["gain:1", "narrowband"]
"#,
        crops.display(),
        speech.display()
    );
    if let Some(v) = videos {
        plan.push_str(&format!(
            r#"
[[sets]]
name = "videos"
path = "{}"
detectors = [{face_detectors}]
perturbations = ["pixelation:5"]
scan = {{ frames = 2 }}
"#,
            v.display()
        ));
    }
    std::fs::write(dir.join("plan.toml"), plan).unwrap();
}

#[test]
fn bench_scores_sets_under_perturbations_caches_and_reports() {
    let Some(models) =
        models_dir_or_skip("bench_scores_sets_under_perturbations_caches_and_reports")
    else {
        return;
    };
    let Some(sample) = shared_dir().map(|s| s.join("data/mesonet-test-images")) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    // MesoNet's sample crops under the folder names the set reader knows.
    let crops = tmp.path().join("crops");
    for (from, to) in [("real", "real"), ("df", "fake")] {
        std::fs::create_dir_all(crops.join(to)).unwrap();
        for f in std::fs::read_dir(sample.join(from)).unwrap() {
            let f = f.unwrap().path();
            std::fs::copy(&f, crops.join(to).join(f.file_name().unwrap())).unwrap();
        }
    }
    let speech = tmp.path().join("speech");
    for (class, shift) in [("real", 1.0f32), ("fake", 1.7)] {
        std::fs::create_dir_all(speech.join(class)).unwrap();
        let x: Vec<f32> = tone(16_000, 2.0)
            .iter()
            .enumerate()
            .map(|(i, v)| v * (1.0 + 0.3 * (i as f32 * shift * 1e-3).sin()))
            .collect();
        write_wav(&speech.join(class).join("a.wav"), 16_000, &x);
    }
    let videos = tmp.path().join("videos");
    let with_video = have("ffmpeg") && {
        std::fs::create_dir_all(videos.join("real")).unwrap();
        std::fs::create_dir_all(videos.join("fake")).unwrap();
        make_video(&sample, &videos.join("real/v.mp4"))
            && std::fs::copy(videos.join("real/v.mp4"), videos.join("fake/v.mp4")).is_ok()
    };
    let out = tmp.path().join("out");
    write_plan(
        tmp.path(),
        "\"mesoinception4-df\"",
        &crops,
        &speech,
        with_video.then_some(videos.as_path()),
    );
    let bench = |plan: &Path| {
        let o = run(fakescope(&models)
            .arg("--quiet")
            .arg("bench")
            .arg(plan)
            .arg("-o")
            .arg(&out));
        assert_exit(&o, 0);
    };
    bench(&tmp.path().join("plan.toml"));

    // 4 crops x (clean, jpeg:3, blur:1) + 2 recordings x (clean, gain:1, narrowband:1)
    // (+ 2 videos x (clean, pixelation:5)), one detector each.
    let lines = score_lines(&out);
    assert_eq!(lines.len(), 12 + 6 + if with_video { 4 } else { 0 });
    let score = |set: &str, file: &str, cond: &str| {
        lines
            .iter()
            .find(|l| {
                l["set"] == set
                    && l["path"].as_str().unwrap().ends_with(file)
                    && l["condition"] == cond
            })
            .unwrap_or_else(|| panic!("no {set} {file} {cond}"))["fake_probability"]
            .as_f64()
            .unwrap()
    };
    // A perturbation reaches the detector: it moves the scores of the crops.
    let files = [
        "df00204.jpg",
        "df01254.jpg",
        "real00240.jpg",
        "real00772.jpg",
    ];
    for cond in ["jpeg:3", "blur:1"] {
        assert!(
            files
                .iter()
                .any(|f| score("crops", f, "clean") != score("crops", f, cond)),
            "{cond} changed no score"
        );
    }
    // -6 dB moves AASIST's score on a recording (it is not gain-invariant).
    assert_ne!(
        score("speech", "real/a.wav", "clean"),
        score("speech", "real/a.wav", "gain:1")
    );
    if with_video {
        // The real and fake copies are the same video: same score; pixelation changes it.
        let v = score("videos", "real/v.mp4", "clean");
        assert_eq!(v, score("videos", "fake/v.mp4", "clean"));
        assert_ne!(v, score("videos", "real/v.mp4", "pixelation:5"));
    }

    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let cell = report["matrix"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["set"] == "crops" && c["detector"] == "mesoinception4-df")
        .unwrap();
    assert_eq!(cell["scored"], 4);
    assert!(
        cell["auc"].as_f64().is_some() && cell["auc_ci95"].is_array(),
        "{cell}"
    );
    let curves = report["robustness"].as_array().unwrap();
    let jpeg = curves
        .iter()
        .find(|c| c["set"] == "crops" && c["distortion"] == "jpeg")
        .unwrap();
    let levels: Vec<i64> = jpeg["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["level"].as_i64().unwrap())
        .collect();
    assert_eq!(levels, [0, 3]);
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    for needle in [
        "Cross-dataset matrix",
        "| mesoinception4-df |",
        "jpeg:3",
        "narrowband:1",
        "JPEG quality 60",
    ] {
        assert!(md.contains(needle), "{needle} not in:\n{md}");
    }
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.contains("<svg") && html.contains("crops: blur"),
        "no robustness curve"
    );

    // One more detector: only its scores are computed; the others come from the cache.
    write_plan(
        tmp.path(),
        "\"mesoinception4-df\", \"meso4-df\"",
        &crops,
        &speech,
        with_video.then_some(videos.as_path()),
    );
    bench(&tmp.path().join("plan.toml"));
    let again = score_lines(&out);
    let added: Vec<&serde_json::Value> = again[lines.len()..].iter().collect();
    assert_eq!(again[..lines.len()], lines[..]);
    assert_eq!(added.len(), 12 + if with_video { 4 } else { 0 });
    assert!(added.iter().all(|l| l["detector"] == "meso4-df"));
}

#[test]
fn plan_mistakes_are_named() {
    let Some(models) = models_dir_or_skip("plan_mistakes_are_named") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("set/real")).unwrap();
    std::fs::create_dir_all(tmp.path().join("set/fake")).unwrap();
    std::fs::write(
        tmp.path().join("set/real/a.png"),
        b"not read before the plan is checked",
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("set/fake/b.png"),
        b"not read before the plan is checked",
    )
    .unwrap();
    let check = |plan: &str, needles: &[&str]| {
        std::fs::write(tmp.path().join("plan.toml"), plan).unwrap();
        let o = run(fakescope(&models)
            .arg("bench")
            .arg(tmp.path().join("plan.toml"))
            .arg("-o")
            .arg(tmp.path().join("out")));
        assert_exit(&o, 2);
        let err = String::from_utf8_lossy(&o.stderr);
        for n in needles {
            assert!(err.contains(n), "{n} not in: {err}");
        }
    };
    let set = "[[sets]]\nname = \"s\"\npath = \"set\"\n";
    check(
        &format!("name = \"p\"\ndetectors = [\"meso4-df\"]\nperturbations = [\"sharpen\"]\n{set}"),
        &["unknown distortion `sharpen`", "saturation", "pixelation"],
    );
    check(
        &format!("name = \"p\"\ndetectors = [\"meso4-df\"]\nperturbations = [\"blur:6\"]\n{set}"),
        &["level 6 is outside 1..=5"],
    );
    check(
        &format!("name = \"p\"\ndetectors = [\"nope\"]\n{set}"),
        &["nope"],
    );
}
