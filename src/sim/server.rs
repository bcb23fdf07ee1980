//! The simulator's HTTP layer (axum): routes, the gateway middleware
//! (request ids, latency, authentication, faults, the request log), the
//! control endpoints under `/_sim/`, and the background clock tick.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::auth::{self, SignedRequest};
use super::catalogue;
use super::state::{ApiError, LoggedRequest, OutsideChange, SimState, Timing, timestamp};
use super::{Faults, Flavour, SimConfig, SimError, SyncAnswer, api};

/// The largest request body accepted.
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
/// ListNodes `limit` when absent, and its maximum.
const MAX_PAGE: usize = 2000;
/// The IAM token path.
const IAM_TOKENS_PATH: &str = "/v3/auth/tokens";

/// What the server and the handle share.
pub(crate) struct Shared {
    pub config: SimConfig,
    timing: Timing,
    inner: Mutex<Inner>,
    /// Every request received, control requests excluded: what benchmarks
    /// count as API round trips.
    pub requests_served: std::sync::atomic::AtomicU64,
    /// The generation of the snapshot last written to the state file. Held
    /// for the whole of each write, so that one write at a time touches the
    /// file and an older snapshot never lands over a newer one.
    written: Arc<Mutex<u64>>,
    /// Requests answered 429 by the gateway's rate limit.
    pub requests_rate_limited: std::sync::atomic::AtomicU64,
    /// API requests being served now, and the most at once.
    pub in_flight: std::sync::atomic::AtomicUsize,
    pub in_flight_peak: std::sync::atomic::AtomicUsize,
    /// The current rate-limit window: when it started and how many
    /// requests it let through.
    rate_window: Mutex<Option<(Instant, u32)>>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

pub(crate) struct Inner {
    pub state: SimState,
    pub faults: Faults,
    rng: StdRng,
    last_real: Instant,
    /// Tokens handed out by `POST /v3/auth/tokens`; kept in memory only, never
    /// in the state file.
    issued_tokens: BTreeSet<String>,
    /// Changed since the last save.
    pub dirty: bool,
    /// Injected 429s so far, to alternate their body styles.
    throttled: u64,
    /// Snapshots taken for saving so far; each one's generation.
    snapshots: u64,
}

impl Inner {
    /// Replaces the faults and re-seeds the RNG. Jobs held by
    /// `hold_jobs_after` start once the new set no longer holds them.
    pub fn set_faults(&mut self, faults: Faults, timing: &Timing) {
        self.rng = StdRng::seed_from_u64(faults.seed);
        if faults.hold_jobs_after.is_none() {
            self.state.release_held_jobs(timing);
        }
        self.faults = faults;
    }
}

fn seconds(duration: Duration) -> f64 {
    duration.as_secs_f64()
}

impl Shared {
    pub fn set_faults(&self, faults: Faults) {
        self.lock().set_faults(faults, &self.timing);
    }

    pub fn new(config: SimConfig, mut state: SimState) -> Self {
        let clusters: Vec<String> = state.clusters.keys().cloned().collect();
        for cluster in clusters {
            state.refresh(&cluster);
        }
        let timing = Timing {
            create: seconds(config.create_duration),
            reset: seconds(config.reset_duration),
            delete: seconds(config.delete_duration),
            job_start: seconds(config.job_start_delay),
        };
        let faults = config.faults.clone();
        Self {
            timing,
            inner: Mutex::new(Inner {
                state,
                rng: StdRng::seed_from_u64(faults.seed),
                faults,
                last_real: Instant::now(),
                issued_tokens: BTreeSet::new(),
                dirty: true,
                throttled: 0,
                snapshots: 0,
            }),
            requests_served: std::sync::atomic::AtomicU64::new(0),
            written: Arc::new(Mutex::new(0)),
            requests_rate_limited: std::sync::atomic::AtomicU64::new(0),
            in_flight: std::sync::atomic::AtomicUsize::new(0),
            in_flight_peak: std::sync::atomic::AtomicUsize::new(0),
            rate_window: Mutex::new(None),
            config,
        }
    }

    /// Locks the world with the clock advanced to now.
    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the state half
        // changed in a way worse than refusing to serve, so keep serving.
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let elapsed = now.duration_since(inner.last_real);
        inner.last_real = now;
        let target = inner.state.now + seconds(elapsed) * self.config.time_scale.max(0.0);
        let Inner { state, faults, .. } = &mut *inner;
        if state.advance_to(target, &self.timing, faults) {
            inner.dirty = true;
        }
        inner
    }

    pub fn advance(&self, by: Duration) {
        let mut inner = self.lock();
        let target = inner.state.now + seconds(by);
        let Inner { state, faults, .. } = &mut *inner;
        state.advance_to(target, &self.timing, faults);
        inner.dirty = true;
    }

    pub fn outside_change(&self, change: &OutsideChange) -> Result<(), SimError> {
        let mut inner = self.lock();
        let Inner { state, faults, .. } = &mut *inner;
        state
            .apply_outside_change(change, &self.timing, faults)
            .map_err(|e| SimError::Rejected {
                status: e.status,
                message: e.message,
            })?;
        inner.dirty = true;
        Ok(())
    }

    /// Saves the state if it changed since the last save.
    pub async fn save_if_dirty(&self) {
        if let Err(error) = self.save(false).await {
            tracing::warn!(error = %error, "cannot save the simulator state");
        }
    }

    /// Saves the state now.
    pub async fn save_now(&self) -> Result<(), SimError> {
        self.save(true).await
    }

    async fn save(&self, force: bool) -> Result<(), SimError> {
        let Some(path) = self.config.state_file.clone() else {
            return Ok(());
        };
        let (snapshot, generation) = {
            let mut inner = self.lock();
            if !inner.dirty && !force {
                return Ok(());
            }
            inner.dirty = false;
            inner.snapshots += 1;
            (inner.state.clone(), inner.snapshots)
        };
        // The write runs to its end even when this future is dropped (a
        // request whose client went away, the tick task stopped at
        // shutdown), so it takes its turn in the blocking task itself: two
        // writers of the same temporary file once made a rename fail with
        // "No such file or directory".
        let written = Arc::clone(&self.written);
        let write = move || {
            let mut last = written.lock().unwrap_or_else(|e| e.into_inner());
            if generation <= *last {
                return Ok(());
            }
            snapshot.save(path)?;
            *last = generation;
            Ok(())
        };
        match tokio::task::spawn_blocking(write).await {
            Ok(result) => result,
            Err(_) => Ok(()),
        }
    }
}

/// Advances the clock and saves the state every `config.tick` of real time,
/// so that a served state file follows the simulation without requests.
pub(crate) async fn tick(shared: Arc<Shared>) {
    let mut interval = tokio::time::interval(shared.config.tick.max(Duration::from_millis(1)));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        drop(shared.lock());
        shared.save_if_dirty().await;
    }
}

/// The whole router: the CCE API behind the gateway middleware, and the
/// control endpoints beside it.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let project = "/api/v3/projects/{project_id}";
    let api = Router::new()
        .route(
            &format!("{project}/clusters/{{cluster_id}}/nodepools"),
            get(list_pools).post(create_pool),
        )
        .route(
            &format!("{project}/clusters/{{cluster_id}}/nodepools/{{pool_id}}"),
            get(show_pool).put(update_pool).delete(delete_pool),
        )
        .route(
            &format!("{project}/clusters/{{cluster_id}}/nodepools/{{pool_id}}/operation/upgrade"),
            post(sync_pool),
        )
        .route(
            &format!("{project}/clusters/{{cluster_id}}/nodes"),
            get(list_nodes),
        )
        .route(
            &format!("{project}/clusters/{{cluster_id}}/nodes/{{node_id}}"),
            get(show_node),
        )
        .route(
            &format!("{project}/clusters/{{cluster_id}}/nodes/reset"),
            post(reset_nodes),
        )
        .route(
            "/api/v3.1/projects/{project_id}/clusters/{cluster_id}/nodepool/{pool_id}/sync",
            axum::routing::put(sync_whole_pool),
        )
        .route(&format!("{project}/jobs/{{job_id}}"), get(show_job))
        .route(IAM_TOKENS_PATH, post(issue_token))
        .fallback(unknown_path)
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&shared),
            gateway,
        ));
    let control = Router::new()
        .route("/_sim/state", get(control_state).put(control_replace_state))
        .route(
            "/_sim/peaks",
            get(control_peaks).delete(control_reset_peaks),
        )
        .route("/_sim/log", get(control_log))
        .route("/_sim/faults", get(control_faults).put(control_set_faults))
        .route("/_sim/outside-change", post(control_outside_change))
        .route("/_sim/nodes/{cluster_id}/{node_id}", get(control_node))
        .route("/_sim/advance", post(control_advance));
    control.merge(api).with_state(shared)
}

// -------------------------------------------------------------------------
// Responses.

fn json_response(status: StatusCode, body: &impl serde::Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (status, [(header::CONTENT_TYPE, "application/json")], bytes).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// A CCE error body, in both styles the SDK reads.
fn cce_error(status: u16, code: &str, message: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    json_response(
        status,
        &json!({
            "errorCode": code,
            "errorMessage": message,
            "error_code": code,
            "error_msg": message,
        }),
    )
}

/// An API gateway error body.
fn gateway_error(status: StatusCode, code: &str, message: &str, request_id: &str) -> Response {
    json_response(
        status,
        &json!({"error_msg": message, "error_code": code, "request_id": request_id}),
    )
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        cce_error(self.status, self.code, &self.message)
    }
}

type ApiResult = Result<Response, ApiError>;

/// The keys of a request body its model does not have, which the service
/// ignored: handlers attach them to their response for the request log.
#[derive(Debug, Clone, Default)]
struct IgnoredKeys(Vec<String>);

/// Reads a request body as CCE does: JSON checked against the SDK model
/// `model` (see [`catalogue`]). Keys the model does not have are ignored
/// (and returned, to be logged); a value of the wrong type is a 400 naming
/// the field. Only then is the body read into the simulator's type, so an
/// ignored key can have no effect.
fn read_body<T: DeserializeOwned>(model: &str, body: &Bytes) -> Result<(T, Vec<String>), ApiError> {
    let mut value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("the request body is not JSON: {e}")))?;
    let findings = catalogue::prune(model, &mut value);
    if let Some(mismatch) = findings.iter().find(|f| !f.is_ignored()) {
        return Err(ApiError::bad_request(format!(
            "invalid request body: {mismatch}"
        )));
    }
    let ignored = findings.into_iter().map(|f| f.path).collect();
    let read = serde_json::from_value(value)
        .map_err(|e| ApiError::bad_request(format!("invalid request body: {e}")))?;
    Ok((read, ignored))
}

/// A response that records the ignored keys for the request log.
fn with_ignored(mut response: Response, ignored: Vec<String>) -> Response {
    if !ignored.is_empty() {
        response.extensions_mut().insert(IgnoredKeys(ignored));
    }
    response
}

fn check_project(shared: &Shared, project_id: &str) -> Result<(), ApiError> {
    let served = &shared.config.project_id;
    if served.is_empty() || served == project_id {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!(
            "project {project_id} is not served here (this simulator serves project {served})"
        )))
    }
}

// -------------------------------------------------------------------------
// The gateway: everything that happens around every API call.

async fn gateway(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let request_id = uuid::Uuid::new_v4().simple().to_string();
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => {
            let mut response = cce_error(400, "CCE.01400001", "the request body is too large");
            set_request_id(&mut response, &request_id);
            return response;
        }
    };
    let method = parts.method.clone();
    let path = parts.uri.path().to_owned();
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| path.clone());
    let mutating = !matches!(method, Method::GET | Method::HEAD);
    shared
        .requests_served
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let _in_flight = InFlight::enter(&shared);
    // The quota is counted on arrival, as a gateway does, before any work.
    let over_quota = path != IAM_TOKENS_PATH && over_rate_limit(&shared);

    let latency = shared.config.latency + Duration::from_millis(shared.lock().faults.latency_ms);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }

    if path != IAM_TOKENS_PATH {
        let verdict = {
            let inner = shared.lock();
            auth::verify(
                &shared.config.auth,
                &inner.issued_tokens,
                SignedRequest {
                    method: method.as_str(),
                    path: &path,
                    query: parts.uri.query(),
                    headers: &parts.headers,
                    body: &bytes,
                },
                chrono::Utc::now(),
            )
        };
        if let Err(failure) = verdict {
            let mut response = gateway_error(
                StatusCode::UNAUTHORIZED,
                failure.code(),
                &failure.to_string(),
                &request_id,
            );
            set_request_id(&mut response, &request_id);
            return response;
        }
    }

    // The IAM login is another service: CCE's fault knobs and write counts
    // are about CCE calls only.
    let is_iam = path == IAM_TOKENS_PATH;
    let injected = if is_iam {
        None
    } else if over_quota {
        Some(gateway_error(
            StatusCode::TOO_MANY_REQUESTS,
            "APIG.0308",
            "The throttling threshold has been reached: policy user over ratelimit (simulated rate limit)",
            &request_id,
        ))
    } else {
        inject_fault(&shared, mutating)
    };
    let mut response = match injected {
        Some(response) => response,
        None => {
            let request = Request::from_parts(parts, Body::from(bytes.clone()));
            next.run(request).await
        }
    };

    if mutating && !is_iam && response.status().is_success() {
        apply_scheduled_changes(&shared);
    }

    if !mutating && response.status().is_success() {
        response = maybe_malform(&shared, response).await;
    }

    if mutating {
        let body = (!bytes.is_empty()).then(|| {
            let mut value = serde_json::from_slice::<Value>(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
            redact(&mut value);
            value
        });
        {
            let ignored = response
                .extensions()
                .get::<IgnoredKeys>()
                .map(|keys| keys.0.clone())
                .unwrap_or_default();
            let mut inner = shared.lock();
            let now = inner.state.now;
            inner.state.request_log.push(LoggedRequest {
                ignored,
                method: method.to_string(),
                path: path_and_query,
                status: response.status().as_u16(),
                body,
                time: now,
                timestamp: timestamp(now),
                request_id: request_id.clone(),
            });
            inner.dirty = true;
        }
        shared.save_if_dirty().await;
    }
    // A slow answer comes after the write is done and logged: a client that
    // gives up waiting must still find its write in the log, as it would
    // find it carried out in the cloud.
    if mutating && !is_iam {
        let delay = {
            let mut inner = shared.lock();
            (!inner.faults.slow_next_writes.is_empty())
                .then(|| inner.faults.slow_next_writes.remove(0))
        };
        if let Some(ms) = delay {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
    }
    set_request_id(&mut response, &request_id);
    response
}

/// Counts an API request as in flight while it lives.
struct InFlight<'a>(&'a Shared);

impl<'a> InFlight<'a> {
    fn enter(shared: &'a Shared) -> Self {
        let now = shared
            .in_flight
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1;
        shared
            .in_flight_peak
            .fetch_max(now, std::sync::atomic::Ordering::Relaxed);
        Self(shared)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0
            .in_flight
            .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Whether this request is past [`super::RateLimit`]'s quota for the current
/// window (counting it when it is not).
fn over_rate_limit(shared: &Shared) -> bool {
    let Some(limit) = shared.lock().faults.rate_limit else {
        return false;
    };
    let window = Duration::from_millis(limit.window_ms.max(1));
    let now = Instant::now();
    let mut current = shared
        .rate_window
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    let (started, admitted) = match *current {
        Some((started, admitted)) if now.duration_since(started) < window => (started, admitted),
        _ => (now, 0),
    };
    if admitted >= limit.requests {
        *current = Some((started, admitted));
        shared
            .requests_rate_limited
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        return true;
    }
    *current = Some((started, admitted + 1));
    false
}

/// Counts a successful write against the scheduled outside changes and
/// applies those that are due.
fn apply_scheduled_changes(shared: &Shared) {
    let due: Vec<OutsideChange> = {
        let mut inner = shared.lock();
        let scheduled = &mut inner.faults.scheduled_changes;
        for item in scheduled.iter_mut() {
            item.after_writes = item.after_writes.saturating_sub(1);
        }
        let (due, later): (Vec<_>, Vec<_>) = std::mem::take(scheduled)
            .into_iter()
            .partition(|item| item.after_writes == 0);
        *scheduled = later;
        due.into_iter().map(|item| item.change).collect()
    };
    for change in due {
        if let Err(error) = shared.outside_change(&change) {
            tracing::warn!(%error, "a scheduled outside change could not be applied");
        }
    }
}

fn set_request_id(response: &mut Response, request_id: &str) {
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("x-request-id", value);
    }
}

/// Replaces every string under a key that mentions a password.
fn redact(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                if key.to_ascii_lowercase().contains("password") && value.is_string() {
                    *value = Value::String("<redacted>".to_owned());
                } else {
                    redact(value);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

/// The fault response for this request, if one is due.
fn inject_fault(shared: &Shared, mutating: bool) -> Option<Response> {
    let mut inner = shared.lock();
    let queue = if mutating {
        &mut inner.faults.fail_next_writes
    } else {
        &mut inner.faults.fail_next
    };
    let mut status = (!queue.is_empty()).then(|| queue.remove(0));
    if status.is_none() {
        let (rate_429, rate_5xx) = (inner.faults.rate_429, inner.faults.rate_5xx);
        if rate_429 > 0.0 && inner.rng.random::<f64>() < rate_429 {
            status = Some(429);
        } else if rate_5xx > 0.0 && inner.rng.random::<f64>() < rate_5xx {
            status = Some(500);
        }
    }
    let status = status?;
    let retry_after = inner.faults.retry_after_secs;
    let mut response = match status {
        429 => {
            inner.throttled += 1;
            if inner.throttled % 2 == 1 {
                gateway_error(
                    StatusCode::TOO_MANY_REQUESTS,
                    "APIG.0308",
                    "The throttling threshold has been reached: policy user over ratelimit, limit:20, time:1 minute",
                    &uuid::Uuid::new_v4().simple().to_string(),
                )
            } else {
                cce_error(
                    429,
                    "CCE.01429002",
                    "Resource locked by other requests (simulated fault)",
                )
            }
        }
        500..=599 => cce_error(status, "CCE.01500001", "Internal error (simulated fault)"),
        other => cce_error(other, &format!("CCE.01{other}001"), "Simulated fault"),
    };
    if status == 429
        && let Some(seconds) = retry_after
    {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    Some(response)
}

/// Cuts a successful read's body short when a malformed-body fault is due.
async fn maybe_malform(shared: &Shared, response: Response) -> Response {
    let due = {
        let mut inner = shared.lock();
        if inner.faults.malformed_next > 0 {
            inner.faults.malformed_next -= 1;
            true
        } else {
            let rate = inner.faults.malformed_rate;
            rate > 0.0 && inner.rng.random::<f64>() < rate
        }
    };
    if !due {
        return response;
    }
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .unwrap_or_default();
    let cut = bytes.slice(..bytes.len() / 2);
    let mut parts = parts;
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(cut))
}

async fn unknown_path(method: Method, uri: axum::http::Uri) -> Response {
    cce_error(
        404,
        "CCE.01404001",
        &format!("no such API: {method} {}", uri.path()),
    )
}

// -------------------------------------------------------------------------
// CCE API handlers.

async fn list_pools(
    State(shared): State<Arc<Shared>>,
    Path((project_id, cluster_id)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult {
    check_project(&shared, &project_id)?;
    let show_default = query
        .get("showDefaultNodePool")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let list = shared.lock().state.list_pools(&cluster_id, show_default)?;
    Ok(json_response(StatusCode::OK, &list))
}

async fn create_pool(
    State(shared): State<Arc<Shared>>,
    Path((project_id, cluster_id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    check_project(&shared, &project_id)?;
    let (pool, ignored) = read_body::<api::NodePool>("NodePool", &body)?;
    let mut inner = shared.lock();
    let created = inner.state.create_pool(&cluster_id, pool, &shared.timing)?;
    inner.dirty = true;
    Ok(with_ignored(
        json_response(StatusCode::CREATED, &created),
        ignored,
    ))
}

async fn show_pool(
    State(shared): State<Arc<Shared>>,
    Path((project_id, cluster_id, pool_id)): Path<(String, String, String)>,
) -> ApiResult {
    check_project(&shared, &project_id)?;
    let pool =
        shared
            .lock()
            .state
            .show_pool(&cluster_id, &pool_id, super::view::PoolAnswer::Show)?;
    Ok(json_response(StatusCode::OK, &pool))
}

async fn update_pool(
    State(shared): State<Arc<Shared>>,
    Path((project_id, cluster_id, pool_id)): Path<(String, String, String)>,
    body: Bytes,
) -> ApiResult {
    check_project(&shared, &project_id)?;
    let (update, ignored) = read_body::<api::NodePoolUpdate>("NodePoolUpdate", &body)?;
    let mut inner = shared.lock();
    let Inner { state, faults, .. } = &mut *inner;
    let pool = state.update_pool(&cluster_id, &pool_id, update, &shared.timing, faults)?;
    inner.dirty = true;
    Ok(with_ignored(json_response(StatusCode::OK, &pool), ignored))
}

async fn delete_pool(
    State(shared): State<Arc<Shared>>,
    Path((project_id, cluster_id, pool_id)): Path<(String, String, String)>,
) -> ApiResult {
    check_project(&shared, &project_id)?;
    let mut inner = shared.lock();
    let Inner { state, faults, .. } = &mut *inner;
    let pool = state.delete_pool(&cluster_id, &pool_id, &shared.timing, faults)?;
    inner.dirty = true;
    Ok(json_response(StatusCode::OK, &pool))
}

/// Hides a job just started from ShowJob for the configured number of reads.
fn hide_new_job(inner: &mut Inner, job_id: &str) {
    let reads = inner.faults.job_hidden_reads;
    if let Some(job) = inner.state.jobs.get_mut(job_id) {
        job.hidden_reads = reads;
    }
}

async fn sync_pool(
    State(shared): State<Arc<Shared>>,
    Path((project_id, cluster_id, pool_id)): Path<(String, String, String)>,
    body: Bytes,
) -> ApiResult {
    check_project(&shared, &project_id)?;
    if shared.config.flavour == Flavour::Otc {
        // Open Telekom Cloud has no such call.
        return Err(ApiError::not_found(format!(
            "no such API: POST /api/v3/projects/{project_id}/clusters/{cluster_id}/nodepools/{pool_id}/operation/upgrade"
        )));
    }
    let (sync, ignored) = read_body::<api::UpgradeNodePool>("UpgradeNodePool", &body)?;
    let mut inner = shared.lock();
    let jobid = inner
        .state
        .start_sync(&cluster_id, &pool_id, sync, &shared.timing)?;
    hide_new_job(&mut inner, &jobid);
    match inner.faults.hold_jobs_after {
        Some(0) => inner.state.hold_job(&jobid),
        Some(ref mut left) => *left -= 1,
        None => {}
    }
    inner.dirty = true;
    let response = match shared.config.sync_answer {
        SyncAnswer::JobId => json_response(StatusCode::OK, &json!({ "jobid": jobid })),
        SyncAnswer::Empty => StatusCode::OK.into_response(),
    };
    Ok(with_ignored(response, ignored))
}

async fn reset_nodes(
    State(shared): State<Arc<Shared>>,
    Path((project_id, cluster_id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    check_project(&shared, &project_id)?;
    let (reset, ignored) = read_body::<api::ResetNodeList>("ResetNodeList", &body)?;
    let mut inner = shared.lock();
    let jobid = inner
        .state
        .reset_nodes(&cluster_id, reset, &shared.timing)?;
    hide_new_job(&mut inner, &jobid);
    inner.dirty = true;
    Ok(with_ignored(
        json_response(StatusCode::OK, &json!({ "jobid": jobid })),
        ignored,
    ))
}

/// Open Telekom Cloud's SyncNodePool: no body, a plain (empty) string back,
/// no job.
async fn sync_whole_pool(
    State(shared): State<Arc<Shared>>,
    Path((project_id, cluster_id, pool_id)): Path<(String, String, String)>,
) -> ApiResult {
    check_project(&shared, &project_id)?;
    let mut inner = shared.lock();
    inner.state.sync_whole_pool(
        &cluster_id,
        &pool_id,
        shared.config.otc_sync_max_unavailable,
        &shared.timing,
    )?;
    inner.dirty = true;
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "",
    )
        .into_response())
}

async fn list_nodes(
    State(shared): State<Arc<Shared>>,
    Path((project_id, cluster_id)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult {
    check_project(&shared, &project_id)?;
    let limit = match query.get("limit") {
        None => MAX_PAGE,
        Some(text) => match text.parse::<usize>() {
            Ok(limit) if (1..=MAX_PAGE).contains(&limit) => limit,
            _ => {
                return Err(ApiError::bad_request(format!(
                    "limit must be a number from 1 to {MAX_PAGE}, not {text:?}"
                )));
            }
        },
    };
    let limit = shared
        .config
        .page_size_cap
        .map_or(limit, |cap| limit.min(cap.max(1)));
    let marker = query
        .get("marker")
        .map(String::as_str)
        .filter(|m| !m.is_empty());
    let page = shared.lock().state.list_nodes(&cluster_id, limit, marker)?;
    Ok(json_response(StatusCode::OK, &page))
}

async fn show_node(
    State(shared): State<Arc<Shared>>,
    Path((project_id, cluster_id, node_id)): Path<(String, String, String)>,
) -> ApiResult {
    check_project(&shared, &project_id)?;
    let node = shared.lock().state.show_node(&cluster_id, &node_id)?;
    Ok(json_response(StatusCode::OK, &node))
}

async fn show_job(
    State(shared): State<Arc<Shared>>,
    Path((project_id, job_id)): Path<(String, String)>,
) -> ApiResult {
    check_project(&shared, &project_id)?;
    let job = {
        let mut inner = shared.lock();
        let shown = inner.state.show_job(&job_id);
        inner.dirty = true;
        shown?
    };
    Ok(json_response(StatusCode::OK, &job))
}

/// IAM `POST /v3/auth/tokens` with the password method.
async fn issue_token(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let keystone_error = |status: StatusCode, message: &str| {
        json_response(
            status,
            &json!({"error": {"code": status.as_u16(), "message": message, "title": status.canonical_reason()}}),
        )
    };
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return keystone_error(StatusCode::BAD_REQUEST, "the request body is not JSON");
    };
    let user = &request["auth"]["identity"]["password"]["user"];
    let (Some(name), Some(password)) = (user["name"].as_str(), user["password"].as_str()) else {
        return keystone_error(
            StatusCode::BAD_REQUEST,
            "auth.identity.password.user needs a name and a password",
        );
    };
    let auth = &shared.config.auth;
    let accepted = if auth.enabled {
        auth.users.get(name).is_some_and(|p| p == password)
    } else {
        true
    };
    if !accepted {
        return keystone_error(
            StatusCode::UNAUTHORIZED,
            "The username or password is wrong.",
        );
    }
    let token = format!("sim-{}", uuid::Uuid::new_v4().simple());
    shared.lock().issued_tokens.insert(token.clone());
    let scope = &request["auth"]["scope"]["project"];
    let project_id = scope["id"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| shared.config.project_id.clone());
    let issued = chrono::Utc::now();
    let expires = issued + chrono::Duration::hours(24);
    let format = "%Y-%m-%dT%H:%M:%S%.6fZ";
    let mut response = json_response(
        StatusCode::CREATED,
        &json!({"token": {
            "methods": ["password"],
            "issued_at": issued.format(format).to_string(),
            "expires_at": expires.format(format).to_string(),
            "project": {"id": project_id, "name": scope["name"].as_str().unwrap_or_default()},
            "user": {"name": name, "domain": {"name": user["domain"]["name"].as_str().unwrap_or_default()}},
            "catalog": [],
            "roles": [],
        }}),
    );
    if let Ok(value) = HeaderValue::from_str(&token) {
        response.headers_mut().insert("x-subject-token", value);
    }
    response
}

// -------------------------------------------------------------------------
// Control endpoints.

async fn control_state(State(shared): State<Arc<Shared>>) -> Response {
    let state = shared.lock().state.clone();
    json_response(StatusCode::OK, &state)
}

async fn control_replace_state(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let mut state: SimState = match serde_json::from_slice(&body) {
        Ok(state) => state,
        Err(e) => return cce_error(400, "CCE.01400001", &format!("not a simulator state: {e}")),
    };
    let clusters: Vec<String> = state.clusters.keys().cloned().collect();
    for cluster in clusters {
        state.refresh(&cluster);
    }
    {
        let mut inner = shared.lock();
        inner.state = state;
        inner.dirty = true;
    }
    shared.save_if_dirty().await;
    StatusCode::NO_CONTENT.into_response()
}

async fn control_peaks(State(shared): State<Arc<Shared>>) -> Response {
    let peaks = shared.lock().state.peaks.clone();
    json_response(StatusCode::OK, &peaks)
}

async fn control_reset_peaks(State(shared): State<Arc<Shared>>) -> Response {
    {
        let mut inner = shared.lock();
        inner.state.reset_peaks();
        inner.dirty = true;
    }
    shared.save_if_dirty().await;
    StatusCode::NO_CONTENT.into_response()
}

async fn control_log(State(shared): State<Arc<Shared>>) -> Response {
    let log = shared.lock().state.request_log.clone();
    json_response(StatusCode::OK, &log)
}

async fn control_faults(State(shared): State<Arc<Shared>>) -> Response {
    let faults = shared.lock().faults.clone();
    json_response(StatusCode::OK, &faults)
}

async fn control_set_faults(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    match serde_json::from_slice::<Faults>(&body) {
        Ok(faults) => {
            shared.set_faults(faults);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => cce_error(400, "CCE.01400001", &format!("not a fault set: {e}")),
    }
}

async fn control_outside_change(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let change: OutsideChange = match serde_json::from_slice(&body) {
        Ok(change) => change,
        Err(e) => {
            return cce_error(400, "CCE.01400001", &format!("not an outside change: {e}"));
        }
    };
    match shared.outside_change(&change) {
        Ok(()) => {
            shared.save_if_dirty().await;
            StatusCode::NO_CONTENT.into_response()
        }
        Err(SimError::Rejected { status, message }) => cce_error(status, "CCE.01400001", &message),
        Err(other) => cce_error(500, "CCE.01500001", &other.to_string()),
    }
}

/// The whole internal node: labels, taints, tags, scripts and disks that
/// node responses do not show, so tests can prove what reached a node.
async fn control_node(
    State(shared): State<Arc<Shared>>,
    Path((cluster_id, node_id)): Path<(String, String)>,
) -> Response {
    let node = shared.lock().state.node(&cluster_id, &node_id).cloned();
    match node {
        Some(node) => json_response(StatusCode::OK, &node),
        None => cce_error(
            404,
            "CCE.01404001",
            &format!("node {node_id} not found in cluster {cluster_id}"),
        ),
    }
}

async fn control_advance(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let by = match query
        .get("seconds")
        .and_then(|s| s.parse::<f64>().ok())
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
    {
        Some(by) => by,
        None => {
            return cce_error(
                400,
                "CCE.01400001",
                "seconds must be a non-negative number, e.g. /_sim/advance?seconds=60",
            );
        }
    };
    shared.advance(by);
    shared.save_if_dirty().await;
    let now = shared.lock().state.now;
    json_response(StatusCode::OK, &json!({ "now": now }))
}
