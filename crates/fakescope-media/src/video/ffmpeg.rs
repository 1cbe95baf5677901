//! The system `ffmpeg` as a decoder: for codecs, profiles and containers the pure-Rust path does
//! not handle. `ffprobe` describes the stream; `ffmpeg` decodes only the chosen frames (a
//! `select` filter on the frame number) and writes them as raw `rgb24` to a pipe, which is read
//! one frame at a time. ffmpeg applies the display-matrix rotation itself (its default
//! `autorotate`), so frames come out upright.
//!
//! The programs are `ffmpeg` and `ffprobe` from `PATH`, or the paths in the environment
//! variables `FAKESCOPE_FFMPEG` / `FAKESCOPE_FFPROBE`.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::thread::JoinHandle;

use crate::error::MediaError;

/// More selected frames than this are not spelled out in a `select` expression: ffmpeg then
/// decodes every frame and the unwanted ones are dropped here.
const MAX_SELECT_TERMS: usize = 400;

/// Bytes of ffmpeg's stderr kept for error messages.
const MAX_STDERR: usize = 16 * 1024;

fn program(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var).map_or_else(|| PathBuf::from(default), PathBuf::from)
}

fn ffmpeg() -> PathBuf {
    program("FAKESCOPE_FFMPEG", "ffmpeg")
}

fn ffprobe() -> PathBuf {
    program("FAKESCOPE_FFPROBE", "ffprobe")
}

/// Whether `ffmpeg` and `ffprobe` can be run.
pub(crate) fn available() -> bool {
    let runs = |p: PathBuf| {
        Command::new(p)
            .arg("-version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    runs(ffmpeg()) && runs(ffprobe())
}

/// What `ffprobe` says about the first video stream.
#[derive(Debug, Clone, Default)]
pub(crate) struct Probe {
    pub(crate) codec: String,
    pub(crate) profile: Option<String>,
    /// Coded width and height (before rotation).
    pub(crate) width: u32,
    pub(crate) height: u32,
    /// Clockwise rotation ffmpeg applies when decoding (0, 90, 180, 270).
    pub(crate) rotation: u32,
    pub(crate) has_video: bool,
    pub(crate) has_audio: bool,
    /// Container duration in seconds, when known.
    pub(crate) duration_s: Option<f64>,
}

fn run_probe(path: &Path, args: &[&str]) -> Result<String, MediaError> {
    let out = Command::new(ffprobe())
        .args(["-v", "error"])
        .args(args)
        .arg(path)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| MediaError::Corrupt {
            path: path.to_path_buf(),
            detail: format!("ffprobe could not be run: {e}"),
        })?;
    if !out.status.success() {
        return Err(MediaError::Corrupt {
            path: path.to_path_buf(),
            detail: format!(
                "ffprobe cannot read it: {}",
                last_lines(&String::from_utf8_lossy(&out.stderr))
            ),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

impl Probe {
    /// Takes the fields of the first video stream's section.
    fn fill_video(&mut self, fields: &[(&str, &str)]) {
        for &(key, value) in fields {
            match key {
                "codec_name" => self.codec = value.to_string(),
                "profile" if value != "unknown" => self.profile = Some(value.to_string()),
                "width" => self.width = value.parse().unwrap_or(0),
                "height" => self.height = value.parse().unwrap_or(0),
                "rotation" => {
                    // ffmpeg's display-matrix rotation is counter-clockwise; autorotate undoes it.
                    let r = value.parse::<f64>().unwrap_or(0.0);
                    self.rotation = ((-(r / 90.0).round() as i64).rem_euclid(4) * 90) as u32;
                }
                _ => {}
            }
        }
    }
}

/// Describes the file's first video stream with `ffprobe`.
pub(crate) fn probe(path: &Path) -> Result<Probe, MediaError> {
    let text = run_probe(
        path,
        &[
            "-show_entries",
            "stream=codec_type,codec_name,profile,width,height:stream_side_data=rotation:format=duration",
            "-of",
            "default",
        ],
    )?;
    let mut p = Probe::default();
    // Sections: [STREAM] ... [SIDE_DATA] ... [/SIDE_DATA] ... [/STREAM], then [FORMAT].
    let mut stream: Vec<(&str, &str)> = Vec::new();
    let mut video_seen = false;
    for line in text.lines() {
        let line = line.trim();
        if line == "[/STREAM]" {
            let is = |t: &str| stream.iter().any(|&(k, v)| k == "codec_type" && v == t);
            p.has_audio |= is("audio");
            if is("video") && !video_seen {
                video_seen = true;
                p.has_video = true;
                p.fill_video(&stream);
            }
            stream.clear();
        } else if let Some((key, value)) = line.split_once('=') {
            if key == "duration" {
                p.duration_s = value.parse().ok().filter(|d: &f64| d.is_finite());
            }
            stream.push((key, value));
        }
    }
    Ok(p)
}

/// Presentation timestamps (seconds, sorted) of the first video stream's packets, for
/// containers without a sample table read here (Matroska, WebM, AVI, ...).
pub(crate) fn packet_times(path: &Path) -> Result<Vec<f64>, MediaError> {
    let text = run_probe(
        path,
        &[
            "-select_streams",
            "v:0",
            "-show_entries",
            "packet=pts_time",
            "-of",
            "csv=p=0",
        ],
    )?;
    let mut times: Vec<f64> = Vec::new();
    let mut previous = 0.0;
    for line in text.lines() {
        // Packets without a pts (AVI) are spaced after the previous one.
        let t = line
            .trim()
            .trim_end_matches(',')
            .parse::<f64>()
            .unwrap_or(f64::NAN);
        let t = if t.is_finite() { t } else { previous };
        previous = t;
        times.push(t);
    }
    times.sort_by(f64::total_cmp);
    Ok(times)
}

/// A running `ffmpeg` writing the chosen frames as raw RGB8.
pub(crate) struct FfmpegFrames {
    path: PathBuf,
    child: Child,
    stdout: ChildStdout,
    stderr: Option<JoinHandle<String>>,
    frame_bytes: usize,
    /// Whether the output holds only the wanted frames (a `select` filter) or all of them.
    selected: bool,
    /// Frame number of the next frame read from the pipe.
    next_frame: u64,
}

impl FfmpegFrames {
    /// Starts ffmpeg on `path` for the frames `wanted` (sorted, distinct), each `width`×`height`
    /// after rotation.
    pub(crate) fn spawn(
        path: &Path,
        wanted: &[u64],
        width: u32,
        height: u32,
    ) -> Result<FfmpegFrames, MediaError> {
        let selected = wanted.len() <= MAX_SELECT_TERMS;
        let mut cmd = Command::new(ffmpeg());
        cmd.args(["-nostdin", "-hide_banner", "-loglevel", "error", "-i"])
            .arg(path)
            .args(["-map", "0:v:0", "-an", "-sn", "-dn"]);
        if selected {
            let terms: Vec<String> = wanted.iter().map(|i| format!("eq(n\\,{i})")).collect();
            cmd.arg("-vf").arg(format!("select='{}'", terms.join("+")));
            cmd.arg("-frames:v").arg(wanted.len().to_string());
        } else if let Some(last) = wanted.last() {
            cmd.arg("-frames:v").arg((last + 1).to_string());
        }
        cmd.args([
            "-fps_mode",
            "passthrough",
            "-pix_fmt",
            "rgb24",
            "-f",
            "rawvideo",
            "pipe:1",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(|e| MediaError::Corrupt {
            path: path.to_path_buf(),
            detail: format!("ffmpeg could not be started: {e}"),
        })?;
        let (Some(stdout), Some(mut err)) = (child.stdout.take(), child.stderr.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(MediaError::Corrupt {
                path: path.to_path_buf(),
                detail: "ffmpeg's output pipes could not be opened".into(),
            });
        };
        let stderr = std::thread::spawn(move || {
            let mut kept = Vec::new();
            let mut buf = [0u8; 4096];
            while let Ok(n) = err.read(&mut buf) {
                if n == 0 {
                    break;
                }
                kept.extend_from_slice(buf.get(..n).unwrap_or_default());
                if kept.len() > MAX_STDERR {
                    kept.drain(..kept.len() - MAX_STDERR);
                }
            }
            String::from_utf8_lossy(&kept).into_owned()
        });
        Ok(FfmpegFrames {
            path: path.to_path_buf(),
            child,
            stdout,
            stderr: Some(stderr),
            frame_bytes: width as usize * height as usize * 3,
            selected,
            next_frame: 0,
        })
    }

    /// Reads the next output frame: `Ok(Some((frame_number, rgb)))`, `Ok(None)` at a clean end of
    /// the output, an error when ffmpeg failed or stopped mid-frame. With a `select` filter the
    /// frame number is the position in the output (the caller maps it to the wanted index).
    pub(crate) fn next_frame(&mut self) -> Result<Option<(u64, Vec<u8>)>, MediaError> {
        let mut rgb = vec![0u8; self.frame_bytes];
        let mut filled = 0;
        while filled < rgb.len() {
            match self.stdout.read(rgb.get_mut(filled..).unwrap_or_default()) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err(MediaError::Io {
                        path: self.path.clone(),
                        source: e,
                    });
                }
            }
        }
        if filled == rgb.len() {
            let n = self.next_frame;
            self.next_frame += 1;
            return Ok(Some((n, rgb)));
        }
        let status = self.child.wait();
        let stderr = self
            .stderr
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default();
        let failed = !status.as_ref().is_ok_and(|s| s.success());
        if failed || filled > 0 {
            return Err(MediaError::Corrupt {
                path: self.path.clone(),
                detail: format!(
                    "ffmpeg stopped after {} frames{}: {}",
                    self.next_frame,
                    if filled > 0 { " inside a frame" } else { "" },
                    last_lines(&stderr)
                ),
            });
        }
        Ok(None)
    }

    /// Whether output frames are only the wanted ones.
    pub(crate) fn is_selected(&self) -> bool {
        self.selected
    }
}

impl Drop for FfmpegFrames {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// The last few lines of a tool's stderr, joined, for an error message.
fn last_lines(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = lines
        .get(lines.len().saturating_sub(3)..)
        .unwrap_or_default();
    if tail.is_empty() {
        "no message".into()
    } else {
        tail.join(" | ")
    }
}
