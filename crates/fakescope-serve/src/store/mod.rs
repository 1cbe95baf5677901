//! The job store: jobs, their results, the API keys and (when shared) the uploads.
//!
//! Two back ends behind one trait, [`JobStore`]:
//!
//! - [`sqlite::SqliteStore`], the default: one SQLite file (WAL, synchronous writes) in the
//!   data folder, for one `fakescope serve` process and its in-process workers.
//! - [`postgres::PgStore`] (`--store postgres://…`): one PostgreSQL database shared by any
//!   number of `fakescope serve` and `fakescope worker` processes on any number of machines.
//!   Jobs are claimed with `FOR UPDATE SKIP LOCKED` and held under a lease that the worker
//!   renews; the uploads live in the database too, so a worker on another machine can read
//!   them.
//!
//! A job's life: `queued` (inserted only once its upload is complete) → `running` (claimed by
//! a worker, `attempts` counted) → `done` with its result, or `failed` with an error, each
//! written in one transaction. A result is written only by the claim that is still current:
//! the worker names itself and the attempt it holds ([`JobStore::finish`]), so a worker whose
//! lease expired and whose job was taken over writes nothing, and every job is finished once.
//! A job interrupted [`MAX_ATTEMPTS`] times (a crash, a worker killed) fails with the reason
//! instead of taking workers down again and again.

pub mod postgres;
pub mod sqlite;

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use serde::Serialize;

/// How many times a job may be started before an interruption counts as its failure.
pub const MAX_ATTEMPTS: i64 = 3;

/// A store error: the back end's message with what we were doing.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed.
    #[error("{what}: {source}")]
    Sqlite {
        /// What the store was doing.
        what: &'static str,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
    /// PostgreSQL failed or could not be reached.
    #[error("{what}: {}", with_cause(.source))]
    Postgres {
        /// What the store was doing.
        what: &'static str,
        /// The client's error.
        #[source]
        source: ::postgres::Error,
    },
    /// The store was written by a newer fakescope.
    #[error(
        "{store} has schema version {found}, written by a newer fakescope; this one knows versions up to {known}: upgrade this binary (a store is never downgraded)"
    )]
    Newer {
        /// Which store.
        store: String,
        /// Its version.
        found: i64,
        /// The newest this binary knows.
        known: i64,
    },
    /// A `--store` value that names no store.
    #[error("{0}")]
    Location(String),
    /// Reading or writing an upload.
    #[error("{what}: {source}")]
    Io {
        /// What the store was doing.
        what: &'static str,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The operating system gave no random bytes for an id or a key.
    #[error("cannot draw random bytes for an id: {0}")]
    Random(#[source] std::io::Error),
}

/// The client's message and the cause under it ("error connecting to server: Connection
/// refused"), which its own message leaves out.
fn with_cause(e: &::postgres::Error) -> String {
    use std::error::Error as _;
    match e.source() {
        Some(cause) if !e.to_string().contains(&cause.to_string()) => format!("{e}: {cause}"),
        _ => e.to_string(),
    }
}

impl StoreError {
    /// True when the store could not be reached or is busy, and trying again later may work
    /// (as opposed to a refused request or a bug).
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::Sqlite { source, .. } => matches!(
                source.sqlite_error_code(),
                Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
            ),
            StoreError::Postgres { source, .. } => {
                source.is_closed() || source.as_db_error().is_none()
            }
            _ => false,
        }
    }
}

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Accepted, waiting for a worker.
    Queued,
    /// A worker is scanning it.
    Running,
    /// Finished; the result is stored.
    Done,
    /// Could not be scanned; the error says why.
    Failed,
}

impl Status {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Queued => "queued",
            Status::Running => "running",
            Status::Done => "done",
            Status::Failed => "failed",
        }
    }

    /// Parses a stored or requested status.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "queued" => Status::Queued,
            "running" => Status::Running,
            "done" => Status::Done,
            "failed" => Status::Failed,
            _ => return None,
        })
    }

    /// Done or failed: nothing more will happen to the job.
    pub fn is_final(self) -> bool {
        matches!(self, Status::Done | Status::Failed)
    }

    /// Every status, in the order of a job's life.
    pub const ALL: [Status; 4] = [
        Status::Queued,
        Status::Running,
        Status::Done,
        Status::Failed,
    ];
}

/// A job as stored.
#[derive(Debug, Clone)]
pub struct Job {
    /// Random id (32 hex digits).
    pub id: String,
    /// The key id that submitted it (`local` without authentication).
    pub owner: String,
    /// Where it is.
    pub status: Status,
    /// The upload's file name, as the client gave it (sanitised).
    pub filename: String,
    /// `image`, `audio` or `video`, by content.
    pub media: String,
    /// Upload size.
    pub bytes: i64,
    /// SHA-256 of the upload (its name in the blob folder).
    pub sha256: String,
    /// The scan settings, normalised JSON.
    pub settings: String,
    /// Milliseconds since the epoch.
    pub created_at: i64,
    /// When a worker last started it.
    pub started_at: Option<i64>,
    /// When it was done or failed.
    pub finished_at: Option<i64>,
    /// Times a worker started it; with the worker's id, it names the current claim.
    pub attempts: i64,
    /// The scan's report (JSON), when done.
    pub result: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
    /// Answered from the stored result of an earlier job with the same file and settings.
    pub cached: bool,
}

impl Job {
    /// A job as [`JobStore::insert_job`] makes it: queued, or done at once with `earlier`, the
    /// stored result of the same file and settings.
    pub(crate) fn inserted(id: String, new: NewJob, now: i64, earlier: Option<String>) -> Job {
        let cached = earlier.is_some();
        Job {
            id,
            owner: new.owner,
            status: if cached { Status::Done } else { Status::Queued },
            filename: new.filename,
            media: new.media,
            bytes: new.bytes,
            sha256: new.sha256,
            settings: new.settings,
            created_at: now,
            started_at: None,
            finished_at: cached.then_some(now),
            attempts: 0,
            result: earlier,
            error: None,
            cached,
        }
    }
}

/// The error of a job whose scans were interrupted [`MAX_ATTEMPTS`] times.
pub(crate) fn interrupted_too_often() -> String {
    format!(
        "the scan was interrupted {MAX_ATTEMPTS} times (the process scanning this file stopped or \
         was killed each time); it is not tried again"
    )
}

/// Counts per status from `(status, count)` rows, with every status present.
pub(crate) fn every_status(rows: Vec<(String, i64)>) -> Vec<(Status, i64)> {
    Status::ALL
        .into_iter()
        .map(|s| {
            let n = rows
                .iter()
                .find(|(name, _)| name == s.as_str())
                .map_or(0, |r| r.1);
            (s, n)
        })
        .collect()
}

/// An API key as stored (never the key itself).
#[derive(Debug, Clone, Serialize)]
pub struct Key {
    /// Public id (16 hex digits), used to list and revoke.
    pub id: String,
    /// A name for people.
    pub name: String,
    /// Milliseconds since the epoch.
    pub created_at: i64,
    /// When revoked.
    pub revoked_at: Option<i64>,
    /// Requests per minute; `None`: the server's default.
    pub rate_per_minute: Option<u32>,
    /// Active jobs at once; `None`: the server's default.
    pub max_active_jobs: Option<u32>,
}

/// A job to insert: its upload is already stored in the local upload folder.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// Key id.
    pub owner: String,
    /// Sanitised file name.
    pub filename: String,
    /// Media kind.
    pub media: String,
    /// Bytes.
    pub bytes: i64,
    /// SHA-256 hex.
    pub sha256: String,
    /// Normalised settings JSON.
    pub settings: String,
    /// The detectors the scan will run (the defaults spelled out), so that workers restricted
    /// to some detectors take only the jobs they can do.
    pub detectors: Vec<String>,
}

/// Which jobs a worker takes. Empty lists: any.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ClaimFilter {
    /// Media kinds (`image`, `audio`, `video`).
    pub media: Vec<String>,
    /// Detectors: a job is taken only when every detector it needs is among these.
    pub detectors: Vec<String>,
}

/// A worker process as it reports itself to a shared store.
#[derive(Debug, Clone, Serialize)]
pub struct WorkerState {
    /// `host:pid:random`.
    pub id: String,
    /// `serve` (API node that may scan) or `worker`.
    pub role: String,
    /// The machine's name.
    pub host: String,
    /// Process id.
    pub pid: u32,
    /// Scans it runs at once (0 for an API node that does not scan).
    pub slots: u32,
    /// Milliseconds since the epoch (its own clock).
    pub started_at: i64,
    /// Whether it takes jobs: false when it could not load its models.
    pub healthy: bool,
    /// Why it is unhealthy.
    pub error: Option<String>,
    /// What it takes.
    pub filter: ClaimFilter,
    /// Jobs it finished.
    pub jobs_done: i64,
    /// Seconds since the store last heard from it (the store's clock); filled when listed.
    pub seen_s_ago: Option<f64>,
}

/// What every store does. Calls block; async callers run them on the blocking pool.
pub trait JobStore: Send + Sync + 'static {
    /// For messages: `SQLite /path/fakescope.db`, `PostgreSQL host:port/db`.
    fn describe(&self) -> String;
    /// Whether processes on other machines share this store: uploads then live in it and are
    /// read back by [`JobStore::read_upload`].
    fn is_shared(&self) -> bool;
    /// Checks that the store answers (readiness).
    fn ping(&self) -> Result<(), StoreError>;

    /// Creates a key; returns it as stored and the key itself (shown once).
    fn create_key(
        &self,
        name: &str,
        rate_per_minute: Option<u32>,
        max_active_jobs: Option<u32>,
    ) -> Result<(Key, String), StoreError>;
    /// Every key, oldest first.
    fn list_keys(&self) -> Result<Vec<Key>, StoreError>;
    /// Revokes a key by id; false when there is no such key or it was revoked already.
    fn revoke_key(&self, id: &str) -> Result<bool, StoreError>;
    /// The live (not revoked) key with this secret.
    fn key_for_secret(&self, secret: &str) -> Result<Option<Key>, StoreError>;

    /// Inserts a job whose upload is the file `upload` (a shared store copies it in, in the
    /// same transaction). When a job with the same upload and settings is done already, the
    /// new job is done at once with a copy of that result (`cached`).
    fn insert_job(&self, new: NewJob, upload: &Path) -> Result<Job, StoreError>;
    /// The job `id` if `owner` submitted it (another key's job is "not found").
    fn job(&self, owner: &str, id: &str) -> Result<Option<Job>, StoreError>;
    /// The owner's jobs, newest first, optionally of one status.
    fn jobs(&self, owner: &str, status: Option<Status>, limit: u32)
    -> Result<Vec<Job>, StoreError>;
    /// Deletes the owner's job; returns it. A shared store also deletes the upload when no
    /// job refers to it any more.
    fn delete_job(&self, owner: &str, id: &str) -> Result<Option<Job>, StoreError>;
    /// Jobs of the owner that are queued or running.
    fn active_jobs(&self, owner: &str) -> Result<u32, StoreError>;

    /// Takes the oldest queued job that `filter` allows, marks it running for `worker` and
    /// counts the attempt. A shared store first takes back jobs whose lease expired (their
    /// worker died): queued again, or failed after [`MAX_ATTEMPTS`]. Leases are measured on
    /// the store's clock, never on the workers'.
    fn claim(
        &self,
        worker: &str,
        filter: &ClaimFilter,
        lease: Duration,
    ) -> Result<Option<Job>, StoreError>;
    /// Extends the lease of a claim; false when the claim is no longer current (the job was
    /// taken over, or deleted): its result will not be stored.
    fn renew(&self, job: &Job, worker: &str, lease: Duration) -> Result<bool, StoreError>;
    /// Stores the outcome of a claim: its report, or why it failed. Returns false, writing
    /// nothing, when the claim is no longer current.
    fn finish(
        &self,
        job: &Job,
        worker: &str,
        outcome: Result<String, String>,
    ) -> Result<bool, StoreError>;
    /// At start-up of the one process of a local store: jobs left running by a crash go back
    /// to the queue (or fail after [`MAX_ATTEMPTS`]); returns how many were queued again. A
    /// shared store does this in [`JobStore::claim`] by lease instead, and returns 0.
    fn recover(&self) -> Result<usize, StoreError>;

    /// Deletes jobs finished before `before_ms`; returns the uploads no job refers to any
    /// more (a shared store deletes its copies of them).
    fn expire(&self, before_ms: i64) -> Result<Vec<String>, StoreError>;
    /// Whether any job still refers to the upload.
    fn referenced(&self, sha256: &str) -> Result<bool, StoreError>;
    /// Every upload some job refers to.
    fn all_uploads(&self) -> Result<Vec<String>, StoreError>;
    /// Writes the stored upload to `out`; false when the store does not hold it.
    fn read_upload(&self, sha256: &str, out: &mut dyn Write) -> Result<bool, StoreError>;

    /// Jobs per status (for metrics), every status present.
    fn counts(&self) -> Result<Vec<(Status, i64)>, StoreError>;
    /// Records that a worker is alive (and whether it is healthy). Local stores ignore it.
    fn worker_seen(&self, worker: &WorkerState) -> Result<(), StoreError>;
    /// Removes a worker that stops cleanly.
    fn worker_gone(&self, id: &str) -> Result<(), StoreError>;
    /// The workers heard from recently, oldest first.
    fn workers(&self) -> Result<Vec<WorkerState>, StoreError>;
}

/// Opens the store `location` names: `postgres://…` or `postgresql://…` (a shared
/// PostgreSQL database), or `sqlite` / none (the SQLite file `fakescope.db` in `data_dir`).
/// Versioned migrations run first; a store written by a newer fakescope is refused.
pub fn open(location: Option<&str>, data_dir: &Path) -> Result<Box<dyn JobStore>, StoreError> {
    match location {
        None | Some("sqlite") => Ok(Box::new(sqlite::SqliteStore::open(
            &data_dir.join("fakescope.db"),
        )?)),
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            Ok(Box::new(postgres::PgStore::open(url)?))
        }
        Some(other) => Err(StoreError::Location(format!(
            "`--store {other}`: give a PostgreSQL URL (postgres://user@host:port/db) or `sqlite` (the default: a file in the data folder)"
        ))),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn new_job(owner: &str, sha: &str) -> NewJob {
        NewJob {
            owner: owner.into(),
            filename: "a.jpg".into(),
            media: "image".into(),
            bytes: 3,
            sha256: sha.into(),
            settings: "{}".into(),
            detectors: vec!["meso4".into()],
        }
    }

    /// Claims honour the worker's media and detector restrictions.
    pub(crate) fn filters(store: &dyn JobStore, upload: &Path) {
        let lease = Duration::from_secs(30);
        let mut video = new_job("k", "ee");
        video.media = "video".into();
        video.detectors = vec!["meso4".into(), "effnetlite0-sbi".into()];
        store.insert_job(video, upload).unwrap();
        let audio_only = ClaimFilter {
            media: vec!["audio".into()],
            detectors: vec![],
        };
        assert!(store.claim("w", &audio_only, lease).unwrap().is_none());
        let meso_only = ClaimFilter {
            media: vec![],
            detectors: vec!["meso4".into()],
        };
        assert!(store.claim("w", &meso_only, lease).unwrap().is_none());
        let both = ClaimFilter {
            media: vec!["video".into(), "image".into()],
            detectors: vec!["effnetlite0-sbi".into(), "meso4".into(), "aasist".into()],
        };
        assert!(store.claim("w", &both, lease).unwrap().is_some());
    }

    /// What every store must do, run on each back end.
    pub(crate) fn contract(store: &dyn JobStore, upload: &Path) {
        let lease = Duration::from_secs(30);
        let any = ClaimFilter::default();
        let a = store.insert_job(new_job("k1", "aa"), upload).unwrap();
        assert_eq!(a.status, Status::Queued);
        // Another key cannot see it.
        assert!(store.job("k2", &a.id).unwrap().is_none());
        let claimed = store.claim("w1", &any, lease).unwrap().unwrap();
        assert_eq!((claimed.id.as_str(), claimed.attempts), (a.id.as_str(), 1));
        assert!(store.claim("w1", &any, lease).unwrap().is_none());
        assert!(store.renew(&claimed, "w1", lease).unwrap());
        // Only the current claim may finish it, once.
        assert!(!store.finish(&claimed, "w2", Ok("{}".into())).unwrap());
        assert!(
            store
                .finish(&claimed, "w1", Ok("{\"x\":1}".into()))
                .unwrap()
        );
        assert!(
            !store
                .finish(&claimed, "w1", Ok("{\"x\":2}".into()))
                .unwrap()
        );
        assert!(!store.renew(&claimed, "w1", lease).unwrap());
        let done = store.job("k1", &a.id).unwrap().unwrap();
        assert_eq!(done.status, Status::Done);
        assert_eq!(done.result.as_deref(), Some("{\"x\":1}"));
        // The same file and settings: answered from the stored result.
        let b = store.insert_job(new_job("k2", "aa"), upload).unwrap();
        assert!(b.cached && b.status == Status::Done);
        assert_eq!(b.result.as_deref(), Some("{\"x\":1}"));
        assert_eq!(store.active_jobs("k1").unwrap(), 0);
        let counts = store.counts().unwrap();
        assert_eq!(counts[2], (Status::Done, 2));

        // Keys.
        let (key, secret) = store.create_key("newsroom", Some(10), None).unwrap();
        assert_eq!(store.key_for_secret(&secret).unwrap().unwrap().id, key.id);
        assert!(store.key_for_secret("fsk_wrong").unwrap().is_none());
        assert!(store.revoke_key(&key.id).unwrap());
        assert!(!store.revoke_key(&key.id).unwrap());
        assert!(store.key_for_secret(&secret).unwrap().is_none());
        assert_eq!(store.list_keys().unwrap().len(), 1);

        // Expiry returns the uploads no job refers to any more.
        let c = store.insert_job(new_job("k", "cc"), upload).unwrap();
        let claimed = store.claim("w1", &any, lease).unwrap().unwrap();
        assert_eq!(claimed.id, c.id);
        store.finish(&claimed, "w1", Err("bad".into())).unwrap();
        let d = store.insert_job(new_job("k", "dd"), upload).unwrap(); // queued: never expires
        assert_eq!(store.jobs("k", None, 10).unwrap().len(), 2);
        assert_eq!(
            store.jobs("k", Some(Status::Queued), 10).unwrap()[0].id,
            d.id
        );
        let mut orphans = store.expire(crate::time::now_ms() + 1).unwrap();
        orphans.sort();
        assert_eq!(orphans, ["aa", "cc"]);
        assert!(store.job("k", &c.id).unwrap().is_none());
        assert!(store.referenced("dd").unwrap());
        assert!(!store.referenced("cc").unwrap());
        assert_eq!(store.all_uploads().unwrap(), ["dd"]);
        let deleted = store.delete_job("k", &d.id).unwrap().unwrap();
        assert_eq!(deleted.id, d.id);
        assert!(store.delete_job("k", &d.id).unwrap().is_none());
    }
}
