//! The node template: a pool's `spec.nodeTemplate` and a node's `spec`
//! (the same shape), with its login, volumes, network, taints, tags,
//! runtime and scripts.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

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
