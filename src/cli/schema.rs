//! `poolform schema`: print the JSON schema of the config language (or of
//! the plan JSON) on stdout.

use std::io::Write as _;

use super::{Outcome, SchemaArgs, SchemaKind};

/// Runs `poolform schema`.
pub fn run(args: SchemaArgs) -> miette::Result<Outcome> {
    let text = match args.kind {
        SchemaKind::Config => crate::config::config_json_schema(),
        SchemaKind::Plan => {
            return Err(miette::miette!(
                code = "poolform::schema::unavailable",
                help = "`poolform schema config` prints the config schema",
                "plan schema is not available"
            ));
        }
    };
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .map_err(|error| miette::miette!("cannot write to stdout: {error}"))?;
    Ok(Outcome::Success)
}
