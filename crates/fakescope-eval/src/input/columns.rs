//! Choosing the columns of a file: the ones named in [`ReadOptions`], else the defaults.
//!
//! Column names match exactly, else ignoring ASCII case.

use std::path::Path;

use super::labels::LabelColumn;
use super::rows::Cat;
use super::table::Pick;
use super::{InputError, ReadOptions};

/// Id columns tried in order when `--id-col` is not given.
pub const ID_DEFAULTS: &[&str] = &["id", "filename", "path", "file"];
/// Label columns tried in order when `--label-col` is not given.
pub const LABEL_DEFAULTS: &[&str] = &["label", "cm-label", "key", "target"];
/// Score columns tried in order when `--score-col` is not given.
pub const SCORE_DEFAULTS: &[&str] = &[
    "fake_probability",
    "fake_llr",
    "score",
    "cm-score",
    "prob",
    "pred",
];

/// Position of the column called `name`.
pub(crate) fn find(columns: &[String], name: &str) -> Option<usize> {
    columns
        .iter()
        .position(|c| c == name)
        .or_else(|| columns.iter().position(|c| c.eq_ignore_ascii_case(name)))
}

/// The column named by an option, or else the first default present.
fn choose(
    path: &Path,
    columns: &[String],
    explicit: Option<&str>,
    option: &str,
    defaults: &[&str],
) -> Result<Option<usize>, InputError> {
    match explicit {
        Some(name) => find(columns, name)
            .map(Some)
            .ok_or_else(|| missing(path, columns, name, option)),
        None => Ok(defaults.iter().find_map(|name| find(columns, name))),
    }
}

fn missing(path: &Path, columns: &[String], name: &str, option: &str) -> InputError {
    InputError::File {
        path: path.to_path_buf(),
        message: format!(
            "no column `{name}` ({option}); the columns are: {}",
            columns.join(", ")
        ),
    }
}

/// The option value naming the column of a categorical role.
pub(crate) fn cat_option(opts: &ReadOptions, cat: Cat) -> Option<&str> {
    match cat {
        Cat::Video => opts.video_col.as_deref(),
        Cat::Group => opts.group_col.as_deref(),
        Cat::Condition => opts.condition_col.as_deref(),
    }
}

/// The columns of a score file. The score column is required; the label column too unless
/// labels come from elsewhere (`--key`, `--labels`, `--label-from-dir`), in which case it is
/// not read. The id column is optional. Categorical columns named in the options are picked
/// when present; when absent they stay `None` (they may be in the key file).
pub(crate) fn for_scores(
    path: &Path,
    columns: &[String],
    opts: &ReadOptions,
    labels_elsewhere: bool,
) -> Result<Pick, InputError> {
    let score = choose(
        path,
        columns,
        opts.score_col.as_deref(),
        "--score-col",
        SCORE_DEFAULTS,
    )?
    .ok_or_else(|| InputError::File {
        path: path.to_path_buf(),
        message: format!(
            "no score column: none of {} (columns: {}); name it with --score-col",
            SCORE_DEFAULTS.join(", "),
            columns.join(", ")
        ),
    })?;
    let label = if labels_elsewhere {
        None
    } else {
        let i = choose(
            path,
            columns,
            opts.label_col.as_deref(),
            "--label-col",
            LABEL_DEFAULTS,
        )?
        .ok_or_else(|| InputError::File {
            path: path.to_path_buf(),
            message: format!(
                "no label column: none of {} (columns: {}); name it with --label-col, or give \
                     the labels with --key, --labels or --label-from-dir",
                LABEL_DEFAULTS.join(", "),
                columns.join(", ")
            ),
        })?;
        Some((i, LabelColumn::named(&columns[i])))
    };
    let id = choose(
        path,
        columns,
        opts.id_col.as_deref(),
        "--id-col",
        ID_DEFAULTS,
    )?;
    if let Some(id) = id
        && (id == score || label.is_some_and(|(l, _)| l == id))
    {
        return Err(InputError::File {
            path: path.to_path_buf(),
            message: "the id column is also the score or label column".to_string(),
        });
    }
    let cats = Cat::ALL.map(|cat| cat_option(opts, cat).and_then(|name| find(columns, name)));
    Ok(Pick {
        id,
        label,
        score: Some(score),
        cats,
    })
}

/// The columns of a key or label file: id and label are required (an option naming a column
/// this file does not have is taken to be about the score file, and the defaults are used);
/// categorical columns named in the options are picked when present.
pub(crate) fn for_labels(
    path: &Path,
    columns: &[String],
    opts: &ReadOptions,
) -> Result<Pick, InputError> {
    let pick = |explicit: Option<&str>, defaults: &[&str], what: &str| {
        explicit
            .and_then(|name| find(columns, name))
            .or_else(|| defaults.iter().find_map(|name| find(columns, name)))
            .ok_or_else(|| InputError::File {
                path: path.to_path_buf(),
                message: format!(
                    "no {what} column: none of {} (columns: {})",
                    explicit
                        .into_iter()
                        .chain(defaults.iter().copied())
                        .collect::<Vec<_>>()
                        .join(", "),
                    columns.join(", ")
                ),
            })
    };
    let id = pick(opts.id_col.as_deref(), ID_DEFAULTS, "id")?;
    let label = pick(opts.label_col.as_deref(), LABEL_DEFAULTS, "label")?;
    let cats = Cat::ALL.map(|cat| cat_option(opts, cat).and_then(|name| find(columns, name)));
    Ok(Pick {
        id: Some(id),
        label: Some((label, LabelColumn::named(&columns[label]))),
        score: None,
        cats,
    })
}
