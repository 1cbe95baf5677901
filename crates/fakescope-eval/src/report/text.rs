//! The report as plain text for a terminal: headings underlined, tables with aligned columns.
//!
//! ```text
//! Overall (files)
//! ---------------
//! 1000 files: 600 fake, 400 real
//!
//! metric         value  95% CI                definition
//! -----------  --------  --------------------  ------------------------------
//! auc          0.912345  [0.901234, 0.923456]  sklearn.metrics.roc_auc_score
//! ```
//!
//! Columns are padded by character count (no colour, no box drawing), so a name in a script
//! whose characters are two cells wide shifts its row. Control characters from the input (an
//! escape sequence in a file name) are shown escaped, never sent to the terminal.

use std::fmt::Write;

use super::Report;
use super::document::{self, Align, Block, Table};

/// Spaces between two columns.
const GAP: &str = "  ";

/// Renders `report` as plain text.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for block in document::blocks(report) {
        match block {
            Block::Heading(level, title) => {
                let title = clean(&title);
                let rule = if level == 1 { '=' } else { '-' };
                let _ = writeln!(out, "{title}");
                if level <= 2 {
                    let _ = writeln!(out, "{}", rule.to_string().repeat(width(&title)));
                }
            }
            Block::Line(line) => {
                let _ = writeln!(out, "{}", clean(&line));
            }
            Block::Table(table) => table_to(&mut out, &table),
            Block::List(items) => {
                for item in items {
                    let _ = writeln!(out, "- {}", clean(&item));
                }
            }
            Block::Plots(_) | Block::Figures(_) => continue,
        }
        out.push('\n');
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

/// Writes `table` with every column as wide as its widest cell.
fn table_to(out: &mut String, table: &Table) {
    let header: Vec<String> = table.columns.iter().map(|(h, _)| clean(h)).collect();
    let rows: Vec<Vec<String>> = table
        .rows
        .iter()
        .map(|r| r.iter().map(|c| clean(c)).collect())
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .chain([&header[i]])
                .map(|c| width(c))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |out: &mut String, cells: &[String]| {
        let mut text = String::new();
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            if i > 0 {
                text.push_str(GAP);
            }
            let pad = " ".repeat(w - width(cell));
            match table.columns[i].1 {
                Align::Left => {
                    text.push_str(cell);
                    text.push_str(&pad);
                }
                Align::Right => {
                    text.push_str(&pad);
                    text.push_str(cell);
                }
            }
        }
        let _ = writeln!(out, "{}", text.trim_end());
    };
    line(out, &header);
    let rules: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    line(out, &rules);
    for row in &rows {
        line(out, row);
    }
}

/// Columns a cell takes, counting one per character.
fn width(s: &str) -> usize {
    s.chars().count()
}

/// `s` with control characters (newlines, tabs, escape sequences) written as `\u{..}` escapes.
fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}
