//! Why a step failed ([`StepError`]) and why apply could not start
//! ([`ApplyError`]).

use crate::api::LiveError;
use crate::model::ClusterName;

use super::NodeLabel;

/// Why a step failed. Messages name the nodes involved.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// A CCE call failed.
    #[error("failed to {action}")]
    Api {
        /// What was being done, such as `list the nodes of cluster prod`.
        action: String,
        /// The API error.
        #[source]
        source: LiveError,
    },
    /// The sync job failed.
    #[error("job {job_id} failed{}{}", job_reason(reason, nodes), node_list(nodes))]
    JobFailed {
        /// The job.
        job_id: String,
        /// CCE's reason.
        reason: String,
        /// Nodes that failed.
        nodes: Vec<NodeLabel>,
    },
    /// Nodes went into an error phase.
    #[error("nodes failed{}", node_list(nodes))]
    NodesFailed {
        /// The nodes, with their phase in the name.
        nodes: Vec<NodeLabel>,
    },
    /// Something took too long.
    #[error(
        "timed out after {seconds:.0}s waiting for {waiting_for}{}",
        node_list(nodes)
    )]
    Timeout {
        /// Real seconds waited.
        seconds: f64,
        /// What was awaited.
        waiting_for: String,
        /// The nodes not there yet.
        nodes: Vec<NodeLabel>,
    },
    /// Starting the batch would take more nodes down than allowed, and they
    /// did not come back in time.
    #[error(
        "{scope} allows {limit} unavailable nodes, but {count} would be down at once; still unavailable after {seconds:.0}s{}",
        node_list(others)
    )]
    BudgetExceeded {
        /// `pool X` or `cluster Y`.
        scope: String,
        /// The limit.
        limit: u32,
        /// How many would be down.
        count: usize,
        /// The nodes outside the batch that are down.
        others: Vec<NodeLabel>,
        /// Real seconds waited.
        seconds: f64,
    },
    /// The batch is larger than the cluster cap; the plan does not fit it.
    #[error(
        "the batch has {size} nodes but cluster {cluster} allows only {cap} unavailable at once; run plan again"
    )]
    BatchOverCap {
        /// The cluster key.
        cluster: ClusterName,
        /// Nodes in the batch.
        size: usize,
        /// The cap.
        cap: u32,
    },
    /// A nodes left Active while soaking.
    #[error("nodes left Active during the {seconds:.0}s soak{}", node_list(nodes))]
    SoakFailed {
        /// Real seconds of soak.
        seconds: f64,
        /// The nodes, with their phase in the name.
        nodes: Vec<NodeLabel>,
    },
    /// Nodes of the batch disappeared while it ran.
    #[error("nodes disappeared while being reset{}", node_list(nodes))]
    NodesVanished {
        /// The nodes.
        nodes: Vec<NodeLabel>,
    },
    /// A password variable is not set.
    #[error("environment variable {env} is not set; it must hold the node login password")]
    PasswordMissing {
        /// The variable.
        env: String,
    },
    /// A password variable holds an unacceptable password.
    #[error("the password in environment variable {env} is not acceptable: {problem}")]
    PasswordInvalid {
        /// The variable.
        env: String,
        /// What is wrong (never the password).
        problem: String,
    },
    /// The answer to a mutating request was lost and the live state does not
    /// show whether it took effect; it was not sent again.
    #[error(
        "the {request} request may or may not have been carried out (its answer was lost) and the live state does not show it; it was not sent again; run plan to see the current state"
    )]
    OutcomeUnknown {
        /// `sync`, `create pool`, …
        request: String,
        /// The error that lost the answer.
        #[source]
        source: LiveError,
    },
    /// The pool is in an error state.
    #[error("pool {pool} is in phase {phase}{}", if message.is_empty() { String::new() } else { format!(": {message}") })]
    PoolFailed {
        /// Pool name or id.
        pool: String,
        /// Its phase.
        phase: String,
        /// Conditions' messages.
        message: String,
    },
    /// The plan does not say what apply needs.
    #[error("the plan is inconsistent: {reason}")]
    InvalidStep {
        /// What is wrong.
        reason: String,
    },
}

fn node_list(nodes: &[NodeLabel]) -> String {
    if nodes.is_empty() {
        String::new()
    } else {
        let names: Vec<String> = nodes.iter().map(ToString::to_string).collect();
        format!(": {}", names.join(", "))
    }
}

/// CCE's reason for a failed job, unless it only names the failed nodes
/// (the simulator's and CCE's usual "failed on nodes: a, b"): the node list
/// that follows names them with their phase and id, and each node is printed
/// once.
fn job_reason(reason: &str, nodes: &[NodeLabel]) -> String {
    let mut rest = reason.to_owned();
    for node in nodes {
        rest = rest.replace(node.id.as_str(), "");
        // Failure labels carry the phase after the name: "app-1 [Error]".
        let name = node.name.split(" [").next().unwrap_or_default();
        if !name.is_empty() {
            rest = rest.replace(name, "");
        }
    }
    let rest = rest.to_ascii_lowercase();
    let only_names = !nodes.is_empty()
        && rest
            .split(|c: char| c.is_whitespace() || c.is_ascii_punctuation())
            .filter(|word| !word.is_empty())
            .all(|word| matches!(word, "failed" | "on" | "node" | "nodes" | "and"));
    if reason.is_empty() && nodes.is_empty() {
        String::new()
    } else if reason.is_empty() || only_names {
        " on nodes".to_owned()
    } else {
        format!(": {reason}")
    }
}

impl StepError {
    /// Whether the step failed on a read that may succeed if tried again
    /// (see [`LiveError::is_transient`]).
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Api { source, .. } if source.is_transient())
    }

    /// The nodes the error names.
    pub fn nodes(&self) -> Vec<NodeLabel> {
        match self {
            Self::JobFailed { nodes, .. }
            | Self::NodesFailed { nodes }
            | Self::Timeout { nodes, .. }
            | Self::SoakFailed { nodes, .. }
            | Self::NodesVanished { nodes } => nodes.clone(),
            Self::BudgetExceeded { others, .. } => others.clone(),
            _ => Vec::new(),
        }
    }

    /// The error and its causes as one line.
    pub fn chain(&self) -> String {
        let mut message = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        message
    }
}

/// Apply could not start.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// The plan's steps do not form a valid order.
    #[error("the plan is invalid: {reason}")]
    InvalidPlan {
        /// What is wrong.
        reason: String,
    },
}
