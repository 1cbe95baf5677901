//! `fakescope eval` and `fakescope calibrate` end to end: reference values, every input format,
//! bad input.

use std::path::Path;
use std::process::Command;

use crate::common::{assert_exit, run};

fn eval_cmd() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fakescope"));
    cmd.arg("eval");
    cmd
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Runs `fakescope eval --json` and returns `name → value` of the overall metrics.
fn metrics_json(args: &[&std::ffi::OsStr]) -> serde_json::Value {
    let out = run(eval_cmd().args(args).arg("--json"));
    assert_exit(&out, 0);
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

fn value(report: &serde_json::Value, section: &str, name: &str) -> Option<f64> {
    report[section]["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("no metric {name} in {section}"))["value"]
        .as_f64()
}

/// ASVspoof 5 score and key files of bona fide and spoof scores (higher = bona fide).
fn asvspoof_files(
    dir: &Path,
    bona: &[f64],
    spoof: &[f64],
) -> (std::path::PathBuf, std::path::PathBuf) {
    let mut scores = String::from("filename\tcm-score\n");
    let mut key = String::from("filename\tcm-label\n");
    for (i, s) in bona.iter().enumerate() {
        scores += &format!("B_{i:04}\t{s}\n");
        key += &format!("B_{i:04}\tbonafide\n");
    }
    for (i, s) in spoof.iter().enumerate() {
        scores += &format!("S_{i:04}\t{s}\n");
        key += &format!("S_{i:04}\tspoof\n");
    }
    (
        write(dir, "scores.tsv", &scores),
        write(dir, "key.tsv", &key),
    )
}

/// The two check vectors of the issue, through real ASVspoof 5 files.
#[test]
fn asvspoof5_reference_vectors() {
    // (bona fide scores, spoof scores, [EER, minDCF, actDCF, Cllr], tolerance)
    type Case<'a> = (&'a [f64], &'a [f64], [f64; 4], f64);
    let cases: [Case; 2] = [
        (
            &[2.0, 1.0, 0.5, -0.5],
            &[-2.0, -1.0, 0.0, 0.5, 1.5],
            [0.45, 0.6, 0.6, 0.8900356],
            1e-7,
        ),
        (
            &[1.0, 1.0, 0.0],
            &[1.0, 0.0, -1.0],
            [1.0 / 3.0, 2.0 / 3.0, 2.0 / 3.0, 0.8750766],
            1e-7,
        ),
    ];
    for (bona, spoof, [eer, min_dcf, act_dcf, cllr], tol) in cases {
        let dir = tempfile::tempdir().unwrap();
        let (scores, key) = asvspoof_files(dir.path(), bona, spoof);
        let r = metrics_json(&[scores.as_os_str(), "--key".as_ref(), key.as_os_str()]);
        assert_eq!(r["direction"]["higher_means"], "real", "{r}");
        assert_eq!(r["score_kind"], "llr");
        for (name, want) in [
            ("eer_asvspoof", eer),
            ("min_dcf", min_dcf),
            ("act_dcf", act_dcf),
            ("cllr", cllr),
        ] {
            let got = value(&r, "overall", name).unwrap();
            assert!(
                (got - want).abs() < tol,
                "{name}: {got} vs {want} ({bona:?} / {spoof:?})"
            );
        }
    }
}

/// A small probability table whose metrics are easy to check by hand.
#[test]
fn csv_table_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "scores.csv",
        "id,label,fake_probability\na,fake,0.9\nb,fake,0.8\nc,fake,0.4\nd,real,0.1\ne,real,0.5\nf,real,0.3\n",
    );
    let r = metrics_json(&[f.as_os_str()]);
    assert_eq!(r["direction"]["higher_means"], "fake");
    // 8 of 9 (fake, real) pairs are ordered correctly.
    assert!((value(&r, "overall", "auc").unwrap() - 8.0 / 9.0).abs() < 1e-12);
    // At 0.5 (fake when > 0.5): a, b right; c wrong; d, e, f right.
    assert!((value(&r, "overall", "acc").unwrap() - 5.0 / 6.0).abs() < 1e-12);
    assert_eq!(r["overall"]["counts"]["fake"], 3);
    assert_eq!(r["overall"]["counts"]["real"], 3);

    // The same file as a terminal table and as Markdown.
    let out = run(eval_cmd().arg(&f));
    assert_exit(&out, 0);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("auc") && text.contains("0.888889"), "{text}");
    let out = run(eval_cmd().arg(&f).arg("--markdown"));
    assert_exit(&out, 0);
    assert!(String::from_utf8_lossy(&out.stdout).contains("| auc"));
}

/// A generic `score` column has no known direction: the command stops and asks.
#[test]
fn ambiguous_direction_asks_for_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "s.csv", "label,score\n1,2.5\n0,-1\n");
    let out = run(eval_cmd().arg(&f));
    assert_ne!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--higher-means"), "{err}");

    // With the flag it runs; `real` flips the ranking.
    let r = metrics_json(&[f.as_os_str(), "--higher-means".as_ref(), "real".as_ref()]);
    assert_eq!(value(&r, "overall", "auc"), Some(0.0));
    let r = metrics_json(&[f.as_os_str(), "--higher-means".as_ref(), "fake".as_ref()]);
    assert_eq!(value(&r, "overall", "auc"), Some(1.0));
}

/// Each bad input gets a message naming the file (and the line) and a non-zero exit.
#[test]
fn bad_inputs_name_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("empty.csv", "", vec!["empty.csv"]),
        ("nocol.csv", "id,label\na,1\n", vec!["nocol.csv", "score"]),
        (
            "badnum.csv",
            "label,fake_probability\n1,0.5\n0,abc\n",
            vec!["badnum.csv:3"],
        ),
        (
            "nan.csv",
            "label,fake_probability\n1,0.5\n0,NaN\n",
            vec!["nan.csv:3"],
        ),
        (
            "badlabel.csv",
            "label,fake_probability\n1,0.5\nmaybe,0.2\n",
            vec!["badlabel.csv:3", "maybe"],
        ),
        (
            "dup.csv",
            "id,label,fake_probability\na,1,0.5\nb,0,0.2\na,0,0.1\n",
            vec!["dup.csv", "a"],
        ),
    ];
    for (name, text, needles) in cases {
        let f = write(dir.path(), name, text);
        let out = run(eval_cmd().arg(&f));
        assert_ne!(out.status.code(), Some(0), "{name} should fail");
        let err = String::from_utf8_lossy(&out.stderr);
        for n in needles {
            assert!(err.contains(n), "{name}: stderr lacks {n:?}:\n{err}");
        }
    }

    // Keys without scores and scores without keys.
    let (scores, _) = asvspoof_files(dir.path(), &[1.0, 2.0], &[-1.0]);
    let key = write(
        dir.path(),
        "short_key.tsv",
        "filename\tcm-label\nB_0000\tbonafide\nS_0000\tspoof\nX_0001\tspoof\n",
    );
    let out = run(eval_cmd().arg(&scores).arg("--key").arg(&key));
    assert_ne!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("B_0001") || err.contains("X_0001"), "{err}");
}

/// One class only: the file is read, and metrics that need both classes say why they are absent.
#[test]
fn single_class_reports_undefined_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "fake_only.csv",
        "label,fake_probability\n1,0.9\n1,0.2\n",
    );
    let r = metrics_json(&[f.as_os_str()]);
    let auc = r["overall"]["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "auc")
        .unwrap()
        .clone();
    assert!(auc["value"].is_null());
    assert!(auc["note"].as_str().unwrap().contains("both"), "{auc}");
    assert_eq!(value(&r, "overall", "acc"), Some(0.5));
}

/// Frames pooled into videos by their parent folder (DeepfakeBench), and conditions, groups and
/// the bootstrap.
#[test]
fn videos_conditions_groups_bootstrap() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("path,label,fake_probability,method,gender\n");
    for v in 0..6 {
        let fake = v % 2 == 1;
        for fr in 0..4 {
            let p = if fake {
                0.6 + 0.05 * fr as f64
            } else {
                0.2 + 0.1 * fr as f64
            };
            let method = if fake {
                if v < 3 { "Deepfakes" } else { "FaceSwap" }
            } else {
                "-"
            };
            let gender = if v < 3 { "f" } else { "m" };
            text += &format!(
                "frames/vid{v}/{fr:03}.png,{},{p},{method},{gender}\n",
                u8::from(fake)
            );
        }
    }
    let f = write(dir.path(), "frames.csv", &text);
    let r = metrics_json(&[
        f.as_os_str(),
        "--video-from-parent".as_ref(),
        "--condition-col".as_ref(),
        "method".as_ref(),
        "--group-col".as_ref(),
        "gender".as_ref(),
        "--bootstrap".as_ref(),
        "200".as_ref(),
        "--seed".as_ref(),
        "3".as_ref(),
    ]);
    assert_eq!(r["video"]["counts"]["total"], 6);
    assert_eq!(value(&r, "video", "auc"), Some(1.0));
    assert_eq!(value(&r, "overall", "video_auc"), Some(1.0));
    let conds: Vec<&str> = r["per_condition"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(
        conds.contains(&"Deepfakes") && conds.contains(&"FaceSwap"),
        "{conds:?}"
    );
    assert_eq!(r["fairness"]["groups"].as_array().unwrap().len(), 2);
    assert_eq!(r["bootstrap"]["unit"], "videos");
    let auc = &r["overall"]["metrics"].as_array().unwrap()[0];
    assert!(auc["ci95"].is_array(), "{auc}");
    // Same seed, same intervals.
    let again = metrics_json(&[
        f.as_os_str(),
        "--video-from-parent".as_ref(),
        "--bootstrap".as_ref(),
        "200".as_ref(),
        "--seed".as_ref(),
        "3".as_ref(),
    ]);
    assert_eq!(
        again["overall"]["metrics"][0]["ci95"],
        r["overall"]["metrics"][0]["ci95"]
    );
}

/// `fakescope scan --json` output with labels from directory names.
#[test]
fn scan_output_with_labels_from_dirs() {
    let dir = tempfile::tempdir().unwrap();
    let line = |path: &str, p: f64| {
        format!(
            "{{\"path\":\"{path}\",\"media\":\"audio\",\"duration_s\":4.0,\"fake_probability\":{p},\
             \"verdict\":\"uncertain\",\"calibrated\":false,\"detectors\":[{{\"name\":\"aasist\",\
             \"fake_probability\":{p},\"verdict\":\"uncertain\",\"windows\":[],\"segments\":[]}}],\
             \"segments\":[],\"note\":null,\"error\":null}}\n"
        )
    };
    let text = line("data/DeepFake/a.wav", 0.9)
        + &line("data/DeepFake/b.wav", 0.3)
        + &line("data/Real/c.wav", 0.2)
        + &line("data/Real/d.wav", 0.1);
    let f = write(dir.path(), "scan.jsonl", &text);
    let r = metrics_json(&[
        f.as_os_str(),
        "--label-from-dir".as_ref(),
        "fake=DeepFake,real=Real".as_ref(),
    ]);
    assert_eq!(r["overall"]["counts"]["fake"], 2);
    assert_eq!(value(&r, "overall", "auc"), Some(1.0));
}

/// Fit on development scores, apply, evaluate with the calibration; the HTML report is one
/// self-contained file.
#[test]
fn calibrate_fit_apply_and_html() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("id,label,score\n");
    // Overlapping classes on a scale far from LLRs: 100 * (x + 3).
    for i in 0..200 {
        let x = ((i * 37) % 200) as f64 / 100.0 - 1.0;
        let fake = i % 2 == 0;
        let s = 100.0 * (x + if fake { 3.6 } else { 3.0 });
        text += &format!("t{i},{},{s}\n", u8::from(fake));
    }
    let dev = write(dir.path(), "dev.csv", &text);
    let cal = dir.path().join("cal.json");
    let out = run(Command::new(env!("CARGO_BIN_EXE_fakescope"))
        .args(["calibrate", "fit", "--dev"])
        .arg(&dev)
        .args(["--higher-means", "fake", "-o"])
        .arg(&cal));
    assert_exit(&out, 0);
    let c: serde_json::Value = serde_json::from_slice(&std::fs::read(&cal).unwrap()).unwrap();
    assert_eq!(c["method"], "affine_logistic");

    // Raw scores: no LLR metrics; calibrated: actDCF, Cllr and the gaps.
    let raw = metrics_json(&[dev.as_os_str(), "--higher-means".as_ref(), "fake".as_ref()]);
    assert!(value(&raw, "overall", "cllr").is_none());
    let html = dir.path().join("report.html");
    let r = metrics_json(&[
        dev.as_os_str(),
        "--higher-means".as_ref(),
        "fake".as_ref(),
        "--calibration".as_ref(),
        cal.as_os_str(),
        "--html".as_ref(),
        html.as_os_str(),
    ]);
    let cllr = value(&r, "overall", "cllr").unwrap();
    let min_cllr = value(&r, "overall", "min_cllr").unwrap();
    assert!(
        cllr >= min_cllr - 1e-9 && cllr < 1.0,
        "cllr {cllr} min {min_cllr}"
    );
    assert!(
        r["calibration_gaps"]["cllr_minus_min_cllr"]
            .as_f64()
            .unwrap()
            >= -1e-9
    );
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<svg"));
    let external = page
        .match_indices("http")
        .filter(|(i, _)| !page[*i..].starts_with("http://www.w3.org/"))
        .count();
    assert_eq!(external, 0, "the report must not load anything");

    let out = run(Command::new(env!("CARGO_BIN_EXE_fakescope"))
        .args(["calibrate", "apply", "--calibration"])
        .arg(&cal)
        .arg(&dev)
        .args(["--higher-means", "fake"]));
    assert_exit(&out, 0);
    let csv = String::from_utf8_lossy(&out.stdout);
    assert!(csv.starts_with("id,label,fake_llr\nt0,fake,"), "{csv}");
    assert_eq!(csv.lines().count(), 201);
}

/// `calibrate apply` output is read back as fake-vs-real LLRs without flags.
#[test]
fn calibrated_output_reads_back_as_llrs() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "cal.csv",
        "id,label,fake_llr\na,fake,2.0\nb,real,-1.5\nc,fake,-0.2\nd,real,0.3\n",
    );
    let r = metrics_json(&[f.as_os_str()]);
    assert_eq!(r["direction"]["higher_means"], "fake");
    assert_eq!(r["score_kind"], "llr");
    assert!(value(&r, "overall", "cllr").is_some());
    assert_eq!(value(&r, "overall", "auc"), Some(0.75));
}

/// ASVspoof 5 Track 2 files give a-DCF, t-DCF and t-EER.
#[test]
fn track2_files() {
    let dir = tempfile::tempdir().unwrap();
    let mut scores = String::from("spk\tfilename\tcm-score\tasv-score\tsasv-score\n");
    let mut key = String::from("spk\tfilename\tcm-label\tasv-label\n");
    for i in 0..30 {
        let (cm_label, asv_label, cm, asv) = match i % 3 {
            0 => (
                "bonafide",
                "target",
                2.0 + (i as f64) * 0.01,
                3.0 - (i as f64) * 0.02,
            ),
            1 => (
                "bonafide",
                "nontarget",
                1.5 + (i as f64) * 0.013,
                -1.0 + (i as f64) * 0.03,
            ),
            _ => (
                "spoof",
                "spoof",
                -1.0 + (i as f64) * 0.07,
                1.0 + (i as f64) * 0.01,
            ),
        };
        scores += &format!("S{i}\tT{i:03}\t{cm}\t{asv}\t{}\n", cm + asv);
        key += &format!("S{i}\tT{i:03}\t{cm_label}\t{asv_label}\n");
    }
    let s = write(dir.path(), "sasv.tsv", &scores);
    let k = write(dir.path(), "sasv_key.tsv", &key);
    let r = metrics_json(&[s.as_os_str(), "--key".as_ref(), k.as_os_str()]);
    for name in ["a_dcf", "t_dcf", "t_eer"] {
        let v = value(&r, "overall", name).unwrap_or_else(|| panic!("{name} missing: {r}"));
        assert!((0.0..=1.5).contains(&v), "{name} = {v}");
    }
    // Without a key the command says what is missing.
    let out = run(eval_cmd().arg(&s));
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--key"));
}

/// `eval-localization` on a small set; the expected numbers are what the AV-Deepfake1M evaluator
/// (`avdeepfake1m` 0.0.4, `ap_ar_1d(pred, meta, "file", "fake_segments", 1.0, [0.5, 0.75, 0.9,
/// 0.95], [50, 30, 20, 10, 5], [0.5, 0.55, ..., 0.95])`) returned for these two files.
#[test]
fn eval_localization_matches_the_evaluator() {
    let dir = tempfile::tempdir().unwrap();
    let meta = write(
        dir.path(),
        "meta.json",
        r#"[{"file": "a.mp4", "fake_segments": [[1.0, 2.0], [4.0, 5.5]], "duration": 8.0},
 {"file": "b.mp4", "fake_segments": [], "duration": 5.0},
 {"file": "c.mp4", "fake_segments": [[0.5, 3.0]], "duration": 6.0}]"#,
    );
    let pred = write(
        dir.path(),
        "pred.json",
        r#"{"a.mp4": [[0.9, 1.0, 2.1], [0.8, 4.2, 5.5], [0.3, 6.0, 7.0]],
 "b.mp4": [[0.7, 0.0, 1.0], [0.2, 2.0, 3.0]],
 "c.mp4": [[0.95, 0.4, 3.0], [0.6, 0.5, 1.0], [0.1, 2.0, 4.0]]}"#,
    );
    let out = run(Command::new(env!("CARGO_BIN_EXE_fakescope"))
        .arg("eval-localization")
        .arg(&meta)
        .arg(&pred)
        .arg("--json"));
    assert_exit(&out, 0);
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ap: Vec<f64> = r["result"]["ap"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["ap"].as_f64().unwrap())
        .collect();
    let upstream_ap = [
        0.6666666269302368,
        0.6666666269302368,
        0.3333333432674408,
        0.0,
    ];
    assert_eq!(ap, upstream_ap);
    for ar in r["result"]["ar"].as_array().unwrap() {
        assert_eq!(ar["ar"].as_f64(), Some(0.8999999761581421));
    }

    // A prediction file that is not valid JSON: the error names it.
    let bad = write(dir.path(), "bad.json", "{\"a.mp4\": [[0.9, 1.0]]");
    let out = run(Command::new(env!("CARGO_BIN_EXE_fakescope"))
        .arg("eval-localization")
        .arg(&meta)
        .arg(&bad));
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.json"));
}
