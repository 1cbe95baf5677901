//! Decoding real audio: rate conversion, downmix, every supported container and codec.

use fakescope_media::{
    AudioClip, AudioFormat, AudioLimits, Limits, Media, MediaKind, VideoFormat, decode_audio, open,
    sniff_file,
};

use crate::fixtures::{Dir, rms, skip, tone_hz};

fn decode(p: &std::path::Path) -> AudioClip {
    decode_audio(p, &AudioLimits::default()).unwrap_or_else(|e| panic!("{e}"))
}

/// The tone frequency over the middle of the clip (away from encoder delay and fades).
fn middle_tone_hz(clip: &AudioClip) -> f64 {
    let n = clip.samples.len();
    tone_hz(&clip.samples[n / 8..n - n / 8], clip.sample_rate)
}

#[test]
fn wav_44k1_stereo_becomes_16k_mono() {
    let dir = Dir::new();
    // Left at 0.6, right at 0.2, same phase: the mean of the channels is a 0.4 sine.
    let p = dir.sine_wav("tone.wav", 44_100, 440.0, 2.0, &[0.6, 0.2]);
    let clip = decode(&p);
    assert_eq!(clip.sample_rate, 16_000);
    assert_eq!(clip.source_rate, 44_100);
    assert_eq!(clip.channels, 2);
    // 88,200 frames at 44.1 kHz are exactly 32,000 at 16 kHz.
    assert!(
        clip.samples.len().abs_diff(32_000) <= 2,
        "{}",
        clip.samples.len()
    );
    assert!((clip.duration_s - 2.0).abs() < 1e-3);
    // Frequency preserved: 440 Hz gives 880 zero crossings a second.
    let hz = middle_tone_hz(&clip);
    assert!((hz - 440.0).abs() < 2.0, "{hz} Hz");
    // Downmix is the mean: RMS of a 0.4 sine is 0.4/sqrt(2).
    let level = rms(&clip.samples[2000..30_000]);
    assert!((level - 0.4 / 2f64.sqrt()).abs() < 0.003, "rms {level}");
}

#[test]
fn wav_8k_is_upsampled() {
    let dir = Dir::new();
    let p = dir.sine_wav("tone8k.wav", 8_000, 440.0, 1.5, &[0.5]);
    let clip = decode(&p);
    assert_eq!((clip.source_rate, clip.channels), (8_000, 1));
    assert_eq!(clip.samples.len(), 24_000);
    let hz = middle_tone_hz(&clip);
    assert!((hz - 440.0).abs() < 2.0, "{hz} Hz");
    let level = rms(&clip.samples[1000..23_000]);
    assert!((level - 0.5 / 2f64.sqrt()).abs() < 0.003, "rms {level}");
}

#[test]
fn wav_at_16k_passes_through_unchanged() {
    let dir = Dir::new();
    let p = dir.sine_wav("tone16k.wav", 16_000, 1000.0, 0.5, &[0.5]);
    let clip = decode(&p);
    assert_eq!(clip.samples.len(), 8_000);
    let expected = (std::f32::consts::TAU * 1000.0 * 3.0 / 16_000.0).sin() * 0.5;
    assert!((clip.samples[3] - expected).abs() < 1e-4);
}

#[test]
fn silent_wav_is_valid() {
    let dir = Dir::new();
    let p = dir.silent_wav("silence.wav", 22_050, 22_050);
    let clip = decode(&p);
    assert_eq!(clip.samples.len(), 16_000);
    assert!(clip.samples.iter().all(|s| *s == 0.0));
}

/// One row per ffmpeg-made format: the file name, the encoder arguments, and the kind it sniffs as.
fn ffmpeg_formats() -> Vec<(&'static str, Vec<&'static str>, MediaKind)> {
    vec![
        ("tone.flac", vec![], MediaKind::Audio(AudioFormat::Flac)),
        (
            "tone.mp3",
            vec!["-c:a", "libmp3lame", "-b:a", "128k"],
            MediaKind::Audio(AudioFormat::Mp3),
        ),
        (
            "tone.ogg",
            vec!["-c:a", "libvorbis"],
            MediaKind::Audio(AudioFormat::Ogg),
        ),
        (
            "tone.m4a",
            vec!["-c:a", "aac"],
            MediaKind::Audio(AudioFormat::M4a),
        ),
        // An audio-only MP4 with the generic `isom` brand and `moov` after `mdat`: the track
        // handlers make it audio.
        (
            "tone-audio-only.mp4",
            vec!["-c:a", "aac", "-f", "mp4"],
            MediaKind::Audio(AudioFormat::M4a),
        ),
        (
            "tone.aac",
            vec!["-c:a", "aac", "-f", "adts"],
            MediaKind::Audio(AudioFormat::Aac),
        ),
        (
            "tone.webm",
            vec!["-c:a", "libvorbis", "-f", "webm"],
            MediaKind::Video(VideoFormat::WebM),
        ),
        (
            "tone-pcm.wav",
            vec!["-c:a", "pcm_f32le"],
            MediaKind::Audio(AudioFormat::Wav),
        ),
    ]
}

#[test]
fn every_format_decodes_to_the_same_tone() {
    let dir = Dir::new();
    for (name, args, kind) in ffmpeg_formats() {
        let Some(p) = dir.ffmpeg_tone(name, 2.0, &args) else {
            skip("every_format_decodes_to_the_same_tone");
            return;
        };
        assert_eq!(sniff_file(&p).unwrap(), kind, "{name}");
        let clip = decode(&p);
        assert_eq!((clip.source_rate, clip.channels), (44_100, 2), "{name}");
        // Encoders add delay/padding; gapless trimming removes most of it.
        assert!(
            (clip.duration_s - 2.0).abs() < 0.06,
            "{name}: {} s",
            clip.duration_s
        );
        let hz = middle_tone_hz(&clip);
        assert!((hz - 440.0).abs() < 3.0, "{name}: {hz} Hz");
        // ffmpeg's sine source peaks at 1/8, and its mono-to-stereo upmix is at -3 dB. LAME
        // loses about 5% of the level of this tone (ffmpeg's own decoder measures the same).
        let level = rms(&clip.samples[4000..28_000]);
        let expected = 0.125 / 2f64.sqrt() / 2f64.sqrt();
        assert!((level / expected - 1.0).abs() < 0.07, "{name}: rms {level}");
    }
}

#[test]
fn video_files_are_video_but_their_audio_decodes() {
    let dir = Dir::new();
    let video = [
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=64x48:rate=10:duration=2",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=48000:duration=2",
        "-c:v",
        "mpeg4",
        "-shortest",
    ];
    let cases = [
        ("clip.mp4", vec!["-c:a", "aac"], VideoFormat::Mp4),
        ("clip.mov", vec!["-c:a", "aac"], VideoFormat::QuickTime),
        ("clip.mkv", vec!["-c:a", "libvorbis"], VideoFormat::Matroska),
    ];
    for (name, audio_args, format) in cases {
        let mut args = video.to_vec();
        args.extend(audio_args);
        let Some(p) = dir.ffmpeg(name, &args) else {
            skip("video_files_are_video_but_their_audio_decodes");
            return;
        };
        assert_eq!(sniff_file(&p).unwrap(), MediaKind::Video(format), "{name}");
        match open(&p, &Default::default()).unwrap() {
            Media::Video(info) => assert_eq!(info.format, format),
            other => panic!("{name}: expected video, got {other:?}"),
        }
        // The audio byte limit is not a video's: a video is read as a stream, with its own
        // limits (`VideoLimits`), so an hour of 1080p over 4 GiB still opens.
        let small = Limits {
            audio: AudioLimits {
                max_file_bytes: 100,
                ..AudioLimits::default()
            },
            ..Limits::default()
        };
        assert!(matches!(open(&p, &small), Ok(Media::Video(_))), "{name}");
        assert!(decode_audio(&p, &small.audio).is_ok(), "{name}");
        let clip = decode(&p);
        assert_eq!((clip.source_rate, clip.channels), (48_000, 1), "{name}");
        assert!(
            (clip.duration_s - 2.0).abs() < 0.1,
            "{name}: {}",
            clip.duration_s
        );
        let hz = middle_tone_hz(&clip);
        assert!((hz - 440.0).abs() < 3.0, "{name}: {hz} Hz");
    }
}

#[test]
fn content_decides_not_the_extension() {
    let dir = Dir::new();
    let wav = dir.sine_wav("really-a-wav.mp3", 16_000, 440.0, 1.0, &[0.5]);
    assert_eq!(
        sniff_file(&wav).unwrap(),
        MediaKind::Audio(AudioFormat::Wav)
    );
    assert_eq!(decode(&wav).samples.len(), 16_000);
    let Some(mp3) = dir.ffmpeg_tone(
        "really-an-mp3.wav",
        1.0,
        &["-c:a", "libmp3lame", "-f", "mp3"],
    ) else {
        skip("content_decides_not_the_extension (MP3 part)");
        return;
    };
    assert_eq!(
        sniff_file(&mp3).unwrap(),
        MediaKind::Audio(AudioFormat::Mp3)
    );
    let clip = decode(&mp3);
    assert!((clip.duration_s - 1.0).abs() < 0.06, "{}", clip.duration_s);
    // And an MP3 without the ID3 tag ffmpeg writes: found by frame sync alone.
    let Some(bare) = dir.ffmpeg_tone(
        "bare.bin",
        1.0,
        &[
            "-c:a",
            "libmp3lame",
            "-id3v2_version",
            "0",
            "-write_xing",
            "0",
            "-f",
            "mp3",
        ],
    ) else {
        return;
    };
    assert!(!crate::fixtures::read(&bare).starts_with(b"ID3"));
    assert_eq!(
        sniff_file(&bare).unwrap(),
        MediaKind::Audio(AudioFormat::Mp3)
    );
    assert!((decode(&bare).duration_s - 1.0).abs() < 0.1);
}

#[test]
fn open_dispatches_audio() {
    let dir = Dir::new();
    let p = dir.sine_wav("a.wav", 16_000, 440.0, 0.25, &[0.5]);
    match open(&p, &Default::default()).unwrap() {
        Media::Audio(clip) => assert_eq!(clip.samples.len(), 4_000),
        other => panic!("expected audio, got {other:?}"),
    }
}
