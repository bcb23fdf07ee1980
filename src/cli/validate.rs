//! `poolform validate`.

use super::{Outcome, ValidateArgs};

/// Runs `poolform validate`.
pub fn run(args: ValidateArgs) -> miette::Result<Outcome> {
    let _ = args;
    Err(miette::miette!("validate is not built yet"))
}
