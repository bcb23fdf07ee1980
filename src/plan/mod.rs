//! The plan: every detail of the work, computed before anything is done.
//!
//! A [`Plan`] is plain data: the pool changes from `diff`, the node sync
//! batches, the ordered steps with their dependencies (a DAG, in the order
//! of the model's `depends_on` graph), the requests apply will make, as
//! domain values (never with a secret in them), and a fingerprint of every
//! live object that was read, so that a saved plan can be refused once the
//! world has moved on. Building it is pure
//! and deterministic: the same inputs give the same bytes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

mod batches;
mod build;
mod classify;
#[cfg(test)]
mod proptests;
mod requests;
mod saved;

pub use batches::{order_across_zones, plan_sync};
pub use build::{PlanError, PlanErrors, build_plan};
pub use classify::{
    BaseRevision, ChangeClass, ClassCounts, Classification, PoolClasses, Tally, classify,
};
pub use saved::{LoadPlanError, load, save};

pub use crate::diff::{
    AttributeChange, NewNodesOnly, NodeRef, PoolAction, StaleNode, UnmanagedPool,
};

use crate::api::{CreatePool, SyncNodes, UpdatePool};
use crate::model::{
    CloudSettings, ClusterId, ClusterName, NodeId, PoolAddress, PoolId, VolumeResetPolicy,
};

/// The version of the saved plan format. 2.0: steps carry domain requests
/// (`request`) instead of wire bodies (`body`), so a 1.x plan is refused.
pub const FORMAT_VERSION: &str = "2.0";

/// A complete plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// [`FORMAT_VERSION`].
    pub format_version: String,
    /// The digest of the configuration the plan was made from.
    pub config_digest: String,
    /// Where the API is.
    pub cloud: CloudSettings,
    /// The clusters the plan touches.
    pub clusters: BTreeMap<ClusterName, PlanCluster>,
    /// One entry per configured pool, sorted by address.
    pub pools: Vec<PoolPlan>,
    /// Live pools that no configuration names; never touched.
    pub unmanaged: Vec<UnmanagedPool>,
    /// The steps apply performs, in a valid order.
    pub steps: Vec<Step>,
    /// Fingerprints of every live object read: key `cluster/pool-id` or
    /// `cluster/pool-id/node-id`, value the fingerprint.
    pub fingerprints: BTreeMap<String, String>,
    /// Why each difference exists, when the plan was compared with the
    /// configuration at a base revision (`plan --base`); absent otherwise, so
    /// a plan without a base saves exactly as before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classification: Option<Classification>,
}

/// A cluster as the plan sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanCluster {
    /// The CCE id.
    pub id: ClusterId,
    /// Cluster-wide cap on unavailable nodes.
    pub max_unavailable: Option<u32>,
    /// Where the cluster's API is when not where [`Plan::cloud`] says, so
    /// that a saved plan of a fleet across regions is applied to each
    /// cluster's own endpoint. Absent (and not written) when empty.
    #[serde(default, skip_serializing_if = "CloudSettings::is_empty")]
    pub cloud: CloudSettings,
}

/// The plan of one configured pool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoolPlan {
    /// Config address.
    pub address: PoolAddress,
    /// Cluster key.
    pub cluster: ClusterName,
    /// CCE pool name.
    pub name: String,
    /// Live id, when the pool exists.
    pub pool_id: Option<PoolId>,
    /// What happens to the pool.
    pub action: PoolAction,
    /// Changed attributes (update/replace), or every attribute (create).
    pub changes: Vec<AttributeChange>,
    /// Nodes to synchronise, when any.
    pub sync: Option<SyncPlan>,
    /// Changes that reach new nodes only (disks, subnet, …), and how many
    /// existing nodes keep the old value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_nodes_only: Option<NewNodesOnly>,
    /// Pools this one waits for.
    pub depends_on: Vec<PoolAddress>,
    /// Every compared attribute of the live pool, keyed by path (JSON object);
    /// `None` when the pool does not exist. Never holds a secret.
    #[serde(default)]
    pub before: Option<serde_json::Value>,
    /// Every compared attribute of the desired pool, keyed by path (JSON
    /// object); `None` when the pool is to be deleted. Never holds a secret.
    #[serde(default)]
    pub after: Option<serde_json::Value>,
}

/// The node synchronisation of one pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncPlan {
    /// Nodes reset at once, after percentage resolution and clamping.
    pub max_unavailable: u32,
    /// Nodes in the pool when read (the base of a percentage).
    #[serde(default)]
    pub pool_size: usize,
    /// The largest batch: `max_unavailable` minus the nodes already
    /// unavailable (at least 1), capped by the cluster's `max_unavailable`.
    #[serde(default)]
    pub batch_size: u32,
    /// Nodes of the pool that are not Active now; they count against the budget.
    pub unavailable_now: Vec<NodeRef>,
    /// Every node to reset, with why.
    pub stale_nodes: Vec<StaleNode>,
    /// The batches, in order; together they hold every stale node once.
    pub batches: Vec<Batch>,
    /// Stale nodes that are not Active now: left out of the batches (CCE
    /// cannot reset a node mid-transition); a later plan picks them up.
    #[serde(default)]
    pub skipped: Vec<StaleNode>,
    /// Notes for the reader, such as an exhausted unavailability budget.
    #[serde(default)]
    pub notes: Vec<String>,
    /// `rollout.volume_reset_policy`: which data volumes each reset wipes
    /// (`None`: CCE's default, every managed one).
    #[serde(default)]
    pub volume_reset_policy: Option<VolumeResetPolicy>,
}

/// One sync batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Batch {
    /// 1-based batch number within the pool.
    pub number: usize,
    /// Nodes reset together.
    pub node_ids: Vec<NodeId>,
}

/// A unit of apply work.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// Index into [`Plan::steps`].
    pub id: usize,
    /// Steps that must finish first (indices, all smaller than `id`).
    pub depends_on: Vec<usize>,
    /// The pool it belongs to.
    pub address: PoolAddress,
    /// The cluster key.
    pub cluster: ClusterName,
    /// What to do.
    pub kind: StepKind,
}

/// The kinds of apply work; apply is a `match` over these.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StepKind {
    /// POST the pool, then wait for its nodes to be Active.
    CreatePool {
        /// The pool to create.
        request: Box<CreatePool>,
        /// Environment variable with the password, read at apply time.
        password_env: Option<String>,
    },
    /// PUT the pool, then wait for it to settle.
    UpdatePool {
        /// Pool id.
        pool_id: PoolId,
        /// The pool as it should be, and what changes.
        request: Box<UpdatePool>,
        /// Environment variable with the password, read at apply time.
        password_env: Option<String>,
    },
    /// DELETE the pool.
    DeletePool {
        /// Pool id.
        pool_id: PoolId,
    },
    /// POST a sync for exactly these nodes, then follow them.
    SyncBatch {
        /// Pool id.
        pool_id: PoolId,
        /// 1-based batch number.
        number: usize,
        /// Batches of this pool in all.
        of: usize,
        /// The nodes, and the scripts and login they are reset with.
        request: Box<SyncNodes>,
        /// Environment variable with the password, read at apply time.
        password_env: Option<String>,
        /// Seconds the nodes must stay Active afterwards.
        soak_seconds: u64,
        /// Seconds the batch may take.
        timeout_seconds: u64,
    },
}

impl Plan {
    /// Where the API of the cluster with config key `cluster` is: its own
    /// settings over the plan's `[cloud]` (as [`crate::model::Desired::cloud_of`]).
    pub fn cloud_of(&self, cluster: &ClusterName) -> CloudSettings {
        self.clusters
            .get(cluster)
            .map_or_else(|| self.cloud.clone(), |own| own.cloud.or(&self.cloud))
    }

    /// Every cluster's config key and CCE id: what `live::fetch` reads to
    /// check a saved plan against the world.
    pub fn cluster_ids(&self) -> Vec<(ClusterName, ClusterId)> {
        self.clusters
            .iter()
            .map(|(name, cluster)| (name.clone(), cluster.id.clone()))
            .collect()
    }

    /// Whether applying the plan would change anything.
    pub fn has_changes(&self) -> bool {
        !self.steps.is_empty()
    }

    /// The counts of the summary line.
    pub fn summary(&self) -> Summary {
        let mut summary = Summary::default();
        for pool in &self.pools {
            match pool.action {
                PoolAction::NoOp => {}
                PoolAction::Create => summary.add += 1,
                PoolAction::Update => summary.change += 1,
                PoolAction::Delete => summary.destroy += 1,
                PoolAction::Replace => {
                    summary.add += 1;
                    summary.destroy += 1;
                }
            }
            if let Some(sync) = &pool.sync {
                summary.batches += sync.batches.len();
                summary.nodes_to_sync += sync
                    .batches
                    .iter()
                    .map(|batch| batch.node_ids.len())
                    .sum::<usize>();
            }
        }
        summary
    }
}

/// The counts of a plan's summary line, Terraform style (a replacement
/// counts as one to add and one to destroy).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Pools created.
    pub add: usize,
    /// Pools updated in place.
    pub change: usize,
    /// Pools deleted.
    pub destroy: usize,
    /// Nodes reset.
    pub nodes_to_sync: usize,
    /// Sync batches.
    pub batches: usize,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Plan: {} to add, {} to change, {} to destroy, {} node{} to sync in {} batch{}.",
            self.add,
            self.change,
            self.destroy,
            self.nodes_to_sync,
            if self.nodes_to_sync == 1 { "" } else { "s" },
            self.batches,
            if self.batches == 1 { "" } else { "es" },
        )
    }
}
