//! Non-maximum suppression, the two flavours facenet-pytorch uses.
//!
//! * [`nms_union`]: torchvision's `nms` — candidates by descending score (stable: ties keep
//!   their order), areas `(x2 - x1) * (y2 - y1)`, a candidate is dropped when its IoU with a kept
//!   one is **greater than** the threshold. Returns kept indices, best first.
//! * [`nms_min`]: facenet-pytorch's own NumPy NMS with the "Min" rule — areas with `+1`
//!   (inclusive pixel coordinates), overlap = intersection / the smaller area, a candidate is kept
//!   while its overlap is **at most** the threshold; visits ascending order from its end, so
//!   among equal scores the later candidate wins.

/// Box corners `x1, y1, x2, y2`.
pub(crate) type Corners = [f32; 4];

/// torchvision `nms(boxes, scores, iou)`: indices kept, by descending score.
pub(crate) fn nms_union(boxes: &[Corners], scores: &[f32], iou: f32) -> Vec<usize> {
    let mut order: Vec<usize> = (0..boxes.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let area: Vec<f32> = boxes
        .iter()
        .map(|b| (b[2] - b[0]) * (b[3] - b[1]))
        .collect();
    let mut suppressed = vec![false; boxes.len()];
    let mut keep = Vec::new();
    for (n, &i) in order.iter().enumerate() {
        if suppressed[i] {
            continue;
        }
        keep.push(i);
        let bi = boxes[i];
        for &j in &order[n + 1..] {
            if suppressed[j] {
                continue;
            }
            let bj = boxes[j];
            let w = (bi[2].min(bj[2]) - bi[0].max(bj[0])).max(0.0);
            let h = (bi[3].min(bj[3]) - bi[1].max(bj[1])).max(0.0);
            let inter = w * h;
            if inter / (area[i] + area[j] - inter) > iou {
                suppressed[j] = true;
            }
        }
    }
    keep
}

/// facenet-pytorch `nms_numpy(boxes, scores, threshold, "Min")`: indices kept, best first.
pub(crate) fn nms_min(boxes: &[Corners], scores: &[f32], threshold: f32) -> Vec<usize> {
    let mut order: Vec<usize> = (0..boxes.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let area: Vec<f32> = boxes
        .iter()
        .map(|b| (b[2] - b[0] + 1.0) * (b[3] - b[1] + 1.0))
        .collect();
    let mut keep = Vec::new();
    while let Some(i) = order.pop() {
        keep.push(i);
        let bi = boxes[i];
        order.retain(|&j| {
            let bj = boxes[j];
            let w = (bi[2].min(bj[2]) - bi[0].max(bj[0]) + 1.0).max(0.0);
            let h = (bi[3].min(bj[3]) - bi[1].max(bj[1]) + 1.0).max(0.0);
            let inter = w * h;
            inter / area[i].min(area[j]) <= threshold
        });
    }
    keep
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn union_keeps_best_and_drops_overlaps() {
        // IoU of the first two: 81 / (100 + 100 - 81) = 0.68.
        let boxes = [
            [0.0, 0.0, 10.0, 10.0],
            [1.0, 1.0, 11.0, 11.0],
            [20.0, 20.0, 30.0, 30.0],
        ];
        assert_eq!(nms_union(&boxes, &[0.9, 0.95, 0.5], 0.5), vec![1, 2]);
        assert_eq!(nms_union(&boxes, &[0.9, 0.95, 0.5], 0.7), vec![1, 0, 2]);
    }

    #[test]
    fn min_rule_drops_a_box_inside_another() {
        // The small box lies inside the big one: overlap / min area = 1.
        let boxes = [[0.0, 0.0, 99.0, 99.0], [10.0, 10.0, 19.0, 19.0]];
        assert_eq!(nms_min(&boxes, &[0.8, 0.9], 0.7), vec![1]);
        assert_eq!(nms_union(&boxes, &[0.8, 0.9], 0.7), vec![1, 0]);
    }
}
