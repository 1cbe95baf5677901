//! Assigning splits without leaks, and checking that a set can be trained on.
//!
//! A split by key hashes the key: `sha256(salt + ":" + key)`, its first 8 bytes read as a
//! big-endian `u64`, the top 53 bits of which divided by 2^53 give a number `u` uniform in
//! [0, 1). `u < val_fraction` is val, `u < val_fraction + test_fraction` test, the rest train.
//! The same key and salt land in the same split on every machine and in every run, whatever
//! the other samples; changing the salt draws a new split. Hashing never gives heldout.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::{Counts, Dataset, Label, Sample, Split, SplitSummary};

/// What a split by key hashes: all samples sharing it land in one split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupKey {
    /// [`Sample::group`]: identity, speaker, video.
    Group,
    /// [`Sample::video`].
    Video,
    /// [`Sample::source`].
    Source,
    /// The file itself: its path relative to the dataset's folder (the manifest's folder, or
    /// the folder read), with `/` separators, so that the split does not depend on where the
    /// dataset sits.
    Path,
}

impl fmt::Display for GroupKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            GroupKey::Group => "group",
            GroupKey::Video => "video",
            GroupKey::Source => "source",
            GroupKey::Path => "path",
        })
    }
}

/// How [`assign_splits`] gives each sample a split.
#[derive(Debug, Clone, PartialEq)]
pub enum SplitRule {
    /// Keep the manifest's splits; every sample must have one.
    FromManifest,
    /// Hash each sample's key, replacing any split the manifest gave.
    ByKey {
        /// What to hash.
        key: GroupKey,
        /// The share of keys for val, in [0, 1].
        val_fraction: f64,
        /// The share of keys for test, in [0, 1]; with `val_fraction` at most 1.
        test_fraction: f64,
        /// Mixed into the hash: another salt, another split.
        salt: String,
    },
    /// Keep the manifest's splits where there are; give each other sample the manifest split
    /// of its key when another sample of that key has one, and hash its key otherwise.
    KeepThenByKey {
        /// What to hash.
        key: GroupKey,
        /// The share of keys for val, in [0, 1].
        val_fraction: f64,
        /// The share of keys for test, in [0, 1]; with `val_fraction` at most 1.
        test_fraction: f64,
        /// Mixed into the hash.
        salt: String,
    },
}

/// Where `key` falls in [0, 1) for `salt`: `sha256(salt + ":" + key)`, its first 8 bytes read
/// as a big-endian `u64`, the top 53 bits of which divided by 2^53.
pub fn key_fraction(salt: &str, key: &str) -> f64 {
    let mut hasher = Sha256::new();
    hasher.update(salt.as_bytes());
    hasher.update(b":");
    hasher.update(key.as_bytes());
    let digest = hasher.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    let u = u64::from_be_bytes(first);
    (u >> 11) as f64 / (1u64 << 53) as f64
}

/// The split `key` hashes to for `salt`: with `u` its [`key_fraction`], val when
/// `u < val_fraction`, test when `u < val_fraction + test_fraction`, train otherwise. Never
/// heldout.
pub fn split_of_key(salt: &str, key: &str, val_fraction: f64, test_fraction: f64) -> Split {
    let u = key_fraction(salt, key);
    if u < val_fraction {
        Split::Val
    } else if u < val_fraction + test_fraction {
        Split::Test
    } else {
        Split::Train
    }
}

fn check_fractions(val: f64, test: f64) -> Result<()> {
    let ok = |f: f64| f.is_finite() && (0.0..=1.0).contains(&f);
    if !ok(val) || !ok(test) || val + test > 1.0 {
        return Err(Error::Rule(format!(
            "val fraction {val} and test fraction {test} must each be in [0, 1] and sum to at most 1"
        )));
    }
    Ok(())
}

/// The folder paths of `ds` are relative to.
fn dataset_base(ds: &Dataset) -> &Path {
    if ds.origin.is_dir() {
        &ds.origin
    } else {
        ds.origin.parent().unwrap_or(Path::new(""))
    }
}

/// The value of `key` for `sample`, if it has one.
fn key_value(sample: &Sample, key: GroupKey, base: &Path) -> Option<String> {
    match key {
        GroupKey::Group => sample.group.clone(),
        GroupKey::Video => sample.video.clone(),
        GroupKey::Source => sample.source.clone(),
        GroupKey::Path => {
            let rel = sample.path.strip_prefix(base).unwrap_or(&sample.path);
            let parts: Vec<_> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            Some(parts.join("/"))
        }
    }
}

/// Gives every sample of `ds` a split by `rule`, then checks that no file, group or video is
/// in two splits, and returns the counts per split and label. On error `ds` is unchanged.
pub fn assign_splits(ds: &mut Dataset, rule: &SplitRule) -> Result<SplitSummary> {
    let splits: Vec<Split> = match rule {
        SplitRule::FromManifest => ds
            .samples
            .iter()
            .enumerate()
            .map(|(index, s)| {
                s.split.ok_or_else(|| Error::NoSplit {
                    path: ds.origin.clone(),
                    index,
                    sample: s.path.clone(),
                })
            })
            .collect::<Result<_>>()?,
        SplitRule::ByKey {
            key,
            val_fraction,
            test_fraction,
            salt,
        } => {
            check_fractions(*val_fraction, *test_fraction)?;
            let base = dataset_base(ds);
            ds.samples
                .iter()
                .map(|s| {
                    let value = key_value(s, *key, base).ok_or_else(|| missing_key(ds, *key, s))?;
                    Ok(split_of_key(salt, &value, *val_fraction, *test_fraction))
                })
                .collect::<Result<_>>()?
        }
        SplitRule::KeepThenByKey {
            key,
            val_fraction,
            test_fraction,
            salt,
        } => {
            check_fractions(*val_fraction, *test_fraction)?;
            let base = dataset_base(ds);
            // The manifest split of each key, where a sample of it has one.
            let mut kept: HashMap<String, Split> = HashMap::new();
            for s in &ds.samples {
                if let (Some(split), Some(value)) = (s.split, key_value(s, *key, base)) {
                    kept.entry(value).or_insert(split);
                }
            }
            ds.samples
                .iter()
                .map(|s| {
                    if let Some(split) = s.split {
                        return Ok(split);
                    }
                    let value = key_value(s, *key, base).ok_or_else(|| missing_key(ds, *key, s))?;
                    Ok(match kept.get(&value) {
                        Some(split) => *split,
                        None => split_of_key(salt, &value, *val_fraction, *test_fraction),
                    })
                })
                .collect::<Result<_>>()?
        }
    };
    check_leaks(ds, &splits)?;
    for (sample, split) in ds.samples.iter_mut().zip(splits) {
        sample.split = Some(split);
    }
    Ok(ds.counts())
}

fn missing_key(ds: &Dataset, key: GroupKey, sample: &Sample) -> Error {
    Error::MissingKey {
        path: ds.origin.clone(),
        key,
        sample: sample.path.clone(),
    }
}

/// Errors when one file, group or video of `ds` would be in two of `splits` (one per sample).
fn check_leaks(ds: &Dataset, splits: &[Split]) -> Result<()> {
    type Seen<'a> = HashMap<&'a str, (Split, &'a Path)>;
    let mut files: HashMap<&Path, (Split, &Path)> = HashMap::new();
    let mut groups: Seen = HashMap::new();
    let mut videos: Seen = HashMap::new();
    let leak = |kind: &'static str, key: String, first: (Split, &Path), second: (Split, &Path)| {
        Error::Leak {
            path: ds.origin.clone(),
            kind,
            key,
            first: first.0,
            first_sample: first.1.to_path_buf(),
            second: second.0,
            second_sample: PathBuf::from(second.1),
        }
    };
    for (s, &split) in ds.samples.iter().zip(splits) {
        let here = (split, s.path.as_path());
        let seen = *files.entry(&s.path).or_insert(here);
        if seen.0 != split {
            return Err(leak("file", s.path.display().to_string(), seen, here));
        }
        for (kind, value, map) in [
            ("group", &s.group, &mut groups),
            ("video", &s.video, &mut videos),
        ] {
            if let Some(value) = value {
                let seen = *map.entry(value).or_insert(here);
                if seen.0 != split {
                    return Err(leak(kind, value.clone(), seen, here));
                }
            }
        }
    }
    Ok(())
}

/// Checks that `samples` can be trained or evaluated on: not empty, and with both classes
/// unless `allow_single_class` (a synthesiser such as SBI trains on reals only). `what`
/// names the set in the message: `"train split"` gives "train split is empty" or "train
/// split has only real samples (8693); add fakes or a synthesiser such as SBI".
pub fn check_trainable<'a>(
    samples: impl IntoIterator<Item = &'a Sample>,
    what: &str,
    allow_single_class: bool,
) -> Result<()> {
    let counts = Counts::of(samples);
    if counts.total() == 0 {
        return Err(Error::Empty {
            what: what.to_owned(),
        });
    }
    if !allow_single_class {
        for (label, other) in [(Label::Real, Label::Fake), (Label::Fake, Label::Real)] {
            if counts.get(other) == 0 {
                return Err(Error::SingleClass {
                    what: what.to_owned(),
                    label,
                    count: counts.get(label),
                });
            }
        }
    }
    Ok(())
}
