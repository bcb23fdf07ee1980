//! The config language as Rust types, for the JSON schema only.
//!
//! The loader does not deserialize into these types: it walks the TOML tree
//! itself so that it can report every problem with its exact span in one run
//! (see `walk`). These types exist so that `schemars` can generate
//! `schema/poolform.schema.json`, which editors (taplo, Even Better TOML) use
//! to complete and check configs. Their doc comments become the schema's
//! descriptions and name the CCE API field each key maps to. A test keeps the
//! walker's key lists and these types in agreement.

#![expect(
    dead_code,
    reason = "the types are read by schemars' derive only; nothing constructs them"
)]

use std::borrow::Cow;
use std::collections::BTreeMap;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

/// A poolform configuration: one or more `*.toml` files in a directory,
/// merged. Keys are snake_case; each maps to a CCE API field.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields, title = "poolform configuration")]
pub struct RawConfig {
    /// Where the CCE API is. Not sent to CCE: it builds the endpoint `https://cce.{region}.myhuaweicloud.com/api/v3/projects/{project_id}`.
    pub cloud: Option<RawCloud>,
    /// The clusters, by a key of your choice that pools refer to with `cluster = "KEY"`. CCE: one cluster (`/clusters/{cluster_id}`) each.
    pub clusters: Option<BTreeMap<String, RawCluster>>,
    /// The node pools, by address (the key, shown in plans and used by `--target`). CCE: one NodePool (`/clusters/{cluster_id}/nodepools`) each.
    pub pools: Option<BTreeMap<String, RawPool>>,
}

/// `[cloud]`: where the CCE API is.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawCloud {
    /// Region, such as `ap-southeast-1`. CCE: the `{region}` of the endpoint `https://cce.{region}.myhuaweicloud.com`.
    pub region: Option<String>,
    /// Explicit CCE endpoint, overriding the one derived from the region (Open Telekom Cloud, proxies). Must be https; plain http only for loopback. CCE: the base URL of every request.
    pub endpoint: Option<String>,
    /// Project id; may also come from the environment. CCE: `{project_id}` in every path, and the `X-Project-Id` header.
    pub project_id: Option<String>,
    /// Let `{ file = ... }` scripts name files outside the configuration's directory (absolute paths, `..`, links out of it), default false. Not sent to CCE; the scripts' contents are.
    pub allow_scripts_outside: Option<bool>,
    /// Cap on requests in flight at once to each endpoint (1..=1024, default 256); `--max-concurrency` overrides it. poolform starts at 64 (or the cap if lower), halves on throttling (429) and timeouts, and grows by one per success (two before the first throttling). Not sent to CCE.
    #[schemars(range(min = 1, max = 1024))]
    pub max_concurrency: Option<u32>,
    /// Whose CCE the endpoint is: `huawei` or `otc` (Open Telekom Cloud). Default: `otc` for an endpoint under `otc.t-systems.com`, else `huawei`. Decides how existing nodes are synchronised: Huawei Cloud's UpgradeNodePool (`POST …/nodepools/{id}/operation/upgrade`), or, on Open Telekom Cloud, which has none, ResetNode (`POST …/nodes/reset`) with each batch's node list.
    pub provider: Option<RawProvider>,
}

/// `[cloud] provider`.
#[derive(JsonSchema)]
#[schemars(rename_all = "lowercase")]
pub enum RawProvider {
    /// Huawei Cloud.
    Huawei,
    /// Open Telekom Cloud.
    Otc,
}

/// `[clusters.KEY]`: a CCE cluster.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawCluster {
    /// The cluster id. CCE: `{cluster_id}` in `/clusters/{cluster_id}/nodepools`.
    pub id: String,
    /// Cap on nodes being reset at once across all pools of this cluster (1..=200). Not sent to CCE: poolform schedules sync batches within it.
    #[schemars(range(min = 1, max = 200))]
    pub max_unavailable: Option<u32>,
    /// The cluster's region, when not `[cloud] region`; the cluster is then read and changed through that region's endpoint. CCE: the `{region}` of the endpoint.
    pub region: Option<String>,
    /// The cluster's CCE endpoint, when not the one `[cloud]` gives. Must be https; plain http only for loopback. CCE: the base URL of this cluster's requests.
    pub endpoint: Option<String>,
    /// The cluster's project id, when not `[cloud] project_id` (each region has its own project). CCE: `{project_id}` in this cluster's paths.
    pub project_id: Option<String>,
}

/// Whether the pool should exist.
#[derive(JsonSchema)]
#[schemars(rename_all = "snake_case")]
pub enum RawEnsure {
    /// The pool exists (default): created if missing, updated if different.
    Present,
    /// The pool is deleted (DELETE `/nodepools/{nodepool_id}`), guarded.
    Absent,
}

/// Node pool type.
#[derive(JsonSchema)]
pub enum RawPoolType {
    /// ECS virtual machines (default).
    #[schemars(rename = "vm")]
    Vm,
    /// Elastic bare-metal servers (CCE Turbo clusters).
    #[schemars(rename = "ElasticBMS")]
    ElasticBms,
    /// Bare-metal servers.
    #[schemars(rename = "pm")]
    Pm,
}

/// Container runtime.
#[derive(JsonSchema)]
#[schemars(rename_all = "lowercase")]
pub enum RawRuntime {
    /// containerd (default).
    Containerd,
    /// Docker.
    Docker,
}

/// Runtime class.
#[derive(JsonSchema)]
pub enum RawRuntimeClass {
    /// runc.
    #[schemars(rename = "runc")]
    Runc,
    /// Kata containers.
    #[schemars(rename = "kata")]
    Kata,
    /// Kuasar VMM.
    #[schemars(rename = "kuasar-vmm")]
    KuasarVmm,
}

/// `[pools.ADDRESS]`: a node pool. For the DefaultPool (`name = "DefaultPool"`)
/// only `cluster`, `name`, `login`, `lifecycle` and `rollout` are allowed: it
/// can only be synchronised.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawPool {
    /// Key of the `[clusters.KEY]` the pool belongs to. CCE: `{cluster_id}` in the pool's path.
    pub cluster: String,
    /// Pool name, defaults to the address: 1 to 50 characters, lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen; `DefaultPool` selects the cluster's default pool (sync only). CCE: `metadata.name`.
    pub name: Option<String>,
    /// `present` (default) or `absent` (the pool is deleted). CCE: POST / PUT / DELETE of the pool.
    pub ensure: Option<RawEnsure>,
    /// Pool type, default `vm`; cannot change after creation. CCE: `spec.type`.
    #[schemars(rename = "type")]
    pub pool_type: Option<RawPoolType>,
    /// ECS flavor, such as `c7.large.2`; required; cannot change after creation. CCE: `spec.nodeTemplate.flavor`.
    pub flavor: Option<String>,
    /// Availability zone, such as `ap-southeast-1a`, or `random`; required; cannot change after creation. CCE: `spec.nodeTemplate.az`.
    pub az: Option<String>,
    /// Operating system, such as `Huawei Cloud EulerOS 2.0`; required; existing nodes need a sync to pick up a change. CCE: `spec.nodeTemplate.os`.
    pub os: Option<String>,
    /// Container runtime, default `containerd`. CCE: `spec.nodeTemplate.runtime.name`.
    pub runtime: Option<RawRuntime>,
    /// Runtime class. CCE: `spec.nodeTemplate.runtime.runtimeClass`.
    pub runtime_class: Option<RawRuntimeClass>,
    /// Desired number of nodes; omitted means poolform never changes the count (the autoscaler or the console owns it). CCE: `spec.initialNodeCount` (with `ignoreInitialNodeCount: true` when omitted).
    #[schemars(range(max = 2000))]
    pub node_count: Option<u32>,
    /// How to log in to the nodes: an ssh key pair or a password read from the environment. CCE: `spec.nodeTemplate.login`.
    pub login: Option<RawLogin>,
    /// System disk; required. CCE: `spec.nodeTemplate.rootVolume`.
    pub root_volume: Option<RawRootVolume>,
    /// Data disks; at least one. CCE: `spec.nodeTemplate.dataVolumes`.
    pub data_volumes: Option<Vec<RawDataVolume>>,
    /// An EIP for every node. CCE: `spec.nodeTemplate.publicIP`.
    pub public_ip: Option<RawPublicIp>,
    /// The primary network interface. CCE: `spec.nodeTemplate.nodeNicSpec.primaryNic`.
    pub nic: Option<RawNic>,
    /// Kubernetes labels of the nodes, at most 20; pushed to existing nodes by CCE. CCE: `spec.nodeTemplate.k8sTags`.
    pub k8s_labels: Option<BTreeMap<String, String>>,
    /// Kubernetes taints of the nodes, at most 20; pushed to existing nodes by CCE. CCE: `spec.nodeTemplate.taints`.
    #[schemars(length(max = 20))]
    pub taints: Option<Vec<RawTaint>>,
    /// Resource tags of the ECS servers, at most 8. CCE: `spec.nodeTemplate.userTags` (a list of `{key, value}`).
    pub user_tags: Option<BTreeMap<String, String>>,
    /// Maximum number of pods per node. CCE: `spec.nodeTemplate.extendParam.maxPods`.
    #[schemars(range(min = 1))]
    pub max_pods: Option<u32>,
    /// Other extended parameters of the node template. CCE: `spec.nodeTemplate.extendParam`.
    pub extend_params: Option<RawExtendParams>,
    /// Pre- and post-install scripts. CCE: `spec.nodeTemplate.extendParam["alpha.cce/preInstall"]`, `["alpha.cce/postInstall"]` and `spec.nodeTemplate.waitPostInstallFinish`.
    pub lifecycle: Option<RawLifecycle>,
    /// Autoscaling bounds. CCE: `spec.autoscaling`.
    pub autoscaling: Option<RawAutoscaling>,
    /// ECS server group id: every node is created in this group. CCE: `spec.nodeManagement.serverGroupReference`.
    pub server_group: Option<String>,
    /// How changes reach existing nodes. Not sent to CCE except `max_unavailable` and `force`, which go into each sync (`/operation/upgrade`) request.
    pub rollout: Option<RawRollout>,
}

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

/// `autoscaling`.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawAutoscaling {
    /// Enable autoscaling, default true when the table is present. CCE: `autoscaling.enable`.
    pub enabled: Option<bool>,
    /// Minimum node count, default 0. CCE: `autoscaling.minNodeCount`.
    pub min: Option<u32>,
    /// Maximum node count, at least `min`; required when enabled. CCE: `autoscaling.maxNodeCount`.
    pub max: Option<u32>,
    /// Minutes before nodes added by a scale-up may be removed. CCE: `autoscaling.scaleDownCooldownTime`.
    #[schemars(range(max = 2147483647))]
    pub scale_down_cooldown_minutes: Option<u32>,
    /// Weight of the pool in scale-ups; higher first. CCE: `autoscaling.priority`.
    pub priority: Option<i32>,
}

/// `max_unavailable` of a rollout: a count or a percentage.
pub struct RawMaxUnavailable;

impl JsonSchema for RawMaxUnavailable {
    fn schema_name() -> Cow<'static, str> {
        "MaxUnavailable".into()
    }

    fn json_schema(_generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Nodes reset at once: a count from 1 to 20, or a percentage of the pool's nodes such as \"25%\" (resolved, then clamped to 1..=20). CCE: `spec.maxUnavailable` of each sync request.",
            "oneOf": [
                { "type": "integer", "minimum": 1, "maximum": 20 },
                { "type": "string", "pattern": "^([1-9][0-9]?|100)%$" }
            ]
        })
    }
}

/// `[pools.X.rollout]`: how changes reach existing nodes.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawRollout {
    /// Nodes reset at once, default 1. CCE: `spec.maxUnavailable` of each sync request (`/operation/upgrade`).
    pub max_unavailable: Option<RawMaxUnavailable>,
    /// Addresses of pools whose changes must finish before this pool's start. Not sent to CCE: orders poolform's plan.
    pub depends_on: Option<Vec<String>>,
    /// How long the nodes of a batch must stay Active before the next batch, such as `60s` (default 0s), at most `24h`. Not sent to CCE.
    pub soak: Option<String>,
    /// How long a batch may take before it counts as failed, such as `30m` (the default), at most `24h`. Not sent to CCE.
    pub batch_timeout: Option<String>,
    /// Reset nodes even when pods cannot be evicted. CCE: `spec.force` of each sync request.
    pub force: Option<bool>,
    /// Allow replacing the pool (delete, then create) when a field changes that CCE cannot update in place (type, flavor, az, ...). Not sent to CCE: without it such a change is an error.
    pub allow_replacement: Option<bool>,
    /// What a reset does to data volumes: `reset_managed_volumes` wipes every CCE-managed data disk (CCE's default when unset), `retain_custom_volumes` keeps the data volumes users added themselves (recent cluster versions only). The system disk is always wiped. CCE: `spec.nodeTemplate.volumeConfig.volumeResetPolicy` of each sync request.
    pub volume_reset_policy: Option<RawVolumeResetPolicy>,
}

/// `rollout.volume_reset_policy`.
#[derive(JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RawVolumeResetPolicy {
    /// Wipe every CCE-managed data disk (CCE's default).
    ResetManagedVolumes,
    /// Keep custom data volumes (recent cluster versions only).
    RetainCustomVolumes,
}

/// The JSON schema of the config language, pretty-printed with a trailing
/// newline: exactly the content of `schema/poolform.schema.json`.
pub fn config_json_schema() -> String {
    let generator = schemars::generate::SchemaSettings::draft07().into_generator();
    let schema = generator.into_root_schema_for::<RawConfig>();
    let mut value = schema.to_value();
    strip_null(&mut value);
    format!("{value:#}\n")
}

/// Removes the `null` alternatives schemars adds for `Option` fields: TOML
/// has no null, an optional key is simply left out, and editors would
/// otherwise offer `null` as a value.
fn strip_null(value: &mut serde_json::Value) {
    use serde_json::Value;
    let Value::Object(object) = value else {
        if let Value::Array(items) = value {
            items.iter_mut().for_each(strip_null);
        }
        return;
    };
    if let Some(Value::Array(types)) = object.get_mut("type") {
        types.retain(|kind| kind != "null");
        if types.len() == 1 {
            let only = types.remove(0);
            object.insert("type".to_owned(), only);
        }
    }
    if let Some(Value::Array(alternatives)) = object.get("anyOf") {
        let kept: Vec<Value> = alternatives
            .iter()
            .filter(|alternative| alternative.get("type").is_none_or(|kind| kind != "null"))
            .cloned()
            .collect();
        if kept.len() == 1 {
            object.remove("anyOf");
            if let Value::Object(inner) = &kept[0] {
                for (key, inner_value) in inner {
                    object
                        .entry(key.clone())
                        .or_insert_with(|| inner_value.clone());
                }
            }
            // Draft 7 ignores keywords beside `$ref`; wrap it so the
            // description stays meaningful.
            if let Some(reference) = object.remove("$ref") {
                let wrapped = serde_json::json!([{ "$ref": reference }]);
                object.insert("allOf".to_owned(), wrapped);
            }
        } else {
            object.insert("anyOf".to_owned(), Value::Array(kept));
        }
    }
    object.values_mut().for_each(strip_null);
}
