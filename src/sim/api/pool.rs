//! A node pool as CCE shows it: SDK `NodePool` and what it holds but the template.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::template::NodeTemplate;

/// SDK `NodePool` (also what `NodePoolResp` and the pool responses carry).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodePool {
    /// `NodePool`.
    #[serde(default)]
    pub kind: String,
    /// `v3`.
    #[serde(default)]
    pub api_version: String,
    /// Name, id, timestamps.
    #[serde(default)]
    pub metadata: NodePoolMetadata,
    /// The template and the pool settings.
    #[serde(default)]
    pub spec: NodePoolSpec,
    /// Kept current by the simulator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<NodePoolStatus>,
}

/// SDK `NodePoolMetadata`.
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
    /// Go-style timestamp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_timestamp: Option<String>,
    /// Go-style timestamp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_timestamp: Option<String>,
}

/// SDK `NodePoolSpec`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodePoolSpec {
    /// `vm`, `ElasticBMS`, `pm`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub pool_type: Option<String>,
    /// The template of new nodes.
    #[serde(default)]
    pub node_template: NodeTemplate,
    /// The desired node count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_node_count: Option<u32>,
    /// SDK `NodePoolNodeAutoscaling`, kept as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<Value>,
    /// SDK `NodePoolRepairPolicy`, kept as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repair_policy: Option<Value>,
    /// SDK `NodeManagement`, kept as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_management: Option<Value>,
    /// SDK `list[SecurityID]`, kept as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_security_groups: Option<Value>,
    /// SDK `list[ExtensionScaleGroup]`, kept as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension_scale_groups: Option<Value>,
    /// Security group ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_security_groups: Option<Vec<String>>,
    /// `ignore` | `refresh` (default `refresh`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taint_policy_on_existing_nodes: Option<String>,
    /// `ignore` | `refresh` (default `refresh`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_policy_on_existing_nodes: Option<String>,
    /// `ignore` | `refresh` (default `ignore`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_tags_policy_on_existing_nodes: Option<String>,
}

/// SDK `NodePoolStatus`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodePoolStatus {
    /// Nodes not being deleted.
    #[serde(default)]
    pub current_node: u32,
    /// Nodes being created.
    #[serde(default)]
    pub creating_node: u32,
    /// Nodes being deleted.
    #[serde(default)]
    pub deleting_node: u32,
    /// Active nodes.
    #[serde(default)]
    pub active_node: u32,
    /// Nodes up to date with the template.
    #[serde(default)]
    pub configuration_synced_node_count: u32,
    /// `""`, `Synchronizing`, `Deleting`, ….
    #[serde(default)]
    pub phase: String,
    /// The pool's current job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    /// Conditions.
    #[serde(default)]
    pub conditions: Vec<NodePoolCondition>,
}

/// SDK `NodePoolCondition`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NodePoolCondition {
    /// `Scalable`, `ConfigurationSynchronizing`, ….
    #[serde(default, rename = "type")]
    pub condition_type: String,
    /// `True` | `False`.
    #[serde(default)]
    pub status: String,
    /// Why.
    #[serde(default)]
    pub reason: String,
    /// Says more.
    #[serde(default)]
    pub message: String,
}
