//! The symphonia decode loop: demux, decode, downmix, resample, with the limits checked as early
//! as the stream allows.

use std::io::ErrorKind;
use std::path::PathBuf;

use symphonia::core::codecs::audio::AudioDecoderOptions;
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, Track, TrackType};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;

use super::resample::{MonoResampler, TARGET_SAMPLE_RATE};
use super::{AudioClip, AudioLimits};
use crate::error::MediaError;
use crate::sniff::{AudioFormat, MediaKind};
use crate::source::Source;

/// Sample rates outside this range are refused as corrupt headers.
const SAMPLE_RATES: std::ops::RangeInclusive<u32> = 1_000..=768_000;

/// Up to this many channels are accepted.
const MAX_CHANNELS: usize = 64;

/// A shortfall against the declared frame count below this fraction, plus
/// [`TRUNCATION_SLACK_FRAMES`], is tolerated (one or two packets lost to a skipped bad packet or
/// to encoder padding accounting).
const TRUNCATION_TOLERANCE: f64 = 0.001;

/// Absolute part of the truncation tolerance: two MP3 frames (2 × 1152 samples).
const TRUNCATION_SLACK_FRAMES: u64 = 2 * 1152;

/// Undecodable packets are skipped up to this count, or 1% of the packets when that is more.
const MAX_BAD_PACKETS: u64 = 2;

/// Packet bookkeeping of the decode loop.
#[derive(Default)]
struct Packets {
    /// Packets of the audio track read so far.
    total: u64,
    /// Of which the decoder rejected.
    bad: u64,
    /// The decoder's last complaint.
    last_error: Option<SymError>,
}

impl Packets {
    /// The error once too many packets failed: unsupported when nothing decoded and the decoder
    /// says so, corrupt otherwise.
    fn failure(&self, fail: &Fail, decoded_frames: u64, last: &SymError) -> MediaError {
        match last {
            SymError::Unsupported(what) if decoded_frames == 0 => {
                fail.unsupported(&format!("unsupported codec feature ({what})"))
            }
            _ => fail.corrupt(&format!(
                "{} of {} packets could not be decoded (last: {last})",
                self.bad, self.total
            )),
        }
    }
}

/// Decodes a checked, sniffed source (see [`super::decode_audio`]).
pub(super) fn decode(source: Source, limits: &AudioLimits) -> Result<AudioClip, MediaError> {
    let path = source.path.clone();
    let fail = Fail { path: path.clone() };
    let cut_short = source.cut_short;
    let mut hint = Hint::new();
    if let Some(ext) = hint_extension(source.kind) {
        hint.with_extension(ext);
    }
    let mss = MediaSourceStream::new(Box::new(source.file), Default::default());
    let mut format = symphonia::default::get_probe()
        .probe(
            &hint,
            mss,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .map_err(|e| match e {
            e if cut_short => fail.truncated(&format!(
                "the file is shorter than its container declares ({e})"
            )),
            e => fail.open_error(e),
        })?;

    let track = format
        .default_track(TrackType::Audio)
        .cloned()
        .ok_or_else(|| fail.unsupported("the file has no audio track"))?;
    let params = track
        .codec_params
        .as_ref()
        .and_then(|p| p.audio())
        .cloned()
        .ok_or_else(|| fail.unsupported("the audio track has no usable codec parameters"))?;

    // Header checks, before any sample is decoded or any buffer sized.
    if let Some(rate) = params.sample_rate {
        check_rate(&fail, rate)?;
    }
    let declared_s = declared_duration_s(&track, params.sample_rate);
    if let Some(d) = declared_s
        && d > limits.max_duration_s
    {
        return Err(fail.too_long(d, limits.max_duration_s));
    }

    let mut decoder = symphonia::default::get_codecs()
        .make_audio_decoder(&params, &AudioDecoderOptions::default())
        .map_err(|e| match e {
            SymError::Unsupported(what) => fail.unsupported(&format!("unsupported codec ({what})")),
            other => fail.corrupt(&other.to_string()),
        })?;

    let capacity = declared_s.map_or(0, |d| (d.max(0.0) * f64::from(TARGET_SAMPLE_RATE)) as usize);
    let mut stream = Stream {
        fail: &fail,
        limits,
        resampler: None,
        spec: None,
        capacity,
        frames: 0,
        mono: Vec::new(),
        interleaved: Vec::new(),
    };
    let mut packets = Packets::default();
    loop {
        let packet = match format.next_packet() {
            Ok(Some(packet)) => packet,
            Ok(None) | Err(SymError::ResetRequired) => break,
            Err(SymError::IoError(e)) if e.kind() == ErrorKind::UnexpectedEof => {
                return Err(fail.truncated(&format!(
                    "the data ends inside a packet after {:.2} s of audio",
                    stream.seconds()
                )));
            }
            Err(e) if cut_short => {
                return Err(fail.truncated(&format!(
                    "the file is shorter than its container declares; decoding stopped after \
                     {:.2} s of audio ({e})",
                    stream.seconds()
                )));
            }
            Err(SymError::IoError(e)) => return Err(fail.io(e)),
            Err(e) => return Err(fail.corrupt(&e.to_string())),
        };
        if packet.track_id != track.id {
            continue;
        }
        packets.total += 1;
        match decoder.decode(&packet) {
            Ok(buf) => {
                let rate = buf.spec().rate();
                let channels = buf.spec().channels().count();
                buf.copy_to_vec_interleaved(&mut stream.interleaved);
                stream.push(rate, channels)?;
            }
            // Random data in a packet can look like an unsupported feature: it is a bad packet
            // like any other, reported as unsupported only when no packet decodes at all.
            Err(
                e @ (SymError::DecodeError(_) | SymError::IoError(_) | SymError::Unsupported(_)),
            ) => {
                packets.bad += 1;
                if packets.bad > (packets.total / 100).max(MAX_BAD_PACKETS) {
                    return Err(packets.failure(&fail, stream.frames, &e));
                }
                packets.last_error = Some(e);
            }
            Err(e) => return Err(fail.corrupt(&e.to_string())),
        }
    }
    let (source_rate, channels) = stream.spec.unwrap_or((0, 0));
    let decoded = stream.frames;
    if let Some(declared) = track.num_frames {
        let tolerated = (declared as f64 * TRUNCATION_TOLERANCE) as u64 + TRUNCATION_SLACK_FRAMES;
        if decoded + tolerated < declared {
            let detail = format!("decoded {decoded} of the {declared} frames the header declares");
            return Err(match packets.last_error {
                Some(e) => {
                    fail.corrupt(&format!("{detail}; {} bad packets, last: {e}", packets.bad))
                }
                None => fail.truncated(&detail),
            });
        }
    }
    let Some(resampler) = stream.resampler.take() else {
        return Err(MediaError::NoSamples { path });
    };
    if decoded == 0 {
        return Err(MediaError::NoSamples { path });
    }
    let samples = resampler.finish().map_err(|e| fail.corrupt(&e))?;
    if samples.is_empty() {
        return Err(MediaError::NoSamples { path });
    }
    Ok(AudioClip {
        duration_s: samples.len() as f64 / f64::from(TARGET_SAMPLE_RATE),
        samples,
        sample_rate: TARGET_SAMPLE_RATE,
        source_rate,
        channels: u16::try_from(channels).unwrap_or(u16::MAX),
    })
}

/// The decoded-signal side of the loop: downmix, limit, resample.
struct Stream<'a> {
    fail: &'a Fail,
    limits: &'a AudioLimits,
    resampler: Option<MonoResampler>,
    /// (sample rate, channels) of the first decoded buffer; later buffers must match.
    spec: Option<(u32, usize)>,
    capacity: usize,
    /// Source frames decoded so far.
    frames: u64,
    mono: Vec<f32>,
    interleaved: Vec<f32>,
}

impl Stream<'_> {
    fn seconds(&self) -> f64 {
        match self.spec {
            Some((rate, _)) if rate > 0 => self.frames as f64 / f64::from(rate),
            _ => 0.0,
        }
    }

    /// Takes the buffer just copied into `self.interleaved`.
    fn push(&mut self, rate: u32, channels: usize) -> Result<(), MediaError> {
        if self.interleaved.is_empty() {
            return Ok(());
        }
        match self.spec {
            None => {
                check_rate(self.fail, rate)?;
                if channels == 0 || channels > MAX_CHANNELS {
                    return Err(self.fail.unsupported(&format!(
                        "{channels} audio channels (1 to {MAX_CHANNELS} supported)"
                    )));
                }
                self.spec = Some((rate, channels));
                let resampler =
                    MonoResampler::new(rate, self.capacity).map_err(|e| self.fail.corrupt(&e))?;
                self.resampler = Some(resampler);
            }
            Some(spec) if spec != (rate, channels) => {
                return Err(self.fail.unsupported(&format!(
                    "the stream changes from {} Hz x{} to {rate} Hz x{channels} midway",
                    spec.0, spec.1
                )));
            }
            Some(_) => {}
        }
        self.mono.clear();
        let scale = 1.0 / channels as f32;
        for frame in self.interleaved.chunks_exact(channels) {
            self.mono.push(frame.iter().sum::<f32>() * scale);
        }
        if self.mono.iter().any(|s| !s.is_finite()) {
            return Err(self.fail.corrupt("the decoder produced non-finite samples"));
        }
        self.frames += self.mono.len() as u64;
        let seconds = self.seconds();
        if seconds > self.limits.max_duration_s {
            return Err(self.fail.too_long(seconds, self.limits.max_duration_s));
        }
        if let Some(r) = self.resampler.as_mut() {
            r.push(&self.mono).map_err(|e| self.fail.corrupt(&e))?;
        }
        Ok(())
    }
}

/// The stream duration the container declares, in seconds.
fn declared_duration_s(track: &Track, sample_rate: Option<u32>) -> Option<f64> {
    if let (Some(tb), Some(dur)) = (track.time_base, track.duration)
        && let Some(t) = tb.calc_duration(dur)
    {
        return Some(t.as_secs_f64());
    }
    match (track.num_frames, sample_rate) {
        (Some(n), Some(rate)) if rate > 0 => Some(n as f64 / f64::from(rate)),
        _ => None,
    }
}

fn check_rate(fail: &Fail, rate: u32) -> Result<(), MediaError> {
    if SAMPLE_RATES.contains(&rate) {
        Ok(())
    } else {
        Err(fail.corrupt(&format!(
            "sample rate {rate} Hz is outside {}..={} Hz",
            SAMPLE_RATES.start(),
            SAMPLE_RATES.end()
        )))
    }
}

/// The probe hint from the sniffed content (never from the file name).
fn hint_extension(kind: MediaKind) -> Option<&'static str> {
    match kind {
        MediaKind::Audio(AudioFormat::Wav) => Some("wav"),
        MediaKind::Audio(AudioFormat::Flac) => Some("flac"),
        MediaKind::Audio(AudioFormat::Mp3) => Some("mp3"),
        MediaKind::Audio(AudioFormat::Ogg) => Some("ogg"),
        MediaKind::Audio(AudioFormat::M4a) => Some("m4a"),
        MediaKind::Audio(AudioFormat::Aac) => Some("aac"),
        _ => None,
    }
}

/// Builds errors that name the file.
struct Fail {
    path: PathBuf,
}

impl Fail {
    fn unsupported(&self, what: &str) -> MediaError {
        MediaError::Unsupported {
            path: self.path.clone(),
            what: what.to_string(),
        }
    }

    fn corrupt(&self, detail: &str) -> MediaError {
        MediaError::Corrupt {
            path: self.path.clone(),
            detail: detail.to_string(),
        }
    }

    fn truncated(&self, detail: &str) -> MediaError {
        MediaError::Truncated {
            path: self.path.clone(),
            detail: detail.to_string(),
        }
    }

    fn too_long(&self, duration_s: f64, limit_s: f64) -> MediaError {
        MediaError::TooLong {
            path: self.path.clone(),
            duration_s,
            limit_s,
        }
    }

    fn io(&self, source: std::io::Error) -> MediaError {
        MediaError::Io {
            path: self.path.clone(),
            source,
        }
    }

    /// Maps a probe failure: the sniffer already said this is media, so an end of data means a
    /// truncated header and anything else a corrupt or unsupported one.
    fn open_error(&self, e: SymError) -> MediaError {
        match e {
            SymError::IoError(io) if io.kind() == ErrorKind::UnexpectedEof => {
                self.truncated("the file ends inside its header")
            }
            SymError::IoError(io) => self.io(io),
            SymError::Unsupported(what) => {
                self.unsupported(&format!("the container is not supported ({what})"))
            }
            other => self.corrupt(&format!("cannot open the stream: {other}")),
        }
    }
}
