//! Glue shared by `plan` and `apply`: load the configuration, connect to the
//! cloud (or start the built-in simulator), read the live state, build the
//! plan.
//!
//! [`prepare`] does all of it. [`connect`] alone gives the clients for a
//! saved plan's cloud settings: one per endpoint (a fleet may span regions
//! and projects, see [`FleetClient`]), each with its own adaptive limit on
//! requests in flight. With `--sim` the simulator runs in this process on
//! a local state file (one per configuration under `.poolform/sim/` unless
//! named, see [`default_sim_state_file`]), seeded when
//! the file is absent from `sim-seed.json` beside the configuration; the
//! real client talks to it over a loopback socket with throwaway AK/SK
//! credentials, so no cloud account is needed. The state file is saved when
//! the [`Connection`] is closed, so `plan --sim` then `apply --sim` work on
//! the same simulated world.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use miette::{IntoDiagnostic as _, WrapErr as _};
use serde::{Deserialize, Serialize};

use super::{FleetArgs, LiveSource};
use crate::live::auth::Credentials;
use crate::live::{CceClient, ClientOptions, FleetClient, fetch};
use crate::model::{CloudSettings, ClusterId, ClusterName, Desired, Live, PoolAddress};
use crate::plan::Plan;
use crate::sim::{self, SimAuth, SimConfig, SimHandle, SimState};

/// Clusters read at once: all of them; each endpoint's client limits its
/// own requests in flight.
pub const FETCH_CONCURRENCY: usize = fetch::DEFAULT_CONCURRENCY;

/// The seed file looked for beside the configuration.
pub const SEED_FILE: &str = "sim-seed.json";

/// Simulated seconds per real second under `--sim`: a 60 s node reset takes
/// a second, so a demo apply finishes while one watches.
pub const SIM_TIME_SCALE: f64 = 60.0;

/// The access key `--sim` signs with; the secret key is new on every run.
const SIM_ACCESS_KEY: &str = "poolform-sim";

/// The cloud client could not be set up (usually: no credentials).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("failed to set up the CCE client")]
#[diagnostic(
    code(poolform::cli::client_setup),
    help(
        "set the credentials the official SDKs read (CLOUD_SDK_AK and CLOUD_SDK_SK, and CLOUD_SDK_PROJECT_ID or [cloud] project_id), or try poolform without a cloud account: add --sim to run against the built-in simulator"
    )
)]
pub struct ClientSetup {
    /// Why.
    #[source]
    #[diagnostic_source]
    pub error: crate::live::LiveError,
}

/// The clients, and the simulator behind them when `--sim` was given (it
/// serves as long as this value lives).
#[derive(Debug)]
pub struct Connection {
    /// The CCE clients, one per endpoint.
    pub client: FleetClient,
    /// The in-process simulator, if any.
    pub sim: Option<SimHandle>,
}

impl Connection {
    /// Stops the simulator, if any, saving its state file.
    pub async fn close(self) -> miette::Result<()> {
        if let Some(sim) = self.sim {
            sim.shutdown()
                .await
                .into_diagnostic()
                .wrap_err("failed to save the simulator state")?;
        }
        Ok(())
    }
}

/// Writes `contents` to `path` through a temporary file beside it, renamed
/// over `path` once complete, so that `path` is never left half-written
/// (a full disk, a killed process); the temporary file is removed on error.
pub fn write_file_atomically(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut name = std::ffi::OsString::from(".");
    name.push(path.file_name().unwrap_or(path.as_os_str()));
    name.push(format!(".{}.tmp", std::process::id()));
    let temp = path.with_file_name(name);
    let written = std::fs::write(&temp, contents).and_then(|()| std::fs::rename(&temp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

/// What identifies a cluster across runs on this machine, for the apply
/// lock and the rollout journal: under `--sim` the simulator's state file,
/// otherwise the endpoint (or the region it comes from) and the project;
/// then the cluster id.
pub fn cluster_identity(
    cloud: &crate::model::CloudSettings,
    source: &LiveSource,
    path: &Path,
    cluster: &ClusterId,
) -> String {
    let place = match source.sim_state_file(path) {
        Some(file) => format!(
            "sim:{}",
            std::path::absolute(&file).unwrap_or(file).display()
        ),
        None => format!(
            "{}|{}",
            cloud
                .endpoint
                .clone()
                .or_else(|| cloud.region.clone())
                .unwrap_or_default(),
            cloud.project_id.clone().unwrap_or_default()
        ),
    };
    format!("{place}|{cluster}")
}

/// The rollout journal of the clusters of a configuration or saved plan,
/// each with the cloud settings it is reached with.
pub fn journal_for<'c>(
    clusters: impl Iterator<Item = (&'c ClusterName, &'c ClusterId, CloudSettings)>,
    source: &LiveSource,
    path: &Path,
) -> super::journal::Journal {
    super::journal::Journal::new(
        clusters
            .map(|(name, id, cloud)| (name.clone(), cluster_identity(&cloud, source, path, id)))
            .collect(),
    )
}

/// Marks every node of the `--resync` pools as due for a reset.
fn mark_resync(live: &mut Live, desired: &Desired, resync: &[String]) -> miette::Result<()> {
    for address in resync {
        let Some(pool) = desired.pools.get(&PoolAddress::from(address.as_str())) else {
            return Err(miette::miette!(
                code = "poolform::plan::unknown_resync",
                help = "name a pool address of the configuration, as plans show it",
                "--resync {address}: no such pool in the configuration"
            ));
        };
        let Some(live_pool) = live
            .clusters
            .get_mut(&pool.cluster)
            .and_then(|cluster| cluster.pools.get_mut(&pool.name))
        else {
            continue;
        };
        for node in &mut live_pool.nodes {
            node.pending_reset = Some(format!("resync requested (--resync {address})"));
        }
    }
    Ok(())
}

/// Everything `plan` and `apply` need before they act.
#[derive(Debug)]
pub struct Prepared {
    /// The configuration.
    pub desired: Desired,
    /// The live state read for it.
    pub live: Live,
    /// The plan.
    pub plan: Plan,
    /// The client the live state was read with.
    pub connection: Connection,
}

/// Loads the configuration at `path` (passwords named by the configuration
/// are checked against CCE's rules when set in the environment, never
/// printed), narrows it to the clusters `fleet` names, connects, reads every
/// remaining cluster and builds the plan, limited to `targets` and their
/// dependencies when any are given.
pub async fn prepare(
    path: &Path,
    targets: &[String],
    fleet: &FleetArgs,
    source: &LiveSource,
) -> miette::Result<Prepared> {
    let desired = select_clusters(load_config(path)?, &fleet.clusters)?;
    prepare_loaded(desired, path, targets, fleet, source).await
}

/// [`prepare`] for a configuration already loaded from `path` (and narrowed
/// with [`select_clusters`]).
pub async fn prepare_loaded(
    desired: Desired,
    path: &Path,
    targets: &[String],
    fleet: &FleetArgs,
    source: &LiveSource,
) -> miette::Result<Prepared> {
    let connection = connect(&desired, fleet, source, path).await?;
    let mut live = match fetch(
        &connection.client,
        &desired.cluster_ids(),
        FETCH_CONCURRENCY,
    )
    .await
    {
        Ok(live) => live,
        Err(error) => {
            let _ = connection.close().await;
            return Err(miette::Report::new(error).wrap_err("failed to read the live state"));
        }
    };
    let clusters = desired
        .clusters
        .values()
        .map(|cluster| (&cluster.name, &cluster.id, desired.cloud_of(cluster)));
    journal_for(clusters, source, path)
        .annotate(&mut live, &connection.client)
        .await;
    if let Err(error) = mark_resync(&mut live, &desired, &source.resync) {
        let _ = connection.close().await;
        return Err(error);
    }
    let targets: Vec<PoolAddress> = targets
        .iter()
        .map(|t| PoolAddress::from(t.as_str()))
        .collect();
    let plan = match crate::plan::build_plan(&desired, &live, &targets) {
        Ok(plan) => plan,
        Err(errors) => {
            let _ = connection.close().await;
            return Err(miette::Report::new(errors));
        }
    };
    Ok(Prepared {
        desired,
        live,
        plan,
        connection,
    })
}

/// Loads the configuration at `path` (passwords checked as in [`prepare`]).
/// Its problems are printed here the way `poolform validate` prints them,
/// diagnostics first; the error returned only summarises them, so the
/// output reads top-down and the exit code is 1.
pub fn load_config(path: &Path) -> miette::Result<Desired> {
    crate::config::load_with_env(path, &|name| std::env::var(name).ok()).map_err(|errors| {
        eprint!("{}", super::validate::render(&errors));
        miette::Report::new(super::validate::Reported::from(&errors))
    })
}

/// A saved plan file that could not be used.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum SavedPlanFileError {
    /// The file could not be read.
    #[error("cannot read the saved plan {path}")]
    #[diagnostic(code(poolform::plan::unreadable))]
    Unreadable {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
        /// What to do.
        #[help]
        help: String,
    },
    /// The file is not UTF-8 text, so it cannot be a saved plan.
    #[error("{path} is not a saved plan: it is not UTF-8 text")]
    #[diagnostic(code(poolform::plan::not_text))]
    NotText {
        /// The file.
        path: String,
        /// What to do.
        #[help]
        help: String,
    },
    /// The file is text but not a plan this poolform reads.
    #[error("{path} is not a saved plan")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong with it (its code and help are shown).
        #[source]
        #[diagnostic_source]
        error: crate::plan::LoadPlanError,
        /// For `apply`, which also takes configurations: how to name one.
        #[help]
        help: Option<String>,
    },
}

/// Help for a plan file that cannot be read: `for_apply` adds that apply
/// also takes a configuration.
fn saved_plan_help(for_apply: bool) -> String {
    let mut help = "check the path: a saved plan is the file written by                     `poolform plan --out FILE`"
        .to_owned();
    if for_apply {
        help.push_str(
            "; to plan and apply a configuration instead, pass its directory or its *.toml file",
        );
    }
    help
}

/// Reads the plan saved at `path` (by `poolform plan --out`). `for_apply`
/// says the file was given to `apply`, which also takes configurations, so
/// the help can say so.
pub fn read_saved_plan(path: &Path, for_apply: bool) -> Result<Plan, SavedPlanFileError> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| SavedPlanFileError::Unreadable {
        path: shown.clone(),
        source,
        help: saved_plan_help(for_apply),
    })?;
    let text = String::from_utf8(bytes).map_err(|_| SavedPlanFileError::NotText {
        path: shown.clone(),
        help: saved_plan_help(for_apply),
    })?;
    crate::plan::load(&text).map_err(|error| SavedPlanFileError::Invalid {
        path: shown,
        error,
        help: for_apply.then(|| {
            "to plan and apply a configuration instead, pass its directory or its *.toml file"
                .to_owned()
        }),
    })
}

/// Clients for the clusters of `desired` (credentials from the
/// environment, see `live::auth`; each cluster's endpoint and project from
/// its own table or `[cloud]`), one per endpoint; or, with `--sim`, one
/// client for a simulator started here whose state holds at least the
/// configured clusters (empty ones are added: their pools plan as creates).
/// `config_path` locates the seed file.
pub async fn connect(
    desired: &Desired,
    fleet: &FleetArgs,
    source: &LiveSource,
    config_path: &Path,
) -> miette::Result<Connection> {
    let max_concurrency = fleet
        .max_concurrency
        .or(desired.cloud.max_concurrency)
        .map_or(crate::live::client::DEFAULT_MAX_CONCURRENCY, |n| n as usize);
    let Some(state_file) = &source.sim_state_file(config_path) else {
        let client = cloud_clients(desired, max_concurrency, |name| std::env::var(name).ok())
            .map_err(|error| ClientSetup { error })?;
        return Ok(Connection { client, sim: None });
    };
    if !source.quiet {
        eprintln!(
            "using simulator state {} (delete it to start over)",
            state_file.display()
        );
    }
    let mut state = sim_state(state_file, config_path)?;
    for cluster in desired.clusters.values() {
        state.add_cluster(cluster.id.as_str());
    }
    // A fresh secret per run: the simulator checks real signatures, and no
    // credential is stored anywhere.
    let secret_key = uuid::Uuid::new_v4().to_string();
    let config = SimConfig {
        auth: SimAuth::none().with_aksk(SIM_ACCESS_KEY, secret_key.clone()),
        time_scale: SIM_TIME_SCALE,
        state_file: Some(state_file.clone()),
        ..SimConfig::default()
    };
    let handle = sim::start(config, state)
        .await
        .into_diagnostic()
        .wrap_err("failed to start the built-in simulator")?;
    let endpoint = url::Url::parse(&handle.endpoint())
        .into_diagnostic()
        .wrap_err("the simulator reported an unusable endpoint")?;
    let mut options = ClientOptions::new(
        endpoint,
        handle.project_id(),
        Credentials::ak_sk(SIM_ACCESS_KEY, secret_key),
    );
    options.max_concurrency = max_concurrency;
    let client = CceClient::new(options)
        .map_err(|error| miette::Report::new(error).wrap_err("failed to set up the CCE client"))?;
    Ok(Connection {
        client: FleetClient::single(client),
        sim: Some(handle),
    })
}

/// One client per endpoint and project among the clusters of `desired`,
/// credentials read through `lookup`. A configuration without clusters gets
/// the client of `[cloud]`.
pub fn cloud_clients(
    desired: &Desired,
    max_concurrency: usize,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<FleetClient, crate::live::LiveError> {
    let options_for = |cloud: &crate::model::CloudSettings| {
        ClientOptions::from_settings_with(cloud, &lookup).map(|mut options| {
            options.max_concurrency = max_concurrency;
            options
        })
    };
    if desired.clusters.is_empty() {
        return options_for(&desired.cloud)
            .and_then(CceClient::new)
            .map(FleetClient::single);
    }
    let clusters = desired
        .clusters
        .values()
        .map(|cluster| Ok((cluster.id.clone(), options_for(&desired.cloud_of(cluster))?)))
        .collect::<Result<Vec<_>, crate::live::LiveError>>()?;
    FleetClient::new(clusters, CceClient::new)
}

/// `--cluster` named a cluster the configuration does not define, or one
/// whose pools depend on a pool it leaves out.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ClusterSelectionError {
    /// No such cluster.
    #[error("--cluster {name}: the configuration defines no cluster `{name}`")]
    #[diagnostic(code(poolform::cli::unknown_cluster))]
    Unknown {
        /// The key given.
        name: String,
        /// What was meant, or what exists.
        #[help]
        help: String,
    },
    /// A selected pool depends on a pool of a cluster left out.
    #[error(
        "--cluster leaves out pool `{dependency}` (cluster `{cluster}`), which pool `{pool}` depends on"
    )]
    #[diagnostic(
        code(poolform::cli::cluster_dependency),
        help(
            "add --cluster {cluster} to this run, so the dependency is planned and applied first"
        )
    )]
    Dependency {
        /// The selected pool.
        pool: String,
        /// The pool it depends on.
        dependency: String,
        /// The dependency's cluster.
        cluster: String,
    },
}

/// `desired` narrowed to the clusters named (all of them when none is) and
/// their pools. A pool that depends on a pool of a cluster left out is an
/// error: its order could not be kept by a run that does not see the other.
pub fn select_clusters(
    mut desired: Desired,
    names: &[String],
) -> Result<Desired, ClusterSelectionError> {
    if names.is_empty() {
        return Ok(desired);
    }
    for name in names {
        if !desired
            .clusters
            .contains_key(&ClusterName::from(name.as_str()))
        {
            let known: Vec<&str> = desired.clusters.keys().map(ClusterName::as_str).collect();
            let help = match strsim_closest(name, &known) {
                Some(candidate) => format!("did you mean `{candidate}`?"),
                None => format!("the clusters are: {}", known.join(", ")),
            };
            return Err(ClusterSelectionError::Unknown {
                name: name.clone(),
                help,
            });
        }
    }
    let keep = |cluster: &ClusterName| names.iter().any(|name| name == cluster.as_str());
    desired.clusters.retain(|name, _| keep(name));
    let pools = std::mem::take(&mut desired.pools);
    let (kept, left_out): (
        std::collections::BTreeMap<_, _>,
        std::collections::BTreeMap<_, _>,
    ) = pools.into_iter().partition(|(_, pool)| keep(&pool.cluster));
    for pool in kept.values() {
        for dependency in &pool.rollout.depends_on {
            if let Some(other) = left_out.get(dependency) {
                return Err(ClusterSelectionError::Dependency {
                    pool: pool.address.to_string(),
                    dependency: dependency.to_string(),
                    cluster: other.cluster.to_string(),
                });
            }
        }
    }
    desired.pools = kept;
    Ok(desired)
}

/// The candidate closest to `name`, if any is close.
fn strsim_closest<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|candidate| (strsim::jaro_winkler(name, candidate), *candidate))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

/// Where `--sim` keeps the simulator's state for the configuration at
/// `config_path` when no file is named: one file per configuration,
/// `.poolform/sim/<name>-<hash>.json` under the working directory, so
/// planning one example does not change what another shows. The name is
/// the configuration's directory (and file stem, for a file) for people;
/// the hash of its canonical path keeps two `prod/` directories apart.
pub fn default_sim_state_file(config_path: &Path) -> PathBuf {
    use sha2::Digest as _;
    let canonical = std::fs::canonicalize(config_path).unwrap_or_else(|_| config_path.to_owned());
    let file_name = |path: &Path| {
        path.file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let name = if canonical.is_dir() {
        file_name(&canonical)
    } else {
        let stem = canonical
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default();
        match canonical.parent().map(file_name) {
            Some(dir) if !dir.is_empty() => format!("{dir}-{stem}"),
            _ => stem,
        }
    };
    let name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let digest = sha2::Sha256::digest(canonical.to_string_lossy().as_bytes());
    let hash: String = digest
        .iter()
        .take(4)
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let name = if name.is_empty() {
        hash
    } else {
        format!("{name}-{hash}")
    };
    Path::new(".poolform")
        .join("sim")
        .join(format!("{name}.json"))
}

/// The simulator's state: the state file when it exists, else the seed
/// beside the configuration, else an empty world.
fn sim_state(state_file: &Path, config_path: &Path) -> miette::Result<SimState> {
    if state_file.exists() {
        return SimState::load(state_file)
            .into_diagnostic()
            .wrap_err_with(|| {
                format!(
                    "delete {} to start again from the seed",
                    state_file.display()
                )
            });
    }
    let seed = seed_path(config_path);
    if seed.exists() {
        return SimSeed::load(&seed)?
            .into_state()
            .into_diagnostic()
            .wrap_err_with(|| format!("{} is not a simulator seed", seed.display()));
    }
    Ok(SimState::new())
}

/// Where the seed of a configuration is: beside the file, or in the
/// directory.
pub fn seed_path(config_path: &Path) -> PathBuf {
    if config_path.is_dir() {
        config_path.join(SEED_FILE)
    } else {
        config_path
            .parent()
            .unwrap_or_else(|| Path::new("."))
            .join(SEED_FILE)
    }
}

/// A simulator seed: the pools (as CCE would show them) and how many Active,
/// up-to-date nodes each has, and any DefaultPool nodes, per cluster id. Small and readable, unlike a
/// whole simulator state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SimSeed {
    /// What the seed sets up, for people reading the file.
    #[serde(default)]
    pub description: String,
    /// Clusters by CCE id.
    pub clusters: BTreeMap<String, SeedCluster>,
}

/// One cluster of a seed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SeedCluster {
    /// Its pools.
    #[serde(default)]
    pub pools: Vec<SeedPool>,
    /// Nodes of its DefaultPool (created outside any node pool), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_pool: Option<SeedDefaultPool>,
}

/// The DefaultPool nodes of a seed's cluster.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SeedDefaultPool {
    /// How many Active nodes.
    pub nodes: usize,
    /// Their spec, in the API's JSON as ShowNode reports it (the SDK's
    /// `NodeSpec`).
    pub template: serde_json::Value,
    /// Whether CCE reports them out of date (`configurationUpToDate:
    /// false`), the one sign a plan can read that they need a sync.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub out_of_date: bool,
}

/// One pool of a seed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SeedPool {
    /// Nodes built from the pool's template.
    pub nodes: usize,
    /// The pool, in the API's JSON as CreateNodePool takes it (the SDK's
    /// `NodePool`): the simulator reads it with its own model, not the
    /// client's types.
    pub pool: serde_json::Value,
}

impl SimSeed {
    /// Reads a seed file.
    pub fn load(path: &Path) -> miette::Result<Self> {
        let text = std::fs::read_to_string(path)
            .into_diagnostic()
            .wrap_err_with(|| format!("failed to read the simulator seed {}", path.display()))?;
        serde_json::from_str(&text)
            .into_diagnostic()
            .wrap_err_with(|| format!("{} is not a simulator seed", path.display()))
    }

    /// The simulator state the seed describes; a pool or spec the
    /// simulator cannot read (a value of the wrong type) is an error.
    pub fn into_state(self) -> Result<SimState, sim::SimError> {
        let mut state = SimState::new();
        for (cluster, seed) in self.clusters {
            state.add_cluster(&cluster);
            for pool in seed.pools {
                state.add_pool_json(&cluster, &pool.pool, pool.nodes)?;
            }
            if let Some(default_pool) = seed.default_pool {
                let ids = state.add_default_nodes_json(
                    &cluster,
                    &default_pool.template,
                    default_pool.nodes,
                )?;
                if default_pool.out_of_date {
                    for id in ids {
                        if let Some(status) = state
                            .node_mut(&cluster, &id)
                            .and_then(|node| node.status.as_mut())
                        {
                            status.configuration_up_to_date = Some(false);
                        }
                    }
                }
            }
        }
        Ok(state)
    }
}
