//! The example media (one file per audio format) and the audio track of a video.

use std::process::Command;

use crate::common::*;

#[test]
fn example_media_are_decoded_by_content_and_scored() {
    let Some(models) = models_dir_or_skip("example_media_are_decoded_by_content_and_scored") else {
        return;
    };
    let examples = workspace_root().join("examples/media");
    let out = run(fakescope(&models).args(["scan", "--json"]).arg(&examples));
    assert_exit(&out, 0);
    let records = json_lines(&out);
    assert_eq!(records.len(), 4);
    for r in &records {
        let path = r["path"].as_str().unwrap();
        let p = r["fake_probability"].as_f64().unwrap();
        assert_eq!(r["media"], "audio", "{path}");
        if path.contains("tts-") {
            // espeak-ng (Ogg Vorbis, 22.05 kHz) and flite (WAV, 8 kHz): clearly synthetic
            assert_eq!(r["verdict"], "likely_fake", "{path}: {p}");
        }
        if path.ends_with("real-librivox-0880.mp3") {
            assert_eq!(r["verdict"], "likely_real", "{path}: {p}");
        }
    }
}

#[test]
fn the_audio_track_of_a_video_is_scanned_and_a_silent_video_is_not_applicable() {
    let Some(models) = models_dir_or_skip("the_audio_track_of_a_video_is_scanned") else {
        return;
    };
    if !have("ffmpeg") {
        eprintln!(
            "skipped: the_audio_track_of_a_video_is_scanned: needs ffmpeg (scripts/install-deps)"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let speech = dir.path().join("speech.wav");
    write_wav(&speech, 16_000, &tone(16_000, 3.0));
    let with_audio = dir.path().join("with-audio.mp4");
    let without_audio = dir.path().join("without-audio.mp4");
    let ffmpeg = |args: &[&str]| {
        let status = Command::new("ffmpeg")
            .args(["-loglevel", "error", "-y"])
            .args(args)
            .status()
            .unwrap();
        assert!(status.success(), "ffmpeg {args:?}");
    };
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=64x48:rate=10:duration=3",
        "-i",
        speech.to_str().unwrap(),
        "-c:v",
        "mpeg4",
        "-c:a",
        "aac",
        "-shortest",
        with_audio.to_str().unwrap(),
    ]);
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=64x48:rate=10:duration=1",
        "-c:v",
        "mpeg4",
        without_audio.to_str().unwrap(),
    ]);

    // Audio detectors only: the frames are left alone (and the report says so).
    let out = run(fakescope(&models)
        .args(["scan", "--json", "-d", "aasist"])
        .arg(&with_audio)
        .arg(&without_audio));
    assert_exit(&out, 0);
    let records = json_lines(&out);
    assert_eq!(records[0]["media"], "video");
    assert!(
        records[0]["fake_probability"].as_f64().is_some(),
        "{}",
        records[0]
    );
    assert!(
        (records[0]["duration_s"].as_f64().unwrap() - 3.0).abs() < 0.1,
        "{}",
        records[0]
    );
    assert!(
        records[0]["note"]
            .as_str()
            .unwrap()
            .contains("frames not scanned: no face or whole-image detector is selected")
    );
    assert_eq!(records[1]["media"], "video");
    assert_eq!(records[1]["verdict"], "n/a");
    assert!(
        records[1]["note"]
            .as_str()
            .unwrap()
            .contains("no audio track"),
        "{}",
        records[1]
    );
}
