//! `poolform plan`: compare the configuration with the live pools and nodes
//! and print what would change, to stdout (diagnostics go to stderr).

use std::io::{IsTerminal as _, Write as _};

use miette::{IntoDiagnostic as _, WrapErr as _, miette};

use super::common::{load_config, prepare_loaded};
use super::git::BaseCheckout;
use super::saved_plan::write_file_atomically;
use super::select::select_clusters;
use super::signals::StopSignals;
use super::{FleetArgs, LiveSource, Outcome, PlanArgs, PlanFormat};
use crate::plan::Plan;
use crate::render::{self, TextOptions};

/// Runs `poolform plan`.
pub fn run(args: PlanArgs) -> miette::Result<Outcome> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .into_diagnostic()
        .wrap_err("failed to start the async runtime")?;
    let plan = runtime.block_on(make_plan(
        &args.path,
        &args.target,
        &args.fleet,
        &args.live,
        args.base.as_deref(),
    ))?;
    if let Some(out) = &args.out {
        write_file_atomically(out, crate::plan::save(&plan).as_bytes())
            .into_diagnostic()
            .wrap_err_with(|| format!("failed to write the plan to {}", out.display()))?;
        // A plan made on the simulator is only fresh against the same
        // simulated world, so the hint names its state file.
        let sim = args
            .live
            .sim_state_file(&args.path)
            .map(|file| format!(" --sim={}", file.display()))
            .unwrap_or_default();
        eprintln!(
            "Saved the plan to {}: `poolform apply {}{sim}` carries out exactly this plan.",
            out.display(),
            out.display()
        );
    }
    print_plan(&plan, args.format)?;
    Ok(if args.detailed_exitcode && plan.has_changes() {
        Outcome::ChangesPresent
    } else {
        Outcome::Success
    })
}

/// Loads the configuration at `path` (and, with `base`, the one at that git
/// revision), reads the live state and makes the plan, classified against
/// the base when there is one.
pub async fn make_plan(
    path: &std::path::Path,
    targets: &[String],
    fleet: &FleetArgs,
    live: &LiveSource,
    base: Option<&str>,
) -> miette::Result<Plan> {
    let desired = select_clusters(load_config(path)?, &fleet.clusters)?;
    // The base is read before the cloud is: a revision that does not exist
    // fails at once, with nothing read.
    let base = match base {
        None => None,
        Some(revision) => {
            let checkout = BaseCheckout::at(path, revision)?;
            let config = checkout.load(&desired).map_err(|errors| {
                eprint!("{}", super::validate::render(&errors));
                miette!(
                    code = "poolform::plan::invalid_base",
                    help = "fix the configuration on that revision, or plan without --base",
                    "the configuration at {revision} ({}) is invalid",
                    checkout.revision.short_commit()
                )
            })?;
            Some((checkout.revision.clone(), config))
        }
    };
    // SIGTERM is listened for, not left to kill the process: while the
    // live state is read it ends the run with nothing written; once the
    // plan is made it is ignored, so the state file of --sim and the
    // plan file are written whole.
    let mut terminations = StopSignals::terminate();
    let prepared = tokio::select! {
        prepared = prepare_loaded(desired, path, targets, fleet, live) => prepared?,
        () = terminations.recv() => {
            return Err(miette!(
                code = "poolform::plan::interrupted",
                "plan was terminated (SIGTERM) before it was made; nothing was written"
            ));
        }
    };
    prepared.connection.close().await?;
    let mut plan = prepared.plan;
    if let Some((revision, base)) = base {
        plan.classification = Some(crate::plan::classify(
            &plan,
            revision,
            &base,
            &prepared.desired,
            &prepared.live,
        ));
    }
    Ok(plan)
}

/// Whether text output gets colour: only on a terminal, and never when
/// `NO_COLOR` is set to anything (<https://no-color.org>).
pub fn use_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Renders a plan to stdout in `format`.
pub fn print_plan(plan: &Plan, format: PlanFormat) -> miette::Result<()> {
    let rendered = match format {
        PlanFormat::Text => render::text(plan, &TextOptions { color: use_color() }),
        PlanFormat::Json => render::json(plan),
        PlanFormat::Markdown => render::markdown(plan),
    };
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(rendered.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        // A closed pipe (`poolform plan | head`) is the reader's choice.
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(error) => Err(error)
            .into_diagnostic()
            .wrap_err("failed to write the plan to stdout"),
    }
}
