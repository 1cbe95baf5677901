//! What a report says, once, as a list of blocks: headings, lines, tables, lists and plots.
//!
//! The terminal, Markdown and HTML renderers all walk the same [`Block`]s, so they cannot
//! disagree about which numbers are shown or how they are rounded; each one only decides how a
//! heading, a table or a list looks in its format (and how to escape text for it). Strings here
//! are plain text: names from the input (files, conditions, groups) are not escaped yet.

use super::{Breakdown, Metric, Report, Section};
use crate::input::{HigherMeans, ScoreKind};

/// One piece of a report, in reading order.
pub enum Block<'a> {
    /// A heading; level 1 is the title, 2 a part (a section, per condition, ...), 3 within one.
    Heading(u8, String),
    /// One paragraph of text.
    Line(String),
    /// A table.
    Table(Table),
    /// A bulleted list.
    List(Vec<String>),
    /// The plots of a section (drawn by the HTML renderer only; text and Markdown skip them).
    Plots(&'a Section),
    /// Figures drawn already: complete `<svg>` elements, or why one could not be drawn
    /// (HTML only, like [`Block::Plots`]).
    Figures(Vec<Result<String, String>>),
}

/// A table of plain-text cells.
pub struct Table {
    /// Column headers, with how the column is aligned.
    pub columns: Vec<(String, Align)>,
    /// One `Vec` per row, as many cells as columns.
    pub rows: Vec<Vec<String>>,
}

/// How a column is aligned: text to the left, numbers to the right.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Text.
    Left,
    /// Numbers.
    Right,
}

/// Shown for a metric with no value (undefined, or not computed for this slice).
pub const MISSING: &str = "n/a";

/// The whole report as blocks.
pub(crate) fn blocks(report: &Report) -> Vec<Block<'_>> {
    let mut out = vec![
        Block::Heading(1, "fakescope evaluation report".into()),
        Block::List(settings(report)),
    ];
    section(&mut out, "Overall", &report.overall);
    if let Some(video) = &report.video {
        section(&mut out, "Per video", video);
    }
    if let Some(gaps) = &report.calibration_gaps {
        out.push(Block::Heading(2, "Calibration".into()));
        out.push(Block::Table(Table {
            columns: vec![
                ("gap".into(), Align::Left),
                ("value".into(), Align::Right),
                ("meaning".into(), Align::Left),
            ],
            rows: vec![
                vec![
                    "actDCF - minDCF".into(),
                    value(gaps.act_minus_min_dcf),
                    "cost lost to the threshold the LLRs imply; 0 = calibrated".into(),
                ],
                vec![
                    "Cllr - minCllr".into(),
                    value(gaps.cllr_minus_min_cllr),
                    "bits lost to miscalibration; 0 = calibrated".into(),
                ],
            ],
        }));
    }
    if !report.per_condition.is_empty() {
        out.push(Block::Heading(2, "Per condition".into()));
        breakdowns(&mut out, "condition", &report.per_condition);
    }
    if let Some(fairness) = &report.fairness {
        out.push(Block::Heading(2, "Per group".into()));
        breakdowns(&mut out, "group", &fairness.groups);
        if !fairness.gaps.is_empty() {
            out.push(Block::Heading(3, "Largest gaps between groups".into()));
            out.push(Block::Table(Table {
                columns: vec![
                    ("metric".into(), Align::Left),
                    ("gap (max - min)".into(), Align::Right),
                    ("lowest".into(), Align::Left),
                    ("highest".into(), Align::Left),
                ],
                rows: fairness
                    .gaps
                    .iter()
                    .map(|g| {
                        vec![
                            g.metric.clone(),
                            value(g.gap),
                            g.lowest.clone(),
                            g.highest.clone(),
                        ]
                    })
                    .collect(),
            }));
        }
    }
    if !report.warnings.is_empty() {
        out.push(Block::Heading(2, "Warnings".into()));
        out.push(Block::List(report.warnings.clone()));
    }
    out
}

/// How the numbers were obtained: inputs, direction, threshold, calibration, bootstrap.
fn settings(report: &Report) -> Vec<String> {
    let direction = match (report.direction.higher_means, report.score_kind) {
        (HigherMeans::Fake, _) => "fake; scores used as read",
        (HigherMeans::Real, ScoreKind::Probability) => "real; probabilities p turned into 1 - p",
        (HigherMeans::Real, _) => "real; scores negated",
    };
    let kind = match report.score_kind {
        ScoreKind::Probability => "probability that the trial is fake",
        ScoreKind::Llr => "log-likelihood ratio",
        ScoreKind::Score => "score (ranking metrics only)",
    };
    let mut lines = vec![
        format!("Inputs: {}", report.inputs.join(", ")),
        format!(
            "Direction: a higher score in the input meant {direction} ({}); \
             evaluated as higher = more likely fake",
            report.direction.reason
        ),
        format!(
            "Threshold: {} (in the input's scale, like every threshold below), for accuracy, FPR and FNR",
            value(report.threshold)
        ),
        format!("Scores: {kind}"),
        format!(
            "Calibration: {}",
            report.calibration.as_deref().unwrap_or("none")
        ),
    ];
    lines.push(match &report.bootstrap {
        Some(b) => format!(
            "95% CI: bootstrap, {} resamples of {}, seed {}",
            b.resamples, b.unit, b.seed
        ),
        None => "95% CI: not computed".into(),
    });
    lines.push(format!("fakescope {}", report.fakescope_version));
    lines
}

/// A section: counts, the metric table, notes, plots.
fn section<'a>(out: &mut Vec<Block<'a>>, title: &str, s: &'a Section) {
    out.push(Block::Heading(2, format!("{title} ({})", s.unit)));
    out.push(Block::Line(format!(
        "{} {}: {} fake, {} real",
        s.counts.total, s.unit, s.counts.fake, s.counts.real
    )));
    out.push(Block::Table(metric_table(&s.metrics)));
    if s.curves.is_some() {
        out.push(Block::Plots(s));
    }
}

/// metric | value | 95% CI | threshold | definition | note; the CI, threshold and note
/// columns only when some metric has one.
fn metric_table(metrics: &[Metric]) -> Table {
    let with_ci = metrics.iter().any(|m| m.ci95.is_some());
    let with_threshold = metrics.iter().any(|m| m.threshold.is_some());
    let with_note = metrics.iter().any(|m| m.note.is_some());
    let mut columns = vec![
        ("metric".to_string(), Align::Left),
        ("value".to_string(), Align::Right),
    ];
    if with_ci {
        columns.push(("95% CI".into(), Align::Right));
    }
    if with_threshold {
        columns.push(("at threshold".into(), Align::Right));
    }
    columns.push(("definition".into(), Align::Left));
    if with_note {
        columns.push(("note".into(), Align::Left));
    }
    let rows = metrics
        .iter()
        .map(|m| {
            let mut row = vec![m.name.clone(), m.value.map_or(MISSING.into(), value)];
            if with_ci {
                row.push(m.ci95.map_or(String::new(), |ci| interval(ci, 6)));
            }
            if with_threshold {
                row.push(m.threshold.map_or(String::new(), value));
            }
            row.push(m.definition.clone());
            if with_note {
                row.push(m.note.clone().unwrap_or_default());
            }
            row
        })
        .collect();
    Table { columns, rows }
}

/// One row per slice: name, counts, then every metric any slice has (in order of first
/// appearance); metric notes follow as a list.
fn breakdowns(out: &mut Vec<Block<'_>>, what: &str, slices: &[Breakdown]) {
    let mut names: Vec<&str> = Vec::new();
    for m in slices.iter().flat_map(|b| &b.metrics) {
        if !names.contains(&m.name.as_str()) {
            names.push(&m.name);
        }
    }
    let mut columns = vec![
        (what.to_string(), Align::Left),
        ("trials".into(), Align::Right),
        ("fake".into(), Align::Right),
        ("real".into(), Align::Right),
    ];
    columns.extend(names.iter().map(|n| (n.to_string(), Align::Right)));
    let mut notes = Vec::new();
    let rows = slices
        .iter()
        .map(|b| {
            let mut row = vec![
                b.name.clone(),
                b.counts.total.to_string(),
                b.counts.fake.to_string(),
                b.counts.real.to_string(),
            ];
            for name in &names {
                let metric = b.metrics.iter().find(|m| m.name == *name);
                row.push(metric.map_or(MISSING.into(), short_cell));
                if let Some(note) = metric.and_then(|m| m.note.as_deref()) {
                    notes.push(format!("{what} {}, {name}: {note}", b.name));
                }
            }
            row
        })
        .collect();
    out.push(Block::Table(Table { columns, rows }));
    if !notes.is_empty() {
        out.push(Block::List(notes));
    }
}

/// A metric in a breakdown table: 4 decimals, and its interval when there is one.
fn short_cell(m: &Metric) -> String {
    match (m.value, m.ci95) {
        (None, _) => MISSING.into(),
        (Some(v), None) => fixed(v, 4),
        (Some(v), Some(ci)) => format!("{} {}", fixed(v, 4), interval(ci, 4)),
    }
}

/// A metric value or threshold: 6 decimals.
pub fn value(v: f64) -> String {
    fixed(v, 6)
}

/// `v` with `decimals` decimals; infinities and NaN spelled out.
fn fixed(v: f64, decimals: usize) -> String {
    if v.is_finite() {
        format!("{v:.decimals$}")
    } else {
        format!("{v}")
    }
}

/// `[lo, hi]`.
fn interval([lo, hi]: [f64; 2], decimals: usize) -> String {
    format!("[{}, {}]", fixed(lo, decimals), fixed(hi, decimals))
}
