//! The report as GitHub-flavoured Markdown: `#` headings, pipe tables, `-` lists.
//!
//! Same content as [`super::text`] (no plots). Every cell and line is escaped, so a group named
//! `a|b` does not split a table cell and a file name like `<img src=x>` shows as text: the
//! characters Markdown gives a meaning to inline (`\ ` `` ` `` `* _ [ ] | ~ #`) get a backslash
//! (except `_` inside a word, which GFM leaves alone), `< > &` become entities, and line breaks
//! become spaces.

use std::fmt::Write;

use super::Report;
use super::document::{self, Align, Block, Table};

/// Renders `report` as GitHub-flavoured Markdown.
pub fn render(report: &Report) -> String {
    render_blocks(&document::blocks(report))
}

/// Renders blocks as GitHub-flavoured Markdown (plots and figures are left out).
pub fn render_blocks(blocks: &[Block<'_>]) -> String {
    let mut out = String::new();
    for block in blocks {
        match block {
            Block::Heading(level, title) => {
                let hashes = "#".repeat(usize::from((*level).clamp(1, 6)));
                let _ = writeln!(out, "{hashes} {}", escape(title));
            }
            Block::Line(line) => {
                let _ = writeln!(out, "{}", escape(line));
            }
            Block::Table(table) => table_to(&mut out, table),
            Block::List(items) => {
                for item in items {
                    let _ = writeln!(out, "- {}", escape(item));
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

/// A pipe table; numeric columns are right-aligned (`---:`).
fn table_to(out: &mut String, table: &Table) {
    let row = |cells: &mut dyn Iterator<Item = String>| {
        let cells: Vec<String> = cells.collect();
        format!("| {} |", cells.join(" | "))
    };
    let _ = writeln!(
        out,
        "{}",
        row(&mut table.columns.iter().map(|(h, _)| escape(h)))
    );
    let _ = writeln!(
        out,
        "{}",
        row(&mut table.columns.iter().map(|(_, a)| match a {
            Align::Left => "---".to_string(),
            Align::Right => "---:".to_string(),
        }))
    );
    for cells in &table.rows {
        let _ = writeln!(out, "{}", row(&mut cells.iter().map(|c| escape(c))));
    }
}

/// `s` as literal inline Markdown text.
fn escape(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    for (i, &c) in chars.iter().enumerate() {
        match c {
            // GFM never reads `_` between two letters or digits as emphasis: keep `roc_auc`.
            '_' if i > 0
                && chars[i - 1].is_alphanumeric()
                && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric()) =>
            {
                out.push(c)
            }
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}
