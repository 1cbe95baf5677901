//! One entry point for the scan pipeline: sniff a file and decode it by kind.

use std::path::Path;

use image::RgbImage;

use crate::audio::{self, AudioClip, AudioLimits};
use crate::error::MediaError;
use crate::image::{self as still, ImageLimits};
use crate::sniff::{MediaKind, VideoFormat};
use crate::source::Source;

/// The limits of every decoder, for [`open`].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Limits {
    /// Limits for audio files and audio tracks.
    pub audio: AudioLimits,
    /// Limits for still images.
    pub image: ImageLimits,
}

/// A decoded media file.
#[derive(Debug, Clone)]
pub enum Media {
    /// An audio file, decoded to 16 kHz mono.
    Audio(AudioClip),
    /// A still image, decoded to RGB8.
    Image(RgbImage),
    /// A video container: not decoded (video scanning comes later). Its audio track can be
    /// decoded with [`crate::decode_audio`].
    Video(VideoInfo),
}

/// What [`open`] knows about a video file without decoding it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VideoInfo {
    /// The container format.
    pub format: VideoFormat,
    /// The file size in bytes.
    pub bytes: u64,
}

/// Sniffs the file at `path` and decodes it according to its content: audio with
/// [`crate::decode_audio`], images with [`crate::decode_image`]; videos are only identified.
///
/// The byte limit applied is the one of the detected kind (`limits.audio.max_file_bytes` for
/// audio, `limits.image.max_file_bytes` for images); a video's is checked when it is opened
/// for decoding ([`crate::video::VideoLimits`]), as only its prefix is read here.
///
/// # Errors
/// As [`crate::decode_audio`] and [`crate::decode_image`]; unrecognised content is
/// [`MediaError::UnknownFormat`].
pub fn open(path: impl AsRef<Path>, limits: &Limits) -> Result<Media, MediaError> {
    let source = Source::open(path.as_ref(), u64::MAX)?;
    let byte_limit = match source.kind {
        MediaKind::Image(_) => limits.image.max_file_bytes,
        MediaKind::Video(_) => u64::MAX,
        _ => limits.audio.max_file_bytes,
    };
    if source.len > byte_limit {
        return Err(MediaError::FileTooLarge {
            path: source.path,
            bytes: source.len,
            limit: byte_limit,
        });
    }
    match source.kind {
        MediaKind::Audio(_) => audio::decode_source(source, &limits.audio).map(Media::Audio),
        MediaKind::Image(_) => still::decode_source(source, &limits.image).map(Media::Image),
        MediaKind::Video(format) => Ok(Media::Video(VideoInfo {
            format,
            bytes: source.len,
        })),
        MediaKind::Unknown => Err(MediaError::UnknownFormat { path: source.path }),
    }
}
