//! MP4/MOV demuxing with `re_mp4`: the video track's sample table, codec configuration and
//! display rotation. Only the `moov` box is read into memory (the sample data stays on disk and
//! is read one sample at a time by the decoder).

use std::fs::File;
use std::panic::{AssertUnwindSafe, catch_unwind};

use re_mp4::{Mp4, StsdBoxContent, TrakBox};

/// One sample (an encoded access unit) of the video track, in decode order.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SampleRef {
    /// Byte offset in the file.
    pub(crate) offset: u64,
    /// Byte length.
    pub(crate) size: u64,
    /// A sync sample (key frame) per the sample table.
    pub(crate) is_sync: bool,
    /// Its position in presentation order (the frame index it decodes to).
    pub(crate) rank: u32,
}

/// The H.264 decoder configuration from `avcC`.
#[derive(Debug, Clone)]
pub(crate) struct AvcConfig {
    /// `profile_idc` (66 Baseline, 77 Main, 100 High, 110 High 10, 122 High 4:2:2, 244 High 4:4:4).
    pub(crate) profile_idc: u8,
    /// Bytes in each NAL length prefix.
    pub(crate) length_size: usize,
    pub(crate) sps: Vec<Vec<u8>>,
    pub(crate) pps: Vec<Vec<u8>>,
}

/// What the demuxer found about the first video track.
#[derive(Debug, Clone)]
pub(crate) struct Mp4Video {
    /// Short codec name as ffmpeg spells it (`h264`, `hevc`, `av1`, `vp9`, ...), or the sample
    /// entry's four-character code for others (`mp4v`, ...).
    pub(crate) codec: String,
    /// Coded (stored) width and height, before rotation.
    pub(crate) width: u32,
    pub(crate) height: u32,
    /// Clockwise display rotation from the track matrix: 0, 90, 180 or 270.
    pub(crate) rotation: u32,
    pub(crate) avc: Option<AvcConfig>,
    /// Samples in decode order.
    pub(crate) samples: Vec<SampleRef>,
    /// Presentation timestamps in seconds, sorted: entry `k` is the time of frame `k`.
    pub(crate) pts: Vec<f64>,
    /// Track duration in seconds.
    pub(crate) duration_s: f64,
    pub(crate) has_audio: bool,
}

/// Why demuxing failed.
#[derive(Debug)]
pub(crate) enum DemuxError {
    /// No track with a `vide` handler.
    NoVideoTrack,
    /// re_mp4 refused the file (or panicked on it); the message says why.
    Malformed(String),
}

/// Parses the file's `moov` and describes its first video track.
pub(crate) fn demux(file: &mut File, len: u64) -> Result<Mp4Video, DemuxError> {
    let parsed = catch_unwind(AssertUnwindSafe(|| Mp4::read(&mut *file, len)));
    let mp4 = match parsed {
        Ok(Ok(mp4)) => mp4,
        Ok(Err(e)) => return Err(DemuxError::Malformed(e.to_string())),
        Err(_) => return Err(DemuxError::Malformed("the MP4 parser failed".into())),
    };
    catch_unwind(AssertUnwindSafe(|| describe(&mp4)))
        .unwrap_or_else(|_| Err(DemuxError::Malformed("the MP4 parser failed".into())))
}

fn is_handler(trak: &TrakBox, handler: &[u8; 4]) -> bool {
    trak.mdia.hdlr.handler_type.value == *handler
}

fn describe(mp4: &Mp4) -> Result<Mp4Video, DemuxError> {
    let has_audio = mp4.moov.traks.iter().any(|t| is_handler(t, b"soun"));
    let trak = mp4
        .moov
        .traks
        .iter()
        .find(|t| is_handler(t, b"vide"))
        .ok_or(DemuxError::NoVideoTrack)?;
    let track = mp4
        .tracks()
        .get(&trak.tkhd.track_id)
        .ok_or(DemuxError::NoVideoTrack)?;
    let contents = &trak.mdia.minf.stbl.stsd.contents;
    let (codec, avc) = match contents {
        StsdBoxContent::Avc1(avc1) => {
            let c = &avc1.avcc.contents;
            let avc = AvcConfig {
                profile_idc: c
                    .sequence_parameter_sets
                    .first()
                    .and_then(|s| s.bytes.get(1).copied())
                    .unwrap_or(c.avc_profile_indication),
                length_size: usize::from(c.length_size_minus_one & 3) + 1,
                sps: c
                    .sequence_parameter_sets
                    .iter()
                    .map(|n| n.bytes.clone())
                    .collect(),
                pps: c
                    .picture_parameter_sets
                    .iter()
                    .map(|n| n.bytes.clone())
                    .collect(),
            };
            ("h264".to_string(), Some(avc))
        }
        StsdBoxContent::Hvc1(_) | StsdBoxContent::Hev1(_) => ("hevc".to_string(), None),
        StsdBoxContent::Av01(_) => ("av1".to_string(), None),
        StsdBoxContent::Vp08(_) => ("vp8".to_string(), None),
        StsdBoxContent::Vp09(_) => ("vp9".to_string(), None),
        StsdBoxContent::Unknown(fourcc) => (fourcc.to_string().trim().to_string(), None),
        StsdBoxContent::Mp4a(_) | StsdBoxContent::Tx3g(_) => ("unknown".to_string(), None),
    };
    let (width, height) = match contents {
        StsdBoxContent::Avc1(avc1) => (u32::from(avc1.width), u32::from(avc1.height)),
        _ => (u32::from(track.width), u32::from(track.height)),
    };
    let timescale = track.timescale.max(1) as f64;
    let mut pts: Vec<f64> = track
        .samples
        .iter()
        .map(|s| s.composition_timestamp as f64 / timescale)
        .collect();
    pts.sort_by(f64::total_cmp);
    let mut order: Vec<usize> = (0..track.samples.len()).collect();
    order.sort_by_key(|&i| track.samples.get(i).map(|s| s.composition_timestamp));
    let mut ranks = vec![0u32; order.len()];
    for (rank, &i) in order.iter().enumerate() {
        if let Some(r) = ranks.get_mut(i) {
            *r = u32::try_from(rank).unwrap_or(u32::MAX);
        }
    }
    let samples = track
        .samples
        .iter()
        .zip(ranks)
        .map(|(s, rank)| SampleRef {
            offset: s.offset,
            size: s.size,
            is_sync: s.is_sync,
            rank,
        })
        .collect();
    let m = &trak.tkhd.matrix;
    Ok(Mp4Video {
        codec,
        width,
        height,
        rotation: rotation_of(m.a, m.b),
        avc,
        samples,
        pts,
        duration_s: track.duration as f64 / timescale,
        has_audio,
    })
}

/// The clockwise display rotation of a track matrix whose first row is `(a, b)` (16.16 fixed
/// point: `a = cos θ`, `b = sin θ`), rounded to a multiple of 90 degrees. ffmpeg reads the same
/// matrix and reports `-θ` as its display-matrix "rotation".
pub(crate) fn rotation_of(a: i32, b: i32) -> u32 {
    let degrees = f64::from(b).atan2(f64::from(a)).to_degrees();
    let quarter = (degrees / 90.0).round() as i64;
    (quarter.rem_euclid(4) * 90) as u32
}

#[cfg(test)]
mod tests {
    use super::rotation_of;

    #[test]
    fn matrix_rotation() {
        let one = 1 << 16;
        assert_eq!(rotation_of(one, 0), 0);
        assert_eq!(rotation_of(0, one), 90);
        assert_eq!(rotation_of(-one, 0), 180);
        assert_eq!(rotation_of(0, -one), 270);
        assert_eq!(rotation_of(0, 0), 0);
    }
}
