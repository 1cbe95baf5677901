//! [`read_scores`]: score files in, one oriented [`ScoreTable`] out.
//!
//! 1. Each score file is opened, its format decided from its first line and its columns
//!    chosen; several files must agree. The score direction and kind are decided now, before
//!    any row is read.
//! 2. The rows are read in parallel blocks into one [`Part`].
//! 3. Ids must be unique across all files.
//! 4. Labels come from the files, or from `--key` / `--labels` (joined by id) or
//!    `--label-from-dir`.
//! 5. Probabilities are checked, and scores where higher = real turned around.

use std::path::{Path, PathBuf};

use super::asvspoof::Side;
use super::columns::{self, cat_option};
use super::direction::{decide_direction, decide_kind, orient};
use super::labels::label_from_dirs;
use super::layout::{Layout, open};
use super::rows::{Cat, CatColumn, Part};
use super::score_file::{FileFacts, ScoreFile, agree};
use super::{Categorical, InputError, ReadOptions, ScoreTable, dups, join, jsonl, table};

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
    let files: Vec<ScoreFile> = paths
        .iter()
        .map(|path| ScoreFile::open(path, opts, labels_elsewhere))
        .collect::<Result<_, _>>()?;
    let facts: Vec<&FileFacts> = files.iter().map(|f| &f.facts).collect();
    for later in &facts[1..] {
        agree(facts[0], later, opts)?;
    }
    let (direction, direction_reason) = decide_direction(&facts, opts)?;
    let kind = decide_kind(&facts, opts)?;
    let first = FileFacts::clone(facts[0]);

    let mut part = Part::default();
    let mut warnings = Vec::new();
    for file in files {
        warnings.extend(file.read_into(&mut part, opts)?);
    }
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
        let columns = labels_from_key(&mut part, key_path, opts, &mut cats, &mut warnings)?;
        key_columns = Some((key_path.clone(), columns));
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
            return Err(missing_category(name, cat, &first, key_columns.as_ref()));
        }
    }
    let [video, group, condition] = cats.map(|c| c.map(CatColumn::into_categorical));
    let video = match video {
        Some(video) => Some(video),
        None if opts.video_from_parent => Some(parent_folders(&part)?),
        None => None,
    };

    let mut scores = std::mem::take(&mut part.rows.scores);
    orient(&mut scores, direction, kind, &part, &first.score_col)?;
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

/// Labels for the rows of `part` from a key or label file, joined by id; categorical columns
/// still missing are taken from it too. Returns the file's columns (for messages).
fn labels_from_key(
    part: &mut Part,
    key_path: &Path,
    opts: &ReadOptions,
    cats: &mut [Option<CatColumn>; 3],
    warnings: &mut Vec<String>,
) -> Result<Vec<String>, InputError> {
    let (mut key, key_cats) = read_label_file(key_path, opts)?;
    check_unique(&mut key)?;
    let (matches, note) = join::match_rows(part, &key, key_path, opts.key.is_some())?;
    warnings.extend(note);
    part.rows.fake = matches.iter().map(|&k| key.rows.fake[k]).collect();
    for (i, cat) in cats.iter_mut().enumerate() {
        if cat.is_none() && key_cats[i] {
            let from = &key.rows.cats[i];
            let mut column = CatColumn::default();
            for &k in &matches {
                column.push(&from.names[from.codes[k] as usize]);
            }
            *cat = Some(column);
        }
    }
    Ok(std::mem::take(&mut key.sources[0].columns))
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
fn parent_folders(part: &Part) -> Result<Categorical, InputError> {
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
