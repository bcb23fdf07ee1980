//! The progress display: apply's events as a live view on a terminal,
//! timestamped lines otherwise, or JSON lines with `--json`, on stderr.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::apply::{CancelLevel, Event, StepInfo};
use crate::model::PoolAddress;

use super::TERMINATE_GRACE;
use super::execute::{StopReason, StopReasons};
use super::summary::{in_flight_text, node_names};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DisplayMode {
    /// indicatif bars, one per pool.
    Live,
    /// Timestamped lines.
    Plain,
    /// One JSON object per line.
    Json,
}

/// Turns events into progress on stderr.
pub(super) struct Display {
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
    pub(super) fn new(mode: DisplayMode, reasons: Arc<StopReasons>) -> Self {
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

    pub(super) fn handle(&mut self, event: &Event) {
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

    pub(super) fn finish(&mut self) {
        for bar in self.bars.values() {
            bar.abandon();
        }
        if let Some(multi) = &self.multi {
            let _ = multi.clear();
        }
    }
}
