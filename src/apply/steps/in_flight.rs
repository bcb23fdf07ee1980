//! Whether the pool of a batch has a sync in flight that this run did not
//! start: another apply's, an interrupted one's, or the console's.

use crate::api::CceApi;

use super::super::context::Context;
use super::super::{EventSink, StepError};
use super::batch::Batch;

/// A sync of the batch's pool that is accepted or running, described, or
/// `None`. Every batch of this run waits for its own job before the next
/// starts, so a sync in flight here belongs to someone else: another apply,
/// an interrupted one, or the console. CCE shows it as the pool's
/// `status.jobId` naming an unfinished job, or as a true
/// `ConfigurationSynchronizing` condition.
pub(super) async fn sync_in_flight<A: CceApi, S: EventSink>(
    context: &Context<'_, A, S>,
    batch: &Batch<'_>,
) -> Result<Option<String>, StepError> {
    let pool = match context.api.show_pool(batch.cluster_id, batch.pool_id).await {
        Ok(pool) => pool,
        // A pool CCE does not show by id (the DefaultPool may not be) tells
        // nothing either way; the nodes' phases still count.
        Err(error) if error.is_not_found() => return Ok(None),
        Err(source) => {
            return Err(StepError::Api {
                action: format!("read pool {}", batch.pool_id),
                source,
            });
        }
    };
    let Some(status) = pool.status else {
        return Ok(None);
    };
    if let Some(job_id) = status.job_id.filter(|id| !id.is_empty()) {
        match context.api.show_job(&job_id).await {
            Ok(job) if job.phase.is_finished() => {}
            // Unfinished, or not readable yet: either way not over.
            Ok(_) => return Ok(Some(format!("job {job_id}"))),
            Err(error) if error.is_not_found() => return Ok(Some(format!("job {job_id}"))),
            Err(source) => {
                return Err(StepError::Api {
                    action: format!("read job {job_id}"),
                    source,
                });
            }
        }
    }
    let synchronizing = status.conditions.iter().any(|condition| {
        condition.kind == "ConfigurationSynchronizing" && condition.status == "True"
    });
    Ok(synchronizing.then(|| "condition ConfigurationSynchronizing is True".to_owned()))
}
