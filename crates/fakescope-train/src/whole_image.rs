//! Whole-image data: labelled photos and generated images, cut into crops at native resolution
//! exactly as `fakescope scan` cuts an image for a whole-image detector
//! ([`fakescope_models::whole_image`]).
//!
//! The two classes of such corpora differ in ways that have nothing to do with generation:
//! photos are JPEG files of many sizes, generated images PNG squares of a few fixed sizes, some
//! with a signature bar. A model can learn those instead of the traces of generation, so every
//! step is the same for both classes:
//!
//! - **Never resized to the input**: a training row is one random crop of `model.input_size`
//!   pixels at native resolution (an image smaller than a crop is padded by mirroring, as in
//!   `scan`), so the square format and the file's size are not visible.
//! - **Rescaled at random** before cropping (`image.rescale`), so the scale of the content and
//!   of the upsampling traces varies within each class. A shrink never takes an image that
//!   covers a crop below the crop's side: otherwise a class of small images (face photos just
//!   larger than a crop) would be padded far more often than the other, and padding would
//!   become a sign of that class.
//! - **The same augmentation** (`[augment]`, drawn independently per row), ending with a JPEG
//!   re-encoding: with it at high probability, both classes carry JPEG blocks, so "has JPEG
//!   blocks" cannot mean "photo".
//! - **Balanced**: even rows are photos, odd rows generated images, each drawn uniformly within
//!   its class, or with its sources balanced (`image.source_balance`, as speech does), so that
//!   a large source of photos cannot become "what a photo looks like".
//!
//! Validation scores every validation image with the crops `scan` takes (an even grid, at most
//! `image.val_crops`), without augmentation; an image's score is the mean fake probability of
//! its crops. A first pass reads every image's header: missing, unreadable and too-small images
//! are left out and counted in the notes, never silently.

use std::path::{Path, PathBuf};

use fakescope_datasets::{Label, OpenOptions, Split};
use fakescope_media::ImageLimits;
use fakescope_media::resize::{Filter, resize_rgb};
use fakescope_models::whole_image::{self, InputTransform, MIN_SIDE};
use fakescope_perturb::{Augment, coin, sample_rng, uniform};
use image::RgbImage;
use rand::Rng;
use rayon::prelude::*;

use crate::Error;
use crate::data::{Batch, SourceSampler, TrainData, read_sets};
use crate::recipe::{Recipe, Rescale};

const STREAM_PICK: u64 = 21;
const STREAM_RESCALE: u64 = 22;
const STREAM_CROP: u64 = 23;
const STREAM_AUG: u64 = 24;

/// One labelled image.
#[derive(Debug, Clone, PartialEq)]
pub struct Picture {
    /// The image file.
    pub path: PathBuf,
    /// Its label.
    pub label: Label,
    /// Where it comes from.
    pub source: String,
    /// The generator of a fake (empty for photos).
    pub generator: String,
}

/// The whole-image data of a run.
#[derive(Debug, Clone)]
pub struct ImageData {
    /// Training images.
    pub train: Vec<Picture>,
    /// Validation images.
    pub val: Vec<Picture>,
    /// Crop side (the model's input size).
    pub size: usize,
    /// What the network sees of a crop.
    pub input: InputTransform,
    /// The random resize before cropping.
    pub rescale: Rescale,
    /// Crops per validation image, at most.
    pub val_crops: usize,
    /// The augmentation of training crops.
    pub augment: Augment,
    /// The training images of each class (indices into `train`): real, fake.
    by_class: [Vec<usize>; 2],
    /// With `image.source_balance` above 0: per class, a draw that balances sources.
    samplers: Option<[SourceSampler; 2]>,
    /// What was left out and why.
    pub notes: Vec<String>,
}

impl ImageData {
    /// Reads the recipe's sets (training and validation rows only: held-out images are never
    /// opened), and reads every image's header once.
    pub fn prepare(recipe: &Recipe, recipe_dir: &Path) -> Result<ImageData, Error> {
        let image = recipe.image();
        // Files are not checked up front: a missing one is counted with the unreadable ones.
        let samples = read_sets(recipe, recipe_dir, &OpenOptions { check_files: false })?;
        let mut notes = Vec::new();
        let mut split = |which: Split, what: &str| -> Result<Vec<Picture>, Error> {
            let chosen: Vec<_> = samples.iter().filter(|s| s.split == Some(which)).collect();
            fakescope_datasets::check_trainable(chosen.iter().copied(), what, false)?;
            let checked: Vec<(Picture, Result<(), String>)> = chosen
                .par_iter()
                .map(|s| {
                    let picture = Picture {
                        path: s.path.clone(),
                        label: s.label,
                        source: s.source.clone().unwrap_or_default(),
                        generator: s.generator.clone().unwrap_or_default(),
                    };
                    let ok = header_check(&s.path);
                    (picture, ok)
                })
                .collect();
            let (mut kept, mut left) = (Vec::new(), Vec::new());
            for (picture, ok) in checked {
                match ok {
                    Ok(()) => kept.push(picture),
                    Err(why) => left.push(why),
                }
            }
            if !left.is_empty() {
                notes.push(format!(
                    "{what}: {} images left out: {}",
                    left.len(),
                    left.iter().take(5).cloned().collect::<Vec<_>>().join("; ")
                ));
            }
            Ok(kept)
        };
        let train = split(Split::Train, "train split")?;
        let val = split(Split::Val, "val split")?;
        let by_class = [Label::Real, Label::Fake].map(|label| {
            (0..train.len())
                .filter(|&i| train[i].label == label)
                .collect::<Vec<_>>()
        });
        if by_class.iter().any(Vec::is_empty) || !val.iter().any(|p| p.label.is_fake()) {
            return Err(Error::Invalid(
                "whole-image training needs real and fake images in both splits".to_owned(),
            ));
        }
        let samplers = (image.source_balance > 0.0).then(|| {
            by_class.clone().map(|class| {
                SourceSampler::new(
                    class.into_iter().map(|i| (i, train[i].source.as_str())),
                    image.source_balance,
                )
            })
        });
        Ok(ImageData {
            samplers,
            train,
            val,
            size: recipe.model.input_size,
            input: image.input,
            rescale: image.rescale,
            val_crops: image.val_crops,
            augment: recipe.augment.clone(),
            by_class,
            notes,
        })
    }

    /// Planar crops `[3, size, size]` in [0, 1], transformed for the network.
    fn planes(&self, crop: &RgbImage) -> Vec<f32> {
        let mut planes = crate::face::to_planar(crop, self.size);
        self.input.apply_planar(&mut planes, self.size);
        planes
    }

    /// One training row: picture `index`, rescaled, cropped at random and augmented.
    fn train_row(&self, index: usize, seed: u64, epoch: u64, unit: u64) -> Result<Vec<f32>, Error> {
        let picture = &self.train[index];
        let named =
            |e: &dyn std::fmt::Display| Error::Invalid(format!("{}: {e}", picture.path.display()));
        let mut image = decode(&picture.path)?;
        let mut rng = sample_rng(seed, &[epoch, unit, STREAM_RESCALE]);
        if coin(&mut rng, self.rescale.p) {
            let f = uniform(&mut rng, self.rescale.scale[0], self.rescale.scale[1]);
            let f = f.max(covering_scale(image.width(), image.height(), self.size));
            let side = |v: u32| ((v as f32 * f).round() as u32).max(MIN_SIDE as u32);
            image = resize_rgb(
                &image,
                side(image.width()),
                side(image.height()),
                Filter::Bilinear,
            );
        }
        let (w, h) = (image.width() as usize, image.height() as usize);
        let mut rng = sample_rng(seed, &[epoch, unit, STREAM_CROP]);
        let corner = [
            rng.random_range(0..=w.saturating_sub(self.size)),
            rng.random_range(0..=h.saturating_sub(self.size)),
        ];
        let crop = crop_rgb8(&image, corner, self.size);
        let augmented = self
            .augment
            .apply(&crop, &mut sample_rng(seed, &[epoch, unit, STREAM_AUG]))
            .map_err(|e| named(&e))?;
        Ok(self.planes(&augmented))
    }
}

/// The smallest factor a random rescale may apply to a `w` x `h` image: one that keeps its
/// shorter side at least `size` when it was (and 0, no bound, when it already was smaller).
fn covering_scale(w: u32, h: u32, size: usize) -> f32 {
    let short = w.min(h) as f32;
    if short >= size as f32 {
        size as f32 / short
    } else {
        0.0
    }
}

impl TrainData for ImageData {
    fn train_len(&self) -> usize {
        self.train.len()
    }

    fn val_len(&self) -> usize {
        self.val.len()
    }

    /// Rows of whole images: `val_crops` crops each.
    fn val_units_per_batch(&self, rows: usize) -> usize {
        (rows / self.val_crops).max(1)
    }

    fn train_batch(&self, indices: &[usize], seed: u64, epoch: u64) -> Result<Batch, Error> {
        let rows = indices
            .par_iter()
            .enumerate()
            .map(|(position, &unit)| {
                let class = &self.by_class[position % 2];
                let mut pick = sample_rng(seed, &[epoch, unit as u64, STREAM_PICK]);
                let index = match &self.samplers {
                    Some(samplers) => samplers[position % 2]
                        .draw(&mut pick)
                        .expect("both classes have images"),
                    None => class[pick.random_range(0..class.len())],
                };
                let label = if self.train[index].label.is_fake() {
                    1.0
                } else {
                    0.0
                };
                Ok((
                    self.train_row(index, seed, epoch, unit as u64)?,
                    label,
                    position,
                ))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(Batch::from_rows(rows, [3, self.size, self.size]))
    }

    fn val_batch(&self, indices: &[usize], _seed: u64) -> Result<Batch, Error> {
        let per_image = indices
            .par_iter()
            .map(|&i| {
                let picture = &self.val[i];
                let image = decode(&picture.path)?;
                let (w, h) = (image.width() as usize, image.height() as usize);
                let label = if picture.label.is_fake() { 1.0 } else { 0.0 };
                Ok(whole_image::crop_grid(w, h, self.size, self.val_crops)
                    .into_iter()
                    .map(|corner| (self.planes(&crop_rgb8(&image, corner, self.size)), label, i))
                    .collect::<Vec<_>>())
            })
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(Batch::from_rows(
            per_image.into_iter().flatten().collect(),
            [3, self.size, self.size],
        ))
    }

    fn notes(&self) -> &[String] {
        &self.notes
    }
}

/// The `size` × `size` crop at `corner`, as `scan` cuts it ([`whole_image::cut_crop`]: mirrored
/// beyond the edge of an image smaller than a crop).
pub fn crop_rgb8(image: &RgbImage, corner: [usize; 2], size: usize) -> RgbImage {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let pixels = whole_image::cut_crop_rgb8(image.as_raw(), w, h, corner, size);
    RgbImage::from_raw(size as u32, size as u32, pixels).expect("a crop holds size² pixels")
}

/// Decodes an image (content sniffed, limits enforced), naming the file on error, and refuses
/// one too small to crop.
fn decode(path: &Path) -> Result<RgbImage, Error> {
    let image = fakescope_media::decode_image(path, &ImageLimits::default())
        .map_err(|e| Error::Invalid(e.to_string()))?;
    whole_image::check_image(
        image.as_raw(),
        image.width() as usize,
        image.height() as usize,
    )
    .map_err(|e| Error::Invalid(format!("{}: {e}", path.display())))?;
    Ok(image)
}

/// Reads an image's header: its format and size, and that it is large enough to crop.
fn header_check(path: &Path) -> Result<(), String> {
    let named = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let (w, h) = image::ImageReader::open(path)
        .map_err(|e| named(&e))?
        .with_guessed_format()
        .map_err(|e| named(&e))?
        .into_dimensions()
        .map_err(|e| named(&e))?;
    if (w as usize) < MIN_SIDE || (h as usize) < MIN_SIDE {
        return Err(named(&format!(
            "{w}x{h} pixels, under the {MIN_SIDE} a side that whole-image detectors need"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::covering_scale;

    #[test]
    fn a_shrink_keeps_an_image_that_covers_a_crop_covering_it() {
        // A 200 px face photo and 192 px crops: at most a shrink to 0.96.
        assert_eq!(covering_scale(200, 300, 192), 0.96);
        assert_eq!((200.0 * covering_scale(200, 200, 192)).round(), 192.0);
        // Large images may shrink far; small ones are not bounded (they are padded anyway).
        assert_eq!(covering_scale(1024, 1024, 256), 0.25);
        assert_eq!(covering_scale(100, 400, 192), 0.0);
    }
}
