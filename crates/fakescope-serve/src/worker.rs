//! The worker pool: `workers` tasks that claim queued jobs and run them on the blocking pool,
//! and the retention sweep.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use crate::api::State;
use crate::store::{Job, Status};
use crate::time::now_ms;

/// Starts the workers and the retention sweep.
pub fn start(state: State) {
    for _ in 0..state.config.workers.max(1) {
        tokio::spawn(work(state.clone()));
    }
    tokio::spawn(sweep(state));
}

async fn work(state: State) {
    loop {
        let claimed = {
            let store = state.store.clone();
            tokio::task::spawn_blocking(move || store.claim()).await
        };
        let job = match claimed {
            Ok(Ok(Some(job))) => job,
            Ok(Ok(None)) => {
                // Woken by a new job, or look again after a while.
                let _ = tokio::time::timeout(Duration::from_secs(2), state.queued.notified()).await;
                continue;
            }
            Ok(Err(e)) => {
                eprintln!("fakescope serve: cannot claim a job: {e}");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
            Err(e) => {
                eprintln!("fakescope serve: worker task failed: {e}");
                continue;
            }
        };
        run(&state, job).await;
        state.finished.notify_waiters();
    }
}

async fn run(state: &State, job: Job) {
    let started = Instant::now();
    let media = job.media.clone();
    let outcome = {
        let state = state.clone();
        let job = job.clone();
        tokio::task::spawn_blocking(move || scan(&state, &job))
            .await
            .unwrap_or_else(|e| Err(format!("the scan stopped unexpectedly: {e}")))
    };
    let status = if outcome.is_ok() {
        Status::Done
    } else {
        Status::Failed
    };
    state
        .metrics
        .scan(&media, status, started.elapsed().as_secs_f64());
    let store = state.store.clone();
    let id = job.id.clone();
    match tokio::task::spawn_blocking(move || store.finish(&id, outcome)).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => eprintln!("fakescope serve: cannot store job {}: {e}", job.id),
        Err(e) => eprintln!("fakescope serve: cannot store job {}: {e}", job.id),
    }
}

/// Scans a job's upload; the report as JSON, or why it could not be scanned.
fn scan(state: &State, job: &Job) -> Result<String, String> {
    let settings: crate::ScanSettings = serde_json::from_str(&job.settings)
        .map_err(|e| format!("the job's stored settings are unreadable: {e}"))?;
    let path = state
        .blobs
        .path(&job.sha256)
        .filter(|p| p.is_file())
        .ok_or_else(|| "the upload is no longer stored".to_owned())?;
    let mut report = state.engine.scan(&settings, &path)?;
    report.path = job.filename.clone();
    if let Some(e) = report.error.take() {
        // Name the upload, not the path it is stored under.
        let stored = path.display().to_string();
        return Err(e.replace(&stored, &job.filename));
    }
    serde_json::to_string(&report).map_err(|e| format!("cannot encode the report: {e}"))
}

/// Every ten minutes: delete jobs finished longer ago than the retention, and their uploads
/// when no other job uses them. At start-up, also uploads no job refers to.
async fn sweep(state: State) {
    let first = {
        let state = state.clone();
        let guard = state.blob_lock.clone().write_owned().await;
        tokio::task::spawn_blocking(move || -> Result<usize, String> {
            let _guard = guard;
            let keep: HashSet<String> = state
                .store
                .all_uploads()
                .map_err(|e| e.to_string())?
                .into_iter()
                .collect();
            state.blobs.remove_strays(&keep).map_err(|e| e.to_string())
        })
        .await
    };
    if let Ok(Err(e)) = first {
        eprintln!("fakescope serve: cannot clean the upload folder: {e}");
    }
    loop {
        // Under the write lock: an upload that is being stored for a new job must not lose its
        // file between the job's insertion and the removal of an "unreferenced" blob.
        let guard = state.blob_lock.clone().write_owned().await;
        let state2 = state.clone();
        let swept = tokio::task::spawn_blocking(move || -> Result<usize, String> {
            let _guard = guard;
            let before = now_ms() - state2.config.retention.as_millis() as i64;
            let orphans = state2.store.expire(before).map_err(|e| e.to_string())?;
            for sha in &orphans {
                state2.blobs.remove(sha).map_err(|e| e.to_string())?;
            }
            Ok(orphans.len())
        })
        .await;
        if let Ok(Err(e)) = swept {
            eprintln!("fakescope serve: retention sweep failed: {e}");
        }
        tokio::time::sleep(Duration::from_secs(600).min(state.config.retention)).await;
    }
}
