//! Apply against the simulator over HTTP with the real client: budgets and
//! the cluster cap hold (the simulator's recorded peaks), a failed reset
//! stops its pool and what depends on it, read faults are ridden out, an
//! interruption finishes or abandons the batch in flight, and a rerun after a
//! hard stop resets no node twice. Plans come from the real planner.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::time::{Duration, Instant};

use poolform::apply::{self, ApplyOptions, ApplyReport, CancelLevel, CancelToken, Event};
use poolform::live::{CceClient, ClientOptions, Credentials, RetryPolicy, convert, fetch, wire};
use poolform::model::{
    ClusterId, ClusterName, Desired, DesiredCluster, DesiredPool, Ensure, Lifecycle, Login,
    MaxUnavailable, NodeTemplate, PoolAddress, Rollout, Runtime, Volume,
};
use poolform::plan::{Plan, StepKind, build_plan};
use poolform::sim::{self, Faults, LoggedRequest, SimConfig, SimHandle, SimState};
use tokio::sync::mpsc;

const CLUSTER: &str = "prod";
const CLUSTER_ID: &str = "c-prod-0001";

/// The template the simulator's pools start with; the configurations below
/// change its post-install script, which only a reset applies.
fn template(post_install: &str) -> NodeTemplate {
    NodeTemplate {
        pool_type: "vm".into(),
        flavor: "c7.large.2".into(),
        az: "ap-southeast-1a".into(),
        os: "Huawei Cloud EulerOS 2.0".into(),
        runtime: Runtime {
            name: "containerd".into(),
            runtime_class: None,
        },
        login: Login {
            ssh_key: Some("kp-prod".into()),
            ..Login::default()
        },
        root_volume: Volume {
            volume_type: "GPSSD".into(),
            size: 50,
            ..Volume::default()
        },
        data_volumes: vec![Volume {
            volume_type: "GPSSD".into(),
            size: 100,
            ..Volume::default()
        }],
        max_pods: Some(110),
        lifecycle: Lifecycle {
            post_install: Some(post_install.into()),
            ..Lifecycle::default()
        },
        ..NodeTemplate::default()
    }
}

struct PoolSpec {
    name: &'static str,
    nodes: usize,
    max_unavailable: u32,
    depends_on: &'static [&'static str],
}

fn desired(pools: &[PoolSpec], cluster_cap: Option<u32>) -> Desired {
    Desired {
        cloud: Default::default(),
        clusters: BTreeMap::from([(
            ClusterName::from(CLUSTER),
            DesiredCluster {
                name: ClusterName::from(CLUSTER),
                id: ClusterId::from(CLUSTER_ID),
                max_unavailable: cluster_cap,
                cloud: poolform::model::CloudSettings::default(),
            },
        )]),
        pools: pools
            .iter()
            .map(|pool| {
                (
                    PoolAddress::from(pool.name),
                    DesiredPool {
                        address: PoolAddress::from(pool.name),
                        cluster: ClusterName::from(CLUSTER),
                        name: pool.name.into(),
                        ensure: Ensure::Present,
                        template: template("echo v2"),
                        node_count: None,
                        autoscaling: None,
                        server_group: None,
                        rollout: Rollout {
                            max_unavailable: MaxUnavailable::Count(pool.max_unavailable),
                            depends_on: pool
                                .depends_on
                                .iter()
                                .map(|address| PoolAddress::from(*address))
                                .collect(),
                            ..Rollout::default()
                        },
                    },
                )
            })
            .collect(),
        digest: "test".into(),
    }
}

/// A simulator at 1000x (a 60 s reset takes 60 ms) holding the pools with
/// the old script; returns it and the pool ids by name.
async fn start_sim(pools: &[PoolSpec]) -> (SimHandle, BTreeMap<String, String>) {
    start_sim_with(pools, template("echo v1")).await
}

/// Like [`start_sim`], the pools built from `old`.
async fn start_sim_with(
    pools: &[PoolSpec],
    old: NodeTemplate,
) -> (SimHandle, BTreeMap<String, String>) {
    let mut state = SimState::new();
    let mut ids = BTreeMap::new();
    for pool in pools {
        let body = wire::NodePool {
            metadata: wire::NodePoolMetadata {
                name: pool.name.into(),
                ..Default::default()
            },
            spec: wire::NodePoolSpec {
                pool_type: Some("vm".into()),
                node_template: convert::template_to_wire(&old, None),
                ..Default::default()
            },
            ..Default::default()
        };
        let body = serde_json::to_value(&body).expect("json");
        let id = state
            .add_pool_json(CLUSTER_ID, &body, pool.nodes)
            .expect("seed");
        ids.insert(pool.name.to_owned(), id);
    }
    let config = SimConfig {
        time_scale: 1000.0,
        ..SimConfig::default()
    };
    let sim = sim::start(config, state).await.expect("simulator starts");
    (sim, ids)
}

fn client(sim: &SimHandle) -> CceClient {
    let endpoint = sim.endpoint().parse().expect("endpoint is a URL");
    let mut options = ClientOptions::new(endpoint, sim.project_id(), Credentials::token("t"));
    options.retry = RetryPolicy {
        max_attempts: 6,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(50),
        throttle_window: Duration::ZERO,
    };
    CceClient::new(options).expect("client builds")
}

async fn make_plan(client: &CceClient, desired: &Desired) -> Plan {
    let live = fetch(client, &desired.cluster_ids(), 4)
        .await
        .expect("live state reads");
    build_plan(desired, &live, &[]).expect("plan builds")
}

fn options() -> ApplyOptions {
    ApplyOptions {
        poll_interval: Duration::from_millis(10),
        // Plan durations (30 min batch timeout) become 18 s.
        time_scale: 100.0,
        pool_timeout: Duration::from_secs(20),
        ..ApplyOptions::default()
    }
}

/// Applies with a watcher that sees every event as it comes and may react
/// (set faults, cancel); returns the report and the events.
async fn apply_watched(
    client: &CceClient,
    plan: &Plan,
    options: &ApplyOptions,
    cancel: &CancelToken,
    mut watch: impl FnMut(&Event) + Send + 'static,
) -> (ApplyReport, Vec<Event>) {
    let (sender, mut receiver) = mpsc::unbounded_channel();
    let watcher = tokio::spawn(async move {
        let mut events = Vec::new();
        while let Some(event) = receiver.recv().await {
            watch(&event);
            events.push(event);
        }
        events
    });
    let report = tokio::time::timeout(
        Duration::from_secs(60),
        apply::apply(client, plan, options, &sender, cancel),
    )
    .await
    .expect("apply finishes within a minute")
    .expect("plan is valid");
    drop(sender);
    let events = watcher.await.expect("watcher ends");
    (report, events)
}

/// Sync requests in the simulator's log: (pool id, node ids).
fn sync_requests(log: &[LoggedRequest]) -> Vec<(String, Vec<String>)> {
    log.iter()
        .filter(|request| request.method == "POST" && request.path.contains("/operation/upgrade"))
        .map(|request| {
            let body = request.body.clone().unwrap_or_default();
            let pool = body["spec"]["nodePoolID"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let nodes = body["spec"]["nodeIDs"]
                .as_array()
                .map(|ids| {
                    ids.iter()
                        .filter_map(|id| id.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            (pool, nodes)
        })
        .collect()
}

/// Every node id in the sync requests, checking none appears twice.
fn reset_once(log: &[LoggedRequest]) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    for (_, nodes) in sync_requests(log) {
        for node in nodes {
            assert!(seen.insert(node.clone()), "node {node} was reset twice");
        }
    }
    seen
}

fn batches_of(plan: &Plan, address: &str) -> Vec<Vec<String>> {
    plan.steps
        .iter()
        .filter(|step| step.address.as_str() == address)
        .filter_map(|step| match &step.kind {
            StepKind::SyncBatch { request, .. } => {
                Some(request.node_ids.iter().map(|id| id.0.clone()).collect())
            }
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forty_nodes_go_in_ten_batches_within_the_budget_and_converge() {
    let pools = [PoolSpec {
        name: "app",
        nodes: 40,
        max_unavailable: 4,
        depends_on: &[],
    }];
    let (sim, ids) = start_sim(&pools).await;
    let client = client(&sim);
    let desired = desired(&pools, None);
    let plan = make_plan(&client, &desired).await;
    assert_eq!(batches_of(&plan, "app").len(), 10);

    let (report, _) = apply_watched(&client, &plan, &options(), &CancelToken::new(), |_| {}).await;
    assert!(report.succeeded(), "{report:#?}");
    assert_eq!(report.nodes_reset().len(), 40);

    let log = sim.request_log();
    let syncs = sync_requests(&log);
    assert_eq!(syncs.len(), 10);
    assert!(syncs.iter().all(|(_, nodes)| nodes.len() == 4), "{syncs:?}");
    assert_eq!(reset_once(&log).len(), 40);
    let peak = sim.peak_unavailable(&ids["app"]);
    assert!((1..=4).contains(&peak), "peak {peak}");

    // Live state is the journal: planning again finds nothing to do.
    let again = make_plan(&client, &desired).await;
    assert!(!again.has_changes(), "{:#?}", again.steps);
}

/// The library's front door (`poolform::plan`, `poolform::apply`) is the
/// same pipeline: it plans the stale pool, carries the plan out within the
/// budget, and plans nothing afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_front_door_plans_applies_and_converges() {
    let pools = [PoolSpec {
        name: "app",
        nodes: 6,
        max_unavailable: 2,
        depends_on: &[],
    }];
    let (sim, ids) = start_sim(&pools).await;
    let client = client(&sim);
    let desired = desired(&pools, None);

    let plan = poolform::plan(&client, &desired, &[]).await.expect("plans");
    assert_eq!(batches_of(&plan, "app").len(), 3);
    let report = poolform::apply(&client, &plan, &options(), &apply::NoEvents)
        .await
        .expect("a valid plan");
    assert!(report.succeeded(), "{report:#?}");
    assert_eq!(reset_once(&sim.request_log()).len(), 6);
    assert!(sim.peak_unavailable(&ids["app"]) <= 2);

    let again = poolform::plan(&client, &desired, &[]).await.expect("plans");
    assert!(!again.has_changes(), "{:#?}", again.steps);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_pools_in_parallel_stay_under_the_cluster_cap() {
    let pools = [
        PoolSpec {
            name: "web",
            nodes: 12,
            max_unavailable: 4,
            depends_on: &[],
        },
        PoolSpec {
            name: "api",
            nodes: 12,
            max_unavailable: 4,
            depends_on: &[],
        },
    ];
    let (sim, ids) = start_sim(&pools).await;
    let client = client(&sim);
    let desired = desired(&pools, Some(5));
    let plan = make_plan(&client, &desired).await;

    let (report, events) =
        apply_watched(&client, &plan, &options(), &CancelToken::new(), |_| {}).await;
    assert!(report.succeeded(), "{report:#?}");
    assert_eq!(reset_once(&sim.request_log()).len(), 24);
    let cluster_peak = sim.cluster_peak_unavailable(CLUSTER_ID);
    assert!(
        (1..=5).contains(&cluster_peak),
        "cluster peak {cluster_peak}"
    );
    assert!(sim.peak_unavailable(&ids["web"]) <= 4);
    assert!(sim.peak_unavailable(&ids["api"]) <= 4);
    // Both pools ran at once (the cap made one of them wait at least once).
    let waited = events
        .iter()
        .any(|event| matches!(event, Event::WaitingForBudget { reason, .. } if reason.contains("cluster prod")));
    assert!(waited, "no batch ever waited for the cluster cap");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn room_under_the_cluster_cap_goes_first_to_the_pool_with_more_batches_left() {
    // Pools whose template already matches but whose nodes are stale (the
    // OS moved on in the console), so the plan is sync batches only, all
    // ready at once: alpha has one batch, beta two. The cap fits one batch.
    let pools = [
        PoolSpec {
            name: "alpha",
            nodes: 2,
            max_unavailable: 2,
            depends_on: &[],
        },
        PoolSpec {
            name: "beta",
            nodes: 4,
            max_unavailable: 2,
            depends_on: &[],
        },
    ];
    let old = NodeTemplate {
        os: "EulerOS 2.9".into(),
        ..template("echo v2")
    };
    let (sim, ids) = start_sim_with(&pools, old).await;
    for pool in ["alpha", "beta"] {
        sim.outside_change(&poolform::sim::OutsideChange::Pool {
            cluster_id: CLUSTER_ID.into(),
            pool_id: ids[pool].clone(),
            patch: serde_json::json!({"spec": {"nodeTemplate": {"os": "Huawei Cloud EulerOS 2.0"}}}),
        })
        .expect("outside change applies");
    }
    let client = client(&sim);
    let desired = desired(&pools, Some(2));
    let plan = make_plan(&client, &desired).await;
    assert!(
        plan.steps
            .iter()
            .all(|step| matches!(step.kind, poolform::plan::StepKind::SyncBatch { .. })),
        "{:#?}",
        plan.steps
    );
    assert_eq!(batches_of(&plan, "alpha").len(), 1);
    assert_eq!(batches_of(&plan, "beta").len(), 2);

    let (report, events) =
        apply_watched(&client, &plan, &options(), &CancelToken::new(), |_| {}).await;
    assert!(report.succeeded(), "{report:#?}");
    let posted: Vec<(String, usize)> = events
        .iter()
        .filter_map(|event| match event {
            Event::BatchPosted { step, number, .. } => {
                Some((plan.steps[*step].address.to_string(), *number))
            }
            _ => None,
        })
        .collect();
    // beta's first batch has a batch after it, so it goes before alpha's,
    // though alpha comes first in the plan; then alpha's (first in the
    // plan among batches with nothing after them), then beta's last.
    assert_eq!(
        posted,
        vec![("beta".into(), 1), ("alpha".into(), 1), ("beta".into(), 2)],
        "{events:#?}"
    );
    assert!(sim.cluster_peak_unavailable(CLUSTER_ID) <= 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_a_turn_under_the_cluster_cap_behind_the_run_s_own_batches_is_not_a_stuck_budget() {
    // Two pools whose one batch each fills the cap: the second waits a whole
    // reset for the first, far longer than the budget wait, which bounds
    // only waits for nodes down outside the run.
    let pools = [
        PoolSpec {
            name: "alpha",
            nodes: 2,
            max_unavailable: 2,
            depends_on: &[],
        },
        PoolSpec {
            name: "beta",
            nodes: 2,
            max_unavailable: 2,
            depends_on: &[],
        },
    ];
    let (sim, _ids) = start_sim(&pools).await;
    let client = client(&sim);
    let plan = make_plan(&client, &desired(&pools, Some(2))).await;
    let options = ApplyOptions {
        budget_wait: Some(Duration::from_millis(1)),
        ..options()
    };
    let (report, events) =
        apply_watched(&client, &plan, &options, &CancelToken::new(), |_| {}).await;
    assert!(report.succeeded(), "{report:#?}");
    let waited = events.iter().any(|event| {
        matches!(event, Event::WaitingForBudget { reason, .. } if reason.contains("cluster prod"))
    });
    assert!(waited, "one batch waited for the other: {events:#?}");
    assert_eq!(reset_once(&sim.request_log()).len(), 4);
    assert!(sim.cluster_peak_unavailable(CLUSTER_ID) <= 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_reset_stops_its_pool_and_dependents_but_not_others() {
    let pools = [
        PoolSpec {
            name: "base",
            nodes: 8,
            max_unavailable: 2,
            depends_on: &[],
        },
        PoolSpec {
            name: "edge",
            nodes: 4,
            max_unavailable: 2,
            depends_on: &["base"],
        },
        PoolSpec {
            name: "solo",
            nodes: 4,
            max_unavailable: 2,
            depends_on: &[],
        },
    ];
    let (sim, ids) = start_sim(&pools).await;
    let client = client(&sim);
    let desired = desired(&pools, None);
    let plan = make_plan(&client, &desired).await;
    let base_batches = batches_of(&plan, "base");
    assert_eq!(base_batches.len(), 4);
    let broken = base_batches[1][0].clone();
    let broken_name = sim
        .state()
        .node(CLUSTER_ID, &broken)
        .map(|node| node.metadata.name.clone())
        .expect("node exists");
    // A script change that CCE flags (the knob widens what it documents):
    // this test is about what a failure stops, and the fresh plan below
    // must see the nodes left over without poolform's journal, which only
    // the CLI keeps.
    sim.set_faults(Faults {
        fail_reset_nodes: BTreeSet::from([broken.clone()]),
        stale_fields: BTreeSet::from(["os".into(), "runtime".into(), "scripts".into()]),
        ..Faults::default()
    });

    let (report, _) = apply_watched(&client, &plan, &options(), &CancelToken::new(), |_| {}).await;
    assert!(!report.succeeded());
    assert_eq!(report.failed.len(), 1, "{report:#?}");
    let failed = &report.failed[0];
    assert_eq!(failed.step.address.as_str(), "base");
    assert!(
        failed.step.what.starts_with("sync batch 2/4"),
        "{}",
        failed.step.what
    );
    assert!(failed.error.contains(&broken_name), "{}", failed.error);
    assert!(failed.nodes.iter().any(|node| node.id == broken));
    // Later batches of base and everything of edge were skipped; solo finished.
    let skipped: BTreeSet<(&str, &str)> = report
        .skipped
        .iter()
        .map(|skipped| (skipped.step.address.as_str(), skipped.step.what.as_str()))
        .collect();
    assert!(
        skipped
            .iter()
            .any(|(address, what)| *address == "base" && what.starts_with("sync batch 3/4"))
    );
    assert!(
        skipped
            .iter()
            .any(|(address, what)| *address == "base" && what.starts_with("sync batch 4/4"))
    );
    assert!(skipped.iter().all(|(address, _)| *address != "solo"));
    let edge_steps = plan
        .steps
        .iter()
        .filter(|step| step.address.as_str() == "edge")
        .count();
    assert_eq!(
        skipped
            .iter()
            .filter(|(address, _)| *address == "edge")
            .count(),
        edge_steps
    );
    assert!(
        report
            .completed
            .iter()
            .any(|step| step.step.address.as_str() == "solo")
    );

    // The simulator saw exactly two sync requests for base, none for edge.
    let syncs = sync_requests(&sim.request_log());
    assert_eq!(
        syncs
            .iter()
            .filter(|(pool, _)| *pool == ids["base"])
            .count(),
        2
    );
    assert_eq!(
        syncs
            .iter()
            .filter(|(pool, _)| *pool == ids["edge"])
            .count(),
        0
    );
    assert_eq!(
        syncs
            .iter()
            .filter(|(pool, _)| *pool == ids["solo"])
            .count(),
        2
    );

    // A fresh plan shows exactly what remains of base: batches 3 and 4 and
    // the node that failed.
    let fresh = make_plan(&client, &desired).await;
    let base = fresh
        .pools
        .iter()
        .find(|pool| pool.address.as_str() == "base")
        .and_then(|pool| pool.sync.as_ref())
        .expect("base still has nodes to sync");
    let remaining: BTreeSet<String> = base
        .stale_nodes
        .iter()
        .chain(base.skipped.iter())
        .map(|stale| stale.node.id.0.clone())
        .collect();
    let mut expected: BTreeSet<String> = base_batches[2..]
        .iter()
        .flat_map(|batch| batch.iter().cloned())
        .collect();
    expected.insert(broken);
    assert_eq!(remaining, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_and_server_errors_on_reads_are_ridden_out() {
    let pools = [PoolSpec {
        name: "app",
        nodes: 6,
        max_unavailable: 2,
        depends_on: &[],
    }];
    let (sim, ids) = start_sim(&pools).await;
    let sim = std::sync::Arc::new(sim);
    let client = client(&sim);
    let desired = desired(&pools, None);
    let plan = make_plan(&client, &desired).await;
    // Every time something happens, the next reads fail a few times in a
    // row: throttling from the gateway and from CCE, and server errors.
    let control = std::sync::Arc::clone(&sim);
    let injected = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = std::sync::Arc::clone(&injected);
    let mut queued = 0;
    let (report, _) = apply_watched(&client, &plan, &options(), &CancelToken::new(), move |_| {
        // Count what the previous round actually answered with an error.
        let left = control.faults().fail_next.len();
        counter.fetch_add(queued - left, std::sync::atomic::Ordering::Relaxed);
        queued = 4;
        control.set_faults(Faults {
            fail_next: vec![429, 503, 429, 500],
            ..Faults::default()
        });
    })
    .await;
    let injected = injected.load(std::sync::atomic::Ordering::Relaxed);
    assert!(injected >= 8, "only {injected} faults were answered");
    assert!(report.succeeded(), "{report:#?}");
    assert_eq!(reset_once(&sim.request_log()).len(), 6);
    assert!(sim.peak_unavailable(&ids["app"]) <= 2);
    assert!(!make_plan(&client, &desired).await.has_changes());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graceful_stop_finishes_the_batch_in_flight_and_starts_nothing_new() {
    let pools = [PoolSpec {
        name: "app",
        nodes: 6,
        max_unavailable: 2,
        depends_on: &[],
    }];
    let (sim, _) = start_sim(&pools).await;
    let client = client(&sim);
    let plan = make_plan(&client, &desired(&pools, None)).await;
    let cancel = CancelToken::new();
    let trigger = cancel.clone();
    let (report, events) = apply_watched(&client, &plan, &options(), &cancel, move |event| {
        if matches!(event, Event::BatchPosted { .. }) {
            trigger.cancel(CancelLevel::Graceful);
        }
    })
    .await;
    let interruption = report.interrupted.as_ref().expect("interrupted");
    assert_eq!(interruption.level, CancelLevel::Graceful);
    // The first batch was waited for and finished; the other two never started.
    let batches_done: Vec<&str> = report
        .completed
        .iter()
        .map(|step| step.step.what.as_str())
        .filter(|what| what.starts_with("sync batch"))
        .collect();
    assert_eq!(batches_done, vec!["sync batch 1/3 (2 nodes)"]);
    assert_eq!(report.skipped.len(), 2, "{report:#?}");
    assert_eq!(sync_requests(&sim.request_log()).len(), 1);
    assert!(events.iter().any(|event| matches!(
        event,
        Event::Interrupted {
            level: CancelLevel::Graceful,
            ..
        }
    )));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_hard_stop_the_same_plan_resets_no_node_twice() {
    let pools = [PoolSpec {
        name: "app",
        nodes: 6,
        max_unavailable: 2,
        depends_on: &[],
    }];
    let (sim, _) = start_sim(&pools).await;
    let client = client(&sim);
    let desired = desired(&pools, None);
    let plan = make_plan(&client, &desired).await;

    // Stop at once as soon as the second batch is posted.
    let cancel = CancelToken::new();
    let trigger = cancel.clone();
    let (report, _) = apply_watched(&client, &plan, &options(), &cancel, move |event| {
        if let Event::BatchPosted { number: 2, .. } = event {
            trigger.cancel(CancelLevel::Immediate);
        }
    })
    .await;
    let interruption = report.interrupted.as_ref().expect("interrupted");
    assert_eq!(interruption.level, CancelLevel::Immediate);
    assert_eq!(interruption.in_flight.len(), 1);
    assert!(
        interruption.in_flight[0]
            .step
            .what
            .starts_with("sync batch 2/3")
    );
    assert!(interruption.in_flight[0].job_id.is_some());

    // The same (now partly done) plan again: batches 1 and 2 are found done
    // (batch 2 after it settles) and only batch 3 is sent.
    let (rerun, _) = apply_watched(&client, &plan, &options(), &CancelToken::new(), |_| {}).await;
    assert!(rerun.succeeded(), "{rerun:#?}");
    let log = sim.request_log();
    assert_eq!(reset_once(&log).len(), 6);
    assert_eq!(sync_requests(&log).len(), 3);
    assert!(!make_plan(&client, &desired).await.has_changes());
}

// ---------------------------------------------------------------------------
// The real binary against the simulator (in this process, over HTTP).

mod cli {
    use std::io::{BufRead as _, BufReader};
    use std::path::Path;
    use std::process::{Child, Command, Output, Stdio};
    use std::time::Instant;

    use super::*;

    /// A node password the tests put in the environment; it must appear in
    /// no output and no file.
    pub(super) const SECRET: &str = "Zq7!secretPassw0rd";

    /// A simulator where a reset takes `reset_ms` real milliseconds.
    pub(super) async fn start_slow_sim(
        pools: &[PoolSpec],
        reset_ms: u64,
    ) -> (SimHandle, BTreeMap<String, String>) {
        let (sim, ids) = start_sim(pools).await;
        let state = sim.state();
        drop(sim);
        // 60 s resets at a scale that makes them `reset_ms` long.
        let config = SimConfig {
            time_scale: 60_000.0 / reset_ms as f64,
            ..SimConfig::default()
        };
        let sim = sim::start(config, state).await.expect("simulator starts");
        (sim, ids)
    }

    /// A configuration directory for the pools, pointing at the simulator.
    pub(super) fn write_config(
        dir: &Path,
        sim: &SimHandle,
        pools: &[PoolSpec],
        password_env: Option<&str>,
    ) {
        let login = match password_env {
            Some(env) => {
                format!("login = {{ password = {{ env = \"{env}\", username = \"root\" }} }}")
            }
            None => "login = { ssh_key = \"kp-prod\" }".to_owned(),
        };
        let mut text = format!(
            "[cloud]\nendpoint = \"{}\"\nproject_id = \"{}\"\n\n[clusters.{CLUSTER}]\nid = \"{CLUSTER_ID}\"\n",
            sim.endpoint(),
            sim.project_id()
        );
        for pool in pools {
            let depends: Vec<String> = pool.depends_on.iter().map(|d| format!("\"{d}\"")).collect();
            text.push_str(&format!(
                "\n[pools.{name}]\ncluster = \"{CLUSTER}\"\nname = \"{name}\"\nflavor = \"c7.large.2\"\n\
                 az = \"ap-southeast-1a\"\nos = \"Huawei Cloud EulerOS 2.0\"\nruntime = \"containerd\"\n{login}\n\
                 root_volume = {{ type = \"GPSSD\", size = 50 }}\ndata_volumes = [{{ type = \"GPSSD\", size = 100 }}]\n\
                 max_pods = 110\n\n[pools.{name}.lifecycle]\npost_install = \"echo v2\"\n\n\
                 [pools.{name}.rollout]\nmax_unavailable = {max}\ndepends_on = [{depends}]\n",
                name = pool.name,
                max = pool.max_unavailable,
                depends = depends.join(", "),
            ));
        }
        std::fs::write(dir.join("poolform.toml"), text).expect("config written");
    }

    pub(super) fn poolform(args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_poolform"));
        command
            .args(args)
            .env("CLOUD_SDK_AK", "AKTEST")
            .env("CLOUD_SDK_SK", "SKTEST")
            .env("NODE_PASSWORD", SECRET)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        command
    }

    /// Runs the binary to the end (killing it after a minute, so a hang
    /// fails the test with the output so far), off the runtime's threads.
    pub(super) async fn run(command: Command) -> Output {
        let mut child = spawn(command);
        tokio::task::spawn_blocking(move || {
            let mut stdout = child.stdout.take().expect("stdout piped");
            let mut stderr = child.stderr.take().expect("stderr piped");
            let out = std::thread::spawn(move || {
                let mut bytes = Vec::new();
                let _ = std::io::Read::read_to_end(&mut stdout, &mut bytes);
                bytes
            });
            let err = std::thread::spawn(move || {
                let mut bytes = Vec::new();
                let _ = std::io::Read::read_to_end(&mut stderr, &mut bytes);
                bytes
            });
            let deadline = Instant::now() + Duration::from_secs(60);
            let status = loop {
                if let Some(status) = child.try_wait().expect("child waitable") {
                    break status;
                }
                if Instant::now() >= deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    let stderr = text(&err.join().unwrap_or_default());
                    panic!("poolform did not finish within a minute; stderr:\n{stderr}");
                }
                std::thread::sleep(Duration::from_millis(20));
            };
            Output {
                status,
                stdout: out.join().unwrap_or_default(),
                stderr: err.join().unwrap_or_default(),
            }
        })
        .await
        .expect("runner joins")
    }

    /// Starts `poolform apply` with piped output.
    pub(super) fn spawn(mut command: Command) -> Child {
        command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("poolform starts")
    }

    /// Reads the child's stderr until a line contains `needle`; returns the
    /// lines read. The rest of stderr keeps flowing into the returned reader.
    pub(super) async fn wait_for_line(
        child: &mut Child,
        needle: &'static str,
    ) -> (Vec<String>, BufReader<std::process::ChildStderr>) {
        let stderr = child.stderr.take().expect("stderr piped");
        tokio::task::spawn_blocking(move || {
            let mut reader = BufReader::new(stderr);
            let mut lines = Vec::new();
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                let mut line = String::new();
                let read = reader.read_line(&mut line).expect("stderr readable");
                assert!(read > 0, "stderr ended before {needle:?}: {lines:#?}");
                let found = line.contains(needle);
                lines.push(line);
                if found {
                    return (lines, reader);
                }
                assert!(Instant::now() < deadline, "no {needle:?} within 30 s");
            }
        })
        .await
        .expect("reader joins")
    }

    /// Reads the rest of a child's stderr (after [`wait_for_line`]) and
    /// waits for it to end; returns its whole stderr and its output.
    pub(super) async fn finish(
        child: Child,
        mut lines: Vec<String>,
        mut reader: BufReader<std::process::ChildStderr>,
    ) -> (String, Output) {
        let (rest, output) = tokio::task::spawn_blocking(move || {
            let mut rest = String::new();
            let _ = std::io::Read::read_to_string(&mut reader, &mut rest);
            (rest, child.wait_with_output().expect("poolform ends"))
        })
        .await
        .expect("waiter joins");
        lines.push(rest);
        (lines.concat(), output)
    }

    /// Sends `signal` (`TERM`, `INT`) to the child once a line of its
    /// stderr contains `needle`, and waits for it to end; returns the whole
    /// of stderr, the output, and how long it ran after the signal.
    pub(super) async fn signal_on_line(
        mut child: Child,
        needle: &'static str,
        signal: &str,
    ) -> (String, Output, Duration) {
        let (lines, reader) = wait_for_line(&mut child, needle).await;
        let signalled = Instant::now();
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        let (stderr, output) = finish(child, lines, reader).await;
        (stderr, output, signalled.elapsed())
    }

    pub(super) fn text(bytes: &[u8]) -> String {
        String::from_utf8_lossy(bytes).into_owned()
    }
}

fn app_pool(nodes: usize) -> [PoolSpec; 1] {
    [PoolSpec {
        name: "app",
        nodes,
        max_unavailable: 2,
        depends_on: &[],
    }]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_applies_a_configuration_and_plans_no_changes_after() {
    let pools = app_pool(4);
    let (sim, _) = start_sim(&pools).await;
    let dir = tempfile::tempdir().expect("temp dir");
    cli::write_config(dir.path(), &sim, &pools, None);
    let config = dir.path().to_string_lossy().into_owned();

    let output = cli::run(cli::poolform(&[
        "apply",
        &config,
        "--auto-approve",
        "--poll-interval",
        "20ms",
    ]))
    .await;
    let (stdout, stderr) = (cli::text(&output.stdout), cli::text(&output.stderr));
    assert!(
        output.status.success(),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.contains("Apply complete!"), "{stdout}");
    assert!(stderr.contains("sync requested (job "), "{stderr}");
    assert_eq!(reset_once(&sim.request_log()).len(), 4);

    // Planned again, nothing is left.
    let client = client(&sim);
    let desired = poolform::config::load(dir.path()).expect("config loads");
    assert!(!make_plan(&client, &desired).await.has_changes());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_without_a_terminal_or_auto_approve_refuses() {
    let pools = app_pool(2);
    let (sim, _) = start_sim(&pools).await;
    let dir = tempfile::tempdir().expect("temp dir");
    cli::write_config(dir.path(), &sim, &pools, None);
    let config = dir.path().to_string_lossy().into_owned();
    let output = cli::run(cli::poolform(&["apply", &config])).await;
    assert_eq!(output.status.code(), Some(1));
    let stderr = cli::text(&output.stderr);
    assert!(
        stderr.contains("standard input is not a terminal"),
        "{stderr}"
    );
    assert!(stderr.contains("--auto-approve"), "{stderr}");
    assert!(sim.request_log().is_empty(), "{:#?}", sim.request_log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_refuses_a_stale_saved_plan_and_sends_nothing() {
    let pools = app_pool(4);
    let (sim, ids) = start_sim(&pools).await;
    let dir = tempfile::tempdir().expect("temp dir");
    cli::write_config(dir.path(), &sim, &pools, None);
    let desired = poolform::config::load(dir.path()).expect("config loads");
    let plan = make_plan(&client(&sim), &desired).await;
    let saved = dir.path().join("plan.json");
    std::fs::write(&saved, poolform::plan::save(&plan)).expect("plan saved");

    // Someone changes the pool in the console.
    sim.outside_change(&poolform::sim::OutsideChange::Pool {
        cluster_id: CLUSTER_ID.into(),
        pool_id: ids["app"].clone(),
        patch: serde_json::json!({"spec": {"nodeTemplate": {"k8sTags": {"team": "someone-else"}}}}),
    })
    .expect("outside change applies");
    let before = sim.request_log().len();

    let output = cli::run(cli::poolform(&[
        "apply",
        &saved.to_string_lossy(),
        "--poll-interval",
        "20ms",
    ]))
    .await;
    assert_eq!(output.status.code(), Some(1));
    let stderr = cli::text(&output.stderr);
    assert!(stderr.contains("plan is stale"), "{stderr}");
    assert!(stderr.contains("pool app"), "{stderr}");
    assert_eq!(sim.request_log().len(), before, "{:#?}", sim.request_log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_applies_a_fresh_saved_plan_without_asking_and_leaks_no_secret() {
    let pools = [
        PoolSpec {
            name: "app",
            nodes: 4,
            max_unavailable: 2,
            depends_on: &[],
        },
        PoolSpec {
            name: "web",
            nodes: 2,
            max_unavailable: 1,
            depends_on: &[],
        },
    ];
    // The nodes already log in with a password; the plan changes their script.
    let mut old = template("echo v1");
    old.login = Login {
        password: Some(poolform::model::PasswordRef {
            username: "root".into(),
            env: "NODE_PASSWORD".into(),
        }),
        ..Login::default()
    };
    let (sim, _) = start_sim_with(&pools, old).await;
    let dir = tempfile::tempdir().expect("temp dir");
    cli::write_config(dir.path(), &sim, &pools, Some("NODE_PASSWORD"));
    let desired = poolform::config::load(dir.path()).expect("config loads");
    let saved = dir.path().join("plan.json");

    // One saved plan per pool: the first applied with JSON events, the
    // second with plain lines. Neither asks (stdin is not a terminal).
    for (pool, json) in [("app", true), ("web", false)] {
        let live = fetch(&client(&sim), &desired.cluster_ids(), 4)
            .await
            .expect("live state reads");
        let plan = build_plan(&desired, &live, &[PoolAddress::from(pool)]).expect("plan builds");
        std::fs::write(&saved, poolform::plan::save(&plan)).expect("plan saved");
        assert!(
            !std::fs::read_to_string(&saved)
                .expect("plan readable")
                .contains(cli::SECRET)
        );
        let mut args = vec![
            "apply",
            saved.to_str().expect("utf-8 path"),
            "--poll-interval",
            "20ms",
        ];
        if json {
            args.push("--json");
        }
        let output = cli::run(cli::poolform(&args)).await;
        let (stdout, stderr) = (cli::text(&output.stdout), cli::text(&output.stderr));
        assert!(
            output.status.success(),
            "stdout:\n{stdout}\nstderr:\n{stderr}"
        );
        assert!(!stdout.contains(cli::SECRET) && !stderr.contains(cli::SECRET));
        assert!(stdout.contains("Apply complete!"), "{stdout}");
        if json {
            // Every progress line is a JSON event, and the batches are there.
            let events: Vec<serde_json::Value> = stderr
                .lines()
                .map(|line| serde_json::from_str(line).expect("a JSON line"))
                .collect();
            assert!(
                events
                    .iter()
                    .all(|event| event["event"].is_string() && event["time"].is_string())
            );
            let posted = events
                .iter()
                .filter(|event| event["event"] == "batch_posted")
                .count();
            assert_eq!(posted, 2, "{stderr}");
        } else {
            assert!(stderr.contains("sync requested (job "), "{stderr}");
        }
    }
    let state = serde_json::to_string(&sim.state()).expect("state serialises");
    assert!(!state.contains(cli::SECRET));
    let log = serde_json::to_string(&sim.request_log()).expect("log serialises");
    assert!(!log.contains(cli::SECRET));
    assert_eq!(reset_once(&sim.request_log()).len(), 6);
    assert!(!make_plan(&client(&sim), &desired).await.has_changes());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_sigint_once_finishes_the_batch_in_flight_then_stops() {
    let pools = app_pool(6);
    let (sim, _) = cli::start_slow_sim(&pools, 1500).await;
    let dir = tempfile::tempdir().expect("temp dir");
    cli::write_config(dir.path(), &sim, &pools, None);
    let config = dir.path().to_string_lossy().into_owned();
    let mut child = cli::spawn(cli::poolform(&[
        "apply",
        &config,
        "--auto-approve",
        "--poll-interval",
        "50ms",
    ]));
    let (lines, reader) = cli::wait_for_line(&mut child, "sync requested").await;
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let (stderr, output) = cli::finish(child, lines, reader).await;
    let stdout = cli::text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(1),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        stderr.contains("interrupted: finishing the work in flight"),
        "{stderr}"
    );
    assert!(stderr.contains("apply was interrupted"), "{stderr}");
    // The batch in flight finished; nothing new was started.
    assert!(
        stdout.contains("sync batch 1/3 (2 nodes): reset 2 nodes"),
        "{stdout}"
    );
    assert!(
        stdout.contains("skipped, apply was interrupted"),
        "{stdout}"
    );
    assert_eq!(sync_requests(&sim.request_log()).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_killed_mid_batch_then_planned_and_applied_again_resets_no_node_twice() {
    let pools = app_pool(6);
    let (sim, _) = cli::start_slow_sim(&pools, 1000).await;
    // The first sync runs; every later one is accepted and held unstarted,
    // the window in which CCE has a job whose nodes still look Active and
    // out of date.
    sim.set_faults(Faults {
        hold_jobs_after: Some(1),
        ..Faults::default()
    });
    let dir = tempfile::tempdir().expect("temp dir");
    cli::write_config(dir.path(), &sim, &pools, None);
    let config = dir.path().to_string_lossy().into_owned();
    let apply = || {
        cli::poolform(&[
            "apply",
            &config,
            "--auto-approve",
            "--poll-interval",
            "50ms",
        ])
    };
    let mut child = cli::spawn(apply());
    let _ = cli::wait_for_line(&mut child, "sync batch 2/3 (2 nodes): sync requested").await;
    child.kill().expect("SIGKILL delivered");
    let _ = child.wait();
    let first = sync_requests(&sim.request_log());
    assert_eq!(first.len(), 2);
    let held = &first[1].1;
    let state = sim.state();
    for id in held {
        let node = state.node(CLUSTER_ID, id).expect("held node exists");
        let status = node.status.as_ref().expect("node status");
        assert_eq!(status.phase, "Active", "the held job has not started");
    }

    // The rerun plans those nodes again (the rollout journal lists them: CCE
    // shows nothing of a script change), but must see the sync in flight and
    // wait for it instead of posting them a second time.
    let mut child = cli::spawn(apply());
    let (lines, reader) = cli::wait_for_line(&mut child, "sync in flight").await;
    assert_eq!(
        sync_requests(&sim.request_log()).len(),
        2,
        "nothing was posted while the other sync was in flight"
    );
    sim.set_faults(Faults::default());
    let (stderr, output) = cli::finish(child, lines, reader).await;
    let stdout = cli::text(&output.stdout);
    assert!(
        output.status.success(),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.contains("already up to date"), "{stdout}");
    let log = sim.request_log();
    assert_eq!(reset_once(&log).len(), 6);
    assert_eq!(sync_requests(&log).len(), 3);
    let desired = poolform::config::load(dir.path()).expect("config loads");
    assert!(!make_plan(&client(&sim), &desired).await.has_changes());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_naming_nodes_queued_in_another_job_is_refused() {
    let pools = app_pool(4);
    let (sim, _) = start_sim(&pools).await;
    sim.set_faults(Faults {
        hold_jobs_after: Some(0),
        ..Faults::default()
    });
    let desired = desired(&pools, None);
    let plan = make_plan(&client(&sim), &desired).await;
    let (pool, request) = plan
        .steps
        .iter()
        .find_map(|step| match &step.kind {
            StepKind::SyncBatch {
                pool_id, request, ..
            } => Some((pool_id.clone(), request.clone())),
            _ => None,
        })
        .expect("a sync batch");
    let body = poolform::live::body::sync_body(&pool, &request, None);
    let api = client(&sim);
    let cluster = ClusterId(CLUSTER_ID.to_owned());
    api.sync_nodes_wire(&cluster, &pool, &body)
        .await
        .expect("the first sync is accepted");
    let error = api
        .sync_nodes_wire(&cluster, &pool, &body)
        .await
        .expect_err("the same nodes cannot be queued twice");
    assert!(
        error.to_string().contains("409") || format!("{error:?}").contains("CCE.01409001"),
        "{error:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_example_applies_on_the_builtin_simulator_then_plans_no_changes() {
    for example in ["quickstart", "fleet", "default-pool", "password"] {
        let path = format!("{}/examples/{example}", env!("CARGO_MANIFEST_DIR"));
        let dir = tempfile::tempdir().expect("temp dir");
        let state = format!("--sim={}", dir.path().join("state.json").display());
        let output = cli::run(cli::poolform(&["apply", &path, &state, "--auto-approve"])).await;
        let (stdout, stderr) = (cli::text(&output.stdout), cli::text(&output.stderr));
        assert!(
            output.status.success(),
            "{example}:\nstdout:\n{stdout}\nstderr:\n{stderr}"
        );
        assert!(!stdout.contains(cli::SECRET) && !stderr.contains(cli::SECRET));
        let output = cli::run(cli::poolform(&[
            "plan",
            &path,
            &state,
            "--detailed-exitcode",
        ]))
        .await;
        let stdout = cli::text(&output.stdout);
        assert_eq!(output.status.code(), Some(0), "{example}:\n{stdout}");
        assert!(stdout.contains("No changes."), "{example}:\n{stdout}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_quickstart_applies_on_the_builtin_simulator_then_plans_no_changes() {
    let quickstart = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/quickstart");
    let dir = tempfile::tempdir().expect("temp dir");
    let state = format!("--sim={}", dir.path().join("state.json").display());
    let output = cli::run(cli::poolform(&[
        "apply",
        quickstart,
        &state,
        "--auto-approve",
    ]))
    .await;
    let (stdout, stderr) = (cli::text(&output.stdout), cli::text(&output.stderr));
    assert!(
        output.status.success(),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        stdout.contains("Plan: "),
        "the plan is shown first: {stdout}"
    );
    assert!(stdout.contains("Apply complete!"), "{stdout}");
    assert!(stdout.contains("reset 3 nodes"), "{stdout}");

    let output = cli::run(cli::poolform(&[
        "plan",
        quickstart,
        &state,
        "--detailed-exitcode",
    ]))
    .await;
    let stdout = cli::text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("No changes."), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_whose_answer_is_lost_is_followed_not_sent_again() {
    let pools = app_pool(4);
    let (sim, _) = start_sim(&pools).await;
    let sim = std::sync::Arc::new(sim);
    let desired = desired(&pools, None);
    let plan = make_plan(&client(&sim), &desired).await;
    // A client that gives up on an answer after 300 ms; the simulator
    // carries out the first sync but answers it only after a second.
    let endpoint = sim.endpoint().parse().expect("endpoint is a URL");
    let mut settings = ClientOptions::new(endpoint, sim.project_id(), Credentials::token("t"));
    settings.timeout = Duration::from_millis(300);
    let impatient = CceClient::new(settings).expect("client builds");
    let control = std::sync::Arc::clone(&sim);
    let (report, events) = apply_watched(
        &impatient,
        &plan,
        &options(),
        &CancelToken::new(),
        move |event| {
            // Once the pool update is done, slow down the next write: the sync.
            if let Event::StepFinished { step: 0, .. } = event {
                control.set_faults(Faults {
                    slow_next_writes: vec![1000],
                    ..Faults::default()
                });
            }
        },
    )
    .await;
    assert!(report.succeeded(), "{report:#?}");
    let lost = events
        .iter()
        .filter(|event| matches!(event, Event::BatchPosted { job_id: None, .. }))
        .count();
    assert_eq!(lost, 1, "exactly one batch was followed without its job");
    // The jobs show what was carried out: two syncs (not three), each node
    // reset once.
    let state = sim.state();
    let resets: Vec<&str> = state
        .jobs
        .values()
        .flat_map(|job| job.sub_jobs.iter())
        .filter(|sub| sub.job_type == "ResetNode")
        .map(|sub| sub.node_id.as_str())
        .collect();
    let distinct: BTreeSet<&str> = resets.iter().copied().collect();
    assert_eq!(resets.len(), 4, "{resets:?}");
    assert_eq!(distinct.len(), 4, "{resets:?}");
    let log = sim.request_log();
    // The simulator logs a write before it delays the answer, so the sync
    // whose answer was lost is logged too: two sync POSTs, no re-send.
    assert_eq!(
        sync_requests(&log).len(),
        2,
        "one sync POST per batch, none sent again: {log:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_down_outside_the_batch_holds_it_back_then_fails_it_clearly() {
    let pools = app_pool(4);
    let (sim, ids) = start_sim(&pools).await;
    let client = client(&sim);
    let plan = make_plan(&client, &desired(&pools, None)).await;
    // A node of the second batch goes Abnormal after the plan was made:
    // batch 1 (2 nodes) plus it would be 3 down in a pool allowing 2.
    let outsider = batches_of(&plan, "app")[1][0].clone();
    let outsider_name = sim
        .state()
        .node(CLUSTER_ID, &outsider)
        .map(|node| node.metadata.name.clone())
        .expect("node exists");
    sim.outside_change(&poolform::sim::OutsideChange::Node {
        cluster_id: CLUSTER_ID.into(),
        node_id: outsider.clone(),
        patch: serde_json::json!({"status": {"phase": "Abnormal"}}),
    })
    .expect("outside change applies");
    let options = ApplyOptions {
        budget_wait: Some(Duration::from_millis(300)),
        ..options()
    };
    let (report, events) =
        apply_watched(&client, &plan, &options, &CancelToken::new(), |_| {}).await;
    assert_eq!(report.failed.len(), 1, "{report:#?}");
    let failed = &report.failed[0];
    assert!(failed.step.what.starts_with("sync batch 1/2"));
    assert!(
        failed
            .error
            .contains("pool app allows 2 unavailable nodes, but 3 would be down"),
        "{}",
        failed.error
    );
    assert!(failed.error.contains(&outsider_name), "{}", failed.error);
    assert!(
        events
            .iter()
            .any(|event| matches!(event, Event::WaitingForBudget { .. }))
    );
    assert!(sync_requests(&sim.request_log()).is_empty());
    assert_eq!(sim.peak_unavailable(&ids["app"]), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fail_fast_stops_independent_pools_too() {
    let pools = [
        PoolSpec {
            name: "base",
            nodes: 4,
            max_unavailable: 1,
            depends_on: &[],
        },
        PoolSpec {
            name: "solo",
            nodes: 8,
            max_unavailable: 1,
            depends_on: &[],
        },
    ];
    let (sim, ids) = start_sim(&pools).await;
    let client = client(&sim);
    let plan = make_plan(&client, &desired(&pools, None)).await;
    let broken = batches_of(&plan, "base")[0][0].clone();
    sim.set_faults(Faults {
        fail_reset_nodes: BTreeSet::from([broken]),
        ..Faults::default()
    });
    let options = ApplyOptions {
        fail_fast: true,
        ..options()
    };
    let (report, _) = apply_watched(&client, &plan, &options, &CancelToken::new(), |_| {}).await;
    assert_eq!(report.failed.len(), 1, "{report:#?}");
    // solo's later batches were never started, for fail-fast's sake.
    assert!(report.skipped.iter().any(|skipped| {
        skipped.step.address.as_str() == "solo"
            && skipped.reason == poolform::apply::SkipReason::FailFast
    }));
    let solo_syncs = sync_requests(&sim.request_log())
        .iter()
        .filter(|(pool, _)| *pool == ids["solo"])
        .count();
    assert!(solo_syncs < 8, "solo ran to the end: {solo_syncs} batches");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_sigint_twice_stops_at_once_naming_the_batch_in_flight() {
    let pools = app_pool(4);
    let (sim, _) = cli::start_slow_sim(&pools, 5000).await;
    let dir = tempfile::tempdir().expect("temp dir");
    cli::write_config(dir.path(), &sim, &pools, None);
    let config = dir.path().to_string_lossy().into_owned();
    let mut child = cli::spawn(cli::poolform(&[
        "apply",
        &config,
        "--auto-approve",
        "--poll-interval",
        "50ms",
    ]));
    let (lines, reader) = cli::wait_for_line(&mut child, "sync requested").await;
    let pid = child.id().to_string();
    let started = Instant::now();
    for _ in 0..2 {
        let status = Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .expect("kill runs");
        assert!(status.success());
        std::thread::sleep(Duration::from_millis(200));
    }
    let (stderr, output) = cli::finish(child, lines, reader).await;
    let stdout = cli::text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(1),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    // It did not wait for the 5 s reset.
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "took {:?}",
        started.elapsed()
    );
    assert!(stderr.contains("apply was stopped at once"), "{stderr}");
    assert!(
        stderr.contains("in flight: app sync batch 1/2 (2 nodes) (job "),
        "{stderr}"
    );
    assert_eq!(sync_requests(&sim.request_log()).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_sigterm_stops_within_seconds_naming_the_batch_then_a_rerun_converges() {
    let pools = app_pool(4);
    // A reset takes a minute: only the grace after SIGTERM ends the wait.
    let (sim, _) = cli::start_slow_sim(&pools, 60_000).await;
    // CCE flags the script change here (the knob widens what it documents):
    // the rerun talks to a restarted simulator on another port, which the
    // rollout journal rightly treats as another cloud.
    sim.set_faults(Faults {
        stale_fields: BTreeSet::from(["os".into(), "runtime".into(), "scripts".into()]),
        ..Faults::default()
    });
    let dir = tempfile::tempdir().expect("temp dir");
    cli::write_config(dir.path(), &sim, &pools, None);
    let config = dir.path().to_string_lossy().into_owned();
    let child = cli::spawn(cli::poolform(&[
        "apply",
        &config,
        "--auto-approve",
        "--poll-interval",
        "50ms",
    ]));
    let (stderr, output, elapsed) = cli::signal_on_line(child, "sync requested", "TERM").await;
    let stdout = cli::text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(1),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
    // Graceful first, then at once when the grace ran out, naming the job.
    assert!(
        stderr.contains("terminated (SIGTERM): finishing the work in flight"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "did not finish within 3s of SIGTERM: stopping now; \
             in flight: app sync batch 1/2 (2 nodes) (job "
        ),
        "{stderr}"
    );
    assert!(stderr.contains("apply was stopped at once"), "{stderr}");
    // The summary is on stdout.
    assert!(stdout.contains("Apply incomplete after"), "{stdout}");
    assert!(
        stdout.contains(
            "Interrupted (stopped at once): in flight: app sync batch 1/2 (2 nodes) (job "
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("sync batch 2/2 (2 nodes): skipped, apply was interrupted"),
        "{stdout}"
    );
    assert_eq!(sync_requests(&sim.request_log()).len(), 1);

    // The same world, sped up, and the same configuration applied again.
    let state = sim.state();
    drop(sim);
    let config_fast = SimConfig {
        time_scale: 1000.0,
        ..SimConfig::default()
    };
    let sim = sim::start(config_fast, state)
        .await
        .expect("simulator starts");
    cli::write_config(dir.path(), &sim, &pools, None);
    let output = cli::run(cli::poolform(&[
        "apply",
        &config,
        "--auto-approve",
        "--poll-interval",
        "20ms",
    ]))
    .await;
    let (stdout, stderr) = (cli::text(&output.stdout), cli::text(&output.stderr));
    assert!(
        output.status.success(),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert_eq!(reset_once(&sim.request_log()).len(), 4);
    let desired = poolform::config::load(dir.path()).expect("config loads");
    // Whatever the rerun left out (nodes still resetting) finishes on its own.
    let deadline = Instant::now() + Duration::from_secs(10);
    while make_plan(&client(&sim), &desired).await.has_changes() {
        assert!(Instant::now() < deadline, "work remains after the rerun");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_sigterm_lets_a_batch_that_ends_within_the_grace_finish() {
    let pools = app_pool(6);
    // A reset takes 1.2 s, well within the 3 s grace.
    let (sim, _) = cli::start_slow_sim(&pools, 1200).await;
    let dir = tempfile::tempdir().expect("temp dir");
    cli::write_config(dir.path(), &sim, &pools, None);
    let config = dir.path().to_string_lossy().into_owned();
    let child = cli::spawn(cli::poolform(&[
        "apply",
        &config,
        "--auto-approve",
        "--poll-interval",
        "50ms",
    ]));
    let (stderr, output, _) = cli::signal_on_line(child, "sync requested", "TERM").await;
    let stdout = cli::text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(1),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        stderr.contains(
            "terminated (SIGTERM): finishing the work in flight and starting nothing new; \
             stopping at once in 3s; in flight: app sync batch 1/3 (2 nodes) (job "
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("stopping now"), "{stderr}");
    assert!(stderr.contains("apply was interrupted"), "{stderr}");
    assert!(
        stdout.contains("sync batch 1/3 (2 nodes): reset 2 nodes"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Interrupted (finished the work in flight, started nothing new)"),
        "{stdout}"
    );
    assert_eq!(sync_requests(&sim.request_log()).len(), 1);
}

/// `plan --out` told to stop by SIGTERM while it reads the live state ends
/// at once with an error and writes no file, whole or partial.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_sigterm_during_plan_writes_nothing() {
    let pools = app_pool(2);
    let (sim, _) = start_sim(&pools).await;
    sim.set_faults(Faults {
        latency_ms: 30_000,
        ..Faults::default()
    });
    let dir = tempfile::tempdir().expect("temp dir");
    cli::write_config(dir.path(), &sim, &pools, None);
    let config = dir.path().to_string_lossy().into_owned();
    let out = dir.path().join("plan.json");
    let child = cli::spawn(cli::poolform(&[
        "plan",
        &config,
        "--out",
        &out.to_string_lossy(),
    ]));
    // The first read has reached the simulator, which holds it.
    let deadline = Instant::now() + Duration::from_secs(30);
    while sim.requests_served() == 0 {
        assert!(Instant::now() < deadline, "plan sent no request");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .expect("waiter joins")
        .expect("poolform ends");
    let (stdout, stderr) = (cli::text(&output.stdout), cli::text(&output.stderr));
    assert_eq!(
        output.status.code(),
        Some(1),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stderr.contains("plan was terminated (SIGTERM)"), "{stderr}");
    let files: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir readable")
        .map(|entry| entry.expect("entry").file_name())
        .collect();
    assert_eq!(files, ["poolform.toml"], "{files:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pools_are_created_with_active_nodes_and_deleted_when_absent() {
    let seeded = [PoolSpec {
        name: "old",
        nodes: 2,
        max_unavailable: 1,
        depends_on: &[],
    }];
    let (sim, ids) = start_sim(&seeded).await;
    let client = client(&sim);
    let mut desired = desired(
        &[
            PoolSpec {
                name: "old",
                nodes: 0,
                max_unavailable: 1,
                depends_on: &[],
            },
            PoolSpec {
                name: "fresh",
                nodes: 0,
                max_unavailable: 1,
                depends_on: &[],
            },
        ],
        None,
    );
    if let Some(old) = desired.pools.get_mut(&PoolAddress::from("old")) {
        old.ensure = Ensure::Absent;
    }
    if let Some(fresh) = desired.pools.get_mut(&PoolAddress::from("fresh")) {
        fresh.node_count = Some(3);
    }
    let plan = make_plan(&client, &desired).await;
    let kinds: Vec<&str> = plan
        .steps
        .iter()
        .map(|step| match step.kind {
            StepKind::CreatePool { .. } => "create",
            StepKind::DeletePool { .. } => "delete",
            StepKind::UpdatePool { .. } => "update",
            StepKind::SyncBatch { .. } => "sync",
        })
        .collect();
    assert_eq!(kinds, vec!["create", "delete"], "{:#?}", plan.steps);

    let (report, _) = apply_watched(&client, &plan, &options(), &CancelToken::new(), |_| {}).await;
    assert!(report.succeeded(), "{report:#?}");
    let state = sim.state();
    let pools = state.pools(CLUSTER_ID);
    assert!(
        pools
            .iter()
            .all(|pool| pool.metadata.uid.as_deref() != Some(ids["old"].as_str()))
    );
    let fresh = pools
        .iter()
        .find(|pool| pool.metadata.name == "fresh")
        .and_then(|pool| pool.metadata.uid.clone())
        .expect("fresh pool exists");
    let nodes = state.pool_nodes(CLUSTER_ID, &fresh);
    assert_eq!(nodes.len(), 3);
    assert!(nodes.iter().all(|node| {
        node.status
            .as_ref()
            .is_some_and(|status| status.phase == "Active")
    }));
    assert!(!make_plan(&client, &desired).await.has_changes());
}

/// A pool that moves from key to password login converges: the update drops
/// the key (`removeSSHKey`), the resets install the password, and a fresh
/// plan is empty.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_switches_a_pool_from_key_to_password_login() {
    let pools = app_pool(2);
    let (sim, _) = start_sim(&pools).await;
    let dir = tempfile::tempdir().expect("temp dir");
    cli::write_config(dir.path(), &sim, &pools, Some("NODE_PASSWORD"));
    let config = dir.path().to_string_lossy().into_owned();

    let output = cli::run(cli::poolform(&[
        "apply",
        &config,
        "--auto-approve",
        "--poll-interval",
        "20ms",
    ]))
    .await;
    let (stdout, stderr) = (cli::text(&output.stdout), cli::text(&output.stderr));
    assert!(
        output.status.success(),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(!stdout.contains(cli::SECRET) && !stderr.contains(cli::SECRET));
    let update = sim
        .request_log()
        .into_iter()
        .find(|request| request.method == "PUT")
        .expect("the pool was updated");
    let body = serde_json::to_string(&update.body).expect("json");
    assert!(body.contains("\"removeSSHKey\":true"), "{body}");

    let client = client(&sim);
    let desired = poolform::config::load(dir.path()).expect("config loads");
    let again = make_plan(&client, &desired).await;
    assert!(
        !again.has_changes(),
        "{}",
        poolform::render::text(&again, &poolform::render::TextOptions::default())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_a_reset_failing_in_batch_two_stops_the_pool_and_names_the_node_once() {
    let pools = app_pool(8);
    let (sim, ids) = start_sim(&pools).await;
    let dir = tempfile::tempdir().expect("temp dir");
    cli::write_config(dir.path(), &sim, &pools, None);
    let desired = poolform::config::load(dir.path()).expect("config loads");
    let plan = make_plan(&client(&sim), &desired).await;
    let batches = batches_of(&plan, "app");
    assert_eq!(batches.len(), 4, "{plan:#?}");
    let broken = batches[1][0].clone();
    let broken_name = sim
        .state()
        .node(CLUSTER_ID, &broken)
        .map(|node| node.metadata.name.clone())
        .expect("node exists");
    sim.set_faults(Faults {
        fail_reset_nodes: BTreeSet::from([broken.clone()]),
        ..Faults::default()
    });
    let config = dir.path().to_string_lossy().into_owned();

    let output = cli::run(cli::poolform(&[
        "apply",
        &config,
        "--auto-approve",
        "--poll-interval",
        "20ms",
    ]))
    .await;
    let (stdout, stderr) = (cli::text(&output.stdout), cli::text(&output.stderr));
    assert_eq!(
        output.status.code(),
        Some(1),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let summary = stdout
        .split("Apply incomplete")
        .nth(1)
        .unwrap_or_else(|| panic!("no failure summary on stdout:\n{stdout}"));
    assert!(summary.contains(&broken_name), "{summary}");
    // The failing line names the node once (the detail line names it again,
    // with its phase and id).
    let failed_line = summary
        .lines()
        .find(|line| line.contains("failed") && line.contains(&broken_name))
        .unwrap_or_else(|| panic!("no failed line naming {broken_name}:\n{summary}"));
    assert_eq!(
        failed_line.matches(broken_name.as_str()).count(),
        1,
        "{failed_line}"
    );

    // Batches 1 and 2 were posted, 3 and 4 never were.
    let posted: Vec<Vec<String>> = sync_requests(&sim.request_log())
        .into_iter()
        .filter(|(pool, _)| *pool == ids["app"])
        .map(|(_, nodes)| nodes)
        .collect();
    assert_eq!(posted.len(), 2, "{posted:#?}");
    assert_eq!(posted[1], batches[1].to_vec());
    for later in &batches[2..] {
        for node in later {
            assert!(
                !posted.iter().flatten().any(|sent| sent == node),
                "node {node} of a later batch was sent: {posted:#?}"
            );
        }
    }
}

/// Whether each batch was posted with or without a job id.
fn posted_jobs(events: &[Event]) -> Vec<Option<String>> {
    events
        .iter()
        .filter_map(|event| match event {
            Event::BatchPosted { job_id, .. } => Some(job_id.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_storm_while_following_a_job_does_not_fail_the_batch() {
    let pools = app_pool(4);
    let (sim, _) = start_sim(&pools).await;
    let sim = std::sync::Arc::new(sim);
    let desired = desired(&pools, None);
    let plan = make_plan(&client(&sim), &desired).await;
    let control = std::sync::Arc::clone(&sim);
    // Once the first batch is posted, the next 40 reads fail: more than the
    // client's 6 attempts, so whole reads of the job and the nodes fail
    // while the job goes on running on the server.
    let (report, events) = apply_watched(
        &client(&sim),
        &plan,
        &options(),
        &CancelToken::new(),
        move |event| {
            if let Event::BatchPosted { number: 1, .. } = event {
                control.set_faults(Faults {
                    fail_next: vec![500; 40],
                    ..Faults::default()
                });
            }
        },
    )
    .await;
    assert!(report.succeeded(), "{report:#?}");
    assert!(
        sim.faults().fail_next.is_empty(),
        "the storm was ridden out"
    );
    assert_eq!(posted_jobs(&events).len(), 2);
    assert_eq!(reset_once(&sim.request_log()).len(), 4);
    assert!(!make_plan(&client(&sim), &desired).await.has_changes());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_accepted_without_a_body_is_followed_through_the_nodes() {
    let pools = app_pool(4);
    let (sim, _) = start_sim(&pools).await;
    let state = sim.state();
    drop(sim);
    let config = SimConfig {
        time_scale: 1000.0,
        sync_answer: sim::SyncAnswer::Empty,
        ..SimConfig::default()
    };
    let sim = sim::start(config, state).await.expect("simulator starts");
    let desired = desired(&pools, None);
    let plan = make_plan(&client(&sim), &desired).await;
    let (report, events) = apply_watched(
        &client(&sim),
        &plan,
        &options(),
        &CancelToken::new(),
        |_| {},
    )
    .await;
    assert!(report.succeeded(), "{report:#?}");
    assert_eq!(posted_jobs(&events), vec![None, None]);
    assert_eq!(reset_once(&sim.request_log()).len(), 4);
    assert!(!make_plan(&client(&sim), &desired).await.has_changes());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_not_readable_right_after_the_post_is_read_again() {
    let pools = app_pool(2);
    let (sim, _) = start_sim(&pools).await;
    // Every new job answers 404 to its first three reads.
    sim.set_faults(Faults {
        job_hidden_reads: 3,
        ..Faults::default()
    });
    let desired = desired(&pools, None);
    let plan = make_plan(&client(&sim), &desired).await;
    let (report, events) = apply_watched(
        &client(&sim),
        &plan,
        &options(),
        &CancelToken::new(),
        |_| {},
    )
    .await;
    assert!(report.succeeded(), "{report:#?}");
    assert!(posted_jobs(&events).iter().all(Option::is_some));
    assert!(!make_plan(&client(&sim), &desired).await.has_changes());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_applies_started_at_once_never_reset_a_node_twice() {
    const ROUNDS: usize = 20;
    let pools = app_pool(4);
    let mut refused = 0;
    for round in 0..ROUNDS {
        let (sim, _) = start_sim(&pools).await;
        let dir = tempfile::tempdir().expect("temp dir");
        cli::write_config(dir.path(), &sim, &pools, None);
        let config = dir.path().to_string_lossy().into_owned();
        let apply = || {
            cli::run(cli::poolform(&[
                "apply",
                &config,
                "--auto-approve",
                "--poll-interval",
                "20ms",
            ]))
        };
        let (first, second) = tokio::join!(apply(), apply());
        let log = sim.request_log();
        // reset_once panics on a node named by two sync requests.
        assert_eq!(reset_once(&log).len(), 4, "round {round}");
        let pool_id = sim
            .state()
            .pools(CLUSTER_ID)
            .iter()
            .find(|pool| pool.metadata.name == "app")
            .and_then(|pool| pool.metadata.uid.clone())
            .expect("the app pool");
        assert!(sim.peak_unavailable(&pool_id) <= 2, "round {round}");
        for output in [&first, &second] {
            let (stdout, stderr) = (cli::text(&output.stdout), cli::text(&output.stderr));
            if output.status.success() {
                continue;
            }
            // The loser is told plainly, and sent nothing.
            assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
            assert!(
                stderr.contains("is being applied by another poolform run"),
                "round {round}: {stderr}"
            );
            refused += 1;
        }
        assert!(
            first.status.success() || second.status.success(),
            "round {round}: one of the two applies finished"
        );
        assert_eq!(
            log.iter().filter(|request| request.method == "PUT").count(),
            1,
            "round {round}: the pool was updated once"
        );
    }
    assert!(
        refused > 0,
        "the two applies never overlapped in {ROUNDS} rounds"
    );
}

/// Every count and duration the configuration feeds into apply's
/// arithmetic, inside and far outside its bounds: the loader refuses what
/// it must, and whatever it accepts applies against the simulator without a
/// panic (a result, success or failure, always comes back).
mod hostile_rollouts {
    use proptest::prelude::*;

    use super::*;

    fn duration() -> impl Strategy<Value = &'static str> {
        prop_oneof![
            3 => prop::sample::select(vec!["0s", "1ms", "1s", "90s", "1h", "24h"]),
            1 => prop::sample::select(vec!["25h", "500000000000y", "18446744073709551615s"]),
        ]
    }

    fn max_unavailable() -> impl Strategy<Value = String> {
        prop_oneof![
            3 => (0u32..=25).prop_map(|n| n.to_string()),
            1 => (0u32..=150).prop_map(|p| format!("\"{p}%\"")),
        ]
    }

    #[derive(Debug, Clone)]
    struct Rollout {
        max_unavailable: String,
        soak: &'static str,
        batch_timeout: &'static str,
        cluster_cap: Option<u32>,
        node_count: Option<u32>,
    }

    fn rollout() -> impl Strategy<Value = Rollout> {
        (
            max_unavailable(),
            duration(),
            duration(),
            prop::option::of(0u32..=250),
            prop::option::of(0u32..=5),
        )
            .prop_map(
                |(max_unavailable, soak, batch_timeout, cluster_cap, node_count)| Rollout {
                    max_unavailable,
                    soak,
                    batch_timeout,
                    cluster_cap,
                    node_count,
                },
            )
    }

    fn config_text(sim: &SimHandle, rollout: &Rollout) -> String {
        let cap = rollout
            .cluster_cap
            .map(|cap| format!("max_unavailable = {cap}\n"))
            .unwrap_or_default();
        let count = rollout
            .node_count
            .map(|count| format!("node_count = {count}\n"))
            .unwrap_or_default();
        format!(
            "[cloud]\nendpoint = \"{endpoint}\"\nproject_id = \"{project}\"\n\n\
             [clusters.{CLUSTER}]\nid = \"{CLUSTER_ID}\"\n{cap}\n\
             [pools.app]\ncluster = \"{CLUSTER}\"\nflavor = \"c7.large.2\"\naz = \"ap-southeast-1a\"\n\
             os = \"Huawei Cloud EulerOS 2.0\"\nruntime = \"containerd\"\nlogin = {{ ssh_key = \"kp-prod\" }}\n\
             root_volume = {{ type = \"GPSSD\", size = 50 }}\ndata_volumes = [{{ type = \"GPSSD\", size = 100 }}]\n\
             max_pods = 110\n{count}\n[pools.app.lifecycle]\npost_install = \"echo v2\"\n\n\
             [pools.app.rollout]\nmax_unavailable = {max}\nsoak = \"{soak}\"\nbatch_timeout = \"{timeout}\"\n",
            endpoint = sim.endpoint(),
            project = sim.project_id(),
            max = rollout.max_unavailable,
            soak = rollout.soak,
            timeout = rollout.batch_timeout,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

        #[test]
        fn no_rollout_setting_panics_apply(rollout in rollout()) {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async {
                let pools = app_pool(3);
                let (sim, _) = start_sim(&pools).await;
                let dir = tempfile::tempdir().expect("temp dir");
                let text = config_text(&sim, &rollout);
                let Ok(desired) = poolform::config::load_source("poolform.toml", &text, dir.path())
                else {
                    return;
                };
                let live = fetch(&client(&sim), &desired.cluster_ids(), 4).await.expect("live state reads");
                let Ok(plan) = build_plan(&desired, &live, &[]) else {
                    return;
                };
                let options = ApplyOptions {
                    poll_interval: Duration::from_millis(5),
                    // A day of soak takes 86 ms.
                    time_scale: 1_000_000.0,
                    pool_timeout: Duration::from_secs(10),
                    ..ApplyOptions::default()
                };
                let (sender, mut receiver) = mpsc::unbounded_channel();
                let drain = tokio::spawn(async move { while receiver.recv().await.is_some() {} });
                let result = tokio::time::timeout(
                    Duration::from_secs(60),
                    apply::apply(&client(&sim), &plan, &options, &sender, &CancelToken::new()),
                )
                .await;
                drop(sender);
                let _ = drain.await;
                assert!(result.is_ok(), "apply did not return within a minute: {rollout:?}");
            });
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_rollout_killed_after_its_first_batch_is_finished_by_the_next_apply() {
    let pools = app_pool(6);
    // CCE as documented: a script change never flags a node out of date.
    let (sim, _) = cli::start_slow_sim(&pools, 1000).await;
    sim.set_faults(Faults {
        hold_jobs_after: Some(1),
        ..Faults::default()
    });
    let dir = tempfile::tempdir().expect("temp dir");
    cli::write_config(dir.path(), &sim, &pools, None);
    let config = dir.path().to_string_lossy().into_owned();
    let mut child = cli::spawn(cli::poolform(&[
        "apply",
        &config,
        "--auto-approve",
        "--poll-interval",
        "50ms",
    ]));
    let _ = cli::wait_for_line(&mut child, "sync batch 2/3 (2 nodes): sync requested").await;
    child.kill().expect("SIGKILL delivered");
    let _ = child.wait();
    let posted = sync_requests(&sim.request_log());
    assert_eq!(posted.len(), 2);
    let state = sim.state();
    let name = |id: &String| {
        state
            .node(CLUSTER_ID, id)
            .map(|node| node.metadata.name.clone())
            .expect("node exists")
    };
    let first: BTreeSet<String> = posted[0].1.iter().map(name).collect();
    let second: BTreeSet<String> = posted[1].1.iter().map(name).collect();
    let all: BTreeSet<String> = state
        .nodes(CLUSTER_ID)
        .iter()
        .map(|node| node.metadata.name.clone())
        .collect();
    let third: BTreeSet<String> = all
        .difference(&first)
        .filter(|n| !second.contains(*n))
        .cloned()
        .collect();
    assert_eq!(third.len(), 2);
    // CCE shows nothing of the rollout: no node reads out of date.
    assert!(state.nodes(CLUSTER_ID).iter().all(|node| {
        node.status
            .as_ref()
            .and_then(|s| s.configuration_up_to_date)
            != Some(false)
    }));

    let plan = || cli::run(cli::poolform(&["plan", &config, "--detailed-exitcode"]));
    // The plan in between: batch 2 (posted, its job not finished) and batch
    // 3 are pending, from the journal, which the plan names.
    let output = plan().await;
    let stdout = cli::text(&output.stdout);
    assert_eq!(output.status.code(), Some(2), "{stdout}");
    assert!(stdout.contains("unfinished rollout"), "{stdout}");
    assert!(stdout.contains(".poolform/journal/"), "{stdout}");
    for node in second.iter().chain(&third) {
        assert!(stdout.contains(node.as_str()), "{node} pending:\n{stdout}");
    }
    for node in &first {
        assert!(!stdout.contains(node.as_str()), "{node} is done:\n{stdout}");
    }

    // The held job runs out: its job now shows batch 2 finished, so only
    // batch 3 is left.
    sim.set_faults(Faults::default());
    sim.advance(Duration::from_secs(600));
    let output = plan().await;
    let stdout = cli::text(&output.stdout);
    assert_eq!(output.status.code(), Some(2), "{stdout}");
    for node in &second {
        assert!(!stdout.contains(node.as_str()), "{node} is done:\n{stdout}");
    }
    for node in &third {
        assert!(stdout.contains(node.as_str()), "{node} pending:\n{stdout}");
    }

    let output = cli::run(cli::poolform(&[
        "apply",
        &config,
        "--auto-approve",
        "--poll-interval",
        "50ms",
    ]))
    .await;
    let (stdout, stderr) = (cli::text(&output.stdout), cli::text(&output.stderr));
    assert!(
        output.status.success(),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let log = sim.request_log();
    // reset_once panics on a node posted twice.
    assert_eq!(reset_once(&log).len(), 6);
    assert_eq!(sync_requests(&log).len(), 3);
    let output = plan().await;
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        cli::text(&output.stdout)
    );
}

/// The real-API fidelity check: six pools created by apply against the
/// strict, decorating simulator, then one configuration that changes at
/// once a data disk, a label, a taint, a user tag, a script and a password
/// variable. Only the script and password pools are reset, each node once;
/// the rest reaches the pools (and, for labels, the nodes) without a reset.
mod many_changes {
    use super::*;

    const SECOND_SECRET: &str = "Xr4!anotherPassw0rd";

    struct Knobs {
        disk: u32,
        label: &'static str,
        taint: &'static str,
        tag: &'static str,
        script: &'static str,
        password_env: &'static str,
    }

    fn config(sim: &SimHandle, knobs: &Knobs) -> String {
        let mut text = format!(
            "[cloud]\nendpoint = \"{}\"\nproject_id = \"{}\"\n\n[clusters.{CLUSTER}]\nid = \"{CLUSTER_ID}\"\n",
            sim.endpoint(),
            sim.project_id()
        );
        for name in ["disk", "label", "taint", "tag", "script", "pw"] {
            let login = if name == "pw" {
                format!(
                    "login = {{ password = {{ env = \"{}\", username = \"root\" }} }}",
                    knobs.password_env
                )
            } else {
                "login = { ssh_key = \"kp-prod\" }".to_owned()
            };
            let disk = if name == "disk" { knobs.disk } else { 100 };
            text.push_str(&format!(
                "\n[pools.{name}]\ncluster = \"{CLUSTER}\"\nflavor = \"c7.large.2\"\naz = \"ap-southeast-1a\"\n\
                 os = \"Huawei Cloud EulerOS 2.0\"\nruntime = \"containerd\"\n{login}\nnode_count = 2\n\
                 root_volume = {{ type = \"GPSSD\", size = 50 }}\ndata_volumes = [{{ type = \"GPSSD\", size = {disk} }}]\n"
            ));
            match name {
                "label" => text.push_str(&format!("k8s_labels = {{ team = \"{}\" }}\n", knobs.label)),
                "taint" => text.push_str(&format!(
                    "taints = [{{ key = \"dedicated\", value = \"{}\", effect = \"NoSchedule\" }}]\n",
                    knobs.taint
                )),
                "tag" => text.push_str(&format!("user_tags = {{ env = \"{}\" }}\n", knobs.tag)),
                _ => {}
            }
            let script = if name == "script" {
                knobs.script
            } else {
                "echo same"
            };
            text.push_str(&format!(
                "\n[pools.{name}.lifecycle]\npost_install = \"{script}\"\n\n[pools.{name}.rollout]\nmax_unavailable = 1\n"
            ));
        }
        text
    }

    async fn run(args: &[&str]) -> (Option<i32>, String, String) {
        let mut command = cli::poolform(args);
        command.env("NODE_PASSWORD_2", SECOND_SECRET);
        let output = cli::run(command).await;
        (
            output.status.code(),
            cli::text(&output.stdout),
            cli::text(&output.stderr),
        )
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn only_script_and_password_pools_are_reset_and_everything_converges() {
        let mut state = SimState::new();
        state.add_cluster(CLUSTER_ID);
        let config_fast = SimConfig {
            time_scale: 1000.0,
            ..SimConfig::default()
        };
        let sim = sim::start(config_fast, state)
            .await
            .expect("simulator starts");
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().to_string_lossy().into_owned();
        let before = Knobs {
            disk: 100,
            label: "a",
            taint: "one",
            tag: "dev",
            script: "echo v1",
            password_env: "NODE_PASSWORD",
        };
        std::fs::write(dir.path().join("poolform.toml"), config(&sim, &before)).expect("config");
        let apply = [
            "apply",
            path.as_str(),
            "--auto-approve",
            "--poll-interval",
            "20ms",
        ];
        let plan = ["plan", path.as_str(), "--detailed-exitcode"];
        let mut outputs = String::new();
        let (code, stdout, stderr) = run(&apply).await;
        assert_eq!(code, Some(0), "create:\n{stdout}\n{stderr}");
        outputs.push_str(&stdout);
        outputs.push_str(&stderr);
        // Created against the decorated answers, planned to nothing.
        let (code, stdout, stderr) = run(&plan).await;
        assert_eq!(code, Some(0), "after create:\n{stdout}\n{stderr}");
        assert!(stdout.contains("No changes."), "{stdout}");

        let state = sim.state();
        let pool_id = |name: &str| {
            state
                .pools(CLUSTER_ID)
                .iter()
                .find(|pool| pool.metadata.name == name)
                .and_then(|pool| pool.metadata.uid.clone())
                .expect("pool exists")
        };
        let nodes_of = |name: &str| -> Vec<String> {
            state
                .pool_nodes(CLUSTER_ID, &pool_id(name))
                .iter()
                .map(|node| node.metadata.uid.clone())
                .collect()
        };
        let old_nodes: BTreeMap<&str, Vec<String>> =
            ["disk", "label", "taint", "tag", "script", "pw"]
                .into_iter()
                .map(|name| (name, nodes_of(name)))
                .collect();
        let syncs_before = sync_requests(&sim.request_log()).len();

        let after = Knobs {
            disk: 200,
            label: "b",
            taint: "two",
            tag: "prod",
            script: "echo v2",
            password_env: "NODE_PASSWORD_2",
        };
        std::fs::write(dir.path().join("poolform.toml"), config(&sim, &after)).expect("config");
        let saved = dir.path().join("changes.plan");
        let saved_arg = saved.to_string_lossy().into_owned();
        let (code, stdout, stderr) = run(&["plan", &path, "--out", &saved_arg]).await;
        assert_eq!(code, Some(0), "{stdout}\n{stderr}");
        outputs.push_str(&stdout);
        outputs.push_str(&stderr);
        assert!(
            stdout.contains("keep the old"),
            "disk: existing nodes keep the old disks:\n{stdout}"
        );
        let (code, stdout, stderr) = run(&apply).await;
        assert_eq!(code, Some(0), "changes:\n{stdout}\n{stderr}");
        outputs.push_str(&stdout);
        outputs.push_str(&stderr);

        // Reset: the script and password pools' nodes, each once.
        let log = sim.request_log();
        let syncs = &sync_requests(&log)[syncs_before..];
        let mut reset: Vec<String> = syncs.iter().flat_map(|(_, nodes)| nodes.clone()).collect();
        reset.sort();
        let mut expected: Vec<String> = old_nodes["script"]
            .iter()
            .chain(&old_nodes["pw"])
            .cloned()
            .collect();
        expected.sort();
        assert_eq!(
            reset, expected,
            "only the script and password pools' nodes, once each"
        );

        let state = sim.state();
        // The disk pool's template has the new size; its nodes keep the old.
        let disk_pool = state
            .pools(CLUSTER_ID)
            .into_iter()
            .find(|pool| pool.metadata.name == "disk")
            .expect("disk pool");
        let template_disks = disk_pool
            .spec
            .node_template
            .data_volumes
            .clone()
            .unwrap_or_default();
        assert_eq!(template_disks.first().map(|volume| volume.size), Some(200));
        for id in &old_nodes["disk"] {
            let node = state.node(CLUSTER_ID, id).expect("disk node kept");
            let disks = node.spec.data_volumes.clone().unwrap_or_default();
            assert_eq!(disks.first().map(|volume| volume.size), Some(100), "{id}");
        }
        // The label reached the label pool's nodes, with no reset.
        for id in &old_nodes["label"] {
            let node = state.node(CLUSTER_ID, id).expect("label node kept");
            let labels = node.spec.k8s_tags.clone().unwrap_or_default();
            assert_eq!(labels.get("team").map(String::as_str), Some("b"), "{id}");
        }

        // Converged against what the simulator answers.
        let (code, stdout, stderr) = run(&plan).await;
        assert_eq!(code, Some(0), "after the changes:\n{stdout}\n{stderr}");
        assert!(stdout.contains("No changes."), "{stdout}");

        // The simulator ignored no key poolform sent.
        for request in &log {
            assert!(
                request.ignored.is_empty(),
                "{} {} sent keys the API does not have: {:?}",
                request.method,
                request.path,
                request.ignored
            );
        }
        // No password as typed in any output, the saved plan, the journal
        // or the simulator's log.
        let saved_text = std::fs::read_to_string(&saved).expect("saved plan");
        let log_text = serde_json::to_string(&log).expect("log");
        let mut journals = String::new();
        for entry in std::fs::read_dir(".poolform/journal")
            .into_iter()
            .flatten()
            .flatten()
        {
            journals.push_str(&std::fs::read_to_string(entry.path()).unwrap_or_default());
        }
        for secret in [cli::SECRET, SECOND_SECRET] {
            for (what, text) in [
                ("output", &outputs),
                ("saved plan", &saved_text),
                ("simulator log", &log_text),
                ("journal", &journals),
            ] {
                assert!(!text.contains(secret), "a password as typed in the {what}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_open_telekom_cloud_each_batch_goes_through_the_node_reset_api() {
    let pools = app_pool(4);
    let (sim, _) = start_sim(&pools).await;
    let state = sim.state();
    drop(sim);
    // OTC has no UpgradeNodePool: the simulator in its OTC flavour answers
    // it 404, as OTC does.
    let config = SimConfig {
        time_scale: 1000.0,
        flavour: sim::Flavour::Otc,
        ..SimConfig::default()
    };
    let sim = sim::start(config, state).await.expect("simulator starts");
    let dir = tempfile::tempdir().expect("temp dir");
    cli::write_config(dir.path(), &sim, &pools, None);
    // The endpoint is loopback, so the configuration says which cloud it is
    // (an endpoint under otc.t-systems.com says so by itself).
    let file = dir.path().join("poolform.toml");
    let text = std::fs::read_to_string(&file).expect("config");
    std::fs::write(
        &file,
        text.replacen("[cloud]\n", "[cloud]\nprovider = \"otc\"\n", 1),
    )
    .expect("config");
    let config = dir.path().to_string_lossy().into_owned();
    let output = cli::run(cli::poolform(&[
        "apply",
        &config,
        "--auto-approve",
        "--poll-interval",
        "20ms",
    ]))
    .await;
    let (stdout, stderr) = (cli::text(&output.stdout), cli::text(&output.stderr));
    assert!(
        output.status.success(),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let log = sim.request_log();
    assert!(sync_requests(&log).is_empty(), "no UpgradeNodePool on OTC");
    let resets: Vec<Vec<String>> = log
        .iter()
        .filter(|request| request.method == "POST" && request.path.ends_with("/nodes/reset"))
        .map(|request| {
            assert!(request.ignored.is_empty(), "{:?}", request.ignored);
            let body = request.body.clone().unwrap_or_default();
            body["nodeList"]
                .as_array()
                .map(|nodes| {
                    nodes
                        .iter()
                        .filter_map(|node| node["nodeID"].as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect();
    // Two batches of at most max_unavailable (2), every node once.
    assert_eq!(resets.len(), 2, "{resets:?}");
    assert!(resets.iter().all(|batch| batch.len() <= 2));
    let mut all: Vec<&String> = resets.iter().flatten().collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 4);
    let output = cli::run(cli::poolform(&["plan", &config, "--detailed-exitcode"])).await;
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        cli::text(&output.stdout)
    );
}
