//! Apply: carries out a [`Plan`] against the CCE API.
//!
//! The executor walks the plan's steps in dependency order, several pools at
//! once (bounded per cluster by [`ApplyOptions::cluster_parallelism`], and in
//! all by [`ApplyOptions::parallelism`]) but never more nodes down
//! than a pool's budget or its cluster's cap allows, counting nodes that
//! became unavailable outside poolform. It makes no decision the plan did not
//! already make: it only re-reads the live state before each batch to check
//! that the batch is still needed and safe, and skips nodes that are already
//! up to date (so a run after an interruption never resets a node twice).
//!
//! It never prints. Progress goes out as [`Event`]s through an [`EventSink`];
//! the outcome comes back as an [`ApplyReport`]. A [`CancelToken`] stops it in
//! two stages: gracefully (finish the batches in flight, start nothing new),
//! then at once.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::watch;

use crate::live::LiveError;
use crate::model::{ClusterName, PoolAddress};
use crate::plan::Plan;

mod executor;
mod poll;
mod schedule;
mod stale;
mod steps;

pub use executor::apply;
pub use stale::stale_objects;

/// Pools of one cluster worked on at once by default: Terraform's default
/// `-parallelism`, which is what a Terraform user's one-state-per-cluster
/// setup would do to a cluster. Clusters are separate failure domains, so
/// they proceed side by side; the node budgets (each pool's and the
/// cluster's `max_unavailable`) bound what is down at once in any case.
pub const DEFAULT_CLUSTER_PARALLELISM: u32 = 10;

/// How apply runs.
#[derive(Debug, Clone, PartialEq)]
pub struct ApplyOptions {
    /// How many steps (in practice: pools) may run at once in all.
    pub parallelism: usize,
    /// How many steps (pools) of one cluster may run at once.
    pub cluster_parallelism: usize,
    /// Stop starting anything at the first failure, not only the failed pool.
    pub fail_fast: bool,
    /// How often to re-read pools, nodes and jobs while waiting.
    pub poll_interval: Duration,
    /// Plan durations (soak, batch timeout) are divided by this. 1.0 against
    /// the cloud; tests against a sped-up simulator use more.
    pub time_scale: f64,
    /// How long a pool create, update or delete may take to settle.
    pub pool_timeout: Duration,
    /// How long a batch may wait for nodes outside it to become available
    /// again before it fails; `None` uses the batch's timeout.
    pub budget_wait: Option<Duration>,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        Self {
            parallelism: usize::MAX,
            cluster_parallelism: DEFAULT_CLUSTER_PARALLELISM as usize,
            fail_fast: false,
            poll_interval: Duration::from_secs(5),
            time_scale: 1.0,
            pool_timeout: Duration::from_secs(30 * 60),
            budget_wait: None,
        }
    }
}

impl ApplyOptions {
    /// A plan duration in seconds, scaled to real time. A saved plan is
    /// read from a file and may hold any number, so a result too long for a
    /// `Duration` saturates rather than panics.
    pub(crate) fn scaled(&self, seconds: u64) -> Duration {
        let scale = if self.time_scale.is_finite() && self.time_scale > 0.0 {
            self.time_scale
        } else {
            1.0
        };
        Duration::try_from_secs_f64(seconds as f64 / scale).unwrap_or(Duration::MAX)
    }
}

/// The instant `wait` after `start`. A wait too long for the clock to
/// represent means "never" in practice, so the latest representable instant
/// (to within a factor of two) stands in for it rather than a panic.
pub(crate) fn deadline_after(start: Instant, wait: Duration) -> Instant {
    let mut wait = wait;
    loop {
        if let Some(deadline) = start.checked_add(wait) {
            return deadline;
        }
        // Halving reaches zero, which always fits, in at most 94 steps.
        wait /= 2;
    }
}

/// How far a stop request has gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelLevel {
    /// Keep going.
    None,
    /// Finish the batches in flight, start nothing new.
    Graceful,
    /// Stop at once.
    Immediate,
}

/// Asks a running apply to stop. Clones share the same state.
#[derive(Debug, Clone)]
pub struct CancelToken {
    level: Arc<watch::Sender<CancelLevel>>,
}

impl Default for CancelToken {
    fn default() -> Self {
        Self::new()
    }
}

impl CancelToken {
    /// A token that has not been triggered.
    pub fn new() -> Self {
        Self {
            level: Arc::new(watch::Sender::new(CancelLevel::None)),
        }
    }

    /// The current level.
    pub fn level(&self) -> CancelLevel {
        *self.level.borrow()
    }

    /// Raises the level to at least `level` (it never goes down).
    pub fn cancel(&self, level: CancelLevel) {
        self.level.send_if_modified(|current| {
            if level > *current {
                *current = level;
                true
            } else {
                false
            }
        });
    }

    /// The level one step further than the current one.
    pub fn next_level(&self) -> CancelLevel {
        match self.level() {
            CancelLevel::None => CancelLevel::Graceful,
            CancelLevel::Graceful | CancelLevel::Immediate => CancelLevel::Immediate,
        }
    }

    /// Goes one level further (what a repeated Ctrl-C does); returns the new level.
    pub fn escalate(&self) -> CancelLevel {
        let next = self.next_level();
        self.cancel(next);
        next
    }

    /// Waits until the level is at least `level`.
    pub async fn reached(&self, level: CancelLevel) {
        let mut receiver = self.level.subscribe();
        // The sender lives as long as `self`, so the channel cannot close
        // while we wait; if it somehow did, treat that as the level reached.
        let _ = receiver.wait_for(|current| *current >= level).await;
    }
}

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

/// Why a step failed. Messages name the nodes involved.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// A CCE call failed.
    #[error("failed to {action}")]
    Api {
        /// What was being done, such as `list the nodes of cluster prod`.
        action: String,
        /// The API error.
        #[source]
        source: LiveError,
    },
    /// The sync job failed.
    #[error("job {job_id} failed{}{}", job_reason(reason, nodes), node_list(nodes))]
    JobFailed {
        /// The job.
        job_id: String,
        /// CCE's reason.
        reason: String,
        /// Nodes that failed.
        nodes: Vec<NodeLabel>,
    },
    /// Nodes went into an error phase.
    #[error("nodes failed{}", node_list(nodes))]
    NodesFailed {
        /// The nodes, with their phase in the name.
        nodes: Vec<NodeLabel>,
    },
    /// Something took too long.
    #[error(
        "timed out after {seconds:.0}s waiting for {waiting_for}{}",
        node_list(nodes)
    )]
    Timeout {
        /// Real seconds waited.
        seconds: f64,
        /// What was awaited.
        waiting_for: String,
        /// The nodes not there yet.
        nodes: Vec<NodeLabel>,
    },
    /// Starting the batch would take more nodes down than allowed, and they
    /// did not come back in time.
    #[error(
        "{scope} allows {limit} unavailable nodes, but {count} would be down at once; still unavailable after {seconds:.0}s{}",
        node_list(others)
    )]
    BudgetExceeded {
        /// `pool X` or `cluster Y`.
        scope: String,
        /// The limit.
        limit: u32,
        /// How many would be down.
        count: usize,
        /// The nodes outside the batch that are down.
        others: Vec<NodeLabel>,
        /// Real seconds waited.
        seconds: f64,
    },
    /// The batch is larger than the cluster cap; the plan does not fit it.
    #[error(
        "the batch has {size} nodes but cluster {cluster} allows only {cap} unavailable at once; run plan again"
    )]
    BatchOverCap {
        /// The cluster key.
        cluster: ClusterName,
        /// Nodes in the batch.
        size: usize,
        /// The cap.
        cap: u32,
    },
    /// A nodes left Active while soaking.
    #[error("nodes left Active during the {seconds:.0}s soak{}", node_list(nodes))]
    SoakFailed {
        /// Real seconds of soak.
        seconds: f64,
        /// The nodes, with their phase in the name.
        nodes: Vec<NodeLabel>,
    },
    /// Nodes of the batch disappeared while it ran.
    #[error("nodes disappeared while being reset{}", node_list(nodes))]
    NodesVanished {
        /// The nodes.
        nodes: Vec<NodeLabel>,
    },
    /// A password variable is not set.
    #[error("environment variable {env} is not set; it must hold the node login password")]
    PasswordMissing {
        /// The variable.
        env: String,
    },
    /// A password variable holds an unacceptable password.
    #[error("the password in environment variable {env} is not acceptable: {problem}")]
    PasswordInvalid {
        /// The variable.
        env: String,
        /// What is wrong (never the password).
        problem: String,
    },
    /// The answer to a mutating request was lost and the live state does not
    /// show whether it took effect; it was not sent again.
    #[error(
        "the {request} request may or may not have been carried out (its answer was lost) and the live state does not show it; it was not sent again; run plan to see the current state"
    )]
    OutcomeUnknown {
        /// `sync`, `create pool`, …
        request: String,
        /// The error that lost the answer.
        #[source]
        source: LiveError,
    },
    /// The pool is in an error state.
    #[error("pool {pool} is in phase {phase}{}", if message.is_empty() { String::new() } else { format!(": {message}") })]
    PoolFailed {
        /// Pool name or id.
        pool: String,
        /// Its phase.
        phase: String,
        /// Conditions' messages.
        message: String,
    },
    /// The plan does not say what apply needs.
    #[error("the plan is inconsistent: {reason}")]
    InvalidStep {
        /// What is wrong.
        reason: String,
    },
}

fn node_list(nodes: &[NodeLabel]) -> String {
    if nodes.is_empty() {
        String::new()
    } else {
        let names: Vec<String> = nodes.iter().map(ToString::to_string).collect();
        format!(": {}", names.join(", "))
    }
}

/// CCE's reason for a failed job, unless it only names the failed nodes
/// (the simulator's and CCE's usual "failed on nodes: a, b"): the node list
/// that follows names them with their phase and id, and each node is printed
/// once.
fn job_reason(reason: &str, nodes: &[NodeLabel]) -> String {
    let mut rest = reason.to_owned();
    for node in nodes {
        rest = rest.replace(node.id.as_str(), "");
        // Failure labels carry the phase after the name: "app-1 [Error]".
        let name = node.name.split(" [").next().unwrap_or_default();
        if !name.is_empty() {
            rest = rest.replace(name, "");
        }
    }
    let rest = rest.to_ascii_lowercase();
    let only_names = !nodes.is_empty()
        && rest
            .split(|c: char| c.is_whitespace() || c.is_ascii_punctuation())
            .filter(|word| !word.is_empty())
            .all(|word| matches!(word, "failed" | "on" | "node" | "nodes" | "and"));
    if reason.is_empty() && nodes.is_empty() {
        String::new()
    } else if reason.is_empty() || only_names {
        " on nodes".to_owned()
    } else {
        format!(": {reason}")
    }
}

impl StepError {
    /// Whether the step failed on a read that may succeed if tried again
    /// (see [`LiveError::is_transient`]).
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Api { source, .. } if source.is_transient())
    }

    /// The nodes the error names.
    pub fn nodes(&self) -> Vec<NodeLabel> {
        match self {
            Self::JobFailed { nodes, .. }
            | Self::NodesFailed { nodes }
            | Self::Timeout { nodes, .. }
            | Self::SoakFailed { nodes, .. }
            | Self::NodesVanished { nodes } => nodes.clone(),
            Self::BudgetExceeded { others, .. } => others.clone(),
            _ => Vec::new(),
        }
    }

    /// The error and its causes as one line.
    pub fn chain(&self) -> String {
        let mut message = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        message
    }
}

/// Apply could not start.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// The plan's steps do not form a valid order.
    #[error("the plan is invalid: {reason}")]
    InvalidPlan {
        /// What is wrong.
        reason: String,
    },
}

/// A step that finished.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CompletedStep {
    /// The step.
    pub step: StepInfo,
    /// What was done.
    pub summary: String,
    /// Nodes reset by it.
    pub nodes_reset: Vec<NodeLabel>,
    /// Nodes of the batch left alone because they were already up to date.
    pub nodes_up_to_date: Vec<NodeLabel>,
}

/// A step that failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedStep {
    /// The step.
    pub step: StepInfo,
    /// The error, with its causes.
    pub error: String,
    /// The nodes it names.
    pub nodes: Vec<NodeLabel>,
    /// The job involved, if any.
    pub job_id: Option<String>,
}

/// A step that did not run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedStep {
    /// The step.
    pub step: StepInfo,
    /// Why.
    pub reason: SkipReason,
}

/// An interruption.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Interruption {
    /// How far it went.
    pub level: CancelLevel,
    /// What was running when apply stopped (after an immediate stop: left
    /// unfinished; after a graceful one: empty, since it was waited for).
    pub in_flight: Vec<InFlight>,
}

/// What apply did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApplyReport {
    /// Finished steps, in the order they finished.
    pub completed: Vec<CompletedStep>,
    /// Failed steps.
    pub failed: Vec<FailedStep>,
    /// Steps that did not run, in id order.
    pub skipped: Vec<SkippedStep>,
    /// Set when a stop was requested.
    pub interrupted: Option<Interruption>,
    /// Wall time.
    pub elapsed: Duration,
}

impl ApplyReport {
    /// Whether every step ran and finished.
    pub fn succeeded(&self) -> bool {
        self.failed.is_empty() && self.skipped.is_empty() && self.interrupted.is_none()
    }

    /// Every node reset, over all steps.
    pub fn nodes_reset(&self) -> BTreeSet<&NodeLabel> {
        self.completed
            .iter()
            .flat_map(|step| step.nodes_reset.iter())
            .collect()
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
            number, of, body, ..
        } => {
            let count = body.spec.node_ids.len();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaled_durations_saturate_instead_of_panicking() {
        let options = ApplyOptions::default();
        assert_eq!(options.scaled(90), Duration::from_secs(90));
        assert_eq!(options.scaled(u64::MAX), Duration::MAX);
        let tiny_scale = ApplyOptions {
            time_scale: f64::MIN_POSITIVE,
            ..ApplyOptions::default()
        };
        assert_eq!(tiny_scale.scaled(u64::MAX), Duration::MAX);
        assert_eq!(tiny_scale.scaled(0), Duration::ZERO);
        let fast = ApplyOptions {
            time_scale: 200.0,
            ..ApplyOptions::default()
        };
        assert_eq!(fast.scaled(60), Duration::from_millis(300));
    }

    #[test]
    fn deadlines_past_the_clock_saturate_instead_of_panicking() {
        let now = Instant::now();
        assert_eq!(
            deadline_after(now, Duration::from_secs(5)),
            now + Duration::from_secs(5)
        );
        // soak = "500000000000y" from a saved plan, batch_timeout =
        // "18446744073709551615s": both panicked as `now + duration`.
        let options = ApplyOptions::default();
        for wait in [
            options.scaled(500_000_000_000 * 31_557_600),
            options.scaled(u64::MAX),
            Duration::MAX,
        ] {
            let deadline = deadline_after(now, wait);
            assert!(
                deadline > now + Duration::from_secs(100 * 365 * 24 * 3600),
                "a deadline that far out never comes"
            );
        }
    }
}
