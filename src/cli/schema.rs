//! `poolform schema`: print the JSON schema of the config language (or of
//! the plan JSON) on stdout.

use std::io::Write as _;

use super::{Outcome, SchemaArgs, SchemaKind};

/// Runs `poolform schema`.
pub fn run(args: SchemaArgs) -> miette::Result<Outcome> {
    let text = match args.kind {
        SchemaKind::Config => crate::config::config_json_schema(),
        SchemaKind::Plan => crate::render::plan_json_schema(),
    };
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .map_err(|error| miette::miette!("cannot write to stdout: {error}"))?;
    Ok(Outcome::Success)
}
