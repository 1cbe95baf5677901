//! Video decoding, streaming: the frames a scan samples, decoded one at a time to RGB8.
//!
//! # How a file is decoded
//!
//! [`VideoReader::open`] sniffs the file by content, reads its header and picks a [`Decoder`]:
//!
//! - **MP4/MOV with H.264 Baseline, Main or High (4:2:0, 8-bit)**: pure Rust demuxing (`re_mp4`:
//!   sample table, timestamps, `avcC`), the length-prefixed NAL units converted to Annex B, and
//!   OpenH264 decoding ([`Decoder::OpenH264`]).
//! - **everything else** (H.264 High 4:4:4 Predictive / High 10 / High 4:2:2, HEVC, VP9, AV1,
//!   MPEG-4 part 2, ..., and Matroska, WebM, AVI containers): the system `ffmpeg` as a subprocess,
//!   raw `rgb24` frames read from its stdout ([`Decoder::Ffmpeg`]). Without `ffmpeg` this is
//!   [`MediaError::FfmpegMissing`], naming the file, codec and profile.
//!
//! Both paths turn frames upright the way ffmpeg does by default: the display-matrix rotation
//! (90, 180, 270 degrees clockwise) is applied, so [`VideoStreamInfo::width`] / [`VideoStreamInfo::height`]
//! are the displayed size. Frame `k` is the `k`-th frame in presentation order, and its
//! timestamp comes from the container (the sample table for MP4, packet times otherwise), so
//! variable-frame-rate video gets true times.
//!
//! # Memory
//!
//! Frames are decoded in order and only the requested ones are converted to RGB; a [`Frames`]
//! iterator holds one encoded sample, the decoder's reference frames and the frames not yet
//! handed out (at most the decoder's reorder depth). The whole video is never buffered; the
//! sample table (a few bytes per frame) is.
//!
//! # Speed of sparse sampling
//!
//! Decoding skips what the requested frames do not need: OpenH264 starts again at the last key
//! frame before a requested frame when that is ahead of where it is; ffmpeg gets one run per
//! group of requested frames more than 600 frames apart, each seeking to its group and picking
//! frames by their timestamps (`video::ffmpeg`). 32 frames of a one-hour file therefore cost
//! 32 key-frame intervals, not an hour of decoding.
//!
//! # Example
//!
//! ```no_run
//! use fakescope_media::{Sampling, VideoLimits, VideoReader};
//!
//! let reader = VideoReader::open("clip.mp4", &VideoLimits::default())?;
//! let info = reader.info();
//! println!("{}x{} {} frames, decoded by {}", info.width, info.height, info.frame_count, info.decoder);
//! let wanted = reader.sample_indices(Sampling::Count(32));
//! for frame in reader.frames(&wanted)? {
//!     let frame = frame?;
//!     assert_eq!(frame.rgb.len(), frame.width as usize * frame.height as usize * 3);
//! }
//! # Ok::<(), fakescope_media::MediaError>(())
//! ```

mod annexb;
mod ffmpeg;
mod h264;
mod mp4;
mod pixels;
mod sampling;

use std::fmt;
use std::path::{Path, PathBuf};

use self::ffmpeg::FfmpegRuns;
use self::h264::H264Frames;
use self::mp4::{AvcConfig, DemuxError, Mp4Video, SampleRef};
pub use self::sampling::Sampling;
use crate::error::MediaError;
use crate::sniff::{MediaKind, VideoFormat};
use crate::source::Source;

/// Limits checked from the header before anything is decoded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VideoLimits {
    /// Largest frame, in pixels (width × height). Default 8192 × 4320 (8K).
    pub max_pixels_per_frame: u64,
    /// Longest video, in seconds. Default 4 hours.
    pub max_duration_s: f64,
    /// Most frames. Default 1 000 000 (over 9 hours at 30 fps).
    pub max_frames: u64,
    /// Largest file, in bytes. Default 64 GiB.
    pub max_file_bytes: u64,
}

impl Default for VideoLimits {
    fn default() -> Self {
        VideoLimits {
            max_pixels_per_frame: 8192 * 4320,
            max_duration_s: 4.0 * 3600.0,
            max_frames: 1_000_000,
            max_file_bytes: 64 << 30,
        }
    }
}

/// Which backend decodes a file, so a scan can report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoder {
    /// Pure-Rust MP4 demuxing and OpenH264 (H.264 Baseline/Main/High 4:2:0 8-bit in MP4/MOV).
    OpenH264,
    /// The system `ffmpeg` subprocess (every other codec, profile or container).
    Ffmpeg,
}

impl fmt::Display for Decoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Decoder::OpenH264 => "openh264",
            Decoder::Ffmpeg => "ffmpeg",
        })
    }
}

/// What the header says about a video, as [`VideoReader::info`] reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoStreamInfo {
    /// The container.
    pub container: VideoFormat,
    /// Displayed width in pixels (after rotation): the width of every decoded frame.
    pub width: u32,
    /// Displayed height in pixels (after rotation).
    pub height: u32,
    /// Frames in the video track (samples or packets).
    pub frame_count: u64,
    /// Duration in seconds (track duration, or the container's).
    pub duration_s: f64,
    /// Average frame rate: `frame_count / duration_s` (0 when the duration is unknown).
    pub fps: f64,
    /// Codec, as ffmpeg names it: `h264`, `hevc`, `mpeg4`, `vp9`, `av1`, ...
    pub codec: String,
    /// Codec profile when known (`High`, `High 4:4:4 Predictive`, `Main`, ...).
    pub profile: Option<String>,
    /// Clockwise rotation applied to the coded frames for display: 0, 90, 180 or 270.
    pub rotation: u32,
    /// Whether the file also has an audio track.
    pub has_audio: bool,
    /// Which backend decodes the frames.
    pub decoder: Decoder,
}

/// One decoded frame, upright, packed RGB8 (`rgb.len() == width * height * 3`).
#[derive(Debug, Clone, PartialEq)]
pub struct VideoFrame {
    /// Index in presentation order, from 0.
    pub index: u64,
    /// Presentation time in seconds from the container (the first frame at 0).
    pub timestamp_s: f64,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Row-major RGB triplets.
    pub rgb: Vec<u8>,
}

/// How the frames of an opened file are decoded.
#[derive(Debug, Clone)]
enum Plan {
    OpenH264 {
        avc: AvcConfig,
        samples: Vec<SampleRef>,
    },
    Ffmpeg {
        /// Every frame's presentation time in the file's own seconds, as ffmpeg sees them
        /// (read when first needed for MP4 files, whose `pts` come from our demuxer).
        times: Option<Vec<f64>>,
        /// The container's start time, where `-ss` counts from.
        start_s: f64,
    },
}

/// An opened video: its [`VideoStreamInfo`], and [`VideoReader::frames`] to decode chosen frames.
#[derive(Debug, Clone)]
pub struct VideoReader {
    path: PathBuf,
    info: VideoStreamInfo,
    /// Presentation times in seconds, sorted; entry `k` is frame `k`'s.
    pts: Vec<f64>,
    plan: Plan,
}

impl VideoReader {
    /// Opens the video at `path`, reads its header, checks `limits` and picks the decoder.
    /// Nothing is decoded yet.
    ///
    /// # Errors
    /// [`MediaError::Io`], [`MediaError::NotAFile`], [`MediaError::Empty`],
    /// [`MediaError::FileTooLarge`] as for every file; [`MediaError::UnknownFormat`] for content
    /// that is not media, [`MediaError::Unsupported`] for audio or images,
    /// [`MediaError::NoVideoTrack`] for an MP4 without video, [`MediaError::Truncated`] /
    /// [`MediaError::Corrupt`] for a damaged header, [`MediaError::NoFrames`] for a video track
    /// without frames, [`MediaError::VideoTooLarge`] when a limit is exceeded, and
    /// [`MediaError::FfmpegMissing`] when the file needs ffmpeg and it is not installed.
    pub fn open(path: impl AsRef<Path>, limits: &VideoLimits) -> Result<VideoReader, MediaError> {
        let mut source = Source::open(path.as_ref(), limits.max_file_bytes)?;
        let path = source.path.clone();
        let container = match source.kind {
            MediaKind::Video(format) => format,
            MediaKind::Audio(crate::AudioFormat::M4a) => {
                return Err(MediaError::NoVideoTrack { path });
            }
            MediaKind::Audio(_) | MediaKind::Image(_) => {
                return Err(MediaError::Unsupported {
                    path,
                    what: format!("it is {:?}, not a video", source.kind),
                });
            }
            MediaKind::Unknown => return Err(MediaError::UnknownFormat { path }),
        };
        let reader = if matches!(container, VideoFormat::Mp4 | VideoFormat::QuickTime) {
            match mp4::demux(&mut source.file, source.len) {
                Ok(video) => from_mp4(path, container, video)?,
                Err(DemuxError::NoVideoTrack) => return Err(MediaError::NoVideoTrack { path }),
                Err(DemuxError::Malformed(why)) if source.cut_short => {
                    return Err(MediaError::Truncated {
                        path,
                        detail: format!("the MP4 boxes run past the end of the file ({why})"),
                    });
                }
                Err(DemuxError::Malformed(why)) => {
                    return Err(MediaError::Corrupt {
                        path,
                        detail: format!("the MP4 structure is invalid ({why})"),
                    });
                }
            }
        } else {
            from_ffprobe(path, container)?
        };
        reader.check(limits)?;
        Ok(reader)
    }

    /// What the header says: size, frame count, duration, codec, decoder, ...
    pub fn info(&self) -> &VideoStreamInfo {
        &self.info
    }

    /// The file this reader decodes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The presentation time in seconds of frame `index`, from the container.
    pub fn timestamp(&self, index: u64) -> Option<f64> {
        self.pts.get(usize::try_from(index).ok()?).copied()
    }

    /// The frame indices `sampling` picks from this video (sorted, distinct, all below
    /// [`VideoStreamInfo::frame_count`]); see [`Sampling`] for the rules.
    pub fn sample_indices(&self, sampling: Sampling) -> Vec<u64> {
        sampling::indices(sampling, self.info.frame_count, self.info.fps)
    }

    /// Starts decoding the frames `indices` (any order; repeats and indices past the end are
    /// dropped). The iterator yields them in increasing index order, one decoded at a time.
    /// After an error item it ends.
    ///
    /// # Errors
    /// [`MediaError::Corrupt`] / [`MediaError::Io`] when the decoder cannot be started (ffmpeg
    /// failing to spawn, OpenH264 initialisation). Decoding errors come as iterator items: a
    /// [`MediaError::Truncated`] when samples lie past the end of the file, a
    /// [`MediaError::Corrupt`] when requested frames could not be decoded.
    pub fn frames(&self, indices: &[u64]) -> Result<Frames, MediaError> {
        let mut wanted: Vec<u64> = indices
            .iter()
            .copied()
            .filter(|&i| i < self.info.frame_count)
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        let inner = match &self.plan {
            Plan::OpenH264 { avc, samples } => FramesInner::OpenH264(Box::new(H264Frames::new(
                self.path.clone(),
                avc,
                samples.clone(),
                self.pts.clone(),
                self.info.rotation,
                wanted,
            )?)),
            Plan::Ffmpeg { times, start_s } => {
                // Times are needed only to seek, when the frames lie far apart.
                let probed;
                let times = match times {
                    Some(t) => Some(t.as_slice()),
                    None if ffmpeg::far_apart(&wanted) => {
                        probed = ffmpeg::packet_times(&self.path).ok();
                        probed.as_deref()
                    }
                    None => None,
                };
                let runs = ffmpeg::plan_runs(&wanted, times, *start_s);
                let ff = if runs.is_empty() {
                    None
                } else {
                    Some(Box::new(FfmpegRuns::new(
                        &self.path,
                        runs,
                        self.info.width,
                        self.info.height,
                    )?))
                };
                FramesInner::Ffmpeg {
                    ff,
                    wanted,
                    pos: 0,
                    pts: self.pts.clone(),
                    width: self.info.width,
                    height: self.info.height,
                    path: self.path.clone(),
                    done: false,
                }
            }
        };
        Ok(Frames { inner })
    }

    fn check(&self, limits: &VideoLimits) -> Result<(), MediaError> {
        let info = &self.info;
        let too_large = |detail: String| {
            Err(MediaError::VideoTooLarge {
                path: self.path.clone(),
                detail,
            })
        };
        let pixels = u64::from(info.width) * u64::from(info.height);
        if pixels > limits.max_pixels_per_frame {
            return too_large(format!(
                "{}x{} = {pixels} pixels per frame, the limit is {}",
                info.width, info.height, limits.max_pixels_per_frame
            ));
        }
        if info.duration_s > limits.max_duration_s {
            return too_large(format!(
                "{:.1} s long, the limit is {:.1} s",
                info.duration_s, limits.max_duration_s
            ));
        }
        if info.frame_count > limits.max_frames {
            return too_large(format!(
                "{} frames, the limit is {}",
                info.frame_count, limits.max_frames
            ));
        }
        Ok(())
    }
}

/// The displayed size of a `width`×`height` picture rotated by `rotation` degrees.
fn displayed(width: u32, height: u32, rotation: u32) -> (u32, u32) {
    if rotation % 180 == 90 {
        (height, width)
    } else {
        (width, height)
    }
}

fn average_fps(frames: u64, duration_s: f64) -> f64 {
    if duration_s > 0.0 && duration_s.is_finite() {
        frames as f64 / duration_s
    } else {
        0.0
    }
}

/// The codec in words for error messages: `h264 High 4:4:4 Predictive in MP4`.
fn codec_words(codec: &str, profile: Option<&str>, container: VideoFormat) -> String {
    match profile {
        Some(p) => format!("{codec} {p} in {container:?}"),
        None => format!("{codec} in {container:?}"),
    }
}

fn from_mp4(
    path: PathBuf,
    container: VideoFormat,
    video: Mp4Video,
) -> Result<VideoReader, MediaError> {
    if video.samples.is_empty() {
        return Err(MediaError::NoFrames { path });
    }
    let profile_idc = video.avc.as_ref().map(|a| a.profile_idc);
    let mut profile = profile_idc.map(h264::profile_name);
    let frame_count = video.samples.len() as u64;
    let duration_s = if video.duration_s > 0.0 {
        video.duration_s
    } else {
        video.pts.last().copied().unwrap_or(0.0)
    };
    let fps = average_fps(frame_count, duration_s);
    let pure_rust = video
        .avc
        .clone()
        .filter(|a| h264::openh264_supports(a.profile_idc));
    if let Some(avc) = pure_rust {
        let (width, height) = displayed(video.width, video.height, video.rotation);
        return Ok(VideoReader {
            path,
            info: VideoStreamInfo {
                container,
                width,
                height,
                frame_count,
                duration_s,
                fps,
                codec: video.codec,
                profile,
                rotation: video.rotation,
                has_audio: video.has_audio,
                decoder: Decoder::OpenH264,
            },
            pts: video.pts,
            plan: Plan::OpenH264 {
                avc,
                samples: video.samples,
            },
        });
    }
    if !ffmpeg::available() {
        let codec = codec_words(&video.codec, profile.as_deref(), container);
        return Err(MediaError::FfmpegMissing { path, codec });
    }
    // ffmpeg decodes; ffprobe gives the size and rotation it will output, the sample table the
    // frame count and times.
    let probe = ffmpeg::probe(&path)?;
    if profile.is_none() {
        profile = probe.profile.clone();
    }
    let codec = if probe.codec.is_empty() {
        video.codec
    } else {
        probe.codec.clone()
    };
    let (width, height) = displayed(probe.width, probe.height, probe.rotation);
    Ok(VideoReader {
        path,
        info: VideoStreamInfo {
            container,
            width,
            height,
            frame_count,
            duration_s,
            fps,
            codec,
            profile,
            rotation: probe.rotation,
            has_audio: video.has_audio,
            decoder: Decoder::Ffmpeg,
        },
        pts: video.pts,
        plan: Plan::Ffmpeg {
            times: None,
            start_s: probe.start_s,
        },
    })
}

fn from_ffprobe(path: PathBuf, container: VideoFormat) -> Result<VideoReader, MediaError> {
    if !ffmpeg::available() {
        let codec = format!("a {container:?} container");
        return Err(MediaError::FfmpegMissing { path, codec });
    }
    let probe = ffmpeg::probe(&path)?;
    if !probe.has_video {
        return Err(MediaError::NoVideoTrack { path });
    }
    let pts = ffmpeg::packet_times(&path)?;
    if pts.is_empty() {
        return Err(MediaError::NoFrames { path });
    }
    let frame_count = pts.len() as u64;
    let duration_s = probe
        .duration_s
        .unwrap_or_else(|| pts.last().copied().unwrap_or(0.0));
    let (width, height) = displayed(probe.width, probe.height, probe.rotation);
    if width == 0 || height == 0 {
        return Err(MediaError::Corrupt {
            path,
            detail: "ffprobe reports no frame size".into(),
        });
    }
    Ok(VideoReader {
        path,
        info: VideoStreamInfo {
            container,
            width,
            height,
            frame_count,
            duration_s,
            fps: average_fps(frame_count, duration_s),
            codec: probe.codec,
            profile: probe.profile,
            rotation: probe.rotation,
            has_audio: probe.has_audio,
            decoder: Decoder::Ffmpeg,
        },
        plan: Plan::Ffmpeg {
            times: Some(pts.clone()),
            start_s: probe.start_s,
        },
        pts,
    })
}

/// The decoded frames of [`VideoReader::frames`], streamed: an iterator of
/// `Result<VideoFrame, MediaError>` in increasing index order.
pub struct Frames {
    inner: FramesInner,
}

enum FramesInner {
    OpenH264(Box<H264Frames>),
    Ffmpeg {
        ff: Option<Box<FfmpegRuns>>,
        wanted: Vec<u64>,
        pos: usize,
        pts: Vec<f64>,
        width: u32,
        height: u32,
        path: PathBuf,
        done: bool,
    },
}

impl fmt::Debug for Frames {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.inner {
            FramesInner::OpenH264(_) => "Frames(openh264)",
            FramesInner::Ffmpeg { .. } => "Frames(ffmpeg)",
        })
    }
}

impl Iterator for Frames {
    type Item = Result<VideoFrame, MediaError>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.inner {
            FramesInner::OpenH264(h) => h.next(),
            FramesInner::Ffmpeg {
                ff,
                wanted,
                pos,
                pts,
                width,
                height,
                path,
                done,
            } => {
                if *done || *pos >= wanted.len() {
                    return None;
                }
                let ff = ff.as_mut()?;
                loop {
                    let (index, rgb) = match ff.next_frame() {
                        Ok(Some(frame)) => frame,
                        Ok(None) => {
                            *done = true;
                            return Some(Err(MediaError::Truncated {
                                path: path.clone(),
                                detail: format!(
                                    "ffmpeg decoded fewer frames than the {} the container lists; {} of {} requested frames are missing",
                                    pts.len(),
                                    wanted.len() - *pos,
                                    wanted.len()
                                ),
                            }));
                        }
                        Err(e) => {
                            *done = true;
                            return Some(Err(e));
                        }
                    };
                    if Some(index) == wanted.get(*pos).copied() {
                        *pos += 1;
                        return Some(Ok(VideoFrame {
                            index,
                            timestamp_s: pts.get(index as usize).copied().unwrap_or(f64::NAN),
                            width: *width,
                            height: *height,
                            rgb,
                        }));
                    }
                }
            }
        }
    }
}
