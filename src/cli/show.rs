//! `poolform show`.

use super::{Outcome, ShowArgs};

/// Runs `poolform show`.
pub fn run(args: ShowArgs) -> miette::Result<Outcome> {
    let _ = args;
    Err(miette::miette!("show is not built yet"))
}
