//! `poolform validate`: load the configuration, report every problem.
//!
//! Diagnostics go to stderr as text, or to stdout as one JSON document with
//! `--format json` (data on stdout, so editors and CI can read it). When a
//! pool's password variable is set in the environment, its value is checked
//! against CCE's rules too; it is never printed.

use std::io::Write as _;

use super::{DiagnosticFormat, Outcome, ValidateArgs};
use crate::config::{self, ConfigErrors, JsonReport};

/// Width of the rendered diagnostics: fixed, so output does not depend on the
/// terminal and tests can compare it.
const REPORT_WIDTH: usize = 100;

/// Runs `poolform validate`.
pub fn run(args: ValidateArgs) -> miette::Result<Outcome> {
    let env = |name: &str| std::env::var(name).ok();
    let result = config::load_with_env(&args.path, &env);
    match (args.format, result) {
        (DiagnosticFormat::Text, Ok(desired)) => {
            eprintln!(
                "{} is valid: {} cluster(s), {} pool(s)",
                args.path.display(),
                desired.clusters.len(),
                desired.pools.len()
            );
            Ok(Outcome::Success)
        }
        (DiagnosticFormat::Json, Ok(_)) => {
            print_json(&JsonReport::valid())?;
            Ok(Outcome::Success)
        }
        (DiagnosticFormat::Text, Err(errors)) => {
            eprint!("{}", render(&errors));
            Err(Reported::from(&errors).into())
        }
        (DiagnosticFormat::Json, Err(errors)) => {
            print_json(&errors.to_json())?;
            Err(Reported::from(&errors).into())
        }
    }
}

/// Renders diagnostics for the terminal: graphical, honouring `NO_COLOR`.
pub(super) fn render(errors: &ConfigErrors) -> String {
    errors.render_plain(REPORT_WIDTH)
}

fn print_json(report: &JsonReport) -> miette::Result<()> {
    let text = serde_json::to_string_pretty(report)
        .map_err(|error| miette::miette!("cannot encode diagnostics as JSON: {error}"))?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{text}")
        .map_err(|error| miette::miette!("cannot write to stdout: {error}"))?;
    Ok(())
}

/// The diagnostics have already been printed; this only summarises them
/// (and makes the exit code 1).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("configuration has {count} {noun}", noun = if *count == 1 { "error" } else { "errors" })]
#[diagnostic(code(poolform::config::invalid))]
pub struct Reported {
    count: usize,
}

impl From<&ConfigErrors> for Reported {
    fn from(errors: &ConfigErrors) -> Self {
        Self {
            count: errors.diagnostics().len(),
        }
    }
}
