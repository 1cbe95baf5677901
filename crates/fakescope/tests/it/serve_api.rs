//! `fakescope serve` end to end: the real binary on a random loopback port, the real detectors,
//! requests over HTTP; keys, limits, bad input, and a `kill -9` in the middle of scans.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{assert_exit, fakescope, models_dir_or_skip, run, shared_dir, workspace_root};

/// A running server; killed when dropped.
pub(crate) struct Server {
    child: Child,
    pub(crate) base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn start(models: &Path, data: &Path, extra: &[&str]) -> Server {
    let mut child = fakescope(models)
        .args(["serve", "--bind", "127.0.0.1:0", "--workers", "1", "--data"])
        .arg(data)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start fakescope serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim()
        .strip_prefix("fakescope serve: listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .to_owned();
    Server { child, base }
}

pub(crate) fn create_key(models: &Path, data: &Path, name: &str) -> String {
    let out = run(fakescope(models)
        .args(["keys", "create", "--name", name, "--data"])
        .arg(data));
    assert_exit(&out, 0);
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into()
}

/// Status, content type and body (JSON when it parses).
fn send(req: ureq::RequestBuilder<ureq::typestate::WithBody>, body: &[u8]) -> (u16, String, Value) {
    read(req.send(body).expect("request"))
}

fn get(agent: &ureq::Agent, url: &str, key: Option<&str>) -> (u16, String, Value) {
    let mut req = agent.get(url);
    if let Some(k) = key {
        req = req.header("Authorization", &format!("Bearer {k}"));
    }
    read(req.call().expect("request"))
}

fn read(mut resp: ureq::http::Response<ureq::Body>) -> (u16, String, Value) {
    let status = resp.status().as_u16();
    let ctype = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let text = resp.body_mut().read_to_string().unwrap_or_default();
    let json = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, ctype, json)
}

fn post(agent: &ureq::Agent, url: &str, key: &str, body: &[u8]) -> (u16, String, Value) {
    send(
        agent
            .post(url)
            .header("Authorization", &format!("Bearer {key}"))
            .header("Content-Type", "application/octet-stream"),
        body,
    )
}

fn wait_done(agent: &ureq::Agent, base: &str, key: &str, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let (status, _, job) = get(agent, &format!("{base}/v1/scans/{id}?wait=20"), Some(key));
        assert_eq!(status, 200, "{job}");
        if job["status"] == "done" || job["status"] == "failed" {
            return job;
        }
        assert!(Instant::now() < deadline, "job {id} did not finish: {job}");
    }
}

fn audio_example() -> PathBuf {
    workspace_root().join("examples/media/tts-flite-0880.wav")
}

#[test]
fn api_scans_uploads_with_keys_and_limits() {
    let Some(models) = models_dir_or_skip("api_scans_uploads_with_keys_and_limits") else {
        return;
    };
    let Some(face) = shared_dir()
        .map(|s| s.join("data/mesonet-test-images/df/df00204.jpg"))
        .filter(|p| p.is_file())
    else {
        eprintln!("skipped: no ../shared/data/mesonet-test-images");
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let key = create_key(&models, data.path(), "newsroom");
    let other = create_key(&models, data.path(), "other");
    let server = start(&models, data.path(), &["--max-image-mb", "1"]);
    let base = &server.base;
    let agent = agent();

    // Open routes.
    let (s, _, doc) = get(&agent, &format!("{base}/v1/openapi.json"), None);
    assert_eq!((s, doc["openapi"].as_str()), (200, Some("3.1.0")));
    assert_eq!(get(&agent, &format!("{base}/healthz"), None).0, 200);
    assert_eq!(get(&agent, &format!("{base}/readyz"), None).0, 200);
    let (s, ctype, page) = get(&agent, &format!("{base}/"), None);
    assert_eq!(s, 200);
    assert!(ctype.starts_with("text/html") && page.as_str().unwrap().contains("fakescope"));

    // Keys: none, malformed, unknown.
    let (s, ctype, p) = get(&agent, &format!("{base}/v1/scans"), None);
    assert_eq!(
        (s, ctype.as_str()),
        (401, "application/problem+json"),
        "{p}"
    );
    assert_eq!(p["status"], 401);
    assert_eq!(
        get(&agent, &format!("{base}/v1/scans"), Some("fsk_nope")).0,
        401
    );

    // An image: queued at once, then done with the report `scan --json` prints.
    let bytes = std::fs::read(&face).unwrap();
    let (s, _, job) = send(
        agent
            .post(format!(
                "{base}/v1/scans?filename=../../face.jpg&detectors=mesoinception4-df"
            ))
            .header("Authorization", &format!("Bearer {key}")),
        &bytes,
    );
    assert_eq!(s, 202, "{job}");
    assert_eq!(job["status"], "queued");
    assert_eq!(job["filename"], "face.jpg");
    let id = job["id"].as_str().unwrap().to_owned();
    let done = wait_done(&agent, base, &key, &id);
    assert_eq!(done["status"], "done", "{done}");
    let result = &done["result"];
    assert_eq!(result["path"], "face.jpg");
    assert_eq!(result["media"], "image");
    assert_eq!(result["detectors"][0]["name"], "mesoinception4-df");
    assert!(
        result["faces"].as_array().is_some_and(|f| !f.is_empty()),
        "{result}"
    );
    // The same as the command line's scan of the same file.
    let cli = run(fakescope(&models)
        .args(["scan", "--json", "-d", "mesoinception4-df"])
        .arg(&face));
    let cli: Value = serde_json::from_slice(&cli.stdout).unwrap();
    assert_eq!(cli["fake_probability"], result["fake_probability"]);

    // The same file and options again: answered from the stored result.
    let (s, _, again) = post(
        &agent,
        &format!("{base}/v1/scans?detectors=mesoinception4-df"),
        &key,
        &bytes,
    );
    assert_eq!(
        (s, again["status"].as_str(), again["cached"].as_bool()),
        (202, Some("done"), Some(true))
    );

    // Another key sees none of it.
    assert_eq!(
        get(&agent, &format!("{base}/v1/scans/{id}"), Some(&other)).0,
        404
    );
    let (_, _, list) = get(&agent, &format!("{base}/v1/scans"), Some(&other));
    assert_eq!(list["scans"].as_array().unwrap().len(), 0);
    let (_, _, list) = get(&agent, &format!("{base}/v1/scans?status=done"), Some(&key));
    assert_eq!(list["scans"].as_array().unwrap().len(), 2);

    // The upload comes back with its media type.
    let (s, ctype, _) = get(&agent, &format!("{base}/v1/scans/{id}/file"), Some(&key));
    assert_eq!((s, ctype.as_str()), (200, "image/jpeg"));

    // Bad input: each with its status and a problem document.
    for (query, body, status) in [
        ("", b"just some text, not media".to_vec(), 415),
        ("", Vec::new(), 400),
        ("?fake_threshold=2", bytes.clone(), 400),
        ("?speed=fast", bytes.clone(), 400),
        ("?detectors=no-such-detector", bytes.clone(), 400),
        ("?detectors=../secret", bytes.clone(), 400),
    ] {
        let (s, ctype, p) = post(&agent, &format!("{base}/v1/scans{query}"), &key, &body);
        assert_eq!(s, status, "{query}: {p}");
        assert_eq!(ctype, "application/problem+json", "{query}");
        assert!(p["detail"].as_str().is_some_and(|d| !d.is_empty()));
    }
    // Over the image limit (1 MB here), recognised as PNG from its first bytes.
    let mut big = b"\x89PNG\r\n\x1a\n".to_vec();
    big.resize(1_500_000, 0);
    let (s, _, p) = post(&agent, &format!("{base}/v1/scans"), &key, &big);
    assert_eq!(s, 413, "{p}");
    assert_eq!(
        get(
            &agent,
            &format!("{base}/v1/scans/{}", "0".repeat(32)),
            Some(&key)
        )
        .0,
        404
    );
    assert_eq!(
        get(&agent, &format!("{base}/v1/scans/../../etc"), Some(&key)).0,
        404
    );
    assert_eq!(
        get(
            &agent,
            &format!("{base}/v1/scans/{id}?wait=600"),
            Some(&key)
        )
        .0,
        400
    );

    // Multipart, as the web page sends it.
    let boundary = "fakescopeboundary";
    let mut form = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"clip.wav\"\r\nContent-Type: audio/wav\r\n\r\n"
    )
    .into_bytes();
    form.extend_from_slice(&std::fs::read(audio_example()).unwrap());
    form.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let (s, _, job) = send(
        agent
            .post(format!("{base}/v1/scans?detectors=aasist"))
            .header("Authorization", &format!("Bearer {key}"))
            .header(
                "Content-Type",
                &format!("multipart/form-data; boundary={boundary}"),
            ),
        &form,
    );
    assert_eq!(s, 202, "{job}");
    assert_eq!(
        (job["filename"].as_str(), job["media"].as_str()),
        (Some("clip.wav"), Some("audio"))
    );
    let audio = wait_done(&agent, base, &key, job["id"].as_str().unwrap());
    assert_eq!(audio["result"]["detectors"][0]["name"], "aasist", "{audio}");

    // Delete: gone for good.
    let resp = agent
        .delete(format!("{base}/v1/scans/{id}"))
        .header("Authorization", &format!("Bearer {key}"))
        .call()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 204);
    assert_eq!(
        get(&agent, &format!("{base}/v1/scans/{id}"), Some(&key)).0,
        404
    );

    // Metrics count what happened.
    let (s, _, metrics) = get(&agent, &format!("{base}/metrics"), None);
    let metrics = metrics.as_str().unwrap().to_owned();
    assert_eq!(s, 200);
    assert!(
        metrics.contains(
            "fakescope_http_requests_total{method=\"POST\",route=\"/v1/scans\",status=\"202\"}"
        ),
        "{metrics}"
    );
    assert!(
        metrics
            .contains("fakescope_scan_duration_seconds_count{media=\"image\",outcome=\"done\"} 1"),
        "{metrics}"
    );

    // A revoked key is refused at once.
    let list = run(fakescope(&models)
        .args(["keys", "list", "--json", "--data"])
        .arg(data.path()));
    let first: Value = serde_json::from_str(
        String::from_utf8_lossy(&list.stdout)
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    let kid = first["id"].as_str().unwrap();
    assert_exit(
        &run(fakescope(&models)
            .args(["keys", "revoke", kid, "--data"])
            .arg(data.path())),
        0,
    );
    assert_eq!(get(&agent, &format!("{base}/v1/scans"), Some(&key)).0, 401);
}

#[test]
fn no_auth_is_refused_off_loopback() {
    let Some(models) = models_dir_or_skip("no_auth_is_refused_off_loopback") else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let out = run(fakescope(&models)
        .args(["serve", "--no-auth", "--bind", "0.0.0.0:0", "--data"])
        .arg(data.path()));
    assert_exit(&out, 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("loopback"));
}

#[test]
fn jobs_survive_kill_9() {
    let Some(models) = models_dir_or_skip("jobs_survive_kill_9") else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let audio = std::fs::read(audio_example()).unwrap();
    let agent = agent();
    let mut ids = Vec::new();
    {
        let server = start(&models, data.path(), &["--no-auth"]);
        // Distinct files (a changed last sample), so none is answered from another's result.
        for i in 0..6u8 {
            let mut body = audio.clone();
            let n = body.len();
            body[n - 1] = i;
            let (s, _, job) = post(
                &agent,
                &format!("{}/v1/scans?detectors=aasist", server.base),
                "unused",
                &body,
            );
            assert_eq!(s, 202, "{job}");
            ids.push(job["id"].as_str().unwrap().to_owned());
        }
        // Killed while the first scans run.
        std::thread::sleep(Duration::from_millis(300));
        let mut server = server;
        let _ = std::process::Command::new("kill")
            .args(["-9", &server.child.id().to_string()])
            .status();
        let _ = server.child.wait();
    }
    let server = start(&models, data.path(), &["--no-auth"]);
    for id in &ids {
        let job = wait_done(&agent, &server.base, "unused", id);
        assert_eq!(job["status"], "done", "{job}");
        assert!(job["attempts"].as_i64().unwrap() <= 2, "{job}");
        assert_eq!(job["result"]["media"], "audio");
    }
    let (_, _, list) = get(&agent, &format!("{}/v1/scans?limit=500", server.base), None);
    assert_eq!(list["scans"].as_array().unwrap().len(), ids.len());
}

#[test]
fn slow_clients_are_disconnected() {
    use std::io::{Read, Write};
    let Some(models) = models_dir_or_skip("slow_clients_are_disconnected") else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let server = start(
        &models,
        data.path(),
        &["--no-auth", "--header-timeout", "1s"],
    );
    let addr = server.base.strip_prefix("http://").unwrap();
    // Half a request head, then nothing: the server closes the connection.
    let mut slow = std::net::TcpStream::connect(addr).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let started = Instant::now();
    let mut rest = Vec::new();
    let closed = slow.read_to_end(&mut rest);
    assert!(closed.is_ok(), "the connection was not closed: {closed:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    // Meanwhile and afterwards, others are served.
    let (status, _, _) = get(&agent(), &format!("{}/healthz", server.base), None);
    assert_eq!(status, 200);
}

#[test]
fn quotas_rates_and_broken_uploads() {
    use std::io::{Read, Write};
    let Some(models) = models_dir_or_skip("quotas_rates_and_broken_uploads") else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let key_for = |name: &str, flags: &[&str]| -> String {
        let out = run(fakescope(&models)
            .args(["keys", "create", "--name", name])
            .args(flags)
            .arg("--data")
            .arg(data.path()));
        assert_exit(&out, 0);
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    let one_job = key_for("one-job", &["--max-active-jobs", "1"]);
    let slow = key_for("slow", &["--rate", "3"]);
    let broken_key = key_for("broken", &[]);
    let server = start(&models, data.path(), &[]);
    let (base, agent) = (&server.base, agent());
    let wav =
        std::fs::read(workspace_root().join("examples/media/real-librivox-0920.flac")).unwrap();

    // One job at a time for this key: uploads while it is queued or running are refused.
    let statuses: Vec<u16> = (0..3)
        .map(|i| {
            let url = format!("{base}/v1/scans?filename=clip{i}.flac&hop={}", 1 + i);
            post(&agent, &url, &one_job, &wav).0
        })
        .collect();
    assert_eq!(statuses[0], 202, "{statuses:?}");
    assert!(statuses[1..].contains(&429), "{statuses:?}");

    // Three requests a minute: the fourth is refused with Retry-After.
    for _ in 0..3 {
        assert_eq!(get(&agent, &format!("{base}/v1/scans"), Some(&slow)).0, 200);
    }
    let resp = agent
        .get(&format!("{base}/v1/scans"))
        .header("Authorization", &format!("Bearer {slow}"))
        .call()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 429);
    let retry: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");

    // A client that announces 100 kB, sends 2 kB and goes away: no job, no stored file.
    let addr = base.strip_prefix("http://").unwrap();
    let mut broken = std::net::TcpStream::connect(addr).unwrap();
    write!(
        broken,
        "POST /v1/scans HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {broken_key}\r\n\
         Content-Length: 100000\r\n\r\n"
    )
    .unwrap();
    // The server may answer and close before all of this is sent: that is not a failure.
    let _ = broken.write_all(&wav[..2000]);
    let _ = broken.shutdown(std::net::Shutdown::Write);
    let mut reply = Vec::new();
    let _ = broken.read_to_end(&mut reply);
    let reply = String::from_utf8_lossy(&reply);
    assert!(!reply.contains("202 Accepted"), "{reply}");
    // No job for the abandoned upload; the quota key has only its first upload.
    let (_, _, list) = get(&agent, &format!("{base}/v1/scans"), Some(&broken_key));
    assert_eq!(list["scans"].as_array().unwrap().len(), 0, "{list}");
    let (_, _, list) = get(&agent, &format!("{base}/v1/scans"), Some(&one_job));
    assert_eq!(list["scans"].as_array().unwrap().len(), 1, "{list}");
    let tmp = data.path().join("blobs/tmp");
    let leftovers = std::fs::read_dir(&tmp).map_or(0, |d| d.count());
    assert_eq!(leftovers, 0, "a half upload was left in {}", tmp.display());
    // And the server goes on.
    assert_eq!(get(&agent, &format!("{base}/healthz"), None).0, 200);
}

/// A small tmpfs, unmounted when dropped; `None` where this user may not mount one.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(bytes: u64) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().ok()?;
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}"), "tmpfs"])
            .arg(dir.path())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(SmallDisk { dir })
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(self.dir.path())
            .status();
    }
}

#[test]
fn a_full_disk_is_a_clear_error_and_the_server_goes_on() {
    let Some(models) = models_dir_or_skip("a_full_disk_is_a_clear_error_and_the_server_goes_on")
    else {
        return;
    };
    let Some(disk) = SmallDisk::mount(2 << 20) else {
        eprintln!(
            "skipped: a_full_disk_is_a_clear_error_and_the_server_goes_on: cannot mount a \
             tmpfs here (needs root)"
        );
        return;
    };
    let data = disk.dir.path().join("serve");
    let server = start(&models, &data, &["--no-auth"]);
    let (base, agent) = (&server.base, agent());
    // 3 MB of audio on a 2 MB disk.
    let big = workspace_root().join("target").join("serve-disk-full.wav");
    crate::common::write_wav(&big, 16_000, &crate::common::tone(16_000, 100.0));
    let (s, ctype, p) = post(
        &agent,
        &format!("{base}/v1/scans"),
        "",
        &std::fs::read(&big).unwrap(),
    );
    assert_eq!(s, 507, "{p}");
    assert_eq!(ctype, "application/problem+json");
    assert!(
        p["detail"].as_str().unwrap().contains("disk is full"),
        "{p}"
    );
    let tmp = data.join("blobs/tmp");
    assert_eq!(
        std::fs::read_dir(&tmp).unwrap().count(),
        0,
        "half upload left"
    );
    // A small file still fits, and is scanned.
    let (s, _, job) = post(
        &agent,
        &format!("{base}/v1/scans"),
        "",
        &std::fs::read(audio_example()).unwrap(),
    );
    assert_eq!(s, 202, "{job}");
    let done = wait_done(&agent, base, "", job["id"].as_str().unwrap());
    assert_eq!(done["status"], "done", "{done}");
    drop(server);
    let _ = std::fs::remove_file(big);
}
