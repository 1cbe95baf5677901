//! Reads binary_reference.json (written by make_binary_reference.py) and compares numbers.

use std::cell::Cell;

use fakescope_metrics::Trials;
use serde_json::Value;

/// Tolerance: absolute below magnitude 1, relative above (huge scores).
pub const TOL: f64 = 1e-9;

/// The fixture, parsed.
pub fn load() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/reference/binary_reference.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A number of the fixture; non-finite ones are written "inf", "-inf", "nan".
pub fn num(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().expect("f64"),
        Value::String(s) => match s.as_str() {
            "inf" => f64::INFINITY,
            "-inf" => f64::NEG_INFINITY,
            "nan" => f64::NAN,
            other => panic!("not a number: {other}"),
        },
        other => panic!("not a number: {other}"),
    }
}

/// A list of numbers of the fixture.
pub fn nums(v: &Value) -> Vec<f64> {
    v.as_array().expect("array").iter().map(num).collect()
}

/// The trials of a case.
pub fn trials(case: &Value) -> Trials {
    let scores = nums(&case["scores"]);
    let labels = case["labels"]
        .as_array()
        .expect("labels")
        .iter()
        .map(|l| l.as_bool().expect("bool"))
        .collect();
    Trials::new(scores, labels).expect("valid trials")
}

/// Compares numbers and remembers the largest error seen (relative above magnitude 1).
#[derive(Default)]
pub struct Checker {
    max_error: Cell<f64>,
    worst: Cell<&'static str>,
    compared: Cell<usize>,
}

impl Checker {
    /// Asserts `actual` equals `expected` within [`TOL`] (infinities must match exactly).
    pub fn close(&self, actual: f64, expected: f64, what: &'static str, case: &str) {
        self.compared.set(self.compared.get() + 1);
        if expected.is_infinite() || actual.is_infinite() {
            assert_eq!(actual, expected, "{case}: {what}");
            return;
        }
        let error = (actual - expected).abs() / expected.abs().max(1.0);
        assert!(
            error <= TOL,
            "{case}: {what}: got {actual:e}, expected {expected:e} (error {error:e})"
        );
        if error > self.max_error.get() {
            self.max_error.set(error);
            self.worst.set(what);
        }
    }

    /// Element-wise [`Checker::close`] of two curves.
    pub fn curve(&self, actual: &[f64], expected: &[f64], what: &'static str, case: &str) {
        assert_eq!(actual.len(), expected.len(), "{case}: {what}: length");
        for (&a, &e) in actual.iter().zip(expected) {
            self.close(a, e, what, case);
        }
    }

    /// Prints how many numbers were compared and the largest error (run with --nocapture).
    pub fn report(&self, name: &str) {
        println!(
            "{name}: {} numbers compared, max error {:e} ({})",
            self.compared.get(),
            self.max_error.get(),
            self.worst.get()
        );
    }
}

/// Every case of the fixture with its name.
pub fn cases(fixture: &Value) -> impl Iterator<Item = (&str, &Value)> {
    fixture["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| (c["name"].as_str().expect("name"), c))
}

/// A small deterministic generator (SplitMix64), for data too large for a fixture.
pub struct SplitMix(pub u64);

impl SplitMix {
    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// The index of the first smallest value (NumPy's `argmin`, the package's strict `<` scan).
pub fn first_min(values: &[f64]) -> usize {
    let mut best = 0;
    for (i, &v) in values.iter().enumerate() {
        if v < values[best] {
            best = i;
        }
    }
    best
}
