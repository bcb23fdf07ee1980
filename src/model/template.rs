//! A pool's node template, in poolform's own normalised vocabulary, shared
//! by the desired and the live side so that the diff is a plain comparison.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The node template of a pool, in poolform's vocabulary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeTemplate {
    /// `spec.type`: `vm`, `ElasticBMS` or `pm`.
    pub pool_type: String,
    /// `nodeTemplate.flavor`.
    pub flavor: String,
    /// `nodeTemplate.az`.
    pub az: String,
    /// `nodeTemplate.os`.
    pub os: String,
    /// `nodeTemplate.runtime`.
    pub runtime: Runtime,
    /// `nodeTemplate.login`.
    pub login: Login,
    /// `nodeTemplate.rootVolume`.
    pub root_volume: Volume,
    /// `nodeTemplate.dataVolumes`.
    pub data_volumes: Vec<Volume>,
    /// `nodeTemplate.publicIP`.
    pub public_ip: Option<PublicIp>,
    /// `nodeTemplate.nodeNicSpec.primaryNic`.
    pub nic: Option<NicSpec>,
    /// `nodeTemplate.k8sTags`, without the `cce.cloud.com/*` system labels.
    pub k8s_labels: BTreeMap<String, String>,
    /// `nodeTemplate.taints`.
    pub taints: Vec<Taint>,
    /// `nodeTemplate.userTags`, as a map.
    pub user_tags: BTreeMap<String, String>,
    /// `nodeTemplate.extendParam.maxPods`.
    pub max_pods: Option<u32>,
    /// Other `nodeTemplate.extendParam` keys (string values).
    pub extend_params: BTreeMap<String, String>,
    /// Scripts (decoded) and `waitPostInstallFinish`.
    pub lifecycle: Lifecycle,
}

/// `nodeTemplate.runtime`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Runtime {
    /// `docker` or `containerd`.
    pub name: String,
    /// `runc`, `kata` or `kuasar-vmm`.
    pub runtime_class: Option<String>,
}

/// `nodeTemplate.login`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Login {
    /// `sshKey`: the key pair name.
    pub ssh_key: Option<String>,
    /// `userPassword`: never the value, only where to read it.
    pub password: Option<PasswordRef>,
    /// `removeUserPassword` (update and sync only).
    pub remove_password: bool,
    /// `removeSSHKey` (update and sync only).
    pub remove_ssh_key: bool,
}

/// A password that poolform reads from the environment at apply time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordRef {
    /// `userPassword.username`, `root` by default.
    pub username: String,
    /// Name of the environment variable holding the password. For live pools,
    /// CCE never returns the password, so this is empty.
    pub env: String,
}

/// A root or data volume.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Volume {
    /// `volumetype`.
    pub volume_type: String,
    /// `size` in GiB.
    pub size: u32,
    /// `iops`.
    pub iops: Option<u32>,
    /// `throughput`.
    pub throughput: Option<u32>,
    /// `hw:passthrough`.
    pub passthrough: Option<bool>,
    /// `metadata.__system__encrypted`.
    pub encrypted: Option<bool>,
    /// `metadata.__system__cmkid`.
    pub cmk_id: Option<String>,
    /// `extendParam` (string values).
    pub extend_params: BTreeMap<String, String>,
}

/// `nodeTemplate.publicIP`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicIp {
    /// `eip.iptype`, such as `5_bgp`.
    pub ip_type: String,
    /// `eip.bandwidth.chargemode`.
    pub charge_mode: Option<String>,
    /// `eip.bandwidth.size` in Mbit/s.
    pub bandwidth_size: Option<u32>,
    /// `eip.bandwidth.sharetype`: `PER` or `WHOLE`.
    pub share_type: Option<String>,
}

/// `nodeTemplate.nodeNicSpec.primaryNic`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NicSpec {
    /// `subnetId`.
    pub subnet_id: Option<String>,
    /// `fixedIps`.
    pub fixed_ips: Vec<String>,
    /// `ipBlock`.
    pub ip_block: Option<String>,
    /// `subnetList`.
    pub subnet_list: Vec<String>,
}

/// A Kubernetes taint.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Taint {
    /// `key`.
    pub key: String,
    /// `value` (may be empty).
    pub value: String,
    /// `effect`: `NoSchedule`, `PreferNoSchedule` or `NoExecute`.
    pub effect: String,
}

/// Pre- and post-install scripts, decoded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lifecycle {
    /// `extendParam.alpha.cce/preInstall`, decoded from base64.
    pub pre_install: Option<String>,
    /// `extendParam.alpha.cce/postInstall`, decoded from base64.
    pub post_install: Option<String>,
    /// `waitPostInstallFinish`.
    pub wait_post_install_finish: bool,
}

/// `spec.autoscaling`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Autoscaling {
    /// `enable`.
    pub enabled: bool,
    /// `minNodeCount`.
    pub min: u32,
    /// `maxNodeCount`.
    pub max: u32,
    /// `scaleDownCooldownTime` in minutes.
    pub scale_down_cooldown_minutes: Option<u32>,
    /// `priority`.
    pub priority: Option<i32>,
}
