//! From a [`ScoreTable`] to a [`Report`]: every metric overall, per video, per condition and per
//! group, with bootstrap intervals and the curves the plots need.
//!
//! # Scales
//! Internally scores are oriented higher = fake (the reader negates files where higher meant
//! real). Everything a user reads — `--threshold`, and the thresholds reported with EER and
//! minDCF — is in the file's own scale, so a threshold read off the report can be used on the file.
//!
//! # Which metrics apply
//! Ranking metrics (AUC, AP, EERs, minDCF, minCllr, TPR at FPR) apply to any score. Accuracy and
//! the rates at a threshold need one: 0.5 for probabilities, 0 for LLRs, `--threshold` otherwise.
//! actDCF and Cllr read scores as log-likelihood ratios: LLR files as they are, probabilities as
//! `logit(p)` (posteriors at prior 0.5), other scores only after calibration.
//!
//! # Conditions
//! A condition (attack, codec, ...) whose trials are all fake is scored against **all** real
//! trials, as ASVspoof scores each attack against all bona fide speech; a condition holding both
//! classes (a codec) is scored on its own trials.

use fakescope_metrics::calibration::Calibration;
use fakescope_metrics::dcf::{self, DcfParams};
use fakescope_metrics::{MetricError, Trials, cllr, ece, eer, roc, threshold};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::input::{Categorical, HigherMeans, ScoreKind, ScoreTable};
use crate::report::{
    BootstrapInfo, Breakdown, CalibrationGaps, Counts, Curves, Direction, Fairness, Gap, Histogram,
    Metric, ReliabilityBin, Report, Section,
};

/// How frames are pooled into one video score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VideoPool {
    /// Mean of the frame scores (DeepfakeBench).
    #[default]
    Mean,
    /// Highest frame score.
    Max,
    /// Median of the frame scores.
    Median,
}

/// Bootstrap settings for 95% confidence intervals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bootstrap {
    /// Number of resamples (e.g. 1000).
    pub resamples: usize,
    /// Seed; the same seed gives the same intervals.
    pub seed: u64,
}

/// How to evaluate.
#[derive(Debug, Clone, Default)]
pub struct EvalOptions {
    /// Decision threshold in the file's scale; default 0.5 for probabilities, 0 for LLRs.
    pub threshold: Option<f64>,
    /// How frames are pooled into videos.
    pub video_pool: VideoPool,
    /// Bootstrap intervals, when wanted.
    pub bootstrap: Option<Bootstrap>,
    /// Calibration to apply before evaluating, with the name of its file.
    pub calibration: Option<(CalibrationFile, String)>,
    /// ASVspoof 5 cost model for minDCF and actDCF.
    pub dcf: DcfParams,
}

/// What `fakescope calibrate fit` writes: the affine map and the scale it applies to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationFile {
    /// Always `"affine_logistic"`.
    pub method: String,
    /// What the map is applied to: `"logit"` (logit of the fake probability) or `"score"` (the
    /// score, oriented higher = fake).
    pub applies_to: String,
    /// The score kind of the development scores it was fitted on.
    pub fitted_kind: ScoreKind,
    /// The development files.
    pub fitted_on: Vec<String>,
    /// The affine map: calibrated fake-vs-real LLR = `a * x + b`.
    pub calibration: Calibration,
}

impl CalibrationFile {
    /// Fits a calibration on development scores (`prior` = target prior of fake trials).
    pub fn fit(table: &ScoreTable, prior: f64) -> Result<Self, MetricError> {
        let x = calibration_input(table);
        let calibration = fakescope_metrics::calibration::fit(&x, &table.fake, prior)?;
        Ok(Self {
            method: "affine_logistic".into(),
            applies_to: if table.kind == ScoreKind::Probability {
                "logit".into()
            } else {
                "score".into()
            },
            fitted_kind: table.kind,
            fitted_on: table
                .sources
                .iter()
                .map(|p| p.display().to_string())
                .collect(),
            calibration,
        })
    }

    /// Replaces the table's scores by calibrated fake-vs-real LLRs.
    pub fn apply(&self, table: &mut ScoreTable) -> Result<(), String> {
        if table.kind != self.fitted_kind {
            return Err(format!(
                "the calibration was fitted on {:?} scores but these are {:?}",
                self.fitted_kind, table.kind
            ));
        }
        let x = calibration_input(table);
        table.scores = x.iter().map(|&v| self.calibration.apply(v)).collect();
        table.kind = ScoreKind::Llr;
        table.direction = HigherMeans::Fake;
        table.direction_reason = "calibrated fake-vs-real log-likelihood ratios".into();
        Ok(())
    }
}

/// The scale a calibration works on: logit of the fake probability, or the score itself.
fn calibration_input(table: &ScoreTable) -> Vec<f64> {
    if table.kind == ScoreKind::Probability {
        table.scores.iter().map(|&s| logit(s)).collect()
    } else {
        table.scores.clone()
    }
}

/// `ln(p / (1 - p))`, with p kept inside (0, 1) so that certainties give large finite LLRs.
fn logit(p: f64) -> f64 {
    let p = p.clamp(f64::MIN_POSITIVE, 1.0 - f64::EPSILON / 2.0);
    p.ln() - (-p).ln_1p()
}

fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// The reader's orientation map: identity for higher = fake; `1 - p` for probabilities of real;
/// `-score` for other real-oriented scores. It is its own inverse.
fn flip(kind: ScoreKind, direction: HigherMeans, x: f64) -> f64 {
    match (direction, kind) {
        (HigherMeans::Fake, _) => x,
        (HigherMeans::Real, ScoreKind::Probability) => 1.0 - x,
        (HigherMeans::Real, _) => -x,
    }
}

/// Everything a section's metrics need to know besides the trials.
struct Context {
    kind: ScoreKind,
    direction: HigherMeans,
    /// Threshold in the internal scale (higher = fake), if any.
    threshold: Option<f64>,
    dcf: DcfParams,
}

impl Context {
    /// Internal (higher = fake) to the file's scale, and back: the reader turned real
    /// probabilities into `1 - p` and other real-oriented scores into `-score`, and both maps
    /// are their own inverse.
    fn to_file(&self, x: f64) -> f64 {
        flip(self.kind, self.direction, x)
    }

    /// The trials as fake-vs-real LLRs, when the scores can be read as LLRs.
    fn llr_trials(&self, trials: &Trials) -> Result<Option<Trials>, MetricError> {
        match self.kind {
            ScoreKind::Llr => Ok(None),
            ScoreKind::Probability => {
                let llr = trials.scores().iter().map(|&s| logit(s)).collect();
                Trials::new(llr, trials.labels().to_vec()).map(Some)
            }
            ScoreKind::Score => Err(MetricError::InvalidParameter(
                "scores are not log-likelihood ratios: calibrate them (fakescope calibrate fit) \
                 or pass --score-kind llr"
                    .into(),
            )),
        }
    }
}

fn metric(
    name: &str,
    definition: &str,
    value: Result<f64, MetricError>,
    threshold: Option<f64>,
) -> Metric {
    let (value, note) = match value {
        Ok(v) => (Some(v), None),
        Err(e) => (None, Some(e.to_string())),
    };
    Metric {
        name: name.into(),
        definition: definition.into(),
        value,
        ci95: None,
        threshold,
        note,
    }
}

/// The FPR levels at which TPR is reported.
const TPR_AT_FPR: [(f64, &str); 3] = [
    (0.01, "tpr_at_fpr_1pct"),
    (0.05, "tpr_at_fpr_5pct"),
    (0.10, "tpr_at_fpr_10pct"),
];

/// Every metric of one set of trials, in display order.
fn metrics(trials: &Trials, ctx: &Context) -> Vec<Metric> {
    let ranked = trials.ranked();
    let mut out = Vec::with_capacity(20);
    out.push(metric(
        "auc",
        "sklearn.metrics.roc_auc_score",
        roc::roc_auc(&ranked),
        None,
    ));
    out.push(metric(
        "ap",
        "sklearn.metrics.average_precision_score",
        roc::average_precision(&ranked),
        None,
    ));
    let e = eer::eer_deepfakebench(&ranked);
    out.push(metric(
        "eer_deepfakebench",
        "DeepfakeBench: fpr[nanargmin|fnr-fpr|] on sklearn roc_curve (drop_intermediate)",
        e.clone().map(|e| e.eer),
        e.ok().map(|e| ctx.to_file(e.threshold)),
    ));
    let e = eer::eer_asvspoof(&ranked);
    out.push(metric(
        "eer_asvspoof",
        "ASVspoof 5 compute_eer: mean of FRR and FAR at the first min |FRR-FAR|",
        e.clone().map(|e| e.eer),
        e.ok().map(|e| ctx.to_file(e.threshold)),
    ));
    for (fpr, name) in TPR_AT_FPR {
        out.push(metric(
            name,
            "highest TPR among ROC points with FPR <= the level (no interpolation)",
            threshold::tpr_at_fpr(&ranked, fpr),
            None,
        ));
    }
    out.extend(threshold_metrics(trials, ctx));
    let d = dcf::min_dcf(&ranked, ctx.dcf);
    out.push(metric(
        "min_dcf",
        "ASVspoof 5 compute_mindcf (P_spoof 0.05, C_miss 1, C_fa 10, normalised)",
        d.clone().map(|d| d.dcf),
        d.ok().map(|d| ctx.to_file(d.threshold)),
    ));
    let llr_note = (ctx.kind == ScoreKind::Probability)
        .then(|| "probabilities read as LLR = logit(p) (posteriors at prior 0.5)".to_string());
    let converted = ctx.llr_trials(trials);
    let llr = match &converted {
        Ok(Some(t)) => Ok(t),
        Ok(None) => Ok(trials),
        Err(e) => Err(e.clone()),
    };
    let mut act = metric(
        "act_dcf",
        "ASVspoof 5 compute_actDCF (threshold -ln 1.9 on bona fide LLRs)",
        llr.clone()
            .and_then(|t| dcf::act_dcf(t, ctx.dcf))
            .map(|d| d.dcf),
        None,
    );
    let mut c = metric(
        "cllr",
        "ASVspoof 5 compute_cllr (bits; numerically stable)",
        llr.and_then(cllr::cllr),
        None,
    );
    if act.note.is_none() {
        act.note.clone_from(&llr_note);
    }
    if c.note.is_none() {
        c.note = llr_note;
    }
    out.push(act);
    out.push(c);
    out.push(metric(
        "min_cllr",
        "Cllr after the optimal monotone (PAV) transform",
        cllr::min_cllr_ranked(&ranked),
        None,
    ));
    out.push(metric(
        "ece",
        "expected calibration error, 15 equal-width bins (Guo et al. 2017; torchmetrics BinaryCalibrationError)",
        fake_probabilities(trials, ctx).and_then(|p| ece::ece(&p, trials.labels(), ece::ECE_BINS)),
        None,
    ));
    out
}

/// The trials' fake probabilities: probabilities as they are (oriented fake), LLRs as the
/// posterior at prior 0.5; other scores have none.
fn fake_probabilities(trials: &Trials, ctx: &Context) -> Result<Vec<f64>, MetricError> {
    match ctx.kind {
        ScoreKind::Probability => Ok(trials.scores().to_vec()),
        ScoreKind::Llr => Ok(trials.scores().iter().map(|&l| sigmoid(l)).collect()),
        ScoreKind::Score => Err(MetricError::InvalidParameter(
            "scores are not probabilities: calibrate them (fakescope calibrate fit) first".into(),
        )),
    }
}

/// Accuracy, balanced accuracy, FPR and FNR at the threshold.
fn threshold_metrics(trials: &Trials, ctx: &Context) -> Vec<Metric> {
    let names = [
        ("acc", "DeepfakeBench acc: fake when score > threshold"),
        (
            "balanced_acc",
            "sklearn.metrics.balanced_accuracy_score at the threshold",
        ),
        ("fpr", "real trials called fake at the threshold"),
        ("fnr", "fake trials called real at the threshold"),
    ];
    let Some(t) = ctx.threshold else {
        let why =
            MetricError::InvalidParameter("no threshold for these scores: give --threshold".into());
        return names
            .iter()
            .map(|(n, d)| metric(n, d, Err(why.clone()), None))
            .collect();
    };
    let file_t = Some(ctx.to_file(t));
    let c = threshold::confusion(trials, t);
    let rate = |num: u64, den: u64, present: &'static str| {
        if den == 0 {
            Err(MetricError::OneClass {
                present,
                n: trials.len(),
            })
        } else {
            Ok(num as f64 / den as f64)
        }
    };
    vec![
        metric(
            names[0].0,
            names[0].1,
            threshold::accuracy(trials, t),
            file_t,
        ),
        metric(
            names[1].0,
            names[1].1,
            threshold::balanced_accuracy(trials, t),
            file_t,
        ),
        metric(
            names[2].0,
            names[2].1,
            rate(c.fp, c.fp + c.tn, "fake"),
            file_t,
        ),
        metric(
            names[3].0,
            names[3].1,
            rate(c.fn_, c.fn_ + c.tp, "real"),
            file_t,
        ),
    ]
}

fn counts(trials: &Trials) -> Counts {
    Counts {
        total: trials.len() as u64,
        fake: trials.n_fake() as u64,
        real: trials.n_real() as u64,
    }
}

/// Pools frames into videos; the label of a video is fake only when all its frames are
/// (DeepfakeBench's `int(mean(labels))`), and mixed videos are reported.
fn pool_videos(
    trials: &Trials,
    video: &Categorical,
    pool: VideoPool,
    warnings: &mut Vec<String>,
) -> Result<Trials, MetricError> {
    let n = video.names.len();
    let mut frames: Vec<Vec<f64>> = vec![Vec::new(); n];
    let mut fake_frames = vec![0usize; n];
    for ((&code, &s), &f) in video.codes.iter().zip(trials.scores()).zip(trials.labels()) {
        frames[code as usize].push(s);
        fake_frames[code as usize] += usize::from(f);
    }
    let mut mixed = Vec::new();
    let mut scores = Vec::with_capacity(n);
    let mut labels = Vec::with_capacity(n);
    for (v, mut f) in frames.into_iter().enumerate() {
        if f.is_empty() {
            continue;
        }
        let all_fake = fake_frames[v] == f.len();
        if fake_frames[v] != 0 && !all_fake {
            mixed.push(video.names[v].as_str());
        }
        let score = match pool {
            VideoPool::Mean => f.iter().sum::<f64>() / f.len() as f64,
            VideoPool::Max => f.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            VideoPool::Median => {
                f.sort_by(f64::total_cmp);
                let m = f.len() / 2;
                if f.len() % 2 == 1 {
                    f[m]
                } else {
                    (f[m - 1] + f[m]) / 2.0
                }
            }
        };
        scores.push(score);
        labels.push(all_fake);
    }
    if !mixed.is_empty() {
        warnings.push(format!(
            "{} videos have both real and fake frames and count as real (DeepfakeBench's rule), e.g. {}",
            mixed.len(),
            mixed[..mixed.len().min(3)].join(", ")
        ));
    }
    Trials::new(scores, labels)
}

/// The ROC/DET points, histograms and reliability bins for the plots.
fn curves(trials: &Trials, ctx: &Context) -> Option<Curves> {
    trials.require_both_classes().ok()?;
    let ranked = trials.ranked();
    let roc_curve = roc::roc_curve(&ranked, true).ok()?;
    let keep = thin(roc_curve.fpr.len(), 2000);
    let roc: Vec<[f64; 2]> = keep
        .iter()
        .map(|&i| [roc_curve.fpr[i], roc_curve.tpr[i]])
        .collect();
    let det = roc.iter().map(|&[fpr, tpr]| [fpr, 1.0 - tpr]).collect();

    let file_scores: Vec<f64> = trials.scores().iter().map(|&s| ctx.to_file(s)).collect();
    let (lo, hi) = if ctx.kind == ScoreKind::Probability {
        (0.0, 1.0)
    } else {
        let lo = file_scores.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = file_scores
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        if hi > lo {
            (lo, hi)
        } else {
            (lo - 0.5, lo + 0.5)
        }
    };
    let bins = 40;
    let edges: Vec<f64> = (0..=bins)
        .map(|i| lo + (hi - lo) * i as f64 / bins as f64)
        .collect();
    let mut real = vec![0u64; bins];
    let mut fake = vec![0u64; bins];
    for (&s, &f) in file_scores.iter().zip(trials.labels()) {
        let b = (((s - lo) / (hi - lo)) * bins as f64).floor();
        let b = (b.max(0.0) as usize).min(bins - 1);
        if f {
            fake[b] += 1;
        } else {
            real[b] += 1;
        }
    }

    let reliability = match ctx.kind {
        ScoreKind::Probability => Some(reliability(
            trials.scores().iter().copied(),
            trials.labels(),
        )),
        ScoreKind::Llr => Some(reliability(
            trials.scores().iter().map(|&s| sigmoid(s)),
            trials.labels(),
        )),
        ScoreKind::Score => None,
    };
    Some(Curves {
        roc,
        det,
        histogram: Histogram { edges, real, fake },
        reliability,
    })
}

/// Indices of at most about `max` points spread over `0..n`, always keeping the ends.
fn thin(n: usize, max: usize) -> Vec<usize> {
    if n <= max {
        return (0..n).collect();
    }
    let step = n.div_ceil(max);
    let mut v: Vec<usize> = (0..n).step_by(step).collect();
    if v.last() != Some(&(n - 1)) {
        v.push(n - 1);
    }
    v
}

/// Ten equal-width bins of predicted fake probability.
fn reliability(p: impl Iterator<Item = f64>, labels: &[bool]) -> Vec<ReliabilityBin> {
    let p: Vec<f64> = p.collect();
    ece::reliability_bins(&p, labels, 10)
        .into_iter()
        .map(|b| ReliabilityBin {
            mean_predicted: b.mean_predicted,
            fraction_fake: b.fraction_fake,
            count: b.count,
        })
        .collect()
}

/// A section: counts, metrics, curves.
fn section(unit: &str, trials: &Trials, ctx: &Context) -> Section {
    Section {
        unit: unit.into(),
        counts: counts(trials),
        metrics: metrics(trials, ctx),
        curves: curves(trials, ctx),
    }
}

/// SplitMix64: a small, seedable generator for bootstrap resampling.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0), by Lemire's multiply-shift.
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }
}

/// Fills `ci95` of each metric with the 2.5th and 97.5th percentiles over resamples.
///
/// `units` lists, per resampling unit (trial or video), the trial indices it holds.
fn add_intervals(
    metrics_out: &mut [Metric],
    units: &[Vec<usize>],
    trials: &Trials,
    ctx: &Context,
    b: Bootstrap,
) {
    let per_resample: Vec<Vec<Option<f64>>> = (0..b.resamples)
        .into_par_iter()
        .map(|r| {
            let mut rng = SplitMix64(b.seed ^ (r as u64).wrapping_mul(0xA24B_AED4_963E_E407));
            let mut idx = Vec::with_capacity(trials.len());
            for _ in 0..units.len() {
                idx.extend_from_slice(&units[rng.below(units.len())]);
            }
            let t = trials.select(&idx);
            metrics(&t, ctx).into_iter().map(|m| m.value).collect()
        })
        .collect();
    for (j, m) in metrics_out.iter_mut().enumerate() {
        if m.value.is_none() {
            continue;
        }
        let mut v: Vec<f64> = per_resample.iter().filter_map(|r| r[j]).collect();
        if v.len() < 2 {
            continue;
        }
        v.sort_by(f64::total_cmp);
        m.ci95 = Some([percentile(&v, 0.025), percentile(&v, 0.975)]);
    }
}

/// Linear-interpolated percentile of sorted values (numpy's default).
fn percentile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// The slices of a categorical column, each as trial indices.
fn slices(cat: &Categorical) -> Vec<(String, Vec<usize>)> {
    let mut idx: Vec<Vec<usize>> = vec![Vec::new(); cat.names.len()];
    for (i, &c) in cat.codes.iter().enumerate() {
        idx[c as usize].push(i);
    }
    cat.names
        .iter()
        .cloned()
        .zip(idx)
        .filter(|(_, v)| !v.is_empty())
        .collect()
}

/// One row per condition; all-fake conditions are scored against all real trials.
fn per_condition(trials: &Trials, cat: &Categorical, ctx: &Context) -> Vec<Breakdown> {
    let real: Vec<usize> = (0..trials.len()).filter(|&i| !trials.labels()[i]).collect();
    slices(cat)
        .into_par_iter()
        .map(|(name, mut idx)| {
            let all_fake = idx.iter().all(|&i| trials.labels()[i]);
            let mut note = None;
            if all_fake && !real.is_empty() {
                idx.extend_from_slice(&real);
                note = Some(format!(
                    "all-fake condition: scored against all {} real trials",
                    real.len()
                ));
            }
            let t = trials.select(&idx);
            let mut m = metrics(&t, ctx);
            if let Some(note) = note
                && let Some(first) = m.first_mut()
            {
                first.note.get_or_insert(note);
            }
            Breakdown {
                name,
                counts: counts(&t),
                metrics: m,
            }
        })
        .collect()
}

/// Per-group AUC, FPR and FNR and the largest gaps between groups.
fn fairness(trials: &Trials, cat: &Categorical, ctx: &Context) -> Fairness {
    let groups: Vec<Breakdown> = slices(cat)
        .into_par_iter()
        .map(|(name, idx)| {
            let t = trials.select(&idx);
            let m = metrics(&t, ctx)
                .into_iter()
                .filter(|m| {
                    matches!(
                        m.name.as_str(),
                        "auc" | "eer_deepfakebench" | "acc" | "fpr" | "fnr"
                    )
                })
                .collect();
            Breakdown {
                name,
                counts: counts(&t),
                metrics: m,
            }
        })
        .collect();
    let gaps = ["auc", "fpr", "fnr"]
        .iter()
        .filter_map(|&metric_name| {
            let values: Vec<(f64, &str)> = groups
                .iter()
                .filter_map(|g| {
                    g.metrics
                        .iter()
                        .find(|m| m.name == metric_name)
                        .and_then(|m| m.value)
                        .map(|v| (v, g.name.as_str()))
                })
                .collect();
            if values.len() < 2 {
                return None;
            }
            let lo = values.iter().min_by(|a, b| a.0.total_cmp(&b.0))?;
            let hi = values.iter().max_by(|a, b| a.0.total_cmp(&b.0))?;
            Some(Gap {
                metric: metric_name.into(),
                gap: hi.0 - lo.0,
                lowest: lo.1.into(),
                highest: hi.1.into(),
            })
        })
        .collect();
    Fairness { groups, gaps }
}

/// Why an evaluation could not start.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// The scores could not be turned into trials (e.g. a NaN slipped through).
    #[error(transparent)]
    Metric(#[from] MetricError),
    /// The calibration does not fit these scores.
    #[error("calibration {file}: {message}")]
    Calibration {
        /// The calibration file.
        file: String,
        /// What is wrong.
        message: String,
    },
}

/// Evaluates a table: overall, per video, per condition, per group, with intervals and curves.
pub fn evaluate(table: &ScoreTable, opts: &EvalOptions) -> Result<Report, EvalError> {
    let mut table_owned;
    let mut table = table;
    let mut calibration = None;
    if let Some((cal, file)) = &opts.calibration {
        table_owned = table.clone();
        cal.apply(&mut table_owned)
            .map_err(|message| EvalError::Calibration {
                file: file.clone(),
                message,
            })?;
        table = &table_owned;
        calibration = Some(file.clone());
    }
    let direction = table.direction;
    let file_threshold = opts.threshold.or(match table.kind {
        ScoreKind::Probability => Some(0.5),
        ScoreKind::Llr => Some(0.0),
        ScoreKind::Score => None,
    });
    let ctx = Context {
        kind: table.kind,
        direction,
        threshold: file_threshold.map(|t| flip(table.kind, direction, t)),
        dcf: opts.dcf,
    };
    let trials = Trials::new(table.scores.clone(), table.fake.clone())?;
    let mut warnings = table.warnings.clone();

    let mut overall = section(unit_name(table), &trials, &ctx);
    let video_trials = match &table.video {
        Some(v) => Some(pool_videos(&trials, v, opts.video_pool, &mut warnings)?),
        None => None,
    };
    let mut video = video_trials.as_ref().map(|t| section("videos", t, &ctx));
    let mut bootstrap = None;
    if let Some(b) = opts.bootstrap.filter(|b| b.resamples > 0) {
        let units: Vec<Vec<usize>> = match &table.video {
            Some(v) => slices(v).into_iter().map(|(_, idx)| idx).collect(),
            None => (0..trials.len()).map(|i| vec![i]).collect(),
        };
        add_intervals(&mut overall.metrics, &units, &trials, &ctx, b);
        if let (Some(v), Some(vt)) = (&mut video, &video_trials) {
            let units: Vec<Vec<usize>> = (0..vt.len()).map(|i| vec![i]).collect();
            add_intervals(&mut v.metrics, &units, vt, &ctx, b);
        }
        bootstrap = Some(BootstrapInfo {
            resamples: b.resamples,
            seed: b.seed,
            unit: if table.video.is_some() {
                "videos".into()
            } else {
                "trials".into()
            },
        });
    }

    if let Some(v) = &video {
        let auc = v.metrics.iter().find(|m| m.name == "auc");
        overall.metrics.push(Metric {
            name: "video_auc".into(),
            definition: format!(
                "roc_auc_score over videos ({:?} of frame scores)",
                opts.video_pool
            )
            .to_lowercase(),
            value: auc.and_then(|m| m.value),
            ci95: auc.and_then(|m| m.ci95),
            threshold: None,
            note: auc.and_then(|m| m.note.clone()),
        });
    }

    let per_condition = table
        .condition
        .as_ref()
        .map(|c| per_condition(&trials, c, &ctx))
        .unwrap_or_default();
    let fairness = table.group.as_ref().map(|g| fairness(&trials, g, &ctx));

    let value = |name: &str| {
        overall
            .metrics
            .iter()
            .find(|m| m.name == name)
            .and_then(|m| m.value)
    };
    let calibration_gaps = match (
        value("act_dcf"),
        value("min_dcf"),
        value("cllr"),
        value("min_cllr"),
    ) {
        (Some(a), Some(m), Some(c), Some(mc)) => Some(CalibrationGaps {
            act_minus_min_dcf: a - m,
            cllr_minus_min_cllr: c - mc,
        }),
        _ => None,
    };

    Ok(Report {
        fakescope_version: env!("CARGO_PKG_VERSION").into(),
        inputs: table
            .sources
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
        direction: Direction {
            higher_means: table.direction,
            reason: table.direction_reason.clone(),
        },
        score_kind: table.kind,
        calibration,
        threshold: file_threshold.unwrap_or(f64::NAN),
        overall,
        video,
        per_condition,
        fairness,
        bootstrap,
        calibration_gaps,
        warnings,
    })
}

/// What one row of the table is.
fn unit_name(table: &ScoreTable) -> &'static str {
    if table.video.is_some() {
        "frames"
    } else {
        "trials"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_matches_numpy_linear() {
        let v = [1.0, 2.0, 3.0, 4.0];
        // numpy.percentile([1,2,3,4], 2.5) = 1.075; 97.5 -> 3.925
        assert!((percentile(&v, 0.025) - 1.075).abs() < 1e-12);
        assert!((percentile(&v, 0.975) - 3.925).abs() < 1e-12);
    }

    #[test]
    fn logit_is_finite_at_certainty() {
        assert!(logit(0.0).is_finite() && logit(1.0).is_finite());
        assert!((logit(0.5)).abs() < 1e-15);
        assert!((logit(0.75) - 3f64.ln()).abs() < 1e-15);
    }

    #[test]
    fn thin_keeps_ends() {
        let v = thin(10_001, 2000);
        assert_eq!(v[0], 0);
        assert_eq!(*v.last().unwrap(), 10_000);
        assert!(v.len() <= 2002);
    }

    #[test]
    fn bootstrap_generator_is_uniform_enough() {
        let mut r = SplitMix64(7);
        let mut hist = [0u32; 4];
        for _ in 0..40_000 {
            hist[r.below(4)] += 1;
        }
        assert!(
            hist.iter().all(|&h| (9_500..10_500).contains(&h)),
            "{hist:?}"
        );
    }
}
