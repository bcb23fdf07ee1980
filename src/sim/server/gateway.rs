//! The gateway: everything that happens around every API call (request
//! ids, the rate limit, latency, authentication, injected faults, scheduled
//! outside changes, the request log, slow answers).

use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use rand::RngExt;
use serde_json::Value;

use crate::sim::RateLimit;
use crate::sim::auth::{self, SignedRequest};
use crate::sim::state::{LoggedRequest, OutsideChange, timestamp};

use super::responses::{IgnoredKeys, cce_error, gateway_error};
use super::routes::IAM_TOKENS_PATH;
use super::shared::Shared;

/// The largest request body accepted.
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

pub(super) async fn gateway(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
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
    let over_quota = if path == IAM_TOKENS_PATH {
        None
    } else {
        over_rate_limit(&shared)
    };

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
    } else if let Some(limit) = over_quota {
        Some(if limit.names_quota {
            gateway_error(
                StatusCode::TOO_MANY_REQUESTS,
                "APIG.0308",
                &format!(
                    "The throttling threshold has been reached: policy user over ratelimit, {}",
                    quota_words(limit)
                ),
                &request_id,
            )
        } else {
            cce_error(
                429,
                "CCE.02429001",
                "throttling threshold reached (simulated rate limit)",
            )
        })
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

/// The quota this request is past, if it is past [`crate::sim::RateLimit`]'s
/// quota for the current window (counting it when it is not).
fn over_rate_limit(shared: &Shared) -> Option<RateLimit> {
    let limit = shared.lock().faults.rate_limit?;
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
        return Some(limit);
    }
    *current = Some((started, admitted + 1));
    None
}

/// A quota in the gateway's words, as APIG's `APIG.0308` message puts it
/// ("limit:20, time:1 minute"): the window in the largest whole unit.
fn quota_words(limit: RateLimit) -> String {
    let ms = limit.window_ms.max(1);
    let (count, unit) = [
        (86_400_000, "day"),
        (3_600_000, "hour"),
        (60_000, "minute"),
        (1000, "second"),
    ]
    .into_iter()
    .find(|(unit_ms, _)| ms.is_multiple_of(*unit_ms))
    .map_or((ms, "millisecond"), |(unit_ms, unit)| (ms / unit_ms, unit));
    let plural = if count == 1 { "" } else { "s" };
    format!("limit:{}, time:{count} {unit}{plural}", limit.requests)
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
                    // A throttle without a quota behind it: the gateway's
                    // code, with no limit to name.
                    "The throttling threshold has been reached: policy user over ratelimit (simulated fault)",
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

pub(super) async fn unknown_path(method: Method, uri: axum::http::Uri) -> Response {
    cce_error(
        404,
        "CCE.01404001",
        &format!("no such API: {method} {}", uri.path()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quota_is_named_as_the_gateway_names_it() {
        let words = |requests, window_ms| {
            quota_words(RateLimit {
                requests,
                window_ms,
                names_quota: true,
            })
        };
        assert_eq!(words(20, 60_000), "limit:20, time:1 minute");
        assert_eq!(words(20, 1000), "limit:20, time:1 second");
        assert_eq!(words(5, 2000), "limit:5, time:2 seconds");
        assert_eq!(words(100, 3_600_000), "limit:100, time:1 hour");
        assert_eq!(words(20, 250), "limit:20, time:250 milliseconds");
        assert_eq!(words(1, 0), "limit:1, time:1 millisecond");
    }
}
