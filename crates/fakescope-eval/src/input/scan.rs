//! The output of `fakescope scan --json`: one file report per line.
//!
//! ```json
//! {"path":"a/fake/x.wav","media":"audio","fake_probability":0.93,"verdict":"likely_fake",
//!  "detectors":[{"name":"aasist","fake_probability":0.93,...}],"note":null,"error":null}
//! ```
//!
//! The trial id is `path`; the score is the file's combined `fake_probability`, or with
//! `--detector NAME` that detector's. Higher = fake, and the scores are probabilities. Reports
//! with an `error`, or with no probability (no detector applied, or the chosen detector did not
//! score the file), are skipped and counted in the warnings. Labels come from `--labels`,
//! `--key` or `--label-from-dir`.

use std::collections::BTreeSet;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::InputError;
use super::rows::{Part, Rows};
use super::text::{Block, TextFile, par_blocks};

/// The parts of a `FileReport` that evaluation needs; other fields are ignored.
#[derive(Deserialize)]
struct Report {
    path: String,
    #[serde(default)]
    fake_probability: Option<f64>,
    #[serde(default)]
    detectors: Vec<DetectorScore>,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
struct DetectorScore {
    name: String,
    #[serde(default)]
    fake_probability: Option<f64>,
}

/// Whether the first object of a JSON Lines file is a `fakescope scan` report.
pub(crate) fn is_scan_output(first: &Map<String, Value>) -> bool {
    first.contains_key("path") && first.contains_key("detectors")
}

/// Examples kept per reason for skipping.
const EXAMPLES: usize = 3;

/// Reports skipped for one reason: how many, and the first few (`path (why)`).
#[derive(Default)]
struct Skipped {
    count: usize,
    examples: Vec<String>,
}

impl Skipped {
    fn add(&mut self, example: impl FnOnce() -> String) {
        self.count += 1;
        if self.examples.len() < EXAMPLES {
            self.examples.push(example());
        }
    }

    fn merge(&mut self, other: Skipped) {
        self.count += other.count;
        let room = EXAMPLES - self.examples.len();
        self.examples.extend(other.examples.into_iter().take(room));
    }

    fn warning(&self, what: &str) -> Option<String> {
        (self.count > 0).then(|| {
            let more = if self.count > self.examples.len() {
                ", ..."
            } else {
                ""
            };
            let files = if self.count == 1 { "file" } else { "files" };
            format!(
                "skipped {} {files} {what}: {}{more}",
                self.count,
                self.examples.join(", ")
            )
        })
    }
}

/// Rows of one block and what was skipped in it.
#[derive(Default)]
struct Scanned {
    rows: Rows,
    failed: Skipped,
    unscored: Skipped,
    not_by_detector: Skipped,
    detectors: BTreeSet<String>,
}

/// Reads the reports of `file` into `part` (ids and scores). Returns the warnings about
/// skipped reports.
pub(crate) fn read(
    file: &mut TextFile,
    detector: Option<&str>,
    file_bytes: u64,
    part: &mut Part,
) -> Result<Vec<String>, InputError> {
    let path = file.path().to_path_buf();
    let parse = |block: &Block| -> Result<Scanned, InputError> {
        let mut out = Scanned {
            rows: Rows {
                bytes: block.text.len(),
                ..Rows::default()
            },
            ..Default::default()
        };
        for (line, text) in block.lines() {
            let error = |message: String| InputError::Line {
                path: path.clone(),
                line,
                message,
            };
            let report: Report = serde_json::from_str(text)
                .map_err(|e| error(format!("not a fakescope scan report: {e}")))?;
            out.detectors
                .extend(report.detectors.iter().map(|d| d.name.clone()));
            if let Some(why) = &report.error {
                out.failed.add(|| format!("{} ({why})", report.path));
                continue;
            }
            let probability = match detector {
                Some(name) => {
                    let p = report
                        .detectors
                        .iter()
                        .find(|d| d.name == name)
                        .and_then(|d| d.fake_probability);
                    if p.is_none() {
                        out.not_by_detector.add(|| report.path.clone());
                    }
                    p
                }
                None => {
                    if report.fake_probability.is_none() {
                        let why = report.note.as_deref().unwrap_or("no probability");
                        out.unscored.add(|| format!("{} ({why})", report.path));
                    }
                    report.fake_probability
                }
            };
            if let Some(p) = probability {
                if report.path.is_empty() {
                    return Err(error("empty path".to_string()));
                }
                out.rows
                    .push(line, Some(report.path), Some(p), None, [None; 3])
                    .map_err(error)?;
            }
        }
        Ok(out)
    };
    let mut all = Scanned::default();
    par_blocks(file, parse, |block| {
        part.append(block.rows, file_bytes);
        all.failed.merge(block.failed);
        all.unscored.merge(block.unscored);
        all.not_by_detector.merge(block.not_by_detector);
        all.detectors.extend(block.detectors);
        Ok(())
    })?;
    if let Some(name) = detector
        && !all.detectors.contains(name)
    {
        let seen: Vec<&str> = all.detectors.iter().map(String::as_str).collect();
        return Err(InputError::Usage(format!(
            "{}: no report has detector `{name}` (--detector); the detectors are: {}",
            path.display(),
            if seen.is_empty() {
                "none".to_string()
            } else {
                seen.join(", ")
            }
        )));
    }
    let detector_what = format!(
        "that detector `{}` did not score",
        detector.unwrap_or_default()
    );
    let warnings: Vec<String> = [
        all.failed.warning("that could not be scanned"),
        all.unscored.warning("with no fake probability"),
        all.not_by_detector.warning(&detector_what),
    ]
    .into_iter()
    .flatten()
    .map(|w| format!("{}: {w}", path.display()))
    .collect();
    Ok(warnings)
}
