//! Checkpoints: the model, the optimiser state and the loop's position, written so that a kill
//! at any moment leaves either the previous checkpoint or the new one, never half of one.
//!
//! A run folder holds:
//!
//! ```text
//! RUN/recipe.toml                     the effective recipe (after command-line overrides)
//! RUN/log.jsonl                       one JSON object per logged step and per validation
//! RUN/checkpoints/step-00000500/      model.bpk, optim.bpk, state.json (written last)
//! RUN/best/                           the best model on validation: model.bpk, state.json,
//!                                     val_scores.json
//! ```
//!
//! A checkpoint is written into `checkpoints/.partial-…`, synced, then renamed: the rename is
//! atomic, so a folder named `step-…` is always complete. Leftover `.partial-…` folders of a
//! killed run are removed when the run resumes.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::Error;

/// Where the loop stands (`state.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainState {
    /// Steps done.
    pub step: usize,
    /// The architecture (a checkpoint of another one is refused).
    pub arch: String,
    /// The recipe's training digest (a checkpoint of another recipe is refused).
    pub recipe_digest: String,
    /// The best validation so far.
    pub best: Option<Validation>,
    /// Validations since the best one (early stopping).
    pub since_best: usize,
    /// Whether early stopping ended the run.
    pub stopped_early: bool,
    /// Sum and count of the training losses since the last logged step (so that the log of a
    /// resumed run is the log of an uninterrupted one).
    #[serde(default)]
    pub pending_loss: (f64, usize),
}

/// One validation's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Validation {
    /// Step it was made at.
    pub step: usize,
    /// ROC AUC (fake positive).
    pub auc: f64,
    /// Mean binary cross-entropy.
    pub loss: f64,
    /// Validation units (reals and fakes) scored.
    pub n: usize,
}

/// File names inside a checkpoint folder.
pub const MODEL_FILE: &str = "model.bpk";
/// The optimiser's state.
pub const OPTIM_FILE: &str = "optim.bpk";
/// The loop's state, written last.
pub const STATE_FILE: &str = "state.json";

/// The checkpoints of one run folder.
#[derive(Debug, Clone)]
pub struct Checkpoints {
    dir: PathBuf,
}

impl Checkpoints {
    /// The checkpoints under `run/checkpoints`.
    pub fn new(run: &Path) -> Checkpoints {
        Checkpoints {
            dir: run.join("checkpoints"),
        }
    }

    /// The newest complete checkpoint, if any; removes unfinished `.partial-…` folders.
    pub fn latest(&self) -> Result<Option<PathBuf>, Error> {
        if !self.dir.is_dir() {
            return Ok(None);
        }
        let mut best: Option<(usize, PathBuf)> = None;
        for entry in fs::read_dir(&self.dir).map_err(|e| Error::io(&self.dir, e))? {
            let entry = entry.map_err(|e| Error::io(&self.dir, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            if name.starts_with(".partial-") {
                fs::remove_dir_all(&path).map_err(|e| Error::io(&path, e))?;
                continue;
            }
            let Some(step) = name
                .strip_prefix("step-")
                .and_then(|s| s.parse::<usize>().ok())
            else {
                continue;
            };
            if path.join(STATE_FILE).is_file() && best.as_ref().is_none_or(|(s, _)| step > *s) {
                best = Some((step, path));
            }
        }
        Ok(best.map(|(_, p)| p))
    }

    /// Writes a checkpoint for `state.step` with `write` (which fills the folder it is given
    /// with the model and optimiser files), then `state.json`, then renames it into place and
    /// keeps only the `keep` newest.
    pub fn save(
        &self,
        state: &TrainState,
        keep: usize,
        write: impl FnOnce(&Path) -> Result<(), Error>,
    ) -> Result<PathBuf, Error> {
        let name = format!("step-{:08}", state.step);
        let final_dir = self.dir.join(&name);
        let partial = self.dir.join(format!(".partial-{name}"));
        write_atomically(&partial, &final_dir, state, write)?;
        self.prune(keep)?;
        Ok(final_dir)
    }

    fn prune(&self, keep: usize) -> Result<(), Error> {
        let mut steps: Vec<(usize, PathBuf)> = fs::read_dir(&self.dir)
            .map_err(|e| Error::io(&self.dir, e))?
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let step = name.strip_prefix("step-")?.parse::<usize>().ok()?;
                Some((step, e.path()))
            })
            .collect();
        steps.sort();
        let excess = steps.len().saturating_sub(keep);
        for (_, path) in steps.into_iter().take(excess) {
            fs::remove_dir_all(&path).map_err(|e| Error::io(&path, e))?;
        }
        Ok(())
    }
}

/// Fills `partial` with `write`, adds `state.json`, syncs, and renames it to `target`
/// (replacing an older `target`).
pub fn write_atomically(
    partial: &Path,
    target: &Path,
    state: &TrainState,
    write: impl FnOnce(&Path) -> Result<(), Error>,
) -> Result<(), Error> {
    if partial.exists() {
        fs::remove_dir_all(partial).map_err(|e| Error::io(partial, e))?;
    }
    fs::create_dir_all(partial).map_err(|e| Error::io(partial, e))?;
    write(partial)?;
    let state_path = partial.join(STATE_FILE);
    let json = serde_json::to_vec_pretty(state).map_err(|e| Error::Invalid(e.to_string()))?;
    write_synced(&state_path, &json)?;
    for file in [MODEL_FILE, OPTIM_FILE] {
        let p = partial.join(file);
        if p.is_file() {
            fs::File::open(&p)
                .and_then(|f| f.sync_all())
                .map_err(|e| Error::io(&p, e))?;
        }
    }
    if target.exists() {
        // An older folder of the same name (the best model being replaced): move it aside
        // first, so that a kill between the two renames leaves a complete `.old-…` copy.
        let old = target.with_file_name(format!(
            ".old-{}",
            target.file_name().unwrap_or_default().to_string_lossy()
        ));
        if old.exists() {
            fs::remove_dir_all(&old).map_err(|e| Error::io(&old, e))?;
        }
        fs::rename(target, &old).map_err(|e| Error::io(target, e))?;
        fs::rename(partial, target).map_err(|e| Error::io(partial, e))?;
        fs::remove_dir_all(&old).map_err(|e| Error::io(&old, e))?;
    } else {
        fs::rename(partial, target).map_err(|e| Error::io(partial, e))?;
    }
    if let Some(parent) = target.parent() {
        // Make the rename itself durable.
        if let Ok(dir) = fs::File::open(parent) {
            let _ = dir.sync_all();
        }
    }
    Ok(())
}

/// Writes `bytes` to `path` through a temporary file in the same folder, synced, then renamed.
pub fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    use std::io::Write;
    let tmp = path.with_file_name(format!(
        ".tmp-{}",
        path.file_name().unwrap_or_default().to_string_lossy()
    ));
    let mut file = fs::File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
    file.write_all(bytes).map_err(|e| Error::io(&tmp, e))?;
    file.sync_all().map_err(|e| Error::io(&tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}

/// Reads `state.json` of a checkpoint folder.
pub fn read_state(dir: &Path) -> Result<TrainState, Error> {
    let path = dir.join(STATE_FILE);
    let bytes = fs::read(&path).map_err(|e| Error::io(&path, e))?;
    serde_json::from_slice(&bytes).map_err(|e| Error::Checkpoint {
        path: dir.to_owned(),
        message: format!("state.json is not valid: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(step: usize) -> TrainState {
        TrainState {
            step,
            arch: "a".into(),
            recipe_digest: "d".into(),
            best: None,
            since_best: 0,
            stopped_early: false,
            pending_loss: (0.0, 0),
        }
    }

    #[test]
    fn latest_is_the_newest_complete_one_and_partials_are_cleaned() {
        let tmp = tempfile::tempdir().unwrap();
        let c = Checkpoints::new(tmp.path());
        assert_eq!(c.latest().unwrap(), None);
        for step in [100, 200, 300] {
            c.save(&state(step), 2, |dir| {
                write_synced(&dir.join(MODEL_FILE), b"m")
            })
            .unwrap();
        }
        // A killed write: a partial folder, and a step folder without state.json.
        fs::create_dir_all(tmp.path().join("checkpoints/.partial-step-00000400")).unwrap();
        fs::create_dir_all(tmp.path().join("checkpoints/step-00000500")).unwrap();
        let latest = c.latest().unwrap().unwrap();
        assert!(latest.ends_with("step-00000300"), "{latest:?}");
        assert_eq!(read_state(&latest).unwrap().step, 300);
        assert!(
            !tmp.path()
                .join("checkpoints/.partial-step-00000400")
                .exists()
        );
        // keep = 2: step 100 is gone.
        assert!(!tmp.path().join("checkpoints/step-00000100").exists());
    }

    #[test]
    fn a_failing_writer_leaves_no_checkpoint() {
        let tmp = tempfile::tempdir().unwrap();
        let c = Checkpoints::new(tmp.path());
        let err = c.save(&state(1), 2, |_| Err(Error::Invalid("disk full".into())));
        assert!(err.is_err());
        assert_eq!(c.latest().unwrap(), None);
    }
}
