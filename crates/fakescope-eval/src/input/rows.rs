//! Rows being collected from score and label files: ids, scores, labels and categorical columns,
//! with the file and line each row came from.
//!
//! Each parallel block fills its own [`Rows`]; blocks are appended in file order into a
//! [`Part`], which also remembers which file each row came from so that checks done after
//! reading (duplicate ids, joins) can still name the file and line.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::dups::id_hash;
use super::labels::LabelColumn;
use super::text::Block;
use super::{Categorical, InputError};

/// The three categorical roles, in the order of [`Rows::cats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cat {
    /// `--video-col`.
    Video = 0,
    /// `--group-col`.
    Group = 1,
    /// `--condition-col`.
    Condition = 2,
}

impl Cat {
    /// All roles, in index order.
    pub(crate) const ALL: [Cat; 3] = [Cat::Video, Cat::Group, Cat::Condition];

    /// The command-line option that names the column.
    pub(crate) fn option(self) -> &'static str {
        match self {
            Cat::Video => "--video-col",
            Cat::Group => "--group-col",
            Cat::Condition => "--condition-col",
        }
    }
}

/// A categorical column being collected: values interned in order of first appearance.
#[derive(Debug, Clone, Default)]
pub(crate) struct CatColumn {
    /// Per row: index into `names`.
    pub codes: Vec<u32>,
    /// Distinct values.
    pub names: Vec<String>,
    index: HashMap<String, u32>,
}

impl CatColumn {
    /// Appends one row's value.
    pub(crate) fn push(&mut self, value: &str) {
        let code = self.code(value);
        self.codes.push(code);
    }

    fn code(&mut self, value: &str) -> u32 {
        if let Some(&code) = self.index.get(value) {
            return code;
        }
        let code = self.names.len() as u32;
        self.names.push(value.to_string());
        self.index.insert(value.to_string(), code);
        code
    }

    /// Appends another column's rows, re-interning its values.
    fn append(&mut self, other: CatColumn) {
        let remap: Vec<u32> = other.names.iter().map(|name| self.code(name)).collect();
        self.codes
            .extend(other.codes.iter().map(|&c| remap[c as usize]));
    }

    /// The finished column.
    pub(crate) fn into_categorical(self) -> Categorical {
        Categorical {
            codes: self.codes,
            names: self.names,
        }
    }
}

/// The text of one row's fields, by role; `None` where the file has no such column.
#[derive(Debug, Default)]
pub(crate) struct RowText<'a> {
    /// Trial id.
    pub id: Option<&'a str>,
    /// Label.
    pub label: Option<&'a str>,
    /// Score.
    pub score: Option<&'a str>,
    /// Video, group, condition.
    pub cats: [Option<&'a str>; 3],
}

/// Columns of rows. A column a file does not have stays empty.
#[derive(Debug, Default)]
pub(crate) struct Rows {
    /// Line (1-based) of each row in its file.
    pub lines: Vec<u32>,
    /// Trial ids.
    pub ids: Vec<String>,
    /// [`id_hash`] of each id, for the duplicate check.
    pub hashes: Vec<u64>,
    /// Scores as written in the file.
    pub scores: Vec<f64>,
    /// Labels, `true` = fake.
    pub fake: Vec<bool>,
    /// Video, group, condition.
    pub cats: [CatColumn; 3],
    /// Bytes of text the rows came from (for estimating the size of the rest of a file).
    pub bytes: usize,
}

impl Rows {
    /// Empty rows with room for one row per line of `block` in the columns that will be filled.
    pub(crate) fn for_block(block: &Block, id: bool, score: bool, label: bool) -> Self {
        let n = usize::try_from(block.newlines).unwrap_or(0) + 1;
        let room = |filled: bool| if filled { n } else { 0 };
        Rows {
            lines: Vec::with_capacity(n),
            ids: Vec::with_capacity(room(id)),
            hashes: Vec::with_capacity(room(id)),
            scores: Vec::with_capacity(room(score)),
            fake: Vec::with_capacity(room(label)),
            cats: Default::default(),
            bytes: block.text.len(),
        }
    }

    /// Number of rows.
    pub(crate) fn len(&self) -> usize {
        self.lines.len()
    }

    /// Parses and appends one row of text fields.
    pub(crate) fn push_text(
        &mut self,
        line: u64,
        row: &RowText<'_>,
        labels: LabelColumn,
    ) -> Result<(), String> {
        let id = match row.id {
            Some("") => return Err("missing id".to_string()),
            Some(id) => Some(id.to_string()),
            None => None,
        };
        let score = row.score.map(parse_score).transpose()?;
        let fake = row.label.map(|text| labels.parse(text)).transpose()?;
        self.push(line, id, score, fake, row.cats)
    }

    /// Appends one row of parsed values.
    pub(crate) fn push(
        &mut self,
        line: u64,
        id: Option<String>,
        score: Option<f64>,
        fake: Option<bool>,
        cats: [Option<&str>; 3],
    ) -> Result<(), String> {
        let line =
            u32::try_from(line).map_err(|_| "too many lines (at most 2^32 - 1)".to_string())?;
        for (cat, value) in Cat::ALL.iter().zip(cats) {
            if value.is_some_and(|v| v.trim_ascii().is_empty()) {
                return Err(format!("missing value in the {} column", cat.option()));
            }
        }
        self.lines.push(line);
        if let Some(id) = id {
            self.hashes.push(id_hash(id.as_bytes()));
            self.ids.push(id);
        }
        self.scores.extend(score);
        self.fake.extend(fake);
        for (column, value) in self.cats.iter_mut().zip(cats) {
            if let Some(value) = value {
                column.push(value.trim_ascii());
            }
        }
        Ok(())
    }

    /// Appends `other`'s rows.
    pub(crate) fn append(&mut self, other: Rows) {
        self.lines.extend(other.lines);
        self.ids.extend(other.ids);
        self.hashes.extend(other.hashes);
        self.scores.extend(other.scores);
        self.fake.extend(other.fake);
        for (column, other) in self.cats.iter_mut().zip(other.cats) {
            column.append(other);
        }
        self.bytes += other.bytes;
    }

    /// Reserves room for `more` rows in the columns that are being filled.
    pub(crate) fn reserve_like(&mut self, sample: &Rows, more: usize) {
        let n = sample.len();
        self.lines.reserve(more);
        if sample.ids.len() == n {
            self.ids.reserve(more);
            self.hashes.reserve(more);
        }
        if sample.scores.len() == n {
            self.scores.reserve(more);
        }
        if sample.fake.len() == n {
            self.fake.reserve(more);
        }
    }
}

/// Parses a score: a finite decimal number.
pub(crate) fn parse_score(text: &str) -> Result<f64, String> {
    let t = text.trim_ascii();
    if t.is_empty() {
        return Err("missing score".to_string());
    }
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(format!("score `{t}` is not finite")),
        Err(_) => Err(format!("score `{t}` is not a number")),
    }
}

/// One file's share of a [`Part`].
#[derive(Debug, Clone)]
pub(crate) struct Source {
    /// The file.
    pub path: PathBuf,
    /// Index of its first row in the part.
    pub first_row: usize,
    /// Its column names (for error messages).
    pub columns: Vec<String>,
}

/// Rows read from one or more files, and the file each row came from.
#[derive(Debug, Default)]
pub(crate) struct Part {
    /// The rows, files one after another.
    pub rows: Rows,
    /// The files, in order.
    pub sources: Vec<Source>,
}

impl Part {
    /// Starts a new file: rows appended from now on belong to it.
    pub(crate) fn begin_file(&mut self, path: &Path, columns: Vec<String>) {
        self.sources.push(Source {
            path: path.to_path_buf(),
            first_row: self.rows.len(),
            columns,
        });
    }

    /// Appends a block's rows; `file_bytes` is the size of the file being read, used to reserve
    /// room for all of its rows once the first block shows how long a row is.
    pub(crate) fn append(&mut self, rows: Rows, file_bytes: u64) {
        let file_first = self.sources.last().map_or(0, |s| s.first_row);
        if self.rows.len() == file_first && rows.bytes > 0 && rows.len() > 0 {
            let estimate = file_bytes as f64 / rows.bytes as f64 * rows.len() as f64 * 1.02;
            let estimate = (estimate as usize).saturating_add(1024);
            self.rows.reserve_like(&rows, estimate);
        }
        self.rows.append(rows);
    }

    /// The file and line of row `row`.
    pub(crate) fn locate(&self, row: usize) -> (&Path, u64) {
        let file = self
            .sources
            .partition_point(|s| s.first_row <= row)
            .saturating_sub(1);
        (&self.sources[file].path, u64::from(self.rows.lines[row]))
    }

    /// An error about row `row`, naming its file and line.
    pub(crate) fn row_error(&self, row: usize, message: String) -> InputError {
        let (path, line) = self.locate(row);
        InputError::Line {
            path: path.to_path_buf(),
            line,
            message,
        }
    }

    /// `path:line` of row `row`, for messages that name several rows.
    pub(crate) fn at(&self, row: usize) -> String {
        let (path, line) = self.locate(row);
        format!("{}:{line}", path.display())
    }
}
