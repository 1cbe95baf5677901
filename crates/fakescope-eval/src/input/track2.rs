//! ASVspoof 5 Track 2 (spoofing-aware speaker verification) score and key files, joined into
//! [`SasvTrials`].
//!
//! The score file has a header and five columns, `spk filename cm-score asv-score sasv-score`;
//! a system that gives only a SASV score writes `-` for the CM and ASV scores. The key file has
//! `spk filename cm-label asv-label`, with CM labels `bonafide` / `spoof` and ASV labels
//! `target` / `nontarget` / `spoof`; further columns (attack, codec, ...) are ignored. Columns
//! are found by their header name (the package's alternative names `tar_spk_anon`,
//! `trial_anon`, `cm_label`, `asv_label` are accepted too) and separated by tabs or spaces.
//!
//! A trial is identified by its **claimed speaker and file name together**, as the official
//! package joins the two files (`set_index(['spk', 'filename'])`): in a SASV trial list the same
//! test utterance may be scored against several claimed speakers.
//!
//! Scores keep the ASVspoof convention, higher = target / bona fide (see
//! [`fakescope_metrics::sasv`]). Key rows whose optional `track_2_tag` column says `dummy` are
//! left out with their scores, as the package's full-key evaluation does.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use fakescope_metrics::sasv::{SasvClass, SasvTrial, SasvTrials};

use super::InputError;

/// A Track 2 score file joined with its key, in the order of the score file.
#[derive(Debug, Clone)]
pub struct Track2Table {
    /// The score file and the key file.
    pub sources: Vec<PathBuf>,
    /// Claimed speaker of each trial (`spk`).
    pub speakers: Vec<String>,
    /// Test utterance of each trial (`filename`).
    pub filenames: Vec<String>,
    /// Class and scores of each trial.
    pub trials: SasvTrials,
    /// Things the reader did that a report should mention (dummy rows left out, CM or ASV
    /// scores missing for some trials).
    pub warnings: Vec<String>,
}

/// How many names an error about unmatched trials lists.
const LISTED: usize = 5;

/// Reads a Track 2 score file and its key file and joins them by (speaker, file name).
///
/// Errors name the file and the line: a missing column, a row with the wrong number of
/// fields, a score that is not a number or not finite, an unknown or inconsistent label, a
/// trial listed twice (both lines named); and, for the files as a whole, trials of the key
/// without a score or scored trials missing from the key (how many, and the first few).
pub fn read_track2(scores: &Path, key: &Path) -> Result<Track2Table, InputError> {
    let key_rows = read_key(key)?;
    let mut speakers = Vec::new();
    let mut filenames = Vec::new();
    let mut trials = Vec::new();
    let mut scored: HashMap<(String, String), u64> = HashMap::new();
    let mut not_in_key: Vec<String> = Vec::new();
    let mut n_not_in_key = 0usize;
    let mut dummies = 0usize;

    for_each_row(
        scores,
        &[
            &["spk", "tar_spk_anon"],
            &["filename", "trial_anon"],
            &["cm-score"],
            &["asv-score"],
            &["sasv-score"],
        ],
        &[],
        |line, f| {
            let id = (f[0].to_owned(), f[1].to_owned());
            let sasv = score(scores, line, "sasv-score", f[4])?.ok_or_else(|| {
                line_error(
                    scores,
                    line,
                    "sasv-score is `-`; every trial needs one".into(),
                )
            })?;
            let cm = score(scores, line, "cm-score", f[2])?;
            let asv = score(scores, line, "asv-score", f[3])?;
            if let Some(first) = scored.insert(id.clone(), line) {
                return Err(line_error(
                    scores,
                    line,
                    format!(
                        "trial {}/{} is scored twice (first on line {first})",
                        id.0, id.1
                    ),
                ));
            }
            match key_rows.get(&id) {
                Some(KeyRow { class: None, .. }) => dummies += 1,
                Some(&KeyRow {
                    class: Some(class), ..
                }) => {
                    speakers.push(id.0);
                    filenames.push(id.1);
                    trials.push(SasvTrial {
                        class,
                        sasv,
                        cm,
                        asv,
                    });
                }
                None => {
                    n_not_in_key += 1;
                    if not_in_key.len() < LISTED {
                        not_in_key.push(format!("{}/{}", id.0, id.1));
                    }
                }
            }
            Ok(())
        },
    )?;

    if n_not_in_key > 0 {
        return Err(InputError::File {
            path: scores.to_owned(),
            message: format!(
                "{n_not_in_key} scored trial(s) are not in the key {}: {}",
                key.display(),
                list(&not_in_key, n_not_in_key)
            ),
        });
    }
    // Dummy rows need no score; the rest are listed in the order of the key file.
    let mut unscored: Vec<(u64, String)> = key_rows
        .iter()
        .filter(|(id, row)| row.class.is_some() && !scored.contains_key(*id))
        .map(|(id, row)| (row.line, format!("{}/{}", id.0, id.1)))
        .collect();
    if !unscored.is_empty() {
        unscored.sort();
        let names: Vec<String> = unscored
            .iter()
            .take(LISTED)
            .map(|(_, n)| n.clone())
            .collect();
        return Err(InputError::File {
            path: scores.to_owned(),
            message: format!(
                "{} trial(s) of the key {} have no score: {}",
                unscored.len(),
                key.display(),
                list(&names, unscored.len())
            ),
        });
    }
    if trials.is_empty() {
        return Err(InputError::File {
            path: scores.to_owned(),
            message: "no trials".into(),
        });
    }

    let mut warnings = Vec::new();
    if dummies > 0 {
        warnings.push(format!(
            "{dummies} trial(s) tagged `dummy` in the key's track_2_tag column were left out"
        ));
    }
    for (name, missing) in [
        ("cm-score", trials.iter().filter(|t| t.cm.is_none()).count()),
        (
            "asv-score",
            trials.iter().filter(|t| t.asv.is_none()).count(),
        ),
    ] {
        if missing > 0 && missing < trials.len() {
            warnings.push(format!(
                "{name} is `-` for {missing} of {} trials; t-DCF and t-EER need it for every trial",
                trials.len()
            ));
        }
    }
    let trials = SasvTrials::new(trials).map_err(|e| InputError::File {
        path: scores.to_owned(),
        message: e.to_string(),
    })?;
    Ok(Track2Table {
        sources: vec![scores.to_owned(), key.to_owned()],
        speakers,
        filenames,
        trials,
        warnings,
    })
}

/// One row of the key: its class (`None` for a `dummy` row) and line.
struct KeyRow {
    class: Option<SasvClass>,
    line: u64,
}

/// Reads the key file into (speaker, file name) → row.
fn read_key(path: &Path) -> Result<HashMap<(String, String), KeyRow>, InputError> {
    let mut rows: HashMap<(String, String), KeyRow> = HashMap::new();
    for_each_row(
        path,
        &[
            &["spk", "tar_spk_anon"],
            &["filename", "trial_anon"],
            &["cm-label", "cm_label"],
            &["asv-label", "asv_label"],
        ],
        &["track_2_tag"],
        |line, f| {
            let class = class(path, line, f[2], f[3])?;
            let dummy = f.get(4).is_some_and(|tag| *tag == "dummy");
            let id = (f[0].to_owned(), f[1].to_owned());
            if let Some(first) = rows.get(&id) {
                return Err(line_error(
                    path,
                    line,
                    format!(
                        "trial {}/{} is listed twice (first on line {})",
                        id.0, id.1, first.line
                    ),
                ));
            }
            rows.insert(
                id,
                KeyRow {
                    class: (!dummy).then_some(class),
                    line,
                },
            );
            Ok(())
        },
    )?;
    if rows.is_empty() {
        return Err(InputError::File {
            path: path.to_owned(),
            message: "no trials".into(),
        });
    }
    Ok(rows)
}

/// The class of a key row from its CM and ASV labels, which must agree.
fn class(path: &Path, line: u64, cm: &str, asv: &str) -> Result<SasvClass, InputError> {
    let spoof_cm = match cm.to_ascii_lowercase().as_str() {
        "bonafide" => false,
        "spoof" => true,
        _ => {
            return Err(line_error(
                path,
                line,
                format!("cm-label `{cm}` is neither `bonafide` nor `spoof`"),
            ));
        }
    };
    let class = match asv.to_ascii_lowercase().as_str() {
        "target" => SasvClass::Target,
        "nontarget" => SasvClass::NonTarget,
        "spoof" => SasvClass::Spoof,
        _ => {
            return Err(line_error(
                path,
                line,
                format!("asv-label `{asv}` is not `target`, `nontarget` or `spoof`"),
            ));
        }
    };
    if spoof_cm != (class == SasvClass::Spoof) {
        return Err(line_error(
            path,
            line,
            format!("cm-label `{cm}` contradicts asv-label `{asv}` (spoof goes with spoof)"),
        ));
    }
    Ok(class)
}

/// A score field: `-` is `None`; anything else must be a finite number.
fn score(path: &Path, line: u64, column: &str, field: &str) -> Result<Option<f64>, InputError> {
    if field == "-" {
        return Ok(None);
    }
    let value: f64 = field
        .parse()
        .map_err(|_| line_error(path, line, format!("{column} `{field}` is not a number")))?;
    if !value.is_finite() {
        return Err(line_error(
            path,
            line,
            format!("{column} `{field}` is not a finite number"),
        ));
    }
    Ok(Some(value))
}

/// Calls `row(line, fields)` for each data row of a headed, whitespace-separated file, with
/// `fields` holding the `required` columns (each found under any of its names) and then the
/// `optional` ones that are present. Blank lines are skipped.
fn for_each_row(
    path: &Path,
    required: &[&[&str]],
    optional: &[&str],
    mut row: impl FnMut(u64, &[&str]) -> Result<(), InputError>,
) -> Result<(), InputError> {
    let io = |source| InputError::Io {
        path: path.to_owned(),
        source,
    };
    let mut reader = BufReader::new(File::open(path).map_err(io)?);
    let mut buf = Vec::new();
    let mut line = 0u64;
    let mut columns: Option<(Vec<usize>, usize)> = None; // field indices, header width
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf).map_err(io)? == 0 {
            break;
        }
        line += 1;
        let text = std::str::from_utf8(&buf)
            .map_err(|_| line_error(path, line, "not UTF-8 text".into()))?;
        let text = if line == 1 {
            text.trim_start_matches('\u{feff}')
        } else {
            text
        };
        let all: Vec<&str> = text.split_whitespace().collect();
        if all.is_empty() {
            continue;
        }
        let Some((indices, width)) = &columns else {
            columns = Some((header(path, line, &all, required, optional)?, all.len()));
            continue;
        };
        if all.len() != *width {
            return Err(line_error(
                path,
                line,
                format!("{} fields, but the header has {width} columns", all.len()),
            ));
        }
        let fields: Vec<&str> = indices.iter().map(|&i| all[i]).collect();
        row(line, &fields)?;
    }
    if columns.is_none() {
        return Err(InputError::File {
            path: path.to_owned(),
            message: "empty file: a header line is required".into(),
        });
    }
    Ok(())
}

/// The positions of the required columns, then of the optional ones present.
fn header(
    path: &Path,
    line: u64,
    names: &[&str],
    required: &[&[&str]],
    optional: &[&str],
) -> Result<Vec<usize>, InputError> {
    let find = |aliases: &[&str]| names.iter().position(|n| aliases.contains(n));
    let mut indices = Vec::with_capacity(required.len() + optional.len());
    for aliases in required {
        let Some(i) = find(aliases) else {
            let expected: Vec<&str> = required.iter().map(|a| a[0]).collect();
            return Err(line_error(
                path,
                line,
                format!(
                    "no `{}` column; the header must name the columns `{}` (found `{}`)",
                    aliases[0],
                    expected.join(" "),
                    names.join(" ")
                ),
            ));
        };
        indices.push(i);
    }
    indices.extend(optional.iter().filter_map(|name| find(&[name])));
    Ok(indices)
}

fn line_error(path: &Path, line: u64, message: String) -> InputError {
    InputError::Line {
        path: path.to_owned(),
        line,
        message,
    }
}

/// `a, b, c` or `a, b, c, ...` when there are more than listed.
fn list(names: &[String], total: usize) -> String {
    let mut s = names.join(", ");
    if total > names.len() {
        s.push_str(", ...");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCORES: &str = "spk\tfilename\tcm-score\tasv-score\tsasv-score\n\
        E_01\tE_001\t2.5\t1.5\t3.0\n\
        E_01\tE_002\t-1.0\t0.5\t-2.0\n\
        E_02\tE_001\t2.5\t-3.0\t-1.0\n";
    const KEY: &str = "spk filename cm-label asv-label attack codec\n\
        E_02 E_001 bonafide nontarget - C00\n\
        E_01 E_001 bonafide target - C00\n\
        E_01 E_002 spoof spoof A11 C01\n";

    /// Writes the two files and reads them.
    fn read(scores: &str, key: &str) -> Result<Track2Table, InputError> {
        let dir = tempfile::tempdir().unwrap();
        let (s, k) = (dir.path().join("scores.tsv"), dir.path().join("key.tsv"));
        std::fs::write(&s, scores).unwrap();
        std::fs::write(&k, key).unwrap();
        read_track2(&s, &k)
    }

    /// The error message of reading, which must fail.
    fn error(scores: &str, key: &str) -> String {
        read(scores, key).unwrap_err().to_string()
    }

    fn assert_contains(message: &str, parts: &[&str]) {
        for part in parts {
            assert!(message.contains(part), "`{part}` not in: {message}");
        }
    }

    #[test]
    fn joins_by_speaker_and_file_in_score_order() {
        let t = read(SCORES, KEY).unwrap();
        assert_eq!(t.speakers, ["E_01", "E_01", "E_02"]);
        assert_eq!(t.filenames, ["E_001", "E_002", "E_001"]);
        let classes: Vec<SasvClass> = t.trials.trials().iter().map(|t| t.class).collect();
        assert_eq!(
            classes,
            [SasvClass::Target, SasvClass::Spoof, SasvClass::NonTarget]
        );
        let first = t.trials.trials()[0];
        assert_eq!(
            (first.sasv, first.cm, first.asv),
            (3.0, Some(2.5), Some(1.5))
        );
        assert!(t.warnings.is_empty());
        assert_eq!(t.sources.len(), 2);
    }

    #[test]
    fn dash_means_no_cm_or_asv_score() {
        let scores = "spk filename cm-score asv-score sasv-score\n\
            E_01 E_001 - - 0.04\nE_01 E_002 - - 0.05\nE_02 E_001 - 1.0 0.01\n";
        let t = read(scores, KEY).unwrap();
        assert!(t.trials.trials().iter().all(|t| t.cm.is_none()));
        assert_eq!(t.trials.trials()[2].asv, Some(1.0));
        assert_eq!(t.warnings.len(), 1, "{:?}", t.warnings);
        assert_contains(&t.warnings[0], &["asv-score", "2 of 3"]);
    }

    #[test]
    fn package_column_names_and_dummy_rows() {
        let key = "tar_spk_anon trial_anon cm_label asv_label track_2_tag\n\
            E_01 E_001 bonafide target eval\nE_01 E_002 spoof spoof dummy\n\
            E_02 E_001 bonafide nontarget eval\nE_09 E_009 spoof spoof dummy\n";
        let t = read(SCORES, key).unwrap();
        assert_eq!(t.trials.len(), 2);
        assert_contains(&t.warnings[0], &["1 trial", "dummy"]);
    }

    #[test]
    fn missing_column() {
        let e = error("spk filename cm-score asv-score\nE_01 E_001 1 2\n", KEY);
        assert_contains(&e, &["scores.tsv:1:", "no `sasv-score` column"]);
        let e = error(SCORES, "spk filename cm-label\nE_01 E_001 bonafide\n");
        assert_contains(&e, &["key.tsv:1:", "no `asv-label` column"]);
    }

    #[test]
    fn wrong_number_of_fields() {
        let e = error(&format!("{SCORES}E_03 E_003 1.0 2.0\n"), KEY);
        assert_contains(&e, &["scores.tsv:5:", "4 fields", "5 columns"]);
    }

    #[test]
    fn unparsable_number() {
        let e = error(&SCORES.replace("-2.0", "-2,0"), KEY);
        assert_contains(&e, &["scores.tsv:3:", "sasv-score `-2,0` is not a number"]);
    }

    #[test]
    fn nan_and_infinity() {
        let e = error(&SCORES.replace("1.5", "NaN"), KEY);
        assert_contains(
            &e,
            &["scores.tsv:2:", "asv-score `NaN` is not a finite number"],
        );
        let e = error(&SCORES.replace("-1.0\t0.5", "-inf\t0.5"), KEY);
        assert_contains(
            &e,
            &["scores.tsv:3:", "cm-score `-inf` is not a finite number"],
        );
    }

    #[test]
    fn sasv_score_is_required() {
        let e = error(&SCORES.replace("3.0\n", "-\n"), KEY);
        assert_contains(&e, &["scores.tsv:2:", "sasv-score is `-`"]);
    }

    #[test]
    fn duplicate_trial_names_both_lines() {
        let e = error(&format!("{SCORES}E_01\tE_002\t1\t1\t1\n"), KEY);
        assert_contains(
            &e,
            &["scores.tsv:5:", "E_01/E_002", "twice", "first on line 3"],
        );
        let e = error(SCORES, &format!("{KEY}E_01 E_001 bonafide target - C00\n"));
        assert_contains(
            &e,
            &["key.tsv:5:", "E_01/E_001", "twice", "first on line 3"],
        );
    }

    #[test]
    fn keys_without_scores() {
        let mut key = KEY.to_owned();
        for i in 0..7 {
            key.push_str(&format!("E_05 E_10{i} bonafide target - C00\n"));
        }
        let e = error(SCORES, &key);
        assert_contains(
            &e,
            &[
                "scores.tsv:",
                "7 trial(s) of the key",
                "have no score",
                "E_05/E_100, E_05/E_101",
            ],
        );
        assert_contains(&e, &["E_05/E_104, ..."]);
        assert!(!e.contains("E_05/E_105"), "{e}");
    }

    #[test]
    fn scores_without_keys() {
        let e = error(
            &format!("{SCORES}E_07\tE_070\t1\t1\t1\nE_07\tE_071\t1\t1\t1\n"),
            KEY,
        );
        assert_contains(
            &e,
            &[
                "scores.tsv:",
                "2 scored trial(s) are not in the key",
                "E_07/E_070, E_07/E_071",
            ],
        );
    }

    #[test]
    fn bad_or_contradictory_labels() {
        let e = error(SCORES, &KEY.replace("nontarget", "impostor"));
        assert_contains(&e, &["key.tsv:2:", "asv-label `impostor`"]);
        let e = error(
            SCORES,
            &KEY.replace("bonafide nontarget", "genuine nontarget"),
        );
        assert_contains(&e, &["key.tsv:2:", "cm-label `genuine`"]);
        let e = error(SCORES, &KEY.replace("bonafide target", "spoof target"));
        assert_contains(&e, &["key.tsv:3:", "contradicts"]);
    }

    #[test]
    fn empty_files_and_missing_files() {
        assert_contains(&error("", KEY), &["scores.tsv", "header line is required"]);
        assert_contains(
            &error(SCORES, "\n\n"),
            &["key.tsv", "header line is required"],
        );
        assert_contains(
            &error(SCORES, "spk filename cm-label asv-label\n"),
            &["key.tsv", "no trials"],
        );
        let missing = read_track2(
            Path::new("/nonexistent/s.tsv"),
            Path::new("/nonexistent/k.tsv"),
        );
        assert!(matches!(missing, Err(InputError::Io { .. })));
    }

    #[test]
    fn not_utf8() {
        let dir = tempfile::tempdir().unwrap();
        let (s, k) = (dir.path().join("scores.tsv"), dir.path().join("key.tsv"));
        std::fs::write(
            &s,
            b"spk filename cm-score asv-score sasv-score\nE_01 \xff 1 1 1\n",
        )
        .unwrap();
        std::fs::write(&k, KEY).unwrap();
        let e = read_track2(&s, &k).unwrap_err().to_string();
        assert_contains(&e, &["scores.tsv:2:", "not UTF-8"]);
    }
}
