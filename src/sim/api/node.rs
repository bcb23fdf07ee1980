//! A node as CCE shows it: SDK `Node`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::template::NodeTemplate;

/// SDK `Node`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Node {
    /// `Node`.
    #[serde(default)]
    pub kind: String,
    /// `v3`.
    #[serde(default)]
    pub api_version: String,
    /// Name, id, owner.
    #[serde(default)]
    pub metadata: NodeMetadata,
    /// Internally the whole spec (labels, taints, tags, scripts included);
    /// responses leave out what real node responses leave out.
    #[serde(default)]
    pub spec: NodeTemplate,
    /// Phase and flags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<NodeStatus>,
}

/// SDK `NodeMetadata`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeMetadata {
    /// Node name.
    #[serde(default)]
    pub name: String,
    /// Node id.
    #[serde(default)]
    pub uid: String,
    /// Among them [`super::NODE_POOL_ANNOTATION`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
    /// Go-style timestamp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_timestamp: Option<String>,
    /// Go-style timestamp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_timestamp: Option<String>,
    /// The owning pool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_references: Option<NodeMetadataOwnerReferences>,
}

/// SDK `NodeMetadataOwnerReferences`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeMetadataOwnerReferences {
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

/// SDK `NodeStatus`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeStatus {
    /// `Build`, `Installing`, `Active`, `Deleting`, `Error`, ….
    #[serde(default)]
    pub phase: String,
    /// The node's create or delete job.
    #[serde(default, rename = "jobID", skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    /// ECS id.
    #[serde(default, rename = "serverId", skip_serializing_if = "Option::is_none")]
    pub server_id: Option<String>,
    /// Private IP.
    #[serde(default, rename = "privateIP", skip_serializing_if = "Option::is_none")]
    pub private_ip: Option<String>,
    /// Whether the node matches its pool's template (os and runtime).
    #[serde(
        default,
        rename = "configurationUpToDate",
        skip_serializing_if = "Option::is_none"
    )]
    pub configuration_up_to_date: Option<bool>,
}
