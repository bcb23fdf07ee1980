//! What the steps of one apply share: the [`Context`] (API, plan, options,
//! events, cancel token, the cluster budget and the running steps), how a
//! step ends ([`StepOutcome`]), and the lock helper. The scheduler
//! (`executor`) builds the context; the steps (`steps`) use it. Neither
//! imports the other.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use tokio::sync::Notify;

use crate::api::ListedNode;
use crate::model::ClusterName;
use crate::plan::{Plan, StepKind};

use super::schedule::{ClusterBudget, levels};
use super::{
    ApplyOptions, CancelToken, Event, EventSink, InFlight, NodeLabel, StepError, StepInfo,
};

/// Locks a mutex, ignoring poisoning: the data behind these locks (budgets,
/// names, in-flight records) stays consistent even if a holder panicked.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What every step shares.
pub(crate) struct Context<'a, A, S> {
    pub(crate) api: &'a A,
    pub(crate) plan: &'a Plan,
    pub(crate) options: &'a ApplyOptions,
    pub(crate) events: &'a S,
    pub(crate) cancel: &'a CancelToken,
    /// Nodes reserved against the cluster caps by running batches.
    pub(crate) budget: Mutex<ClusterBudget>,
    /// Signalled whenever a reservation is released.
    pub(crate) budget_released: Notify,
    /// Node names by id, from the plan and from every read since.
    names: Mutex<BTreeMap<String, String>>,
    /// Running steps, for the report of an immediate stop.
    in_flight: Mutex<BTreeMap<usize, InFlight>>,
    /// How long this run's batches take, to read soon after one ends.
    pub(crate) batch_durations: super::poll::BatchDurations,
}

impl<'a, A, S: EventSink> Context<'a, A, S> {
    /// The context for one apply of `plan`: the cluster caps from the plan,
    /// node names from its sync batches, nothing running yet.
    pub(crate) fn new(
        api: &'a A,
        plan: &'a Plan,
        options: &'a ApplyOptions,
        events: &'a S,
        cancel: &'a CancelToken,
    ) -> Self {
        let caps: BTreeMap<ClusterName, u32> = plan
            .clusters
            .iter()
            .filter_map(|(name, cluster)| cluster.max_unavailable.map(|cap| (name.clone(), cap)))
            .collect();
        let names: BTreeMap<String, String> = plan
            .pools
            .iter()
            .filter_map(|pool| pool.sync.as_ref())
            .flat_map(|sync| {
                sync.stale_nodes
                    .iter()
                    .map(|stale| &stale.node)
                    .chain(sync.unavailable_now.iter())
            })
            .map(|node| (node.id.0.clone(), node.name.clone()))
            .collect();
        Self {
            api,
            plan,
            options,
            events,
            cancel,
            budget: Mutex::new(ClusterBudget::new(caps, levels(&plan.steps))),
            budget_released: Notify::new(),
            names: Mutex::new(names),
            in_flight: Mutex::new(BTreeMap::new()),
            batch_durations: super::poll::BatchDurations::default(),
        }
    }

    /// Puts a sync batch that starts in its cluster cap's queue (see
    /// [`ClusterBudget`]), with the nodes it plans to take down. Done as the
    /// executor starts the step, not when the step first looks at the cap:
    /// steps started together then all count, whichever runs first.
    pub(crate) fn queue_for_cap(&self, step: usize) {
        if let Some(step_plan) = self.plan.steps.get(step)
            && let StepKind::SyncBatch { request, .. } = &step_plan.kind
        {
            lock(&self.budget).wait(&step_plan.cluster, step, request.node_ids.len());
        }
    }

    /// Records that a step started; nothing requested yet.
    pub(crate) fn start(&self, step: StepInfo) {
        lock(&self.in_flight).insert(
            step.step,
            InFlight {
                step,
                job_id: None,
                requested: false,
            },
        );
    }

    /// Records that a step ended.
    pub(crate) fn end(&self, step: usize) {
        lock(&self.in_flight).remove(&step);
        // However the step ended (a missing password before it reached the
        // cap, say), it no longer waits for room.
        self.leave_cap_queue(step);
    }

    /// Takes a step out of its cluster cap's queue (it reserved, ended, or
    /// is blocked by something other than the cap for now). Leaving without
    /// a reservation wakes the other waiters: room kept for it is theirs.
    pub(crate) fn leave_cap_queue(&self, step: usize) {
        if let Some(step_plan) = self.plan.steps.get(step)
            && lock(&self.budget).stop_waiting(&step_plan.cluster, step)
        {
            self.budget_released.notify_waiters();
        }
    }

    /// A node's label, with its name when known.
    pub(crate) fn label(&self, id: &str) -> NodeLabel {
        let name = lock(&self.names)
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_owned());
        NodeLabel {
            id: id.to_owned(),
            name,
        }
    }

    /// Remembers node names seen in a read.
    pub(crate) fn remember_names<'n>(&self, nodes: impl IntoIterator<Item = &'n ListedNode>) {
        let mut names = lock(&self.names);
        for listed in nodes {
            if !listed.node.name.is_empty() {
                names.insert(listed.node.id.0.clone(), listed.node.name.clone());
            }
        }
    }

    /// Records that a step sent its mutating request (`job_id` once known).
    pub(crate) fn mark_requested(&self, step: usize, job_id: Option<String>) {
        if let Some(entry) = lock(&self.in_flight).get_mut(&step) {
            entry.requested = true;
            if job_id.is_some() {
                entry.job_id = job_id;
            }
        }
    }

    /// Takes back [`Context::mark_requested`] for a request the API did not
    /// send after all, so that nothing reports it as possibly posted.
    pub(crate) fn withdraw_request(&self, step: usize) {
        if let Some(entry) = lock(&self.in_flight).get_mut(&step) {
            entry.requested = false;
            entry.job_id = None;
        }
    }

    /// Emits an event.
    pub(crate) fn emit(&self, event: Event) {
        self.events.emit(event);
    }

    pub(crate) fn in_flight(&self) -> Vec<InFlight> {
        lock(&self.in_flight).values().cloned().collect()
    }
}

/// Waits one poll interval, or until `deadline` if that comes sooner.
pub(crate) async fn pause<A, S: EventSink>(context: &Context<'_, A, S>, deadline: Option<Instant>) {
    let mut wait = context.options.poll_interval;
    if let Some(deadline) = deadline {
        wait = wait.min(deadline.saturating_duration_since(Instant::now()));
    }
    tokio::time::sleep(wait).await;
}

/// How a step ended.
pub(crate) enum StepOutcome {
    /// It did its work.
    Done {
        summary: String,
        nodes_reset: Vec<NodeLabel>,
        nodes_up_to_date: Vec<NodeLabel>,
    },
    /// It failed.
    Failed {
        error: StepError,
        job_id: Option<String>,
    },
    /// A graceful stop came before it changed anything.
    NotStarted,
}

impl StepOutcome {
    pub(crate) fn done(summary: impl Into<String>) -> Self {
        Self::Done {
            summary: summary.into(),
            nodes_reset: Vec::new(),
            nodes_up_to_date: Vec::new(),
        }
    }
}

impl From<StepError> for StepOutcome {
    fn from(error: StepError) -> Self {
        Self::Failed {
            error,
            job_id: None,
        }
    }
}
