//! A sync batch, phase by phase: [`reserve`] the nodes that still need the
//! reset against the budgets, [`send_sync`] the request, [`follow_sync`]
//! the job and the nodes until they are back, then [`soak`].

use std::ops::ControlFlow;
use std::time::Duration;

use crate::api::{CceApi, SyncNodes};
use crate::model::{ClusterId, PoolId};
use crate::plan::{Plan, Step};

use super::super::context::{Context, StepOutcome};
use super::super::{CancelLevel, Event, EventSink};
use super::follow::follow_sync;
use super::nodes::{Seen, labelled};
use super::password::password_for;
use super::reserve::{Reserved, reserve};
use super::send::send_sync;
use super::soak::soak;

/// The pool's CCE name, from the plan.
pub(super) fn pool_name<'p>(plan: &'p Plan, step: &Step) -> &'p str {
    plan.pools
        .iter()
        .find(|pool| pool.address == step.address)
        .map_or("", |pool| pool.name.as_str())
}

/// The pool's budget: the plan's resolved `max_unavailable` for the pool
/// (the request's `maxUnavailable` may be the smaller batch size).
pub(super) fn pool_limit(plan: &Plan, step: &Step, request: &SyncNodes) -> u32 {
    plan.pools
        .iter()
        .find(|pool| pool.address == step.address)
        .and_then(|pool| pool.sync.as_ref())
        .map_or(
            u32::try_from(request.node_ids.len()).unwrap_or(u32::MAX),
            |sync| sync.max_unavailable,
        )
        .max(1)
}

/// What a sync batch step works with, resolved from the plan.
pub(super) struct Batch<'p> {
    pub(super) index: usize,
    pub(super) step: &'p Step,
    pub(super) cluster_id: &'p ClusterId,
    pub(super) pool_id: &'p PoolId,
    pub(super) number: usize,
    pub(super) of: usize,
    pub(super) request: &'p SyncNodes,
    pub(super) password_env: Option<&'p str>,
    /// The pool's CCE name (DefaultPool nodes are found by it).
    pub(super) pool_name: &'p str,
    /// The pool's unavailability budget.
    pub(super) pool_limit: u32,
    pub(super) soak: Duration,
    pub(super) timeout: Duration,
}

/// Runs a sync batch through its phases.
pub(super) async fn sync_batch<A: CceApi, S: EventSink>(
    context: &Context<'_, A, S>,
    batch: &Batch<'_>,
) -> StepOutcome {
    let index = batch.index;
    let password = match password_for(batch.password_env) {
        Ok(password) => password,
        Err(error) => return error.into(),
    };
    let planned: Vec<String> = batch
        .request
        .node_ids
        .iter()
        .map(|id| id.0.clone())
        .collect();

    let Reserved {
        needed,
        up_to_date,
        reservation,
    } = match reserve(context, batch, &planned).await {
        ControlFlow::Continue(reserved) => reserved,
        ControlFlow::Break(outcome) => return outcome,
    };
    let up_to_date = labelled(context, &up_to_date);
    if !up_to_date.is_empty() {
        context.emit(Event::NodesUpToDate {
            step: index,
            nodes: up_to_date.clone(),
        });
    }
    if context.cancel.level() >= CancelLevel::Graceful {
        return StepOutcome::NotStarted;
    }

    let posted = match send_sync(context, batch, &needed, password).await {
        ControlFlow::Continue(posted) => posted,
        ControlFlow::Break(outcome) => return outcome,
    };
    let failed = |error| StepOutcome::Failed {
        error,
        job_id: posted.job_id.clone(),
    };
    let mut seen = Seen::new();
    if let Err(error) = follow_sync(context, batch, &needed, &posted, &mut seen).await {
        return failed(error);
    }
    // The nodes are back: other pools may use the budget while this one soaks.
    drop(reservation);

    if let Err(error) = soak(context, batch, &needed, &mut seen).await {
        return failed(error);
    }
    let count = needed.len();
    StepOutcome::Done {
        summary: format!(
            "reset {count} node{}{}",
            if count == 1 { "" } else { "s" },
            if up_to_date.is_empty() {
                String::new()
            } else {
                format!(", {} already up to date", up_to_date.len())
            }
        ),
        nodes_reset: labelled(context, &needed),
        nodes_up_to_date: up_to_date,
    }
}
