//! The UpdateNodePool body: SDK `NodePoolUpdate` and the models inside it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::template::{Login, Runtime, Taint, UserTag, Volume};

/// SDK `NodePoolUpdate`: the UpdateNodePool body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NodePoolUpdate {
    /// SDK `NodePoolMetadataUpdate`.
    #[serde(default)]
    pub metadata: NodePoolMetadataUpdate,
    /// SDK `NodePoolSpecUpdate`.
    #[serde(default)]
    pub spec: NodePoolSpecUpdate,
}

/// SDK `NodePoolMetadataUpdate`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NodePoolMetadataUpdate {
    /// The (new) name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// SDK `NodePoolSpecUpdate`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodePoolSpecUpdate {
    /// SDK `NodeSpecUpdate`.
    #[serde(default)]
    pub node_template: NodeSpecUpdate,
    /// Desired count; omitted without `ignoreInitialNodeCount` means 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_node_count: Option<u32>,
    /// Leave the count alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_initial_node_count: Option<bool>,
    /// Replaces the pool's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<Value>,
    /// Replaces the pool's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repair_policy: Option<Value>,
    /// Replaces the pool's `nodeManagement`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_management_update: Option<Value>,
    /// Replaces the pool's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_security_groups: Option<Vec<String>>,
    /// Absent: keep the pool's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taint_policy_on_existing_nodes: Option<String>,
    /// Absent: keep the pool's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_policy_on_existing_nodes: Option<String>,
    /// Absent: keep the pool's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_tags_policy_on_existing_nodes: Option<String>,
    /// Replaces the pool's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension_scale_groups: Option<Value>,
}

/// SDK `NodeSpecUpdate`: what an update may say about the template. Note
/// `rootVolumeUpdate`, `dataVolumesUpdate` and `nodeNicSpecUpdate`: the
/// create body's `rootVolume`, `dataVolumes` and `nodeNicSpec` are not
/// among its fields.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeSpecUpdate {
    /// Cannot change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flavor: Option<String>,
    /// Cannot change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub az: Option<String>,
    /// New nodes' OS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    /// New nodes' login.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login: Option<Login>,
    /// New nodes' system disk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_volume_update: Option<Volume>,
    /// New nodes' data disks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_volumes_update: Option<Vec<Volume>>,
    /// Kept as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<Value>,
    /// New nodes' runtime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<Runtime>,
    /// Omitted: unchanged; empty: all removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taints: Option<Vec<Taint>>,
    /// Wait for the post-install script.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_post_install_finish: Option<bool>,
    /// Omitted: unchanged; empty: all removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k8s_tags: Option<BTreeMap<String, String>>,
    /// ECS group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecs_group_id: Option<String>,
    /// Omitted: unchanged; empty: all removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_tags: Option<Vec<UserTag>>,
    /// Kept as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_name_template: Option<Value>,
    /// Conditions a new node waits for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initialized_conditions: Option<Vec<String>>,
    /// Enterprise project.
    #[serde(
        default,
        rename = "serverEnterpriseProjectID",
        skip_serializing_if = "Option::is_none"
    )]
    pub server_enterprise_project_id: Option<String>,
    /// The template's primary subnet(s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_nic_spec_update: Option<NodeSpecUpdateNodeNicSpecUpdate>,
    /// SDK `NodePoolUpdateExtendParam`: six keys only (the catalogue prunes
    /// the rest before the body is read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extend_param: Option<BTreeMap<String, Value>>,
    /// SDK `NodeEIPSpec`, kept as sent.
    #[serde(default, rename = "publicIP", skip_serializing_if = "Option::is_none")]
    pub public_ip: Option<Value>,
}

/// SDK `NodeSpecUpdateNodeNicSpecUpdate`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeSpecUpdateNodeNicSpecUpdate {
    /// SDK `NodeSpecUpdateNodeNicSpecUpdatePrimaryNic`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_nic: Option<NodeSpecUpdateNodeNicSpecUpdatePrimaryNic>,
}

/// SDK `NodeSpecUpdateNodeNicSpecUpdatePrimaryNic`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeSpecUpdateNodeNicSpecUpdatePrimaryNic {
    /// Subnet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet_id: Option<String>,
    /// Several subnets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet_list: Option<Vec<String>>,
}
