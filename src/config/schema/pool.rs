//! A `[pools.ADDRESS]` table and the choices of its own keys.

use std::collections::BTreeMap;

use schemars::JsonSchema;

use super::rollout::{RawAutoscaling, RawRollout};
use super::template::{
    RawDataVolume, RawExtendParams, RawLifecycle, RawLogin, RawNic, RawPublicIp, RawRootVolume,
    RawTaint,
};

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
