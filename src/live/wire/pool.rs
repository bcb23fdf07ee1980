//! Node pools (`kind: NodePool`) as CCE returns them: metadata, spec,
//! autoscaling, node management and status.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::NodeTemplate;
use serde_json::Value;

/// A node pool (`kind: NodePool`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodePool {
    /// `NodePool`.
    #[serde(default)]
    pub kind: String,
    /// `v3`.
    #[serde(default)]
    pub api_version: String,
    /// Name, uid, timestamps.
    #[serde(default)]
    pub metadata: NodePoolMetadata,
    /// The desired pool.
    #[serde(default)]
    pub spec: NodePoolSpec,
    /// What CCE reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<NodePoolStatus>,
}

/// `NodePool.metadata`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodePoolMetadata {
    /// Pool name.
    #[serde(default)]
    pub name: String,
    /// Pool id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    /// Read-only annotations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
    /// Creation time (opaque string).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_timestamp: Option<String>,
    /// Last update time (opaque string).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_timestamp: Option<String>,
    /// Version of the last update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_version: Option<Value>,
}

/// `NodePool.spec`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodePoolSpec {
    /// `vm`, `ElasticBMS` or `pm`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub pool_type: Option<String>,
    /// The template of the pool's nodes.
    #[serde(default)]
    pub node_template: NodeTemplate,
    /// Desired node count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_node_count: Option<u32>,
    /// Autoscaling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<Autoscaling>,
    /// Server group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_management: Option<NodeManagement>,
    /// `ignore` or `refresh`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taint_policy_on_existing_nodes: Option<String>,
    /// `ignore` or `refresh`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_policy_on_existing_nodes: Option<String>,
    /// `ignore` or `refresh`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_tags_policy_on_existing_nodes: Option<String>,
}

/// `spec.nodeManagement`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeManagement {
    /// Server group id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_group_reference: Option<String>,
}

/// `spec.autoscaling`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Autoscaling {
    /// Whether the autoscaler manages the pool.
    #[serde(default)]
    pub enable: bool,
    /// Minimum nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_node_count: Option<u32>,
    /// Maximum nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_node_count: Option<u32>,
    /// Minutes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_down_cooldown_time: Option<u32>,
    /// Priority.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i32>,
}

/// `NodePool.status`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodePoolStatus {
    /// All nodes except those being deleted.
    #[serde(default)]
    pub current_node: u32,
    /// Nodes being created.
    #[serde(default)]
    pub creating_node: u32,
    /// Nodes being deleted.
    #[serde(default)]
    pub deleting_node: u32,
    /// Ready nodes.
    #[serde(default)]
    pub active_node: u32,
    /// Nodes that have synchronised the pool's configuration.
    #[serde(default)]
    pub configuration_synced_node_count: u32,
    /// `""`, `Synchronizing`, `Synchronized`, `SoldOut`, `Deleting`, `Error`.
    #[serde(default)]
    pub phase: String,
    /// The current operation's job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    /// Conditions.
    #[serde(default)]
    pub conditions: Vec<Condition>,
}

/// A pool condition.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    /// Condition type.
    #[serde(default, rename = "type")]
    pub condition_type: String,
    /// `True` or `False`.
    #[serde(default)]
    pub status: String,
    /// Reason.
    #[serde(default)]
    pub reason: String,
    /// Message.
    #[serde(default)]
    pub message: String,
}
