//! ROC curve, ROC AUC, average precision, DeepfakeBench's EER and accuracy, threshold metrics:
//! equal (1e-9) to scikit-learn 1.9 and DeepfakeBench's `get_test_metrics` on every case of
//! tests/reference/binary_reference.json.

#[path = "reference/binary_fixture.rs"]
mod binary_fixture;

use binary_fixture::{Checker, SplitMix, cases, first_min, load, num, nums, trials};
use fakescope_metrics::eer::eer_deepfakebench;
use fakescope_metrics::roc::{average_precision, roc_auc, roc_curve};
use fakescope_metrics::threshold::{accuracy, balanced_accuracy, confusion, tpr_at_fpr};
use fakescope_metrics::{MetricError, Trials};

#[test]
fn roc_curves_match_sklearn() {
    let fixture = load();
    let check = Checker::default();
    for (name, case) in cases(&fixture) {
        let trials = trials(case);
        let ranked = trials.ranked();
        for (key, drop) in [("roc_drop", true), ("roc_full", false)] {
            let Some(expected) = case["sklearn"].get(key) else {
                continue;
            };
            let curve = roc_curve(&ranked, drop).unwrap();
            check.curve(&curve.fpr, &nums(&expected["fpr"]), "roc fpr", name);
            check.curve(&curve.tpr, &nums(&expected["tpr"]), "roc tpr", name);
            check.curve(
                &curve.thresholds,
                &nums(&expected["thresholds"]),
                "roc thresholds",
                name,
            );
        }
    }
    check.report("roc_curve");
}

#[test]
fn auc_and_average_precision_match_sklearn_and_deepfakebench() {
    let fixture = load();
    let check = Checker::default();
    for (name, case) in cases(&fixture) {
        let trials = trials(case);
        let ranked = trials.ranked();
        let auc = roc_auc(&ranked).unwrap();
        let ap = average_precision(&ranked).unwrap();
        check.close(auc, num(&case["sklearn"]["roc_auc"]), "roc_auc", name);
        check.close(
            auc,
            num(&case["deepfakebench"]["auc"]),
            "deepfakebench auc",
            name,
        );
        check.close(ap, num(&case["sklearn"]["average_precision"]), "ap", name);
        check.close(
            ap,
            num(&case["deepfakebench"]["ap"]),
            "deepfakebench ap",
            name,
        );
    }
    check.report("roc_auc, average_precision");
}

#[test]
fn eer_and_accuracy_match_deepfakebench() {
    let fixture = load();
    let check = Checker::default();
    for (name, case) in cases(&fixture) {
        let trials = trials(case);
        let expected = &case["deepfakebench"];
        let eer = eer_deepfakebench(&trials.ranked()).unwrap();
        check.close(eer.eer, num(&expected["eer"]), "deepfakebench eer", name);
        check.close(
            eer.threshold,
            num(&expected["eer_threshold"]),
            "deepfakebench eer threshold",
            name,
        );
        let acc = accuracy(&trials, 0.5).unwrap();
        check.close(acc, num(&expected["acc"]), "deepfakebench acc", name);
    }
    check.report("eer_deepfakebench, accuracy");
}

#[test]
fn threshold_metrics_match_sklearn() {
    let fixture = load();
    let check = Checker::default();
    for (name, case) in cases(&fixture) {
        let trials = trials(case);
        let ranked = trials.ranked();
        for point in case["sklearn"]["at_threshold"].as_array().unwrap() {
            let t = num(&point["threshold"]);
            let c = confusion(&trials, t);
            let expected: Vec<u64> = point["confusion"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap())
                .collect();
            // sklearn's confusion_matrix(labels=[0, 1]).ravel(): tn, fp, fn, tp.
            assert_eq!(
                [c.tn, c.fp, c.fn_, c.tp],
                expected[..],
                "{name}: confusion at {t}"
            );
            let acc = accuracy(&trials, t).unwrap();
            let balanced = balanced_accuracy(&trials, t).unwrap();
            check.close(acc, num(&point["accuracy"]), "accuracy", name);
            check.close(balanced, num(&point["balanced_accuracy"]), "balanced", name);
        }
        for pair in case["sklearn"]["tpr_at_fpr"].as_array().unwrap() {
            let (max_fpr, tpr) = (num(&pair[0]), num(&pair[1]));
            check.close(
                tpr_at_fpr(&ranked, max_fpr).unwrap(),
                tpr,
                "tpr_at_fpr",
                name,
            );
        }
    }
    check.report("confusion, accuracy, balanced_accuracy, tpr_at_fpr");
}

fn is_one_class<T: std::fmt::Debug>(result: Result<T, MetricError>) -> bool {
    matches!(result, Err(MetricError::OneClass { .. }))
}

#[test]
fn one_class_is_an_error_where_sklearn_warns() {
    let fixture = load();
    for (present, fake) in [("fake", true), ("real", false)] {
        let reference = &fixture["one_class"][present];
        for key in ["roc_curve", "roc_auc_score", "balanced_accuracy_score"] {
            let said = reference[key].as_str().unwrap();
            assert!(
                said.starts_with("warning") || said.starts_with("error"),
                "{key}: {said}"
            );
        }
        let scores = nums(&reference["scores"]);
        let trials = Trials::new(scores.clone(), vec![fake; scores.len()]).unwrap();
        let ranked = trials.ranked();
        assert!(is_one_class(roc_curve(&ranked, true)));
        assert!(is_one_class(roc_auc(&ranked)));
        assert!(is_one_class(eer_deepfakebench(&ranked)));
        assert!(is_one_class(tpr_at_fpr(&ranked, 0.1)));
        assert!(is_one_class(balanced_accuracy(&trials, 0.0)));
        // Accuracy is defined with one class (DeepfakeBench's correct / n).
        assert_eq!(accuracy(&trials, 0.0), Ok(0.5));
        // Average precision: scikit-learn returns 1 when every trial is fake, warns otherwise.
        let said = reference["average_precision_score"].as_str().unwrap();
        if fake {
            assert_eq!(said, "value: 1.0");
            assert_eq!(average_precision(&ranked), Ok(1.0));
        } else {
            assert!(said.starts_with("warning"), "{said}");
            assert!(is_one_class(average_precision(&ranked)));
        }
    }
    let empty = Trials::new(vec![], vec![]).unwrap();
    assert_eq!(roc_auc(&empty.ranked()), Err(MetricError::Empty));
    assert_eq!(accuracy(&empty, 0.5), Err(MetricError::Empty));
}

/// DeepfakeBench's EER and the (parallel, integer) AUC agree with a plain scan of
/// `roc_curve`'s output on data large enough to be split across threads, ties included.
#[test]
fn large_inputs_match_a_scan_of_the_roc_curve() {
    let mut rng = SplitMix(11);
    for levels in [50, 1 << 40] {
        let n = 300_000;
        let fake: Vec<bool> = (0..n).map(|_| rng.next().is_multiple_of(4)).collect();
        let scores: Vec<f64> = fake
            .iter()
            .map(|&f| (rng.next() % levels) as f64 + if f { levels as f64 / 3.0 } else { 0.0 })
            .collect();
        let trials = Trials::new(scores, fake).unwrap();
        let ranked = trials.ranked();
        let roc = roc_curve(&ranked, true).unwrap();
        let gaps: Vec<f64> = roc
            .tpr
            .iter()
            .zip(&roc.fpr)
            .map(|(t, f)| ((1.0 - t) - f).abs())
            .collect();
        let i = first_min(&gaps);
        let eer = eer_deepfakebench(&ranked).unwrap();
        assert_eq!((eer.eer, eer.threshold), (roc.fpr[i], roc.thresholds[i]));
        let area: f64 = roc
            .fpr
            .windows(2)
            .zip(roc.tpr.windows(2))
            .map(|(f, t)| (f[1] - f[0]) * (t[1] + t[0]) / 2.0)
            .sum();
        assert!((roc_auc(&ranked).unwrap() - area).abs() < 1e-12);
    }
}
