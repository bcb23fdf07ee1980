//! `poolform plan`.

use super::{Outcome, PlanArgs};

/// Runs `poolform plan`.
pub fn run(args: PlanArgs) -> miette::Result<Outcome> {
    let _ = args;
    Err(miette::miette!("plan is not built yet"))
}
