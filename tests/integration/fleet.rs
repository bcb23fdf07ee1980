//! Fleets: clusters in two regions (two simulators, one per endpoint), and
//! `--cluster`, which narrows `plan` and `apply` to named clusters so a fleet
//! can be sharded over CI jobs. The real binary against simulators over
//! sockets.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use poolform::sim::{self, SimConfig, SimHandle, SimState};

const OLD_SCRIPT: &str = "echo v1";
const NEW_SCRIPT: &str = "echo v2";

/// A cluster of the test fleet: its key, its CCE id and its one pool.
struct Cluster {
    key: &'static str,
    id: &'static str,
    /// The endpoint line of its table, if it has its own.
    place: String,
}

fn config_text(clusters: &[Cluster], cloud_endpoint: &str, script: &str) -> String {
    let mut text =
        format!("[cloud]\nendpoint = \"{cloud_endpoint}\"\nproject_id = \"sim-project\"\n");
    for cluster in clusters {
        text.push_str(&format!(
            "\n[clusters.{key}]\nid = \"{id}\"\n{place}\n\
             [pools.{key}-app]\ncluster = \"{key}\"\nname = \"app\"\nflavor = \"c7.large.2\"\n\
             az = \"ap-southeast-1a\"\nos = \"Huawei Cloud EulerOS 2.0\"\n\
             login = {{ ssh_key = \"kp\" }}\nroot_volume = {{ type = \"GPSSD\", size = 50 }}\n\
             data_volumes = [{{ type = \"GPSSD\", size = 100 }}]\n\
             [pools.{key}-app.lifecycle]\npost_install = \"{script}\"\n\
             [pools.{key}-app.rollout]\nmax_unavailable = 2\n",
            key = cluster.key,
            id = cluster.id,
            place = cluster.place,
        ));
    }
    text
}

/// Seeds each simulator with its clusters, every pool's three nodes made
/// from the configuration with the old script.
async fn start_sims(groups: &[&[&Cluster]]) -> Vec<SimHandle> {
    let mut sims = Vec::new();
    for clusters in groups {
        let dir = tempfile::tempdir().expect("temp dir");
        let owned: Vec<Cluster> = clusters
            .iter()
            .map(|cluster| Cluster {
                key: cluster.key,
                id: cluster.id,
                place: String::new(),
            })
            .collect();
        std::fs::write(
            dir.path().join("seed.toml"),
            config_text(&owned, "http://127.0.0.1:1", OLD_SCRIPT),
        )
        .expect("seed config written");
        let seed = poolform::config::load(&dir.path().join("seed.toml")).expect("seed loads");
        let mut state = SimState::new();
        for pool in seed.pools.values() {
            let cluster = &seed.clusters[&pool.cluster];
            let body = serde_json::to_value(poolform::live::body::create_body(
                &poolform::api::CreatePool::of(pool),
                None,
            ))
            .expect("json");
            state
                .add_pool_json(cluster.id.as_str(), &body, 3)
                .expect("seed");
        }
        let mut config = SimConfig {
            time_scale: 2000.0,
            job_start_delay: Duration::ZERO,
            ..SimConfig::default()
        };
        config.auth.enabled = false;
        sims.push(sim::start(config, state).await.expect("simulator starts"));
    }
    sims
}

fn poolform(args: &[&str], config: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_poolform"));
    command
        .args(args)
        .arg(config)
        .env("CLOUD_SDK_AK", "AKTEST")
        .env("CLOUD_SDK_SK", "SKTEST")
        .env("NO_COLOR", "1")
        // Quotas remembered between runs stay out of the user's cache and
        // out of other tests (simulators' ports are reused).
        .env("POOLFORM_CACHE_DIR", config.with_extension("cache"))
        .stdin(Stdio::null());
    command
}

/// Runs the binary off the runtime's threads (the simulators run on them).
async fn run(mut command: Command) -> (Output, String, String) {
    let output = tokio::task::spawn_blocking(move || command.output().expect("poolform runs"))
        .await
        .expect("runner joins");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output, stdout, stderr)
}

/// The clusters whose nodes were synchronised, from a simulator's log.
fn synced_clusters(sim: &SimHandle) -> Vec<String> {
    let mut clusters: Vec<String> = sim
        .request_log()
        .iter()
        .filter(|request| request.path.contains("/operation/upgrade"))
        .filter_map(|request| {
            let rest = request.path.split("/clusters/").nth(1)?;
            Some(rest.split('/').next()?.to_owned())
        })
        .collect();
    clusters.sort();
    clusters.dedup();
    clusters
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_two_region_configuration_reads_and_applies_through_both_endpoints() {
    let home = Cluster {
        key: "sg",
        id: "c-sg",
        place: String::new(),
    };
    let away_bare = Cluster {
        key: "eu",
        id: "c-eu",
        place: String::new(),
    };
    let sims = start_sims(&[&[&home], &[&away_bare]]).await;
    let away = Cluster {
        place: format!("endpoint = \"{}\"", sims[1].endpoint()),
        ..away_bare
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("poolform.toml");
    std::fs::write(
        &config,
        config_text(&[home, away], &sims[0].endpoint(), NEW_SCRIPT),
    )
    .expect("config written");

    // Each simulator knows only its own cluster: a request sent to the
    // wrong endpoint would fail the plan.
    let (output, stdout, stderr) = run(poolform(&["plan"], &config)).await;
    assert!(
        output.status.success(),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        stdout.contains("sg-app") && stdout.contains("eu-app"),
        "{stdout}"
    );
    assert!(sims.iter().all(|sim| sim.requests_served() > 0));

    let (output, stdout, stderr) = run(poolform(
        &["apply", "--auto-approve", "--poll-interval", "20ms"],
        &config,
    ))
    .await;
    assert!(
        output.status.success(),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert_eq!(synced_clusters(&sims[0]), ["c-sg"]);
    assert_eq!(synced_clusters(&sims[1]), ["c-eu"]);

    let (output, stdout, stderr) = run(poolform(&["plan", "--detailed-exitcode"], &config)).await;
    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_limits_plan_and_apply_to_the_named_clusters() {
    let clusters = [
        Cluster {
            key: "blue",
            id: "c-blue",
            place: String::new(),
        },
        Cluster {
            key: "green",
            id: "c-green",
            place: String::new(),
        },
        Cluster {
            key: "red",
            id: "c-red",
            place: String::new(),
        },
    ];
    let sims = start_sims(&[&clusters.iter().collect::<Vec<_>>()]).await;
    let sim = &sims[0];
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("poolform.toml");
    std::fs::write(&config, config_text(&clusters, &sim.endpoint(), NEW_SCRIPT))
        .expect("config written");

    let (output, stdout, stderr) = run(poolform(
        &["plan", "--cluster", "blue", "--cluster", "red"],
        &config,
    ))
    .await;
    assert!(
        output.status.success(),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        stdout.contains("blue-app") && stdout.contains("red-app"),
        "{stdout}"
    );
    assert!(!stdout.contains("green"), "{stdout}");

    let (output, stdout, stderr) = run(poolform(
        &[
            "apply",
            "--cluster",
            "green",
            "--auto-approve",
            "--poll-interval",
            "20ms",
        ],
        &config,
    ))
    .await;
    assert!(
        output.status.success(),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert_eq!(synced_clusters(sim), ["c-green"]);

    // The other clusters still have their changes; green has none.
    let (_, stdout, _) = run(poolform(
        &["plan", "--cluster", "green", "--detailed-exitcode"],
        &config,
    ))
    .await;
    assert!(
        !stdout.contains("blue") && !stdout.contains("red"),
        "{stdout}"
    );
    let (output, _, _) = run(poolform(
        &["plan", "--cluster", "green", "--detailed-exitcode"],
        &config,
    ))
    .await;
    assert_eq!(output.status.code(), Some(0));
    let (output, _, _) = run(poolform(
        &["plan", "--cluster", "red", "--detailed-exitcode"],
        &config,
    ))
    .await;
    assert_eq!(output.status.code(), Some(2));

    // A key that is not a cluster is an error that suggests the right one.
    let (output, _, stderr) = run(poolform(&["plan", "--cluster", "gren"], &config)).await;
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr.contains("poolform::cli::unknown_cluster"),
        "{stderr}"
    );
    assert!(stderr.contains("did you mean `green`?"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quota_the_gateway_named_paces_the_next_run_from_its_first_request() {
    // Twelve clusters: a plan reads 24 lists at once, against a gateway
    // that takes 8 per 400 ms and names that quota when it refuses.
    let keys: Vec<String> = (0..12).map(|index| format!("k{index:02}")).collect();
    let clusters: Vec<Cluster> = keys
        .iter()
        .map(|key| Cluster {
            key: Box::leak(key.clone().into_boxed_str()),
            id: Box::leak(format!("c-{key}").into_boxed_str()),
            place: String::new(),
        })
        .collect();
    let refs: Vec<&Cluster> = clusters.iter().collect();
    let sims = start_sims(&[&refs]).await;
    let sim = &sims[0];
    sim.set_faults(sim::Faults {
        rate_limit: Some(sim::RateLimit {
            requests: 8,
            window_ms: 400,
            names_quota: true,
        }),
        ..sim::Faults::default()
    });
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("poolform.toml");
    std::fs::write(&config, config_text(&clusters, &sim.endpoint(), NEW_SCRIPT))
        .expect("config written");

    // Cold: the first burst meets the quota, and the gateway names it.
    let (output, stdout, stderr) = run(poolform(&["plan"], &config)).await;
    assert!(
        output.status.success(),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let cold = sim.requests_rate_limited();
    assert!(cold >= 8, "the cold run met the quota: {cold} throttled");
    let remembered = std::fs::read_to_string(config.with_extension("cache").join("quotas.json"))
        .expect("the quota is remembered");
    assert!(remembered.contains(&sim.endpoint()), "{remembered}");
    assert!(remembered.contains("\"requests\": 8"), "{remembered}");
    assert!(
        !remembered.contains("AKTEST") && !remembered.contains("SKTEST"),
        "{remembered}"
    );

    // A window later, so the cold run's last window is over.
    tokio::time::sleep(Duration::from_millis(400)).await;
    // The next run paces itself from its first request: the same 24 reads
    // meet no refusal (one at most, should a loaded machine bunch two sends
    // at a window's edge).
    let (output, stdout, stderr) = run(poolform(&["plan"], &config)).await;
    assert!(
        output.status.success(),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let warm = sim.requests_rate_limited() - cold;
    assert!(warm <= 1, "the second run was throttled {warm} times");
    assert!(
        stdout.contains("k00-app") && stdout.contains("k11-app"),
        "{stdout}"
    );
}
