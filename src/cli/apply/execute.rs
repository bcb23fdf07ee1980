//! Running the executor for the CLI: the rollout journal around it, Ctrl-C
//! and SIGTERM turned into cancel levels, events fed to the display, and
//! the summary at the end.

use std::io::IsTerminal as _;
use std::sync::{Arc, OnceLock};

use miette::{IntoDiagnostic as _, WrapErr as _, miette};
use tokio::sync::mpsc;

use crate::apply::{self, ApplyOptions, CancelLevel, CancelToken, Event};
use crate::cli::journal::Journal;
use crate::cli::signals::StopSignals;
use crate::cli::{ApplyArgs, Outcome};
use crate::plan::Plan;

use super::TERMINATE_GRACE;
use super::display::{Display, DisplayMode};
use super::summary::{failure_message, print_summary};

/// Carries out a plan with progress on stderr and Ctrl-C and SIGTERM
/// handling; prints the summary on stdout.
pub(super) async fn execute<A: crate::live::CceApi>(
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
pub(super) enum StopReason {
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
pub(super) struct StopReasons {
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

    pub(super) fn of(&self, level: CancelLevel) -> Option<StopReason> {
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
