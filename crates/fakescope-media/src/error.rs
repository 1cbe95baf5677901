//! The one error type of this crate: every variant names the file and the problem.

use std::io;
use std::path::PathBuf;

use thiserror::Error;

/// Why a media file could not be sniffed or decoded.
///
/// Every variant carries the path, so the message printed with `{}` says which file failed and
/// why, e.g. `cannot decode audio in song.mp3: the stream is truncated (decoded 1.20 s of the 2.00 s the header declares)`.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum MediaError {
    /// The file could not be opened or read (missing, permission denied, I/O failure).
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: io::Error,
    },
    /// The path exists but is not a regular file (a directory, a socket, ...).
    #[error("cannot read {}: not a regular file", path.display())]
    NotAFile {
        /// The path.
        path: PathBuf,
    },
    /// The file has zero bytes.
    #[error("{} is empty (0 bytes)", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// The file is larger than the configured byte limit; nothing was read.
    #[error("{} is too large: {bytes} bytes, the limit is {limit} bytes", path.display())]
    FileTooLarge {
        /// The file.
        path: PathBuf,
        /// Its size in bytes.
        bytes: u64,
        /// The configured limit in bytes.
        limit: u64,
    },
    /// The content matches no format this crate recognises (text, random bytes, ...).
    #[error("{} is not a recognised audio, image or video file (unknown content)", path.display())]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
    /// The format is recognised but this operation cannot handle it (an image passed to the audio
    /// decoder, an unsupported codec, a container without an audio track, ...).
    #[error("cannot decode {}: {what}", path.display())]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// What is not supported, in words.
        what: String,
    },
    /// The stream ended before the length its header declares: the file was cut short, or the
    /// demuxer had to skip over damaged data to find the end.
    #[error("cannot decode {}: the stream is truncated ({detail})", path.display())]
    Truncated {
        /// The file.
        path: PathBuf,
        /// How much was decoded and how much was expected.
        detail: String,
    },
    /// The stream is malformed (bad header, undecodable data, decoder failure).
    #[error("cannot decode {}: the stream is corrupt ({detail})", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What went wrong, in words.
        detail: String,
    },
    /// The audio stream is valid but holds no samples.
    #[error("{} contains no audio samples (zero-length audio)", path.display())]
    NoSamples {
        /// The file.
        path: PathBuf,
    },
    /// The audio is longer than the configured duration limit.
    #[error("{} is too long: {duration_s:.1} s of audio, the limit is {limit_s:.1} s", path.display())]
    TooLong {
        /// The file.
        path: PathBuf,
        /// The duration found (from the header, or decoded so far when the limit was crossed).
        duration_s: f64,
        /// The configured limit in seconds.
        limit_s: f64,
    },
    /// The image's declared dimensions exceed the pixel limit; nothing was allocated.
    #[error(
        "{} is too large: {width}x{height} pixels, the limit is {limit_pixels} pixels",
        path.display()
    )]
    ImageTooLarge {
        /// The file.
        path: PathBuf,
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
        /// The configured limit (width × height).
        limit_pixels: u64,
    },
    /// The file is a recognised container without a video track (an audio-only MP4, ...).
    #[error("{} has no video track", path.display())]
    NoVideoTrack {
        /// The file.
        path: PathBuf,
    },
    /// The video needs the system `ffmpeg` (a codec, profile or container the pure-Rust decoder
    /// does not handle) and `ffmpeg` could not be run.
    #[error(
        "cannot decode {}: {codec} needs the system ffmpeg, which was not found (install ffmpeg, e.g. `apt-get install ffmpeg`)",
        path.display()
    )]
    FfmpegMissing {
        /// The file.
        path: PathBuf,
        /// The codec, profile and container, in words (`h264 High 4:4:4 Predictive in MP4`).
        codec: String,
    },
    /// The video track holds no frames.
    #[error("{} has a video track without frames (zero frames)", path.display())]
    NoFrames {
        /// The file.
        path: PathBuf,
    },
    /// The video's header declares more than [`crate::VideoLimits`] allows (frame size,
    /// duration or frame count); nothing was decoded.
    #[error("{} exceeds the video limits: {detail}", path.display())]
    VideoTooLarge {
        /// The file.
        path: PathBuf,
        /// Which limit, the value found and the limit.
        detail: String,
    },
}
