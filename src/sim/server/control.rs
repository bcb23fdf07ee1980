//! The control endpoints under `/_sim/`: the state, peaks, log, faults,
//! outside changes, whole nodes and the clock, without authentication or
//! faults.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::sim::state::{OutsideChange, SimState};
use crate::sim::{Faults, SimError};

use super::responses::{cce_error, json_response};
use super::shared::Shared;

pub(super) async fn control_state(State(shared): State<Arc<Shared>>) -> Response {
    let state = shared.lock().state.clone();
    json_response(StatusCode::OK, &state)
}

pub(super) async fn control_replace_state(
    State(shared): State<Arc<Shared>>,
    body: Bytes,
) -> Response {
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

pub(super) async fn control_peaks(State(shared): State<Arc<Shared>>) -> Response {
    let peaks = shared.lock().state.peaks.clone();
    json_response(StatusCode::OK, &peaks)
}

pub(super) async fn control_reset_peaks(State(shared): State<Arc<Shared>>) -> Response {
    {
        let mut inner = shared.lock();
        inner.state.reset_peaks();
        inner.dirty = true;
    }
    shared.save_if_dirty().await;
    StatusCode::NO_CONTENT.into_response()
}

pub(super) async fn control_log(State(shared): State<Arc<Shared>>) -> Response {
    let log = shared.lock().state.request_log.clone();
    json_response(StatusCode::OK, &log)
}

pub(super) async fn control_faults(State(shared): State<Arc<Shared>>) -> Response {
    let faults = shared.lock().faults.clone();
    json_response(StatusCode::OK, &faults)
}

pub(super) async fn control_set_faults(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    match serde_json::from_slice::<Faults>(&body) {
        Ok(faults) => {
            shared.set_faults(faults);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => cce_error(400, "CCE.01400001", &format!("not a fault set: {e}")),
    }
}

pub(super) async fn control_outside_change(
    State(shared): State<Arc<Shared>>,
    body: Bytes,
) -> Response {
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
pub(super) async fn control_node(
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

pub(super) async fn control_advance(
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
