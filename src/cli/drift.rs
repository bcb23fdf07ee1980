//! `poolform drift`: what changed outside poolform, for scheduled jobs.
//!
//! A plan against the configuration at `HEAD` as the base, of which only
//! drift, conflicts and unfinished rollouts are printed. It reads and never
//! writes: no plan file, no lock, no request but reads. Exit 0 when there
//! is nothing to report, 2 when there is, 1 on error.

use std::io::Write as _;

use miette::{IntoDiagnostic as _, WrapErr as _};

use super::plan::{make_plan, use_color};
use super::{DriftArgs, Outcome, PlanFormat};
use crate::render::{self, DriftOptions};

/// The base `drift` compares with: what is committed where it runs (on the
/// default branch of a scheduled job: what was merged).
const BASE: &str = "HEAD";

/// Runs `poolform drift`.
pub fn run(args: DriftArgs) -> miette::Result<Outcome> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .into_diagnostic()
        .wrap_err("failed to start the async runtime")?;
    let plan = runtime.block_on(make_plan(
        &args.path,
        &[],
        &super::FleetArgs::default(),
        &args.live,
        Some(BASE),
    ))?;
    let options = DriftOptions {
        config_path: args.path.display().to_string(),
        color: use_color(),
    };
    let rendered = match args.format {
        PlanFormat::Text => render::drift_text(&plan, &options),
        PlanFormat::Json => render::drift_json(&plan),
        PlanFormat::Markdown => render::drift_markdown(&plan, &options),
    };
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(rendered.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(error) => {
            return Err(error)
                .into_diagnostic()
                .wrap_err("failed to write the drift report to stdout");
        }
    }
    let found = plan
        .classification
        .as_ref()
        .is_some_and(crate::plan::Classification::has_outside);
    Ok(if found {
        Outcome::ChangesPresent
    } else {
        Outcome::Success
    })
}
