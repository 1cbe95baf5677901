//! Plot legends: a box of marks and texts, put in the corner of the plotting area where it hides
//! the least of the data.
//!
//! plotters has legends of its own, but sizes their box with its text measure, which is too
//! narrow for browser-drawn text (see [`super::font`]); this one is sized with
//! [`super::font::text_width`].

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::font::{self, FAMILY};

/// Text size of legend entries (plotters units).
const TEXT_SIZE: f64 = 13.0;
/// Padding inside the box, and distance of the box from the corner, pixels.
const PAD: i32 = 7;
/// Length of a line mark, and space between mark and text, pixels.
const MARK: i32 = 20;
const GAP: i32 = 6;
/// Height of one entry, pixels.
const LINE: i32 = 17;

/// How an entry's series is drawn in the legend.
pub(super) enum Mark {
    /// A solid line.
    Line(ShapeStyle),
    /// A dashed line.
    Dashed(ShapeStyle),
    /// A filled square (histogram bars).
    Patch(RGBAColor),
}

/// One legend line.
pub(super) struct Entry {
    /// What the series is.
    pub text: String,
    /// Its mark.
    pub mark: Mark,
}

/// A corner of the plotting area.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Corner {
    /// Top left.
    UpperLeft,
    /// Top right.
    UpperRight,
    /// Bottom left.
    LowerLeft,
    /// Bottom right.
    LowerRight,
}

/// Draws `entries` in the corner of `area` (a chart's plotting area) that covers the fewest
/// points of `footprint` (data positions as fractions of the area, x to the right, y up); ties
/// go to the earliest corner of `preference`.
pub(super) fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[Entry],
    footprint: &[(f64, f64)],
    preference: [Corner; 4],
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    if entries.is_empty() {
        return Ok(());
    }
    let text_w = entries
        .iter()
        .map(|e| font::text_width(&e.text, TEXT_SIZE))
        .fold(0.0f64, f64::max)
        .ceil() as i32;
    let (w, h) = (
        PAD + MARK + GAP + text_w + PAD,
        PAD + LINE * entries.len() as i32 + PAD / 2,
    );
    let (area_w, area_h) = area.dim_in_pixel();
    let (area_w, area_h) = (area_w as i32, area_h as i32);
    let corner = quietest(
        footprint,
        f64::from(w + PAD) / f64::from(area_w.max(1)),
        f64::from(h + PAD) / f64::from(area_h.max(1)),
        preference,
    );
    let x = match corner {
        Corner::UpperLeft | Corner::LowerLeft => PAD,
        Corner::UpperRight | Corner::LowerRight => area_w - PAD - w,
    };
    let y = match corner {
        Corner::UpperLeft | Corner::UpperRight => PAD,
        Corner::LowerLeft | Corner::LowerRight => area_h - PAD - h,
    };
    area.draw(&Rectangle::new(
        [(x, y), (x + w, y + h)],
        WHITE.mix(0.85).filled(),
    ))?;
    area.draw(&Rectangle::new([(x, y), (x + w, y + h)], BLACK.mix(0.35)))?;
    let text_style = (FAMILY, TEXT_SIZE)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Left, VPos::Center));
    for (i, entry) in entries.iter().enumerate() {
        let cy = y + PAD + LINE * i as i32 + LINE / 2 - 1;
        let (x0, x1) = (x + PAD, x + PAD + MARK);
        match entry.mark {
            Mark::Line(style) => area.draw(&PathElement::new(vec![(x0, cy), (x1, cy)], style))?,
            Mark::Dashed(style) => area.draw(&DashedPathElement::new(
                vec![(x0, cy), (x1, cy)],
                4,
                3,
                style,
            ))?,
            Mark::Patch(color) => area.draw(&Rectangle::new(
                [(x0 + 3, cy - 6), (x1 - 3, cy + 6)],
                color.filled(),
            ))?,
        }
        area.draw(&Text::new(
            entry.text.as_str(),
            (x1 + GAP, cy),
            text_style.clone(),
        ))?;
    }
    Ok(())
}

/// The corner whose `w` × `h` box (fractions of the area) holds the fewest footprint points.
fn quietest(footprint: &[(f64, f64)], w: f64, h: f64, preference: [Corner; 4]) -> Corner {
    let covered = |corner: &Corner| {
        let (left, upper) = match corner {
            Corner::UpperLeft => (true, true),
            Corner::UpperRight => (false, true),
            Corner::LowerLeft => (true, false),
            Corner::LowerRight => (false, false),
        };
        footprint
            .iter()
            .filter(|&&(x, y)| {
                let in_x = if left { x <= w } else { x >= 1.0 - w };
                let in_y = if upper { y >= 1.0 - h } else { y <= h };
                in_x && in_y
            })
            .count()
    };
    // min_by_key keeps the first of equal minima, i.e. the preferred corner.
    preference
        .into_iter()
        .min_by_key(covered)
        .unwrap_or(Corner::UpperRight)
}

/// `line` with points added along each segment (so a long straight segment counts as covering
/// the space it crosses), mapped to fractions of the plotting area by `scale`.
pub(super) fn footprint(
    line: &[(f64, f64)],
    scale: impl Fn((f64, f64)) -> (f64, f64),
) -> Vec<(f64, f64)> {
    const STEPS: u32 = 8;
    let mut out: Vec<(f64, f64)> = line
        .windows(2)
        .flat_map(|w| {
            let (a, b) = (w[0], w[1]);
            (0..STEPS).map(move |i| {
                let t = f64::from(i) / f64::from(STEPS);
                (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1))
            })
        })
        .map(&scale)
        .collect();
    out.extend(line.last().copied().map(scale));
    out
}

#[cfg(test)]
mod tests {
    use super::{Corner, footprint, quietest};

    #[test]
    fn picks_the_emptiest_corner_in_preference_order() {
        use Corner::*;
        // A ROC-like curve hugging the upper left: lower right stays free.
        let roc = footprint(&[(0.0, 0.0), (0.05, 0.8), (0.3, 0.95), (1.0, 1.0)], |p| p);
        let pref = [UpperLeft, UpperRight, LowerLeft, LowerRight];
        assert_eq!(quietest(&roc, 0.4, 0.2, pref), LowerRight);
        // Nothing drawn: the first preference.
        assert_eq!(quietest(&[], 0.4, 0.2, pref), UpperLeft);
        // The diagonal crosses the lower-left and upper-right corners only.
        let diagonal = footprint(&[(0.0, 0.0), (1.0, 1.0)], |p| p);
        assert_eq!(
            quietest(
                &diagonal,
                0.4,
                0.2,
                [UpperRight, LowerLeft, LowerRight, UpperLeft]
            ),
            LowerRight
        );
    }
}
