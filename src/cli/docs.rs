//! `poolform completions` and `poolform man`: shell completion scripts and
//! the manual page, generated from the clap definitions so they never drift
//! from the real flags, printed on stdout.

use std::io::Write as _;

use clap::CommandFactory as _;
use miette::{IntoDiagnostic as _, WrapErr as _};

use super::{Cli, CompletionsArgs, Outcome};

/// Runs `poolform completions SHELL`.
pub fn completions(args: CompletionsArgs) -> miette::Result<Outcome> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "poolform", &mut script);
    write_stdout(&script).wrap_err("failed to write the completion script to stdout")
}

/// Runs `poolform man`.
pub fn man() -> miette::Result<Outcome> {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut page)
        .into_diagnostic()
        .wrap_err("failed to render the manual page")?;
    write_stdout(&page).wrap_err("failed to write the manual page to stdout")
}

fn write_stdout(bytes: &[u8]) -> miette::Result<Outcome> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(Outcome::Success),
        // A closed pipe (`poolform man | head`) is the reader's choice.
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(Outcome::Success),
        Err(error) => Err(error).into_diagnostic(),
    }
}
