//! What the configuration says: the validated `Desired` tree of clusters
//! and pools, with each pool's rollout settings.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Autoscaling, CloudSettings, ClusterId, ClusterName, NodeTemplate, PoolAddress};

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentage_resolves_and_clamps() {
        assert_eq!(MaxUnavailable::Percent(25).resolve(40), 10);
        assert_eq!(MaxUnavailable::Percent(25).resolve(2), 1);
        assert_eq!(MaxUnavailable::Percent(100).resolve(400), 20);
        assert_eq!(MaxUnavailable::Count(0).resolve(10), 1);
        assert_eq!(MaxUnavailable::Count(7).resolve(3), 7);
    }
}
