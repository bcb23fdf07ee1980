//! poolform's benchmark: plan at fleet scale, the config-to-plan CPU path,
//! and apply makespan, each next to its baseline and lower bound.
//!
//! `cargo bench --bench fleet` runs the full set (about two to three minutes
//! on a 2-core machine) and prints the table the README's "Performance"
//! section shows. `cargo test` runs the same code on a tiny fleet, as a smoke
//! test that the harness still works.
//!
//! Everything runs in one process against the built-in simulator over real
//! loopback sockets, with a fixed latency added to every request. Peak memory
//! is measured with a counting global allocator (heap bytes live at once),
//! reset before each measured phase.

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt, TryStreamExt};
use poolform::apply::{self, ApplyOptions, CancelToken, NoEvents};
use poolform::live::client::{CceClient, ClientOptions, RetryPolicy};
use poolform::live::{CceApi, Credentials, LiveError, fetch};
use poolform::model::{ClusterId, Desired, NodeId, PoolId};
use poolform::plan::{build_plan, create_body};
use poolform::sim::{self, SimConfig, SimState};
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
    let mut text =
        String::from("[cloud]\nregion = \"ap-southeast-1\"\nproject_id = \"sim-project\"\n\n");
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

/// The pool the simulator stores from poolform's CreateNodePool request for
/// `pool`: parsed from the JSON poolform sends.
fn as_simulator_reads_it(pool: &poolform::model::DesiredPool) -> poolform::live::wire::NodePool {
    serde_json::from_value(serde_json::to_value(create_body(pool)).expect("serialisable"))
        .expect("a create body reads as a pool")
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
        state.add_pool(cluster.id.as_str(), as_simulator_reads_it(pool), nodes);
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

/// How a Terraform-style provider refreshes: one GET per pool and one per
/// node, by id, at most 10 requests in flight.
async fn per_resource_read(
    client: &CceClient,
    resources: &[(ClusterId, Option<PoolId>, Option<NodeId>)],
) -> Result<(), LiveError> {
    stream::iter(resources)
        .map(|(cluster, pool, node)| async move {
            match (pool, node) {
                (Some(pool), _) => client.show_pool(cluster, pool).await.map(drop),
                (None, Some(node)) => client.show_node(cluster, node).await.map(drop),
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
            let (pools, nodes) =
                futures::try_join!(client.list_pools(&cluster), client.list_nodes(&cluster))?;
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

    // poolform: the same fetch and plan the CLI runs, with its defaults.
    let client = client_for(&handle, fetch::DEFAULT_CONCURRENCY, 2000);
    let before = handle.requests_served();
    let baseline = reset_peak();
    let started = Instant::now();
    let live = fetch::fetch(&client, &desired, fetch::DEFAULT_CONCURRENCY)
        .await
        .expect("fetch");
    let plan = build_plan(&desired, &live, &[]).expect("plan");
    let poolform = Measured {
        wall: started.elapsed(),
        requests: handle.requests_served() - before,
        peak: peak_since(baseline),
        extrapolated_from: None,
    };
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
        let live = fetch::fetch(&client, &seed, 64).await.expect("fetch");
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

struct ApplyRow {
    nodes: usize,
    batches: usize,
    makespan: Duration,
    lower_bound: Duration,
    budget: usize,
    peak: usize,
    violations: usize,
}

/// Apply of a fleet with dependency chains and parallel pools; the makespan
/// in simulated time against the critical path of batch durations.
async fn bench_apply(time_scale: f64, reset: Duration) -> ApplyRow {
    // Two chains run in parallel: a -> b -> c and d -> e, plus f alone.
    let shapes: [(&str, usize, u32, Option<&str>); 6] = [
        ("pool-a", 40, 4, None),
        ("pool-b", 30, 5, Some("pool-a")),
        ("pool-c", 20, 4, Some("pool-b")),
        ("pool-d", 36, 6, None),
        ("pool-e", 24, 4, Some("pool-d")),
        ("pool-f", 50, 5, None),
    ];
    let mut text = String::from(
        "[cloud]\nregion = \"ap-southeast-1\"\nproject_id = \"sim-project\"\n\n[clusters.prod]\nid = \"c0ffee00-0000-4000-8000-000000000001\"\n\n",
    );
    let mut seed_text = text.clone();
    for (name, _, budget, depends) in shapes {
        for (target, script) in [(&mut text, NEW_SCRIPT), (&mut seed_text, OLD_SCRIPT)] {
            let _ = write!(
                target,
                "[pools.{name}]\ncluster = \"prod\"\nflavor = \"c7.large.2\"\naz = \"ap-southeast-1a\"\n\
                 os = \"Huawei Cloud EulerOS 2.0\"\nlogin = {{ ssh_key = \"kp-bench\" }}\n\
                 root_volume = {{ type = \"GPSSD\", size = 50 }}\n\
                 data_volumes = [{{ type = \"GPSSD\", size = 100 }}]\n\
                 [pools.{name}.lifecycle]\npost_install = {script:?}\n\
                 [pools.{name}.rollout]\nmax_unavailable = {budget}\n{}\n",
                depends
                    .map(|d| format!("depends_on = [\"{d}\"]\n"))
                    .unwrap_or_default()
            );
        }
    }
    let desired = load_config(&text);
    let seed = load_config(&seed_text);
    let mut state = SimState::new();
    for cluster in seed.clusters.values() {
        state.add_cluster(cluster.id.as_str());
    }
    for (name, nodes, _, _) in shapes {
        let pool = &seed.pools[&poolform::model::PoolAddress::from(name)];
        state.add_pool(
            seed.clusters[&pool.cluster].id.as_str(),
            as_simulator_reads_it(pool),
            nodes,
        );
    }
    let mut config = sim_config(Duration::ZERO);
    config.time_scale = time_scale;
    config.reset_duration = reset;
    config.job_start_delay = Duration::ZERO;
    let handle = sim::start(config, state).await.expect("simulator starts");
    let client = client_for(&handle, 16, 2000);
    let live = fetch::fetch(&client, &desired, 16).await.expect("fetch");
    let plan = build_plan(&desired, &live, &[]).expect("plan");

    // The lower bound: the longest dependency chain of batch durations.
    let mut finish: BTreeMap<&str, u32> = BTreeMap::new();
    let mut batches_total = 0;
    for (name, nodes, budget, depends) in shapes {
        let batches = nodes.div_ceil(budget as usize) as u32;
        batches_total += batches as usize;
        let start = depends.map(|d| finish[d]).unwrap_or(0);
        finish.insert(name, start + batches);
    }
    let critical_batches = finish.values().copied().max().unwrap_or(0);
    let lower_bound = reset.mul_f64(f64::from(critical_batches));

    let options = ApplyOptions {
        parallelism: 8,
        poll_interval: Duration::from_millis(2),
        time_scale,
        ..ApplyOptions::default()
    };
    let started = Instant::now();
    let report = apply::apply(&client, &plan, &options, &NoEvents, &CancelToken::new())
        .await
        .expect("apply");
    let makespan = started.elapsed().mul_f64(time_scale);
    assert!(report.succeeded(), "benchmark apply failed: {report:?}");

    let mut violations = 0;
    let mut peak_ratio_worst = (0usize, 1usize);
    for pool in &plan.pools {
        let Some(id) = &pool.pool_id else { continue };
        let budget = pool
            .sync
            .as_ref()
            .map_or(0, |sync| sync.max_unavailable as usize);
        let peak = handle.peak_unavailable(id.as_str());
        if peak > budget {
            violations += 1;
        }
        if peak * peak_ratio_worst.1 > peak_ratio_worst.0 * budget.max(1) {
            peak_ratio_worst = (peak, budget.max(1));
        }
    }
    handle.shutdown().await.expect("simulator stops");
    ApplyRow {
        nodes: shapes.iter().map(|s| s.1).sum(),
        batches: batches_total,
        makespan,
        lower_bound,
        budget: peak_ratio_worst.1,
        peak: peak_ratio_worst.0,
        violations,
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
        .filter(|arg| ["plan", "cpu", "apply"].contains(arg))
        .collect();
    let wanted = |section: &str| sections.is_empty() || sections.contains(&section);
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

    let (time_scale, reset) = if full {
        (200.0, Duration::from_secs(60))
    } else {
        (2000.0, Duration::from_secs(20))
    };
    if wanted("apply") {
        let apply_row = runtime.block_on(bench_apply(time_scale, reset));
        let _ = writeln!(
            out,
            "\n## Apply: makespan in simulated time ({}s reset per batch, time scale {time_scale}×)\n",
            reset.as_secs()
        );
        let _ = writeln!(
            out,
            "| nodes | batches | makespan | lower bound (critical path) | ratio | worst pool peak / budget | budget violations |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|---|---|");
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {:.3}× | {} / {} | {} |",
            apply_row.nodes,
            apply_row.batches,
            seconds(apply_row.makespan),
            seconds(apply_row.lower_bound),
            apply_row.makespan.as_secs_f64() / apply_row.lower_bound.as_secs_f64(),
            apply_row.peak,
            apply_row.budget,
            apply_row.violations
        );
        assert_eq!(apply_row.violations, 0, "a pool exceeded its budget");
    }
    print!("{out}");
}
