//! Applying a saved plan: refuse what would narrow it, lock and connect to
//! the clusters it names, and check every object it read is unchanged.

use miette::miette;

use crate::apply;
use crate::cli::ApplyArgs;
use crate::cli::clusters::RunClusters;
use crate::cli::common::FETCH_CONCURRENCY;
use crate::cli::connect::{Connection, connect};
use crate::cli::lock::ApplyLocks;
use crate::cli::saved_plan::read_saved_plan;
use crate::live::fetch;
use crate::plan::Plan;

use super::lock;

/// Reads a saved plan and checks it against fresh live state: every object
/// it read must be unchanged, or nothing is sent.
pub(super) async fn prepare_saved(
    args: &ApplyArgs,
) -> miette::Result<(Plan, Connection, ApplyLocks)> {
    if !args.target.is_empty() {
        return Err(miette!(
            code = "poolform::apply::target_with_saved_plan",
            help = "pass --target to `poolform plan --out FILE` instead",
            "--target cannot narrow a saved plan"
        ));
    }
    if !args.fleet.clusters.is_empty() {
        return Err(miette!(
            code = "poolform::apply::cluster_with_saved_plan",
            help = "pass --cluster to `poolform plan --out FILE` instead",
            "--cluster cannot narrow a saved plan"
        ));
    }
    let plan = read_saved_plan(&args.path, true)?;
    let clusters = RunClusters::of_plan(&plan);
    let locks = lock(args, &clusters).await?;
    let connection = connect(&clusters, &args.fleet, &args.live, &args.path).await?;
    let live = match fetch(&connection.client, &plan.cluster_ids(), FETCH_CONCURRENCY).await {
        Ok(live) => live,
        Err(error) => {
            let _ = connection.close().await;
            return Err(miette::Report::new(error).wrap_err("failed to read the live state"));
        }
    };
    let stale = apply::stale_objects(&plan, &live);
    if !stale.is_empty() {
        let _ = connection.close().await;
        return Err(miette!(
            code = "poolform::apply::stale_plan",
            help = "make a new plan with `poolform plan --out FILE`, review it, and apply that",
            "plan is stale: {} live object(s) changed since it was made; nothing was sent\n{}",
            stale.len(),
            stale
                .iter()
                .map(|item| format!("  - {item}"))
                .collect::<Vec<_>>()
                .join("\n")
        ));
    }
    Ok((plan, connection, locks))
}
