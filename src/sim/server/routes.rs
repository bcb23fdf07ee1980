//! The router: the CCE API behind the gateway middleware, and the control
//! endpoints beside it.

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use super::control::{
    control_advance, control_faults, control_log, control_node, control_outside_change,
    control_peaks, control_replace_state, control_reset_peaks, control_set_faults, control_state,
};
use super::gateway::{gateway, unknown_path};
use super::handlers::{
    create_pool, delete_pool, list_nodes, list_pools, reset_nodes, show_job, show_node, show_pool,
    sync_pool, sync_whole_pool, update_pool,
};
use super::iam::issue_token;
use super::shared::Shared;

/// The IAM token path.
pub(super) const IAM_TOKENS_PATH: &str = "/v3/auth/tokens";

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
