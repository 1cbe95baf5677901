//! Scores already computed, in `scores.jsonl` of the output folder: one line per file,
//! condition and detector. A re-run reads it first and scores only what is missing (one more
//! detector, one more set, a run stopped half-way); lines written under other scan settings
//! are kept in the file but not reused.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::Error;

/// One score: `fake_probability` is `None` when the detector gave none (no face found, a file
/// that could not be decoded), with the reason in `note`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreLine {
    /// The set's name.
    pub set: String,
    /// The file, as the set lists it.
    pub path: String,
    /// `clean` or `distortion:level`.
    pub condition: String,
    /// The detector, as the plan names it.
    pub detector: String,
    /// Digest of the set's scan settings.
    pub settings: String,
    /// The detector's fake probability for the file.
    pub fake_probability: Option<f64>,
    /// Why there is no score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

type Key = (String, String, String, String, String);

fn key(l: &ScoreLine) -> Key {
    (
        l.set.clone(),
        l.path.clone(),
        l.condition.clone(),
        l.detector.clone(),
        l.settings.clone(),
    )
}

/// The scores of an output folder, in memory, and the file new ones are appended to.
pub struct ScoreCache {
    path: PathBuf,
    lines: HashMap<Key, ScoreLine>,
    out: File,
}

impl ScoreCache {
    /// Opens (or creates) `dir/scores.jsonl`. A line that cannot be read (a run killed while
    /// writing it) is skipped; the rest are kept.
    pub fn open(dir: &Path) -> Result<ScoreCache, Error> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let path = dir.join("scores.jsonl");
        let mut lines = HashMap::new();
        if path.exists() {
            let f = File::open(&path).map_err(|e| Error::io(&path, e))?;
            for line in BufReader::new(f).lines() {
                let line = line.map_err(|e| Error::io(&path, e))?;
                if let Ok(l) = serde_json::from_str::<ScoreLine>(&line) {
                    lines.insert(key(&l), l);
                }
            }
        }
        let out = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        Ok(ScoreCache { path, lines, out })
    }

    /// The score of a file under a condition, if computed with these settings.
    pub fn get(
        &self,
        set: &str,
        path: &str,
        condition: &str,
        detector: &str,
        settings: &str,
    ) -> Option<&ScoreLine> {
        self.lines.get(&(
            set.to_owned(),
            path.to_owned(),
            condition.to_owned(),
            detector.to_owned(),
            settings.to_owned(),
        ))
    }

    /// Records scores and appends them to the file at once (a stopped run loses nothing).
    pub fn put(&mut self, new: Vec<ScoreLine>) -> Result<(), Error> {
        let mut text = String::new();
        for l in &new {
            text.push_str(&serde_json::to_string(l).expect("a score line serialises"));
            text.push('\n');
        }
        self.out
            .write_all(text.as_bytes())
            .and_then(|_| self.out.flush())
            .map_err(|e| Error::io(&self.path, e))?;
        for l in new {
            self.lines.insert(key(&l), l);
        }
        Ok(())
    }
}
