//! CCE v3 wire types: the responses poolform reads (and, until it has its
//! own reading, what the simulator parses). The bodies poolform sends are in
//! [`super::request`].
//!
//! Field names follow the official SDK's JSON names (camelCase, with the few
//! exceptions CCE has). Every optional field is skipped when absent, and
//! unknown fields are ignored on input, so newer API versions do not break
//! poolform.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A `kind: List` response.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct List<T> {
    /// Always `List`.
    #[serde(default)]
    pub kind: String,
    /// Always `v3`.
    #[serde(default)]
    pub api_version: String,
    /// The items.
    #[serde(default = "Vec::new")]
    pub items: Vec<T>,
    /// Present on paginated lists (nodes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_info: Option<PageInfo>,
}

/// `pageInfo` of a paginated list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageInfo {
    /// Items on this page.
    #[serde(default)]
    pub current_count: u32,
    /// Marker for the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
}

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

/// `nodeTemplate` of a pool, and `spec` of a node (same shape).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeTemplate {
    /// ECS flavor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flavor: Option<String>,
    /// Availability zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub az: Option<String>,
    /// Operating system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    /// Login.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login: Option<Login>,
    /// System disk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_volume: Option<Volume>,
    /// Data disks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_volumes: Option<Vec<Volume>>,
    /// Elastic IP.
    #[serde(default, rename = "publicIP", skip_serializing_if = "Option::is_none")]
    pub public_ip: Option<PublicIp>,
    /// NICs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_nic_spec: Option<NodeNicSpec>,
    /// Nodes to create (node create only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// 0 on demand, 1 yearly/monthly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_mode: Option<u32>,
    /// Taints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taints: Option<Vec<Taint>>,
    /// Wait for the post-install script.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_post_install_finish: Option<bool>,
    /// Kubernetes labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k8s_tags: Option<BTreeMap<String, String>>,
    /// Resource tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_tags: Option<Vec<UserTag>>,
    /// Container runtime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<Runtime>,
    /// Extended parameters (`maxPods`, scripts, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extend_param: Option<BTreeMap<String, Value>>,
}

/// `login`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Login {
    /// Key pair name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_key: Option<String>,
    /// User and password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_password: Option<UserPassword>,
    /// Remove the password (update and sync only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remove_user_password: Option<bool>,
    /// Remove the key pair (update and sync only).
    #[serde(
        default,
        rename = "removeSSHKey",
        skip_serializing_if = "Option::is_none"
    )]
    pub remove_ssh_key: Option<bool>,
}

/// `login.userPassword`. Its `Debug` never shows the password.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserPassword {
    /// User name, `root` by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The password (salted hash or plain, per the API). Never logged.
    #[serde(default)]
    pub password: String,
}

impl std::fmt::Debug for UserPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserPassword")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// A volume.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Volume {
    /// GiB.
    #[serde(default)]
    pub size: u32,
    /// Disk type.
    #[serde(default)]
    pub volumetype: String,
    /// Provisioned IOPS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iops: Option<u32>,
    /// Provisioned throughput.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throughput: Option<u32>,
    /// Extra disk parameters.
    #[serde(
        default,
        rename = "extendParam",
        skip_serializing_if = "Option::is_none"
    )]
    pub extend_param: Option<BTreeMap<String, Value>>,
    /// SCSI passthrough.
    #[serde(
        default,
        rename = "hw:passthrough",
        skip_serializing_if = "Option::is_none"
    )]
    pub passthrough: Option<bool>,
    /// Encryption metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<VolumeMetadata>,
}

/// Volume encryption metadata.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolumeMetadata {
    /// `"0"` or `"1"`.
    #[serde(
        default,
        rename = "__system__encrypted",
        skip_serializing_if = "Option::is_none"
    )]
    pub encrypted: Option<String>,
    /// KMS key id.
    #[serde(
        default,
        rename = "__system__cmkid",
        skip_serializing_if = "Option::is_none"
    )]
    pub cmk_id: Option<String>,
}

/// `publicIP`: a pool template's `NodeEIPSpec` (`iptype`, `bandwidth`) or a
/// node's `NodePublicIP` (`ids`, `count`, `eip`); responses use either.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicIp {
    /// EIP type (`NodeEIPSpec`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iptype: Option<String>,
    /// Bandwidth (`NodeEIPSpec`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bandwidth: Option<Bandwidth>,
    /// Existing EIP ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ids: Option<Vec<String>>,
    /// EIPs to create.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// EIP spec.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eip: Option<Eip>,
}

/// `publicIP.eip`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Eip {
    /// EIP type.
    #[serde(default)]
    pub iptype: String,
    /// Bandwidth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bandwidth: Option<Bandwidth>,
}

/// `publicIP.eip.bandwidth`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bandwidth {
    /// `traffic` or `bandwidth`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chargemode: Option<String>,
    /// Mbit/s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u32>,
    /// `PER` or `WHOLE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sharetype: Option<String>,
}

/// `nodeNicSpec`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeNicSpec {
    /// The primary NIC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_nic: Option<PrimaryNic>,
}

/// `nodeNicSpec.primaryNic`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrimaryNic {
    /// Subnet id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet_id: Option<String>,
    /// Fixed IPs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_ips: Option<Vec<String>>,
    /// IP block (CIDR).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_block: Option<String>,
    /// Subnets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet_list: Option<Vec<String>>,
}

/// A taint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Taint {
    /// Key.
    pub key: String,
    /// Value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Effect.
    pub effect: String,
}

/// A resource tag.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserTag {
    /// Key.
    #[serde(default)]
    pub key: String,
    /// Value.
    #[serde(default)]
    pub value: String,
}

/// `runtime`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Runtime {
    /// `docker` or `containerd`.
    #[serde(default)]
    pub name: String,
    /// `runc`, `kata`, `kuasar-vmm`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_class: Option<String>,
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

/// The PUT body of UpdateNodePool.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodePoolUpdate {
    /// `{name}`.
    pub metadata: NodePoolMetadata,
    /// What changes.
    pub spec: NodePoolSpecUpdate,
}

/// `NodePoolUpdate.spec`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodePoolSpecUpdate {
    /// Template fields to change.
    pub node_template: NodeTemplate,
    /// Desired count; omitted only together with `ignoreInitialNodeCount`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_node_count: Option<u32>,
    /// Keep the current desired count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_initial_node_count: Option<bool>,
    /// Autoscaling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<Autoscaling>,
}

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

/// The body of UpgradeNodePool (synchronise nodes to the pool template).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpgradeNodePool {
    /// `NodePool`.
    pub kind: String,
    /// `v3`.
    pub api_version: String,
    /// What to synchronise.
    pub spec: UpgradeSpec,
}

/// `UpgradeNodePool.spec`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpgradeSpec {
    /// Pool id.
    #[serde(rename = "nodePoolID")]
    pub node_pool_id: String,
    /// Nodes to reset.
    #[serde(rename = "nodeIDs")]
    pub node_ids: Vec<String>,
    /// Nodes reset at once, 1..=20.
    pub max_unavailable: u32,
    /// Reset even when pods cannot be evicted.
    #[serde(default)]
    pub force: bool,
    /// The template the nodes are reset to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_template: Option<UpgradeNodeTemplate>,
}

/// `UpgradeNodePool.spec.nodeTemplate`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpgradeNodeTemplate {
    /// Scripts.
    #[serde(default)]
    pub life_cycle: LifeCycle,
    /// Login of the reset nodes.
    #[serde(default)]
    pub login: Login,
}

/// `lifeCycle` of a sync.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LifeCycle {
    /// Base64 pre-install script.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_install: Option<String>,
    /// Base64 post-install script.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_install: Option<String>,
    /// Wait for the post-install script.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_post_install_finish: Option<bool>,
}

/// `{"jobid": "..."}`, the answer to a sync or reset.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobIdResponse {
    /// The job to follow.
    #[serde(default)]
    pub jobid: String,
}

/// A job (`kind: Job`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Job {
    /// `Job`.
    #[serde(default)]
    pub kind: String,
    /// `v3`.
    #[serde(default)]
    pub api_version: String,
    /// Uid and timestamps.
    #[serde(default)]
    pub metadata: JobMetadata,
    /// What the job does.
    #[serde(default)]
    pub spec: JobSpec,
    /// Phase and reason.
    #[serde(default)]
    pub status: JobStatus,
}

/// `Job.metadata`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobMetadata {
    /// Job id.
    #[serde(default)]
    pub uid: String,
    /// Creation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_timestamp: Option<String>,
    /// Last update time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_timestamp: Option<String>,
}

/// `Job.spec`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobSpec {
    /// Job type.
    #[serde(default, rename = "type")]
    pub job_type: String,
    /// Cluster id.
    #[serde(default, rename = "clusterUID")]
    pub cluster_uid: String,
    /// The resource the job acts on.
    #[serde(default, rename = "resourceID")]
    pub resource_id: String,
    /// Its name.
    #[serde(default)]
    pub resource_name: String,
    /// Extra information.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extend_param: Option<BTreeMap<String, String>>,
    /// Sub-jobs (one per node for a sync).
    #[serde(default)]
    pub sub_jobs: Vec<Job>,
}

/// `Job.status`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobStatus {
    /// `Initializing`, `Running`, `Failed`, `Success`.
    #[serde(default)]
    pub phase: String,
    /// Why it failed.
    #[serde(default)]
    pub reason: String,
}

/// An error body in any of the styles CCE and its gateway use.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// CCE style code.
    #[serde(default, rename = "errorCode", skip_serializing_if = "Option::is_none")]
    pub error_code_camel: Option<String>,
    /// CCE style message.
    #[serde(
        default,
        rename = "errorMessage",
        skip_serializing_if = "Option::is_none"
    )]
    pub error_message_camel: Option<String>,
    /// Gateway / CCE_CM style code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// Gateway / CCE_CM style message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_msg: Option<String>,
    /// Kubernetes Status message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Gateway request id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl ErrorBody {
    /// The code, preferring `error_code` like the official SDK.
    pub fn code(&self) -> Option<&str> {
        self.error_code
            .as_deref()
            .or(self.error_code_camel.as_deref())
    }

    /// The message, preferring `error_msg`, with `message` appended when it
    /// says something else, like the official SDK.
    pub fn message(&self) -> Option<String> {
        let base = self
            .error_msg
            .as_deref()
            .or(self.error_message_camel.as_deref());
        match (base, self.message.as_deref()) {
            (Some(base), Some(extra)) if extra != base => Some(format!("{base}, {extra}")),
            (Some(base), _) => Some(base.to_owned()),
            (None, Some(extra)) => Some(extra.to_owned()),
            (None, None) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_body_reads_both_styles() {
        let body: ErrorBody = serde_json::from_str(
            r#"{"kind":"Status","code":400,"errorCode":"CCE.01400001","errorMessage":"Invalid request.","error_code":"CCE_CM.0004","error_msg":"Request is invalid","message":"Eni subnetId and subnetCidr not matched"}"#,
        )
        .expect("valid json");
        assert_eq!(body.code(), Some("CCE_CM.0004"));
        assert_eq!(
            body.message().as_deref(),
            Some("Request is invalid, Eni subnetId and subnetCidr not matched")
        );
        let camel: ErrorBody =
            serde_json::from_str(r#"{"errorCode":"CCE.01404001","errorMessage":"not found"}"#)
                .expect("valid json");
        assert_eq!(camel.code(), Some("CCE.01404001"));
        assert_eq!(camel.message().as_deref(), Some("not found"));
    }

    #[test]
    fn node_list_tolerates_unknown_fields() {
        let list: List<Node> = serde_json::from_str(
            r#"{"kind":"List","apiVersion":"v3","items":[{"kind":"Node","metadata":{"uid":"n1","name":"a","future":1},"spec":{"flavor":"c7.large.2"},"status":{"phase":"Active","configurationUpToDate":false}}],"pageInfo":{"currentCount":1,"nextMarker":"n1"}}"#,
        )
        .expect("valid json");
        assert_eq!(list.items[0].metadata.uid, "n1");
        assert_eq!(
            list.page_info.and_then(|p| p.next_marker).as_deref(),
            Some("n1")
        );
    }
}
