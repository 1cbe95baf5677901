//! The concurrent tandem equal error rate (t-EER) of a CM and an ASV system, as ASVspoof 5
//! reports it for Track 2.

use super::sweep::{Sweep, rate};
use super::{SasvClass, SasvTrials};
use crate::MetricError;

/// A concurrent t-EER and the pair of thresholds where it is reached.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct TEer {
    /// The t-EER as a fraction in [0, 1] (the package prints it in percent).
    pub t_eer: f64,
    /// The ASV threshold (higher = same speaker).
    pub asv_threshold: f64,
    /// The CM threshold (higher = bona fide).
    pub cm_threshold: f64,
}

/// The ASVspoof 5 package's t-EER (`compute_teer_accelerated` on the CM and ASV scores).
///
/// A tandem system accepts a trial when the CM passes it *and* the ASV accepts it. For a pair
/// of thresholds (ASV `t`, CM `s`) its miss rate over targets and false-alarm rate over
/// non-targets and spoofs (each half the weight) are
///
/// ```text
/// P_miss,tdm = P_miss,cm(s) + (1 - P_miss,cm(s))·P_miss,asv(t)
/// P_fa,tdm   = ½(1 - P_miss,cm(s))·P_fa,asv(t) + ½·P_fa,cm(s)·P_fa_spoof,asv(t)
/// ```
///
/// Along the t-EER path each ASV threshold is paired with the CM threshold where the two rates
/// are closest; the *concurrent* t-EER is the point of that path where the non-target and
/// spoof false alarms are balanced (`P_fa,asv / P_fa_spoof,asv` closest to
/// `P_fa,cm / (1 - P_miss,cm)`), and its value is `P_fa_spoof,asv(t)·P_fa,cm(s)`. Only ASV
/// thresholds where `P_miss,asv < ½P_fa,asv + ½P_fa_spoof,asv` are considered.
///
/// Like the package, once there are 3000 operating points or more (2999 trials) the search runs
/// on every `n / 3000`-th point first and then on all points within 1600 of the coarse answer;
/// so on large sets this is the package's approximation of the full search, reproduced
/// exactly. Each ASV threshold's CM pairing is found by bisection (the tandem rate difference
/// is monotone in the CM threshold), so the search is `O(n log n)` rather than the package's
/// `O(n²)`.
///
/// Needs the CM and ASV score of every trial and target, non-target and spoof trials; `Err`
/// where no ASV threshold qualifies (the package then fails too).
pub fn t_eer(trials: &SasvTrials) -> Result<TEer, MetricError> {
    trials.require_classes(
        &[SasvClass::Target, SasvClass::NonTarget, SasvClass::Spoof],
        "t-EER",
    )?;
    let curves = Curves::new(trials)?;
    let n_asv = curves.asv_miss.len();
    let n_cm = curves.cm_miss.len();
    let (asv_step, cm_step) = (n_asv / COARSE_POINTS, n_cm / COARSE_POINTS);
    let best = if asv_step > 0 && cm_step > 0 {
        let coarse = curves
            .search(Grid::every(asv_step, n_asv), Grid::every(cm_step, n_cm))
            .ok_or_else(undefined)?;
        curves.search(
            Grid::around(coarse.asv * asv_step, n_asv),
            Grid::around(coarse.cm * cm_step, n_cm),
        )
    } else {
        curves.search(Grid::every(1, n_asv), Grid::every(1, n_cm))
    }
    .ok_or_else(undefined)?;
    Ok(TEer {
        t_eer: best.t_eer,
        asv_threshold: curves.asv_tau[best.asv_index],
        cm_threshold: curves.cm_tau[best.cm_index],
    })
}

/// The package's `size_decimated`: coarse search above this many operating points.
const COARSE_POINTS: usize = 3000;
/// The package's `bin_width`: half-width of the fine search window.
const FINE_HALF_WIDTH: usize = 1600;
/// The spoof prevalence of the concurrent t-EER (any value gives the same crossing).
const RHO: f64 = 0.5;

fn undefined() -> MetricError {
    MetricError::InvalidParameter(
        "t-EER is undefined: no ASV threshold misses fewer targets than it falsely accepts".into(),
    )
}

/// The CM and ASV error curves, one point after each trial (`compute_det_curve` and
/// `compute_Pmiss_Pfa_Pspoof_curves`).
struct Curves {
    cm_miss: Vec<f64>,
    cm_fa: Vec<f64>,
    cm_tau: Vec<f64>,
    asv_miss: Vec<f64>,
    asv_fa_non: Vec<f64>,
    asv_fa_spoof: Vec<f64>,
    asv_tau: Vec<f64>,
}

/// Some of a curve's points: `start + k·step` for `k < len`.
#[derive(Debug, Clone, Copy)]
struct Grid {
    start: usize,
    step: usize,
    len: usize,
}

impl Grid {
    /// Every `step`-th of `n` points, from the first (`np.arange(n)[::step]`).
    fn every(step: usize, n: usize) -> Self {
        Self {
            start: 0,
            step,
            len: n.div_ceil(step),
        }
    }

    /// The points within `FINE_HALF_WIDTH` of `center` (end excluded, as the package slices).
    fn around(center: usize, n: usize) -> Self {
        let start = center.saturating_sub(FINE_HALF_WIDTH);
        let end = (center + FINE_HALF_WIDTH).min(n);
        Self {
            start,
            step: 1,
            len: end - start,
        }
    }

    fn at(&self, k: usize) -> usize {
        self.start + k * self.step
    }
}

/// The best point of a search: positions within the grids and indices into the curves.
struct Crossing {
    t_eer: f64,
    asv: usize,
    cm: usize,
    asv_index: usize,
    cm_index: usize,
}

impl Curves {
    fn new(trials: &SasvTrials) -> Result<Self, MetricError> {
        let cm = trials.component_scores(true, "t-EER")?;
        let asv = trials.component_scores(false, "t-EER")?;
        let classes = trials.trials().iter().map(|t| t.class);

        // CM: bona fide (targets, then non-targets) before spoof among ties.
        let cm_sweep = Sweep::new(
            cm.iter()
                .zip(classes.clone())
                .map(|(&s, c)| (s, u8::from(!c.is_bona_fide())))
                .collect(),
            0.001,
        );
        let [n_bona, n_spoof_cm, _] = cm_sweep.totals();
        let (mut cm_miss, mut cm_fa, mut cm_tau) = (vec![], vec![], vec![]);
        for p in cm_sweep.points() {
            cm_miss.push(rate(p.rejected[0], n_bona));
            cm_fa.push(rate(n_spoof_cm - p.rejected[1], n_spoof_cm));
            cm_tau.push(p.threshold);
        }

        // ASV: targets, non-targets, spoofs among ties. The false-alarm rates are computed as
        // `1 - rejected / n`, as the package does.
        let asv_sweep = Sweep::new(
            asv.iter()
                .zip(classes)
                .map(|(&s, c)| (s, c.package_rank()))
                .collect(),
            0.001,
        );
        let [n_tar, n_non, n_spoof] = asv_sweep.totals();
        let (mut asv_miss, mut asv_fa_non, mut asv_fa_spoof, mut asv_tau) =
            (vec![], vec![], vec![], vec![]);
        for p in asv_sweep.points() {
            asv_miss.push(rate(p.rejected[0], n_tar));
            asv_fa_non.push(1.0 - rate(p.rejected[1], n_non));
            asv_fa_spoof.push(1.0 - rate(p.rejected[2], n_spoof));
            asv_tau.push(p.threshold);
        }
        Ok(Self {
            cm_miss,
            cm_fa,
            cm_tau,
            asv_miss,
            asv_fa_non,
            asv_fa_spoof,
            asv_tau,
        })
    }

    /// The package's `compute_teer` restricted to the given points of each curve: for each
    /// qualifying ASV point in order, the CM point minimising `|P_miss,tdm - P_fa,tdm|` (the
    /// first on ties), keeping the first pair with the smallest balance criterion.
    fn search(&self, asv: Grid, cm: Grid) -> Option<Crossing> {
        let mut best: Option<(f64, Crossing)> = None;
        for a in 0..asv.len {
            let j = asv.at(a);
            let (p_miss, fa_non, fa_spoof) =
                (self.asv_miss[j], self.asv_fa_non[j], self.asv_fa_spoof[j]);
            // Only where the ASV misses fewer targets than it falsely accepts (rates are finite).
            if p_miss >= (1.0 - RHO) * fa_non + RHO * fa_spoof {
                continue;
            }
            let c = self.closest_cm_point(cm, p_miss, fa_non, fa_spoof);
            let i = cm.at(c);
            let crit = (fa_non / fa_spoof - self.cm_fa[i] / (1.0 - self.cm_miss[i])).abs();
            // `crit` may be NaN or infinite (a zero rate); like NumPy's `<`, such a point never
            // wins.
            if crit < best.as_ref().map_or(f64::INFINITY, |(b, _)| *b) {
                let crossing = Crossing {
                    t_eer: fa_spoof * self.cm_fa[i],
                    asv: a,
                    cm: c,
                    asv_index: j,
                    cm_index: i,
                };
                best = Some((crit, crossing));
            }
        }
        best.map(|(_, crossing)| crossing)
    }

    /// The grid position of the first CM point minimising `|h|`, where
    /// `h = P_miss,tdm - P_fa,tdm` at the given ASV point.
    ///
    /// At a qualifying ASV point (`P_miss,asv < 1`) `h` strictly increases with each bona fide
    /// trial the CM rejects and does not decrease with each spoof trial (it is constant, bit
    /// for bit, when `P_fa_spoof,asv = 0`); the smallest step is far above rounding error. So
    /// the first minimum of `|h|` is at the sign change, found by bisection, moved back to the
    /// start of a run of equal values.
    fn closest_cm_point(&self, cm: Grid, p_miss: f64, fa_non: f64, fa_spoof: f64) -> usize {
        let h = |k: usize| {
            let i = cm.at(k);
            let (m, f) = (self.cm_miss[i], self.cm_fa[i]);
            let miss_tdm = m + (1.0 - m) * p_miss;
            let fa_tdm = (1.0 - RHO) * (1.0 - m) * fa_non + RHO * f * fa_spoof;
            miss_tdm - fa_tdm
        };
        // First position where `h >= value` (positions `< len`; `len` if none).
        let first_at_least = |value: f64| {
            let (mut lo, mut hi) = (0, cm.len);
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                if h(mid) < value {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            lo
        };
        let up = first_at_least(0.0);
        if up == 0 {
            return 0;
        }
        let below = h(up - 1);
        if up == cm.len || below.abs() <= h(up).abs() {
            first_at_least(below)
        } else {
            up
        }
    }
}
