//! The simulator's world as plain data: the state, its clusters, pools,
//! nodes and jobs, and what it records (peaks, the request log).

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::sim::api;

use super::clock::PendingEvents;

/// The uid (and name) of a cluster's DefaultPool, as the sync API names it.
pub const DEFAULT_POOL_ID: &str = "DefaultPool";

/// The system label CCE adds to every pool template.
pub const POOL_NAME_LABEL: &str = "cce.cloud.com/cce-nodepool";

/// The whole simulated world. Serialisable, so it can be saved to and loaded
/// from a JSON file, and read by tests through `GET /_sim/state`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SimState {
    /// The simulated clock: seconds since 2026-01-01T00:00:00Z.
    pub now: f64,
    /// Clusters by id.
    pub clusters: BTreeMap<String, SimCluster>,
    /// Jobs by id (pool create, scale, delete, sync).
    pub jobs: BTreeMap<String, SimJob>,
    /// Per cluster, the highest numbers of unavailable nodes ever seen.
    pub peaks: BTreeMap<String, ClusterPeaks>,
    /// Every mutating request that passed authentication, in order.
    pub request_log: Vec<LoggedRequest>,
    /// Source of the deterministic ids.
    pub next_serial: u64,
    /// Where the next events are, so that a request with none due does not
    /// look at every node (derived; rebuilt after a load).
    #[serde(skip)]
    pub(super) pending: PendingEvents,
}

impl SimState {
    /// An empty world at simulated time 0.
    pub fn new() -> Self {
        Self::default()
    }
}

/// One cluster: its pools, the DefaultPool among them when it has nodes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SimCluster {
    /// Pools in creation order.
    pub pools: Vec<SimPool>,
}

/// A pool and its nodes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SimPool {
    /// The pool as CCE shows it; `status` is kept current by the simulator.
    pub pool: api::NodePool,
    /// Its nodes in creation order.
    pub nodes: Vec<SimNode>,
    /// Set by DeleteNodePool; the pool disappears with its last node.
    pub deleting: bool,
    /// The pool's current operation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
}

impl SimPool {
    /// The pool id.
    pub fn uid(&self) -> &str {
        self.pool.metadata.uid.as_deref().unwrap_or_default()
    }

    /// Whether this is the cluster's DefaultPool.
    pub fn is_default(&self) -> bool {
        self.uid() == DEFAULT_POOL_ID
    }

    pub(super) fn unavailable(&self) -> usize {
        self.nodes.iter().filter(|n| !n.is_available()).count()
    }
}

/// A node and what is happening to it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SimNode {
    /// The node as CCE shows it.
    pub node: api::Node,
    /// The operation in progress, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress: Option<Progress>,
}

impl SimNode {
    /// The node id.
    pub fn uid(&self) -> &str {
        &self.node.metadata.uid
    }

    /// The node's phase.
    pub fn phase(&self) -> &str {
        self.node
            .status
            .as_ref()
            .map(|s| s.phase.as_str())
            .unwrap_or_default()
    }

    /// Only an `Active` node serves workloads; every other phase counts
    /// against the unavailability budget.
    pub fn is_available(&self) -> bool {
        self.phase() == "Active"
    }

    pub(super) fn status_mut(&mut self) -> &mut api::NodeStatus {
        self.node.status.get_or_insert_with(Default::default)
    }

    pub(super) fn set_phase(&mut self, phase: &str, timestamp: &str) {
        self.status_mut().phase = phase.to_owned();
        self.node.metadata.update_timestamp = Some(timestamp.to_owned());
    }
}

/// An operation on a node that takes simulated time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// What is happening.
    pub kind: ProgressKind,
    /// When the next step happens (simulated seconds); `None` never (a stuck
    /// node).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_at: Option<f64>,
    /// The job this is part of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    /// Ends in `Error` instead of `Active` (a fault).
    #[serde(default)]
    pub fails: bool,
    /// For a reset: the spec the node ends with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Box<api::NodeTemplate>>,
}

/// The steps a node goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProgressKind {
    /// Created, phase `Build`; next `Installing`.
    Building,
    /// Created, phase `Installing`; next `Active`.
    Installing,
    /// Being reset by a sync, phase `Installing`; next `Active` (or `Error`).
    Resetting,
    /// Being deleted, phase `Deleting`; next gone.
    Deleting,
}

/// A job: pool create, scale, delete or sync.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SimJob {
    /// Job id.
    pub uid: String,
    /// `CreateNodePool`, `ScaleNodePool`, `DeleteNodePool`, `UpgradeNodePool`.
    pub job_type: String,
    /// Cluster id.
    pub cluster_id: String,
    /// Pool id.
    pub pool_id: String,
    /// Pool name.
    pub pool_name: String,
    /// Simulated creation time.
    pub created_at: f64,
    /// Simulated time of the last change.
    pub updated_at: f64,
    /// `Initializing`, `Running`, `Success`, `Failed`.
    pub phase: String,
    /// Why it failed.
    pub reason: String,
    /// While `Initializing`: when it starts running.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_at: Option<f64>,
    /// Sync: nodes reset at once.
    pub max_unavailable: usize,
    /// Sync: nodes not started yet, in order.
    pub queue: VecDeque<String>,
    /// One per node.
    pub sub_jobs: Vec<SimSubJob>,
    /// Sync: the login and scripts the nodes are reset with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reset: Option<ResetWith>,
    /// Node reset: what each node of no pool is reset with.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub node_resets: BTreeMap<String, ResetWith>,
    /// ShowJob answers 404 this many more times (real CCE may not show a
    /// job right after the request that started it).
    #[serde(skip_serializing_if = "is_zero")]
    pub hidden_reads: u32,
    /// Accepted but held unstarted by the `hold_jobs_after` fault knob.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub held: bool,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl SimJob {
    pub(super) fn is_done(&self) -> bool {
        matches!(self.phase.as_str(), "Success" | "Failed")
    }
}

/// The part of a job about one node.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SimSubJob {
    /// Sub-job id.
    pub uid: String,
    /// `ResetNode`, `CreateNode`, `DeleteNode`.
    pub job_type: String,
    /// Node id.
    pub node_id: String,
    /// Node name.
    pub node_name: String,
    /// `Initializing`, `Running`, `Success`, `Failed`.
    pub phase: String,
    /// Why it failed.
    pub reason: String,
}

/// The highest numbers of simultaneously unavailable nodes seen in a cluster.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClusterPeaks {
    /// Across the whole cluster.
    pub cluster: usize,
    /// Per pool id.
    pub pools: BTreeMap<String, usize>,
}

/// A mutating request as the simulator received it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LoggedRequest {
    /// HTTP method.
    pub method: String,
    /// Path and query.
    pub path: String,
    /// The status answered.
    pub status: u16,
    /// The JSON body, every password replaced by `<redacted>`; a body that is
    /// not JSON is kept as a string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// Simulated time of arrival.
    pub time: f64,
    /// The same as a timestamp.
    pub timestamp: String,
    /// The `X-Request-Id` answered.
    pub request_id: String,
    /// Keys of the body its model does not have (paths such as
    /// `spec.nodeTemplate.rootVolume`): the service ignored them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignored: Vec<String>,
}

/// What a reset installs besides what the node's pool says: the login and
/// scripts of a sync body, or the spec of a node reset request for a node of
/// no pool.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ResetWith {
    /// Operating system.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    /// Container runtime.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime: Option<api::Runtime>,
    /// Login (never with a password).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login: Option<api::Login>,
    /// Scripts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub life_cycle: Option<api::NodeLifecycleConfig>,
}
