//! `fakescope scan --submit URL PATH…`: the files go to a `fakescope serve` API (one node or a
//! cluster) as jobs; the reports come back in input order as they finish, printed as a local
//! scan prints them.
//!
//! Uploads run ahead of the results on a few threads, as far as the key's quota allows (a 429
//! is waited out). Each accepted upload is appended to a state file with its job id, so a
//! second run with the same server and options sends nothing already sent: it collects the
//! results of those jobs and uploads only the rest.

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use fakescope_scan::MediaKind;
use fakescope_scan::walk::{Entry, walk};
use fakescope_scan::{FileReport, ScanSettings};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::cli::{GlobalArgs, ScanArgs};
use crate::print;

/// Uploads under way at once.
const UPLOADERS: usize = 4;

/// Gives up on a server that does not answer for this long.
const UNREACHABLE: Duration = Duration::from_secs(120);

/// One line of the state file: a file that was accepted as a job.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Sent {
    server: String,
    settings: String,
    path: String,
    bytes: u64,
    modified_ms: u128,
    id: String,
}

/// How the state file names a file: its absolute path, so that a run from another folder
/// finds what an earlier one sent.
fn state_key(path: &Path) -> String {
    std::fs::canonicalize(path)
        .unwrap_or_else(|_| path.to_owned())
        .display()
        .to_string()
}

/// What identifies a file's content for resuming: size and modification time.
fn stamp(path: &Path) -> Option<(u64, u128)> {
    let m = std::fs::metadata(path).ok()?;
    let modified = m.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
    Some((m.len(), modified.as_millis()))
}

/// The query string that asks the server for `settings` (every option under its own name).
fn query(settings: &ScanSettings) -> Result<String> {
    let value = serde_json::to_value(settings)?;
    let mut q: Vec<(String, String)> = Vec::new();
    for (k, v) in value.as_object().context("settings are an object")? {
        let text = match v {
            Value::Null => continue,
            Value::Array(items) if k == "detectors" => {
                if items.is_empty() {
                    continue;
                }
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(",")
            }
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        q.push((k.clone(), text));
    }
    Ok(q.iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&"))
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The API client: base URL, key, an agent that returns error statuses as responses.
#[derive(Clone)]
struct Client {
    base: String,
    key: Option<String>,
    agent: ureq::Agent,
}

impl Client {
    fn new(base: &str, key: Option<String>) -> Self {
        Client {
            base: base.trim_end_matches('/').to_owned(),
            key,
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(Duration::from_secs(600)))
                .build()
                .into(),
        }
    }

    fn auth<B>(&self, req: ureq::RequestBuilder<B>) -> ureq::RequestBuilder<B> {
        match &self.key {
            Some(k) => req.header("Authorization", &format!("Bearer {k}")),
            None => req,
        }
    }

    /// Runs a request until the server answers something other than "busy" (429, 503:
    /// waited out as Retry-After says) or a connection error (retried with backoff up to
    /// [`UNREACHABLE`]). Returns the status and the JSON body.
    fn call(
        &self,
        what: &str,
        mut send: impl FnMut() -> Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<(u16, Value)> {
        let started = Instant::now();
        let mut wait = Duration::from_millis(500);
        loop {
            match send() {
                Ok(mut resp) => {
                    let status = resp.status().as_u16();
                    if status == 429 || status == 503 {
                        let retry = resp
                            .headers()
                            .get("retry-after")
                            .and_then(|v| v.to_str().ok())
                            .and_then(|v| v.parse::<u64>().ok())
                            .unwrap_or(1);
                        std::thread::sleep(Duration::from_secs(retry.clamp(1, 60)));
                        continue;
                    }
                    let text = resp.body_mut().read_to_string().unwrap_or_default();
                    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
                    return Ok((status, body));
                }
                Err(e) => {
                    if started.elapsed() > UNREACHABLE {
                        bail!("{what}: {} does not answer: {e}", self.base);
                    }
                    std::thread::sleep(wait);
                    wait = (wait * 2).min(Duration::from_secs(10));
                }
            }
        }
    }

    /// Uploads a file; the job id.
    fn upload(&self, path: &Path, query: &str) -> Result<String> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "upload".into());
        let url = format!("{}/v1/scans?{query}&filename={}", self.base, encode(&name));
        let (status, body) = self.call(&format!("uploading {}", path.display()), || {
            let file = std::fs::File::open(path).map_err(ureq::Error::Io)?;
            self.auth(self.agent.post(&url))
                .header("Content-Type", "application/octet-stream")
                .send(ureq::SendBody::from_owned_reader(file))
        })?;
        if status != 202 {
            let message = problem(status, &body);
            // 413, 415, 422: this file; anything else (bad options, a refused key): every file.
            if matches!(status, 413 | 415 | 422) {
                bail!("{message}");
            }
            return Err(anyhow::Error::new(Fatal(message)));
        }
        body["id"]
            .as_str()
            .map(str::to_owned)
            .context("the server's answer has no job id")
    }

    /// Waits for a job to finish; `None` when the server no longer has it.
    fn result(&self, id: &str) -> Result<Option<Value>> {
        let url = format!("{}/v1/scans/{id}?wait=30", self.base);
        loop {
            let (status, body) = self.call("waiting for a result", || {
                self.auth(self.agent.get(&url)).call()
            })?;
            match status {
                200 if body["status"] == "done" || body["status"] == "failed" => {
                    return Ok(Some(body));
                }
                200 => continue,
                404 => return Ok(None),
                _ => bail!("{}", problem(status, &body)),
            }
        }
    }
}

/// An answer that no other file would get differently (bad options, a refused key): the run
/// stops with it.
#[derive(Debug)]
struct Fatal(String);

impl std::fmt::Display for Fatal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Fatal {}

/// A problem answer as one line: `403 Forbidden: detail`.
fn problem(status: u16, body: &Value) -> String {
    match (body["title"].as_str(), body["detail"].as_str()) {
        (Some(t), Some(d)) => format!("{status} {t}: {d}"),
        _ => format!("the server answered {status}: {body}"),
    }
}

/// The report of a finished job, named by the local path.
fn report_of(job: &Value, path: &Path) -> FileReport {
    let local = path.display().to_string();
    if job["status"] == "done"
        && let Ok(mut r) = serde_json::from_value::<FileReport>(job["result"].clone())
    {
        r.path = local;
        return r;
    }
    let error = job["error"].as_str().map_or_else(
        || format!("the server's answer is not a report: {job}"),
        str::to_owned,
    );
    FileReport::failed(
        local.clone(),
        MediaKind::Unknown,
        format!("{local}: {error}"),
    )
}

/// Runs `scan --submit`.
pub fn run(global: &GlobalArgs, args: &ScanArgs, server: &str) -> Result<bool> {
    // `--fusion NAME` names one of the server's fusions (`serve --fusion NAME=FILE`).
    for (given, flag) in [
        (args.heatmaps.is_some(), "--heatmaps"),
        (args.report.is_some(), "--report"),
    ] {
        if given {
            bail!("{flag} is not available with --submit: the server scans");
        }
    }
    if !server.starts_with("http://") && !server.starts_with("https://") {
        bail!("--submit `{server}`: give the server's URL, e.g. http://127.0.0.1:8080");
    }
    let settings = super::scan::settings(args);
    settings.scan_options().map_err(anyhow::Error::msg)?;
    let query = query(&settings)?;
    let key = args
        .key
        .clone()
        .or_else(|| std::env::var("FAKESCOPE_API_KEY").ok())
        .filter(|k| !k.is_empty());
    let client = Client::new(server, key);
    let settings_id = serde_json::to_string(&settings)?;

    // What earlier runs sent to this server with these options.
    let state_path = args
        .state
        .clone()
        .unwrap_or_else(|| PathBuf::from("fakescope-submit.jsonl"));
    let mut sent: HashMap<String, Sent> = HashMap::new();
    if let Ok(f) = std::fs::File::open(&state_path) {
        for line in std::io::BufReader::new(f).lines() {
            let line = line.with_context(|| format!("cannot read {}", state_path.display()))?;
            if let Ok(s) = serde_json::from_str::<Sent>(&line)
                && s.server == client.base
                && s.settings == settings_id
            {
                sent.insert(s.path.clone(), s);
            }
        }
    }
    let state = Arc::new(Mutex::new(
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&state_path)
            .with_context(|| format!("cannot open the state file {}", state_path.display()))?,
    ));

    // Every file, in order: unreadable ones are reported, not sent.
    let entries = walk(&args.paths);
    let files: Vec<(PathBuf, Option<String>)> = entries
        .into_iter()
        .map(|e| match e {
            Entry::File(p) => (p, None),
            Entry::Unreadable(p, why) => (p, Some(why)),
        })
        .collect();
    let resumed = files
        .iter()
        .filter(|(p, _)| {
            sent.get(&state_key(p))
                .is_some_and(|s| stamp(p) == Some((s.bytes, s.modified_ms)))
        })
        .count();
    if !global.quiet && resumed > 0 {
        eprintln!(
            "fakescope: {resumed} file(s) were sent by an earlier run ({}); collecting their results",
            state_path.display()
        );
    }

    // Uploaders: take file indices in order, send, report (index, job id or error).
    let (todo_tx, todo_rx) = mpsc::channel::<usize>();
    let todo_rx = Arc::new(Mutex::new(todo_rx));
    let (done_tx, done_rx) = mpsc::channel::<(usize, Result<String, anyhow::Error>)>();
    let files = Arc::new(files);
    let mut known: HashMap<usize, Result<String, anyhow::Error>> = HashMap::new();
    for (i, (path, unreadable)) in files.iter().enumerate() {
        if let Some(why) = unreadable {
            known.insert(i, Err(anyhow::anyhow!("{}: {why}", path.display())));
            continue;
        }
        match sent.get(&state_key(path)) {
            Some(s) if stamp(path) == Some((s.bytes, s.modified_ms)) => {
                known.insert(i, Ok(s.id.clone()));
            }
            _ => todo_tx.send(i)?,
        }
    }
    drop(todo_tx);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let uploaders: Vec<_> = (0..UPLOADERS)
        .map(|_| {
            let (todo, done, files, client, query, state, stop) = (
                todo_rx.clone(),
                done_tx.clone(),
                files.clone(),
                client.clone(),
                query.clone(),
                state.clone(),
                stop.clone(),
            );
            let (server, settings_id) = (client.base.clone(), settings_id.clone());
            std::thread::spawn(move || {
                loop {
                    if stop.load(std::sync::atomic::Ordering::Relaxed) {
                        return;
                    }
                    let next = todo.lock().unwrap_or_else(|p| p.into_inner()).recv();
                    let Ok(i) = next else { return };
                    let path = &files[i].0;
                    let outcome = client.upload(path, &query);
                    if let (Ok(id), Some((bytes, modified_ms))) = (&outcome, stamp(path)) {
                        let line = serde_json::to_string(&Sent {
                            server: server.clone(),
                            settings: settings_id.clone(),
                            path: state_key(path),
                            bytes,
                            modified_ms,
                            id: id.clone(),
                        })
                        .unwrap_or_default();
                        let mut f = state.lock().unwrap_or_else(|p| p.into_inner());
                        let _ = writeln!(f, "{line}").and_then(|_| f.flush());
                    }
                    if done.send((i, outcome)).is_err() {
                        return;
                    }
                }
            })
        })
        .collect();
    drop(done_tx);

    let progress = print::scan_progress(
        global.quiet,
        files.len(),
        format!("scanning on {}", client.base),
    );
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let (mut failed, mut scanned) = (0usize, 0usize);
    let mut header_done = args.json;
    for i in 0..files.len() {
        let path = &files[i].0;
        // The job of file i: known, or wait for the uploaders.
        let job = loop {
            if let Some(j) = known.remove(&i) {
                break j;
            }
            match done_rx.recv() {
                Ok((k, j)) => {
                    known.insert(k, j);
                }
                Err(_) => break Err(anyhow::anyhow!("the upload was not attempted")),
            }
        };
        let report = match job {
            Ok(id) => match client.result(&id) {
                Ok(Some(job)) => report_of(&job, path),
                Ok(None) => {
                    // Expired or deleted on the server: send it again.
                    match client
                        .upload(path, &query)
                        .and_then(|id| client.result(&id))
                    {
                        Ok(Some(job)) => report_of(&job, path),
                        Ok(None) => FileReport::failed(
                            path.display().to_string(),
                            MediaKind::Unknown,
                            format!("{}: the server lost the job", path.display()),
                        ),
                        Err(e) => {
                            stop.store(true, std::sync::atomic::Ordering::Relaxed);
                            return Err(e);
                        }
                    }
                }
                Err(e) => {
                    stop.store(true, std::sync::atomic::Ordering::Relaxed);
                    return Err(e);
                }
            },
            Err(e) if e.is::<Fatal>() => {
                stop.store(true, std::sync::atomic::Ordering::Relaxed);
                progress.finish_and_clear();
                return Err(e.context(format!("the server refused {}", path.display())));
            }
            Err(e) => FileReport::failed(
                path.display().to_string(),
                MediaKind::Unknown,
                format!("{e:#}"),
            ),
        };
        if report.error.is_some() {
            failed += 1;
        } else {
            scanned += 1;
        }
        progress.suspend(|| -> std::io::Result<()> {
            if !header_done {
                let names: Vec<&str> = report.detectors.iter().map(|d| d.name.as_str()).collect();
                let calibrated = if report.calibrated {
                    names.clone()
                } else {
                    Vec::new()
                };
                if report.error.is_none() {
                    print::table_header(&mut out, &names, &calibrated)?;
                    header_done = true;
                }
            }
            if args.json {
                print::json_line(&mut out, &report)
            } else {
                print::table_row(&mut out, &report)
            }?;
            out.flush()
        })?;
        progress.inc(1);
    }
    progress.finish_and_clear();
    for u in uploaders {
        let _ = u.join();
    }
    if !global.quiet {
        eprintln!(
            "{scanned} file(s) scanned on {}, {failed} failed; sent jobs are in {}",
            client.base,
            state_path.display()
        );
    }
    Ok(failed == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_become_the_servers_query() {
        let settings = ScanSettings {
            detectors: vec!["meso4-df".into(), "aasist".into()],
            crops: true,
            ..Default::default()
        };
        let q = query(&settings).unwrap();
        assert!(q.contains("detectors=meso4-df%2Caasist"), "{q}");
        assert!(q.contains("crops=true"), "{q}");
        // Every option the server reads back gives the same settings.
        let (back, _) = fakescope_serve::api::parse_query(&q).unwrap();
        assert_eq!(back, settings.normalized());
        assert_eq!(encode("a b/é"), "a%20b%2F%C3%A9");
    }
}
