//! `build_plan`: diff every configured pool, batch the stale nodes, order the
//! work as a DAG and attach the request bodies apply will send.

use std::collections::{BTreeMap, BTreeSet};

use miette::Diagnostic;

use crate::diff::{self, DiffError, PoolDiff};
use crate::model::{DependencyProblem, Desired, DesiredPool, Live, PoolAddress};

use super::batches::plan_sync;
use super::requests::{create_request, password_env, sync_request, update_request};
use super::{FORMAT_VERSION, Plan, PlanCluster, PoolAction, PoolPlan, Step, StepKind, SyncPlan};

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
    /// `depends_on` names a pool that does not exist, or forms a cycle: the
    /// model's rule, with the configuration's codes. A `Desired` from
    /// `config::load` never breaks it; one built by hand may.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Dependency(#[from] DependencyProblem),
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
    let mut target_errors = Vec::new();
    let selected = select(desired, targets, &mut target_errors);
    // The order comes from the model's one reading of `depends_on`, which
    // refuses a graph that breaks the rule anywhere.
    let (order, mut errors) = match desired.dependency_order(&selected) {
        Ok(order) => (order, Vec::new()),
        Err(problems) => (
            Vec::new(),
            problems.into_iter().map(PlanError::from).collect(),
        ),
    };
    errors.append(&mut target_errors);
    if !errors.is_empty() {
        return Err(PlanErrors { errors });
    }

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
                request: Box::new(create_request(pool)),
                password_env: password_env(pool),
            }),
            (PoolAction::Update, Some(id)) => kinds.push(StepKind::UpdatePool {
                pool_id: id.clone(),
                request: Box::new(update_request(pool, &plan.changes)),
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
                    request: Box::new(create_request(pool)),
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
    sync.batches
        .iter()
        .map(|batch| StepKind::SyncBatch {
            pool_id: pool_id.clone(),
            number: batch.number,
            of,
            request: Box::new(sync_request(pool, &batch.node_ids)),
            password_env: password_env(pool),
            soak_seconds: pool.rollout.soak_seconds,
            timeout_seconds: pool.rollout.batch_timeout_seconds,
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
                        number,
                        of,
                        request,
                        ..
                    } => {
                        let ids: Vec<&str> = request
                            .node_ids
                            .iter()
                            .map(crate::model::NodeId::as_str)
                            .collect();
                        format!("sync {number}/{of} {}", ids.join(","))
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
        // The wire bodies of these requests: `live::body`'s tests.
        let StepKind::UpdatePool { request, .. } = &plan.steps[0].kind else {
            panic!("update first");
        };
        assert_eq!(request.pool.node_count, None);
        assert_eq!(
            request.pool.template.lifecycle.post_install.as_deref(),
            Some("echo v2\n")
        );
        let StepKind::SyncBatch {
            pool_id, request, ..
        } = &plan.steps[1].kind
        else {
            panic!("sync second");
        };
        assert_eq!(request.node_ids.len(), 2);
        assert_eq!(pool_id.as_str(), "app-pool-id");
        assert_eq!(request.lifecycle.post_install.as_deref(), Some("echo v2\n"));
        assert_eq!(request.login.ssh_key.as_deref(), Some("kp-prod"));
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
        let StepKind::UpdatePool { request, .. } = &plan.steps[0].kind else {
            panic!("update");
        };
        assert_eq!(request.pool.node_count, Some(8));
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
                StepKind::CreatePool {
                    request,
                    password_env,
                } => (request.pool.template.login.clone(), password_env),
                StepKind::UpdatePool {
                    request,
                    password_env,
                    ..
                } => (request.pool.template.login.clone(), password_env),
                StepKind::SyncBatch {
                    request,
                    password_env,
                    ..
                } => (request.login.clone(), password_env),
                StepKind::DeletePool { .. } => continue,
            };
            // A login names where its password is, never holds it.
            let password = login.password.expect("password login");
            assert_eq!(password.env, "NODE_PASSWORD");
            assert_eq!(env.as_deref(), Some("NODE_PASSWORD"));
        }
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
        // The update names what changes; `live::body` turns these into the
        // `refresh` policies.
        let StepKind::UpdatePool { request, .. } = &plan.steps[0].kind else {
            panic!("update");
        };
        assert_eq!(request.changed, ["k8s_labels", "taints", "user_tags"]);
        assert!(plan.pools[0].sync.is_none());

        // A change that is not a label, taint or tag leaves the policies out.
        let (mut desired, live) = world();
        let pool = desired.pools.get_mut(&address("prod-app")).expect("pool");
        pool.template.lifecycle.post_install = Some("echo v2\n".into());
        let plan = build_plan(&desired, &live, &[]).expect("plans");
        let StepKind::UpdatePool { request, .. } = &plan.steps[0].kind else {
            panic!("update");
        };
        assert_eq!(request.changed, ["lifecycle.post_install"]);
    }

    #[test]
    fn server_group_goes_out_as_node_management_update() {
        let (mut desired, mut live) = world();
        live_pool_mut(&mut live, "prod", "app").server_group = Some("sg-old".into());
        let pool = desired.pools.get_mut(&address("prod-app")).expect("pool");
        pool.server_group = Some("sg-new".into());
        let plan = build_plan(&desired, &live, &[]).expect("an update");
        let StepKind::UpdatePool { request, .. } = &plan.steps[0].kind else {
            panic!("update");
        };
        assert_eq!(request.pool.server_group.as_deref(), Some("sg-new"));
    }

    #[test]
    fn sync_body_carries_the_volume_reset_policy() {
        let (mut desired, live) = world();
        let pool = desired.pools.get_mut(&address("prod-app")).expect("pool");
        pool.template.lifecycle.post_install = Some("echo v2\n".into());
        pool.rollout.volume_reset_policy =
            Some(crate::model::VolumeResetPolicy::RetainCustomVolumes);
        let plan = build_plan(&desired, &live, &[]).expect("plans");
        let StepKind::SyncBatch { request, .. } = &plan.steps[1].kind else {
            panic!("sync");
        };
        assert_eq!(
            request.volume_reset_policy,
            Some(crate::model::VolumeResetPolicy::RetainCustomVolumes)
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
        let StepKind::SyncBatch { request, .. } = &plan.steps[1].kind else {
            panic!("sync");
        };
        assert_eq!(request.volume_reset_policy, None);
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
                    StepKind::SyncBatch { request, .. } => request.node_ids.len(),
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
        // A `Desired` built by hand skips the config layer's check; the plan
        // reports the same problem, with the same code.
        assert_eq!(
            errors.errors,
            [PlanError::Dependency(DependencyProblem::Cycle {
                members: vec![address("prod-app"), address("prod-b")],
                edges: vec![0, 0],
            })]
        );
        assert_eq!(
            errors.errors[0].to_string(),
            "dependency cycle: prod-app → prod-b → prod-app"
        );
        assert_eq!(
            miette::Diagnostic::code(&errors.errors[0]).map(|code| code.to_string()),
            Some("poolform::config::dependency_cycle".to_owned())
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
            "\"format_version\": \"2.0\"",
            "\"format_version\": \"3.0\"",
            1,
        );
        assert!(matches!(
            crate::plan::load(&newer),
            Err(crate::plan::LoadPlanError::UnsupportedVersion { found }) if found == "3.0"
        ));
        // A 1.x plan carries wire bodies where this one has requests: refused
        // by its version, not misread.
        let older = text.replacen(
            "\"format_version\": \"2.0\"",
            "\"format_version\": \"1.0\"",
            1,
        );
        let error = crate::plan::load(&older).expect_err("a 1.x plan is refused");
        assert!(matches!(
            &error,
            crate::plan::LoadPlanError::UnsupportedVersion { found } if found == "1.0"
        ));
        assert_eq!(
            error.to_string(),
            "plan format version 1.0 is not supported (this poolform reads 2.0)"
        );
        assert!(matches!(
            crate::plan::load("{}"),
            Err(crate::plan::LoadPlanError::Invalid { .. })
        ));
    }
}
