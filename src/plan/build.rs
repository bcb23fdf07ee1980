//! `build_plan`: diff every configured pool, batch the stale nodes, order the
//! work as a DAG and attach the request bodies apply will send.

use std::collections::{BTreeMap, BTreeSet};

use miette::Diagnostic;
use petgraph::graph::{DiGraph, NodeIndex};

use crate::diff::{self, DiffError, PoolDiff};
use crate::live::{convert, request, wire};
use crate::model::{Desired, DesiredPool, Live, PoolAddress};

use super::batches::plan_sync;
use super::{
    AttributeChange, FORMAT_VERSION, Plan, PlanCluster, PoolAction, PoolPlan, Step, StepKind,
    SyncPlan,
};

/// Everything that kept a plan from being made; each one is a diagnostic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Diagnostic)]
#[error(
    "cannot make a plan: {} problem{} found",
    errors.len(),
    if errors.len() == 1 { "" } else { "s" }
)]
#[diagnostic(code(poolform::plan::failed))]
pub struct PlanErrors {
    /// The problems, in pool address order.
    #[related]
    pub errors: Vec<PlanError>,
}

/// One problem that keeps a plan from being made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Diagnostic)]
pub enum PlanError {
    /// A pool's own problem.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Diff(#[from] DiffError),
    /// `depends_on` forms a cycle.
    #[error(
        "pools depend on each other in a cycle: {}",
        cycle.iter().map(|address| address.as_str()).collect::<Vec<_>>().join(" → ")
    )]
    #[diagnostic(
        code(poolform::plan::dependency_cycle),
        help(
            "`a → b` reads \"a depends on b\"; remove one of these entries from `rollout.depends_on`"
        )
    )]
    DependencyCycle {
        /// The pools of the cycle, the first repeated at the end.
        cycle: Vec<PoolAddress>,
    },
    /// `depends_on` names a pool that is not configured.
    #[error("pool `{address}` depends on `{dependency}`, which is not a configured pool")]
    #[diagnostic(
        code(poolform::plan::unknown_dependency),
        help("name a key of a [pools.*] table in `rollout.depends_on`")
    )]
    UnknownDependency {
        /// The pool.
        address: PoolAddress,
        /// What it names.
        dependency: PoolAddress,
    },
    /// `--target` names a pool that is not configured.
    #[error("target `{target}` is not a configured pool")]
    #[diagnostic(
        code(poolform::plan::unknown_target),
        help("{}", match suggestion {
            Some(suggestion) => format!("did you mean `{suggestion}`?"),
            None => "pass the key of a [pools.*] table, such as `--target prod-system`".to_owned(),
        })
    )]
    UnknownTarget {
        /// The target as given.
        target: String,
        /// The closest configured address.
        suggestion: Option<PoolAddress>,
    },
}

/// Builds the plan: what changes for every configured pool (limited to
/// `targets` and what they depend on, when any are given), which nodes are
/// reset in which batches, and the steps in dependency order.
///
/// Pure and deterministic: the same inputs give the same plan, byte for byte.
pub fn build_plan(
    desired: &Desired,
    live: &Live,
    targets: &[PoolAddress],
) -> Result<Plan, PlanErrors> {
    let mut errors = Vec::new();
    check_dependencies(desired, &mut errors);
    let selected = select(desired, targets, &mut errors);
    if !errors.is_empty() {
        return Err(PlanErrors { errors });
    }
    let order = match dependency_order(desired, &selected) {
        Ok(order) => order,
        Err(cycle) => {
            return Err(PlanErrors {
                errors: vec![PlanError::DependencyCycle { cycle }],
            });
        }
    };

    let mut diffs = BTreeMap::new();
    for address in &selected {
        match diff::diff_pool(&desired.pools[address], live) {
            Ok(diff) => {
                diffs.insert(address.clone(), diff);
            }
            Err(error) => errors.push(PlanError::from(error)),
        }
    }
    if !errors.is_empty() {
        return Err(PlanErrors { errors });
    }

    let mut pools: BTreeMap<PoolAddress, PoolPlan> = BTreeMap::new();
    for (address, diff) in diffs {
        let pool = &desired.pools[&address];
        let cap = desired
            .clusters
            .get(&pool.cluster)
            .and_then(|cluster| cluster.max_unavailable);
        pools.insert(address, pool_plan(pool, diff, cap));
    }

    let steps = build_steps(desired, &order, &pools);
    let mut fingerprints: Vec<(String, String)> = Vec::new();
    for address in &selected {
        let pool = &desired.pools[address];
        let Some(live_pool) = live
            .clusters
            .get(&pool.cluster)
            .and_then(|cluster| cluster.pools.get(&pool.name))
        else {
            continue;
        };
        let base = format!("{}/{}", pool.cluster, live_pool.id);
        fingerprints.push((base.clone(), live_pool.fingerprint.clone()));
        for node in &live_pool.nodes {
            let mut key = String::with_capacity(base.len() + 1 + node.id.0.len());
            key.push_str(&base);
            key.push('/');
            key.push_str(node.id.as_str());
            fingerprints.push((key, node.fingerprint.clone()));
        }
    }
    // Built from a list: one sort and a bulk build instead of a hundred
    // thousand tree insertions. Like repeated inserts, the last of equal keys
    // wins (the sort is stable).
    let fingerprints: BTreeMap<String, String> = fingerprints.into_iter().collect();
    let clusters = selected
        .iter()
        .filter_map(|address| {
            let name = &desired.pools[address].cluster;
            desired.clusters.get(name).map(|cluster| {
                (
                    name.clone(),
                    PlanCluster {
                        id: cluster.id.clone(),
                        max_unavailable: cluster.max_unavailable,
                        cloud: cluster.cloud.clone(),
                    },
                )
            })
        })
        .collect();
    Ok(Plan {
        format_version: FORMAT_VERSION.to_owned(),
        config_digest: desired.digest.clone(),
        cloud: desired.cloud.clone(),
        clusters,
        pools: pools.into_values().collect(),
        unmanaged: diff::unmanaged_pools(&desired.pools, live),
        steps,
        fingerprints,
        classification: None,
    })
}

fn check_dependencies(desired: &Desired, errors: &mut Vec<PlanError>) {
    for pool in desired.pools.values() {
        for dependency in &pool.rollout.depends_on {
            if !desired.pools.contains_key(dependency) {
                errors.push(PlanError::UnknownDependency {
                    address: pool.address.clone(),
                    dependency: dependency.clone(),
                });
            }
        }
    }
}

/// The targets and everything they depend on, or every pool.
fn select(
    desired: &Desired,
    targets: &[PoolAddress],
    errors: &mut Vec<PlanError>,
) -> BTreeSet<PoolAddress> {
    if targets.is_empty() {
        return desired.pools.keys().cloned().collect();
    }
    let mut selected = BTreeSet::new();
    let mut queue: Vec<PoolAddress> = Vec::new();
    for target in targets {
        if desired.pools.contains_key(target) {
            queue.push(target.clone());
        } else {
            let suggestion = desired
                .pools
                .keys()
                .map(|address| {
                    (
                        strsim::jaro_winkler(target.as_str(), address.as_str()),
                        address,
                    )
                })
                .filter(|(score, _)| *score > 0.8)
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, address)| address.clone());
            errors.push(PlanError::UnknownTarget {
                target: target.to_string(),
                suggestion,
            });
        }
    }
    while let Some(address) = queue.pop() {
        if !selected.insert(address.clone()) {
            continue;
        }
        if let Some(pool) = desired.pools.get(&address) {
            queue.extend(pool.rollout.depends_on.iter().cloned());
        }
    }
    selected
}

/// The selected pools with every pool after the pools it depends on, ties
/// broken by address; or the first cycle found.
fn dependency_order(
    desired: &Desired,
    selected: &BTreeSet<PoolAddress>,
) -> Result<Vec<PoolAddress>, Vec<PoolAddress>> {
    // The graph over every configured pool, edges pointing from a pool to the
    // pools it depends on: a cycle anywhere is an error even when the
    // targets avoid it, since the configuration itself is wrong.
    let mut graph: DiGraph<&PoolAddress, ()> = DiGraph::new();
    let indices: BTreeMap<&PoolAddress, NodeIndex> = desired
        .pools
        .keys()
        .map(|address| (address, graph.add_node(address)))
        .collect();
    for pool in desired.pools.values() {
        for dependency in &pool.rollout.depends_on {
            if let (Some(&from), Some(&to)) = (indices.get(&pool.address), indices.get(dependency))
            {
                graph.add_edge(from, to, ());
            }
        }
    }
    if petgraph::algo::toposort(&graph, None).is_err() {
        return Err(find_cycle(&graph));
    }
    // Kahn's algorithm, always taking the smallest ready address: the same
    // order as repeatedly picking the first selected pool whose selected
    // dependencies are done, in O(n log n) rather than O(n²).
    let mut waiting_on: BTreeMap<&PoolAddress, usize> = BTreeMap::new();
    let mut dependents: BTreeMap<&PoolAddress, Vec<&PoolAddress>> = BTreeMap::new();
    for address in selected {
        let dependencies: BTreeSet<&PoolAddress> = desired.pools[address]
            .rollout
            .depends_on
            .iter()
            .filter(|dependency| selected.contains(*dependency))
            .collect();
        waiting_on.insert(address, dependencies.len());
        for dependency in dependencies {
            dependents.entry(dependency).or_default().push(address);
        }
    }
    let mut ready: BTreeSet<&PoolAddress> = waiting_on
        .iter()
        .filter(|(_, count)| **count == 0)
        .map(|(address, _)| *address)
        .collect();
    let mut order = Vec::with_capacity(selected.len());
    while let Some(address) = ready.pop_first() {
        order.push(address.clone());
        for dependent in dependents.get(address).into_iter().flatten() {
            if let Some(count) = waiting_on.get_mut(dependent) {
                *count -= 1;
                if *count == 0 {
                    ready.insert(dependent);
                }
            }
        }
    }
    if order.len() < selected.len() {
        // Unreachable after a successful toposort; kept total rather than
        // panicking.
        return Err(find_cycle(&graph));
    }
    Ok(order)
}

/// One cycle of a graph that has one, starting at its smallest address.
fn find_cycle(graph: &DiGraph<&PoolAddress, ()>) -> Vec<PoolAddress> {
    for component in petgraph::algo::tarjan_scc(graph) {
        let members: BTreeSet<NodeIndex> = component.iter().copied().collect();
        let Some(&start) = component.iter().min_by_key(|index| graph[**index]) else {
            continue;
        };
        let self_loop = graph.contains_edge(start, start);
        if members.len() < 2 && !self_loop {
            continue;
        }
        if self_loop {
            return vec![graph[start].clone(), graph[start].clone()];
        }
        // Breadth-first search inside the component for the shortest way
        // back to the start.
        let mut parents: BTreeMap<NodeIndex, NodeIndex> = BTreeMap::new();
        let mut frontier = vec![start];
        while !frontier.is_empty() {
            let mut next = Vec::new();
            for &at in &frontier {
                let mut successors: Vec<NodeIndex> = graph
                    .neighbors(at)
                    .filter(|successor| members.contains(successor))
                    .collect();
                successors.sort_by_key(|index| graph[*index]);
                for successor in successors {
                    if successor == start {
                        let mut path = vec![at];
                        while let Some(parent) = parents.get(path.last().unwrap_or(&start)) {
                            path.push(*parent);
                        }
                        path.reverse();
                        let mut cycle: Vec<PoolAddress> =
                            path.iter().map(|index| graph[*index].clone()).collect();
                        cycle.push(graph[start].clone());
                        return cycle;
                    }
                    if successor != start && !parents.contains_key(&successor) {
                        parents.insert(successor, at);
                        next.push(successor);
                    }
                }
            }
            frontier = next;
        }
    }
    Vec::new()
}

fn pool_plan(pool: &DesiredPool, diff: PoolDiff, cluster_cap: Option<u32>) -> PoolPlan {
    let PoolDiff {
        address,
        cluster,
        name,
        pool_id,
        action,
        changes,
        before,
        after,
        nodes,
        new_nodes_only,
    } = diff;
    let sync = if pool_id.is_some() && matches!(action, PoolAction::NoOp | PoolAction::Update) {
        plan_sync(pool.rollout.max_unavailable, &cluster, cluster_cap, nodes).map(|mut sync| {
            sync.volume_reset_policy = pool.rollout.volume_reset_policy;
            sync
        })
    } else {
        None
    };
    PoolPlan {
        address,
        cluster,
        name,
        pool_id,
        action,
        changes,
        sync,
        new_nodes_only,
        depends_on: pool.rollout.depends_on.clone(),
        before,
        after,
    }
}

fn password_env(pool: &DesiredPool) -> Option<String> {
    pool.template
        .login
        .password
        .as_ref()
        .map(|reference| reference.env.clone())
}

/// The CreateNodePool body. Without `node_count` a new pool starts at the
/// autoscaler's minimum, or empty.
pub fn create_body(pool: &DesiredPool) -> request::CreateNodePool {
    let initial = pool.node_count.unwrap_or_else(|| {
        pool.autoscaling
            .as_ref()
            .filter(|autoscaling| autoscaling.enabled)
            .map_or(0, |autoscaling| autoscaling.min)
    });
    request::CreateNodePool {
        kind: "NodePool".to_owned(),
        api_version: "v3".to_owned(),
        metadata: request::PoolName {
            name: pool.name.clone(),
        },
        spec: request::CreateNodePoolSpec {
            pool_type: pool.template.pool_type.clone(),
            node_template: convert::create_template(&pool.template),
            initial_node_count: initial,
            autoscaling: pool.autoscaling.as_ref().map(convert::autoscaling_to_wire),
            node_management: pool
                .server_group
                .as_ref()
                .map(|group| wire::NodeManagement {
                    server_group_reference: Some(group.clone()),
                }),
        },
    }
}

/// The UpdateNodePool body (SDK `NodePoolUpdate`): the template under the
/// update's own names, `ignoreInitialNodeCount: true` unless the
/// configuration manages `node_count` (an update never scales the pool by
/// accident), the server group as `nodeManagementUpdate`, and the `refresh`
/// policy for labels, taints and resource tags when `changes` touches them,
/// so that CCE pushes them to the existing nodes without a reset.
pub fn update_body(pool: &DesiredPool, changes: &[AttributeChange]) -> request::NodePoolUpdate {
    let changed = |path: &str| changes.iter().any(|change| change.path == path);
    let refresh = |path: &str| changed(path).then(|| request::REFRESH.to_owned());
    request::NodePoolUpdate {
        metadata: request::PoolName {
            name: pool.name.clone(),
        },
        spec: request::NodePoolSpecUpdate {
            node_template: convert::update_template(&pool.template),
            initial_node_count: pool.node_count,
            ignore_initial_node_count: pool.node_count.is_none(),
            autoscaling: pool.autoscaling.as_ref().map(convert::autoscaling_to_wire),
            node_management_update: pool
                .server_group
                .as_ref()
                .map(|group| wire::NodeManagement {
                    server_group_reference: Some(group.clone()),
                }),
            taint_policy_on_existing_nodes: refresh("taints"),
            label_policy_on_existing_nodes: refresh("k8s_labels"),
            user_tags_policy_on_existing_nodes: refresh("user_tags"),
        },
    }
}

/// The UpgradeNodePool body of one batch: exactly its nodes, at most that
/// many at once, with the desired scripts, login and volume reset policy (no
/// secret: a password login carries an empty password, salted and filled in
/// by apply).
pub fn sync_body(
    pool: &DesiredPool,
    pool_id: &str,
    node_ids: &[crate::model::NodeId],
) -> request::UpgradeNodePool {
    let mut login = convert::login_to_wire(&pool.template.login, None);
    // The remove flags belong to pool updates only.
    login.remove_user_password = None;
    login.remove_ssh_key = None;
    request::UpgradeNodePool {
        kind: "NodePool".to_owned(),
        api_version: "v3".to_owned(),
        spec: request::NodePoolUpgradeSpec {
            node_pool_id: pool_id.to_owned(),
            node_ids: node_ids.iter().map(|id| id.0.clone()).collect(),
            max_unavailable: u32::try_from(node_ids.len()).unwrap_or(u32::MAX),
            force: pool.rollout.force,
            node_template: request::UpgradeNodeTemplate {
                life_cycle: convert::lifecycle_to_wire(&pool.template.lifecycle),
                login,
                volume_config: pool.rollout.volume_reset_policy.map(|policy| {
                    request::VolumeConfig {
                        volume_reset_policy: policy.as_str().to_owned(),
                    }
                }),
            },
        },
    }
}

fn build_steps(
    desired: &Desired,
    order: &[PoolAddress],
    pools: &BTreeMap<PoolAddress, PoolPlan>,
) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    // For each pool, the steps that finish it: its last step, or when it has
    // none, whatever finishes the pools it depends on (so ordering passes
    // through pools with nothing to do).
    let mut finishing: BTreeMap<&PoolAddress, BTreeSet<usize>> = BTreeMap::new();
    for address in order {
        let (Some(pool), Some(plan)) = (desired.pools.get(address), pools.get(address)) else {
            continue;
        };
        let mut waits_for: BTreeSet<usize> = BTreeSet::new();
        for dependency in &pool.rollout.depends_on {
            if let Some(ids) = finishing.get(dependency) {
                waits_for.extend(ids);
            }
        }
        let mut kinds = Vec::new();
        let pool_id = plan.pool_id.clone();
        match (plan.action, &pool_id) {
            (PoolAction::Create, _) => kinds.push(StepKind::CreatePool {
                body: Box::new(create_body(pool)),
                password_env: password_env(pool),
            }),
            (PoolAction::Update, Some(id)) => kinds.push(StepKind::UpdatePool {
                pool_id: id.clone(),
                body: Box::new(update_body(pool, &plan.changes)),
                password_env: password_env(pool),
            }),
            (PoolAction::Delete, Some(id)) => {
                kinds.push(StepKind::DeletePool {
                    pool_id: id.clone(),
                });
            }
            (PoolAction::Replace, Some(id)) => {
                kinds.push(StepKind::DeletePool {
                    pool_id: id.clone(),
                });
                kinds.push(StepKind::CreatePool {
                    body: Box::new(create_body(pool)),
                    password_env: password_env(pool),
                });
            }
            _ => {}
        }
        if let (Some(sync), Some(id)) = (&plan.sync, &pool_id) {
            kinds.extend(sync_steps(pool, id, sync));
        }
        if kinds.is_empty() {
            finishing.insert(address, waits_for);
            continue;
        }
        let mut previous: Option<usize> = None;
        for kind in kinds {
            let id = steps.len();
            let depends_on = match previous {
                Some(previous) => vec![previous],
                None => waits_for.iter().copied().collect(),
            };
            steps.push(Step {
                id,
                depends_on,
                address: address.clone(),
                cluster: pool.cluster.clone(),
                kind,
            });
            previous = Some(id);
        }
        finishing.insert(address, previous.into_iter().collect());
    }
    steps
}

fn sync_steps(
    pool: &DesiredPool,
    pool_id: &crate::model::PoolId,
    sync: &SyncPlan,
) -> Vec<StepKind> {
    let of = sync.batches.len();
    // Every batch of a pool sends the same template (login, encoded
    // scripts): build it once and give each batch its own nodes.
    let template = sync_body(pool, pool_id.as_str(), &[]);
    sync.batches
        .iter()
        .map(|batch| {
            let mut body = template.clone();
            body.spec.node_ids = batch.node_ids.iter().map(|id| id.0.clone()).collect();
            body.spec.max_unavailable = u32::try_from(batch.node_ids.len()).unwrap_or(u32::MAX);
            StepKind::SyncBatch {
                pool_id: pool_id.clone(),
                number: batch.number,
                of,
                body: Box::new(body),
                password_env: password_env(pool),
                soak_seconds: pool.rollout.soak_seconds,
                timeout_seconds: pool.rollout.batch_timeout_seconds,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::test_support::*;
    use crate::model::{MaxUnavailable, PasswordRef};

    fn step_summary(plan: &Plan) -> Vec<(usize, Vec<usize>, String, String)> {
        plan.steps
            .iter()
            .map(|step| {
                let kind = match &step.kind {
                    StepKind::CreatePool { .. } => "create".to_owned(),
                    StepKind::UpdatePool { .. } => "update".to_owned(),
                    StepKind::DeletePool { .. } => "delete".to_owned(),
                    StepKind::SyncBatch {
                        number, of, body, ..
                    } => {
                        format!("sync {number}/{of} {}", body.spec.node_ids.join(","))
                    }
                };
                (
                    step.id,
                    step.depends_on.clone(),
                    step.address.to_string(),
                    kind,
                )
            })
            .collect()
    }

    #[test]
    fn unchanged_world_plans_nothing() {
        let (desired, live) = world();
        let plan = build_plan(&desired, &live, &[]).expect("plans");
        assert!(!plan.has_changes());
        assert_eq!(plan.pools.len(), 1);
        assert_eq!(plan.pools[0].action, PoolAction::NoOp);
        assert!(plan.pools[0].sync.is_none());
        // The pool and its six nodes were read.
        assert_eq!(plan.fingerprints.len(), 7);
        assert_eq!(plan.fingerprints["prod/app-pool-id"], "fp-pool-app");
        assert_eq!(plan.fingerprints["prod/app-pool-id/app-a1-id"], "fp-app-a1");
    }

    #[test]
    fn script_change_updates_then_syncs_in_batches() {
        let (mut desired, live) = world();
        let pool = desired.pools.get_mut(&address("prod-app")).expect("pool");
        pool.template.lifecycle.post_install = Some("echo v2\n".into());
        let plan = build_plan(&desired, &live, &[]).expect("plans");
        assert_eq!(
            step_summary(&plan),
            [
                (0, vec![], "prod-app".into(), "update".into()),
                (
                    1,
                    vec![0],
                    "prod-app".into(),
                    "sync 1/3 app-a1-id,app-b1-id".into()
                ),
                (
                    2,
                    vec![1],
                    "prod-app".into(),
                    "sync 2/3 app-c1-id,app-a2-id".into()
                ),
                (
                    3,
                    vec![2],
                    "prod-app".into(),
                    "sync 3/3 app-b2-id,app-c2-id".into()
                ),
            ]
        );
        let StepKind::UpdatePool { body, .. } = &plan.steps[0].kind else {
            panic!("update first");
        };
        assert!(body.spec.ignore_initial_node_count);
        assert_eq!(body.spec.initial_node_count, None);
        let extend = body.spec.node_template.extend_param.clone();
        assert!(!extend.contains_key("maxPods"), "{extend:?}");
        assert_eq!(
            extend.get(convert::POST_INSTALL_KEY),
            Some(&serde_json::json!(convert::encode_script("echo v2\n")))
        );
        let StepKind::SyncBatch { body, .. } = &plan.steps[1].kind else {
            panic!("sync second");
        };
        assert_eq!(body.spec.max_unavailable, 2);
        assert_eq!(body.spec.node_pool_id, "app-pool-id");
        let template = &body.spec.node_template;
        assert_eq!(
            template.life_cycle.post_install.as_deref(),
            Some(convert::encode_script("echo v2\n").as_str())
        );
        assert_eq!(template.login.ssh_key.as_deref(), Some("kp-prod"));
        assert_eq!(
            plan.summary().to_string(),
            "Plan: 0 to add, 1 to change, 0 to destroy, 6 nodes to sync in 3 batches."
        );
    }

    #[test]
    fn managed_node_count_is_sent() {
        let (mut desired, live) = world();
        let pool = desired.pools.get_mut(&address("prod-app")).expect("pool");
        pool.node_count = Some(8);
        pool.template.k8s_labels.insert("tier".into(), "web".into());
        let plan = build_plan(&desired, &live, &[]).expect("plans");
        let StepKind::UpdatePool { body, .. } = &plan.steps[0].kind else {
            panic!("update");
        };
        assert!(!body.spec.ignore_initial_node_count);
        assert_eq!(body.spec.initial_node_count, Some(8));
        // node_count 6 → 8 is a change as well as the label.
        assert_eq!(plan.pools[0].changes.len(), 2);
    }

    #[test]
    fn password_login_has_no_secret_in_bodies() {
        let (mut desired, live) = world();
        let pool = desired.pools.get_mut(&address("prod-app")).expect("pool");
        pool.template.login = crate::model::Login {
            password: Some(PasswordRef {
                username: "root".into(),
                env: "NODE_PASSWORD".into(),
            }),
            ..Default::default()
        };
        let mut new_pool = pool.clone();
        new_pool.address = address("prod-new");
        new_pool.name = "new".into();
        desired.pools.insert(new_pool.address.clone(), new_pool);
        let plan = build_plan(&desired, &live, &[]).expect("plans");
        assert!(plan.steps.len() >= 3);
        for step in &plan.steps {
            let (login, env) = match &step.kind {
                StepKind::CreatePool { body, password_env } => {
                    (body.spec.node_template.login.clone(), password_env)
                }
                StepKind::UpdatePool {
                    body, password_env, ..
                } => (body.spec.node_template.login.clone(), password_env),
                StepKind::SyncBatch {
                    body, password_env, ..
                } => (body.spec.node_template.login.clone(), password_env),
                StepKind::DeletePool { .. } => continue,
            };
            let password = login.user_password.expect("password login");
            assert_eq!(password.password, "");
            assert_eq!(env.as_deref(), Some("NODE_PASSWORD"));
        }
    }

    #[test]
    fn update_body_uses_the_update_models_names_and_nothing_create_only() {
        let (mut desired, _) = world();
        let pool = desired.pools.get_mut(&address("prod-app")).expect("pool");
        pool.template.data_volumes[0].size = 200;
        pool.template.nic = Some(crate::model::NicSpec {
            subnet_id: Some("subnet-1".into()),
            fixed_ips: vec!["10.0.0.5".into()],
            ..crate::model::NicSpec::default()
        });
        let body = serde_json::to_value(update_body(pool, &[])).expect("json");
        let template = &body["spec"]["nodeTemplate"];
        for key in ["rootVolumeUpdate", "dataVolumesUpdate", "nodeNicSpecUpdate"] {
            assert!(template.get(key).is_some(), "{key} missing: {template}");
        }
        for key in [
            "rootVolume",
            "dataVolumes",
            "nodeNicSpec",
            "billingMode",
            "flavor",
            "az",
        ] {
            assert!(template.get(key).is_none(), "{key} sent: {template}");
        }
        assert_eq!(template["dataVolumesUpdate"][0]["size"], 200);
        assert_eq!(
            template["nodeNicSpecUpdate"],
            serde_json::json!({"primaryNic": {"subnetId": "subnet-1"}})
        );
        let extend = template["extendParam"].as_object().expect("extendParam");
        assert!(
            extend
                .keys()
                .all(|key| convert::UPDATE_EXTEND_PARAMS.contains(&key.as_str())),
            "{extend:?}"
        );
    }

    #[test]
    fn labels_taints_and_tags_are_pushed_with_refresh_and_reset_nothing() {
        let (mut desired, live) = world();
        let pool = desired.pools.get_mut(&address("prod-app")).expect("pool");
        pool.template.k8s_labels.insert("tier".into(), "web".into());
        pool.template.taints.push(crate::model::Taint {
            key: "dedicated".into(),
            value: "web".into(),
            effect: "NoSchedule".into(),
        });
        pool.template.user_tags.insert("env".into(), "prod".into());
        let plan = build_plan(&desired, &live, &[]).expect("plans");
        assert_eq!(plan.steps.len(), 1, "an update and no sync");
        let StepKind::UpdatePool { body, .. } = &plan.steps[0].kind else {
            panic!("update");
        };
        assert_eq!(
            body.spec.label_policy_on_existing_nodes.as_deref(),
            Some("refresh")
        );
        assert_eq!(
            body.spec.taint_policy_on_existing_nodes.as_deref(),
            Some("refresh")
        );
        assert_eq!(
            body.spec.user_tags_policy_on_existing_nodes.as_deref(),
            Some("refresh")
        );
        assert!(plan.pools[0].sync.is_none());

        // A change that is not a label, taint or tag leaves the policies out.
        let (mut desired, live) = world();
        let pool = desired.pools.get_mut(&address("prod-app")).expect("pool");
        pool.template.lifecycle.post_install = Some("echo v2\n".into());
        let plan = build_plan(&desired, &live, &[]).expect("plans");
        let StepKind::UpdatePool { body, .. } = &plan.steps[0].kind else {
            panic!("update");
        };
        assert_eq!(body.spec.label_policy_on_existing_nodes, None);
        assert_eq!(body.spec.taint_policy_on_existing_nodes, None);
        assert_eq!(body.spec.user_tags_policy_on_existing_nodes, None);
    }

    #[test]
    fn server_group_goes_out_as_node_management_update() {
        let (mut desired, mut live) = world();
        live_pool_mut(&mut live, "prod", "app").server_group = Some("sg-old".into());
        let pool = desired.pools.get_mut(&address("prod-app")).expect("pool");
        pool.server_group = Some("sg-new".into());
        let plan = build_plan(&desired, &live, &[]).expect("an update");
        let StepKind::UpdatePool { body, .. } = &plan.steps[0].kind else {
            panic!("update");
        };
        let json = serde_json::to_value(body.as_ref()).expect("json");
        assert_eq!(
            json["spec"]["nodeManagementUpdate"],
            serde_json::json!({"serverGroupReference": "sg-new"})
        );
    }

    #[test]
    fn sync_body_carries_the_volume_reset_policy() {
        let (mut desired, live) = world();
        let pool = desired.pools.get_mut(&address("prod-app")).expect("pool");
        pool.template.lifecycle.post_install = Some("echo v2\n".into());
        pool.rollout.volume_reset_policy =
            Some(crate::model::VolumeResetPolicy::RetainCustomVolumes);
        let plan = build_plan(&desired, &live, &[]).expect("plans");
        let StepKind::SyncBatch { body, .. } = &plan.steps[1].kind else {
            panic!("sync");
        };
        let json = serde_json::to_value(body.as_ref()).expect("json");
        assert_eq!(
            json["spec"]["nodeTemplate"]["volumeConfig"],
            serde_json::json!({"volumeResetPolicy": "retain_custom_volumes"})
        );
        assert_eq!(
            plan.pools[0]
                .sync
                .as_ref()
                .and_then(|sync| sync.volume_reset_policy),
            Some(crate::model::VolumeResetPolicy::RetainCustomVolumes)
        );
        // Unset, CCE's default applies and nothing is sent.
        let (mut desired, live) = world();
        let pool = desired.pools.get_mut(&address("prod-app")).expect("pool");
        pool.template.lifecycle.post_install = Some("echo v2\n".into());
        let plan = build_plan(&desired, &live, &[]).expect("plans");
        let StepKind::SyncBatch { body, .. } = &plan.steps[1].kind else {
            panic!("sync");
        };
        assert_eq!(body.spec.node_template.volume_config, None);
    }

    #[test]
    fn dependencies_order_steps_across_clusters_and_through_idle_pools() {
        let (mut desired, mut live) = world();
        add_cluster(&mut desired, &mut live, "staging", Some(1));
        let mut staging = desired_pool("staging-app", "staging", "app");
        staging.template.os = "Huawei Cloud EulerOS 2.0 SP1".into();
        add_pool(&mut desired, &mut live, staging.clone(), Some(3));
        // staging's live pool still runs the old OS.
        let live_staging = live_pool_mut(&mut live, "staging", "app");
        live_staging.template.os = "Huawei Cloud EulerOS 2.0".into();
        for node in &mut live_staging.nodes {
            node.config.os = Some("Huawei Cloud EulerOS 2.0".into());
        }
        // An idle pool between them: prod-app → prod-idle → staging-app.
        let mut idle = desired_pool("prod-idle", "prod", "idle");
        idle.rollout.depends_on = vec![address("staging-app")];
        add_pool(&mut desired, &mut live, idle, Some(1));
        let app = desired.pools.get_mut(&address("prod-app")).expect("pool");
        app.rollout.depends_on = vec![address("prod-idle")];
        app.template.lifecycle.post_install = Some("echo v2\n".into());

        let plan = build_plan(&desired, &live, &[]).expect("plans");
        let steps = step_summary(&plan);
        assert_eq!(steps[0].2, "staging-app");
        assert_eq!(steps[0].3, "update");
        // The cluster cap of 1 makes three one-node batches.
        assert_eq!(
            steps[1..4]
                .iter()
                .filter(|s| s.3.starts_with("sync"))
                .count(),
            3
        );
        assert_eq!(steps[4].2, "prod-app");
        assert_eq!(
            steps[4].1,
            vec![3],
            "prod-app waits for staging's last batch"
        );
        assert_eq!(
            plan.steps[1..4]
                .iter()
                .map(|step| match &step.kind {
                    StepKind::SyncBatch { body, .. } => body.spec.node_ids.len(),
                    _ => 0,
                })
                .collect::<Vec<_>>(),
            [1, 1, 1]
        );
        // Targeting prod-app brings its dependencies along; targeting
        // staging-app leaves prod out.
        let targeted = build_plan(&desired, &live, &[address("staging-app")]).expect("plans");
        assert_eq!(targeted.pools.len(), 1);
        assert!(targeted.clusters.contains_key(&"staging".into()));
        assert!(!targeted.clusters.contains_key(&"prod".into()));
        let targeted = build_plan(&desired, &live, &[address("prod-app")]).expect("plans");
        assert_eq!(targeted.pools.len(), 3);
    }

    #[test]
    fn cycles_and_unknown_names_are_diagnostics() {
        let (mut desired, mut live) = world();
        let mut other = desired_pool("prod-b", "prod", "b");
        other.rollout.depends_on = vec![address("prod-app")];
        add_pool(&mut desired, &mut live, other, Some(1));
        desired
            .pools
            .get_mut(&address("prod-app"))
            .expect("pool")
            .rollout
            .depends_on = vec![address("prod-b")];
        let errors = build_plan(&desired, &live, &[]).expect_err("cycle");
        assert_eq!(
            errors.errors,
            [PlanError::DependencyCycle {
                cycle: vec![address("prod-app"), address("prod-b"), address("prod-app")]
            }]
        );
        assert_eq!(
            errors.errors[0].to_string(),
            "pools depend on each other in a cycle: prod-app → prod-b → prod-app"
        );

        let (desired, live) = world();
        let errors = build_plan(&desired, &live, &[address("prod-ap")]).expect_err("unknown");
        assert_eq!(
            errors.errors,
            [PlanError::UnknownTarget {
                target: "prod-ap".into(),
                suggestion: Some(address("prod-app")),
            }]
        );
    }

    #[test]
    fn replacement_deletes_then_creates() {
        let (mut desired, live) = world();
        let pool = desired.pools.get_mut(&address("prod-app")).expect("pool");
        pool.template.az = "ap-southeast-1b".into();
        let errors = build_plan(&desired, &live, &[]).expect_err("refused");
        assert!(matches!(
            &errors.errors[0],
            PlanError::Diff(DiffError::ReplacementRequired { .. })
        ));
        let pool = desired.pools.get_mut(&address("prod-app")).expect("pool");
        pool.rollout.allow_replacement = true;
        pool.rollout.max_unavailable = MaxUnavailable::Count(1);
        let plan = build_plan(&desired, &live, &[]).expect("plans");
        let kinds: Vec<String> = step_summary(&plan).into_iter().map(|s| s.3).collect();
        assert_eq!(kinds, ["delete", "create"]);
        assert_eq!(
            plan.summary().to_string(),
            "Plan: 1 to add, 0 to change, 1 to destroy, 0 nodes to sync in 0 batches."
        );
    }

    #[test]
    fn saved_plan_round_trips_and_refuses_other_majors() {
        let (mut desired, live) = world();
        let pool = desired.pools.get_mut(&address("prod-app")).expect("pool");
        pool.template.lifecycle.post_install = Some("echo v2\n".into());
        let plan = build_plan(&desired, &live, &[]).expect("plans");
        let text = crate::plan::save(&plan);
        assert_eq!(crate::plan::load(&text).expect("loads"), plan);
        let newer = text.replacen(
            "\"format_version\": \"1.0\"",
            "\"format_version\": \"2.0\"",
            1,
        );
        assert!(matches!(
            crate::plan::load(&newer),
            Err(crate::plan::LoadPlanError::UnsupportedVersion { found }) if found == "2.0"
        ));
        assert!(matches!(
            crate::plan::load("{}"),
            Err(crate::plan::LoadPlanError::Invalid { .. })
        ));
    }
}
