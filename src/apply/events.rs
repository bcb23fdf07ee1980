//! What apply tells its watchers: the [`Event`] stream, the [`EventSink`]
//! that takes it, and the names events give to steps and nodes. Apply never
//! prints; displayers render these.

use serde::Serialize;

use crate::model::{ClusterName, PoolAddress};
use crate::plan::Plan;

use super::CancelLevel;

/// Receives apply's events. Implementations must not block.
pub trait EventSink: Send + Sync {
    /// Takes one event.
    fn emit(&self, event: Event);
}

impl EventSink for tokio::sync::mpsc::UnboundedSender<Event> {
    fn emit(&self, event: Event) {
        // A closed receiver means nobody is watching; apply goes on regardless.
        let _ = self.send(event);
    }
}

/// Discards every event.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoEvents;

impl EventSink for NoEvents {
    fn emit(&self, _event: Event) {}
}

/// A step as events and reports name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepInfo {
    /// Index into `Plan::steps`.
    pub step: usize,
    /// The pool.
    pub address: PoolAddress,
    /// The cluster key.
    pub cluster: ClusterName,
    /// What it does, such as `sync batch 2/10 (4 nodes)`.
    pub what: String,
    /// Nodes the step resets (sync batches), else 0.
    pub nodes: usize,
}

/// A node as events and reports name it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct NodeLabel {
    /// Node id.
    pub id: String,
    /// Node name (the id when unknown).
    pub name: String,
}

impl std::fmt::Display for NodeLabel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.name == self.id {
            f.write_str(&self.id)
        } else {
            write!(f, "{} ({})", self.name, self.id)
        }
    }
}

/// Something apply did or saw. Displayers turn these into progress output.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// Apply begins; every step it may run.
    Started {
        /// The steps.
        steps: Vec<StepInfo>,
    },
    /// A step begins.
    StepStarted {
        /// The step.
        step: StepInfo,
    },
    /// Nodes of a batch that need no reset any more (already synchronised,
    /// for instance by a run that was interrupted); they are left alone.
    NodesUpToDate {
        /// The step.
        step: usize,
        /// The nodes.
        nodes: Vec<NodeLabel>,
    },
    /// Nodes of a batch that no longer exist; they are left out.
    NodesGone {
        /// The step.
        step: usize,
        /// The nodes.
        nodes: Vec<NodeLabel>,
    },
    /// A batch waits because starting it now would exceed a budget.
    WaitingForBudget {
        /// The step.
        step: usize,
        /// Why, such as `cluster cap 5: 4 nodes down elsewhere`.
        reason: String,
    },
    /// The sync request of a batch was accepted.
    BatchPosted {
        /// The step.
        step: usize,
        /// Batch number within the pool.
        number: usize,
        /// Batches of the pool.
        of: usize,
        /// The job to follow; `None` when the request's answer was lost
        /// and apply follows the nodes alone.
        job_id: Option<String>,
        /// The nodes being reset.
        nodes: Vec<NodeLabel>,
    },
    /// A pool request (create, update, delete) was accepted.
    PoolRequested {
        /// The step.
        step: usize,
        /// The pool id, when known.
        pool_id: Option<String>,
    },
    /// A node changed phase or up-to-date state.
    NodeProgress {
        /// The step.
        step: usize,
        /// The node.
        node: NodeLabel,
        /// Its phase.
        phase: String,
        /// `configurationUpToDate`.
        up_to_date: Option<bool>,
    },
    /// A batch's nodes are back; they must now stay Active this long.
    Soaking {
        /// The step.
        step: usize,
        /// Seconds of real time.
        seconds: f64,
    },
    /// A step finished.
    StepFinished {
        /// The step.
        step: usize,
        /// What was done.
        summary: String,
    },
    /// A step failed.
    StepFailed {
        /// The step.
        step: usize,
        /// Why.
        error: String,
        /// The nodes it names.
        nodes: Vec<NodeLabel>,
    },
    /// A step will not run.
    StepSkipped {
        /// The step.
        step: usize,
        /// Why.
        reason: SkipReason,
    },
    /// A stop was requested.
    Interrupted {
        /// How far.
        level: CancelLevel,
        /// Steps running at that moment.
        in_flight: Vec<InFlight>,
    },
}

/// A step that was running when apply was interrupted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InFlight {
    /// The step.
    pub step: StepInfo,
    /// The job of a posted sync, if it had been posted.
    pub job_id: Option<String>,
    /// Whether its request had been sent (a batch that was still checking
    /// its budget had taken nothing down).
    pub requested: bool,
}

/// Why a step did not run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum SkipReason {
    /// A step it depends on (or an earlier step of its pool) failed.
    DependencyFailed {
        /// The failed step.
        step: usize,
        /// Its pool.
        address: PoolAddress,
    },
    /// Another pool failed and `fail_fast` was set.
    FailFast,
    /// Apply was interrupted before the step started.
    Interrupted,
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::DependencyFailed { step, address } => {
                write!(f, "step {step} of {address} failed")
            }
            Self::FailFast => f.write_str("another step failed and --fail-fast is set"),
            Self::Interrupted => f.write_str("apply was interrupted"),
        }
    }
}

/// How events and reports name a step of the plan.
pub fn step_info(plan: &Plan, step: usize) -> StepInfo {
    use crate::plan::StepKind;
    let item = &plan.steps[step];
    let (what, nodes) = match &item.kind {
        StepKind::CreatePool { .. } => ("create pool".to_owned(), 0),
        StepKind::UpdatePool { .. } => ("update pool".to_owned(), 0),
        StepKind::DeletePool { .. } => ("delete pool".to_owned(), 0),
        StepKind::SyncBatch {
            number,
            of,
            request,
            ..
        } => {
            let count = request.node_ids.len();
            (
                format!(
                    "sync batch {number}/{of} ({count} node{})",
                    if count == 1 { "" } else { "s" }
                ),
                count,
            )
        }
    };
    StepInfo {
        step,
        address: item.address.clone(),
        cluster: item.cluster.clone(),
        what,
        nodes,
    }
}
