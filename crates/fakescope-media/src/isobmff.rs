//! ISO base media file format (MP4, MOV, M4A): just enough box walking to tell audio from video.
//!
//! The rule (also stated on [`crate::sniff`]): a `moov` with a `vide` handler track is video, a
//! `moov` with only `soun` tracks is audio (M4A); when `moov` cannot be inspected, the `ftyp` brands
//! decide: an audio-only brand (`M4A `, `M4B `, `M4P `, `F4A `, `F4B `) is audio, anything else is
//! video (MP4, or QuickTime for the `qt  ` brand). Old QuickTime files without `ftyp` that start with
//! a `moov`, `mdat`, `wide`, `free`, `skip` or `pnot` atom are QuickTime video.

use std::io::{Read, Seek, SeekFrom};

use crate::sniff::{AudioFormat, MediaKind, VideoFormat};

/// `moov` boxes larger than this are not read by [`refine_from_file`]; the brand rule applies.
const MAX_MOOV_BYTES: u64 = 64 * 1024 * 1024;

/// How many top-level boxes [`refine_from_file`] walks before giving up on finding `moov`.
const MAX_TOP_LEVEL_BOXES: usize = 4096;

const AUDIO_BRANDS: [&[u8; 4]; 5] = [b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B "];
const LEGACY_FIRST_ATOMS: [&[u8; 4]; 6] = [b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"];

/// The track handlers found in a `moov` box.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Handlers {
    video: bool,
    sound: bool,
}

/// Classifies an ISO-BMFF prefix, or returns `None` when `bytes` is not ISO-BMFF.
pub(crate) fn sniff_prefix(bytes: &[u8]) -> Option<MediaKind> {
    let (first_type, first_payload, _) = next_box(bytes)?;
    if first_type == *b"ftyp" {
        let by_brand = classify_brands(first_payload);
        let moov = top_level_boxes(bytes)
            .find(|(t, _, complete)| t == b"moov" && *complete)
            .map(|(_, payload, _)| handlers_in_moov(payload));
        return Some(classify(by_brand, moov));
    }
    if LEGACY_FIRST_ATOMS.iter().any(|t| **t == first_type) && plausible_size(bytes) {
        let moov = top_level_boxes(bytes)
            .find(|(t, _, complete)| t == b"moov" && *complete)
            .map(|(_, payload, _)| handlers_in_moov(payload));
        return Some(classify(MediaKind::Video(VideoFormat::QuickTime), moov));
    }
    None
}

/// Re-classifies an ISO-BMFF file whose prefix did not contain a complete `moov`, by seeking over
/// the top-level boxes to find it. `fallback` is what [`sniff_prefix`] said. I/O errors and
/// malformed boxes leave `fallback` unchanged: the decoder reports them later.
pub(crate) fn refine_from_file<R: Read + Seek>(reader: &mut R, fallback: MediaKind) -> MediaKind {
    let Ok(file_len) = reader.seek(SeekFrom::End(0)) else {
        return fallback;
    };
    let mut pos = 0u64;
    for _ in 0..MAX_TOP_LEVEL_BOXES {
        let Some((box_type, header_len, box_len)) = read_box_header(reader, pos, file_len) else {
            return fallback;
        };
        if box_type == *b"moov" {
            let payload_len = box_len - header_len;
            if payload_len > MAX_MOOV_BYTES {
                return fallback;
            }
            let mut payload = Vec::new();
            let read = reader.by_ref().take(payload_len).read_to_end(&mut payload);
            if read.is_err() {
                return fallback;
            }
            return classify(fallback, Some(handlers_in_moov(&payload)));
        }
        pos = match pos.checked_add(box_len) {
            Some(next) if next < file_len => next,
            _ => return fallback,
        };
    }
    fallback
}

/// Whether the top-level boxes run past the end of the file (a download or copy cut short): the
/// last box declares more bytes than the file has. Unreadable or malformed headers say `false`.
pub(crate) fn is_cut_short<R: Read + Seek>(reader: &mut R) -> bool {
    let Ok(file_len) = reader.seek(SeekFrom::End(0)) else {
        return false;
    };
    let mut pos = 0u64;
    for _ in 0..MAX_TOP_LEVEL_BOXES {
        let Some((_, header_len, box_len)) = read_raw_box_header(reader, pos, file_len) else {
            return false;
        };
        if box_len < header_len {
            return false;
        }
        match pos.checked_add(box_len) {
            Some(end) if end < file_len => pos = end,
            Some(end) => return end > file_len,
            None => return true,
        }
    }
    false
}

/// Reads the box header at `pos`: type, header length, and total box length (checked to fit in the
/// file and to be at least the header).
fn read_box_header<R: Read + Seek>(
    reader: &mut R,
    pos: u64,
    file_len: u64,
) -> Option<([u8; 4], u64, u64)> {
    let (box_type, header_len, box_len) = read_raw_box_header(reader, pos, file_len)?;
    if box_len < header_len || pos.checked_add(box_len)? > file_len {
        return None;
    }
    Some((box_type, header_len, box_len))
}

/// Reads the box header at `pos` as declared: type, header length, total box length.
fn read_raw_box_header<R: Read + Seek>(
    reader: &mut R,
    pos: u64,
    file_len: u64,
) -> Option<([u8; 4], u64, u64)> {
    reader.seek(SeekFrom::Start(pos)).ok()?;
    let mut head = [0u8; 8];
    reader.read_exact(&mut head).ok()?;
    let size32 = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
    let box_type = [head[4], head[5], head[6], head[7]];
    match size32 {
        0 => Some((box_type, 8, file_len.saturating_sub(pos))),
        1 => {
            let mut large = [0u8; 8];
            reader.read_exact(&mut large).ok()?;
            Some((box_type, 16, u64::from_be_bytes(large)))
        }
        n => Some((box_type, 8, u64::from(n))),
    }
}

fn classify(by_brand: MediaKind, moov: Option<Handlers>) -> MediaKind {
    match moov {
        Some(Handlers { video: true, .. }) => match by_brand {
            MediaKind::Video(v) => MediaKind::Video(v),
            _ => MediaKind::Video(VideoFormat::Mp4),
        },
        Some(Handlers { sound: true, .. }) => MediaKind::Audio(AudioFormat::M4a),
        _ => by_brand,
    }
}

/// The brand rule, from the `ftyp` payload (major brand, minor version, compatible brands).
fn classify_brands(ftyp: &[u8]) -> MediaKind {
    let major = ftyp.get(0..4);
    if let Some(major) = major {
        if AUDIO_BRANDS.iter().any(|b| b.as_slice() == major) {
            return MediaKind::Audio(AudioFormat::M4a);
        }
        if major == b"qt  " {
            return MediaKind::Video(VideoFormat::QuickTime);
        }
    }
    MediaKind::Video(VideoFormat::Mp4)
}

/// True when the first box's declared size is sane (at least a header, or 0/1 meaning "to the end"
/// / 64-bit size): guards the legacy-atom rule against text that happens to contain `free`.
fn plausible_size(bytes: &[u8]) -> bool {
    match bytes.get(0..4) {
        Some(s) => {
            let size = u32::from_be_bytes([s[0], s[1], s[2], s[3]]);
            size <= 1 || (8..0x4000_0000).contains(&size)
        }
        None => false,
    }
}

fn handlers_in_moov(moov: &[u8]) -> Handlers {
    let mut found = Handlers::default();
    for (t, trak, _) in top_level_boxes(moov) {
        if t != *b"trak" {
            continue;
        }
        let Some((_, mdia, _)) = top_level_boxes(trak).find(|(t, _, _)| t == b"mdia") else {
            continue;
        };
        let Some((_, hdlr, _)) = top_level_boxes(mdia).find(|(t, _, _)| t == b"hdlr") else {
            continue;
        };
        // hdlr payload: version+flags (4), pre_defined (4), handler_type (4).
        match hdlr.get(8..12) {
            Some(b"vide") => found.video = true,
            Some(b"soun") => found.sound = true,
            _ => {}
        }
    }
    found
}

/// One box parsed from a byte slice.
struct RawBox<'a> {
    box_type: [u8; 4],
    /// The payload, clamped to the slice.
    payload: &'a [u8],
    /// Whether the whole box lies within the slice.
    complete: bool,
    /// Header plus payload length, clamped to the slice.
    consumed: usize,
}

/// Parses one box at the start of `bytes`: type, payload (clamped to `bytes`), and whether the box
/// lies entirely within `bytes`.
fn next_box(bytes: &[u8]) -> Option<([u8; 4], &[u8], bool)> {
    parse_box(bytes).map(|b| (b.box_type, b.payload, b.complete))
}

fn parse_box(bytes: &[u8]) -> Option<RawBox<'_>> {
    let head = bytes.get(0..8)?;
    let size32 = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
    let box_type = [head[4], head[5], head[6], head[7]];
    if !box_type.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
        return None;
    }
    let (header_len, box_len) = match size32 {
        0 => (8usize, bytes.len() as u64),
        1 => {
            let l = bytes.get(8..16)?;
            (
                16usize,
                u64::from_be_bytes([l[0], l[1], l[2], l[3], l[4], l[5], l[6], l[7]]),
            )
        }
        n => (8usize, u64::from(n)),
    };
    if box_len < header_len as u64 {
        return None;
    }
    let complete = box_len <= bytes.len() as u64;
    let end = usize::try_from(box_len)
        .unwrap_or(usize::MAX)
        .min(bytes.len());
    let payload = bytes.get(header_len..end).unwrap_or_default();
    Some(RawBox {
        box_type,
        payload,
        complete,
        consumed: end.max(header_len),
    })
}

/// Iterates the boxes laid end to end in `bytes`, stopping at the first malformed or incomplete one
/// (which is still yielded, flagged incomplete).
fn top_level_boxes(bytes: &[u8]) -> impl Iterator<Item = ([u8; 4], &[u8], bool)> {
    let mut rest = bytes;
    std::iter::from_fn(move || {
        let b = parse_box(rest)?;
        rest = if b.complete {
            rest.get(b.consumed..).unwrap_or_default()
        } else {
            &[]
        };
        Some((b.box_type, b.payload, b.complete))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bx(t: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut v = ((payload.len() + 8) as u32).to_be_bytes().to_vec();
        v.extend_from_slice(t);
        v.extend_from_slice(payload);
        v
    }

    fn trak(handler: &[u8; 4]) -> Vec<u8> {
        let mut hdlr = vec![0u8; 8];
        hdlr.extend_from_slice(handler);
        hdlr.extend_from_slice(&[0; 12]);
        bx(b"trak", &bx(b"mdia", &bx(b"hdlr", &hdlr)))
    }

    fn file(brand: &[u8; 4], tracks: &[&[u8; 4]]) -> Vec<u8> {
        let mut ftyp = brand.to_vec();
        ftyp.extend_from_slice(&[0, 0, 2, 0]);
        ftyp.extend_from_slice(b"isomiso2");
        let mut moov = Vec::new();
        for t in tracks {
            moov.extend(trak(t));
        }
        let mut f = bx(b"ftyp", &ftyp);
        f.extend(bx(b"moov", &moov));
        f
    }

    #[test]
    fn handlers_decide() {
        assert_eq!(
            sniff_prefix(&file(b"isom", &[b"soun"])),
            Some(MediaKind::Audio(AudioFormat::M4a))
        );
        assert_eq!(
            sniff_prefix(&file(b"M4A ", &[b"vide", b"soun"])),
            Some(MediaKind::Video(VideoFormat::Mp4))
        );
        assert_eq!(
            sniff_prefix(&file(b"qt  ", &[b"soun", b"vide"])),
            Some(MediaKind::Video(VideoFormat::QuickTime))
        );
    }

    #[test]
    fn brands_decide_without_moov() {
        let only_ftyp = |brand: &[u8; 4]| {
            let f = file(brand, &[]);
            bx(b"ftyp", f.get(8..28).unwrap())
        };
        assert_eq!(
            sniff_prefix(&only_ftyp(b"M4A ")),
            Some(MediaKind::Audio(AudioFormat::M4a))
        );
        assert_eq!(
            sniff_prefix(&only_ftyp(b"mp42")),
            Some(MediaKind::Video(VideoFormat::Mp4))
        );
    }

    #[test]
    fn moov_at_the_end_is_found_in_the_file() {
        let mut f = bx(b"ftyp", b"isom\0\0\0\0isom");
        f.extend(bx(b"mdat", &[0u8; 1000]));
        let mut moov = Vec::new();
        moov.extend(trak(b"soun"));
        f.extend(bx(b"moov", &moov));
        let prefix = f.get(..100).unwrap();
        let guess = sniff_prefix(prefix).unwrap();
        assert_eq!(guess, MediaKind::Video(VideoFormat::Mp4));
        let refined = refine_from_file(&mut std::io::Cursor::new(&f), guess);
        assert_eq!(refined, MediaKind::Audio(AudioFormat::M4a));
        assert!(!is_cut_short(&mut std::io::Cursor::new(&f)));
        let cut = f.get(..f.len() - 1).unwrap();
        assert!(is_cut_short(&mut std::io::Cursor::new(cut)));
    }

    #[test]
    fn legacy_quicktime_and_noise() {
        let f = bx(b"moov", &trak(b"vide"));
        assert_eq!(
            sniff_prefix(&f),
            Some(MediaKind::Video(VideoFormat::QuickTime))
        );
        assert_eq!(sniff_prefix(b"the free software"), None);
        assert_eq!(sniff_prefix(b"\0\0\0\x04ftyp"), None);
        let mut bad = bx(b"ftyp", b"isom");
        bad.extend_from_slice(&[0, 0, 0, 1, b'm', b'o', b'o', b'v', 0xFF]);
        let _ = sniff_prefix(&bad);
        let _ = refine_from_file(&mut std::io::Cursor::new(&bad), MediaKind::Unknown);
    }
}
