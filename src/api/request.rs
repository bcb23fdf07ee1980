//! The writes poolform asks of CCE, as domain values: what the plan holds
//! and apply hands to [`super::CceApi`]. They never hold a secret: a password
//! login names its environment variable, and the implementation salts the
//! secret apply read from it into the wire body.

use serde::{Deserialize, Serialize};

use crate::model::{
    Autoscaling, DesiredPool, Lifecycle, Login, NodeId, NodeTemplate, VolumeResetPolicy,
};

/// A pool as a create or an update sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolSpec {
    /// The CCE pool name.
    pub name: String,
    /// The template of its nodes.
    pub template: NodeTemplate,
    /// The managed node count, when the configuration sets one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_count: Option<u32>,
    /// Autoscaling, when configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<Autoscaling>,
    /// The server group, when configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_group: Option<String>,
}

impl PoolSpec {
    /// What a configured pool asks of CCE.
    pub fn of(pool: &DesiredPool) -> Self {
        Self {
            name: pool.name.clone(),
            template: pool.template.clone(),
            node_count: pool.node_count,
            autoscaling: pool.autoscaling.clone(),
            server_group: pool.server_group.clone(),
        }
    }
}

/// CreateNodePool.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatePool {
    /// The pool.
    pub pool: PoolSpec,
}

impl CreatePool {
    /// The create of a configured pool.
    pub fn of(pool: &DesiredPool) -> Self {
        Self {
            pool: PoolSpec::of(pool),
        }
    }

    /// The nodes the new pool starts with: the managed count, or without one
    /// the autoscaler's minimum, or none.
    pub fn initial_node_count(&self) -> u32 {
        self.pool.node_count.unwrap_or_else(|| {
            self.pool
                .autoscaling
                .as_ref()
                .filter(|autoscaling| autoscaling.enabled)
                .map_or(0, |autoscaling| autoscaling.min)
        })
    }
}

/// UpdateNodePool.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdatePool {
    /// The pool as it should be.
    pub pool: PoolSpec,
    /// The paths of the attributes that change (`k8s_labels`, `os`, …): the
    /// update pushes labels, taints and tags to existing nodes only when
    /// they change.
    pub changed: Vec<String>,
}

impl UpdatePool {
    /// The update of a configured pool; `changed` are the paths of the
    /// attributes that change.
    pub fn of(pool: &DesiredPool, changed: Vec<String>) -> Self {
        Self {
            pool: PoolSpec::of(pool),
            changed,
        }
    }

    /// Whether the attribute at `path` changes.
    pub fn changes(&self, path: &str) -> bool {
        self.changed.iter().any(|changed| changed == path)
    }
}

/// UpgradeNodePool: reset exactly these nodes of a pool, all at once.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncNodes {
    /// The nodes.
    pub node_ids: Vec<NodeId>,
    /// `rollout.force`.
    pub force: bool,
    /// The desired scripts.
    pub lifecycle: Lifecycle,
    /// The desired login (the remove flags are not sent with a sync).
    pub login: Login,
    /// Which data volumes each reset wipes (`None`: CCE's default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_reset_policy: Option<VolumeResetPolicy>,
}

impl SyncNodes {
    /// The sync of exactly `node_ids` of a configured pool, with its
    /// scripts, login, force flag and volume reset policy.
    pub fn of(pool: &DesiredPool, node_ids: &[NodeId]) -> Self {
        Self {
            node_ids: node_ids.to_vec(),
            force: pool.rollout.force,
            lifecycle: pool.template.lifecycle.clone(),
            login: pool.template.login.clone(),
            volume_reset_policy: pool.rollout.volume_reset_policy,
        }
    }
}

/// ResetNode: Open Telekom Cloud's sync of chosen nodes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResetNodes {
    /// The nodes.
    pub node_ids: Vec<NodeId>,
    /// The pool's operating system (the API requires it).
    pub os: String,
    /// The login, as a sync sends it.
    pub login: Login,
}
