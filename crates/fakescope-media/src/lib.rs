//! Media sniffing and decoding for fakescope, by content and never by file name.
//!
//! # Brief overview
//!
//! - [`sniff`] / [`sniff_file`] classify bytes or a file as [`MediaKind`]: audio
//!   ([`AudioFormat`]: WAV, FLAC, MP3, Ogg, M4A, ADTS AAC), image ([`ImageFormat`]: JPEG, PNG,
//!   WebP, BMP, GIF) or video ([`VideoFormat`]: MP4, QuickTime, Matroska, WebM, AVI), from magic
//!   bytes. ISO-BMFF files (MP4/MOV/M4A) are audio when their tracks are all sound tracks, video
//!   otherwise; the full rule table is on [`sniff`].
//! - [`decode_audio`] decodes an audio file, or the audio track of an MP4/MOV/Matroska video, to an
//!   [`AudioClip`]: mono (mean of the channels) `f32` at 16 kHz ([`TARGET_SAMPLE_RATE`]), using
//!   symphonia to decode and rubato's FFT resampler to convert the rate.
//!   [`AudioLimits`] bounds the duration and the file size.
//! - [`decode_image`] decodes a still image to an [`RgbImage`] (8-bit RGB), refusing images whose
//!   header declares more pixels than [`ImageLimits::max_pixels`] before allocating.
//! - [`resize::resize_rgb`] resizes like Pillow (`BICUBIC`, `BILINEAR`).
//! - [`open`] sniffs and dispatches: [`Media::Audio`], [`Media::Image`], or [`Media::Video`] for
//!   containers that are recognised but not decoded yet.
//! - [`MediaError`] is the one error type; each variant names the file and tells apart unreadable,
//!   empty, unknown, unsupported, truncated, corrupt, zero-length and too-long input.
//!
//! No function here panics on untrusted input: limits are checked before allocating, parsing uses
//! checked access, and decoders run under [`std::panic::catch_unwind`] as a last line of defence
//! (a caught panic becomes [`MediaError::Corrupt`]).
//!
//! # Example
//!
//! ```
//! use fakescope_media::{AudioLimits, MediaError, decode_audio};
//!
//! // Write one second of a 440 Hz tone as 8 kHz 16-bit mono WAV.
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("tone.bin"); // the name does not matter
//! let samples: Vec<i16> = (0..8000)
//!     .map(|i| ((i as f32 * 440.0 / 8000.0 * std::f32::consts::TAU).sin() * 8000.0) as i16)
//!     .collect();
//! let mut wav = Vec::new();
//! wav.extend_from_slice(b"RIFF");
//! wav.extend_from_slice(&(36 + 2 * samples.len() as u32).to_le_bytes());
//! wav.extend_from_slice(b"WAVEfmt ");
//! for field in [16u32, 1 | (1 << 16), 8000, 16000, 2 | (16 << 16)] {
//!     wav.extend_from_slice(&field.to_le_bytes());
//! }
//! wav.extend_from_slice(b"data");
//! wav.extend_from_slice(&(2 * samples.len() as u32).to_le_bytes());
//! samples.iter().for_each(|s| wav.extend_from_slice(&s.to_le_bytes()));
//! std::fs::write(&path, &wav)?;
//!
//! let clip = decode_audio(&path, &AudioLimits::default())?;
//! assert_eq!((clip.sample_rate, clip.source_rate, clip.channels), (16_000, 8_000, 1));
//! assert_eq!(clip.samples.len(), 16_000);
//!
//! // Limits are enforced, and errors name the file.
//! let strict = AudioLimits { max_duration_s: 0.5, ..AudioLimits::default() };
//! let err = decode_audio(&path, &strict).unwrap_err();
//! assert!(matches!(err, MediaError::TooLong { .. }));
//! assert!(err.to_string().contains("tone.bin"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

mod audio;
mod error;
mod image;
mod isobmff;
mod open;
pub mod resize;
mod sniff;
mod source;
pub mod video;

pub use ::image::RgbImage;

pub use crate::audio::{AudioClip, AudioLimits, TARGET_SAMPLE_RATE, decode_audio};
pub use crate::error::MediaError;
pub use crate::image::{ImageLimits, decode_image};
pub use crate::open::{Limits, Media, VideoInfo, open};
pub use crate::sniff::{AudioFormat, ImageFormat, MediaKind, SNIFF_LEN, VideoFormat, sniff};
pub use crate::source::sniff_file;
pub use crate::video::{
    Decoder, Frames, Sampling, VideoFrame, VideoLimits, VideoReader, VideoStreamInfo,
};
