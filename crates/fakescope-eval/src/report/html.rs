//! The report as one self-contained HTML page: the tables of [`super::text`], plus SVG plots
//! (ROC, DET, score histograms, reliability) for each section that has curves.
//!
//! Self-contained means it opens from a file, offline, in any browser: the CSS is inline, the
//! plots are inline `<svg>` elements, and there is no script, no image or font fetched by URL
//! (the only URL in the page is the SVG namespace name, which nothing fetches). All text that
//! comes from the report is HTML-escaped.

use std::fmt::Write;

use super::Report;
use super::document::{self, Align, Block, Table};
use super::plots;

/// The page's stylesheet. Plot labels use Noto Sans when the viewer has it (the font their
/// layout was measured with), else the usual sans-serif faces; CSS overrides the SVG
/// `font-family` attribute.
const STYLE: &str = "
body { font-family: system-ui, -apple-system, 'Segoe UI', 'Noto Sans', Arial, sans-serif;
  margin: 2em auto; max-width: 1200px; padding: 0 1em; color: #222; line-height: 1.4; }
h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.92em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; vertical-align: top; }
th { background: #f4f4f4; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:nth-child(even) { background: #fafafa; }
.plots { display: flex; flex-wrap: wrap; gap: 1em; }
figure { margin: 0; }
svg { max-width: 100%; height: auto; }
svg text { font-family: 'Noto Sans', 'DejaVu Sans', Arial, Helvetica, sans-serif; }
.error { color: #b00; }
";

/// Renders `report` as a complete HTML document.
pub fn render(report: &Report) -> String {
    let title = format!("fakescope evaluation: {}", report.inputs.join(", "));
    render_blocks(&title, &document::blocks(report))
}

/// Renders blocks as a complete, self-contained HTML document titled `title` (other reports,
/// such as `fakescope bench`'s, are written with the same blocks and look).
pub fn render_blocks(title: &str, blocks: &[Block<'_>]) -> String {
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(out, "<title>{}</title>", escape(title));
    let _ = writeln!(out, "<style>{STYLE}</style>\n</head>\n<body>");
    for block in blocks {
        match block {
            Block::Heading(level, title) => {
                let level = (*level).clamp(1, 6);
                let _ = writeln!(out, "<h{level}>{}</h{level}>", escape(title));
            }
            Block::Line(line) => {
                let _ = writeln!(out, "<p>{}</p>", escape(line));
            }
            Block::Table(table) => table_to(&mut out, table),
            Block::List(items) => {
                out.push_str("<ul>\n");
                for item in items {
                    let _ = writeln!(out, "<li>{}</li>", escape(item));
                }
                out.push_str("</ul>\n");
            }
            Block::Plots(section) => {
                let figures: Vec<Result<String, String>> = plots::section_plots(section)
                    .into_iter()
                    .map(|plot| {
                        plot.svg
                            .map_err(|e| format!("{} plot could not be drawn: {e}", plot.title))
                    })
                    .collect();
                figures_to(&mut out, &figures);
            }
            Block::Figures(figures) => figures_to(&mut out, figures),
        }
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// Figures side by side; one that could not be drawn says why.
fn figures_to(out: &mut String, figures: &[Result<String, String>]) {
    out.push_str("<div class=\"plots\">\n");
    for figure in figures {
        out.push_str("<figure>\n");
        match figure {
            Ok(svg) => out.push_str(svg),
            Err(e) => {
                let _ = writeln!(out, "<p class=\"error\">{}</p>", escape(e));
            }
        }
        out.push_str("</figure>\n");
    }
    out.push_str("</div>\n");
}

/// A `<table>`; numeric columns get class `num` (right-aligned).
fn table_to(out: &mut String, table: &Table) {
    let class = |a: Align| match a {
        Align::Left => "",
        Align::Right => " class=\"num\"",
    };
    out.push_str("<table>\n<thead><tr>");
    for (header, align) in &table.columns {
        let _ = write!(out, "<th{}>{}</th>", class(*align), escape(header));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in &table.rows {
        out.push_str("<tr>");
        for (cell, (_, align)) in row.iter().zip(&table.columns) {
            let _ = write!(out, "<td{}>{}</td>", class(*align), escape(cell));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}

/// `s` as HTML text (also safe inside a quoted attribute). Every HTML page fakescope writes
/// escapes with it.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
