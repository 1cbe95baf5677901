//! a-DCF, t-DCF and t-EER against the ASVspoof 5 evaluation package.
//!
//! Fixtures: `reference/sasv_*.json`, written by `reference/make_sasv_reference.py`, which runs
//! the package's own functions on seeded random Track 2 score sets (scores rounded so that ties
//! occur; the `window` and `coarse` sets are large enough for the package's accelerated t-EER
//! search to decimate).

use std::path::PathBuf;

use fakescope_metrics::sasv::{self, AsvErrorRates, SasvClass, SasvCosts, SasvTrial, SasvTrials};
use serde_json::Value;

const TOL: f64 = 1e-9;

struct Case {
    name: String,
    trials: SasvTrials,
    expected: Value,
}

fn cases() -> Vec<Case> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/reference");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_str().unwrap();
            name.starts_with("sasv_") && name.ends_with(".json")
        })
        .collect();
    paths.sort();
    assert!(
        paths.len() >= 6,
        "expected the sasv_*.json fixtures in {dir:?}"
    );
    paths
        .iter()
        .map(|path| {
            let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
            let floats = |key: &str| -> Vec<f64> {
                doc[key]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_f64().unwrap())
                    .collect()
            };
            let (sasv, cm, asv) = (floats("sasv"), floats("cm"), floats("asv"));
            let trials = doc["class"]
                .as_array()
                .unwrap()
                .iter()
                .enumerate()
                .map(|(i, c)| SasvTrial {
                    class: match c.as_u64().unwrap() {
                        0 => SasvClass::Target,
                        1 => SasvClass::NonTarget,
                        _ => SasvClass::Spoof,
                    },
                    sasv: sasv[i],
                    cm: Some(cm[i]),
                    asv: Some(asv[i]),
                })
                .collect();
            Case {
                name: doc["case"].as_str().unwrap().to_owned(),
                trials: SasvTrials::new(trials).unwrap(),
                expected: doc["expected"].clone(),
            }
        })
        .collect()
}

fn close(case: &str, what: &str, got: f64, expected: &Value) {
    let want = expected
        .as_f64()
        .unwrap_or_else(|| panic!("{case}: no {what}"));
    assert!(
        (got - want).abs() <= TOL,
        "{case}: {what} = {got}, package {want}"
    );
}

#[test]
fn a_dcf_matches_package() {
    for c in cases() {
        let r = sasv::a_dcf(&c.trials, SasvCosts::default()).unwrap();
        close(&c.name, "a-DCF", r.a_dcf, &c.expected["a_dcf"]);
        close(
            &c.name,
            "a-DCF threshold",
            r.threshold,
            &c.expected["a_dcf_threshold"],
        );
    }
}

#[test]
fn t_dcf_with_organizers_asv_matches_package() {
    for c in cases() {
        let r = sasv::t_dcf(&c.trials, SasvCosts::default(), AsvErrorRates::default()).unwrap();
        close(&c.name, "t-DCF", r.t_dcf, &c.expected["t_dcf"]);
        close(
            &c.name,
            "t-DCF threshold",
            r.threshold,
            &c.expected["t_dcf_threshold"],
        );
    }
}

#[test]
fn asv_rates_at_eer_threshold_match_package() {
    for c in cases() {
        let e = &c.expected;
        let op = AsvErrorRates::at_eer_threshold(&c.trials).unwrap();
        close(
            &c.name,
            "ASV EER threshold",
            op.threshold,
            &e["asv_eer_threshold"],
        );
        close(&c.name, "ASV P_miss", op.rates.p_miss, &e["asv_eer_p_miss"]);
        close(
            &c.name,
            "ASV P_fa",
            op.rates.p_fa_nontarget,
            &e["asv_eer_p_fa_nontarget"],
        );
        close(
            &c.name,
            "ASV P_fa spoof",
            op.rates.p_fa_spoof,
            &e["asv_eer_p_fa_spoof"],
        );

        let r = sasv::t_dcf(&c.trials, SasvCosts::default(), op.rates).unwrap();
        close(&c.name, "t-DCF at ASV EER", r.t_dcf, &e["t_dcf_at_asv_eer"]);
        close(
            &c.name,
            "its threshold",
            r.threshold,
            &e["t_dcf_at_asv_eer_threshold"],
        );

        // calculate_aDCF_tdcf_tEER's own branch passes the spoof *miss* rate as P_fa_spoof.
        let as_package = AsvErrorRates {
            p_fa_spoof: 1.0 - op.rates.p_fa_spoof,
            ..op.rates
        };
        let r = sasv::t_dcf(&c.trials, SasvCosts::default(), as_package).unwrap();
        close(
            &c.name,
            "package branch t-DCF",
            r.t_dcf,
            &e["t_dcf_package_asv_branch"],
        );
    }
}

#[test]
fn t_eer_matches_package() {
    for c in cases() {
        let r = sasv::t_eer(&c.trials).unwrap();
        close(
            &c.name,
            "t-EER (%)",
            r.t_eer * 100.0,
            &c.expected["t_eer_percent"],
        );
        if !c.expected["t_eer_asv_threshold"].is_null() {
            close(
                &c.name,
                "t-EER ASV threshold",
                r.asv_threshold,
                &c.expected["t_eer_asv_threshold"],
            );
            close(
                &c.name,
                "t-EER CM threshold",
                r.cm_threshold,
                &c.expected["t_eer_cm_threshold"],
            );
        }
    }
}

#[test]
fn trials_order_does_not_matter() {
    for c in cases() {
        let mut reversed = c.trials.trials().to_vec();
        reversed.reverse();
        let reversed = SasvTrials::new(reversed).unwrap();
        assert_eq!(
            sasv::t_eer(&reversed).unwrap(),
            sasv::t_eer(&c.trials).unwrap(),
            "{}",
            c.name
        );
        assert_eq!(
            sasv::a_dcf(&reversed, SasvCosts::default()).unwrap(),
            sasv::a_dcf(&c.trials, SasvCosts::default()).unwrap(),
        );
    }
}

#[test]
fn refuses_what_the_package_cannot_compute() {
    let trial = |class, sasv: f64| SasvTrial {
        class,
        sasv,
        cm: None,
        asv: Some(sasv),
    };
    let t = SasvTrials::new(vec![
        trial(SasvClass::Target, 1.0),
        trial(SasvClass::NonTarget, 0.0),
    ])
    .unwrap();
    let err = sasv::a_dcf(&t, SasvCosts::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("no spoof trials"), "{err}");

    let t = SasvTrials::new(vec![
        trial(SasvClass::Target, 1.0),
        trial(SasvClass::NonTarget, 0.0),
        trial(SasvClass::Spoof, 0.5),
    ])
    .unwrap();
    let err = sasv::t_dcf(&t, SasvCosts::default(), AsvErrorRates::default()).unwrap_err();
    assert!(err.to_string().contains("CM score"), "{err}");
    assert!(sasv::t_eer(&t).is_err());
    assert!(sasv::a_dcf(&SasvTrials::new(vec![]).unwrap(), SasvCosts::default()).is_err());

    let bad = SasvCosts {
        p_spoof: 0.5,
        ..SasvCosts::default()
    };
    assert!(sasv::a_dcf(&t, bad).is_err());
    assert!(SasvTrials::new(vec![trial(SasvClass::Target, f64::NAN)]).is_err());
}
