//! What the API's reads return besides the model's [`LivePool`] and
//! [`LiveNode`]: a pool's status, a node's pool membership and a job, as
//! far as apply follows them.
//!
//! [`LivePool`]: crate::model::LivePool

use crate::model::{DEFAULT_POOL_NAME, LiveNode, PoolId};

/// A pool as apply re-reads it while waiting for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolState {
    /// `metadata.uid` (empty when CCE did not say).
    pub id: PoolId,
    /// `metadata.name`.
    pub name: String,
    /// `status`, when CCE reported one.
    pub status: Option<PoolStatus>,
}

/// `status` of a pool.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PoolStatus {
    /// `""` (settled), `Synchronizing`, `Deleting`, `Error`, ….
    pub phase: String,
    /// Nodes being created.
    pub creating_nodes: u32,
    /// Nodes being deleted.
    pub deleting_nodes: u32,
    /// The current operation's job.
    pub job_id: Option<String>,
    /// Conditions.
    pub conditions: Vec<PoolCondition>,
}

/// A pool condition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PoolCondition {
    /// Condition type, such as `ConfigurationSynchronizing`.
    pub kind: String,
    /// `True` or `False`.
    pub status: String,
    /// Message.
    pub message: String,
}

/// A node as ListNodes returns it: the model's node and the pool it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedNode {
    /// The node, with its phase, flag and fingerprint.
    pub node: LiveNode,
    /// Which pool it says it belongs to.
    pub membership: NodeMembership,
}

/// What a node says of its pool, each as CCE wrote it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeMembership {
    /// `ownerReferences.nodepoolID`.
    pub owner_pool_id: Option<String>,
    /// `ownerReferences.nodepoolName`.
    pub owner_pool_name: Option<String>,
    /// The `kubernetes.io/node-pool.id` annotation (`{az}#{flavor}#{os}`
    /// for DefaultPool nodes).
    pub pool_annotation: Option<String>,
}

impl NodeMembership {
    /// The pool id the node names: from `ownerReferences`, or the pool
    /// annotation when it has no owner id.
    pub fn pool_id(&self) -> Option<&str> {
        self.owner_pool_id
            .as_deref()
            .or(self.pool_annotation.as_deref())
    }

    /// Whether the node belongs to the pool: by pool id (owner reference or
    /// annotation), by pool name when the node names no id, and for the
    /// DefaultPool by its `az#flavor#os` annotation, which carries no pool id.
    pub fn belongs_to(&self, pool: &PoolId, pool_name: &str) -> bool {
        let owner_id = self.pool_id().filter(|id| !id.is_empty());
        if owner_id == Some(pool.as_str()) {
            return true;
        }
        let owner_name = self.owner_pool_name.as_deref();
        if owner_id.is_none() && owner_name == Some(pool_name) {
            return true;
        }
        pool_name == DEFAULT_POOL_NAME
            && (owner_name == Some(DEFAULT_POOL_NAME)
                || owner_id.is_some_and(|id| id == DEFAULT_POOL_NAME || id.contains('#')))
    }
}

/// A CCE job as apply follows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobState {
    /// `metadata.uid`.
    pub id: String,
    /// `status.phase`.
    pub phase: JobPhase,
    /// Why it failed.
    pub reason: String,
    /// Its sub-jobs, one per resource.
    pub sub_jobs: Vec<SubJob>,
}

/// A sub-job of a [`JobState`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubJob {
    /// `status.phase`.
    pub phase: JobPhase,
    /// The id of the resource it works on (a node id).
    pub resource_id: String,
    /// The name of that resource.
    pub resource_name: String,
}

/// How far a job is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobPhase {
    /// Finished well.
    Success,
    /// Finished badly.
    Failed,
    /// Not finished (`Initializing`, `Running`, or a phase poolform does not
    /// know), as CCE wrote it.
    Unfinished(String),
}

impl JobPhase {
    /// Reads the API's string.
    pub fn parse(raw: &str) -> Self {
        match raw {
            "Success" => Self::Success,
            "Failed" => Self::Failed,
            other => Self::Unfinished(other.to_owned()),
        }
    }

    /// Whether the job is over, well or badly.
    pub fn is_finished(&self) -> bool {
        matches!(self, Self::Success | Self::Failed)
    }
}
