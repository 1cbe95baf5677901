//! Manifests: CSV with a header, and JSON Lines.
//!
//! Both name the same fields:
//!
//! | field | required | meaning |
//! |---|---|---|
//! | `path` | yes | the file, relative to the manifest's folder unless absolute |
//! | `label` | yes | see [`Label::parse`]: `0`/`1`, `real`/`fake`, `bonafide`/`spoof`, `bona fide`, `genuine`, in any case |
//! | `split` | no | see [`Split::parse`]: `train`, `val`/`validation`/`dev`, `test`, `heldout` |
//! | `source` | no | the corpus |
//! | `generator` | no | the generator or manipulation |
//! | `group` | no | the unit that must not cross splits |
//! | `video` | no | the video a frame comes from, kept in [`Sample::video`] |
//! | `identity`, `speaker` | no | taken as the group when there is no `group` (`identity` first) |
//!
//! Other fields (`width`, `height`, `license`, …) are ignored. Empty values are absent values.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::{Error, Location, Result};
use crate::{Dataset, Label, OpenOptions, Sample, Split};

/// The columns a manifest may name; any other is ignored.
const COLUMNS: [&str; 9] = [
    "path",
    "label",
    "split",
    "source",
    "generator",
    "group",
    "video",
    "identity",
    "speaker",
];

/// The fields of one record, as text.
#[derive(Default)]
struct Fields {
    values: [Option<String>; COLUMNS.len()],
}

impl Fields {
    fn set(&mut self, column: usize, value: &str) {
        let value = value.trim();
        self.values[column] = (!value.is_empty()).then(|| value.to_owned());
    }

    fn take(&mut self, name: &str) -> Option<String> {
        let i = COLUMNS.iter().position(|c| *c == name)?;
        self.values[i].take()
    }
}

/// Turns the fields of the record at `at` into a sample; relative paths are joined to `base`.
fn to_sample(mut f: Fields, file: &Path, base: &Path, at: Location) -> Result<Sample> {
    let bad = |message: String| Error::record(file, at.clone(), message);
    let path = f
        .take("path")
        .ok_or_else(|| bad("`path` is empty".into()))?;
    let label_text = f
        .take("label")
        .ok_or_else(|| bad("`label` is empty".into()))?;
    let label = Label::parse(&label_text).ok_or_else(|| {
        bad(format!(
            "label {label_text:?} is not one of 0, 1, real, fake, bonafide, bona fide, genuine, spoof"
        ))
    })?;
    let split = match f.take("split") {
        Some(text) => Some(text.parse::<Split>().map_err(bad)?),
        None => None,
    };
    let group = f
        .take("group")
        .or_else(|| f.take("identity"))
        .or_else(|| f.take("speaker"));
    Ok(Sample {
        path: resolve(base, &path),
        label,
        split,
        source: f.take("source"),
        generator: f.take("generator"),
        group,
        video: f.take("video"),
    })
}

/// `path` as written in a manifest in folder `base`.
pub(crate) fn resolve(base: &Path, path: &str) -> PathBuf {
    let path = Path::new(path);
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    }
}

/// The folder a manifest's relative paths start from.
pub(crate) fn base_of(manifest: &Path) -> &Path {
    manifest.parent().unwrap_or(Path::new(""))
}

/// A manifest's stem, or its folder's name when the stem is the uninformative `manifest`.
fn manifest_name(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if stem.eq_ignore_ascii_case("manifest") {
        let folder = path.canonicalize().ok().and_then(|p| {
            p.parent()?
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
        });
        if let Some(folder) = folder {
            return folder;
        }
    }
    stem
}

fn finish(path: &Path, samples: Vec<Sample>, options: &OpenOptions) -> Result<Dataset> {
    if samples.is_empty() {
        return Err(Error::invalid(
            path,
            "no samples: the manifest lists no file",
        ));
    }
    let ds = Dataset {
        name: manifest_name(path),
        samples,
        origin: path.to_path_buf(),
    };
    if options.check_files {
        ds.check_files()?;
    }
    Ok(ds)
}

fn csv_location(pos: &csv::Position) -> Location {
    Location::Row {
        // The header is record 0.
        row: pos.record(),
        line: pos.line(),
    }
}

fn csv_error(path: &Path, err: csv::Error) -> Error {
    let at = err.position().map(csv_location);
    match err.into_kind() {
        csv::ErrorKind::Io(e) => Error::io(path)(e),
        kind => {
            let message = match &kind {
                csv::ErrorKind::Utf8 { err, .. } => format!("not UTF-8: {err}"),
                csv::ErrorKind::UnequalLengths {
                    expected_len, len, ..
                } => format!("{len} fields where the header has {expected_len}"),
                other => format!("{other:?}"),
            };
            match at {
                Some(at) => Error::record(path, at, message),
                None => Error::invalid(path, message),
            }
        }
    }
}

/// Reads a CSV manifest: a header naming at least `path` and `label` (any case, any order),
/// then one file per row; see the [module](self) for the fields. Cells are trimmed; every row
/// must have as many fields as the header. Errors name the file, and the row and line.
pub fn read_csv(path: impl AsRef<Path>, options: &OpenOptions) -> Result<Dataset> {
    let path = path.as_ref();
    let file = File::open(path).map_err(Error::io(path))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(BufReader::new(file));
    let header = reader.headers().map_err(|e| csv_error(path, e))?.clone();
    if header.iter().all(|h| h.trim().is_empty()) {
        return Err(Error::invalid(
            path,
            "empty: no header (expected at least path,label)",
        ));
    }
    // Which known column each field is.
    let mut columns: Vec<Option<usize>> = Vec::with_capacity(header.len());
    for name in header.iter() {
        let name = name.trim().to_ascii_lowercase();
        let known = COLUMNS.iter().position(|c| *c == name);
        if let Some(k) = known
            && columns.contains(&Some(k))
        {
            return Err(Error::invalid(
                path,
                format!("column `{name}` appears twice in the header"),
            ));
        }
        columns.push(known);
    }
    for required in ["path", "label"] {
        let k = COLUMNS.iter().position(|c| *c == required);
        if !columns.contains(&k) {
            return Err(Error::invalid(
                path,
                format!(
                    "no `{required}` column (header: {}); path and label are required",
                    header.iter().collect::<Vec<_>>().join(",")
                ),
            ));
        }
    }
    let base = base_of(path);
    let mut samples = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(csv_error(path, e)),
        }
        let mut fields = Fields::default();
        for (value, column) in record.iter().zip(&columns) {
            if let Some(c) = column {
                fields.set(*c, value);
            }
        }
        let at = record
            .position()
            .map_or(Location::Row { row: 0, line: 0 }, csv_location);
        samples.push(to_sample(fields, path, base, at)?);
    }
    finish(path, samples, options)
}

/// Reads a JSON Lines manifest: one object per line with the fields of the
/// [module](self); `label` may be the number 0 or 1 or a string, the other fields strings or
/// numbers (`null` is absent). Blank lines are skipped. Errors name the file and the line.
pub fn read_jsonl(path: impl AsRef<Path>, options: &OpenOptions) -> Result<Dataset> {
    let path = path.as_ref();
    let file = File::open(path).map_err(Error::io(path))?;
    let mut reader = BufReader::new(file);
    let base = base_of(path);
    let mut samples = Vec::new();
    let mut bytes = Vec::new();
    let mut number = 0u64;
    loop {
        bytes.clear();
        let n = reader
            .read_until(b'\n', &mut bytes)
            .map_err(Error::io(path))?;
        if n == 0 {
            break;
        }
        number += 1;
        let at = Location::Line(number);
        let mut line = std::str::from_utf8(&bytes)
            .map_err(|e| Error::record(path, at.clone(), format!("not UTF-8: {e}")))?;
        if number == 1 {
            line = line.strip_prefix('\u{feff}').unwrap_or(line);
        }
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let value: Value = serde_json::from_str(line).map_err(|e| {
            let text = e.to_string();
            let suffix = format!(" at line {} column {}", e.line(), e.column());
            let what = text.strip_suffix(&suffix).unwrap_or(&text);
            Error::record(
                path,
                at.clone(),
                format!("invalid JSON at column {}: {what}", e.column()),
            )
        })?;
        let Value::Object(object) = value else {
            return Err(Error::record(
                path,
                at,
                format!("expected a JSON object, found {}", kind(&value)),
            ));
        };
        let mut fields = Fields::default();
        for (key, value) in &object {
            let Some(c) = COLUMNS.iter().position(|c| c == key) else {
                continue;
            };
            match value {
                Value::Null => {}
                Value::String(s) => fields.set(c, s),
                Value::Number(n) => fields.set(c, &n.to_string()),
                other => {
                    return Err(Error::record(
                        path,
                        at,
                        format!(
                            "field `{key}` must be a string or a number, found {}",
                            kind(other)
                        ),
                    ));
                }
            }
        }
        for required in ["path", "label"] {
            if !object.contains_key(required) {
                return Err(Error::record(path, at, format!("no `{required}` field")));
            }
        }
        samples.push(to_sample(fields, path, base, at)?);
    }
    finish(path, samples, options)
}

/// What a JSON value is, for messages.
pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
