//! Cutting polylines to the plotted box: plotters draws whatever it is given, even outside the
//! axes, so a DET curve that leaves its window must be cut where it crosses the border.

/// Splits a polyline into the pieces that lie inside the box `x` × `y` (Liang–Barsky clipping of
/// each segment). A point with a NaN or infinite coordinate breaks the line.
pub(super) fn clip(
    points: impl Iterator<Item = (f64, f64)>,
    x: (f64, f64),
    y: (f64, f64),
) -> Vec<Vec<(f64, f64)>> {
    let mut pieces: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut current: Vec<(f64, f64)> = Vec::new();
    let mut prev: Option<(f64, f64)> = None;
    let inside = |(px, py): (f64, f64)| px >= x.0 && px <= x.1 && py >= y.0 && py <= y.1;
    for p in points {
        if !(p.0.is_finite() && p.1.is_finite()) {
            pieces.push(std::mem::take(&mut current));
            prev = None;
            continue;
        }
        match prev {
            None if inside(p) => current.push(p),
            None => {}
            Some(a) => match clip_segment(a, p, x, y) {
                Some((s, e)) => {
                    if current.is_empty() {
                        current.push(s);
                    }
                    current.push(e);
                    if e != p {
                        pieces.push(std::mem::take(&mut current));
                    }
                }
                None => pieces.push(std::mem::take(&mut current)),
            },
        }
        prev = Some(p);
    }
    pieces.push(current);
    pieces.retain(|p| !p.is_empty());
    pieces
}

/// The part of segment `a`–`b` inside the box, if any.
fn clip_segment(
    a: (f64, f64),
    b: (f64, f64),
    x: (f64, f64),
    y: (f64, f64),
) -> Option<((f64, f64), (f64, f64))> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [
        (-dx, a.0 - x.0),
        (dx, x.1 - a.0),
        (-dy, a.1 - y.0),
        (dy, y.1 - a.1),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let t = q / p;
            if p < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
        }
    }
    if t0 > t1 {
        return None;
    }
    let at = |t: f64| {
        if t == 1.0 {
            b
        } else if t == 0.0 {
            a
        } else {
            (a.0 + t * dx, a.1 + t * dy)
        }
    };
    Some((at(t0), at(t1)))
}

#[cfg(test)]
mod tests {
    use super::clip;

    #[test]
    fn clip_keeps_inside_and_cuts_at_the_box() {
        let unit = (0.0, 1.0);
        let inside = vec![(0.1, 0.1), (0.5, 0.5), (0.9, 0.2)];
        assert_eq!(clip(inside.clone().into_iter(), unit, unit), vec![inside]);
        // Leaves through the right edge, comes back through it.
        let pieces = clip(
            [(0.5, 0.5), (1.5, 0.5), (1.5, 0.2), (0.5, 0.2)].into_iter(),
            unit,
            unit,
        );
        assert_eq!(
            pieces,
            vec![vec![(0.5, 0.5), (1.0, 0.5)], vec![(1.0, 0.2), (0.5, 0.2)]]
        );
        // Entirely outside; and NaN breaks the line.
        assert!(clip([(2.0, 2.0), (3.0, 3.0)].into_iter(), unit, unit).is_empty());
        let pieces = clip(
            [
                (0.1, 0.1),
                (0.2, 0.2),
                (f64::NAN, 0.3),
                (0.4, 0.4),
                (0.5, 0.5),
            ]
            .into_iter(),
            unit,
            unit,
        );
        assert_eq!(pieces.len(), 2);
    }
}
