//! Affine logistic calibration against scikit-learn's weighted logistic regression.
//!
//! Fixture: `reference/calibration_reference.json`, written by
//! `reference/make_calibration_reference.py` (sklearn `LogisticRegression(C=inf,
//! solver="newton-cholesky")` with weights `π/N_fake`, `(1-π)/N_real`; its intercept is
//! `b + logit π`).

use fakescope_metrics::MetricError;
use fakescope_metrics::calibration::{self, Calibration, MAX_SLOPE_PER_SD};
use serde_json::Value;

struct Case {
    name: String,
    prior: f64,
    scores: Vec<f64>,
    fake: Vec<bool>,
    a: f64,
    b: f64,
    objective: f64,
}

fn cases() -> Vec<Case> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/reference/calibration_reference.json"
    );
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    doc["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| Case {
            name: c["name"].as_str().unwrap().to_owned(),
            prior: c["prior"].as_f64().unwrap(),
            scores: c["scores"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect(),
            fake: c["fake"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64() == Some(1))
                .collect(),
            a: c["a"].as_f64().unwrap(),
            b: c["b"].as_f64().unwrap(),
            objective: c["objective"].as_f64().unwrap(),
        })
        .collect()
}

fn assert_rel(case: &str, what: &str, got: f64, want: f64, tol: f64) {
    assert!(
        (got - want).abs() <= tol * want.abs().max(1e-12),
        "{case}: {what} = {got}, sklearn {want} (relative error {:e})",
        ((got - want) / want).abs()
    );
}

#[test]
fn slope_and_offset_match_sklearn() {
    let cases = cases();
    assert_eq!(cases.len(), 8);
    for c in &cases {
        let cal = calibration::fit(&c.scores, &c.fake, c.prior).unwrap();
        assert_rel(&c.name, "a", cal.a, c.a, 1e-6);
        assert_rel(&c.name, "b", cal.b, c.b, 1e-6);
        assert!(!cal.at_max_slope, "{}", c.name);
        assert_eq!(cal.prior, c.prior);
        assert_eq!(cal.n_fake + cal.n_real, c.scores.len());
        assert_eq!(cal.n_fake, c.fake.iter().filter(|&&f| f).count());
    }
}

#[test]
fn objective_matches_numpy_and_is_minimal() {
    for c in cases() {
        let fitted = calibration::fit(&c.scores, &c.fake, c.prior).unwrap();
        let reference = Calibration {
            a: c.a,
            b: c.b,
            ..fitted
        };
        // The objective function itself, at sklearn's solution, against NumPy.
        let at_reference = reference.objective(&c.scores, &c.fake).unwrap();
        assert_rel(
            &c.name,
            "objective at sklearn's a, b",
            at_reference,
            c.objective,
            1e-12,
        );
        // Our minimum is as low as sklearn's, within the rounding of `a·s + b` (1e-11 on the
        // shifted scores, where `a·s` and `b` are near 2e5).
        let at_fit = fitted.objective(&c.scores, &c.fake).unwrap();
        assert_rel(&c.name, "objective at the fit", at_fit, c.objective, 1e-12);
        assert!(at_fit <= c.objective * (1.0 + 1e-11), "{}", c.name);
    }
}

/// Perfectly separable scores: the slope stops at the limit and the offset is the best one
/// for that slope.
#[test]
fn separable_scores_stop_at_the_slope_limit() {
    for (fake_high, prior) in [(true, 0.5), (false, 0.5), (true, 0.05)] {
        let mut scores = Vec::new();
        let mut fake = Vec::new();
        for i in 0..200 {
            let x = f64::from(i) / 100.0; // 0.00 ..= 1.99
            scores.push(x);
            fake.push((x >= 1.0) == fake_high);
        }
        let cal = calibration::fit(&scores, &fake, prior).unwrap();
        assert!(cal.at_max_slope);
        let mean = scores.iter().sum::<f64>() / 200.0;
        let sd = (scores.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / 200.0).sqrt();
        assert_rel(
            "separable",
            "|a|·sd",
            cal.a.abs() * sd,
            MAX_SLOPE_PER_SD,
            1e-12,
        );
        assert_eq!(cal.a > 0.0, fake_high);
        if prior == 0.5 {
            // By symmetry the LLR is 0 half-way between 0.99 and 1.00.
            let boundary = -cal.b / cal.a;
            assert!((boundary - 0.995).abs() < 1e-9, "{boundary}");
        }
        // No other offset does better at that slope.
        let at = |b: f64| Calibration { b, ..cal }.objective(&scores, &fake).unwrap();
        let best = at(cal.b);
        for db in [-1e-3, -1e-6, 1e-6, 1e-3] {
            assert!(at(cal.b + db) >= best, "offset {db}");
        }
        assert!(best.is_finite() && best > 0.0);
    }
}

#[test]
fn equal_scores_give_the_prior() {
    let cal = calibration::fit(
        &[0.3; 10],
        &[
            true, false, true, false, true, false, true, false, true, false,
        ],
        0.2,
    )
    .unwrap();
    assert_eq!((cal.a, cal.b, cal.at_max_slope), (0.0, 0.0, false));
    assert_eq!(cal.apply(123.0), 0.0);
}

#[test]
fn apply_is_the_affine_map() {
    let cal = Calibration {
        a: 2.0,
        b: -1.0,
        prior: 0.5,
        n_fake: 1,
        n_real: 1,
        at_max_slope: false,
    };
    assert_eq!(cal.apply(0.75), 0.5);
}

#[test]
fn saved_as_json_and_read_back() {
    let c = &cases()[0];
    let cal = calibration::fit(&c.scores, &c.fake, c.prior).unwrap();
    let json = serde_json::to_string(&cal).unwrap();
    assert_eq!(serde_json::from_str::<Calibration>(&json).unwrap(), cal);
    // A file written without `at_max_slope` still reads.
    let old = r#"{"a":1.5,"b":-0.25,"prior":0.5,"n_fake":3,"n_real":4}"#;
    assert!(
        !serde_json::from_str::<Calibration>(old)
            .unwrap()
            .at_max_slope
    );
}

#[test]
fn refuses_bad_input() {
    let s = [0.1, 0.2, 0.3];
    let f = [true, false, true];
    for prior in [0.0, 1.0, -0.5, f64::NAN] {
        assert!(matches!(
            calibration::fit(&s, &f, prior),
            Err(MetricError::InvalidParameter(_))
        ));
    }
    assert!(matches!(
        calibration::fit(&s, &[true; 3], 0.5),
        Err(MetricError::OneClass {
            present: "fake",
            n: 3
        })
    ));
    assert!(matches!(
        calibration::fit(&s, &[false; 3], 0.5),
        Err(MetricError::OneClass {
            present: "real",
            n: 3
        })
    ));
    assert!(matches!(
        calibration::fit(&[0.1, f64::INFINITY, 0.3], &f, 0.5),
        Err(MetricError::NonFinite { index: 1, .. })
    ));
    assert!(matches!(
        calibration::fit(&s, &f[..2], 0.5),
        Err(MetricError::LengthMismatch {
            scores: 3,
            labels: 2
        })
    ));
    assert!(matches!(
        calibration::fit(&[], &[], 0.5),
        Err(MetricError::Empty)
    ));
}

/// Ten million scores; run with `cargo test --release -- --ignored --nocapture` to time it.
#[test]
#[ignore = "timing"]
fn fit_ten_million_scores() {
    let n = 10_000_000usize;
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut uniform = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    let mut scores = Vec::with_capacity(n);
    let mut fake = Vec::with_capacity(n);
    for i in 0..n {
        // Logistic-distributed scores: fake centred at 1, real at -1.
        let u = uniform();
        let is_fake = i % 3 == 0;
        scores.push((u / (1.0 - u)).ln() + if is_fake { 1.0 } else { -1.0 });
        fake.push(is_fake);
    }
    let start = std::time::Instant::now();
    let cal = calibration::fit(&scores, &fake, 0.5).unwrap();
    eprintln!("fit of {n} scores: {:?}, {cal:?}", start.elapsed());
    // Logistic classes 2 apart with unit scale (sd 1.81): a slope near 2 / 1.81² = 0.61.
    assert!((0.5..0.8).contains(&cal.a), "{cal:?}");
}
