//! `poolform show`: print a plan saved with `poolform plan --out FILE`.

use miette::{IntoDiagnostic as _, WrapErr as _};

use super::plan::print_plan;
use super::{Outcome, ShowArgs};

/// Runs `poolform show`.
pub fn run(args: ShowArgs) -> miette::Result<Outcome> {
    let text = std::fs::read_to_string(&args.file)
        .into_diagnostic()
        .wrap_err_with(|| format!("failed to read {}", args.file.display()))?;
    let plan = crate::plan::load(&text).map_err(|error| {
        miette::Report::new(error).wrap_err(format!("cannot show {}", args.file.display()))
    })?;
    print_plan(&plan, args.format)?;
    Ok(Outcome::Success)
}
