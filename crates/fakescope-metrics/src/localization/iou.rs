//! Temporal IoU of proposals against segments, in `f32` as the AV-Deepfake1M evaluator.

/// IoUs of every proposal (row) with every segment (column).
pub(super) struct Ious {
    /// Number of proposals (rows).
    pub rows: usize,
    /// Number of segments (columns).
    pub cols: usize,
    /// Row-major: `values[j * cols + i]` is the IoU of proposal `j` and segment `i`.
    pub values: Vec<f32>,
}

impl Ious {
    /// IoUs of proposal `j` with each segment.
    pub fn row(&self, j: usize) -> &[f32] {
        &self.values[j * self.cols..(j + 1) * self.cols]
    }
}

/// IoU of each span with each segment.
///
/// The denominator is the hull `max(ends) − min(starts)`, equal to the union when the spans
/// overlap (and irrelevant otherwise, the intersection being 0); the operations and their order
/// are upstream's, so the `f32` results are bit-identical. Equal zero-length spans give NaN.
pub(super) fn matrix(spans: &[[f32; 2]], segments: &[[f32; 2]]) -> Ious {
    let mut values = Vec::with_capacity(spans.len() * segments.len());
    for &[p_start, p_end] in spans {
        for &[t_start, t_end] in segments {
            let intersection = (p_end.min(t_end) - p_start.max(t_start)).max(0.0);
            let hull = p_end.max(t_end) - p_start.min(t_start);
            values.push(intersection / hull);
        }
    }
    Ious {
        rows: spans.len(),
        cols: segments.len(),
        values,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_are_hit_exactly_and_zero_length_gives_nan() {
        let ious = matrix(
            &[[0.0, 1.0], [0.0, 19.0], [3.0, 4.0]],
            &[[0.0, 2.0], [0.0, 20.0]],
        );
        assert_eq!((ious.rows, ious.cols), (3, 2));
        assert_eq!(ious.row(0), &[0.5, 0.05]);
        assert_eq!(ious.row(1)[1], 0.95_f32);
        assert_eq!(ious.row(2)[0], 0.0);
        assert!(matrix(&[[1.0, 1.0]], &[[1.0, 1.0]]).values[0].is_nan());
    }
}
