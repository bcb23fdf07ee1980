//! The domain model shared by every stage of the pipeline: what the config
//! says a pool should be (`Desired*`) and what CCE says it is (`Live*`).
//!
//! Both sides describe a pool's node template with the same [`NodeTemplate`]
//! type, in poolform's own normalised vocabulary (decoded scripts, maps
//! instead of key/value lists, no system-managed labels), so that the diff is a
//! plain comparison. Conversions from and to the CCE wire format live in
//! `live::convert`; this module knows nothing about HTTP.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

mod cce;
pub use cce::{EndpointProblem, SYSTEM_LABEL_MARKER, is_region_name, parse_endpoint};

macro_rules! newtype {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            /// The raw string.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self(value)
            }
        }
    };
}

newtype!(
    /// The key of a `[clusters.NAME]` table.
    ClusterName
);
newtype!(
    /// The key of a `[pools.ADDRESS]` table: a pool's address in plans.
    PoolAddress
);
newtype!(
    /// The CCE id (uid) of a cluster.
    ClusterId
);
newtype!(
    /// The CCE id (uid) of a node pool.
    PoolId
);
newtype!(
    /// The CCE id (uid) of a node.
    NodeId
);

/// The name CCE gives the pool that holds nodes created outside any pool.
pub const DEFAULT_POOL_NAME: &str = "DefaultPool";

/// The whole validated configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Desired {
    /// Where the CCE API is.
    pub cloud: CloudSettings,
    /// Clusters by their config key.
    pub clusters: BTreeMap<ClusterName, DesiredCluster>,
    /// Pools by address.
    pub pools: BTreeMap<PoolAddress, DesiredPool>,
    /// Hex SHA-256 over the config files (sorted by path, name and bytes), so a
    /// saved plan can tell which configuration produced it.
    pub digest: String,
}

/// The `[cloud]` table, or what a `[clusters.NAME]` table sets of it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloudSettings {
    /// Region, such as `ap-southeast-1`.
    pub region: Option<String>,
    /// Explicit CCE endpoint; overrides the one derived from the region.
    pub endpoint: Option<String>,
    /// Project id; may also come from the environment.
    pub project_id: Option<String>,
    /// Cap on requests in flight at once per endpoint (`[cloud]` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrency: Option<u32>,
    /// Which cloud's CCE this is (`[cloud]` only); `None` tells it from
    /// the endpoint (see [`CloudSettings::provider`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<Provider>,
}

/// Whose CCE an endpoint is: the clouds differ in how existing nodes are
/// synchronised.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// Huawei Cloud: UpgradeNodePool resets the chosen nodes of a pool.
    #[default]
    Huawei,
    /// Open Telekom Cloud: no UpgradeNodePool; each batch goes through
    /// ResetNode (`POST …/nodes/reset`), which takes a node list.
    Otc,
}

/// The host suffix of Open Telekom Cloud's endpoints.
const OTC_HOST_SUFFIX: &str = ".otc.t-systems.com";

impl CloudSettings {
    /// These settings with every unset place (`region`, `endpoint`,
    /// `project_id`) taken from `defaults`. A cluster that names its own
    /// region gets that region's endpoint, not the default's explicit one:
    /// an endpoint is inherited only together with the region it belongs to.
    pub fn or(&self, defaults: &CloudSettings) -> CloudSettings {
        let own_place = self.region.is_some() || self.endpoint.is_some();
        CloudSettings {
            region: self.region.clone().or_else(|| {
                (self.endpoint.is_none())
                    .then(|| defaults.region.clone())
                    .flatten()
            }),
            endpoint: if own_place {
                self.endpoint.clone()
            } else {
                defaults.endpoint.clone()
            },
            project_id: self
                .project_id
                .clone()
                .or_else(|| defaults.project_id.clone()),
            max_concurrency: self.max_concurrency.or(defaults.max_concurrency),
            provider: self.provider.or(defaults.provider),
        }
    }

    /// Whose CCE these settings reach: `provider` when set, else Open
    /// Telekom Cloud for an endpoint under `otc.t-systems.com`, else Huawei
    /// Cloud (whose region endpoints are `cce.{region}.myhuaweicloud.com`).
    pub fn provider(&self) -> Provider {
        if let Some(provider) = self.provider {
            return provider;
        }
        let host = self
            .endpoint
            .as_deref()
            .and_then(|endpoint| url::Url::parse(endpoint).ok())
            .and_then(|url| url.host_str().map(str::to_ascii_lowercase));
        match host {
            Some(host) if host.ends_with(OTC_HOST_SUFFIX) => Provider::Otc,
            _ => Provider::Huawei,
        }
    }

    /// Whether nothing is set.
    pub fn is_empty(&self) -> bool {
        *self == CloudSettings::default()
    }
}

/// A `[clusters.NAME]` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredCluster {
    /// The config key.
    pub name: ClusterName,
    /// The CCE cluster id.
    pub id: ClusterId,
    /// Cap on nodes unavailable at once across all pools of the cluster.
    pub max_unavailable: Option<u32>,
    /// Where this cluster's API is, when not where `[cloud]` says: its own
    /// `region`, `endpoint` and `project_id` (see [`CloudSettings::or`]).
    #[serde(default, skip_serializing_if = "CloudSettings::is_empty")]
    pub cloud: CloudSettings,
}

impl Desired {
    /// Every cluster's config key and CCE id, in key order: what
    /// `live::fetch` reads.
    pub fn cluster_ids(&self) -> Vec<(ClusterName, ClusterId)> {
        self.clusters
            .iter()
            .map(|(name, cluster)| (name.clone(), cluster.id.clone()))
            .collect()
    }

    /// Where the API of `cluster` is: its own settings over `[cloud]`.
    pub fn cloud_of(&self, cluster: &DesiredCluster) -> CloudSettings {
        cluster.cloud.or(&self.cloud)
    }
}

/// Whether a pool should exist.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ensure {
    /// The pool should exist (default).
    #[default]
    Present,
    /// The pool should be deleted.
    Absent,
}

/// A `[pools.ADDRESS]` table, validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredPool {
    /// The config key.
    pub address: PoolAddress,
    /// The cluster key it belongs to.
    pub cluster: ClusterName,
    /// The CCE pool name (`metadata.name`); defaults to the address.
    pub name: String,
    /// Present or absent.
    pub ensure: Ensure,
    /// The node template. For the DefaultPool only `login` and `lifecycle` are
    /// meaningful: it can only be synchronised, never created or updated.
    pub template: NodeTemplate,
    /// `spec.initialNodeCount`; `None` means the count is not managed.
    pub node_count: Option<u32>,
    /// `spec.autoscaling`.
    pub autoscaling: Option<Autoscaling>,
    /// `spec.nodeManagement.serverGroupReference`.
    pub server_group: Option<String>,
    /// How changes to existing nodes are rolled out.
    pub rollout: Rollout,
}

impl DesiredPool {
    /// Whether this is the cluster's DefaultPool (sync only).
    pub fn is_default_pool(&self) -> bool {
        self.name == DEFAULT_POOL_NAME
    }
}

/// `[pools.X.rollout]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rollout {
    /// Nodes reset at once.
    pub max_unavailable: MaxUnavailable,
    /// Pools whose changes must finish first.
    pub depends_on: Vec<PoolAddress>,
    /// Seconds the nodes of a batch must stay Active after it.
    pub soak_seconds: u64,
    /// Seconds a batch may take before it counts as failed.
    pub batch_timeout_seconds: u64,
    /// Reset even when pods cannot be evicted (`spec.force`).
    pub force: bool,
    /// Allow replacing the pool when a field changes that CCE cannot update.
    pub allow_replacement: bool,
    /// What a reset does to data volumes (`volumeConfig.volumeResetPolicy`
    /// of each sync); `None` leaves it to CCE, which resets them all.
    #[serde(default)]
    pub volume_reset_policy: Option<VolumeResetPolicy>,
}

/// `volumeConfig.volumeResetPolicy` of a sync: which data volumes a reset
/// wipes. The system disk is always wiped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VolumeResetPolicy {
    /// Wipe every data volume CCE manages (CCE's default).
    ResetManagedVolumes,
    /// Keep data volumes users added themselves; wipe the managed ones
    /// (recent cluster versions only, per the SDK).
    RetainCustomVolumes,
}

impl VolumeResetPolicy {
    /// The API's string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ResetManagedVolumes => "reset_managed_volumes",
            Self::RetainCustomVolumes => "retain_custom_volumes",
        }
    }

    /// What a reset under this policy wipes, for plan warnings; `None` is
    /// CCE's default.
    pub fn wiped(policy: Option<Self>) -> &'static str {
        match policy {
            None | Some(Self::ResetManagedVolumes) => {
                "the system disk and every CCE-managed data disk are wiped"
            }
            Some(Self::RetainCustomVolumes) => {
                "the system disk and the CCE-managed data disks are wiped; custom data volumes are kept"
            }
        }
    }
}

impl Default for Rollout {
    fn default() -> Self {
        Self {
            max_unavailable: MaxUnavailable::Count(1),
            depends_on: Vec::new(),
            soak_seconds: 0,
            batch_timeout_seconds: 30 * 60,
            force: false,
            allow_replacement: false,
            volume_reset_policy: None,
        }
    }
}

/// `max_unavailable`: a count or a percentage of the pool's nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaxUnavailable {
    /// An absolute number of nodes, 1..=20.
    Count(u32),
    /// A percentage of the pool's current node count, 1..=100.
    Percent(u32),
}

impl MaxUnavailable {
    /// Resolves against a pool of `pool_size` nodes; the result is clamped to
    /// the API's range 1..=20.
    pub fn resolve(self, pool_size: usize) -> u32 {
        let raw = match self {
            Self::Count(count) => count,
            Self::Percent(percent) => {
                let size = u32::try_from(pool_size).unwrap_or(u32::MAX);
                // Rounds down like Kubernetes' maxUnavailable, but never below 1.
                size.saturating_mul(percent) / 100
            }
        };
        raw.clamp(1, 20)
    }
}

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

/// The live state of every cluster a configuration names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Live {
    /// Clusters by config key.
    pub clusters: BTreeMap<ClusterName, LiveCluster>,
}

/// One cluster's pools and nodes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveCluster {
    /// The CCE cluster id.
    pub id: ClusterId,
    /// Pools by CCE name, the DefaultPool included when it has nodes.
    pub pools: BTreeMap<String, LivePool>,
    /// Nodes that belong to no pool poolform could identify.
    pub orphan_nodes: Vec<LiveNode>,
}

/// A live node pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LivePool {
    /// `metadata.uid`.
    pub id: PoolId,
    /// `metadata.name`.
    pub name: String,
    /// The template, normalised.
    pub template: NodeTemplate,
    /// `spec.initialNodeCount` (the desired count).
    pub node_count: u32,
    /// `spec.autoscaling`.
    pub autoscaling: Option<Autoscaling>,
    /// `spec.nodeManagement.serverGroupReference`.
    pub server_group: Option<String>,
    /// `status.phase` (empty when settled).
    pub phase: String,
    /// `metadata.updateTimestamp`, as CCE wrote it (opaque text): when the
    /// pool was last changed, by poolform or anyone else.
    #[serde(default)]
    pub updated_at: Option<String>,
    /// A digest of the pool as read, so a saved plan can detect changes.
    pub fingerprint: String,
    /// The pool's nodes, sorted by id.
    pub nodes: Vec<LiveNode>,
}

/// A live node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveNode {
    /// `metadata.uid`.
    pub id: NodeId,
    /// `metadata.name`.
    pub name: String,
    /// `spec.az`.
    pub az: String,
    /// `status.phase`.
    pub phase: NodePhase,
    /// `status.configurationUpToDate`; `None` when CCE did not say.
    pub up_to_date: Option<bool>,
    /// What the node response says it runs (informational).
    pub config: NodeConfig,
    /// A digest of the node as read.
    pub fingerprint: String,
    /// Why a reset is still due although CCE cannot show it: a rollout an
    /// earlier apply started and did not finish (from poolform's rollout
    /// journal), or a resync the user asked for. Not part of the
    /// fingerprint: it is what poolform knows, not what CCE says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_reset: Option<String>,
}

/// What a node response says the node was installed with. Shown, never
/// compared: a node response carries no scripts, labels, taints or tags, its
/// login shows only the key pair, and its disks are the ones it was created
/// with, so nothing here can tell whether a reset is due (only CCE's
/// `configurationUpToDate` and the plan's own template changes can).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeConfig {
    /// `spec.os`.
    pub os: Option<String>,
    /// `spec.runtime.name`.
    pub runtime: Option<String>,
    /// `spec.login.sshKey`.
    pub ssh_key: Option<String>,
}

/// `status.phase` of a node.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum NodePhase {
    /// Being created.
    Build,
    /// Being installed.
    Installing,
    /// Being upgraded.
    Upgrading,
    /// Normal.
    Active,
    /// Unavailable.
    Abnormal,
    /// Being deleted.
    Deleting,
    /// Error.
    Error,
    /// Being repaired.
    Repairing,
    /// Repair failed.
    RepairFailed,
    /// A phase poolform does not know.
    Other(String),
}

impl NodePhase {
    /// Parses the API's string.
    pub fn parse(raw: &str) -> Self {
        match raw {
            "Build" => Self::Build,
            "Installing" => Self::Installing,
            "Upgrading" => Self::Upgrading,
            "Active" => Self::Active,
            "Abnormal" => Self::Abnormal,
            "Deleting" => Self::Deleting,
            "Error" => Self::Error,
            "Repairing" => Self::Repairing,
            "RepairFailed" => Self::RepairFailed,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The API's string.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Build => "Build",
            Self::Installing => "Installing",
            Self::Upgrading => "Upgrading",
            Self::Active => "Active",
            Self::Abnormal => "Abnormal",
            Self::Deleting => "Deleting",
            Self::Error => "Error",
            Self::Repairing => "Repairing",
            Self::RepairFailed => "RepairFailed",
            Self::Other(other) => other,
        }
    }

    /// Whether the node can run workloads; every other phase counts against
    /// the unavailability budget.
    pub fn is_available(&self) -> bool {
        matches!(self, Self::Active)
    }
}

impl fmt::Display for NodePhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
pub(crate) mod test_support;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_provider_is_told_from_the_endpoint_unless_set() {
        let at = |endpoint: &str| CloudSettings {
            endpoint: Some(endpoint.to_owned()),
            ..CloudSettings::default()
        };
        assert_eq!(
            at("https://cce.eu-de.otc.t-systems.com").provider(),
            Provider::Otc
        );
        assert_eq!(
            at("https://CCE.EU-NL.OTC.T-SYSTEMS.COM:443/").provider(),
            Provider::Otc
        );
        assert_eq!(
            at("https://cce.ap-southeast-1.myhuaweicloud.com").provider(),
            Provider::Huawei
        );
        // A look-alike is not OTC.
        assert_eq!(
            at("https://otc.t-systems.com.example.org").provider(),
            Provider::Huawei
        );
        let region = CloudSettings {
            region: Some("eu-de".into()),
            ..CloudSettings::default()
        };
        assert_eq!(region.provider(), Provider::Huawei);
        let proxy = CloudSettings {
            provider: Some(Provider::Otc),
            ..at("http://127.0.0.1:8080")
        };
        assert_eq!(proxy.provider(), Provider::Otc);
        // A cluster inherits [cloud]'s provider.
        assert_eq!(
            CloudSettings::default().or(&proxy).provider(),
            Provider::Otc
        );
    }

    #[test]
    fn percentage_resolves_and_clamps() {
        assert_eq!(MaxUnavailable::Percent(25).resolve(40), 10);
        assert_eq!(MaxUnavailable::Percent(25).resolve(2), 1);
        assert_eq!(MaxUnavailable::Percent(100).resolve(400), 20);
        assert_eq!(MaxUnavailable::Count(0).resolve(10), 1);
        assert_eq!(MaxUnavailable::Count(7).resolve(3), 7);
    }

    #[test]
    fn phase_round_trips() {
        for raw in ["Build", "Active", "Error", "Weird"] {
            assert_eq!(NodePhase::parse(raw).as_str(), raw);
        }
        assert!(!NodePhase::parse("Installing").is_available());
    }
}
