//! Temporal localization AP/AR against the AV-Deepfake1M evaluator (`avdeepfake1m` 0.0.4).
//!
//! The fixtures come from `reference/make_localization_reference.py`: seeded synthetic metadata
//! and predictions (ties in scores, IoUs exactly at thresholds, duplicated proposals, unsorted
//! lists, real videos, empty proposal lists) with what `ap_ar_1d` returned for them.

use std::collections::HashMap;
use std::time::Instant;

use fakescope_metrics::MetricError;
use fakescope_metrics::localization::{
    LocalizationParams, Predictions, Proposal, Segment, VideoTruth, evaluate,
};
use serde_json::Value;

struct Fixture {
    truth: Vec<VideoTruth>,
    predictions: Predictions,
    params: LocalizationParams,
    expected: Value,
}

fn numbers(value: &Value) -> Vec<f64> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn load(name: &str) -> Fixture {
    let path = format!(
        "{}/tests/reference/localization_{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let fixture: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let key = fixture["value_key"].as_str().unwrap();
    let truth = fixture["metadata"]
        .as_array()
        .unwrap()
        .iter()
        .map(|video| VideoTruth {
            file: video["file"].as_str().unwrap().to_owned(),
            segments: video[key]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| {
                    let s = numbers(s);
                    Segment {
                        start: s[0],
                        end: s[1],
                    }
                })
                .collect(),
        })
        .collect();
    let predictions = fixture["predictions"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(file, proposals)| {
            let proposals = proposals.as_array().unwrap().iter().map(|p| {
                let p = numbers(p);
                Proposal {
                    score: p[0],
                    start: p[1],
                    end: p[2],
                }
            });
            (file.clone(), proposals.collect())
        })
        .collect();
    let p = &fixture["params"];
    let params = LocalizationParams {
        ap_iou_thresholds: numbers(&p["ap_iou_thresholds"]),
        ar_proposal_counts: numbers(&p["ar_proposal_counts"])
            .iter()
            .map(|&n| n as usize)
            .collect(),
        ar_iou_thresholds: numbers(&p["ar_iou_thresholds"]),
        fps: p["fps"].as_f64().unwrap(),
    };
    Fixture {
        truth,
        predictions,
        params,
        expected: fixture["expected"].clone(),
    }
}

fn assert_close(what: &str, got: f64, want: f64) {
    assert!(
        (got - want).abs() <= 1e-9,
        "{what}: got {got}, evaluator {want}"
    );
}

fn check(name: &str, preset: Option<LocalizationParams>) {
    let f = load(name);
    if let Some(preset) = preset {
        assert_eq!(
            f.params, preset,
            "{name}: the fixture was made with the preset's values"
        );
    }
    let result = evaluate(&f.truth, &f.predictions, &f.params).unwrap();
    let (ap, ar) = (numbers(&f.expected["ap"]), numbers(&f.expected["ar"]));
    assert_eq!((result.ap.len(), result.ar.len()), (ap.len(), ar.len()));
    for (got, want) in result.ap.iter().zip(&ap) {
        assert_close(&format!("{name} AP@{}", got.iou), got.ap, *want);
    }
    for (got, want) in result.ar.iter().zip(&ar) {
        assert_close(&format!("{name} AR@{}", got.proposals), got.ar, *want);
    }
    for key in ["mean_ap", "mean_ar", "score"] {
        let got = match key {
            "mean_ap" => result.mean_ap,
            "mean_ar" => result.mean_ar,
            _ => result.score,
        };
        assert_close(
            &format!("{name} {key}"),
            got,
            f.expected[key].as_f64().unwrap(),
        );
    }
    // The fixture exercises what it claims to.
    assert!(
        result.videos_without_proposals > 0,
        "{name}: no video without proposals"
    );
    assert!(
        f.truth.iter().any(|v| v.segments.is_empty()),
        "{name}: no real video"
    );
    assert_eq!(result.videos, f.truth.len());
}

#[test]
fn av_deepfake1m_preset_matches_the_evaluator() {
    check("av_deepfake1m", Some(LocalizationParams::av_deepfake1m()));
}

#[test]
fn lav_df_preset_matches_the_evaluator() {
    check("lav_df", Some(LocalizationParams::lav_df()));
}

#[test]
fn a_single_ar_count_matches_the_evaluator() {
    check("single_count", None);
}

#[test]
fn video_order_decides_ties_and_a_missing_entry_is_an_error() {
    let f = load("av_deepfake1m");
    let mut reversed = f.truth.clone();
    reversed.reverse();
    let forward = evaluate(&f.truth, &f.predictions, &f.params).unwrap();
    let backward = evaluate(&reversed, &f.predictions, &f.params).unwrap();
    assert_ne!(
        forward.ap, backward.ap,
        "ties across videos follow ground-truth order"
    );
    assert_eq!(forward.ar, backward.ar, "AR sums integers: order-free");

    let mut missing = f.predictions.clone();
    missing.remove(&f.truth[3].file);
    let err = evaluate(&f.truth, &missing, &f.params).unwrap_err();
    assert!(matches!(&err, MetricError::InvalidParameter(m) if m.contains(&f.truth[3].file)));
}

#[test]
fn refusals() {
    let params = LocalizationParams::av_deepfake1m();
    let video = |segments: Vec<Segment>| VideoTruth {
        file: "a".into(),
        segments,
    };
    let one = |p: Proposal| HashMap::from([("a".to_owned(), vec![p])]);
    let ok = Proposal {
        score: 0.5,
        start: 0.0,
        end: 1.0,
    };
    let seg = Segment {
        start: 0.0,
        end: 1.0,
    };
    assert_eq!(evaluate(&[], &one(ok), &params), Err(MetricError::Empty));
    assert!(matches!(
        evaluate(&[video(vec![])], &one(ok), &params),
        Err(MetricError::OneClass {
            present: "real",
            n: 1
        })
    ));
    let invalid = |truth: &[VideoTruth], preds: &Predictions, params: &LocalizationParams| {
        matches!(
            evaluate(truth, preds, params),
            Err(MetricError::InvalidParameter(_))
        )
    };
    let backwards = Segment {
        start: 2.0,
        end: 1.0,
    };
    assert!(invalid(&[video(vec![backwards])], &one(ok), &params));
    assert!(invalid(
        &[video(vec![seg])],
        &one(Proposal {
            score: f64::NAN,
            ..ok
        }),
        &params
    ));
    assert!(invalid(
        &[video(vec![seg])],
        &one(Proposal { end: -1.0, ..ok }),
        &params
    ));
    assert!(invalid(
        &[video(vec![seg])],
        &one(Proposal {
            start: f64::INFINITY,
            ..ok
        }),
        &params
    ));
    for broken in [
        LocalizationParams {
            ar_proposal_counts: vec![5, 0],
            ..params.clone()
        },
        LocalizationParams {
            ar_proposal_counts: vec![5, 5],
            ..params.clone()
        },
        LocalizationParams {
            ap_iou_thresholds: vec![],
            ..params.clone()
        },
        LocalizationParams {
            ap_iou_thresholds: vec![0.5, 1.5],
            ..params.clone()
        },
        LocalizationParams {
            ar_iou_thresholds: vec![0.5, 0.500000001],
            ..params.clone()
        },
        LocalizationParams {
            fps: 0.0,
            ..params.clone()
        },
    ] {
        assert!(
            invalid(&[video(vec![seg])], &one(ok), &broken),
            "{broken:?}"
        );
    }
    // Extra predictions are ignored, as upstream.
    let mut extra = one(ok);
    extra.insert("not in the metadata".into(), vec![ok]);
    let with_extra = evaluate(&[video(vec![seg])], &extra, &params).unwrap();
    assert_eq!(
        with_extra,
        evaluate(&[video(vec![seg])], &one(ok), &params).unwrap()
    );
}

/// `cargo test -p fakescope-metrics --release --test localization_parity -- --ignored --nocapture`
#[test]
#[ignore = "timing on a large synthetic set"]
fn timing_10k_videos_100_proposals() {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let (mut truth, mut predictions) = (Vec::new(), Predictions::new());
    for v in 0..10_000 {
        let file = format!("v{v}");
        let segments: Vec<Segment> = (0..(next() * 6.0) as usize)
            .map(|k| {
                let start = 10.0 * k as f64 + next() * 5.0;
                Segment {
                    start,
                    end: start + 0.1 + next() * 4.0,
                }
            })
            .collect();
        let proposals = (0..100)
            .map(|_| {
                let start = next() * 50.0;
                Proposal {
                    score: next(),
                    start,
                    end: start + next() * 5.0,
                }
            })
            .collect();
        truth.push(VideoTruth {
            file: file.clone(),
            segments,
        });
        predictions.insert(file, proposals);
    }
    for params in [
        LocalizationParams::av_deepfake1m(),
        LocalizationParams::lav_df(),
    ] {
        let started = Instant::now();
        let result = evaluate(&truth, &predictions, &params).unwrap();
        println!(
            "{} videos, {} proposals, fps {}: {:.3} s (score {:.4})",
            result.videos,
            result.proposals,
            params.fps,
            started.elapsed().as_secs_f64(),
            result.score
        );
    }
}
