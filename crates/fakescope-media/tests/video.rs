//! Video decoding tests. Fixtures are generated in temporary directories with the system
//! `ffmpeg` (tests print "skipped: ..." without it); the reference for pure-Rust decoding is
//! ffmpeg's own `rgb24` decode of the same frames. The real FaceForensics++ / DFDC samples are
//! read from `$FAKESCOPE_SHARED` (default `../shared` next to the workspace) when present.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use fakescope_media::{Decoder, MediaError, Sampling, VideoFrame, VideoLimits, VideoReader};

fn have_ffmpeg() -> bool {
    let ok = |p: &str| {
        Command::new(p)
            .arg("-version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let have = ok("ffmpeg") && ok("ffprobe");
    if !have {
        eprintln!("skipped: ffmpeg/ffprobe not installed");
    }
    have
}

/// Runs ffmpeg with `args`, panicking with its stderr when it fails.
fn ffmpeg(args: &[&str]) {
    let out = Command::new("ffmpeg")
        .args(["-y", "-hide_banner", "-loglevel", "error"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ffmpeg {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Encodes `frames` frames of ffmpeg's `testsrc2` pattern at `size` with extra output options
/// (`testsrc` for names starting with "odd": `testsrc2` rounds sizes down to even).
fn make(dir: &Path, name: &str, size: &str, frames: u32, opts: &[&str]) -> PathBuf {
    let path = dir.join(name);
    let pattern = if name.starts_with("odd") {
        "testsrc"
    } else {
        "testsrc2"
    };
    let src = format!("{pattern}=size={size}:rate=30");
    let n = frames.to_string();
    let mut args = vec!["-f", "lavfi", "-i", &src, "-frames:v", &n];
    args.extend_from_slice(opts);
    args.push(path.to_str().unwrap());
    ffmpeg(&args);
    path
}

/// Every frame as ffmpeg decodes it to rgb24 (autorotated), each `w*h*3` bytes.
fn ffmpeg_frames(path: &Path, w: u32, h: u32) -> Vec<Vec<u8>> {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-i"])
        .arg(path)
        .args([
            "-fps_mode",
            "passthrough",
            "-pix_fmt",
            "rgb24",
            "-f",
            "rawvideo",
            "-",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    out.stdout
        .chunks_exact((w * h * 3) as usize)
        .map(<[u8]>::to_vec)
        .collect()
}

/// The frames `indices` (sorted) as ffmpeg decodes them, selected by frame number.
fn ffmpeg_selected(path: &Path, indices: &[u64], w: u32, h: u32) -> Vec<Vec<u8>> {
    let terms: Vec<String> = indices.iter().map(|i| format!("eq(n\\,{i})")).collect();
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-i"])
        .arg(path)
        .arg("-vf")
        .arg(format!("select='{}'", terms.join("+")))
        .args([
            "-fps_mode",
            "passthrough",
            "-pix_fmt",
            "rgb24",
            "-f",
            "rawvideo",
            "-",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    out.stdout
        .chunks_exact((w * h * 3) as usize)
        .map(<[u8]>::to_vec)
        .collect()
}

fn mean_abs_diff(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| f64::from(x.abs_diff(*y)))
        .sum::<f64>()
        / a.len() as f64
}

fn decode(reader: &VideoReader, sampling: Sampling) -> Vec<VideoFrame> {
    let wanted = reader.sample_indices(sampling);
    let frames: Vec<VideoFrame> = reader
        .frames(&wanted)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(frames.iter().map(|f| f.index).collect::<Vec<_>>(), wanted);
    frames
}

/// Decodes sampled frames and compares them with ffmpeg's decode; returns the worst mean
/// absolute difference (in 8-bit levels).
fn compare_with_ffmpeg(path: &Path, sampling: Sampling) -> f64 {
    let reader = VideoReader::open(path, &VideoLimits::default()).unwrap();
    let info = reader.info().clone();
    let reference = ffmpeg_frames(path, info.width, info.height);
    assert_eq!(
        reference.len() as u64,
        info.frame_count,
        "{}",
        path.display()
    );
    let mut worst: f64 = 0.0;
    for f in decode(&reader, sampling) {
        assert_eq!((f.width, f.height), (info.width, info.height));
        worst = worst.max(mean_abs_diff(&f.rgb, &reference[f.index as usize]));
    }
    worst
}

#[test]
fn h264_baseline_main_high_decode_in_rust_like_ffmpeg() {
    if !have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for (profile, idc_name) in [("baseline", "Baseline"), ("main", "Main"), ("high", "High")] {
        // B-frames (main/high) make decode order differ from presentation order.
        let opts = [
            "-c:v",
            "libx264",
            "-profile:v",
            profile,
            "-pix_fmt",
            "yuv420p",
            "-bf",
            "3",
        ];
        let path = make(dir.path(), &format!("{profile}.mp4"), "320x240", 45, &opts);
        let reader = VideoReader::open(&path, &VideoLimits::default()).unwrap();
        let info = reader.info();
        assert_eq!(info.decoder, Decoder::OpenH264);
        assert_eq!(info.profile.as_deref(), Some(idc_name));
        assert_eq!((info.width, info.height, info.frame_count), (320, 240, 45));
        assert!((info.fps - 30.0).abs() < 1e-6, "{}", info.fps);
        assert!((reader.timestamp(44).unwrap() - 44.0 / 30.0).abs() < 1e-9);
        let worst = compare_with_ffmpeg(&path, Sampling::Count(45));
        eprintln!("{profile}: worst mean abs diff vs ffmpeg over 45 frames = {worst:.3} levels");
        assert!(worst < 2.0, "{profile}: {worst}");
    }
}

#[test]
fn sparse_sampling_skips_to_key_frames_and_still_matches_ffmpeg() {
    if !have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // A key frame every 12 frames, B-frames, 120 frames; 5 sampled frames skip most GOPs.
    let opts = [
        "-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "12", "-bf", "3",
    ];
    let path = make(dir.path(), "gop12.mp4", "160x128", 120, &opts);
    let worst = compare_with_ffmpeg(&path, Sampling::Count(5));
    eprintln!("gop 12, 5 of 120 frames: worst mean abs diff = {worst:.3}");
    assert!(worst < 2.0, "{worst}");
    let worst = compare_with_ffmpeg(&path, Sampling::Fps(7.0));
    assert!(worst < 2.0, "{worst}");
}

#[test]
fn odd_sizes_and_sizes_that_need_cropping() {
    if !have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // 4:2:0 H.264 frames have even sizes; 322x242 is coded as 336x256 and cropped by the SPS.
    let opts = ["-c:v", "libx264", "-pix_fmt", "yuv420p"];
    let path = make(dir.path(), "crop.mp4", "322x242", 10, &opts);
    let reader = VideoReader::open(&path, &VideoLimits::default()).unwrap();
    assert_eq!(reader.info().decoder, Decoder::OpenH264);
    let worst = compare_with_ffmpeg(&path, Sampling::Count(10));
    let f = decode(&reader, Sampling::Count(1)).remove(0);
    assert_eq!((f.width, f.height), (322, 242));
    eprintln!("322x242: worst mean abs diff = {worst:.3}");
    assert!(worst < 2.0);
    // A truly odd size needs 4:4:4 or a lossless codec: FFV1 in Matroska, the ffmpeg path.
    let opts = ["-c:v", "ffv1", "-pix_fmt", "yuv444p"];
    let path = make(dir.path(), "odd.mkv", "321x241", 5, &opts);
    let reader = VideoReader::open(&path, &VideoLimits::default()).unwrap();
    assert_eq!(reader.info().decoder, Decoder::Ffmpeg);
    let f = decode(&reader, Sampling::Count(2));
    assert_eq!(
        (f[1].width, f[1].height, f[1].rgb.len()),
        (321, 241, 321 * 241 * 3)
    );
}

/// A copy of `path` with `rotate` metadata (ffmpeg 5.1 writes the display matrix for it when
/// stream-copying).
fn rotated(path: &Path, rotate: u32) -> PathBuf {
    let out = path.with_extension("rotated.mp4");
    let meta = format!("rotate={rotate}");
    ffmpeg(&[
        "-i",
        path.to_str().unwrap(),
        "-c",
        "copy",
        "-metadata:s:v",
        &meta,
        out.to_str().unwrap(),
    ]);
    out
}

#[test]
fn rotation_metadata_is_applied_like_ffmpeg() {
    if !have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for rotate in [90u32, 180, 270] {
        let opts = ["-c:v", "libx264", "-pix_fmt", "yuv420p"];
        let path = rotated(
            &make(dir.path(), &format!("rot{rotate}.mp4"), "160x96", 6, &opts),
            rotate,
        );
        let reader = VideoReader::open(&path, &VideoLimits::default()).unwrap();
        let info = reader.info();
        assert_eq!(info.decoder, Decoder::OpenH264);
        eprintln!(
            "rotate={rotate} metadata: clockwise rotation {}",
            info.rotation
        );
        assert_eq!(info.rotation % 180, rotate % 180);
        let expected = if rotate == 180 { (160, 96) } else { (96, 160) };
        assert_eq!((info.width, info.height), expected);
        let worst = compare_with_ffmpeg(&path, Sampling::Count(6));
        eprintln!("rotate={rotate}: worst mean abs diff = {worst:.3}");
        assert!(worst < 2.0, "rotate {rotate}: {worst}");
        // The same file through ffmpeg (High 4:4:4) agrees on size.
        let opts = ["-c:v", "libx264", "-pix_fmt", "yuv444p"];
        let path = rotated(
            &make(
                dir.path(),
                &format!("rot{rotate}_444.mp4"),
                "160x96",
                3,
                &opts,
            ),
            rotate,
        );
        let reader = VideoReader::open(&path, &VideoLimits::default()).unwrap();
        assert_eq!(reader.info().decoder, Decoder::Ffmpeg);
        assert_eq!((reader.info().width, reader.info().height), expected);
        assert_eq!(decode(&reader, Sampling::Count(3)).len(), 3);
    }
}

#[test]
fn variable_frame_rate_timestamps_come_from_the_sample_table() {
    if !have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let opts = [
        "-vf",
        "setpts='N*N*0.01/TB'",
        "-fps_mode",
        "vfr",
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
    ];
    let path = make(dir.path(), "vfr.mp4", "128x96", 20, &opts);
    let reader = VideoReader::open(&path, &VideoLimits::default()).unwrap();
    // ffprobe's frame times, the reference.
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "frame=pts_time",
            "-of",
            "csv=p=0",
        ])
        .arg(&path)
        .output()
        .unwrap();
    let probe: Vec<f64> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.trim().trim_end_matches(',').parse().ok())
        .collect();
    assert_eq!(probe.len(), 20);
    let frames = decode(&reader, Sampling::Count(20));
    for f in &frames {
        let expected = probe[f.index as usize] - probe[0];
        assert!(
            (f.timestamp_s - expected).abs() < 1e-3,
            "frame {}: {} vs {expected}",
            f.index,
            f.timestamp_s
        );
    }
    // Not evenly spaced: the last gap is much longer than the first.
    assert!(
        frames[19].timestamp_s - frames[18].timestamp_s
            > 5.0 * (frames[1].timestamp_s - frames[0].timestamp_s)
    );
}

#[test]
fn audio_only_zero_frames_and_limits_are_clear_errors() {
    if !have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let audio = dir.path().join("audio.mp4");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "sine=duration=1",
        "-c:a",
        "aac",
        audio.to_str().unwrap(),
    ]);
    let err = VideoReader::open(&audio, &VideoLimits::default()).unwrap_err();
    assert!(matches!(err, MediaError::NoVideoTrack { .. }), "{err}");
    assert!(err.to_string().contains("audio.mp4") && err.to_string().contains("no video track"));

    let path = make(
        dir.path(),
        "small.mp4",
        "320x240",
        30,
        &["-c:v", "libx264", "-pix_fmt", "yuv420p"],
    );
    let limits = VideoLimits {
        max_pixels_per_frame: 320 * 240 - 1,
        ..VideoLimits::default()
    };
    let err = VideoReader::open(&path, &limits).unwrap_err();
    assert!(matches!(err, MediaError::VideoTooLarge { .. }), "{err}");
    let limits = VideoLimits {
        max_duration_s: 0.5,
        ..VideoLimits::default()
    };
    assert!(matches!(
        VideoReader::open(&path, &limits),
        Err(MediaError::VideoTooLarge { .. })
    ));
    let limits = VideoLimits {
        max_frames: 29,
        ..VideoLimits::default()
    };
    let err = VideoReader::open(&path, &limits).unwrap_err();
    assert!(
        err.to_string().contains("30 frames, the limit is 29"),
        "{err}"
    );

    // A video track without frames (ffmpeg will not write one): zero the `stsz` sample count.
    let mut bytes = std::fs::read(&path).unwrap();
    let at = bytes.windows(4).position(|w| w == b"stsz").unwrap();
    bytes[at + 12..at + 16].copy_from_slice(&[0, 0, 0, 0]);
    let empty = dir.path().join("empty.mp4");
    std::fs::write(&empty, &bytes).unwrap();
    let err = VideoReader::open(&empty, &VideoLimits::default()).unwrap_err();
    eprintln!("zero frames: {err}");
    assert!(matches!(err, MediaError::NoFrames { .. }), "{err}");

    // Empty requests and zero-length sampling.
    let reader = VideoReader::open(&path, &VideoLimits::default()).unwrap();
    assert_eq!(reader.frames(&[]).unwrap().count(), 0);
    assert_eq!(reader.frames(&[1000]).unwrap().count(), 0);
    assert!(reader.sample_indices(Sampling::Count(0)).is_empty());
}

#[test]
fn truncated_and_corrupt_files_never_panic() {
    if !have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let opts = ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-bf", "2"];
    let tail_moov = make(dir.path(), "tail.mp4", "192x128", 40, &opts);
    let mut fast = opts.to_vec();
    fast.extend_from_slice(&["-movflags", "+faststart"]);
    let head_moov = make(dir.path(), "head.mp4", "192x128", 40, &fast);
    for (name, full) in [("tail", &tail_moov), ("head", &head_moov)] {
        let bytes = std::fs::read(full).unwrap();
        for cut in [
            12,
            100,
            bytes.len() / 4,
            bytes.len() / 2,
            bytes.len() * 9 / 10,
            bytes.len() - 1,
        ] {
            let path = dir.path().join(format!("{name}_cut{cut}.mp4"));
            std::fs::write(&path, &bytes[..cut]).unwrap();
            let outcome = match VideoReader::open(&path, &VideoLimits::default()) {
                Err(e) => Err(e),
                Ok(r) => {
                    let wanted = r.sample_indices(Sampling::Count(40));
                    r.frames(&wanted)
                        .unwrap()
                        .find_map(Result::err)
                        .map_or(Ok(()), Err)
                }
            };
            match outcome {
                Err(e) => {
                    assert!(
                        e.to_string().contains(&format!("{name}_cut{cut}.mp4")),
                        "{e}"
                    );
                    eprintln!("{name} cut at {cut}: {e}");
                }
                // Cutting only the last byte of a tail-moov file can leave every sample readable
                // only if the cut lands in padding; say so rather than fail.
                Ok(()) => eprintln!("{name} cut at {cut}: decoded everything"),
            }
            if cut >= bytes.len() / 4 && name == "head" {
                assert!(
                    outcome_is_err(&path),
                    "{name} cut at {cut} must report an error"
                );
            }
        }
        // Overwrite a stretch of bytes in the middle with noise.
        let mut noisy = bytes.clone();
        let mut state = 12345u32;
        let mid = noisy.len() / 2;
        for b in &mut noisy[mid..mid + 2000] {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            *b = (state >> 24) as u8;
        }
        let path = dir.path().join(format!("{name}_noise.mp4"));
        std::fs::write(&path, &noisy).unwrap();
        if let Ok(r) = VideoReader::open(&path, &VideoLimits::default()) {
            let wanted = r.sample_indices(Sampling::Count(40));
            let results: Vec<_> = r.frames(&wanted).unwrap().collect();
            let errors = results.iter().filter(|r| r.is_err()).count();
            eprintln!(
                "{name} with noise: {} frames, {errors} errors",
                results.len() - errors
            );
        }
    }
    let garbage = dir.path().join("garbage.mp4");
    let mut g = b"\0\0\0\x18ftypisom\0\0\0\0isomiso2".to_vec();
    g.extend_from_slice(&[0xFF; 500]);
    std::fs::write(&garbage, &g).unwrap();
    let err = VideoReader::open(&garbage, &VideoLimits::default()).unwrap_err();
    assert!(err.to_string().contains("garbage.mp4"), "{err}");
}

fn outcome_is_err(path: &Path) -> bool {
    match VideoReader::open(path, &VideoLimits::default()) {
        Err(_) => true,
        Ok(r) => {
            let wanted = r.sample_indices(Sampling::Count(40));
            r.frames(&wanted).unwrap().any(|f| f.is_err())
        }
    }
}

#[test]
fn other_codecs_containers_and_high444_go_to_ffmpeg() {
    if !have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &[&str], &str, Option<&str>); 4] = [
        ("mpeg4.mp4", &["-c:v", "mpeg4"], "mpeg4", None),
        (
            "h264.mkv",
            &["-c:v", "libx264", "-pix_fmt", "yuv420p"],
            "h264",
            Some("High"),
        ),
        (
            "high444.mp4",
            &["-c:v", "libx264", "-pix_fmt", "yuv444p"],
            "h264",
            Some("High 4:4:4 Predictive"),
        ),
        (
            "high10.mp4",
            &["-c:v", "libx264", "-pix_fmt", "yuv420p10le"],
            "h264",
            Some("High 10"),
        ),
    ];
    for (name, opts, codec, profile) in cases {
        let path = make(dir.path(), name, "176x144", 24, opts);
        let reader = VideoReader::open(&path, &VideoLimits::default()).unwrap();
        let info = reader.info();
        assert_eq!(info.decoder, Decoder::Ffmpeg, "{name}");
        assert_eq!(info.codec, codec, "{name}");
        if let Some(p) = profile {
            assert_eq!(info.profile.as_deref(), Some(p), "{name}");
        }
        assert_eq!(info.frame_count, 24, "{name}");
        let frames = decode(&reader, Sampling::Count(5));
        let reference = ffmpeg_frames(&path, 176, 144);
        for f in &frames {
            assert_eq!(
                f.rgb, reference[f.index as usize],
                "{name} frame {}",
                f.index
            );
            assert!(
                (f.timestamp_s - f.index as f64 / 30.0).abs() < 2e-3,
                "{name}: {}",
                f.timestamp_s
            );
        }
    }
    if Command::new("ffmpeg")
        .args(["-hide_banner", "-h", "encoder=libx265"])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("libx265"))
    {
        let path = make(
            dir.path(),
            "hevc.mp4",
            "176x144",
            10,
            &["-c:v", "libx265", "-tag:v", "hvc1"],
        );
        let reader = VideoReader::open(&path, &VideoLimits::default()).unwrap();
        assert_eq!(
            (reader.info().decoder, reader.info().codec.as_str()),
            (Decoder::Ffmpeg, "hevc")
        );
        assert_eq!(decode(&reader, Sampling::Count(4)).len(), 4);
    } else {
        eprintln!("skipped: HEVC case (ffmpeg has no libx265)");
    }
}

/// Frames far apart in a file that ffmpeg decodes come from separate ffmpeg runs that seek and
/// pick frames by the file's own timestamps, and are still exactly the frames of a decode from
/// the start: MPEG-4 part 2 in MP4 (times asked of ffprobe when needed), and H.264 with B-frames
/// in Matroska whose timestamps start at 7.5 s.
#[test]
fn far_apart_frames_through_ffmpeg_seek_and_match_a_full_decode() {
    if !have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &[&str]); 2] = [
        ("far.mp4", &["-c:v", "mpeg4", "-g", "90"]),
        (
            "far.mkv",
            &[
                "-c:v",
                "libx264",
                "-pix_fmt",
                "yuv420p",
                "-g",
                "90",
                "-bf",
                "2",
                "-output_ts_offset",
                "7.5",
            ],
        ),
    ];
    for (name, opts) in cases {
        let path = make(dir.path(), name, "96x64", 1900, opts);
        let reader = VideoReader::open(&path, &VideoLimits::default()).unwrap();
        assert_eq!(reader.info().decoder, Decoder::Ffmpeg, "{name}");
        let reference = ffmpeg_frames(&path, 96, 64);
        assert_eq!(reference.len(), 1900, "{name}");
        for wanted in [
            vec![0, 5, 700, 1400, 1401, 1899],
            vec![650, 1899],
            vec![1200],
        ] {
            let frames: Vec<VideoFrame> = reader
                .frames(&wanted)
                .unwrap()
                .map(Result::unwrap)
                .collect();
            let got: Vec<u64> = frames.iter().map(|f| f.index).collect();
            assert_eq!(got, wanted, "{name}");
            for f in &frames {
                assert!(
                    f.rgb == reference[f.index as usize],
                    "{name}: frame {} differs from the full decode",
                    f.index
                );
            }
        }
    }
}

fn shared_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("FAKESCOPE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    dir.is_dir().then_some(dir)
}

fn mp4s_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            mp4s_under(&p, out);
        } else if p.extension().is_some_and(|e| e == "mp4") {
            out.push(p);
        }
    }
}

#[test]
fn real_dfdc_and_faceforensics_files() {
    let Some(shared) = shared_dir() else {
        eprintln!("skipped: shared data not found (set FAKESCOPE_SHARED)");
        return;
    };
    let root = shared.join("data/faceforensics-samples");
    for (set, expected) in [("dfdc", Decoder::OpenH264), ("ffpp", Decoder::Ffmpeg)] {
        let mut files = Vec::new();
        mp4s_under(&root.join(set), &mut files);
        if files.is_empty() {
            eprintln!("skipped: no {set} samples under {}", root.display());
            continue;
        }
        if expected == Decoder::Ffmpeg && !have_ffmpeg() {
            continue;
        }
        for path in files {
            let start = Instant::now();
            let reader = VideoReader::open(&path, &VideoLimits::default()).unwrap();
            let info = reader.info().clone();
            assert_eq!(info.decoder, expected, "{}", path.display());
            let frames = decode(&reader, Sampling::Count(32));
            assert_eq!(frames.len(), 32.min(info.frame_count as usize));
            let secs = start.elapsed().as_secs_f64();
            let mut worst = f64::NAN; // the ffmpeg path is ffmpeg: nothing to compare
            if expected == Decoder::OpenH264 && have_ffmpeg() {
                worst = 0.0;
                let indices: Vec<u64> = frames.iter().map(|f| f.index).collect();
                let reference = ffmpeg_selected(&path, &indices, info.width, info.height);
                assert_eq!(reference.len(), frames.len());
                for (f, r) in frames.iter().zip(&reference) {
                    worst = worst.max(mean_abs_diff(&f.rgb, r));
                }
                assert!(worst < 2.0, "{}: {worst}", path.display());
            }
            eprintln!(
                "{}: {}x{} {} frames {:?} {} -> 32 frames in {secs:.2} s (worst mean abs diff vs ffmpeg {worst:.3})",
                path.file_name().unwrap().to_string_lossy(),
                info.width,
                info.height,
                info.frame_count,
                info.profile,
                info.decoder
            );
        }
    }
}

/// Peak resident memory of this process so far (Linux `VmHWM`), in MiB.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Manual measurement: `FAKESCOPE_VIDEO_BENCH=/tmp/long.mp4 cargo test --release -p
/// fakescope-media --test video -- --ignored --nocapture bench`. Decodes 32 sampled frames (so
/// every frame up to the last is decoded) and prints throughput and peak RSS.
#[test]
#[ignore = "manual measurement on a large generated video"]
fn bench_decode_speed_and_memory() {
    let Some(path) = std::env::var_os("FAKESCOPE_VIDEO_BENCH") else {
        eprintln!("skipped: set FAKESCOPE_VIDEO_BENCH to a video file");
        return;
    };
    let start = Instant::now();
    let reader = VideoReader::open(&path, &VideoLimits::default()).unwrap();
    let info = reader.info().clone();
    // Frames are dropped as they come, as a scan would after face detection.
    let wanted = reader.sample_indices(Sampling::Count(32));
    let mut count = 0;
    for frame in reader.frames(&wanted).unwrap() {
        assert_eq!(frame.unwrap().index, wanted[count]);
        count += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "{}: {}x{} {} frames ({:.0} s) {:?} via {}: 32 sampled frames in {secs:.1} s = {:.1} decoded frames/s; peak RSS {:.0} MiB",
        Path::new(&path).display(),
        info.width,
        info.height,
        info.frame_count,
        info.duration_s,
        info.profile,
        info.decoder,
        info.frame_count as f64 / secs,
        peak_rss_mib().unwrap_or(f64::NAN)
    );
    assert_eq!(count, 32);
}

/// Without ffmpeg (simulated: this test re-runs itself with `FAKESCOPE_FFMPEG` and
/// `FAKESCOPE_FFPROBE` pointing nowhere), H.264 4:2:0 still decodes in Rust and a High 4:4:4 file
/// is a clear error naming the file, the profile and "install ffmpeg".
#[test]
fn without_ffmpeg_pure_rust_works_and_the_rest_says_install_ffmpeg() {
    if let Some(dir) = std::env::var_os("FAKESCOPE_TEST_NO_FFMPEG_DIR") {
        let dir = PathBuf::from(dir);
        let reader = VideoReader::open(dir.join("h420.mp4"), &VideoLimits::default()).unwrap();
        assert_eq!(reader.info().decoder, Decoder::OpenH264);
        assert_eq!(decode(&reader, Sampling::Count(4)).len(), 4);
        let err = VideoReader::open(dir.join("h444.mp4"), &VideoLimits::default()).unwrap_err();
        let msg = err.to_string();
        eprintln!("{msg}");
        assert!(matches!(err, MediaError::FfmpegMissing { .. }), "{msg}");
        assert!(
            msg.contains("h444.mp4") && msg.contains("High 4:4:4 Predictive"),
            "{msg}"
        );
        assert!(msg.contains("install ffmpeg"), "{msg}");
        return;
    }
    if !have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    make(
        dir.path(),
        "h420.mp4",
        "96x64",
        8,
        &["-c:v", "libx264", "-pix_fmt", "yuv420p"],
    );
    make(
        dir.path(),
        "h444.mp4",
        "96x64",
        8,
        &["-c:v", "libx264", "-pix_fmt", "yuv444p"],
    );
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "without_ffmpeg_pure_rust_works_and_the_rest_says_install_ffmpeg",
            "--nocapture",
        ])
        .env("FAKESCOPE_TEST_NO_FFMPEG_DIR", dir.path())
        .env("FAKESCOPE_FFMPEG", dir.path().join("no-such-ffmpeg"))
        .env("FAKESCOPE_FFPROBE", dir.path().join("no-such-ffprobe"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    eprintln!("{text}");
    assert!(
        out.status.success(),
        "{}{text}",
        String::from_utf8_lossy(&out.stdout)
    );
}
