//! EER, DET curve, minDCF, actDCF and Cllr: equal (1e-9) to the ASVspoof 5 evaluation package
//! (`calculate_modules.py`) on every case of tests/reference/binary_reference.json; minCllr
//! equal to a PAV reference built on scikit-learn's IsotonicRegression.

#[path = "reference/binary_fixture.rs"]
mod binary_fixture;

use binary_fixture::{Checker, SplitMix, cases, first_min, load, num, nums, trials};
use fakescope_metrics::cllr::{cllr, min_cllr, min_cllr_ranked};
use fakescope_metrics::dcf::{DcfParams, act_dcf, min_dcf};
use fakescope_metrics::eer::{det_curve, eer_asvspoof};
use fakescope_metrics::{MetricError, Trials};

/// Trials from ASVspoof-convention scores (higher = bona fide), negated into ours.
fn from_asvspoof(bona_fide: &[f64], spoof: &[f64]) -> Trials {
    let scores = bona_fide.iter().chain(spoof).map(|s| -s).collect();
    let labels = bona_fide
        .iter()
        .map(|_| false)
        .chain(spoof.iter().map(|_| true))
        .collect();
    Trials::new(scores, labels).unwrap()
}

#[test]
fn issue_check_vectors() {
    let close = |a: f64, e: f64| assert!((a - e).abs() < 1e-7, "{a} != {e}");
    let trials = from_asvspoof(&[2.0, 1.0, 0.5, -0.5], &[-2.0, -1.0, 0.0, 0.5, 1.5]);
    let ranked = trials.ranked();
    close(eer_asvspoof(&ranked).unwrap().eer, 0.45);
    close(min_dcf(&ranked, DcfParams::default()).unwrap().dcf, 0.6);
    close(act_dcf(&trials, DcfParams::default()).unwrap().dcf, 0.6);
    close(cllr(&trials).unwrap(), 0.8900356);

    let trials = from_asvspoof(&[1.0, 1.0, 0.0], &[1.0, 0.0, -1.0]);
    let ranked = trials.ranked();
    close(eer_asvspoof(&ranked).unwrap().eer, 1.0 / 3.0);
    close(
        min_dcf(&ranked, DcfParams::default()).unwrap().dcf,
        2.0 / 3.0,
    );
    close(
        act_dcf(&trials, DcfParams::default()).unwrap().dcf,
        2.0 / 3.0,
    );
    close(cllr(&trials).unwrap(), 0.8750766);
}

#[test]
fn eer_and_det_curve_match_the_package() {
    let fixture = load();
    let check = Checker::default();
    for (name, case) in cases(&fixture) {
        let trials = trials(case);
        let ranked = trials.ranked();
        let expected = &case["asvspoof5"];
        let eer = eer_asvspoof(&ranked).unwrap();
        check.close(eer.eer, num(&expected["eer"]), "eer", name);
        check.close(
            eer.threshold,
            num(&expected["eer_threshold"]),
            "eer threshold",
            name,
        );
        if let Some(det) = expected.get("det") {
            let curve = det_curve(&ranked).unwrap();
            check.curve(&curve.frr, &nums(&det["frr"]), "det frr", name);
            check.curve(&curve.far, &nums(&det["far"]), "det far", name);
            check.curve(
                &curve.thresholds,
                &nums(&det["thresholds"]),
                "det thresholds",
                name,
            );
        }
    }
    check.report("eer_asvspoof, det_curve");
}

#[test]
fn dcf_match_the_package() {
    let fixture = load();
    let check = Checker::default();
    for (name, case) in cases(&fixture) {
        let trials = trials(case);
        let ranked = trials.ranked();
        for expected in case["asvspoof5"]["dcf"].as_array().unwrap() {
            let p = nums(&expected["params"]);
            let params = DcfParams {
                p_spoof: p[0],
                c_miss: p[1],
                c_fa: p[2],
            };
            let min = min_dcf(&ranked, params).unwrap();
            let act = act_dcf(&trials, params).unwrap();
            check.close(min.dcf, num(&expected["min_dcf"]), "min_dcf", name);
            check.close(
                min.threshold,
                num(&expected["min_dcf_threshold"]),
                "min_dcf thr",
                name,
            );
            check.close(act.dcf, num(&expected["act_dcf"]), "act_dcf", name);
            check.close(
                act.threshold,
                num(&expected["act_dcf_threshold"]),
                "act_dcf thr",
                name,
            );
        }
    }
    check.report("min_dcf, act_dcf");
}

#[test]
fn cllr_matches_the_package_where_finite_and_stays_finite() {
    let fixture = load();
    let check = Checker::default();
    let mut overflowed = 0;
    for (name, case) in cases(&fixture) {
        let trials = trials(case);
        let got = cllr(&trials).unwrap();
        assert!(got.is_finite(), "{name}: {got}");
        let package = num(&case["asvspoof5"]["cllr"]);
        if package.is_finite() {
            check.close(got, package, "cllr (package)", name);
        } else {
            overflowed += 1;
        }
        check.close(got, num(&case["stable_cllr"]), "cllr (logaddexp)", name);
    }
    assert!(
        overflowed >= 2,
        "the fixture exercises the package's overflow"
    );
    check.report("cllr");
}

#[test]
fn min_cllr_matches_the_pav_reference() {
    let fixture = load();
    let check = Checker::default();
    for (name, case) in cases(&fixture) {
        let trials = trials(case);
        let got = min_cllr(&trials).unwrap();
        assert_eq!(got, min_cllr_ranked(&trials.ranked()).unwrap());
        check.close(got, num(&case["min_cllr"]), "min_cllr", name);
        let calibrated = cllr(&trials).unwrap();
        assert!(
            got <= calibrated + 1e-12 && got <= 1.0 + 1e-12,
            "{name}: {got}"
        );
    }
    check.report("min_cllr");
}

#[test]
fn one_class_is_an_error_where_the_package_gives_nan() {
    let fixture = load();
    for (present, fake) in [("fake", true), ("real", false)] {
        let reference = &fixture["one_class"][present];
        for key in ["compute_eer", "compute_actDCF", "calculate_CLLR"] {
            let said = reference[key].as_str().unwrap();
            assert!(
                said.starts_with("warning") || said.starts_with("error"),
                "{key}: {said}"
            );
        }
        let scores = nums(&reference["scores"]);
        let trials = Trials::new(scores.clone(), vec![fake; scores.len()]).unwrap();
        let ranked = trials.ranked();
        let one_class = |e: MetricError| assert!(matches!(e, MetricError::OneClass { .. }));
        one_class(eer_asvspoof(&ranked).unwrap_err());
        one_class(det_curve(&ranked).unwrap_err());
        one_class(min_dcf(&ranked, DcfParams::default()).unwrap_err());
        one_class(act_dcf(&trials, DcfParams::default()).unwrap_err());
        one_class(cllr(&trials).unwrap_err());
        one_class(min_cllr(&trials).unwrap_err());
    }
}

/// The shortcuts of `eer_asvspoof` and `min_dcf` (binary search, one candidate per group) pick
/// the same point as the package's scan of every DET point, on tie-heavy data.
#[test]
fn shortcuts_match_a_scan_of_the_full_det_curve() {
    let mut rng = SplitMix(7);
    for round in 0..40 {
        let n = 1 + (rng.next() % 3000) as usize;
        let levels = 1 + rng.next() % [3, 20, 1000, 1 << 40][round % 4];
        let fake: Vec<bool> = (0..n).map(|_| rng.next().is_multiple_of(3)).collect();
        let scores: Vec<f64> = fake
            .iter()
            .map(|&f| (rng.next() % levels) as f64 + if f { levels as f64 / 4.0 } else { 0.0 })
            .collect();
        let trials = Trials::new(scores, fake).unwrap();
        if trials.require_both_classes().is_err() {
            continue;
        }
        let ranked = trials.ranked();
        let det = det_curve(&ranked).unwrap();

        let gaps: Vec<f64> = det
            .frr
            .iter()
            .zip(&det.far)
            .map(|(r, a)| (r - a).abs())
            .collect();
        let i = first_min(&gaps);
        let eer = eer_asvspoof(&ranked).unwrap();
        assert_eq!(eer.eer, (det.frr[i] + det.far[i]) / 2.0, "round {round}");
        assert_eq!(eer.threshold, det.thresholds[i], "round {round}");

        for params in [
            DcfParams::default(),
            DcfParams {
                p_spoof: 0.5,
                c_miss: 1.0,
                c_fa: 1.0,
            },
        ] {
            let p_target = 1.0 - params.p_spoof;
            let costs: Vec<f64> = det
                .frr
                .iter()
                .zip(&det.far)
                .map(|(r, a)| params.c_miss * r * p_target + params.c_fa * a * (1.0 - p_target))
                .collect();
            let i = first_min(&costs);
            let got = min_dcf(&ranked, params).unwrap();
            assert_eq!(got.threshold, det.thresholds[i], "round {round}");
            let c_default = (params.c_miss * p_target).min(params.c_fa * (1.0 - p_target));
            assert_eq!(got.dcf, costs[i] / c_default, "round {round}");
        }
    }
}
