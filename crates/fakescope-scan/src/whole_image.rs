//! The whole-image stage: every image, and every sampled frame of a video, scored by the
//! whole-image detectors (AI-generated images), faces or not.
//!
//! An image is cut into crops at native resolution on the grid of
//! [`fakescope_models::whole_image::crop_grid`] (at most `--image-crops`), each detector scores
//! every crop, and a detector's score for the image is the mean fake probability of its crops,
//! exactly as the model was validated in training. The crops' scores are kept as a coarse map
//! ([`Patch`]): where in the image the detector saw generation traces.

use fakescope_media::RgbImage;
use fakescope_models::whole_image::{check_image, crop_grid, cut_crop};
use fakescope_models::{ImageDetector, InputSpec};
use serde::{Deserialize, Serialize};

use crate::aggregate::Pool;
use crate::report::DetectorReport;
use crate::verdict::{Thresholds, Verdict};

/// One crop of the map: its square and its fake probability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Patch {
    /// Left edge in pixels.
    pub x: usize,
    /// Top edge in pixels.
    pub y: usize,
    /// Side in pixels (may reach beyond a smaller image, which is then padded by mirroring).
    pub size: usize,
    /// The detector's fake probability for this crop.
    pub fake_probability: f64,
}

/// One whole-image detector's view of an image (or, for a video, of its sampled frames).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageDetectorReport {
    /// Registry name of the detector.
    pub name: String,
    /// Its fake probability: the mean over its crops (video: over frames of that).
    pub fake_probability: f64,
    /// The crops it scored and their probabilities (images only; empty for videos).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub map: Vec<Patch>,
    /// The PNG of the map drawn over the image (`scan --heatmaps DIR`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heatmap: Option<String>,
}

/// A video frame's whole-image score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FramePoint {
    /// Time of the frame in seconds.
    pub time_s: f64,
    /// The detectors' fake probability for the frame, combined (`--combine`).
    pub fake_probability: f64,
}

/// The `image` section of a report: what the whole-image detectors concluded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageReport {
    /// The detectors combined (`--combine`).
    pub fake_probability: f64,
    /// Its verdict.
    pub verdict: Verdict,
    /// Each detector.
    pub detectors: Vec<ImageDetectorReport>,
    /// Videos: the score of every sampled frame.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub frames: Vec<FramePoint>,
}

impl ImageReport {
    /// Each detector as a report's `detectors[]` entry (its score and verdict).
    pub fn detector_reports(&self, thresholds: Thresholds) -> Vec<DetectorReport> {
        self.detectors
            .iter()
            .map(|d| DetectorReport {
                name: d.name.clone(),
                fake_probability: d.fake_probability,
                verdict: thresholds.verdict(Some(d.fake_probability)),
                windows: Vec::new(),
                segments: Vec::new(),
            })
            .collect()
    }
}

/// The whole-image detectors.
pub struct ImageStage {
    detectors: Vec<Box<dyn ImageDetector>>,
}

impl ImageStage {
    /// Checks that every detector takes whole-image crops.
    pub fn new(detectors: Vec<Box<dyn ImageDetector>>) -> Result<Self, String> {
        if detectors.is_empty() {
            return Err("no whole-image detector".into());
        }
        if let Some(d) = detectors
            .iter()
            .find(|d| !matches!(d.info().input, InputSpec::ImageCrop { .. }))
        {
            return Err(format!("{} does not take whole-image crops", d.info().name));
        }
        Ok(ImageStage { detectors })
    }

    /// Names of the detectors, in order.
    pub fn detector_names(&self) -> Vec<&'static str> {
        self.detectors.iter().map(|d| d.info().name).collect()
    }

    /// Names of the detectors that carry a calibration.
    pub fn calibrated_names(&self) -> Vec<&'static str> {
        self.detectors
            .iter()
            .filter(|d| d.calibration().is_some())
            .map(|d| d.info().name)
            .collect()
    }

    /// Scores one image with every detector: each detector's crops (at most `max_crops`),
    /// their mean, and the detectors combined with `combine`. Errors (an image too small, a
    /// model failure) are messages for the report.
    pub fn score(
        &self,
        image: &RgbImage,
        max_crops: usize,
        combine: Pool,
        thresholds: Thresholds,
        batch_size: usize,
    ) -> Result<ImageReport, String> {
        let (w, h) = (image.width() as usize, image.height() as usize);
        check_image(image.as_raw(), w, h).map_err(|e| e.to_string())?;
        let mut reports = Vec::with_capacity(self.detectors.len());
        for d in &self.detectors {
            let InputSpec::ImageCrop { size } = d.info().input else {
                unreachable!("checked in ImageStage::new");
            };
            let corners = crop_grid(w, h, size, max_crops);
            let mut probs = Vec::with_capacity(corners.len());
            for chunk in corners.chunks(batch_size.max(1)) {
                let mut crops = Vec::with_capacity(chunk.len() * size * size * 3);
                for &corner in chunk {
                    cut_crop(image.as_raw(), w, h, corner, size, &mut crops);
                }
                probs.extend(
                    d.fake_probability(&crops, chunk.len())
                        .map_err(|e| format!("{}: {e}", d.info().name))?,
                );
            }
            let p = Pool::Mean.apply(probs.iter().copied()).unwrap_or(f64::NAN);
            reports.push(ImageDetectorReport {
                name: d.info().name.to_owned(),
                fake_probability: p,
                map: corners
                    .iter()
                    .zip(&probs)
                    .map(|(&[x, y], &fake_probability)| Patch {
                        x,
                        y,
                        size,
                        fake_probability,
                    })
                    .collect(),
                heatmap: None,
            });
        }
        let p = combine
            .apply(reports.iter().map(|r| r.fake_probability))
            .unwrap_or(f64::NAN);
        Ok(ImageReport {
            fake_probability: p,
            verdict: thresholds.verdict(Some(p)),
            detectors: reports,
            frames: Vec::new(),
        })
    }

    /// Pools the reports of a video's sampled frames (`(time_s, report)`, from
    /// [`ImageStage::score`]): a detector's video score is the mean of its frame scores, and
    /// the timeline keeps each frame's combined score. No map: each frame had its own.
    pub fn pool_frames(
        &self,
        scored: Vec<(f64, ImageReport)>,
        combine: Pool,
        thresholds: Thresholds,
    ) -> Result<ImageReport, String> {
        if scored.is_empty() {
            return Err("no frame to score".into());
        }
        let detectors: Vec<ImageDetectorReport> = self
            .detectors
            .iter()
            .enumerate()
            .map(|(j, d)| ImageDetectorReport {
                name: d.info().name.to_owned(),
                fake_probability: Pool::Mean
                    .apply(scored.iter().map(|(_, r)| r.detectors[j].fake_probability))
                    .unwrap_or(f64::NAN),
                map: Vec::new(),
                heatmap: None,
            })
            .collect();
        let p = combine
            .apply(detectors.iter().map(|r| r.fake_probability))
            .unwrap_or(f64::NAN);
        Ok(ImageReport {
            fake_probability: p,
            verdict: thresholds.verdict(Some(p)),
            detectors,
            frames: scored
                .into_iter()
                .map(|(time_s, r)| FramePoint {
                    time_s,
                    fake_probability: r.fake_probability,
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use fakescope_models::{DetectorInfo, Error, Modality, ScoreConvention};

    use super::*;

    /// A detector whose fake probability is the mean red value of a crop.
    struct MeanRed(DetectorInfo);

    impl ImageDetector for MeanRed {
        fn info(&self) -> &DetectorInfo {
            &self.0
        }
        fn raw_outputs(&self, crops: &[f32], n: usize) -> Result<Vec<Vec<f32>>, Error> {
            let per = crops.len() / n.max(1);
            Ok(crops
                .chunks(per)
                .map(|c| {
                    let red: f32 = c.iter().step_by(3).sum::<f32>() / (per / 3) as f32;
                    vec![(red / (1.0 - red).max(1e-6)).ln()]
                })
                .collect())
        }
    }

    fn stage() -> ImageStage {
        let info = DetectorInfo {
            name: "mean-red",
            modality: Modality::Image,
            input: InputSpec::ImageCrop { size: 32 },
            convention: ScoreConvention::Logit,
        };
        ImageStage::new(vec![Box::new(MeanRed(info))]).unwrap()
    }

    #[test]
    fn crops_are_scored_where_they_are_and_pooled_by_their_mean() {
        // 64 x 32: the left half red 0.2, the right half red 0.9.
        let image = RgbImage::from_fn(64, 32, |x, _| {
            image::Rgb([if x < 32 { 51 } else { 230 }, 0, 0])
        });
        let r = stage()
            .score(&image, 4, Pool::Mean, Thresholds::default(), 1)
            .unwrap();
        let map = &r.detectors[0].map;
        assert_eq!(map.len(), 2);
        assert_eq!((map[0].x, map[1].x), (0, 32));
        assert!((map[0].fake_probability - 0.2).abs() < 1e-4);
        assert!((map[1].fake_probability - 230.0 / 255.0).abs() < 1e-4);
        assert!((r.fake_probability - 281.0 / 510.0).abs() < 1e-4);
        assert_eq!(r.verdict, Verdict::LikelyFake);
        // One crop only: the centre of the image.
        let r = stage()
            .score(&image, 1, Pool::Mean, Thresholds::default(), 8)
            .unwrap();
        assert_eq!(r.detectors[0].map.len(), 1);
        assert_eq!(r.detectors[0].map[0].x, 16);
    }

    #[test]
    fn tiny_images_are_refused_with_a_reason() {
        let image = RgbImage::new(20, 100);
        let err = stage()
            .score(&image, 4, Pool::Mean, Thresholds::default(), 4)
            .unwrap_err();
        assert!(
            err.contains("20x100") && err.contains("at least 32"),
            "{err}"
        );
    }

    #[test]
    fn video_frames_pool_by_their_mean() {
        let stage = stage();
        let frame = |red: u8| RgbImage::from_fn(32, 32, |_, _| image::Rgb([red, 0, 0]));
        let scored = [(0.0, frame(51)), (1.0, frame(153))]
            .iter()
            .map(|(t, f)| {
                let r = stage.score(f, 4, Pool::Mean, Thresholds::default(), 4);
                (*t, r.unwrap())
            })
            .collect();
        let r = stage
            .pool_frames(scored, Pool::Mean, Thresholds::default())
            .unwrap();
        assert_eq!(r.frames.len(), 2);
        assert!((r.frames[1].fake_probability - 0.6).abs() < 1e-4);
        assert!((r.fake_probability - 0.4).abs() < 1e-4);
        assert!(r.detectors[0].map.is_empty());
        assert!(ImageStage::new(Vec::new()).is_err());
        assert!(
            stage
                .pool_frames(Vec::new(), Pool::Mean, Thresholds::default())
                .is_err()
        );
    }
}
