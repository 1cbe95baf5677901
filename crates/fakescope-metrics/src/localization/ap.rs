//! Average precision at IoU thresholds, as the AV-Deepfake1M evaluator computes it.

use rayon::prelude::*;

use super::VideoOutcome;
use super::iou::Ious;
use super::sum;

/// Which proposals of one video are true positives, per threshold: `hits[k * rows + j]`.
///
/// Segments are visited in ground-truth order; each claims the first proposal in file order
/// whose IoU with it is strictly above the threshold and that no earlier segment claimed.
pub(super) fn video_hits(ious: &Ious, thresholds: &[f32]) -> Vec<bool> {
    let mut hits = vec![false; thresholds.len() * ious.rows];
    for (k, &threshold) in thresholds.iter().enumerate() {
        let claimed = &mut hits[k * ious.rows..(k + 1) * ious.rows];
        for i in 0..ious.cols {
            let first_free = (0..ious.rows).find(|&j| ious.row(j)[i] > threshold && !claimed[j]);
            if let Some(j) = first_free {
                claimed[j] = true;
            }
        }
    }
    hits
}

/// AP at each of the `n_thresholds` thresholds over all videos' proposals.
///
/// Proposals are ranked by score (stable: ties keep video order, then file order), and the
/// interpolated precision-recall curve is integrated from the lowest rank up, starting at
/// (recall 1, precision 0), in `f32` as upstream.
pub(super) fn average_precision(outcomes: &[VideoOutcome], n_thresholds: usize) -> Vec<f32> {
    let n_segments = outcomes.iter().map(|o| o.segments).sum::<u64>() as f32;
    let mut ranked: Vec<(f32, usize)> = outcomes
        .iter()
        .flat_map(|o| o.scores.iter().copied())
        .enumerate()
        .map(|(index, score)| (score, index))
        .collect();
    // Scores are finite, so `partial_cmp` never fails; -0 and +0 tie, as upstream.
    ranked.par_sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal));

    (0..n_thresholds)
        .into_par_iter()
        .map(|k| {
            let is_tp: Vec<bool> = outcomes
                .iter()
                .flat_map(|o| {
                    let rows = o.scores.len();
                    o.ap_hits[k * rows..(k + 1) * rows].iter().copied()
                })
                .collect();
            let ranked_tp = ranked.iter().map(|&(_, index)| is_tp[index]);
            area_under_curve(ranked_tp, n_segments)
        })
        .collect()
}

/// Upstream's curve and area for one threshold, given the true-positive flags in rank order.
fn area_under_curve(ranked_tp: impl Iterator<Item = bool>, n_segments: f32) -> f32 {
    let cumulative_tp: Vec<f32> = ranked_tp
        .scan(0.0f32, |acc, tp| {
            if tp {
                *acc += 1.0;
            }
            Some(*acc)
        })
        .collect();
    // Walk the curve from its appended first point (recall 1, precision 0) through the ranks in
    // reverse; each recall step is weighted by the best precision seen so far on the walk.
    let mut terms = Vec::with_capacity(cumulative_tp.len());
    let (mut previous_recall, mut best_precision) = (1.0f32, 0.0f32);
    for (rank, &tp) in cumulative_tp.iter().enumerate().rev() {
        let precision = tp / (rank as f32 + 1.0);
        let recall = tp / n_segments;
        terms.push((recall - previous_recall).abs() * best_precision);
        if precision > best_precision {
            best_precision = precision;
        }
        previous_recall = recall;
    }
    sum::unrolled(&terms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::localization::iou::matrix;

    #[test]
    fn segments_claim_the_first_free_hit_in_file_order() {
        // Both proposals hit both segments; the second proposal overlaps segment 0 better.
        let ious = matrix(&[[0.0, 2.0], [0.0, 1.0]], &[[0.0, 1.0], [0.0, 2.0]]);
        assert_eq!(video_hits(&ious, &[0.4]), [true, true]);
        // At 0.5 proposal 0 hits segment 1 only (IoU 1 vs 0.5, not strictly above).
        assert_eq!(video_hits(&ious, &[0.4, 0.5]), [true, true, true, true]);
        let ious = matrix(&[[0.0, 2.0], [0.0, 1.0]], &[[0.0, 1.0]]);
        assert_eq!(video_hits(&ious, &[0.4, 0.5]), [true, false, false, true]);
    }

    #[test]
    fn the_first_recall_step_is_not_counted() {
        assert_eq!(area_under_curve([true].into_iter(), 1.0), 0.0);
        assert_eq!(area_under_curve([true, true].into_iter(), 2.0), 0.5);
        // TP, FP, TP over 2 segments: the step to recall 1 at rank 3 has precision 2/3.
        assert_eq!(
            area_under_curve([true, false, true].into_iter(), 2.0),
            0.5 * (2.0 / 3.0)
        );
        assert_eq!(area_under_curve([].into_iter(), 2.0), 0.0);
    }
}
