//! DeepfakeBench's rearranged dataset JSON, as `fakescope prepare` writes it:
//!
//! ```json
//! {"FaceForensics++": {"FF-DF": {"train": {"c23": {"000_003": {"label": "FF-DF",
//!     "frames": ["/abs/…/frames/000_003/000.png", …]}}}, "val": {…}, "test": {…}}}}
//! ```
//!
//! `dataset → label → split → [compression →] video → {label, frames}`. A compression level
//! (`c23`, …) is told from a video by its shape: a video is an object with a `frames` list, a
//! level an object of videos.

use std::fs;
use std::path::Path;

use serde_json::{Map, Value};

use crate::error::{Error, Location, Result};
use crate::manifest::{base_of, kind, resolve};
use crate::{Dataset, Label, OpenOptions, Sample, Split};

/// The class of a DeepfakeBench label name: real when the name contains `real` in any case
/// (`FF-real`, `DFD_real`, `CelebDFv1_real`, `DFDCP_Real`, …), fake otherwise (`FF-DF`,
/// `FF-F2F`, `DFD_fake`, `CelebDFv2_fake`, …).
pub fn label_of(name: &str) -> Label {
    if name.to_ascii_lowercase().contains("real") {
        Label::Real
    } else {
        Label::Fake
    }
}

/// Reads a DeepfakeBench dataset JSON: one sample per frame.
///
/// - label: [`label_of`] the video's own `label` (the label key above it when it has none);
/// - split: the split key (`train`, `val`, `test`; any name [`Split::parse`] knows);
/// - source: that label name (`FF-DF`);
/// - video and group: the video's key, so that frames of one video never cross splits.
///
/// Relative frame paths are joined to the JSON's folder. The dataset is named after the
/// top-level key (keys joined with `+` when there are several). Errors name the file and the
/// keys leading to the problem.
pub fn read_deepfakebench(path: impl AsRef<Path>, options: &OpenOptions) -> Result<Dataset> {
    let path = path.as_ref();
    let text = fs::read(path).map_err(Error::io(path))?;
    let root: Value = serde_json::from_slice(&text)
        .map_err(|e| Error::invalid(path, format!("invalid JSON: {e}")))?;
    let base = base_of(path);
    let layout = "expected DeepfakeBench's {dataset: {label: {split: {[compression:] {video: {label, frames}}}}}}";
    let Value::Object(datasets) = &root else {
        return Err(Error::invalid(
            path,
            format!("found {} at the top; {layout}", kind(&root)),
        ));
    };
    if datasets.is_empty() {
        return Err(Error::invalid(path, format!("empty object; {layout}")));
    }
    let mut samples = Vec::new();
    for (dataset, labels) in datasets {
        let labels = object(path, labels, dataset, "labels")?;
        for (label_name, splits) in labels {
            let at = format!("{dataset}/{label_name}");
            let splits = object(path, splits, &at, "splits (train, val, test)")?;
            for (split_name, content) in splits {
                let at = format!("{at}/{split_name}");
                let split = split_name
                    .parse::<Split>()
                    .map_err(|e| Error::record(path, Location::Keys(at.clone()), e))?;
                let content = object(path, content, &at, "videos or compression levels")?;
                for (key, value) in content {
                    let here = format!("{at}/{key}");
                    let entry = object(path, value, &here, "a video or a compression level")?;
                    if entry.contains_key("frames") {
                        let video = Video {
                            key,
                            entry,
                            at: &here,
                            label_name,
                            split,
                        };
                        video.push_frames(path, base, &mut samples)?;
                        continue;
                    }
                    for (key, value) in entry {
                        let here = format!("{here}/{key}");
                        let entry = object(path, value, &here, "a video {label, frames}")?;
                        let video = Video {
                            key,
                            entry,
                            at: &here,
                            label_name,
                            split,
                        };
                        video.push_frames(path, base, &mut samples)?;
                    }
                }
            }
        }
    }
    if samples.is_empty() {
        return Err(Error::invalid(
            path,
            "no samples: no video of the DeepfakeBench JSON has frames",
        ));
    }
    let ds = Dataset {
        name: datasets.keys().cloned().collect::<Vec<_>>().join("+"),
        samples,
        origin: path.to_path_buf(),
    };
    if options.check_files {
        ds.check_files()?;
    }
    Ok(ds)
}

/// `value` as an object, or an error saying what was expected at `at`.
fn object<'a>(
    path: &Path,
    value: &'a Value,
    at: &str,
    expected: &str,
) -> Result<&'a Map<String, Value>> {
    value.as_object().ok_or_else(|| {
        Error::record(
            path,
            Location::Keys(at.to_owned()),
            format!("expected an object of {expected}, found {}", kind(value)),
        )
    })
}

/// One video entry and where it sits.
struct Video<'a> {
    key: &'a str,
    entry: &'a Map<String, Value>,
    at: &'a str,
    label_name: &'a str,
    split: Split,
}

impl Video<'_> {
    fn push_frames(&self, path: &Path, base: &Path, samples: &mut Vec<Sample>) -> Result<()> {
        let bad =
            |message: String| Error::record(path, Location::Keys(self.at.to_owned()), message);
        let name = match self.entry.get("label") {
            None | Some(Value::Null) => self.label_name,
            Some(Value::String(s)) => s,
            Some(other) => {
                return Err(bad(format!(
                    "`label` must be a string, found {}",
                    kind(other)
                )));
            }
        };
        let frames = match self.entry.get("frames") {
            Some(Value::Array(frames)) => frames,
            Some(other) => {
                return Err(bad(format!(
                    "`frames` must be a list, found {}",
                    kind(other)
                )));
            }
            None => return Err(bad("a video needs a `frames` list".into())),
        };
        for (i, frame) in frames.iter().enumerate() {
            let Value::String(frame) = frame else {
                return Err(bad(format!(
                    "frame {i} must be a path string, found {}",
                    kind(frame)
                )));
            };
            if frame.trim().is_empty() {
                return Err(bad(format!("frame {i} is an empty path")));
            }
            samples.push(Sample {
                path: resolve(base, frame),
                label: label_of(name),
                split: Some(self.split),
                source: Some(name.to_owned()),
                generator: None,
                group: Some(self.key.to_owned()),
                video: Some(self.key.to_owned()),
            });
        }
        Ok(())
    }
}
