//! Samples, datasets and their counts.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The class of a sample. Fake (spoof) is the positive class, 1; real (bona fide) is 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Label {
    /// Real, bona fide, genuine: 0.
    Real = 0,
    /// Fake, spoof, deepfake: 1.
    Fake = 1,
}

impl Label {
    /// 0 for real, 1 for fake.
    pub fn as_u8(self) -> u8 {
        self as u8
    }

    /// Whether this is the positive class.
    pub fn is_fake(self) -> bool {
        self == Label::Fake
    }

    /// `real` or `fake`.
    pub fn as_str(self) -> &'static str {
        match self {
            Label::Real => "real",
            Label::Fake => "fake",
        }
    }

    /// Reads a manifest's label, ignoring case and surrounding blanks: `0`, `real`,
    /// `bonafide`, `bona fide`, `genuine` are real; `1`, `fake`, `spoof` are fake. Anything
    /// else is `None`.
    pub fn parse(text: &str) -> Option<Label> {
        match text.trim().to_ascii_lowercase().as_str() {
            "0" | "real" | "bonafide" | "bona fide" | "genuine" => Some(Label::Real),
            "1" | "fake" | "spoof" => Some(Label::Fake),
            _ => None,
        }
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which part of a dataset a sample belongs to. Ordered train, val, test, heldout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// Fitting the model.
    Train,
    /// Choosing between models, epochs, thresholds.
    Val,
    /// Reporting, touched once.
    Test,
    /// Kept out of every decision: a benchmark never used in development.
    Heldout,
}

impl Split {
    /// Every split, in order.
    pub const ALL: [Split; 4] = [Split::Train, Split::Val, Split::Test, Split::Heldout];

    /// `train`, `val`, `test` or `heldout`.
    pub fn as_str(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Val => "val",
            Split::Test => "test",
            Split::Heldout => "heldout",
        }
    }

    /// Reads a split name, ignoring case and surrounding blanks: `train`; `val`,
    /// `validation` or `dev`; `test`; `heldout`, `held-out` or `held_out`. Anything else is
    /// `None`.
    pub fn parse(text: &str) -> Option<Split> {
        match text.trim().to_ascii_lowercase().as_str() {
            "train" => Some(Split::Train),
            "val" | "validation" | "dev" => Some(Split::Val),
            "test" => Some(Split::Test),
            "heldout" | "held-out" | "held_out" => Some(Split::Heldout),
            _ => None,
        }
    }
}

impl fmt::Display for Split {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Split {
    type Err = String;

    fn from_str(s: &str) -> Result<Split, String> {
        Split::parse(s).ok_or_else(|| {
            format!("unknown split {s:?}: expected train, val (validation, dev), test or heldout")
        })
    }
}

/// One labelled file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sample {
    /// The file: a manifest's relative paths are joined to the manifest's folder.
    pub path: PathBuf,
    /// Real or fake.
    pub label: Label,
    /// The split, when the manifest gives one or [`assign_splits`](crate::assign_splits)
    /// has set it.
    pub split: Option<Split>,
    /// Where the sample comes from (a corpus, or DeepfakeBench's label name such as `FF-DF`).
    pub source: Option<String>,
    /// The generator or manipulation that made a fake.
    pub generator: Option<String>,
    /// The unit that must not cross splits: an identity, a speaker, a video.
    pub group: Option<String>,
    /// The video a frame was taken from.
    pub video: Option<String>,
}

impl Sample {
    /// A sample with only a path and a label.
    pub fn new(path: impl Into<PathBuf>, label: Label) -> Sample {
        Sample {
            path: path.into(),
            label,
            split: None,
            source: None,
            generator: None,
            group: None,
            video: None,
        }
    }
}

/// A list of labelled samples read from one folder or manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dataset {
    /// A short name: the folder's name, the manifest's stem (its folder's name when the stem
    /// is `manifest`), or the DeepfakeBench JSON's top-level key.
    pub name: String,
    /// The samples, in the order of the manifest (or of the sorted folder walk).
    pub samples: Vec<Sample>,
    /// The folder or manifest read.
    pub origin: PathBuf,
}

impl Dataset {
    /// The samples of `split`.
    pub fn split(&self, split: Split) -> Vec<&Sample> {
        self.samples
            .iter()
            .filter(|s| s.split == Some(split))
            .collect()
    }

    /// The number of samples per split (`None`: without one) and label.
    pub fn counts(&self) -> SplitSummary {
        SplitSummary::of(&self.samples)
    }

    /// A dataset with the same name and origin and the samples for which `keep` is true.
    pub fn filter(&self, mut keep: impl FnMut(&Sample) -> bool) -> Dataset {
        Dataset {
            name: self.name.clone(),
            samples: self.samples.iter().filter(|s| keep(s)).cloned().collect(),
            origin: self.origin.clone(),
        }
    }
}

/// Numbers of real and fake samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Counts {
    /// Real samples.
    pub real: usize,
    /// Fake samples.
    pub fake: usize,
}

impl Counts {
    /// Counts `samples`.
    pub fn of<'a>(samples: impl IntoIterator<Item = &'a Sample>) -> Counts {
        let mut counts = Counts::default();
        for s in samples {
            counts.add(s.label);
        }
        counts
    }

    /// Real plus fake.
    pub fn total(&self) -> usize {
        self.real + self.fake
    }

    /// The count of `label`.
    pub fn get(&self, label: Label) -> usize {
        match label {
            Label::Real => self.real,
            Label::Fake => self.fake,
        }
    }

    fn add(&mut self, label: Label) {
        match label {
            Label::Real => self.real += 1,
            Label::Fake => self.fake += 1,
        }
    }
}

/// Sample counts per split and label. `Display` prints a small table:
///
/// ```text
/// split  real  fake  total
/// train  8693     0   8693
/// val     982     0    982
/// total  9675     0   9675
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SplitSummary {
    /// Counts per split; `None` holds the samples without a split. Only splits with samples
    /// appear.
    pub by_split: BTreeMap<Option<Split>, Counts>,
}

impl SplitSummary {
    /// Counts `samples` per split and label.
    pub fn of<'a>(samples: impl IntoIterator<Item = &'a Sample>) -> SplitSummary {
        let mut by_split: BTreeMap<Option<Split>, Counts> = BTreeMap::new();
        for s in samples {
            by_split.entry(s.split).or_default().add(s.label);
        }
        SplitSummary { by_split }
    }

    /// The counts of one split (`None`: the samples without a split); zero when absent.
    pub fn get(&self, split: Option<Split>) -> Counts {
        self.by_split.get(&split).copied().unwrap_or_default()
    }

    /// The counts over every split.
    pub fn total(&self) -> Counts {
        self.by_split
            .values()
            .fold(Counts::default(), |a, c| Counts {
                real: a.real + c.real,
                fake: a.fake + c.fake,
            })
    }
}

impl fmt::Display for SplitSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rows: Vec<(&str, Counts)> = self
            .by_split
            .iter()
            .map(|(s, c)| (s.map_or("(none)", Split::as_str), *c))
            .collect();
        rows.push(("total", self.total()));
        let width = |f: fn(&Counts) -> usize, title: &str| {
            rows.iter()
                .map(|(_, c)| f(c).to_string().len())
                .chain([title.len()])
                .max()
                .unwrap_or(0)
        };
        let (wr, wf, wt) = (
            width(|c| c.real, "real"),
            width(|c| c.fake, "fake"),
            width(Counts::total, "total"),
        );
        let ws = rows.iter().map(|(n, _)| n.len()).max().unwrap_or(0).max(5);
        writeln!(
            f,
            "{:<ws$}  {:>wr$}  {:>wf$}  {:>wt$}",
            "split", "real", "fake", "total"
        )?;
        for (name, c) in &rows {
            writeln!(
                f,
                "{name:<ws$}  {:>wr$}  {:>wf$}  {:>wt$}",
                c.real,
                c.fake,
                c.total()
            )?;
        }
        Ok(())
    }
}
