//! What apply did: the [`ApplyReport`] it returns, step by step.

use std::collections::BTreeSet;
use std::time::Duration;

use serde::Serialize;

use super::{CancelLevel, InFlight, NodeLabel, SkipReason, StepInfo};

/// A step that finished.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CompletedStep {
    /// The step.
    pub step: StepInfo,
    /// What was done.
    pub summary: String,
    /// Nodes reset by it.
    pub nodes_reset: Vec<NodeLabel>,
    /// Nodes of the batch left alone because they were already up to date.
    pub nodes_up_to_date: Vec<NodeLabel>,
}

/// A step that failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedStep {
    /// The step.
    pub step: StepInfo,
    /// The error, with its causes.
    pub error: String,
    /// The nodes it names.
    pub nodes: Vec<NodeLabel>,
    /// The job involved, if any.
    pub job_id: Option<String>,
}

/// A step that did not run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedStep {
    /// The step.
    pub step: StepInfo,
    /// Why.
    pub reason: SkipReason,
}

/// An interruption.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Interruption {
    /// How far it went.
    pub level: CancelLevel,
    /// What was running when apply stopped (after an immediate stop: left
    /// unfinished; after a graceful one: empty, since it was waited for).
    pub in_flight: Vec<InFlight>,
}

/// What apply did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApplyReport {
    /// Finished steps, in the order they finished.
    pub completed: Vec<CompletedStep>,
    /// Failed steps.
    pub failed: Vec<FailedStep>,
    /// Steps that did not run, in id order.
    pub skipped: Vec<SkippedStep>,
    /// Set when a stop was requested.
    pub interrupted: Option<Interruption>,
    /// Wall time.
    pub elapsed: Duration,
}

impl ApplyReport {
    /// Whether every step ran and finished.
    pub fn succeeded(&self) -> bool {
        self.failed.is_empty() && self.skipped.is_empty() && self.interrupted.is_none()
    }

    /// Every node reset, over all steps.
    pub fn nodes_reset(&self) -> BTreeSet<&NodeLabel> {
        self.completed
            .iter()
            .flat_map(|step| step.nodes_reset.iter())
            .collect()
    }
}
