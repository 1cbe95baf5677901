//! Reading score files: every format, label spelling, direction rule, and bad input.

use std::io::Write;
use std::path::{Path, PathBuf};

use fakescope_eval::input::{
    HigherMeans, InputError, ReadOptions, ScoreKind, ScoreTable, read_scores,
};

/// A temporary folder holding the test's files.
struct Dir(tempfile::TempDir);

impl Dir {
    fn new() -> Self {
        Dir(tempfile::tempdir().expect("temp dir"))
    }

    /// Writes `text` to `name` (folders created) and returns its path.
    fn file(&self, name: &str, text: &str) -> PathBuf {
        self.bytes(name, text.as_bytes())
    }

    fn bytes(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.0.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

fn fake_first() -> ReadOptions {
    ReadOptions {
        higher_means: Some(HigherMeans::Fake),
        ..Default::default()
    }
}

/// The paths as `read_scores` takes them.
fn owned(paths: &[&Path]) -> Vec<PathBuf> {
    paths.iter().map(|p| p.to_path_buf()).collect()
}

fn read(paths: &[&Path], opts: &ReadOptions) -> ScoreTable {
    read_scores(&owned(paths), opts).unwrap_or_else(|e| panic!("unexpected error: {e}"))
}

/// The error's message, checked to name `file` (and `line` when given) as `file:line:`.
fn error(paths: &[&Path], opts: &ReadOptions, file: &Path, line: Option<u64>) -> String {
    let e = read_scores(&owned(paths), opts).expect_err("an error");
    let text = e.to_string();
    let name = file.display().to_string();
    match line {
        Some(line) => {
            assert!(
                matches!(e, InputError::Line { line: l, .. } if l == line),
                "not line {line}: {text}"
            );
            assert!(text.starts_with(&format!("{name}:{line}: ")), "{text}");
        }
        None => assert!(text.contains(&name), "{text}"),
    }
    text
}

fn usage(paths: &[&Path], opts: &ReadOptions) -> String {
    match read_scores(&owned(paths), opts) {
        Err(InputError::Usage(message)) => message,
        other => panic!("expected a usage error, got {other:?}"),
    }
}

fn names(c: &Option<fakescope_eval::input::Categorical>) -> Vec<String> {
    let c = c.as_ref().expect("a categorical");
    c.codes
        .iter()
        .map(|&i| c.names[i as usize].clone())
        .collect()
}

// ---------------------------------------------------------------- formats

#[test]
fn csv_with_header() {
    let d = Dir::new();
    let p = d.file("s.csv", "id,label,score\na,0,0.1\nb,1,2.5\nc,1,-3e-2\n");
    let t = read(&[&p], &fake_first());
    assert_eq!(t.scores, vec![0.1, 2.5, -0.03]);
    assert_eq!(t.fake, vec![false, true, true]);
    assert_eq!(t.ids, Some(vec!["a".into(), "b".into(), "c".into()]));
    assert_eq!(t.direction, HigherMeans::Fake);
    assert_eq!(t.direction_reason, "--higher-means fake");
    assert_eq!(t.kind, ScoreKind::Score);
    assert_eq!(t.sources, vec![p]);
    assert!(t.warnings.is_empty());
}

#[test]
fn tsv_with_fake_probability_needs_no_direction() {
    let d = Dir::new();
    let p = d.file(
        "s.tsv",
        "path\tfake_probability\tlabel\nx/a.wav\t0.25\treal\nx/b.wav\t0.75\tfake\n",
    );
    let t = read(&[&p], &ReadOptions::default());
    assert_eq!(t.scores, vec![0.25, 0.75]);
    assert_eq!(t.fake, vec![false, true]);
    assert_eq!(t.direction, HigherMeans::Fake);
    assert_eq!(t.direction_reason, "column fake_probability");
    assert_eq!(t.kind, ScoreKind::Probability);
    assert_eq!(t.ids.unwrap(), vec!["x/a.wav", "x/b.wav"]);
}

#[test]
fn whitespace_separated_table() {
    let d = Dir::new();
    let p = d.file("s.txt", "file   score label\n a.wav  1.5  1\nb.wav\t-1 0\n");
    let t = read(&[&p], &fake_first());
    assert_eq!(t.scores, vec![1.5, -1.0]);
    assert_eq!(t.fake, vec![true, false]);
    assert_eq!(t.ids.unwrap(), vec!["a.wav", "b.wav"]);
}

#[test]
fn json_lines_table() {
    let d = Dir::new();
    let p = d.file(
        "s.jsonl",
        "{\"id\": 7, \"is_fake\": true, \"pred\": 0.5, \"gender\": \"f\"}\n\
         {\"id\": \"x\", \"is_fake\": false, \"pred\": \"-1.25\", \"gender\": \"m\"}\n",
    );
    let opts = ReadOptions {
        label_col: Some("is_fake".into()),
        group_col: Some("gender".into()),
        ..fake_first()
    };
    let t = read(&[&p], &opts);
    assert_eq!(t.ids.unwrap(), vec!["7", "x"]);
    assert_eq!(t.scores, vec![0.5, -1.25]);
    assert_eq!(t.fake, vec![true, false]);
    assert_eq!(names(&t.group), vec!["f", "m"]);

    let bad = d.file(
        "bad.jsonl",
        "{\"id\": 1, \"label\": 1, \"score\": 1}\n{\"id\": 2, \"label\": 0}\n",
    );
    let e = error(&[&bad], &fake_first(), &bad, Some(2));
    assert!(
        e.contains("no `score` key (the first line has id, label, score)"),
        "{e}"
    );
    let bad = d.file(
        "bad2.jsonl",
        "{\"id\": 1, \"label\": 1, \"score\": 1}\n[1, 2]\n",
    );
    let e = error(&[&bad], &fake_first(), &bad, Some(2));
    assert!(e.contains("not a JSON object"), "{e}");
    let array = d.file("a.json", "[{\"id\": 1, \"label\": 1, \"score\": 1}]\n");
    let e = error(&[&array], &fake_first(), &array, Some(1));
    assert!(e.contains("a JSON array; write JSON Lines"), "{e}");
    let bad = d.file("bad3.jsonl", "{\"id\": 1, \"label\": 1, \"score\": null}\n");
    let e = error(&[&bad], &fake_first(), &bad, Some(1));
    assert!(e.contains("`score` is null"), "{e}");
}

#[test]
fn every_label_spelling() {
    let d = Dir::new();
    let cases = [
        ("1", true),
        ("0", false),
        ("1.0", true),
        ("0.0", false),
        ("fake", true),
        ("FAKE", true),
        ("real", false),
        ("Real", false),
        ("spoof", true),
        ("Spoof", true),
        ("bonafide", false),
        ("BonaFide", false),
        ("bona-fide", false),
        ("bona_fide", false),
        ("bona fide", false),
        (" fake ", true),
    ];
    let mut text = String::from("id,label,score\n");
    for (i, (label, _)) in cases.iter().enumerate() {
        text.push_str(&format!("r{i},{label},{i}\n"));
    }
    let t = read(&[&d.file("l.csv", &text)], &fake_first());
    assert_eq!(t.fake, cases.iter().map(|c| c.1).collect::<Vec<_>>());
}

#[test]
fn booleans_only_where_the_column_name_says_what_true_is() {
    let d = Dir::new();
    let fake = d.file("f.csv", "id,is_fake,score\na,true,1\nb,FALSE,2\n");
    let t = read(
        &[&fake],
        &ReadOptions {
            label_col: Some("is_fake".into()),
            ..fake_first()
        },
    );
    assert_eq!(t.fake, vec![true, false]);
    let real = d.file("r.csv", "id,is_real,score\na,true,1\nb,false,2\n");
    let t = read(
        &[&real],
        &ReadOptions {
            label_col: Some("is_real".into()),
            ..fake_first()
        },
    );
    assert_eq!(t.fake, vec![false, true]);
    let ambiguous = d.file("a.csv", "id,label,score\na,1,1\nb,true,2\n");
    let e = error(&[&ambiguous], &fake_first(), &ambiguous, Some(3));
    assert!(e.contains("label `true` is ambiguous"), "{e}");
}

// ---------------------------------------------------------------- direction and kind

#[test]
fn direction_is_asked_for_when_the_file_does_not_say() {
    let d = Dir::new();
    let p = d.file("s.csv", "id,label,score\na,0,0.1\n");
    let e = usage(&[&p], &ReadOptions::default());
    assert!(e.contains("s.csv"), "{e}");
    assert!(e.contains("higher `score`"), "{e}");
    assert!(
        e.contains("--higher-means fake or --higher-means real"),
        "{e}"
    );
    // Asked before any row is read: a bad row further down does not hide it.
    let p = d.file("bad.csv", "id,label,score\na,0,0.1\nb,0,oops\n");
    assert!(usage(&[&p], &ReadOptions::default()).contains("--higher-means"));
    let p = d.file("c.csv", "id,label,logit\na,0,0.1\n");
    let e = usage(
        &[&p],
        &ReadOptions {
            score_col: Some("logit".into()),
            ..Default::default()
        },
    );
    assert!(e.contains("higher `logit`"), "{e}");
}

#[test]
fn higher_means_real_negates_scores_and_flips_probabilities() {
    let d = Dir::new();
    let p = d.file("s.csv", "id,label,score\na,0,2.5\nb,1,-1\n");
    let opts = ReadOptions {
        higher_means: Some(HigherMeans::Real),
        ..Default::default()
    };
    let t = read(&[&p], &opts);
    assert_eq!(t.scores, vec![-2.5, 1.0]);
    assert_eq!(t.direction, HigherMeans::Real);
    assert_eq!(t.direction_reason, "--higher-means real");

    let p = d.file("p.csv", "id,label,p_real\na,0,0.9\nb,1,0.25\n");
    let opts = ReadOptions {
        higher_means: Some(HigherMeans::Real),
        score_kind: Some(ScoreKind::Probability),
        score_col: Some("p_real".into()),
        ..Default::default()
    };
    let t = read(&[&p], &opts);
    assert_eq!(t.scores, vec![1.0 - 0.9, 0.75]);
    assert_eq!(t.kind, ScoreKind::Probability);
}

#[test]
fn probabilities_must_lie_in_0_1() {
    let d = Dir::new();
    let p = d.file("s.csv", "id,label,fake_probability\na,0,0.5\nb,1,1.5\n");
    let e = error(&[&p], &ReadOptions::default(), &p, Some(3));
    assert!(
        e.contains("score 1.5 in column `fake_probability` is not a probability in [0, 1]"),
        "{e}"
    );
    // Told otherwise, the same numbers are plain scores.
    let t = read(
        &[&p],
        &ReadOptions {
            score_kind: Some(ScoreKind::Score),
            ..Default::default()
        },
    );
    assert_eq!(t.kind, ScoreKind::Score);
    assert_eq!(t.direction, HigherMeans::Fake);
}

// ---------------------------------------------------------------- ASVspoof

#[test]
fn asvspoof5_score_and_key_files_match_the_official_loader() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/asvspoof5");
    let reference: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("reference.json")).unwrap())
            .unwrap();
    let opts = ReadOptions {
        key: Some(data.join("key.tsv")),
        ..Default::default()
    };
    let t = read(&[&data.join("scores.tsv")], &opts);
    assert_eq!(t.direction, HigherMeans::Real);
    assert_eq!(
        t.direction_reason,
        "ASVspoof score file (cm-score: higher = bona fide)"
    );
    assert_eq!(t.kind, ScoreKind::Llr);
    let cm_scores = reference["cm_scores"].as_array().unwrap();
    let cm_keys = reference["cm_keys"].as_array().unwrap();
    assert_eq!(t.scores.len(), cm_scores.len());
    for (i, (ours, theirs)) in t.scores.iter().zip(cm_scores).enumerate() {
        // The table is higher = fake: the official bona fide score, negated.
        assert_eq!(*ours, -theirs.as_f64().unwrap(), "row {i}");
        assert_eq!(t.fake[i], cm_keys[i].as_str() == Some("spoof"), "row {i}");
    }
    assert_eq!(
        t.sources,
        vec![data.join("scores.tsv"), data.join("key.tsv")]
    );
}

#[test]
fn asvspoof2019_protocol_gives_labels_and_attack_conditions() {
    let d = Dir::new();
    let scores = d.file(
        "scores.txt",
        "filename\tcm-score\nLA_E_2\t-4.5\nLA_E_1\t3.25\nLA_E_3\t0.5\n",
    );
    let key = d.file(
        "ASVspoof2019.LA.cm.eval.trl.txt",
        "LA_0039 LA_E_1 - - bonafide\nLA_0014 LA_E_2 - A11 spoof\nLA_0040 LA_E_3 - A07 spoof\n",
    );
    let opts = ReadOptions {
        key: Some(key),
        condition_col: Some("attack".into()),
        ..Default::default()
    };
    let t = read(&[&scores], &opts);
    assert_eq!(t.scores, vec![4.5, -3.25, -0.5]);
    assert_eq!(t.fake, vec![true, false, true]);
    assert_eq!(names(&t.condition), vec!["A11", "-", "A07"]);
    assert_eq!(t.condition.as_ref().unwrap().names, vec!["A11", "-", "A07"]);
}

#[test]
fn asvspoof2021_key_gives_codec_conditions() {
    let d = Dir::new();
    let scores = d.file("score.txt", "DF_E_2000011 -1.5\nDF_E_2000013 2.0\n");
    let key = d.file(
        "trial_metadata.txt",
        "LA_0043 DF_E_2000011 mp3m4a vcc2018 A10 spoof notrim eval traditional_vocoder - - - -\n\
         LA_0021 DF_E_2000013 nocodec asvspoof bonafide bonafide notrim progress bonafide - - - -\n",
    );
    let opts = ReadOptions {
        key: Some(key),
        condition_col: Some("codec".into()),
        group_col: Some("attack".into()),
        higher_means: Some(HigherMeans::Real),
        ..Default::default()
    };
    let t = read(&[&scores], &opts);
    assert_eq!(t.scores, vec![1.5, -2.0]);
    assert_eq!(t.fake, vec![true, false]);
    assert_eq!(names(&t.condition), vec!["mp3m4a", "nocodec"]);
    assert_eq!(names(&t.group), vec!["A10", "bonafide"]);
    assert_eq!(t.kind, ScoreKind::Score);
}

#[test]
fn asvspoof5_protocol_gives_attack_and_gender() {
    let d = Dir::new();
    let scores = d.file(
        "s.tsv",
        "filename\tcm-score\nE_0000000002\t1.0\nE_0000000001\t-2.0\n",
    );
    let key = d.file(
        "ASVspoof5.eval.track_1.tsv",
        "E_0001 E_0000000001 F - - - AC3 A05 spoof -\nE_0002 E_0000000002 M mp3 3 1 bonafide bonafide bonafide -\n",
    );
    let opts = ReadOptions {
        key: Some(key),
        condition_col: Some("attack".into()),
        group_col: Some("gender".into()),
        ..Default::default()
    };
    let t = read(&[&scores], &opts);
    assert_eq!(t.scores, vec![-1.0, 2.0]);
    assert_eq!(t.fake, vec![false, true]);
    assert_eq!(names(&t.condition), vec!["bonafide", "A05"]);
    assert_eq!(names(&t.group), vec!["M", "F"]);
}

#[test]
fn headerless_score_files_need_a_direction() {
    let d = Dir::new();
    let key = d.file("key.tsv", "filename\tcm-label\nA\tbonafide\nB\tspoof\n");
    let two = d.file("two.txt", "A 0.5\nB -0.5\n");
    let opts = ReadOptions {
        key: Some(key.clone()),
        ..Default::default()
    };
    let e = usage(&[&two], &opts);
    assert!(
        e.contains("higher `score`") && e.ends_with("i.e. --higher-means real"),
        "{e}"
    );
    let t = read(
        &[&two],
        &ReadOptions {
            higher_means: Some(HigherMeans::Real),
            ..opts
        },
    );
    assert_eq!(t.scores, vec![-0.5, 0.5]);
    assert_eq!(t.fake, vec![false, true]);

    // The 2019 baseline layout carries labels and attacks itself.
    let four = d.file("cm.txt", "LA_E_1 - bonafide 1.5\nLA_E_2 A13 spoof -2\n");
    let opts = ReadOptions {
        higher_means: Some(HigherMeans::Real),
        condition_col: Some("attack".into()),
        ..Default::default()
    };
    let t = read(&[&four], &opts);
    assert_eq!(t.fake, vec![false, true]);
    assert_eq!(t.scores, vec![-1.5, 2.0]);
    assert_eq!(names(&t.condition), vec!["-", "A13"]);
    // The ASVspoof 5 baseline layout: speaker, file, score, key.
    let four = d.file("aasist.txt", "E_01 E_1 0.5 bonafide\nE_02 E_2 -0.5 spoof\n");
    let t = read(
        &[&four],
        &ReadOptions {
            higher_means: Some(HigherMeans::Real),
            ..Default::default()
        },
    );
    assert_eq!(t.ids.unwrap(), vec!["E_1", "E_2"]);
    assert_eq!(t.fake, vec![false, true]);
}

#[test]
fn keys_without_scores_and_scores_without_keys() {
    let d = Dir::new();
    let scores: String = std::iter::once("filename\tcm-score\n".to_string())
        .chain((0..8).map(|i| format!("S{i}\t{i}\n")))
        .collect();
    let scores = d.file("scores.tsv", &scores);
    let key = d.file(
        "key.tsv",
        "filename\tcm-label\nS0\tspoof\nS1\tbonafide\nK9\tspoof\n",
    );
    let opts = ReadOptions {
        key: Some(key.clone()),
        ..Default::default()
    };
    let e = error(&[&scores], &opts, &key, None);
    assert!(e.contains("6 scores have no label here: `S2` ("), "{e}");
    assert!(e.contains("scores.tsv:4)"), "{e}");
    assert!(
        e.contains("`S6`") && !e.contains("`S7`") && e.ends_with(", ..."),
        "{e}"
    );

    let rows: String = (0..8).map(|i| format!("S{i}\tspoof\n")).collect();
    let key = d.file(
        "key2.tsv",
        &format!("filename\tcm-label\n{rows}K1\tbonafide\nK2\tspoof\n"),
    );
    let opts = ReadOptions {
        key: Some(key.clone()),
        ..Default::default()
    };
    let e = error(&[&scores], &opts, &key, None);
    assert!(
        e.contains("2 labels have no score: `K1` (line 10), `K2` (line 11)"),
        "{e}"
    );
}

#[test]
fn duplicate_keys_are_an_error() {
    let d = Dir::new();
    let scores = d.file("s.tsv", "filename\tcm-score\nA\t1\n");
    let key = d.file(
        "k.tsv",
        "filename\tcm-label\nA\tspoof\nB\tspoof\nA\tbonafide\n",
    );
    let opts = ReadOptions {
        key: Some(key.clone()),
        ..Default::default()
    };
    let e = error(&[&scores], &opts, &key, Some(4));
    assert!(
        e.contains(&format!("duplicate id `A` (first at {}:2)", key.display())),
        "{e}"
    );
}

// ---------------------------------------------------------------- fakescope scan output

fn scan_line(path: &str, p: Option<f64>, detectors: &[(&str, f64)], error: Option<&str>) -> String {
    let detectors: Vec<String> = detectors
        .iter()
        .map(|(n, p)| format!("{{\"name\":\"{n}\",\"fake_probability\":{p},\"verdict\":\"likely_fake\",\"windows\":[],\"segments\":[]}}"))
        .collect();
    format!(
        "{{\"path\":\"{path}\",\"media\":\"audio\",\"duration_s\":1.0,\"fake_probability\":{},\"verdict\":\"n/a\",\
         \"calibrated\":false,\"detectors\":[{}],\"segments\":[],\"note\":null,\"error\":{}}}\n",
        p.map_or("null".to_string(), |p| p.to_string()),
        detectors.join(","),
        error.map_or("null".to_string(), |e| format!("\"{e}\""))
    )
}

fn scan_output(d: &Dir) -> PathBuf {
    let text = [
        scan_line(
            "data/fake/a.wav",
            Some(0.9),
            &[("aasist", 0.8), ("rawnet2", 1.0)],
            None,
        ),
        scan_line("data/real/b.wav", Some(0.2), &[("aasist", 0.3)], None),
        scan_line("data/real/c.wav", None, &[], Some("unsupported codec")),
        scan_line("data/fake/d.wav", Some(0.6), &[("rawnet2", 0.6)], None),
    ]
    .concat();
    d.file("scan.jsonl", &text)
}

#[test]
fn scan_output_with_labels_from_folders() {
    let d = Dir::new();
    let scan = scan_output(&d);
    let opts = ReadOptions {
        label_from_dir: Some(vec![("fake".into(), true), ("real".into(), false)]),
        ..Default::default()
    };
    let t = read(&[&scan], &opts);
    assert_eq!(t.scores, vec![0.9, 0.2, 0.6]);
    assert_eq!(t.fake, vec![true, false, true]);
    assert_eq!(t.direction, HigherMeans::Fake);
    assert_eq!(t.kind, ScoreKind::Probability);
    assert_eq!(t.warnings.len(), 1);
    assert!(
        t.warnings[0].ends_with(
            "skipped 1 file that could not be scanned: data/real/c.wav (unsupported codec)"
        ),
        "{:?}",
        t.warnings
    );

    let t = read(
        &[&scan],
        &ReadOptions {
            detector: Some("aasist".into()),
            ..opts.clone()
        },
    );
    assert_eq!(t.scores, vec![0.8, 0.3]);
    assert!(t.warnings.iter().any(|w| {
        w.contains("skipped 1 file that detector `aasist` did not score: data/fake/d.wav")
    }));
    let e = usage(
        &[&scan],
        &ReadOptions {
            detector: Some("lcnn".into()),
            ..opts.clone()
        },
    );
    assert!(
        e.contains(
            "no report has detector `lcnn` (--detector); the detectors are: aasist, rawnet2"
        ),
        "{e}"
    );

    let only_fake = ReadOptions {
        label_from_dir: Some(vec![("fake".into(), true)]),
        ..Default::default()
    };
    let e = error(&[&scan], &only_fake, &scan, Some(2));
    assert!(
        e.contains("`data/real/b.wav` is under none of the label folders fake (fake)"),
        "{e}"
    );
    let both = d.file(
        "both.jsonl",
        &scan_line("fake/real/x.wav", Some(0.5), &[], None),
    );
    let e = error(&[&both], &opts, &both, Some(1));
    assert!(
        e.contains("is under both `fake` (fake) and `real` (real)"),
        "{e}"
    );

    let e = usage(&[&scan], &ReadOptions::default());
    assert!(e.contains("fakescope scan output has no labels"), "{e}");
    let e = usage(
        &[&scan],
        &ReadOptions {
            higher_means: Some(HigherMeans::Real),
            ..opts
        },
    );
    assert!(e.contains("contradicts"), "{e}");
}

#[test]
fn scan_output_with_a_label_file() {
    let d = Dir::new();
    let scan = scan_output(&d);
    // Exact path, file name, and a label for a file that was not scanned.
    let labels = d.file(
        "labels.csv",
        "path,label\ndata/fake/a.wav,1\nb.wav,real\n/elsewhere/d.wav,fake\nz.wav,0\n",
    );
    let t = read(
        &[&scan],
        &ReadOptions {
            labels: Some(labels.clone()),
            ..Default::default()
        },
    );
    assert_eq!(t.fake, vec![true, false, true]);
    assert!(
        t.warnings
            .iter()
            .any(|w| w.contains("1 label has no score: `z.wav` (line 5)")),
        "{:?}",
        t.warnings
    );
    assert_eq!(t.sources, vec![scan.clone(), labels]);

    let ambiguous = d.file(
        "amb.csv",
        "path,label\nx/b.wav,1\ny/b.wav,0\ndata/fake/a.wav,1\nd.wav,1\n",
    );
    let e = error(
        &[&scan],
        &ReadOptions {
            labels: Some(ambiguous.clone()),
            ..Default::default()
        },
        &ambiguous,
        None,
    );
    assert!(
        e.contains("1 score has no label here: `data/real/b.wav` ("),
        "{e}"
    );
}

#[test]
fn scan_paths_match_protocol_ids_without_extension() {
    let d = Dir::new();
    let scan = d.file(
        "scan.jsonl",
        &[
            scan_line("/data/LA/flac/LA_E_1.flac", Some(0.25), &[], None),
            scan_line("/data/LA/flac/LA_E_2.flac", Some(0.5), &[], None),
        ]
        .concat(),
    );
    let key = d.file(
        "protocol.txt",
        "LA_0039 LA_E_1 - - bonafide\nLA_0014 LA_E_2 - A11 spoof\n",
    );
    let opts = ReadOptions {
        key: Some(key),
        condition_col: Some("attack".into()),
        ..Default::default()
    };
    let t = read(&[&scan], &opts);
    assert_eq!(t.fake, vec![false, true]);
    assert_eq!(t.scores, vec![0.25, 0.5]);
    assert_eq!(names(&t.condition), vec!["-", "A11"]);
}

// ---------------------------------------------------------------- videos, groups, conditions

#[test]
fn videos_from_a_column_or_the_parent_folder() {
    let d = Dir::new();
    let p = d.file(
        "frames.csv",
        "path,label,fake_probability,video,method\n\
         ff/Deepfakes/000_003/0.png,1,0.9,v1,Deepfakes\n\
         ff/Deepfakes/000_003/1.png,1,0.8,v1,Deepfakes\n\
         ff/Face2Face/000_003/0.png,1,0.7,v2,Face2Face\n\
         ff\\real\\000\\0.png,0,0.1,v3,real\n",
    );
    let t = read(
        &[&p],
        &ReadOptions {
            video_col: Some("video".into()),
            ..Default::default()
        },
    );
    assert_eq!(names(&t.video), vec!["v1", "v1", "v2", "v3"]);
    assert_eq!(t.video.as_ref().unwrap().codes, vec![0, 0, 1, 2]);
    let opts = ReadOptions {
        video_from_parent: true,
        condition_col: Some("method".into()),
        ..Default::default()
    };
    let t = read(&[&p], &opts);
    assert_eq!(
        names(&t.video),
        vec![
            "ff/Deepfakes/000_003",
            "ff/Deepfakes/000_003",
            "ff/Face2Face/000_003",
            "ff\\real\\000"
        ]
    );
    assert_eq!(
        names(&t.condition),
        vec!["Deepfakes", "Deepfakes", "Face2Face", "real"]
    );

    let flat = d.file(
        "flat.csv",
        "path,label,fake_probability\na/0.png,1,0.5\n1.png,0,0.5\n",
    );
    let e = error(
        &[&flat],
        &ReadOptions {
            video_from_parent: true,
            ..Default::default()
        },
        &flat,
        Some(3),
    );
    assert!(e.contains("`1.png` has no folder"), "{e}");
    let e = usage(
        &[&p],
        &ReadOptions {
            video_from_parent: true,
            video_col: Some("video".into()),
            ..Default::default()
        },
    );
    assert!(e.contains("--video-col and --video-from-parent"), "{e}");
}

#[test]
fn missing_condition_column_names_what_exists() {
    let d = Dir::new();
    let p = d.file("s.csv", "id,label,fake_probability\na,1,0.5\n");
    let e = error(
        &[&p],
        &ReadOptions {
            condition_col: Some("attack".into()),
            ..Default::default()
        },
        &p,
        None,
    );
    assert!(
        e.contains(
            "no column `attack` (--condition-col); the columns are: id, label, fake_probability"
        ),
        "{e}"
    );
}

// ---------------------------------------------------------------- several files

#[test]
fn several_files_are_concatenated() {
    let d = Dir::new();
    let a = d.file(
        "a.csv",
        "id,label,fake_probability,site\na1,1,0.5,x\na2,0,0.25,y\n",
    );
    let b = d.file(
        "b.tsv",
        "site\tfake_probability\tlabel\tid\nz\t0.75\tspoof\tb1\nx\t0\tbonafide\tb2\n",
    );
    let t = read(
        &[&a, &b],
        &ReadOptions {
            group_col: Some("site".into()),
            ..Default::default()
        },
    );
    assert_eq!(t.scores, vec![0.5, 0.25, 0.75, 0.0]);
    assert_eq!(t.fake, vec![true, false, true, false]);
    assert_eq!(names(&t.group), vec!["x", "y", "z", "x"]);
    assert_eq!(t.group.as_ref().unwrap().codes, vec![0, 1, 2, 0]);

    let dup = d.file(
        "c.csv",
        "id,label,fake_probability,site\nc1,1,0.5,x\na2,1,0.5,x\n",
    );
    let e = error(
        &[&a, &dup],
        &ReadOptions {
            group_col: Some("site".into()),
            ..Default::default()
        },
        &dup,
        Some(3),
    );
    assert!(
        e.contains(&format!("duplicate id `a2` (first at {}:3)", a.display())),
        "{e}"
    );

    let asv = d.file("asv.tsv", "filename\tcm-score\tlabel\nq\t1\tspoof\n");
    let e = usage(&[&a, &asv], &ReadOptions::default());
    assert!(
        e.contains("asv.tsv is an ASVspoof score file but") && e.contains("a.csv is a score table"),
        "{e}"
    );
    let plain = d.file("plain.csv", "id,label,score\np,1,3\n");
    let e = usage(&[&a, &plain], &ReadOptions::default());
    assert!(
        e.contains("plain.csv") && e.contains("higher `score`"),
        "{e}"
    );
    let e = usage(
        &[&a, &plain],
        &ReadOptions {
            higher_means: Some(HigherMeans::Fake),
            ..Default::default()
        },
    );
    assert!(
        e.contains("holds probabilities but") && e.contains("holds scores; pass --score-kind"),
        "{e}"
    );
}

// ---------------------------------------------------------------- bad input

#[test]
fn empty_file_and_header_only() {
    let d = Dir::new();
    let empty = d.file("empty.csv", "");
    let e = error(&[&empty], &fake_first(), &empty, None);
    assert!(e.ends_with("empty.csv: empty file"), "{e}");
    let blank = d.file("blank.csv", "\n  \r\n");
    let e = error(&[&blank], &fake_first(), &blank, None);
    assert!(e.ends_with(": empty file"), "{e}");
    let header = d.file("header.csv", "id,label,score\n\n");
    let e = error(&[&header], &fake_first(), &header, None);
    assert!(e.ends_with("header.csv: no rows after the header"), "{e}");
}

#[test]
fn missing_columns_list_the_columns_there_are() {
    let d = Dir::new();
    let p = d.file("s.csv", "name,truth,value\na,1,0.5\n");
    let e = error(&[&p], &fake_first(), &p, None);
    assert!(
        e.contains("no score column: none of fake_probability, fake_llr, score, cm-score, prob, pred (columns: name, truth, value)"),
        "{e}"
    );
    let opts = ReadOptions {
        score_col: Some("value".into()),
        ..fake_first()
    };
    let e = error(&[&p], &opts, &p, None);
    assert!(
        e.contains(
            "no label column: none of label, cm-label, key, target (columns: name, truth, value)"
        ),
        "{e}"
    );
    let opts = ReadOptions {
        score_col: Some("values".into()),
        ..fake_first()
    };
    let e = error(&[&p], &opts, &p, None);
    assert!(
        e.contains("no column `values` (--score-col); the columns are: name, truth, value"),
        "{e}"
    );
    let opts = ReadOptions {
        score_col: Some("VALUE".into()),
        label_col: Some("truth".into()),
        ..fake_first()
    };
    assert_eq!(read(&[&p], &opts).scores, vec![0.5]);
}

#[test]
fn bad_values_name_file_and_line() {
    let d = Dir::new();
    let cases = [
        ("a,1,0.5\nb,1,abc\n", 3, "score `abc` is not a number"),
        ("a,1,0.5\nb,1,NaN\n", 3, "score `NaN` is not finite"),
        ("a,1,inf\n", 2, "score `inf` is not finite"),
        ("a,1,-Infinity\n", 2, "score `-Infinity` is not finite"),
        ("a,1,\n", 2, "missing score"),
        (
            "a,maybe,0.5\n",
            2,
            "label `maybe` is not one of 1/0, fake/real, spoof/bonafide",
        ),
        ("a,2,0.5\n", 2, "label `2` is not one of"),
        ("a,,0.5\n", 2, "missing label"),
        (",1,0.5\n", 2, "missing id"),
        (
            "a,1,0.5\nb,1\n",
            3,
            "2 fields where the first line has 3 (comma-separated: id, label, score)",
        ),
        ("a,1,0.5,9\n", 2, "4 fields where the first line has 3"),
        (
            "a,1,0.5\n\nb,1,0.5\na,0,0.5\n",
            5,
            "duplicate id `a` (first at ",
        ),
    ];
    for (i, (rows, line, message)) in cases.iter().enumerate() {
        let p = d.file(&format!("bad{i}.csv"), &format!("id,label,score\n{rows}"));
        let e = error(&[&p], &fake_first(), &p, Some(*line));
        assert!(e.contains(message), "case {i}: {e}");
    }
    let p = d.file(
        "dupline.csv",
        "id,label,score\na,1,0.5\n\nb,1,0.5\na,0,0.5\n",
    );
    let e = error(&[&p], &fake_first(), &p, Some(5));
    assert!(
        e.contains(&format!("duplicate id `a` (first at {}:2)", p.display())),
        "{e}"
    );
}

#[test]
fn headerless_data_asks_for_a_header() {
    let d = Dir::new();
    let p = d.file("s.csv", "a,1,0.5\n");
    let e = error(&[&p], &fake_first(), &p, Some(1));
    assert!(
        e.contains("the first line looks like data, not a header naming the columns"),
        "{e}"
    );
    assert!(e.contains("`id,label,score`"), "{e}");
}

#[test]
fn bom_crlf_and_quotes() {
    let d = Dir::new();
    let p = d.bytes(
        "s.csv",
        b"\xEF\xBB\xBFid,label,score\r\n\"a, \"\"the\"\" file\",1,0.5\r\n  \"b\" , 0 ,  -1 \r\nc,fake,2",
    );
    let t = read(&[&p], &fake_first());
    assert_eq!(t.ids.unwrap(), vec!["a, \"the\" file", "b", "c"]);
    assert_eq!(t.fake, vec![true, false, true]);
    assert_eq!(t.scores, vec![0.5, -1.0, 2.0]);

    let p = d.file("q.tsv", "id\tlabel\tscore\n\"x\ty\"\t1\t0\n");
    assert_eq!(read(&[&p], &fake_first()).ids.unwrap(), vec!["x\ty"]);

    let p = d.file("open.csv", "id,label,score\n\"a,1,0.5\n");
    let e = error(&[&p], &fake_first(), &p, Some(2));
    assert!(e.contains("has no closing quote"), "{e}");
    let p = d.file("after.csv", "id,label,score\n\"a\"b,1,0.5\n");
    let e = error(&[&p], &fake_first(), &p, Some(2));
    assert!(e.contains("text after the closing quote"), "{e}");
    let p = d.file("stray.csv", "id,label,score\na\"b,1,0.5\n");
    let e = error(&[&p], &fake_first(), &p, Some(2));
    assert!(e.contains("stray quote in field `a\"b`"), "{e}");
}

#[test]
fn not_utf8_names_the_line() {
    let d = Dir::new();
    let p = d.bytes("s.csv", b"id,label,score\na,1,0.5\nb\xff,1,0.5\n");
    let e = error(&[&p], &fake_first(), &p, Some(3));
    assert!(e.ends_with("not UTF-8 text"), "{e}");
}

#[test]
fn a_single_class_is_not_an_input_error() {
    let d = Dir::new();
    let p = d.file("s.csv", "id,label,score\na,1,0.5\nb,1,0.7\n");
    assert_eq!(read(&[&p], &fake_first()).fake, vec![true, true]);
}

#[test]
fn missing_file_is_an_io_error() {
    let d = Dir::new();
    let p = d.0.path().join("nope.csv");
    let e = read_scores(std::slice::from_ref(&p), &fake_first()).unwrap_err();
    assert!(matches!(e, InputError::Io { .. }), "{e:?}");
    assert!(e.to_string().starts_with(&p.display().to_string()));
}

#[test]
fn conflicting_options() {
    let d = Dir::new();
    let p = d.file("s.csv", "id,label,score\na,1,0.5\n");
    assert!(usage(&[], &fake_first()).contains("no score file"));
    let opts = ReadOptions {
        key: Some(p.clone()),
        labels: Some(p.clone()),
        ..fake_first()
    };
    assert!(usage(&[&p], &opts).contains("use only one"));
    let opts = ReadOptions {
        detector: Some("aasist".into()),
        ..fake_first()
    };
    assert!(usage(&[&p], &opts).contains("--detector applies only to fakescope scan output"));
}

// ---------------------------------------------------------------- big files

/// A file of several blocks: rows are split across blocks and parsed in parallel, and line
/// numbers still come out right.
#[test]
fn blocks_keep_line_numbers() {
    let d = Dir::new();
    let n = 400_000; // ~10 MB: three blocks
    let mut text = String::with_capacity(n * 26);
    text.push_str("id,label,score,attack\n");
    for i in 0..n {
        text.push_str(&format!(
            "file_{i:07},{},{}.{:03},A{:02}\n",
            i % 2,
            i % 7,
            i % 1000,
            i % 19
        ));
    }
    let p = d.file("big.csv", &text);
    let t = read(
        &[&p],
        &ReadOptions {
            condition_col: Some("attack".into()),
            ..fake_first()
        },
    );
    assert_eq!(t.scores.len(), n);
    assert_eq!(t.ids.as_ref().unwrap()[n - 1], format!("file_{:07}", n - 1));
    assert_eq!(
        t.scores[n - 1],
        ((n - 1) % 7) as f64 + ((n - 1) % 1000) as f64 / 1000.0
    );
    assert!(t.fake.iter().enumerate().all(|(i, &f)| f == (i % 2 == 1)));
    let c = t.condition.unwrap();
    assert_eq!(c.names.len(), 19);
    assert!(
        c.codes
            .iter()
            .enumerate()
            .all(|(i, &code)| c.names[code as usize] == format!("A{:02}", i % 19))
    );

    let bad = d.file("bad.csv", &format!("{text}file_x,1,oops,A01\n"));
    let e = error(&[&bad], &fake_first(), &bad, Some(n as u64 + 2));
    assert!(e.contains("score `oops` is not a number"), "{e}");
    let dup = d.file("dup.csv", &format!("{text}file_0300000,1,0,A01\n"));
    let e = error(&[&dup], &fake_first(), &dup, Some(n as u64 + 2));
    assert!(
        e.contains(&format!(
            "duplicate id `file_0300000` (first at {}:300002)",
            dup.display()
        )),
        "{e}"
    );
}

/// Times reading a generated 10,000,000-row `id,label,score` CSV (about 240 MB, written to the
/// temp folder once). Run with
/// `cargo test --release -p fakescope-eval --test input -- --ignored --nocapture read_ten_million`.
#[test]
#[ignore]
fn read_ten_million_rows() {
    let path = std::env::temp_dir().join("fakescope_eval_10m.csv");
    if !path.exists() {
        let tmp = path.with_extension("partial");
        let mut w = std::io::BufWriter::new(std::fs::File::create(&tmp).unwrap());
        writeln!(w, "id,label,score").unwrap();
        let mut x: u64 = 12345;
        for i in 0..10_000_000u64 {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let score = (x >> 11) as f64 / (1u64 << 53) as f64;
            writeln!(w, "file_{i:07},{},{score:.6}", i % 2).unwrap();
        }
        w.flush().unwrap();
        drop(w);
        std::fs::rename(&tmp, &path).unwrap();
    }
    let cpu_before = cpu_seconds();
    let start = std::time::Instant::now();
    let table = read(&[&path], &fake_first());
    let elapsed = start.elapsed();
    let cpu = cpu_seconds() - cpu_before;
    assert_eq!(table.scores.len(), 10_000_000);
    eprintln!(
        "read {} rows in {:.3} s wall, {cpu:.2} s CPU (user + system), on {} threads",
        table.scores.len(),
        elapsed.as_secs_f64(),
        rayon::current_num_threads()
    );
}

/// User + system CPU time of this process so far (Linux; 0 elsewhere).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
    let after = stat.rsplit(')').next().unwrap_or_default();
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}
