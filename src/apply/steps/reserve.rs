//! The first phase of a sync batch: re-read the live state, decide which
//! nodes still need the reset, and reserve them against the pool budget and
//! the cluster cap, waiting (bounded) while something stands in the way.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::ControlFlow;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use crate::api::{CceApi, ListedNode};
use crate::model::{ClusterName, NodeId};

use super::super::context::{Context, StepOutcome, lock, pause};
use super::super::error::{BudgetScope, WaitingFor};
use super::super::options::deadline_after;
use super::super::schedule::{CapWait, ClusterBudget, Shortfall, Yielded, check_pool_budget};
use super::super::{CancelLevel, Event, EventSink, StepError};
use super::batch::Batch;
use super::in_flight::sync_in_flight;
use super::nodes::{
    is_transitional, labelled, labelled_with_phase, node_needs_sync, phase, planned_fingerprint,
    read_nodes, unavailable,
};

/// The nodes a batch will reset, held against the cluster cap.
pub(super) struct Reserved<'c> {
    /// Nodes that still need the reset.
    pub(super) needed: Vec<String>,
    /// Nodes of the batch that no longer do.
    pub(super) up_to_date: Vec<String>,
    /// The hold on the cluster cap.
    pub(super) reservation: Reservation<'c>,
}

/// What one look at the live state says about a batch.
enum Decision<'c> {
    /// Go ahead with these nodes.
    Go(Reserved<'c>),
    /// Not yet.
    Wait(Blocked),
    /// The step ends here, done or failed.
    Stop(StepOutcome),
}

/// Nodes reserved against a cluster cap; released when dropped, including
/// when an immediate stop drops the step.
pub(super) struct Reservation<'c> {
    budget: &'c Mutex<ClusterBudget>,
    released: &'c Notify,
    cluster: ClusterName,
    step: usize,
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        lock(self.budget).release(&self.cluster, self.step);
        self.released.notify_waiters();
    }
}

/// Why a batch cannot start yet, and the error if it never can.
pub(super) struct Blocked {
    reason: String,
    /// The error once the wait has lasted too long; `None` while the time
    /// does not count against the wait's bound (the batch waits its turn
    /// behind this run's own batches, which give the room back as they end).
    error: Option<Box<dyn FnOnce(f64) -> StepError + Send>>,
    /// Whether only the cluster cap stands in the way, so the batch stays
    /// in the cap's queue (see `Context::leave_cap_queue`).
    for_cap: bool,
}

fn budget_blocked<A, S: EventSink>(
    context: &Context<'_, A, S>,
    scope: BudgetScope,
    shortfall: Shortfall,
    counts: bool,
) -> Blocked {
    let others = labelled(context, shortfall.others.iter().map(|id| id.0.clone()));
    let names: Vec<String> = others.iter().map(|label| label.name.clone()).collect();
    let reason = format!(
        "{scope} allows {} unavailable nodes; {} would be down ({} of them outside this batch: {})",
        shortfall.limit,
        shortfall.would_be_unavailable.len(),
        others.len(),
        names.join(", ")
    );
    let count = shortfall.would_be_unavailable.len();
    let limit = shortfall.limit;
    let for_cap = matches!(scope, BudgetScope::Cluster(_));
    let error: Box<dyn FnOnce(f64) -> StepError + Send> =
        Box::new(move |seconds| StepError::BudgetExceeded {
            scope,
            limit,
            count,
            others,
            seconds,
        });
    Blocked {
        reason,
        error: counts.then_some(error),
        for_cap,
    }
}

/// The wait of a batch that would fit under its cluster's cap, but whose
/// room goes first to batches with more work after them: its turn, which
/// never counts against the wait's bound.
fn yield_blocked<A, S: EventSink>(
    context: &Context<'_, A, S>,
    cluster: &ClusterName,
    yielded: &Yielded,
) -> Blocked {
    let ahead: Vec<String> = yielded
        .ahead
        .iter()
        .filter_map(|&step| context.plan.steps.get(step))
        .map(|step| step.address.to_string())
        .collect();
    Blocked {
        reason: format!(
            "cluster {cluster} allows {} unavailable nodes; {} are down and {} kept for batches with more work after them ({})",
            yielded.limit,
            yielded.down.len(),
            yielded.kept,
            ahead.join(", ")
        ),
        error: None,
        for_cap: true,
    }
}

/// Looks at the live state until the batch can go ahead, waiting while it is
/// blocked, up to `budget_wait` (or the batch timeout). `Break` ends the
/// step: nothing left to do, a failure, or a graceful stop.
pub(super) async fn reserve<'c, A: CceApi, S: EventSink>(
    context: &'c Context<'_, A, S>,
    batch: &Batch<'_>,
    planned: &[String],
) -> ControlFlow<StepOutcome, Reserved<'c>> {
    let wait_limit = context.options.budget_wait.unwrap_or(batch.timeout);
    // Only time blocked by something other than this run's own batches
    // counts: a batch waiting its turn under a cluster cap behind batches
    // that will end is not stuck, however long the queue.
    let mut waited = Duration::ZERO;
    let mut announced: Option<String> = None;
    // In the cap's queue since the executor started the step (see
    // `Context::queue_for_cap`); out of it when the step ends.
    loop {
        if context.cancel.level() >= CancelLevel::Graceful {
            return ControlFlow::Break(StepOutcome::NotStarted);
        }
        let look_started = Instant::now();
        let blocked = match decide(context, batch, planned, announced.is_none()).await {
            Decision::Go(reserved) => return ControlFlow::Continue(reserved),
            Decision::Wait(blocked) => blocked,
            Decision::Stop(outcome) => return ControlFlow::Break(outcome),
        };
        if !blocked.for_cap {
            context.leave_cap_queue(batch.index);
        }
        let counts = blocked.error.is_some();
        if waited >= wait_limit
            && let Some(error) = blocked.error
        {
            return ControlFlow::Break(error(waited.as_secs_f64()).into());
        }
        if announced.as_deref() != Some(blocked.reason.as_str()) {
            context.emit(Event::WaitingForBudget {
                step: batch.index,
                reason: blocked.reason.clone(),
            });
            announced = Some(blocked.reason);
        }
        let deadline =
            counts.then(|| deadline_after(Instant::now(), wait_limit.saturating_sub(waited)));
        tokio::select! {
            () = context.budget_released.notified() => {}
            () = pause(context, deadline) => {}
            () = context.cancel.reached(CancelLevel::Graceful) => {}
        }
        if counts {
            waited += look_started.elapsed();
        }
    }
}

/// One look at the live state: a sync in flight on the pool or nodes still
/// settling mean waiting; otherwise the nodes that still need the reset are
/// reserved if the budgets allow. `first_look` is true until the batch has
/// announced a wait (nodes found gone are announced once, then).
async fn decide<'c, A: CceApi, S: EventSink>(
    context: &'c Context<'_, A, S>,
    batch: &Batch<'_>,
    planned: &[String],
    first_look: bool,
) -> Decision<'c> {
    let in_flight = match sync_in_flight(context, batch).await {
        Ok(in_flight) => in_flight,
        Err(error) => return retry_later(error),
    };
    if let Some(what) = in_flight {
        // Another run (or the console) has a sync of this pool accepted
        // or running. Its nodes may still look Active and out of date
        // until CCE starts it; posting now would reset them twice.
        return Decision::Wait(sync_in_flight_blocked(batch, what));
    }
    let (all, pool_nodes) =
        match read_nodes(context, batch.cluster_id, batch.pool_id, batch.pool_name).await {
            Ok(read) => read,
            Err(error) => return retry_later(error),
        };
    let settling: Vec<&String> = planned
        .iter()
        .filter(|id| {
            pool_nodes
                .get(*id)
                .is_some_and(|node| is_transitional(&phase(node)))
        })
        .collect();
    if !settling.is_empty() {
        // A node of the batch is still changing (perhaps being reset by
        // an interrupted run): wait until it settles, then decide.
        return Decision::Wait(settling_blocked(context, &pool_nodes, &settling));
    }
    let gone: Vec<&String> = planned
        .iter()
        .filter(|id| !pool_nodes.contains_key(*id))
        .collect();
    let fingerprints = &context.plan.fingerprints;
    let (needed, up_to_date): (Vec<String>, Vec<String>) = planned
        .iter()
        .filter(|id| pool_nodes.contains_key(*id))
        .cloned()
        .partition(|id| {
            pool_nodes.get(id).is_some_and(|node| {
                node_needs_sync(
                    &node.node,
                    planned_fingerprint(fingerprints, batch.pool_id, id),
                )
            })
        });
    if !gone.is_empty() && first_look {
        context.emit(Event::NodesGone {
            step: batch.index,
            nodes: labelled(context, &gone),
        });
    }
    if needed.is_empty() {
        let up_to_date = labelled(context, &up_to_date);
        if !up_to_date.is_empty() {
            context.emit(Event::NodesUpToDate {
                step: batch.index,
                nodes: up_to_date.clone(),
            });
        }
        return Decision::Stop(StepOutcome::Done {
            summary: "nothing to do: every node of the batch is already up to date or gone"
                .to_owned(),
            nodes_reset: Vec::new(),
            nodes_up_to_date: up_to_date,
        });
    }
    reserve_budget(context, batch, needed, up_to_date, &pool_nodes, &all)
}

/// Reserves `needed` against the pool budget and then the cluster cap,
/// counting what is down already.
fn reserve_budget<'c, A, S: EventSink>(
    context: &'c Context<'_, A, S>,
    batch: &Batch<'_>,
    needed: Vec<String>,
    up_to_date: Vec<String>,
    pool_nodes: &BTreeMap<String, ListedNode>,
    all: &[ListedNode],
) -> Decision<'c> {
    let needed_set: BTreeSet<NodeId> = needed.iter().map(|id| NodeId(id.clone())).collect();
    let pool_down = unavailable(pool_nodes.values());
    if let Err(shortfall) = check_pool_budget(batch.pool_limit, &needed_set, &pool_down) {
        return Decision::Wait(budget_blocked(
            context,
            BudgetScope::Pool(batch.step.address.clone()),
            shortfall,
            true,
        ));
    }
    let cluster = &batch.step.cluster;
    let mut budget = lock(&context.budget);
    if let Some(cap) = budget.cap(cluster)
        && needed_set.len() > cap as usize
    {
        return Decision::Stop(
            StepError::BatchOverCap {
                cluster: cluster.clone(),
                size: needed_set.len(),
                cap,
            }
            .into(),
        );
    }
    match budget.try_reserve(cluster, batch.index, &needed_set, &unavailable(all)) {
        Ok(left_room) => {
            drop(budget);
            if left_room {
                // Fewer nodes than the batch waited for: room kept for it
                // may fit another.
                context.budget_released.notify_waiters();
            }
            Decision::Go(Reserved {
                needed,
                up_to_date,
                reservation: Reservation {
                    budget: &context.budget,
                    released: &context.budget_released,
                    cluster: cluster.clone(),
                    step: batch.index,
                },
            })
        }
        Err(CapWait::Full {
            shortfall,
            held_by_run,
        }) => {
            drop(budget);
            Decision::Wait(budget_blocked(
                context,
                BudgetScope::Cluster(cluster.clone()),
                shortfall,
                !held_by_run,
            ))
        }
        Err(CapWait::Yield(yielded)) => {
            drop(budget);
            Decision::Wait(yield_blocked(context, cluster, &yielded))
        }
    }
}

/// The wait for a sync on the pool that this run did not start.
fn sync_in_flight_blocked(batch: &Batch<'_>, what: String) -> Blocked {
    Blocked {
        reason: format!(
            "pool {} has a sync in flight that this run did not start ({what}); waiting for it to finish",
            batch.step.address
        ),
        error: Some(Box::new(move |seconds| StepError::Timeout {
            seconds,
            waiting_for: WaitingFor::SyncInFlight { what },
            nodes: Vec::new(),
        })),
        for_cap: false,
    }
}

/// The wait for nodes of the batch that are still changing.
fn settling_blocked<A, S: EventSink>(
    context: &Context<'_, A, S>,
    pool_nodes: &BTreeMap<String, ListedNode>,
    settling: &[&String],
) -> Blocked {
    let nodes = labelled_with_phase(context, pool_nodes, settling);
    let names: Vec<String> = nodes.iter().map(ToString::to_string).collect();
    Blocked {
        reason: format!(
            "waiting for nodes of the batch to settle: {}",
            names.join(", ")
        ),
        error: Some(Box::new(move |seconds| StepError::Timeout {
            seconds,
            waiting_for: WaitingFor::NodesToSettle,
            nodes,
        })),
        for_cap: false,
    }
}

/// A read that failed for a passing reason (throttling, a 5xx, a timeout)
/// becomes a wait to try again, within the same bound as any other wait;
/// any other failure stays one.
fn retry_later<'c>(error: StepError) -> Decision<'c> {
    match error {
        StepError::Api { ref source, .. } if source.is_transient() => Decision::Wait(Blocked {
            reason: format!("reading the live state failed ({source}); trying again"),
            error: Some(Box::new(move |_| error)),
            for_cap: false,
        }),
        error => Decision::Stop(error.into()),
    }
}
