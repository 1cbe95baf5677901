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
    assert_exit(&out, 0);
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
    assert_exit(&out, 0);
}

#[test]
fn a_missing_model_says_where_it_looked_and_how_to_fetch_it() {
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("a.wav");
    write_wav(&clip, 16_000, &tone(16_000, 1.0));
    let out = run(fakescope(dir.path())
        .args(["scan", "--detector", "aasist-l"])
        .arg(&clip));
    assert_exit(&out, 2);
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
    assert_exit(&out, 0);
    let text = String::from_utf8_lossy(&out.stdout);
    for name in ["aasist", "aasist-l", "aasist-asvspoof5"] {
        assert!(text.contains(name), "{text}");
    }
}

/// Serves the files under `root` over HTTP/1.0 on 127.0.0.1 until the test process ends.
fn serve(root: std::path::PathBuf) -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            if reader.read_line(&mut request).is_err() {
                continue;
            }
            let path = request
                .split_whitespace()
                .nth(1)
                .unwrap_or("/")
                .trim_start_matches('/')
                .to_owned();
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let mut stream = stream;
            match std::fs::read(root.join(&path)) {
                Ok(body) => {
                    let _ = write!(
                        stream,
                        "HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n",
                        body.len()
                    );
                    let _ = stream.write_all(&body);
                }
                Err(_) => {
                    let _ = write!(
                        stream,
                        "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n"
                    );
                }
            }
        }
    });
    format!("http://{addr}")
}

#[test]
fn pull_downloads_checks_and_installs_a_model_then_scan_finds_it() {
    let Some(models) = models_dir_or_skip("pull_downloads_checks_and_installs_a_model") else {
        return;
    };
    let mirror = serve(models.clone());
    let cache = tempfile::tempdir().unwrap();
    let out = run(fakescope(cache.path())
        .env("FAKESCOPE_MODELS_MIRROR", &mirror)
        .args(["models", "pull", "aasist-l"]));
    assert_exit(&out, 0);
    let pulled = cache.path().join("aasist/AASIST-L.pth");
    assert_eq!(
        std::fs::read(&pulled).unwrap(),
        std::fs::read(models.join("aasist/AASIST-L.pth")).unwrap()
    );
    // a second pull finds it in place
    let out = run(fakescope(cache.path())
        .env("FAKESCOPE_MODELS_MIRROR", &mirror)
        .args(["models", "pull", "aasist-l"]));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already present"));
    // the pulled model scans
    let clip = cache.path().join("a.wav");
    write_wav(&clip, 16_000, &tone(16_000, 1.0));
    let out = run(fakescope(cache.path())
        .args(["scan", "--json", "-d", "aasist-l"])
        .arg(&clip));
    assert_exit(&out, 0);
    // a mirror serving a different file is refused and nothing is installed
    let wrong = tempfile::tempdir().unwrap();
    std::fs::create_dir(wrong.path().join("aasist")).unwrap();
    let mut bytes = std::fs::read(models.join("aasist/AASIST.pth")).unwrap();
    bytes[1000] ^= 0xff;
    std::fs::write(wrong.path().join("aasist/AASIST.pth"), bytes).unwrap();
    let bad_mirror = serve(wrong.path().to_owned());
    let out = run(fakescope(cache.path())
        .env("FAKESCOPE_MODELS_MIRROR", &bad_mirror)
        .args(["models", "pull", "aasist"]));
    assert_exit(&out, 1);
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .to_lowercase()
            .contains("sha-256"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!cache.path().join("aasist/AASIST.pth").exists());
}
