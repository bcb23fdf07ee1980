//! `poolform show`: print a plan saved with `poolform plan --out FILE`.

use super::plan::print_plan;
use super::saved_plan::read_saved_plan;
use super::{Outcome, ShowArgs};

/// Runs `poolform show`.
pub fn run(args: ShowArgs) -> miette::Result<Outcome> {
    let plan = read_saved_plan(&args.file, false)?;
    print_plan(&plan, args.format)?;
    Ok(Outcome::Success)
}
