//! Audio decoding: any supported file to a mono `f32` signal at 16 kHz.

mod decode;
mod resample;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

pub use resample::TARGET_SAMPLE_RATE;

use crate::error::MediaError;
use crate::sniff::{MediaKind, VideoFormat};
use crate::source::Source;

/// A decoded clip: mono, `f32` in [-1, 1], at [`TARGET_SAMPLE_RATE`] (16 kHz).
#[derive(Debug, Clone, PartialEq)]
pub struct AudioClip {
    /// The samples, mono at `sample_rate`. Silence is valid (all zeros); never empty.
    pub samples: Vec<f32>,
    /// Always [`TARGET_SAMPLE_RATE`].
    pub sample_rate: u32,
    /// The sample rate of the decoded stream in the file.
    pub source_rate: u32,
    /// The channel count of the decoded stream (they were averaged into one).
    pub channels: u16,
    /// `samples.len() / sample_rate`, in seconds.
    pub duration_s: f64,
}

/// Limits enforced by [`decode_audio`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AudioLimits {
    /// The longest audio accepted, in seconds (default 30 minutes). Checked against the duration
    /// the header declares before decoding, and again while decoding.
    pub max_duration_s: f64,
    /// The largest audio file accepted, in bytes (default 4 GiB). Checked before decoding. Not
    /// applied to the audio track of a video file (bounded by `max_duration_s` instead): the
    /// pictures make up most of a video's bytes.
    pub max_file_bytes: u64,
}

impl Default for AudioLimits {
    fn default() -> Self {
        AudioLimits {
            max_duration_s: 30.0 * 60.0,
            max_file_bytes: 4 << 30,
        }
    }
}

/// Decodes the audio of the file at `path` to mono 16 kHz.
///
/// The format is found from the content ([`crate::sniff`]), never from the file name. Audio
/// files (WAV, FLAC, MP3, Ogg Vorbis, M4A/AAC, ADTS AAC) and the audio track of MP4/MOV and
/// Matroska/WebM videos are decoded with symphonia; channels are averaged; the result is resampled
/// to 16 kHz (see [`TARGET_SAMPLE_RATE`]).
///
/// # Errors
/// Every error names the file:
/// - [`MediaError::Io`] / [`MediaError::NotAFile`]: cannot be read (missing, permission, directory);
/// - [`MediaError::Empty`]: zero bytes; [`MediaError::FileTooLarge`]: over `max_file_bytes`;
/// - [`MediaError::UnknownFormat`]: not recognisable media (text, random bytes);
/// - [`MediaError::Unsupported`]: an image, an AVI, a codec symphonia lacks, no audio track;
/// - [`MediaError::Truncated`]: the stream ends before the length its header declares;
/// - [`MediaError::Corrupt`]: malformed data, including a decoder panic, caught and converted;
/// - [`MediaError::NoSamples`]: a valid stream with zero samples;
/// - [`MediaError::TooLong`]: longer than `max_duration_s`.
///
/// Truncated and corrupt streams are errors even when some audio decoded before the damage: a
/// detector scoring part of a file would report on audio the user did not ask about. Isolated
/// undecodable packets are skipped, as media players do, up to 1% of the packets (at least 2);
/// more than that is [`MediaError::Corrupt`].
pub fn decode_audio(path: impl AsRef<Path>, limits: &AudioLimits) -> Result<AudioClip, MediaError> {
    let source = Source::open(path.as_ref(), u64::MAX)?;
    // A video's size says little about its audio track, which `max_duration_s` bounds.
    if matches!(source.kind, MediaKind::Audio(_)) && source.len > limits.max_file_bytes {
        return Err(MediaError::FileTooLarge {
            path: source.path,
            bytes: source.len,
            limit: limits.max_file_bytes,
        });
    }
    decode_source(source, limits)
}

/// Decodes an opened, sniffed source (the byte limit was already checked).
pub(crate) fn decode_source(source: Source, limits: &AudioLimits) -> Result<AudioClip, MediaError> {
    let path = source.path.clone();
    match source.kind {
        MediaKind::Audio(_) => {}
        MediaKind::Video(VideoFormat::Avi) => {
            return Err(MediaError::Unsupported {
                path,
                what: "audio tracks of AVI files are not supported".to_string(),
            });
        }
        MediaKind::Video(_) => {}
        MediaKind::Image(format) => {
            return Err(MediaError::Unsupported {
                path,
                what: format!("it is a {format} image, not audio"),
            });
        }
        MediaKind::Unknown => return Err(MediaError::UnknownFormat { path }),
    }
    // Validation comes first; this is the last line of defence against a decoder that panics on
    // malformed input.
    catch_unwind(AssertUnwindSafe(|| decode::decode(source, limits))).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        Err(MediaError::Corrupt {
            path,
            detail: format!("the decoder failed: {what}"),
        })
    })
}
