//! The job store: jobs, their results and the API keys in one SQLite file (WAL, synchronous
//! writes).
//!
//! A job's life: `queued` (inserted only once its upload is complete on disk) → `running`
//! (claimed by a worker, `attempts` counted) → `done` with its result, or `failed` with an
//! error, each written in one transaction. After a crash, [`Store::recover`] puts `running`
//! jobs back in the queue, so every accepted job finishes; a job that was interrupted
//! [`MAX_ATTEMPTS`] times fails instead of taking the server down again and again.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::keys;
use crate::time::now_ms;

/// How many times a job may be started before an interruption counts as its failure.
pub const MAX_ATTEMPTS: i64 = 3;

/// A store error: SQLite's message with what we were doing, or no randomness for an id.
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
    /// The operating system gave no random bytes for an id or a key.
    #[error("cannot draw random bytes for an id: {0}")]
    Random(#[source] std::io::Error),
}

trait Context<T> {
    fn ctx(self, what: &'static str) -> Result<T, StoreError>;
}

impl<T> Context<T> for rusqlite::Result<T> {
    fn ctx(self, what: &'static str) -> Result<T, StoreError> {
        self.map_err(|source| StoreError::Sqlite { what, source })
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
    /// Times a worker started it.
    pub attempts: i64,
    /// The scan's report (JSON), when done.
    pub result: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
    /// Answered from the stored result of an earlier job with the same file and settings.
    pub cached: bool,
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

/// A job to insert: its upload is already stored.
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
}

/// The SQLite store. Cheap operations under one connection and a mutex; callers in async code
/// run them on the blocking pool.
pub struct Store {
    conn: Mutex<Connection>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER,
    rate_per_minute INTEGER,
    max_active_jobs INTEGER
);
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    filename TEXT NOT NULL,
    media TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    settings TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    started_at INTEGER,
    finished_at INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    result TEXT,
    error TEXT,
    cached INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS jobs_queue ON jobs (status, created_at);
CREATE INDEX IF NOT EXISTS jobs_owner ON jobs (owner, created_at);
CREATE INDEX IF NOT EXISTS jobs_same ON jobs (sha256, settings, status);
CREATE INDEX IF NOT EXISTS jobs_finished ON jobs (finished_at);
";

const JOB_COLUMNS: &str = "id, owner, status, filename, media, bytes, sha256, settings, created_at, \
     started_at, finished_at, attempts, result, error, cached";

fn job_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Job> {
    let status: String = row.get(2)?;
    Ok(Job {
        id: row.get(0)?,
        owner: row.get(1)?,
        status: Status::parse(&status).unwrap_or(Status::Failed),
        filename: row.get(3)?,
        media: row.get(4)?,
        bytes: row.get(5)?,
        sha256: row.get(6)?,
        settings: row.get(7)?,
        created_at: row.get(8)?,
        started_at: row.get(9)?,
        finished_at: row.get(10)?,
        attempts: row.get(11)?,
        result: row.get(12)?,
        error: row.get(13)?,
        cached: row.get::<_, i64>(14)? != 0,
    })
}

fn key_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Key> {
    Ok(Key {
        id: row.get(0)?,
        name: row.get(1)?,
        created_at: row.get(2)?,
        revoked_at: row.get(3)?,
        rate_per_minute: row.get(4)?,
        max_active_jobs: row.get(5)?,
    })
}

const KEY_COLUMNS: &str = "id, name, created_at, revoked_at, rate_per_minute, max_active_jobs";

impl Store {
    /// Opens (creating if needed) the store at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path).ctx("cannot open the job store")?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .ctx("cannot configure the job store")?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .ctx("cannot switch the job store to WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")
            .ctx("cannot configure the job store")?;
        conn.execute_batch(SCHEMA)
            .ctx("cannot create the job store's tables")?;
        Ok(Store {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite inconsistent (transactions roll
        // back), so a poisoned lock is still usable.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Checks that the store answers (readiness).
    pub fn ping(&self) -> Result<(), StoreError> {
        self.conn()
            .query_row("SELECT 1", [], |_| Ok(()))
            .ctx("the job store does not answer")
    }

    /// Creates a key; returns it as stored and the key itself (shown once).
    pub fn create_key(
        &self,
        name: &str,
        rate_per_minute: Option<u32>,
        max_active_jobs: Option<u32>,
    ) -> Result<(Key, String), StoreError> {
        let secret = keys::generate().map_err(StoreError::Random)?;
        let id = keys::random_id(8).map_err(StoreError::Random)?;
        let key = Key {
            id,
            name: name.to_owned(),
            created_at: now_ms(),
            revoked_at: None,
            rate_per_minute,
            max_active_jobs,
        };
        self.conn()
            .execute(
                "INSERT INTO keys (id, name, hash, created_at, rate_per_minute, max_active_jobs) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    key.id,
                    key.name,
                    keys::hash(&secret),
                    key.created_at,
                    key.rate_per_minute,
                    key.max_active_jobs
                ],
            )
            .ctx("cannot store the key")?;
        Ok((key, secret))
    }

    /// Every key, oldest first.
    pub fn list_keys(&self) -> Result<Vec<Key>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {KEY_COLUMNS} FROM keys ORDER BY created_at, id"
            ))
            .ctx("cannot list keys")?;
        stmt.query_map([], key_from_row)
            .ctx("cannot list keys")?
            .collect::<Result<_, _>>()
            .ctx("cannot list keys")
    }

    /// Revokes a key by id; false when there is no such key or it was revoked already.
    pub fn revoke_key(&self, id: &str) -> Result<bool, StoreError> {
        let n = self
            .conn()
            .execute(
                "UPDATE keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                params![id, now_ms()],
            )
            .ctx("cannot revoke the key")?;
        Ok(n > 0)
    }

    /// The live (not revoked) key with this secret.
    pub fn key_for_secret(&self, secret: &str) -> Result<Option<Key>, StoreError> {
        self.conn()
            .query_row(
                &format!("SELECT {KEY_COLUMNS} FROM keys WHERE hash = ?1 AND revoked_at IS NULL"),
                params![keys::hash(secret)],
                key_from_row,
            )
            .optional()
            .ctx("cannot look up the key")
    }

    /// Inserts a job. When a job with the same upload and settings is done already, the new
    /// job is done at once with a copy of that result (`cached`).
    pub fn insert_job(&self, new: NewJob) -> Result<Job, StoreError> {
        let id = keys::random_id(16).map_err(StoreError::Random)?;
        let now = now_ms();
        let mut conn = self.conn();
        let tx = conn.transaction().ctx("cannot insert the job")?;
        let earlier: Option<String> = tx
            .query_row(
                "SELECT result FROM jobs WHERE sha256 = ?1 AND settings = ?2 AND status = 'done' \
                 ORDER BY finished_at DESC LIMIT 1",
                params![new.sha256, new.settings],
                |r| r.get(0),
            )
            .optional()
            .ctx("cannot look for an earlier result")?;
        let (status, finished, cached) = match earlier {
            Some(_) => (Status::Done, Some(now), true),
            None => (Status::Queued, None, false),
        };
        tx.execute(
            "INSERT INTO jobs (id, owner, status, filename, media, bytes, sha256, settings, \
             created_at, finished_at, result, cached) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                id,
                new.owner,
                status.as_str(),
                new.filename,
                new.media,
                new.bytes,
                new.sha256,
                new.settings,
                now,
                finished,
                earlier,
                cached as i64
            ],
        )
        .ctx("cannot insert the job")?;
        tx.commit().ctx("cannot insert the job")?;
        Ok(Job {
            id,
            owner: new.owner,
            status,
            filename: new.filename,
            media: new.media,
            bytes: new.bytes,
            sha256: new.sha256,
            settings: new.settings,
            created_at: now,
            started_at: None,
            finished_at: finished,
            attempts: 0,
            result: earlier,
            error: None,
            cached,
        })
    }

    /// The job `id` if `owner` submitted it (another key's job is "not found").
    pub fn job(&self, owner: &str, id: &str) -> Result<Option<Job>, StoreError> {
        self.conn()
            .query_row(
                &format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?1 AND owner = ?2"),
                params![id, owner],
                job_from_row,
            )
            .optional()
            .ctx("cannot read the job")
    }

    /// The owner's jobs, newest first, optionally of one status.
    pub fn jobs(
        &self,
        owner: &str,
        status: Option<Status>,
        limit: u32,
    ) -> Result<Vec<Job>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {JOB_COLUMNS} FROM jobs WHERE owner = ?1 AND (?2 IS NULL OR status = ?2) \
                 ORDER BY created_at DESC, rowid DESC LIMIT ?3"
            ))
            .ctx("cannot list jobs")?;
        stmt.query_map(
            params![owner, status.map(Status::as_str), limit],
            job_from_row,
        )
        .ctx("cannot list jobs")?
        .collect::<Result<_, _>>()
        .ctx("cannot list jobs")
    }

    /// Deletes the owner's job; returns it (its upload may now be unreferenced).
    pub fn delete_job(&self, owner: &str, id: &str) -> Result<Option<Job>, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction().ctx("cannot delete the job")?;
        let job = tx
            .query_row(
                &format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?1 AND owner = ?2"),
                params![id, owner],
                job_from_row,
            )
            .optional()
            .ctx("cannot delete the job")?;
        if job.is_some() {
            tx.execute("DELETE FROM jobs WHERE id = ?1", params![id])
                .ctx("cannot delete the job")?;
        }
        tx.commit().ctx("cannot delete the job")?;
        Ok(job)
    }

    /// Jobs of the owner that are queued or running.
    pub fn active_jobs(&self, owner: &str) -> Result<u32, StoreError> {
        self.conn()
            .query_row(
                "SELECT count(*) FROM jobs WHERE owner = ?1 AND status IN ('queued', 'running')",
                params![owner],
                |r| r.get(0),
            )
            .ctx("cannot count jobs")
    }

    /// Takes the oldest queued job and marks it running.
    pub fn claim(&self) -> Result<Option<Job>, StoreError> {
        self.conn()
            .query_row(
                &format!(
                    "UPDATE jobs SET status = 'running', started_at = ?1, attempts = attempts + 1 \
                     WHERE id = (SELECT id FROM jobs WHERE status = 'queued' \
                                 ORDER BY created_at, rowid LIMIT 1) \
                     RETURNING {JOB_COLUMNS}"
                ),
                params![now_ms()],
                job_from_row,
            )
            .optional()
            .ctx("cannot claim a job")
    }

    /// Stores the outcome of a running job: its report, or why it failed. Returns false when
    /// the job is no longer running (deleted meanwhile): nothing is written then.
    pub fn finish(&self, id: &str, outcome: Result<String, String>) -> Result<bool, StoreError> {
        let (status, result, error) = match outcome {
            Ok(r) => (Status::Done, Some(r), None),
            Err(e) => (Status::Failed, None, Some(e)),
        };
        let n = self
            .conn()
            .execute(
                "UPDATE jobs SET status = ?2, result = ?3, error = ?4, finished_at = ?5 \
                 WHERE id = ?1 AND status = 'running'",
                params![id, status.as_str(), result, error, now_ms()],
            )
            .ctx("cannot store the job's result")?;
        Ok(n > 0)
    }

    /// After a crash: running jobs go back to the queue, or fail when they were interrupted
    /// [`MAX_ATTEMPTS`] times. Returns how many were queued again.
    pub fn recover(&self) -> Result<usize, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction().ctx("cannot recover jobs")?;
        tx.execute(
            "UPDATE jobs SET status = 'failed', finished_at = ?2, error = ?3 \
             WHERE status = 'running' AND attempts >= ?1",
            params![
                MAX_ATTEMPTS,
                now_ms(),
                format!(
                    "the scan was interrupted {MAX_ATTEMPTS} times (the server stopped while \
                     scanning this file); it is not tried again"
                )
            ],
        )
        .ctx("cannot recover jobs")?;
        let n = tx
            .execute(
                "UPDATE jobs SET status = 'queued' WHERE status = 'running'",
                [],
            )
            .ctx("cannot recover jobs")?;
        tx.commit().ctx("cannot recover jobs")?;
        Ok(n)
    }

    /// Deletes jobs finished before `before_ms`; returns the uploads no job refers to any more.
    pub fn expire(&self, before_ms: i64) -> Result<Vec<String>, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction().ctx("cannot expire jobs")?;
        let shas: Vec<String> = {
            let mut stmt = tx
                .prepare(
                    "DELETE FROM jobs WHERE finished_at IS NOT NULL AND finished_at < ?1 \
                     RETURNING sha256",
                )
                .ctx("cannot expire jobs")?;
            stmt.query_map(params![before_ms], |r| r.get(0))
                .ctx("cannot expire jobs")?
                .collect::<Result<_, _>>()
                .ctx("cannot expire jobs")?
        };
        let mut orphans = Vec::new();
        for sha in shas {
            if !orphans.contains(&sha) && !Self::referenced_in(&tx, &sha)? {
                orphans.push(sha);
            }
        }
        tx.commit().ctx("cannot expire jobs")?;
        Ok(orphans)
    }

    /// Whether any job still refers to the upload.
    pub fn referenced(&self, sha256: &str) -> Result<bool, StoreError> {
        Self::referenced_in(&self.conn(), sha256)
    }

    fn referenced_in(conn: &Connection, sha256: &str) -> Result<bool, StoreError> {
        conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM jobs WHERE sha256 = ?1)",
            params![sha256],
            |r| r.get(0),
        )
        .ctx("cannot check an upload's jobs")
    }

    /// Every upload some job refers to (to clean the blob folder of strays at start-up).
    pub fn all_uploads(&self) -> Result<Vec<String>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT DISTINCT sha256 FROM jobs")
            .ctx("cannot list uploads")?;
        stmt.query_map([], |r| r.get(0))
            .ctx("cannot list uploads")?
            .collect::<Result<_, _>>()
            .ctx("cannot list uploads")
    }

    /// Jobs per status (for metrics), every status present.
    pub fn counts(&self) -> Result<Vec<(Status, i64)>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT status, count(*) FROM jobs GROUP BY status")
            .ctx("cannot count jobs")?;
        let rows: Vec<(String, i64)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .ctx("cannot count jobs")?
            .collect::<Result<_, _>>()
            .ctx("cannot count jobs")?;
        Ok([
            Status::Queued,
            Status::Running,
            Status::Done,
            Status::Failed,
        ]
        .into_iter()
        .map(|s| {
            let n = rows
                .iter()
                .find(|(name, _)| name == s.as_str())
                .map_or(0, |r| r.1);
            (s, n)
        })
        .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_job(owner: &str, sha: &str) -> NewJob {
        NewJob {
            owner: owner.into(),
            filename: "a.jpg".into(),
            media: "image".into(),
            bytes: 10,
            sha256: sha.into(),
            settings: "{}".into(),
        }
    }

    #[test]
    fn job_lifecycle_and_recovery() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        let a = store.insert_job(new_job("k1", "aa")).unwrap();
        assert_eq!(a.status, Status::Queued);
        // Another key cannot see it.
        assert!(store.job("k2", &a.id).unwrap().is_none());
        let claimed = store.claim().unwrap().unwrap();
        assert_eq!((claimed.id.as_str(), claimed.attempts), (a.id.as_str(), 1));
        assert!(store.claim().unwrap().is_none());
        // A crash while running: reopened, the job is queued again.
        drop(store);
        let store = Store::open(&dir.path().join("db")).unwrap();
        assert_eq!(store.recover().unwrap(), 1);
        let again = store.claim().unwrap().unwrap();
        assert_eq!(again.attempts, 2);
        assert!(store.finish(&a.id, Ok("{\"x\":1}".into())).unwrap());
        // Finished once: a second finish writes nothing.
        assert!(!store.finish(&a.id, Ok("{\"x\":2}".into())).unwrap());
        let done = store.job("k1", &a.id).unwrap().unwrap();
        assert_eq!(done.status, Status::Done);
        assert_eq!(done.result.as_deref(), Some("{\"x\":1}"));
        // The same file and settings: answered from the stored result.
        let b = store.insert_job(new_job("k2", "aa")).unwrap();
        assert!(b.cached && b.status == Status::Done);
        assert_eq!(b.result.as_deref(), Some("{\"x\":1}"));
    }

    #[test]
    fn a_job_interrupted_too_often_fails() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        let a = store.insert_job(new_job("k", "bb")).unwrap();
        for _ in 0..MAX_ATTEMPTS {
            store.recover().unwrap();
            store.claim().unwrap().unwrap();
        }
        assert_eq!(store.recover().unwrap(), 0);
        let job = store.job("k", &a.id).unwrap().unwrap();
        assert_eq!(job.status, Status::Failed);
        assert!(job.error.unwrap().contains("interrupted"));
    }

    #[test]
    fn keys_are_found_by_secret_until_revoked() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        let (key, secret) = store.create_key("newsroom", Some(10), None).unwrap();
        assert_eq!(store.key_for_secret(&secret).unwrap().unwrap().id, key.id);
        assert!(store.key_for_secret("fsk_wrong").unwrap().is_none());
        assert!(store.revoke_key(&key.id).unwrap());
        assert!(!store.revoke_key(&key.id).unwrap());
        assert!(store.key_for_secret(&secret).unwrap().is_none());
        assert_eq!(store.list_keys().unwrap().len(), 1);
    }

    #[test]
    fn expiry_returns_unreferenced_uploads() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        let a = store.insert_job(new_job("k", "cc")).unwrap();
        store.claim().unwrap();
        store.finish(&a.id, Err("bad".into())).unwrap();
        store.insert_job(new_job("k", "dd")).unwrap(); // queued: never expires
        assert!(store.expire(now_ms() - 60_000).unwrap().is_empty());
        assert_eq!(store.expire(now_ms() + 1).unwrap(), ["cc"]);
        assert!(store.job("k", &a.id).unwrap().is_none());
        assert!(store.referenced("dd").unwrap());
    }
}
