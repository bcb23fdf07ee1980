//! The last phase of a sync batch: the reset nodes must stay Active for the
//! soak time before the batch counts as done.

use std::time::Instant;

use crate::api::CceApi;
use crate::model::NodePhase;

use super::super::context::{Context, pause};
use super::super::{Event, EventSink, StepError};
use super::batch::Batch;
use super::nodes::{Seen, labelled_with_phase, phase, read_nodes, report_progress};

/// Watches `needed` for the batch's soak time (nothing when it is zero).
pub(super) async fn soak<A: CceApi, S: EventSink>(
    context: &Context<'_, A, S>,
    batch: &Batch<'_>,
    needed: &[String],
    seen: &mut Seen,
) -> Result<(), StepError> {
    if batch.soak.is_zero() {
        return Ok(());
    }
    let index = batch.index;
    context.emit(Event::Soaking {
        step: index,
        seconds: batch.soak.as_secs_f64(),
    });
    let end = super::super::deadline_after(Instant::now(), batch.soak);
    loop {
        pause(context, Some(end)).await;
        let (_, pool_nodes) =
            match read_nodes(context, batch.cluster_id, batch.pool_id, batch.pool_name).await {
                Ok(read) => read,
                Err(error) if error.is_transient() && Instant::now() < end => {
                    continue;
                }
                Err(error) => return Err(error),
            };
        report_progress(context, index, &pool_nodes, needed, seen);
        let fell: Vec<&String> = needed
            .iter()
            .filter(|id| {
                pool_nodes
                    .get(*id)
                    .is_none_or(|node| phase(node) != NodePhase::Active)
            })
            .collect();
        if !fell.is_empty() {
            return Err(StepError::SoakFailed {
                seconds: batch.soak.as_secs_f64(),
                nodes: labelled_with_phase(context, &pool_nodes, &fell),
            });
        }
        if Instant::now() >= end {
            return Ok(());
        }
    }
}
