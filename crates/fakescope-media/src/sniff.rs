//! Content sniffing: which kind of media a byte prefix holds, from magic bytes only.
//!
//! File names and extensions are never consulted. The rules, in the order they are tried:
//!
//! | bytes | kind |
//! |---|---|
//! | `RIFF....WAVE`, `RF64....WAVE` | audio, WAV |
//! | `RIFF....AVI ` | video, AVI |
//! | `RIFF....WEBP` | image, WebP |
//! | `fLaC` | audio, FLAC |
//! | `OggS` | audio, Ogg |
//! | `\xFF\xD8\xFF` | image, JPEG |
//! | `\x89PNG\r\n\x1A\n` | image, PNG |
//! | `GIF87a`, `GIF89a` | image, GIF |
//! | `BM` + a known DIB header size | image, BMP |
//! | `\x1A\x45\xDF\xA3` (EBML) | video, WebM if its DocType says `webm`, else Matroska |
//! | ISO-BMFF (`ftyp` box, or a first `moov`/`mdat`/`wide`/`free`/`skip`/`pnot` atom) | see the ISO-BMFF rule below |
//! | `ID3` tag | what follows the tag (MP3 when it lies beyond the prefix) |
//! | two consecutive MPEG audio frame headers | audio, MP3 (layers I–III) |
//! | two consecutive ADTS headers | audio, AAC (ADTS) |
//!
//! ISO-BMFF (MP4, MOV, M4A): a file with a video track (`hdlr` = `vide`) is video; one with only
//! sound tracks (`soun`) is audio; when the `moov` box cannot be inspected (not in the bytes given),
//! an audio-only brand (`M4A `, `M4B `, `M4P `, `F4A `, `F4B `) means audio and anything else video.
//! [`sniff`] sees only the prefix it is given; [`sniff_file`](crate::sniff_file) walks the top-level
//! boxes of the whole file to find `moov`, so it classifies files whose `moov` comes last.

use std::fmt;

use crate::isobmff;

/// How many leading bytes [`sniff`] needs to classify every format it knows (more does no harm).
pub const SNIFF_LEN: usize = 64 * 1024;

/// What a file holds, decided from its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaKind {
    /// An audio-only file.
    Audio(AudioFormat),
    /// A still image.
    Image(ImageFormat),
    /// A video container (it may also carry audio tracks).
    Video(VideoFormat),
    /// Nothing recognised.
    Unknown,
}

/// Audio file formats recognised by [`sniff`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AudioFormat {
    /// RIFF/WAVE (and RF64).
    Wav,
    /// Native FLAC.
    Flac,
    /// MPEG audio layer I–III, with or without an ID3v2 tag.
    Mp3,
    /// Ogg (Vorbis, Opus, FLAC in Ogg).
    Ogg,
    /// ISO-BMFF with sound tracks only (M4A, audio-only MP4).
    M4a,
    /// Raw AAC in ADTS framing.
    Aac,
}

/// Image file formats recognised by [`sniff`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageFormat {
    /// JPEG / JFIF / EXIF.
    Jpeg,
    /// PNG.
    Png,
    /// WebP (lossy or lossless).
    Webp,
    /// Windows bitmap.
    Bmp,
    /// GIF (only the first frame is decoded).
    Gif,
}

/// Video container formats recognised by [`sniff`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VideoFormat {
    /// ISO-BMFF with a video track, or without audio-only evidence (MP4, M4V, 3GP).
    Mp4,
    /// QuickTime (`qt  ` brand, or an old MOV that starts without `ftyp`).
    QuickTime,
    /// Matroska (MKV).
    Matroska,
    /// WebM (Matroska with DocType `webm`).
    WebM,
    /// RIFF/AVI.
    Avi,
}

impl MediaKind {
    /// The IANA media type of the format (`image/jpeg`, `audio/wav`, ...); unknown content is
    /// `application/octet-stream`.
    pub fn mime_type(&self) -> &'static str {
        match self {
            MediaKind::Audio(a) => match a {
                AudioFormat::Wav => "audio/wav",
                AudioFormat::Flac => "audio/flac",
                AudioFormat::Mp3 => "audio/mpeg",
                AudioFormat::Ogg => "audio/ogg",
                AudioFormat::M4a => "audio/mp4",
                AudioFormat::Aac => "audio/aac",
            },
            MediaKind::Image(i) => match i {
                ImageFormat::Jpeg => "image/jpeg",
                ImageFormat::Png => "image/png",
                ImageFormat::Webp => "image/webp",
                ImageFormat::Bmp => "image/bmp",
                ImageFormat::Gif => "image/gif",
            },
            MediaKind::Video(v) => match v {
                VideoFormat::Mp4 => "video/mp4",
                VideoFormat::QuickTime => "video/quicktime",
                VideoFormat::Matroska => "video/x-matroska",
                VideoFormat::WebM => "video/webm",
                VideoFormat::Avi => "video/x-msvideo",
            },
            MediaKind::Unknown => "application/octet-stream",
        }
    }
}

impl fmt::Display for MediaKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MediaKind::Audio(a) => write!(f, "{a} audio"),
            MediaKind::Image(i) => write!(f, "{i} image"),
            MediaKind::Video(v) => write!(f, "{v} video"),
            MediaKind::Unknown => f.write_str("unknown content"),
        }
    }
}

impl fmt::Display for AudioFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AudioFormat::Wav => "WAV",
            AudioFormat::Flac => "FLAC",
            AudioFormat::Mp3 => "MP3",
            AudioFormat::Ogg => "Ogg",
            AudioFormat::M4a => "M4A/MP4",
            AudioFormat::Aac => "AAC (ADTS)",
        })
    }
}

impl fmt::Display for ImageFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ImageFormat::Jpeg => "JPEG",
            ImageFormat::Png => "PNG",
            ImageFormat::Webp => "WebP",
            ImageFormat::Bmp => "BMP",
            ImageFormat::Gif => "GIF",
        })
    }
}

impl fmt::Display for VideoFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            VideoFormat::Mp4 => "MP4",
            VideoFormat::QuickTime => "QuickTime",
            VideoFormat::Matroska => "Matroska",
            VideoFormat::WebM => "WebM",
            VideoFormat::Avi => "AVI",
        })
    }
}

/// Classifies a file from its first bytes (pass at least [`SNIFF_LEN`] bytes, or the whole file
/// when it is shorter). Never panics, whatever the bytes.
///
/// ```
/// use fakescope_media::{sniff, AudioFormat, MediaKind};
/// assert_eq!(sniff(b"fLaC\0\0\0\x22"), MediaKind::Audio(AudioFormat::Flac));
/// assert_eq!(sniff(b"hello, world"), MediaKind::Unknown);
/// ```
pub fn sniff(bytes: &[u8]) -> MediaKind {
    if let Some(kind) = sniff_riff(bytes) {
        return kind;
    }
    if bytes.starts_with(b"fLaC") {
        return MediaKind::Audio(AudioFormat::Flac);
    }
    if bytes.starts_with(b"OggS") {
        return MediaKind::Audio(AudioFormat::Ogg);
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return MediaKind::Image(ImageFormat::Jpeg);
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return MediaKind::Image(ImageFormat::Png);
    }
    if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        return MediaKind::Image(ImageFormat::Gif);
    }
    if is_bmp(bytes) {
        return MediaKind::Image(ImageFormat::Bmp);
    }
    if bytes.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        let head = bytes.get(..bytes.len().min(64)).unwrap_or_default();
        let is_webm = head.windows(4).any(|w| w == b"webm");
        return MediaKind::Video(if is_webm {
            VideoFormat::WebM
        } else {
            VideoFormat::Matroska
        });
    }
    if let Some(kind) = isobmff::sniff_prefix(bytes) {
        return kind;
    }
    sniff_mpeg_audio(bytes)
}

/// RIFF containers: WAV, AVI, WebP.
fn sniff_riff(bytes: &[u8]) -> Option<MediaKind> {
    let riff = bytes.get(0..4)?;
    if riff != b"RIFF" && riff != b"RF64" && riff != b"BW64" {
        return None;
    }
    match bytes.get(8..12)? {
        b"WAVE" => Some(MediaKind::Audio(AudioFormat::Wav)),
        b"AVI " if riff == b"RIFF" => Some(MediaKind::Video(VideoFormat::Avi)),
        b"WEBP" if riff == b"RIFF" => Some(MediaKind::Image(ImageFormat::Webp)),
        _ => None,
    }
}

/// `BM`, then a DIB header whose size is one of the defined versions.
fn is_bmp(bytes: &[u8]) -> bool {
    if !bytes.starts_with(b"BM") {
        return false;
    }
    let Some(size) = read_u32_le(bytes, 14) else {
        return false;
    };
    matches!(size, 12 | 16 | 40 | 52 | 56 | 64 | 108 | 124)
}

/// MP3 / ADTS AAC, after skipping any ID3v2 tags.
fn sniff_mpeg_audio(bytes: &[u8]) -> MediaKind {
    let mut pos = 0usize;
    let mut had_id3 = false;
    // Several ID3v2 tags may follow each other; each is skipped by its declared size.
    while let Some(tag_len) = id3v2_len(bytes.get(pos..).unwrap_or_default()) {
        had_id3 = true;
        pos = pos.saturating_add(tag_len);
    }
    let rest = bytes.get(pos..).unwrap_or_default();
    if had_id3 && rest.len() < 4 {
        // The tag extends past the prefix: trust it (ID3v2 is used by MP3 files).
        return MediaKind::Audio(AudioFormat::Mp3);
    }
    // Tolerate a little padding (zeros) between the tag and the first frame.
    let skip = if had_id3 {
        rest.iter().take(4096).take_while(|&&b| b == 0).count()
    } else {
        0
    };
    let rest = rest.get(skip..).unwrap_or_default();
    match frame_run(rest) {
        Some(FrameKind::Mpeg) => MediaKind::Audio(AudioFormat::Mp3),
        Some(FrameKind::Adts) => MediaKind::Audio(AudioFormat::Aac),
        None if had_id3 => MediaKind::Audio(AudioFormat::Mp3),
        None => MediaKind::Unknown,
    }
}

/// The total length (header + body + optional footer) of an ID3v2 tag at the start of `bytes`.
fn id3v2_len(bytes: &[u8]) -> Option<usize> {
    if !bytes.starts_with(b"ID3") {
        return None;
    }
    let flags = *bytes.get(5)?;
    let size = bytes.get(6..10)?;
    if size.iter().any(|&b| b & 0x80 != 0) {
        return None;
    }
    let body = size
        .iter()
        .fold(0usize, |acc, &b| (acc << 7) | usize::from(b));
    let footer = if flags & 0x10 != 0 { 10 } else { 0 };
    Some(10 + body + footer)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FrameKind {
    Mpeg,
    Adts,
}

/// A frame header at the start of `bytes`, confirmed by a second header of the same kind right
/// after it (when the prefix is long enough to hold it). One header alone is too easy to find in
/// random bytes.
fn frame_run(bytes: &[u8]) -> Option<FrameKind> {
    let (kind, len) = frame_header(bytes)?;
    match bytes.get(len..) {
        Some(next) if next.len() >= 4 => match frame_header(next) {
            Some((k, _)) if k == kind => Some(kind),
            _ => None,
        },
        // A single frame that fills the whole input: accept it.
        _ if bytes.len() <= len => Some(kind),
        _ => None,
    }
}

/// Parses one MPEG audio or ADTS frame header: its kind and frame length in bytes.
fn frame_header(bytes: &[u8]) -> Option<(FrameKind, usize)> {
    let h = bytes.get(0..4)?;
    let (b0, b1, b2, b3) = (h[0], h[1], h[2], h[3]);
    if b0 != 0xFF || b1 & 0xE0 != 0xE0 {
        return None;
    }
    let version = (b1 >> 3) & 0b11; // 0: MPEG 2.5, 1: reserved, 2: MPEG 2, 3: MPEG 1
    let layer = (b1 >> 1) & 0b11; // 0: reserved (ADTS), 1: III, 2: II, 3: I
    if layer == 0 {
        // ADTS: 12-bit sync (version bits 1x), 13-bit frame length.
        if b1 & 0xF6 != 0xF0 {
            return None;
        }
        let sr_index = (b2 >> 2) & 0x0F;
        if sr_index > 12 {
            return None;
        }
        let b4 = usize::from(*bytes.get(4)?);
        let b5 = usize::from(*bytes.get(5)?);
        let len = ((usize::from(b3) & 0x03) << 11) | (b4 << 3) | (b5 >> 5);
        return (len >= 7).then_some((FrameKind::Adts, len));
    }
    if version == 1 {
        return None;
    }
    let bitrate_index = usize::from(b2 >> 4);
    let sr_index = usize::from((b2 >> 2) & 0b11);
    if bitrate_index == 0 || bitrate_index == 15 || sr_index == 3 {
        return None;
    }
    let padding = usize::from((b2 >> 1) & 1);
    let mpeg1 = version == 3;
    let kbps = bitrate_kbps(mpeg1, layer, bitrate_index)?;
    let base_rate = [44_100usize, 48_000, 32_000].get(sr_index).copied()?;
    let rate = match version {
        3 => base_rate,
        2 => base_rate / 2,
        _ => base_rate / 4,
    };
    let bps = kbps * 1000;
    let len = match layer {
        3 => (12 * bps / rate + padding) * 4,
        2 => 144 * bps / rate + padding,
        _ if mpeg1 => 144 * bps / rate + padding,
        _ => 72 * bps / rate + padding,
    };
    (len >= 4).then_some((FrameKind::Mpeg, len))
}

/// Bitrate tables of ISO 11172-3 / 13818-3, in kbit/s, indexed 1..=14.
fn bitrate_kbps(mpeg1: bool, layer: u8, index: usize) -> Option<usize> {
    const V1_L1: [usize; 14] = [
        32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448,
    ];
    const V1_L2: [usize; 14] = [
        32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384,
    ];
    const V1_L3: [usize; 14] = [
        32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
    ];
    const V2_L1: [usize; 14] = [
        32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256,
    ];
    const V2_L23: [usize; 14] = [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
    let table = match (mpeg1, layer) {
        (true, 3) => &V1_L1,
        (true, 2) => &V1_L2,
        (true, _) => &V1_L3,
        (false, 3) => &V2_L1,
        (false, _) => &V2_L23,
    };
    table.get(index.checked_sub(1)?).copied()
}

pub(crate) fn read_u32_le(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_numbers() {
        assert_eq!(
            sniff(b"RIFF\0\0\0\0WAVEfmt "),
            MediaKind::Audio(AudioFormat::Wav)
        );
        assert_eq!(
            sniff(b"RIFF\0\0\0\0AVI LIST"),
            MediaKind::Video(VideoFormat::Avi)
        );
        assert_eq!(
            sniff(b"RIFF\0\0\0\0WEBPVP8 "),
            MediaKind::Image(ImageFormat::Webp)
        );
        assert_eq!(sniff(b"OggS\0\x02"), MediaKind::Audio(AudioFormat::Ogg));
        assert_eq!(
            sniff(&[0xFF, 0xD8, 0xFF, 0xE0]),
            MediaKind::Image(ImageFormat::Jpeg)
        );
        assert_eq!(sniff(b"GIF89a\x01\0"), MediaKind::Image(ImageFormat::Gif));
        assert_eq!(
            sniff(b"\x1a\x45\xdf\xa3\x9f\x42\x82\x84webm"),
            MediaKind::Video(VideoFormat::WebM)
        );
        assert_eq!(
            sniff(b"\x1a\x45\xdf\xa3\x9f\x42\x82\x88matroska"),
            MediaKind::Video(VideoFormat::Matroska)
        );
    }

    #[test]
    fn bmp_needs_a_dib_header() {
        let mut bmp = b"BM".to_vec();
        bmp.extend_from_slice(&[0; 12]);
        bmp.extend_from_slice(&40u32.to_le_bytes());
        assert_eq!(sniff(&bmp), MediaKind::Image(ImageFormat::Bmp));
        assert_eq!(sniff(b"BMW is a car brand"), MediaKind::Unknown);
    }

    #[test]
    fn mp3_frames_need_two_headers() {
        // MPEG-1 layer III, 128 kbit/s, 44.1 kHz, no padding: 417 bytes per frame.
        let header = [0xFF, 0xFB, 0x90, 0x64];
        let mut two = header.to_vec();
        two.resize(417, 0);
        two.extend_from_slice(&header);
        two.resize(900, 0);
        assert_eq!(sniff(&two), MediaKind::Audio(AudioFormat::Mp3));
        let mut one = header.to_vec();
        one.resize(900, 0x55);
        assert_eq!(sniff(&one), MediaKind::Unknown);
    }

    #[test]
    fn id3_tag_is_skipped() {
        let mut bytes = b"ID3\x04\0\0\0\0\0\x0a".to_vec();
        bytes.extend_from_slice(&[0; 10]);
        bytes.extend_from_slice(b"fLaC");
        // ID3 then something that is not MPEG audio: still called MP3 (ID3 is an MP3 tag).
        assert_eq!(sniff(&bytes), MediaKind::Audio(AudioFormat::Mp3));
        // A tag larger than the prefix.
        assert_eq!(
            sniff(b"ID3\x04\0\0\0\x7f\x7f\x7f"),
            MediaKind::Audio(AudioFormat::Mp3)
        );
    }

    #[test]
    fn garbage_never_panics() {
        let mut state = 0x1234_5678u32;
        for len in 0..600 {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 17;
                    state ^= state << 5;
                    (state >> 24) as u8
                })
                .collect();
            let _ = sniff(&bytes);
            let mut id3 = b"ID3".to_vec();
            id3.extend_from_slice(&bytes);
            let _ = sniff(&id3);
            let mut sync = vec![0xFF, 0xF1];
            sync.extend_from_slice(&bytes);
            let _ = sniff(&sync);
        }
    }
}
