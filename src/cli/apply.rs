//! `poolform apply`: plans (or loads a saved plan and checks it is still
//! fresh), shows the plan, asks for confirmation on a terminal, runs the
//! executor, and shows its events as progress on stderr: a live view on a
//! terminal, timestamped lines otherwise, JSON lines with `--json`. The final
//! summary goes to stdout. Ctrl-C once stops gracefully, twice at once.
//! SIGTERM (CI cancelling the job) stops gracefully too, but at once after
//! [`TERMINATE_GRACE`], so the summary is out before the SIGKILL that
//! usually follows; before apply changes anything, it just ends the run.

use std::collections::BTreeMap;
use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use miette::{IntoDiagnostic as _, WrapErr as _, miette};
use tokio::sync::mpsc;

use super::clusters::RunClusters;
use super::common::{FETCH_CONCURRENCY, cluster_identity, load_config, prepare_loaded};
use super::connect::{Connection, SIM_TIME_SCALE, connect};
use super::journal::Journal;
use super::lock::{self, ApplyLocks, LockKey};
use super::plan::print_plan;
use super::saved_plan::read_saved_plan;
use super::select::select_clusters;
use super::signals::StopSignals;
use super::{ApplyArgs, Outcome, PlanFormat};
use crate::apply::{
    self, ApplyOptions, ApplyReport, CancelLevel, CancelToken, Event, InFlight, NodeLabel, StepInfo,
};
use crate::live::fetch;
use crate::model::PoolAddress;
use crate::plan::Plan;

/// Runs `poolform apply`.
pub fn run(args: ApplyArgs) -> miette::Result<Outcome> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .into_diagnostic()?;
    runtime.block_on(run_async(args))
}

/// How long apply waits after SIGTERM for the work in flight before it stops
/// at once. CI runners follow SIGTERM with SIGKILL after a grace of their
/// own (often 10 s); the summary must be out before then.
const TERMINATE_GRACE: Duration = Duration::from_secs(3);

async fn run_async(mut args: ApplyArgs) -> miette::Result<Outcome> {
    // With --json, stderr carries only events.
    args.live.quiet = args.json;
    // SIGTERM is listened for from the start, so it never kills apply
    // half-way through anything, only ends it where it is safe to.
    let mut terminations = StopSignals::terminate();
    let saved = is_saved_plan(&args.path);
    // Planned under the lock, so a run that waited for another plans what
    // that one left; held until the end of the apply.
    let prepared = async {
        if saved {
            prepare_saved(&args).await
        } else {
            let desired = select_clusters(load_config(&args.path)?, &args.fleet.clusters)?;
            let locks = lock(&args, &RunClusters::of_config(&desired)).await?;
            let prepared =
                prepare_loaded(desired, &args.path, &args.target, &args.fleet, &args.live).await?;
            Ok((prepared.plan, prepared.connection, locks))
        }
    };
    let (plan, connection, _locks) = tokio::select! {
        prepared = prepared => prepared?,
        () = terminations.recv() => return Err(terminated_before_changes()),
    };
    let result = approve_and_apply(&args, saved, &plan, &connection, terminations).await;
    // Closing saves the simulator's state under --sim, whatever happened.
    let closed = connection.close().await;
    let outcome = result?;
    closed?;
    Ok(outcome)
}

/// Shows a fresh plan and asks for approval (a saved plan was reviewed when
/// it was made), then applies it.
async fn approve_and_apply(
    args: &ApplyArgs,
    saved: bool,
    plan: &Plan,
    connection: &Connection,
    mut terminations: StopSignals,
) -> miette::Result<Outcome> {
    if saved && !args.json {
        // With --json, stderr carries only events.
        eprintln!(
            "Applying the saved plan {} ({} step(s)); every object it read is unchanged.",
            args.path.display(),
            plan.steps.len()
        );
    } else if !saved {
        print_plan(plan, PlanFormat::Text)?;
    }
    if !plan.has_changes() {
        if saved {
            println!("No changes. The saved plan has nothing to apply.");
        }
        return Ok(Outcome::Success);
    }
    if !saved && !args.auto_approve && !confirm(&mut terminations).await? {
        return Err(miette!(
            code = "poolform::apply::cancelled",
            "apply cancelled: the answer was not 'yes'; nothing was changed"
        ));
    }
    let on_sim = connection.sim.is_some();
    let options = ApplyOptions {
        parallelism: args.parallelism.map_or(usize::MAX, |n| n as usize),
        cluster_parallelism: args.cluster_parallelism as usize,
        fail_fast: args.fail_fast,
        // The built-in simulator runs faster than real time; soaks and
        // timeouts follow its clock, and polling keeps up with it.
        poll_interval: args.poll_interval.unwrap_or(if on_sim {
            Duration::from_millis(100)
        } else {
            Duration::from_secs(5)
        }),
        time_scale: if on_sim { SIM_TIME_SCALE } else { 1.0 },
        ..ApplyOptions::default()
    };
    let journal = RunClusters::of_plan(plan).journal(&args.live, &args.path);
    execute(
        &connection.client,
        plan,
        args,
        options,
        terminations,
        journal,
    )
    .await
}

/// The error of a SIGTERM that came before apply changed anything.
fn terminated_before_changes() -> miette::Report {
    miette!(
        code = "poolform::apply::interrupted",
        "apply was terminated (SIGTERM) before it changed anything; nothing was sent"
    )
}

/// A path names a saved plan (or an attempt at one, which then gets a clear
/// error) unless it is a directory or a `*.toml` file: configurations are
/// one or the other. A path that does not exist is taken for a plan only
/// when it has some other extension (`nope.plan`), as a mistyped directory
/// has none.
fn is_saved_plan(path: &Path) -> bool {
    if path.is_dir() {
        return false;
    }
    match path.extension() {
        Some(extension) => !extension.eq_ignore_ascii_case("toml"),
        None => path.exists(),
    }
}

/// Asks on the terminal whether to go ahead; SIGTERM while waiting for the
/// answer ends the run.
async fn confirm(terminations: &mut StopSignals) -> miette::Result<bool> {
    if !std::io::stdin().is_terminal() {
        return Err(miette!(
            code = "poolform::apply::no_terminal",
            help = "pass --auto-approve to apply without asking, or save the plan with \
                    `poolform plan --out plan.json`, review it, and run `poolform apply plan.json`",
            "cannot ask for confirmation: standard input is not a terminal"
        ));
    }
    let mut stderr = std::io::stderr();
    // The question goes to stderr so stdout stays the plan and the summary.
    let _ = write!(
        stderr,
        "\nDo you want to perform these actions?\n  poolform will perform the actions described above; \
         nodes that are synchronised are reset and their disks wiped.\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: "
    );
    let _ = stderr.flush();
    // A thread of its own, not a blocking task of the runtime: a read
    // abandoned on SIGTERM must not hold the runtime's shutdown hostage.
    let (sender, receiver) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut answer = String::new();
        let read = std::io::stdin().lock().read_line(&mut answer);
        let _ = sender.send(read.map(|_| answer));
    });
    tokio::select! {
        answer = receiver => {
            let answer = answer
                .into_diagnostic()
                .wrap_err("failed to read the answer")?
                .into_diagnostic()
                .wrap_err("failed to read the answer")?;
            Ok(answer.trim() == "yes")
        }
        () = terminations.recv() => Err(terminated_before_changes()),
    }
}

/// Carries out a plan with progress on stderr and Ctrl-C and SIGTERM
/// handling; prints the summary on stdout.
async fn execute<A: crate::live::CceApi>(
    api: &A,
    plan: &Plan,
    args: &ApplyArgs,
    options: ApplyOptions,
    terminations: StopSignals,
    journal: Journal,
) -> miette::Result<Outcome> {
    // Written down before anything is sent: a rollout CCE cannot show must
    // survive this process (see `super::journal`).
    let started = chrono::Utc::now()
        .format("%Y-%m-%d %H:%M:%S UTC")
        .to_string();
    journal
        .start(plan, &started)
        .into_diagnostic()
        .wrap_err("failed to write the rollout journal; nothing was sent")?;
    let cancel = CancelToken::new();
    let reasons = Arc::new(StopReasons::default());
    let signals = tokio::spawn(stop_on_signals(
        cancel.clone(),
        terminations,
        Arc::clone(&reasons),
    ));
    let mode = if args.json {
        DisplayMode::Json
    } else if std::io::stderr().is_terminal() {
        DisplayMode::Live
    } else {
        DisplayMode::Plain
    };
    let (sender, mut receiver) = mpsc::unbounded_channel::<Event>();
    let shared_plan = Arc::new(plan.clone());
    let journal_after = journal.clone();
    let display = tokio::spawn(async move {
        let mut display = Display::new(mode, reasons);
        while let Some(event) = receiver.recv().await {
            if let Event::BatchPosted {
                step,
                job_id: Some(job),
                nodes,
                ..
            } = &event
            {
                let ids: Vec<String> = nodes.iter().map(|node| node.id.clone()).collect();
                if let Err(error) = journal.posted(&shared_plan, *step, job, &ids) {
                    tracing::warn!(%error, "could not record a posted batch in the rollout journal");
                }
            }
            if let Event::StepFinished { step, .. } = &event
                && let Err(error) = journal.finished(&shared_plan, *step)
            {
                // The next plan then resets those nodes once more; worth a
                // word, not worth stopping the rollout for.
                tracing::warn!(%error, "could not cross a finished batch off the rollout journal");
            }
            display.handle(&event);
        }
        display.finish();
    });
    let result = apply::apply(api, plan, &options, &sender, &cancel).await;
    drop(sender);
    let _ = display.await;
    signals.abort();
    let report = result.map_err(|error| miette!("{error}"))?;
    let unfinished: std::collections::BTreeSet<crate::model::PoolAddress> = report
        .failed
        .iter()
        .map(|failed| failed.step.address.clone())
        .chain(
            report
                .skipped
                .iter()
                .map(|skipped| skipped.step.address.clone()),
        )
        .collect();
    if let Err(error) = journal_after.applied(plan, &unfinished) {
        tracing::warn!(%error, "could not record the applied password variables in the journal");
    }
    print_summary(&report);
    if report.succeeded() {
        return Ok(Outcome::Success);
    }
    Err(failure_message(&report))
}

/// What took the cancel token to a level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StopReason {
    /// Ctrl-C (SIGINT).
    Interrupt,
    /// SIGTERM.
    Terminate,
    /// [`TERMINATE_GRACE`] passed after SIGTERM.
    GraceOver,
}

/// Why each stop level was reached. Recorded before the token is raised, so
/// the display, which hears of the stop from the executor afterwards, can
/// say what caused it.
#[derive(Debug, Default)]
struct StopReasons {
    graceful: OnceLock<StopReason>,
    immediate: OnceLock<StopReason>,
}

impl StopReasons {
    fn record(&self, level: CancelLevel, reason: StopReason) {
        let slot = match level {
            CancelLevel::None => return,
            CancelLevel::Graceful => &self.graceful,
            CancelLevel::Immediate => &self.immediate,
        };
        let _ = slot.set(reason);
    }

    fn of(&self, level: CancelLevel) -> Option<StopReason> {
        match level {
            CancelLevel::None => None,
            CancelLevel::Graceful => self.graceful.get().copied(),
            CancelLevel::Immediate => self.immediate.get().copied(),
        }
    }
}

/// Each Ctrl-C or SIGTERM takes the cancel token one stage further, and the
/// first SIGTERM also sets a deadline: [`TERMINATE_GRACE`] later the stop is
/// immediate whatever is in flight. The executor reports each stage as an
/// event, which the display shows.
async fn stop_on_signals(
    cancel: CancelToken,
    mut terminations: StopSignals,
    reasons: Arc<StopReasons>,
) {
    // One listener per signal for the whole run, so a second signal that
    // arrives while the first is handled is not lost.
    let mut interrupts = StopSignals::interrupt();
    let mut deadline: Option<tokio::time::Instant> = None;
    loop {
        let grace_over = async move {
            match deadline {
                Some(deadline) => tokio::time::sleep_until(deadline).await,
                None => std::future::pending().await,
            }
        };
        let reason = tokio::select! {
            () = interrupts.recv() => StopReason::Interrupt,
            () = terminations.recv() => StopReason::Terminate,
            () = grace_over => StopReason::GraceOver,
        };
        if reason == StopReason::Terminate {
            deadline.get_or_insert_with(|| tokio::time::Instant::now() + TERMINATE_GRACE);
        }
        let level = match reason {
            StopReason::GraceOver => CancelLevel::Immediate,
            StopReason::Interrupt | StopReason::Terminate => cancel.next_level(),
        };
        reasons.record(level, reason);
        cancel.cancel(level);
        if level == CancelLevel::Immediate {
            return;
        }
    }
}

/// The error `main` prints (on stderr) when apply did not finish everything.
fn failure_message(report: &ApplyReport) -> miette::Report {
    match &report.interrupted {
        Some(interruption) if interruption.level == CancelLevel::Immediate => miette!(
            code = "poolform::apply::interrupted",
            help = "run `poolform plan` to see what remains; the live state is the record of what was done",
            "apply was stopped at once; {}",
            in_flight_text(&interruption.in_flight)
        ),
        Some(_) => miette!(
            code = "poolform::apply::interrupted",
            help = "run `poolform plan` to see what remains, then apply again",
            "apply was interrupted: the work in flight finished, {} step(s) were not started",
            report.skipped.len()
        ),
        None => miette!(
            code = "poolform::apply::failed",
            help = "fix the cause, then run `poolform plan` to see what remains",
            "apply failed: {} step(s) failed{}",
            report.failed.len(),
            if report.skipped.is_empty() {
                String::new()
            } else {
                format!(", {} skipped", report.skipped.len())
            }
        ),
    }
}

fn in_flight_text(in_flight: &[InFlight]) -> String {
    if in_flight.is_empty() {
        return "nothing was in flight".to_owned();
    }
    let items: Vec<String> = in_flight
        .iter()
        .map(|item| {
            let mut text = format!("{} {}", item.step.address, item.step.what);
            match (&item.job_id, item.requested) {
                (Some(job), _) => {
                    text.push_str(&format!(" (job {job}, nodes may still be resetting)"))
                }
                (None, true) => text.push_str(" (request sent)"),
                (None, false) => text.push_str(" (not yet requested)"),
            }
            text
        })
        .collect();
    format!("in flight: {}", items.join("; "))
}

/// The final summary, on stdout.
fn print_summary(report: &ApplyReport) {
    let mut out = String::new();
    let elapsed = humantime::format_duration(Duration::from_secs(report.elapsed.as_secs()));
    if report.succeeded() {
        let reset = report.nodes_reset().len();
        out.push_str(&format!(
            "\nApply complete! {} step(s) done, {reset} node(s) reset, in {elapsed}.\n",
            report.completed.len()
        ));
    } else {
        out.push_str(&format!(
            "\nApply incomplete after {elapsed}: {} done, {} failed, {} skipped.\n",
            report.completed.len(),
            report.failed.len(),
            report.skipped.len()
        ));
    }
    if !report.completed.is_empty() {
        out.push_str("\nDone:\n");
        for step in &report.completed {
            out.push_str(&format!(
                "  {}: {}: {}\n",
                step.step.address, step.step.what, step.summary
            ));
        }
    }
    if !report.failed.is_empty() {
        out.push_str("\nFailed:\n");
        for step in &report.failed {
            out.push_str(&format!(
                "  {}: {}: {}\n",
                step.step.address, step.step.what, step.error
            ));
            if !step.nodes.is_empty() {
                out.push_str(&format!("    nodes: {}\n", node_names(&step.nodes)));
            }
        }
    }
    if !report.skipped.is_empty() {
        out.push_str("\nNot done:\n");
        for step in &report.skipped {
            out.push_str(&format!(
                "  {}: {}: skipped, {}\n",
                step.step.address, step.step.what, step.reason
            ));
        }
    }
    if let Some(interruption) = &report.interrupted {
        out.push_str(&format!(
            "\nInterrupted ({}): {}.\n",
            match interruption.level {
                CancelLevel::Immediate => "stopped at once",
                _ => "finished the work in flight, started nothing new",
            },
            in_flight_text(&interruption.in_flight)
        ));
    }
    if !report.succeeded() {
        out.push_str("\nRun `poolform plan` to see what remains.\n");
    }
    print!("{out}");
    let _ = std::io::stdout().flush();
}

fn node_names(nodes: &[NodeLabel]) -> String {
    nodes
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

// ---------------------------------------------------------------------------
// Progress display

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DisplayMode {
    /// indicatif bars, one per pool.
    Live,
    /// Timestamped lines.
    Plain,
    /// One JSON object per line.
    Json,
}

/// Turns events into progress on stderr.
struct Display {
    mode: DisplayMode,
    /// What stopped apply, if something did.
    reasons: Arc<StopReasons>,
    started: Instant,
    steps: Vec<StepInfo>,
    multi: Option<MultiProgress>,
    bars: BTreeMap<PoolAddress, ProgressBar>,
    /// Phases of the nodes of each running step, for the live view.
    phases: BTreeMap<usize, BTreeMap<String, String>>,
}

impl Display {
    fn new(mode: DisplayMode, reasons: Arc<StopReasons>) -> Self {
        Self {
            mode,
            reasons,
            started: Instant::now(),
            steps: Vec::new(),
            multi: (mode == DisplayMode::Live)
                .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr())),
            bars: BTreeMap::new(),
            phases: BTreeMap::new(),
        }
    }

    fn step(&self, index: usize) -> Option<&StepInfo> {
        self.steps.get(index)
    }

    fn prefix(&self, index: usize) -> String {
        self.step(index)
            .map(|step| format!("{}: {}", step.address, step.what))
            .unwrap_or_else(|| format!("step {index}"))
    }

    fn handle(&mut self, event: &Event) {
        if self.mode == DisplayMode::Json {
            let mut value = serde_json::to_value(event).unwrap_or_default();
            if let Some(object) = value.as_object_mut() {
                object.insert(
                    "time".to_owned(),
                    serde_json::Value::String(
                        chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                    ),
                );
            }
            eprintln!("{value}");
            return;
        }
        if let Event::Started { steps } = event {
            self.steps = steps.clone();
            self.start_bars();
        }
        if let Some(line) = self.line(event) {
            self.print(&line);
        }
        self.update_bars(event);
    }

    /// The text of an event; `None` for events only the live view shows.
    fn line(&self, event: &Event) -> Option<String> {
        Some(match event {
            Event::Started { steps } => {
                let pools: std::collections::BTreeSet<&PoolAddress> =
                    steps.iter().map(|step| &step.address).collect();
                format!(
                    "applying {} step(s) over {} pool(s)",
                    steps.len(),
                    pools.len()
                )
            }
            Event::StepStarted { step } => {
                if self.mode == DisplayMode::Live {
                    return None;
                }
                format!("{}: {}: started", step.address, step.what)
            }
            Event::NodesUpToDate { step, nodes } => format!(
                "{}: already up to date, left alone: {}",
                self.prefix(*step),
                node_names(nodes)
            ),
            Event::NodesGone { step, nodes } => format!(
                "{}: no longer exist, left out: {}",
                self.prefix(*step),
                node_names(nodes)
            ),
            Event::WaitingForBudget { step, reason } => {
                format!("{}: waiting: {reason}", self.prefix(*step))
            }
            Event::BatchPosted {
                step,
                job_id,
                nodes,
                ..
            } => format!(
                "{}: sync requested{}: {}",
                self.prefix(*step),
                job_id
                    .as_deref()
                    .map(|job| format!(" (job {job})"))
                    .unwrap_or_else(|| " (answer lost; following the nodes)".to_owned()),
                node_names(nodes)
            ),
            Event::PoolRequested { step, pool_id } => format!(
                "{}: request accepted{}",
                self.prefix(*step),
                pool_id
                    .as_deref()
                    .map(|id| format!(" (pool {id})"))
                    .unwrap_or_default()
            ),
            Event::NodeProgress {
                step,
                node,
                phase,
                up_to_date,
            } => {
                if self.mode == DisplayMode::Live {
                    return None;
                }
                format!(
                    "{}: node {}: {phase}{}",
                    self.prefix(*step),
                    node.name,
                    match up_to_date {
                        Some(true) => ", up to date",
                        Some(false) => ", not up to date",
                        None => "",
                    }
                )
            }
            Event::Soaking { step, seconds } => {
                format!("{}: soaking for {seconds:.0}s", self.prefix(*step))
            }
            Event::StepFinished { step, summary } => {
                format!("{}: done: {summary}", self.prefix(*step))
            }
            Event::StepFailed { step, error, .. } => {
                format!("{}: FAILED: {error}", self.prefix(*step))
            }
            Event::StepSkipped { step, reason } => {
                format!("{}: skipped: {reason}", self.prefix(*step))
            }
            Event::Interrupted { level, in_flight } => {
                let in_flight = in_flight_text(in_flight);
                let grace = TERMINATE_GRACE.as_secs();
                match (level, self.reasons.of(*level)) {
                    (CancelLevel::Immediate, Some(StopReason::GraceOver)) => format!(
                        "the work in flight did not finish within {grace}s of SIGTERM: \
                         stopping now; {in_flight}"
                    ),
                    (CancelLevel::Immediate, Some(StopReason::Terminate)) => {
                        format!("terminated (SIGTERM): stopping now; {in_flight}")
                    }
                    (CancelLevel::Immediate, _) => {
                        format!("interrupted again: stopping now; {in_flight}")
                    }
                    (_, Some(StopReason::Terminate)) => format!(
                        "terminated (SIGTERM): finishing the work in flight and starting \
                         nothing new; stopping at once in {grace}s; {in_flight}"
                    ),
                    _ => format!(
                        "interrupted: finishing the work in flight and starting nothing new; \
                         press Ctrl-C again to stop at once; {in_flight}"
                    ),
                }
            }
        })
    }

    fn print(&self, line: &str) {
        match &self.multi {
            Some(multi) => {
                let elapsed = humantime::format_duration(Duration::from_secs(
                    self.started.elapsed().as_secs(),
                ));
                let _ = multi.println(format!("[{elapsed}] {line}"));
            }
            None => {
                let time = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                eprintln!("{time} {line}");
            }
        }
    }

    fn start_bars(&mut self) {
        let Some(multi) = &self.multi else { return };
        let style = ProgressStyle::with_template(
            "{spinner} {prefix:<24} [{bar:20}] {pos}/{len} steps {elapsed:>5} {wide_msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        let mut counts: BTreeMap<PoolAddress, u64> = BTreeMap::new();
        for step in &self.steps {
            *counts.entry(step.address.clone()).or_default() += 1;
        }
        for (address, count) in counts {
            let bar = multi.add(ProgressBar::new(count));
            bar.set_style(style.clone());
            bar.set_prefix(address.to_string());
            bar.set_message("waiting");
            bar.enable_steady_tick(Duration::from_millis(200));
            self.bars.insert(address, bar);
        }
    }

    fn update_bars(&mut self, event: &Event) {
        if self.multi.is_none() {
            return;
        }
        let step_of = |index: &usize| self.steps.get(*index).cloned();
        match event {
            Event::StepStarted { step } => {
                if let Some(bar) = self.bars.get(&step.address) {
                    bar.set_message(step.what.clone());
                }
            }
            Event::NodeProgress {
                step, node, phase, ..
            } => {
                let phases = self.phases.entry(*step).or_default();
                phases.insert(node.name.clone(), phase.clone());
                if let Some(info) = step_of(step)
                    && let Some(bar) = self.bars.get(&info.address)
                {
                    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
                    for phase in phases.values() {
                        *counts.entry(phase.as_str()).or_default() += 1;
                    }
                    let nodes: Vec<String> = counts
                        .iter()
                        .map(|(phase, count)| format!("{count} {phase}"))
                        .collect();
                    bar.set_message(format!("{}: {}", info.what, nodes.join(", ")));
                }
            }
            Event::StepFinished { step, .. }
            | Event::StepFailed { step, .. }
            | Event::StepSkipped { step, .. } => {
                self.phases.remove(step);
                if let Some(info) = step_of(step)
                    && let Some(bar) = self.bars.get(&info.address)
                {
                    bar.inc(1);
                    if let Event::StepFailed { .. } = event {
                        bar.set_message(format!("{}: failed", info.what));
                    } else if bar.position() >= bar.length().unwrap_or(0) {
                        bar.set_message("done");
                    }
                }
            }
            _ => {}
        }
    }

    fn finish(&mut self) {
        for bar in self.bars.values() {
            bar.abandon();
        }
        if let Some(multi) = &self.multi {
            let _ = multi.clear();
        }
    }
}

/// Reads a saved plan and checks it against fresh live state: every object
/// it read must be unchanged, or nothing is sent.
/// Takes the lock of every cluster the apply touches (see [`lock`]).
async fn lock(args: &ApplyArgs, clusters: &RunClusters) -> miette::Result<ApplyLocks> {
    let keys: Vec<LockKey> = clusters
        .clusters
        .iter()
        .map(|cluster| LockKey {
            identity: cluster_identity(&cluster.cloud, &args.live, &args.path, &cluster.id),
            cluster: cluster.name.to_string(),
        })
        .collect();
    let owner = lock::owner(&args.path);
    let timeout = args.lock_timeout;
    let quiet = args.json;
    tokio::task::spawn_blocking(move || {
        lock::lock_clusters(&keys, &owner, timeout, |key, holder| {
            if !quiet {
                eprintln!(
                    "Waiting up to {} for another poolform run on cluster {} to finish ({holder})...",
                    humantime::format_duration(timeout),
                    key.cluster
                );
            }
        })
    })
    .await
    .into_diagnostic()?
    .map_err(miette::Report::new)
}

async fn prepare_saved(args: &ApplyArgs) -> miette::Result<(Plan, Connection, ApplyLocks)> {
    if !args.target.is_empty() {
        return Err(miette!(
            code = "poolform::apply::target_with_saved_plan",
            help = "pass --target to `poolform plan --out FILE` instead",
            "--target cannot narrow a saved plan"
        ));
    }
    if !args.fleet.clusters.is_empty() {
        return Err(miette!(
            code = "poolform::apply::cluster_with_saved_plan",
            help = "pass --cluster to `poolform plan --out FILE` instead",
            "--cluster cannot narrow a saved plan"
        ));
    }
    let plan = read_saved_plan(&args.path, true)?;
    let clusters = RunClusters::of_plan(&plan);
    let locks = lock(args, &clusters).await?;
    let connection = connect(&clusters, &args.fleet, &args.live, &args.path).await?;
    let live = match fetch(&connection.client, &plan.cluster_ids(), FETCH_CONCURRENCY).await {
        Ok(live) => live,
        Err(error) => {
            let _ = connection.close().await;
            return Err(miette::Report::new(error).wrap_err("failed to read the live state"));
        }
    };
    let stale = apply::stale_objects(&plan, &live);
    if !stale.is_empty() {
        let _ = connection.close().await;
        return Err(miette!(
            code = "poolform::apply::stale_plan",
            help = "make a new plan with `poolform plan --out FILE`, review it, and apply that",
            "plan is stale: {} live object(s) changed since it was made; nothing was sent\n{}",
            stale.len(),
            stale
                .iter()
                .map(|item| format!("  - {item}"))
                .collect::<Vec<_>>()
                .join("\n")
        ));
    }
    Ok((plan, connection, locks))
}
