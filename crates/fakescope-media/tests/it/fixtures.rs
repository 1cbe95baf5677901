//! Fixture generators: WAV through hound, other formats through the system `ffmpeg` (tests that
//! need it print "skipped: ..." and return when it is missing), images through the image crate.

use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

/// A temporary directory holding the fixtures of one test.
pub struct Dir {
    dir: TempDir,
}

impl Dir {
    pub fn new() -> Dir {
        Dir {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes `bytes` to `name`.
    pub fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, bytes).expect("write fixture");
        p
    }

    /// A 16-bit PCM WAV of `frames` frames at `rate`, each channel a sine of `freq` Hz with the
    /// given per-channel amplitudes (full scale = 1.0).
    pub fn sine_wav(
        &self,
        name: &str,
        rate: u32,
        freq: f32,
        seconds: f32,
        amps: &[f32],
    ) -> PathBuf {
        let p = self.path(name);
        let spec = hound::WavSpec {
            channels: amps.len() as u16,
            sample_rate: rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(&p, spec).expect("wav writer");
        let frames = (seconds * rate as f32).round() as usize;
        for i in 0..frames {
            let s = (std::f32::consts::TAU * freq * i as f32 / rate as f32).sin();
            for a in amps {
                w.write_sample((s * a * 32767.0).round() as i16)
                    .expect("sample");
            }
        }
        w.finalize().expect("finalize wav");
        p
    }

    /// A WAV with `frames` frames of digital silence.
    pub fn silent_wav(&self, name: &str, rate: u32, frames: usize) -> PathBuf {
        let p = self.path(name);
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(&p, spec).expect("wav writer");
        for _ in 0..frames {
            w.write_sample(0i16).expect("sample");
        }
        w.finalize().expect("finalize wav");
        p
    }

    /// Runs ffmpeg with `args` (inputs and options) writing `name`; `None` when ffmpeg is missing.
    pub fn ffmpeg(&self, name: &str, args: &[&str]) -> Option<PathBuf> {
        if !have_ffmpeg() {
            return None;
        }
        let p = self.path(name);
        let status = Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-y"])
            .args(args)
            .arg(&p)
            .status()
            .expect("run ffmpeg");
        assert!(status.success(), "ffmpeg failed to write {name}: {args:?}");
        Some(p)
    }

    /// Like [`Dir::ffmpeg`], but ffmpeg writes to a pipe, as a live stream would: muxers then
    /// cannot go back to fill in durations and frame counts. `args` must end with `-f FORMAT`.
    pub fn ffmpeg_piped(&self, name: &str, args: &[&str]) -> Option<PathBuf> {
        if !have_ffmpeg() {
            return None;
        }
        let out = Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-y"])
            .args(args)
            .arg("pipe:1")
            .output()
            .expect("run ffmpeg");
        assert!(
            out.status.success(),
            "ffmpeg failed to write {name}: {args:?}"
        );
        Some(self.write(name, &out.stdout))
    }

    /// A 440 Hz tone at 44.1 kHz stereo, `seconds` long, encoded by ffmpeg with `codec_args`
    /// into `name` (the extension picks the container unless `-f` is given).
    pub fn ffmpeg_tone(&self, name: &str, seconds: f32, codec_args: &[&str]) -> Option<PathBuf> {
        let src = format!("sine=frequency=440:sample_rate=44100:duration={seconds}");
        let mut args = vec!["-f", "lavfi", "-i", &src, "-ac", "2"];
        args.extend_from_slice(codec_args);
        self.ffmpeg(name, &args)
    }
}

/// Whether `ffmpeg` runs; prints the skip notice once per call site when it does not.
pub fn have_ffmpeg() -> bool {
    Command::new("ffmpeg")
        .arg("-version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Prints the visible skip notice.
pub fn skip(test: &str) {
    eprintln!("skipped: {test} needs the ffmpeg command (install ffmpeg to run it)");
}

/// Counts sign changes (from strictly negative to non-negative and back) in `x`.
pub fn zero_crossings(x: &[f32]) -> usize {
    x.windows(2)
        .filter(|w| (w[0] < 0.0) != (w[1] < 0.0))
        .count()
}

/// The frequency of a pure tone estimated from its zero crossings.
pub fn tone_hz(x: &[f32], rate: u32) -> f64 {
    zero_crossings(x) as f64 / 2.0 / (x.len() as f64 / f64::from(rate))
}

/// Root mean square of `x`.
pub fn rms(x: &[f32]) -> f64 {
    (x.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / x.len() as f64).sqrt()
}

/// Reads a file fully.
pub fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).expect("read fixture")
}

/// Deterministic pseudo-random bytes (xorshift).
pub fn noise(len: usize, seed: u32) -> Vec<u8> {
    let mut state = seed.max(1);
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 24) as u8
        })
        .collect()
}
