//! Rendering a hand-made [`Report`] as text, Markdown and HTML.
//!
//! The report has every part filled (overall and video sections with curves, conditions, groups,
//! gaps, bootstrap, calibration gaps, warnings), one undefined metric with a note, and names
//! with `< & > " |` characters. The text and Markdown outputs are also compared with committed
//! snapshots (`tests/snapshots/`; `UPDATE_SNAPSHOTS=1 cargo test` rewrites them). Set
//! `FAKESCOPE_REPORT_SAMPLE=/tmp/report_sample.html` to write the HTML page for a look.

use std::time::Instant;

use fakescope_eval::input::{HigherMeans, ScoreKind};
use fakescope_eval::report::{
    BootstrapInfo, Breakdown, CalibrationGaps, Counts, Curves, Direction, Fairness, Gap, Histogram,
    Metric, ReliabilityBin, Report, Section, html, markdown, text,
};

/// A group name that needs escaping in Markdown and HTML.
const NASTY_GROUP: &str = "<b>men & \"boys\"|x</b>";
/// A score file name that needs escaping too.
const NASTY_FILE: &str = "scores/<eval>&'set'.csv";

fn metric(name: &str, definition: &str, value: Option<f64>) -> Metric {
    Metric {
        name: name.into(),
        definition: definition.into(),
        value,
        ci95: None,
        threshold: None,
        note: None,
    }
}

fn with_ci(mut m: Metric, lo: f64, hi: f64) -> Metric {
    m.ci95 = Some([lo, hi]);
    m
}

/// Logistic CDF: scores of real trials ~ Logistic(-1, 0.6), fake ~ Logistic(1, 0.6).
fn cdf(x: f64, mean: f64) -> f64 {
    1.0 / (1.0 + (-(x - mean) / 0.6).exp())
}

/// Curves of the two logistic classes, as the evaluator would down-sample them.
fn curves(trials: u64, reliability: bool) -> Curves {
    let thresholds: Vec<f64> = (0..=200).map(|i| 8.0 - 0.08 * f64::from(i)).collect();
    let roc: Vec<[f64; 2]> = thresholds
        .iter()
        .map(|&t| [1.0 - cdf(t, -1.0), 1.0 - cdf(t, 1.0)])
        .collect();
    let mut det: Vec<[f64; 2]> = roc.iter().map(|&[fpr, tpr]| [fpr, 1.0 - tpr]).collect();
    // The ends of a real DET curve: rates of exactly 0 and 1.
    det.insert(0, [0.0, 1.0]);
    det.push([1.0, 0.0]);
    let edges: Vec<f64> = (0..=40).map(|i| -5.0 + 0.25 * f64::from(i)).collect();
    let count = |mean: f64, n: u64| -> Vec<u64> {
        edges
            .windows(2)
            .map(|e| ((cdf(e[1], mean) - cdf(e[0], mean)) * n as f64).round() as u64)
            .collect()
    };
    Curves {
        roc,
        det,
        histogram: Histogram {
            real: count(-1.0, trials * 2 / 5),
            fake: count(1.0, trials * 3 / 5),
            edges: edges.clone(),
        },
        reliability: reliability.then(|| {
            (0..10u8)
                .map(|i| {
                    let p = (f64::from(i) + 0.5) / 10.0;
                    ReliabilityBin {
                        mean_predicted: p,
                        fraction_fake: (p * 0.8 + 0.1).min(1.0),
                        count: 40 + 13 * u64::from(i),
                    }
                })
                .collect()
        }),
    }
}

fn overall_metrics() -> Vec<Metric> {
    let mut eer = with_ci(
        metric(
            "eer_deepfakebench",
            "DeepfakeBench utils.get_test_metrics",
            Some(0.123456),
        ),
        0.110001,
        0.137777,
    );
    eer.threshold = Some(0.015);
    let mut min_dcf = metric(
        "min_dcf",
        "ASVspoof 5 calculate_minDCF_EER_CLLR_actDCF",
        Some(0.2468),
    );
    min_dcf.threshold = Some(-0.75);
    let mut cllr = metric("cllr", "ASVspoof 5 calculate_CLLR", None);
    cllr.note = Some("undefined: scores are not LLRs".into());
    vec![
        with_ci(
            metric("auc", "sklearn.metrics.roc_auc_score", Some(0.912345)),
            0.901234,
            0.923456,
        ),
        eer,
        min_dcf,
        cllr,
        metric("accuracy", "fraction correct at the threshold", Some(0.85)),
    ]
}

fn slice(name: &str, total: u64, fake: u64, auc: Option<f64>, fpr: f64) -> Breakdown {
    let mut auc = metric("auc", "sklearn.metrics.roc_auc_score", auc);
    if auc.value.is_none() {
        auc.note = Some("one class only".into());
    } else {
        auc.ci95 = Some([0.85, 0.97]);
    }
    Breakdown {
        name: name.into(),
        counts: Counts {
            total,
            fake,
            real: total - fake,
        },
        metrics: vec![
            auc,
            metric("fpr", "false positive rate at the threshold", Some(fpr)),
        ],
    }
}

fn full_report() -> Report {
    Report {
        fakescope_version: "0.1.0".into(),
        inputs: vec![NASTY_FILE.into(), "keys.txt".into()],
        direction: Direction {
            higher_means: HigherMeans::Real,
            reason: "ASVspoof score file".into(),
        },
        score_kind: ScoreKind::Probability,
        calibration: Some("calib.json".into()),
        threshold: 0.5,
        overall: Section {
            unit: "files".into(),
            counts: Counts {
                total: 1000,
                fake: 600,
                real: 400,
            },
            metrics: overall_metrics(),
            curves: Some(curves(1000, true)),
        },
        video: Some(Section {
            unit: "videos".into(),
            counts: Counts {
                total: 100,
                fake: 60,
                real: 40,
            },
            metrics: vec![with_ci(
                metric("auc", "sklearn.metrics.roc_auc_score", Some(0.934567)),
                0.91,
                0.95,
            )],
            curves: Some(curves(100, true)),
        }),
        per_condition: vec![
            slice("A07 (TTS)", 300, 200, Some(0.9512), 0.05),
            slice("codec|mp3", 200, 200, None, 0.0),
        ],
        fairness: Some(Fairness {
            groups: vec![
                slice("women", 500, 300, Some(0.93), 0.04),
                slice(NASTY_GROUP, 500, 300, Some(0.89), 0.09),
            ],
            gaps: vec![
                Gap {
                    metric: "auc".into(),
                    gap: 0.04,
                    lowest: NASTY_GROUP.into(),
                    highest: "women".into(),
                },
                Gap {
                    metric: "fpr".into(),
                    gap: 0.05,
                    lowest: "women".into(),
                    highest: NASTY_GROUP.into(),
                },
            ],
        }),
        bootstrap: Some(BootstrapInfo {
            resamples: 1000,
            seed: 42,
            unit: "videos".into(),
        }),
        calibration_gaps: Some(CalibrationGaps {
            act_minus_min_dcf: 0.0123,
            cllr_minus_min_cllr: 0.0456,
        }),
        warnings: vec![
            "3 duplicate ids dropped".into(),
            "cllr undefined: scores are not LLRs".into(),
            "row 7 of _tmp_: snake_case kept".into(),
        ],
    }
}

/// Compares `got` with `tests/snapshots/<name>`, or rewrites it when `UPDATE_SNAPSHOTS` is set.
fn snapshot(name: &str, got: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_SNAPSHOTS=1 writes it)", path.display()));
    assert_eq!(
        got, want,
        "{name} differs from the snapshot (UPDATE_SNAPSHOTS=1 rewrites it)"
    );
}

#[test]
fn text_has_values_headers_direction_and_aligned_columns() {
    let out = text::render(&full_report());
    for needle in [
        "fakescope evaluation report",
        "Overall (files)",
        "Per video (videos)",
        "Calibration",
        "Per condition",
        "Per group",
        "Largest gaps between groups",
        "Warnings",
        "1000 files: 600 fake, 400 real",
        "0.912345",
        "[0.901234, 0.923456]",
        "sklearn.metrics.roc_auc_score",
        "undefined: scores are not LLRs",
        "0.9512 [0.8500, 0.9700]",
        "Direction: a higher score in the input meant real; probabilities p turned into 1 - p (ASVspoof score file)",
        "Threshold: 0.500000 (in the input's scale, like every threshold below)",
        "95% CI: bootstrap, 1000 resamples of videos, seed 42",
        NASTY_GROUP,
        NASTY_FILE,
        "- 3 duplicate ids dropped",
        "condition codec|mp3, auc: one class only",
    ] {
        assert!(out.contains(needle), "text lacks {needle:?}:\n{out}");
    }
    // The undefined metric shows as n/a in the value column.
    let cllr = out.lines().find(|l| l.starts_with("cllr ")).unwrap();
    assert!(cllr.contains("n/a"), "{cllr}");

    // Right-aligned value column: every value of the overall table ends where "value" ends.
    let lines: Vec<&str> = out.lines().collect();
    let header = lines.iter().position(|l| l.starts_with("metric ")).unwrap();
    let value_end = lines[header].find("value").unwrap() + "value".len();
    for (line, value) in lines[header + 2..]
        .iter()
        .zip(["0.912345", "0.123456", "0.246800", "n/a", "0.850000"])
    {
        let end = line.find(value).unwrap() + value.len();
        assert_eq!(end, value_end, "misaligned: {line:?}");
    }
    snapshot("report.txt", &out);
}

#[test]
fn text_escapes_control_characters() {
    let mut report = full_report();
    report.inputs = vec!["evil\u{1b}[31mred\nfile.csv".into()];
    let out = text::render(&report);
    assert!(!out.contains('\u{1b}'));
    assert!(out.contains("evil\\u{1b}[31mred\\nfile.csv"), "{out}");
}

#[test]
fn markdown_has_tables_and_escapes_names() {
    let out = markdown::render(&full_report());
    for needle in [
        "# fakescope evaluation report",
        "## Overall (files)",
        "## Per video (videos)",
        "### Largest gaps between groups",
        "| metric | value | 95% CI | at threshold | definition | note |",
        "| --- | ---: | ---: | ---: | --- | --- |",
        "| auc | 0.912345 | \\[0.901234, 0.923456\\] |  | sklearn.metrics.roc_auc_score |  |",
        "| cllr | n/a |  |  | ASVspoof 5 calculate_CLLR | undefined: scores are not LLRs |",
        "&lt;b&gt;men &amp; \"boys\"\\|x&lt;/b&gt;",
        "scores/&lt;eval&gt;&amp;'set'.csv",
        "codec\\|mp3",
        "- row 7 of \\_tmp\\_: snake_case kept",
        "- 3 duplicate ids dropped",
    ] {
        assert!(out.contains(needle), "markdown lacks {needle:?}:\n{out}");
    }
    assert!(
        !out.contains("<b>"),
        "raw HTML from a name leaked into Markdown"
    );
    // Every table row has as many cells as its header (escaped pipes do not split cells).
    for table in out.split("\n\n").filter(|b| b.starts_with('|')) {
        let cells = |line: &str| line.replace("\\|", "").matches('|').count();
        let width = cells(table.lines().next().unwrap());
        assert!(
            table.lines().all(|l| cells(l) == width),
            "ragged table:\n{table}"
        );
    }
    snapshot("report.md", &out);
}

/// Text contents of the `<text>` elements of an SVG, trimmed.
fn svg_texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| {
            let start = t.find('>')? + 1;
            let end = t.find("</text>")?;
            Some(t[start..end].trim().to_string())
        })
        .collect()
}

/// Checks that every tag is closed in order (void and self-closing tags aside) and returns the
/// number of `<svg>` elements.
fn check_balanced(html: &str) -> usize {
    const VOID: [&str; 4] = ["meta", "br", "hr", "img"];
    let mut stack: Vec<String> = Vec::new();
    let mut svgs = 0;
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        rest = &rest[open + 1..];
        let close = rest.find('>').expect("unterminated tag");
        let tag = &rest[..close];
        rest = &rest[close + 1..];
        if tag.starts_with('!') || tag.starts_with('?') {
            continue;
        }
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        assert!(!name.is_empty(), "bad tag <{tag}>");
        if tag.starts_with('/') {
            let top = stack
                .pop()
                .unwrap_or_else(|| panic!("</{name}> closes nothing"));
            assert_eq!(top, name, "</{name}> closes <{top}>");
        } else if !tag.ends_with('/') && !VOID.contains(&name.as_str()) {
            if name == "svg" {
                svgs += 1;
            }
            stack.push(name);
        }
    }
    assert!(stack.is_empty(), "unclosed: {stack:?}");
    svgs
}

#[test]
fn html_is_self_contained_balanced_and_escaped() {
    let report = full_report();
    let started = Instant::now();
    let out = html::render(&report);
    let first = started.elapsed();
    if let Some(path) = std::env::var_os("FAKESCOPE_REPORT_SAMPLE") {
        std::fs::write(path, &out).unwrap();
    }
    assert!(out.starts_with("<!DOCTYPE html>"));
    // Two sections with curves and a reliability diagram each: 4 plots each.
    assert_eq!(check_balanced(&out), 8);
    assert_eq!(out.matches("<svg").count(), 8);
    assert_eq!(out.matches("</svg>").count(), 8);
    // Nothing fetched: no URL but the SVG namespace name, no script, no external resources.
    let without_ns = out.replace("http://www.w3.org/2000/svg", "");
    assert!(!without_ns.contains("http://") && !without_ns.contains("https://"));
    for banned in ["<script", "<link", "@import", "src=", "url("] {
        assert!(!out.contains(banned), "{banned}");
    }
    // Names are escaped, never raw.
    assert!(out.contains("&lt;b&gt;men &amp; &quot;boys&quot;|x&lt;/b&gt;"));
    assert!(out.contains("scores/&lt;eval&gt;&amp;&#39;set&#39;.csv"));
    assert!(!out.contains(NASTY_GROUP) && !out.contains("<eval>"));
    for needle in [
        "0.912345",
        "[0.901234, 0.923456]",
        "<th class=\"num\">value</th>",
        "n/a",
    ] {
        assert!(out.contains(needle), "{needle}");
    }

    // Each plot kind once per section; DET plots carry the NIST tick labels; legends say AUC/EER.
    let svgs: Vec<&str> = out.split("<svg").skip(1).collect();
    let titled = |title: &str| {
        svgs.iter()
            .filter(|s| svg_texts(s).iter().any(|t| t == title))
            .count()
    };
    for title in ["ROC", "DET", "Score histogram", "Reliability"] {
        assert_eq!(titled(title), 2, "{title}");
    }
    for det in svgs
        .iter()
        .filter(|s| svg_texts(s).iter().any(|t| t == "DET"))
    {
        let texts = svg_texts(det);
        for tick in ["0.1", "0.5", "1", "2", "5", "10", "20", "40"] {
            assert!(
                texts.iter().any(|t| t == tick),
                "DET lacks tick {tick}: {texts:?}"
            );
        }
        assert!(
            texts
                .iter()
                .any(|t| t == "False alarm rate (%), real called fake")
        );
    }
    let all_texts: Vec<String> = svgs.iter().flat_map(|s| svg_texts(s)).collect();
    assert!(
        all_texts.contains(&"ROC (AUC = 0.9123)".to_string()),
        "{all_texts:?}"
    );
    assert!(all_texts.contains(&"ROC (AUC = 0.9346)".to_string()));
    assert!(all_texts.contains(&"DET (EER = 12.35%)".to_string()));
    // Reliability counts are written on the bins.
    assert!(all_texts.contains(&"157".to_string()), "{all_texts:?}");

    // Speed: the curves are down-sampled, so this is independent of the number of trials.
    let started = Instant::now();
    let runs = 5;
    for _ in 0..runs {
        std::hint::black_box(html::render(&report));
    }
    let each = started.elapsed() / runs;
    eprintln!("html::render: first call {first:?}, then {each:?} per call");
    assert!(each.as_millis() < 500, "html::render took {each:?}");
}

#[test]
fn html_counts_plots_per_section() {
    // No reliability diagram for videos: 4 + 3 plots. Without curves: none.
    let mut report = full_report();
    report
        .video
        .as_mut()
        .unwrap()
        .curves
        .as_mut()
        .unwrap()
        .reliability = None;
    assert_eq!(check_balanced(&html::render(&report)), 7);
    report.video = None;
    report.overall.curves = None;
    let out = html::render(&report);
    assert_eq!(check_balanced(&out), 0);
    assert!(out.contains("0.912345"));
}

#[test]
fn bare_report_and_broken_curves_render_without_panicking() {
    let broken = Curves {
        roc: vec![
            [f64::NAN, 0.5],
            [0.2, f64::INFINITY],
            [0.0, 0.0],
            [1.0, 1.0],
        ],
        det: vec![[0.0, 0.0], [1.0, 1.0], [f64::NAN, 0.1], [-3.0, 7.0]],
        histogram: Histogram {
            edges: vec![f64::NAN, 1.0],
            real: vec![],
            fake: vec![3, 4, 5],
        },
        reliability: Some(vec![ReliabilityBin {
            mean_predicted: f64::NAN,
            fraction_fake: 2.0,
            count: 0,
        }]),
    };
    let report = Report {
        fakescope_version: "0.1.0".into(),
        inputs: vec![],
        direction: Direction {
            higher_means: HigherMeans::Fake,
            reason: "column fake_probability".into(),
        },
        score_kind: ScoreKind::Score,
        calibration: None,
        threshold: f64::NAN,
        overall: Section {
            unit: "files".into(),
            counts: Counts {
                total: 0,
                fake: 0,
                real: 0,
            },
            metrics: vec![],
            curves: Some(broken),
        },
        video: None,
        per_condition: vec![],
        fairness: None,
        bootstrap: None,
        calibration_gaps: None,
        warnings: vec![],
    };
    let out = text::render(&report);
    assert!(out.contains("Threshold: NaN"));
    assert!(out.contains("95% CI: not computed"));
    assert!(out.contains("Direction: a higher score in the input meant fake; scores used as read"));
    assert!(!out.contains("Warnings") && !out.contains("Per condition"));
    markdown::render(&report);
    assert_eq!(check_balanced(&html::render(&report)), 4);
}
