//! Workers: tasks that claim queued jobs and scan them on the blocking pool, the same in
//! `fakescope serve` (its in-process workers) and in `fakescope worker` (no HTTP, a shared
//! store only); and the retention sweep of API nodes.
//!
//! A claim is held under a lease that a renewal task extends every third of the lease while
//! the scan runs. When a renewal finds the claim gone (another worker took the job over
//! after this one was cut off from the store for too long), the result is thrown away:
//! [`JobStore::finish`](crate::store::JobStore::finish) would refuse it anyway. A store that
//! cannot be reached is retried with exponential backoff (1 s to 30 s), and a finished
//! result is kept until the store takes it or the claim is lost: no job is lost and none is
//! finished twice.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::api::State;
use crate::store::{ClaimFilter, Job, Status, StoreError, WorkerState};
use crate::time::now_ms;

/// How a process's workers take jobs.
#[derive(Debug, Clone, Serialize)]
pub struct WorkerOptions {
    /// Scans at once.
    pub slots: usize,
    /// Which jobs they take.
    pub filter: ClaimFilter,
    /// How long a claim lasts without renewal (a dead worker's job is taken over after this).
    pub lease: Duration,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        WorkerOptions {
            slots: (cores / 2).max(1),
            filter: ClaimFilter::default(),
            lease: Duration::from_secs(30),
        }
    }
}

/// What the workers of one process share.
pub(crate) struct Workers {
    /// `host:pid:random`, the name claims are made under.
    pub(crate) id: String,
    pub(crate) options: WorkerOptions,
    role: &'static str,
    started_at: i64,
    /// False when the models could not be loaded: no job is taken.
    healthy: AtomicBool,
    error: std::sync::Mutex<Option<String>>,
    done: AtomicI64,
    /// Set by a shutdown signal: no new claims.
    pub(crate) stopping: AtomicBool,
    /// Scans under way.
    running: std::sync::atomic::AtomicUsize,
}

impl Workers {
    pub(crate) fn new(role: &'static str, options: WorkerOptions) -> Self {
        let host = hostname();
        let id = format!(
            "{host}:{}:{}",
            std::process::id(),
            crate::keys::random_id(4).unwrap_or_default()
        );
        Workers {
            id,
            options,
            role,
            started_at: now_ms(),
            // A worker takes no job before its models have loaded once (see `health`).
            healthy: AtomicBool::new(role != "worker"),
            error: std::sync::Mutex::new(None),
            done: AtomicI64::new(0),
            stopping: AtomicBool::new(false),
            running: Default::default(),
        }
    }

    /// How this process reports itself.
    pub(crate) fn state(&self) -> WorkerState {
        WorkerState {
            id: self.id.clone(),
            role: self.role.to_owned(),
            host: hostname(),
            pid: std::process::id(),
            slots: self.options.slots as u32,
            started_at: self.started_at,
            healthy: self.healthy.load(Ordering::Relaxed),
            error: self.error.lock().unwrap_or_else(|p| p.into_inner()).clone(),
            filter: self.options.filter.clone(),
            jobs_done: self.done.load(Ordering::Relaxed),
            seen_s_ago: None,
        }
    }

    /// Whether jobs are taken.
    pub(crate) fn healthy(&self) -> bool {
        self.healthy.load(Ordering::Relaxed)
    }

    /// Scans under way.
    pub(crate) fn running(&self) -> usize {
        self.running.load(Ordering::Relaxed)
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// Starts the workers (none when `slots` is 0), the health check and, on a shared store, the
/// heartbeat that tells the store this process is alive.
pub(crate) fn start(state: State) {
    let slots = state.workers.options.slots;
    for _ in 0..slots {
        tokio::spawn(work(state.clone()));
    }
    // A worker that cannot load its models takes no jobs; a server scans what it can (it
    // warns at start when the default detectors do not load).
    if slots > 0 && state.workers.role == "worker" {
        tokio::spawn(health(state.clone()));
    }
    if state.store.is_shared() {
        tokio::spawn(heartbeat(state));
    }
}

/// Loads the models the workers need; unhealthy (and taking no jobs) while that fails,
/// tried again every minute.
async fn health(state: State) {
    let settings = crate::ScanSettings {
        detectors: state.workers.options.filter.detectors.clone(),
        ..Default::default()
    };
    let mut first = true;
    loop {
        let engine = state.engine.clone();
        let s = settings.clone();
        let loaded = tokio::task::spawn_blocking(move || engine.prepare(&s))
            .await
            .unwrap_or_else(|e| Err(format!("loading the models failed: {e}")));
        let ok = loaded.is_ok();
        if let Err(e) = &loaded {
            if first {
                eprintln!("fakescope: unhealthy, taking no jobs: cannot load the models: {e}");
            }
        } else if !first {
            eprintln!("fakescope: the models load now; taking jobs");
        }
        first = false;
        *state
            .workers
            .error
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = loaded.err();
        state.workers.healthy.store(ok, Ordering::Relaxed);
        if state.store.is_shared() {
            // Tell the store now, not at the next heartbeat.
            let (store, w) = (state.store.clone(), state.workers.state());
            let _ = tokio::task::spawn_blocking(move || store.worker_seen(&w)).await;
        }
        if ok {
            return;
        }
        tokio::time::sleep(Duration::from_secs(60)).await;
    }
}

/// Every 10 s: this process is alive (and healthy or not). Removed from the store's list
/// when it stops cleanly.
async fn heartbeat(state: State) {
    loop {
        let w = state.workers.state();
        let store = state.store.clone();
        if let Ok(Err(e)) = tokio::task::spawn_blocking(move || store.worker_seen(&w)).await {
            eprintln!("fakescope: cannot report to the store: {e}");
        }
        tokio::time::sleep(Duration::from_secs(10)).await;
    }
}

/// Removes this process from the store's list of workers (clean stop).
pub(crate) async fn leave(state: &State) {
    if state.store.is_shared() {
        let store = state.store.clone();
        let id = state.workers.id.clone();
        let _ = tokio::task::spawn_blocking(move || store.worker_gone(&id)).await;
    }
}

/// Exponential backoff between failed store calls: 1 s doubling to 30 s.
struct Backoff(Duration);

impl Backoff {
    fn new() -> Self {
        Backoff(Duration::from_secs(1))
    }
    async fn wait(&mut self) {
        tokio::time::sleep(self.0).await;
        self.0 = (self.0 * 2).min(Duration::from_secs(30));
    }
}

async fn work(state: State) {
    let mut backoff = Backoff::new();
    // How long an idle worker waits before looking again: on a shared store jobs also come
    // from other processes, which cannot wake this one. After 10 s with an empty queue it looks
    // every 2 s instead of every 250 ms, so an idle cluster does not keep its database busy
    // and a batch (whose queue empties for moments) is not slowed.
    let shortest = if state.store.is_shared() {
        Duration::from_millis(250)
    } else {
        Duration::from_secs(2)
    };
    let mut empty_since: Option<Instant> = None;
    let mut failing = false;
    loop {
        if state.workers.stopping.load(Ordering::Relaxed) {
            return;
        }
        if !state.workers.healthy() {
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        let claimed = {
            let store = state.store.clone();
            let (id, filter, lease) = (
                state.workers.id.clone(),
                state.workers.options.filter.clone(),
                state.workers.options.lease,
            );
            tokio::task::spawn_blocking(move || store.claim(&id, &filter, lease)).await
        };
        let job = match claimed {
            Ok(Ok(Some(job))) => job,
            Ok(Ok(None)) => {
                if std::mem::take(&mut failing) {
                    eprintln!("fakescope: the job store answers again");
                }
                backoff = Backoff::new();
                // Woken by a new job, or look again after a while.
                let since = *empty_since.get_or_insert_with(Instant::now);
                let idle = if since.elapsed() < Duration::from_secs(10) {
                    shortest
                } else {
                    Duration::from_secs(2)
                };
                let _ = tokio::time::timeout(idle, state.queued.notified()).await;
                continue;
            }
            Ok(Err(e)) => {
                if !std::mem::replace(&mut failing, true) {
                    eprintln!("fakescope: cannot claim a job (retrying with backoff): {e}");
                }
                backoff.wait().await;
                continue;
            }
            Err(e) => {
                eprintln!("fakescope: worker task failed: {e}");
                continue;
            }
        };
        backoff = Backoff::new();
        empty_since = None;
        state.workers.running.fetch_add(1, Ordering::Relaxed);
        run(&state, job).await;
        state.workers.running.fetch_sub(1, Ordering::Relaxed);
        state.finished.notify_waiters();
    }
}

async fn run(state: &State, job: Job) {
    let started = Instant::now();
    let lost = Arc::new(AtomicBool::new(false));
    let renewal = tokio::spawn(renew(state.clone(), job.clone(), lost.clone()));
    // A store that cannot give the upload now is no fault of the job: try again (the lease is
    // renewed meanwhile) until it can, or until another worker has taken the job over.
    let mut backoff = Backoff::new();
    let outcome = loop {
        let attempt = {
            let state = state.clone();
            let job = job.clone();
            tokio::task::spawn_blocking(move || scan(&state, &job))
                .await
                .unwrap_or_else(|e| {
                    Err(ScanError::Job(format!(
                        "the scan stopped unexpectedly: {e}"
                    )))
                })
        };
        match attempt {
            Err(ScanError::Store(e)) => {
                if lost.load(Ordering::Relaxed) || state.workers.stopping.load(Ordering::Relaxed) {
                    renewal.abort();
                    return;
                }
                eprintln!("fakescope: job {}: {e} (retrying)", job.id);
                backoff.wait().await;
            }
            Err(ScanError::Job(e)) => break Err(e),
            Ok(report) => break Ok(report),
        }
    };
    renewal.abort();
    let status = if outcome.is_ok() {
        Status::Done
    } else {
        Status::Failed
    };
    state
        .metrics
        .scan(&job.media, status, started.elapsed().as_secs_f64());
    backoff = Backoff::new();
    loop {
        if lost.load(Ordering::Relaxed) {
            eprintln!(
                "fakescope: job {} was taken over by another worker; this result is dropped",
                job.id
            );
            return;
        }
        let store = state.store.clone();
        let (j, id, o) = (job.clone(), state.workers.id.clone(), outcome.clone());
        match tokio::task::spawn_blocking(move || store.finish(&j, &id, o)).await {
            Ok(Ok(true)) => {
                state.workers.done.fetch_add(1, Ordering::Relaxed);
                return;
            }
            // Deleted meanwhile, or taken over: nothing to store.
            Ok(Ok(false)) => return,
            Ok(Err(e)) if e.is_transient() => {
                eprintln!("fakescope: cannot store job {} yet (retrying): {e}", job.id);
                backoff.wait().await;
            }
            Ok(Err(e)) => {
                eprintln!("fakescope: cannot store job {}: {e}", job.id);
                return;
            }
            Err(e) => {
                eprintln!("fakescope: cannot store job {}: {e}", job.id);
                return;
            }
        }
    }
}

/// Extends the claim every third of the lease; marks it lost when the store says it is no
/// longer this worker's. A store that does not answer is tried again at the next tick.
async fn renew(state: State, job: Job, lost: Arc<AtomicBool>) {
    let lease = state.workers.options.lease;
    loop {
        tokio::time::sleep(lease / 3).await;
        let store = state.store.clone();
        let (j, id) = (job.clone(), state.workers.id.clone());
        match tokio::task::spawn_blocking(move || store.renew(&j, &id, lease)).await {
            Ok(Ok(true)) => {}
            Ok(Ok(false)) => {
                lost.store(true, Ordering::Relaxed);
                return;
            }
            Ok(Err(e)) => eprintln!("fakescope: cannot renew the claim of job {}: {e}", job.id),
            Err(_) => return,
        }
    }
}

/// Why a job's upload is not at hand.
#[derive(Debug)]
pub(crate) enum UploadError {
    /// Deleted (the job expired or was deleted).
    Gone,
    /// The shared store could not give it now.
    Fetch(String),
}

impl std::fmt::Display for UploadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UploadError::Gone => f.write_str("the upload is no longer stored"),
            UploadError::Fetch(e) => write!(f, "cannot fetch the upload from the store: {e}"),
        }
    }
}

/// The upload of a job as a local file: from the upload folder, or read from a shared store
/// into a private temporary file (then `true`: the caller removes it when done, so no process
/// keeps copies of what the store holds).
pub(crate) fn local_upload(state: &State, sha256: &str) -> Result<(PathBuf, bool), UploadError> {
    if let Some(p) = state.blobs.path(sha256).filter(|p| p.is_file()) {
        return Ok((p, false));
    }
    if !state.store.is_shared() {
        return Err(UploadError::Gone);
    }
    let store = state.store.clone();
    let fetched = state
        .blobs
        .import(sha256, |out| {
            store
                .read_upload(sha256, out)
                .map_err(|e: StoreError| std::io::Error::other(e.to_string()))
        })
        .map_err(|e| UploadError::Fetch(e.to_string()))?;
    fetched.map(|p| (p, true)).ok_or(UploadError::Gone)
}

/// Scans a job's upload; the report as JSON, or why it could not be scanned.
/// Why a scan gave no report.
enum ScanError {
    /// The job's fault (or the file's): stored as its error.
    Job(String),
    /// The store could not give the upload now: tried again.
    Store(String),
}

fn scan(state: &State, job: &Job) -> Result<String, ScanError> {
    let settings: crate::ScanSettings = serde_json::from_str(&job.settings)
        .map_err(|e| ScanError::Job(format!("the job's stored settings are unreadable: {e}")))?;
    let (path, temporary) = local_upload(state, &job.sha256).map_err(|e| match e {
        UploadError::Gone => ScanError::Job(e.to_string()),
        UploadError::Fetch(_) => ScanError::Store(e.to_string()),
    })?;
    let report = state.engine.scan(&settings, &path);
    if temporary {
        let _ = std::fs::remove_file(&path);
    }
    let mut report = report.map_err(ScanError::Job)?;
    report.path = job.filename.clone();
    if let Some(e) = report.error.take() {
        // Name the upload, not the path it is stored under.
        let stored = path.display().to_string();
        return Err(ScanError::Job(e.replace(&stored, &job.filename)));
    }
    serde_json::to_string(&report)
        .map_err(|e| ScanError::Job(format!("cannot encode the report: {e}")))
}

/// Every ten minutes: delete jobs finished longer ago than the retention, and their uploads
/// when no other job uses them. At start-up (and on a shared store every time, since other
/// nodes delete jobs too), also local copies of uploads no job refers to.
pub(crate) async fn sweep(state: State) {
    let mut first = true;
    loop {
        // Under the write lock: an upload that is being stored for a new job must not lose its
        // file between the job's insertion and the removal of an "unreferenced" blob.
        let guard = state.blob_lock.clone().write_owned().await;
        let state2 = state.clone();
        let strays = first || state.store.is_shared();
        let swept = tokio::task::spawn_blocking(move || -> Result<usize, String> {
            let _guard = guard;
            let before = now_ms() - state2.config.retention.as_millis() as i64;
            let orphans = state2.store.expire(before).map_err(|e| e.to_string())?;
            for sha in &orphans {
                state2.blobs.remove(sha).map_err(|e| e.to_string())?;
            }
            if strays {
                let keep: HashSet<String> = state2
                    .store
                    .all_uploads()
                    .map_err(|e| e.to_string())?
                    .into_iter()
                    .collect();
                state2
                    .blobs
                    .remove_strays(&keep)
                    .map_err(|e| e.to_string())?;
            }
            Ok(orphans.len())
        })
        .await;
        if let Ok(Err(e)) = swept {
            eprintln!("fakescope serve: retention sweep failed: {e}");
        }
        first = false;
        tokio::time::sleep(Duration::from_secs(600).min(state.config.retention)).await;
    }
}
