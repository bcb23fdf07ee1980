//! The command line itself, on the real binary: usage errors exit 1 (never 2,
//! which `plan --detailed-exitcode` means "changes"), help and version go to
//! stdout with 0, and the generated completions and manual page.

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
#[test_case(&["plan", "--base"], "a value is required for '--base <REF>'")]
#[test_case(&["drift", "--formt", "json"], "unexpected argument '--formt'")]
#[test_case(&["drift", "--format", "yaml"], "invalid value 'yaml' for '--format <FORMAT>'")]
#[test_case(&["show", "plan.json", "--formt", "json"], "unexpected argument '--formt'")]
#[test_case(&["show", "plan.json", "--format", "yaml"], "invalid value 'yaml' for '--format <FORMAT>'")]
#[test_case(&["apply", "--auto-aprove"], "unexpected argument '--auto-aprove'")]
#[test_case(&["apply", "--parallelism", "many"], "invalid value 'many' for '--parallelism <PARALLELISM>'")]
#[test_case(&["sim", "serve", "--listn", "127.0.0.1:0"], "unexpected argument '--listn'")]
#[test_case(&["sim", "serve", "--time-scale", "fast"], "invalid value 'fast' for '--time-scale <TIME_SCALE>'")]
#[test_case(&["sim", "server"], "unrecognized subcommand 'server'")]
#[test_case(&["schema", "--kind", "plan"], "unexpected argument '--kind'")]
#[test_case(&["schema", "yaml"], "invalid value 'yaml' for '[KIND]'")]
#[test_case(&["completions", "--shel", "bash"], "unexpected argument '--shel'")]
#[test_case(&["completions", "tcsh"], "invalid value 'tcsh' for '<SHELL>'")]
#[test_case(&["man", "--output", "poolform.1"], "unexpected argument '--output'")]
#[test_case(&["man", "plan"], "unexpected argument 'plan'")]
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

#[test_case("bash")]
#[test_case("zsh")]
#[test_case("fish")]
#[test_case("powershell")]
fn completions_name_the_binary_and_its_subcommands(shell: &str) {
    let output = poolform(&["completions", shell]);
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert!(output.status.success(), "{stderr}");
    assert!(stdout.contains("poolform"), "{stdout}");
    for subcommand in ["plan", "apply", "validate"] {
        assert!(stdout.contains(subcommand), "{shell}: no {subcommand}");
    }
    assert!(stdout.contains("detailed-exitcode"), "{stdout}");
}

#[test]
fn man_prints_a_roff_page_naming_the_subcommands() {
    let output = poolform(&["man"]);
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert!(output.status.success(), "{stderr}");
    // The title macro comes first, after clap_mangen's definition of the
    // apostrophe string (`.ie`/`.el`).
    let first = stdout
        .lines()
        .find(|line| !line.starts_with(".ie ") && !line.starts_with(".el "));
    assert!(
        first.is_some_and(|line| line.starts_with(".TH poolform 1")),
        "{stdout}"
    );
    assert!(stdout.contains("poolform"), "{stdout}");
    assert!(stdout.contains("plan"), "{stdout}");
    assert!(stdout.contains(".SH SUBCOMMANDS"), "{stdout}");
}
