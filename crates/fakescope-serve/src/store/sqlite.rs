//! The local job store: jobs, their results and the API keys in one SQLite file (WAL,
//! synchronous writes), for one `fakescope serve` process. Uploads stay in the data folder.
//!
//! Migrations are numbered by SQLite's `user_version`; a file from before numbering (tables,
//! version 0) is version 1.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};

use super::{
    ClaimFilter, Job, JobStore, Key, MAX_ATTEMPTS, NewJob, Status, StoreError, WorkerState,
};
use crate::keys;
use crate::time::now_ms;

trait Context<T> {
    fn ctx(self, what: &'static str) -> Result<T, StoreError>;
}

impl<T> Context<T> for rusqlite::Result<T> {
    fn ctx(self, what: &'static str) -> Result<T, StoreError> {
        self.map_err(|source| StoreError::Sqlite { what, source })
    }
}

/// The SQLite store. Cheap operations under one connection and a mutex; callers in async code
/// run them on the blocking pool.
pub struct SqliteStore {
    conn: Mutex<Connection>,
    path: PathBuf,
}

/// The migrations, in order: `MIGRATIONS[i]` takes the file from version `i` to `i + 1`.
const MIGRATIONS: [&str; 2] = [SCHEMA_V1, SCHEMA_V2];

const SCHEMA_V1: &str = "
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

/// Version 2: the worker holding a job (a claim is the worker and its attempt) and the
/// detectors a job needs (JSON array).
const SCHEMA_V2: &str = "
ALTER TABLE jobs ADD COLUMN worker TEXT;
ALTER TABLE jobs ADD COLUMN detectors TEXT NOT NULL DEFAULT '[]';
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

impl SqliteStore {
    /// Opens (creating if needed) the store at `path` and brings it to the current version.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path).ctx("cannot open the job store")?;
        conn.busy_timeout(Duration::from_secs(10))
            .ctx("cannot configure the job store")?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .ctx("cannot switch the job store to WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")
            .ctx("cannot configure the job store")?;
        let store = SqliteStore {
            conn: Mutex::new(conn),
            path: path.to_owned(),
        };
        store.migrate()?;
        Ok(store)
    }

    /// Runs the migrations the file has not had, each in a transaction with its version.
    fn migrate(&self) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .ctx("cannot migrate the job store")?;
        let mut version: i64 = tx
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .ctx("cannot read the job store's version")?;
        if version == 0 {
            // Files from before versions were numbered hold version 1's tables.
            let has_jobs: bool = tx
                .query_row(
                    "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'jobs')",
                    [],
                    |r| r.get(0),
                )
                .ctx("cannot read the job store's version")?;
            if has_jobs {
                version = 1;
            }
        }
        let known = MIGRATIONS.len() as i64;
        if version > known {
            return Err(StoreError::Newer {
                store: self.describe(),
                found: version,
                known,
            });
        }
        for sql in &MIGRATIONS[version as usize..] {
            tx.execute_batch(sql).ctx("cannot migrate the job store")?;
        }
        tx.pragma_update(None, "user_version", known)
            .ctx("cannot migrate the job store")?;
        tx.commit().ctx("cannot migrate the job store")
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite inconsistent (transactions roll
        // back), so a poisoned lock is still usable.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn referenced_in(conn: &Connection, sha256: &str) -> Result<bool, StoreError> {
        conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM jobs WHERE sha256 = ?1)",
            params![sha256],
            |r| r.get(0),
        )
        .ctx("cannot check an upload's jobs")
    }
}

impl JobStore for SqliteStore {
    fn describe(&self) -> String {
        format!("the SQLite store {}", self.path.display())
    }

    fn is_shared(&self) -> bool {
        false
    }

    fn ping(&self) -> Result<(), StoreError> {
        self.conn()
            .query_row("SELECT 1", [], |_| Ok(()))
            .ctx("the job store does not answer")
    }

    fn create_key(
        &self,
        name: &str,
        rate_per_minute: Option<u32>,
        max_active_jobs: Option<u32>,
    ) -> Result<(Key, String), StoreError> {
        let (key, secret) = keys::new_key(name, rate_per_minute, max_active_jobs)?;
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

    fn list_keys(&self) -> Result<Vec<Key>, StoreError> {
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

    fn revoke_key(&self, id: &str) -> Result<bool, StoreError> {
        let n = self
            .conn()
            .execute(
                "UPDATE keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                params![id, now_ms()],
            )
            .ctx("cannot revoke the key")?;
        Ok(n > 0)
    }

    fn key_for_secret(&self, secret: &str) -> Result<Option<Key>, StoreError> {
        self.conn()
            .query_row(
                &format!("SELECT {KEY_COLUMNS} FROM keys WHERE hash = ?1 AND revoked_at IS NULL"),
                params![keys::hash(secret)],
                key_from_row,
            )
            .optional()
            .ctx("cannot look up the key")
    }

    fn insert_job(&self, new: NewJob, _upload: &Path) -> Result<Job, StoreError> {
        let id = keys::random_id(16).map_err(StoreError::Random)?;
        let now = now_ms();
        let detectors = serde_json::to_string(&new.detectors).unwrap_or_else(|_| "[]".into());
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
        let job = Job::inserted(id, new, now, earlier);
        tx.execute(
            "INSERT INTO jobs (id, owner, status, filename, media, bytes, sha256, settings, \
             created_at, finished_at, result, cached, detectors) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            params![
                job.id,
                job.owner,
                job.status.as_str(),
                job.filename,
                job.media,
                job.bytes,
                job.sha256,
                job.settings,
                job.created_at,
                job.finished_at,
                job.result,
                job.cached as i64,
                detectors
            ],
        )
        .ctx("cannot insert the job")?;
        tx.commit().ctx("cannot insert the job")?;
        Ok(job)
    }

    fn job(&self, owner: &str, id: &str) -> Result<Option<Job>, StoreError> {
        self.conn()
            .query_row(
                &format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?1 AND owner = ?2"),
                params![id, owner],
                job_from_row,
            )
            .optional()
            .ctx("cannot read the job")
    }

    fn jobs(
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

    fn delete_job(&self, owner: &str, id: &str) -> Result<Option<Job>, StoreError> {
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

    fn active_jobs(&self, owner: &str) -> Result<u32, StoreError> {
        self.conn()
            .query_row(
                "SELECT count(*) FROM jobs WHERE owner = ?1 AND status IN ('queued', 'running')",
                params![owner],
                |r| r.get(0),
            )
            .ctx("cannot count jobs")
    }

    fn claim(
        &self,
        worker: &str,
        filter: &ClaimFilter,
        _lease: Duration,
    ) -> Result<Option<Job>, StoreError> {
        // One process holds this store: a claim lasts until it finishes or the process
        // stops, and `recover` takes it back at the next start.
        let json = |v: &Vec<String>| {
            (!v.is_empty()).then(|| serde_json::to_string(v).unwrap_or_else(|_| "[]".into()))
        };
        self.conn()
            .query_row(
                &format!(
                    "UPDATE jobs SET status = 'running', started_at = ?1, \
                     attempts = attempts + 1, worker = ?2 \
                     WHERE id = (SELECT id FROM jobs WHERE status = 'queued' \
                       AND (?3 IS NULL OR media IN (SELECT value FROM json_each(?3))) \
                       AND (?4 IS NULL OR NOT EXISTS (SELECT 1 FROM json_each(jobs.detectors) d \
                            WHERE d.value NOT IN (SELECT value FROM json_each(?4)))) \
                       ORDER BY created_at, rowid LIMIT 1) \
                     RETURNING {JOB_COLUMNS}"
                ),
                params![
                    now_ms(),
                    worker,
                    json(&filter.media),
                    json(&filter.detectors)
                ],
                job_from_row,
            )
            .optional()
            .ctx("cannot claim a job")
    }

    fn renew(&self, job: &Job, worker: &str, _lease: Duration) -> Result<bool, StoreError> {
        self.conn()
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM jobs WHERE id = ?1 AND status = 'running' \
                 AND worker = ?2 AND attempts = ?3)",
                params![job.id, worker, job.attempts],
                |r| r.get(0),
            )
            .ctx("cannot renew a claim")
    }

    fn finish(
        &self,
        job: &Job,
        worker: &str,
        outcome: Result<String, String>,
    ) -> Result<bool, StoreError> {
        let (status, result, error) = match outcome {
            Ok(r) => (Status::Done, Some(r), None),
            Err(e) => (Status::Failed, None, Some(e)),
        };
        let n = self
            .conn()
            .execute(
                "UPDATE jobs SET status = ?4, result = ?5, error = ?6, finished_at = ?7, \
                 worker = NULL \
                 WHERE id = ?1 AND status = 'running' AND worker = ?2 AND attempts = ?3",
                params![
                    job.id,
                    worker,
                    job.attempts,
                    status.as_str(),
                    result,
                    error,
                    now_ms()
                ],
            )
            .ctx("cannot store the job's result")?;
        Ok(n > 0)
    }

    fn recover(&self) -> Result<usize, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction().ctx("cannot recover jobs")?;
        tx.execute(
            "UPDATE jobs SET status = 'failed', finished_at = ?2, error = ?3, worker = NULL \
             WHERE status = 'running' AND attempts >= ?1",
            params![MAX_ATTEMPTS, now_ms(), super::interrupted_too_often()],
        )
        .ctx("cannot recover jobs")?;
        let n = tx
            .execute(
                "UPDATE jobs SET status = 'queued', worker = NULL WHERE status = 'running'",
                [],
            )
            .ctx("cannot recover jobs")?;
        tx.commit().ctx("cannot recover jobs")?;
        Ok(n)
    }

    fn expire(&self, before_ms: i64) -> Result<Vec<String>, StoreError> {
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

    fn referenced(&self, sha256: &str) -> Result<bool, StoreError> {
        Self::referenced_in(&self.conn(), sha256)
    }

    fn all_uploads(&self) -> Result<Vec<String>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT DISTINCT sha256 FROM jobs ORDER BY sha256")
            .ctx("cannot list uploads")?;
        stmt.query_map([], |r| r.get(0))
            .ctx("cannot list uploads")?
            .collect::<Result<_, _>>()
            .ctx("cannot list uploads")
    }

    fn read_upload(&self, _sha256: &str, _out: &mut dyn Write) -> Result<bool, StoreError> {
        // Uploads of a local store live only in the data folder.
        Ok(false)
    }

    fn counts(&self) -> Result<Vec<(Status, i64)>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT status, count(*) FROM jobs GROUP BY status")
            .ctx("cannot count jobs")?;
        let rows: Vec<(String, i64)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .ctx("cannot count jobs")?
            .collect::<Result<_, _>>()
            .ctx("cannot count jobs")?;
        Ok(super::every_status(rows))
    }

    fn worker_seen(&self, _worker: &WorkerState) -> Result<(), StoreError> {
        Ok(())
    }

    fn worker_gone(&self, _id: &str) -> Result<(), StoreError> {
        Ok(())
    }

    fn workers(&self) -> Result<Vec<WorkerState>, StoreError> {
        Ok(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::{contract, filters, new_job};

    #[test]
    fn the_store_contract() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("db")).unwrap();
        contract(&store, &dir.path().join("upload"));
    }

    #[test]
    fn jobs_left_running_by_a_crash_are_queued_again_then_fail() {
        let dir = tempfile::tempdir().unwrap();
        let any = ClaimFilter::default();
        let lease = Duration::from_secs(30);
        let store = SqliteStore::open(&dir.path().join("db")).unwrap();
        let a = store.insert_job(new_job("k", "bb"), dir.path()).unwrap();
        store.claim("w", &any, lease).unwrap().unwrap();
        // A crash while running: reopened, the job is queued again.
        drop(store);
        let store = SqliteStore::open(&dir.path().join("db")).unwrap();
        assert_eq!(store.recover().unwrap(), 1);
        assert_eq!(store.claim("w", &any, lease).unwrap().unwrap().attempts, 2);
        store.recover().unwrap();
        store.claim("w", &any, lease).unwrap().unwrap();
        assert_eq!(store.recover().unwrap(), 0);
        let job = store.job("k", &a.id).unwrap().unwrap();
        assert_eq!(job.status, Status::Failed);
        assert!(job.error.unwrap().contains("interrupted"));
    }

    #[test]
    fn workers_take_only_the_media_and_detectors_they_can() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("db")).unwrap();
        filters(&store, dir.path());
    }

    #[test]
    fn files_from_before_versions_are_migrated_and_newer_ones_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(SCHEMA_V1).unwrap();
            conn.execute(
                "INSERT INTO jobs (id, owner, status, filename, media, bytes, sha256, settings,                  created_at) VALUES ('a', 'k', 'queued', 'f', 'image', 1, 'ff', '{}', 1)",
                [],
            )
            .unwrap();
        }
        let store = SqliteStore::open(&path).unwrap();
        let job = store
            .claim("w", &ClaimFilter::default(), Duration::from_secs(1))
            .unwrap()
            .unwrap();
        assert_eq!(job.id, "a");
        drop(store);
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", 99)
            .unwrap();
        let err = SqliteStore::open(&path).err().unwrap().to_string();
        assert!(
            err.contains("schema version 99") && err.contains("newer"),
            "{err}"
        );
    }
}
