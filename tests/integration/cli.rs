//! The command line itself, on the real binary: usage errors exit 1 (never 2,
//! which `plan --detailed-exitcode` means "changes"), help and version go to
//! stdout with 0.

use std::process::{Command, Output, Stdio};

use test_case::test_case;

fn poolform(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_poolform"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("poolform runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

// Every subcommand, a mistyped flag and a bad value each.
#[test_case(&["validate", "--formt", "json"], "unexpected argument '--formt'")]
#[test_case(&["validate", "--format", "yaml"], "invalid value 'yaml' for '--format <FORMAT>'")]
#[test_case(&["plan", "--detailed-exitcod"], "unexpected argument '--detailed-exitcod'")]
#[test_case(&["plan", "--format", "yaml"], "invalid value 'yaml' for '--format <FORMAT>'")]
#[test_case(&["show", "plan.json", "--formt", "json"], "unexpected argument '--formt'")]
#[test_case(&["show", "plan.json", "--format", "yaml"], "invalid value 'yaml' for '--format <FORMAT>'")]
#[test_case(&["apply", "--auto-aprove"], "unexpected argument '--auto-aprove'")]
#[test_case(&["apply", "--parallelism", "many"], "invalid value 'many' for '--parallelism <PARALLELISM>'")]
#[test_case(&["sim", "serve", "--listn", "127.0.0.1:0"], "unexpected argument '--listn'")]
#[test_case(&["sim", "serve", "--time-scale", "fast"], "invalid value 'fast' for '--time-scale <TIME_SCALE>'")]
#[test_case(&["sim", "server"], "unrecognized subcommand 'server'")]
#[test_case(&["schema", "--kind", "plan"], "unexpected argument '--kind'")]
#[test_case(&["schema", "yaml"], "invalid value 'yaml' for '[KIND]'")]
#[test_case(&["plna"], "unrecognized subcommand 'plna'")]
#[test_case(&[], "Usage: poolform")]
fn usage_errors_exit_1_with_clap_message_on_stderr(args: &[&str], message: &str) {
    let output = poolform(args);
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(
        output.status.code(),
        Some(1),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stderr.contains(message), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
}

#[test_case(&["--help"], "Usage: poolform")]
#[test_case(&["plan", "--help"], "--detailed-exitcode")]
#[test_case(&["help", "apply"], "--auto-approve")]
#[test_case(&["--version"], "poolform 0.1.0")]
fn help_and_version_exit_0_on_stdout(args: &[&str], expected: &str) {
    let output = poolform(args);
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.contains(expected), "{stdout}");
    assert!(stderr.is_empty(), "{stderr}");
}
