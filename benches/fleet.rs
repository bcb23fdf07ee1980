//! poolform's benchmark: plan at fleet scale, the config-to-plan CPU path,
//! and apply makespan, each next to its baseline and lower bound.
//!
//! `cargo bench --bench fleet` runs the full set (about two to three minutes
//! on a 2-core machine) and prints the table the README's "Performance"
//! section shows. `cargo test` runs the same code on a tiny fleet, as a smoke
//! test that the harness still works.
//!
//! Everything runs in one process against the built-in simulator over real
//! loopback sockets, with a fixed latency added to every request. The plan
//! rows labelled "poolform" run `cli::common::prepare`, the very function
//! `poolform plan` runs, on a configuration file naming the simulator as its
//! endpoint, with the CLI's defaults (client options, adaptive limit, page
//! size); a second row shows a tuned setting with the flag that gives it.
//! Peak memory
//! is measured with a counting global allocator (heap bytes live at once),
//! reset before each measured phase.

use std::alloc::{GlobalAlloc, Layout, System};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt, TryStreamExt};
use poolform::api::CreatePool;
use poolform::apply::{self, ApplyOptions, CancelToken, Event, EventSink};
use poolform::cli::{FleetArgs, LiveSource};
use poolform::live::body::create_body;
use poolform::live::client::{CceClient, ClientOptions, RetryPolicy};
use poolform::live::{Credentials, LiveError, fetch};
use poolform::model::{ClusterId, Desired, NodeId, PoolId};
use poolform::plan::build_plan;
use poolform::sim::{self, Faults, RateLimit, SimConfig, SimState};
use sha2::Digest as _;

struct CountingAllocator;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let pointer = unsafe { System.alloc(layout) };
        if !pointer.is_null() {
            let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(pointer, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let moved = unsafe { System.realloc(pointer, layout, new_size) };
        if !moved.is_null() {
            if new_size >= layout.size() {
                let grown = new_size - layout.size();
                let now = CURRENT.fetch_add(grown, Ordering::Relaxed) + grown;
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                CURRENT.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        moved
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Starts a peak-memory measurement: the peak becomes what is live now.
fn reset_peak() -> usize {
    let now = CURRENT.load(Ordering::Relaxed);
    PEAK.store(now, Ordering::Relaxed);
    now
}

/// Heap bytes above `baseline` at the peak since [`reset_peak`].
fn peak_since(baseline: usize) -> usize {
    PEAK.load(Ordering::Relaxed).saturating_sub(baseline)
}

fn mib(bytes: usize) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// The size of one benchmark run.
#[derive(Debug, Clone, Copy)]
struct Scale {
    clusters: usize,
    pools: usize,
    nodes: usize,
}

impl Scale {
    fn total_nodes(self) -> usize {
        self.clusters * self.pools * self.nodes
    }

    fn label(self) -> String {
        format!("{} × {} × {}", self.clusters, self.pools, self.nodes)
    }
}

const OLD_SCRIPT: &str = "sysctl -w vm.max_map_count=262144\n";
const NEW_SCRIPT: &str = "sysctl -w vm.max_map_count=524288\n";

fn cluster_id(index: usize) -> String {
    format!("{index:08x}-0000-4000-8000-c1c1c1c1c1c1")
}

/// A configuration of `scale` whose post-install script differs from the
/// live one, so that every node is stale and the plan has real work.
fn fleet_config(scale: Scale, script: &str) -> String {
    fleet_config_at(scale, script, None)
}

/// [`fleet_config`] with `[cloud] endpoint` set, as a user of the simulator
/// (or a proxy) would write it.
fn fleet_config_at(scale: Scale, script: &str, endpoint: Option<&str>) -> String {
    let mut text =
        String::from("[cloud]\nregion = \"ap-southeast-1\"\nproject_id = \"sim-project\"\n");
    if let Some(endpoint) = endpoint {
        let _ = writeln!(text, "endpoint = \"{endpoint}\"");
    }
    text.push('\n');
    for cluster in 0..scale.clusters {
        let _ = write!(
            text,
            "[clusters.c{cluster}]\nid = \"{}\"\nmax_unavailable = 40\n\n",
            cluster_id(cluster)
        );
        for pool in 0..scale.pools {
            let _ = write!(
                text,
                "[pools.c{cluster}-p{pool}]\ncluster = \"c{cluster}\"\nname = \"p{pool}\"\n\
                 flavor = \"c7.large.2\"\naz = \"ap-southeast-1a\"\nos = \"Huawei Cloud EulerOS 2.0\"\n\
                 login = {{ ssh_key = \"kp-bench\" }}\nroot_volume = {{ type = \"GPSSD\", size = 50 }}\n\
                 data_volumes = [{{ type = \"GPSSD\", size = 100 }}]\nmax_pods = 110\n\
                 [pools.c{cluster}-p{pool}.lifecycle]\npost_install = {script:?}\n\
                 [pools.c{cluster}-p{pool}.rollout]\nmax_unavailable = 4\n\n"
            );
        }
    }
    text
}

fn load_config(text: &str) -> Desired {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("fleet.toml");
    std::fs::write(&path, text).expect("write config");
    match poolform::config::load(&path) {
        Ok(desired) => desired,
        Err(errors) => panic!(
            "benchmark config is invalid: {:?}",
            miette::Report::new(errors)
        ),
    }
}

/// The simulator state for `desired`, every pool created from it with
/// `nodes` nodes, all Active.
fn fleet_state(desired: &Desired, nodes: usize) -> SimState {
    let mut state = SimState::new();
    for cluster in desired.clusters.values() {
        state.add_cluster(cluster.id.as_str());
    }
    for pool in desired.pools.values() {
        let cluster = &desired.clusters[&pool.cluster];
        let body = serde_json::to_value(create_body(&CreatePool::of(pool), None)).expect("json");
        state
            .add_pool_json(cluster.id.as_str(), &body, nodes)
            .expect("seed");
    }
    state
}

fn client_for(handle: &sim::SimHandle, concurrency: usize, page_limit: u32) -> CceClient {
    let endpoint = handle
        .endpoint()
        .parse()
        .expect("simulator endpoint is a URL");
    let mut options = ClientOptions::new(
        endpoint,
        handle.project_id(),
        Credentials::Token(poolform::live::auth::Secret::new("bench-token")),
    );
    options.max_concurrency = concurrency;
    options.page_limit = page_limit;
    options.retry = RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(100),
        throttle_window: Duration::ZERO,
    };
    CceClient::new(options).expect("client")
}

fn sim_config(latency: Duration) -> SimConfig {
    let mut config = SimConfig {
        latency,
        ..SimConfig::default()
    };
    config.auth.enabled = false;
    config
}

struct Measured {
    wall: Duration,
    requests: u64,
    peak: usize,
    extrapolated_from: Option<u64>,
}

/// Runs `cli::common::prepare` (load, connect, fetch, plan: what `poolform
/// plan` does before it renders) on the configuration at `path`.
async fn plan_like_the_cli(
    handle: &sim::SimHandle,
    path: &std::path::Path,
    fleet: &FleetArgs,
) -> (Measured, poolform::plan::Plan, poolform::model::Live) {
    let source = LiveSource {
        sim: None,
        resync: Vec::new(),
        quiet: true,
    };
    let before = handle.requests_served();
    let baseline = reset_peak();
    let started = Instant::now();
    let prepared = poolform::cli::common::prepare(path, &[], fleet, &source)
        .await
        .expect("plan");
    let measured = Measured {
        wall: started.elapsed(),
        requests: handle.requests_served() - before,
        peak: peak_since(baseline),
        extrapolated_from: None,
    };
    // As `poolform plan` does once the plan is shown: this is where the
    // quotas the gateway named are remembered for the next run.
    let poolform::cli::common::Prepared {
        plan,
        live,
        connection,
        ..
    } = prepared;
    connection.close().await.expect("connection closes");
    (measured, plan, live)
}

/// How a Terraform-style provider refreshes: one GET per pool and one per
/// node, by id, at most 10 requests in flight.
async fn per_resource_read(
    client: &CceClient,
    resources: &[(ClusterId, Option<PoolId>, Option<NodeId>)],
) -> Result<(), LiveError> {
    stream::iter(resources)
        .map(|(cluster, pool, node)| async move {
            match (pool, node) {
                (Some(pool), _) => client.show_pool_wire(cluster, pool).await.map(drop),
                (None, Some(node)) => client.show_node_wire(cluster, node).await.map(drop),
                (None, None) => Ok(()),
            }
        })
        .buffer_unordered(10)
        .try_collect::<Vec<()>>()
        .await
        .map(drop)
}

/// The lower bound: every cluster read at once, one round trip per page.
async fn lower_bound_read(client: &CceClient, desired: &Desired) -> Result<(), LiveError> {
    let clusters: Vec<_> = desired.clusters.values().map(|c| c.id.clone()).collect();
    stream::iter(clusters)
        .map(|cluster| async move {
            let (pools, nodes) = futures::try_join!(
                client.list_pools_wire(&cluster),
                client.list_nodes_wire(&cluster)
            )?;
            Ok::<_, LiveError>(pools.len() + nodes.len())
        })
        .buffer_unordered(usize::MAX)
        .try_collect::<Vec<_>>()
        .await
        .map(drop)
}

struct PlanRow {
    scale: Scale,
    poolform: Measured,
    /// poolform with `--max-concurrency 1024`.
    tuned: Measured,
    per_resource: Measured,
    lower_bound: Measured,
    stale_nodes: usize,
    batches: usize,
}

async fn bench_plan(scale: Scale, latency: Duration, full_per_resource_up_to: usize) -> PlanRow {
    let desired = load_config(&fleet_config(scale, NEW_SCRIPT));
    let seed = load_config(&fleet_config(scale, OLD_SCRIPT));
    let handle = sim::start(sim_config(latency), fleet_state(&seed, scale.nodes))
        .await
        .expect("simulator starts");

    // poolform: the function `poolform plan` runs, on a configuration file,
    // with the CLI's defaults; then the same with --max-concurrency raised.
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("poolform.toml");
    std::fs::write(
        &path,
        fleet_config_at(scale, NEW_SCRIPT, Some(&handle.endpoint())),
    )
    .expect("write config");
    let (poolform, plan, live) = plan_like_the_cli(&handle, &path, &FleetArgs::default()).await;
    let tuned_args = FleetArgs {
        max_concurrency: Some(1024),
        ..FleetArgs::default()
    };
    let (tuned, _, _) = plan_like_the_cli(&handle, &path, &tuned_args).await;
    let stale_nodes = plan
        .pools
        .iter()
        .filter_map(|pool| pool.sync.as_ref())
        .map(|sync| sync.stale_nodes.len())
        .sum();
    let batches = plan
        .pools
        .iter()
        .filter_map(|pool| pool.sync.as_ref())
        .map(|sync| sync.batches.len())
        .sum();

    // Per resource: every pool and node by id, 10 in flight.
    let client = client_for(&handle, 10, 2000);
    let mut resources = Vec::new();
    for cluster in live.clusters.values() {
        for pool in cluster.pools.values() {
            resources.push((cluster.id.clone(), Some(pool.id.clone()), None));
            for node in &pool.nodes {
                resources.push((cluster.id.clone(), None, Some(node.id.clone())));
            }
        }
    }
    drop(live);
    let total = resources.len();
    let sample = if scale.clusters <= full_per_resource_up_to {
        total
    } else {
        // A whole cluster's worth of resources; the time per request is
        // what a larger fleet multiplies.
        (scale.pools * (scale.nodes + 1)).min(total)
    };
    let before = handle.requests_served();
    let baseline = reset_peak();
    let started = Instant::now();
    per_resource_read(&client, &resources[..sample])
        .await
        .expect("per-resource read");
    let elapsed = started.elapsed();
    let requests = handle.requests_served() - before;
    let per_resource = Measured {
        wall: if sample == total {
            elapsed
        } else {
            elapsed.mul_f64(total as f64 / sample as f64)
        },
        requests: if sample == total {
            requests
        } else {
            total as u64
        },
        peak: peak_since(baseline),
        extrapolated_from: (sample != total).then_some(requests),
    };

    // Lower bound: all clusters at once, pages of the API's maximum size.
    let unbounded = client_for(&handle, 4096, 2000);
    let before = handle.requests_served();
    let baseline = reset_peak();
    let started = Instant::now();
    lower_bound_read(&unbounded, &desired)
        .await
        .expect("lower-bound read");
    let lower_bound = Measured {
        wall: started.elapsed(),
        requests: handle.requests_served() - before,
        peak: peak_since(baseline),
        extrapolated_from: None,
    };
    handle.shutdown().await.expect("simulator stops");
    PlanRow {
        scale,
        poolform,
        tuned,
        per_resource,
        lower_bound,
        stale_nodes,
        batches,
    }
}

/// One measured phase of the CPU benchmark.
struct Phase {
    name: &'static str,
    /// Median wall time over the iterations.
    wall: Duration,
    /// Median CPU time of the measuring thread over the iterations.
    cpu: Option<Duration>,
    /// Heap bytes above what was live before the phase, at its peak (the
    /// largest over the iterations).
    peak: usize,
}

struct CpuRow {
    nodes: usize,
    iterations: usize,
    phases: Vec<Phase>,
    /// Config + diff + plan together: median wall, median CPU, peak heap.
    total: Phase,
    /// Heap bytes the finished plan keeps alive (above the baseline).
    plan_retained: usize,
    stale_nodes: usize,
    steps: usize,
    /// SHA-256 of the JSON plan (first 16 hex digits): equal before and
    /// after a performance change when the output is unchanged.
    json_digest: String,
    json_bytes: usize,
}

/// CPU time the calling thread has used: the first field of
/// `/proc/thread-self/schedstat` (nanoseconds on a CPU). `None` where that
/// file does not exist; the table then shows wall time only.
fn thread_cpu_time() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values.get(values.len() / 2).copied().unwrap_or_default()
}

/// Runs `work` once, measuring wall time, thread CPU time and the heap peak
/// above what was live when it started.
fn measure<T>(work: impl FnOnce() -> T) -> (T, Duration, Option<Duration>, usize) {
    let baseline = reset_peak();
    let cpu_before = thread_cpu_time();
    let started = Instant::now();
    let value = work();
    let wall = started.elapsed();
    let cpu = cpu_before.and_then(|before| Some(thread_cpu_time()?.saturating_sub(before)));
    (value, wall, cpu, peak_since(baseline))
}

/// The live snapshot of `scale`, read through the real client from a
/// simulator that is completely stopped before this returns: nothing else
/// runs (or frees memory) while the CPU phases are measured.
fn cpu_live_snapshot(runtime: &tokio::runtime::Runtime, scale: Scale) -> poolform::model::Live {
    let seed = load_config(&fleet_config(scale, OLD_SCRIPT));
    runtime.block_on(async {
        let handle = sim::start(sim_config(Duration::ZERO), fleet_state(&seed, scale.nodes))
            .await
            .expect("simulator starts");
        let client = client_for(&handle, 64, 2000);
        let live = fetch::fetch(&client, &seed.cluster_ids(), 64)
            .await
            .expect("fetch");
        // The client's keep-alive connections would hold the server's
        // graceful shutdown open: drop it first, so that `shutdown` returns
        // with the server task (and the simulator state) gone.
        drop(client);
        handle.shutdown().await.expect("simulator stops");
        live
    })
}

/// Config + diff + plan with the live snapshot already in memory, then the
/// text and JSON renderings of the plan, each phase `iterations` times.
fn bench_cpu(runtime: &tokio::runtime::Runtime, scale: Scale, iterations: usize) -> CpuRow {
    let text = fleet_config(scale, NEW_SCRIPT);
    let live = cpu_live_snapshot(runtime, scale);
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("fleet.toml");
    std::fs::write(&path, &text).expect("write config");

    let names = ["config load", "diff + plan", "render text", "render json"];
    let mut walls: Vec<Vec<Duration>> = vec![Vec::new(); names.len() + 1];
    let mut cpus: Vec<Vec<Duration>> = vec![Vec::new(); names.len() + 1];
    let mut peaks = vec![0usize; names.len() + 1];
    let mut plan_retained = 0;
    let mut stale_nodes = 0;
    let mut steps = 0;
    let mut json_digest = String::new();
    let mut json_bytes = 0;
    for _ in 0..iterations {
        let total_baseline = reset_peak();
        let (desired, config_wall, config_cpu, config_peak) =
            measure(|| poolform::config::load(&path).expect("config"));
        // The plan phase's peak is measured from its own start; the total's
        // peak spans both, from before the config was read.
        let total_after_config = PEAK.load(Ordering::Relaxed);
        let (plan, plan_wall, plan_cpu, plan_peak) =
            measure(|| build_plan(&desired, &live, &[]).expect("plan"));
        let total_peak = PEAK
            .load(Ordering::Relaxed)
            .max(total_after_config)
            .saturating_sub(total_baseline);
        plan_retained = CURRENT
            .load(Ordering::Relaxed)
            .saturating_sub(total_baseline);
        assert!(
            plan.has_changes(),
            "the benchmark plan must have work in it"
        );
        stale_nodes = plan
            .pools
            .iter()
            .filter_map(|pool| pool.sync.as_ref())
            .map(|sync| sync.stale_nodes.len())
            .sum();
        steps = plan.steps.len();
        let (rendered_text, text_wall, text_cpu, text_peak) = measure(|| {
            poolform::render::text(&plan, &poolform::render::TextOptions { color: false })
        });
        drop(rendered_text);
        let (rendered_json, json_wall, json_cpu, json_peak) =
            measure(|| poolform::render::json(&plan));
        json_bytes = rendered_json.len();
        json_digest = hex::encode(&sha2::Sha256::digest(rendered_json.as_bytes())[..8]);
        drop(rendered_json);
        for (index, (wall, cpu, peak)) in [
            (config_wall, config_cpu, config_peak),
            (plan_wall, plan_cpu, plan_peak),
            (text_wall, text_cpu, text_peak),
            (json_wall, json_cpu, json_peak),
            (
                config_wall + plan_wall,
                config_cpu.zip(plan_cpu).map(|(a, b)| a + b),
                total_peak,
            ),
        ]
        .into_iter()
        .enumerate()
        {
            walls[index].push(wall);
            if let Some(cpu) = cpu {
                cpus[index].push(cpu);
            }
            peaks[index] = peaks[index].max(peak);
        }
        drop(plan);
        drop(desired);
    }
    let mut phases: Vec<Phase> = walls
        .into_iter()
        .zip(cpus)
        .zip(peaks)
        .zip(names.iter().chain(&["config + diff + plan"]))
        .map(|(((wall, cpu), peak), name)| Phase {
            name,
            wall: median(wall),
            cpu: (cpu.len() == iterations).then(|| median(cpu)),
            peak,
        })
        .collect();
    let total = phases.pop().expect("the total phase");
    CpuRow {
        nodes: scale.total_nodes(),
        iterations,
        phases,
        total,
        plan_retained,
        stale_nodes,
        steps,
        json_digest,
        json_bytes,
    }
}

struct ThrottledRow {
    wall: Duration,
    requests: u64,
    throttled: u64,
    /// What the quota alone imposes: the requests that got through, at the
    /// quota's rate.
    imposed: Duration,
}

/// `poolform plan` with the CLI's defaults against a gateway that lets
/// `limit` through and answers 429 above it: a first run that has never met
/// the quota, then the next run, which starts from the quota the gateway
/// named to the first (remembered in the `POOLFORM_CACHE_DIR` `main` sets).
async fn bench_throttled(scale: Scale, latency: Duration, limit: RateLimit) -> [ThrottledRow; 2] {
    let seed = load_config(&fleet_config(scale, OLD_SCRIPT));
    let mut config = sim_config(latency);
    config.faults = Faults {
        rate_limit: Some(limit),
        ..Faults::default()
    };
    let handle = sim::start(config, fleet_state(&seed, scale.nodes))
        .await
        .expect("simulator starts");
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("poolform.toml");
    std::fs::write(
        &path,
        fleet_config_at(scale, NEW_SCRIPT, Some(&handle.endpoint())),
    )
    .expect("write config");
    let rate = f64::from(limit.requests) / (limit.window_ms as f64 / 1000.0);
    // Each scale starts cold: a quota remembered from another simulator
    // that had this port must not pace it.
    let remembered = std::path::Path::new(
        &std::env::var_os("POOLFORM_CACHE_DIR").expect("main sets the cache directory"),
    )
    .join("quotas.json");
    let _ = std::fs::remove_file(&remembered);
    let mut rows = Vec::new();
    for _run in 0..2 {
        let throttled_before = handle.requests_rate_limited();
        let (measured, _, _) = plan_like_the_cli(&handle, &path, &FleetArgs::default()).await;
        let throttled = handle.requests_rate_limited() - throttled_before;
        let through = measured.requests - throttled;
        rows.push(ThrottledRow {
            wall: measured.wall,
            requests: measured.requests,
            throttled,
            imposed: Duration::from_secs_f64(through as f64 / rate),
        });
    }
    handle.shutdown().await.expect("simulator stops");
    let _ = std::fs::remove_file(&remembered);
    let [cold, warm] = <[ThrottledRow; 2]>::try_from(rows).ok().expect("two runs");
    [cold, warm]
}

struct ApplyRow {
    clusters: usize,
    pools: usize,
    nodes: usize,
    batches: usize,
    makespan: Duration,
    lower_bound: Duration,
    /// The slowest cluster shape's bound, for the note.
    bound_by: &'static str,
    pool_violations: usize,
    cluster_violations: usize,
    worst_cluster_peak: (usize, usize),
    profile: ApplyProfile,
}

/// How one cluster of the apply fleet is shaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// Independent pools, no cluster cap.
    Free,
    /// Independent pools under a cluster cap of `CAP` nodes.
    Capped,
    /// Pools in two `depends_on` chains of five.
    Chained,
}

impl Shape {
    fn of(cluster: usize) -> Self {
        match cluster % 3 {
            0 => Self::Free,
            1 => Self::Capped,
            _ => Self::Chained,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Free => "independent pools",
            Self::Capped => "cluster cap",
            Self::Chained => "depends_on chains",
        }
    }
}

/// The apply fleet: every pool has `APPLY_NODES` stale nodes and a budget of
/// `APPLY_BUDGET`; capped clusters allow `APPLY_CAP` nodes down at once.
const APPLY_NODES: usize = 4;
const APPLY_BUDGET: usize = 2;
const APPLY_CAP: usize = 4;

fn apply_fleet_config(clusters: usize, pools: usize, script: &str) -> String {
    let mut text =
        String::from("[cloud]\nregion = \"ap-southeast-1\"\nproject_id = \"sim-project\"\n\n");
    for cluster in 0..clusters {
        let shape = Shape::of(cluster);
        let _ = writeln!(
            text,
            "[clusters.c{cluster}]\nid = \"{}\"",
            cluster_id(cluster)
        );
        if shape == Shape::Capped {
            let _ = writeln!(text, "max_unavailable = {APPLY_CAP}");
        }
        for pool in 0..pools {
            let depends = if shape == Shape::Chained && pool % 5 != 0 {
                format!("depends_on = [\"c{cluster}-p{}\"]\n", pool - 1)
            } else {
                String::new()
            };
            let _ = write!(
                text,
                "\n[pools.c{cluster}-p{pool}]\ncluster = \"c{cluster}\"\nname = \"p{pool}\"\n\
                 flavor = \"c7.large.2\"\naz = \"ap-southeast-1a\"\nos = \"Huawei Cloud EulerOS 2.0\"\n\
                 login = {{ ssh_key = \"kp-bench\" }}\nroot_volume = {{ type = \"GPSSD\", size = 50 }}\n\
                 data_volumes = [{{ type = \"GPSSD\", size = 100 }}]\n\
                 [pools.c{cluster}-p{pool}.lifecycle]\npost_install = {script:?}\n\
                 [pools.c{cluster}-p{pool}.rollout]\nmax_unavailable = {APPLY_BUDGET}\n{depends}"
            );
        }
        text.push('\n');
    }
    text
}

/// The makespan's lower bound in batch periods for one cluster: the longest
/// `depends_on` path of batch counts, and for a capped cluster also its
/// node-periods over the cap (every node is down for one whole period, and
/// no more than the cap at once).
fn cluster_bound(shape: Shape, pools: usize) -> usize {
    let batches = APPLY_NODES.div_ceil(APPLY_BUDGET);
    match shape {
        Shape::Free => batches,
        Shape::Chained => batches * pools.min(5),
        Shape::Capped => batches.max((pools * APPLY_NODES).div_ceil(APPLY_CAP)),
    }
}

/// When a step's batch was posted and when the step finished, in real time
/// since the start.
type StepTimes = (Option<Duration>, Option<Duration>);

/// When each batch was posted and finished, for the profile of where an
/// apply's time goes.
#[derive(Default)]
struct BatchTimes {
    started: std::sync::OnceLock<Instant>,
    /// (step, posted, finished), in real time since the start.
    steps: std::sync::Mutex<std::collections::BTreeMap<usize, StepTimes>>,
}

impl EventSink for BatchTimes {
    fn emit(&self, event: Event) {
        let start = *self.started.get_or_init(Instant::now);
        let now = start.elapsed();
        let mut steps = self
            .steps
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match event {
            Event::BatchPosted { step, .. } => steps.entry(step).or_default().0 = Some(now),
            Event::StepFinished { step, .. } => steps.entry(step).or_default().1 = Some(now),
            _ => {}
        }
    }
}

/// Where the time of an apply went, in simulated seconds per batch: from
/// the sync request to the step's end (the reset itself plus the lateness
/// of noticing it), and from one batch's end to the next batch of the same
/// pool being posted.
struct ApplyProfile {
    posted_to_finished: Duration,
    /// The same for batches posted after the first period, when the run
    /// knows how long a batch takes.
    later_posted_to_finished: Duration,
    /// From the end of the last step a step depends on to its sync request,
    /// in clusters without a cap (where a batch may also wait for the cap).
    ready_to_posted: Duration,
    /// The last step's end in the slowest cluster of each shape.
    by_shape: Vec<(&'static str, Duration)>,
}

fn apply_profile(times: &BatchTimes, plan: &poolform::plan::Plan, time_scale: f64) -> ApplyProfile {
    let steps = times
        .steps
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mean = |values: &[Duration]| {
        values.iter().sum::<Duration>().mul_f64(time_scale) / values.len().max(1) as u32
    };
    let first_period = Duration::from_secs(70).div_f64(time_scale);
    let mut running = Vec::new();
    let mut later = Vec::new();
    let mut waits = Vec::new();
    let mut by_shape: std::collections::BTreeMap<&'static str, Duration> = Default::default();
    for (index, step) in plan.steps.iter().enumerate() {
        let Some((posted, finished)) = steps.get(&index) else {
            continue;
        };
        if let (Some(posted), Some(finished)) = (posted, finished) {
            running.push(finished.saturating_sub(*posted));
            if *posted > first_period {
                later.push(finished.saturating_sub(*posted));
            }
        }
        let cluster: usize = step.cluster.as_str()[1..].parse().unwrap_or(0);
        let shape = Shape::of(cluster);
        if let Some(finished) = finished {
            let last = by_shape.entry(shape.name()).or_default();
            *last = (*last).max(finished.mul_f64(time_scale));
        }
        let ready = step
            .depends_on
            .iter()
            .filter_map(|dependency| steps.get(dependency).and_then(|times| times.1))
            .max();
        if shape != Shape::Capped
            && let (Some(ready), Some(posted)) = (ready, posted)
        {
            waits.push(posted.saturating_sub(ready));
        }
    }
    ApplyProfile {
        posted_to_finished: mean(&running),
        later_posted_to_finished: mean(&later),
        ready_to_posted: mean(&waits),
        by_shape: by_shape.into_iter().collect(),
    }
}

/// Apply of a fleet of `clusters` × `pools`, with the CLI's default
/// parallelism; the makespan in simulated time against the critical path
/// given budgets, caps and dependencies.
async fn bench_apply(clusters: usize, pools: usize, time_scale: f64, reset: Duration) -> ApplyRow {
    let desired = load_config(&apply_fleet_config(clusters, pools, NEW_SCRIPT));
    let seed = load_config(&apply_fleet_config(clusters, pools, OLD_SCRIPT));
    let state = fleet_state(&seed, APPLY_NODES);
    let mut config = sim_config(Duration::ZERO);
    config.time_scale = time_scale;
    config.reset_duration = reset;
    config.job_start_delay = Duration::ZERO;
    let handle = sim::start(config, state).await.expect("simulator starts");
    let client = client_for(
        &handle,
        poolform::live::client::DEFAULT_MAX_CONCURRENCY,
        1000,
    );
    let live = fetch::fetch(&client, &desired.cluster_ids(), fetch::DEFAULT_CONCURRENCY)
        .await
        .expect("fetch");
    let plan = build_plan(&desired, &live, &[]).expect("plan");

    let (bound_periods, bound_by) = (0..clusters)
        .map(|cluster| {
            let shape = Shape::of(cluster);
            (cluster_bound(shape, pools), shape.name())
        })
        .max()
        .unwrap_or((0, "nothing"));
    let lower_bound = reset.mul_f64(bound_periods as f64);

    // The CLI's defaults; only the clock is the simulator's: polling every
    // 5 s of simulated time, as the CLI does against the cloud.
    let options = ApplyOptions {
        poll_interval: Duration::from_secs(5).div_f64(time_scale),
        time_scale,
        ..ApplyOptions::default()
    };
    let started = Instant::now();
    let times = BatchTimes::default();
    let _ = times.started.set(started);
    let report = apply::apply(&client, &plan, &options, &times, &CancelToken::new())
        .await
        .expect("apply");
    let makespan = started.elapsed().mul_f64(time_scale);
    let profile = apply_profile(&times, &plan, time_scale);
    assert!(report.succeeded(), "benchmark apply failed: {report:?}");

    let mut pool_violations = 0;
    for pool in &plan.pools {
        let Some(id) = &pool.pool_id else { continue };
        let budget = pool
            .sync
            .as_ref()
            .map_or(0, |sync| sync.max_unavailable as usize);
        if handle.peak_unavailable(id.as_str()) > budget {
            pool_violations += 1;
        }
    }
    let mut cluster_violations = 0;
    let mut worst_cluster_peak = (0, APPLY_CAP);
    for cluster in desired.clusters.values() {
        let Some(cap) = cluster.max_unavailable else {
            continue;
        };
        let peak = handle.cluster_peak_unavailable(cluster.id.as_str());
        if peak > cap as usize {
            cluster_violations += 1;
        }
        worst_cluster_peak = worst_cluster_peak.max((peak, cap as usize));
    }
    let batches = plan
        .pools
        .iter()
        .filter_map(|pool| pool.sync.as_ref())
        .map(|sync| sync.batches.len())
        .sum();
    drop(client);
    handle.shutdown().await.expect("simulator stops");
    ApplyRow {
        clusters,
        pools: clusters * pools,
        nodes: clusters * pools * APPLY_NODES,
        batches,
        makespan,
        lower_bound,
        bound_by,
        pool_violations,
        cluster_violations,
        worst_cluster_peak,
        profile,
    }
}

fn seconds(duration: Duration) -> String {
    let secs = duration.as_secs_f64();
    if secs < 1.0 {
        format!("{:.0} ms", secs * 1000.0)
    } else {
        format!("{secs:.2} s")
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test` runs this without it, and
    // then a tiny fleet checks that the harness still works.
    let args: Vec<String> = std::env::args().skip(1).collect();
    let full = args.iter().any(|arg| arg == "--bench");
    // `cargo bench --bench fleet -- apply` runs only the named sections.
    let sections: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|arg| ["plan", "throttled", "cpu", "apply"].contains(arg))
        .collect();
    let wanted = |section: &str| sections.is_empty() || sections.contains(&section);
    // The plan rows run the CLI's own code, which takes credentials from
    // the environment as the CLI does; the simulator here checks none.
    // SAFETY: set before the runtime (and any other thread) starts.
    // The quotas the CLI remembers between runs go to a directory of the
    // benchmark's own, not the user's cache.
    let cache = tempfile::tempdir().expect("cache directory");
    unsafe {
        std::env::set_var("CLOUD_SDK_AK", "bench-access-key");
        std::env::set_var("CLOUD_SDK_SK", "bench-secret-key");
        std::env::set_var("POOLFORM_CACHE_DIR", cache.path());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let latency = Duration::from_millis(if full { 50 } else { 5 });
    let scales: Vec<Scale> = if full {
        vec![
            Scale {
                clusters: 1,
                pools: 10,
                nodes: 100,
            },
            Scale {
                clusters: 20,
                pools: 10,
                nodes: 100,
            },
            Scale {
                clusters: 100,
                pools: 10,
                nodes: 100,
            },
        ]
    } else {
        vec![Scale {
            clusters: 2,
            pools: 3,
            nodes: 10,
        }]
    };
    let full_per_resource_up_to = if full { 1 } else { usize::MAX };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## Plan: fetch + diff + plan at {} ms latency per request\n",
        latency.as_millis()
    );
    let _ = writeln!(
        out,
        "| fleet (clusters × pools × nodes) | nodes | stale / batches | poolform | requests | peak heap | per-resource (10 in flight) | requests | lower bound | requests | vs lower bound | speed-up vs per-resource |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|---|---|---|");
    for scale in scales.into_iter().filter(|_| wanted("plan")) {
        let row = runtime.block_on(bench_plan(scale, latency, full_per_resource_up_to));
        let ratio_lower = row.poolform.wall.as_secs_f64() / row.lower_bound.wall.as_secs_f64();
        let speedup = row.per_resource.wall.as_secs_f64() / row.poolform.wall.as_secs_f64();
        let _ = writeln!(
            out,
            "| {} | {} | {} / {} | {} | {} | {} | {}{} | {} | {} | {} | {:.2}× | {:.0}× |",
            row.scale.label(),
            row.scale.total_nodes(),
            row.stale_nodes,
            row.batches,
            seconds(row.poolform.wall),
            row.poolform.requests,
            mib(row.poolform.peak),
            seconds(row.per_resource.wall),
            if row.per_resource.extrapolated_from.is_some() {
                " (extrapolated)"
            } else {
                ""
            },
            row.per_resource.requests,
            seconds(row.lower_bound.wall),
            row.lower_bound.requests,
            ratio_lower,
            speedup,
        );
        let _ = writeln!(
            out,
            "| ↳ tuned: `--max-concurrency 1024` | | | {} | {} | {} | | | | | {:.2}× | {:.0}× |",
            seconds(row.tuned.wall),
            row.tuned.requests,
            mib(row.tuned.peak),
            row.tuned.wall.as_secs_f64() / row.lower_bound.wall.as_secs_f64(),
            row.per_resource.wall.as_secs_f64() / row.tuned.wall.as_secs_f64(),
        );
        if let Some(sampled) = row.per_resource.extrapolated_from {
            let _ = writeln!(
                out,
                "|  | | | | | | (measured on {sampled} requests, one cluster, scaled by request count) | | | | | |"
            );
        }
    }

    if wanted("plan") {
        let _ = writeln!(
            out,
            "\nPeak heap counts every allocation in the process, so in this section it includes the in-process simulator's response buffers, not only poolform's; the CPU section below measures poolform alone."
        );
    }

    let cpu_scale = if full {
        Scale {
            clusters: 100,
            pools: 10,
            nodes: 100,
        }
    } else {
        Scale {
            clusters: 2,
            pools: 3,
            nodes: 10,
        }
    };
    if wanted("cpu") {
        let iterations = if full { 5 } else { 1 };
        let cpu = bench_cpu(&runtime, cpu_scale, iterations);
        let _ = writeln!(
            out,
            "\n## CPU: config + diff + plan, live snapshot in memory ({} nodes, {} stale, {} steps; median of {} runs)\n",
            cpu.nodes, cpu.stale_nodes, cpu.steps, cpu.iterations
        );
        let _ = writeln!(
            out,
            "JSON plan: {} bytes, SHA-256 {}…\n",
            cpu.json_bytes, cpu.json_digest
        );
        let _ = writeln!(out, "| phase | wall | CPU | peak heap |");
        let _ = writeln!(out, "|---|---|---|---|");
        let cpu_cell = |cpu: Option<Duration>| cpu.map_or_else(|| "n/a".to_owned(), seconds);
        for phase in &cpu.phases {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                phase.name,
                seconds(phase.wall),
                cpu_cell(phase.cpu),
                mib(phase.peak)
            );
        }
        let _ = writeln!(
            out,
            "| **{}** | **{}** | **{}** | **{}** (the plan itself keeps {}) |",
            cpu.total.name,
            seconds(cpu.total.wall),
            cpu_cell(cpu.total.cpu),
            mib(cpu.total.peak),
            mib(cpu.plan_retained)
        );
    }

    if wanted("throttled") {
        // API Gateway's answer names the quota, as APIG.0308 does.
        let limit = RateLimit {
            requests: 20,
            window_ms: 1000,
            names_quota: true,
        };
        let throttled_scales: Vec<Scale> = if full {
            vec![
                Scale {
                    clusters: 20,
                    pools: 10,
                    nodes: 50,
                },
                Scale {
                    clusters: 100,
                    pools: 10,
                    nodes: 100,
                },
            ]
        } else {
            vec![Scale {
                clusters: 2,
                pools: 3,
                nodes: 10,
            }]
        };
        let _ = writeln!(
            out,
            "\n## Plan against a rate limit: {} requests per {} ms, 429 above, {} ms latency, CLI defaults\n",
            limit.requests,
            limit.window_ms,
            latency.as_millis()
        );
        let _ = writeln!(
            out,
            "| fleet (clusters × pools × nodes) | nodes | poolform | requests | throttled (429) | share throttled | imposed by the limit | vs imposed |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|---|---|---|");
        for scale in throttled_scales {
            let rows = runtime.block_on(bench_throttled(scale, latency, limit));
            for (row, label, nodes) in [
                (&rows[0], scale.label(), scale.total_nodes().to_string()),
                (
                    &rows[1],
                    "↳ next run (quota remembered)".to_owned(),
                    String::new(),
                ),
            ] {
                let _ = writeln!(
                    out,
                    "| {label} | {nodes} | {} | {} | {} | {:.1}% | {} | {:.2}× |",
                    seconds(row.wall),
                    row.requests,
                    row.throttled,
                    100.0 * row.throttled as f64 / row.requests.max(1) as f64,
                    seconds(row.imposed),
                    row.wall.as_secs_f64() / row.imposed.as_secs_f64(),
                );
            }
        }
    }

    let (clusters, pools, time_scale, reset) = if full {
        (20, 10, 20.0, Duration::from_secs(60))
    } else {
        (3, 5, 2000.0, Duration::from_secs(20))
    };
    if wanted("apply") {
        let row = runtime.block_on(bench_apply(clusters, pools, time_scale, reset));
        let _ = writeln!(
            out,
            "\n## Apply: makespan in simulated time ({} clusters × {} pools, {}s reset per batch, time scale {time_scale}×, CLI defaults)\n",
            row.clusters,
            row.pools / row.clusters.max(1),
            reset.as_secs()
        );
        let _ = writeln!(
            out,
            "| pools | nodes | batches | makespan | lower bound (critical path, bound by {}) | ratio | worst capped cluster peak / cap | pool budget violations | cluster cap violations |",
            row.bound_by
        );
        let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|");
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {:.3}× | {} / {} | {} | {} |",
            row.pools,
            row.nodes,
            row.batches,
            seconds(row.makespan),
            seconds(row.lower_bound),
            row.makespan.as_secs_f64() / row.lower_bound.as_secs_f64(),
            row.worst_cluster_peak.0,
            row.worst_cluster_peak.1,
            row.pool_violations,
            row.cluster_violations
        );
        let _ = writeln!(
            out,
            "\nWhere the time goes (simulated): sync request to step end {} per batch (the reset takes {}; {} for batches posted after the first period, once the run knows how long a batch takes); from the end of what a step depends on to its sync request {}. Last step end in the slowest cluster of each shape: {}.",
            seconds(row.profile.posted_to_finished),
            seconds(reset),
            seconds(row.profile.later_posted_to_finished),
            seconds(row.profile.ready_to_posted),
            row.profile
                .by_shape
                .iter()
                .map(|(shape, end)| format!("{shape} {}", seconds(*end)))
                .collect::<Vec<_>>()
                .join(", "),
        );
        assert_eq!(row.pool_violations, 0, "a pool exceeded its budget");
        assert_eq!(row.cluster_violations, 0, "a cluster exceeded its cap");
    }
    print!("{out}");
}
