//! Malformed, hostile and odd inputs: each file gets its own clear error, the others are still
//! scanned, the exit code says whether anything failed, and nothing panics.

use std::collections::BTreeMap;
use std::path::Path;

use crate::common::*;

/// Writes the bad-input corpus into `dir`; returns the expected outcome per file name:
/// `Ok(verdict)` or `Err(substring of the error)`.
fn write_corpus(dir: &Path) -> BTreeMap<&'static str, Result<&'static str, &'static str>> {
    let speech = tone(16_000, 5.0);
    let pcm: Vec<u8> = speech
        .iter()
        .flat_map(|s| ((s * 32767.0) as i16).to_le_bytes())
        .collect();
    let mut expected = BTreeMap::new();

    write_wav(&dir.join("good.wav"), 16_000, &speech);
    expected.insert("good.wav", Ok("any"));

    write_wav(&dir.join("silent.wav"), 16_000, &vec![0.0; 32_000]);
    expected.insert("silent.wav", Ok("any"));

    write_wav(&dir.join("short-8khz.wav"), 8_000, &tone(8_000, 0.5));
    expected.insert("short-8khz.wav", Ok("any"));

    std::fs::write(dir.join("empty.wav"), b"").unwrap();
    expected.insert("empty.wav", Err("empty"));

    std::fs::write(dir.join("zero-length.wav"), wav_bytes(16_000, 1, &[], 0)).unwrap();
    expected.insert("zero-length.wav", Err("no audio samples"));

    // header declares 5 s, only 1 s follows
    std::fs::write(
        dir.join("truncated.wav"),
        wav_bytes(16_000, 1, &pcm[..32_000], pcm.len() as u32),
    )
    .unwrap();
    expected.insert("truncated.wav", Err("truncated"));

    // a header and nothing else
    std::fs::write(
        dir.join("header-only.wav"),
        &wav_bytes(16_000, 1, &[], 64_000)[..44],
    )
    .unwrap();
    expected.insert("header-only.wav", Err("header-only.wav"));

    // random bytes behind an MP3 extension
    let noise: Vec<u8> = (0u32..20_000)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(dir.join("random.mp3"), &noise).unwrap();
    expected.insert("random.mp3", Err("random.mp3"));

    // text with an audio extension
    std::fs::write(dir.join("notes.wav"), b"this is not a recording\n").unwrap();
    expected.insert("notes.wav", Err("not a recognised"));

    // a FLAC signature followed by garbage
    let mut flac = b"fLaC".to_vec();
    flac.extend_from_slice(&noise[..4000]);
    std::fs::write(dir.join("corrupt.flac"), &flac).unwrap();
    expected.insert("corrupt.flac", Err("corrupt.flac"));

    // an image: read fine, but no audio detector applies
    std::fs::write(dir.join("picture.wav"), png_1x1()).unwrap();
    expected.insert("picture.wav", Ok("n/a"));

    expected
}

/// A valid 1x1 grey PNG.
fn png_1x1() -> Vec<u8> {
    vec![
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x3A,
        0x7E, 0x9B, 0x55, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x08, 0xD7, 0x63, 0x60,
        0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 0xE2, 0x21, 0xBC, 0x33, 0x00, 0x00, 0x00, 0x00, 0x49,
        0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ]
}

#[test]
fn every_bad_file_gets_its_own_error_and_the_rest_are_scanned() {
    let Some(models) =
        models_dir_or_skip("every_bad_file_gets_its_own_error_and_the_rest_are_scanned")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let expected = write_corpus(dir.path());
    let missing = dir.path().join("does-not-exist.wav");

    let out = run(fakescope(&models)
        .args(["scan", "--json"])
        .arg(dir.path())
        .arg(&missing));
    assert_eq!(
        out.status.code(),
        Some(1),
        "some files failed, so exit code 1"
    );
    let lines = json_lines(&out);
    assert_eq!(lines.len(), expected.len() + 1, "one record per file");

    for record in &lines {
        let path = record["path"].as_str().unwrap();
        let name = Path::new(path).file_name().unwrap().to_str().unwrap();
        for key in [
            "path",
            "media",
            "fake_probability",
            "verdict",
            "detectors",
            "segments",
            "error",
        ] {
            assert!(record.get(key).is_some(), "{name}: no `{key}` in {record}");
        }
        if name == "does-not-exist.wav" {
            assert!(
                record["error"].as_str().unwrap().contains("no such file"),
                "{record}"
            );
            continue;
        }
        match expected[name] {
            Ok(verdict) => {
                assert!(
                    record["error"].is_null(),
                    "{name}: unexpected error {}",
                    record["error"]
                );
                if verdict == "n/a" {
                    assert_eq!(record["verdict"], "n/a", "{name}");
                    assert!(record["fake_probability"].is_null(), "{name}");
                    assert!(
                        record["note"].as_str().is_some(),
                        "{name}: n/a should say why"
                    );
                } else {
                    let p = record["fake_probability"].as_f64().unwrap();
                    assert!((0.0..=1.0).contains(&p), "{name}: {p}");
                    assert_eq!(record["detectors"][0]["name"], "aasist");
                }
            }
            Err(needle) => {
                let error = record["error"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{name}: expected an error, got {record}"));
                assert!(
                    error.contains(name),
                    "{name}: error should name the file: {error}"
                );
                assert!(
                    error.contains(needle),
                    "{name}: error should mention `{needle}`: {error}"
                );
                assert_eq!(record["verdict"], "n/a");
            }
        }
    }
}

#[test]
fn exit_code_is_zero_when_everything_was_scanned() {
    let Some(models) = models_dir_or_skip("exit_code_is_zero_when_everything_was_scanned") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    write_wav(&dir.path().join("a.wav"), 16_000, &tone(16_000, 1.0));
    let out = run(fakescope(&models).arg("scan").arg(dir.path()));
    assert_exit(&out, 0);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("uncalibrated"),
        "the table says probabilities are uncalibrated:\n{table}"
    );
    assert!(table.contains("a.wav"));
}

#[test]
fn recordings_over_the_duration_limit_are_refused() {
    let Some(models) = models_dir_or_skip("recordings_over_the_duration_limit_are_refused") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let long = dir.path().join("long.wav");
    write_wav(&long, 16_000, &tone(16_000, 12.0));
    let out = run(fakescope(&models)
        .args(["scan", "--json", "--max-duration", "10"])
        .arg(&long));
    assert_exit(&out, 1);
    let record = &json_lines(&out)[0];
    let error = record["error"].as_str().unwrap();
    assert!(
        error.contains("too long") && error.contains("long.wav"),
        "{error}"
    );
}

#[test]
fn windows_cover_the_recording_and_segments_use_the_threshold() {
    let Some(models) =
        models_dir_or_skip("windows_cover_the_recording_and_segments_use_the_threshold")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("ten-seconds.wav");
    write_wav(&clip, 16_000, &tone(16_000, 10.0));
    // threshold 0 makes every window "fake": one segment spanning the whole file
    let out = run(fakescope(&models)
        .args([
            "scan",
            "--json",
            "--fake-threshold",
            "0",
            "--uncertain-threshold",
            "0",
        ])
        .arg(&clip));
    assert_exit(&out, 0);
    let r = &json_lines(&out)[0];
    let windows = r["detectors"][0]["windows"].as_array().unwrap();
    // 10 s = 160,000 samples: 95,400 spare samples after one 64,600-sample window need 3 hops of
    // at most 32,000, so 4 windows spread evenly: starts 0, 31,800, 63,600, 95,400
    let starts: Vec<f64> = windows
        .iter()
        .map(|w| w["start_s"].as_f64().unwrap())
        .collect();
    assert_eq!(starts, vec![0.0, 1.9875, 3.975, 5.9625]);
    assert_eq!(windows.last().unwrap()["end_s"].as_f64().unwrap(), 10.0);
    let segments = r["segments"].as_array().unwrap();
    assert_eq!(segments.len(), 1);
    assert_eq!(segments[0]["start_s"].as_f64().unwrap(), 0.0);
    assert_eq!(segments[0]["end_s"].as_f64().unwrap(), 10.0);
    assert_eq!(r["verdict"], "likely_fake");
}
