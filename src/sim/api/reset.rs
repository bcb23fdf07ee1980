//! The bodies that reset nodes: UpgradeNodePool (sync) and ResetNode.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::template::{Login, Runtime};

/// SDK `UpgradeNodePool`: the sync body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpgradeNodePool {
    /// `NodePool`.
    #[serde(default)]
    pub kind: String,
    /// `v3`.
    #[serde(default)]
    pub api_version: String,
    /// SDK `NodePoolUpgradeSpec`.
    #[serde(default)]
    pub spec: NodePoolUpgradeSpec,
}

/// SDK `NodePoolUpgradeSpec`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodePoolUpgradeSpec {
    /// Nodes reset at once, 1..20.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_unavailable: Option<u32>,
    /// Reset even when pods cannot be evicted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force: Option<bool>,
    /// Undocumented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_times: Option<u32>,
    /// Undocumented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped_nodes: Option<Vec<String>>,
    /// The nodes to reset.
    #[serde(default, rename = "nodeIDs")]
    pub node_ids: Vec<String>,
    /// Must be the pool in the path.
    #[serde(default, rename = "nodePoolID")]
    pub node_pool_id: String,
    /// Login and scripts the nodes are reset with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_template: Option<UpgradeNodePoolSpecNodeTemplate>,
}

/// SDK `UpgradeNodePoolSpecNodeTemplate`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpgradeNodePoolSpecNodeTemplate {
    /// Scripts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub life_cycle: Option<NodeLifecycleConfig>,
    /// Login.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login: Option<Login>,
    /// SDK `VolumeConfig`, kept as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_config: Option<Value>,
}

/// SDK `NodeLifecycleConfig`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeLifecycleConfig {
    /// Base64 script.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_install: Option<String>,
    /// Base64 script.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_install: Option<String>,
    /// Wait for the post-install script.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_post_install_finish: Option<bool>,
}

/// SDK `ResetNodeList`: the node reset body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResetNodeList {
    /// `v3`.
    #[serde(default)]
    pub api_version: String,
    /// `List`.
    #[serde(default)]
    pub kind: String,
    /// The nodes.
    #[serde(default)]
    pub node_list: Vec<ResetNode>,
}

/// SDK `ResetNode`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResetNode {
    /// The node id.
    #[serde(default, rename = "nodeID")]
    pub node_id: String,
    /// SDK `ReinstallNodeSpec`; required, used only for nodes of no pool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<ReinstallNodeSpec>,
}

/// The parts of SDK `ReinstallNodeSpec` the simulator reads.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReinstallNodeSpec {
    /// Required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    /// Login.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login: Option<Login>,
    /// SDK `ReinstallRuntimeConfig`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_config: Option<ReinstallRuntimeConfig>,
    /// Scripts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle: Option<NodeLifecycleConfig>,
}

/// The part of SDK `ReinstallRuntimeConfig` the simulator reads.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReinstallRuntimeConfig {
    /// Runtime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<Runtime>,
}
