//! The scheduler loop: starts ready steps up to the parallelism bounds,
//! collects their outcomes, skips what a failure takes down, and reacts to
//! the cancel token. What each step does lives in `steps`.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use futures::StreamExt as _;
use futures::stream::FuturesUnordered;
use tokio::sync::Notify;

use crate::live::CceApi;
use crate::model::ClusterName;
use crate::plan::Plan;

use super::schedule::{ClusterBudget, Schedule};
use super::steps::{self, StepOutcome};
use super::{
    ApplyError, ApplyOptions, ApplyReport, CancelLevel, CancelToken, CompletedStep, Event,
    EventSink, FailedStep, InFlight, Interruption, NodeLabel, SkipReason, SkippedStep, StepInfo,
    step_info,
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

impl<A, S: EventSink> Context<'_, A, S> {
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
    pub(crate) fn remember_names<'n>(
        &self,
        nodes: impl IntoIterator<Item = &'n crate::live::wire::Node>,
    ) {
        let mut names = lock(&self.names);
        for node in nodes {
            if !node.metadata.name.is_empty() {
                names.insert(node.metadata.uid.clone(), node.metadata.name.clone());
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

    /// Emits an event.
    pub(crate) fn emit(&self, event: Event) {
        self.events.emit(event);
    }

    fn in_flight(&self) -> Vec<InFlight> {
        lock(&self.in_flight).values().cloned().collect()
    }
}

/// Carries out `plan` against `api`: steps in dependency order, up to
/// `options.parallelism` at once and `options.cluster_parallelism` in one
/// cluster, each sync batch within its pool budget and
/// its cluster cap. Emits progress through `events` and returns what was
/// done, what failed and what was skipped. Fails only when the plan's steps
/// are not a valid order; every other problem is in the report.
pub async fn apply<A: CceApi, S: EventSink>(
    api: &A,
    plan: &Plan,
    options: &ApplyOptions,
    events: &S,
    cancel: &CancelToken,
) -> Result<ApplyReport, ApplyError> {
    let started = Instant::now();
    let mut schedule = Schedule::new(&plan.steps)?;
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
    let context = Context {
        api,
        plan,
        options,
        events,
        cancel,
        budget: Mutex::new(ClusterBudget::new(caps)),
        budget_released: Notify::new(),
        names: Mutex::new(names),
        in_flight: Mutex::new(BTreeMap::new()),
        batch_durations: super::poll::BatchDurations::default(),
    };
    let context = &context;
    let infos: Vec<StepInfo> = (0..plan.steps.len())
        .map(|step| step_info(plan, step))
        .collect();
    events.emit(Event::Started {
        steps: infos.clone(),
    });

    let mut report = ApplyReport {
        completed: Vec::new(),
        failed: Vec::new(),
        skipped: Vec::new(),
        interrupted: None,
        elapsed: std::time::Duration::ZERO,
    };
    let mut running = FuturesUnordered::new();
    let mut fail_fast_triggered = false;
    let mut graceful_seen = false;
    let parallelism = options.parallelism.max(1);
    let cluster_parallelism = options.cluster_parallelism.max(1);

    loop {
        if !fail_fast_triggered && cancel.level() == CancelLevel::None {
            for step in schedule.ready() {
                if schedule.running() >= parallelism {
                    break;
                }
                // A cluster at its limit leaves the slot to the next
                // cluster's ready steps.
                if schedule.running_in_cluster_of(step) >= cluster_parallelism {
                    continue;
                }
                schedule.start(step);
                lock(&context.in_flight).insert(
                    step,
                    InFlight {
                        step: infos[step].clone(),
                        job_id: None,
                        requested: false,
                    },
                );
                events.emit(Event::StepStarted {
                    step: infos[step].clone(),
                });
                running.push(async move { (step, steps::run(context, step).await) });
            }
        }
        if running.is_empty() {
            break;
        }
        tokio::select! {
            biased;
            () = cancel.reached(CancelLevel::Immediate) => {
                // Dropping the step futures stops them where they are; their
                // budget reservations are released as they drop.
                let in_flight = context.in_flight();
                events.emit(Event::Interrupted {
                    level: CancelLevel::Immediate,
                    in_flight: in_flight.clone(),
                });
                report.interrupted = Some(Interruption {
                    level: CancelLevel::Immediate,
                    in_flight,
                });
                break;
            }
            () = cancel.reached(CancelLevel::Graceful), if !graceful_seen => {
                graceful_seen = true;
                events.emit(Event::Interrupted {
                    level: CancelLevel::Graceful,
                    in_flight: context.in_flight(),
                });
                report.interrupted = Some(Interruption {
                    level: CancelLevel::Graceful,
                    in_flight: Vec::new(),
                });
            }
            Some((step, outcome)) = running.next() => {
                lock(&context.in_flight).remove(&step);
                match outcome {
                    StepOutcome::Done { summary, nodes_reset, nodes_up_to_date } => {
                        schedule.finish(step);
                        events.emit(Event::StepFinished { step, summary: summary.clone() });
                        report.completed.push(CompletedStep {
                            step: infos[step].clone(),
                            summary,
                            nodes_reset,
                            nodes_up_to_date,
                        });
                    }
                    StepOutcome::Failed { error, job_id } => {
                        let nodes = error.nodes();
                        let message = error.chain();
                        events.emit(Event::StepFailed {
                            step,
                            error: message.clone(),
                            nodes: nodes.clone(),
                        });
                        report.failed.push(FailedStep {
                            step: infos[step].clone(),
                            error: message,
                            nodes,
                            job_id,
                        });
                        for skipped in schedule.fail(step) {
                            if let super::schedule::StepState::Skipped(reason) = schedule.state(skipped) {
                                let reason = reason.clone();
                                events.emit(Event::StepSkipped { step: skipped, reason: reason.clone() });
                                report.skipped.push(SkippedStep { step: infos[skipped].clone(), reason });
                            }
                        }
                        if options.fail_fast {
                            fail_fast_triggered = true;
                        }
                    }
                    StepOutcome::NotStarted => schedule.unstart(step),
                }
            }
        }
    }
    drop(running);

    if report.interrupted.is_none() && cancel.level() > CancelLevel::None {
        report.interrupted = Some(Interruption {
            level: cancel.level(),
            in_flight: Vec::new(),
        });
    }
    let reason = if report.interrupted.is_some() {
        SkipReason::Interrupted
    } else {
        SkipReason::FailFast
    };
    for skipped in schedule.skip_pending(&reason) {
        events.emit(Event::StepSkipped {
            step: skipped,
            reason: reason.clone(),
        });
        report.skipped.push(SkippedStep {
            step: infos[skipped].clone(),
            reason: reason.clone(),
        });
    }
    report.skipped.sort_by_key(|skipped| skipped.step.step);
    report.elapsed = started.elapsed();
    Ok(report)
}
