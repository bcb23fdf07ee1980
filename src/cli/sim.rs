//! `poolform sim`.

use super::{Outcome, SimCommand};

/// Runs `poolform sim ...`.
pub fn run(command: SimCommand) -> miette::Result<Outcome> {
    let _ = command;
    Err(miette::miette!("the simulator is not built yet"))
}
