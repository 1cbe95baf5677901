//! [`read_scores`]: score files in, one oriented [`ScoreTable`] out.
//!
//! 1. Each score file is opened and its format decided from its first line ([`open`]).
//! 2. Its rows are read in parallel blocks into one [`Part`]; several files must agree in
//!    format and columns.
//! 3. Ids must be unique across all files.
//! 4. Labels come from the files, or from `--key` / `--labels` (joined by id) or
//!    `--label-from-dir`.
//! 5. The direction and kind of the scores are decided, probabilities checked, and scores with
//!    higher = real turned around so that higher = fake.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::asvspoof::{Side, headerless_layout, is_score_file, looks_like_data};
use super::columns::{self, cat_option};
use super::labels::label_from_dirs;
use super::rows::{Cat, CatColumn, Part};
use super::table::{Delim, Pick, split_first_line};
use super::text::TextFile;
use super::{
    Categorical, HigherMeans, InputError, ReadOptions, ScoreKind, ScoreTable, dups, join, jsonl,
    scan, table,
};

/// Reads score files (and the key or label file the options name) into one table whose scores
/// are oriented higher = more likely fake and whose labels are `true` = fake.
///
/// Several files are read one after another into one table; they must have the same format,
/// the same columns in use and the same score direction. See the [module docs](super) for the
/// formats and the rules for direction and kind. Scores from a file where higher = real are
/// negated, except probabilities of real, which become `1 - p` so they stay probabilities.
///
/// # Errors
/// [`InputError::Usage`] when the options conflict or the score direction cannot be told;
/// otherwise an error naming the file, and the line when there is one.
pub fn read_scores(paths: &[PathBuf], opts: &ReadOptions) -> Result<ScoreTable, InputError> {
    check_options(paths, opts)?;
    let labels_elsewhere =
        opts.key.is_some() || opts.labels.is_some() || opts.label_from_dir.is_some();
    let mut part = Part::default();
    let mut files: Vec<FileFacts> = Vec::with_capacity(paths.len());
    let mut warnings = Vec::new();
    for path in paths {
        let facts = read_score_file(path, opts, labels_elsewhere, &mut part, &mut warnings)?;
        if let Some(first) = files.first() {
            agree(first, &facts, opts)?;
        }
        files.push(facts);
    }
    let first = &files[0];
    let (direction, direction_reason) = decide_direction(&files, opts)?;
    let kind = decide_kind(&files, opts)?;
    if first.has_id {
        check_unique(&mut part)?;
    }

    let mut sources = paths.to_vec();
    let mut cats: [Option<CatColumn>; 3] = Default::default();
    for cat in Cat::ALL {
        if first.cats[cat as usize] {
            cats[cat as usize] = Some(std::mem::take(&mut part.rows.cats[cat as usize]));
        }
    }
    let mut key_columns = None;
    if let Some(key_path) = opts.key.as_ref().or(opts.labels.as_ref()) {
        let (mut key, key_cats) = read_label_file(key_path, opts)?;
        check_unique(&mut key)?;
        let (matches, note) = join::match_rows(&part, &key, key_path, opts.key.is_some())?;
        warnings.extend(note);
        part.rows.fake = matches.iter().map(|&k| key.rows.fake[k]).collect();
        for cat in Cat::ALL {
            let i = cat as usize;
            if cats[i].is_none() && key_cats[i] {
                let from = &key.rows.cats[i];
                let mut column = CatColumn::default();
                for &k in &matches {
                    column.push(&from.names[from.codes[k] as usize]);
                }
                cats[i] = Some(column);
            }
        }
        key_columns = Some((key_path.clone(), key.sources[0].columns.clone()));
        sources.push(key_path.clone());
    } else if let Some(dirs) = &opts.label_from_dir {
        part.rows.fake = (0..part.rows.len())
            .map(|row| {
                label_from_dirs(&part.rows.ids[row], dirs).map_err(|m| part.row_error(row, m))
            })
            .collect::<Result<_, _>>()?;
    }
    for cat in Cat::ALL {
        if let Some(name) = cat_option(opts, cat)
            && cats[cat as usize].is_none()
        {
            return Err(missing_category(name, cat, first, key_columns.as_ref()));
        }
    }
    let [video, group, condition] = cats.map(|c| c.map(CatColumn::into_categorical));
    let video = match video {
        Some(video) => Some(video),
        None if opts.video_from_parent => Some(parent_folders(&part, first)?),
        None => None,
    };

    let mut scores = std::mem::take(&mut part.rows.scores);
    if kind == ScoreKind::Probability
        && let Some(row) = scores
            .par_iter()
            .position_first(|s| !(0.0..=1.0).contains(s))
    {
        return Err(part.row_error(
            row,
            format!(
                "score {} in column `{}` is not a probability in [0, 1] (pass --score-kind score \
                 if it is not meant to be one)",
                scores[row], first.score_col
            ),
        ));
    }
    match (direction, kind) {
        (HigherMeans::Fake, _) => {}
        (HigherMeans::Real, ScoreKind::Probability) => {
            scores.par_iter_mut().for_each(|s| *s = 1.0 - *s)
        }
        (HigherMeans::Real, _) => scores.par_iter_mut().for_each(|s| *s = -*s),
    }
    Ok(ScoreTable {
        sources,
        scores,
        fake: std::mem::take(&mut part.rows.fake),
        ids: first.has_id.then(|| std::mem::take(&mut part.rows.ids)),
        video,
        group,
        condition,
        direction,
        direction_reason,
        kind,
        warnings,
    })
}

/// Rejects options that contradict each other.
fn check_options(paths: &[PathBuf], opts: &ReadOptions) -> Result<(), InputError> {
    let usage = |m: &str| Err(InputError::Usage(m.to_string()));
    if paths.is_empty() {
        return usage("no score file given");
    }
    let sources = [
        opts.key.is_some(),
        opts.labels.is_some(),
        opts.label_from_dir.is_some(),
    ];
    if sources.iter().filter(|&&s| s).count() > 1 {
        return usage("--key, --labels and --label-from-dir each give the labels: use only one");
    }
    if opts.label_from_dir.as_ref().is_some_and(Vec::is_empty) {
        return usage("--label-from-dir needs at least one folder name");
    }
    if opts.video_col.is_some() && opts.video_from_parent {
        return usage(
            "--video-col and --video-from-parent both say where the video is: use only one",
        );
    }
    Ok(())
}

/// What kind of score file a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    /// CSV, TSV, whitespace-separated or JSON Lines table with named columns.
    Table,
    /// ASVspoof 5 score file (`filename cm-score` header).
    AsvspoofScores,
    /// A headerless ASVspoof layout, described.
    Headerless(&'static str),
    /// `fakescope scan --json` output.
    Scan,
}

impl Format {
    fn describe(self) -> &'static str {
        match self {
            Format::Table => "a score table",
            Format::AsvspoofScores => "an ASVspoof score file",
            Format::Headerless(_) => "a headerless ASVspoof score file",
            Format::Scan => "fakescope scan output",
        }
    }
}

/// What reading one score file found out.
#[derive(Debug)]
struct FileFacts {
    path: PathBuf,
    format: Format,
    columns: Vec<String>,
    score_col: String,
    has_id: bool,
    /// Whether it has the video, group, condition columns named in the options.
    cats: [bool; 3],
}

impl FileFacts {
    fn from_pick(path: &Path, format: Format, columns: &[String], pick: &Pick) -> Self {
        FileFacts {
            path: path.to_path_buf(),
            format,
            columns: columns.to_vec(),
            score_col: pick.score.map(|i| columns[i].clone()).unwrap_or_default(),
            has_id: pick.id.is_some(),
            cats: pick.cats.map(|c| c.is_some()),
        }
    }

    /// The direction the file states itself, and why.
    fn inferred_direction(&self) -> Option<(HigherMeans, String)> {
        if self.format == Format::Scan {
            Some((
                HigherMeans::Fake,
                format!("fakescope scan output ({})", self.score_col),
            ))
        } else if self.score_col == "fake_probability" {
            Some((HigherMeans::Fake, "column fake_probability".to_string()))
        } else if self.format == Format::AsvspoofScores && self.score_col == "cm-score" {
            Some((
                HigherMeans::Real,
                "ASVspoof score file (cm-score: higher = bona fide)".to_string(),
            ))
        } else {
            None
        }
    }

    /// The kind of scores the file states itself.
    fn inferred_kind(&self) -> ScoreKind {
        if self.format == Format::Scan || self.score_col == "fake_probability" {
            ScoreKind::Probability
        } else if self.format == Format::AsvspoofScores && self.score_col == "cm-score" {
            ScoreKind::Llr
        } else {
            ScoreKind::Score
        }
    }
}

/// A file opened, its first line read, and its layout decided.
enum Layout {
    /// `fakescope scan` output.
    Scan,
    /// JSON Lines with these keys.
    Json(Vec<String>),
    /// Delimited text; `what` describes a headerless layout.
    Text {
        delim: Delim,
        columns: Vec<String>,
        what: Option<&'static str>,
    },
}

/// Opens `path` and decides its layout from its first non-blank line (consumed if a header).
fn open(path: &Path, side: Side) -> Result<(TextFile, u64, Layout), InputError> {
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

/// Reads one score file's rows into `part`.
fn read_score_file(
    path: &Path,
    opts: &ReadOptions,
    labels_elsewhere: bool,
    part: &mut Part,
    warnings: &mut Vec<String>,
) -> Result<FileFacts, InputError> {
    let (mut file, bytes, layout) = open(path, Side::Scores)?;
    if opts.detector.is_some() && !matches!(layout, Layout::Scan) {
        return Err(InputError::Usage(format!(
            "{}: --detector applies only to fakescope scan output, which this is not",
            path.display()
        )));
    }
    let first_row = part.rows.len();
    let facts = match layout {
        Layout::Scan => {
            if !labels_elsewhere {
                return Err(InputError::Usage(format!(
                    "{}: fakescope scan output has no labels; give them with --labels FILE, --key \
                     FILE or --label-from-dir",
                    path.display()
                )));
            }
            let score_col = match &opts.detector {
                Some(name) => format!("fake_probability of detector {name}"),
                None => "fake_probability".to_string(),
            };
            let columns = vec!["path".to_string(), score_col.clone()];
            part.begin_file(path, columns.clone());
            warnings.extend(scan::read(
                &mut file,
                opts.detector.as_deref(),
                bytes,
                part,
            )?);
            FileFacts {
                path: path.to_path_buf(),
                format: Format::Scan,
                columns,
                score_col,
                has_id: true,
                cats: [false; 3],
            }
        }
        Layout::Json(columns) => {
            let pick = columns::for_scores(path, &columns, opts, labels_elsewhere)?;
            part.begin_file(path, columns.clone());
            jsonl::read_rows(&mut file, &columns, &pick, bytes, part)?;
            FileFacts::from_pick(path, Format::Table, &columns, &pick)
        }
        Layout::Text {
            delim,
            columns,
            what,
        } => {
            let format = match what {
                Some(what) => Format::Headerless(what),
                None if is_score_file(&columns) => Format::AsvspoofScores,
                None => Format::Table,
            };
            let pick = columns::for_scores(path, &columns, opts, labels_elsewhere)?;
            part.begin_file(path, columns.clone());
            table::read_rows(&mut file, delim, &columns, &pick, bytes, part)?;
            FileFacts::from_pick(path, format, &columns, &pick)
        }
    };
    if part.rows.len() == first_row {
        let message = match facts.format {
            Format::Scan => "no scored file: every report was skipped (see the warnings)",
            _ => "no rows after the header",
        };
        return Err(InputError::File {
            path: path.to_path_buf(),
            message: message.to_string(),
        });
    }
    if opts.video_from_parent && !facts.has_id {
        return Err(InputError::File {
            path: path.to_path_buf(),
            message: format!(
                "--video-from-parent needs an id or path column: none of {} (columns: {}); name it \
                 with --id-col",
                columns::ID_DEFAULTS.join(", "),
                facts.columns.join(", ")
            ),
        });
    }
    if labels_elsewhere && !facts.has_id {
        return Err(InputError::File {
            path: path.to_path_buf(),
            message: format!(
                "labels from --key, --labels or --label-from-dir need an id or path column: none \
                 of {} (columns: {}); name it with --id-col",
                columns::ID_DEFAULTS.join(", "),
                facts.columns.join(", ")
            ),
        });
    }
    Ok(facts)
}

/// Reads a key or label file: ids, labels, and the categorical columns it has. Returns which
/// of those it has.
fn read_label_file(path: &Path, opts: &ReadOptions) -> Result<(Part, [bool; 3]), InputError> {
    let (mut file, bytes, layout) = open(path, Side::Labels)?;
    let mut part = Part::default();
    let pick = match layout {
        Layout::Scan => {
            return Err(InputError::File {
                path: path.to_path_buf(),
                message: "this is fakescope scan output, not a key or label file".to_string(),
            });
        }
        Layout::Json(columns) => {
            let pick = columns::for_labels(path, &columns, opts)?;
            part.begin_file(path, columns.clone());
            jsonl::read_rows(&mut file, &columns, &pick, bytes, &mut part)?;
            pick
        }
        Layout::Text { delim, columns, .. } => {
            let pick = columns::for_labels(path, &columns, opts)?;
            part.begin_file(path, columns.clone());
            table::read_rows(&mut file, delim, &columns, &pick, bytes, &mut part)?;
            pick
        }
    };
    if part.rows.len() == 0 {
        return Err(InputError::File {
            path: path.to_path_buf(),
            message: "no rows after the header".to_string(),
        });
    }
    Ok((part, pick.cats.map(|c| c.is_some())))
}

/// Checks that a later score file can be read together with the first.
fn agree(first: &FileFacts, later: &FileFacts, opts: &ReadOptions) -> Result<(), InputError> {
    if first.format != later.format {
        return Err(InputError::Usage(format!(
            "{} is {} but {} is {}: score files read together must have the same format",
            later.path.display(),
            later.format.describe(),
            first.path.display(),
            first.format.describe()
        )));
    }
    let lacking = |without: &FileFacts, name: &str, option: &str| {
        let with = if std::ptr::eq(without, first) {
            later
        } else {
            first
        };
        InputError::File {
            path: without.path.clone(),
            message: format!(
                "no column `{name}` ({option}), which {} has; the columns are: {}",
                with.path.display(),
                without.columns.join(", ")
            ),
        }
    };
    if first.has_id != later.has_id {
        let without = if first.has_id { later } else { first };
        return Err(lacking(without, "id", "--id-col"));
    }
    for cat in Cat::ALL {
        let i = cat as usize;
        if first.cats[i] != later.cats[i] {
            let without = if first.cats[i] { later } else { first };
            return Err(lacking(
                without,
                cat_option(opts, cat).unwrap_or_default(),
                cat.option(),
            ));
        }
    }
    Ok(())
}

/// What a higher score means, and why: the option, else what every file says of itself.
fn decide_direction(
    files: &[FileFacts],
    opts: &ReadOptions,
) -> Result<(HigherMeans, String), InputError> {
    if let Some(higher) = opts.higher_means {
        if higher == HigherMeans::Real
            && let Some(scan) = files.iter().find(|f| f.format == Format::Scan)
        {
            return Err(InputError::Usage(format!(
                "{}: fakescope scan output holds fake probabilities (higher = fake); --higher-means \
                 real contradicts it",
                scan.path.display()
            )));
        }
        return Ok((higher, format!("--higher-means {}", direction_name(higher))));
    }
    let infer = |file: &FileFacts| {
        file.inferred_direction().ok_or_else(|| {
            let hint = match file.format {
                Format::Headerless(what) => format!(
                    "; this is a {what}, and ASVspoof score files are higher = bona fide, i.e. \
                     --higher-means real"
                ),
                _ => String::new(),
            };
            InputError::Usage(format!(
                "{}: cannot tell whether a higher `{}` means more likely fake or more likely real; \
                 pass --higher-means fake or --higher-means real (a file says it itself only with a \
                 fake_probability column, as an ASVspoof `filename cm-score` score file, or as \
                 fakescope scan output){hint}",
                file.path.display(),
                file.score_col
            ))
        })
    };
    let (first, rest) = files
        .split_first()
        .ok_or_else(|| InputError::Usage("no score file given".into()))?;
    let (higher, reason) = infer(first)?;
    for file in rest {
        let (other, other_reason) = infer(file)?;
        if other != higher {
            return Err(InputError::Usage(format!(
                "{}: higher = {} ({reason}) but {}: higher = {} ({other_reason}); score files read \
                 together must have the same direction",
                first.path.display(),
                direction_name(higher),
                file.path.display(),
                direction_name(other)
            )));
        }
    }
    Ok((higher, reason))
}

fn direction_name(higher: HigherMeans) -> &'static str {
    match higher {
        HigherMeans::Fake => "fake",
        HigherMeans::Real => "real",
    }
}

/// The kind of the scores: the option, else what the files say of themselves.
fn decide_kind(files: &[FileFacts], opts: &ReadOptions) -> Result<ScoreKind, InputError> {
    if let Some(kind) = opts.score_kind {
        return Ok(kind);
    }
    let kind = files[0].inferred_kind();
    if let Some(other) = files.iter().find(|f| f.inferred_kind() != kind) {
        return Err(InputError::Usage(format!(
            "{} holds {} but {} holds {}; pass --score-kind",
            files[0].path.display(),
            kind_name(kind),
            other.path.display(),
            kind_name(other.inferred_kind())
        )));
    }
    Ok(kind)
}

fn kind_name(kind: ScoreKind) -> &'static str {
    match kind {
        ScoreKind::Probability => "probabilities",
        ScoreKind::Llr => "log-likelihood ratios",
        ScoreKind::Score => "scores",
    }
}

/// Rejects a repeated id, naming both of its lines.
fn check_unique(part: &mut Part) -> Result<(), InputError> {
    let hashes = std::mem::take(&mut part.rows.hashes);
    match dups::first_duplicate(&part.rows.ids, hashes) {
        Some((first, repeat)) => Err(part.row_error(
            repeat,
            format!(
                "duplicate id `{}` (first at {})",
                part.rows.ids[repeat],
                part.at(first)
            ),
        )),
        None => Ok(()),
    }
}

/// The error for a categorical column found neither in the score files nor in the key.
fn missing_category(
    name: &str,
    cat: Cat,
    first: &FileFacts,
    key: Option<&(PathBuf, Vec<String>)>,
) -> InputError {
    let mut message = format!(
        "no column `{name}` ({}); the columns are: {}",
        cat.option(),
        first.columns.join(", ")
    );
    if let Some((key_path, key_columns)) = key {
        message.push_str(&format!(
            "; nor in {} ({})",
            key_path.display(),
            key_columns.join(", ")
        ));
    }
    InputError::File {
        path: first.path.clone(),
        message,
    }
}

/// The video of each row: the folder its id is in (everything before the last `/` or `\`).
fn parent_folders(part: &Part, first: &FileFacts) -> Result<Categorical, InputError> {
    debug_assert!(first.has_id);
    let mut column = CatColumn::default();
    for (row, id) in part.rows.ids.iter().enumerate() {
        match id.rfind(['/', '\\']) {
            Some(0) => column.push(&id[..1]),
            Some(end) => column.push(&id[..end]),
            None => {
                return Err(part.row_error(
                    row,
                    format!("`{id}` has no folder to take the video from (--video-from-parent)"),
                ));
            }
        }
    }
    Ok(column.into_categorical())
}
