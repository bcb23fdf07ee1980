//! The CCE API's handlers: each checks the project, reads its body against
//! the SDK's model, and asks the world.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde_json::json;

use crate::sim::state::ApiError;
use crate::sim::{Flavour, SyncAnswer, api, view};

use super::responses::{ApiResult, json_response, read_body, with_ignored};
use super::shared::{Inner, Shared};

/// ListNodes `limit` when absent, and its maximum.
const MAX_PAGE: usize = 2000;

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

pub(super) async fn list_pools(
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

pub(super) async fn create_pool(
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

pub(super) async fn show_pool(
    State(shared): State<Arc<Shared>>,
    Path((project_id, cluster_id, pool_id)): Path<(String, String, String)>,
) -> ApiResult {
    check_project(&shared, &project_id)?;
    let pool = shared
        .lock()
        .state
        .show_pool(&cluster_id, &pool_id, view::PoolAnswer::Show)?;
    Ok(json_response(StatusCode::OK, &pool))
}

pub(super) async fn update_pool(
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

pub(super) async fn delete_pool(
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

pub(super) async fn sync_pool(
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

pub(super) async fn reset_nodes(
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
pub(super) async fn sync_whole_pool(
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

pub(super) async fn list_nodes(
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

pub(super) async fn show_node(
    State(shared): State<Arc<Shared>>,
    Path((project_id, cluster_id, node_id)): Path<(String, String, String)>,
) -> ApiResult {
    check_project(&shared, &project_id)?;
    let node = shared.lock().state.show_node(&cluster_id, &node_id)?;
    Ok(json_response(StatusCode::OK, &node))
}

pub(super) async fn show_job(
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
