//! ASVspoof score, key and protocol files: which headerless layouts are recognised, and how
//! their columns are named. The formats themselves are described in the [`input`](super)
//! module docs (section *ASVspoof files*).

use super::labels::{LabelColumn, is_key_word};

/// What a file is read for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    /// A score file (labels in it are optional).
    Scores,
    /// A key or label file (`--key`, `--labels`).
    Labels,
}

/// The column names and description of a headerless file.
#[derive(Debug, Clone)]
pub(crate) struct Headerless {
    /// Column names given to the fields.
    pub columns: Vec<String>,
    /// What kind of file this is, for messages.
    pub what: &'static str,
}

/// Whether the first line of a file is data rather than a header: it has a number or an
/// ASVspoof key word (`bonafide`, `spoof`) in it.
pub(crate) fn looks_like_data(fields: &[String]) -> bool {
    fields
        .iter()
        .any(|f| f.trim_ascii().parse::<f64>().is_ok() || is_key_word(f))
}

/// Whether a table with these columns is an ASVspoof 5 score file.
pub(crate) fn is_score_file(columns: &[String]) -> bool {
    columns.iter().any(|c| c == "filename") && columns.iter().any(|c| c == "cm-score")
}

/// The layout of a headerless file whose first line has these fields, if it is one of the
/// known ASVspoof layouts (see the module docs).
pub(crate) fn headerless_layout(fields: &[String], side: Side) -> Option<Headerless> {
    let key = |i: usize| fields.get(i).is_some_and(|f| is_key_word(f));
    let number = |i: usize| {
        fields
            .get(i)
            .is_some_and(|f| f.trim_ascii().parse::<f64>().is_ok())
    };
    let n = fields.len();
    let (names, what): (&[&str], &'static str) = match side {
        Side::Scores if n == 2 && number(1) => {
            (&["filename", "score"], "headerless `FILE SCORE` score file")
        }
        Side::Scores if n == 4 && key(2) && number(3) => (
            &["filename", "attack", "key", "score"],
            "headerless `FILE ATTACK KEY SCORE` score file (ASVspoof 2019 baseline)",
        ),
        Side::Scores if n == 4 && number(2) && key(3) => (
            &["speaker", "filename", "score", "key"],
            "headerless `SPEAKER FILE SCORE KEY` score file (ASVspoof 5 baseline)",
        ),
        Side::Labels if n == 2 && LabelColumn::default().parse(&fields[1]).is_ok() => {
            (&["path", "label"], "headerless `PATH LABEL` label file")
        }
        Side::Labels => {
            // The protocols and keys of the challenges: the layouts of the sets' reader.
            let layout = fakescope_datasets::asvspoof::protocol_layout(fields)?;
            (layout.columns, layout.what)
        }
        _ => return None,
    };
    let mut columns: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    columns.extend((columns.len()..n).map(|i| format!("col{}", i + 1)));
    Some(Headerless { columns, what })
}
