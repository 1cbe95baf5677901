//! Lossy codecs (MP3, AAC, Opus) through the system `ffmpeg`: encode, decode again, and line
//! the result up with the input (same length; encoder delay is not removed — it is a few
//! milliseconds of shift, which a detector must tolerate anyway).

use std::io::{Read, Write};
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

use crate::Error;

/// A lossy speech codec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Codec {
    /// MPEG-1/2 Layer III (LAME).
    Mp3,
    /// AAC-LC (ffmpeg's native encoder), in ADTS.
    Aac,
    /// Opus (libopus), in Ogg.
    Opus,
}

impl Codec {
    /// `mp3`, `aac` or `opus`.
    pub fn name(self) -> &'static str {
        match self {
            Codec::Mp3 => "mp3",
            Codec::Aac => "aac",
            Codec::Opus => "opus",
        }
    }

    /// ffmpeg's encoder and container for this codec.
    fn ffmpeg_args(self) -> (&'static str, &'static str) {
        match self {
            Codec::Mp3 => ("libmp3lame", "mp3"),
            Codec::Aac => ("aac", "adts"),
            Codec::Opus => ("libopus", "ogg"),
        }
    }
}

fn ffmpeg() -> Command {
    let mut cmd =
        Command::new(std::env::var_os("FAKESCOPE_FFMPEG").unwrap_or_else(|| "ffmpeg".into()));
    cmd.args(["-hide_banner", "-nostdin", "-loglevel", "error"]);
    cmd
}

/// `x` (mono, `sample_rate` Hz) encoded with `codec` at `kbps` kilobits per second and decoded
/// back to `x.len()` samples at the same rate (cut, or padded with zeros).
///
/// # Errors
/// [`Error::Codec`] when ffmpeg is missing, fails, or returns nothing.
pub fn codec_roundtrip(
    x: &[f32],
    sample_rate: u32,
    codec: Codec,
    kbps: u32,
) -> Result<Vec<f32>, Error> {
    let fail = |message: String| Error::Codec {
        codec: codec.name(),
        message,
    };
    let (encoder, container) = codec.ffmpeg_args();
    let rate = sample_rate.to_string();
    let mut enc = ffmpeg()
        .args(["-f", "f32le", "-ar", &rate, "-ac", "1", "-i", "pipe:0"])
        .args([
            "-c:a",
            encoder,
            "-b:a",
            &format!("{kbps}k"),
            "-f",
            container,
            "pipe:1",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| fail(format!("cannot run ffmpeg: {e}")))?;
    let enc_out = enc
        .stdout
        .take()
        .ok_or_else(|| fail("no encoder output".into()))?;
    let mut dec = ffmpeg()
        .args([
            "-i", "pipe:0", "-f", "f32le", "-ar", &rate, "-ac", "1", "pipe:1",
        ])
        .stdin(Stdio::from(enc_out))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| fail(format!("cannot run ffmpeg: {e}")))?;
    let mut enc_in = enc
        .stdin
        .take()
        .ok_or_else(|| fail("no encoder input".into()))?;
    let bytes: Vec<u8> = x.iter().flat_map(|v| v.to_le_bytes()).collect();
    let writer = std::thread::spawn(move || enc_in.write_all(&bytes));
    let mut raw = Vec::new();
    let read = dec.stdout.take().map(|mut out| out.read_to_end(&mut raw));
    let _ = writer.join();
    let enc_status = enc.wait_with_output().map_err(|e| fail(e.to_string()))?;
    let dec_status = dec.wait_with_output().map_err(|e| fail(e.to_string()))?;
    if let Some(Err(e)) = read {
        return Err(fail(format!("reading the decoded audio: {e}")));
    }
    for (what, out) in [("encoding", &enc_status), ("decoding", &dec_status)] {
        if !out.status.success() {
            return Err(fail(format!(
                "{what} failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
    }
    if raw.len() < 4 {
        return Err(fail("the decoder returned no audio".into()));
    }
    let mut y: Vec<f32> = raw
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    y.resize(x.len(), 0.0);
    Ok(y)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has_ffmpeg() -> bool {
        ffmpeg()
            .arg("-version")
            .output()
            .is_ok_and(|o| o.status.success())
    }

    #[test]
    fn codecs_roundtrip_to_the_same_length() {
        if !has_ffmpeg() {
            eprintln!("skipped: no ffmpeg");
            return;
        }
        let x: Vec<f32> = (0..16_000)
            .map(|i| 0.3 * (std::f32::consts::TAU * 440.0 * i as f32 / 16_000.0).sin())
            .collect();
        for codec in [Codec::Mp3, Codec::Aac, Codec::Opus] {
            let y = codec_roundtrip(&x, 16_000, codec, 32).unwrap();
            assert_eq!(y.len(), x.len(), "{codec:?}");
            let energy: f32 = y.iter().map(|v| v * v).sum();
            assert!(energy > 100.0, "{codec:?}: {energy}");
        }
    }
}
