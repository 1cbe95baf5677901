//! `fakescope calibrate fit | fuse | apply`.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use fakescope_eval::evaluate::CalibrationFile;
use fakescope_eval::input;
use fakescope_metrics::fusion::{DetectorFusion, fit_fusion};

use crate::cli::{CalibrateCommand, GlobalArgs, ScoreInputArgs};
use crate::commands::eval::{read_calibration, read_options};

/// Runs `fakescope calibrate ...`.
pub fn run(global: &GlobalArgs, command: &CalibrateCommand) -> Result<bool> {
    match command {
        CalibrateCommand::Fit {
            dev,
            input: input_args,
            prior,
            output,
        } => {
            if !(*prior > 0.0 && *prior < 1.0) {
                bail!("--prior must be strictly between 0 and 1, not {prior}");
            }
            let table = input::read_scores(dev, &read_options(input_args)?)?;
            let cal = CalibrationFile::fit(&table, *prior)
                .with_context(|| "cannot fit a calibration on these scores")?;
            let json = serde_json::to_string_pretty(&cal)?;
            std::fs::write(output, json + "\n")
                .with_context(|| format!("cannot write {}", output.display()))?;
            if !global.quiet {
                let c = &cal.calibration;
                eprintln!(
                    "fakescope: calibrated fake-vs-real LLR = {:.6} * {} + {:.6} (prior {}, {} trials); wrote {}",
                    c.a,
                    if cal.applies_to == "logit" {
                        "logit(p)"
                    } else {
                        "score"
                    },
                    c.b,
                    c.prior,
                    table.scores.len(),
                    output.display()
                );
            }
            Ok(true)
        }
        CalibrateCommand::Fuse {
            dev,
            detectors,
            input: input_args,
            prior,
            output,
        } => {
            let fusion = fuse(dev, detectors, input_args, *prior)?;
            let json = serde_json::to_string_pretty(&fusion)?;
            std::fs::write(output, json + "\n")
                .with_context(|| format!("cannot write {}", output.display()))?;
            if !global.quiet {
                let f = &fusion.fusion;
                let terms: Vec<String> = fusion
                    .detectors
                    .iter()
                    .zip(&f.weights)
                    .map(|(d, w)| format!("{w:.4} * logit({d})"))
                    .collect();
                eprintln!(
                    "fakescope: fused fake-vs-real LLR = {} + {:.4} (prior {}, {} fake and {} real files); wrote {}",
                    terms.join(" + "),
                    f.bias,
                    f.prior,
                    f.n_fake,
                    f.n_real,
                    output.display()
                );
            }
            Ok(true)
        }
        CalibrateCommand::Apply {
            calibration,
            scores,
            input: input_args,
            output,
        } => {
            let cal = read_calibration(calibration)?;
            let mut table = input::read_scores(scores, &read_options(input_args)?)?;
            cal.apply(&mut table)
                .map_err(|m| anyhow::anyhow!("{}: {m}", calibration.display()))?;
            let mut text = String::with_capacity(table.scores.len() * 24);
            text.push_str("id,label,fake_llr\n");
            for (i, (&s, &f)) in table.scores.iter().zip(&table.fake).enumerate() {
                let id = match &table.ids {
                    Some(ids) => csv_field(&ids[i]),
                    None => i.to_string(),
                };
                text.push_str(&format!("{id},{},{s}\n", if f { "fake" } else { "real" }));
            }
            match output {
                Some(path) => std::fs::write(path, text)
                    .with_context(|| format!("cannot write {}", path.display()))?,
                None => {
                    let mut out = std::io::stdout().lock();
                    out.write_all(text.as_bytes())?;
                    out.flush()?;
                }
            }
            Ok(true)
        }
    }
}

/// Fits a fusion of `detectors` on development scans: each detector's probabilities are read
/// as `fakescope eval --detector NAME` reads them, joined by file; files some detector did not
/// score are left out (and counted in the error when too few remain).
fn fuse(
    dev: &[PathBuf],
    detectors: &[String],
    input_args: &ScoreInputArgs,
    prior: f64,
) -> Result<DetectorFusion> {
    if !(prior > 0.0 && prior < 1.0) {
        bail!("--prior must be strictly between 0 and 1, not {prior}");
    }
    if detectors.len() < 2 {
        bail!("a fusion needs at least two detectors (--fuse NAME, repeated)");
    }
    let mut per_detector: Vec<HashMap<String, (f64, bool)>> = Vec::new();
    for name in detectors {
        let mut args = input_args.clone();
        args.detector = Some(name.clone());
        let table = input::read_scores(dev, &read_options(&args)?)
            .with_context(|| format!("cannot read the scores of {name}"))?;
        if table.kind != input::ScoreKind::Probability {
            bail!(
                "{name}: a fusion reads fake probabilities (the scans of `fakescope scan --json`)"
            );
        }
        let ids = table
            .ids
            .as_ref()
            .context("the scans have no file paths to join the detectors on")?;
        per_detector.push(
            ids.iter()
                .zip(table.scores.iter().zip(&table.fake))
                .map(|(id, (&s, &f))| (id.clone(), (s, f)))
                .collect(),
        );
    }
    let mut ids: Vec<&String> = per_detector[0]
        .keys()
        .filter(|id| per_detector.iter().all(|m| m.contains_key(*id)))
        .collect();
    ids.sort();
    let logit = |p: f64| {
        let p = p.clamp(1e-12, 1.0 - 1e-12);
        (p / (1.0 - p)).ln()
    };
    let x: Vec<Vec<f64>> = ids
        .iter()
        .map(|id| per_detector.iter().map(|m| logit(m[*id].0)).collect())
        .collect();
    let fake: Vec<bool> = ids.iter().map(|id| per_detector[0][*id].1).collect();
    let fusion = fit_fusion(&x, &fake, prior).with_context(|| {
        format!(
            "cannot fit a fusion on the {} files every detector scored",
            ids.len()
        )
    })?;
    Ok(DetectorFusion {
        method: DetectorFusion::METHOD.into(),
        detectors: detectors.to_vec(),
        input: "logit of the detector's fake probability".into(),
        fusion,
        fitted_on: dev.iter().map(|p| p.display().to_string()).collect(),
    })
}

/// Quotes a CSV field when it needs it (RFC 4180).
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
