//! Speech data: labelled clips from manifests (`path,label,split,source,generator,speaker`),
//! cut into the model's windows (16 kHz mono) exactly as `fakescope scan` cuts a recording.
//!
//! - **Silence** at both ends of every clip is trimmed the same way for both classes (frames of
//!   10 ms quieter than `audio.trim_db` below the clip's loudest frame), so that the length of
//!   leading silence, which differs between corpora, cannot tell the classes apart.
//! - **Training**: every row of a batch is drawn, not read in order: even rows are real, odd
//!   rows fake; within a class a source is drawn with weight `clips^(1 - source_balance)` and
//!   a clip uniformly within it, then a random window of the trimmed clip (a clip shorter than
//!   a window is tiled, as `scan` tiles it), then the augmentation ([`AudioAugment`]), then the
//!   front end. Every draw comes from (seed, epoch, unit, stream).
//! - **Validation**: the windows `scan` would score (a window every 2 s), at most
//!   `audio.val_windows` of them spread over the clip, with no augmentation; the clip's score is
//!   the mean fake probability of its windows.
//! - A first pass reads every clip once (cached in `RUN/cache/clips.tsv`): unreadable,
//!   silent, clipped and short clips are counted and named in the notes; unreadable and silent
//!   ones are left out, never silently.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use fakescope_datasets::{Label, OpenOptions, Sample, Split};
use fakescope_media::AudioLimits;
use fakescope_models::lcnn::{FEATURES, Lfcc};
use fakescope_perturb::audio::AudioAugment;
use fakescope_perturb::sample_rng;
use rand::Rng;
use rayon::prelude::*;

use crate::Error;
use crate::data::{Batch, SourceSampler, TrainData, read_sets};
use crate::recipe::{Recipe, SplitSpec};

/// The sample rate of every window.
pub const SAMPLE_RATE: u32 = 16_000;
/// Samples per trimming frame (10 ms).
const TRIM_FRAME: usize = 160;
/// The hop between the windows `scan` scores by default, in seconds.
const SCAN_HOP_S: f64 = 2.0;
const STREAM_PICK: u64 = 11;
const STREAM_CROP: u64 = 12;
const STREAM_AUG: u64 = 13;

/// One labelled clip.
#[derive(Debug, Clone, PartialEq)]
pub struct Clip {
    /// The audio file.
    pub path: PathBuf,
    /// Its label.
    pub label: Label,
    /// Where it comes from.
    pub source: String,
    /// The generator (`bonafide` or empty for real clips).
    pub generator: String,
    /// The kept range after trimming, in samples.
    pub kept: std::ops::Range<usize>,
}

/// The speech data of a run.
#[derive(Debug, Clone)]
pub struct SpeechData {
    /// Training clips.
    pub train: Vec<Clip>,
    /// Validation clips.
    pub val: Vec<Clip>,
    /// Window length in samples.
    pub window: usize,
    /// Validation windows per clip, at most.
    pub val_windows: usize,
    /// The augmentation.
    pub augment: AudioAugment,
    /// The front end.
    pub lfcc: Lfcc,
    /// Per class (real, fake): the sources, their cumulative draw weights and clip indices.
    sampler: [SourceSampler; 2],
    notes: Vec<String>,
}

/// The sampler of one class of `clips`.
fn class_sampler(clips: &[Clip], label: Label, balance: f64) -> SourceSampler {
    SourceSampler::new(
        clips
            .iter()
            .enumerate()
            .filter(|(_, c)| c.label == label)
            .map(|(i, c)| (i, c.source.as_str())),
        balance,
    )
}

/// What the first pass learned about a clip.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Probe {
    samples: usize,
    kept_start: usize,
    kept_end: usize,
    clipped: bool,
}

impl SpeechData {
    /// Reads the recipe's sets (the `train` and `val` splits; `test` and `heldout` clips are
    /// never opened), probes every clip once (cached in `cache_dir`), and prepares sampling.
    pub fn prepare(
        recipe: &Recipe,
        recipe_dir: &Path,
        cache_dir: &Path,
        progress: &dyn Fn(&str, usize, usize),
    ) -> Result<SpeechData, Error> {
        let audio = recipe.audio();
        if let Some(set) = recipe
            .data
            .sets
            .iter()
            .find(|s| s.split != SplitSpec::Manifest)
        {
            return Err(Error::Invalid(format!(
                "{}: speech sets take their splits from the manifest (split = \"manifest\")",
                set.path
            )));
        }
        let samples = read_sets(recipe, recipe_dir, &OpenOptions { check_files: false })?;
        let pick = |split: Split| -> Vec<&Sample> {
            samples.iter().filter(|s| s.split == Some(split)).collect()
        };
        let train = pick(Split::Train);
        let val = pick(Split::Val);
        fakescope_datasets::check_trainable(train.iter().copied(), "train split", false)?;
        fakescope_datasets::check_trainable(val.iter().copied(), "val split", false)?;
        let mut notes = Vec::new();
        let window = (audio.window_s * f64::from(SAMPLE_RATE)).round() as usize;
        let min_len = (audio.min_duration_s * f64::from(SAMPLE_RATE)).round() as usize;
        let all: Vec<&Sample> = train.iter().chain(&val).copied().collect();
        let probes = probe_all(&all, audio.trim_db, cache_dir, progress)?;
        let mut build = |list: Vec<&Sample>, what: &str| -> Vec<Clip> {
            let (mut unreadable, mut silent, mut clipped, mut short) = (Vec::new(), 0, 0, 0);
            let mut too_short = [0usize; 2];
            let mut out = Vec::new();
            for s in list {
                match probes.get(&s.path) {
                    Some(Ok(p)) if p.kept_end <= p.kept_start => silent += 1,
                    Some(Ok(p)) if p.kept_end - p.kept_start < min_len => {
                        too_short[usize::from(s.label == Label::Fake)] += 1;
                    }
                    Some(Ok(p)) => {
                        clipped += usize::from(p.clipped);
                        short += usize::from(p.kept_end - p.kept_start < window);
                        out.push(Clip {
                            path: s.path.clone(),
                            label: s.label,
                            source: s.source.clone().unwrap_or_default(),
                            generator: s.generator.clone().unwrap_or_default(),
                            kept: p.kept_start..p.kept_end,
                        });
                    }
                    Some(Err(e)) => unreadable.push(e.clone()),
                    None => unreadable.push(format!("{}: not probed", s.path.display())),
                }
            }
            if !unreadable.is_empty() {
                notes.push(format!(
                    "{what}: {} unreadable clips left out (first: {})",
                    unreadable.len(),
                    unreadable[0]
                ));
            }
            if silent > 0 {
                notes.push(format!("{what}: {silent} silent clips left out"));
            }
            if too_short != [0, 0] {
                notes.push(format!(
                    "{what}: {} real and {} fake clips shorter than min_duration_s = {} s left out",
                    too_short[0], too_short[1], audio.min_duration_s
                ));
            }
            if clipped > 0 {
                notes.push(format!("{what}: {clipped} clips are clipped (kept)"));
            }
            if short > 0 {
                notes.push(format!(
                    "{what}: {short} clips are shorter than a window after trimming and are tiled, as scan tiles them"
                ));
            }
            out
        };
        let train = build(train, "train");
        let val = build(val, "val");
        for (clips, what) in [(&train, "train"), (&val, "val")] {
            for label in [Label::Real, Label::Fake] {
                if !clips.iter().any(|c| c.label == label) {
                    return Err(Error::Invalid(format!(
                        "{what} split: no readable {label} clip left"
                    )));
                }
            }
        }
        let sampler = [
            class_sampler(&train, Label::Real, audio.source_balance),
            class_sampler(&train, Label::Fake, audio.source_balance),
        ];
        Ok(SpeechData {
            train,
            val,
            window,
            val_windows: audio.val_windows,
            augment: audio.augment,
            lfcc: Lfcc::new(),
            sampler,
            notes,
        })
    }

    /// The trimmed samples of a clip.
    fn load(&self, clip: &Clip) -> Result<Vec<f32>, Error> {
        let audio = decode(&clip.path)?;
        let end = clip.kept.end.min(audio.len());
        let start = clip.kept.start.min(end);
        Ok(audio[start..end].to_vec())
    }

    /// A window of `window` samples at a random position (tiled when shorter).
    fn random_window(&self, x: &[f32], rng: &mut impl Rng) -> Vec<f32> {
        if x.len() <= self.window {
            return x.iter().copied().cycle().take(self.window).collect();
        }
        let start = rng.random_range(0..=x.len() - self.window);
        x[start..start + self.window].to_vec()
    }

    fn rows_to_batch(&self, rows: Vec<(Vec<f32>, f32, usize)>) -> Batch {
        Batch::from_rows(rows, [1, Lfcc::frames(self.window), FEATURES])
    }
}

impl TrainData for SpeechData {
    fn train_len(&self) -> usize {
        self.train.len()
    }

    fn val_len(&self) -> usize {
        self.val.len()
    }

    fn val_units_per_batch(&self, rows: usize) -> usize {
        (rows / self.val_windows).max(1)
    }

    fn train_batch(&self, indices: &[usize], seed: u64, epoch: u64) -> Result<Batch, Error> {
        let rows = indices
            .par_iter()
            .enumerate()
            .map(|(position, &unit)| {
                let unit = unit as u64;
                let class = position % 2;
                let mut pick = sample_rng(seed, &[epoch, unit, STREAM_PICK]);
                let index = self.sampler[class]
                    .draw(&mut pick)
                    .ok_or_else(|| Error::Invalid("a class has no training clip".to_owned()))?;
                let clip = &self.train[index];
                let audio = self.load(clip)?;
                let window =
                    self.random_window(&audio, &mut sample_rng(seed, &[epoch, unit, STREAM_CROP]));
                let augmented = self
                    .augment
                    .apply(
                        &window,
                        SAMPLE_RATE,
                        &mut sample_rng(seed, &[epoch, unit, STREAM_AUG]),
                    )
                    .map_err(|e| Error::Invalid(format!("{}: {e}", clip.path.display())))?;
                let label = if clip.label.is_fake() { 1.0 } else { 0.0 };
                Ok((self.lfcc.features(&augmented), label, position))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(self.rows_to_batch(rows))
    }

    fn val_batch(&self, indices: &[usize], _seed: u64) -> Result<Batch, Error> {
        let hop = (SCAN_HOP_S * f64::from(SAMPLE_RATE)) as usize;
        let per_clip = indices
            .par_iter()
            .map(|&i| {
                let clip = &self.val[i];
                let audio = self.load(clip)?;
                let windows = fakescope_scan::windows::windows(&audio, self.window, hop);
                let label = if clip.label.is_fake() { 1.0 } else { 0.0 };
                let count = windows.len().min(self.val_windows);
                Ok((0..count)
                    .map(|k| {
                        let w = &windows[k * windows.len() / count];
                        (self.lfcc.features(&w.samples), label, i)
                    })
                    .collect::<Vec<_>>())
            })
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(self.rows_to_batch(per_clip.into_iter().flatten().collect()))
    }

    fn notes(&self) -> &[String] {
        &self.notes
    }
}

/// Decodes a clip to 16 kHz mono, naming the file on error.
fn decode(path: &Path) -> Result<Vec<f32>, Error> {
    fakescope_media::decode_audio(path, &AudioLimits::default())
        .map(|clip| clip.samples)
        .map_err(|e| Error::Invalid(e.to_string()))
}

/// The kept range of `x`: from the first to the last 10 ms frame whose RMS is within `trim_db`
/// of the loudest frame's (everything with `trim_db = 0`; empty for digital silence).
pub fn trim_range(x: &[f32], trim_db: f64) -> std::ops::Range<usize> {
    let rms: Vec<f64> = x
        .chunks(TRIM_FRAME)
        .map(|f| (f.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / f.len() as f64).sqrt())
        .collect();
    let loudest = rms.iter().copied().fold(0.0, f64::max);
    if loudest <= 0.0 {
        return 0..0;
    }
    if trim_db <= 0.0 {
        return 0..x.len();
    }
    let floor = loudest * 10f64.powf(-trim_db / 20.0);
    let first = rms.iter().position(|&r| r >= floor).unwrap_or(0);
    let last = rms.iter().rposition(|&r| r >= floor).unwrap_or(0);
    first * TRIM_FRAME..((last + 1) * TRIM_FRAME).min(x.len())
}

/// Probes every clip once (decode, trim, clipping), with a cache keyed by path and trim level.
fn probe_all(
    samples: &[&Sample],
    trim_db: f64,
    cache_dir: &Path,
    progress: &dyn Fn(&str, usize, usize),
) -> Result<HashMap<PathBuf, Result<Probe, String>>, Error> {
    let cache = cache_dir.join(format!("clips-trim{trim_db}.tsv"));
    let mut known = read_probe_cache(&cache);
    let missing: Vec<&Sample> = samples
        .iter()
        .copied()
        .filter(|s| !known.contains_key(&s.path))
        .collect();
    if !missing.is_empty() {
        std::fs::create_dir_all(cache_dir).map_err(|e| Error::io(cache_dir, e))?;
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&cache)
            .map_err(|e| Error::io(&cache, e))?;
        let total = missing.len();
        let mut done = 0;
        for chunk in missing.chunks(256) {
            let found: Vec<(PathBuf, Result<Probe, String>)> = chunk
                .par_iter()
                .map(|s| {
                    let probe = decode(&s.path).map_err(|e| e.to_string()).map(|x| {
                        let kept = trim_range(&x, trim_db);
                        let clipped =
                            x.iter().filter(|v| v.abs() >= 0.999).count() > x.len() / 1000;
                        Probe {
                            samples: x.len(),
                            kept_start: kept.start,
                            kept_end: kept.end,
                            clipped,
                        }
                    });
                    (s.path.clone(), probe)
                })
                .collect();
            let mut text = String::new();
            for (path, probe) in found {
                // Errors are not cached: a file fixed since is read again next time.
                if let Ok(p) = &probe {
                    text.push_str(&format!(
                        "{}\t{}\t{}\t{}\t{}\n",
                        path.display(),
                        p.samples,
                        p.kept_start,
                        p.kept_end,
                        u8::from(p.clipped)
                    ));
                }
                known.insert(path, probe);
            }
            file.write_all(text.as_bytes())
                .map_err(|e| Error::io(&cache, e))?;
            done += chunk.len();
            progress("reading clips", done, total);
        }
        file.sync_all().map_err(|e| Error::io(&cache, e))?;
    }
    Ok(known)
}

/// Reads the probe cache; malformed (torn) lines are ignored.
fn read_probe_cache(cache: &Path) -> HashMap<PathBuf, Result<Probe, String>> {
    let text = std::fs::read_to_string(cache).unwrap_or_default();
    text.lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            let [path, n, a, b, c] = f.as_slice() else {
                return None;
            };
            let probe = Probe {
                samples: n.parse().ok()?,
                kept_start: a.parse().ok()?,
                kept_end: b.parse().ok()?,
                clipped: *c == "1",
            };
            Some((PathBuf::from(path), Ok(probe)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trimming_keeps_the_loud_part_and_is_class_blind() {
        let mut x = vec![0.0f32; 16_000];
        for (i, v) in x.iter_mut().enumerate().skip(4_000).take(8_000) {
            *v = 0.5 * (i as f32 * 0.1).sin();
        }
        let r = trim_range(&x, 40.0);
        assert_eq!(r, 4_000..12_000);
        assert_eq!(trim_range(&x, 0.0), 0..16_000);
        assert_eq!(trim_range(&[0.0; 500], 40.0), 0..0);
    }

    #[test]
    fn source_balance_evens_out_sources() {
        let clip = |source: &str| Clip {
            path: PathBuf::new(),
            label: Label::Fake,
            source: source.to_owned(),
            generator: String::new(),
            kept: 0..1,
        };
        let mut clips: Vec<Clip> = (0..900).map(|_| clip("big")).collect();
        clips.extend((0..100).map(|_| clip("small")));
        let count_small = |balance| {
            let s = class_sampler(&clips, Label::Fake, balance);
            let mut rng = sample_rng(1, &[]);
            (0..10_000)
                .filter(|_| s.draw(&mut rng).is_some_and(|i| i >= 900))
                .count()
        };
        let none = count_small(0.0);
        let full = count_small(1.0);
        assert!((900..1_100).contains(&none), "{none}");
        assert!((4_700..5_300).contains(&full), "{full}");
        assert!(
            class_sampler(&clips, Label::Real, 0.5)
                .draw(&mut sample_rng(1, &[]))
                .is_none()
        );
    }

    #[test]
    fn probe_cache_ignores_torn_lines() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = tmp.path().join("c.tsv");
        std::fs::write(&cache, "/a.wav\t100\t10\t90\t0\n/b.wav\t5").unwrap();
        let known = read_probe_cache(&cache);
        assert_eq!(known.len(), 1);
        assert_eq!(known[Path::new("/a.wav")].as_ref().unwrap().kept_end, 90);
    }
}
