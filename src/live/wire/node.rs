//! Nodes (`kind: Node`) as CCE returns them, and how a node names its pool.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::NodeTemplate;

/// A node (`kind: Node`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Node {
    /// `Node`.
    #[serde(default)]
    pub kind: String,
    /// `v3`.
    #[serde(default)]
    pub api_version: String,
    /// Name, uid, pool references.
    #[serde(default)]
    pub metadata: NodeMetadata,
    /// What the node was created with.
    #[serde(default)]
    pub spec: NodeTemplate,
    /// What CCE reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<NodeStatus>,
}

/// `Node.metadata`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeMetadata {
    /// Node name.
    #[serde(default)]
    pub name: String,
    /// Node id.
    #[serde(default)]
    pub uid: String,
    /// Annotations; `kubernetes.io/node-pool.id` names the pool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
    /// Creation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_timestamp: Option<String>,
    /// Last update time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_timestamp: Option<String>,
    /// The owning pool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_references: Option<OwnerReferences>,
}

/// The annotation that names a node's pool.
pub const NODE_POOL_ANNOTATION: &str = "kubernetes.io/node-pool.id";

/// `Node.metadata.ownerReferences`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerReferences {
    /// Pool name.
    #[serde(
        default,
        rename = "nodepoolName",
        skip_serializing_if = "Option::is_none"
    )]
    pub nodepool_name: Option<String>,
    /// Pool id.
    #[serde(
        default,
        rename = "nodepoolID",
        skip_serializing_if = "Option::is_none"
    )]
    pub nodepool_id: Option<String>,
}

/// `Node.status`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeStatus {
    /// `Build`, `Installing`, `Active`, `Error`, …
    #[serde(default)]
    pub phase: String,
    /// Create or delete job.
    #[serde(default, rename = "jobID", skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    /// ECS id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_id: Option<String>,
    /// Private IP.
    #[serde(default, rename = "privateIP", skip_serializing_if = "Option::is_none")]
    pub private_ip: Option<String>,
    /// Whether the node matches its pool's template.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration_up_to_date: Option<bool>,
}
