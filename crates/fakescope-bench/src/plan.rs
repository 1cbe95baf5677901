//! The plan: which detectors, on which labelled sets, under which perturbations (TOML).
//!
//! ```toml
//! name = "shared"
//! seed = 1
//! detectors = ["mesoinception4-df", "aasist"]
//! # A name alone is every level of a distortion; `name:level` one level. `clean` is implicit.
//! perturbations = ["jpeg", "blur:3", "mp3"]
//! bootstrap = 1000
//!
//! [scan]            # scan settings shared by every set (the fields of `fakescope scan`)
//! frames = 16
//!
//! [[sets]]
//! name = "lfw-faceswap"
//! path = "${FAKESCOPE_SHARED}/data/lfw-faceswap"   # folder, CSV/JSONL manifest or DeepfakeBench JSON
//! split = "test"        # only this split of a manifest
//! limit = 150           # at most this many files per class (a seeded choice)
//! groups = "source"     # fairness groups: source, generator, group or video
//! detectors = ["mesoinception4-df"]                 # a subset of the plan's (default: all)
//! perturbations = ["jpeg:3"]                        # instead of the plan's
//! scan = { crops = true }                           # settings of this set only
//! ```
//!
//! Everything is checked before any file is scored: unknown keys, distortions and levels,
//! detectors a set names that the plan does not, splits, group keys. Errors list what exists.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use fakescope_datasets::{Dataset, Label, OpenOptions, Sample, Split};
use fakescope_perturb::robustness::{Distortion, Medium, Perturbation};
use fakescope_scan::ScanSettings;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::Error;

/// A plan as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Names the report.
    pub name: String,
    /// What the plan measures, for the report.
    #[serde(default)]
    pub description: String,
    /// Seed of the file choice (`limit`), of the perturbations and of the bootstrap.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Detector names (or model folders), as `fakescope scan --detector` takes them.
    pub detectors: Vec<String>,
    /// Distortions (`jpeg`: every level; `jpeg:3`: one level).
    #[serde(default)]
    pub perturbations: Vec<String>,
    /// Bootstrap resamples for the 95% intervals (0: none).
    #[serde(default = "default_bootstrap")]
    pub bootstrap: usize,
    /// Scan settings of every set.
    #[serde(default)]
    pub scan: toml::Table,
    /// The labelled sets.
    pub sets: Vec<SetPlan>,
}

fn default_seed() -> u64 {
    1
}

fn default_bootstrap() -> usize {
    1000
}

/// One labelled set of a plan.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetPlan {
    /// Its name in the report (unique in the plan).
    pub name: String,
    /// A folder with `real/` and `fake/`, a CSV or JSONL manifest, a DeepfakeBench JSON, or
    /// an ASVspoof protocol or key (`.txt`, `.tsv`); `${VAR}` is expanded, and a relative path
    /// is relative to the plan's folder.
    pub path: String,
    /// For an ASVspoof protocol: the folder of its recordings (default: `flac/` beside it, or
    /// its own folder).
    #[serde(default)]
    pub audio: Option<String>,
    /// Only the samples of this split (`train`, `val`, `test`, `heldout`).
    #[serde(default)]
    pub split: Option<String>,
    /// At most this many files per class, chosen by a seeded hash of their paths (0: all).
    #[serde(default)]
    pub limit: usize,
    /// The sample field that names fairness groups: `source`, `generator`, `group`, `video`.
    #[serde(default)]
    pub groups: Option<String>,
    /// The detectors run on this set (default: the plan's).
    #[serde(default)]
    pub detectors: Option<Vec<String>>,
    /// The perturbations of this set (default: the plan's).
    #[serde(default)]
    pub perturbations: Option<Vec<String>>,
    /// Scan settings of this set, over the plan's `[scan]`.
    #[serde(default)]
    pub scan: toml::Table,
}

/// What a file is scored under: as it is, or perturbed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Condition {
    /// The file as it is.
    Clean,
    /// A distortion at a level.
    Perturbed(Perturbation),
}

impl Condition {
    /// `clean`, or `jpeg:3`.
    pub fn label(self) -> String {
        match self {
            Condition::Clean => "clean".into(),
            Condition::Perturbed(p) => p.to_string(),
        }
    }

    /// Whether it applies to a file of this medium (clean applies to all).
    pub fn applies_to(self, medium: Medium) -> bool {
        match self {
            Condition::Clean => true,
            Condition::Perturbed(p) => p.distortion.medium() == medium,
        }
    }
}

/// How a sample's fairness group is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// `Sample::source`.
    Source,
    /// `Sample::generator`.
    Generator,
    /// `Sample::group`.
    Group,
    /// `Sample::video`.
    Video,
}

impl GroupBy {
    fn parse(s: &str) -> Option<GroupBy> {
        Some(match s {
            "source" => GroupBy::Source,
            "generator" => GroupBy::Generator,
            "group" => GroupBy::Group,
            "video" => GroupBy::Video,
            _ => return None,
        })
    }

    /// The group of a sample, if it has one.
    pub fn of(self, s: &Sample) -> Option<&str> {
        match self {
            GroupBy::Source => s.source.as_deref(),
            GroupBy::Generator => s.generator.as_deref(),
            GroupBy::Group => s.group.as_deref(),
            GroupBy::Video => s.video.as_deref(),
        }
    }
}

/// A set ready to run: its samples read and chosen, its settings merged and checked.
#[derive(Debug, Clone)]
pub struct BenchSet {
    /// Name in the report.
    pub name: String,
    /// The folder or manifest read.
    pub origin: PathBuf,
    /// The chosen samples, in the reader's order.
    pub samples: Vec<Sample>,
    /// Samples before `split` and `limit` were applied.
    pub available: usize,
    /// The split kept, if any.
    pub split: Option<Split>,
    /// Detectors run on it (names as the plan writes them).
    pub detectors: Vec<String>,
    /// Clean first, then the perturbations in plan order.
    pub conditions: Vec<Condition>,
    /// Its scan settings (detectors left empty).
    pub settings: ScanSettings,
    /// A digest of the settings: scores cached under other settings are not reused.
    pub settings_digest: String,
    /// Fairness groups, if any.
    pub groups: Option<GroupBy>,
}

/// A checked plan.
#[derive(Debug, Clone)]
pub struct Bench {
    /// The plan's name.
    pub name: String,
    /// Its description.
    pub description: String,
    /// Seed of choices, perturbations and bootstrap.
    pub seed: u64,
    /// Bootstrap resamples (0: none).
    pub bootstrap: usize,
    /// Every detector, in plan order.
    pub detectors: Vec<String>,
    /// The sets, in plan order.
    pub sets: Vec<BenchSet>,
}

impl Plan {
    /// Reads a plan file (strict TOML).
    pub fn read(path: &Path) -> Result<Plan, Error> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Plan(format!("{}: {e}", path.display())))?;
        toml::from_str(&text).map_err(|e| Error::Plan(format!("{}: {e}", path.display())))
    }

    /// Checks the plan and reads its sets; relative paths are relative to `base` (the plan's
    /// folder). Nothing is decoded.
    pub fn resolve(&self, base: &Path) -> Result<Bench, Error> {
        let bad = |m: String| Err(Error::Plan(m));
        if self.detectors.is_empty() {
            return bad("`detectors` is empty: name at least one".into());
        }
        if self.sets.is_empty() {
            return bad("no `[[sets]]`: name at least one labelled set".into());
        }
        if !self.scan.is_empty() && self.scan.contains_key("detectors") {
            return bad("[scan] cannot name detectors: use the plan's `detectors`".into());
        }
        let default_conditions = conditions(&self.perturbations, "perturbations")?;
        let mut names = BTreeSet::new();
        let mut sets = Vec::new();
        for (i, set) in self.sets.iter().enumerate() {
            let at = format!("sets[{i}] ({})", set.name);
            if set.name.is_empty() || !names.insert(set.name.clone()) {
                return bad(format!("{at}: set names must be present and unique"));
            }
            let detectors = match &set.detectors {
                None => self.detectors.clone(),
                Some(d) => {
                    if let Some(unknown) = d.iter().find(|n| !self.detectors.contains(n)) {
                        return bad(format!(
                            "{at}: detector `{unknown}` is not among the plan's detectors ({})",
                            self.detectors.join(", ")
                        ));
                    }
                    d.clone()
                }
            };
            let conditions = match &set.perturbations {
                None => default_conditions.clone(),
                Some(p) => conditions(p, &format!("{at}.perturbations"))?,
            };
            let groups = match &set.groups {
                None => None,
                Some(g) => Some(GroupBy::parse(g).ok_or_else(|| {
                    Error::Plan(format!(
                        "{at}.groups: `{g}` is not a sample field; use source, generator, group or video"
                    ))
                })?),
            };
            let split = match &set.split {
                None => None,
                Some(s) => Some(
                    s.parse::<Split>()
                        .map_err(|e| Error::Plan(format!("{at}.split: {e}")))?,
                ),
            };
            let settings = merge_settings(&self.scan, &set.scan)
                .map_err(|e| Error::Plan(format!("{at}.scan: {e}")))?;
            settings
                .scan_options()
                .map_err(|e| Error::Plan(format!("{at}.scan: {e}")))?;
            let settings_digest = digest(&serde_json::to_string(&settings).unwrap_or_default());
            let path = fakescope_datasets::resolve_path(&set.path, base)
                .map_err(|e| Error::Plan(format!("{at}.path: {e}")))?;
            let options = OpenOptions { check_files: true };
            let dataset = match &set.audio {
                Some(audio) => {
                    let audio = fakescope_datasets::resolve_path(audio, base)
                        .map_err(|e| Error::Plan(format!("{at}.audio: {e}")))?;
                    fakescope_datasets::read_asvspoof(&path, Some(&audio), &options)
                }
                None => fakescope_datasets::open(&path, &options),
            }
            .map_err(|e| Error::Plan(format!("{at}: {e}")))?;
            let available = dataset.samples.len();
            let samples = choose(&dataset, split, set.limit, self.seed);
            if samples.is_empty() {
                return bad(format!(
                    "{at}: no sample left{}",
                    split
                        .map(|s| format!(" in split {}", s.as_str()))
                        .unwrap_or_default()
                ));
            }
            sets.push(BenchSet {
                name: set.name.clone(),
                origin: dataset.origin.clone(),
                samples,
                available,
                split,
                detectors,
                conditions,
                settings,
                settings_digest,
                groups,
            });
        }
        Ok(Bench {
            name: self.name.clone(),
            description: self.description.clone(),
            seed: self.seed,
            bootstrap: self.bootstrap,
            detectors: self.detectors.clone(),
            sets,
        })
    }
}

/// `clean` and the conditions the specs name (`jpeg`: every level, `jpeg:3`: one), without
/// repeats, in order.
pub fn conditions(specs: &[String], field: &str) -> Result<Vec<Condition>, Error> {
    let mut out = vec![Condition::Clean];
    for spec in specs {
        let spec = spec.trim();
        let found: Vec<Perturbation> = if spec == "clean" {
            Vec::new()
        } else if spec.contains(':') {
            vec![
                spec.parse::<Perturbation>()
                    .map_err(|e| Error::Plan(format!("{field}: {e}")))?,
            ]
        } else {
            let d = Distortion::from_name(spec).ok_or_else(|| {
                let names: Vec<&str> = Distortion::ALL.iter().map(|d| d.name()).collect();
                Error::Plan(format!(
                    "{field}: unknown distortion `{spec}`; known: {}",
                    names.join(", ")
                ))
            })?;
            (1..=d.levels()).filter_map(|l| d.at(l).ok()).collect()
        };
        for p in found {
            let c = Condition::Perturbed(p);
            if !out.contains(&c) {
                out.push(c);
            }
        }
    }
    Ok(out)
}

/// The plan's `[scan]` with the set's keys over it, read as [`ScanSettings`] (unknown keys
/// are errors).
fn merge_settings(base: &toml::Table, over: &toml::Table) -> Result<ScanSettings, String> {
    if over.contains_key("detectors") {
        return Err("cannot name detectors: use the set's `detectors`".into());
    }
    let mut table = base.clone();
    for (k, v) in over {
        table.insert(k.clone(), v.clone());
    }
    let settings: ScanSettings = table
        .try_into()
        .map_err(|e: toml::de::Error| e.to_string())?;
    Ok(settings)
}

/// The split's samples, at most `limit` per class chosen by a seeded hash of the path (so the
/// choice does not depend on the manifest's order), kept in the reader's order.
fn choose(dataset: &Dataset, split: Option<Split>, limit: usize, seed: u64) -> Vec<Sample> {
    let kept: Vec<&Sample> = dataset
        .samples
        .iter()
        .filter(|s| split.is_none() || s.split == split)
        .collect();
    if limit == 0 {
        return kept.into_iter().cloned().collect();
    }
    let mut chosen = vec![false; kept.len()];
    for label in [Label::Real, Label::Fake] {
        let mut ranked: Vec<(String, usize)> = kept
            .iter()
            .enumerate()
            .filter(|(_, s)| s.label == label)
            .map(|(i, s)| (digest(&format!("{seed}:{}", s.path.display())), i))
            .collect();
        ranked.sort();
        for (_, i) in ranked.into_iter().take(limit) {
            chosen[i] = true;
        }
    }
    kept.into_iter()
        .zip(chosen)
        .filter(|(_, c)| *c)
        .map(|(s, _)| s.clone())
        .collect()
}

/// The first 16 hex digits of the SHA-256 of `text`.
pub(crate) fn digest(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (class, n) in [("real", 5), ("fake", 3)] {
            std::fs::create_dir_all(dir.path().join(class)).unwrap();
            for i in 0..n {
                std::fs::write(dir.path().join(class).join(format!("{i}.png")), b"x").unwrap();
            }
        }
        dir
    }

    fn plan(text: &str) -> Result<Plan, toml::de::Error> {
        toml::from_str(text)
    }

    #[test]
    fn a_plan_resolves_its_sets_conditions_and_settings() {
        let dir = folder();
        let p = plan(
            r#"
            name = "t"
            detectors = ["a", "b"]
            perturbations = ["jpeg", "blur:2", "jpeg:3"]
            [scan]
            frames = 8
            [[sets]]
            name = "s"
            path = "."
            limit = 2
            detectors = ["b"]
            scan = { crops = true }
            "#,
        )
        .unwrap();
        let bench = p.resolve(dir.path()).unwrap();
        let set = &bench.sets[0];
        assert_eq!(set.detectors, ["b"]);
        // clean, jpeg:1..5, blur:2 (jpeg:3 only once)
        let labels: Vec<String> = set.conditions.iter().map(|c| c.label()).collect();
        assert_eq!(
            labels,
            [
                "clean", "jpeg:1", "jpeg:2", "jpeg:3", "jpeg:4", "jpeg:5", "blur:2"
            ]
        );
        assert_eq!(set.samples.len(), 4, "2 per class");
        assert_eq!(set.available, 8);
        assert!(set.settings.crops);
        assert_eq!(set.settings.frames, 8);
        // The same seed chooses the same files.
        let again = p.resolve(dir.path()).unwrap();
        assert_eq!(again.sets[0].samples, set.samples);
    }

    #[test]
    fn an_asvspoof_protocol_is_a_set_with_its_recordings_elsewhere() {
        let dir = tempfile::tempdir().unwrap();
        let audio = dir.path().join("LA/flac");
        std::fs::create_dir_all(&audio).unwrap();
        for f in ["LA_E_1", "LA_E_2", "LA_E_3"] {
            std::fs::write(audio.join(format!("{f}.flac")), b"x").unwrap();
        }
        std::fs::write(
            dir.path().join("trl.txt"),
            "LA_0039 LA_E_1 - A11 spoof\nLA_0014 LA_E_2 - - bonafide\nLA_0014 LA_E_3 - A13 spoof\n",
        )
        .unwrap();
        let p = plan(
            r#"
            name = "t"
            detectors = ["aasist"]
            [[sets]]
            name = "la19"
            path = "trl.txt"
            audio = "LA/flac"
            groups = "generator"
            "#,
        )
        .unwrap();
        let bench = p.resolve(dir.path()).unwrap();
        let set = &bench.sets[0];
        assert_eq!(set.samples.len(), 3);
        let spoofs: Vec<Option<&str>> = set
            .samples
            .iter()
            .filter(|s| s.label == Label::Fake)
            .map(|s| s.generator.as_deref())
            .collect();
        assert_eq!(spoofs.len(), 2);
        assert!(spoofs.contains(&Some("A13")));
        // Without `audio`, the recordings are looked for beside the protocol: missing.
        let p = plan(
            r#"
            name = "t"
            detectors = ["aasist"]
            [[sets]]
            name = "la19"
            path = "trl.txt"
            "#,
        )
        .unwrap();
        let e = p.resolve(dir.path()).err().unwrap().to_string();
        assert!(e.contains("do not exist"), "{e}");
    }

    #[test]
    fn mistakes_are_named_with_what_exists() {
        let dir = folder();
        let err = |text: &str| match plan(text) {
            Err(e) => e.to_string(),
            Ok(p) => p.resolve(dir.path()).unwrap_err().to_string(),
        };
        let base = "name = \"t\"\ndetectors = [\"a\"]\n";
        let set = "[[sets]]\nname = \"s\"\npath = \".\"\n";
        let e = err(&format!("{base}perturbations = [\"sharpen\"]\n{set}"));
        assert!(
            e.contains("unknown distortion `sharpen`") && e.contains("pixelation"),
            "{e}"
        );
        let e = err(&format!("{base}perturbations = [\"jpeg:9\"]\n{set}"));
        assert!(e.contains("level 9 is outside 1..=5"), "{e}");
        let e = err(&format!("{base}{set}detectors = [\"z\"]\n"));
        assert!(
            e.contains("detector `z` is not among the plan's detectors (a)"),
            "{e}"
        );
        let e = err(&format!("{base}{set}groups = \"age\"\n"));
        assert!(e.contains("source, generator, group or video"), "{e}");
        let e = err(&format!("{base}{set}scan = {{ crop_size = 3 }}\n"));
        assert!(e.contains("crop_size"), "{e}");
        let e = err(&format!("{base}{set}split = \"test\"\n"));
        assert!(e.contains("no sample left in split test"), "{e}");
        let e = err(&format!("{base}colour = 1\n{set}"));
        assert!(e.contains("colour"), "{e}");
        let e = err(&format!(
            "{base}[[sets]]\nname = \"s\"\npath = \"missing\"\n"
        ));
        assert!(e.contains("missing"), "{e}");
    }
}
