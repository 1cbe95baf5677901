//! What a higher score means and what kind of number it is: decided once for all score files,
//! then applied so that the table is always higher = fake.

use rayon::prelude::*;

use super::rows::Part;
use super::score_file::{FileFacts, Format};
use super::{HigherMeans, InputError, ReadOptions, ScoreKind};

/// What a higher score means, and why: the option, else what every file says of itself.
pub(crate) fn decide_direction(
    files: &[&FileFacts],
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
pub(crate) fn decide_kind(
    files: &[&FileFacts],
    opts: &ReadOptions,
) -> Result<ScoreKind, InputError> {
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

/// Checks that probabilities lie in [0, 1] and turns scores around when higher meant real:
/// negated, or `1 - p` for probabilities so that they stay probabilities.
pub(crate) fn orient(
    scores: &mut [f64],
    direction: HigherMeans,
    kind: ScoreKind,
    part: &Part,
    score_col: &str,
) -> Result<(), InputError> {
    if kind == ScoreKind::Probability
        && let Some(row) = scores
            .par_iter()
            .position_first(|s| !(0.0..=1.0).contains(s))
    {
        return Err(part.row_error(
            row,
            format!(
                "score {} in column `{score_col}` is not a probability in [0, 1] (pass \
                 --score-kind score if it is not meant to be one)",
                scores[row]
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
    Ok(())
}
