//! A bounded load run against a running `fakescope serve`: N clients, each submitting files in
//! turn and waiting for each result, for a fixed time. Prints throughput, latency percentiles,
//! status codes, lost jobs and the server's memory. `scripts/bench-serve` starts the server and
//! runs this; see docs/PERFORMANCE.md.
//!
//! ```text
//! cargo run --release -p fakescope --example serve_load -- \
//!     URL KEY SECONDS CLIENTS SERVER_PID FILE...
//! ```
//!
//! Half of the submissions repeat a file as given (after the first, answered from the stored
//! result: the server's dedup path); the other half are made unique, so the server really scans
//! them: a JPEG gets a comment segment, a 16-bit WAV a few samples changed by one level (a new
//! SHA-256, the same picture or sound). Give JPEG and WAV files.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What one client saw.
#[derive(Default)]
struct Tally {
    /// Submit-to-result times of unique uploads, in seconds.
    scanned: Vec<f64>,
    /// Submit-to-result times of repeated uploads (served from the stored result).
    cached: Vec<f64>,
    /// Times of the upload request alone (until the 202).
    upload: Vec<f64>,
    /// Count per HTTP status of every request.
    statuses: BTreeMap<u16, u64>,
    /// Jobs accepted (202) whose result never came (failed, vanished or timed out).
    lost: Vec<String>,
    /// Jobs that finished `failed`.
    failed: u64,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[i]
}

/// `VmRSS` and `VmHWM` of a process, in MiB.
fn memory(pid: u32) -> Option<(f64, f64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<f64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb / 1024.0)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// The same picture or sound with other bytes: a JPEG comment segment after the start marker,
/// or a few samples of a 16-bit PCM WAV file changed by one level (`tag` in their lowest bits).
fn make_unique(bytes: &[u8], tag: usize) -> Vec<u8> {
    let mut out = bytes.to_vec();
    if bytes.starts_with(&[0xFF, 0xD8]) {
        let text = format!("fakescope-load {tag}");
        let len = (text.len() + 2) as u16;
        let mut segment = vec![0xFF, 0xFE];
        segment.extend_from_slice(&len.to_be_bytes());
        segment.extend_from_slice(text.as_bytes());
        out.splice(2..2, segment);
    } else if let Some(at) = bytes.windows(4).position(|w| w == b"data") {
        // The chunk's samples start 8 bytes after its name; the tag's bits go into the lowest
        // bits of the first 32 samples.
        for bit in 0..32 {
            let i = at + 8 + 2 * bit;
            if tag >> bit & 1 == 1 && i < out.len() {
                out[i] ^= 1;
            }
        }
    }
    out
}

/// The response body as JSON (`null` when it is not).
fn json_body(resp: &mut ureq::http::Response<ureq::Body>) -> serde_json::Value {
    resp.body_mut()
        .read_to_string()
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

fn client(
    id: usize,
    base: &str,
    key: &str,
    files: &[(String, Vec<u8>)],
    until: Instant,
    tally: &Mutex<Tally>,
) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into();
    let auth = format!("Bearer {key}");
    let mut n = 0usize;
    while Instant::now() < until {
        let (name, bytes) = &files[(id + n) % files.len()];
        let unique = n.is_multiple_of(2);
        n += 1;
        let body = if unique {
            make_unique(bytes, n * 1024 + id)
        } else {
            bytes.clone()
        };
        let started = Instant::now();
        let resp = agent
            .post(&format!("{base}/v1/scans?filename={name}"))
            .header("Authorization", &auth)
            .send(&body[..]);
        let upload_s = started.elapsed().as_secs_f64();
        let mut resp = match resp {
            Ok(r) => r,
            Err(e) => {
                eprintln!("client {id}: upload failed: {e}");
                *tally.lock().unwrap().statuses.entry(0).or_default() += 1;
                continue;
            }
        };
        let status = resp.status().as_u16();
        let job = json_body(&mut resp);
        {
            let mut t = tally.lock().unwrap();
            *t.statuses.entry(status).or_default() += 1;
            t.upload.push(upload_s);
        }
        if status == 429 {
            std::thread::sleep(Duration::from_millis(500));
            continue;
        }
        let Some(jid) = job["id"].as_str().map(str::to_owned) else {
            continue;
        };
        // Wait for the result, however long the run has left: every accepted job is followed.
        let mut done = None;
        for _ in 0..10 {
            let resp = agent
                .get(&format!("{base}/v1/scans/{jid}?wait=30"))
                .header("Authorization", &auth)
                .call();
            let Ok(mut resp) = resp else { continue };
            let status = resp.status().as_u16();
            *tally.lock().unwrap().statuses.entry(status).or_default() += 1;
            let v = json_body(&mut resp);
            match v["status"].as_str() {
                Some("done") => {
                    done = Some(true);
                    break;
                }
                Some("failed") => {
                    done = Some(false);
                    break;
                }
                Some(_) => continue,
                None => break,
            }
        }
        let elapsed = started.elapsed().as_secs_f64();
        let mut t = tally.lock().unwrap();
        match done {
            Some(true) if unique => t.scanned.push(elapsed),
            Some(true) => t.cached.push(elapsed),
            Some(false) => t.failed += 1,
            None => t.lost.push(jid),
        }
    }
}

fn run(args: &[String]) -> Result<(), String> {
    if args.len() < 6 {
        return Err("usage: serve_load URL KEY SECONDS CLIENTS SERVER_PID FILE...".into());
    }
    let base = args[0].trim_end_matches('/').to_owned();
    let key = args[1].clone();
    let seconds: u64 = args[2].parse().map_err(|e| format!("SECONDS: {e}"))?;
    let clients: usize = args[3].parse().map_err(|e| format!("CLIENTS: {e}"))?;
    if !(1..=1024).contains(&clients) {
        return Err(format!("CLIENTS: {clients} is not between 1 and 1024"));
    }
    let pid: u32 = args[4].parse().map_err(|e| format!("SERVER_PID: {e}"))?;
    let mut files = Vec::new();
    for path in &args[5..] {
        let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
        let name = std::path::Path::new(path)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        files.push((name, bytes));
    }
    let files = Arc::new(files);
    let tally = Arc::new(Mutex::new(Tally::default()));
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let peak = Arc::new(Mutex::new((0.0f64, 0.0f64)));
    let sampler = {
        let peak = peak.clone();
        std::thread::spawn(move || {
            while Instant::now() < until {
                if let Some((rss, hwm)) = memory(pid) {
                    let mut p = peak.lock().unwrap();
                    p.0 = p.0.max(rss);
                    p.1 = hwm;
                }
                std::thread::sleep(Duration::from_millis(500));
            }
        })
    };
    let mut threads = Vec::new();
    for id in 0..clients {
        let (files, tally, base, key) = (files.clone(), tally.clone(), base.clone(), key.clone());
        threads.push(std::thread::spawn(move || {
            client(id, &base, &key, &files, until, &tally)
        }));
    }
    for t in threads {
        t.join().map_err(|_| "a client panicked".to_string())?;
    }
    sampler
        .join()
        .map_err(|_| "the sampler panicked".to_string())?;
    let wall = started.elapsed().as_secs_f64();
    let mut t = std::mem::take(&mut *tally.lock().unwrap());
    for v in [&mut t.scanned, &mut t.cached, &mut t.upload] {
        v.sort_by(f64::total_cmp);
    }
    let errors_5xx: u64 = t
        .statuses
        .iter()
        .filter(|(s, _)| **s >= 500)
        .map(|(_, n)| n)
        .sum();
    let (rss, hwm) = *peak.lock().unwrap();
    println!(
        "{clients} clients, {wall:.0} s (the last jobs finished after the {seconds} s of submissions)"
    );
    println!(
        "{:<28} {:>7} {:>9} {:>9} {:>9}",
        "", "jobs", "jobs/s", "p50 s", "p99 s"
    );
    for (what, v) in [
        ("scanned (unique uploads)", &t.scanned),
        ("stored result (repeats)", &t.cached),
    ] {
        println!(
            "{what:<28} {:>7} {:>9.2} {:>9.3} {:>9.3}",
            v.len(),
            v.len() as f64 / wall,
            percentile(v, 50.0),
            percentile(v, 99.0)
        );
    }
    println!(
        "{:<28} {:>7} {:>9} {:>9.3} {:>9.3}",
        "upload request (until 202)",
        t.upload.len(),
        "",
        percentile(&t.upload, 50.0),
        percentile(&t.upload, 99.0)
    );
    let statuses: Vec<String> = t
        .statuses
        .iter()
        .map(|(s, n)| format!("{s}: {n}"))
        .collect();
    println!("HTTP statuses: {}", statuses.join(", "));
    println!(
        "5xx: {errors_5xx}; jobs failed: {}; jobs lost: {}",
        t.failed,
        t.lost.len()
    );
    println!("server memory: peak RSS {rss:.0} MiB (VmHWM {hwm:.0} MiB)");
    if errors_5xx > 0 || !t.lost.is_empty() || t.failed > 0 {
        return Err(format!("lost jobs: {:?}", t.lost));
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("serve_load: {e}");
            ExitCode::FAILURE
        }
    }
}
