//! The parts of a pool's node template: login, volumes, network, taints,
//! `extend_params` and lifecycle scripts.

use std::borrow::Cow;
use std::collections::BTreeMap;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

/// `login`: exactly one of `ssh_key` or `password`.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawLogin {
    /// Key pair name. CCE: `login.sshKey`.
    pub ssh_key: Option<String>,
    /// Password login. The password itself is never written in the config: it is read from an environment variable at apply time. CCE: `login.userPassword`.
    pub password: Option<RawPasswordRef>,
    /// Remove password login from the pool (update and sync only). CCE: `login.removeUserPassword`.
    pub remove_password: Option<bool>,
    /// Remove key pair login from the pool (update and sync only). CCE: `login.removeSSHKey`.
    pub remove_ssh_key: Option<bool>,
}

/// Where the node password comes from.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawPasswordRef {
    /// Name of the environment variable holding the password (8 to 26 characters, three of four character classes, not containing the user name). CCE: `login.userPassword.password`.
    #[schemars(regex(pattern = r"^[A-Za-z_][A-Za-z0-9_]*$"))]
    pub env: String,
    /// Login user, default `root`. CCE: `login.userPassword.username`.
    pub username: Option<String>,
}

/// Volume type.
#[derive(JsonSchema)]
pub enum RawVolumeType {
    /// Common I/O.
    #[schemars(rename = "SATA")]
    Sata,
    /// High I/O.
    #[schemars(rename = "SAS")]
    Sas,
    /// Ultra-high I/O.
    #[schemars(rename = "SSD")]
    Ssd,
    /// Extreme SSD.
    #[schemars(rename = "ESSD")]
    Essd,
    /// General purpose SSD.
    #[schemars(rename = "GPSSD")]
    Gpssd,
    /// Extreme SSD V2.
    #[schemars(rename = "ESSD2")]
    Essd2,
    /// General purpose SSD V2.
    #[schemars(rename = "GPSSD2")]
    Gpssd2,
}

/// The system disk.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawRootVolume {
    /// Disk type. CCE: `volumetype`.
    #[schemars(rename = "type")]
    pub volume_type: RawVolumeType,
    /// Size in GiB, 40 to 1024. CCE: `size`.
    #[schemars(range(min = 40, max = 1024))]
    pub size: u32,
    /// Provisioned IOPS (ESSD2, GPSSD2). CCE: `iops`.
    pub iops: Option<u32>,
    /// Provisioned throughput in MiB/s (GPSSD2). CCE: `throughput`.
    pub throughput: Option<u32>,
    /// SCSI passthrough; must be true for ElasticBMS pools, and defaults to true there. CCE: `hw:passthrough`.
    pub passthrough: Option<bool>,
    /// Encrypt the disk; needs `cmk_id`. CCE: `metadata.__system__encrypted` ("1" or "0").
    pub encrypted: Option<bool>,
    /// KMS key id for encryption. CCE: `metadata.__system__cmkid`.
    pub cmk_id: Option<String>,
    /// Disk extension parameters. CCE: `extendParam`.
    pub extend_params: Option<BTreeMap<String, RawParamValue>>,
}

/// A data disk.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawDataVolume {
    /// Disk type. CCE: `volumetype`.
    #[schemars(rename = "type")]
    pub volume_type: RawVolumeType,
    /// Size in GiB, 10 to 32768. CCE: `size`.
    #[schemars(range(min = 10, max = 32768))]
    pub size: u32,
    /// Provisioned IOPS (ESSD2, GPSSD2). CCE: `iops`.
    pub iops: Option<u32>,
    /// Provisioned throughput in MiB/s (GPSSD2). CCE: `throughput`.
    pub throughput: Option<u32>,
    /// SCSI passthrough; must be true for ElasticBMS pools, and defaults to true there. CCE: `hw:passthrough`.
    pub passthrough: Option<bool>,
    /// Encrypt the disk; needs `cmk_id`. CCE: `metadata.__system__encrypted` ("1" or "0").
    pub encrypted: Option<bool>,
    /// KMS key id for encryption. CCE: `metadata.__system__cmkid`.
    pub cmk_id: Option<String>,
    /// Disk extension parameters, such as `useType = "docker"`. CCE: `extendParam`.
    pub extend_params: Option<BTreeMap<String, RawParamValue>>,
}

/// Bandwidth sharing type.
#[derive(JsonSchema)]
pub enum RawShareType {
    /// Dedicated bandwidth.
    #[schemars(rename = "PER")]
    Per,
    /// Shared bandwidth.
    #[schemars(rename = "WHOLE")]
    Whole,
}

/// Bandwidth billing.
#[derive(JsonSchema)]
#[schemars(rename_all = "lowercase")]
pub enum RawChargeMode {
    /// Billed by bandwidth (also the default when omitted).
    Bandwidth,
    /// Billed by traffic.
    Traffic,
}

/// `public_ip`: an EIP per node.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawPublicIp {
    /// EIP type, such as `5_bgp`. CCE: `publicIP.eip.iptype`.
    pub ip_type: String,
    /// Bandwidth in Mbit/s, 1 to 2000. CCE: `publicIP.eip.bandwidth.size`.
    #[schemars(range(min = 1, max = 2000))]
    pub bandwidth_size: u32,
    /// `PER` (dedicated) or `WHOLE` (shared). CCE: `publicIP.eip.bandwidth.sharetype`.
    pub share_type: RawShareType,
    /// `bandwidth` (default) or `traffic`. CCE: `publicIP.eip.bandwidth.chargemode`.
    pub charge_mode: Option<RawChargeMode>,
}

/// `nic`: the primary network interface.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawNic {
    /// Subnet (network id). CCE: `primaryNic.subnetId`.
    pub subnet_id: Option<String>,
    /// Fixed IP addresses, no more than `node_count`; not with `ip_block`. CCE: `primaryNic.fixedIps`.
    pub fixed_ips: Option<Vec<String>>,
    /// CIDR block the node IPs come from; not with `fixed_ips`. CCE: `primaryNic.ipBlock`.
    pub ip_block: Option<String>,
    /// Subnets the nodes may use, at most 20. CCE: `primaryNic.subnetList`.
    #[schemars(length(max = 20))]
    pub subnet_list: Option<Vec<String>>,
}

/// Taint effect.
#[derive(JsonSchema)]
pub enum RawTaintEffect {
    /// Do not schedule new pods.
    NoSchedule,
    /// Avoid scheduling new pods.
    PreferNoSchedule,
    /// Evict running pods.
    NoExecute,
}

/// A Kubernetes taint.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawTaint {
    /// Key: an optional DNS subdomain prefix and `/`, then 1 to 63 letters, digits, `-`, `_`, `.`, starting and ending with a letter or digit. CCE: `taints[].key`.
    pub key: String,
    /// Value: empty, or up to 63 letters, digits, `-`, `_`, `.`, starting and ending with a letter or digit. CCE: `taints[].value`.
    pub value: Option<String>,
    /// `NoSchedule`, `PreferNoSchedule` or `NoExecute`. CCE: `taints[].effect`.
    pub effect: RawTaintEffect,
}

/// A value of `extend_params`: CCE takes strings, numbers and booleans.
pub struct RawParamValue;

impl JsonSchema for RawParamValue {
    fn schema_name() -> Cow<'static, str> {
        "ParamValue".into()
    }

    fn json_schema(_generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A string, integer or boolean; sent to CCE as a string.",
            "type": ["string", "integer", "boolean"]
        })
    }
}

/// `extend_params`: the other keys of `spec.nodeTemplate.extendParam`.
/// `maxPods` and the install scripts have their own settings; the node
/// password is never written in a config.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawExtendParams {
    /// ECS performance type. CCE: `extendParam["ecs:performancetype"]`.
    #[schemars(rename = "ecs:performancetype")]
    pub ecs_performance_type: Option<RawParamValue>,
    /// Order id (yearly/monthly billing). CCE: `extendParam.orderID`.
    #[schemars(rename = "orderID")]
    pub order_id: Option<RawParamValue>,
    /// Product id (yearly/monthly billing). CCE: `extendParam.productID`.
    #[schemars(rename = "productID")]
    pub product_id: Option<RawParamValue>,
    /// Subscription period type (`month`, `year`). CCE: `extendParam.periodType`.
    #[schemars(rename = "periodType")]
    pub period_type: Option<RawParamValue>,
    /// Number of subscription periods. CCE: `extendParam.periodNum`.
    #[schemars(rename = "periodNum")]
    pub period_num: Option<RawParamValue>,
    /// Renew the subscription automatically. CCE: `extendParam.isAutoRenew`.
    #[schemars(rename = "isAutoRenew")]
    pub is_auto_renew: Option<RawParamValue>,
    /// Pay automatically. CCE: `extendParam.isAutoPay`.
    #[schemars(rename = "isAutoPay")]
    pub is_auto_pay: Option<RawParamValue>,
    /// Data disk layout, such as `dockerThinpool=vgpaas/90%VG;kubernetesLV=vgpaas/10%VG;diskType=evs;lvType=linear`. CCE: `extendParam.DockerLVMConfigOverride`.
    #[schemars(rename = "DockerLVMConfigOverride")]
    pub docker_lvm_config_override: Option<RawParamValue>,
    /// Docker base size in GiB. CCE: `extendParam.dockerBaseSize`.
    #[schemars(rename = "dockerBaseSize")]
    pub docker_base_size: Option<RawParamValue>,
    /// Container base size in GiB. CCE: `extendParam.containerBaseSize`.
    #[schemars(rename = "containerBaseSize")]
    pub container_base_size: Option<RawParamValue>,
    /// Public key of the node. CCE: `extendParam.publicKey`.
    #[schemars(rename = "publicKey")]
    pub public_key: Option<RawParamValue>,
    /// Custom image id. CCE: `extendParam["alpha.cce/NodeImageID"]`.
    #[schemars(rename = "alpha.cce/NodeImageID")]
    pub node_image_id: Option<RawParamValue>,
    /// Billing mode. CCE: `extendParam.chargingMode`.
    #[schemars(rename = "chargingMode")]
    pub charging_mode: Option<RawParamValue>,
    /// Market type (`spot`). CCE: `extendParam.marketType`.
    #[schemars(rename = "marketType")]
    pub market_type: Option<RawParamValue>,
    /// Highest spot price. CCE: `extendParam.spotPrice`.
    #[schemars(rename = "spotPrice")]
    pub spot_price: Option<RawParamValue>,
    /// IAM agency name. CCE: `extendParam.agency_name`.
    #[schemars(rename = "agency_name")]
    pub agency_name: Option<RawParamValue>,
    /// Memory reserved for Kubernetes components (MiB). CCE: `extendParam.kubeReservedMem`.
    #[schemars(rename = "kubeReservedMem")]
    pub kube_reserved_mem: Option<RawParamValue>,
    /// Memory reserved for the system (MiB). CCE: `extendParam.systemReservedMem`.
    #[schemars(rename = "systemReservedMem")]
    pub system_reserved_mem: Option<RawParamValue>,
    /// CPU reserved for Kubernetes components. CCE: `extendParam.kubeReservedCpu`.
    #[schemars(rename = "kubeReservedCpu")]
    pub kube_reserved_cpu: Option<RawParamValue>,
    /// CPU reserved for the system. CCE: `extendParam.systemReservedCpu`.
    #[schemars(rename = "systemReservedCpu")]
    pub system_reserved_cpu: Option<RawParamValue>,
    /// PIDs reserved for Kubernetes components. CCE: `extendParam.kubeReservedPid`.
    #[schemars(rename = "kubeReservedPid")]
    pub kube_reserved_pid: Option<RawParamValue>,
    /// PIDs reserved for the system. CCE: `extendParam.systemReservedPid`.
    #[schemars(rename = "systemReservedPid")]
    pub system_reserved_pid: Option<RawParamValue>,
    /// Storage reserved for Kubernetes components. CCE: `extendParam.kubeReservedStorage`.
    #[schemars(rename = "kubeReservedStorage")]
    pub kube_reserved_storage: Option<RawParamValue>,
    /// Storage reserved for the system. CCE: `extendParam.systemReservedStorage`.
    #[schemars(rename = "systemReservedStorage")]
    pub system_reserved_storage: Option<RawParamValue>,
    /// Security hardening type. CCE: `extendParam.securityReinforcementType`.
    #[schemars(rename = "securityReinforcementType")]
    pub security_reinforcement_type: Option<RawParamValue>,
    /// Metadata service token mode. CCE: `extendParam.serverMetadataHttpTokens`.
    #[schemars(rename = "serverMetadataHttpTokens")]
    pub server_metadata_http_tokens: Option<RawParamValue>,
    /// ENI queue settings (BMS nodes in CCE Turbo clusters). CCE: `extendParam.nicMultiqueue`.
    #[schemars(rename = "nicMultiqueue")]
    pub nic_multiqueue: Option<RawParamValue>,
    /// ENI pre-binding thresholds, such as `0.3:0.6`. CCE: `extendParam.nicThreshold`.
    #[schemars(rename = "nicThreshold")]
    pub nic_threshold: Option<RawParamValue>,
}

/// A lifecycle script: inline text, or `{ file = "scripts/x.sh" }` relative
/// to the TOML file that names it.
pub struct RawScript;

impl JsonSchema for RawScript {
    fn schema_name() -> Cow<'static, str> {
        "Script".into()
    }

    fn json_schema(_generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A script: inline text, or { file = \"path\" } relative to the TOML file. poolform base64-encodes it for CCE.",
            "oneOf": [
                { "type": "string" },
                {
                    "type": "object",
                    "properties": {
                        "file": {
                            "description": "Path of the script, relative to the TOML file that names it; it must stay inside the configuration's directory unless `[cloud] allow_scripts_outside = true`.",
                            "type": "string"
                        }
                    },
                    "required": ["file"],
                    "additionalProperties": false
                }
            ]
        })
    }
}

/// `lifecycle`: install scripts. Pre- and post-install together may be at most
/// 10240 characters after base64 encoding.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawLifecycle {
    /// Script run before Kubernetes is installed on a node. CCE: `extendParam["alpha.cce/preInstall"]` (base64), `lifeCycle.preInstall` in syncs.
    pub pre_install: Option<RawScript>,
    /// Script run after Kubernetes is installed on a node. CCE: `extendParam["alpha.cce/postInstall"]` (base64), `lifeCycle.postInstall` in syncs.
    pub post_install: Option<RawScript>,
    /// Schedule pods only after the post-install script has finished. CCE: `waitPostInstallFinish`.
    pub wait_post_install_finish: Option<bool>,
}
