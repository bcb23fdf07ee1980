//! The bodies poolform sends, shaped exactly like the SDK's request models
//! (`reference/cce-models.json`): `NodePool` for a create, `NodePoolUpdate`
//! for an update, `UpgradeNodePool` for a sync.
//!
//! They are separate from the response types in [`super::wire`] because the
//! API names the same things differently in each: an update's node template
//! is `NodeSpecUpdate` (`rootVolumeUpdate`, `dataVolumesUpdate`,
//! `nodeNicSpecUpdate`, a six-key `extendParam`), which an update reading
//! create names would silently ignore. Each type has only the fields its
//! model has, so a create-only key cannot end up in an update; the contract
//! test (`tests/integration/contract.rs`) walks every body against the
//! models.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::wire::{
    Autoscaling, LifeCycle, Login, NodeManagement, PrimaryNic, Runtime, Taint, UserTag, Volume,
};

/// `"refresh"`: the `*PolicyOnExistingNodes` value that pushes labels,
/// taints or resource tags to a pool's existing nodes.
pub const REFRESH: &str = "refresh";

/// The CreateNodePool body (SDK `NodePool`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateNodePool {
    /// `NodePool`.
    pub kind: String,
    /// `v3`.
    pub api_version: String,
    /// `{name}`.
    pub metadata: PoolName,
    /// The pool.
    pub spec: CreateNodePoolSpec,
}

/// `metadata` of a create or an update: the pool name only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolName {
    /// The pool name.
    pub name: String,
}

/// SDK `NodePoolSpec`, as far as poolform sets it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateNodePoolSpec {
    /// `vm`, `ElasticBMS` or `pm`.
    #[serde(rename = "type")]
    pub pool_type: String,
    /// The template of the pool's nodes.
    pub node_template: CreateNodeTemplate,
    /// Nodes to start with.
    pub initial_node_count: u32,
    /// Autoscaling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<Autoscaling>,
    /// Server group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_management: Option<NodeManagement>,
}

/// SDK `NodeTemplate`, as far as poolform sets it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateNodeTemplate {
    /// ECS flavor.
    pub flavor: String,
    /// Availability zone.
    pub az: String,
    /// Operating system.
    pub os: String,
    /// Login.
    pub login: Login,
    /// System disk.
    pub root_volume: Volume,
    /// Data disks.
    pub data_volumes: Vec<Volume>,
    /// Elastic IP (SDK `NodeEIPSpec`).
    #[serde(default, rename = "publicIP", skip_serializing_if = "Option::is_none")]
    pub public_ip: Option<EipSpec>,
    /// NICs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_nic_spec: Option<NicSpec>,
    /// 0: on demand.
    pub billing_mode: u32,
    /// Taints.
    pub taints: Vec<Taint>,
    /// Wait for the post-install script.
    pub wait_post_install_finish: bool,
    /// Kubernetes labels.
    pub k8s_tags: BTreeMap<String, String>,
    /// Resource tags.
    pub user_tags: Vec<UserTag>,
    /// Container runtime.
    pub runtime: Runtime,
    /// SDK `NodeExtendParam`: values typed as the SDK types them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extend_param: BTreeMap<String, Value>,
}

/// SDK `NodeEIPSpec`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EipSpec {
    /// EIP type, such as `5_bgp`.
    pub iptype: String,
    /// Bandwidth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bandwidth: Option<super::wire::Bandwidth>,
}

/// SDK `NodeNicSpec` (create) with its `primaryNic`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NicSpec {
    /// The primary NIC.
    pub primary_nic: PrimaryNic,
}

/// The UpdateNodePool body (SDK `NodePoolUpdate`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NodePoolUpdate {
    /// `{name}` (SDK `NodePoolMetadataUpdate`).
    pub metadata: PoolName,
    /// What changes.
    pub spec: NodePoolSpecUpdate,
}

/// SDK `NodePoolSpecUpdate`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodePoolSpecUpdate {
    /// Template fields to change.
    pub node_template: NodeSpecUpdate,
    /// Desired count; omitted only together with `ignoreInitialNodeCount`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_node_count: Option<u32>,
    /// Keep the current desired count.
    pub ignore_initial_node_count: bool,
    /// Autoscaling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<Autoscaling>,
    /// Server group (SDK `NodeManagement`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_management_update: Option<NodeManagement>,
    /// `refresh` pushes the taints to existing nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taint_policy_on_existing_nodes: Option<String>,
    /// `refresh` pushes the labels to existing nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_policy_on_existing_nodes: Option<String>,
    /// `refresh` pushes the resource tags to existing nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_tags_policy_on_existing_nodes: Option<String>,
}

/// SDK `NodeSpecUpdate`, as far as poolform sets it. Flavor and az are left
/// out on purpose: they cannot change, and an empty pair deletes the
/// default scale group.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeSpecUpdate {
    /// Operating system.
    pub os: String,
    /// Login.
    pub login: Login,
    /// System disk of new nodes.
    pub root_volume_update: Volume,
    /// Data disks of new nodes.
    pub data_volumes_update: Vec<Volume>,
    /// Container runtime.
    pub runtime: Runtime,
    /// Taints.
    pub taints: Vec<Taint>,
    /// Wait for the post-install script.
    pub wait_post_install_finish: bool,
    /// Kubernetes labels.
    pub k8s_tags: BTreeMap<String, String>,
    /// Resource tags.
    pub user_tags: Vec<UserTag>,
    /// The subnet of new nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_nic_spec_update: Option<NicSpecUpdate>,
    /// SDK `NodePoolUpdateExtendParam`: the six keys an update takes. Always
    /// sent, even empty: an absent map leaves the pool's scripts as they
    /// are, so removing the last script would never reach CCE.
    pub extend_param: BTreeMap<String, Value>,
    /// Elastic IP of new nodes (SDK `NodeEIPSpec`).
    #[serde(default, rename = "publicIP", skip_serializing_if = "Option::is_none")]
    pub public_ip: Option<EipSpec>,
}

/// SDK `NodeSpecUpdateNodeNicSpecUpdate`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NicSpecUpdate {
    /// The primary NIC.
    pub primary_nic: PrimaryNicUpdate,
}

/// SDK `NodeSpecUpdateNodeNicSpecUpdatePrimaryNic`: subnets only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrimaryNicUpdate {
    /// Subnet id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet_id: Option<String>,
    /// Subnets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet_list: Option<Vec<String>>,
}

/// The UpgradeNodePool body (SDK `UpgradeNodePool`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpgradeNodePool {
    /// `NodePool`.
    pub kind: String,
    /// `v3`.
    pub api_version: String,
    /// What to synchronise.
    pub spec: NodePoolUpgradeSpec,
}

/// SDK `NodePoolUpgradeSpec`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodePoolUpgradeSpec {
    /// Pool id (`DefaultPool` for the DefaultPool).
    #[serde(rename = "nodePoolID")]
    pub node_pool_id: String,
    /// Nodes to reset.
    #[serde(rename = "nodeIDs")]
    pub node_ids: Vec<String>,
    /// Nodes reset at once, 1..=20.
    pub max_unavailable: u32,
    /// Reset even when pods cannot be evicted.
    pub force: bool,
    /// The template the nodes are reset to.
    pub node_template: UpgradeNodeTemplate,
}

/// The ResetNode body (SDK `ResetNodeList`): Open Telekom Cloud's way to
/// reset chosen nodes, since it has no UpgradeNodePool.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResetNodeList {
    /// `List`.
    pub kind: String,
    /// `v3`.
    pub api_version: String,
    /// The nodes.
    pub node_list: Vec<ResetNode>,
}

/// SDK `ResetNode`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResetNode {
    /// The node's id.
    #[serde(rename = "nodeID")]
    pub node_id: String,
    /// Required by the API; for a node of a pool, CCE takes the OS, login,
    /// runtime and scripts from the pool.
    pub spec: ReinstallNodeSpec,
}

/// SDK `ReinstallNodeSpec`, as far as poolform fills it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReinstallNodeSpec {
    /// The OS (required).
    pub os: String,
    /// The login of the reset node.
    pub login: Login,
}

/// SDK `UpgradeNodePoolSpecNodeTemplate`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpgradeNodeTemplate {
    /// Scripts.
    pub life_cycle: LifeCycle,
    /// Login of the reset nodes.
    pub login: Login,
    /// What the reset does to data volumes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_config: Option<VolumeConfig>,
}

/// SDK `VolumeConfig`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumeConfig {
    /// `reset_managed_volumes` or `retain_custom_volumes`.
    pub volume_reset_policy: String,
}
