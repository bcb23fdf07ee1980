//! `poolform apply`.

use super::{ApplyArgs, Outcome};

/// Runs `poolform apply`.
pub fn run(args: ApplyArgs) -> miette::Result<Outcome> {
    let _ = args;
    Err(miette::miette!("apply is not built yet"))
}
