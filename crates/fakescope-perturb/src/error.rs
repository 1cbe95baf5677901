//! What can go wrong: a setting out of range, a JPEG that cannot be written or read back.

/// An error of this crate; each names what it is about.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A setting is impossible; `field` is its dotted path (`augment.jpeg.quality`).
    #[error("{field}: {reason}")]
    Invalid {
        /// Dotted path of the setting, e.g. `augment.jpeg.quality`.
        field: String,
        /// What is wrong with it, e.g. `min 90 > max 40`.
        reason: String,
    },
    /// A JPEG quality outside `1..=100` was asked of [`crate::jpeg_roundtrip`].
    #[error("JPEG quality {0} is outside 1..=100")]
    JpegQuality(u8),
    /// The image is wider or taller than JPEG allows (65 535 pixels a side).
    #[error("image of {width}x{height} is too large for JPEG (at most 65535 pixels a side)")]
    JpegTooLarge {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
    },
    /// The JPEG encoder failed.
    #[error("JPEG encoding failed")]
    JpegEncode(#[source] jpeg_encoder::EncodingError),
    /// The JPEG just written could not be decoded again.
    #[error("decoding the re-encoded JPEG failed")]
    JpegDecode(#[source] image::ImageError),
    /// A codec round trip through the system ffmpeg failed.
    #[error("{codec} round trip: {message}")]
    Codec {
        /// The codec (`mp3`, `aac`, `opus`).
        codec: &'static str,
        /// What failed.
        message: String,
    },
}

impl Error {
    /// An [`Error::Invalid`] for `field`.
    pub(crate) fn invalid(field: &str, reason: impl Into<String>) -> Error {
        Error::Invalid {
            field: field.to_string(),
            reason: reason.into(),
        }
    }
}
