//! Glue shared by `plan` and `apply`: load the configuration, connect (see
//! `cli::connect`), read the live state, mark what the rollout journal
//! and `--resync` know, build the plan. [`prepare`] does all of it.

use std::path::Path;

use super::FleetArgs;
use super::LiveSource;
use super::clusters::RunClusters;
use super::connect::{Connection, connect};
use super::select::select_clusters;
use crate::live::fetch;
use crate::model::{ClusterId, Desired, Live, PoolAddress};
use crate::plan::Plan;

/// Clusters read at once: all of them; each endpoint's client limits its
/// own requests in flight.
pub const FETCH_CONCURRENCY: usize = fetch::DEFAULT_CONCURRENCY;

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
/// with `select_clusters`).
pub async fn prepare_loaded(
    desired: Desired,
    path: &Path,
    targets: &[String],
    fleet: &FleetArgs,
    source: &LiveSource,
) -> miette::Result<Prepared> {
    let clusters = RunClusters::of_config(&desired);
    let connection = connect(&clusters, fleet, source, path).await?;
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
    clusters
        .journal(source, path)
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
