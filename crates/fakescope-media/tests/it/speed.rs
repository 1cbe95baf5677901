//! Decode speed, run on demand: `cargo test -p fakescope-media --test it speed -- --ignored --nocapture`.

use std::time::Instant;

use fakescope_media::{AudioLimits, decode_audio};

use crate::fixtures::{Dir, skip};

/// Ten minutes of 44.1 kHz stereo MP3 (128 kbit/s) to 16 kHz mono must take well under a second
/// per minute of audio.
#[test]
#[ignore = "slow: encodes ten minutes of MP3 first"]
fn speed_ten_minute_mp3() {
    let dir = Dir::new();
    let Some(p) = dir.ffmpeg(
        "ten-minutes.mp3",
        &[
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=44100:duration=600",
            "-f",
            "lavfi",
            "-i",
            "anoisesrc=sample_rate=44100:duration=600:amplitude=0.1",
            "-filter_complex",
            "[0][1]amerge=inputs=2",
            "-ac",
            "2",
            "-c:a",
            "libmp3lame",
            "-b:a",
            "128k",
        ],
    ) else {
        skip("speed_ten_minute_mp3");
        return;
    };
    let start = Instant::now();
    let clip = decode_audio(&p, &AudioLimits::default()).unwrap();
    let seconds = start.elapsed().as_secs_f64();
    let minutes = clip.duration_s / 60.0;
    eprintln!(
        "decoded {:.1} min of 44.1 kHz stereo MP3 to 16 kHz mono in {seconds:.2} s ({:.3} s per minute of audio)",
        minutes,
        seconds / minutes
    );
    assert!((clip.duration_s - 600.0).abs() < 0.1);
    assert!(seconds / minutes < 0.5, "{seconds} s");
}
