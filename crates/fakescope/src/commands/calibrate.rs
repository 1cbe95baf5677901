//! `fakescope calibrate fit | apply`.

use std::io::Write;

use anyhow::{Context, Result, bail};
use fakescope_eval::evaluate::CalibrationFile;
use fakescope_eval::input;

use crate::cli::{CalibrateCommand, GlobalArgs};
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

/// Quotes a CSV field when it needs it (RFC 4180).
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
