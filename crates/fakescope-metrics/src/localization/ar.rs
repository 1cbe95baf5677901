//! Average recall at numbers of proposals, as the AV-Deepfake1M evaluator computes it.

use super::VideoOutcome;
use super::iou::Ious;
use super::sum;

/// How many of one video's segments its first `n` proposals (file order) recall, for each AR
/// threshold `t` and count `c`: `hits[t * counts.len() + c]`.
///
/// A segment is recalled when its best IoU among those proposals is strictly above the
/// threshold. The best IoU is a running maximum down the proposal list, as upstream's
/// `cummax` (a NaN IoU never wins it).
pub(super) fn video_hits(ious: &Ious, thresholds: &[f32], counts: &[usize]) -> Vec<u64> {
    let mut hits = vec![0; thresholds.len() * counts.len()];
    if ious.rows == 0 {
        return hits;
    }
    let kept = counts.iter().copied().max().unwrap_or(0).min(ious.rows);
    // best[r * cols + i]: best IoU of segment i among proposals 0..=r.
    let mut best = ious.values[..kept * ious.cols].to_vec();
    for r in 1..kept {
        for i in 0..ious.cols {
            best[r * ious.cols + i] = best[(r - 1) * ious.cols + i].max(best[r * ious.cols + i]);
        }
    }
    for (c, &count) in counts.iter().enumerate() {
        let r = count.min(ious.rows) - 1;
        let row = &best[r * ious.cols..(r + 1) * ious.cols];
        for (t, &threshold) in thresholds.iter().enumerate() {
            hits[t * counts.len() + c] = row.iter().filter(|&&iou| iou > threshold).count() as u64;
        }
    }
    hits
}

/// AR at each of the `n_counts` proposal counts: recall per threshold over all segments of all
/// videos, averaged over the `n_thresholds` thresholds, in `f32` as upstream.
pub(super) fn average_recall(
    outcomes: &[VideoOutcome],
    n_thresholds: usize,
    n_counts: usize,
) -> Vec<f32> {
    let n_segments: u64 = outcomes.iter().map(|o| o.segments).sum();
    let mut hits = vec![0u64; n_thresholds * n_counts];
    for outcome in outcomes {
        for (total, &h) in hits.iter_mut().zip(&outcome.ar_hits) {
            *total += h;
        }
    }
    let recall: Vec<f32> = hits
        .iter()
        .map(|&h| {
            let (found, missed) = (h as f32, (n_segments - h) as f32);
            let all = found + missed;
            if all == 0.0 { 0.0 } else { found / all }
        })
        .collect();
    (0..n_counts)
        .map(|c| {
            let column = (0..n_thresholds).map(|t| recall[t * n_counts + c]);
            // ndarray sums a column of the (thresholds × counts) table in place: contiguous,
            // hence eight-lane, only when there is a single count.
            let total = if n_counts == 1 {
                sum::unrolled(&column.collect::<Vec<_>>())
            } else {
                sum::sequential(column)
            };
            total / n_thresholds as f32
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::localization::iou::matrix;

    #[test]
    fn counts_keep_the_first_proposals_in_file_order() {
        // Proposal 0 misses both segments, proposal 1 matches segment 0, proposal 2 segment 1.
        let spans = [[5.0, 6.0], [0.0, 1.0], [2.0, 3.0]];
        let ious = matrix(&spans, &[[0.0, 1.0], [2.0, 3.0]]);
        assert_eq!(video_hits(&ious, &[0.5], &[1, 2, 3, 100]), [0, 1, 2, 2]);
        assert_eq!(video_hits(&matrix(&[], &[[0.0, 1.0]]), &[0.5], &[1]), [0]);
    }
}
