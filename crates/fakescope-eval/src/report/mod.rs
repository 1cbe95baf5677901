//! A finished evaluation, and its renderings: terminal table, JSON, Markdown, HTML.
//!
//! [`Report`] is plain data (serde); JSON output is its serialisation. The renderers in
//! [`text`], [`markdown`] and [`html`] only format it; nothing is computed there.

use serde::Serialize;

use crate::input::{HigherMeans, ScoreKind};

pub mod document;
pub mod html;
pub mod markdown;
mod plots;
pub use plots::{Series, line_chart};
pub mod text;

/// Everything an evaluation produced.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// fakescope version that wrote the report.
    pub fakescope_version: String,
    /// The score files read.
    pub inputs: Vec<String>,
    /// What a higher score meant in the input, and how that was decided.
    pub direction: Direction,
    /// What kind of number the scores are.
    pub score_kind: ScoreKind,
    /// Calibration applied before evaluating, if any (the file it came from).
    pub calibration: Option<String>,
    /// Decision threshold used for accuracy, FPR and FNR, in the input file's scale (`NaN` when
    /// there is none).
    pub threshold: f64,
    /// Metrics over all trials (files / frames).
    pub overall: Section,
    /// Metrics after aggregating frames into videos, when videos are known.
    pub video: Option<Section>,
    /// One row per condition (attack, codec, ...), when a condition column is given.
    pub per_condition: Vec<Breakdown>,
    /// One row per group, and the largest gaps between groups, when a group column is given.
    pub fairness: Option<Fairness>,
    /// Bootstrap settings, when confidence intervals were computed.
    pub bootstrap: Option<BootstrapInfo>,
    /// Miscalibration gaps (actDCF − minDCF, Cllr − minCllr), when scores are LLRs.
    pub calibration_gaps: Option<CalibrationGaps>,
    /// Warnings for the reader (duplicate ids dropped, metrics undefined, ...).
    pub warnings: Vec<String>,
}

/// Score direction as read.
#[derive(Debug, Clone, Serialize)]
pub struct Direction {
    /// What a higher score meant in the file.
    pub higher_means: HigherMeans,
    /// How that was decided.
    pub reason: String,
}

/// Metrics and curves for one set of trials.
#[derive(Debug, Clone, Serialize)]
pub struct Section {
    /// What the trials are: "files", "frames", "videos", "utterances".
    pub unit: String,
    /// Trial counts.
    pub counts: Counts,
    /// Every metric, in display order.
    pub metrics: Vec<Metric>,
    /// Curves and histograms for the plots (down-sampled for display).
    pub curves: Option<Curves>,
}

/// Trial counts.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Counts {
    /// All trials.
    pub total: u64,
    /// Fake / spoof trials.
    pub fake: u64,
    /// Real / bona fide trials.
    pub real: u64,
}

/// One metric value.
#[derive(Debug, Clone, Serialize)]
pub struct Metric {
    /// Short name, e.g. `auc`, `eer_deepfakebench`, `min_dcf`.
    pub name: String,
    /// The definition it follows, e.g. "sklearn.metrics.roc_auc_score".
    pub definition: String,
    /// The value; `None` when undefined (see `note`).
    pub value: Option<f64>,
    /// Bootstrap 95% interval, when computed.
    pub ci95: Option<[f64; 2]>,
    /// Threshold at which it was read (EER, minDCF), in the input file's scale.
    pub threshold: Option<f64>,
    /// Why the value is missing, or a remark.
    pub note: Option<String>,
}

/// Metrics of one slice of the trials (a condition or a group).
#[derive(Debug, Clone, Serialize)]
pub struct Breakdown {
    /// The condition or group value.
    pub name: String,
    /// Counts in the slice.
    pub counts: Counts,
    /// Metrics of the slice.
    pub metrics: Vec<Metric>,
}

/// Per-group metrics and the largest gaps between groups.
#[derive(Debug, Clone, Serialize)]
pub struct Fairness {
    /// One row per group (auc, fpr and fnr at the threshold, ...).
    pub groups: Vec<Breakdown>,
    /// For each metric, the largest difference between two groups.
    pub gaps: Vec<Gap>,
}

/// The largest difference of one metric between groups.
#[derive(Debug, Clone, Serialize)]
pub struct Gap {
    /// Metric name (`auc`, `fpr`, `fnr`).
    pub metric: String,
    /// max − min over groups where the metric is defined.
    pub gap: f64,
    /// Group with the lowest value.
    pub lowest: String,
    /// Group with the highest value.
    pub highest: String,
}

/// How confidence intervals were computed.
#[derive(Debug, Clone, Serialize)]
pub struct BootstrapInfo {
    /// Number of resamples.
    pub resamples: usize,
    /// Seed of the generator.
    pub seed: u64,
    /// What was resampled: "trials" or "videos".
    pub unit: String,
}

/// Gaps that measure miscalibration (0 = perfectly calibrated).
#[derive(Debug, Clone, Serialize)]
pub struct CalibrationGaps {
    /// actDCF − minDCF.
    pub act_minus_min_dcf: f64,
    /// Cllr − minCllr (bits).
    pub cllr_minus_min_cllr: f64,
}

/// Data for the plots.
#[derive(Debug, Clone, Serialize)]
pub struct Curves {
    /// ROC points (fpr, tpr), fpr increasing.
    pub roc: Vec<[f64; 2]>,
    /// DET points (false alarm rate = fpr, miss rate = fnr), for probit axes.
    pub det: Vec<[f64; 2]>,
    /// Score histograms per class over the same bins.
    pub histogram: Histogram,
    /// Reliability diagram, when the scores are probabilities (or calibrated LLRs).
    pub reliability: Option<Vec<ReliabilityBin>>,
}

/// Score histograms of the two classes over shared bins.
#[derive(Debug, Clone, Serialize)]
pub struct Histogram {
    /// Bin edges (`n + 1` values).
    pub edges: Vec<f64>,
    /// Real trials per bin.
    pub real: Vec<u64>,
    /// Fake trials per bin.
    pub fake: Vec<u64>,
}

/// One bin of a reliability diagram.
#[derive(Debug, Clone, Serialize)]
pub struct ReliabilityBin {
    /// Mean predicted fake probability in the bin.
    pub mean_predicted: f64,
    /// Fraction of fake trials in the bin.
    pub fraction_fake: f64,
    /// Trials in the bin.
    pub count: u64,
}
