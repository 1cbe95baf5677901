//! Face data: labelled face crops, or real faces with their self-blended fakes, turned into the
//! model's input batches exactly as `fakescope scan --crops` turns a crop into a detector input
//! (the whole image resized to the input size with Pillow's bicubic filter, values in [0, 1]).
//!
//! With `synthesize = "sbi"`, every training unit is a real face with MTCNN's five landmarks
//! (computed once and cached in `RUN/cache/landmarks.tsv`): a step takes `batch / 2` faces and
//! makes each one's self-blend, so both classes come from the same images. Augmentation is drawn
//! independently for each image from the same distribution, after synthesis.
//!
//! Every random choice comes from [`sample_rng`] of (seed, epoch, unit, stream), so a batch
//! depends only on those numbers: the same at a resumed step as in an uninterrupted run, and the
//! same whatever the number of threads.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use fakescope_datasets::{Label, OpenOptions, Sample, Split};
use fakescope_faces::sbi::{SbiConfig, self_blend};
use fakescope_media::ImageLimits;
use fakescope_media::resize::{Filter, resize_rgb};
use fakescope_perturb::{Augment, sample_rng};
use image::RgbImage;
use rayon::prelude::*;

use crate::Error;
use crate::data::{Batch, TrainData, read_sets};
use crate::recipe::{Recipe, Synthesize};

/// Random streams of one unit.
const STREAM_SBI: u64 = 1;
const STREAM_AUG_REAL: u64 = 2;
const STREAM_AUG_FAKE: u64 = 3;
/// The epoch number validation draws its self-blends with (never a training epoch).
const VALIDATION_EPOCH: u64 = u64::MAX;

/// Five landmarks (MTCNN order: eyes, nose, mouth corners).
pub type Landmarks = [[f32; 2]; 5];

/// One training or validation unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    /// The image file.
    pub path: PathBuf,
    /// Its label.
    pub label: Label,
    /// Its landmarks (needed for SBI).
    pub landmarks: Option<Landmarks>,
    /// Where it comes from (for the card and per-source numbers).
    pub source: String,
}

/// The face data of a run: units per split and how to turn them into batches.
#[derive(Debug, Clone)]
pub struct FaceData {
    /// Training units (with SBI: real faces that have landmarks).
    pub train: Vec<Unit>,
    /// Validation units (with SBI: real faces; each is scored with its self-blend).
    pub val: Vec<Unit>,
    /// Input side.
    pub size: usize,
    /// Synthesis.
    pub synthesize: Synthesize,
    /// Augmentation.
    pub augment: Augment,
    /// SBI settings.
    pub sbi: SbiConfig,
    /// What was dropped and why (for the log and the card).
    pub notes: Vec<String>,
}

/// What finds landmarks for SBI (MTCNN in the binary; a stub in tests).
pub trait LandmarkFinder: Sync {
    /// The landmarks of the most prominent face of `image`, if any.
    fn landmarks(&self, image: &RgbImage) -> Option<Landmarks>;
}

impl FaceData {
    /// Reads the recipe's sets, splits them, and (for SBI) finds every real face's landmarks,
    /// cached in `cache_dir`.
    pub fn prepare(
        recipe: &Recipe,
        recipe_dir: &Path,
        cache_dir: &Path,
        finder: Option<&dyn LandmarkFinder>,
        progress: &dyn Fn(&str, usize, usize),
    ) -> Result<FaceData, Error> {
        let samples = read_sets(recipe, recipe_dir, &OpenOptions { check_files: true })?;
        let sbi = recipe.data.synthesize == Synthesize::Sbi;
        let pick = |split: Split| -> Vec<&Sample> {
            samples
                .iter()
                .filter(|s| s.split == Some(split))
                .filter(|s| !sbi || s.label == Label::Real)
                .collect()
        };
        let train = pick(Split::Train);
        let val = pick(Split::Val);
        fakescope_datasets::check_trainable(train.iter().copied(), "train split", sbi)?;
        fakescope_datasets::check_trainable(val.iter().copied(), "val split", sbi)?;
        let mut notes = Vec::new();
        let to_unit = |s: &Sample| Unit {
            path: s.path.clone(),
            label: s.label,
            landmarks: None,
            source: s.source.clone().unwrap_or_default(),
        };
        let mut train: Vec<Unit> = train.into_iter().map(to_unit).collect();
        let mut val: Vec<Unit> = val.into_iter().map(to_unit).collect();
        if !sbi
            && recipe.data.balance_classes
            && let Some(note) = balance(&mut train)
        {
            notes.push(note);
        }
        if sbi {
            let finder = finder
                .ok_or_else(|| Error::Invalid("SBI needs a landmark finder (MTCNN)".to_owned()))?;
            let cache = cache_dir.join("landmarks.tsv");
            for (units, what) in [(&mut train, "train"), (&mut val, "val")] {
                let before = units.len();
                find_landmarks(units, finder, &cache, &|done, total| {
                    progress(&format!("landmarks ({what})"), done, total)
                })?;
                units.retain(|u| u.landmarks.is_some());
                if units.len() < before {
                    notes.push(format!(
                        "{what}: {} of {before} real faces have no face found by MTCNN and are left out",
                        before - units.len()
                    ));
                }
                if units.is_empty() {
                    return Err(Error::Invalid(format!(
                        "{what} split: no real face with landmarks for SBI"
                    )));
                }
            }
        }
        Ok(FaceData {
            train,
            val,
            size: recipe.model.input_size,
            synthesize: recipe.data.synthesize,
            augment: recipe.augment.clone(),
            sbi: recipe.sbi.clone(),
            notes,
        })
    }

    fn batch(
        &self,
        units: &[(u64, &Unit)],
        seed: u64,
        epoch: u64,
        augment: &Augment,
    ) -> Result<Batch, Error> {
        let size = self.size;
        let per_unit = match self.synthesize {
            Synthesize::Sbi => 2,
            Synthesize::None => 1,
        };
        let images: Vec<Vec<(Vec<f32>, f32)>> = units
            .par_iter()
            .map(|&(index, unit)| {
                let image = decode(&unit.path)?;
                let mut out = Vec::with_capacity(per_unit);
                let aug = |img: &RgbImage, stream: u64| -> Result<Vec<f32>, Error> {
                    let mut rng = sample_rng(seed, &[epoch, index, stream]);
                    let augmented = augment
                        .apply(img, &mut rng)
                        .map_err(|e| Error::Invalid(format!("{}: {e}", unit.path.display())))?;
                    Ok(to_planar(&augmented, size))
                };
                match self.synthesize {
                    Synthesize::Sbi => {
                        let landmarks = unit.landmarks.ok_or_else(|| {
                            Error::Invalid(format!("{}: no landmarks", unit.path.display()))
                        })?;
                        let mut rng = sample_rng(seed, &[epoch, index, STREAM_SBI]);
                        let (fake, _mask) = self_blend(&image, &landmarks, &self.sbi, &mut rng)
                            .map_err(|e| Error::Invalid(format!("{}: {e}", unit.path.display())))?;
                        out.push((aug(&image, STREAM_AUG_REAL)?, 0.0));
                        out.push((aug(&fake, STREAM_AUG_FAKE)?, 1.0));
                    }
                    Synthesize::None => {
                        let label = if unit.label.is_fake() { 1.0 } else { 0.0 };
                        out.push((aug(&image, STREAM_AUG_REAL)?, label));
                    }
                }
                Ok(out)
            })
            .collect::<Result<_, Error>>()?;
        let n = images.iter().map(Vec::len).sum();
        let mut values = Vec::with_capacity(n * 3 * size * size);
        let mut labels = Vec::with_capacity(n);
        let mut items = Vec::with_capacity(n);
        for ((index, _), rows) in units.iter().zip(images) {
            for (k, (planes, label)) in rows.into_iter().enumerate() {
                values.extend_from_slice(&planes);
                labels.push(label);
                items.push(*index as usize * per_unit + k);
            }
        }
        Ok(Batch {
            values,
            shape: [n, 3, size, size],
            labels,
            items,
        })
    }
}

impl TrainData for FaceData {
    fn train_len(&self) -> usize {
        self.train.len()
    }

    fn val_len(&self) -> usize {
        self.val.len()
    }

    /// With SBI half the batch: each unit gives two images.
    fn units_per_step(&self, batch_size: usize) -> usize {
        match self.synthesize {
            Synthesize::Sbi => batch_size / 2,
            Synthesize::None => batch_size,
        }
    }

    fn train_batch(&self, indices: &[usize], seed: u64, epoch: u64) -> Result<Batch, Error> {
        let units: Vec<(u64, &Unit)> = indices
            .iter()
            .map(|&i| (i as u64, &self.train[i]))
            .collect();
        self.batch(&units, seed, epoch, &self.augment)
    }

    /// No augmentation, and self-blends drawn from a fixed stream, so every validation sees
    /// the same images. Every image is its own item.
    fn val_batch(&self, indices: &[usize], seed: u64) -> Result<Batch, Error> {
        let units: Vec<(u64, &Unit)> = indices.iter().map(|&i| (i as u64, &self.val[i])).collect();
        self.batch(&units, seed, VALIDATION_EPOCH, &Augment::none())
    }

    fn notes(&self) -> &[String] {
        &self.notes
    }
}

/// Repeats the units of the smaller class (cyclically, in order) until both classes have as
/// many units, so that an epoch shows as many real as fake images; returns what it did.
fn balance(units: &mut Vec<Unit>) -> Option<String> {
    let (fake, real): (Vec<Unit>, Vec<Unit>) =
        units.iter().cloned().partition(|u| u.label.is_fake());
    let (small, large) = if fake.len() < real.len() {
        (fake, real.len())
    } else {
        (real, fake.len())
    };
    if small.is_empty() || small.len() == large {
        return None;
    }
    let added = large - small.len();
    units.extend(small.iter().cycle().take(added).cloned());
    Some(format!(
        "train: {added} units of the smaller class repeated so both classes have {large} (data.balance_classes)"
    ))
}

/// Decodes an image file (content sniffed, limits enforced), naming the file on error.
pub fn decode(path: &Path) -> Result<RgbImage, Error> {
    fakescope_media::decode_image(path, &ImageLimits::default())
        .map_err(|e| Error::Invalid(e.to_string()))
}

/// Resizes `image` to `size` × `size` as `scan --crops` does (Pillow bicubic) and returns its
/// planes `[3, size, size]` in [0, 1].
pub fn to_planar(image: &RgbImage, size: usize) -> Vec<f32> {
    let resized = if image.width() as usize == size && image.height() as usize == size {
        image.clone()
    } else {
        resize_rgb(image, size as u32, size as u32, Filter::Bicubic)
    };
    let plane = size * size;
    let mut out = vec![0.0f32; 3 * plane];
    for (px, rgb) in resized.as_raw().chunks_exact(3).enumerate() {
        for c in 0..3 {
            out[c * plane + px] = f32::from(rgb[c]) / 255.0;
        }
    }
    out
}

/// Fills in `units`' landmarks from the cache file, finding the missing ones with `finder` (in
/// parallel) and appending them to the cache.
fn find_landmarks(
    units: &mut [Unit],
    finder: &dyn LandmarkFinder,
    cache: &Path,
    progress: &dyn Fn(usize, usize),
) -> Result<(), Error> {
    let mut known = read_cache(cache)?;
    let missing: Vec<usize> = (0..units.len())
        .filter(|&i| !known.contains_key(&units[i].path))
        .collect();
    if !missing.is_empty() {
        if let Some(parent) = cache.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(cache)
            .map_err(|e| Error::io(cache, e))?;
        let total = missing.len();
        let mut done = 0;
        for chunk in missing.chunks(256) {
            let found: Vec<(PathBuf, Option<Landmarks>)> = chunk
                .par_iter()
                .map(|&i| {
                    let path = units[i].path.clone();
                    let image = decode(&path)?;
                    Ok((path, finder.landmarks(&image)))
                })
                .collect::<Result<_, Error>>()?;
            let mut text = String::new();
            for (path, lm) in found {
                text.push_str(&cache_line(&path, lm.as_ref()));
                known.insert(path, lm);
            }
            file.write_all(text.as_bytes())
                .map_err(|e| Error::io(cache, e))?;
            done += chunk.len();
            progress(done, total);
        }
        file.sync_all().map_err(|e| Error::io(cache, e))?;
    }
    for unit in units.iter_mut() {
        unit.landmarks = known.get(&unit.path).copied().flatten();
    }
    Ok(())
}

fn cache_line(path: &Path, lm: Option<&Landmarks>) -> String {
    let mut line = path.display().to_string();
    match lm {
        Some(points) => {
            for [x, y] in points {
                line.push_str(&format!("\t{x}\t{y}"));
            }
        }
        None => line.push_str("\tnone"),
    }
    line.push('\n');
    line
}

/// Reads the landmark cache; a torn last line (a killed run) is ignored.
fn read_cache(cache: &Path) -> Result<HashMap<PathBuf, Option<Landmarks>>, Error> {
    let mut known = HashMap::new();
    let text = match std::fs::read_to_string(cache) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(known),
        Err(e) => return Err(Error::io(cache, e)),
    };
    for line in text.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        match fields.as_slice() {
            [path, "none"] => {
                known.insert(PathBuf::from(path), None);
            }
            [path, rest @ ..] if rest.len() == 10 => {
                let v: Vec<f32> = rest.iter().filter_map(|s| s.parse().ok()).collect();
                if v.len() == 10 {
                    let lm = [
                        [v[0], v[1]],
                        [v[2], v[3]],
                        [v[4], v[5]],
                        [v[6], v[7]],
                        [v[8], v[9]],
                    ];
                    known.insert(PathBuf::from(path), Some(lm));
                }
            }
            _ => {}
        }
    }
    Ok(known)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_round_trips_and_ignores_torn_lines() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = tmp.path().join("landmarks.tsv");
        let lm = [[1.5, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0], [9.0, 10.25]];
        let text = cache_line(Path::new("/a b/c.jpg"), Some(&lm))
            + &cache_line(Path::new("/d.jpg"), None)
            + "/e.jpg\t1\t2";
        std::fs::write(&cache, text).unwrap();
        let known = read_cache(&cache).unwrap();
        assert_eq!(known.len(), 2);
        assert_eq!(known[Path::new("/a b/c.jpg")], Some(lm));
        assert_eq!(known[Path::new("/d.jpg")], None);
    }

    #[test]
    fn balancing_repeats_the_smaller_class() {
        let unit = |i: usize, label| Unit {
            path: PathBuf::from(format!("{i}.png")),
            label,
            landmarks: None,
            source: String::new(),
        };
        let mut units = vec![
            unit(0, Label::Real),
            unit(1, Label::Fake),
            unit(2, Label::Real),
            unit(3, Label::Real),
            unit(4, Label::Real),
        ];
        assert!(balance(&mut units).is_some());
        let fakes: Vec<&Path> = units
            .iter()
            .filter(|u| u.label.is_fake())
            .map(|u| u.path.as_path())
            .collect();
        assert_eq!(fakes.len(), 4);
        assert!(fakes.iter().all(|p| *p == Path::new("1.png")));
        assert!(balance(&mut units).is_none());
    }

    #[test]
    fn planar_conversion_keeps_channels_apart() {
        let image = RgbImage::from_raw(1, 1, vec![255, 0, 51]).unwrap();
        assert_eq!(to_planar(&image, 1), vec![1.0, 0.0, 0.2]);
    }
}
