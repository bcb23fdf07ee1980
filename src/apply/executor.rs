//! The scheduler loop: starts ready steps up to the parallelism bounds,
//! collects their outcomes, skips what a failure takes down, and reacts to
//! the cancel token. What each step does lives in `steps`; what they share,
//! in `context`.

use std::time::Instant;

use futures::StreamExt as _;
use futures::stream::FuturesUnordered;

use crate::api::CceApi;
use crate::plan::Plan;

use super::context::{Context, StepOutcome};
use super::schedule::Schedule;
use super::steps;
use super::{
    ApplyError, ApplyOptions, ApplyReport, CancelLevel, CancelToken, CompletedStep, Event,
    EventSink, FailedStep, Interruption, SkipReason, SkippedStep, StepInfo, step_info,
};

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
    let context = Context::new(api, plan, options, events, cancel);
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
                context.start(infos[step].clone());
                context.queue_for_cap(step);
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
                context.end(step);
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
