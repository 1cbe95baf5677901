//! JSON Lines tables: one JSON object per line, columns are its keys.
//!
//! The columns are the keys of the first object; every later object must have the keys that
//! are used. Values may be strings, numbers or booleans (`null`, arrays and objects are errors
//! when the key is used).

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::InputError;
use super::rows::{Part, RowText, Rows};
use super::table::Pick;
use super::text::{Block, TextFile, par_blocks};

/// Parses one line as a JSON object.
pub(crate) fn parse_object(text: &str) -> Result<Map<String, Value>, String> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err("not a JSON object (JSON Lines files hold one object per line)".to_string()),
        Err(e) => Err(format!("not valid JSON: {e}")),
    }
}

/// The column names of a JSON Lines file: the keys of its first object.
pub(crate) fn columns(first: &Map<String, Value>) -> Vec<String> {
    first.keys().cloned().collect()
}

/// Reads every line of `file` as a row into `part`, in parallel blocks.
pub(crate) fn read_rows(
    file: &mut TextFile,
    columns: &[String],
    pick: &Pick,
    file_bytes: u64,
    part: &mut Part,
) -> Result<(), InputError> {
    let path = file.path().to_path_buf();
    let labels = pick.label.map(|(_, l)| l).unwrap_or_default();
    let parse = |block: &Block| -> Result<Rows, InputError> {
        let mut rows = Rows {
            bytes: block.text.len(),
            ..Rows::default()
        };
        for (line, text) in block.lines() {
            let error = |message: String| InputError::Line {
                path: path.clone(),
                line,
                message,
            };
            let object = parse_object(text).map_err(error)?;
            let get = |i: Option<usize>| -> Result<Option<Cow<'_, str>>, String> {
                i.map(|i| field_text(&object, &columns[i], columns))
                    .transpose()
            };
            let id = get(pick.id).map_err(error)?;
            let label = get(pick.label.map(|(i, _)| i)).map_err(error)?;
            let score = get(pick.score).map_err(error)?;
            let mut cats: [Option<Cow<'_, str>>; 3] = Default::default();
            for (slot, i) in cats.iter_mut().zip(pick.cats) {
                *slot = get(i).map_err(error)?;
            }
            let row = RowText {
                id: id.as_deref(),
                label: label.as_deref(),
                score: score.as_deref(),
                cats: [cats[0].as_deref(), cats[1].as_deref(), cats[2].as_deref()],
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

/// The value of `key` as text.
fn field_text<'a>(
    object: &'a Map<String, Value>,
    key: &str,
    columns: &[String],
) -> Result<Cow<'a, str>, String> {
    match object.get(key) {
        Some(Value::String(s)) => Ok(Cow::Borrowed(s)),
        Some(Value::Number(n)) => Ok(Cow::Owned(n.to_string())),
        Some(Value::Bool(b)) => Ok(Cow::Borrowed(if *b { "true" } else { "false" })),
        Some(Value::Null) => Err(format!("`{key}` is null")),
        Some(_) => Err(format!("`{key}` is not a string, number or boolean")),
        None => Err(format!(
            "no `{key}` key (the first line has {})",
            columns.join(", ")
        )),
    }
}
