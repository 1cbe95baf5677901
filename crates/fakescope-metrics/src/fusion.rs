//! Logistic fusion of several detectors: one LLR from many scores.
//!
//! ```text
//! llr(x) = w · x + b
//! ```
//!
//! where `x` holds each detector's score for a trial (fakescope uses the logit of each
//! detector's fake probability). The fit minimises the prior-weighted cross-entropy of
//! [`crate::calibration`] (the BOSARIS objective, of which a calibration is the one-score case)
//! plus a small ridge, `λ/2 · |w|²` with `λ = 1e-6` on standardised scores, which keeps the
//! weights finite when the trials are separable and is otherwise negligible: scikit-learn's
//! `LogisticRegression(C=1e6)` on the standardised scores, with sample weights `π/N_fake` and
//! `(1-π)/N_real`, finds the same weights (tested to 1e-6,
//! `tests/reference/make_fusion_reference.py`).
//!
//! Newton's method with a backtracking line search, from zero; each iteration solves the
//! `(d+1)`-dimensional Newton system exactly (Gaussian elimination with partial pivoting).
//!
//! ```
//! use fakescope_metrics::fusion::fit_fusion;
//! // Two detectors, the second pure noise: the fusion leans on the first.
//! let x = vec![vec![2.0, 0.3], vec![1.5, -0.2], vec![-1.0, 0.1], vec![-2.5, -0.4]];
//! let fake = [true, true, false, false];
//! let f = fit_fusion(&x, &fake, 0.5).unwrap();
//! assert!(f.llr(&[2.0, 0.0]) > 0.0 && f.llr(&[-2.0, 0.0]) < 0.0);
//! ```

use serde::{Deserialize, Serialize};

use crate::MetricError;

/// Ridge on the standardised weights.
const RIDGE: f64 = 1e-6;

/// A fitted fusion: `llr = weights · x + bias`, natural-log LLR of fake versus real.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fusion {
    /// One weight per score, in the order of the features.
    pub weights: Vec<f64>,
    /// The offset.
    pub bias: f64,
    /// The target prior of fake trials the fit weighted the classes for.
    pub prior: f64,
    /// Fake trials it was fitted on.
    pub n_fake: usize,
    /// Real trials it was fitted on.
    pub n_real: usize,
}

impl Fusion {
    /// The fused LLR of one trial's scores (as many as weights).
    pub fn llr(&self, x: &[f64]) -> f64 {
        self.weights.iter().zip(x).map(|(w, v)| w * v).sum::<f64>() + self.bias
    }
}

/// A fusion of named detectors as `fakescope calibrate fuse` writes it and `scan --combine
/// fusion` applies it: the inputs are the logits of the detectors' fake probabilities, in the
/// order of `detectors`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectorFusion {
    /// `logistic_fusion`.
    pub method: String,
    /// The detectors, in the order of the weights.
    pub detectors: Vec<String>,
    /// What each input is: `logit of the detector's fake probability`.
    pub input: String,
    /// The weights and offset.
    pub fusion: Fusion,
    /// The files it was fitted on (development data, never a test set).
    pub fitted_on: Vec<String>,
}

impl DetectorFusion {
    /// The method's name in the file.
    pub const METHOD: &'static str = "logistic_fusion";

    /// The fused fake probability (the posterior at prior 0.5 of the fused LLR) from each
    /// detector's fake probability, looked up by name; `Err` names the first detector without
    /// a finite probability.
    pub fn fake_probability(&self, score: impl Fn(&str) -> Option<f64>) -> Result<f64, String> {
        let mut x = Vec::with_capacity(self.detectors.len());
        for name in &self.detectors {
            match score(name) {
                Some(p) if p.is_finite() => {
                    let p = p.clamp(1e-12, 1.0 - 1e-12);
                    x.push((p / (1.0 - p)).ln());
                }
                _ => return Err(format!("{name} gave no score")),
            }
        }
        Ok(sigmoid(self.fusion.llr(&x)))
    }
}

/// `ln(1 + e^x)` without overflow.
fn softplus(x: f64) -> f64 {
    if x > 0.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// Solves `a · x = b` (a: n×n, row-major) by Gaussian elimination with partial pivoting;
/// `None` when singular.
fn solve(mut a: Vec<f64>, mut b: Vec<f64>, n: usize) -> Option<Vec<f64>> {
    for col in 0..n {
        let pivot =
            (col..n).max_by(|&i, &j| a[i * n + col].abs().total_cmp(&a[j * n + col].abs()))?;
        if a[pivot * n + col].abs() < 1e-300 {
            return None;
        }
        for k in 0..n {
            a.swap(col * n + k, pivot * n + k);
        }
        b.swap(col, pivot);
        for row in col + 1..n {
            let f = a[row * n + col] / a[col * n + col];
            for k in col..n {
                a[row * n + k] -= f * a[col * n + k];
            }
            b[row] -= f * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let s: f64 = (row + 1..n).map(|k| a[row * n + k] * x[k]).sum();
        x[row] = (b[row] - s) / a[row * n + row];
    }
    Some(x)
}

/// Fits a fusion of the scores `x` (one row per trial, the same number of scores in each)
/// with labels `fake` at target prior `prior` (module docs).
///
/// # Errors
/// No trials, rows of different lengths or a length that differs from the labels', a score
/// that is not finite, a prior outside (0, 1), or only one class.
pub fn fit_fusion(x: &[Vec<f64>], fake: &[bool], prior: f64) -> Result<Fusion, MetricError> {
    if x.len() != fake.len() {
        return Err(MetricError::LengthMismatch {
            scores: x.len(),
            labels: fake.len(),
        });
    }
    if x.is_empty() {
        return Err(MetricError::Empty);
    }
    if !(prior > 0.0 && prior < 1.0) {
        return Err(MetricError::InvalidParameter(format!(
            "prior {prior} is outside (0, 1)"
        )));
    }
    let d = x[0].len();
    if x.iter().any(|r| r.len() != d) {
        return Err(MetricError::InvalidParameter(
            "every trial needs the same number of scores".into(),
        ));
    }
    for (i, r) in x.iter().enumerate() {
        if let Some(&v) = r.iter().find(|v| !v.is_finite()) {
            return Err(MetricError::NonFinite { index: i, value: v });
        }
    }
    let n_fake = fake.iter().filter(|&&f| f).count();
    let n_real = fake.len() - n_fake;
    if n_fake == 0 || n_real == 0 {
        return Err(MetricError::OneClass {
            present: if n_fake == 0 { "real" } else { "fake" },
            n: fake.len(),
        });
    }
    // Standardise each score.
    let n = x.len() as f64;
    let mean: Vec<f64> = (0..d)
        .map(|j| x.iter().map(|r| r[j]).sum::<f64>() / n)
        .collect();
    let sd: Vec<f64> = (0..d)
        .map(|j| {
            let v = x.iter().map(|r| (r[j] - mean[j]).powi(2)).sum::<f64>() / n;
            if v > 0.0 { v.sqrt() } else { 1.0 }
        })
        .collect();
    let z: Vec<Vec<f64>> = x
        .iter()
        .map(|r| (0..d).map(|j| (r[j] - mean[j]) / sd[j]).collect())
        .collect();
    let (wf, wr) = (prior / n_fake as f64, (1.0 - prior) / n_real as f64);
    let offset = (prior / (1.0 - prior)).ln();
    let m = d + 1; // weights, then the intercept
    // Objective, gradient and Hessian at theta (intercept includes logit(prior)).
    let eval = |theta: &[f64], derivatives: bool| {
        let mut loss = 0.5 * RIDGE * theta[..d].iter().map(|w| w * w).sum::<f64>();
        let mut grad = vec![0.0; m];
        let mut hess = vec![0.0; m * m];
        for (row, &f) in z.iter().zip(fake) {
            let t = theta[..d].iter().zip(row).map(|(w, v)| w * v).sum::<f64>() + theta[d];
            let (weight, y) = if f { (wf, 1.0) } else { (wr, 0.0) };
            loss += weight * if f { softplus(-t) } else { softplus(t) };
            if derivatives {
                let p = sigmoid(t);
                let g = weight * (p - y);
                let h = weight * p * (1.0 - p);
                for a in 0..m {
                    let va = if a < d { row[a] } else { 1.0 };
                    grad[a] += g * va;
                    for b in 0..m {
                        let vb = if b < d { row[b] } else { 1.0 };
                        hess[a * m + b] += h * va * vb;
                    }
                }
            }
        }
        if derivatives {
            for a in 0..d {
                grad[a] += RIDGE * theta[a];
                hess[a * m + a] += RIDGE;
            }
        }
        (loss, grad, hess)
    };
    let mut theta = vec![0.0; m];
    for _ in 0..100 {
        let (loss, grad, hess) = eval(&theta, true);
        let Some(step) = solve(hess, grad.iter().map(|g| -g).collect(), m) else {
            break;
        };
        let decrement: f64 = -step.iter().zip(&grad).map(|(s, g)| s * g).sum::<f64>();
        if decrement <= 1e-20 * loss.max(1e-300) {
            break;
        }
        let mut t = 1.0;
        let mut moved = false;
        while t > 1e-10 {
            let next: Vec<f64> = theta.iter().zip(&step).map(|(a, s)| a + t * s).collect();
            if eval(&next, false).0 <= loss - 1e-4 * t * decrement {
                theta = next;
                moved = true;
                break;
            }
            t *= 0.5;
        }
        if !moved {
            break;
        }
    }
    // Undo the standardisation and the prior offset.
    let weights: Vec<f64> = (0..d).map(|j| theta[j] / sd[j]).collect();
    let bias = theta[d] - offset - (0..d).map(|j| weights[j] * mean[j]).sum::<f64>();
    Ok(Fusion {
        weights,
        bias,
        prior,
        n_fake,
        n_real,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calibration;

    /// Deterministic, overlapping classes.
    fn trials() -> (Vec<Vec<f64>>, Vec<bool>) {
        let mut x = Vec::new();
        let mut fake = Vec::new();
        for i in 0..200 {
            let f = i % 3 == 0;
            let u = ((i * 7919) % 1000) as f64 / 1000.0 - 0.5;
            let v = ((i * 104729) % 997) as f64 / 997.0 - 0.5;
            x.push(vec![if f { 0.8 } else { -0.3 } + 2.0 * u, 0.5 * u + v]);
            fake.push(f);
        }
        (x, fake)
    }

    #[test]
    fn one_score_is_the_calibration() {
        let (x, fake) = trials();
        let s: Vec<f64> = x.iter().map(|r| r[0]).collect();
        let one: Vec<Vec<f64>> = s.iter().map(|&v| vec![v]).collect();
        let f = fit_fusion(&one, &fake, 0.3).unwrap();
        let c = calibration::fit(&s, &fake, 0.3).unwrap();
        // Equal up to the ridge (a relative 3e-5 here).
        let tol = 1e-4 * c.a.abs();
        assert!(
            (f.weights[0] - c.a).abs() < tol,
            "{} vs {}",
            f.weights[0],
            c.a
        );
        assert!((f.bias - c.b).abs() < tol, "{} vs {}", f.bias, c.b);
    }

    #[test]
    fn two_scores_match_scikit_learn() {
        // tests/reference/make_fusion_reference.py (scikit-learn, newton-cg, tol 1e-12).
        let (x, fake) = trials();
        let f = fit_fusion(&x, &fake, 0.3).unwrap();
        let want = ([4.06155286138375, -3.1453049317338535], -1.0443770842676976);
        for (got, want) in f.weights.iter().zip(want.0) {
            assert!((got - want).abs() < 1e-6, "{got} vs {want}");
        }
        assert!((f.bias - want.1).abs() < 1e-6, "{} vs {}", f.bias, want.1);
    }

    #[test]
    fn separable_scores_stay_finite_and_bad_input_is_refused() {
        let x = vec![
            vec![1.0, 0.0],
            vec![2.0, 1.0],
            vec![-1.0, 0.0],
            vec![-2.0, 1.0],
        ];
        let f = fit_fusion(&x, &[true, true, false, false], 0.5).unwrap();
        assert!(f.weights.iter().all(|w| w.is_finite()) && f.weights[0] > 0.0);
        assert!(fit_fusion(&x, &[true; 4], 0.5).is_err());
        assert!(fit_fusion(&x, &[true, false], 0.5).is_err());
        assert!(fit_fusion(&[vec![1.0], vec![f64::NAN]], &[true, false], 0.5).is_err());
        assert!(fit_fusion(&[vec![1.0], vec![1.0, 2.0]], &[true, false], 0.5).is_err());
        assert!(fit_fusion(&x, &[true, true, false, false], 1.0).is_err());
    }
}
