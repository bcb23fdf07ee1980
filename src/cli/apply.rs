//! `poolform apply`: plans (or loads a saved plan and checks it is still
//! fresh), shows the plan, asks for confirmation on a terminal, runs the
//! executor, and shows its events as progress on stderr: a live view on a
//! terminal, timestamped lines otherwise, JSON lines with `--json`. The final
//! summary goes to stdout. Ctrl-C once stops gracefully, twice at once.
//! SIGTERM (CI cancelling the job) stops gracefully too, but at once after
//! [`TERMINATE_GRACE`], so the summary is out before the SIGKILL that
//! usually follows; before apply changes anything, it just ends the run.
//!
//! This file holds the command and its approval; `saved` prepares a saved
//! plan, `execute` runs the executor under the signals, `display` shows
//! its events and `summary` says how it ended.

mod display;
mod execute;
mod saved;
mod summary;

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::Path;
use std::time::Duration;

use miette::{IntoDiagnostic as _, WrapErr as _, miette};

use super::clusters::RunClusters;
use super::common::{cluster_identity, load_config, prepare_loaded};
use super::connect::{Connection, SIM_TIME_SCALE};
use super::lock::{self, ApplyLocks, LockKey};
use super::plan::print_plan;
use super::select::select_clusters;
use super::signals::StopSignals;
use super::{ApplyArgs, Outcome, PlanFormat};
use crate::apply::ApplyOptions;
use crate::plan::Plan;
use execute::execute;
use saved::prepare_saved;

/// Runs `poolform apply`.
pub fn run(args: ApplyArgs) -> miette::Result<Outcome> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .into_diagnostic()?;
    runtime.block_on(run_async(args))
}

/// How long apply waits after SIGTERM for the work in flight before it stops
/// at once. CI runners follow SIGTERM with SIGKILL after a grace of their
/// own (often 10 s); the summary must be out before then.
const TERMINATE_GRACE: Duration = Duration::from_secs(3);

async fn run_async(mut args: ApplyArgs) -> miette::Result<Outcome> {
    // With --json, stderr carries only events.
    args.live.quiet = args.json;
    // SIGTERM is listened for from the start, so it never kills apply
    // half-way through anything, only ends it where it is safe to.
    let mut terminations = StopSignals::terminate();
    let saved = is_saved_plan(&args.path);
    // Planned under the lock, so a run that waited for another plans what
    // that one left; held until the end of the apply.
    let prepared = async {
        if saved {
            prepare_saved(&args).await
        } else {
            let desired = select_clusters(load_config(&args.path)?, &args.fleet.clusters)?;
            let locks = lock(&args, &RunClusters::of_config(&desired)).await?;
            let prepared =
                prepare_loaded(desired, &args.path, &args.target, &args.fleet, &args.live).await?;
            Ok((prepared.plan, prepared.connection, locks))
        }
    };
    let (plan, connection, _locks) = tokio::select! {
        prepared = prepared => prepared?,
        () = terminations.recv() => return Err(terminated_before_changes()),
    };
    let result = approve_and_apply(&args, saved, &plan, &connection, terminations).await;
    // Closing saves the simulator's state under --sim, whatever happened.
    let closed = connection.close().await;
    let outcome = result?;
    closed?;
    Ok(outcome)
}

/// Shows a fresh plan and asks for approval (a saved plan was reviewed when
/// it was made), then applies it.
async fn approve_and_apply(
    args: &ApplyArgs,
    saved: bool,
    plan: &Plan,
    connection: &Connection,
    mut terminations: StopSignals,
) -> miette::Result<Outcome> {
    if saved && !args.json {
        // With --json, stderr carries only events.
        eprintln!(
            "Applying the saved plan {} ({} step(s)); every object it read is unchanged.",
            args.path.display(),
            plan.steps.len()
        );
    } else if !saved {
        print_plan(plan, PlanFormat::Text)?;
    }
    if !plan.has_changes() {
        if saved {
            println!("No changes. The saved plan has nothing to apply.");
        }
        return Ok(Outcome::Success);
    }
    if !saved && !args.auto_approve && !confirm(&mut terminations).await? {
        return Err(miette!(
            code = "poolform::apply::cancelled",
            "apply cancelled: the answer was not 'yes'; nothing was changed"
        ));
    }
    let on_sim = connection.sim.is_some();
    let options = ApplyOptions {
        parallelism: args.parallelism.map_or(usize::MAX, |n| n as usize),
        cluster_parallelism: args.cluster_parallelism as usize,
        fail_fast: args.fail_fast,
        // The built-in simulator runs faster than real time; soaks and
        // timeouts follow its clock, and polling keeps up with it.
        poll_interval: args.poll_interval.unwrap_or(if on_sim {
            Duration::from_millis(100)
        } else {
            Duration::from_secs(5)
        }),
        time_scale: if on_sim { SIM_TIME_SCALE } else { 1.0 },
        ..ApplyOptions::default()
    };
    let journal = RunClusters::of_plan(plan).journal(&args.live, &args.path);
    execute(
        &connection.client,
        plan,
        args,
        options,
        terminations,
        journal,
    )
    .await
}

/// The error of a SIGTERM that came before apply changed anything.
fn terminated_before_changes() -> miette::Report {
    miette!(
        code = "poolform::apply::interrupted",
        "apply was terminated (SIGTERM) before it changed anything; nothing was sent"
    )
}

/// A path names a saved plan (or an attempt at one, which then gets a clear
/// error) unless it is a directory or a `*.toml` file: configurations are
/// one or the other. A path that does not exist is taken for a plan only
/// when it has some other extension (`nope.plan`), as a mistyped directory
/// has none.
fn is_saved_plan(path: &Path) -> bool {
    if path.is_dir() {
        return false;
    }
    match path.extension() {
        Some(extension) => !extension.eq_ignore_ascii_case("toml"),
        None => path.exists(),
    }
}

/// Asks on the terminal whether to go ahead; SIGTERM while waiting for the
/// answer ends the run.
async fn confirm(terminations: &mut StopSignals) -> miette::Result<bool> {
    if !std::io::stdin().is_terminal() {
        return Err(miette!(
            code = "poolform::apply::no_terminal",
            help = "pass --auto-approve to apply without asking, or save the plan with \
                    `poolform plan --out plan.json`, review it, and run `poolform apply plan.json`",
            "cannot ask for confirmation: standard input is not a terminal"
        ));
    }
    let mut stderr = std::io::stderr();
    // The question goes to stderr so stdout stays the plan and the summary.
    let _ = write!(
        stderr,
        "\nDo you want to perform these actions?\n  poolform will perform the actions described above; \
         nodes that are synchronised are reset and their disks wiped.\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: "
    );
    let _ = stderr.flush();
    // A thread of its own, not a blocking task of the runtime: a read
    // abandoned on SIGTERM must not hold the runtime's shutdown hostage.
    let (sender, receiver) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut answer = String::new();
        let read = std::io::stdin().lock().read_line(&mut answer);
        let _ = sender.send(read.map(|_| answer));
    });
    tokio::select! {
        answer = receiver => {
            let answer = answer
                .into_diagnostic()
                .wrap_err("failed to read the answer")?
                .into_diagnostic()
                .wrap_err("failed to read the answer")?;
            Ok(answer.trim() == "yes")
        }
        () = terminations.recv() => Err(terminated_before_changes()),
    }
}

/// Takes the lock of every cluster the apply touches (see [`lock`]).
async fn lock(args: &ApplyArgs, clusters: &RunClusters) -> miette::Result<ApplyLocks> {
    let keys: Vec<LockKey> = clusters
        .clusters
        .iter()
        .map(|cluster| LockKey {
            identity: cluster_identity(&cluster.cloud, &args.live, &args.path, &cluster.id),
            cluster: cluster.name.to_string(),
        })
        .collect();
    let owner = lock::owner(&args.path);
    let timeout = args.lock_timeout;
    let quiet = args.json;
    tokio::task::spawn_blocking(move || {
        lock::lock_clusters(&keys, &owner, timeout, |key, holder| {
            if !quiet {
                eprintln!(
                    "Waiting up to {} for another poolform run on cluster {} to finish ({holder})...",
                    humantime::format_duration(timeout),
                    key.cluster
                );
            }
        })
    })
    .await
    .into_diagnostic()?
    .map_err(miette::Report::new)
}
