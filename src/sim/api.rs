//! The simulator's own reading of the CCE API: serde types named after the
//! SDK's models, with the SDK's JSON names (see `cce-models.json` and
//! [`super::catalogue`]). They are the simulator's state and what it reads
//! requests into; they share nothing with poolform's client.
//!
//! Parts the simulator keeps but never interprets (storage layouts, EIPs,
//! hostname settings, …) are opaque JSON values. Request bodies are checked
//! and pruned against the catalogue before they are read into these types,
//! so a key the model does not have never reaches them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The annotation that names a node's pool.
pub const NODE_POOL_ANNOTATION: &str = "kubernetes.io/node-pool.id";
/// `extendParam` key of the pre-install script (base64).
pub const PRE_INSTALL_KEY: &str = "alpha.cce/preInstall";
/// `extendParam` key of the post-install script (base64).
pub const POST_INSTALL_KEY: &str = "alpha.cce/postInstall";
/// `extendParam` key of the pod limit.
pub const MAX_PODS_KEY: &str = "maxPods";

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

/// SDK `NodeTemplate` (a pool's template). Nodes keep their spec in the same
/// type internally; their responses show only what real ones show.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeTemplate {
    /// ECS flavor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flavor: Option<String>,
    /// Availability zone (the simulator also takes several, comma
    /// separated, to spread seeded nodes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub az: Option<String>,
    /// Operating system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    /// Login; a password is never kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login: Option<Login>,
    /// SDK `VolumeConfig`, kept as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_config: Option<Value>,
    /// System disk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_volume: Option<Volume>,
    /// Data disks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_volumes: Option<Vec<Volume>>,
    /// SDK `Storage`, kept as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<Value>,
    /// SDK `NodeEIPSpec`, kept as sent.
    #[serde(default, rename = "publicIP", skip_serializing_if = "Option::is_none")]
    pub public_ip: Option<Value>,
    /// NICs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_nic_spec: Option<NodeNicSpec>,
    /// Nodes per creation batch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// 0 on-demand, 1 yearly/monthly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_mode: Option<i64>,
    /// Kubernetes taints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taints: Option<Vec<Taint>>,
    /// Wait for the post-install script.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_post_install_finish: Option<bool>,
    /// Kubernetes labels (without CCE's system labels: responses add them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k8s_tags: Option<BTreeMap<String, String>>,
    /// ECS group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecs_group_id: Option<String>,
    /// Dedicated host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dedicated_host_id: Option<String>,
    /// Resource tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_tags: Option<Vec<UserTag>>,
    /// Container runtime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<Runtime>,
    /// Conditions a new node waits for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initialized_conditions: Option<Vec<String>>,
    /// SDK `NodeExtendParam`: scripts (base64), maxPods, image, ….
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extend_param: Option<BTreeMap<String, Value>>,
    /// SDK `HostnameConfig`, kept as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname_config: Option<Value>,
    /// Enterprise project.
    #[serde(
        default,
        rename = "serverEnterpriseProjectID",
        skip_serializing_if = "Option::is_none"
    )]
    pub server_enterprise_project_id: Option<String>,
    /// `Default` or `Center`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<String>,
    /// SDK `list[PackageConfiguration]`, kept as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configurations_override: Option<Value>,
    /// SDK `NodeSpecNodeNameTemplate`, kept as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_name_template: Option<Value>,
}

impl NodeTemplate {
    /// A string `extendParam` value (numbers rendered), empty counted as
    /// absent.
    pub fn param(&self, key: &str) -> Option<String> {
        let value = self.extend_param.as_ref()?.get(key)?;
        let text = match value {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        (!text.is_empty()).then_some(text)
    }
}

/// SDK `Login`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Login {
    /// Key pair name.
    #[serde(default, rename = "sshKey", skip_serializing_if = "Option::is_none")]
    pub ssh_key: Option<String>,
    /// Password login.
    #[serde(
        default,
        rename = "userPassword",
        skip_serializing_if = "Option::is_none"
    )]
    pub user_password: Option<UserPassword>,
    /// Update only: drop the password login.
    #[serde(
        default,
        rename = "removeUserPassword",
        skip_serializing_if = "Option::is_none"
    )]
    pub remove_user_password: Option<bool>,
    /// Update only: drop the key pair.
    #[serde(
        default,
        rename = "removeSSHKey",
        skip_serializing_if = "Option::is_none"
    )]
    pub remove_ssh_key: Option<bool>,
}

/// SDK `UserPassword`. The simulator keeps the user name only.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UserPassword {
    /// Defaults to `root`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// In requests: the salted password. Never kept, never shown.
    #[serde(default, skip_serializing)]
    pub password: Option<String>,
}

/// SDK `Volume`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Volume {
    /// GiB.
    #[serde(default)]
    pub size: u32,
    /// SAS, SSD, GPSSD, ….
    #[serde(default)]
    pub volumetype: String,
    /// Provisioned IOPS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iops: Option<u32>,
    /// Provisioned throughput.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throughput: Option<u32>,
    /// Disk extension parameters.
    #[serde(
        default,
        rename = "extendParam",
        skip_serializing_if = "Option::is_none"
    )]
    pub extend_param: Option<BTreeMap<String, Value>>,
    /// Storage pool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<String>,
    /// Storage pool type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_type: Option<String>,
    /// SCSI passthrough.
    #[serde(
        default,
        rename = "hw:passthrough",
        skip_serializing_if = "Option::is_none"
    )]
    pub passthrough: Option<bool>,
    /// SDK `VolumeMetadata` (encryption), kept as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
}

/// SDK `NodeNicSpec`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeNicSpec {
    /// The primary NIC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_nic: Option<NicSpec>,
    /// Extra NICs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ext_nics: Option<Vec<NicSpec>>,
}

/// SDK `NicSpec`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NicSpec {
    /// Subnet (network id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet_id: Option<String>,
    /// Fixed IPs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_ips: Option<Vec<String>>,
    /// CIDR of the node IPs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_block: Option<String>,
    /// Several subnets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet_list: Option<Vec<String>>,
}

/// SDK `Taint`.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Taint {
    /// Key.
    #[serde(default)]
    pub key: String,
    /// Value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// NoSchedule, PreferNoSchedule, NoExecute.
    #[serde(default)]
    pub effect: String,
}

/// SDK `UserTag`.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct UserTag {
    /// Key.
    #[serde(default)]
    pub key: String,
    /// Value.
    #[serde(default)]
    pub value: String,
}

/// SDK `Runtime`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Runtime {
    /// `docker` or `containerd`.
    #[serde(default)]
    pub name: String,
    /// `runc`, `kata`, ….
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_class: Option<String>,
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
    /// Among them [`NODE_POOL_ANNOTATION`].
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
