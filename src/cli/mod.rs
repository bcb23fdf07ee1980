//! Command-line definitions (clap) and dispatch. Each command lives in its own
//! module with one `run` function; this module maps outcomes to exit codes in
//! one place: 0 success or no changes (and `--help`, `--version`), 1 error
//! (usage errors included), 2 changes present (only with `--detailed-exitcode`)
//! or, for `poolform drift`, drift found.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod apply;
mod clusters;
pub mod common;
mod connect;
mod docs;
mod drift;
mod git;
mod import;
mod journal;
mod lock;
mod plan;
mod quotas;
mod saved_plan;
mod schema;
mod select;
mod show;
mod signals;
mod sim;
pub mod sim_seed;
mod validate;

/// Declarative plan/apply for Huawei Cloud CCE node pools.
#[derive(Debug, Parser)]
#[command(name = "poolform", version, about, long_about = None)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a configuration and report every problem in it.
    Validate(ValidateArgs),
    /// Compare the configuration with the live pools and nodes and show what would change.
    Plan(PlanArgs),
    /// Report what changed outside poolform: plan against the configuration at HEAD and show only drift and unfinished rollouts (never changes anything).
    Drift(DriftArgs),
    /// Write configuration for live pools the configuration does not manage yet (reads only, never changes anything).
    Import(ImportArgs),
    /// Show a saved plan.
    Show(ShowArgs),
    /// Carry out a plan: a configuration (planned now) or a saved plan file.
    Apply(ApplyArgs),
    /// Run the built-in CCE simulator.
    #[command(subcommand)]
    Sim(SimCommand),
    /// Print the JSON schema of the config language or of the plan JSON.
    Schema(SchemaArgs),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
    /// Print the manual page (roff).
    Man,
}

/// Output formats of `validate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiagnosticFormat {
    /// Human-readable diagnostics.
    Text,
    /// One JSON document with every diagnostic.
    Json,
}

/// Output formats of `plan` and `show`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    /// Terraform-style text.
    Text,
    /// Versioned JSON.
    Json,
    /// Markdown for pull request comments.
    Markdown,
}

/// `poolform validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// A config file or a directory of `*.toml` files.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = DiagnosticFormat::Text)]
    pub format: DiagnosticFormat,
}

/// Where the live state comes from.
#[derive(Debug, Clone, Args)]
pub struct LiveSource {
    /// Run against the built-in simulator instead of the cloud, keeping its
    /// state in FILE (default: one file per configuration,
    /// `.poolform/sim/<name>-<hash of its path>.json`); an absent state file
    /// is seeded from `sim-seed.json` beside the config, if there is one.
    /// Delete the state file to start over.
    #[arg(long, value_name = "FILE", num_args = 0..=1, require_equals = true)]
    pub sim: Option<Option<PathBuf>>,
    /// Reset every node of this pool (an address, repeatable), whatever CCE
    /// says: for a password rotated under the same variable, or a script
    /// rollout an apply on another machine left unfinished.
    #[arg(long, value_name = "ADDR")]
    pub resync: Vec<String>,
    /// Say nothing on stderr about the simulator (`apply --json`, whose
    /// stderr carries only events).
    #[arg(skip)]
    pub quiet: bool,
}

impl LiveSource {
    /// The simulator state file to use for the configuration (or saved
    /// plan) at `path`, or `None` when running against the cloud.
    pub fn sim_state_file(&self, path: &std::path::Path) -> Option<PathBuf> {
        match &self.sim {
            None => None,
            Some(Some(file)) => Some(file.clone()),
            Some(None) => Some(sim_seed::default_sim_state_file(path)),
        }
    }
}

/// `poolform plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// A config file or a directory of `*.toml` files.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,
    /// Save the plan to FILE for `poolform apply FILE`.
    #[arg(long, visible_alias = "out-file", value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Exit 2 when the plan has changes (0 when it has none, 1 on error).
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Plan only these pool addresses (and what they depend on).
    #[arg(long, value_name = "ADDR")]
    pub target: Vec<String>,
    /// Compare three ways: also read the configuration as of this git
    /// revision (such as `origin/main`) and say of every difference whether
    /// it is this change, drift (changed outside poolform), a conflict, or an
    /// unfinished rollout. The configuration must be in a git checkout.
    #[arg(long, value_name = "REF")]
    pub base: Option<String>,
    /// Which clusters, and how to talk to their APIs.
    #[command(flatten)]
    pub fleet: FleetArgs,
    /// Live source.
    #[command(flatten)]
    pub live: LiveSource,
}

/// `poolform drift`.
#[derive(Debug, Args)]
pub struct DriftArgs {
    /// A config file or a directory of `*.toml` files, in a git checkout.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Output format; markdown is a complete issue body.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,
    /// Live source.
    #[command(flatten)]
    pub live: LiveSource,
}

/// The part of a fleet a run covers, and how hard it may press the APIs:
/// shared by `plan` and `apply`.
#[derive(Debug, Clone, Default, Args)]
pub struct FleetArgs {
    /// Only this cluster (its `[clusters.KEY]` key) and its pools; repeatable.
    /// Shards a fleet over CI jobs, one job per cluster.
    #[arg(long = "cluster", value_name = "KEY")]
    pub clusters: Vec<String>,
    /// At most N requests in flight at once per endpoint [default: `[cloud]
    /// max_concurrency`, or 256]. Starts at 64; fewer are sent while the
    /// API throttles.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub max_concurrency: Option<u32>,
}

/// Output formats of `import`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportFormat {
    /// Write the files; say on stderr what was written.
    Text,
    /// Write nothing; print the files that would be written as JSON.
    Json,
}

/// `poolform import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// A config file or a directory of `*.toml` files; it must define the
    /// cluster.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// The cluster to read (its `[clusters.KEY]` key).
    #[arg(long, value_name = "KEY")]
    pub cluster: String,
    /// Import only this pool (its CCE name; repeatable) [default: every
    /// pool the configuration does not manage].
    #[arg(long = "pool", value_name = "NAME")]
    pub pools: Vec<String>,
    /// Write the files into DIR [default: the configuration's directory].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Overwrite files that already exist.
    #[arg(long)]
    pub force: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ImportFormat::Text)]
    pub format: ImportFormat,
    /// Read the built-in simulator instead of the cloud, as `plan --sim`.
    #[arg(long, value_name = "FILE", num_args = 0..=1, require_equals = true)]
    pub sim: Option<Option<PathBuf>>,
}

/// `poolform show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A plan saved with `poolform plan --out`.
    pub file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,
}

/// `poolform apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// A config file or directory (planned now), or a saved plan file.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub auto_approve: bool,
    /// How many pools may be worked on at once in all [default: no limit
    /// beyond --cluster-parallelism].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub parallelism: Option<u32>,
    /// How many pools of one cluster may be worked on at once; node budgets
    /// and the cluster's `max_unavailable` always hold besides.
    #[arg(long, value_name = "N", default_value_t = crate::apply::DEFAULT_CLUSTER_PARALLELISM, value_parser = clap::value_parser!(u32).range(1..))]
    pub cluster_parallelism: u32,
    /// Stop every pool at the first failure, not only the failing one.
    #[arg(long)]
    pub fail_fast: bool,
    /// Print progress as a JSON event stream on stderr.
    #[arg(long)]
    pub json: bool,
    /// How often to re-read pools, nodes and jobs while waiting, such as `5s`
    /// or `200ms` [default: 5s, or 100ms with --sim].
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub poll_interval: Option<std::time::Duration>,
    /// Plan only these pool addresses (and what they depend on).
    #[arg(long, value_name = "ADDR")]
    pub target: Vec<String>,
    /// How long to wait for another apply of the same cluster on this
    /// machine to finish before giving up, such as `30m`.
    #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = humantime::parse_duration)]
    pub lock_timeout: std::time::Duration,
    /// Which clusters, and how to talk to their APIs.
    #[command(flatten)]
    pub fleet: FleetArgs,
    /// Live source.
    #[command(flatten)]
    pub live: LiveSource,
}

/// `poolform sim ...`.
#[derive(Debug, Subcommand)]
pub enum SimCommand {
    /// Serve the simulator over HTTP until interrupted.
    Serve(SimServeArgs),
}

/// `poolform sim serve`.
#[derive(Debug, Args)]
pub struct SimServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8765")]
    pub listen: String,
    /// State file, loaded at start and saved on every change.
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// Simulated seconds per real second (higher is faster).
    #[arg(long, default_value_t = 1.0)]
    pub time_scale: f64,
    /// Latency added to every request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// The project id served (the `{project_id}` of every path).
    #[arg(long, default_value = "sim-project")]
    pub project_id: String,
    /// Add this (empty) cluster unless the state has it; repeatable.
    #[arg(long = "cluster", value_name = "ID")]
    pub clusters: Vec<String>,
    /// Accept this `X-Auth-Token`; repeatable.
    #[arg(long = "token", value_name = "TOKEN")]
    pub tokens: Vec<String>,
    /// Accept requests signed with this access key (needs `--sk`).
    #[arg(long, env = "CLOUD_SDK_AK", requires = "sk")]
    pub ak: Option<String>,
    /// The secret key of `--ak`.
    #[arg(long, env = "CLOUD_SDK_SK", hide_env_values = true, requires = "ak")]
    pub sk: Option<String>,
    /// Simulated time a node reset takes, e.g. `60s`.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    pub reset_duration: std::time::Duration,
    /// Simulated time a node creation takes, e.g. `2m`.
    #[arg(long, default_value = "2m", value_parser = humantime::parse_duration)]
    pub create_duration: std::time::Duration,
    /// The most nodes on one ListNodes page, whatever `limit` asks for.
    #[arg(long, value_name = "N")]
    pub page_size: Option<usize>,
    /// Faults to inject from the start, as JSON, e.g.
    /// `{"rate_429":0.1,"seed":7}` (see `GET /_sim/faults` for every knob).
    #[arg(long, value_name = "JSON")]
    pub faults: Option<String>,
}

/// Which schema `poolform schema` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaKind {
    /// The config language (`schema/poolform.schema.json`).
    Config,
    /// The plan JSON (`schema/plan.schema.json`).
    Plan,
}

/// `poolform schema`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Which schema.
    #[arg(value_enum, default_value_t = SchemaKind::Config)]
    pub kind: SchemaKind,
}

/// `poolform completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// What a successful command reports to the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0.
    Success,
    /// Exit 2: changes present and `--detailed-exitcode` given, or drift
    /// found by `poolform drift`.
    ChangesPresent,
}

/// Parses the command line and runs it. A usage error (an unknown flag, a
/// bad value) exits 1 like any other error, as Terraform's do: exit 2 means
/// "the plan has changes", and a script checking for it must not mistake a
/// typo for changes. `--help` and `--version` print to stdout and exit 0.
pub fn main() -> ExitCode {
    match Cli::try_parse() {
        Ok(cli) => run(cli),
        Err(error) => {
            // clap decides the stream: stderr for errors, stdout for help
            // and version. A closed stream leaves nothing to report on.
            let _ = error.print();
            if error.use_stderr() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
    }
}

/// Runs a command and maps its outcome to the process exit code. Errors are
/// printed here, once, as miette reports on stderr.
pub fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Validate(args) => validate::run(args),
        Command::Plan(args) => plan::run(args),
        Command::Drift(args) => drift::run(args),
        Command::Import(args) => import::run(args),
        Command::Show(args) => show::run(args),
        Command::Apply(args) => apply::run(args),
        Command::Sim(command) => sim::run(command),
        Command::Schema(args) => schema::run(args),
        Command::Completions(args) => docs::completions(args),
        Command::Man => docs::man(),
    };
    match result {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::ChangesPresent) => ExitCode::from(2),
        Err(report) => {
            eprintln!("{report:?}");
            ExitCode::from(1)
        }
    }
}
