//! What apply says when it ends: the summary on stdout and, when something
//! was left undone, the error `main` prints.

use std::io::Write as _;
use std::time::Duration;

use miette::miette;

use crate::apply::{ApplyReport, CancelLevel, InFlight, NodeLabel};

/// The error `main` prints (on stderr) when apply did not finish everything.
pub(super) fn failure_message(report: &ApplyReport) -> miette::Report {
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

pub(super) fn in_flight_text(in_flight: &[InFlight]) -> String {
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
pub(super) fn print_summary(report: &ApplyReport) {
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

pub(super) fn node_names(nodes: &[NodeLabel]) -> String {
    nodes
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
