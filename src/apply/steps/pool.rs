//! The pool steps: create, update and delete a node pool, and wait for the
//! pool to settle afterwards.

use std::collections::BTreeMap;
use std::time::Instant;

use crate::api::{CceApi, CreatePool, LiveError, PoolState, UpdatePool};
use crate::model::{ClusterId, NodePhase, PoolId};

use super::super::context::{Context, StepOutcome, pause};
use super::super::{CancelLevel, Event, EventSink, StepError};
use super::certainly_refused;
use super::nodes::{is_failed, labelled_with_phase, phase, read_nodes, report_progress};
use super::password::{pool_password, unsalted};

fn pool_failure(pool: &PoolState) -> Option<StepError> {
    let status = pool.status.as_ref()?;
    if status.phase != "Error" {
        return None;
    }
    let messages: Vec<String> = status
        .conditions
        .iter()
        .filter(|condition| condition.status == "True" || !condition.message.is_empty())
        .filter(|condition| !condition.message.is_empty())
        .map(|condition| format!("{}: {}", condition.kind, condition.message))
        .collect();
    Some(StepError::PoolFailed {
        pool: pool.name.clone(),
        phase: status.phase.clone(),
        message: messages.join("; "),
    })
}

/// Waits until a pool settles: phase empty, nothing being created or
/// deleted, and (when `expected_nodes` is set, for a new pool) that many
/// nodes, all Active.
async fn wait_for_pool<A: CceApi, S: EventSink>(
    context: &Context<'_, A, S>,
    index: usize,
    cluster_id: &ClusterId,
    pool_id: &PoolId,
    pool_name: &str,
    expected_nodes: Option<u32>,
) -> Result<usize, StepError> {
    let deadline = super::super::deadline_after(Instant::now(), context.options.pool_timeout);
    let mut seen = BTreeMap::new();
    loop {
        let pool = match context.api.show_pool(cluster_id, pool_id).await {
            Ok(pool) => Some(pool),
            // CCE may not show a pool it just accepted yet.
            Err(error) if error.is_not_found() => None,
            Err(source) if source.is_transient() && Instant::now() < deadline => {
                pause(context, Some(deadline)).await;
                continue;
            }
            Err(source) => {
                return Err(StepError::Api {
                    action: format!("read pool {pool_id}"),
                    source,
                });
            }
        };
        if let Some(error) = pool.as_ref().and_then(pool_failure) {
            return Err(error);
        }
        let (_, nodes) = match read_nodes(context, cluster_id, pool_id, pool_name).await {
            Ok(read) => read,
            Err(error) if error.is_transient() && Instant::now() < deadline => {
                pause(context, Some(deadline)).await;
                continue;
            }
            Err(error) => return Err(error),
        };
        let ids: Vec<String> = nodes.keys().cloned().collect();
        report_progress(context, index, &nodes, &ids, &mut seen);
        // A new pool's nodes are the point of creating it: they must all come
        // up. An update only has to settle; a node of the pool that is down
        // for its own reasons is not the update's doing, and the sync
        // batches that follow count it against the budget.
        let creating = expected_nodes.is_some();
        let broken: Vec<&String> = ids
            .iter()
            .filter(|id| nodes.get(*id).is_some_and(|node| is_failed(&phase(node))))
            .collect();
        if creating && !broken.is_empty() {
            return Err(StepError::NodesFailed {
                nodes: labelled_with_phase(context, &nodes, &broken),
            });
        }
        let not_active: Vec<&String> = ids
            .iter()
            .filter(|id| {
                creating
                    && nodes
                        .get(*id)
                        .is_some_and(|node| phase(node) != NodePhase::Active)
            })
            .collect();
        let settled = pool
            .as_ref()
            .and_then(|pool| pool.status.as_ref())
            .is_some_and(|status| {
                status.phase.is_empty() && status.creating_nodes == 0 && status.deleting_nodes == 0
            });
        let enough = expected_nodes.is_none_or(|expected| ids.len() >= expected as usize);
        if settled && enough && not_active.is_empty() {
            return Ok(ids.len());
        }
        if Instant::now() >= deadline {
            return Err(StepError::Timeout {
                seconds: context.options.pool_timeout.as_secs_f64(),
                waiting_for: format!("pool {pool_id} to settle"),
                nodes: labelled_with_phase(context, &nodes, &not_active),
            });
        }
        pause(context, Some(deadline)).await;
    }
}

pub(super) async fn create_pool<A: CceApi, S: EventSink>(
    context: &Context<'_, A, S>,
    index: usize,
    cluster_id: &ClusterId,
    request: &CreatePool,
    password_env: Option<&str>,
) -> StepOutcome {
    let password = match pool_password(context, password_env) {
        Ok(password) => password,
        Err(outcome) => return *outcome,
    };
    context.mark_requested(index, None);
    let name = request.pool.name.clone();
    let answer = context
        .api
        .create_pool(cluster_id, request, password.as_deref())
        .await;
    drop(password);
    let pool_id = match answer {
        Ok(id) => match id {
            Some(id) => id,
            None => match find_pool(context, cluster_id, &name).await {
                Ok(Some(id)) => id,
                Ok(None) => {
                    return StepError::InvalidStep {
                        reason: format!("CCE accepted pool {name} but does not list it"),
                    }
                    .into();
                }
                Err(error) => return error.into(),
            },
        },
        Err(LiveError::PasswordNotSalted) => return unsalted(password_env).into(),
        Err(error) if certainly_refused(&error) => {
            return StepError::Api {
                action: format!("create pool {name}"),
                source: error,
            }
            .into();
        }
        Err(error) => match find_pool(context, cluster_id, &name).await {
            Ok(Some(id)) => id,
            Ok(None) => {
                return StepError::OutcomeUnknown {
                    request: format!("create pool {name}"),
                    source: error,
                }
                .into();
            }
            Err(read_error) => return read_error.into(),
        },
    };
    context.emit(Event::PoolRequested {
        step: index,
        pool_id: Some(pool_id.0.clone()),
    });
    match wait_for_pool(
        context,
        index,
        cluster_id,
        &pool_id,
        &name,
        Some(request.initial_node_count()),
    )
    .await
    {
        Ok(nodes) => StepOutcome::done(format!(
            "created pool {name} ({pool_id}) with {nodes} Active nodes"
        )),
        Err(error) => error.into(),
    }
}

async fn find_pool<A: CceApi, S: EventSink>(
    context: &Context<'_, A, S>,
    cluster_id: &ClusterId,
    name: &str,
) -> Result<Option<PoolId>, StepError> {
    let pools = context
        .api
        .list_pools(cluster_id)
        .await
        .map_err(|source| StepError::Api {
            action: format!("list the pools of cluster {cluster_id}"),
            source,
        })?;
    // A pool CCE lists without an id is as good as not listed.
    Ok(pools
        .into_iter()
        .find(|pool| pool.name == name)
        .map(|pool| pool.id)
        .filter(|id| !id.0.is_empty()))
}

pub(super) async fn update_pool<A: CceApi, S: EventSink>(
    context: &Context<'_, A, S>,
    index: usize,
    cluster_id: &ClusterId,
    pool_id: &PoolId,
    request: &UpdatePool,
    password_env: Option<&str>,
) -> StepOutcome {
    let password = match pool_password(context, password_env) {
        Ok(password) => password,
        Err(outcome) => return *outcome,
    };
    context.mark_requested(index, None);
    // A PUT is idempotent, but whether one whose answer was lost took effect
    // is for the next plan to say, not for apply to guess.
    let answer = context
        .api
        .update_pool(cluster_id, pool_id, request, password.as_deref())
        .await;
    drop(password);
    if let Err(source) = answer {
        if matches!(source, LiveError::PasswordNotSalted) {
            return unsalted(password_env).into();
        }
        return StepError::Api {
            action: format!("update pool {pool_id}"),
            source,
        }
        .into();
    }
    context.emit(Event::PoolRequested {
        step: index,
        pool_id: Some(pool_id.0.clone()),
    });
    match wait_for_pool(
        context,
        index,
        cluster_id,
        pool_id,
        &request.pool.name,
        None,
    )
    .await
    {
        Ok(_) => StepOutcome::done(format!("updated pool {}", request.pool.name)),
        Err(error) => error.into(),
    }
}

pub(super) async fn delete_pool<A: CceApi, S: EventSink>(
    context: &Context<'_, A, S>,
    index: usize,
    cluster_id: &ClusterId,
    pool_id: &PoolId,
) -> StepOutcome {
    if context.cancel.level() >= CancelLevel::Graceful {
        return StepOutcome::NotStarted;
    }
    context.mark_requested(index, None);
    match context.api.delete_pool(cluster_id, pool_id).await {
        Ok(_) => {}
        Err(error) if error.is_not_found() => {
            return StepOutcome::done(format!("pool {pool_id} was already gone"));
        }
        Err(source) => {
            return StepError::Api {
                action: format!("delete pool {pool_id}"),
                source,
            }
            .into();
        }
    }
    context.emit(Event::PoolRequested {
        step: index,
        pool_id: Some(pool_id.0.clone()),
    });
    let deadline = super::super::deadline_after(Instant::now(), context.options.pool_timeout);
    loop {
        match context.api.show_pool(cluster_id, pool_id).await {
            Err(error) if error.is_not_found() => {
                return StepOutcome::done(format!("deleted pool {pool_id}"));
            }
            Err(source) => {
                return StepError::Api {
                    action: format!("read pool {pool_id}"),
                    source,
                }
                .into();
            }
            Ok(pool) => {
                if let Some(error) = pool_failure(&pool) {
                    return error.into();
                }
            }
        }
        if Instant::now() >= deadline {
            return StepError::Timeout {
                seconds: context.options.pool_timeout.as_secs_f64(),
                waiting_for: format!("pool {pool_id} to be deleted"),
                nodes: Vec::new(),
            }
            .into();
        }
        pause(context, Some(deadline)).await;
    }
}
