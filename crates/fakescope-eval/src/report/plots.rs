//! SVG plots of a section, drawn with `plotters`: ROC, DET, score histograms, reliability.
//!
//! - Text: plotters writes `<text>` elements that the viewer draws; it measures text with Noto
//!   Sans compiled into the binary, never a system font ([`font`]).
//! - DET axes are normal deviates ([`probit`]), with NIST-style ticks in percent.
//! - Lines are cut at the plotted box ([`clip`]); points with a NaN or infinite coordinate
//!   break a line; nothing in the data can make drawing panic.
//! - Legends go in the corner where they hide the least data ([`legend`]).
//!
//! The curves are already down-sampled by the evaluator, so a plot costs the same whatever the
//! number of trials (the four plots of a section take about a millisecond).

mod clip;
mod font;
mod legend;
mod probit;

use std::error::Error;
use std::ops::Range;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, DefaultFormatting, KeyPointHint, Ranged};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{Curves, Histogram, ReliabilityBin, Section};
use clip::clip;
use font::FAMILY;
use legend::{Corner, Entry, Mark, footprint};
use probit::probit;

/// Size of one plot, pixels.
const SIZE: (u32, u32) = (440, 400);
/// Main curves (ROC, DET, reliability), and real trials in the histogram.
const CURVE_BLUE: RGBColor = RGBColor(31, 119, 180);
/// Fake trials in the histogram.
const FAKE_RED: RGBColor = RGBColor(214, 39, 40);
/// Reference lines (chance, equal error rates, perfect calibration).
const GREY: RGBColor = RGBColor(140, 140, 140);

/// One plot: what it shows, and its SVG (or why it could not be drawn).
pub(crate) struct Plot {
    /// Short name: "ROC", "DET", "Score histogram", "Reliability".
    pub title: &'static str,
    /// A complete `<svg>` element, or the drawing error.
    pub svg: Result<String, String>,
}

/// The plots of `section`: ROC, DET and histogram whenever it has curves, the reliability diagram
/// when those include one. Empty without curves.
pub(crate) fn section_plots(section: &Section) -> Vec<Plot> {
    let Some(curves) = &section.curves else {
        return Vec::new();
    };
    let auc = metric(section, |n| n == "auc" || n == "roc_auc");
    let eer = metric(section, |n| n.starts_with("eer"));
    let mut plots = vec![
        Plot {
            title: "ROC",
            svg: svg(|root| roc(root, curves, auc)),
        },
        Plot {
            title: "DET",
            svg: svg(|root| det(root, curves, eer)),
        },
        Plot {
            title: "Score histogram",
            svg: svg(|root| histogram(root, &curves.histogram, &section.unit)),
        },
    ];
    if let Some(bins) = &curves.reliability {
        plots.push(Plot {
            title: "Reliability",
            svg: svg(|root| reliability(root, bins)),
        });
    }
    plots
}

/// The value of the first metric whose name passes `pick`, when defined.
fn metric(section: &Section, pick: impl Fn(&str) -> bool) -> Option<f64> {
    section
        .metrics
        .iter()
        .find(|m| pick(&m.name))
        .and_then(|m| m.value)
        .filter(|v| v.is_finite())
}

type Root<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type Drawn = Result<(), Box<dyn Error>>;
/// A chart on an SVG canvas with axes `X` and `Y`.
type Chart<'a, X, Y> = ChartContext<'a, SVGBackend<'a>, Cartesian2d<X, Y>>;

/// Runs `draw` on a fresh white SVG canvas and returns the SVG text.
fn svg(draw: impl FnOnce(&Root<'_>) -> Drawn) -> Result<String, String> {
    font::register();
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        draw(&root).map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(out)
}

/// A chart with a title and room for tick labels and axis descriptions.
fn chart<'a, X: AsRangedCoord, Y: AsRangedCoord>(
    root: &Root<'a>,
    title: &str,
    x: X,
    y: Y,
) -> Result<Chart<'a, X::CoordDescType, Y::CoordDescType>, Box<dyn Error>> {
    Ok(ChartBuilder::on(root)
        .caption(title, (FAMILY, 17))
        .margin(12)
        .x_label_area_size(42)
        .y_label_area_size(52)
        .build_cartesian_2d(x, y)?)
}

/// Text style of axis descriptions.
fn axis_font() -> TextStyle<'static> {
    (FAMILY, 13).into_font().into()
}

/// A thin dashed reference line from `a` to `b`.
fn reference<X, Y, XT, YT>(
    chart: &mut Chart<'_, X, Y>,
    a: (XT, YT),
    b: (XT, YT),
    dash: u32,
) -> Drawn
where
    X: Ranged<ValueType = XT>,
    Y: Ranged<ValueType = YT>,
    XT: Clone + 'static,
    YT: Clone + 'static,
{
    chart.draw_series(DashedLineSeries::new([a, b], dash, 4, GREY.stroke_width(1)))?;
    Ok(())
}

/// ROC curve on linear axes, the chance diagonal, AUC in the legend.
fn roc(root: &Root<'_>, curves: &Curves, auc: Option<f64>) -> Drawn {
    let mut chart = chart(root, "ROC", 0f64..1f64, 0f64..1f64)?;
    chart
        .configure_mesh()
        .x_desc("False positive rate (real called fake)")
        .y_desc("True positive rate (fake detected)")
        .axis_desc_style(axis_font())
        .x_labels(6)
        .y_labels(6)
        .x_label_formatter(&|v| format!("{v:.1}"))
        .y_label_formatter(&|v| format!("{v:.1}"))
        .light_line_style(WHITE)
        .bold_line_style(BLACK.mix(0.08))
        .draw()?;
    reference(&mut chart, (0.0, 0.0), (1.0, 1.0), 6)?;
    let unit = (0.0, 1.0);
    let style = CURVE_BLUE.stroke_width(2);
    let mut covered = footprint(&[(0.0, 0.0), (1.0, 1.0)], |p| p);
    for piece in clip(curves.roc.iter().map(|&[x, y]| (x, y)), unit, unit) {
        covered.extend(footprint(&piece, |p| p));
        chart.draw_series(LineSeries::new(piece, style))?;
    }
    let curve = match auc {
        Some(a) => format!("ROC (AUC = {a:.4})"),
        None => "ROC".into(),
    };
    let entries = [
        Entry {
            text: curve,
            mark: Mark::Line(style),
        },
        Entry {
            text: "chance".into(),
            mark: Mark::Dashed(GREY.stroke_width(1)),
        },
    ];
    use Corner::*;
    let preference = [LowerRight, UpperLeft, LowerLeft, UpperRight];
    legend::draw(
        &chart.plotting_area().strip_coord_spec(),
        &entries,
        &covered,
        preference,
    )?;
    Ok(())
}

/// Error rates marked on the DET axes, as fractions, with their labels in percent.
const DET_TICKS: [(f64, &str); 8] = [
    (0.001, "0.1"),
    (0.005, "0.5"),
    (0.01, "1"),
    (0.02, "2"),
    (0.05, "5"),
    (0.1, "10"),
    (0.2, "20"),
    (0.4, "40"),
];
/// The rates a DET axis spans: 0.05 % to 50 %.
const DET_RANGE: (f64, f64) = (0.0005, 0.5);

/// A DET axis: coordinates are normal deviates (probits of rates) from `lo` to `hi`, drawn
/// linearly, with grid lines and labels at the probits of [`DET_TICKS`].
#[derive(Clone, Copy)]
struct ProbitAxis {
    lo: f64,
    hi: f64,
}

impl Ranged for ProbitAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let t = (value - self.lo) / (self.hi - self.lo);
        let pixel = f64::from(limit.0) + t * f64::from(limit.1 - limit.0);
        pixel.round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            return Vec::new(); // no minor grid lines
        }
        DET_TICKS.iter().map(|&(p, _)| probit(p)).collect()
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

/// DET curve: miss rate against false alarm rate, both on normal-deviate (probit) axes with
/// ticks in percent as in NIST DET plots. Rates of 0 and 1 are clamped (their probit is
/// infinite) and the curve is cut at the window. The dotted diagonal is where
/// miss rate = false alarm rate: the curve crosses it at the EER.
fn det(root: &Root<'_>, curves: &Curves, eer: Option<f64>) -> Drawn {
    let axis = ProbitAxis {
        lo: probit(DET_RANGE.0),
        hi: probit(DET_RANGE.1),
    };
    let (lo, hi) = (axis.lo, axis.hi);
    let tick_label = |v: &f64| {
        DET_TICKS
            .iter()
            .find(|&&(p, _)| (probit(p) - v).abs() < 1e-9)
            .map_or_else(String::new, |&(_, label)| label.to_string())
    };
    let mut chart = chart(root, "DET", axis, axis)?;
    chart
        .configure_mesh()
        .x_desc("False alarm rate (%), real called fake")
        .y_desc("Miss rate (%), fake called real")
        .axis_desc_style(axis_font())
        .x_label_formatter(&tick_label)
        .y_label_formatter(&tick_label)
        .bold_line_style(BLACK.mix(0.08))
        .draw()?;
    reference(&mut chart, (lo, lo), (hi, hi), 2)?;
    // Rates this close to 0 or 1 are off the plot anyway; clamping keeps probit finite.
    let rate = |r: f64| probit(r.clamp(1e-12, 1.0 - 1e-12));
    let points = curves.det.iter().map(|&[fa, miss]| (rate(fa), rate(miss)));
    let scale = |(x, y): (f64, f64)| ((x - lo) / (hi - lo), (y - lo) / (hi - lo));
    let style = CURVE_BLUE.stroke_width(2);
    let mut covered = footprint(&[(lo, lo), (hi, hi)], scale);
    for piece in clip(points, (lo, hi), (lo, hi)) {
        covered.extend(footprint(&piece, scale));
        chart.draw_series(LineSeries::new(piece, style))?;
    }
    let curve = match eer {
        Some(e) => format!("DET (EER = {:.2}%)", 100.0 * e),
        None => "DET".into(),
    };
    let entries = [
        Entry {
            text: curve,
            mark: Mark::Line(style),
        },
        Entry {
            text: "miss = false alarm".into(),
            mark: Mark::Dashed(GREY.stroke_width(1)),
        },
    ];
    use Corner::*;
    let preference = [UpperRight, LowerLeft, UpperLeft, LowerRight];
    legend::draw(
        &chart.plotting_area().strip_coord_spec(),
        &entries,
        &covered,
        preference,
    )?;
    Ok(())
}

/// Score histograms of both classes over the shared bins, overlaid and semi-transparent. Each
/// class is normalised to its own total (bar = fraction of that class), so a small class is
/// as visible as a large one.
fn histogram(root: &Root<'_>, h: &Histogram, unit: &str) -> Drawn {
    let bins = h
        .edges
        .len()
        .saturating_sub(1)
        .min(h.real.len())
        .min(h.fake.len());
    let edges = &h.edges[..h.edges.len().min(bins + 1)];
    let usable = edges.iter().all(|e| e.is_finite()) && edges.windows(2).all(|w| w[0] < w[1]);
    let (x0, x1) = match (edges.first(), edges.last()) {
        (Some(&a), Some(&b)) if usable && b > a => (a, b),
        _ => (0.0, 1.0),
    };
    let share = |counts: &[u64]| -> Vec<f64> {
        let counts = &counts[..bins];
        let total = counts.iter().sum::<u64>().max(1) as f64;
        counts.iter().map(|&c| c as f64 / total).collect()
    };
    let classes = [
        ("real", CURVE_BLUE, share(&h.real)),
        ("fake", FAKE_RED, share(&h.fake)),
    ];
    let top = classes
        .iter()
        .flat_map(|(_, _, s)| s)
        .fold(0.0f64, |m, &v| m.max(v));
    let top = if top > 0.0 { top * 1.15 } else { 1.0 };
    let mut chart = chart(root, "Score histogram", x0..x1, 0.0..top)?;
    chart
        .configure_mesh()
        .x_desc("Score (higher = more likely fake)")
        .y_desc(format!("Fraction of the class's {unit}"))
        .axis_desc_style(axis_font())
        .x_labels(6)
        .y_labels(6)
        .light_line_style(WHITE)
        .bold_line_style(BLACK.mix(0.08))
        .draw()?;
    let mut covered = Vec::new();
    let mut entries = Vec::new();
    if usable {
        for (name, color, shares) in &classes {
            let bars = edges.windows(2).zip(shares);
            chart.draw_series(bars.clone().map(|(e, &v)| {
                Rectangle::new([(e[0], 0.0), (e[1], v)], color.mix(0.35).filled())
            }))?;
            // The outline of the bars as one step line, so overlapping bars stay readable.
            let steps = bars.clone().flat_map(|(e, &v)| [(e[0], v), (e[1], v)]);
            chart.draw_series(LineSeries::new(steps, color.stroke_width(1)))?;
            // Bars cover everything below their tops.
            for (e, &v) in bars {
                let x = ((e[0] + e[1]) / 2.0 - x0) / (x1 - x0);
                covered.extend((0..=8).map(|k| (x, v / top * f64::from(k) / 8.0)));
            }
            entries.push(Entry {
                text: (*name).into(),
                mark: Mark::Patch(color.mix(0.6)),
            });
        }
    }
    use Corner::*;
    let preference = [UpperRight, UpperLeft, LowerRight, LowerLeft];
    legend::draw(
        &chart.plotting_area().strip_coord_spec(),
        &entries,
        &covered,
        preference,
    )?;
    Ok(())
}

/// Reliability diagram: fraction of fake trials against mean predicted fake probability, one
/// point per (non-empty) bin with its trial count written above it; the diagonal is perfect
/// calibration.
fn reliability(root: &Root<'_>, bins: &[ReliabilityBin]) -> Drawn {
    const TOP: f64 = 1.05;
    let mut chart = chart(root, "Reliability", 0f64..1f64, 0f64..TOP)?;
    chart
        .configure_mesh()
        .x_desc("Mean predicted fake probability")
        .y_desc("Fraction of fake trials")
        .axis_desc_style(axis_font())
        .x_labels(6)
        .y_labels(6)
        .x_label_formatter(&|v| format!("{v:.1}"))
        .y_label_formatter(&|v| format!("{v:.1}"))
        .light_line_style(WHITE)
        .bold_line_style(BLACK.mix(0.08))
        .draw()?;
    reference(&mut chart, (0.0, 0.0), (1.0, 1.0), 6)?;
    let points: Vec<(f64, f64, u64)> = bins
        .iter()
        .filter(|b| b.count > 0)
        .map(|b| (b.mean_predicted, b.fraction_fake, b.count))
        .filter(|&(x, y, _)| (0.0..=1.0).contains(&x) && (0.0..=1.0).contains(&y))
        .collect();
    let style = CURVE_BLUE.stroke_width(2);
    let line: Vec<(f64, f64)> = points.iter().map(|&(x, y, _)| (x, y)).collect();
    chart.draw_series(LineSeries::new(line.iter().copied(), style))?;
    chart.draw_series(line.iter().map(|&p| Circle::new(p, 4, CURVE_BLUE.filled())))?;
    let count_style = (FAMILY, 11)
        .into_font()
        .color(&BLACK.mix(0.75))
        .pos(Pos::new(HPos::Center, VPos::Bottom));
    chart.draw_series(points.iter().map(|&(x, y, n)| {
        EmptyElement::at((x, y)) + Text::new(n.to_string(), (0, -7), count_style.clone())
    }))?;
    let scale = |(x, y): (f64, f64)| (x, y / TOP);
    let mut covered = footprint(&[(0.0, 0.0), (1.0, 1.0)], scale);
    covered.extend(footprint(&line, scale));
    let entries = [
        Entry {
            text: "bins (label = trials)".into(),
            mark: Mark::Line(style),
        },
        Entry {
            text: "perfectly calibrated".into(),
            mark: Mark::Dashed(GREY.stroke_width(1)),
        },
    ];
    use Corner::*;
    let preference = [UpperLeft, LowerRight, UpperRight, LowerLeft];
    legend::draw(
        &chart.plotting_area().strip_coord_spec(),
        &entries,
        &covered,
        preference,
    )?;
    Ok(())
}

/// One named line of a [`line_chart`]: `(x, y)` points in order.
pub struct Series {
    /// Legend text.
    pub name: String,
    /// The points; a non-finite coordinate breaks the line.
    pub points: Vec<(f64, f64)>,
}

/// Colours of the lines of a [`line_chart`], in order.
const LINE_COLOURS: [RGBColor; 8] = [
    CURVE_BLUE,
    FAKE_RED,
    RGBColor(44, 160, 44),
    GREY,
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
    RGBColor(23, 190, 207),
    RGBColor(140, 86, 75),
];

/// A line chart (learning curves: loss or AUC against steps) as a complete `<svg>` element, on
/// the same canvas, font and legend rules as the evaluation plots.
pub fn line_chart(
    title: &str,
    x_desc: &str,
    y_desc: &str,
    series: &[Series],
) -> Result<String, String> {
    let finite = |v: f64| v.is_finite();
    let xs = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .filter(|v| finite(*v));
    let ys = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .filter(|v| finite(*v));
    let span = |it: &mut dyn Iterator<Item = f64>| {
        let (lo, hi) = it.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
        if !lo.is_finite() {
            (0.0, 1.0)
        } else if hi - lo < 1e-12 {
            (lo - 0.5, hi + 0.5)
        } else {
            (lo, hi)
        }
    };
    let (x0, x1) = span(&mut xs.into_iter());
    let (y0, y1) = span(&mut ys.into_iter());
    let pad = (y1 - y0) * 0.05;
    svg(|root| {
        let mut chart = chart(root, title, x0..x1, (y0 - pad)..(y1 + pad))?;
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc(y_desc)
            .axis_desc_style(axis_font())
            .x_labels(6)
            .y_labels(6)
            .light_line_style(WHITE)
            .bold_line_style(BLACK.mix(0.08))
            .draw()?;
        let mut entries = Vec::new();
        let mut covered = Vec::new();
        let to_unit =
            |(x, y): (f64, f64)| ((x - x0) / (x1 - x0), (y - y0 + pad) / (y1 - y0 + 2.0 * pad));
        for (i, s) in series.iter().enumerate() {
            let style = LINE_COLOURS[i % LINE_COLOURS.len()].stroke_width(2);
            for piece in s.points.split(|p| !finite(p.0) || !finite(p.1)) {
                if piece.is_empty() {
                    continue;
                }
                covered.extend(footprint(piece, to_unit));
                chart.draw_series(LineSeries::new(piece.iter().copied(), style))?;
            }
            entries.push(Entry {
                text: s.name.clone(),
                mark: Mark::Line(style),
            });
        }
        use Corner::*;
        legend::draw(
            &chart.plotting_area().strip_coord_spec(),
            &entries,
            &covered,
            [UpperRight, LowerRight, UpperLeft, LowerLeft],
        )?;
        Ok(())
    })
}
