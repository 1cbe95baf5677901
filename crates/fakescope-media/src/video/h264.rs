//! The pure-Rust path: H.264 samples read from the MP4 one at a time, converted to Annex B and
//! decoded by OpenH264 (Constrained Baseline, Main and High profiles, 4:2:0, 8 bits).
//!
//! Decoding is sequential from the first sample, and only the current sample and the frames
//! OpenH264 holds for reordering are in memory; wanted frames are converted to RGB8 (and rotated
//! like ffmpeg's `autorotate`) as they come out, in presentation order.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

use openh264::OpenH264API;
use openh264::decoder::{DecodeOptions, DecodedYUV, Decoder, DecoderConfig, Flush};
use openh264::formats::YUVSource;

use super::VideoFrame;
use super::annexb::AnnexB;
use super::mp4::{AvcConfig, SampleRef};
use super::pixels::{rotate_rgb, yuv420_to_rgb};
use crate::error::MediaError;

/// Samples larger than this are refused (a 4K intra frame is a few MB).
const MAX_SAMPLE_BYTES: u64 = 64 * 1024 * 1024;

/// Whether OpenH264 decodes this `profile_idc`: Baseline (66), Main (77) and High (100), which are
/// 4:2:0 and 8-bit by definition. High 10 (110), High 4:2:2 (122), High 4:4:4 Predictive (244),
/// Extended (88) and the scalable/multiview profiles go to ffmpeg.
pub(crate) fn openh264_supports(profile_idc: u8) -> bool {
    matches!(profile_idc, 66 | 77 | 100)
}

/// The H.264 profile name of a `profile_idc`, as ffprobe prints it.
pub(crate) fn profile_name(profile_idc: u8) -> String {
    match profile_idc {
        66 => "Baseline".into(),
        77 => "Main".into(),
        88 => "Extended".into(),
        100 => "High".into(),
        110 => "High 10".into(),
        122 => "High 4:2:2".into(),
        244 => "High 4:4:4 Predictive".into(),
        44 => "CAVLC 4:4:4".into(),
        other => format!("profile_idc {other}"),
    }
}

/// An OpenH264 decoder that keeps frames for reordering until they are due (no forced flush).
fn new_decoder() -> Result<Decoder, openh264::Error> {
    let config = DecoderConfig::new().flush_after_decode(Flush::NoFlush);
    Decoder::with_api_config(OpenH264API::from_source(), config)
}

/// Decoded frames still to hand out, and the bookkeeping that maps decoder output to frame
/// indices.
struct Output {
    wanted: Vec<u64>,
    pos: usize,
    /// Frames the decoder has output so far (= presentation index of the next one).
    produced: u64,
    pts: Vec<f64>,
    rotation: u32,
    ready: VecDeque<VideoFrame>,
}

impl Output {
    fn take(&mut self, yuv: &DecodedYUV<'_>) {
        let index = self.produced;
        self.produced += 1;
        if self.wanted.get(self.pos) != Some(&index) {
            return;
        }
        self.pos += 1;
        let (w, h) = yuv.dimensions();
        let (ys, uvs, _) = yuv.strides();
        let rgb = yuv420_to_rgb((yuv.y(), yuv.u(), yuv.v()), (w, h), (ys, uvs));
        let (rgb, w, h) = rotate_rgb(rgb, w, h, self.rotation);
        self.ready.push_back(VideoFrame {
            index,
            timestamp_s: self.pts.get(index as usize).copied().unwrap_or(f64::NAN),
            width: w as u32,
            height: h as u32,
            rgb,
        });
    }
}

/// The OpenH264 frame stream.
pub(crate) struct H264Frames {
    path: PathBuf,
    file: File,
    file_len: u64,
    samples: Vec<SampleRef>,
    next_sample: usize,
    annexb: AnnexB,
    decoder: Decoder,
    /// For each presentation index, the decode-order sample that holds it.
    sample_of_rank: Vec<u32>,
    sample_buf: Vec<u8>,
    nal_buf: Vec<u8>,
    out: Output,
    flushed: bool,
    failed: bool,
    /// Samples the decoder rejected, or whose NAL lengths were damaged.
    pub(crate) bad_samples: usize,
}

impl H264Frames {
    pub(crate) fn new(
        path: PathBuf,
        avc: &AvcConfig,
        samples: Vec<SampleRef>,
        pts: Vec<f64>,
        rotation: u32,
        wanted: Vec<u64>,
    ) -> Result<H264Frames, MediaError> {
        let corrupt = |detail: String| MediaError::Corrupt {
            path: path.clone(),
            detail,
        };
        let sps: Vec<&[u8]> = avc.sps.iter().map(Vec::as_slice).collect();
        let pps: Vec<&[u8]> = avc.pps.iter().map(Vec::as_slice).collect();
        let annexb = AnnexB::new(avc.length_size, &sps, &pps).ok_or_else(|| {
            corrupt(format!(
                "avcC NAL length size {} is invalid",
                avc.length_size
            ))
        })?;
        let decoder =
            new_decoder().map_err(|e| corrupt(format!("OpenH264 could not start: {e}")))?;
        let mut sample_of_rank = vec![0u32; samples.len()];
        for (i, s) in samples.iter().enumerate() {
            if let Some(slot) = sample_of_rank.get_mut(s.rank as usize) {
                *slot = u32::try_from(i).unwrap_or(u32::MAX);
            }
        }
        let file = File::open(&path).map_err(|source| MediaError::Io {
            path: path.clone(),
            source,
        })?;
        let file_len = file.metadata().map(|m| m.len()).unwrap_or(0);
        Ok(H264Frames {
            path,
            file,
            file_len,
            samples,
            next_sample: 0,
            annexb,
            decoder,
            sample_of_rank,
            sample_buf: Vec::new(),
            nal_buf: Vec::new(),
            out: Output {
                wanted,
                pos: 0,
                produced: 0,
                pts,
                rotation,
                ready: VecDeque::new(),
            },
            flushed: false,
            failed: false,
            bad_samples: 0,
        })
    }

    fn fail(&mut self, err: MediaError) -> Option<Result<VideoFrame, MediaError>> {
        self.failed = true;
        Some(Err(err))
    }

    /// Reads sample `i` into `sample_buf`, checking it lies inside the file.
    fn read_sample(&mut self, i: usize) -> Result<(), MediaError> {
        let Some(s) = self.samples.get(i).copied() else {
            return Ok(());
        };
        let end = s.offset.checked_add(s.size);
        if s.size > MAX_SAMPLE_BYTES || end.is_none_or(|e| e > self.file_len) {
            return Err(MediaError::Truncated {
                path: self.path.clone(),
                detail: format!(
                    "sample {} of {} ({} bytes at offset {}) lies past the end of the {}-byte file; {} frames were decoded",
                    i + 1,
                    self.samples.len(),
                    s.size,
                    s.offset,
                    self.file_len,
                    self.out.produced
                ),
            });
        }
        let io = |source| MediaError::Io {
            path: self.path.clone(),
            source,
        };
        self.sample_buf.resize(s.size as usize, 0);
        self.file.seek(SeekFrom::Start(s.offset)).map_err(io)?;
        self.file.read_exact(&mut self.sample_buf).map_err(io)
    }

    /// Jumps ahead when the next wanted frame lies past a later IDR key frame: a fresh decoder
    /// starts there, and the frames in between are never decoded. After an IDR no frame is
    /// shown before it, so the output count restarts at the key frame's presentation index.
    fn skip_to_key_frame(&mut self) {
        let Some(&want) = self.out.wanted.get(self.out.pos) else {
            return;
        };
        let Some(&target) = self.sample_of_rank.get(want as usize) else {
            return;
        };
        let target = target as usize;
        if target <= self.next_sample {
            return;
        }
        let Some(key) = (self.next_sample + 1..=target)
            .rev()
            .find(|&i| self.samples.get(i).is_some_and(|s| s.is_sync))
        else {
            return;
        };
        if self.read_sample(key).is_err() || !self.annexb.has_idr(&self.sample_buf) {
            return;
        }
        let Ok(decoder) = new_decoder() else {
            return;
        };
        let Some(rank) = self.samples.get(key).map(|s| u64::from(s.rank)) else {
            return;
        };
        self.decoder = decoder;
        self.annexb = self.annexb.restarted();
        self.next_sample = key;
        self.out.produced = rank;
    }

    /// Feeds the next sample to the decoder; wanted output lands in `out.ready`.
    fn step(&mut self) -> Result<(), MediaError> {
        let i = self.next_sample;
        self.next_sample += 1;
        self.read_sample(i)?;
        let damage = self.annexb.convert(&self.sample_buf, &mut self.nal_buf);
        if damage.truncated {
            self.bad_samples += 1;
        }
        if self.nal_buf.is_empty() {
            return Ok(());
        }
        let (decoder, nal, out) = (&mut self.decoder, &self.nal_buf, &mut self.out);
        let options = DecodeOptions::new().flush_after_decode(Flush::NoFlush);
        let result = catch_unwind(AssertUnwindSafe(|| {
            match decoder.decode_with_options(nal, options) {
                Ok(Some(yuv)) => {
                    out.take(&yuv);
                    true
                }
                Ok(None) => true,
                Err(_) => false,
            }
        }));
        if !result.unwrap_or(false) {
            self.bad_samples += 1;
        }
        Ok(())
    }

    fn flush(&mut self) {
        self.flushed = true;
        let (decoder, out) = (&mut self.decoder, &mut self.out);
        let _ = catch_unwind(AssertUnwindSafe(|| {
            if let Ok(frames) = decoder.flush_remaining() {
                for yuv in &frames {
                    out.take(yuv);
                }
            }
        }));
    }
}

impl Iterator for H264Frames {
    type Item = Result<VideoFrame, MediaError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(frame) = self.out.ready.pop_front() {
                return Some(Ok(frame));
            }
            if self.failed || self.out.pos >= self.out.wanted.len() {
                return None;
            }
            if self.next_sample < self.samples.len() {
                self.skip_to_key_frame();
                if let Err(e) = self.step() {
                    return self.fail(e);
                }
            } else if !self.flushed {
                self.flush();
            } else {
                let missing = self.out.wanted.len() - self.out.pos;
                let err = MediaError::Corrupt {
                    path: self.path.clone(),
                    detail: format!(
                        "OpenH264 produced {} frames from {} samples ({} damaged or rejected); {missing} requested frames are missing",
                        self.out.produced,
                        self.samples.len(),
                        self.bad_samples
                    ),
                };
                return self.fail(err);
            }
        }
    }
}
