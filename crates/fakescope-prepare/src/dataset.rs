//! The rearranged dataset JSON DeepfakeBench trains and tests from (`rearrange.py`):
//!
//! ```json
//! {"FaceForensics++": {"FF-DF": {"train": {"c23": {"000_003": {"label": "FF-DF",
//!     "frames": ["/abs/…/frames/000_003/000.png", …]}}}, "val": {…}, "test": {…}}}}
//! ```
//!
//! `dataset → label → split → video → {label, frames}`. Labels are DeepfakeBench's names
//! (`FF-real`, `FF-DF`, `CelebDFv2_fake`, …), which its `label_dict` maps to 0/1; every label
//! has all three splits. For the datasets whose loader expects it (FaceForensics++, its
//! methods, DeepFakeDetection, FaceShifter), a compression level (`c23`, …) sits between split
//! and video, taken from the video's path.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::error::Error;

/// DeepfakeBench's splits.
pub const SPLITS: [&str; 3] = ["train", "val", "test"];

/// Compression levels recognised in paths, FaceForensics++'s folder names.
pub const COMPRESSION_LEVELS: [&str; 4] = ["raw", "c0", "c23", "c40"];

/// Labels given by the folders a video sits in: `LABEL=DIR` rules, the deepest matching folder
/// of the video's path winning.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LabelRules {
    rules: Vec<(String, String)>,
}

impl LabelRules {
    /// Parses `LABEL=DIR[,LABEL=DIR…]`, e.g. `FF-DF=Deepfakes,FF-real=youtube`.
    pub fn parse(spec: &str) -> Result<LabelRules, Error> {
        let mut rules = Vec::new();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part.split_once('=') {
                Some((label, dir)) if !label.trim().is_empty() && !dir.trim().is_empty() => {
                    rules.push((label.trim().to_owned(), dir.trim().to_owned()));
                }
                _ => {
                    return Err(Error::Invalid(format!(
                        "label rule {part:?} is not LABEL=DIR (e.g. FF-DF=Deepfakes)"
                    )));
                }
            }
        }
        Ok(LabelRules { rules })
    }

    /// FaceForensics++'s folders and DeepfakeBench's names for them (`rearrange.py`):
    /// `Deepfakes` → `FF-DF`, `Face2Face` → `FF-F2F`, `FaceSwap` → `FF-FS`,
    /// `NeuralTextures` → `FF-NT`, `FaceShifter` → `FF-FH`, `youtube` → `FF-real`,
    /// `DeepFakeDetection` → `DFD_fake`, `actors` → `DFD_real`.
    pub fn faceforensics() -> LabelRules {
        let pairs = [
            ("FF-DF", "Deepfakes"),
            ("FF-F2F", "Face2Face"),
            ("FF-FS", "FaceSwap"),
            ("FF-NT", "NeuralTextures"),
            ("FF-FH", "FaceShifter"),
            ("FF-real", "youtube"),
            ("DFD_fake", "DeepFakeDetection"),
            ("DFD_real", "actors"),
        ];
        LabelRules {
            rules: pairs
                .iter()
                .map(|(l, d)| (l.to_string(), d.to_string()))
                .collect(),
        }
    }

    /// The label of the video at `path`: the rule matching its deepest folder, if any.
    pub fn label(&self, path: &Path) -> Option<&str> {
        let dirs: Vec<&std::ffi::OsStr> = path.parent()?.iter().collect();
        dirs.iter().rev().find_map(|dir| {
            self.rules
                .iter()
                .find(|(_, d)| std::ffi::OsStr::new(d) == *dir)
                .map(|(l, _)| l.as_str())
        })
    }
}

/// Which split each video belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Splits {
    default: String,
    by_video: HashMap<String, String>,
}

fn check_split(split: &str) -> Result<(), Error> {
    if SPLITS.contains(&split) {
        Ok(())
    } else {
        Err(Error::Invalid(format!(
            "unknown split {split:?}: expected train, val or test"
        )))
    }
}

impl Splits {
    /// Every video in `default` until split files say otherwise.
    pub fn new(default: &str) -> Result<Splits, Error> {
        check_split(default)?;
        Ok(Splits {
            default: default.to_owned(),
            by_video: HashMap::new(),
        })
    }

    /// Reads a split file (FaceForensics++'s `train.json`/`val.json`/`test.json`): a JSON
    /// array whose items are video names, or pairs `[a, b]` — FaceForensics++'s source/target
    /// pairs, which put `a`, `b`, `a_b` and `b_a` in `split`, as DeepfakeBench does.
    pub fn add_file(&mut self, split: &str, path: &Path) -> Result<(), Error> {
        check_split(split)?;
        let text = std::fs::read_to_string(path).map_err(Error::io(path))?;
        let bad = |why: String| Error::Invalid(format!("{}: {why}", path.display()));
        let items: Vec<Value> = serde_json::from_str(&text)
            .map_err(|e| bad(format!("not a JSON array of names or pairs: {e}")))?;
        for item in items {
            let names: Vec<String> = match &item {
                Value::String(s) => vec![s.clone()],
                Value::Array(pair) => match pair.as_slice() {
                    [Value::String(a), Value::String(b)] => {
                        vec![a.clone(), b.clone(), format!("{a}_{b}"), format!("{b}_{a}")]
                    }
                    _ => return Err(bad(format!("{item} is not a pair of names"))),
                },
                _ => return Err(bad(format!("{item} is not a name or a pair"))),
            };
            for name in names {
                self.by_video.insert(name, split.to_owned());
            }
        }
        Ok(())
    }

    /// The split of the video named `video`.
    pub fn split(&self, video: &str) -> &str {
        self.by_video.get(video).unwrap_or(&self.default)
    }
}

/// Whether DeepfakeBench's loader expects a compression level under each split of `dataset`.
pub fn has_compression_level(dataset: &str) -> bool {
    matches!(
        dataset,
        "FaceForensics++"
            | "FF-DF"
            | "FF-F2F"
            | "FF-FS"
            | "FF-NT"
            | "DeepFakeDetection"
            | "FaceShifter"
    )
}

/// The compression level named by a folder of `path` (`c23`, …), `c23` when none is.
pub fn compression_level(path: &Path) -> &'static str {
    path.iter()
        .rev()
        .find_map(|dir| {
            COMPRESSION_LEVELS
                .iter()
                .find(|c| std::ffi::OsStr::new(c) == dir)
        })
        .copied()
        .unwrap_or("c23")
}

/// The rearranged JSON of one dataset, built video by video.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DatasetJson {
    name: String,
    labels: BTreeMap<String, BTreeMap<&'static str, Map<String, Value>>>,
}

impl DatasetJson {
    /// An empty dataset called `name` (the top-level key).
    pub fn new(name: &str) -> DatasetJson {
        DatasetJson {
            name: name.to_owned(),
            labels: BTreeMap::new(),
        }
    }

    /// Adds `video` with its `frames` under `label` and `split`, below `compression` when
    /// given. `split` must be one of [`SPLITS`].
    pub fn add(
        &mut self,
        label: &str,
        split: &str,
        compression: Option<&str>,
        video: &str,
        frames: &[PathBuf],
    ) -> Result<(), Error> {
        check_split(split)?;
        let splits = self
            .labels
            .entry(label.to_owned())
            .or_insert_with(|| SPLITS.iter().map(|s| (*s, Map::new())).collect());
        if let Some(level) = compression {
            // DeepfakeBench's loader indexes the level in every split, even an empty one.
            for videos in splits.values_mut() {
                videos
                    .entry(level)
                    .or_insert_with(|| Value::Object(Map::new()));
            }
        }
        let split_key = SPLITS
            .iter()
            .find(|s| **s == split)
            .copied()
            .unwrap_or("test");
        let mut videos = splits.entry(split_key).or_default();
        if let Some(level) = compression {
            videos = videos
                .entry(level)
                .or_insert_with(|| Value::Object(Map::new()))
                .as_object_mut()
                .ok_or_else(|| Error::Invalid(format!("{level} is both a video and a level")))?;
        }
        let frames: Vec<Value> = frames
            .iter()
            .map(|f| Value::from(f.to_string_lossy()))
            .collect();
        videos.insert(video.to_owned(), json!({"label": label, "frames": frames}));
        Ok(())
    }

    /// The whole file: `{name: {label: {split: …}}}`.
    pub fn to_value(&self) -> Value {
        let labels: Map<String, Value> = self
            .labels
            .iter()
            .map(|(label, splits)| {
                let splits: Map<String, Value> = splits
                    .iter()
                    .map(|(s, v)| (s.to_string(), Value::Object(v.clone())))
                    .collect();
                (label.clone(), Value::Object(splits))
            })
            .collect();
        json!({ self.name.clone(): labels })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faceforensics_labels_come_from_folders() {
        let rules = LabelRules::faceforensics();
        let p = Path::new("/d/manipulated_sequences/Deepfakes/c23/videos/000_003.mp4");
        assert_eq!(rules.label(p), Some("FF-DF"));
        assert_eq!(compression_level(p), "c23");
        let p = Path::new("/d/original_sequences/youtube/c40/videos/000.mp4");
        assert_eq!(rules.label(p), Some("FF-real"));
        assert_eq!(compression_level(p), "c40");
        assert_eq!(rules.label(Path::new("/x/y.mp4")), None);
    }

    #[test]
    fn custom_rules_parse_and_the_deepest_folder_wins() {
        let rules = LabelRules::parse("fake=fakes, real=reals").unwrap();
        assert_eq!(rules.label(Path::new("/reals/fakes/a.mp4")), Some("fake"));
        assert!(LabelRules::parse("fake").is_err());
    }

    #[test]
    fn pairs_put_both_sides_and_both_orders_in_the_split() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("val.json");
        std::fs::write(&f, r#"[["953","974"],"x"]"#).unwrap();
        let mut s = Splits::new("train").unwrap();
        s.add_file("val", &f).unwrap();
        for v in ["953", "974", "953_974", "974_953", "x"] {
            assert_eq!(s.split(v), "val");
        }
        assert_eq!(s.split("000"), "train");
        assert!(Splits::new("dev").is_err());
    }

    #[test]
    fn json_has_every_split_and_the_compression_level() {
        let mut d = DatasetJson::new("FaceForensics++");
        d.add(
            "FF-DF",
            "test",
            Some("c23"),
            "000_003",
            &[PathBuf::from("/f/000.png")],
        )
        .unwrap();
        let v = d.to_value();
        let df = &v["FaceForensics++"]["FF-DF"];
        assert!(df["train"]["c23"].as_object().unwrap().is_empty());
        assert!(df["val"]["c23"].as_object().unwrap().is_empty());
        assert_eq!(df["test"]["c23"]["000_003"]["label"], "FF-DF");
        assert_eq!(df["test"]["c23"]["000_003"]["frames"][0], "/f/000.png");
    }
}
