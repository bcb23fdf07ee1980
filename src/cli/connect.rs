//! Connecting: the CCE clients for a configuration (one per endpoint, each
//! with its own adaptive limit on requests in flight, see [`FleetClient`]),
//! or with `--sim` the built-in simulator started in this process on its
//! state file and one client talking to it over a loopback socket with
//! throwaway AK/SK credentials, so no cloud account is needed. The state file
//! is saved when the [`Connection`] is closed, so `plan --sim` then
//! `apply --sim` work on the same simulated world.

use std::path::Path;

use miette::{IntoDiagnostic as _, WrapErr as _};

use super::clusters::RunClusters;
use super::sim_seed::sim_state;
use super::{FleetArgs, LiveSource};
use crate::live::auth::Credentials;
use crate::live::{CceClient, ClientOptions, FleetClient};
use crate::sim::{self, SimAuth, SimConfig, SimHandle};

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
    /// Where the quotas the gateway names are remembered for the next run
    /// (see `cli::quotas`); none with `--sim`.
    pub quota_file: Option<std::path::PathBuf>,
}

impl Connection {
    /// Remembers the quotas the gateway named in this run, then stops the
    /// simulator, if any, saving its state file.
    pub async fn close(self) -> miette::Result<()> {
        if let Some(path) = &self.quota_file
            && let Err(problem) = super::quotas::keep(&self.client, path, chrono::Utc::now())
        {
            eprintln!("warning: {problem}");
        }
        if let Some(sim) = self.sim {
            sim.shutdown()
                .await
                .into_diagnostic()
                .wrap_err("failed to save the simulator state")?;
        }
        Ok(())
    }
}

/// Clients for `clusters` (credentials from the environment, see
/// `live::auth`; each cluster's endpoint and project from its own table or
/// `[cloud]`), one per endpoint; or, with `--sim`, one
/// client for a simulator started here whose state holds at least the
/// clusters (empty ones are added: their pools plan as creates).
/// `config_path` locates the seed file.
pub async fn connect(
    clusters: &RunClusters,
    fleet: &FleetArgs,
    source: &LiveSource,
    config_path: &Path,
) -> miette::Result<Connection> {
    let max_concurrency = fleet
        .max_concurrency
        .or(clusters.cloud.max_concurrency)
        .map_or(crate::live::client::DEFAULT_MAX_CONCURRENCY, |n| n as usize);
    let Some(state_file) = &source.sim_state_file(config_path) else {
        let client = cloud_clients(clusters, max_concurrency, |name| std::env::var(name).ok())
            .map_err(|error| ClientSetup { error })?;
        let quota_file = super::quotas::quota_file(|name| std::env::var(name).ok());
        if let Some(path) = &quota_file
            && let Err(problem) = super::quotas::recall(&client, path, chrono::Utc::now())
        {
            eprintln!("warning: {problem}");
        }
        return Ok(Connection {
            client,
            sim: None,
            quota_file,
        });
    };
    if !source.quiet {
        eprintln!(
            "using simulator state {} (delete it to start over)",
            state_file.display()
        );
    }
    let mut state = sim_state(state_file, config_path)?;
    for cluster in &clusters.clusters {
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
        quota_file: None,
    })
}

/// One client per endpoint and project among `clusters`, credentials read
/// through `lookup`. A run without clusters gets the client of `[cloud]`.
pub fn cloud_clients(
    clusters: &RunClusters,
    max_concurrency: usize,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<FleetClient, crate::live::LiveError> {
    let options_for = |cloud: &crate::model::CloudSettings| {
        ClientOptions::from_settings_with(cloud, &lookup).map(|mut options| {
            options.max_concurrency = max_concurrency;
            options
        })
    };
    if clusters.clusters.is_empty() {
        return options_for(&clusters.cloud)
            .and_then(CceClient::new)
            .map(FleetClient::single);
    }
    let options = clusters
        .clusters
        .iter()
        .map(|cluster| Ok((cluster.id.clone(), options_for(&cluster.cloud)?)))
        .collect::<Result<Vec<_>, crate::live::LiveError>>()?;
    FleetClient::new(options, CceClient::new)
}
