//! Temporal localization: AP at IoU thresholds and AR at proposal counts (AV-Deepfake1M, LAV-DF).
//!
//! A localization system answers, for each video, with *proposals*: `[score, start, end]` spans
//! it believes are fake. The ground truth lists each video's fake *segments* in seconds.
//! [`evaluate`] scores the proposals exactly as the AV-Deepfake1M evaluator does
//! (`avdeepfake1m.evaluation.ap_ar_1d`, a Rust extension, package 0.0.4); the LAV-DF numbers are
//! the same computation with the parameters of [`LocalizationParams::lav_df`].
//!
//! # The definition, step by step
//!
//! All arithmetic is in `f32`, as upstream: every number is read as `f64`, rounded to `f32`, and
//! proposal boundaries are divided by [`LocalizationParams::fps`] (1 when they are in seconds,
//! 25 when they are frame numbers at 25 fps). Results are the `f32` values widened to `f64`.
//!
//! - **IoU** of a proposal `p` and a segment `t` is
//!   `max(0, min(p.end, t.end) − max(p.start, t.start)) / (max(p.end, t.end) − min(p.start, t.start))`:
//!   the denominator is the hull of the two spans, which is their union whenever they overlap.
//!   A proposal *hits* a segment at threshold `θ` when IoU **>** `θ` (strictly: IoU = 0.5 does not
//!   count at 0.5). Two zero-length spans at the same instant have IoU 0/0 = NaN, which hits
//!   nothing.
//! - **AP at `θ`.** Within a video, segments are taken in ground-truth order; each claims the
//!   *first proposal in file order* (not the best-scoring, not the best-overlapping) that hits it
//!   and is not yet claimed; claimed proposals are true positives, all others false positives.
//!   The proposals of all videos are then ranked by score, highest first; ties keep
//!   ground-truth video order, then file order (a stable sort). Along the ranking,
//!   precision = TP so far / rank and recall = TP so far / all segments of all videos (videos
//!   without proposals included). AP is the area under the interpolated curve taken from the
//!   lowest-ranked proposal upwards, starting at the point (recall 1, precision 0): each recall
//!   step is weighted by the best precision at or below that rank. The step from recall 0 to
//!   the recall of the first-ranked proposal is never counted (an upstream quirk: a single
//!   perfect proposal for a single segment scores AP = 0). The terms are summed in the order of
//!   that walk with eight interleaved partial sums, as `ndarray`'s `sum` does.
//! - **AR at `n` proposals.** Each video keeps its first `n` proposals *in file order* (upstream
//!   expects files sorted by score, highest first, and does not sort them). A segment is
//!   recalled at `θ` when one of those proposals hits it (no one-to-one matching). Hits and
//!   misses are summed over all videos, recall = hits / (hits + misses) per IoU threshold (0
//!   when there are no segments), and AR@n is the mean of those recalls over the AR IoU
//!   thresholds.
//! - **Score** is the AV-Deepfake1M challenge's single number: `0.5·mean(AP) + 0.5·mean(AR)`
//!   over the configured thresholds and counts, computed in `f64` as its evaluation script does.
//!
//! # Videos without proposals, videos without fake segments
//!
//! - A real video (no fake segments) adds its proposals to the AP ranking as false positives and
//!   adds nothing to AR.
//! - A video whose proposal list is **empty** has its segments counted as missed, in AP (they
//!   are in the denominator of recall) and in AR (as misses). Upstream cannot read an empty list
//!   at all (its JSON reader panics on `[]`), so this is the one place where the definition is
//!   ours; the test reference obtains these numbers from upstream through an equivalent input
//!   (see `tests/reference/make_localization_reference.py`).
//! - A ground-truth video with **no entry** in the predictions is an error, as upstream
//!   (which panics). Readers may choose to treat it as an empty list instead. Predictions for
//!   videos that are not in the ground truth are ignored here, as upstream.
//! - Ground truth with no fake segment at all is refused ([`MetricError::OneClass`]): upstream
//!   returns NaN for every AP then.

mod ap;
mod ar;
mod iou;
mod sum;

use std::collections::HashMap;

use rayon::prelude::*;
use serde::Serialize;

use crate::MetricError;

/// A fake span of a video, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Segment {
    /// Where the span begins, in seconds.
    pub start: f64,
    /// Where the span ends, in seconds (not before `start`).
    pub end: f64,
}

/// The ground truth of one video: which spans of it are fake.
///
/// The evaluator uses nothing else from the metadata (not the duration, not the frame count).
#[derive(Debug, Clone, PartialEq)]
pub struct VideoTruth {
    /// The video's key, as in the metadata's `file` field and the predictions' keys.
    pub file: String,
    /// Its fake segments in seconds, in metadata order; empty for a real video.
    pub segments: Vec<Segment>,
}

/// One span a localization system flags as fake.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Proposal {
    /// Confidence; higher = more likely a fake span. Only the ranking matters.
    pub score: f64,
    /// Where the span begins, in units of `1 / fps` seconds.
    pub start: f64,
    /// Where the span ends, in units of `1 / fps` seconds (not before `start`).
    pub end: f64,
}

/// Each video's proposals, in file order (AR keeps the first `n` of each list).
pub type Predictions = HashMap<String, Vec<Proposal>>;

/// What to compute: AP thresholds, AR counts and thresholds, and the unit of proposal times.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LocalizationParams {
    /// IoU thresholds at which AP is reported (a hit needs IoU strictly greater).
    pub ap_iou_thresholds: Vec<f64>,
    /// Numbers of proposals per video at which AR is reported (each ≥ 1).
    pub ar_proposal_counts: Vec<usize>,
    /// IoU thresholds AR averages recall over.
    pub ar_iou_thresholds: Vec<f64>,
    /// Proposal boundaries are divided by this before they are compared with the ground truth
    /// (seconds): 1 when proposals are in seconds, the frame rate when they are frame numbers.
    pub fps: f64,
}

/// IoU 0.5, 0.55, …, 0.95: the ten thresholds AR averages over in both benchmarks.
const AR_IOU_THRESHOLDS: [f64; 10] = [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95];

impl LocalizationParams {
    /// The AV-Deepfake1M (2024 challenge) setting: AP@{0.5, 0.75, 0.9, 0.95},
    /// AR@{50, 30, 20, 10, 5} averaged over IoU 0.5:0.05:0.95, proposals in seconds (fps 1).
    ///
    /// These are the arguments of `ap_ar_1d` in the AV-Deepfake1M README and its
    /// `examples/batfd/evaluate.py`; ground truth is the metadata's `fake_segments`.
    pub fn av_deepfake1m() -> Self {
        Self {
            ap_iou_thresholds: vec![0.5, 0.75, 0.9, 0.95],
            ar_proposal_counts: vec![50, 30, 20, 10, 5],
            ar_iou_thresholds: AR_IOU_THRESHOLDS.to_vec(),
            fps: 1.0,
        }
    }

    /// The LAV-DF setting: AP@{0.5, 0.75, 0.95}, AR@{100, 50, 20, 10} averaged over
    /// IoU 0.5:0.05:0.95, proposals in frames at 25 fps.
    ///
    /// These are the values of LAV-DF's `evaluate.py` (ControlNet/LAV-DF), whose BA-TFD
    /// post-processing writes proposal boundaries as frame numbers and whose metrics divide them
    /// by 25 before comparing them with `fake_periods` (seconds). LAV-DF's own `metrics.py` is a
    /// PyTorch version of the same algorithm (same matching, same curve, same `f32`); it differs
    /// only where it cannot run or sums in another order: it fails on a video with fewer than
    /// 100 proposals or none, and its reductions may differ from these results in the last
    /// `f32` bits. The numbers here are those of the AV-Deepfake1M evaluator called with these
    /// parameters.
    pub fn lav_df() -> Self {
        Self {
            ap_iou_thresholds: vec![0.5, 0.75, 0.95],
            ar_proposal_counts: vec![100, 50, 20, 10],
            ar_iou_thresholds: AR_IOU_THRESHOLDS.to_vec(),
            fps: 25.0,
        }
    }

    /// Checks that the lists are non-empty and duplicate-free, thresholds lie in [0, 1],
    /// counts are ≥ 1 and `fps` is positive and finite.
    ///
    /// Duplicates are refused because upstream returns a dictionary keyed by threshold (as
    /// `f32`) or count, where a duplicate silently collapses.
    pub fn validate(&self) -> Result<(), MetricError> {
        let invalid = |msg: String| Err(MetricError::InvalidParameter(msg));
        for (name, list) in [
            ("AP IoU thresholds", &self.ap_iou_thresholds),
            ("AR IoU thresholds", &self.ar_iou_thresholds),
        ] {
            if list.is_empty() {
                return invalid(format!("no {name}"));
            }
            if let Some(t) = list.iter().find(|t| !(0.0..=1.0).contains(*t)) {
                return invalid(format!("{name}: {t} is not in [0, 1]"));
            }
            let as_f32: Vec<f32> = list.iter().map(|&t| t as f32).collect();
            if let Some(i) = (1..list.len()).find(|&i| as_f32[..i].contains(&as_f32[i])) {
                return invalid(format!("{name}: {} is given twice", list[i]));
            }
        }
        if self.ar_proposal_counts.is_empty() {
            return invalid("no AR proposal counts".into());
        }
        if self.ar_proposal_counts.contains(&0) {
            return invalid("AR proposal counts must be at least 1".into());
        }
        let counts = &self.ar_proposal_counts;
        if let Some(i) = (1..counts.len()).find(|&i| counts[..i].contains(&counts[i])) {
            return invalid(format!("AR proposal count {} is given twice", counts[i]));
        }
        if !(self.fps.is_finite() && self.fps > 0.0) {
            return invalid(format!("fps must be positive and finite, not {}", self.fps));
        }
        Ok(())
    }
}

/// AP at one IoU threshold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ApAtIou {
    /// The IoU threshold, as given in the parameters.
    pub iou: f64,
    /// Average precision at that threshold, in [0, 1].
    pub ap: f64,
}

/// AR at one number of proposals per video.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ArAtProposals {
    /// How many proposals per video were kept (the first ones in file order).
    pub proposals: usize,
    /// Average recall over the AR IoU thresholds, in [0, 1].
    pub ar: f64,
}

/// The evaluator's output (`{"ap": {iou: AP}, "ar": {n: AR}}` upstream) plus the challenge score
/// and counts for reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LocalizationResult {
    /// AP per IoU threshold, in the order of [`LocalizationParams::ap_iou_thresholds`].
    pub ap: Vec<ApAtIou>,
    /// AR per proposal count, in the order of [`LocalizationParams::ar_proposal_counts`].
    pub ar: Vec<ArAtProposals>,
    /// Mean of the AP values.
    pub mean_ap: f64,
    /// Mean of the AR values.
    pub mean_ar: f64,
    /// `0.5 · mean_ap + 0.5 · mean_ar`, the AV-Deepfake1M challenge's localization score.
    pub score: f64,
    /// Videos in the ground truth.
    pub videos: usize,
    /// Fake segments in the ground truth.
    pub segments: usize,
    /// Proposals of ground-truth videos (predictions for other videos are not counted).
    pub proposals: usize,
    /// Ground-truth videos whose proposal list is empty.
    pub videos_without_proposals: usize,
}

/// One video, rounded to `f32` as the evaluator works: segments in seconds, proposals scaled to
/// seconds.
struct VideoF32 {
    segments: Vec<[f32; 2]>,
    scores: Vec<f32>,
    spans: Vec<[f32; 2]>,
}

/// What one video contributes: its proposals' AP outcomes and its AR hit counts.
struct VideoOutcome {
    scores: Vec<f32>,
    /// `hits[k * n + j]`: proposal `j` is a true positive at AP threshold `k`.
    ap_hits: Vec<bool>,
    /// `ar_hits[t * n_counts + c]`: segments recalled at AR threshold `t` with count `c`.
    ar_hits: Vec<u64>,
    segments: u64,
}

/// AP per IoU threshold and AR per proposal count of `predictions` against `truth`, as the
/// AV-Deepfake1M evaluator computes them (see the module documentation for the definition).
///
/// Videos are evaluated in the order of `truth`, which decides how equal scores are ranked.
///
/// # Errors
/// - [`MetricError::InvalidParameter`] for invalid `params`, a segment or proposal with a
///   non-finite number or `start > end`, or a video of `truth` without an entry in
///   `predictions`.
/// - [`MetricError::Empty`] when `truth` has no video; [`MetricError::OneClass`] when it has no
///   fake segment.
pub fn evaluate(
    truth: &[VideoTruth],
    predictions: &Predictions,
    params: &LocalizationParams,
) -> Result<LocalizationResult, MetricError> {
    params.validate()?;
    if truth.is_empty() {
        return Err(MetricError::Empty);
    }
    let fps = params.fps as f32;
    let videos: Vec<VideoF32> = truth
        .par_iter()
        .map(|video| to_f32(video, predictions, fps))
        .collect::<Result<_, _>>()?;
    let segments: usize = videos.iter().map(|v| v.segments.len()).sum();
    if segments == 0 {
        return Err(MetricError::OneClass {
            present: "real",
            n: truth.len(),
        });
    }

    let ap_thresholds: Vec<f32> = params.ap_iou_thresholds.iter().map(|&t| t as f32).collect();
    let ar_thresholds: Vec<f32> = params.ar_iou_thresholds.iter().map(|&t| t as f32).collect();
    let counts = &params.ar_proposal_counts;
    let outcomes: Vec<VideoOutcome> = videos
        .into_par_iter()
        .map(|video| {
            let ious = iou::matrix(&video.spans, &video.segments);
            VideoOutcome {
                ap_hits: ap::video_hits(&ious, &ap_thresholds),
                ar_hits: ar::video_hits(&ious, &ar_thresholds, counts),
                segments: video.segments.len() as u64,
                scores: video.scores,
            }
        })
        .collect();

    let ap_values = ap::average_precision(&outcomes, ap_thresholds.len());
    let ar_values = ar::average_recall(&outcomes, ar_thresholds.len(), counts.len());

    let ap: Vec<ApAtIou> = params
        .ap_iou_thresholds
        .iter()
        .zip(&ap_values)
        .map(|(&iou, &ap)| ApAtIou { iou, ap: ap.into() })
        .collect();
    let ar: Vec<ArAtProposals> = counts
        .iter()
        .zip(&ar_values)
        .map(|(&proposals, &ar)| ArAtProposals {
            proposals,
            ar: ar.into(),
        })
        .collect();
    // As the challenge script: Python's `sum(values) / len(values)` over the f32 results.
    let mean = |values: &[f32]| {
        values.iter().fold(0.0, |acc, &v| acc + f64::from(v)) / values.len() as f64
    };
    let (mean_ap, mean_ar) = (mean(&ap_values), mean(&ar_values));
    let proposal_counts = outcomes.iter().map(|o| o.scores.len());
    Ok(LocalizationResult {
        ap,
        ar,
        mean_ap,
        mean_ar,
        score: 0.5 * mean_ap + 0.5 * mean_ar,
        videos: truth.len(),
        segments,
        proposals: proposal_counts.clone().sum(),
        videos_without_proposals: proposal_counts.filter(|&n| n == 0).count(),
    })
}

/// Checks one video and rounds it to `f32` as upstream reads it (`f64 → f32`, then
/// `boundary / fps` in `f32` for proposals).
fn to_f32(
    video: &VideoTruth,
    predictions: &Predictions,
    fps: f32,
) -> Result<VideoF32, MetricError> {
    let file = &video.file;
    let invalid = |what: &str, i: usize, s: f64, e: f64| {
        let why = if s.is_finite() && e.is_finite() {
            "starts after it ends"
        } else {
            "is not finite"
        };
        MetricError::InvalidParameter(format!("video '{file}': {what} {i} [{s}, {e}] {why}"))
    };
    let mut segments = Vec::with_capacity(video.segments.len());
    for (i, s) in video.segments.iter().enumerate() {
        if !(s.start.is_finite() && s.end.is_finite() && s.start <= s.end) {
            return Err(invalid("segment", i, s.start, s.end));
        }
        segments.push([s.start as f32, s.end as f32]);
    }
    let proposals = predictions.get(file).ok_or_else(|| {
        MetricError::InvalidParameter(format!("no predictions for video '{file}'"))
    })?;
    let mut scores = Vec::with_capacity(proposals.len());
    let mut spans = Vec::with_capacity(proposals.len());
    for (i, p) in proposals.iter().enumerate() {
        if !(p.start.is_finite() && p.end.is_finite() && p.start <= p.end) {
            return Err(invalid("proposal", i, p.start, p.end));
        }
        if !p.score.is_finite() {
            return Err(MetricError::InvalidParameter(format!(
                "video '{file}': proposal {i} has score {}",
                p.score
            )));
        }
        scores.push(p.score as f32);
        spans.push([p.start as f32 / fps, p.end as f32 / fps]);
    }
    Ok(VideoF32 {
        segments,
        scores,
        spans,
    })
}
