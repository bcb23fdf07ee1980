//! The `poolform` binary: parse arguments, run, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = poolform::cli::Cli::parse();
    poolform::cli::run(cli)
}
