//! `poolform plan` and `poolform schema`.

use super::{Outcome, PlanArgs, SchemaArgs};

/// Runs `poolform plan`.
pub fn run(args: PlanArgs) -> miette::Result<Outcome> {
    let _ = args;
    Err(miette::miette!("plan is not built yet"))
}

/// Runs `poolform schema`.
pub fn schema(args: SchemaArgs) -> miette::Result<Outcome> {
    let _ = args;
    Err(miette::miette!("schema is not built yet"))
}
