//! Why a step failed ([`StepError`]) and why apply could not start
//! ([`ApplyError`]): miette diagnostics, each variant with a stable code
//! (`poolform::apply::…`) and, where the user can act, a help line. What a
//! message names from a closed set of cases is an enum, whose `Display`
//! gives the words of the message.

use std::fmt;

use crate::api::LiveError;
use crate::model::{ClusterName, PoolAddress, PoolId};

use super::NodeLabel;

/// Why a step failed. Messages name the nodes involved.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum StepError {
    /// A CCE call failed.
    #[error("failed to {action}")]
    #[diagnostic(code(poolform::apply::api))]
    Api {
        /// What was being done, such as `list the nodes of cluster prod`.
        action: String,
        /// The API error.
        #[source]
        #[diagnostic_source]
        source: LiveError,
    },
    /// The sync job failed.
    #[error("job {job_id} failed{}{}", job_reason(reason, nodes), node_list(nodes))]
    #[diagnostic(
        code(poolform::apply::job_failed),
        help(
            "the job's sub-jobs in the CCE console say why each node failed; run `poolform plan` to see what is left"
        )
    )]
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
    #[diagnostic(
        code(poolform::apply::nodes_failed),
        help(
            "the nodes' events in the CCE console say why; run `poolform plan` to see what is left"
        )
    )]
    NodesFailed {
        /// The nodes, with their phase in the name.
        nodes: Vec<NodeLabel>,
    },
    /// Something took too long.
    #[error(
        "timed out after {seconds:.0}s waiting for {waiting_for}{}",
        node_list(nodes)
    )]
    #[diagnostic(
        code(poolform::apply::timeout),
        help(
            "the work may still finish in the cloud; run `poolform plan` to see the current state before applying again"
        )
    )]
    Timeout {
        /// Real seconds waited.
        seconds: f64,
        /// What was awaited.
        waiting_for: WaitingFor,
        /// The nodes not there yet.
        nodes: Vec<NodeLabel>,
    },
    /// Starting the batch would take more nodes down than allowed, and they
    /// did not come back in time.
    #[error(
        "{scope} allows {limit} unavailable nodes, but {count} would be down at once; still unavailable after {seconds:.0}s{}",
        node_list(others)
    )]
    #[diagnostic(
        code(poolform::apply::budget_exceeded),
        help(
            "bring the unavailable nodes back to Active, or raise the pool's or cluster's max_unavailable"
        )
    )]
    BudgetExceeded {
        /// The pool or cluster whose budget it is.
        scope: BudgetScope,
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
    #[diagnostic(code(poolform::apply::batch_over_cap))]
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
    #[diagnostic(
        code(poolform::apply::soak_failed),
        help(
            "the nodes' events in the CCE console say why they left Active; run `poolform plan` to see what is left"
        )
    )]
    SoakFailed {
        /// Real seconds of soak.
        seconds: f64,
        /// The nodes, with their phase in the name.
        nodes: Vec<NodeLabel>,
    },
    /// Nodes of the batch disappeared while it ran.
    #[error("nodes disappeared while being reset{}", node_list(nodes))]
    #[diagnostic(
        code(poolform::apply::nodes_vanished),
        help(
            "something outside this apply deleted or replaced them; run `poolform plan` to see the current state"
        )
    )]
    NodesVanished {
        /// The nodes.
        nodes: Vec<NodeLabel>,
    },
    /// A password variable is not set.
    #[error("environment variable {env} is not set; it must hold the node login password")]
    #[diagnostic(
        code(poolform::apply::password_missing),
        help("export the variable in the environment apply runs in")
    )]
    PasswordMissing {
        /// The variable.
        env: String,
    },
    /// A password variable holds an unacceptable password.
    #[error("the password in environment variable {env} is not acceptable: {problem}")]
    #[diagnostic(
        code(poolform::apply::password_invalid),
        help("set the variable to a password of printable characters")
    )]
    PasswordInvalid {
        /// The variable.
        env: String,
        /// What is wrong (never the password).
        problem: PasswordProblem,
    },
    /// The answer to a mutating request was lost and the live state does not
    /// show whether it took effect; it was not sent again.
    #[error(
        "the {request} request may or may not have been carried out (its answer was lost) and the live state does not show it; it was not sent again; run plan to see the current state"
    )]
    #[diagnostic(code(poolform::apply::outcome_unknown))]
    OutcomeUnknown {
        /// The request.
        request: MutatingRequest,
        /// The error that lost the answer.
        #[source]
        #[diagnostic_source]
        source: LiveError,
    },
    /// The pool is in an error state.
    #[error("pool {pool} is in phase {phase}{}", if message.is_empty() { String::new() } else { format!(": {message}") })]
    #[diagnostic(
        code(poolform::apply::pool_failed),
        help(
            "the pool's conditions in the CCE console say why; run `poolform plan` to see what is left"
        )
    )]
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
    #[diagnostic(
        code(poolform::apply::invalid_step),
        help("run `poolform plan` to make a new plan")
    )]
    InvalidStep {
        /// What is wrong.
        reason: InconsistentStep,
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
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ApplyError {
    /// The plan's steps do not form a valid order.
    #[error("the plan is invalid: {reason}")]
    #[diagnostic(
        code(poolform::apply::invalid_plan),
        help("a saved plan must not be edited by hand; run `poolform plan` to make a new one")
    )]
    InvalidPlan {
        /// What is wrong.
        reason: InvalidOrder,
    },
}

/// What a step timed out waiting for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitingFor {
    /// A sync of the pool that this run did not start (`job …` or the
    /// pool's condition) to finish.
    SyncInFlight {
        /// What shows it.
        what: String,
    },
    /// Nodes of the batch still changing to settle before the reset.
    NodesToSettle,
    /// The batch's job to finish (its nodes are back).
    Job {
        /// The job.
        job_id: String,
    },
    /// The batch's nodes to be Active and up to date.
    NodesBack,
    /// A created or updated pool to settle.
    PoolToSettle {
        /// The pool.
        pool_id: PoolId,
    },
    /// A pool to be deleted.
    PoolDeleted {
        /// The pool.
        pool_id: PoolId,
    },
}

impl fmt::Display for WaitingFor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SyncInFlight { what } => {
                write!(
                    f,
                    "the sync already in flight on the pool ({what}) to finish"
                )
            }
            Self::NodesToSettle => {
                f.write_str("nodes of the batch to settle before resetting them")
            }
            Self::Job { job_id } => write!(f, "job {job_id} to finish"),
            Self::NodesBack => f.write_str("the nodes to be Active and up to date"),
            Self::PoolToSettle { pool_id } => write!(f, "pool {pool_id} to settle"),
            Self::PoolDeleted { pool_id } => write!(f, "pool {pool_id} to be deleted"),
        }
    }
}

/// Whose unavailability budget a batch would exceed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BudgetScope {
    /// The pool's `max_unavailable`.
    Pool(PoolAddress),
    /// The cluster's cap.
    Cluster(ClusterName),
}

impl fmt::Display for BudgetScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Pool(address) => write!(f, "pool {address}"),
            Self::Cluster(cluster) => write!(f, "cluster {cluster}"),
        }
    }
}

/// What is wrong with a password (never the password itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordProblem {
    /// The variable does not hold UTF-8.
    NotUtf8,
    /// It could not be salted as CCE requires.
    NotSalted,
}

impl fmt::Display for PasswordProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NotUtf8 => "it is not valid UTF-8",
            Self::NotSalted => "it could not be salted",
        })
    }
}

/// A mutating request whose answer was lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MutatingRequest {
    /// A batch's sync.
    Sync {
        /// Batch number within the pool.
        number: usize,
        /// Batches of the pool.
        of: usize,
    },
    /// A pool create.
    CreatePool {
        /// The pool's CCE name.
        name: String,
    },
}

impl fmt::Display for MutatingRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sync { number, of } => write!(f, "sync (batch {number}/{of})"),
            Self::CreatePool { name } => write!(f, "create pool {name}"),
        }
    }
}

/// How a step and the plan or the cloud disagree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InconsistentStep {
    /// The step names a cluster the plan does not list.
    UnknownCluster {
        /// The step.
        step: usize,
        /// The cluster key.
        cluster: ClusterName,
    },
    /// CCE accepted a pool create but does not list the pool.
    PoolNotListed {
        /// The pool's CCE name.
        name: String,
    },
}

impl fmt::Display for InconsistentStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownCluster { step, cluster } => {
                write!(
                    f,
                    "step {step} names cluster {cluster} which the plan does not list"
                )
            }
            Self::PoolNotListed { name } => {
                write!(f, "CCE accepted pool {name} but does not list it")
            }
        }
    }
}

/// Why a plan's steps are not a valid order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvalidOrder {
    /// A step's id is not its position.
    IdNotPosition {
        /// The position.
        position: usize,
        /// The id found there.
        id: usize,
    },
    /// A step depends on one that does not come before it.
    DependsOnLater {
        /// The step.
        step: usize,
        /// The step it depends on.
        dependency: usize,
    },
}

impl fmt::Display for InvalidOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::IdNotPosition { position, id } => {
                write!(f, "step at position {position} has id {id}")
            }
            Self::DependsOnLater { step, dependency } => write!(
                f,
                "step {step} depends on step {dependency}, which does not come before it"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use miette::Diagnostic as _;

    use super::*;

    #[test]
    fn messages_read_as_before_and_codes_are_stable() {
        let cases: Vec<(StepError, &str, &str)> = vec![
            (
                StepError::Timeout {
                    seconds: 60.0,
                    waiting_for: WaitingFor::PoolDeleted {
                        pool_id: PoolId::from("p-1"),
                    },
                    nodes: Vec::new(),
                },
                "timed out after 60s waiting for pool p-1 to be deleted",
                "poolform::apply::timeout",
            ),
            (
                StepError::BudgetExceeded {
                    scope: BudgetScope::Cluster(ClusterName::from("prod")),
                    limit: 2,
                    count: 3,
                    others: Vec::new(),
                    seconds: 5.0,
                },
                "cluster prod allows 2 unavailable nodes, but 3 would be down at once; still unavailable after 5s",
                "poolform::apply::budget_exceeded",
            ),
            (
                StepError::PasswordInvalid {
                    env: "NODE_PASSWORD".into(),
                    problem: PasswordProblem::NotSalted,
                },
                "the password in environment variable NODE_PASSWORD is not acceptable: it could not be salted",
                "poolform::apply::password_invalid",
            ),
            (
                StepError::InvalidStep {
                    reason: InconsistentStep::UnknownCluster {
                        step: 3,
                        cluster: ClusterName::from("prod"),
                    },
                },
                "the plan is inconsistent: step 3 names cluster prod which the plan does not list",
                "poolform::apply::invalid_step",
            ),
        ];
        for (error, message, code) in cases {
            assert_eq!(error.to_string(), message);
            assert_eq!(
                error.code().map(|code| code.to_string()).as_deref(),
                Some(code)
            );
        }
        let invalid = ApplyError::InvalidPlan {
            reason: InvalidOrder::DependsOnLater {
                step: 1,
                dependency: 2,
            },
        };
        assert_eq!(
            invalid.to_string(),
            "the plan is invalid: step 1 depends on step 2, which does not come before it"
        );
        assert!(invalid.help().is_some());
    }

    #[test]
    fn api_errors_keep_the_live_error_as_diagnostic_source() {
        let error = StepError::OutcomeUnknown {
            request: MutatingRequest::Sync { number: 2, of: 5 },
            source: LiveError::PasswordNotSalted,
        };
        assert!(
            error
                .to_string()
                .starts_with("the sync (batch 2/5) request")
        );
        let source = error.diagnostic_source().expect("a diagnostic source");
        assert_eq!(
            source.code().map(|code| code.to_string()).as_deref(),
            Some("poolform::live::password")
        );
    }
}
