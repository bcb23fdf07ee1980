//! The pool steps: create, update and delete a node pool, and wait for the
//! pool to settle afterwards.

use std::collections::BTreeMap;
use std::time::Instant;

use crate::api::{CceApi, CreatePool, LiveError, PoolState, UpdatePool};
use crate::model::{ClusterId, NodePhase, PoolId};

use super::super::context::{Context, StepOutcome, pause};
use super::super::error::{InconsistentStep, MutatingRequest, WaitingFor};
use super::super::{CancelLevel, Event, EventSink, StepError};
use super::certainly_refused;
use super::nodes::{is_failed, labelled_with_phase, phase, read_nodes, report_progress};
use super::password::{not_sent_unsalted, pool_password};

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
                waiting_for: WaitingFor::PoolToSettle {
                    pool_id: pool_id.clone(),
                },
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
                        reason: InconsistentStep::PoolNotListed { name },
                    }
                    .into();
                }
                Err(error) => return error.into(),
            },
        },
        Err(LiveError::PasswordNotSalted) => {
            return not_sent_unsalted(context, index, password_env).into();
        }
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
                    request: MutatingRequest::CreatePool { name },
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
            return not_sent_unsalted(context, index, password_env).into();
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
                waiting_for: WaitingFor::PoolDeleted {
                    pool_id: pool_id.clone(),
                },
                nodes: Vec::new(),
            }
            .into();
        }
        pause(context, Some(deadline)).await;
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::api::{JobState, ListedNode, PoolSpec, ResetNodes, SyncNodes};
    use crate::apply::{ApplyOptions, CancelToken, NoEvents, StepInfo};
    use crate::model::{LivePool, NodeId, NodeTemplate};
    use crate::plan::{FORMAT_VERSION, Plan};

    /// An API whose writes fail as the client's do when a login password
    /// cannot be salted: before anything is sent. Reads are never reached.
    struct CannotSalt;

    impl CceApi for CannotSalt {
        async fn list_pools(&self, _: &ClusterId) -> Result<Vec<LivePool>, LiveError> {
            unreachable!("no read before the create")
        }
        async fn show_pool(&self, _: &ClusterId, _: &PoolId) -> Result<PoolState, LiveError> {
            unreachable!("no read before the create")
        }
        async fn create_pool(
            &self,
            _: &ClusterId,
            _: &CreatePool,
            _: Option<&str>,
        ) -> Result<Option<PoolId>, LiveError> {
            Err(LiveError::PasswordNotSalted)
        }
        async fn update_pool(
            &self,
            _: &ClusterId,
            _: &PoolId,
            _: &UpdatePool,
            _: Option<&str>,
        ) -> Result<(), LiveError> {
            Err(LiveError::PasswordNotSalted)
        }
        async fn delete_pool(&self, _: &ClusterId, _: &PoolId) -> Result<(), LiveError> {
            unreachable!("not deleted")
        }
        async fn list_nodes(&self, _: &ClusterId) -> Result<Vec<ListedNode>, LiveError> {
            unreachable!("no read before the create")
        }
        async fn show_node(&self, _: &ClusterId, _: &NodeId) -> Result<ListedNode, LiveError> {
            unreachable!("no read before the create")
        }
        async fn sync_nodes(
            &self,
            _: &ClusterId,
            _: &PoolId,
            _: &SyncNodes,
            _: Option<&str>,
        ) -> Result<Option<String>, LiveError> {
            Err(LiveError::PasswordNotSalted)
        }
        async fn reset_nodes(
            &self,
            _: &ClusterId,
            _: &ResetNodes,
            _: Option<&str>,
        ) -> Result<String, LiveError> {
            Err(LiveError::PasswordNotSalted)
        }
        async fn show_job(&self, _: &str) -> Result<JobState, LiveError> {
            unreachable!("no job")
        }
    }

    fn empty_plan() -> Plan {
        Plan {
            format_version: FORMAT_VERSION.into(),
            config_digest: String::new(),
            cloud: Default::default(),
            clusters: BTreeMap::new(),
            pools: Vec::new(),
            unmanaged: Vec::new(),
            steps: Vec::new(),
            fingerprints: BTreeMap::new(),
            classification: None,
        }
    }

    fn info() -> StepInfo {
        StepInfo {
            step: 0,
            address: "prod.app".into(),
            cluster: "prod".into(),
            what: "create pool".into(),
            nodes: 0,
        }
    }

    fn spec() -> PoolSpec {
        PoolSpec {
            name: "app".into(),
            template: NodeTemplate::default(),
            node_count: Some(1),
            autoscaling: None,
            server_group: None,
        }
    }

    #[tokio::test]
    async fn a_request_that_was_never_sent_is_not_reported_as_requested() {
        let plan = empty_plan();
        let (options, cancel) = (ApplyOptions::default(), CancelToken::new());
        let context = Context::new(&CannotSalt, &plan, &options, &NoEvents, &cancel);
        let cluster = ClusterId::from("c-1");

        context.start(info());
        let create = CreatePool { pool: spec() };
        let outcome = create_pool(&context, 0, &cluster, &create, None).await;
        assert!(
            matches!(
                outcome,
                StepOutcome::Failed {
                    error: StepError::PasswordInvalid { .. },
                    job_id: None
                }
            ),
            "the create fails on the password"
        );
        let in_flight = context.in_flight();
        assert!(!in_flight[0].requested, "{in_flight:?}");

        context.start(info());
        let update = UpdatePool {
            pool: spec(),
            changed: Vec::new(),
        };
        let pool = PoolId::from("p-1");
        let outcome = update_pool(&context, 0, &cluster, &pool, &update, None).await;
        assert!(matches!(
            outcome,
            StepOutcome::Failed {
                error: StepError::PasswordInvalid { .. },
                ..
            }
        ));
        let in_flight = context.in_flight();
        assert!(!in_flight[0].requested, "{in_flight:?}");
    }
}
