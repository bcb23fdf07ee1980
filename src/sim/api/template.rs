//! A pool's node template, SDK `NodeTemplate`, and the models inside it.
//! Nodes keep their spec in the same type.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

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
