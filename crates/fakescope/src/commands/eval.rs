//! `fakescope eval`: read scores, compute every metric, print or write the report.

use std::io::{Read, Write};

use anyhow::{Context, Result, bail};
use fakescope_eval::evaluate::{self, Bootstrap, CalibrationFile, EvalOptions, VideoPool};
use fakescope_eval::input::{self, HigherMeans, ReadOptions, ScoreKind};
use fakescope_eval::report;

use crate::cli::{
    EvalArgs, GlobalArgs, HigherMeansArg, ScoreInputArgs, ScoreKindArg, VideoPoolArg,
};

/// Runs `fakescope eval`; any unreadable input is an error (exit 2).
pub fn run(global: &GlobalArgs, args: &EvalArgs) -> Result<bool> {
    if is_track2(&args.scores[0]) {
        let Some(key) = &args.input.key else {
            bail!(
                "{} is an ASVspoof 5 Track 2 score file: give its key with --key",
                args.scores[0].display()
            );
        };
        if args.scores.len() > 1 {
            bail!("Track 2 evaluation reads one score file and one key");
        }
        let table = fakescope_eval::input::track2::read_track2(&args.scores[0], key)?;
        let report = fakescope_eval::track2::evaluate_track2(&table);
        return print_report(global, args, &report);
    }
    let opts = read_options(&args.input)?;
    let table = input::read_scores(&args.scores, &opts)?;
    let calibration = match &args.calibration {
        Some(path) => Some((read_calibration(path)?, path.display().to_string())),
        None => None,
    };
    let eval_opts = EvalOptions {
        threshold: args.threshold,
        video_pool: match args.video_aggregate {
            VideoPoolArg::Mean => VideoPool::Mean,
            VideoPoolArg::Max => VideoPool::Max,
            VideoPoolArg::Median => VideoPool::Median,
        },
        bootstrap: args.bootstrap.map(|resamples| Bootstrap {
            resamples,
            seed: args.seed,
        }),
        calibration,
        dcf: Default::default(),
    };
    let report = evaluate::evaluate(&table, &eval_opts)?;
    print_report(global, args, &report)
}

/// Prints the report in the chosen form and writes the HTML file when asked.
fn print_report(global: &GlobalArgs, args: &EvalArgs, report: &report::Report) -> Result<bool> {
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer(&mut out, report)?;
        writeln!(out)?;
    } else if args.markdown {
        out.write_all(report::markdown::render(report).as_bytes())?;
    } else {
        out.write_all(report::text::render(report).as_bytes())?;
    }
    out.flush()?;
    if let Some(path) = &args.html {
        std::fs::write(path, report::html::render(report))
            .with_context(|| format!("cannot write {}", path.display()))?;
        if !global.quiet {
            eprintln!("fakescope: wrote {}", path.display());
        }
    }
    Ok(true)
}

/// Whether the header of `path` is that of an ASVspoof 5 Track 2 score file
/// (`spk filename cm-score asv-score sasv-score`).
fn is_track2(path: &std::path::Path) -> bool {
    use std::io::BufRead;
    let Ok(file) = std::fs::File::open(path) else {
        return false;
    };
    let mut first = Vec::new();
    let _ = std::io::BufReader::new(file)
        .take(4096)
        .read_until(b'\n', &mut first);
    let header = String::from_utf8_lossy(&first).to_ascii_lowercase();
    header.contains("sasv-score") || header.contains("sasv_score")
}

/// The reader options from the shared flags.
pub fn read_options(a: &ScoreInputArgs) -> Result<ReadOptions> {
    Ok(ReadOptions {
        label_col: a.label_col.clone(),
        score_col: a.score_col.clone(),
        id_col: a.id_col.clone(),
        video_col: a.video_col.clone(),
        group_col: a.group_col.clone(),
        condition_col: a.condition_col.clone(),
        higher_means: a.higher_means.map(|h| match h {
            HigherMeansArg::Fake => HigherMeans::Fake,
            HigherMeansArg::Real => HigherMeans::Real,
        }),
        score_kind: a.score_kind.map(|k| match k {
            ScoreKindArg::Probability => ScoreKind::Probability,
            ScoreKindArg::Llr => ScoreKind::Llr,
            ScoreKindArg::Score => ScoreKind::Score,
        }),
        key: a.key.clone(),
        labels: a.labels.clone(),
        label_from_dir: a
            .label_from_dir
            .as_deref()
            .map(parse_label_from_dir)
            .transpose()?,
        video_from_parent: a.video_from_parent,
        detector: a.detector.clone(),
    })
}

/// `fake=DeepFake,real=Real` → `[("DeepFake", true), ("Real", false)]`.
fn parse_label_from_dir(s: &str) -> Result<Vec<(String, bool)>> {
    let mut out = Vec::new();
    for part in s.split(',').filter(|p| !p.trim().is_empty()) {
        let Some((class, dir)) = part.split_once('=') else {
            bail!("--label-from-dir: `{part}` is not CLASS=DIR (e.g. fake=DeepFake,real=Real)");
        };
        let fake = match class.trim().to_ascii_lowercase().as_str() {
            "fake" | "spoof" | "1" => true,
            "real" | "bonafide" | "bona-fide" | "0" => false,
            other => bail!("--label-from-dir: class `{other}` is neither fake nor real"),
        };
        let dir = dir.trim();
        if dir.is_empty() {
            bail!("--label-from-dir: empty directory name in `{part}`");
        }
        out.push((dir.to_string(), fake));
    }
    if !out.iter().any(|(_, f)| *f) || !out.iter().any(|(_, f)| !*f) {
        bail!("--label-from-dir needs a directory for each class, e.g. fake=DeepFake,real=Real");
    }
    Ok(out)
}

/// Reads a calibration written by `fakescope calibrate fit`.
pub fn read_calibration(path: &std::path::Path) -> Result<CalibrationFile> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read calibration {}", path.display()))?;
    serde_json::from_str(&text)
        .with_context(|| format!("{}: not a fakescope calibration file", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_from_dir_parses_both_classes() {
        let v = parse_label_from_dir("fake=DeepFake,fake=FaceSwap,real=Real").unwrap();
        assert_eq!(
            v,
            [
                ("DeepFake".to_string(), true),
                ("FaceSwap".to_string(), true),
                ("Real".to_string(), false)
            ]
        );
        assert!(parse_label_from_dir("fake=DeepFake").is_err());
        assert!(parse_label_from_dir("fake:DeepFake,real=Real").is_err());
        assert!(parse_label_from_dir("maybe=X,real=Real").is_err());
    }
}
