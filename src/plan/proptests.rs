//! Property tests of the plan's invariants over generated worlds: several
//! clusters (with and without a cluster-wide cap), pools of up to 30 nodes in
//! every phase, stale or not, with acyclic `depends_on` edges.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use super::{Plan, PoolAction, StepKind, build_plan};
use crate::model::test_support::*;
use crate::model::{Desired, Live, MaxUnavailable, NodePhase};

#[derive(Debug, Clone)]
struct PoolSpec {
    cluster: usize,
    max_unavailable: MaxUnavailable,
    change_script: bool,
    /// Each bit names an earlier pool this one depends on.
    depends_mask: u8,
    /// Per node: (Active?, configurationUpToDate).
    nodes: Vec<(bool, Option<bool>)>,
    /// Bits choosing optional configuration: managed node count,
    /// autoscaling, password login, a NIC, an `extend_params` key.
    variant: u8,
}

#[derive(Debug, Clone)]
struct WorldSpec {
    caps: Vec<Option<u32>>,
    pools: Vec<PoolSpec>,
}

fn world_spec() -> impl Strategy<Value = WorldSpec> {
    let max_unavailable = prop_oneof![
        (1u32..=25).prop_map(MaxUnavailable::Count),
        (1u32..=100).prop_map(MaxUnavailable::Percent),
    ];
    let node = (
        prop::bool::weighted(0.85),
        prop_oneof![Just(None), Just(Some(true)), Just(Some(false))],
    );
    let pool = (
        0usize..3,
        max_unavailable,
        any::<bool>(),
        any::<u8>(),
        prop::collection::vec(node, 0..30),
        any::<u8>(),
    )
        .prop_map(
            |(cluster, max_unavailable, change_script, depends_mask, nodes, variant)| PoolSpec {
                cluster,
                max_unavailable,
                change_script,
                depends_mask,
                nodes,
                variant,
            },
        );
    (
        prop::collection::vec(prop::option::of(1u32..6), 3),
        prop::collection::vec(pool, 1..6),
    )
        .prop_map(|(caps, pools)| WorldSpec { caps, pools })
}

/// The world the spec describes; with `in_sync`, the live state is exactly
/// what the configuration says (no script change, every node up to date).
fn build_world(spec: &WorldSpec, in_sync: bool) -> (Desired, Live) {
    let (mut desired, mut live) = world();
    desired.pools.clear();
    live.clusters.clear();
    desired.clusters.clear();
    for (index, cap) in spec.caps.iter().enumerate() {
        add_cluster(&mut desired, &mut live, &format!("c{index}"), *cap);
    }
    for (index, pool_spec) in spec.pools.iter().enumerate() {
        let cluster = format!("c{}", pool_spec.cluster);
        let mut pool = desired_pool(&format!("p{index}"), &cluster, &format!("pool{index}"));
        pool.rollout.max_unavailable = pool_spec.max_unavailable;
        pool.rollout.depends_on = (0..index)
            .filter(|earlier| pool_spec.depends_mask & (1 << (earlier % 8)) != 0)
            .map(|earlier| address(&format!("p{earlier}")))
            .collect();
        let variant = pool_spec.variant;
        if variant & 1 != 0 {
            pool.node_count = Some(u32::try_from(pool_spec.nodes.len()).unwrap_or(0));
        }
        if variant & 2 != 0 {
            pool.autoscaling = Some(crate::model::Autoscaling {
                enabled: true,
                min: 1,
                max: 30,
                scale_down_cooldown_minutes: Some(10),
                priority: None,
            });
        }
        if variant & 4 != 0 {
            pool.template.login = crate::model::Login {
                password: Some(crate::model::PasswordRef {
                    username: "root".into(),
                    env: "NODE_PASSWORD".into(),
                }),
                remove_ssh_key: true,
                ..crate::model::Login::default()
            };
        }
        if variant & 8 != 0 {
            pool.template.nic = Some(crate::model::NicSpec {
                subnet_id: Some("subnet-1".into()),
                ..crate::model::NicSpec::default()
            });
        }
        if variant & 16 != 0 {
            pool.template
                .extend_params
                .insert("agency_name".into(), "ops".into());
        }
        add_pool(
            &mut desired,
            &mut live,
            pool.clone(),
            Some(pool_spec.nodes.len()),
        );
        if variant & 4 != 0 {
            // A password node reports no key pair.
            for node in &mut live_pool_mut(&mut live, &cluster, &pool.name).nodes {
                node.config.ssh_key = None;
            }
        }
        if in_sync {
            continue;
        }
        let live_pool = live_pool_mut(&mut live, &cluster, &pool.name);
        for (node, (active, up_to_date)) in live_pool.nodes.iter_mut().zip(&pool_spec.nodes) {
            if !active {
                node.phase = NodePhase::Installing;
            }
            node.up_to_date = *up_to_date;
        }
        if pool_spec.change_script {
            desired
                .pools
                .get_mut(&pool.address)
                .expect("just added")
                .template
                .lifecycle
                .post_install = Some(format!("echo changed {index}\n"));
        }
    }
    (desired, live)
}

/// Every step that must finish before `step` (transitively).
fn ancestors(plan: &Plan, step: usize) -> BTreeSet<usize> {
    let mut seen = BTreeSet::new();
    let mut stack = plan.steps[step].depends_on.clone();
    while let Some(id) = stack.pop() {
        if seen.insert(id) {
            stack.extend(plan.steps[id].depends_on.iter().copied());
        }
    }
    seen
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn a_state_diffed_with_itself_is_empty(spec in world_spec()) {
        let (desired, live) = build_world(&spec, true);
        let plan = build_plan(&desired, &live, &[]).expect("plans");
        prop_assert!(!plan.has_changes());
        prop_assert!(plan.pools.iter().all(|pool| pool.action == PoolAction::NoOp && pool.sync.is_none()));
    }

    #[test]
    fn every_stale_node_is_in_exactly_one_batch_within_budget(spec in world_spec()) {
        let (desired, live) = build_world(&spec, false);
        let plan = build_plan(&desired, &live, &[]).expect("plans");
        for pool in &plan.pools {
            let Some(sync) = &pool.sync else { continue };
            let mut batched: Vec<_> = sync.batches.iter().flat_map(|b| b.node_ids.iter().cloned()).collect();
            let count = batched.len();
            batched.sort();
            batched.dedup();
            prop_assert_eq!(count, batched.len(), "a node is in two batches");
            let mut stale: Vec<_> = sync.stale_nodes.iter().map(|n| n.node.id.clone()).collect();
            stale.sort();
            prop_assert_eq!(batched, stale);
            let cap = plan.clusters[&pool.cluster].max_unavailable;
            for batch in &sync.batches {
                prop_assert!(!batch.node_ids.is_empty());
                prop_assert!(batch.node_ids.len() <= sync.batch_size as usize);
                prop_assert!(sync.batch_size <= sync.max_unavailable);
                prop_assert!(sync.max_unavailable <= 20);
                if let Some(cap) = cap {
                    prop_assert!(batch.node_ids.len() <= cap as usize);
                }
            }
            // The pool's own unavailability never exceeds the budget unless
            // the budget was already exhausted, and then by one node at most.
            let unavailable = sync.unavailable_now.len();
            let largest = sync.batches.iter().map(|b| b.node_ids.len()).max().unwrap_or(0);
            prop_assert!(unavailable + largest <= (sync.max_unavailable as usize).max(unavailable + 1));
        }
        for step in &plan.steps {
            // The body's `maxUnavailable` is the batch's node count by
            // construction (`live::body::sync_body`, whose proptest checks it
            // on the wire); a batch is never empty.
            if let StepKind::SyncBatch { request, .. } = &step.kind {
                prop_assert!(!request.node_ids.is_empty());
            }
        }
    }

    #[test]
    fn every_dependency_edge_is_respected(spec in world_spec()) {
        let (desired, live) = build_world(&spec, false);
        let plan = build_plan(&desired, &live, &[]).expect("plans");
        let mut steps_of: BTreeMap<_, Vec<usize>> = BTreeMap::new();
        for step in &plan.steps {
            prop_assert!(step.depends_on.iter().all(|id| *id < step.id));
            steps_of.entry(step.address.clone()).or_default().push(step.id);
        }
        // Transitive closure of depends_on between pools.
        for pool in desired.pools.values() {
            let mut dependencies = BTreeSet::new();
            let mut stack = pool.rollout.depends_on.clone();
            while let Some(dependency) = stack.pop() {
                if dependencies.insert(dependency.clone()) {
                    stack.extend(desired.pools[&dependency].rollout.depends_on.iter().cloned());
                }
            }
            for step in steps_of.get(&pool.address).into_iter().flatten() {
                let before = ancestors(&plan, *step);
                for dependency in &dependencies {
                    for earlier in steps_of.get(dependency).into_iter().flatten() {
                        prop_assert!(before.contains(earlier), "step {} of {} does not wait for step {} of {}", step, pool.address, earlier, dependency);
                    }
                }
            }
        }
        // Within a pool: create/update first, then batch n before n + 1.
        for ids in steps_of.values() {
            for pair in ids.windows(2) {
                prop_assert!(ancestors(&plan, pair[1]).contains(&pair[0]));
            }
        }
    }

    #[test]
    fn same_inputs_give_the_same_bytes(spec in world_spec()) {
        let (desired, live) = build_world(&spec, false);
        let first = build_plan(&desired, &live, &[]).expect("plans");
        let second = build_plan(&desired.clone(), &live.clone(), &[]).expect("plans");
        prop_assert_eq!(super::save(&first), super::save(&second));
        let options = crate::render::TextOptions { color: false };
        prop_assert_eq!(crate::render::text(&first, &options), crate::render::text(&second, &options));
        prop_assert_eq!(crate::render::json(&first), crate::render::json(&second));
        let markdown = crate::render::markdown(&first);
        prop_assert_eq!(&markdown, &crate::render::markdown(&second));
        prop_assert!(markdown.chars().count() <= crate::render::MARKDOWN_LIMIT);
        prop_assert!(markdown.contains(&first.summary().to_string()) || !first.has_changes());
    }
}
