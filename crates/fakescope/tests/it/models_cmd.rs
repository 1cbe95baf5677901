//! `fakescope models list | verify` against a models directory.

use crate::common::*;

#[test]
fn verify_detects_a_corrupted_file() {
    let Some(models) = models_dir_or_skip("verify_detects_a_corrupted_file") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let aasist = dir.path().join("aasist");
    std::fs::create_dir(&aasist).unwrap();
    let mut bytes = std::fs::read(models.join("aasist/AASIST.pth")).unwrap();
    std::fs::write(
        aasist.join("AASIST-L.pth"),
        std::fs::read(models.join("aasist/AASIST-L.pth")).unwrap(),
    )
    .unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x01;
    std::fs::write(aasist.join("AASIST.pth"), &bytes).unwrap();

    let out = run(fakescope(dir.path()).args(["models", "verify", "aasist", "aasist-l"]));
    assert_ne!(
        out.status.code(),
        Some(0),
        "a corrupted file must fail verification"
    );
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("AASIST.pth"), "{text}");

    let out = run(fakescope(dir.path()).args(["models", "verify", "aasist-l"]));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn the_shared_models_directory_verifies() {
    let Some(models) = models_dir_or_skip("the_shared_models_directory_verifies") else {
        return;
    };
    let out = run(fakescope(&models).args([
        "models",
        "verify",
        "aasist",
        "aasist-l",
        "aasist-asvspoof5",
    ]));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn a_missing_model_says_where_it_looked_and_how_to_fetch_it() {
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("a.wav");
    write_wav(&clip, 16_000, &tone(16_000, 1.0));
    let out = run(fakescope(dir.path())
        .args(["scan", "--detector", "aasist-l"])
        .arg(&clip));
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("AASIST-L.pth"), "{stderr}");
    assert!(
        stderr.contains(&dir.path().display().to_string()),
        "{stderr}"
    );
    assert!(
        stderr.contains("fakescope models pull aasist-l"),
        "{stderr}"
    );
}

#[test]
fn list_names_every_audio_detector() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(fakescope(dir.path()).args(["models", "list"]));
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    for name in ["aasist", "aasist-l", "aasist-asvspoof5"] {
        assert!(text.contains(name), "{text}");
    }
}
