//! `fakescope serve`: the scan pipeline behind an HTTP API, with jobs that survive crashes.
//!
//! ```text
//! client ──POST /v1/scans (file)──► upload: streamed, sniffed, size-checked, hashed,
//!                                   fsynced, renamed into blobs/<sha256>   (blobs)
//!                                ─► job row "queued" in SQLite (WAL)       (store)
//!        ◄── 202 {"id", "status": "queued"}
//! worker pool ──claim (queued → running)──► Engine::scan ──► result + "done" in one transaction
//! client ──GET /v1/scans/{id}?wait=10──► the job, with the same JSON object `scan --json` prints
//! ```
//!
//! - [`store::JobStore`]: jobs and API keys in one SQLite file (the default), or in a PostgreSQL
//!   database shared by many `fakescope serve` and `fakescope worker` processes
//!   (`--store postgres://…`; the uploads then live in the database too). A job becomes
//!   visible only after its upload is complete; its result and its `done` status are written
//!   in one transaction, by the current claim only; jobs of a crashed process go back to the
//!   queue (at start-up for SQLite, when their lease expires for PostgreSQL).
//! - [`blobs::Blobs`]: the content-addressed folder of uploads (`<data>/blobs/ab/abcd…`),
//!   written through a temporary file, synced and renamed, so a half-written upload is never
//!   seen under its name.
//! - [`api`]: the routes, keys, limits, RFC 9457 problem details.
//! - [`worker`]: the workers, in `serve` and in `fakescope worker` ([`work`]): claim, renew
//!   the lease while scanning, store the result; backoff while the store is away.
//! - [`Engine`]: what runs a scan. The binary implements it with the real detectors; the crate
//!   needs nothing but this trait, so every detector the binary knows is served.
#![deny(missing_docs)]

pub mod api;
pub mod blobs;
pub mod keys;
pub mod limits;
pub mod metrics;
pub mod openapi;
pub mod problem;
pub mod store;
#[doc(hidden)]
pub mod temp_postgres;
pub mod time;
pub mod web;
pub mod worker;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub use fakescope_scan::{FileReport, ScanSettings};

/// Runs scans for the server. Implemented by the binary with the detectors it loads.
pub trait Engine: Send + Sync + 'static {
    /// Checks that the settings can be scanned (detectors known and installed, options in
    /// range) and gets them ready; an error is the client's mistake and is answered 400.
    fn prepare(&self, settings: &ScanSettings) -> Result<(), String>;
    /// Scans one stored upload. `path` is the file; the report's `path` is replaced by the
    /// upload's name afterwards.
    fn scan(&self, settings: &ScanSettings, path: &Path) -> Result<FileReport, String>;
    /// The detectors a scan can use, for `GET /v1/detectors`.
    fn detectors(&self) -> serde_json::Value;
    /// The models (installed or not), for `GET /v1/models`.
    fn models(&self) -> serde_json::Value;
    /// The detectors a scan with these settings runs (the defaults spelled out when the
    /// settings name none), so that workers restricted to some detectors take only the jobs
    /// they can do.
    fn detector_names(&self, settings: &ScanSettings) -> Vec<String> {
        settings.detectors.clone()
    }
    /// The fusions a request may name (`fusion=NAME`), with the detectors each combines, for
    /// `GET /v1/detectors`.
    fn fusions(&self) -> serde_json::Value {
        serde_json::Value::Array(Vec::new())
    }
}

/// Upload limits per kind of media, checked while the upload streams in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadLimits {
    /// Largest image, in bytes (default 20 MB).
    pub image_bytes: u64,
    /// Largest audio file, in bytes (default 100 MB).
    pub audio_bytes: u64,
    /// Largest video, in bytes (default 500 MB).
    pub video_bytes: u64,
}

impl Default for UploadLimits {
    fn default() -> Self {
        UploadLimits {
            image_bytes: 20_000_000,
            audio_bytes: 100_000_000,
            video_bytes: 500_000_000,
        }
    }
}

impl UploadLimits {
    /// The largest upload of any kind: what a body may reach before its kind is known.
    pub fn largest(&self) -> u64 {
        self.image_bytes.max(self.audio_bytes).max(self.video_bytes)
    }
}

/// How the server runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on (default 127.0.0.1:8080).
    pub bind: SocketAddr,
    /// Folder of the store (`fakescope.db`) and the uploads.
    pub data_dir: PathBuf,
    /// The job store: `None` for the SQLite file in `data_dir`, or a PostgreSQL URL shared
    /// with other processes.
    pub store: Option<String>,
    /// Serve without API keys (only allowed on a loopback address).
    pub no_auth: bool,
    /// How this process scans: slots (scans at once; default half the cores, at least 1;
    /// 0 for an API node that only takes uploads), which jobs, the lease.
    pub workers: worker::WorkerOptions,
    /// Results and uploads are deleted this long after the job finished.
    pub retention: Duration,
    /// Upload size limits.
    pub uploads: UploadLimits,
    /// Requests a key may make per minute (burst: the same number).
    pub rate_per_minute: u32,
    /// Jobs a key may have queued or running at once.
    pub max_active_jobs: u32,
    /// A request without progress for this long is cut (slow clients); also the time limit
    /// of requests other than uploads.
    pub idle_timeout: Duration,
    /// The longest a whole upload may take.
    pub upload_timeout: Duration,
    /// Longest time a client may take to send a request's head: method, path and headers
    /// (default 10 s).
    pub header_timeout: Duration,
}

impl Config {
    /// The defaults with the given data folder.
    pub fn new(data_dir: PathBuf) -> Self {
        Config {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir,
            store: None,
            no_auth: false,
            workers: worker::WorkerOptions::default(),
            retention: Duration::from_secs(7 * 24 * 3600),
            uploads: UploadLimits::default(),
            rate_per_minute: 120,
            max_active_jobs: 16,
            idle_timeout: Duration::from_secs(30),
            upload_timeout: Duration::from_secs(15 * 60),
            header_timeout: Duration::from_secs(10),
        }
    }

    /// Opens this configuration's store. A shared store that does not answer yet (a database
    /// starting beside this process) is waited for, up to a minute.
    pub fn open_store(&self) -> Result<Box<dyn store::JobStore>, store::StoreError> {
        let started = std::time::Instant::now();
        let mut wait = Duration::from_secs(1);
        loop {
            match store::open(self.store.as_deref(), &self.data_dir) {
                Err(e) if e.is_transient() && started.elapsed() < Duration::from_secs(60) => {
                    eprintln!("fakescope: waiting for the job store: {e}");
                    std::thread::sleep(wait);
                    wait = (wait * 2).min(Duration::from_secs(10));
                }
                other => return other,
            }
        }
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// `--no-auth` on an address others can reach.
    #[error(
        "--no-auth is only allowed on a loopback address (127.0.0.1 or ::1), not {0}: anyone who can reach it could use the server"
    )]
    NoAuthNotLoopback(SocketAddr),
    /// The store could not be opened.
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// `fakescope worker` on a store only one process may use.
    #[error(
        "`fakescope worker` needs a shared store (--store postgres://…); {0} belongs to one `fakescope serve` process, whose own workers scan"
    )]
    NotShared(String),
    /// Other I/O.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Opens the store, recovers interrupted jobs, binds, and serves until Ctrl-C / SIGTERM.
/// `ready` is called with the bound address (the port is chosen by the system when the
/// configuration asks for port 0).
pub async fn serve(
    config: Config,
    engine: Arc<dyn Engine>,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), StartError> {
    if config.no_auth && !config.bind.ip().is_loopback() {
        return Err(StartError::NoAuthNotLoopback(config.bind));
    }
    std::fs::create_dir_all(&config.data_dir)?;
    let store = {
        let config = config.clone();
        tokio::task::spawn_blocking(move || config.open_store())
            .await
            .map_err(std::io::Error::other)??
    };
    let blobs = blobs::Blobs::open(&config.data_dir.join("blobs"))?;
    let recovered = store.recover()?;
    if recovered > 0 {
        eprintln!("fakescope serve: {recovered} interrupted job(s) queued again");
    }
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .map_err(|source| StartError::Bind {
            addr: config.bind,
            source,
        })?;
    let addr = listener.local_addr()?;
    let state = api::State::new(config, store, blobs, engine, "serve");
    worker::start(state.clone());
    tokio::spawn(worker::sweep(state.clone()));
    let app = api::router(state.clone());
    ready(addr);
    accept(listener, app, state.config.header_timeout).await;
    state
        .workers
        .stopping
        .store(true, std::sync::atomic::Ordering::Relaxed);
    worker::leave(&state).await;
    Ok(())
}

/// `fakescope worker`: scans the jobs of a shared store, no HTTP, until Ctrl-C / SIGTERM; then
/// finishes the scans under way (up to [`SHUTDOWN_GRACE`] × 6) and leaves. `ready` is called
/// once the store is open, with this worker's id.
pub async fn work(
    config: Config,
    engine: Arc<dyn Engine>,
    ready: impl FnOnce(&str),
) -> Result<(), StartError> {
    std::fs::create_dir_all(&config.data_dir)?;
    let store = {
        let config = config.clone();
        tokio::task::spawn_blocking(move || config.open_store())
            .await
            .map_err(std::io::Error::other)??
    };
    if !store.is_shared() {
        return Err(StartError::NotShared(store.describe()));
    }
    let blobs = blobs::Blobs::open(&config.data_dir.join("blobs"))?;
    let state = api::State::new(config, store, blobs, engine, "worker");
    worker::start(state.clone());
    ready(&state.workers.id);
    shutdown_signal().await;
    state
        .workers
        .stopping
        .store(true, std::sync::atomic::Ordering::Relaxed);
    eprintln!("fakescope worker: stopping; finishing the scans under way");
    // Scans under way end within the grace, or their leases expire and others take them.
    let _ = tokio::time::timeout(SHUTDOWN_GRACE * 6, state.idle()).await;
    worker::leave(&state).await;
    Ok(())
}

/// Serves connections until Ctrl-C / SIGTERM, then lets open requests finish (at most
/// [`SHUTDOWN_GRACE`]). Unlike `axum::serve`, HTTP/1 connections have a timer, so a client that
/// sends its request head too slowly (`header_timeout`) is disconnected instead of
/// holding a connection for ever.
async fn accept(listener: tokio::net::TcpListener, app: axum::Router, header_timeout: Duration) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown_signal());
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(c) => c,
                Err(e) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    eprintln!("fakescope serve: cannot accept a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let service = hyper_util::service::TowerToHyperService::new(
            app.clone()
                .layer(axum::Extension(axum::extract::ConnectInfo(remote))),
        );
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(header_timeout)
            .serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // A client that goes away mid-request is not the server's error.
            let _ = connection.await;
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        eprintln!("fakescope serve: requests still open after {SHUTDOWN_GRACE:?}; stopping");
    }
}

/// How long open requests may take to finish after a shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
