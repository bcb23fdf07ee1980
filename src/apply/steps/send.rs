//! The second phase of a sync batch: send the sync (UpgradeNodePool, or
//! ResetNode on Open Telekom Cloud) for exactly the nodes that need it, and
//! when its answer is lost, find out from the nodes whether it took effect.

use std::ops::ControlFlow;
use std::time::Instant;

use crate::api::{CceApi, LiveError, ResetNodes, SyncNodes};
use crate::model::{NodeId, NodePhase, Provider};
use crate::plan::{Plan, Step};

use super::super::context::{Context, StepOutcome, pause};
use super::super::error::MutatingRequest;
use super::super::{Event, EventSink, StepError};
use super::batch::Batch;
use super::certainly_refused;
use super::nodes::{labelled, node_needs_sync, phase, planned_fingerprint, read_nodes};
use super::password::not_sent_unsalted;

/// A sync that CCE accepted (or that the nodes show was carried out).
pub(super) struct Posted {
    /// The job to follow; `None` when the answer was lost or carried none.
    pub(super) job_id: Option<String>,
    /// When the request went out; the batch timeout counts from here.
    pub(super) started: Instant,
}

/// Sends the sync for `needed`. `Break` ends the step: CCE refused it, or
/// whether it was carried out is unknown.
pub(super) async fn send_sync<A: CceApi, S: EventSink>(
    context: &Context<'_, A, S>,
    batch: &Batch<'_>,
    needed: &[String],
    password: Option<String>,
) -> ControlFlow<StepOutcome, Posted> {
    let index = batch.index;
    let mut request = batch.request.clone();
    request.node_ids = needed.iter().map(|id| NodeId(id.clone())).collect();
    context.mark_requested(index, None);
    let started = Instant::now();
    let sent = match provider_of(context.plan, batch.step) {
        Provider::Huawei => {
            context
                .api
                .sync_nodes(
                    batch.cluster_id,
                    batch.pool_id,
                    &request,
                    password.as_deref(),
                )
                .await
        }
        // Open Telekom Cloud has no UpgradeNodePool; ResetNode takes the
        // batch's node list, and CCE reinstalls a pool's node from the pool.
        Provider::Otc => context
            .api
            .reset_nodes(
                batch.cluster_id,
                &reset_request(context.plan, batch.step, &request),
                password.as_deref(),
            )
            .await
            .map(Some),
    };
    drop(password);
    let job_id = match sent {
        Ok(job_id) => job_id,
        Err(LiveError::PasswordNotSalted) => {
            return ControlFlow::Break(
                not_sent_unsalted(context, index, batch.password_env).into(),
            );
        }
        Err(error) if certainly_refused(&error) => {
            return ControlFlow::Break(
                StepError::Api {
                    action: format!(
                        "send the sync request of batch {}/{}",
                        batch.number, batch.of
                    ),
                    source: error,
                }
                .into(),
            );
        }
        Err(error) => match sync_took_effect(context, batch, needed).await {
            Ok(true) => None,
            Ok(false) => {
                return ControlFlow::Break(
                    StepError::OutcomeUnknown {
                        request: MutatingRequest::Sync {
                            number: batch.number,
                            of: batch.of,
                        },
                        source: error,
                    }
                    .into(),
                );
            }
            Err(read_error) => return ControlFlow::Break(read_error.into()),
        },
    };
    drop(request);
    if job_id.is_some() {
        context.mark_requested(index, job_id.clone());
    }
    context.emit(Event::BatchPosted {
        step: index,
        number: batch.number,
        of: batch.of,
        job_id: job_id.clone(),
        nodes: labelled(context, needed),
    });
    ControlFlow::Continue(Posted { job_id, started })
}

/// Whose CCE the step's cluster is.
fn provider_of(plan: &Plan, step: &Step) -> Provider {
    plan.cloud_of(&step.cluster).provider()
}

/// The ResetNode request for a sync batch: the batch's nodes, with the
/// pool's OS (the API requires it) and the sync's login.
fn reset_request(plan: &Plan, step: &Step, sync: &SyncNodes) -> ResetNodes {
    let os = plan
        .pools
        .iter()
        .find(|pool| pool.address == step.address)
        .and_then(|pool| pool.after.as_ref())
        .and_then(|after| after.get("os"))
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
        .to_owned();
    ResetNodes {
        node_ids: sync.node_ids.clone(),
        os,
        login: sync.login.clone(),
    }
}

/// After a sync request whose answer was lost: whether the live nodes show
/// that it was carried out (a node left Active, or is up to date now).
/// Reads for a few poll intervals, since CCE may take a moment to start.
async fn sync_took_effect<A: CceApi, S: EventSink>(
    context: &Context<'_, A, S>,
    batch: &Batch<'_>,
    needed: &[String],
) -> Result<bool, StepError> {
    const READS: usize = 5;
    for attempt in 0..READS {
        let (_, pool_nodes) =
            read_nodes(context, batch.cluster_id, batch.pool_id, batch.pool_name).await?;
        let moved = needed.iter().any(|id| {
            pool_nodes.get(id).is_some_and(|node| {
                phase(node) != NodePhase::Active
                    || !node_needs_sync(
                        &node.node,
                        planned_fingerprint(&context.plan.fingerprints, batch.pool_id, id),
                    )
            })
        });
        if moved {
            return Ok(true);
        }
        if attempt + 1 < READS {
            pause(context, None).await;
        }
    }
    Ok(false)
}
