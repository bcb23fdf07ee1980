//! The third phase of a sync batch: follow the job and the nodes until every
//! node is Active and up to date, or something fails or times out.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use crate::api::{CceApi, JobPhase, JobState, ListedNode};
use crate::model::NodePhase;

use super::super::context::{Context, pause};
use super::super::error::WaitingFor;
use super::super::{EventSink, StepError};
use super::batch::Batch;
use super::nodes::{
    Seen, is_failed, labelled, labelled_with_phase, node_needs_sync, phase, planned_fingerprint,
    read_nodes, report_progress,
};
use super::send::Posted;

/// Follows the posted sync of `needed` until the nodes are back.
pub(super) async fn follow_sync<A: CceApi, S: EventSink>(
    context: &Context<'_, A, S>,
    batch: &Batch<'_>,
    needed: &[String],
    posted: &Posted,
    seen: &mut Seen,
) -> Result<(), StepError> {
    let index = batch.index;
    let fingerprints = &context.plan.fingerprints;
    let job_id = &posted.job_id;
    let deadline = super::super::deadline_after(posted.started, batch.timeout);
    // Following a job is reading: a read that fails for a passing reason
    // (throttling, a 5xx storm, a timeout) is tried again until the batch
    // timeout, since the job goes on running on the server meanwhile.
    // CCE may not show a job right after accepting it; until it does, the
    // nodes alone tell how the batch is going.
    let mut job_readable = false;
    loop {
        let job = match job_id {
            Some(id) => match context.api.show_job(id).await {
                Ok(job) => {
                    job_readable = true;
                    Some(job)
                }
                Err(source) if source.is_not_found() && !job_readable => None,
                Err(source) if source.is_transient() && Instant::now() < deadline => {
                    pause(context, Some(deadline)).await;
                    continue;
                }
                Err(source) => {
                    return Err(StepError::Api {
                        action: format!("read job {id}"),
                        source,
                    });
                }
            },
            None => None,
        };
        let (_, pool_nodes) =
            match read_nodes(context, batch.cluster_id, batch.pool_id, batch.pool_name).await {
                Ok(read) => read,
                Err(error) if error.is_transient() && Instant::now() < deadline => {
                    pause(context, Some(deadline)).await;
                    continue;
                }
                Err(error) => return Err(error),
            };
        report_progress(context, index, &pool_nodes, needed, seen);
        let vanished: Vec<&String> = needed
            .iter()
            .filter(|id| !pool_nodes.contains_key(*id))
            .collect();
        if !vanished.is_empty() {
            return Err(StepError::NodesVanished {
                nodes: labelled(context, &vanished),
            });
        }
        let broken: Vec<&String> = needed
            .iter()
            .filter(|id| {
                pool_nodes
                    .get(*id)
                    .is_some_and(|node| is_failed(&phase(node)))
            })
            .collect();
        if let Some(job) = &job
            && job.phase == JobPhase::Failed
        {
            return Err(job_failed(context, job, needed, &broken, &pool_nodes));
        }
        if !broken.is_empty() {
            return Err(StepError::NodesFailed {
                nodes: labelled_with_phase(context, &pool_nodes, &broken),
            });
        }
        let pending: Vec<&String> = needed
            .iter()
            .filter(|id| {
                pool_nodes.get(*id).is_none_or(|node| {
                    phase(node) != NodePhase::Active
                        || node_needs_sync(
                            &node.node,
                            planned_fingerprint(fingerprints, batch.pool_id, id),
                        )
                })
            })
            .collect();
        let job_done = job
            .as_ref()
            .is_none_or(|job| job.phase == JobPhase::Success);
        if pending.is_empty() && job_done {
            context.batch_durations.observe(posted.started.elapsed());
            return Ok(());
        }
        if Instant::now() >= deadline {
            let waiting_for = if pending.is_empty() {
                WaitingFor::Job {
                    job_id: job_id.clone().unwrap_or_default(),
                }
            } else {
                WaitingFor::NodesBack
            };
            return Err(StepError::Timeout {
                seconds: batch.timeout.as_secs_f64(),
                waiting_for,
                nodes: labelled_with_phase(context, &pool_nodes, &pending),
            });
        }
        let wait = super::super::poll::next_wait(
            context.options.poll_interval,
            posted.started.elapsed(),
            context.batch_durations.expected(),
        );
        tokio::time::sleep(wait.min(deadline.saturating_duration_since(Instant::now()))).await;
    }
}

/// The error of a failed job, naming the nodes it failed on: those in an
/// error phase, and those its failed sub-jobs name (by id or by name).
fn job_failed<A, S: EventSink>(
    context: &Context<'_, A, S>,
    job: &JobState,
    needed: &[String],
    broken: &[&String],
    pool_nodes: &BTreeMap<String, ListedNode>,
) -> StepError {
    let mut culprits: BTreeSet<String> = broken.iter().map(|id| (*id).clone()).collect();
    for sub in job
        .sub_jobs
        .iter()
        .filter(|sub| sub.phase == JobPhase::Failed)
    {
        if let Some(id) = needed
            .iter()
            .find(|id| **id == sub.resource_id || context.label(id).name == sub.resource_name)
        {
            culprits.insert(id.clone());
        }
    }
    StepError::JobFailed {
        job_id: job.id.clone(),
        reason: job.reason.clone(),
        nodes: labelled_with_phase(context, pool_nodes, &culprits),
    }
}
