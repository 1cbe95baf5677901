//! Affine logistic calibration of scores into log-likelihood ratios (the BOSARIS objective).
//!
//! A detector's score ranks trials but rarely *means* anything: 0.9 need not be nine times the
//! odds of 0.1. Calibration maps a score `s` (higher = more likely fake) to a natural-log
//! likelihood ratio of fake versus real,
//!
//! ```text
//! llr(s) = a·s + b,
//! ```
//!
//! fitted on labelled trials by minimising the prior-weighted cross-entropy that the BOSARIS
//! toolkit's `train_binary_classifier` minimises:
//!
//! ```text
//! C(a, b) =   π  · mean over fake trials of  ln(1 + exp(-(a·s + b + logit π)))
//!         + (1-π)· mean over real trials of  ln(1 + exp(  a·s + b + logit π))
//! ```
//!
//! `π` is the *target prior*: the prior of fake trials the calibration is optimised for (0.5
//! weighs the two classes equally whatever their counts). Adding `logit π` turns the LLR into
//! posterior log-odds at that prior, so the fit is a weighted logistic regression: scikit-learn's
//! `LogisticRegression` without penalty, with sample weights `π/N_fake` and `(1-π)/N_real`,
//! finds the same slope, and its intercept is `b + logit π`. `C / ln 2` at `π = 0.5` is the
//! Cllr of the calibrated scores.
//!
//! # How the fit is computed
//! The scores are centred and divided by their standard deviation, and `C` is minimised over
//! the slope and intercept of the standardised score by Newton's method with a backtracking
//! (Armijo) line search, starting from the linear-discriminant estimate. Each iteration is one
//! parallel pass over the trials computing `C`, its gradient and its Hessian together (with
//! `ln(1 + e^x)` and the logistic function evaluated without overflow), summed in a fixed
//! order so the result does not depend on the thread count. Once the Newton decrement `gᵀH⁻¹g`
//! is below 1e-12 of `C` it takes one last full step and stops (the error, about 1e-6 of the
//! parameters' scale before that step, is squared by it); it also stops when no step decreases
//! `C` any more. Where progress is only linear (nearly separable scores) an accepted step is
//! doubled as long as that lowers `C`. Three or four passes usually suffice.
//!
//! # Separable scores
//! When a threshold separates fake from real trials perfectly, `C` keeps decreasing as the
//! slope grows and has no minimum. The rule here: **the slope is limited to
//! [`MAX_SLOPE_PER_SD`] nats per standard deviation of the scores**, and the fit is the
//! minimum of `C` under that limit (then [`Calibration::at_max_slope`] is `true` and the
//! intercept is the best one for that slope). Scores that are not separable have a finite
//! optimum; it is returned exactly unless its slope exceeds the limit too.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::MetricError;

/// The largest slope the fit may reach, in nats of log-likelihood ratio per standard
/// deviation of the scores: `|a|·sd(scores) <= 100`. An LLR that changes by more than 100 nats
/// (a likelihood ratio of 10⁴³) across one standard deviation carries no usable calibration;
/// the limit only decides where the fit stops on (nearly) separable scores.
pub const MAX_SLOPE_PER_SD: f64 = 100.0;

/// Newton iterations before giving up on further progress (the fit never needs that many).
const MAX_ITERATIONS: usize = 100;
/// Take one last full Newton step and stop when the Newton decrement `gᵀH⁻¹g` (twice the
/// predicted decrease of `C`) falls below this fraction of `C`: the distance to the optimum is
/// then about 1e-6 of its scale, and the last step squares it.
const DECREMENT_TOL: f64 = 1e-12;
/// Trials per chunk of the parallel passes.
const CHUNK: usize = 1 << 16;

/// An affine map from scores to natural-log likelihood ratios of fake versus real.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// Slope: `llr = a·score + b`.
    pub a: f64,
    /// Offset: `llr = a·score + b`.
    pub b: f64,
    /// The target prior of fake trials the fit weighted the classes for.
    pub prior: f64,
    /// Number of fake trials it was fitted on.
    pub n_fake: usize,
    /// Number of real trials it was fitted on.
    pub n_real: usize,
    /// Whether the slope stopped at [`MAX_SLOPE_PER_SD`] (the scores are separable, or
    /// nearly): the LLRs are then only as large as that limit allows.
    #[serde(default)]
    pub at_max_slope: bool,
}

impl Calibration {
    /// The calibrated natural-log likelihood ratio (fake versus real) of `score`.
    pub fn apply(&self, score: f64) -> f64 {
        self.a * score + self.b
    }

    /// The fit's objective `C(a, b)` (module docs) on the given trials, in nats, at this
    /// calibration's prior: the prior-weighted cross-entropy of the calibrated LLRs.
    pub fn objective(&self, scores: &[f64], fake: &[bool]) -> Result<f64, MetricError> {
        let data = Data::new(scores, fake, self.prior)?;
        let logit = logit(self.prior);
        let unit = Standardise {
            mean: 0.0,
            inv_sd: 1.0,
        };
        Ok(data.pass(unit, self.a, self.b + logit).loss)
    }
}

/// Fits `llr = a·score + b` by minimising the prior-weighted cross-entropy (module docs).
///
/// `scores`: higher = more likely fake; `fake`: the labels (`true` = fake); `prior`: the target
/// prior of fake trials, in (0, 1). Errors: lengths differ, no trials, a non-finite score, a
/// prior outside (0, 1), or only one class. If all scores are equal the slope is 0 and the
/// offset 0 (the LLR is that of the prior: no evidence).
pub fn fit(scores: &[f64], fake: &[bool], prior: f64) -> Result<Calibration, MetricError> {
    let data = Data::new(scores, fake, prior)?;
    let logit = logit(prior);
    let (n_fake, n_real) = (data.n_fake, data.n_real);
    let Some(stats) = data.moments()? else {
        return Ok(Calibration {
            a: 0.0,
            b: 0.0,
            prior,
            n_fake,
            n_real,
            at_max_slope: false,
        });
    };
    let (slope, intercept, at_max_slope) = data.newton(&stats, logit);
    // Undo the standardisation: slope·(s - mean)/sd + intercept = a·s + b + logit π.
    let a = slope * stats.scale.inv_sd;
    Ok(Calibration {
        a,
        b: intercept - logit - a * stats.scale.mean,
        prior,
        n_fake,
        n_real,
        at_max_slope,
    })
}

fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

/// Validated trials and the weight of each class.
struct Data<'a> {
    scores: &'a [f64],
    fake: &'a [bool],
    n_fake: usize,
    n_real: usize,
    /// `π / N_fake`.
    w_fake: f64,
    /// `(1 - π) / N_real`.
    w_real: f64,
}

/// `z = (s - mean)·inv_sd`.
#[derive(Debug, Clone, Copy)]
struct Standardise {
    mean: f64,
    inv_sd: f64,
}

/// Moments of the scores: the standardisation and the starting point of Newton's method.
struct Moments {
    scale: Standardise,
    /// Linear-discriminant slope and intercept of the standardised scores.
    start: (f64, f64),
}

/// The objective, its gradient and Hessian over (slope, intercept) at one point.
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    loss: f64,
    grad: [f64; 2],
    /// `[h_ss, h_si, h_ii]`.
    hess: [f64; 3],
}

impl std::ops::AddAssign for Sums {
    fn add_assign(&mut self, o: Self) {
        self.loss += o.loss;
        self.grad[0] += o.grad[0];
        self.grad[1] += o.grad[1];
        self.hess[0] += o.hess[0];
        self.hess[1] += o.hess[1];
        self.hess[2] += o.hess[2];
    }
}

impl<'a> Data<'a> {
    fn new(scores: &'a [f64], fake: &'a [bool], prior: f64) -> Result<Self, MetricError> {
        if scores.len() != fake.len() {
            return Err(MetricError::LengthMismatch {
                scores: scores.len(),
                labels: fake.len(),
            });
        }
        if scores.is_empty() {
            return Err(MetricError::Empty);
        }
        if !(prior > 0.0 && prior < 1.0) {
            return Err(MetricError::InvalidParameter(format!(
                "the calibration prior must lie strictly between 0 and 1, not {prior}"
            )));
        }
        if let Some(index) = scores.iter().position(|s| !s.is_finite()) {
            return Err(MetricError::NonFinite {
                index,
                value: scores[index],
            });
        }
        let n_fake = fake.iter().filter(|&&f| f).count();
        let n_real = scores.len() - n_fake;
        if n_real == 0 || n_fake == 0 {
            return Err(MetricError::OneClass {
                present: if n_fake == 0 { "real" } else { "fake" },
                n: scores.len(),
            });
        }
        Ok(Self {
            scores,
            fake,
            n_fake,
            n_real,
            w_fake: prior / n_fake as f64,
            w_real: (1.0 - prior) / n_real as f64,
        })
    }

    /// Sums over the trials of `f(score, fake)`, chunk by chunk in parallel, the chunks added
    /// in order (deterministic whatever the thread count).
    fn sum<T, F>(&self, f: F) -> T
    where
        T: Default + std::ops::AddAssign + Send,
        F: Fn(f64, bool) -> T + Sync,
    {
        let partial: Vec<T> = self
            .scores
            .par_chunks(CHUNK)
            .zip(self.fake.par_chunks(CHUNK))
            .map(|(s, y)| {
                let mut acc = T::default();
                for (&s, &y) in s.iter().zip(y) {
                    acc += f(s, y);
                }
                acc
            })
            .collect();
        partial.into_iter().fold(T::default(), |mut acc, x| {
            acc += x;
            acc
        })
    }

    /// Mean and standard deviation of all scores (`None` if they are all equal), and the
    /// linear-discriminant estimate as a starting point.
    fn moments(&self) -> Result<Option<Moments>, MetricError> {
        let n = self.scores.len() as f64;
        let [sum_fake, sum_real] = self.sum(|s, y| Pair(if y { [s, 0.0] } else { [0.0, s] })).0;
        let mean = (sum_fake + sum_real) / n;
        let (mean_fake, mean_real) = (sum_fake / self.n_fake as f64, sum_real / self.n_real as f64);
        let [total_ss, within_ss] = self
            .sum(|s, y| {
                let d = s - mean;
                let w = s - if y { mean_fake } else { mean_real };
                Pair([d * d, w * w])
            })
            .0;
        let sd = (total_ss / n).sqrt();
        if !sd.is_finite() {
            return Err(MetricError::InvalidParameter(
                "scores too large to calibrate: their variance overflows".into(),
            ));
        }
        if sd == 0.0 {
            return Ok(None);
        }
        let inv_sd = 1.0 / sd;
        // Equal-variance Gaussian classes: llr(z) = slope·(z - midpoint).
        let (mf, mr) = ((mean_fake - mean) * inv_sd, (mean_real - mean) * inv_sd);
        let within_var = within_ss / n * inv_sd * inv_sd;
        let slope = ((mf - mr) / within_var).clamp(-MAX_SLOPE_PER_SD, MAX_SLOPE_PER_SD);
        let slope = if slope.is_nan() { 0.0 } else { slope };
        Ok(Some(Moments {
            scale: Standardise { mean, inv_sd },
            start: (slope, -slope * (mf + mr) / 2.0),
        }))
    }

    /// The objective, gradient and Hessian at `t = slope·z + intercept`, where `intercept`
    /// includes `logit π`.
    fn pass(&self, scale: Standardise, slope: f64, intercept: f64) -> Sums {
        let (w_fake, w_real) = (self.w_fake, self.w_real);
        self.sum(|s, y| {
            let z = (s - scale.mean) * scale.inv_sd;
            let t = slope * z + intercept;
            // Loss ln(1 + e^m) with m = -t for a fake trial, t for a real one.
            let (m, w, sign) = if y {
                (-t, w_fake, -1.0)
            } else {
                (t, w_real, 1.0)
            };
            let e = (-m.abs()).exp();
            let loss = m.max(0.0) + e.ln_1p();
            let inv = 1.0 / (1.0 + e);
            let sigma = if m >= 0.0 { inv } else { e * inv }; // logistic(m) = dloss/dm
            let curvature = w * e * inv * inv; // logistic(m)·logistic(-m)
            let g = w * sign * sigma; // dloss/dt
            Sums {
                loss: w * loss,
                grad: [g * z, g],
                hess: [curvature * z * z, curvature * z, curvature],
            }
        })
    }

    /// Box-constrained Newton's method over (slope, intercept) of the standardised scores,
    /// `|slope| <= MAX_SLOPE_PER_SD`. Returns the slope, the intercept (including `logit π`)
    /// and whether the slope ended at the limit.
    fn newton(&self, m: &Moments, logit: f64) -> (f64, f64, bool) {
        let cap = MAX_SLOPE_PER_SD;
        let mut x = [m.start.0, m.start.1 + logit];
        let mut at = self.pass(m.scale, x[0], x[1]);
        let mut previous_decrement = f64::INFINITY;
        for _ in 0..MAX_ITERATIONS {
            let d = newton_direction(&at, x[0]);
            let decrement = -(at.grad[0] * d[0] + at.grad[1] * d[1]);
            if decrement.is_nan() || decrement <= 0.0 {
                break;
            }
            // The longest step that keeps |slope| <= cap, and the point a step `t` away.
            let max_step = if d[0] == 0.0 {
                f64::INFINITY
            } else {
                ((cap.copysign(d[0]) - x[0]) / d[0]).max(0.0)
            };
            let point = |t: f64| {
                let slope = if t >= max_step {
                    cap.copysign(d[0])
                } else {
                    x[0] + t * d[0]
                };
                [slope, x[1] + t * d[1]]
            };
            if decrement < DECREMENT_TOL * at.loss {
                x = point(max_step.min(1.0));
                break;
            }
            // Backtracking until the Armijo condition holds.
            let mut t = max_step.min(1.0);
            let mut best = loop {
                let y = point(t);
                let next = self.pass(m.scale, y[0], y[1]);
                if next.loss <= at.loss - 1e-4 * t * decrement {
                    break Some((t, y, next));
                }
                t *= 0.5;
                if t < 1e-12 {
                    break None; // no step decreases C: at the minimum within rounding
                }
            };
            // Slow, linear progress (on nearly separable scores C decays like 1/slope, and the
            // quadratic model's step is too short): while doubling the step helps, double it.
            if decrement > 0.25 * previous_decrement {
                while let Some((t, _, accepted)) = best
                    && t >= 1.0
                    && t < max_step
                {
                    let t = (2.0 * t).min(max_step);
                    let y = point(t);
                    let next = self.pass(m.scale, y[0], y[1]);
                    if next.loss >= accepted.loss {
                        break;
                    }
                    best = Some((t, y, next));
                }
            }
            let Some((_, y, next)) = best else {
                break;
            };
            (x, at, previous_decrement) = (y, next, decrement);
        }
        (x[0], x[1], x[0].abs() == cap)
    }
}

/// The Newton direction `-H⁻¹g` at `sums`, projected for the slope limit: on the limit with
/// the step pointing outwards only the intercept moves. A singular Hessian (all trials
/// saturated but one score value) moves the intercept only as well.
fn newton_direction(sums: &Sums, slope: f64) -> [f64; 2] {
    let [g0, g1] = sums.grad;
    let [h00, h01, h11] = sums.hess;
    let intercept_only = [0.0, if h11 > 0.0 { -g1 / h11 } else { 0.0 }];
    let det = h00 * h11 - h01 * h01;
    if !(det > 0.0 && det.is_finite()) {
        return intercept_only;
    }
    let d0 = (-h11 * g0 + h01 * g1) / det;
    if slope.abs() == MAX_SLOPE_PER_SD && d0 * slope > 0.0 {
        return intercept_only;
    }
    [d0, (h01 * g0 - h00 * g1) / det]
}

/// Two sums at once.
#[derive(Debug, Clone, Copy, Default)]
struct Pair([f64; 2]);

impl std::ops::AddAssign for Pair {
    fn add_assign(&mut self, o: Self) {
        self.0[0] += o.0[0];
        self.0[1] += o.0[1];
    }
}
