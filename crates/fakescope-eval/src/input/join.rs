//! Matching score rows with the rows of a key or label file by id.
//!
//! A score id matches a key id that is equal to it; failing that, the key id with the same
//! file name (last component after `/` or `\`), when only one key id has that file name;
//! failing that, the one with the same file name without its extension. So `scan` paths like
//! `data/LA_E_1000147.flac` match ASVspoof key ids like `LA_E_1000147`, and a label file may
//! list absolute or relative paths.

use std::collections::HashMap;
use std::path::Path;

use super::InputError;
use super::rows::Part;

/// How many ids an error or warning lists.
const LISTED: usize = 5;

/// For each score row, the key row it matches. Every score row must match one key row, and no
/// key row two score rows. Key rows that match no score row are an error when
/// `unmatched_keys_are_errors`, else a warning returned.
pub(crate) fn match_rows(
    scores: &Part,
    key: &Part,
    key_path: &Path,
    unmatched_keys_are_errors: bool,
) -> Result<(Vec<usize>, Option<String>), InputError> {
    let key_ids = &key.rows.ids;
    let exact: HashMap<&str, usize> = key_ids
        .iter()
        .enumerate()
        .map(|(k, id)| (id.as_str(), k))
        .collect();
    let mut by_name: Option<HashMap<&str, Option<usize>>> = None;
    let mut by_stem: Option<HashMap<&str, Option<usize>>> = None;
    let mut matched_by: Vec<Option<usize>> = vec![None; key_ids.len()];
    let mut matches = Vec::with_capacity(scores.rows.ids.len());
    let mut unmatched: Vec<usize> = Vec::new();
    let mut unmatched_count = 0usize;
    for (row, id) in scores.rows.ids.iter().enumerate() {
        let found = exact.get(id.as_str()).copied().or_else(|| {
            let names = by_name.get_or_insert_with(|| unique_index(key_ids, file_name));
            let stems = by_stem.get_or_insert_with(|| unique_index(key_ids, stem));
            names
                .get(file_name(id))
                .copied()
                .flatten()
                .or_else(|| stems.get(stem(id)).copied().flatten())
        });
        let Some(k) = found else {
            unmatched_count += 1;
            if unmatched.len() < LISTED {
                unmatched.push(row);
            }
            matches.push(usize::MAX);
            continue;
        };
        if let Some(other) = matched_by[k] {
            return Err(InputError::File {
                path: key_path.to_path_buf(),
                message: format!(
                    "`{}` ({}) and `{id}` ({}) both match `{}` (line {})",
                    scores.rows.ids[other],
                    scores.at(other),
                    scores.at(row),
                    key_ids[k],
                    key.rows.lines[k]
                ),
            });
        }
        matched_by[k] = Some(row);
        matches.push(k);
    }
    if unmatched_count > 0 {
        let listed: Vec<String> = unmatched
            .iter()
            .map(|&row| format!("`{}` ({})", scores.rows.ids[row], scores.at(row)))
            .collect();
        return Err(InputError::File {
            path: key_path.to_path_buf(),
            message: format!(
                "{} no label here: {}{}",
                count(unmatched_count, "score has", "scores have"),
                listed.join(", "),
                if unmatched_count > LISTED {
                    ", ..."
                } else {
                    ""
                }
            ),
        });
    }
    let spare: Vec<usize> = (0..key_ids.len())
        .filter(|&k| matched_by[k].is_none())
        .collect();
    let mut note = None;
    if !spare.is_empty() {
        let listed: Vec<String> = spare
            .iter()
            .take(LISTED)
            .map(|&k| format!("`{}` (line {})", key_ids[k], key.rows.lines[k]))
            .collect();
        let message = format!(
            "{} no score: {}{}",
            count(spare.len(), "label has", "labels have"),
            listed.join(", "),
            if spare.len() > LISTED { ", ..." } else { "" }
        );
        if unmatched_keys_are_errors {
            return Err(InputError::File {
                path: key_path.to_path_buf(),
                message,
            });
        }
        note = Some(format!("{}: {message}", key_path.display()));
    }
    Ok((matches, note))
}

/// `1 score has` / `2 scores have`.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Index of key rows by a part of their id; `None` where several key rows share it.
fn unique_index(ids: &[String], part: fn(&str) -> &str) -> HashMap<&str, Option<usize>> {
    let mut index: HashMap<&str, Option<usize>> = HashMap::with_capacity(ids.len());
    for (k, id) in ids.iter().enumerate() {
        index
            .entry(part(id))
            .and_modify(|e| *e = None)
            .or_insert(Some(k));
    }
    index
}

/// The last component of a path, split at `/` and `\`.
pub(crate) fn file_name(id: &str) -> &str {
    id.rsplit(['/', '\\']).next().unwrap_or(id)
}

/// The file name without its last extension (`a/b.c.wav` → `b.c`).
fn stem(id: &str) -> &str {
    let name = file_name(id);
    match name.rfind('.') {
        Some(dot) if dot > 0 => &name[..dot],
        _ => name,
    }
}
