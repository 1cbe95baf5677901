//! The system `ffmpeg` as a decoder: for codecs, profiles and containers the pure-Rust path does
//! not handle. `ffprobe` describes the stream; `ffmpeg` outputs only the chosen frames (a
//! `select` filter) as raw `rgb24` to a pipe, which is read one frame at a time. ffmpeg applies
//! the display-matrix rotation itself (its default `autorotate`), so frames come out upright.
//!
//! ffmpeg decodes every frame up to the last one it outputs. When the chosen frames lie far
//! apart (more than [`SEEK_GAP_FRAMES`]), each group of close frames gets its own ffmpeg run
//! that first seeks (`-ss`, to the key frame before the group) and selects its frames by their
//! presentation times (windows half a frame wide on each side, on the file's own timestamps
//! with `-copyts`), so 32 frames of a one-hour file cost 32 short runs, not the whole hour.
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

/// Chosen frames further apart than this go to separate ffmpeg runs that seek; closer ones
/// share a run that decodes everything between them (starting a run and decoding from the
/// previous key frame cost about as much as a few hundred frames).
const SEEK_GAP_FRAMES: u64 = 600;

/// Seconds a seeking run starts before the first frame it wants (the seek then goes to the key
/// frame before that point, and the selection windows drop what comes before).
const SEEK_MARGIN_S: f64 = 1.0;

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
    /// The container's start time in seconds (what `-ss` counts from), 0 when unknown.
    pub(crate) start_s: f64,
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
            "stream=codec_type,codec_name,profile,width,height:stream_side_data=rotation:format=duration,start_time",
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
            if key == "start_time" {
                p.start_s = value
                    .parse()
                    .ok()
                    .filter(|t: &f64| t.is_finite())
                    .unwrap_or(0.0);
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

/// One ffmpeg run: where it starts and which frames it outputs.
#[derive(Debug)]
pub(crate) struct Run {
    /// Seconds to seek to first (`-ss`, counted from the container's start time).
    seek_s: Option<f64>,
    /// Select by presentation time (`-copyts`: windows in the file's own seconds) rather than
    /// by frame number.
    by_time: bool,
    /// The `select` filter's expression; `None` outputs every frame.
    select: Option<String>,
    /// The frame index of each output frame; `None`: output frame `n` is frame `n`.
    frames: Option<Vec<u64>>,
    /// Frames to output before stopping.
    count: u64,
}

/// Whether some of the frames `wanted` (sorted) lie more than [`SEEK_GAP_FRAMES`] apart, or
/// the first that far from the start: then seeking pays.
pub(crate) fn far_apart(wanted: &[u64]) -> bool {
    let mut previous = 0;
    wanted.iter().any(|&i| {
        let far = i - previous > SEEK_GAP_FRAMES;
        previous = i;
        far
    })
}

/// The ffmpeg runs that output the frames `wanted` (sorted, distinct).
///
/// `times` are the frames' presentation times in the file's own seconds as ffprobe reads them
/// (sorted, one per frame) and `start_s` the container's start time; without them, or when the
/// frames lie close together, one run decodes from the start.
pub(crate) fn plan_runs(wanted: &[u64], times: Option<&[f64]>, start_s: f64) -> Vec<Run> {
    let Some(&last) = wanted.last() else {
        return Vec::new();
    };
    if wanted.len() > MAX_SELECT_TERMS {
        // Too many terms for a filter: every frame up to the last, the others dropped by the
        // caller.
        return vec![Run {
            seek_s: None,
            by_time: false,
            select: None,
            frames: None,
            count: last + 1,
        }];
    }
    // Seeking needs a time for every frame, strictly increasing (AVI packets without times
    // repeat the previous one).
    let usable = |t: &&[f64]| {
        t.iter().all(|v| v.is_finite())
            && t.windows(2).all(|w| w[0] < w[1])
            && last < t.len() as u64
    };
    let Some(times) = times.filter(usable).filter(|_| far_apart(wanted)) else {
        let terms: Vec<String> = wanted.iter().map(|i| format!("eq(n\\,{i})")).collect();
        return vec![Run {
            seek_s: None,
            by_time: false,
            select: Some(terms.join("+")),
            frames: Some(wanted.to_vec()),
            count: wanted.len() as u64,
        }];
    };
    // Frame i's window reaches halfway to its neighbours, so it holds frame i alone whatever
    // the rounding of the printed times.
    let time = |i: u64| times.get(i as usize).copied();
    let window = |i: u64| {
        let t = time(i).unwrap_or(0.0);
        let before = i
            .checked_sub(1)
            .and_then(time)
            .map_or(t - 1.0, |p| (p + t) / 2.0);
        let after = time(i + 1).map_or(t + 1.0, |n| (t + n) / 2.0);
        (before, after)
    };
    // Groups of frames no more than SEEK_GAP_FRAMES apart, one run each.
    let mut groups: Vec<Vec<u64>> = Vec::new();
    for &i in wanted {
        match groups.last_mut() {
            Some(group) if group.last().is_some_and(|&l| i - l <= SEEK_GAP_FRAMES) => group.push(i),
            _ => groups.push(vec![i]),
        }
    }
    groups
        .into_iter()
        .map(|group| {
            let terms: Vec<String> = group
                .iter()
                .map(|&i| {
                    let (lo, hi) = window(i);
                    format!("between(t\\,{lo:.9}\\,{hi:.9})")
                })
                .collect();
            let seek = group.first().map_or(0.0, |&f| window(f).0) - SEEK_MARGIN_S - start_s;
            Run {
                seek_s: (seek > 0.0).then_some(seek),
                by_time: true,
                select: Some(terms.join("+")),
                count: group.len() as u64,
                frames: Some(group),
            }
        })
        .collect()
}

/// The frames of several ffmpeg runs, one run after the other.
pub(crate) struct FfmpegRuns {
    path: PathBuf,
    width: u32,
    height: u32,
    runs: std::vec::IntoIter<Run>,
    current: Option<FfmpegFrames>,
}

impl FfmpegRuns {
    /// Prepares `runs` on `path`, whose frames are `width`×`height` after rotation; the first
    /// ffmpeg starts now, so a file it cannot start on fails here.
    pub(crate) fn new(
        path: &Path,
        runs: Vec<Run>,
        width: u32,
        height: u32,
    ) -> Result<FfmpegRuns, MediaError> {
        let mut runs = runs.into_iter();
        let current = runs
            .next()
            .map(|run| FfmpegFrames::spawn(path, run, width, height))
            .transpose()?;
        Ok(FfmpegRuns {
            path: path.to_path_buf(),
            width,
            height,
            runs,
            current,
        })
    }

    /// The next output frame as `(frame index, rgb)`; `Ok(None)` after the last run; an error
    /// when a run failed, or output fewer of its chosen frames than it was asked for.
    pub(crate) fn next_frame(&mut self) -> Result<Option<(u64, Vec<u8>)>, MediaError> {
        loop {
            let Some(ff) = self.current.as_mut() else {
                return Ok(None);
            };
            if let Some(frame) = ff.next_frame()? {
                return Ok(Some(frame));
            }
            if ff.run.frames.is_some() && ff.next_output < ff.run.count {
                let seek = ff.run.seek_s.map(|s| format!(" after seeking to {s:.3} s"));
                return Err(MediaError::Truncated {
                    path: self.path.clone(),
                    detail: format!(
                        "ffmpeg output {} of the {} frames asked for{}",
                        ff.next_output,
                        ff.run.count,
                        seek.unwrap_or_default()
                    ),
                });
            }
            self.current = self
                .runs
                .next()
                .map(|run| FfmpegFrames::spawn(&self.path, run, self.width, self.height))
                .transpose()?;
        }
    }
}

/// A running `ffmpeg` writing the frames of one [`Run`] as raw RGB8.
struct FfmpegFrames {
    path: PathBuf,
    child: Child,
    stdout: ChildStdout,
    stderr: Option<JoinHandle<String>>,
    frame_bytes: usize,
    run: Run,
    /// Number of the next frame read from the pipe.
    next_output: u64,
}

impl FfmpegFrames {
    /// Starts ffmpeg on `path` for `run`, frames `width`×`height` after rotation.
    fn spawn(path: &Path, run: Run, width: u32, height: u32) -> Result<FfmpegFrames, MediaError> {
        let mut cmd = Command::new(ffmpeg());
        cmd.args(["-nostdin", "-hide_banner", "-loglevel", "error"]);
        if let Some(seek) = run.seek_s {
            cmd.arg("-ss").arg(format!("{seek:.6}"));
        }
        if run.by_time {
            cmd.arg("-copyts");
        }
        cmd.arg("-i")
            .arg(path)
            .args(["-map", "0:v:0", "-an", "-sn", "-dn"]);
        if let Some(select) = &run.select {
            cmd.arg("-vf").arg(format!("select='{select}'"));
        }
        cmd.arg("-frames:v").arg(run.count.to_string());
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
            run,
            next_output: 0,
        })
    }

    /// Reads the next output frame: `Ok(Some((frame index, rgb)))`, `Ok(None)` at a clean end of
    /// the output, an error when ffmpeg failed or stopped mid-frame.
    fn next_frame(&mut self) -> Result<Option<(u64, Vec<u8>)>, MediaError> {
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
            let n = self.next_output;
            self.next_output += 1;
            let index = match &self.run.frames {
                Some(frames) => {
                    frames
                        .get(n as usize)
                        .copied()
                        .ok_or_else(|| MediaError::Corrupt {
                            path: self.path.clone(),
                            detail: format!(
                                "ffmpeg output more than the {} frames asked for",
                                frames.len()
                            ),
                        })?
                }
                None => n,
            };
            return Ok(Some((index, rgb)));
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
                    self.next_output,
                    if filled > 0 { " inside a frame" } else { "" },
                    last_lines(&stderr)
                ),
            });
        }
        Ok(None)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(runs: &[Run]) -> Vec<Option<Vec<u64>>> {
        runs.iter().map(|r| r.frames.clone()).collect()
    }

    #[test]
    fn frames_far_apart_get_seeking_runs_by_time() {
        let times: Vec<f64> = (0..2000).map(|i| 10.0 + f64::from(i) / 30.0).collect();
        let runs = plan_runs(&[0, 5, 700, 1400, 1401, 1899], Some(&times), 10.0);
        assert_eq!(
            frames(&runs),
            [
                Some(vec![0, 5]),
                Some(vec![700]),
                Some(vec![1400, 1401, 1899])
            ]
        );
        assert!(runs.iter().all(|r| r.by_time));
        assert_eq!(
            runs[0].seek_s, None,
            "the first group starts near the start"
        );
        // Frame 700 is at 10 + 700/30 s; its window opens half a frame earlier, the seek a
        // second before that, counted from the start time (10 s).
        let seek = runs[1].seek_s.unwrap();
        assert!((seek - (700.0 / 30.0 - 0.5 / 30.0 - SEEK_MARGIN_S)).abs() < 1e-9);
        assert_eq!(runs[2].count, 3);
        let select = runs[1].select.as_deref().unwrap();
        assert_eq!(select, "between(t\\,33.316666667\\,33.350000000)");
    }

    #[test]
    fn close_frames_or_unusable_times_get_one_run_from_the_start() {
        let times: Vec<f64> = (0..2000).map(|i| f64::from(i) / 30.0).collect();
        // Close together: one run selecting by frame number.
        let runs = plan_runs(&[10, 300, 590], Some(&times), 0.0);
        assert_eq!(frames(&runs), [Some(vec![10, 300, 590])]);
        assert_eq!(
            runs[0].select.as_deref(),
            Some("eq(n\\,10)+eq(n\\,300)+eq(n\\,590)")
        );
        assert!(!runs[0].by_time && runs[0].seek_s.is_none());
        // Far apart, but without times, with repeated times (AVI packets without their own)
        // or with too few of them.
        let mut repeated = times.clone();
        repeated[900] = repeated[899];
        for t in [None, Some(&repeated[..]), Some(&times[..1000])] {
            let runs = plan_runs(&[0, 1000, 1999], t, 0.0);
            assert_eq!(frames(&runs), [Some(vec![0, 1000, 1999])]);
            assert!(!runs[0].by_time);
        }
        // Too many frames for a filter: every frame up to the last.
        let many: Vec<u64> = (0..=MAX_SELECT_TERMS as u64).map(|i| i * 4).collect();
        let runs = plan_runs(&many, Some(&times), 0.0);
        assert_eq!(frames(&runs), [None]);
        assert_eq!(runs[0].count, MAX_SELECT_TERMS as u64 * 4 + 1);
        assert!(plan_runs(&[], Some(&times), 0.0).is_empty());
    }
}
