//! What a user asks of a scan, in one value: the detectors and every option of `fakescope scan`.
//!
//! The command line and the HTTP API (`fakescope serve`) both fill a [`ScanSettings`] and turn it
//! into [`ScanOptions`] the same way, so a scan asked for over HTTP is the scan the command line
//! runs with the same options. The defaults are the command line's.

use serde::{Deserialize, Serialize};

use crate::aggregate::Pool;
use crate::faces::CropKind;
use crate::pipeline::{ScanOptions, WindowPolicy};
use crate::verdict::Thresholds;
use crate::video::VideoOptions;
use fakescope_media::{AudioLimits, ImageLimits, Sampling};

/// Every choice of a scan besides the files. Serialised with sorted, de-duplicated detector
/// names by [`ScanSettings::normalized`], it identifies the scan: the same file with equal
/// settings gives the same report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScanSettings {
    /// Detector names (or model folders); empty: the default set.
    pub detectors: Vec<String>,
    /// Seconds between audio window starts.
    pub hop: f64,
    /// Only the first audio window.
    pub first_window: bool,
    /// How a detector's window scores pool.
    pub aggregate: Pool,
    /// How detectors pool.
    pub combine: Pool,
    /// `likely_fake` at or above this probability.
    pub fake_threshold: f64,
    /// `uncertain` at or above this and below the fake threshold.
    pub uncertain_threshold: f64,
    /// Longest recording accepted, in seconds.
    pub max_duration: f64,
    /// Windows or crops per model call.
    pub batch_size: usize,
    /// How the faces of an image pool.
    pub face_aggregate: Pool,
    /// The images are face crops already: no face detection.
    pub crops: bool,
    /// How found faces are cut out.
    pub crop: CropKind,
    /// Video: frames spread evenly (ignored when `fps` is set).
    pub frames: usize,
    /// Video: frames per second instead of a count.
    pub fps: Option<f64>,
    /// Video: how face tracks pool.
    pub track_aggregate: Pool,
    /// Largest image accepted, in pixels.
    pub max_pixels: u64,
    /// Whole-image detectors: at most this many crops per image or video frame.
    pub image_crops: usize,
    /// A logistic fusion of the detectors (`fakescope calibrate fuse`) instead of `combine`: a
    /// file for `fakescope scan --combine fusion --fusion FILE`; over HTTP, the name of one of
    /// the server's fusions (`fakescope serve --fusion NAME=FILE`). Left out of the serialised
    /// settings when absent, so settings without it identify the same scans as before it
    /// existed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fusion: Option<String>,
}

impl Default for ScanSettings {
    fn default() -> Self {
        let options = ScanOptions::default();
        ScanSettings {
            detectors: Vec::new(),
            hop: options.hop_s,
            first_window: false,
            aggregate: options.aggregate,
            combine: options.combine,
            fake_threshold: options.thresholds.fake,
            uncertain_threshold: options.thresholds.uncertain,
            max_duration: options.audio_limits.max_duration_s,
            batch_size: options.batch_size,
            face_aggregate: options.face_pool,
            crops: false,
            crop: CropKind::default(),
            frames: 32,
            fps: None,
            track_aggregate: options.video.track_pool,
            max_pixels: options.image_limits.max_pixels,
            image_crops: options.image_crops,
            fusion: None,
        }
    }
}

impl ScanSettings {
    /// The same settings with detector names sorted and without repeats: two requests that
    /// differ only in the order of the detectors are the same scan.
    pub fn normalized(mut self) -> Self {
        self.detectors.sort();
        self.detectors.dedup();
        self
    }

    /// The pipeline options, checked: every number in range, the thresholds ordered.
    pub fn scan_options(&self) -> Result<ScanOptions, String> {
        let positive = |what: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(format!("{what} must be a positive number, not {v}"))
            }
        };
        positive("hop", self.hop)?;
        positive("max_duration", self.max_duration)?;
        if self.batch_size == 0 {
            return Err("batch_size must be at least 1".into());
        }
        if self.max_pixels == 0 {
            return Err("max_pixels must be at least 1".into());
        }
        if !(1..=256).contains(&self.image_crops) {
            return Err(format!(
                "image_crops must be between 1 and 256, not {}",
                self.image_crops
            ));
        }
        let sampling = match self.fps {
            Some(fps) => {
                positive("fps", fps)?;
                Sampling::Fps(fps)
            }
            None if self.frames == 0 => return Err("frames must be at least 1".into()),
            None => Sampling::Count(self.frames),
        };
        let thresholds = Thresholds {
            fake: self.fake_threshold,
            uncertain: self.uncertain_threshold,
        };
        thresholds.validate()?;
        Ok(ScanOptions {
            hop_s: self.hop,
            window_policy: if self.first_window {
                WindowPolicy::First
            } else {
                WindowPolicy::All
            },
            aggregate: self.aggregate,
            combine: self.combine,
            thresholds,
            batch_size: self.batch_size,
            audio_limits: AudioLimits {
                max_duration_s: self.max_duration,
                ..AudioLimits::default()
            },
            face_pool: self.face_aggregate,
            image_limits: ImageLimits {
                max_pixels: self.max_pixels,
                ..ImageLimits::default()
            },
            video: VideoOptions {
                sampling,
                track_pool: self.track_aggregate,
                ..VideoOptions::default()
            },
            image_crops: self.image_crops,
            frame_filter: None,
            heatmaps: None,
            fusion: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_pipeline_defaults() {
        let options = ScanSettings::default().scan_options().unwrap();
        let reference = ScanOptions::default();
        assert_eq!(options.hop_s, reference.hop_s);
        assert_eq!(options.thresholds, reference.thresholds);
        assert_eq!(options.video.sampling, reference.video.sampling);
        assert_eq!(options.face_pool, reference.face_pool);
        assert_eq!(options.image_crops, reference.image_crops);
    }

    #[test]
    fn bad_values_are_named() {
        let bad = |s: ScanSettings, key: &str| {
            let e = s.scan_options().unwrap_err();
            assert!(e.contains(key), "{e}");
        };
        bad(
            ScanSettings {
                hop: 0.0,
                ..Default::default()
            },
            "hop",
        );
        bad(
            ScanSettings {
                fps: Some(f64::NAN),
                ..Default::default()
            },
            "fps",
        );
        bad(
            ScanSettings {
                frames: 0,
                ..Default::default()
            },
            "frames",
        );
        bad(
            ScanSettings {
                image_crops: 0,
                ..Default::default()
            },
            "image_crops",
        );
        assert!(
            ScanSettings {
                fake_threshold: 0.2,
                uncertain_threshold: 0.4,
                ..Default::default()
            }
            .scan_options()
            .is_err()
        );
    }

    #[test]
    fn normalized_sorts_and_dedups_detectors() {
        let s = ScanSettings {
            detectors: vec!["b".into(), "a".into(), "b".into()],
            ..Default::default()
        }
        .normalized();
        assert_eq!(s.detectors, ["a", "b"]);
    }
}
