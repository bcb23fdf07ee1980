//! What each kind of step does against the API: [`run`] is a `match` over
//! [`StepKind`]; each kind, and each phase of a sync batch, has its own file.
//!
//! Every wait re-reads the live state; nothing is assumed from a previous
//! read. A mutating request whose answer was lost is never sent again: the
//! live state is read to find out whether it took effect.

use crate::api::{CceApi, LiveError};
use crate::plan::StepKind;

use super::context::{Context, StepOutcome};
use super::error::InconsistentStep;
use super::{EventSink, StepError};

mod batch;
mod follow;
mod in_flight;
mod nodes;
mod password;
mod pool;
mod reserve;
mod send;
mod soak;

use batch::{Batch, pool_limit, pool_name, sync_batch};
use pool::{create_pool, delete_pool, update_pool};

/// Runs one step.
pub(crate) async fn run<A: CceApi, S: EventSink>(
    context: &Context<'_, A, S>,
    index: usize,
) -> StepOutcome {
    let step = &context.plan.steps[index];
    let Some(cluster) = context.plan.clusters.get(&step.cluster) else {
        return StepError::InvalidStep {
            reason: InconsistentStep::UnknownCluster {
                step: index,
                cluster: step.cluster.clone(),
            },
        }
        .into();
    };
    let cluster_id = &cluster.id;
    match &step.kind {
        StepKind::CreatePool {
            request,
            password_env,
        } => create_pool(context, index, cluster_id, request, password_env.as_deref()).await,
        StepKind::UpdatePool {
            pool_id,
            request,
            password_env,
        } => {
            update_pool(
                context,
                index,
                cluster_id,
                pool_id,
                request,
                password_env.as_deref(),
            )
            .await
        }
        StepKind::DeletePool { pool_id } => delete_pool(context, index, cluster_id, pool_id).await,
        StepKind::SyncBatch {
            pool_id,
            number,
            of,
            request,
            password_env,
            soak_seconds,
            timeout_seconds,
        } => {
            let batch = Batch {
                index,
                step,
                cluster_id,
                pool_id,
                number: *number,
                of: *of,
                request,
                password_env: password_env.as_deref(),
                pool_name: pool_name(context.plan, step),
                pool_limit: pool_limit(context.plan, step, request),
                soak: context.options.scaled(*soak_seconds),
                timeout: context.options.scaled(*timeout_seconds),
            };
            sync_batch(context, &batch).await
        }
    }
}

/// Whether a failed mutating request certainly did nothing: CCE refused it.
/// Anything else (a 5xx, a timeout, a lost connection, a variant added
/// later) may have been carried out.
fn certainly_refused(error: &LiveError) -> bool {
    matches!(error, LiveError::Api { status, .. } if *status < 500)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_clear_refusals_count_as_not_applied() {
        let refused = LiveError::Api {
            service: crate::api::Service::Cce,
            status: 400,
            code: None,
            message: "bad".into(),
            request_id: None,
        };
        let server = LiveError::Api {
            service: crate::api::Service::Cce,
            status: 503,
            code: None,
            message: "busy".into(),
            request_id: None,
        };
        assert!(certainly_refused(&refused));
        assert!(!certainly_refused(&server));
        assert!(!certainly_refused(&LiveError::OutcomeUnknown {
            operation: "POST sync".into(),
            reason: crate::api::UnknownOutcome::TimedOut {
                after: std::time::Duration::from_secs(30),
            },
        }));
    }
}
