//! The shared job store: one PostgreSQL database for every `fakescope serve` and
//! `fakescope worker` process, on any number of machines.
//!
//! - **Claims.** A worker takes the oldest queued job with `FOR UPDATE SKIP LOCKED` (workers
//!   never wait for each other) and holds it under a lease (`lease_until`) that it renews
//!   while it scans. Lease times are the database's `now()`, so the clocks of the machines
//!   do not matter. A worker that dies stops renewing; the next claim by anyone takes the job
//!   back (queued again, or failed after [`MAX_ATTEMPTS`]: a poison job that kills workers is
//!   tried a bounded number of times).
//! - **Exactly once.** A result is written only by the current claim (`worker` and
//!   `attempts` match), so a worker that lost its lease, however late it finishes, writes
//!   nothing.
//! - **Uploads** are stored in the database (`uploads`, `upload_parts`: 1 MiB rows) in the
//!   transaction that inserts the job, so a worker on another machine reads them; an upload
//!   is deleted when no job refers to it any more, under a row lock that a concurrent
//!   insertion of the same file waits for.
//! - **Migrations** are numbered in `fakescope_schema`, run at start under an advisory lock
//!   (many processes may start at once), each in the transaction that records its number. A
//!   database of a newer version is refused.
//! - **Connections**: a small pool; a connection that failed is dropped and the next call
//!   connects again, so a database that restarts is used again as soon as it answers.
//!
//! Connections are not encrypted (`NoTls`): run the database on a private network or a
//! loopback, as the deployment guide does.

use std::io::{Read, Write};
use std::path::Path;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

use postgres::{Client, NoTls, Row};

use super::{
    ClaimFilter, Job, JobStore, Key, MAX_ATTEMPTS, NewJob, Status, StoreError, WorkerState,
};
use crate::keys;
use crate::time::now_ms;

/// Connections kept open for the next call.
const MAX_IDLE: usize = 8;

/// Bytes per row of `upload_parts`.
const PART_BYTES: usize = 1 << 20;

/// The advisory lock migrations run under (any constant the application owns).
const MIGRATION_LOCK: i64 = 0x6661_6b65_7363_6f70; // "fakescop"

/// The migrations, in order: `MIGRATIONS[i]` takes the database from version `i` to `i + 1`.
const MIGRATIONS: [&str; 1] = [V1];

const V1: &str = "
CREATE TABLE keys (
    id text PRIMARY KEY,
    name text NOT NULL,
    hash text NOT NULL UNIQUE,
    created_at bigint NOT NULL,
    revoked_at bigint,
    rate_per_minute integer,
    max_active_jobs integer
);
CREATE TABLE uploads (
    sha256 text PRIMARY KEY,
    bytes bigint NOT NULL,
    touched_at bigint NOT NULL
);
CREATE TABLE upload_parts (
    sha256 text NOT NULL REFERENCES uploads (sha256) ON DELETE CASCADE,
    part integer NOT NULL,
    data bytea NOT NULL,
    PRIMARY KEY (sha256, part)
);
CREATE TABLE jobs (
    seq bigserial UNIQUE,
    id text PRIMARY KEY,
    owner text NOT NULL,
    status text NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    filename text NOT NULL,
    media text NOT NULL,
    bytes bigint NOT NULL,
    sha256 text NOT NULL,
    settings text NOT NULL,
    detectors text[] NOT NULL,
    created_at bigint NOT NULL,
    started_at bigint,
    finished_at bigint,
    attempts integer NOT NULL DEFAULT 0,
    result text,
    error text,
    cached boolean NOT NULL DEFAULT false,
    worker text,
    lease_until timestamptz
);
CREATE INDEX jobs_queue ON jobs (seq) WHERE status = 'queued';
CREATE INDEX jobs_lease ON jobs (lease_until) WHERE status = 'running';
CREATE INDEX jobs_owner ON jobs (owner, created_at);
CREATE INDEX jobs_upload ON jobs (sha256);
CREATE INDEX jobs_finished ON jobs (finished_at);
CREATE TABLE workers (
    id text PRIMARY KEY,
    role text NOT NULL,
    host text NOT NULL,
    pid bigint NOT NULL,
    slots integer NOT NULL,
    started_at bigint NOT NULL,
    seen_at timestamptz NOT NULL,
    healthy boolean NOT NULL,
    error text,
    media text[] NOT NULL,
    detectors text[] NOT NULL,
    jobs_done bigint NOT NULL
);
";

const JOB_COLUMNS: &str = "id, owner, status, filename, media, bytes, sha256, settings, created_at, \
     started_at, finished_at, attempts, result, error, cached";

const KEY_COLUMNS: &str = "id, name, created_at, revoked_at, rate_per_minute, max_active_jobs";

fn job_from_row(row: &Row) -> Result<Job, postgres::Error> {
    let status: String = row.try_get(2)?;
    Ok(Job {
        id: row.try_get(0)?,
        owner: row.try_get(1)?,
        status: Status::parse(&status).unwrap_or(Status::Failed),
        filename: row.try_get(3)?,
        media: row.try_get(4)?,
        bytes: row.try_get(5)?,
        sha256: row.try_get(6)?,
        settings: row.try_get(7)?,
        created_at: row.try_get(8)?,
        started_at: row.try_get(9)?,
        finished_at: row.try_get(10)?,
        attempts: i64::from(row.try_get::<_, i32>(11)?),
        result: row.try_get(12)?,
        error: row.try_get(13)?,
        cached: row.try_get(14)?,
    })
}

fn key_from_row(row: &Row) -> Result<Key, postgres::Error> {
    let limit = |i: usize| -> Result<Option<u32>, postgres::Error> {
        Ok(row
            .try_get::<_, Option<i32>>(i)?
            .map(|n| u32::try_from(n).unwrap_or(0)))
    };
    Ok(Key {
        id: row.try_get(0)?,
        name: row.try_get(1)?,
        created_at: row.try_get(2)?,
        revoked_at: row.try_get(3)?,
        rate_per_minute: limit(4)?,
        max_active_jobs: limit(5)?,
    })
}

fn jobs_from_rows(rows: Vec<Row>) -> Result<Vec<Job>, postgres::Error> {
    rows.iter().map(job_from_row).collect()
}

fn limit_param(n: Option<u32>) -> Option<i32> {
    n.map(|n| i32::try_from(n).unwrap_or(i32::MAX))
}

/// The PostgreSQL store.
pub struct PgStore {
    config: postgres::Config,
    name: String,
    idle: Mutex<Vec<Client>>,
}

impl PgStore {
    /// Connects to the database `url` names (`postgres://user:password@host:port/db`) and
    /// brings it to the current version.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        let mut config = postgres::Config::from_str(url)
            .map_err(|e| StoreError::Location(format!("`--store`: not a PostgreSQL URL: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        if config.get_application_name().is_none() {
            config.application_name("fakescope");
        }
        // Notice a peer that vanished (a database machine that died) within about a minute.
        config.keepalives(true);
        config.keepalives_idle(Duration::from_secs(30));
        let name = describe(&config);
        let store = PgStore {
            config,
            name,
            idle: Mutex::new(Vec::new()),
        };
        store.migrate()?;
        Ok(store)
    }

    /// Runs `f` on a pooled connection. A connection that failed is not reused.
    fn with<T>(
        &self,
        what: &'static str,
        f: impl FnOnce(&mut Client) -> Result<T, postgres::Error>,
    ) -> Result<T, StoreError> {
        let pooled = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut client = match pooled.filter(|c| !c.is_closed()) {
            Some(c) => c,
            None => self
                .config
                .connect(NoTls)
                .map_err(|source| StoreError::Postgres {
                    what: "cannot connect to the PostgreSQL store",
                    source,
                })?,
        };
        let result = f(&mut client);
        let healthy = !client.is_closed()
            && result
                .as_ref()
                .map_or_else(|e| e.as_db_error().is_some(), |_| true);
        if healthy {
            let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
            if idle.len() < MAX_IDLE {
                idle.push(client);
            }
        }
        result.map_err(|source| StoreError::Postgres { what, source })
    }

    fn migrate(&self) -> Result<(), StoreError> {
        let known = MIGRATIONS.len() as i64;
        let found = self.with("cannot migrate the PostgreSQL store", |c| {
            let mut tx = c.transaction()?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
            tx.batch_execute(
                "CREATE TABLE IF NOT EXISTS fakescope_schema (version integer NOT NULL)",
            )?;
            let version: Option<i32> = tx
                .query_opt("SELECT version FROM fakescope_schema", &[])?
                .map(|r| r.try_get(0))
                .transpose()?;
            let version = i64::from(version.unwrap_or(0));
            if version > known {
                return Ok(Some(version));
            }
            for sql in &MIGRATIONS[version as usize..] {
                tx.batch_execute(sql)?;
            }
            tx.execute("DELETE FROM fakescope_schema", &[])?;
            tx.execute(
                "INSERT INTO fakescope_schema (version) VALUES ($1)",
                &[&(known as i32)],
            )?;
            tx.commit()?;
            Ok(None)
        })?;
        match found {
            Some(found) => Err(StoreError::Newer {
                store: self.describe(),
                found,
                known,
            }),
            None => Ok(()),
        }
    }
}

/// `PostgreSQL user@host:port/db`, without the password.
fn describe(config: &postgres::Config) -> String {
    let host = config
        .get_hosts()
        .first()
        .map(|h| match h {
            postgres::config::Host::Tcp(name) => name.clone(),
            #[cfg(unix)]
            postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .unwrap_or_else(|| "localhost".into());
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!(
        "the PostgreSQL store {}@{host}:{port}/{}",
        config.get_user().unwrap_or(""),
        config.get_dbname().unwrap_or("")
    )
}

/// Deletes the upload if no job refers to it. The row lock comes first: an insertion of the
/// same file that holds it makes this wait until its job is visible to the check that follows
/// (a new statement, a new snapshot).
fn drop_upload_if_unused(
    tx: &mut postgres::Transaction<'_>,
    sha: &str,
) -> Result<bool, postgres::Error> {
    if tx
        .query_opt(
            "SELECT 1 FROM uploads WHERE sha256 = $1 FOR UPDATE",
            &[&sha],
        )?
        .is_none()
    {
        return Ok(true);
    }
    let used: bool = tx
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM jobs WHERE sha256 = $1)",
            &[&sha],
        )?
        .try_get(0)?;
    if !used {
        tx.execute("DELETE FROM uploads WHERE sha256 = $1", &[&sha])?;
    }
    Ok(!used)
}

impl JobStore for PgStore {
    fn describe(&self) -> String {
        self.name.clone()
    }

    fn is_shared(&self) -> bool {
        true
    }

    fn ping(&self) -> Result<(), StoreError> {
        self.with("the PostgreSQL store does not answer", |c| {
            c.simple_query("SELECT 1").map(|_| ())
        })
    }

    fn create_key(
        &self,
        name: &str,
        rate_per_minute: Option<u32>,
        max_active_jobs: Option<u32>,
    ) -> Result<(Key, String), StoreError> {
        let (key, secret) = keys::new_key(name, rate_per_minute, max_active_jobs)?;
        self.with("cannot store the key", |c| {
            c.execute(
                "INSERT INTO keys (id, name, hash, created_at, rate_per_minute, max_active_jobs) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    &key.id,
                    &key.name,
                    &keys::hash(&secret),
                    &key.created_at,
                    &limit_param(key.rate_per_minute),
                    &limit_param(key.max_active_jobs),
                ],
            )
        })?;
        Ok((key, secret))
    }

    fn list_keys(&self) -> Result<Vec<Key>, StoreError> {
        self.with("cannot list keys", |c| {
            c.query(
                &format!("SELECT {KEY_COLUMNS} FROM keys ORDER BY created_at, id"),
                &[],
            )?
            .iter()
            .map(key_from_row)
            .collect()
        })
    }

    fn revoke_key(&self, id: &str) -> Result<bool, StoreError> {
        let n = self.with("cannot revoke the key", |c| {
            c.execute(
                "UPDATE keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
                &[&id, &now_ms()],
            )
        })?;
        Ok(n > 0)
    }

    fn key_for_secret(&self, secret: &str) -> Result<Option<Key>, StoreError> {
        self.with("cannot look up the key", |c| {
            c.query_opt(
                &format!("SELECT {KEY_COLUMNS} FROM keys WHERE hash = $1 AND revoked_at IS NULL"),
                &[&keys::hash(secret)],
            )?
            .as_ref()
            .map(key_from_row)
            .transpose()
        })
    }

    fn insert_job(&self, new: NewJob, upload: &Path) -> Result<Job, StoreError> {
        let id = keys::random_id(16).map_err(StoreError::Random)?;
        let now = now_ms();
        // Opened before the transaction: a missing file is not the database's error.
        let mut file = std::fs::File::open(upload).map_err(|source| StoreError::Io {
            what: "cannot read the upload to store it",
            source,
        })?;
        let mut read_error = None;
        let job = self.with("cannot insert the job", |c| {
            let mut tx = c.transaction()?;
            let inserted: bool = tx
                .query_one(
                    "INSERT INTO uploads (sha256, bytes, touched_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (sha256) DO UPDATE SET touched_at = EXCLUDED.touched_at \
                     RETURNING (xmax = 0)",
                    &[&new.sha256, &new.bytes, &now],
                )?
                .try_get(0)?;
            if inserted {
                let mut buf = vec![0u8; PART_BYTES];
                let mut part = 0i32;
                loop {
                    let n = match read_full(&mut file, &mut buf) {
                        Ok(n) => n,
                        Err(e) => {
                            // Rolled back when `tx` drops.
                            read_error = Some(e);
                            return Ok(None);
                        }
                    };
                    if n == 0 {
                        break;
                    }
                    tx.execute(
                        "INSERT INTO upload_parts (sha256, part, data) VALUES ($1, $2, $3)",
                        &[&new.sha256, &part, &&buf[..n]],
                    )?;
                    part += 1;
                }
            }
            let earlier: Option<String> = tx
                .query_opt(
                    "SELECT result FROM jobs WHERE sha256 = $1 AND settings = $2 \
                     AND status = 'done' ORDER BY finished_at DESC LIMIT 1",
                    &[&new.sha256, &new.settings],
                )?
                .map(|r| r.try_get(0))
                .transpose()?;
            let detectors = new.detectors.clone();
            let job = Job::inserted(id.clone(), new.clone(), now, earlier);
            tx.execute(
                "INSERT INTO jobs (id, owner, status, filename, media, bytes, sha256, settings, \
                 detectors, created_at, finished_at, result, cached) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                &[
                    &job.id,
                    &job.owner,
                    &job.status.as_str(),
                    &job.filename,
                    &job.media,
                    &job.bytes,
                    &job.sha256,
                    &job.settings,
                    &detectors,
                    &job.created_at,
                    &job.finished_at,
                    &job.result,
                    &job.cached,
                ],
            )?;
            tx.commit()?;
            Ok(Some(job))
        })?;
        match (job, read_error) {
            (Some(job), _) => Ok(job),
            (None, e) => Err(StoreError::Io {
                what: "cannot read the upload to store it",
                source: e.unwrap_or_else(|| std::io::Error::other("unknown")),
            }),
        }
    }

    fn job(&self, owner: &str, id: &str) -> Result<Option<Job>, StoreError> {
        self.with("cannot read the job", |c| {
            c.query_opt(
                &format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1 AND owner = $2"),
                &[&id, &owner],
            )?
            .as_ref()
            .map(job_from_row)
            .transpose()
        })
    }

    fn jobs(
        &self,
        owner: &str,
        status: Option<Status>,
        limit: u32,
    ) -> Result<Vec<Job>, StoreError> {
        let status = status.map(Status::as_str);
        let limit = i64::from(limit);
        self.with("cannot list jobs", |c| {
            jobs_from_rows(c.query(
                &format!(
                    "SELECT {JOB_COLUMNS} FROM jobs WHERE owner = $1 \
                     AND ($2::text IS NULL OR status = $2) \
                     ORDER BY created_at DESC, seq DESC LIMIT $3"
                ),
                &[&owner, &status, &limit],
            )?)
        })
    }

    fn delete_job(&self, owner: &str, id: &str) -> Result<Option<Job>, StoreError> {
        self.with("cannot delete the job", |c| {
            let mut tx = c.transaction()?;
            let job = tx
                .query_opt(
                    &format!(
                        "DELETE FROM jobs WHERE id = $1 AND owner = $2 RETURNING {JOB_COLUMNS}"
                    ),
                    &[&id, &owner],
                )?
                .as_ref()
                .map(job_from_row)
                .transpose()?;
            if let Some(job) = &job {
                drop_upload_if_unused(&mut tx, &job.sha256)?;
            }
            tx.commit()?;
            Ok(job)
        })
    }

    fn active_jobs(&self, owner: &str) -> Result<u32, StoreError> {
        let n: i64 = self.with("cannot count jobs", |c| {
            c.query_one(
                "SELECT count(*) FROM jobs WHERE owner = $1 AND status IN ('queued', 'running')",
                &[&owner],
            )?
            .try_get(0)
        })?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    fn claim(
        &self,
        worker: &str,
        filter: &ClaimFilter,
        lease: Duration,
    ) -> Result<Option<Job>, StoreError> {
        let lease_s = lease.as_secs_f64();
        self.with("cannot claim a job", |c| {
            let mut tx = c.transaction()?;
            // Jobs whose worker stopped renewing: failed after too many attempts, else
            // queued again.
            tx.execute(
                "UPDATE jobs SET status = 'failed', finished_at = $1, error = $2, worker = NULL, \
                 lease_until = NULL \
                 WHERE status = 'running' AND lease_until < now() AND attempts >= $3",
                &[
                    &now_ms(),
                    &super::interrupted_too_often(),
                    &(MAX_ATTEMPTS as i32),
                ],
            )?;
            tx.execute(
                "UPDATE jobs SET status = 'queued', worker = NULL, lease_until = NULL \
                 WHERE status = 'running' AND lease_until < now()",
                &[],
            )?;
            let job = tx
                .query_opt(
                    &format!(
                        "UPDATE jobs SET status = 'running', started_at = $1, \
                         attempts = attempts + 1, worker = $2, \
                         lease_until = now() + make_interval(secs => $3) \
                         WHERE id = (SELECT id FROM jobs WHERE status = 'queued' \
                           AND (cardinality($4::text[]) = 0 OR media = ANY ($4)) \
                           AND (cardinality($5::text[]) = 0 OR detectors <@ $5) \
                           ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED) \
                         RETURNING {JOB_COLUMNS}"
                    ),
                    &[
                        &now_ms(),
                        &worker,
                        &lease_s,
                        &filter.media,
                        &filter.detectors,
                    ],
                )?
                .as_ref()
                .map(job_from_row)
                .transpose()?;
            tx.commit()?;
            Ok(job)
        })
    }

    fn renew(&self, job: &Job, worker: &str, lease: Duration) -> Result<bool, StoreError> {
        let attempts = job.attempts as i32;
        let n = self.with("cannot renew a claim", |c| {
            c.execute(
                "UPDATE jobs SET lease_until = now() + make_interval(secs => $4) \
                 WHERE id = $1 AND status = 'running' AND worker = $2 AND attempts = $3",
                &[&job.id, &worker, &attempts, &lease.as_secs_f64()],
            )
        })?;
        Ok(n > 0)
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
        let attempts = job.attempts as i32;
        let n = self.with("cannot store the job's result", |c| {
            c.execute(
                "UPDATE jobs SET status = $4, result = $5, error = $6, finished_at = $7, \
                 worker = NULL, lease_until = NULL \
                 WHERE id = $1 AND status = 'running' AND worker = $2 AND attempts = $3",
                &[
                    &job.id,
                    &worker,
                    &attempts,
                    &status.as_str(),
                    &result,
                    &error,
                    &now_ms(),
                ],
            )
        })?;
        Ok(n > 0)
    }

    fn recover(&self) -> Result<usize, StoreError> {
        // Other processes may be scanning right now: jobs come back by lease, in `claim`.
        Ok(0)
    }

    fn expire(&self, before_ms: i64) -> Result<Vec<String>, StoreError> {
        self.with("cannot expire jobs", |c| {
            let mut tx = c.transaction()?;
            let mut shas: Vec<String> = tx
                .query(
                    "DELETE FROM jobs WHERE finished_at IS NOT NULL AND finished_at < $1 \
                     RETURNING sha256",
                    &[&before_ms],
                )?
                .iter()
                .map(|r| r.try_get(0))
                .collect::<Result<_, _>>()?;
            shas.sort();
            shas.dedup();
            let mut orphans = Vec::new();
            for sha in shas {
                if drop_upload_if_unused(&mut tx, &sha)? {
                    orphans.push(sha);
                }
            }
            tx.commit()?;
            Ok(orphans)
        })
    }

    fn referenced(&self, sha256: &str) -> Result<bool, StoreError> {
        self.with("cannot check an upload's jobs", |c| {
            c.query_one(
                "SELECT EXISTS (SELECT 1 FROM jobs WHERE sha256 = $1)",
                &[&sha256],
            )?
            .try_get(0)
        })
    }

    fn all_uploads(&self) -> Result<Vec<String>, StoreError> {
        self.with("cannot list uploads", |c| {
            c.query("SELECT DISTINCT sha256 FROM jobs ORDER BY sha256", &[])?
                .iter()
                .map(|r| r.try_get(0))
                .collect()
        })
    }

    fn read_upload(&self, sha256: &str, out: &mut dyn Write) -> Result<bool, StoreError> {
        use postgres::fallible_iterator::FallibleIterator;
        let mut write_error = None;
        let found = self.with("cannot read the upload", |c| {
            let mut tx = c.transaction()?;
            if tx
                .query_opt("SELECT 1 FROM uploads WHERE sha256 = $1", &[&sha256])?
                .is_none()
            {
                return Ok(false);
            }
            // Row by row: a large video is never held in memory whole.
            let mut rows = tx.query_raw(
                "SELECT data FROM upload_parts WHERE sha256 = $1 ORDER BY part",
                [sha256],
            )?;
            while let Some(row) = rows.next()? {
                let data: &[u8] = row.try_get(0)?;
                if let Err(e) = out.write_all(data) {
                    write_error = Some(e);
                    break;
                }
            }
            drop(rows);
            tx.commit()?;
            Ok(true)
        })?;
        match write_error {
            Some(source) => Err(StoreError::Io {
                what: "cannot write the upload read from the store",
                source,
            }),
            None => Ok(found),
        }
    }

    fn counts(&self) -> Result<Vec<(Status, i64)>, StoreError> {
        let rows = self.with("cannot count jobs", |c| {
            c.query("SELECT status, count(*) FROM jobs GROUP BY status", &[])?
                .iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect::<Result<Vec<(String, i64)>, postgres::Error>>()
        })?;
        Ok(super::every_status(rows))
    }

    fn worker_seen(&self, w: &WorkerState) -> Result<(), StoreError> {
        self.with("cannot record the worker", |c| {
            c.execute(
                "INSERT INTO workers (id, role, host, pid, slots, started_at, seen_at, healthy, \
                 error, media, detectors, jobs_done) \
                 VALUES ($1, $2, $3, $4, $5, $6, now(), $7, $8, $9, $10, $11) \
                 ON CONFLICT (id) DO UPDATE SET seen_at = now(), healthy = EXCLUDED.healthy, \
                 error = EXCLUDED.error, jobs_done = EXCLUDED.jobs_done",
                &[
                    &w.id,
                    &w.role,
                    &w.host,
                    &i64::from(w.pid),
                    &(w.slots as i32),
                    &w.started_at,
                    &w.healthy,
                    &w.error,
                    &w.filter.media,
                    &w.filter.detectors,
                    &w.jobs_done,
                ],
            )
            .map(|_| ())
        })
    }

    fn worker_gone(&self, id: &str) -> Result<(), StoreError> {
        self.with("cannot remove the worker", |c| {
            c.execute("DELETE FROM workers WHERE id = $1", &[&id])
                .map(|_| ())
        })
    }

    fn workers(&self) -> Result<Vec<WorkerState>, StoreError> {
        self.with("cannot list workers", |c| {
            // Forget workers not heard from in a day (they died without saying so).
            c.execute(
                "DELETE FROM workers WHERE seen_at < now() - interval '1 day'",
                &[],
            )?;
            c.query(
                "SELECT id, role, host, pid, slots, started_at, healthy, error, media, \
                 detectors, jobs_done, extract(epoch FROM now() - seen_at)::float8 \
                 FROM workers ORDER BY started_at, id",
                &[],
            )?
            .iter()
            .map(|r| {
                Ok(WorkerState {
                    id: r.try_get(0)?,
                    role: r.try_get(1)?,
                    host: r.try_get(2)?,
                    pid: u32::try_from(r.try_get::<_, i64>(3)?).unwrap_or(0),
                    slots: u32::try_from(r.try_get::<_, i32>(4)?).unwrap_or(0),
                    started_at: r.try_get(5)?,
                    healthy: r.try_get(6)?,
                    error: r.try_get(7)?,
                    filter: ClaimFilter {
                        media: r.try_get(8)?,
                        detectors: r.try_get(9)?,
                    },
                    jobs_done: r.try_get(10)?,
                    seen_s_ago: Some(r.try_get(11)?),
                })
            })
            .collect()
        })
    }
}

/// Reads until `buf` is full or the file ends.
fn read_full(file: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::{contract, filters, new_job};
    use crate::temp_postgres::TempPostgres;

    fn server() -> Option<TempPostgres> {
        TempPostgres::start_or_skip("store::postgres")
    }

    #[test]
    fn the_store_contract_and_uploads_in_the_database() {
        let Some(pg) = server() else { return };
        let store = PgStore::open(&pg.url("contract")).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let upload = dir.path().join("upload");
        // Three parts, the last one short.
        let bytes: Vec<u8> = (0..(2 * PART_BYTES + 5)).map(|i| (i % 251) as u8).collect();
        std::fs::write(&upload, &bytes).unwrap();
        contract(&store, &upload);
        // The contract deleted every job: the uploads went with them.
        for sha in ["aa", "cc", "dd"] {
            assert!(!store.read_upload(sha, &mut Vec::new()).unwrap(), "{sha}");
        }
        store.insert_job(new_job("k", "ff"), &upload).unwrap();
        let mut back = Vec::new();
        assert!(store.read_upload("ff", &mut back).unwrap());
        assert_eq!(back, bytes);
        // A second process sees the same database, at the current version.
        let other = PgStore::open(&pg.url("contract")).unwrap();
        assert_eq!(other.counts().unwrap()[0], (Status::Queued, 1));
    }

    #[test]
    fn a_lease_that_expires_gives_the_job_to_another_worker_and_only_it_finishes() {
        let Some(pg) = server() else { return };
        let store = PgStore::open(&pg.url("lease")).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let upload = dir.path().join("u");
        std::fs::write(&upload, b"abc").unwrap();
        let any = ClaimFilter::default();
        let short = Duration::from_millis(200);
        let a = store.insert_job(new_job("k", "aa"), &upload).unwrap();
        let first = store.claim("w1", &any, short).unwrap().unwrap();
        assert!(store.claim("w2", &any, short).unwrap().is_none());
        std::thread::sleep(Duration::from_millis(400));
        // w1 stopped renewing: w2 takes the job over.
        let second = store
            .claim("w2", &any, Duration::from_secs(30))
            .unwrap()
            .unwrap();
        assert_eq!((second.id.as_str(), second.attempts), (a.id.as_str(), 2));
        assert!(!store.renew(&first, "w1", short).unwrap());
        assert!(!store.finish(&first, "w1", Ok("late".into())).unwrap());
        assert!(store.finish(&second, "w2", Ok("{}".into())).unwrap());
        assert_eq!(
            store.job("k", &a.id).unwrap().unwrap().result.as_deref(),
            Some("{}")
        );

        // A poison job: every worker that takes it dies. It fails after MAX_ATTEMPTS.
        let p = store.insert_job(new_job("k", "bb"), &upload).unwrap();
        for _ in 0..MAX_ATTEMPTS {
            store.claim("w", &any, short).unwrap().unwrap();
            std::thread::sleep(Duration::from_millis(300));
        }
        assert!(store.claim("w", &any, short).unwrap().is_none());
        let job = store.job("k", &p.id).unwrap().unwrap();
        assert_eq!(job.status, Status::Failed);
        assert!(job.error.unwrap().contains("interrupted 3 times"));
    }

    #[test]
    fn workers_take_only_the_media_and_detectors_they_can() {
        let Some(pg) = server() else { return };
        let store = PgStore::open(&pg.url("filters")).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let upload = dir.path().join("u");
        std::fs::write(&upload, b"abc").unwrap();
        filters(&store, &upload);
    }

    #[test]
    fn many_workers_claim_each_job_once() {
        let Some(pg) = server() else { return };
        let store = std::sync::Arc::new(PgStore::open(&pg.url("many")).unwrap());
        let dir = tempfile::tempdir().unwrap();
        let upload = dir.path().join("u");
        std::fs::write(&upload, b"abc").unwrap();
        for i in 0..200 {
            store
                .insert_job(new_job("k", &format!("{i:064x}")), &upload)
                .unwrap();
        }
        let threads: Vec<_> = (0..6)
            .map(|w| {
                let store = store.clone();
                std::thread::spawn(move || {
                    let name = format!("w{w}");
                    let mut mine = Vec::new();
                    while let Some(job) = store
                        .claim(&name, &ClaimFilter::default(), Duration::from_secs(60))
                        .unwrap()
                    {
                        assert!(store.finish(&job, &name, Ok(job.id.clone())).unwrap());
                        mine.push(job.id);
                    }
                    mine
                })
            })
            .collect();
        let mut all: Vec<String> = threads
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect();
        let n = all.len();
        all.sort();
        all.dedup();
        assert_eq!((n, all.len()), (200, 200));
    }

    #[test]
    fn a_database_of_a_newer_version_is_refused() {
        let Some(pg) = server() else { return };
        let url = pg.url("newer");
        PgStore::open(&url).unwrap();
        let mut client = postgres::Client::connect(&url, NoTls).unwrap();
        client
            .execute("UPDATE fakescope_schema SET version = 99", &[])
            .unwrap();
        let err = PgStore::open(&url).err().unwrap().to_string();
        assert!(
            err.contains("schema version 99") && err.contains("newer fakescope"),
            "{err}"
        );
    }

    #[test]
    fn workers_report_themselves() {
        let Some(pg) = server() else { return };
        let store = PgStore::open(&pg.url("workers")).unwrap();
        let mut w = WorkerState {
            id: "host:1:ab".into(),
            role: "worker".into(),
            host: "host".into(),
            pid: 1,
            slots: 2,
            started_at: now_ms(),
            healthy: false,
            error: Some("cannot load aasist".into()),
            filter: ClaimFilter {
                media: vec!["video".into()],
                detectors: vec![],
            },
            jobs_done: 0,
            seen_s_ago: None,
        };
        store.worker_seen(&w).unwrap();
        w.healthy = true;
        w.error = None;
        w.jobs_done = 5;
        store.worker_seen(&w).unwrap();
        let listed = store.workers().unwrap();
        assert_eq!(listed.len(), 1);
        assert!(listed[0].healthy && listed[0].jobs_done == 5);
        assert_eq!(listed[0].filter.media, ["video"]);
        assert!(listed[0].seen_s_ago.unwrap() < 60.0);
        store.worker_gone(&w.id).unwrap();
        assert!(store.workers().unwrap().is_empty());
    }
}
