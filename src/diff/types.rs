//! What the diff produces, as the plan shows it: a pool's action, its
//! changed attributes, its stale and unavailable nodes, and the live pools
//! no configuration names. `plan` re-exports them.

use serde::{Deserialize, Serialize};

use crate::model::{ClusterName, NodeId, PoolId};

/// What happens to a pool itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PoolAction {
    /// Nothing.
    NoOp,
    /// Create it.
    Create,
    /// Update it in place.
    Update,
    /// Delete it (`ensure = "absent"`).
    Delete,
    /// Delete and create it again (only when the user opted in).
    Replace,
}

/// One attribute's change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttributeChange {
    /// Dotted path in poolform's vocabulary, such as `lifecycle.post_install`.
    pub path: String,
    /// Live value (JSON null when absent).
    pub before: serde_json::Value,
    /// Desired value (JSON null when absent).
    pub after: serde_json::Value,
    /// Whether only a node reset applies it to existing nodes.
    pub needs_reset: bool,
}

/// Changes of a pool that reach nodes created from now on only: a reset
/// does not apply them, so the existing nodes keep the old value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewNodesOnly {
    /// Attribute paths, such as `data_volumes`.
    pub paths: Vec<String>,
    /// Existing nodes that keep the old value.
    pub existing_nodes: usize,
}

/// A node, as shown in plans.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NodeRef {
    /// Node id.
    pub id: NodeId,
    /// Node name.
    pub name: String,
    /// Availability zone.
    pub az: String,
    /// Phase when read.
    pub phase: String,
}

/// A node that must be reset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaleNode {
    /// The node.
    pub node: NodeRef,
    /// Why, such as `os: EulerOS 2.9 → Huawei Cloud EulerOS 2.0`.
    pub reasons: Vec<String>,
}

/// A live pool that no configuration names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnmanagedPool {
    /// Cluster key.
    pub cluster: ClusterName,
    /// CCE pool name.
    pub name: String,
    /// CCE pool id.
    pub pool_id: PoolId,
    /// Nodes in it.
    pub node_count: usize,
}
