//! Scoring faces in still images: find each face (or take the whole image as one crop), cut it
//! to the detectors' size, score every crop of a batch of images together, pool per file.
//!
//! ```text
//! images ─► (parallel) decode ─► faces: FaceFinder::find  | --crops: the whole image
//!        ─► crops: FaceFinder::crop (aligned)             | resize, Pillow bicubic
//!        ─► every face detector, batched across images ─► fake probability per face
//!        ─► per face: combine detectors ─► per file: pool faces (max by default) ─► verdict
//! ```

use std::path::Path;

use fakescope_media::RgbImage;
use fakescope_media::resize::{Filter, resize_rgb};
use fakescope_models::{FaceDetector, InputSpec};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::aggregate::Pool;
use crate::explain;
use crate::report::{DetectorReport, FileReport, MediaKind};
use crate::verdict::Thresholds;

/// A face found in an image.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FoundFace {
    /// Box `[x1, y1, x2, y2]` in pixels of the image.
    pub bbox: [f32; 4],
    /// Five landmarks (left eye, right eye, nose, left and right mouth corners), `[x, y]`.
    pub landmarks: Option<[[f32; 2]; 5]>,
    /// The face detector's confidence that this is a face.
    pub probability: f32,
}

/// Finds faces and cuts them out for the face-forgery detectors (MTCNN plus alignment).
pub trait FaceFinder: Send + Sync {
    /// Faces in `image`, most confident first; an empty list when there is none.
    fn find(&self, image: &RgbImage) -> Result<Vec<FoundFace>, String>;
    /// The `size` x `size` crop of `face` the detectors score; `None` when the face cannot be
    /// cut out (an empty box): it is then left out.
    fn crop(&self, image: &RgbImage, face: &FoundFace, size: u32) -> Option<RgbImage>;
}

/// Where the faces of an image come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FaceMode {
    /// Find faces with the [`FaceFinder`] and crop each one.
    #[default]
    Detect,
    /// Every image already is a face crop (benchmark frame folders): resize it to the detectors'
    /// size with Pillow's bicubic filter, as MesoNet's evaluation does.
    Crops,
}

/// One face-forgery detector's score for one face.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaceScore {
    /// Registry name of the detector (e.g. `mesoinception4-df`).
    pub name: String,
    /// Its fake probability for this face.
    pub fake_probability: f64,
    /// The PNG of its occlusion heatmap over the face crop (`scan --heatmaps DIR`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heatmap: Option<String>,
}

/// One face of an image and its scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaceReport {
    /// Box `[x1, y1, x2, y2]` in pixels; `null` with `--crops` (the whole image is the face).
    pub bbox: Option<[f32; 4]>,
    /// Five landmarks `[x, y]` (eyes, nose, mouth corners), when the face finder gives them.
    pub landmarks: Option<[[f32; 2]; 5]>,
    /// The face finder's confidence that this is a face.
    pub face_probability: Option<f32>,
    /// Fake probability of the face, the detectors combined (`--combine`).
    pub fake_probability: f64,
    /// Each detector's fake probability for this face.
    pub detectors: Vec<FaceScore>,
}

/// A scored face and its crops, one per size of [`FaceStage::sizes`].
type FaceAndCrops = (ScoredFace, Vec<RgbImage>);

/// A scored face: where it is (`None` with `--crops`), each detector's score, and theirs
/// combined.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoredFace {
    /// The face, or `None` when the whole image is the crop.
    pub face: Option<FoundFace>,
    /// Each detector's fake probability.
    pub scores: Vec<FaceScore>,
    /// The detectors combined.
    pub fake_probability: f64,
}

/// A face (`None` with `--crops`) and its crops, one per crop size the detectors take (in the
/// order of [`FaceStage::sizes`]).
type Crop = (Option<FoundFace>, Vec<RgbImage>);

/// The face-forgery detectors, how faces are found, and how scores pool.
pub struct FaceStage {
    detectors: Vec<Box<dyn FaceDetector>>,
    finder: Option<Box<dyn FaceFinder>>,
    mode: FaceMode,
    /// The distinct crop sides the detectors take, in the order they first appear.
    sizes: Vec<u32>,
    /// For each detector, the index of its crop side in `sizes`.
    size_of: Vec<usize>,
}

impl FaceStage {
    /// Checks that every detector takes face crops (of any size: each face is cut once per
    /// distinct size) and that a finder is given unless every image is a crop.
    pub fn new(
        detectors: Vec<Box<dyn FaceDetector>>,
        finder: Option<Box<dyn FaceFinder>>,
        mode: FaceMode,
    ) -> Result<Self, String> {
        if detectors.is_empty() {
            return Err("no face detector".into());
        }
        let mut sizes: Vec<u32> = Vec::new();
        let mut size_of = Vec::with_capacity(detectors.len());
        for d in &detectors {
            let InputSpec::FaceCrop { size } = d.info().input else {
                return Err(format!("{} does not take face crops", d.info().name));
            };
            let size = u32::try_from(size)
                .map_err(|_| format!("{}: crop size {size} is too large", d.info().name))?;
            let index = sizes.iter().position(|&s| s == size).unwrap_or_else(|| {
                sizes.push(size);
                sizes.len() - 1
            });
            size_of.push(index);
        }
        if mode == FaceMode::Detect && finder.is_none() {
            return Err("finding faces needs the face finder (mtcnn), or --crops".into());
        }
        Ok(FaceStage {
            detectors,
            finder,
            mode,
            sizes,
            size_of,
        })
    }

    /// Names of the face detectors, in order.
    pub fn detector_names(&self) -> Vec<&'static str> {
        self.detectors.iter().map(|d| d.info().name).collect()
    }

    /// Names of the detectors whose probabilities are calibrated.
    pub fn calibrated_names(&self) -> Vec<&'static str> {
        self.detectors
            .iter()
            .filter(|d| d.calibration().is_some())
            .map(|d| d.info().name)
            .collect()
    }

    /// The distinct crop sides the detectors take (each face is cut once per side).
    pub fn sizes(&self) -> &[u32] {
        &self.sizes
    }

    /// Faces of one image and their crops.
    fn faces_of(&self, image: &RgbImage) -> Result<Vec<Crop>, String> {
        match (self.mode, &self.finder) {
            (FaceMode::Crops, _) => {
                let crops = self
                    .sizes
                    .iter()
                    .map(|&size| resize_rgb(image, size, size, Filter::Bicubic))
                    .collect();
                Ok(vec![(None, crops)])
            }
            (FaceMode::Detect, Some(finder)) => Ok(finder
                .find(image)?
                .into_iter()
                .filter_map(|face| {
                    let crops = self
                        .sizes
                        .iter()
                        .map(|&size| finder.crop(image, &face, size))
                        .collect::<Option<Vec<_>>>()?;
                    Some((Some(face), crops))
                })
                .collect()),
            (FaceMode::Detect, None) => Err("no face finder".into()),
        }
    }

    /// Finds and scores the faces of several images together: per image, its faces with
    /// every detector's score and the combined one, or why the image could not be scored.
    pub fn score(
        &self,
        images: Vec<RgbImage>,
        combine: Pool,
        batch_size: usize,
    ) -> Vec<Result<Vec<ScoredFace>, String>> {
        self.score_with_crops(images, combine, batch_size)
            .into_iter()
            .map(|faces| Ok(faces?.into_iter().map(|(f, _)| f).collect()))
            .collect()
    }

    /// [`FaceStage::score`], with each face's crops (one per size, as [`FaceStage::sizes`]).
    fn score_with_crops(
        &self,
        images: Vec<RgbImage>,
        combine: Pool,
        batch_size: usize,
    ) -> Vec<Result<Vec<FaceAndCrops>, String>> {
        let found: Vec<Result<Vec<Crop>, String>> = images
            .into_par_iter()
            .map(|image| self.faces_of(&image))
            .collect();

        // Every face of every image, in order, scored in batches by every detector, each on
        // the crops of its size. A batch goes to a detector as values in [0, 1], channels
        // last, in one reused buffer.
        let faces: Vec<&[RgbImage]> = found
            .iter()
            .filter_map(|r| r.as_ref().ok())
            .flatten()
            .map(|(_, c)| c.as_slice())
            .collect();
        let batch_size = batch_size.max(1);
        let mut data = Vec::new();
        let mut per_detector: Vec<Vec<f64>> = Vec::with_capacity(self.detectors.len());
        for (detector, &size_index) in self.detectors.iter().zip(&self.size_of) {
            let mut probs = Vec::with_capacity(faces.len());
            for chunk in faces.chunks(batch_size) {
                data.clear();
                for crops in chunk {
                    let crop = &crops[size_index];
                    data.extend(crop.as_raw().iter().map(|&v| f32::from(v) / 255.0));
                }
                match detector.fake_probability(&data, chunk.len()) {
                    Ok(p) => probs.extend(p),
                    Err(e) => {
                        let e = format!("{}: {e}", detector.info().name);
                        return found.iter().map(|_| Err(e.clone())).collect();
                    }
                }
            }
            per_detector.push(probs);
        }

        let mut next = 0usize;
        found
            .into_iter()
            .map(|faces| {
                let faces = faces?;
                Ok(faces
                    .into_iter()
                    .map(|(face, crops)| {
                        let i = next;
                        next += 1;
                        let scores: Vec<FaceScore> = self
                            .detectors
                            .iter()
                            .zip(&per_detector)
                            .map(|(d, probs)| FaceScore {
                                name: d.info().name.to_owned(),
                                fake_probability: probs[i],
                                heatmap: None,
                            })
                            .collect();
                        let fake_probability = combine
                            .apply(scores.iter().map(|d| d.fake_probability))
                            .unwrap_or(f64::NAN);
                        (
                            ScoredFace {
                                face,
                                scores,
                                fake_probability,
                            },
                            crops,
                        )
                    })
                    .collect())
            })
            .collect()
    }

    /// Scores the faces of video frames (a face finder is required: frames are not crops, so
    /// every [`ScoredFace::face`] is `Some`).
    pub fn score_frames(
        &self,
        frames: Vec<RgbImage>,
        combine: Pool,
        batch_size: usize,
    ) -> Result<Vec<Vec<ScoredFace>>, String> {
        if self.mode == FaceMode::Crops {
            return Err("--crops applies to images, not to video frames".into());
        }
        self.score(frames, combine, batch_size)
            .into_iter()
            .collect()
    }

    /// Every detector's occlusion heatmap of each face (see [`crate::explain`]), drawn over
    /// the face crop and written to `dir`; the PNG's path goes into the face's score. Returns
    /// the problems, if any (a heatmap that could not be made or written).
    fn write_heatmaps(
        &self,
        label: &str,
        faces: &mut [FaceAndCrops],
        dir: &Path,
        batch_size: usize,
    ) -> Vec<String> {
        let mut problems = Vec::new();
        for (k, (face, crops)) in faces.iter_mut().enumerate() {
            for ((detector, &size_index), score) in self
                .detectors
                .iter()
                .zip(&self.size_of)
                .zip(face.scores.iter_mut())
            {
                let crop = &crops[size_index];
                let name = detector.info().name;
                let written =
                    explain::occlusion(detector.as_ref(), crop, explain::GRID, batch_size)
                        .and_then(|map| {
                            let path =
                                dir.join(explain::file_name(label, &format!("face{k}-{name}")));
                            explain::write_png(&explain::overlay(crop, &map), &path)?;
                            Ok(path)
                        });
                match written {
                    Ok(path) => score.heatmap = Some(path.display().to_string()),
                    Err(e) => problems.push(format!("heatmap of face {k}: {e}")),
                }
            }
        }
        problems
    }

    /// Heatmaps of the face in `image` that best overlaps `bbox` (a video track's face in its
    /// most suspicious frame): one PNG per detector in `dir`, named after `label` and `what`,
    /// or why not (no finder, no face there, a file that cannot be written).
    pub fn heatmaps_at(
        &self,
        image: &RgbImage,
        bbox: [f32; 4],
        label: &str,
        what: &str,
        dir: &Path,
        batch_size: usize,
    ) -> Result<Vec<String>, String> {
        let finder = self.finder.as_ref().ok_or("no face finder")?;
        let face = finder
            .find(image)?
            .into_iter()
            .map(|f| (fakescope_faces::iou(&f.bbox, &bbox), f))
            .filter(|(overlap, _)| *overlap > 0.3)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, f)| f)
            .ok_or("the face was not found again in its frame")?;
        let crops: Vec<RgbImage> = self
            .sizes
            .iter()
            .map(|&size| finder.crop(image, &face, size))
            .collect::<Option<_>>()
            .ok_or("the face cannot be cut out")?;
        self.detectors
            .iter()
            .zip(&self.size_of)
            .map(|(detector, &size_index)| {
                let crop = &crops[size_index];
                let name = detector.info().name;
                let map = explain::occlusion(detector.as_ref(), crop, explain::GRID, batch_size)?;
                let path = dir.join(explain::file_name(label, &format!("{what}-{name}")));
                explain::write_png(&explain::overlay(crop, &map), &path)?;
                Ok(path.display().to_string())
            })
            .collect()
    }

    /// Scores the faces of several images together. `images` pairs each report's path with its
    /// decoded image; the result has one report per image, in order. With `heatmaps`, every
    /// face's occlusion heatmaps are written there.
    #[allow(clippy::too_many_arguments)]
    pub fn scan_images(
        &self,
        images: Vec<(String, RgbImage)>,
        combine: Pool,
        face_pool: Pool,
        thresholds: Thresholds,
        batch_size: usize,
        heatmaps: Option<&Path>,
    ) -> Vec<FileReport> {
        let (labels, images): (Vec<String>, Vec<RgbImage>) = images.into_iter().unzip();
        labels
            .into_iter()
            .zip(self.score_with_crops(images, combine, batch_size))
            .map(|(label, faces)| {
                let mut faces = match faces {
                    Ok(f) => f,
                    Err(e) => return FileReport::failed(label, MediaKind::Image, e),
                };
                let problems = match heatmaps {
                    Some(dir) => self.write_heatmaps(&label, &mut faces, dir, batch_size),
                    None => Vec::new(),
                };
                let faces: Vec<ScoredFace> = faces.into_iter().map(|(f, _)| f).collect();
                if faces.is_empty() {
                    return FileReport::not_applicable(
                        label,
                        MediaKind::Image,
                        "no face found; the face detectors do not apply".into(),
                    );
                }
                let reports: Vec<FaceReport> = faces
                    .into_iter()
                    .map(|f| FaceReport {
                        bbox: f.face.map(|f| f.bbox),
                        landmarks: f.face.and_then(|f| f.landmarks),
                        face_probability: f.face.map(|f| f.probability),
                        fake_probability: f.fake_probability,
                        detectors: f.scores,
                    })
                    .collect();
                let detectors: Vec<DetectorReport> = self
                    .detectors
                    .iter()
                    .enumerate()
                    .map(|(j, d)| {
                        let p = face_pool
                            .apply(reports.iter().map(|f| f.detectors[j].fake_probability))
                            .unwrap_or(f64::NAN);
                        DetectorReport {
                            name: d.info().name.to_owned(),
                            fake_probability: p,
                            verdict: thresholds.verdict(Some(p)),
                            windows: Vec::new(),
                            segments: Vec::new(),
                        }
                    })
                    .collect();
                let p = face_pool.apply(reports.iter().map(|f| f.fake_probability));
                let report = FileReport {
                    fake_probability: p,
                    verdict: thresholds.verdict(p),
                    detectors,
                    faces: reports,
                    ..FileReport::not_applicable(label, MediaKind::Image, String::new())
                }
                .without_note();
                FileReport {
                    note: (!problems.is_empty()).then(|| problems.join("; ")),
                    ..report
                }
            })
            .collect()
    }
}

/// MTCNN (facenet-pytorch's cascade) as the [`FaceFinder`], with a crop method
/// (DeepfakeBench's alignment by default).
pub struct MtcnnFinder {
    mtcnn: fakescope_faces::Mtcnn,
    method: CropKind,
}

/// How [`MtcnnFinder`] cuts faces out.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CropKind {
    /// DeepfakeBench: the five landmarks onto the ArcFace template, margin 1.3, bilinear warp.
    #[default]
    Aligned,
    /// A square 1.3 times the box, no rotation.
    Box,
}

impl MtcnnFinder {
    /// Wraps a loaded MTCNN.
    pub fn new(mtcnn: fakescope_faces::Mtcnn, method: CropKind) -> Self {
        MtcnnFinder { mtcnn, method }
    }
}

impl FaceFinder for MtcnnFinder {
    fn find(&self, image: &RgbImage) -> Result<Vec<FoundFace>, String> {
        let view = fakescope_faces::RgbImage::new(
            image.width() as usize,
            image.height() as usize,
            image.as_raw(),
        )
        .map_err(|e| e.to_string())?;
        Ok(self
            .mtcnn
            .detect(&view)
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|f| FoundFace {
                bbox: f.bbox,
                landmarks: Some(f.landmarks),
                probability: f.probability,
            })
            .collect())
    }

    fn crop(&self, image: &RgbImage, face: &FoundFace, size: u32) -> Option<RgbImage> {
        let view = fakescope_faces::RgbImage::new(
            image.width() as usize,
            image.height() as usize,
            image.as_raw(),
        )
        .ok()?;
        let size_px = size as usize;
        let method = match (self.method, face.landmarks) {
            (CropKind::Aligned, Some(_)) => fakescope_faces::CropMethod::Aligned {
                size: size_px,
                scale: 1.3,
            },
            _ => fakescope_faces::CropMethod::Box {
                size: size_px,
                margin: 1.3,
            },
        };
        let face = fakescope_faces::Face {
            bbox: face.bbox,
            probability: face.probability,
            landmarks: face.landmarks.unwrap_or_default(),
        };
        let crop = fakescope_faces::crop_face(&view, &face, method).ok()??;
        RgbImage::from_raw(size, size, crop.pixels)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fakescope_models::{DetectorInfo, Error, Modality, ScoreConvention};

    /// A stand-in detector for the plumbing: its "real" output is the crop's mean red value, so
    /// each crop's score is known in advance.
    struct MeanRed(DetectorInfo);

    impl FaceDetector for MeanRed {
        fn info(&self) -> &DetectorInfo {
            &self.0
        }
        fn raw_outputs(&self, crops: &[f32], n: usize) -> Result<Vec<Vec<f32>>, Error> {
            let InputSpec::FaceCrop { size } = self.0.input else {
                unreachable!("a face detector")
            };
            let len = size * size * 3;
            if crops.len() != n * len {
                return Err(Error::Input {
                    detector: self.0.name,
                    message: format!("{} values for {n} crops of {size}x{size}", crops.len()),
                });
            }
            Ok(crops
                .chunks(len)
                .map(|c| {
                    let red: f32 = c.iter().step_by(3).sum::<f32>() / (len / 3) as f32;
                    vec![red]
                })
                .collect())
        }
    }

    fn mean_red() -> Box<dyn FaceDetector> {
        mean_red_at("mean-red", 8)
    }

    fn mean_red_at(name: &'static str, size: usize) -> Box<dyn FaceDetector> {
        Box::new(MeanRed(DetectorInfo {
            name,
            modality: Modality::Face,
            input: InputSpec::FaceCrop { size },
            convention: ScoreConvention::SigmoidReal,
        }))
    }

    /// Finds one face per 16 pixels of width, each the left part of the image.
    struct Strips;

    impl FaceFinder for Strips {
        fn find(&self, image: &RgbImage) -> Result<Vec<FoundFace>, String> {
            Ok((0..image.width() / 16)
                .map(|i| FoundFace {
                    bbox: [i as f32 * 16.0, 0.0, i as f32 * 16.0 + 16.0, 16.0],
                    landmarks: None,
                    probability: 0.99,
                })
                .collect())
        }
        fn crop(&self, image: &RgbImage, face: &FoundFace, size: u32) -> Option<RgbImage> {
            let x = face.bbox[0] as u32;
            let sub = image::imageops::crop_imm(image, x, 0, 16, 16).to_image();
            Some(resize_rgb(&sub, size, size, Filter::Bilinear))
        }
    }

    fn solid(w: u32, h: u32, red: u8) -> RgbImage {
        RgbImage::from_pixel(w, h, image::Rgb([red, 0, 0]))
    }

    #[test]
    fn crops_mode_scores_the_whole_image_and_converts_the_convention() {
        let stage = FaceStage::new(vec![mean_red()], None, FaceMode::Crops).unwrap();
        let reports = stage.scan_images(
            vec![("a".into(), solid(5, 7, 255)), ("b".into(), solid(9, 3, 0))],
            Pool::Mean,
            Pool::Max,
            Thresholds::default(),
            1,
            None,
        );
        // Output 1 = real (SigmoidReal): all-red reads "real", black reads "fake".
        assert_eq!(reports[0].fake_probability, Some(0.0));
        assert_eq!(reports[1].fake_probability, Some(1.0));
        assert_eq!(reports[1].faces.len(), 1);
        assert!(reports[1].faces[0].bbox.is_none());
        assert_eq!(reports[0].verdict.as_str(), "likely_real");
    }

    #[test]
    fn detect_mode_pools_faces_by_max_and_reports_no_face() {
        let stage =
            FaceStage::new(vec![mean_red()], Some(Box::new(Strips)), FaceMode::Detect).unwrap();
        // Two faces: the left one red (real), the right one black (fake).
        let mut img = solid(32, 16, 255);
        for x in 16..32 {
            for y in 0..16 {
                img.put_pixel(x, y, image::Rgb([0, 0, 0]));
            }
        }
        let reports = stage.scan_images(
            vec![("two".into(), img), ("none".into(), solid(10, 10, 3))],
            Pool::Mean,
            Pool::Max,
            Thresholds::default(),
            3,
            None,
        );
        assert_eq!(reports[0].faces.len(), 2);
        assert_eq!(reports[0].fake_probability, Some(1.0));
        assert_eq!(reports[0].faces[1].bbox, Some([16.0, 0.0, 32.0, 16.0]));
        assert_eq!(reports[1].verdict.as_str(), "n/a");
        assert!(reports[1].note.as_deref().unwrap().contains("no face"));
    }

    #[test]
    fn detectors_of_different_input_sizes_each_get_their_own_crops() {
        let detectors = vec![
            mean_red_at("eight", 8),
            mean_red_at("five", 5),
            mean_red_at("eight-too", 8),
        ];
        for mode in [FaceMode::Crops, FaceMode::Detect] {
            let stage =
                FaceStage::new(detectors_clone(&detectors), Some(Box::new(Strips)), mode).unwrap();
            assert_eq!(stage.sizes(), &[8, 5]);
            let maps = tempfile::tempdir().unwrap();
            let reports = stage.scan_images(
                vec![("red".into(), solid(32, 16, 255))],
                Pool::Mean,
                Pool::Max,
                Thresholds::default(),
                2,
                Some(maps.path()),
            );
            // Each detector's heatmap is drawn over its own crop.
            let sides: Vec<u32> = reports[0].faces[0]
                .detectors
                .iter()
                .map(|d| {
                    image::image_dimensions(d.heatmap.as_deref().unwrap())
                        .unwrap()
                        .0
                })
                .collect();
            assert_eq!(sides, [8, 5, 8]);
            let faces = &reports[0].faces;
            assert!(reports[0].error.is_none(), "{:?}", reports[0].error);
            assert_eq!(faces.len(), if mode == FaceMode::Crops { 1 } else { 2 });
            let names: Vec<&str> = faces[0].detectors.iter().map(|d| d.name.as_str()).collect();
            assert_eq!(names, ["eight", "five", "eight-too"]);
            assert!(faces[0].detectors.iter().all(|d| d.fake_probability == 0.0));
        }
    }

    fn detectors_clone(detectors: &[Box<dyn FaceDetector>]) -> Vec<Box<dyn FaceDetector>> {
        detectors
            .iter()
            .map(|d| {
                let InputSpec::FaceCrop { size } = d.info().input else {
                    unreachable!()
                };
                mean_red_at(d.info().name, size)
            })
            .collect()
    }

    #[test]
    fn detect_mode_needs_a_finder() {
        assert!(FaceStage::new(vec![mean_red()], None, FaceMode::Detect).is_err());
    }
}
