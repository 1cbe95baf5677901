//! The HTTP routes. Everything under `/v1` except the OpenAPI document needs
//! `Authorization: Bearer KEY` (unless the server runs with `--no-auth` on loopback); errors
//! are RFC 9457 problem details.
//!
//! | route | what |
//! |---|---|
//! | `POST /v1/scans` | upload a file (raw body, or multipart field `file`); options as query parameters |
//! | `GET /v1/scans` | the key's jobs, newest first (`?status=`, `?limit=`) |
//! | `GET /v1/scans/{id}` | one job with its result (`?wait=SECONDS`, up to 60) |
//! | `DELETE /v1/scans/{id}` | delete a job, its result and (unless shared) its upload |
//! | `GET /v1/scans/{id}/file` | the uploaded file |
//! | `GET /v1/detectors`, `GET /v1/models` | what can be scanned with (and the server's fusions) |
//! | `GET /v1/workers` | the processes that scan: healthy or not, what they take, when last heard from |
//! | `GET /v1/openapi.json` | the OpenAPI 3.1 description |
//! | `GET /healthz`, `GET /readyz`, `GET /metrics` | liveness, readiness, Prometheus |

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, MatchedPath, Path, Request};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::{Stream, StreamExt};
use serde_json::{Value, json};
use tokio::sync::{Notify, RwLock};

use crate::blobs::Blobs;
use crate::limits::RateLimiter;
use crate::metrics::Metrics;
use crate::problem::Problem;
use crate::store::{Job, JobStore, NewJob, Status};
use crate::time::rfc3339;
use crate::worker::Workers;
use crate::{Config, Engine, ScanSettings};

/// Longest `?wait=` accepted, in seconds.
pub const MAX_WAIT_S: f64 = 60.0;

/// What every handler shares.
#[derive(Clone)]
pub struct State {
    pub(crate) config: Arc<Config>,
    pub(crate) store: Arc<dyn JobStore>,
    pub(crate) blobs: Arc<Blobs>,
    pub(crate) engine: Arc<dyn Engine>,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) limiter: Arc<RateLimiter>,
    /// Signalled when a job is queued (wakes a worker).
    pub(crate) queued: Arc<Notify>,
    /// Signalled when a job finishes (wakes `?wait=` requests).
    pub(crate) finished: Arc<Notify>,
    /// Uploads being stored hold it shared; deleting uploads holds it alone, so an upload
    /// that a new job is about to use is never deleted as unreferenced.
    pub(crate) blob_lock: Arc<RwLock<()>>,
    /// This process's workers.
    pub(crate) workers: Arc<Workers>,
}

impl State {
    /// The shared state of a server (`role` "serve") or a worker process ("worker").
    pub fn new(
        config: Config,
        store: Box<dyn JobStore>,
        blobs: Blobs,
        engine: Arc<dyn Engine>,
        role: &'static str,
    ) -> Self {
        let workers = Arc::new(Workers::new(role, config.workers.clone()));
        State {
            config: Arc::new(config),
            store: Arc::from(store),
            blobs: Arc::new(blobs),
            engine,
            metrics: Arc::default(),
            limiter: Arc::default(),
            queued: Arc::default(),
            finished: Arc::default(),
            blob_lock: Arc::default(),
            workers,
        }
    }

    /// Waits until no scan of this process is under way.
    pub(crate) async fn idle(&self) {
        while self.workers.running() > 0 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Runs store work on the blocking pool.
async fn db<T: Send + 'static>(
    state: &State,
    f: impl FnOnce(&dyn JobStore) -> Result<T, crate::store::StoreError> + Send + 'static,
) -> Result<T, Problem> {
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || f(store.as_ref()))
        .await
        .map_err(|e| Problem::internal(format!("a store task failed: {e}")))?
        .map_err(Problem::from)
}

/// The router of the whole server.
pub fn router(state: State) -> Router {
    let timeout = Duration::from_secs_f64(MAX_WAIT_S) + state.config.idle_timeout;
    // Everything but uploads gets an overall time limit; uploads are limited per chunk and
    // in total by the upload code itself.
    let quick = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/v1/openapi.json", get(crate::openapi::document))
        .route("/v1/scans", get(list_scans))
        .route("/v1/scans/{id}", get(get_scan).delete(delete_scan))
        .route("/v1/scans/{id}/file", get(get_file))
        .route("/v1/detectors", get(detectors))
        .route("/v1/models", get(models))
        .route("/v1/workers", get(workers))
        .merge(crate::web::routes())
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ));
    Router::new()
        .route(
            "/v1/scans",
            axum::routing::post(create_scan).layer(middleware::map_response(close_on_refusal)),
        )
        .merge(quick)
        .fallback(|| async { Problem::not_found("no such route") })
        .layer(DefaultBodyLimit::disable())
        .layer(middleware::from_fn_with_state(state.clone(), track))
        .with_state(state)
}

/// An upload refused (quota, size, options) may be answered before its body was read; the
/// server then drops the connection, so the answer says so (`Connection: close`) and the
/// client does not send its next request on a connection that is going away.
async fn close_on_refusal(mut response: Response) -> Response {
    if response.status().is_client_error() || response.status().is_server_error() {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// Counts every request by matched route and status.
async fn track(
    axum::extract::State(state): axum::extract::State<State>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |m| m.as_str())
        .to_owned();
    let response = next.run(request).await;
    state.metrics.request(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(axum::extract::State(state): axum::extract::State<State>) -> Response {
    match db(&state, |s| s.ping()).await {
        Ok(()) => "ready\n".into_response(),
        Err(p) => Problem::unavailable(p.detail).into_response(),
    }
}

async fn metrics(axum::extract::State(state): axum::extract::State<State>) -> Response {
    match db(&state, |s| s.counts()).await {
        Ok(counts) => (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            state
                .metrics
                .render(&counts, state.config.workers.slots, state.workers.healthy()),
        )
            .into_response(),
        Err(p) => p.into_response(),
    }
}

/// The key a request was made with.
pub struct Caller {
    /// Key id (`local` without authentication).
    pub owner: String,
    max_active_jobs: u32,
}

impl FromRequestParts<State> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &State) -> Result<Self, Problem> {
        let config = &state.config;
        let (owner, rate, max_jobs) = if config.no_auth {
            (
                "local".to_owned(),
                config.rate_per_minute,
                config.max_active_jobs,
            )
        } else {
            let value = parts
                .headers
                .get(header::AUTHORIZATION)
                .ok_or_else(|| {
                    Problem::unauthorized(
                        "this route needs an API key: `Authorization: Bearer KEY` (create one with `fakescope keys create`)",
                    )
                })?
                .to_str()
                .map_err(|_| Problem::unauthorized("the Authorization header is not text"))?;
            let secret = value
                .strip_prefix("Bearer ")
                .or_else(|| value.strip_prefix("bearer "))
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .ok_or_else(|| {
                    Problem::unauthorized("the Authorization header must be `Bearer KEY`")
                })?
                .to_owned();
            let key = db(state, move |s| s.key_for_secret(&secret))
                .await?
                .ok_or_else(|| Problem::unauthorized("unknown or revoked API key"))?;
            (
                key.id,
                key.rate_per_minute.unwrap_or(config.rate_per_minute),
                key.max_active_jobs.unwrap_or(config.max_active_jobs),
            )
        };
        state.limiter.check(&owner, rate).map_err(|wait| {
            Problem::too_many(
                format!("more than {rate} requests a minute with this key; retry in {wait} s"),
                wait,
            )
        })?;
        Ok(Caller {
            owner,
            max_active_jobs: max_jobs,
        })
    }
}

/// Reads the scan options of `POST /v1/scans` from its query string. Every key of
/// [`ScanSettings`] is accepted under its own name; `detectors` takes a comma-separated list
/// and `detector` may repeat; `filename` names a raw upload.
pub fn parse_query(query: &str) -> Result<(ScanSettings, Option<String>), Problem> {
    let mut map = serde_json::Map::new();
    let mut detectors: Vec<String> = Vec::new();
    let mut filename = None;
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        let (k, v) = (k.into_owned(), v.into_owned());
        match k.as_str() {
            "detector" | "detectors" => detectors.extend(
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned),
            ),
            "filename" => filename = Some(v),
            _ => {
                let value = match serde_json::from_str::<Value>(&v) {
                    // Numbers and booleans as JSON; everything else (enum names) as a string.
                    Ok(n @ (Value::Number(_) | Value::Bool(_))) => n,
                    _ => Value::String(v.clone()),
                };
                if map.insert(k.clone(), value).is_some() {
                    return Err(Problem::bad_request(format!("option `{k}` is given twice")));
                }
            }
        }
    }
    // Only names over HTTP: a client must not make the server read its folders or files.
    let is_name = |d: &str| {
        d.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
            && !d.starts_with('.')
            && !d.is_empty()
    };
    for d in &detectors {
        if !is_name(d) {
            return Err(Problem::bad_request(format!(
                "`{d}` is not a detector name (GET /v1/detectors lists them)"
            )));
        }
    }
    if let Some(f) = map.get("fusion")
        && !f.as_str().is_some_and(is_name)
    {
        return Err(Problem::bad_request(format!(
            "`fusion`: {f} is not the name of one of the server's fusions"
        )));
    }
    // Each option alone first, so that the error names the option that is wrong.
    for (k, v) in &map {
        let one = Value::Object([(k.clone(), v.clone())].into_iter().collect());
        serde_json::from_value::<ScanSettings>(one)
            .map_err(|e| Problem::bad_request(format!("scan option `{k}`: {e}")))?;
    }
    map.insert("detectors".into(), json!(detectors));
    let settings: ScanSettings = serde_json::from_value(Value::Object(map))
        .map_err(|e| Problem::bad_request(format!("invalid scan option: {e}")))?;
    settings.scan_options().map_err(Problem::bad_request)?;
    check_server_limits(&settings)?;
    Ok((settings.normalized(), filename))
}

/// The most work one request may ask for: a client may lower the scan's limits, not raise
/// them past the command line's defaults, nor ask for more frames or windows than these.
pub const MAX_FRAMES: usize = 256;
/// Largest `fps` a request may ask for.
pub const MAX_FPS: f64 = 4.0;
/// Smallest `hop` (seconds between audio windows) a request may ask for.
pub const MIN_HOP_S: f64 = 0.5;
/// Largest `image_crops` a request may ask for.
pub const MAX_IMAGE_CROPS: usize = 16;
/// Largest `batch_size` a request may ask for.
pub const MAX_BATCH: usize = 64;

fn check_server_limits(s: &ScanSettings) -> Result<(), Problem> {
    let defaults = ScanSettings::default();
    let over = |option: &str, limit: String| {
        Err(Problem::bad_request(format!(
            "scan option `{option}`: this server allows at most {limit}"
        )))
    };
    if s.max_duration > defaults.max_duration {
        return over("max_duration", format!("{} s", defaults.max_duration));
    }
    if s.max_pixels > defaults.max_pixels {
        return over("max_pixels", format!("{} pixels", defaults.max_pixels));
    }
    if s.image_crops > MAX_IMAGE_CROPS {
        return over("image_crops", format!("{MAX_IMAGE_CROPS} crops per image"));
    }
    if s.frames > MAX_FRAMES {
        return over("frames", format!("{MAX_FRAMES} frames"));
    }
    if s.fps.is_some_and(|f| f > MAX_FPS) {
        return over("fps", format!("{MAX_FPS} frames per second"));
    }
    if s.batch_size > MAX_BATCH {
        return over("batch_size", MAX_BATCH.to_string());
    }
    if s.hop < MIN_HOP_S {
        return Err(Problem::bad_request(format!(
            "scan option `hop`: this server allows at least {MIN_HOP_S} s between windows"
        )));
    }
    Ok(())
}

/// The last component of a client's file name, without control characters, at most 200
/// characters; `upload` when nothing is left.
pub fn sanitize_filename(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = last.chars().filter(|c| !c.is_control()).take(200).collect();
    let clean = clean.trim().trim_start_matches('.').to_owned();
    if clean.is_empty() {
        "upload".into()
    } else {
        clean
    }
}

async fn create_scan(
    axum::extract::State(state): axum::extract::State<State>,
    caller: Caller,
    request: Request,
) -> Result<Response, Problem> {
    let (settings, query_name) = parse_query(request.uri().query().unwrap_or(""))?;
    {
        let engine = state.engine.clone();
        let s = settings.clone();
        tokio::task::spawn_blocking(move || engine.prepare(&s))
            .await
            .map_err(|e| Problem::internal(format!("preparing the scan failed: {e}")))?
            .map_err(Problem::bad_request)?;
    }
    let owner = caller.owner.clone();
    let active = db(&state, move |s| s.active_jobs(&owner)).await?;
    if active >= caller.max_active_jobs {
        return Err(Problem::too_many(
            format!(
                "this key has {active} jobs queued or running (at most {}); wait for some to finish",
                caller.max_active_jobs
            ),
            5,
        ));
    }
    let declared = content_length(request.headers());
    let limits = state.config.uploads;
    if let Some(n) = declared
        && n > limits.largest()
    {
        return Err(Problem::too_large(format!(
            "the upload is {n} bytes; the largest accepted is {} bytes",
            limits.largest()
        )));
    }
    let is_multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    let deadline = tokio::time::Instant::now() + state.config.upload_timeout;
    let upload = if is_multipart {
        let mut multipart = axum::extract::Multipart::from_request(request, &state)
            .await
            .map_err(|e| Problem::bad_request(format!("invalid multipart body: {e}")))?;
        let mut stored = None;
        loop {
            let field = tokio::time::timeout_at(deadline, multipart.next_field())
                .await
                .map_err(|_| Problem::timeout("the upload took too long"))?
                .map_err(|e| Problem::bad_request(format!("invalid multipart body: {e}")))?;
            let Some(field) = field else { break };
            match field.name() {
                Some("file") if stored.is_none() => {
                    let name = field.file_name().map(str::to_owned);
                    let s = receive(
                        &state,
                        field.map(|r| r.map_err(|e| e.to_string())),
                        deadline,
                    )
                    .await?;
                    stored = Some((s, name));
                }
                Some("file") => {
                    return Err(Problem::bad_request(
                        "send one file per request (field `file` given twice)",
                    ));
                }
                other => {
                    return Err(Problem::bad_request(format!(
                        "unknown form field `{}`: send the file as `file` and options as query parameters",
                        other.unwrap_or("")
                    )));
                }
            }
        }
        let (s, name) = stored.ok_or_else(|| {
            Problem::bad_request("the multipart body has no field `file` with the upload")
        })?;
        (s, name.or(query_name))
    } else {
        let stream = request
            .into_body()
            .into_data_stream()
            .map(|r| r.map_err(|e| e.to_string()));
        (receive(&state, stream, deadline).await?, query_name)
    };
    let ((writer, kind), name) = upload;
    let filename = sanitize_filename(name.as_deref().unwrap_or("upload"));
    let settings_json = serde_json::to_string(&settings)
        .map_err(|e| Problem::internal(format!("cannot encode the settings: {e}")))?;
    let detectors = state.engine.detector_names(&settings);
    let guard = state.blob_lock.read().await;
    // A shared store keeps the upload itself: this node keeps no copy (the temporary file goes
    // when `writer` drops). A local store's upload lives in the upload folder under its hash.
    let (sha256, bytes, path, _temporary) = if state.store.is_shared() {
        let mut writer = writer;
        let (sha, bytes, path) = writer.seal().await.map_err(io_problem)?;
        (sha, bytes, path, Some(writer))
    } else {
        let (sha, bytes) = writer.finish().await.map_err(io_problem)?;
        let path = state
            .blobs
            .path(&sha)
            .ok_or_else(|| Problem::internal("the upload's hash is not a hash"))?;
        (sha, bytes, path, None)
    };
    state.metrics.uploaded(bytes);
    let new = NewJob {
        owner: caller.owner.clone(),
        filename,
        media: media_name(kind).to_owned(),
        bytes: bytes as i64,
        sha256,
        settings: settings_json,
        detectors,
    };
    let job = db(&state, move |s| s.insert_job(new, &path)).await?;
    drop(guard);
    if job.status == Status::Queued {
        state.queued.notify_one();
    } else {
        state.finished.notify_waiters();
    }
    let location = format!("/v1/scans/{}", job.id);
    let mut response = (StatusCode::ACCEPTED, axum::Json(job_view(&job, false))).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response)
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

fn media_name(kind: fakescope_media::MediaKind) -> &'static str {
    match kind {
        fakescope_media::MediaKind::Audio(_) => "audio",
        fakescope_media::MediaKind::Image(_) => "image",
        fakescope_media::MediaKind::Video(_) => "video",
        fakescope_media::MediaKind::Unknown => "unknown",
    }
}

fn io_problem(e: std::io::Error) -> Problem {
    if e.kind() == std::io::ErrorKind::StorageFull {
        Problem::insufficient_storage("the server's disk is full; the upload was not stored")
    } else {
        Problem::internal(format!("cannot store the upload: {e}"))
    }
}

/// Streams an upload into the blob folder: sniffs its first bytes, enforces the limit of its
/// kind as bytes arrive, and cuts a client that sends nothing for the idle timeout.
async fn receive<S>(
    state: &State,
    stream: S,
    deadline: tokio::time::Instant,
) -> Result<(crate::blobs::BlobWriter, fakescope_media::MediaKind), Problem>
where
    S: Stream<Item = Result<Bytes, String>>,
{
    let limits = state.config.uploads;
    let idle = state.config.idle_timeout;
    let mut writer = state.blobs.writer().await.map_err(io_problem)?;
    let mut head: Vec<u8> = Vec::new();
    let mut kind = None;
    let mut limit = limits.largest();
    futures_util::pin_mut!(stream);
    loop {
        let next = tokio::time::timeout(idle, stream.next());
        let chunk = match tokio::time::timeout_at(deadline, next).await {
            Err(_) => return Err(Problem::timeout("the upload took too long")),
            Ok(Err(_)) => {
                return Err(Problem::timeout(format!(
                    "the client sent nothing for {} s",
                    idle.as_secs()
                )));
            }
            Ok(Ok(None)) => break,
            Ok(Ok(Some(Err(e)))) => {
                return Err(Problem::bad_request(format!("the upload was cut off: {e}")));
            }
            Ok(Ok(Some(Ok(chunk)))) => chunk,
        };
        if writer.bytes() + chunk.len() as u64 > limit {
            return Err(too_large(kind, limit));
        }
        writer.write(&chunk).await.map_err(io_problem)?;
        if kind.is_none() {
            head.extend_from_slice(&chunk[..chunk.len().min(fakescope_media::SNIFF_LEN)]);
            if head.len() >= fakescope_media::SNIFF_LEN {
                let k = check_kind(&head, limits)?;
                limit = kind_limit(k, limits);
                if writer.bytes() > limit {
                    return Err(too_large(Some(k), limit));
                }
                kind = Some(k);
            }
        }
    }
    let kind = match kind {
        Some(k) => k,
        None => {
            if head.is_empty() {
                return Err(Problem::bad_request("the upload is empty"));
            }
            let k = check_kind(&head, limits)?;
            let limit = kind_limit(k, limits);
            if writer.bytes() > limit {
                return Err(too_large(Some(k), limit));
            }
            k
        }
    };
    Ok((writer, kind))
}

fn check_kind(
    head: &[u8],
    _limits: crate::UploadLimits,
) -> Result<fakescope_media::MediaKind, Problem> {
    match fakescope_media::sniff(head) {
        fakescope_media::MediaKind::Unknown => Err(Problem::unsupported(
            "not an image, audio or video file fakescope can read (checked by content, not by name)",
        )),
        k => Ok(k),
    }
}

fn kind_limit(kind: fakescope_media::MediaKind, limits: crate::UploadLimits) -> u64 {
    match kind {
        fakescope_media::MediaKind::Image(_) => limits.image_bytes,
        fakescope_media::MediaKind::Audio(_) => limits.audio_bytes,
        _ => limits.video_bytes,
    }
}

fn too_large(kind: Option<fakescope_media::MediaKind>, limit: u64) -> Problem {
    match kind {
        Some(k) => Problem::too_large(format!(
            "the upload is a {k}, larger than the {limit} bytes accepted for {}s",
            media_name(k)
        )),
        None => Problem::too_large(format!(
            "the upload is larger than the {limit} bytes accepted"
        )),
    }
}

/// A job as the API shows it. `with_result` includes the report (the same object
/// `fakescope scan --json` prints); lists show only its verdict.
pub fn job_view(job: &Job, with_result: bool) -> Value {
    let result: Option<Value> = job
        .result
        .as_deref()
        .and_then(|r| serde_json::from_str(r).ok());
    let settings: Value = serde_json::from_str(&job.settings).unwrap_or(Value::Null);
    let mut v = json!({
        "id": job.id,
        "status": job.status,
        "filename": job.filename,
        "media": job.media,
        "bytes": job.bytes,
        "sha256": job.sha256,
        "settings": settings,
        "created_at": rfc3339(job.created_at),
        "started_at": job.started_at.map(rfc3339),
        "finished_at": job.finished_at.map(rfc3339),
        "attempts": job.attempts,
        "cached": job.cached,
        "error": job.error,
        "links": {
            "self": format!("/v1/scans/{}", job.id),
            "file": format!("/v1/scans/{}/file", job.id),
        },
    });
    if with_result {
        v["result"] = result.unwrap_or(Value::Null);
    } else {
        v["verdict"] = result
            .as_ref()
            .map_or(Value::Null, |r| r["verdict"].clone());
        v["fake_probability"] = result
            .as_ref()
            .map_or(Value::Null, |r| r["fake_probability"].clone());
    }
    v
}

/// The id of a job as it appears in a path: 32 lowercase hex digits.
fn check_id(id: &str) -> Result<(), Problem> {
    if id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(())
    } else {
        Err(Problem::not_found(format!("no job `{id}`")))
    }
}

async fn get_scan(
    axum::extract::State(state): axum::extract::State<State>,
    caller: Caller,
    Path(id): Path<String>,
    request: Request,
) -> Result<Response, Problem> {
    check_id(&id)?;
    let mut wait = 0.0;
    for (k, v) in form_urlencoded::parse(request.uri().query().unwrap_or("").as_bytes()) {
        match k.as_ref() {
            "wait" => {
                wait = v
                    .parse::<f64>()
                    .ok()
                    .filter(|w| w.is_finite() && *w >= 0.0 && *w <= MAX_WAIT_S)
                    .ok_or_else(|| {
                        Problem::bad_request(format!(
                            "`wait` must be a number of seconds from 0 to {MAX_WAIT_S}, not `{v}`"
                        ))
                    })?;
            }
            other => {
                return Err(Problem::bad_request(format!("unknown parameter `{other}`")));
            }
        }
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs_f64(wait);
    // On a shared store the job may finish in another process, which cannot wake this one.
    let poll = if state.store.is_shared() {
        Duration::from_millis(250)
    } else {
        Duration::from_secs_f64(MAX_WAIT_S)
    };
    loop {
        // Listen before looking, so a job finishing in between is not missed.
        let notified = state.finished.notified();
        futures_util::pin_mut!(notified);
        notified.as_mut().enable();
        let (owner, jid) = (caller.owner.clone(), id.clone());
        let job = db(&state, move |s| s.job(&owner, &jid))
            .await?
            .ok_or_else(|| Problem::not_found(format!("no job `{id}`")))?;
        if job.status.is_final() || tokio::time::Instant::now() >= deadline {
            return Ok(axum::Json(job_view(&job, true)).into_response());
        }
        let next = deadline.min(tokio::time::Instant::now() + poll);
        let _ = tokio::time::timeout_at(next, notified).await;
    }
}

async fn list_scans(
    axum::extract::State(state): axum::extract::State<State>,
    caller: Caller,
    request: Request,
) -> Result<Response, Problem> {
    let mut status = None;
    let mut limit = 50u32;
    for (k, v) in form_urlencoded::parse(request.uri().query().unwrap_or("").as_bytes()) {
        match k.as_ref() {
            "status" => {
                status = Some(Status::parse(&v).ok_or_else(|| {
                    Problem::bad_request(format!(
                        "`status` is one of queued, running, done, failed; not `{v}`"
                    ))
                })?);
            }
            "limit" => {
                limit = v
                    .parse()
                    .ok()
                    .filter(|n| (1..=500).contains(n))
                    .ok_or_else(|| {
                        Problem::bad_request(format!("`limit` is from 1 to 500, not `{v}`"))
                    })?;
            }
            other => {
                return Err(Problem::bad_request(format!("unknown parameter `{other}`")));
            }
        }
    }
    let owner = caller.owner.clone();
    let jobs = db(&state, move |s| s.jobs(&owner, status, limit)).await?;
    let list: Vec<Value> = jobs.iter().map(|j| job_view(j, false)).collect();
    Ok(axum::Json(json!({ "scans": list })).into_response())
}

async fn delete_scan(
    axum::extract::State(state): axum::extract::State<State>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    check_id(&id)?;
    let _guard = state.blob_lock.write().await;
    let (owner, jid) = (caller.owner.clone(), id.clone());
    let job = db(&state, move |s| s.delete_job(&owner, &jid))
        .await?
        .ok_or_else(|| Problem::not_found(format!("no job `{id}`")))?;
    let sha = job.sha256.clone();
    let referenced = db(&state, move |s| s.referenced(&sha)).await?;
    if !referenced {
        state
            .blobs
            .remove(&job.sha256)
            .map_err(|e| Problem::internal(format!("cannot delete the upload: {e}")))?;
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn get_file(
    axum::extract::State(state): axum::extract::State<State>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    check_id(&id)?;
    let (owner, jid) = (caller.owner.clone(), id.clone());
    let job = db(&state, move |s| s.job(&owner, &jid))
        .await?
        .ok_or_else(|| Problem::not_found(format!("no job `{id}`")))?;
    let (path, temporary) = {
        let state = state.clone();
        let sha = job.sha256.clone();
        tokio::task::spawn_blocking(move || crate::worker::local_upload(&state, &sha))
            .await
            .map_err(|e| Problem::internal(format!("reading the upload failed: {e}")))?
            .map_err(|e| match e {
                crate::worker::UploadError::Gone => Problem::not_found(e.to_string()),
                crate::worker::UploadError::Fetch(_) => {
                    let mut p = Problem::unavailable(e.to_string());
                    p.retry_after = Some(1);
                    p
                }
            })?
    };
    let mut file = tokio::fs::File::open(&path)
        .await
        .map_err(|_| Problem::not_found("the upload is no longer stored"))?;
    if temporary {
        // Read from a shared store: the open file is all that is needed (Unix keeps its
        // bytes until it is closed), so nothing is left behind.
        let _ = tokio::fs::remove_file(&path).await;
    }
    let mut head = vec![0u8; 4096];
    let n = tokio::io::AsyncReadExt::read(&mut file, &mut head)
        .await
        .map_err(|e| Problem::internal(format!("cannot read the upload: {e}")))?;
    head.truncate(n);
    let mime = fakescope_media::sniff(&head).mime_type();
    let rest = futures_util::stream::unfold(file, |mut f| async move {
        let mut buf = vec![0u8; 64 * 1024];
        match tokio::io::AsyncReadExt::read(&mut f, &mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(Bytes::from(buf)), f))
            }
            Err(e) => Some((Err(e), f)),
        }
    });
    let body = futures_util::stream::once(async move { Ok(Bytes::from(head)) }).chain(rest);
    let disposition = format!(
        "inline; filename=\"{}\"",
        job.filename.replace(['"', '\\'], "_")
    );
    let mut response = Body::from_stream(body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_LENGTH,
        HeaderValue::from(job.bytes.max(0) as u64),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

async fn detectors(
    axum::extract::State(state): axum::extract::State<State>,
    _caller: Caller,
) -> Response {
    axum::Json(json!({
        "detectors": state.engine.detectors(),
        "fusions": state.engine.fusions(),
    }))
    .into_response()
}

async fn workers(
    axum::extract::State(state): axum::extract::State<State>,
    _caller: Caller,
) -> Result<Response, Problem> {
    let mut list = db(&state, |s| s.workers()).await?;
    if !state.store.is_shared() {
        // One process: this server is the only one that scans.
        list.push(state.workers.state());
    }
    Ok(axum::Json(json!({ "workers": list })).into_response())
}

async fn models(
    axum::extract::State(state): axum::extract::State<State>,
    _caller: Caller,
) -> Response {
    axum::Json(json!({ "models": state.engine.models() })).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_options_become_settings() {
        let (s, name) =
            parse_query("detectors=mesoinception4-df,aasist&fake_threshold=0.7&crops=true&aggregate=max&filename=a.jpg")
                .unwrap();
        assert_eq!(s.detectors, ["aasist", "mesoinception4-df"]);
        assert_eq!(s.fake_threshold, 0.7);
        assert!(s.crops);
        assert_eq!(s.aggregate, fakescope_scan::Pool::Max);
        assert_eq!(name.as_deref(), Some("a.jpg"));
        assert_eq!(parse_query("").unwrap().0, ScanSettings::default());
    }

    #[test]
    fn bad_options_are_400_naming_the_option() {
        for (q, needle) in [
            ("speed=fast", "speed"),
            ("fake_threshold=abc", "fake_threshold"),
            ("fake_threshold=0.2&uncertain_threshold=0.4", "threshold"),
            ("frames=0", "frames"),
            ("detector=../../etc", "not a detector name"),
            ("hop=1&hop=2", "twice"),
            ("max_duration=100000", "max_duration"),
            ("max_pixels=1000000000000", "max_pixels"),
            ("frames=100000", "frames"),
            ("fps=30", "fps"),
            ("hop=0.01", "hop"),
            ("batch_size=100000", "batch_size"),
        ] {
            let p = parse_query(q).unwrap_err();
            assert_eq!(p.status, 400, "{q}");
            assert!(p.detail.contains(needle), "{q}: {}", p.detail);
        }
    }

    #[test]
    fn fusions_are_named_never_files() {
        let (s, _) = parse_query("detectors=a,b&fusion=faces").unwrap();
        assert_eq!(s.fusion.as_deref(), Some("faces"));
        for bad in [
            "fusion=/etc/passwd",
            "fusion=../f.json",
            "fusion=",
            "fusion=1",
        ] {
            let e = parse_query(bad).unwrap_err();
            assert_eq!(e.status, 400, "{bad}");
        }
    }

    #[test]
    fn file_names_lose_their_paths() {
        assert_eq!(sanitize_filename("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_filename("C:\\Users\\a\\clip.mp4"), "clip.mp4");
        assert_eq!(sanitize_filename("..\u{0}"), "upload");
        assert_eq!(sanitize_filename(".hidden"), "hidden");
        assert_eq!(sanitize_filename(""), "upload");
    }
}
