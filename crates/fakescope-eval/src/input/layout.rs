//! Deciding what a file is from its first non-blank line: `fakescope scan` output, a JSON Lines
//! table, a delimited table with a header, or a headerless ASVspoof layout.

use std::path::Path;

use super::InputError;
use super::asvspoof::{Side, headerless_layout, looks_like_data};
use super::table::{Delim, split_first_line};
use super::text::TextFile;
use super::{jsonl, scan};

/// A file opened, its first line read, and its layout decided.
pub(crate) enum Layout {
    /// `fakescope scan` output.
    Scan,
    /// JSON Lines with these keys.
    Json(Vec<String>),
    /// Delimited text; `what` describes a headerless layout.
    Text {
        /// How fields are separated.
        delim: Delim,
        /// Column names: the header, or the names of the headerless layout.
        columns: Vec<String>,
        /// Description of the headerless layout; `None` when the file has a header.
        what: Option<&'static str>,
    },
}

/// Opens `path` and decides its layout from its first non-blank line, which is consumed when
/// it is a header. Also returns the file's size in bytes.
pub(crate) fn open(path: &Path, side: Side) -> Result<(TextFile, u64, Layout), InputError> {
    let mut file = TextFile::open(path)?;
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let Some((line, first)) = file.peek_first_line()? else {
        return Err(InputError::File {
            path: path.to_path_buf(),
            message: "empty file".to_string(),
        });
    };
    let at_line = |message: String| InputError::Line {
        path: path.to_path_buf(),
        line,
        message,
    };
    if first.trim_ascii_start().starts_with('[') {
        return Err(at_line(
            "a JSON array; write JSON Lines instead (one object per line)".to_string(),
        ));
    }
    if first.trim_ascii_start().starts_with('{') {
        let object = jsonl::parse_object(&first).map_err(at_line)?;
        let layout = if scan::is_scan_output(&object) {
            Layout::Scan
        } else {
            Layout::Json(jsonl::columns(&object))
        };
        return Ok((file, bytes, layout));
    }
    let delim = Delim::sniff(&first);
    let fields = split_first_line(&file, line, &first, delim)?;
    if looks_like_data(&fields) {
        let Some(layout) = headerless_layout(&fields, side) else {
            let example = match side {
                Side::Scores => "id,label,score",
                Side::Labels => "path,label",
            };
            return Err(at_line(format!(
                "the first line looks like data, not a header naming the columns; add a header \
                 line such as `{example}` (headerless files are read only in the ASVspoof layouts)"
            )));
        };
        let layout = Layout::Text {
            delim,
            columns: layout.columns,
            what: Some(layout.what),
        };
        return Ok((file, bytes, layout));
    }
    for (i, name) in fields.iter().enumerate() {
        if !name.is_empty() && fields[..i].contains(name) {
            return Err(at_line(format!(
                "column `{name}` appears twice in the header"
            )));
        }
    }
    file.consume_first_line()?;
    Ok((
        file,
        bytes,
        Layout::Text {
            delim,
            columns: fields,
            what: None,
        },
    ))
}
