//! What each kind of step does against the API: a `match` over
//! [`StepKind`], then waiting for the cloud with deadlines.
//!
//! Every wait re-reads the live state; nothing is assumed from a previous
//! read. A mutating request whose answer was lost is never sent again: the
//! live state is read to find out whether it took effect.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use crate::diff;
use crate::live::convert;
use crate::live::{CceApi, LiveError, request, salt, wire};
use crate::model::{ClusterId, DEFAULT_POOL_NAME, NodeId, NodePhase, PoolId, Provider};
use crate::plan::{Step, StepKind};

use super::executor::{Context, lock};
use super::schedule::{ClusterBudget, Shortfall, check_pool_budget};
use super::{CancelLevel, Event, EventSink, NodeLabel, StepError};

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
    fn done(summary: impl Into<String>) -> Self {
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

/// Runs one step.
pub(crate) async fn run<A: CceApi, S: EventSink>(
    context: &Context<'_, A, S>,
    index: usize,
) -> StepOutcome {
    let step = &context.plan.steps[index];
    let Some(cluster) = context.plan.clusters.get(&step.cluster) else {
        return StepError::InvalidStep {
            reason: format!(
                "step {index} names cluster {} which the plan does not list",
                step.cluster
            ),
        }
        .into();
    };
    let cluster_id = &cluster.id;
    match &step.kind {
        StepKind::CreatePool { body, password_env } => {
            create_pool(context, index, cluster_id, body, password_env.as_deref()).await
        }
        StepKind::UpdatePool {
            pool_id,
            body,
            password_env,
        } => {
            update_pool(
                context,
                index,
                cluster_id,
                pool_id,
                body,
                password_env.as_deref(),
            )
            .await
        }
        StepKind::DeletePool { pool_id } => delete_pool(context, index, cluster_id, pool_id).await,
        StepKind::SyncBatch {
            pool_id,
            number,
            of,
            body,
            password_env,
            soak_seconds,
            timeout_seconds,
        } => {
            let batch = Batch {
                index,
                step,
                cluster_id,
                pool_id,
                number: *number,
                of: *of,
                body,
                password_env: password_env.as_deref(),
                pool_name: pool_name(context.plan, step),
                pool_limit: pool_limit(context.plan, step, body),
                soak: context.options.scaled(*soak_seconds),
                timeout: context.options.scaled(*timeout_seconds),
            };
            sync_batch(context, &batch).await
        }
    }
}

// ---------------------------------------------------------------------------
// Passwords

/// Reads a login password from the environment at apply time. The value is
/// only ever put into a request body; errors never contain it.
fn read_password(env: &str, username: Option<&str>) -> Result<String, StepError> {
    let value = match std::env::var(env) {
        Ok(value) => value,
        Err(std::env::VarError::NotPresent) => {
            return Err(StepError::PasswordMissing {
                env: env.to_owned(),
            });
        }
        Err(std::env::VarError::NotUnicode(_)) => {
            return Err(StepError::PasswordInvalid {
                env: env.to_owned(),
                problem: "it is not valid UTF-8".to_owned(),
            });
        }
    };
    if value.is_empty() {
        return Err(StepError::PasswordMissing {
            env: env.to_owned(),
        });
    }
    let _ = username;
    Ok(value)
}

/// Puts the password, salted as CCE requires (SHA-512 crypt under a fresh
/// salt, then base64), into a login that asks for one. A plaintext password
/// never leaves poolform.
fn inject_password(
    login: Option<&mut wire::Login>,
    password: &str,
    env: &str,
) -> Result<(), StepError> {
    if let Some(user) = login.and_then(|login| login.user_password.as_mut()) {
        user.password = salt::salt_password(password).map_err(|_| StepError::PasswordInvalid {
            env: env.to_owned(),
            problem: "it could not be salted".to_owned(),
        })?;
    }
    Ok(())
}

/// The request apply sends for a pool create or update: a copy of `body`
/// with the password read from `password_env` (checked at apply time) in the
/// login `login_of` finds. `Err` when the password cannot be read, or when a
/// stop was requested and nothing new may start.
fn pool_request<T: Clone, A: CceApi, S: EventSink>(
    context: &Context<'_, A, S>,
    body: &T,
    password_env: Option<&str>,
    login_of: fn(&mut T) -> Option<&mut wire::Login>,
) -> Result<T, Box<StepOutcome>> {
    let mut request = body.clone();
    let password = password_for(password_env, login_of(&mut request).as_deref())
        .map_err(|error| Box::new(StepOutcome::from(error)))?;
    if context.cancel.level() >= CancelLevel::Graceful {
        return Err(Box::new(StepOutcome::NotStarted));
    }
    if let (Some(password), Some(env)) = (password.as_deref(), password_env) {
        inject_password(login_of(&mut request), password, env)
            .map_err(|error| Box::new(StepOutcome::from(error)))?;
    }
    Ok(request)
}

fn password_for(
    env: Option<&str>,
    login: Option<&wire::Login>,
) -> Result<Option<String>, StepError> {
    let Some(env) = env else { return Ok(None) };
    let username = login
        .and_then(|login| login.user_password.as_ref())
        .and_then(|user| user.username.as_deref());
    read_password(env, username).map(Some)
}

// ---------------------------------------------------------------------------
// Reading nodes

/// A node's phase.
fn phase(node: &wire::Node) -> NodePhase {
    NodePhase::parse(
        node.status
            .as_ref()
            .map_or("", |status| status.phase.as_str()),
    )
}

fn phase_name(node: &wire::Node) -> String {
    node.status
        .as_ref()
        .map(|status| status.phase.clone())
        .filter(|phase| !phase.is_empty())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Phases a node passes through on its way somewhere; worth waiting for.
fn is_transitional(phase: &NodePhase) -> bool {
    matches!(
        phase,
        NodePhase::Build
            | NodePhase::Installing
            | NodePhase::Upgrading
            | NodePhase::Deleting
            | NodePhase::Repairing
    )
}

/// Phases that mean the node broke.
fn is_failed(phase: &NodePhase) -> bool {
    matches!(phase, NodePhase::Error | NodePhase::RepairFailed)
}

/// Whether a node still needs this batch's sync, by the plan's own rule
/// ([`diff::needs_reset`]): CCE reports it out of date, or the plan's reason
/// for it still holds.
///
/// A node response carries nothing that shows which scripts or login a node
/// was installed with, so the plan's reason (a template change a reset
/// applies) holds exactly while the node is as the plan read it; a node that
/// changed since and is not flagged was reset already (for instance by an
/// interrupted run) and must not be reset again.
pub(crate) fn node_needs_sync(node: &wire::Node, planned_fingerprint: Option<&str>) -> bool {
    let flag = node
        .status
        .as_ref()
        .and_then(|status| status.configuration_up_to_date);
    let current = convert::node_from_wire(node).fingerprint;
    diff::needs_reset(flag, planned_fingerprint == Some(current.as_str()))
}

/// The fingerprint the plan recorded for a node, whatever the cluster part
/// of the key is.
fn planned_fingerprint<'p>(
    fingerprints: &'p BTreeMap<String, String>,
    pool: &PoolId,
    node: &str,
) -> Option<&'p str> {
    let suffix = format!("/{}/{}", pool.0, node);
    fingerprints
        .iter()
        .find(|(key, _)| key.ends_with(&suffix))
        .map(|(_, value)| value.as_str())
}

/// Reads every node of the cluster; returns them all and those of `pool`.
async fn read_nodes<A: CceApi, S: EventSink>(
    context: &Context<'_, A, S>,
    cluster_id: &ClusterId,
    pool: &PoolId,
    pool_name: &str,
) -> Result<(Vec<wire::Node>, BTreeMap<String, wire::Node>), StepError> {
    let nodes = context
        .api
        .list_nodes(cluster_id)
        .await
        .map_err(|source| StepError::Api {
            action: format!("list the nodes of cluster {cluster_id}"),
            source,
        })?;
    context.remember_names(&nodes);
    let in_pool = nodes
        .iter()
        .filter(|node| belongs_to(node, pool, pool_name))
        .map(|node| (node.metadata.uid.clone(), node.clone()))
        .collect();
    Ok((nodes, in_pool))
}

/// Whether a node belongs to the pool: by pool id (owner reference or
/// annotation), by pool name when the node names no id, and for the
/// DefaultPool by its `az#flavor#os` annotation, which carries no pool id.
fn belongs_to(node: &wire::Node, pool: &PoolId, pool_name: &str) -> bool {
    let owner_id = convert::node_pool_id(node).filter(|id| !id.is_empty());
    if owner_id.as_deref() == Some(pool.as_str()) {
        return true;
    }
    let owner_name = node
        .metadata
        .owner_references
        .as_ref()
        .and_then(|owner| owner.nodepool_name.as_deref());
    if owner_id.is_none() && owner_name == Some(pool_name) {
        return true;
    }
    pool_name == DEFAULT_POOL_NAME
        && (owner_name == Some(DEFAULT_POOL_NAME)
            || owner_id.is_some_and(|id| id == DEFAULT_POOL_NAME || id.contains('#')))
}

fn unavailable(
    nodes: impl IntoIterator<Item = impl std::borrow::Borrow<wire::Node>>,
) -> BTreeSet<NodeId> {
    nodes
        .into_iter()
        .filter(|node| phase(node.borrow()) != NodePhase::Active)
        .map(|node| NodeId(node.borrow().metadata.uid.clone()))
        .collect()
}

/// Emits progress for nodes whose phase or flag changed since last seen.
fn report_progress<A, S: EventSink>(
    context: &Context<'_, A, S>,
    index: usize,
    nodes: &BTreeMap<String, wire::Node>,
    ids: &[String],
    seen: &mut BTreeMap<String, (String, Option<bool>)>,
) {
    for id in ids {
        let Some(node) = nodes.get(id) else { continue };
        let state = (
            phase_name(node),
            node.status
                .as_ref()
                .and_then(|status| status.configuration_up_to_date),
        );
        if seen.get(id) != Some(&state) {
            context.emit(Event::NodeProgress {
                step: index,
                node: context.label(id),
                phase: state.0.clone(),
                up_to_date: state.1,
            });
            seen.insert(id.clone(), state);
        }
    }
}

fn labelled<A, S: EventSink>(
    context: &Context<'_, A, S>,
    nodes: impl IntoIterator<Item = impl AsRef<str>>,
) -> Vec<NodeLabel> {
    nodes
        .into_iter()
        .map(|id| context.label(id.as_ref()))
        .collect()
}

/// Labels nodes with their phase, for errors.
fn labelled_with_phase<A, S: EventSink>(
    context: &Context<'_, A, S>,
    nodes: &BTreeMap<String, wire::Node>,
    ids: impl IntoIterator<Item = impl AsRef<str>>,
) -> Vec<NodeLabel> {
    ids.into_iter()
        .map(|id| {
            let mut label = context.label(id.as_ref());
            let phase = nodes
                .get(id.as_ref())
                .map_or_else(|| "gone".to_owned(), phase_name);
            label.name = format!("{} [{phase}]", label.name);
            label
        })
        .collect()
}

/// Whether a failed mutating request certainly did nothing: CCE refused it.
/// Anything else (a 5xx, a timeout, a lost connection, a variant added
/// later) may have been carried out.
fn certainly_refused(error: &LiveError) -> bool {
    matches!(error, LiveError::Api { status, .. } if *status < 500)
}

async fn pause<A, S: EventSink>(context: &Context<'_, A, S>, deadline: Option<Instant>) {
    let mut wait = context.options.poll_interval;
    if let Some(deadline) = deadline {
        wait = wait.min(deadline.saturating_duration_since(Instant::now()));
    }
    tokio::time::sleep(wait).await;
}

// ---------------------------------------------------------------------------
// Sync batches

/// The pool's CCE name, from the plan.
fn pool_name<'p>(plan: &'p crate::plan::Plan, step: &Step) -> &'p str {
    plan.pools
        .iter()
        .find(|pool| pool.address == step.address)
        .map_or("", |pool| pool.name.as_str())
}

/// The pool's budget: the plan's resolved `max_unavailable` for the pool
/// (the request's `maxUnavailable` may be the smaller batch size).
fn pool_limit(plan: &crate::plan::Plan, step: &Step, body: &request::UpgradeNodePool) -> u32 {
    plan.pools
        .iter()
        .find(|pool| pool.address == step.address)
        .and_then(|pool| pool.sync.as_ref())
        .map_or(body.spec.max_unavailable, |sync| sync.max_unavailable)
        .max(1)
}

struct Batch<'p> {
    index: usize,
    step: &'p Step,
    cluster_id: &'p ClusterId,
    pool_id: &'p PoolId,
    number: usize,
    of: usize,
    body: &'p request::UpgradeNodePool,
    password_env: Option<&'p str>,
    /// The pool's CCE name (DefaultPool nodes are found by it).
    pool_name: &'p str,
    /// The pool's unavailability budget.
    pool_limit: u32,
    soak: Duration,
    timeout: Duration,
}

/// Nodes reserved against a cluster cap; released when dropped, including
/// when an immediate stop drops the step.
struct Reservation<'c> {
    budget: &'c std::sync::Mutex<ClusterBudget>,
    released: &'c tokio::sync::Notify,
    cluster: crate::model::ClusterName,
    step: usize,
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        lock(self.budget).release(&self.cluster, self.step);
        self.released.notify_waiters();
    }
}

/// Why a batch cannot start yet, and the error if it never can.
struct Blocked {
    reason: String,
    error: Box<dyn FnOnce(f64) -> StepError + Send>,
}

fn budget_blocked<A, S: EventSink>(
    context: &Context<'_, A, S>,
    scope: String,
    shortfall: Shortfall,
) -> Blocked {
    let others = labelled(context, shortfall.others.iter().map(|id| id.0.clone()));
    let names: Vec<String> = others.iter().map(|label| label.name.clone()).collect();
    let reason = format!(
        "{scope} allows {} unavailable nodes; {} would be down ({} of them outside this batch: {})",
        shortfall.limit,
        shortfall.would_be_unavailable.len(),
        others.len(),
        names.join(", ")
    );
    let count = shortfall.would_be_unavailable.len();
    let limit = shortfall.limit;
    Blocked {
        reason,
        error: Box::new(move |seconds| StepError::BudgetExceeded {
            scope,
            limit,
            count,
            others,
            seconds,
        }),
    }
}

async fn sync_batch<A: CceApi, S: EventSink>(
    context: &Context<'_, A, S>,
    batch: &Batch<'_>,
) -> StepOutcome {
    let index = batch.index;
    let template_login = &batch.body.spec.node_template.login;
    let password = match password_for(batch.password_env, Some(template_login)) {
        Ok(password) => password,
        Err(error) => return error.into(),
    };
    let planned: Vec<String> = batch.body.spec.node_ids.clone();
    let fingerprints = &context.plan.fingerprints;
    let wait_limit = context.options.budget_wait.unwrap_or(batch.timeout);
    let wait_started = Instant::now();
    let mut announced: Option<String> = None;

    // 1. Re-read, decide which nodes still need the reset, and reserve them
    //    against the budgets; wait (bounded) while the budgets do not allow it.
    let (needed, up_to_date, reservation) = 'reserve: loop {
        if context.cancel.level() >= CancelLevel::Graceful {
            return StepOutcome::NotStarted;
        }
        let blocked = 'decide: {
            let in_flight = match sync_in_flight(context, batch).await {
                Ok(in_flight) => in_flight,
                Err(error) => match retry_later(error) {
                    Ok(blocked) => break 'decide blocked,
                    Err(error) => return error.into(),
                },
            };
            if let Some(what) = in_flight {
                // Another run (or the console) has a sync of this pool accepted
                // or running. Its nodes may still look Active and out of date
                // until CCE starts it; posting now would reset them twice.
                Blocked {
                    reason: format!(
                        "pool {} has a sync in flight that this run did not start ({what}); waiting for it to finish",
                        batch.step.address
                    ),
                    error: Box::new(move |seconds| StepError::Timeout {
                        seconds,
                        waiting_for: format!(
                            "the sync already in flight on the pool ({what}) to finish"
                        ),
                        nodes: Vec::new(),
                    }),
                }
            } else {
                let (all, pool_nodes) =
                    match read_nodes(context, batch.cluster_id, batch.pool_id, batch.pool_name)
                        .await
                    {
                        Ok(read) => read,
                        Err(error) => match retry_later(error) {
                            Ok(blocked) => break 'decide blocked,
                            Err(error) => return error.into(),
                        },
                    };
                let gone: Vec<&String> = planned
                    .iter()
                    .filter(|id| !pool_nodes.contains_key(*id))
                    .collect();
                let settling: Vec<&String> = planned
                    .iter()
                    .filter(|id| {
                        pool_nodes
                            .get(*id)
                            .is_some_and(|node| is_transitional(&phase(node)))
                    })
                    .collect();
                if !settling.is_empty() {
                    // A node of the batch is still changing (perhaps being reset by
                    // an interrupted run): wait until it settles, then decide.
                    let nodes = labelled_with_phase(context, &pool_nodes, &settling);
                    let names: Vec<String> = nodes.iter().map(ToString::to_string).collect();
                    Blocked {
                        reason: format!(
                            "waiting for nodes of the batch to settle: {}",
                            names.join(", ")
                        ),
                        error: Box::new(move |seconds| StepError::Timeout {
                            seconds,
                            waiting_for: "nodes of the batch to settle before resetting them"
                                .to_owned(),
                            nodes,
                        }),
                    }
                } else {
                    let (needed, up_to_date): (Vec<String>, Vec<String>) = planned
                        .iter()
                        .filter(|id| pool_nodes.contains_key(*id))
                        .cloned()
                        .partition(|id| {
                            pool_nodes.get(id).is_some_and(|node| {
                                node_needs_sync(
                                    node,
                                    planned_fingerprint(fingerprints, batch.pool_id, id),
                                )
                            })
                        });
                    if !gone.is_empty() && announced.is_none() {
                        context.emit(Event::NodesGone {
                            step: index,
                            nodes: labelled(context, &gone),
                        });
                    }
                    if needed.is_empty() {
                        let up_to_date = labelled(context, &up_to_date);
                        if !up_to_date.is_empty() {
                            context.emit(Event::NodesUpToDate {
                                step: index,
                                nodes: up_to_date.clone(),
                            });
                        }
                        return StepOutcome::Done {
                        summary:
                            "nothing to do: every node of the batch is already up to date or gone"
                                .to_owned(),
                        nodes_reset: Vec::new(),
                        nodes_up_to_date: up_to_date,
                    };
                    }
                    let needed_set: BTreeSet<NodeId> =
                        needed.iter().map(|id| NodeId(id.clone())).collect();
                    let pool_down = unavailable(pool_nodes.values());
                    match check_pool_budget(batch.pool_limit, &needed_set, &pool_down) {
                        Err(shortfall) => budget_blocked(
                            context,
                            format!("pool {}", batch.step.address),
                            shortfall,
                        ),
                        Ok(()) => {
                            let cluster = &batch.step.cluster;
                            let mut budget = lock(&context.budget);
                            if let Some(cap) = budget.cap(cluster)
                                && needed_set.len() > cap as usize
                            {
                                return StepError::BatchOverCap {
                                    cluster: cluster.clone(),
                                    size: needed_set.len(),
                                    cap,
                                }
                                .into();
                            }
                            match budget.try_reserve(
                                cluster,
                                index,
                                &needed_set,
                                &unavailable(&all),
                            ) {
                                Ok(()) => {
                                    drop(budget);
                                    let reservation = Reservation {
                                        budget: &context.budget,
                                        released: &context.budget_released,
                                        cluster: cluster.clone(),
                                        step: index,
                                    };
                                    break 'reserve (needed, up_to_date, reservation);
                                }
                                Err(shortfall) => {
                                    drop(budget);
                                    budget_blocked(context, format!("cluster {cluster}"), shortfall)
                                }
                            }
                        }
                    }
                }
            }
        };
        let waited = wait_started.elapsed();
        if waited >= wait_limit {
            return (blocked.error)(waited.as_secs_f64()).into();
        }
        if announced.as_deref() != Some(blocked.reason.as_str()) {
            context.emit(Event::WaitingForBudget {
                step: index,
                reason: blocked.reason.clone(),
            });
            announced = Some(blocked.reason);
        }
        tokio::select! {
            () = context.budget_released.notified() => {}
            () = pause(context, Some(wait_started + wait_limit)) => {}
            () = context.cancel.reached(CancelLevel::Graceful) => {}
        }
    };
    let up_to_date = labelled(context, &up_to_date);
    if !up_to_date.is_empty() {
        context.emit(Event::NodesUpToDate {
            step: index,
            nodes: up_to_date.clone(),
        });
    }
    if context.cancel.level() >= CancelLevel::Graceful {
        return StepOutcome::NotStarted;
    }

    // 2. Send the sync for exactly the nodes that need it.
    let mut body = batch.body.clone();
    body.spec.node_ids = needed.clone();
    if let (Some(password), Some(env)) = (password.as_deref(), batch.password_env)
        && let Err(error) = inject_password(Some(&mut body.spec.node_template.login), password, env)
    {
        return error.into();
    }
    context.mark_requested(index, None);
    let started = Instant::now();
    let sent = match provider_of(context.plan, batch.step) {
        Provider::Huawei => {
            context
                .api
                .sync_nodes(batch.cluster_id, batch.pool_id, &body)
                .await
        }
        // Open Telekom Cloud has no UpgradeNodePool; ResetNode takes the
        // batch's node list, and CCE reinstalls a pool's node from the pool.
        Provider::Otc => context
            .api
            .reset_nodes(
                batch.cluster_id,
                &reset_request(context.plan, batch.step, &body),
            )
            .await
            .map(Some),
    };
    let job_id = match sent {
        Ok(job_id) => job_id,
        Err(error) if certainly_refused(&error) => {
            return StepError::Api {
                action: format!(
                    "send the sync request of batch {}/{}",
                    batch.number, batch.of
                ),
                source: error,
            }
            .into();
        }
        Err(error) => match sync_took_effect(context, batch, &needed).await {
            Ok(true) => None,
            Ok(false) => {
                return StepError::OutcomeUnknown {
                    request: format!("sync (batch {}/{})", batch.number, batch.of),
                    source: error,
                }
                .into();
            }
            Err(read_error) => return read_error.into(),
        },
    };
    drop(body);
    if job_id.is_some() {
        context.mark_requested(index, job_id.clone());
    }
    context.emit(Event::BatchPosted {
        step: index,
        number: batch.number,
        of: batch.of,
        job_id: job_id.clone(),
        nodes: labelled(context, &needed),
    });
    let failed = |error: StepError| StepOutcome::Failed {
        error,
        job_id: job_id.clone(),
    };

    // 3. Follow the job and the nodes until every node is Active and up to date.
    let deadline = super::deadline_after(started, batch.timeout);
    let mut seen = BTreeMap::new();
    // Following a job is reading: a read that fails for a passing reason
    // (throttling, a 5xx storm, a timeout) is tried again until the batch
    // timeout, since the job goes on running on the server meanwhile.
    // CCE may not show a job right after accepting it; until it does, the
    // nodes alone tell how the batch is going.
    let mut job_readable = false;
    loop {
        let job = match &job_id {
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
                    return failed(StepError::Api {
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
                Err(error) => return failed(error),
            };
        report_progress(context, index, &pool_nodes, &needed, &mut seen);
        let vanished: Vec<&String> = needed
            .iter()
            .filter(|id| !pool_nodes.contains_key(*id))
            .collect();
        if !vanished.is_empty() {
            return failed(StepError::NodesVanished {
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
            && job.status.phase == "Failed"
        {
            let mut culprits: BTreeSet<String> = broken.iter().map(|id| (*id).clone()).collect();
            for sub in job
                .spec
                .sub_jobs
                .iter()
                .filter(|sub| sub.status.phase == "Failed")
            {
                if let Some(id) = needed.iter().find(|id| {
                    **id == sub.spec.resource_id || context.label(id).name == sub.spec.resource_name
                }) {
                    culprits.insert(id.clone());
                }
            }
            return failed(StepError::JobFailed {
                job_id: job.metadata.uid.clone(),
                reason: job.status.reason.clone(),
                nodes: labelled_with_phase(context, &pool_nodes, &culprits),
            });
        }
        if !broken.is_empty() {
            return failed(StepError::NodesFailed {
                nodes: labelled_with_phase(context, &pool_nodes, &broken),
            });
        }
        let pending: Vec<&String> = needed
            .iter()
            .filter(|id| {
                pool_nodes.get(*id).is_none_or(|node| {
                    phase(node) != NodePhase::Active
                        || node_needs_sync(
                            node,
                            planned_fingerprint(fingerprints, batch.pool_id, id),
                        )
                })
            })
            .collect();
        let job_done = job.as_ref().is_none_or(|job| job.status.phase == "Success");
        if pending.is_empty() && job_done {
            context.batch_durations.observe(started.elapsed());
            break;
        }
        if Instant::now() >= deadline {
            let waiting_for = if pending.is_empty() {
                format!("job {} to finish", job_id.as_deref().unwrap_or_default())
            } else {
                "the nodes to be Active and up to date".to_owned()
            };
            return failed(StepError::Timeout {
                seconds: batch.timeout.as_secs_f64(),
                waiting_for,
                nodes: labelled_with_phase(context, &pool_nodes, &pending),
            });
        }
        let wait = super::poll::next_wait(
            context.options.poll_interval,
            started.elapsed(),
            context.batch_durations.expected(),
        );
        tokio::time::sleep(wait.min(deadline.saturating_duration_since(Instant::now()))).await;
    }
    // The nodes are back: other pools may use the budget while this one soaks.
    drop(reservation);

    // 4. Soak: the nodes must stay Active.
    if !batch.soak.is_zero() {
        context.emit(Event::Soaking {
            step: index,
            seconds: batch.soak.as_secs_f64(),
        });
        let end = super::deadline_after(Instant::now(), batch.soak);
        loop {
            pause(context, Some(end)).await;
            let (_, pool_nodes) =
                match read_nodes(context, batch.cluster_id, batch.pool_id, batch.pool_name).await {
                    Ok(read) => read,
                    Err(error) if error.is_transient() && Instant::now() < end => {
                        continue;
                    }
                    Err(error) => return failed(error),
                };
            report_progress(context, index, &pool_nodes, &needed, &mut seen);
            let fell: Vec<&String> = needed
                .iter()
                .filter(|id| {
                    pool_nodes
                        .get(*id)
                        .is_none_or(|node| phase(node) != NodePhase::Active)
                })
                .collect();
            if !fell.is_empty() {
                return failed(StepError::SoakFailed {
                    seconds: batch.soak.as_secs_f64(),
                    nodes: labelled_with_phase(context, &pool_nodes, &fell),
                });
            }
            if Instant::now() >= end {
                break;
            }
        }
    }
    let count = needed.len();
    StepOutcome::Done {
        summary: format!(
            "reset {count} node{}{}",
            if count == 1 { "" } else { "s" },
            if up_to_date.is_empty() {
                String::new()
            } else {
                format!(", {} already up to date", up_to_date.len())
            }
        ),
        nodes_reset: labelled(context, &needed),
        nodes_up_to_date: up_to_date,
    }
}

/// Whose CCE the step's cluster is.
fn provider_of(plan: &crate::plan::Plan, step: &Step) -> Provider {
    plan.cloud_of(&step.cluster).provider()
}

/// The ResetNode request for a sync batch: the batch's nodes, each with the
/// pool's OS (the API requires it) and the sync's login.
fn reset_request(
    plan: &crate::plan::Plan,
    step: &Step,
    sync: &request::UpgradeNodePool,
) -> request::ResetNodeList {
    let os = plan
        .pools
        .iter()
        .find(|pool| pool.address == step.address)
        .and_then(|pool| pool.after.as_ref())
        .and_then(|after| after.get("os"))
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
        .to_owned();
    request::ResetNodeList {
        kind: "List".to_owned(),
        api_version: "v3".to_owned(),
        node_list: sync
            .spec
            .node_ids
            .iter()
            .map(|node| request::ResetNode {
                node_id: node.clone(),
                spec: request::ReinstallNodeSpec {
                    os: os.clone(),
                    login: sync.spec.node_template.login.clone(),
                },
            })
            .collect(),
    }
}

/// A read that failed for a passing reason (throttling, a 5xx, a timeout)
/// becomes a wait to try again, within the same bound as any other wait;
/// any other failure stays one.
fn retry_later(error: StepError) -> Result<Blocked, StepError> {
    match error {
        StepError::Api { ref source, .. } if source.is_transient() => Ok(Blocked {
            reason: format!("reading the live state failed ({source}); trying again"),
            error: Box::new(move |_| error),
        }),
        error => Err(error),
    }
}

/// A sync of the batch's pool that is accepted or running, described, or
/// `None`. Every batch of this run waits for its own job before the next
/// starts, so a sync in flight here belongs to someone else: another apply,
/// an interrupted one, or the console. CCE shows it as the pool's
/// `status.jobId` naming an unfinished job, or as a true
/// `ConfigurationSynchronizing` condition.
async fn sync_in_flight<A: CceApi, S: EventSink>(
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
            Ok(job) if matches!(job.status.phase.as_str(), "Success" | "Failed") => {}
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
        condition.condition_type == "ConfigurationSynchronizing" && condition.status == "True"
    });
    Ok(synchronizing.then(|| "condition ConfigurationSynchronizing is True".to_owned()))
}

/// After a sync request whose answer was lost: whether the live nodes show
/// that it was carried out (a node left Active, or is up to date now).
/// Reads for a few poll intervals, since CCE may take a moment to start.
async fn sync_took_effect<A: CceApi, S: EventSink>(
    context: &Context<'_, A, S>,
    batch: &Batch<'_>,
    needed: &[String],
) -> Result<bool, StepError> {
    const READS: usize = 5;
    for attempt in 0..READS {
        let (_, pool_nodes) =
            read_nodes(context, batch.cluster_id, batch.pool_id, batch.pool_name).await?;
        let moved = needed.iter().any(|id| {
            pool_nodes.get(id).is_some_and(|node| {
                phase(node) != NodePhase::Active
                    || !node_needs_sync(
                        node,
                        planned_fingerprint(&context.plan.fingerprints, batch.pool_id, id),
                    )
            })
        });
        if moved {
            return Ok(true);
        }
        if attempt + 1 < READS {
            pause(context, None).await;
        }
    }
    Ok(false)
}

// ---------------------------------------------------------------------------
// Pools

fn pool_failure(pool: &wire::NodePool) -> Option<StepError> {
    let status = pool.status.as_ref()?;
    if status.phase != "Error" {
        return None;
    }
    let messages: Vec<String> = status
        .conditions
        .iter()
        .filter(|condition| condition.status == "True" || !condition.message.is_empty())
        .filter(|condition| !condition.message.is_empty())
        .map(|condition| format!("{}: {}", condition.condition_type, condition.message))
        .collect();
    Some(StepError::PoolFailed {
        pool: pool.metadata.name.clone(),
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
    let deadline = super::deadline_after(Instant::now(), context.options.pool_timeout);
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
                status.phase.is_empty() && status.creating_node == 0 && status.deleting_node == 0
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

async fn create_pool<A: CceApi, S: EventSink>(
    context: &Context<'_, A, S>,
    index: usize,
    cluster_id: &ClusterId,
    body: &request::CreateNodePool,
    password_env: Option<&str>,
) -> StepOutcome {
    let request = match pool_request(context, body, password_env, |body| {
        Some(&mut body.spec.node_template.login)
    }) {
        Ok(request) => request,
        Err(outcome) => return *outcome,
    };
    context.mark_requested(index, None);
    let name = body.metadata.name.clone();
    let answer = context.api.create_pool(cluster_id, &request).await;
    drop(request);
    let pool_id = match answer {
        Ok(pool) => match pool.metadata.uid.filter(|uid| !uid.is_empty()) {
            Some(uid) => PoolId(uid),
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
        Some(body.spec.initial_node_count),
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
    Ok(pools
        .into_iter()
        .find(|pool| pool.metadata.name == name)
        .and_then(|pool| pool.metadata.uid)
        .map(PoolId))
}

async fn update_pool<A: CceApi, S: EventSink>(
    context: &Context<'_, A, S>,
    index: usize,
    cluster_id: &ClusterId,
    pool_id: &PoolId,
    body: &request::NodePoolUpdate,
    password_env: Option<&str>,
) -> StepOutcome {
    let request = match pool_request(context, body, password_env, |body| {
        Some(&mut body.spec.node_template.login)
    }) {
        Ok(request) => request,
        Err(outcome) => return *outcome,
    };
    context.mark_requested(index, None);
    // A PUT is idempotent, but whether one whose answer was lost took effect
    // is for the next plan to say, not for apply to guess.
    let answer = context.api.update_pool(cluster_id, pool_id, &request).await;
    drop(request);
    if let Err(source) = answer {
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
        &body.metadata.name,
        None,
    )
    .await
    {
        Ok(_) => StepOutcome::done(format!("updated pool {}", body.metadata.name)),
        Err(error) => error.into(),
    }
}

async fn delete_pool<A: CceApi, S: EventSink>(
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
    let deadline = super::deadline_after(Instant::now(), context.options.pool_timeout);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn node(up_to_date: Option<bool>, post_install: Option<&str>) -> wire::Node {
        let mut node = wire::Node {
            metadata: wire::NodeMetadata {
                uid: "n1".into(),
                name: "node-1".into(),
                ..wire::NodeMetadata::default()
            },
            status: Some(wire::NodeStatus {
                phase: "Active".into(),
                configuration_up_to_date: up_to_date,
                ..wire::NodeStatus::default()
            }),
            ..wire::Node::default()
        };
        if let Some(script) = post_install {
            node.spec.extend_param = Some(BTreeMap::from([(
                convert::POST_INSTALL_KEY.to_owned(),
                serde_json::Value::String(convert::encode_script(script)),
            )]));
        }
        node
    }

    #[test]
    fn flag_false_means_needed() {
        assert!(node_needs_sync(&node(Some(false), None), None));
        assert!(node_needs_sync(&node(Some(false), None), Some("old")));
    }

    #[test]
    fn node_changed_since_plan_and_up_to_date_is_left_alone() {
        // The plan read a different version of the node (it was reset since).
        assert!(!node_needs_sync(&node(Some(true), None), Some("old")));
    }

    #[test]
    fn node_unchanged_since_plan_keeps_the_plans_verdict() {
        let current = node(Some(true), None);
        let fingerprint = convert::node_from_wire(&current).fingerprint;
        assert!(node_needs_sync(&current, Some(&fingerprint)));
    }

    #[test]
    fn what_a_node_reports_of_scripts_and_login_is_no_evidence() {
        // Real node responses carry no scripts and only the key pair of the
        // login; whatever a node shows there must not decide a reset, or a
        // reset node that shows the same would be reset forever.
        let mut current = node(Some(true), Some("echo old"));
        current.spec.login = Some(wire::Login {
            ssh_key: Some("kp-old".into()),
            user_password: Some(wire::UserPassword::default()),
            ..wire::Login::default()
        });
        assert!(!node_needs_sync(&current, Some("changed since the plan")));
        assert!(!node_needs_sync(&current, None));
    }

    #[test]
    fn planned_fingerprint_matches_any_cluster_key() {
        let fingerprints = BTreeMap::from([
            ("prod/p1".to_owned(), "pool".to_owned()),
            ("prod/p1/n1".to_owned(), "node".to_owned()),
        ]);
        assert_eq!(
            planned_fingerprint(&fingerprints, &PoolId::from("p1"), "n1"),
            Some("node")
        );
        assert_eq!(
            planned_fingerprint(&fingerprints, &PoolId::from("p1"), "n2"),
            None
        );
    }

    #[test]
    fn only_clear_refusals_count_as_not_applied() {
        let refused = LiveError::Api {
            service: crate::live::Service::Cce,
            status: 400,
            code: None,
            message: "bad".into(),
            request_id: None,
        };
        let server = LiveError::Api {
            service: crate::live::Service::Cce,
            status: 503,
            code: None,
            message: "busy".into(),
            request_id: None,
        };
        assert!(certainly_refused(&refused));
        assert!(!certainly_refused(&server));
        assert!(!certainly_refused(&LiveError::OutcomeUnknown {
            operation: "POST sync".into(),
            reason: "timed out after 30s".into(),
        }));
    }

    #[test]
    fn password_errors_never_hold_the_value() {
        // SAFETY of the test: a variable name no other test uses.
        let missing =
            read_password("POOLFORM_TEST_APPLY_NO_SUCH_VARIABLE", None).expect_err("unset");
        assert!(
            missing
                .to_string()
                .contains("POOLFORM_TEST_APPLY_NO_SUCH_VARIABLE")
        );
        let mut login = wire::Login {
            user_password: Some(wire::UserPassword {
                username: Some("root".into()),
                password: String::new(),
            }),
            ..wire::Login::default()
        };
        inject_password(Some(&mut login), "S3cret!pass", "NODE_PASSWORD").expect("salted");
        let sent = login
            .user_password
            .map(|user| user.password)
            .unwrap_or_default();
        // What is sent is base64 of a SHA-512 crypt of the password, never
        // the password itself.
        assert!(!sent.contains("S3cret!pass"));
        let crypt = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &sent)
            .map(String::from_utf8)
            .expect("base64")
            .expect("utf-8");
        assert!(crypt.starts_with("$6$"), "{crypt}");
        sha_crypt::PasswordVerifier::verify_password(
            &sha_crypt::ShaCrypt::default(),
            b"S3cret!pass",
            crypt.as_str(),
        )
        .expect("verifies");
    }
}
