//! Scanning the frames of a video: sample frames, find and follow faces, score them, and turn
//! the scores into tracks, a timeline and segments.
//!
//! ```text
//! video ─► VideoReader (OpenH264 or ffmpeg, streaming) ─► N frames spread evenly (default 32,
//!          DeepfakeBench's linspace rule) or --fps
//!       ─► per frame: faces (MTCNN) ─► crops ─► face detectors (batched over a group of frames)
//!       ─► identity tracks by box overlap ─► per-track mean ─► video score (max over tracks)
//!       ─► timeline (most suspicious face of each frame) ─► segments over the threshold
//!       ─► per frame, when whole-image detectors run: the whole frame in crops ─► mean over
//!          frames (the `image` section)
//! ```
//!
//! Frames are decoded one at a time and scored in groups of [`FRAMES_PER_GROUP`], so memory
//! stays bounded whatever the length of the video.

use std::sync::Arc;

use fakescope_faces::{Face, Tracker, TrackerOptions};
use fakescope_media::{RgbImage, Sampling, VideoLimits, VideoReader};
use serde::{Deserialize, Serialize};

use crate::aggregate::{Pool, Segment};
use crate::faces::{FaceScore, FaceStage, ScoredFace};
use crate::verdict::{Thresholds, Verdict};
use crate::whole_image::{ImageReport, ImageStage};
use rayon::prelude::*;

/// Frames decoded before their faces are scored together.
pub const FRAMES_PER_GROUP: usize = 8;

/// How a video's frames are scanned.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VideoOptions {
    /// Which frames: a count spread evenly (default 32) or a rate.
    pub sampling: Sampling,
    /// Limits checked from the header before decoding.
    pub limits: VideoLimits,
    /// How tracks pool into the video's visual score (default: the most suspicious track).
    pub track_pool: Pool,
}

impl Default for VideoOptions {
    fn default() -> Self {
        VideoOptions {
            sampling: Sampling::Count(32),
            limits: VideoLimits::default(),
            track_pool: Pool::Max,
        }
    }
}

/// A change made to every sampled frame before any stage sees it, given the frame's index
/// (benchmarks perturb frames with it: `fakescope bench`).
#[derive(Clone)]
pub struct FrameFilter(pub Arc<dyn Fn(u64, RgbImage) -> Result<RgbImage, String> + Send + Sync>);

impl std::fmt::Debug for FrameFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FrameFilter(..)")
    }
}

/// One face of one sampled frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackFrame {
    /// Frame index in the video (presentation order, from 0).
    pub frame: u64,
    /// Time of the frame in seconds.
    pub time_s: f64,
    /// Box `[x1, y1, x2, y2]` in pixels of the (upright) frame.
    pub bbox: [f32; 4],
    /// The face finder's confidence that this is a face.
    pub face_probability: f32,
    /// Fake probability of this face, the detectors combined.
    pub fake_probability: f64,
    /// Each face detector's fake probability.
    pub detectors: Vec<FaceScore>,
}

/// One person followed through the video.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackReport {
    /// Track number, in order of first appearance.
    pub id: usize,
    /// Mean fake probability over the track's faces.
    pub fake_probability: f64,
    /// The verdict for that probability.
    pub verdict: Verdict,
    /// Time of the first and last frame where the face was found.
    pub start_s: f64,
    /// Time of the last frame where the face was found.
    pub end_s: f64,
    /// The face in every sampled frame where it was found.
    pub frames: Vec<TrackFrame>,
}

/// The fake probability of one sampled frame: its most suspicious face.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TimelinePoint {
    /// Frame index.
    pub frame: u64,
    /// Time in seconds.
    pub time_s: f64,
    /// Highest fake probability among the frame's faces; `null` when no face was found.
    pub fake_probability: Option<f64>,
    /// Faces found in the frame.
    pub faces: usize,
}

/// What the frames of a video showed.
#[derive(Debug, Clone, PartialEq)]
pub struct VisualScan {
    /// Identity tracks with their per-frame scores.
    pub tracks: Vec<TrackReport>,
    /// One point per sampled frame.
    pub timeline: Vec<TimelinePoint>,
    /// Runs of sampled frames whose timeline value reaches the fake threshold.
    pub segments: Vec<Segment>,
    /// The video's visual fake probability (tracks pooled); `None` when no face was found.
    pub fake_probability: Option<f64>,
    /// Per face detector: its score pooled the same way (per-track mean, then tracks).
    pub per_detector: Vec<(String, Option<f64>)>,
    /// Frames decoded and scanned.
    pub frames_scanned: usize,
    /// Duration of the video in seconds.
    pub duration_s: f64,
    /// The decoder used (`openh264` or `ffmpeg`).
    pub decoder: String,
    /// The whole-image detectors' view of the sampled frames, when they ran (or why it failed).
    pub image: Option<Result<ImageReport, String>>,
}

/// The stages that look at a video's frames: faces, whole frames, or both.
#[derive(Clone, Copy)]
pub struct FrameStages<'a> {
    /// The face stage.
    pub faces: Option<&'a FaceStage>,
    /// The whole-image stage, with at most this many crops per frame.
    pub images: Option<(&'a ImageStage, usize)>,
}

/// Samples, decodes and scores the frames of an opened video with the face stage and the
/// whole-image stage, each when given; `filter`, when given, changes each frame first.
#[allow(clippy::too_many_arguments)]
pub fn scan_frames(
    reader: &VideoReader,
    stages: FrameStages<'_>,
    options: &VideoOptions,
    filter: Option<&FrameFilter>,
    combine: Pool,
    thresholds: Thresholds,
    batch_size: usize,
) -> Result<VisualScan, String> {
    let info = reader.info().clone();
    let wanted = reader.sample_indices(options.sampling);
    if wanted.is_empty() {
        return Err("the video has no frames to scan".into());
    }
    let frames = reader.frames(&wanted).map_err(|e| e.to_string())?;

    // (frame, time, faces with their scores)
    let mut scanned: Vec<(u64, f64, Vec<ScoredFace>)> = Vec::new();
    let mut whole: Result<Vec<(f64, ImageReport)>, String> = Ok(Vec::new());
    let mut group: Vec<(u64, f64, RgbImage)> = Vec::with_capacity(FRAMES_PER_GROUP);
    let mut flush = |group: &mut Vec<(u64, f64, RgbImage)>| -> Result<(), String> {
        if group.is_empty() {
            return Ok(());
        }
        if let (Some((stage, crops)), Ok(done)) = (stages.images, whole.as_mut()) {
            let scored: Result<Vec<(f64, ImageReport)>, String> = group
                .par_iter()
                .map(|(_, t, img)| {
                    Ok((
                        *t,
                        stage.score(img, crops, combine, thresholds, batch_size)?,
                    ))
                })
                .collect();
            match scored {
                Ok(s) => done.extend(s),
                Err(e) => whole = Err(e),
            }
        }
        let scored = match stages.faces {
            Some(stage) => {
                let images: Vec<RgbImage> = group.iter().map(|(_, _, img)| img.clone()).collect();
                stage.score_frames(images, combine, batch_size)?
            }
            None => vec![Vec::new(); group.len()],
        };
        for ((frame, time, _), faces) in group.drain(..).zip(scored) {
            scanned.push((frame, time, faces));
        }
        Ok(())
    };
    for frame in frames {
        let frame = frame.map_err(|e| e.to_string())?;
        let image = RgbImage::from_raw(frame.width, frame.height, frame.rgb)
            .ok_or("a decoded frame has the wrong size")?;
        let image = match filter {
            Some(f) => (f.0)(frame.index, image)?,
            None => image,
        };
        group.push((frame.index, frame.timestamp_s, image));
        if group.len() == FRAMES_PER_GROUP {
            flush(&mut group)?;
        }
    }
    flush(&mut group)?;
    let image = stages
        .images
        .map(|(stage, _)| whole.and_then(|w| stage.pool_frames(w, combine, thresholds)));

    // Link faces into tracks, frame by frame.
    let mut tracker = Tracker::new(TrackerOptions::default());
    let mut track_of: Vec<Vec<usize>> = Vec::with_capacity(scanned.len());
    for (_, _, faces) in &scanned {
        let as_faces: Vec<Face> = faces
            .iter()
            .filter_map(|f| f.face)
            .map(|f| Face {
                bbox: f.bbox,
                probability: f.probability,
                landmarks: f.landmarks.unwrap_or_default(),
            })
            .collect();
        track_of.push(tracker.push(&as_faces));
    }
    let n_tracks = track_of.iter().flatten().map(|&t| t + 1).max().unwrap_or(0);
    let mut tracks: Vec<Vec<TrackFrame>> = vec![Vec::new(); n_tracks];
    let mut timeline = Vec::with_capacity(scanned.len());
    for ((frame, time, faces), ids) in scanned.into_iter().zip(&track_of) {
        let worst = Pool::Max.apply(faces.iter().map(|f| f.fake_probability));
        timeline.push(TimelinePoint {
            frame,
            time_s: time,
            fake_probability: worst,
            faces: faces.len(),
        });
        for (scored, &id) in faces.into_iter().zip(ids) {
            let Some(face) = scored.face else { continue };
            tracks[id].push(TrackFrame {
                frame,
                time_s: time,
                bbox: face.bbox,
                face_probability: face.probability,
                fake_probability: scored.fake_probability,
                detectors: scored.scores,
            });
        }
    }
    let tracks: Vec<TrackReport> = tracks
        .into_iter()
        .enumerate()
        .filter(|(_, frames)| !frames.is_empty())
        .map(|(id, frames)| {
            let p = Pool::Mean
                .apply(frames.iter().map(|f| f.fake_probability))
                .unwrap_or(f64::NAN);
            TrackReport {
                id,
                fake_probability: p,
                verdict: thresholds.verdict(Some(p)),
                start_s: frames[0].time_s,
                end_s: frames[frames.len() - 1].time_s,
                frames,
            }
        })
        .collect();
    let fake_probability = options
        .track_pool
        .apply(tracks.iter().map(|t| t.fake_probability));
    let face_names = stages
        .faces
        .map(FaceStage::detector_names)
        .unwrap_or_default();
    let per_detector = face_names
        .iter()
        .enumerate()
        .map(|(j, name)| {
            let p = options.track_pool.apply(tracks.iter().filter_map(|t| {
                Pool::Mean.apply(t.frames.iter().map(|f| f.detectors[j].fake_probability))
            }));
            (name.to_string(), p)
        })
        .collect();
    Ok(VisualScan {
        segments: timeline_segments(&timeline, thresholds.fake),
        tracks,
        timeline,
        fake_probability,
        per_detector,
        frames_scanned: track_of.len(),
        duration_s: info.duration_s,
        decoder: info.decoder.to_string(),
        image,
    })
}

/// Runs of consecutive sampled frames whose value reaches `threshold` (frames without a face
/// end a run). A segment spans from its first to its last frame's time.
fn timeline_segments(timeline: &[TimelinePoint], threshold: f64) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut run: Vec<&TimelinePoint> = Vec::new();
    let mut close = |run: &mut Vec<&TimelinePoint>| {
        if let (Some(first), Some(last)) = (run.first(), run.last()) {
            let mean =
                run.iter().filter_map(|p| p.fake_probability).sum::<f64>() / run.len() as f64;
            out.push(Segment {
                start_s: first.time_s,
                end_s: last.time_s,
                fake_probability: mean,
            });
        }
        run.clear();
    };
    for p in timeline {
        match p.fake_probability {
            Some(v) if v >= threshold => run.push(p),
            _ => close(&mut run),
        }
    }
    close(&mut run);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(frame: u64, p: Option<f64>) -> TimelinePoint {
        TimelinePoint {
            frame,
            time_s: frame as f64 / 10.0,
            fake_probability: p,
            faces: usize::from(p.is_some()),
        }
    }

    #[test]
    fn segments_are_runs_over_the_threshold() {
        let t = [
            point(0, Some(0.9)),
            point(10, Some(0.7)),
            point(20, Some(0.2)),
            point(30, None),
            point(40, Some(0.6)),
        ];
        let s = timeline_segments(&t, 0.5);
        assert_eq!(s.len(), 2);
        assert_eq!((s[0].start_s, s[0].end_s), (0.0, 1.0));
        assert!((s[0].fake_probability - 0.8).abs() < 1e-12);
        assert_eq!((s[1].start_s, s[1].end_s), (4.0, 4.0));
    }
}
