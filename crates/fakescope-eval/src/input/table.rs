//! Delimited text tables: CSV, TSV, and whitespace-separated files (ASVspoof style).
//!
//! The delimiter is sniffed from the first line: tabs if it has more tabs than commas, commas
//! if it has any, else runs of spaces and tabs. In CSV and TSV a field may be quoted
//! (RFC 4180: `"a, ""b"""` is `a, "b"`); a quoted field cannot span lines. Spaces around fields
//! are ignored. Every row must have as many fields as the first line.

use std::borrow::Cow;

use super::InputError;
use super::labels::LabelColumn;
use super::rows::{Part, RowText, Rows};
use super::text::{TextFile, par_blocks};

/// How the fields of a line are separated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Delim {
    /// `,` (CSV), with quoting.
    Comma,
    /// One tab (TSV), with quoting.
    Tab,
    /// Any run of spaces and tabs; no quoting.
    Whitespace,
}

impl Delim {
    /// The delimiter of a file whose first line is `line`.
    pub(crate) fn sniff(line: &str) -> Delim {
        let tabs = line.bytes().filter(|&b| b == b'\t').count();
        let commas = line.bytes().filter(|&b| b == b',').count();
        if tabs > 0 && tabs >= commas {
            Delim::Tab
        } else if commas > 0 {
            Delim::Comma
        } else {
            Delim::Whitespace
        }
    }

    /// A name for messages.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Delim::Comma => "comma-separated",
            Delim::Tab => "tab-separated",
            Delim::Whitespace => "whitespace-separated",
        }
    }

    /// Splits `line` into `fields` (cleared first).
    pub(crate) fn split<'a>(
        self,
        line: &'a str,
        fields: &mut Vec<Cow<'a, str>>,
    ) -> Result<(), String> {
        fields.clear();
        let sep = match self {
            Delim::Whitespace => {
                fields.extend(line.split_ascii_whitespace().map(Cow::Borrowed));
                return Ok(());
            }
            Delim::Comma => ',',
            Delim::Tab => '\t',
        };
        // Fast path, one pass: plain fields until a quote shows up.
        let sep = sep as u8;
        let mut start = 0;
        for (i, &b) in line.as_bytes().iter().enumerate() {
            if b == sep {
                fields.push(Cow::Borrowed(line[start..i].trim_ascii()));
                start = i + 1;
            } else if b == b'"' {
                fields.clear();
                return split_quoted(line, sep, fields);
            }
        }
        fields.push(Cow::Borrowed(line[start..].trim_ascii()));
        Ok(())
    }
}

/// Splits a line that has quotes: RFC 4180 fields, spaces around fields ignored.
fn split_quoted<'a>(line: &'a str, sep: u8, fields: &mut Vec<Cow<'a, str>>) -> Result<(), String> {
    let bytes = line.as_bytes();
    let mut i = 0;
    loop {
        while i < bytes.len() && bytes[i] == b' ' {
            i += 1;
        }
        if i < bytes.len() && bytes[i] == b'"' {
            let open = i;
            let mut value = String::new();
            let mut from = i + 1;
            i += 1;
            loop {
                match bytes[i..].iter().position(|&b| b == b'"') {
                    None => {
                        return Err(format!(
                            "quoted field starting at column {} has no closing quote (a quoted \
                             field cannot span lines)",
                            open + 1
                        ));
                    }
                    Some(q) => {
                        let q = i + q;
                        value.push_str(&line[from..q]);
                        if bytes.get(q + 1) == Some(&b'"') {
                            value.push('"');
                            from = q + 2;
                            i = q + 2;
                        } else {
                            i = q + 1;
                            break;
                        }
                    }
                }
            }
            while i < bytes.len() && bytes[i] == b' ' {
                i += 1;
            }
            fields.push(Cow::Owned(value));
            match bytes.get(i) {
                None => return Ok(()),
                Some(&b) if b == sep => i += 1,
                Some(_) => {
                    return Err(format!(
                        "text after the closing quote of the field starting at column {}",
                        open + 1
                    ));
                }
            }
        } else {
            let end = bytes[i..]
                .iter()
                .position(|&b| b == sep)
                .map_or(bytes.len(), |p| i + p);
            let field = &line[i..end];
            if field.contains('"') {
                return Err(format!(
                    "stray quote in field `{}` (quote the whole field and double inner quotes)",
                    field.trim_ascii()
                ));
            }
            fields.push(Cow::Borrowed(field.trim_ascii()));
            if end == bytes.len() {
                return Ok(());
            }
            i = end + 1;
        }
    }
}

/// The first line of a table split into fields.
pub(crate) fn split_first_line(
    file: &TextFile,
    line_no: u64,
    line: &str,
    delim: Delim,
) -> Result<Vec<String>, InputError> {
    let mut fields = Vec::new();
    delim
        .split(line, &mut fields)
        .map_err(|message| InputError::Line {
            path: file.path().to_path_buf(),
            line: line_no,
            message,
        })?;
    Ok(fields.into_iter().map(Cow::into_owned).collect())
}

/// Which field of a row holds each role.
#[derive(Debug, Clone, Default)]
pub(crate) struct Pick {
    /// Trial id.
    pub id: Option<usize>,
    /// Label, and how to read it.
    pub label: Option<(usize, LabelColumn)>,
    /// Score.
    pub score: Option<usize>,
    /// Video, group, condition.
    pub cats: [Option<usize>; 3],
}

/// Reads the remaining lines of `file` (header already consumed, if any) as rows of `columns`
/// fields into `part`, in parallel blocks.
pub(crate) fn read_rows(
    file: &mut TextFile,
    delim: Delim,
    columns: &[String],
    pick: &Pick,
    file_bytes: u64,
    part: &mut Part,
) -> Result<(), InputError> {
    let path = file.path().to_path_buf();
    let n = columns.len();
    let labels = pick.label.map(|(_, l)| l).unwrap_or_default();
    let parse = |block: &super::text::Block| -> Result<Rows, InputError> {
        let mut rows = Rows::for_block(
            block,
            pick.id.is_some(),
            pick.score.is_some(),
            pick.label.is_some(),
        );
        let mut fields: Vec<Cow<'_, str>> = Vec::with_capacity(n);
        for (line, text) in block.lines() {
            let error = |message: String| InputError::Line {
                path: path.clone(),
                line,
                message,
            };
            delim.split(text, &mut fields).map_err(error)?;
            if fields.len() != n {
                return Err(error(ragged(fields.len(), columns, delim)));
            }
            let get = |i: Option<usize>| i.map(|i| &*fields[i]);
            let row = RowText {
                id: get(pick.id),
                label: get(pick.label.map(|(i, _)| i)),
                score: get(pick.score),
                cats: pick.cats.map(get),
            };
            rows.push_text(line, &row, labels).map_err(error)?;
        }
        Ok(rows)
    };
    par_blocks(file, parse, |rows| {
        part.append(rows, file_bytes);
        Ok(())
    })
}

fn ragged(found: usize, columns: &[String], delim: Delim) -> String {
    format!(
        "{found} field{} where the first line has {} ({}: {})",
        if found == 1 { "" } else { "s" },
        columns.len(),
        delim.describe(),
        columns.join(", ")
    )
}
