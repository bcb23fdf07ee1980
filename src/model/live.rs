//! What CCE says: the `Live` state of every cluster a configuration names,
//! its pools and nodes.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::{Autoscaling, ClusterId, ClusterName, NodeId, NodeTemplate, PoolId};

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
mod tests {
    use super::*;

    #[test]
    fn phase_round_trips() {
        for raw in ["Build", "Active", "Error", "Weird"] {
            assert_eq!(NodePhase::parse(raw).as_str(), raw);
        }
        assert!(!NodePhase::parse("Installing").is_available());
    }
}
