//! The simulator's world and its rules: clusters of node pools of nodes,
//! jobs, the simulated clock, and what the simulator records (peaks of
//! unavailable nodes, the log of mutating requests).
//!
//! Everything here is plain data plus synchronous rules, so that the HTTP
//! layer only parses requests and renders answers. Time moves only through
//! [`SimState::advance_to`], which replays every scheduled event in order at
//! its own simulated instant. Because each event is applied (and the peaks
//! recorded) one at a time, the recorded peaks are exact however rarely the
//! clock is advanced.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{Faults, SimError};
use crate::live::convert::{MAX_PODS_KEY, POST_INSTALL_KEY, PRE_INSTALL_KEY};
use crate::live::wire;

/// The uid (and name) of a cluster's DefaultPool, as the sync API names it.
pub const DEFAULT_POOL_ID: &str = "DefaultPool";
/// The system label CCE adds to every pool template.
pub const POOL_NAME_LABEL: &str = "cce.cloud.com/cce-nodepool";
/// Simulated time 0 is 2026-01-01T00:00:00Z, so that seeded states render
/// the same timestamps on every run.
const EPOCH_UNIX_SECONDS: i64 = 1_767_225_600;
/// The most characters the two install scripts may take after base64.
const MAX_SCRIPTS_LEN: usize = 10_240;
/// The `extendParam` keys of UpdateNodePool's `NodeSpecUpdate`.
const UPDATABLE_EXTEND_PARAMS: &[&str] = &[
    "agency_name",
    PRE_INSTALL_KEY,
    POST_INSTALL_KEY,
    "spotPrice",
    "securityReinforcementType",
    "alpha.cce/NodeImageID",
];
/// The most nodes a pool may ask for; CCE's largest cluster scale.
const MAX_POOL_NODES: u32 = 2_000;

fn validate_node_count(count: u32) -> Result<(), ApiError> {
    if count > MAX_POOL_NODES {
        return Err(ApiError {
            status: 400,
            code: "CCE.01400014",
            message: format!(
                "initialNodeCount {count} is more nodes than the cluster scale allows ({MAX_POOL_NODES})"
            ),
        });
    }
    Ok(())
}

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
    pub pool: wire::NodePool,
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

    fn unavailable(&self) -> usize {
        self.nodes.iter().filter(|n| !n.is_available()).count()
    }
}

/// A node and what is happening to it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SimNode {
    /// The node as CCE shows it.
    pub node: wire::Node,
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

    fn status_mut(&mut self) -> &mut wire::NodeStatus {
        self.node.status.get_or_insert_with(Default::default)
    }

    fn set_phase(&mut self, phase: &str, timestamp: &str) {
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
    pub target: Option<Box<wire::NodeTemplate>>,
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
    pub reset: Option<wire::UpgradeNodeTemplate>,
    /// Accepted but held unstarted by the `hold_jobs_after` fault knob.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub held: bool,
}

impl SimJob {
    fn is_done(&self) -> bool {
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
}

/// A change made "from outside" poolform: the console, another tool, CCE
/// itself. Applied with `SimHandle::outside_change` or
/// `POST /_sim/outside-change`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OutsideChange {
    /// A JSON merge patch (RFC 7386) applied to a pool as the API shows it,
    /// e.g. `{"spec":{"nodeTemplate":{"os":"EulerOS 2.9"}}}`. Node
    /// staleness follows the new template.
    Pool {
        /// Cluster id.
        cluster_id: String,
        /// Pool id.
        pool_id: String,
        /// The merge patch.
        patch: Value,
    },
    /// A JSON merge patch applied to a node as the API shows it, e.g.
    /// `{"status":{"phase":"Abnormal"}}`.
    Node {
        /// Cluster id.
        cluster_id: String,
        /// Node id.
        node_id: String,
        /// The merge patch.
        patch: Value,
    },
    /// The node disappears.
    DeleteNode {
        /// Cluster id.
        cluster_id: String,
        /// Node id.
        node_id: String,
    },
}

/// How long things take, in simulated seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Timing {
    /// Node creation, Build then Installing (half each).
    pub create: f64,
    /// A node reset.
    pub reset: f64,
    /// A node deletion.
    pub delete: f64,
    /// A sync job stays `Initializing` this long.
    pub job_start: f64,
}

/// What an API call did wrong, rendered as a CCE error body by the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: 400,
            code: "CCE.01400001",
            message: message.into(),
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self {
            status: 404,
            code: "CCE.01404001",
            message: message.into(),
        }
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self {
            status: 409,
            code: "CCE.01409001",
            message: message.into(),
        }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self {
            status: 403,
            code: "CCE.01403001",
            message: message.into(),
        }
    }
}

/// A timestamp in the form CCE uses (Go's `time.String()`).
pub fn timestamp(now: f64) -> String {
    let nanos = (now.max(0.0) * 1e9) as i64;
    let at = chrono::DateTime::from_timestamp(EPOCH_UNIX_SECONDS, 0)
        .unwrap_or_default()
        .checked_add_signed(chrono::Duration::nanoseconds(nanos))
        .unwrap_or_default();
    at.format("%Y-%m-%d %H:%M:%S%.9f +0000 UTC").to_string()
}

fn value_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The fields of a node that only a reset changes, normalised for comparing
/// a node with its pool's template. Labels, taints and tags are left out:
/// CCE pushes those to existing nodes itself.
#[derive(Debug, PartialEq)]
struct ResetOnly {
    os: Option<String>,
    runtime: Option<wire::Runtime>,
    ssh_key: Option<String>,
    username: Option<String>,
    root_volume: Option<wire::Volume>,
    data_volumes: Vec<wire::Volume>,
    pre_install: Option<String>,
    post_install: Option<String>,
    max_pods: Option<String>,
}

impl ResetOnly {
    fn of(spec: &wire::NodeTemplate) -> Self {
        let param = |key: &str| {
            spec.extend_param
                .as_ref()
                .and_then(|p| p.get(key))
                .map(value_text)
                .filter(|v| !v.is_empty())
        };
        let login = spec.login.clone().unwrap_or_default();
        Self {
            os: spec.os.clone(),
            runtime: spec.runtime.clone(),
            ssh_key: login.ssh_key,
            username: login.user_password.map(|u| u.username.unwrap_or_default()),
            root_volume: spec.root_volume.clone(),
            data_volumes: spec.data_volumes.clone().unwrap_or_default(),
            pre_install: param(PRE_INSTALL_KEY),
            post_install: param(POST_INSTALL_KEY),
            max_pods: param(MAX_PODS_KEY),
        }
    }
}

fn reset_fields_match(template: &wire::NodeTemplate, spec: &wire::NodeTemplate) -> bool {
    ResetOnly::of(template) == ResetOnly::of(spec)
}

/// A login with every password removed: the simulator never keeps one.
fn login_without_password(login: &wire::Login) -> wire::Login {
    wire::Login {
        ssh_key: login.ssh_key.clone(),
        user_password: login.user_password.as_ref().map(|u| wire::UserPassword {
            username: Some(u.username.clone().unwrap_or_else(|| "root".to_owned())),
            password: String::new(),
        }),
        remove_user_password: None,
        remove_ssh_key: None,
    }
}

fn strip_template_secrets(template: &mut wire::NodeTemplate) {
    if let Some(login) = &template.login {
        template.login = Some(login_without_password(login));
    }
    if let Some(params) = &mut template.extend_param {
        params.retain(|key, _| !key.to_ascii_lowercase().contains("password"));
    }
}

/// What a node created from (or reset to) a template looks like: the
/// template without the pool-level parts CCE does not report on nodes.
fn node_spec_from_template(
    template: &wire::NodeTemplate,
    az: Option<String>,
) -> wire::NodeTemplate {
    let mut spec = template.clone();
    spec.az = az.or(spec.az);
    spec.count = None;
    spec.taints = None;
    spec.k8s_tags = None;
    spec.user_tags = None;
    strip_template_secrets(&mut spec);
    spec
}

fn validate_pool_name(name: &str) -> Result<(), ApiError> {
    let bytes = name.as_bytes();
    let valid = (1..=50).contains(&name.len())
        && bytes[0].is_ascii_lowercase()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && !name.ends_with('-');
    if !valid {
        return Err(ApiError::bad_request(format!(
            "invalid node pool name {name:?}: 1-50 characters matching ^[a-z][a-z0-9-]*[^-]$"
        )));
    }
    if name == DEFAULT_POOL_ID {
        return Err(ApiError::bad_request("the name DefaultPool is reserved"));
    }
    Ok(())
}

fn validate_scripts(params: Option<&BTreeMap<String, Value>>) -> Result<(), ApiError> {
    let len = |key: &str| {
        params
            .and_then(|p| p.get(key))
            .map(|v| value_text(v).len())
            .unwrap_or(0)
    };
    let total = len(PRE_INSTALL_KEY) + len(POST_INSTALL_KEY);
    if total > MAX_SCRIPTS_LEN {
        return Err(ApiError::bad_request(format!(
            "pre- and post-install scripts take {total} characters after base64; at most {MAX_SCRIPTS_LEN} are allowed"
        )));
    }
    Ok(())
}

/// JSON merge patch (RFC 7386).
fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch_map) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(serde_json::Map::new());
    }
    if let Value::Object(target_map) = target {
        for (key, value) in patch_map {
            if value.is_null() {
                target_map.remove(key);
            } else {
                merge_patch(target_map.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
    }
}

/// The availability zones a pool's nodes are spread over: the template's
/// `az`, or several separated by commas (a simulator convenience for seeding
/// multi-AZ pools).
fn zones_of(template: &wire::NodeTemplate) -> Vec<String> {
    let zones: Vec<String> = template
        .az
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|z| !z.is_empty())
        .map(str::to_owned)
        .collect();
    if zones.is_empty() {
        vec!["sim-az-1".to_owned()]
    } else {
        zones
    }
}

enum Event {
    Node {
        cluster: String,
        pool: String,
        node: String,
    },
    JobStart {
        job: String,
    },
}

impl SimState {
    /// An empty world at simulated time 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads a state saved by [`SimState::save`] (or the simulator).
    pub fn load(path: impl AsRef<Path>) -> Result<Self, SimError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| SimError::Io {
            path: path.to_owned(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|source| SimError::StateFormat {
            path: path.to_owned(),
            source,
        })
    }

    /// Writes the state as pretty JSON, atomically (a temporary file renamed
    /// over the target), so a reader never sees half a file.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), SimError> {
        let path = path.as_ref();
        let io_error = |source| SimError::Io {
            path: path.to_owned(),
            source,
        };
        let text = serde_json::to_string_pretty(self).map_err(|source| SimError::StateFormat {
            path: path.to_owned(),
            source,
        })?;
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(io_error)?;
        }
        let mut temp = path.as_os_str().to_owned();
        temp.push(".tmp");
        std::fs::write(&temp, text).map_err(io_error)?;
        std::fs::rename(&temp, path).map_err(io_error)
    }

    fn next_id(&mut self, kind: &str) -> String {
        self.next_serial += 1;
        let digest = Sha256::digest(format!("poolform-sim/{kind}/{}", self.next_serial));
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .to_string()
    }

    /// Adds an empty cluster (nothing happens if it exists).
    pub fn add_cluster(&mut self, cluster_id: &str) {
        self.clusters.entry(cluster_id.to_owned()).or_default();
        self.peaks.entry(cluster_id.to_owned()).or_default();
    }

    /// Adds a pool with `nodes` Active, up-to-date nodes built from its
    /// template, spread round-robin over its availability zones (a comma
    /// separated `az` gives several). The pool's uid is assigned when empty,
    /// `initialNodeCount` when absent; the cluster is added when missing.
    /// Returns the pool uid.
    pub fn add_pool(&mut self, cluster_id: &str, mut pool: wire::NodePool, nodes: usize) -> String {
        self.add_cluster(cluster_id);
        let uid = match pool.metadata.uid.clone().filter(|u| !u.is_empty()) {
            Some(uid) => uid,
            None => self.next_id("pool"),
        };
        let at = timestamp(self.now);
        pool.kind = "NodePool".to_owned();
        pool.api_version = "v3".to_owned();
        pool.metadata.uid = Some(uid.clone());
        pool.metadata
            .creation_timestamp
            .get_or_insert_with(|| at.clone());
        pool.metadata
            .update_timestamp
            .get_or_insert_with(|| at.clone());
        pool.spec.pool_type.get_or_insert_with(|| "vm".to_owned());
        pool.spec
            .initial_node_count
            .get_or_insert(u32::try_from(nodes).unwrap_or(u32::MAX));
        strip_template_secrets(&mut pool.spec.node_template);
        let name = pool.metadata.name.clone();
        pool.spec
            .node_template
            .k8s_tags
            .get_or_insert_with(BTreeMap::new)
            .insert(POOL_NAME_LABEL.to_owned(), name);
        let zones = zones_of(&pool.spec.node_template);
        let template = pool.spec.node_template.clone();
        let mut sim_pool = SimPool {
            pool,
            ..SimPool::default()
        };
        for index in 0..nodes {
            let az = zones[index % zones.len()].clone();
            let node = self.new_node(&sim_pool, &template, az, "Active");
            sim_pool.nodes.push(node);
        }
        if let Some(cluster) = self.clusters.get_mut(cluster_id) {
            cluster.pools.push(sim_pool);
        }
        self.refresh(cluster_id);
        uid
    }

    /// Adds `count` Active nodes to the cluster's DefaultPool (created when
    /// missing), with `spec` as their spec and spread over its zones like
    /// [`SimState::add_pool`]. Returns the node ids.
    pub fn add_default_nodes(
        &mut self,
        cluster_id: &str,
        spec: wire::NodeTemplate,
        count: usize,
    ) -> Vec<String> {
        self.add_cluster(cluster_id);
        let exists = self
            .clusters
            .get(cluster_id)
            .is_some_and(|c| c.pools.iter().any(SimPool::is_default));
        if !exists {
            let at = timestamp(self.now);
            let pool = wire::NodePool {
                kind: "NodePool".to_owned(),
                api_version: "v3".to_owned(),
                metadata: wire::NodePoolMetadata {
                    name: DEFAULT_POOL_ID.to_owned(),
                    uid: Some(DEFAULT_POOL_ID.to_owned()),
                    creation_timestamp: Some(at.clone()),
                    update_timestamp: Some(at),
                    ..Default::default()
                },
                spec: wire::NodePoolSpec {
                    pool_type: Some("vm".to_owned()),
                    initial_node_count: Some(0),
                    ..Default::default()
                },
                status: None,
            };
            if let Some(cluster) = self.clusters.get_mut(cluster_id) {
                cluster.pools.insert(
                    0,
                    SimPool {
                        pool,
                        ..SimPool::default()
                    },
                );
            }
        }
        let zones = zones_of(&spec);
        let mut ids = Vec::with_capacity(count);
        for index in 0..count {
            let Some(pool) = self.pool_state(cluster_id, DEFAULT_POOL_ID).cloned() else {
                break;
            };
            let node = self.new_node(&pool, &spec, zones[index % zones.len()].clone(), "Active");
            ids.push(node.uid().to_owned());
            if let Some(pool) = self.pool_state_mut(cluster_id, DEFAULT_POOL_ID) {
                pool.nodes.push(node);
                let total = pool.nodes.len();
                pool.pool.spec.initial_node_count = Some(u32::try_from(total).unwrap_or(u32::MAX));
            }
        }
        self.refresh(cluster_id);
        ids
    }

    fn new_node(
        &mut self,
        pool: &SimPool,
        template: &wire::NodeTemplate,
        az: String,
        phase: &str,
    ) -> SimNode {
        let uid = self.next_id("node");
        let server_id = self.next_id("server");
        let serial = self.next_serial;
        let at = timestamp(self.now);
        let spec = node_spec_from_template(template, Some(az.clone()));
        let (name, annotation) = if pool.is_default() {
            let annotation = format!(
                "{az}#{}#{}",
                spec.flavor.as_deref().unwrap_or_default(),
                spec.os.as_deref().unwrap_or_default()
            );
            (format!("node-{}", &uid[..5]), annotation)
        } else {
            (
                format!("{}-{}", pool.pool.metadata.name, &uid[..5]),
                pool.uid().to_owned(),
            )
        };
        SimNode {
            node: wire::Node {
                kind: "Node".to_owned(),
                api_version: "v3".to_owned(),
                metadata: wire::NodeMetadata {
                    name,
                    uid,
                    annotations: Some(BTreeMap::from([(
                        wire::NODE_POOL_ANNOTATION.to_owned(),
                        annotation,
                    )])),
                    creation_timestamp: Some(at.clone()),
                    update_timestamp: Some(at),
                    owner_references: Some(wire::OwnerReferences {
                        nodepool_name: Some(pool.pool.metadata.name.clone()),
                        nodepool_id: Some(pool.uid().to_owned()),
                    }),
                },
                spec,
                status: Some(wire::NodeStatus {
                    phase: phase.to_owned(),
                    job_id: None,
                    server_id: Some(server_id),
                    private_ip: Some(format!(
                        "192.168.{}.{}",
                        (serial / 250) % 250,
                        serial % 250 + 2
                    )),
                    configuration_up_to_date: Some(true),
                }),
            },
            progress: None,
        }
    }

    fn pool_state(&self, cluster_id: &str, pool_id: &str) -> Option<&SimPool> {
        self.clusters
            .get(cluster_id)?
            .pools
            .iter()
            .find(|p| p.uid() == pool_id)
    }

    fn pool_state_mut(&mut self, cluster_id: &str, pool_id: &str) -> Option<&mut SimPool> {
        self.clusters
            .get_mut(cluster_id)?
            .pools
            .iter_mut()
            .find(|p| p.uid() == pool_id)
    }

    /// A pool as the API shows it.
    pub fn pool(&self, cluster_id: &str, pool_id: &str) -> Option<&wire::NodePool> {
        self.pool_state(cluster_id, pool_id).map(|p| &p.pool)
    }

    /// Mutable access to a pool, for seeding (e.g. a template the nodes do
    /// not match yet). Its status and its nodes' `configurationUpToDate` are
    /// not recomputed until [`SimState::recompute_up_to_date`] or the next
    /// change.
    pub fn pool_mut(&mut self, cluster_id: &str, pool_id: &str) -> Option<&mut wire::NodePool> {
        self.pool_state_mut(cluster_id, pool_id)
            .map(|p| &mut p.pool)
    }

    /// The pools of a cluster, DefaultPool included, in creation order.
    pub fn pools(&self, cluster_id: &str) -> Vec<&wire::NodePool> {
        self.clusters
            .get(cluster_id)
            .map(|c| c.pools.iter().map(|p| &p.pool).collect())
            .unwrap_or_default()
    }

    /// The nodes of a cluster, ordered by id (the order ListNodes pages in).
    pub fn nodes(&self, cluster_id: &str) -> Vec<&wire::Node> {
        let mut nodes: Vec<&wire::Node> = self
            .clusters
            .get(cluster_id)
            .map(|c| {
                c.pools
                    .iter()
                    .flat_map(|p| p.nodes.iter().map(|n| &n.node))
                    .collect()
            })
            .unwrap_or_default();
        nodes.sort_by(|a, b| a.metadata.uid.cmp(&b.metadata.uid));
        nodes
    }

    /// The nodes of one pool, in creation order.
    pub fn pool_nodes(&self, cluster_id: &str, pool_id: &str) -> Vec<&wire::Node> {
        self.pool_state(cluster_id, pool_id)
            .map(|p| p.nodes.iter().map(|n| &n.node).collect())
            .unwrap_or_default()
    }

    /// One node.
    pub fn node(&self, cluster_id: &str, node_id: &str) -> Option<&wire::Node> {
        self.clusters
            .get(cluster_id)?
            .pools
            .iter()
            .flat_map(|p| p.nodes.iter())
            .find(|n| n.uid() == node_id)
            .map(|n| &n.node)
    }

    /// Mutable access to a node, for seeding (e.g. an older os).
    pub fn node_mut(&mut self, cluster_id: &str, node_id: &str) -> Option<&mut wire::Node> {
        self.clusters
            .get_mut(cluster_id)?
            .pools
            .iter_mut()
            .flat_map(|p| p.nodes.iter_mut())
            .find(|n| n.uid() == node_id)
            .map(|n| &mut n.node)
    }

    /// Recomputes `configurationUpToDate` of a pool's idle nodes from its
    /// template, after seeding changes made through `pool_mut`/`node_mut`.
    pub fn recompute_up_to_date(&mut self, cluster_id: &str, pool_id: &str) {
        if let Some(pool) = self.pool_state_mut(cluster_id, pool_id) {
            mark_staleness(pool);
        }
        self.refresh(cluster_id);
    }

    /// The highest number of simultaneously unavailable nodes ever seen in
    /// a pool (0 for an unknown pool).
    pub fn peak_unavailable(&self, pool_id: &str) -> usize {
        self.peaks
            .values()
            .filter_map(|c| c.pools.get(pool_id))
            .copied()
            .max()
            .unwrap_or(0)
    }

    /// The highest number of simultaneously unavailable nodes ever seen in
    /// a cluster.
    pub fn cluster_peak_unavailable(&self, cluster_id: &str) -> usize {
        self.peaks.get(cluster_id).map(|p| p.cluster).unwrap_or(0)
    }

    /// Forgets the recorded peaks and starts recording afresh from what is
    /// unavailable now (e.g. after seeding, before the operation under test).
    pub fn reset_peaks(&mut self) {
        self.peaks.clear();
        let clusters: Vec<String> = self.clusters.keys().cloned().collect();
        for cluster in clusters {
            self.record_peaks(&cluster);
        }
    }

    /// A job as ShowJob shows it.
    pub fn job_view(&self, job_id: &str) -> Option<wire::Job> {
        let job = self.jobs.get(job_id)?;
        let sub_jobs = job
            .sub_jobs
            .iter()
            .map(|sub| wire::Job {
                kind: "Job".to_owned(),
                api_version: "v3".to_owned(),
                metadata: wire::JobMetadata {
                    uid: sub.uid.clone(),
                    creation_timestamp: Some(timestamp(job.created_at)),
                    update_timestamp: Some(timestamp(job.updated_at)),
                },
                spec: wire::JobSpec {
                    job_type: sub.job_type.clone(),
                    cluster_uid: job.cluster_id.clone(),
                    resource_id: sub.node_id.clone(),
                    resource_name: sub.node_name.clone(),
                    extend_param: None,
                    sub_jobs: Vec::new(),
                },
                status: wire::JobStatus {
                    phase: sub.phase.clone(),
                    reason: sub.reason.clone(),
                },
            })
            .collect();
        Some(wire::Job {
            kind: "Job".to_owned(),
            api_version: "v3".to_owned(),
            metadata: wire::JobMetadata {
                uid: job.uid.clone(),
                creation_timestamp: Some(timestamp(job.created_at)),
                update_timestamp: Some(timestamp(job.updated_at)),
            },
            spec: wire::JobSpec {
                job_type: job.job_type.clone(),
                cluster_uid: job.cluster_id.clone(),
                resource_id: job.pool_id.clone(),
                resource_name: job.pool_name.clone(),
                extend_param: None,
                sub_jobs,
            },
            status: wire::JobStatus {
                phase: job.phase.clone(),
                reason: job.reason.clone(),
            },
        })
    }

    // ---------------------------------------------------------------------
    // Time.

    /// Moves the clock to `target`, applying every event due on the way at
    /// its own instant, in order.
    pub(crate) fn advance_to(&mut self, target: f64, timing: &Timing, faults: &Faults) -> bool {
        let mut touched = BTreeSet::new();
        while let Some((at, event)) = self.next_event(target) {
            self.now = self.now.max(at);
            match event {
                Event::Node {
                    cluster,
                    pool,
                    node,
                } => {
                    self.step_node(&cluster, &pool, &node, timing, faults);
                    touched.insert(cluster);
                }
                Event::JobStart { job } => {
                    self.start_job(&job, timing, faults);
                    if let Some(job) = self.jobs.get(&job) {
                        touched.insert(job.cluster_id.clone());
                    }
                }
            }
        }
        self.now = self.now.max(target);
        for cluster in &touched {
            self.refresh(cluster);
        }
        !touched.is_empty()
    }

    fn next_event(&self, limit: f64) -> Option<(f64, Event)> {
        let mut best: Option<(f64, Event)> = None;
        for (cluster_id, cluster) in &self.clusters {
            for pool in &cluster.pools {
                for node in &pool.nodes {
                    let Some(at) = node.progress.as_ref().and_then(|p| p.next_at) else {
                        continue;
                    };
                    if at <= limit && best.as_ref().is_none_or(|(b, _)| at < *b) {
                        best = Some((
                            at,
                            Event::Node {
                                cluster: cluster_id.clone(),
                                pool: pool.uid().to_owned(),
                                node: node.uid().to_owned(),
                            },
                        ));
                    }
                }
            }
        }
        // Node steps come before job starts at the same instant: a node that
        // finishes frees its place before the next one takes it.
        for job in self.jobs.values() {
            let Some(at) = job.start_at else { continue };
            if at <= limit && best.as_ref().is_none_or(|(b, _)| at < *b) {
                best = Some((
                    at,
                    Event::JobStart {
                        job: job.uid.clone(),
                    },
                ));
            }
        }
        best
    }

    fn step_node(
        &mut self,
        cluster_id: &str,
        pool_id: &str,
        node_id: &str,
        timing: &Timing,
        faults: &Faults,
    ) {
        let now = self.now;
        let at = timestamp(now);
        let Some(pool) = self.pool_state_mut(cluster_id, pool_id) else {
            return;
        };
        let template = pool.pool.spec.node_template.clone();
        let is_default = pool.is_default();
        let Some(index) = pool.nodes.iter().position(|n| n.uid() == node_id) else {
            return;
        };
        let node = &mut pool.nodes[index];
        let Some(progress) = node.progress.take() else {
            return;
        };
        // (job, success, reason) once the node's operation is over.
        let mut finished: Option<(bool, String)> = None;
        let mut remove_pool = false;
        match progress.kind {
            ProgressKind::Building => {
                node.set_phase("Installing", &at);
                node.progress = Some(Progress {
                    kind: ProgressKind::Installing,
                    next_at: Some(now + timing.create / 2.0),
                    ..progress.clone()
                });
            }
            ProgressKind::Installing => {
                node.set_phase("Active", &at);
                let up_to_date = is_default || reset_fields_match(&template, &node.node.spec);
                node.status_mut().configuration_up_to_date = Some(up_to_date);
                finished = Some((true, String::new()));
            }
            ProgressKind::Resetting if progress.fails => {
                node.set_phase("Error", &at);
                finished = Some((
                    false,
                    format!(
                        "reset of node {} failed (simulated fault)",
                        node.node.metadata.name
                    ),
                ));
            }
            ProgressKind::Resetting => {
                if let Some(target) = &progress.target {
                    node.node.spec = (**target).clone();
                }
                node.set_phase("Active", &at);
                let up_to_date = is_default || reset_fields_match(&template, &node.node.spec);
                node.status_mut().configuration_up_to_date = Some(up_to_date);
                finished = Some((true, String::new()));
            }
            ProgressKind::Deleting => {
                pool.nodes.remove(index);
                remove_pool = pool.deleting && pool.nodes.is_empty();
                finished = Some((true, String::new()));
            }
        }
        if remove_pool && let Some(cluster) = self.clusters.get_mut(cluster_id) {
            cluster.pools.retain(|p| p.uid() != pool_id);
        }
        if let (Some((success, reason)), Some(job_id)) = (finished, progress.job_id.as_deref()) {
            self.finish_sub_job(job_id, node_id, success, reason, timing, faults);
        }
        // Peaks after every event; the pool statuses, which only a reader
        // sees, once the clock has arrived (see `advance_to`).
        self.record_peaks(cluster_id);
    }

    fn finish_sub_job(
        &mut self,
        job_id: &str,
        node_id: &str,
        success: bool,
        reason: String,
        timing: &Timing,
        faults: &Faults,
    ) {
        let now = self.now;
        let Some(job) = self.jobs.get_mut(job_id) else {
            return;
        };
        if let Some(sub) = job
            .sub_jobs
            .iter_mut()
            .find(|s| s.node_id == node_id && s.phase == "Running")
        {
            sub.phase = if success { "Success" } else { "Failed" }.to_owned();
            sub.reason = reason;
        }
        job.updated_at = now;
        self.fill_sync_slots(job_id, timing, faults);
        self.complete_job_if_done(job_id);
    }

    fn complete_job_if_done(&mut self, job_id: &str) {
        let now = self.now;
        let Some(job) = self.jobs.get_mut(job_id) else {
            return;
        };
        if job.is_done() || job.start_at.is_some() || !job.queue.is_empty() {
            return;
        }
        if job
            .sub_jobs
            .iter()
            .any(|s| matches!(s.phase.as_str(), "Initializing" | "Running"))
        {
            return;
        }
        let failed: Vec<&str> = job
            .sub_jobs
            .iter()
            .filter(|s| s.phase == "Failed")
            .map(|s| s.node_name.as_str())
            .collect();
        if failed.is_empty() {
            job.phase = "Success".to_owned();
        } else {
            job.phase = "Failed".to_owned();
            job.reason = format!("failed on nodes: {}", failed.join(", "));
        }
        job.updated_at = now;
        let (cluster_id, pool_id) = (job.cluster_id.clone(), job.pool_id.clone());
        if let Some(pool) = self.pool_state_mut(&cluster_id, &pool_id)
            && pool.job_id.as_deref() == Some(job_id)
        {
            pool.job_id = None;
        }
    }

    fn start_job(&mut self, job_id: &str, timing: &Timing, faults: &Faults) {
        let now = self.now;
        let Some(job) = self.jobs.get_mut(job_id) else {
            return;
        };
        job.start_at = None;
        job.phase = "Running".to_owned();
        job.updated_at = now;
        let cluster_id = job.cluster_id.clone();
        self.fill_sync_slots(job_id, timing, faults);
        self.complete_job_if_done(job_id);
        self.record_peaks(&cluster_id);
    }

    /// Starts queued resets of a running sync job while fewer than
    /// `maxUnavailable` of its nodes are being reset.
    fn fill_sync_slots(&mut self, job_id: &str, timing: &Timing, faults: &Faults) {
        let now = self.now;
        let at = timestamp(now);
        loop {
            let Some(job) = self.jobs.get_mut(job_id) else {
                return;
            };
            if job.phase != "Running" {
                return;
            }
            let running = job.sub_jobs.iter().filter(|s| s.phase == "Running").count();
            if running >= job.max_unavailable {
                return;
            }
            let Some(node_id) = job.queue.pop_front() else {
                return;
            };
            let reset = job.reset.clone();
            let (cluster_id, pool_id) = (job.cluster_id.clone(), job.pool_id.clone());
            let started = match self.pool_state_mut(&cluster_id, &pool_id) {
                None => Err("the node pool no longer exists".to_owned()),
                Some(pool) => {
                    let template = pool.pool.spec.node_template.clone();
                    let is_default = pool.is_default();
                    match pool.nodes.iter_mut().find(|n| n.uid() == node_id) {
                        None => Err("the node no longer exists".to_owned()),
                        Some(node) if node.progress.is_some() => {
                            Err("the node is busy with another operation".to_owned())
                        }
                        Some(node) => {
                            let base = if is_default {
                                node.node.spec.clone()
                            } else {
                                node_spec_from_template(&template, node.node.spec.az.clone())
                            };
                            let target = reset_target(base, &template, reset.as_ref());
                            let selected = |set: &BTreeSet<String>| {
                                set.contains(&node.node.metadata.uid)
                                    || set.contains(&node.node.metadata.name)
                            };
                            let stuck = selected(&faults.stuck_nodes);
                            let fails = selected(&faults.fail_reset_nodes);
                            node.set_phase("Installing", &at);
                            node.progress = Some(Progress {
                                kind: ProgressKind::Resetting,
                                next_at: (!stuck).then_some(now + timing.reset),
                                job_id: Some(job_id.to_owned()),
                                fails,
                                target: Some(Box::new(target)),
                            });
                            Ok(())
                        }
                    }
                }
            };
            if let Some(job) = self.jobs.get_mut(job_id)
                && let Some(sub) = job
                    .sub_jobs
                    .iter_mut()
                    .find(|s| s.node_id == node_id && s.phase == "Initializing")
            {
                match started {
                    Ok(()) => sub.phase = "Running".to_owned(),
                    Err(reason) => {
                        sub.phase = "Failed".to_owned();
                        sub.reason = reason;
                    }
                }
            }
            self.record_peaks(&cluster_id);
        }
    }

    // ---------------------------------------------------------------------
    // Records.

    fn record_peaks(&mut self, cluster_id: &str) {
        let Some(cluster) = self.clusters.get(cluster_id) else {
            return;
        };
        let per_pool: Vec<(String, usize)> = cluster
            .pools
            .iter()
            .map(|p| (p.uid().to_owned(), p.unavailable()))
            .collect();
        let total: usize = per_pool.iter().map(|(_, n)| n).sum();
        let peaks = self.peaks.entry(cluster_id.to_owned()).or_default();
        peaks.cluster = peaks.cluster.max(total);
        for (pool_id, count) in per_pool {
            let peak = peaks.pools.entry(pool_id).or_default();
            *peak = (*peak).max(count);
        }
    }

    /// Recomputes every pool status of a cluster and records the peaks.
    pub(crate) fn refresh(&mut self, cluster_id: &str) {
        let running_syncs: BTreeSet<String> = self
            .jobs
            .values()
            .filter(|j| {
                j.cluster_id == cluster_id && j.job_type == "UpgradeNodePool" && !j.is_done()
            })
            .map(|j| j.pool_id.clone())
            .collect();
        let job_done: BTreeSet<String> = self
            .jobs
            .values()
            .filter(|j| j.is_done())
            .map(|j| j.uid.clone())
            .collect();
        let Some(cluster) = self.clusters.get_mut(cluster_id) else {
            return;
        };
        for pool in &mut cluster.pools {
            if pool.job_id.as_ref().is_some_and(|j| job_done.contains(j)) {
                pool.job_id = None;
            }
            let count = |f: &dyn Fn(&SimNode) -> bool| {
                u32::try_from(pool.nodes.iter().filter(|n| f(n)).count()).unwrap_or(u32::MAX)
            };
            let creating = count(&|n| {
                matches!(
                    n.progress.as_ref().map(|p| p.kind),
                    Some(ProgressKind::Building | ProgressKind::Installing)
                )
            });
            let deleting = count(&|n| n.phase() == "Deleting");
            let mut conditions = vec![wire::Condition {
                condition_type: "Scalable".to_owned(),
                status: "True".to_owned(),
                reason: String::new(),
                message: String::new(),
            }];
            if running_syncs.contains(pool.uid()) {
                conditions.push(wire::Condition {
                    condition_type: "ConfigurationSynchronizing".to_owned(),
                    status: "True".to_owned(),
                    reason: String::new(),
                    message: "synchronizing the node pool configuration to existing nodes"
                        .to_owned(),
                });
            }
            let phase = if pool.deleting {
                "Deleting"
            } else if creating > 0 || deleting > 0 {
                "Synchronizing"
            } else {
                ""
            };
            pool.pool.status = Some(wire::NodePoolStatus {
                current_node: count(&|n| n.phase() != "Deleting"),
                creating_node: creating,
                deleting_node: deleting,
                active_node: count(&|n| n.phase() == "Active"),
                configuration_synced_node_count: count(&|n| {
                    n.node
                        .status
                        .as_ref()
                        .and_then(|s| s.configuration_up_to_date)
                        .unwrap_or(true)
                }),
                phase: phase.to_owned(),
                job_id: pool.job_id.clone(),
                conditions,
            });
        }
        self.record_peaks(cluster_id);
    }

    // ---------------------------------------------------------------------
    // API operations. Each validates first and changes nothing on error.

    fn cluster(&self, cluster_id: &str) -> Result<&SimCluster, ApiError> {
        self.clusters
            .get(cluster_id)
            .ok_or_else(|| ApiError::not_found(format!("cluster {cluster_id} not found")))
    }

    fn existing_pool(&self, cluster_id: &str, pool_id: &str) -> Result<&SimPool, ApiError> {
        self.cluster(cluster_id)?
            .pools
            .iter()
            .find(|p| p.uid() == pool_id)
            .ok_or_else(|| ApiError::not_found(format!("node pool {pool_id} not found")))
    }

    /// ListNodePools.
    pub(crate) fn list_pools(
        &self,
        cluster_id: &str,
        show_default: bool,
    ) -> Result<Vec<wire::NodePool>, ApiError> {
        Ok(self
            .cluster(cluster_id)?
            .pools
            .iter()
            .filter(|p| show_default || !p.is_default())
            .map(|p| p.pool.clone())
            .collect())
    }

    /// ShowNodePool.
    pub(crate) fn show_pool(
        &self,
        cluster_id: &str,
        pool_id: &str,
    ) -> Result<wire::NodePool, ApiError> {
        Ok(self.existing_pool(cluster_id, pool_id)?.pool.clone())
    }

    /// ListNodes, one page: nodes ordered by id, after `marker`.
    pub(crate) fn list_nodes(
        &self,
        cluster_id: &str,
        limit: usize,
        marker: Option<&str>,
    ) -> Result<wire::List<wire::Node>, ApiError> {
        self.cluster(cluster_id)?;
        let nodes: Vec<&wire::Node> = self
            .nodes(cluster_id)
            .into_iter()
            .filter(|n| marker.is_none_or(|m| n.metadata.uid.as_str() > m))
            .collect();
        let page: Vec<wire::Node> = nodes.iter().take(limit).map(|n| (*n).clone()).collect();
        let next_marker = (nodes.len() > page.len())
            .then(|| page.last().map(|n| n.metadata.uid.clone()))
            .flatten();
        Ok(wire::List {
            kind: "List".to_owned(),
            api_version: "v3".to_owned(),
            page_info: Some(wire::PageInfo {
                current_count: u32::try_from(page.len()).unwrap_or(u32::MAX),
                next_marker,
            }),
            items: page,
        })
    }

    /// ShowNode.
    pub(crate) fn show_node(
        &self,
        cluster_id: &str,
        node_id: &str,
    ) -> Result<wire::Node, ApiError> {
        self.cluster(cluster_id)?;
        self.node(cluster_id, node_id)
            .cloned()
            .ok_or_else(|| ApiError::not_found(format!("node {node_id} not found")))
    }

    /// ShowJob.
    pub(crate) fn show_job(&self, job_id: &str) -> Result<wire::Job, ApiError> {
        self.job_view(job_id)
            .ok_or_else(|| ApiError::not_found(format!("job {job_id} not found")))
    }

    fn new_job(
        &mut self,
        job_type: &str,
        sub_type: &str,
        cluster_id: &str,
        pool: (&str, &str),
        nodes: &[(String, String)],
    ) -> String {
        let uid = self.next_id("job");
        let mut sub_jobs = Vec::with_capacity(nodes.len());
        for (node_id, node_name) in nodes {
            sub_jobs.push(SimSubJob {
                uid: self.next_id("subjob"),
                job_type: sub_type.to_owned(),
                node_id: node_id.clone(),
                node_name: node_name.clone(),
                phase: "Running".to_owned(),
                reason: String::new(),
            });
        }
        let job = SimJob {
            uid: uid.clone(),
            job_type: job_type.to_owned(),
            cluster_id: cluster_id.to_owned(),
            pool_id: pool.0.to_owned(),
            pool_name: pool.1.to_owned(),
            created_at: self.now,
            updated_at: self.now,
            phase: "Running".to_owned(),
            sub_jobs,
            ..SimJob::default()
        };
        self.jobs.insert(uid.clone(), job);
        uid
    }

    /// Adds `count` nodes to a pool that pass Build → Installing → Active.
    fn create_nodes(
        &mut self,
        cluster_id: &str,
        pool_id: &str,
        count: usize,
        job_type: &str,
        timing: &Timing,
    ) {
        let Some(pool) = self.pool_state(cluster_id, pool_id).cloned() else {
            return;
        };
        let template = pool.pool.spec.node_template.clone();
        let zones = zones_of(&template);
        let offset = pool.nodes.len();
        let mut nodes = Vec::with_capacity(count);
        for index in 0..count {
            let az = zones[(offset + index) % zones.len()].clone();
            nodes.push(self.new_node(&pool, &template, az, "Build"));
        }
        let names: Vec<(String, String)> = nodes
            .iter()
            .map(|n| (n.uid().to_owned(), n.node.metadata.name.clone()))
            .collect();
        let job_id = self.new_job(
            job_type,
            "CreateNode",
            cluster_id,
            (pool_id, &pool.pool.metadata.name),
            &names,
        );
        let next_at = self.now + timing.create / 2.0;
        for node in &mut nodes {
            node.status_mut().job_id = Some(job_id.clone());
            node.progress = Some(Progress {
                kind: ProgressKind::Building,
                next_at: Some(next_at),
                job_id: Some(job_id.clone()),
                fails: false,
                target: None,
            });
        }
        if let Some(pool) = self.pool_state_mut(cluster_id, pool_id) {
            pool.nodes.extend(nodes);
            pool.job_id = Some(job_id.clone());
        }
        // A job with nothing to do is done at once.
        self.complete_job_if_done(&job_id);
    }

    /// Starts deleting the given nodes of a pool.
    fn delete_nodes(
        &mut self,
        cluster_id: &str,
        pool_id: &str,
        node_ids: &[String],
        job_type: &str,
        timing: &Timing,
        faults: &Faults,
    ) {
        let Some(pool) = self.pool_state(cluster_id, pool_id) else {
            return;
        };
        let pool_name = pool.pool.metadata.name.clone();
        let victims: Vec<(String, String, Option<String>)> = pool
            .nodes
            .iter()
            .filter(|n| node_ids.iter().any(|id| id == n.uid()))
            .map(|n| {
                (
                    n.uid().to_owned(),
                    n.node.metadata.name.clone(),
                    n.progress.as_ref().and_then(|p| p.job_id.clone()),
                )
            })
            .collect();
        // A node deleted in the middle of another operation fails that
        // operation's sub-job, as a reset of a vanished node would.
        for (node_id, _, job) in &victims {
            if let Some(job) = job {
                self.finish_sub_job(
                    job,
                    node_id,
                    false,
                    "the node was deleted".to_owned(),
                    timing,
                    faults,
                );
            }
        }
        let names: Vec<(String, String)> = victims
            .iter()
            .map(|(id, name, _)| (id.clone(), name.clone()))
            .collect();
        let job_id = self.new_job(
            job_type,
            "DeleteNode",
            cluster_id,
            (pool_id, &pool_name),
            &names,
        );
        let now = self.now;
        let at = timestamp(now);
        if let Some(pool) = self.pool_state_mut(cluster_id, pool_id) {
            for node in pool
                .nodes
                .iter_mut()
                .filter(|n| node_ids.iter().any(|id| id == n.uid()))
            {
                node.set_phase("Deleting", &at);
                node.progress = Some(Progress {
                    kind: ProgressKind::Deleting,
                    next_at: Some(now + timing.delete),
                    job_id: Some(job_id.clone()),
                    fails: false,
                    target: None,
                });
            }
            pool.job_id = Some(job_id.clone());
        }
        self.complete_job_if_done(&job_id);
    }

    /// Scales a pool to `desired` nodes: new nodes are built, the newest
    /// surplus nodes deleted.
    fn scale_to(
        &mut self,
        cluster_id: &str,
        pool_id: &str,
        desired: usize,
        timing: &Timing,
        faults: &Faults,
    ) {
        let Some(pool) = self.pool_state(cluster_id, pool_id) else {
            return;
        };
        let live: Vec<String> = pool
            .nodes
            .iter()
            .filter(|n| n.phase() != "Deleting")
            .map(|n| n.uid().to_owned())
            .collect();
        if desired > live.len() {
            self.create_nodes(
                cluster_id,
                pool_id,
                desired - live.len(),
                "ScaleNodePool",
                timing,
            );
        } else if desired < live.len() {
            let surplus = live[desired..].to_vec();
            self.delete_nodes(
                cluster_id,
                pool_id,
                &surplus,
                "ScaleNodePool",
                timing,
                faults,
            );
        }
    }

    /// CreateNodePool.
    pub(crate) fn create_pool(
        &mut self,
        cluster_id: &str,
        mut body: wire::NodePool,
        timing: &Timing,
    ) -> Result<wire::NodePool, ApiError> {
        let cluster = self.cluster(cluster_id)?;
        if !body.kind.is_empty() && body.kind != "NodePool" {
            return Err(ApiError::bad_request(format!(
                "kind must be NodePool, not {:?}",
                body.kind
            )));
        }
        validate_pool_name(&body.metadata.name)?;
        if cluster
            .pools
            .iter()
            .any(|p| p.pool.metadata.name == body.metadata.name)
        {
            return Err(ApiError::conflict(format!(
                "a node pool named {} already exists in cluster {cluster_id}",
                body.metadata.name
            )));
        }
        let template = &body.spec.node_template;
        for (field, value) in [("flavor", &template.flavor), ("az", &template.az)] {
            if value.as_deref().is_none_or(str::is_empty) {
                return Err(ApiError::bad_request(format!(
                    "spec.nodeTemplate.{field} is required"
                )));
            }
        }
        let login = template.login.clone().unwrap_or_default();
        let has_password = login
            .user_password
            .as_ref()
            .is_some_and(|u| !u.password.is_empty());
        if login.ssh_key.as_deref().is_none_or(str::is_empty) && !has_password {
            return Err(ApiError::bad_request(
                "spec.nodeTemplate.login needs an sshKey or a userPassword with a password",
            ));
        }
        validate_scripts(template.extend_param.as_ref())?;
        validate_node_count(body.spec.initial_node_count.unwrap_or(0))?;
        let count = body.spec.initial_node_count.unwrap_or(0) as usize;
        body.metadata.uid = None;
        body.status = None;
        body.metadata.annotations = None;
        body.metadata.creation_timestamp = None;
        body.metadata.update_timestamp = None;
        body.spec.initial_node_count = Some(body.spec.initial_node_count.unwrap_or(0));
        body.spec
            .node_template
            .os
            .get_or_insert_with(|| "Huawei Cloud EulerOS 2.0".to_owned());
        let uid = self.add_pool(cluster_id, body, 0);
        if count > 0 {
            self.create_nodes(cluster_id, &uid, count, "CreateNodePool", timing);
        }
        self.refresh(cluster_id);
        self.show_pool(cluster_id, &uid)
    }

    /// UpdateNodePool. An omitted `initialNodeCount` without
    /// `ignoreInitialNodeCount` scales the pool to 0, as the real API does.
    pub(crate) fn update_pool(
        &mut self,
        cluster_id: &str,
        pool_id: &str,
        body: wire::NodePoolUpdate,
        timing: &Timing,
        faults: &Faults,
    ) -> Result<wire::NodePool, ApiError> {
        let existing = self.existing_pool(cluster_id, pool_id)?;
        if existing.is_default() {
            return Err(ApiError::bad_request(
                "the DefaultPool cannot be updated; synchronize its nodes instead",
            ));
        }
        if existing.deleting {
            return Err(ApiError::forbidden(format!(
                "node pool {pool_id} is being deleted"
            )));
        }
        let current = existing.pool.spec.node_template.clone();
        let update = &body.spec.node_template;
        for (field, new, old) in [
            ("flavor", &update.flavor, &current.flavor),
            ("az", &update.az, &current.az),
        ] {
            if new.as_ref().is_some_and(|n| Some(n) != old.as_ref()) {
                return Err(ApiError::bad_request(format!(
                    "spec.nodeTemplate.{field} cannot be modified"
                )));
            }
        }
        let name = body.metadata.name.clone();
        if !name.is_empty() && name != existing.pool.metadata.name {
            validate_pool_name(&name)?;
            if self
                .cluster(cluster_id)?
                .pools
                .iter()
                .any(|p| p.pool.metadata.name == name)
            {
                return Err(ApiError::conflict(format!(
                    "a node pool named {name} already exists in cluster {cluster_id}"
                )));
            }
        }
        let mut template = current.clone();
        apply_template_update(&mut template, update);
        validate_scripts(template.extend_param.as_ref())?;
        let pool_name = if name.is_empty() {
            existing.pool.metadata.name.clone()
        } else {
            name
        };
        template
            .k8s_tags
            .get_or_insert_with(BTreeMap::new)
            .insert(POOL_NAME_LABEL.to_owned(), pool_name.clone());
        let desired = if body.spec.ignore_initial_node_count == Some(true) {
            None
        } else {
            Some(body.spec.initial_node_count.unwrap_or(0))
        };
        if let Some(desired) = desired {
            validate_node_count(desired)?;
        }
        let at = timestamp(self.now);
        if let Some(pool) = self.pool_state_mut(cluster_id, pool_id) {
            pool.pool.metadata.name = pool_name;
            pool.pool.metadata.update_timestamp = Some(at);
            pool.pool.spec.node_template = template;
            if let Some(autoscaling) = &body.spec.autoscaling {
                pool.pool.spec.autoscaling = Some(autoscaling.clone());
            }
            if let Some(desired) = desired {
                pool.pool.spec.initial_node_count = Some(desired);
            }
            mark_staleness(pool);
        }
        if let Some(desired) = desired {
            self.scale_to(cluster_id, pool_id, desired as usize, timing, faults);
        }
        self.refresh(cluster_id);
        self.show_pool(cluster_id, pool_id)
    }

    /// DeleteNodePool.
    pub(crate) fn delete_pool(
        &mut self,
        cluster_id: &str,
        pool_id: &str,
        timing: &Timing,
        faults: &Faults,
    ) -> Result<wire::NodePool, ApiError> {
        let existing = self.existing_pool(cluster_id, pool_id)?;
        if existing.is_default() {
            return Err(ApiError::bad_request("the DefaultPool cannot be deleted"));
        }
        if existing.deleting {
            return Err(ApiError::forbidden(format!(
                "node pool {pool_id} is already being deleted"
            )));
        }
        let node_ids: Vec<String> = existing.nodes.iter().map(|n| n.uid().to_owned()).collect();
        if let Some(pool) = self.pool_state_mut(cluster_id, pool_id) {
            pool.deleting = true;
        }
        self.delete_nodes(
            cluster_id,
            pool_id,
            &node_ids,
            "DeleteNodePool",
            timing,
            faults,
        );
        self.refresh(cluster_id);
        let shown = self.show_pool(cluster_id, pool_id)?;
        if node_ids.is_empty() {
            if let Some(cluster) = self.clusters.get_mut(cluster_id) {
                cluster.pools.retain(|p| p.uid() != pool_id);
            }
            self.refresh(cluster_id);
        }
        Ok(shown)
    }

    /// UpgradeNodePool: queue the nodes for reset and return the job id.
    pub(crate) fn start_sync(
        &mut self,
        cluster_id: &str,
        pool_id: &str,
        body: wire::UpgradeNodePool,
        timing: &Timing,
    ) -> Result<String, ApiError> {
        let pool = self.existing_pool(cluster_id, pool_id)?;
        let spec = &body.spec;
        if spec.node_pool_id != pool_id {
            return Err(ApiError::bad_request(format!(
                "spec.nodePoolID {:?} does not match the node pool {pool_id} in the path",
                spec.node_pool_id
            )));
        }
        if !(1..=20).contains(&spec.max_unavailable) {
            return Err(ApiError::bad_request(format!(
                "spec.maxUnavailable must be between 1 and 20, not {}",
                spec.max_unavailable
            )));
        }
        if spec.node_ids.is_empty() {
            return Err(ApiError::bad_request(
                "spec.nodeIDs must name at least one node",
            ));
        }
        if pool.deleting {
            return Err(ApiError::forbidden(format!(
                "node pool {pool_id} is being deleted"
            )));
        }
        let mut seen = BTreeSet::new();
        let mut nodes = Vec::new();
        for node_id in &spec.node_ids {
            if !seen.insert(node_id.clone()) {
                continue;
            }
            let Some(node) = pool.nodes.iter().find(|n| n.uid() == node_id) else {
                return Err(ApiError::bad_request(format!(
                    "node {node_id} does not belong to node pool {pool_id}"
                )));
            };
            if node.progress.is_some() {
                return Err(ApiError::bad_request(format!(
                    "node {node_id} is {} in another operation; try again once it is Active",
                    node.phase()
                )));
            }
            // Modelled, not documented: what CCE does with a sync naming a
            // node that an accepted, unfinished job will reset is unknown.
            // The most cautious plausible answer is a refusal.
            if let Some(job) = self
                .jobs
                .values()
                .find(|job| !job.is_done() && job.queue.iter().any(|queued| queued == node_id))
            {
                return Err(ApiError::conflict(format!(
                    "node {node_id} is already queued for reset by job {}; try again once it has finished",
                    job.uid
                )));
            }
            nodes.push((node_id.clone(), node.node.metadata.name.clone()));
        }
        if let Some(template) = &spec.node_template {
            let login = &template.login;
            if login
                .user_password
                .as_ref()
                .is_some_and(|u| u.password.is_empty())
            {
                return Err(ApiError::bad_request(
                    "spec.nodeTemplate.login.userPassword.password is required",
                ));
            }
            let scripts = [
                template.life_cycle.pre_install.as_deref(),
                template.life_cycle.post_install.as_deref(),
            ];
            let total: usize = scripts.iter().flatten().map(|s| s.len()).sum();
            if total > MAX_SCRIPTS_LEN {
                return Err(ApiError::bad_request(format!(
                    "pre- and post-install scripts take {total} characters after base64; at most {MAX_SCRIPTS_LEN} are allowed"
                )));
            }
        }
        let pool_name = pool.pool.metadata.name.clone();
        let job_id = self.new_job(
            "UpgradeNodePool",
            "ResetNode",
            cluster_id,
            (pool_id, &pool_name),
            &nodes,
        );
        let now = self.now;
        if let Some(job) = self.jobs.get_mut(&job_id) {
            job.phase = "Initializing".to_owned();
            job.start_at = Some(now + timing.job_start);
            job.max_unavailable = spec.max_unavailable as usize;
            job.queue = nodes.iter().map(|(id, _)| id.clone()).collect();
            for sub in &mut job.sub_jobs {
                sub.phase = "Initializing".to_owned();
            }
            job.reset = spec
                .node_template
                .as_ref()
                .map(|t| wire::UpgradeNodeTemplate {
                    life_cycle: t.life_cycle.clone(),
                    login: login_without_password(&t.login),
                });
        }
        if let Some(pool) = self.pool_state_mut(cluster_id, pool_id) {
            pool.job_id = Some(job_id.clone());
        }
        self.refresh(cluster_id);
        Ok(job_id)
    }

    /// Keeps an accepted job from starting until [`Self::release_held_jobs`]:
    /// the window in which CCE has accepted a sync but not begun it, when its
    /// nodes still look Active and not up to date.
    pub(crate) fn hold_job(&mut self, job_id: &str) {
        if let Some(job) = self.jobs.get_mut(job_id)
            && job.phase == "Initializing"
        {
            job.start_at = None;
            job.held = true;
        }
    }

    /// Lets every held job start, after the usual start delay.
    pub(crate) fn release_held_jobs(&mut self, timing: &Timing) {
        let now = self.now;
        for job in self.jobs.values_mut().filter(|job| job.held) {
            job.held = false;
            job.start_at = Some(now + timing.job_start);
        }
    }

    /// Applies a change made from outside poolform.
    pub(crate) fn apply_outside_change(
        &mut self,
        change: &OutsideChange,
        timing: &Timing,
        faults: &Faults,
    ) -> Result<(), ApiError> {
        match change {
            OutsideChange::Pool {
                cluster_id,
                pool_id,
                patch,
            } => {
                let pool = self.existing_pool(cluster_id, pool_id)?;
                let mut value = serde_json::to_value(&pool.pool)
                    .map_err(|e| ApiError::bad_request(e.to_string()))?;
                merge_patch(&mut value, patch);
                let mut patched: wire::NodePool = serde_json::from_value(value).map_err(|e| {
                    ApiError::bad_request(format!("the patched pool is not a valid pool: {e}"))
                })?;
                patched.metadata.uid = Some(pool_id.clone());
                strip_template_secrets(&mut patched.spec.node_template);
                if let Some(pool) = self.pool_state_mut(cluster_id, pool_id) {
                    pool.pool = patched;
                    if !pool.is_default() {
                        mark_staleness(pool);
                    }
                }
            }
            OutsideChange::Node {
                cluster_id,
                node_id,
                patch,
            } => {
                self.cluster(cluster_id)?;
                let node = self
                    .node(cluster_id, node_id)
                    .ok_or_else(|| ApiError::not_found(format!("node {node_id} not found")))?;
                let mut value =
                    serde_json::to_value(node).map_err(|e| ApiError::bad_request(e.to_string()))?;
                merge_patch(&mut value, patch);
                let mut patched: wire::Node = serde_json::from_value(value).map_err(|e| {
                    ApiError::bad_request(format!("the patched node is not a valid node: {e}"))
                })?;
                patched.metadata.uid = node_id.clone();
                strip_template_secrets(&mut patched.spec);
                // A node changed behind CCE's back (reinstalled from the
                // console, say) is judged against its pool's template like any
                // other, unless the patch says what CCE reports.
                let judge = patch.get("spec").is_some()
                    && patch.pointer("/status/configurationUpToDate").is_none();
                if let Some(pool) = self.clusters.get_mut(cluster_id).and_then(|c| {
                    c.pools
                        .iter_mut()
                        .find(|p| p.nodes.iter().any(|n| n.uid() == node_id))
                }) {
                    let template = pool.pool.spec.node_template.clone();
                    let is_default = pool.is_default();
                    if let Some(node) = pool.nodes.iter_mut().find(|n| n.uid() == node_id) {
                        node.node = patched;
                        if judge && !is_default && node.progress.is_none() {
                            let up_to_date = reset_fields_match(&template, &node.node.spec);
                            node.status_mut().configuration_up_to_date = Some(up_to_date);
                        }
                    }
                }
            }
            OutsideChange::DeleteNode {
                cluster_id,
                node_id,
            } => {
                self.cluster(cluster_id)?;
                let owner = self
                    .clusters
                    .get(cluster_id)
                    .and_then(|c| {
                        c.pools
                            .iter()
                            .find(|p| p.nodes.iter().any(|n| n.uid() == node_id))
                    })
                    .map(|p| {
                        let node = p.nodes.iter().find(|n| n.uid() == node_id);
                        (
                            p.uid().to_owned(),
                            node.and_then(|n| n.progress.as_ref().and_then(|p| p.job_id.clone())),
                        )
                    });
                let Some((pool_id, job)) = owner else {
                    return Err(ApiError::not_found(format!("node {node_id} not found")));
                };
                if let Some(job) = job {
                    self.finish_sub_job(
                        &job,
                        node_id,
                        false,
                        "the node was deleted".to_owned(),
                        timing,
                        faults,
                    );
                }
                if let Some(pool) = self.pool_state_mut(cluster_id, &pool_id) {
                    pool.nodes.retain(|n| n.uid() != node_id);
                }
            }
        }
        let cluster_id = match change {
            OutsideChange::Pool { cluster_id, .. }
            | OutsideChange::Node { cluster_id, .. }
            | OutsideChange::DeleteNode { cluster_id, .. } => cluster_id,
        };
        self.refresh(cluster_id);
        Ok(())
    }
}

/// Merges an UpdateNodePool template into the pool's template: fields sent
/// replace, fields omitted stay; an empty list or map deletes all entries.
/// `extendParam` is special: when sent, the updatable keys it leaves out are
/// removed (that is how a script is dropped), the others are kept.
fn apply_template_update(template: &mut wire::NodeTemplate, update: &wire::NodeTemplate) {
    macro_rules! replace {
        ($($field:ident),*) => {
            $(if let Some(value) = &update.$field {
                template.$field = Some(value.clone());
            })*
        };
    }
    replace!(
        os,
        root_volume,
        data_volumes,
        public_ip,
        node_nic_spec,
        billing_mode,
        taints,
        wait_post_install_finish,
        user_tags,
        runtime
    );
    if let Some(labels) = &update.k8s_tags {
        // The system label stays whatever the update says.
        template.k8s_tags = Some(labels.clone());
    }
    if let Some(login) = &update.login {
        let mut merged = template.login.clone().unwrap_or_default();
        if login.remove_ssh_key == Some(true) {
            merged.ssh_key = None;
        }
        if login.remove_user_password == Some(true) {
            merged.user_password = None;
        }
        if login.ssh_key.is_some() {
            merged.ssh_key = login.ssh_key.clone();
        }
        if login.user_password.is_some() {
            merged.user_password = login.user_password.clone();
        }
        template.login = Some(login_without_password(&merged));
    }
    if let Some(params) = &update.extend_param {
        let merged = template.extend_param.get_or_insert_with(BTreeMap::new);
        // A sent `extendParam` says everything about the keys an update may
        // change (like `taints`: sent means complete), so a script left out
        // is removed; the other keys (maxPods, …) stay as they were.
        merged.retain(|key, _| {
            !UPDATABLE_EXTEND_PARAMS.contains(&key.as_str()) || params.contains_key(key)
        });
        for (key, value) in params {
            if value.is_null() || value.as_str() == Some("") {
                merged.remove(key);
            } else {
                merged.insert(key.clone(), value.clone());
            }
        }
        if merged.is_empty() {
            template.extend_param = None;
        }
    }
    strip_template_secrets(template);
}

/// Sets `configurationUpToDate` of a pool's idle nodes from its template.
/// Nodes in the middle of an operation get theirs when it ends.
fn mark_staleness(pool: &mut SimPool) {
    if pool.is_default() {
        return;
    }
    let template = pool.pool.spec.node_template.clone();
    for node in pool.nodes.iter_mut().filter(|n| n.progress.is_none()) {
        let up_to_date = reset_fields_match(&template, &node.node.spec);
        node.status_mut().configuration_up_to_date = Some(up_to_date);
    }
}

/// The spec a node is reset to: `base` (the pool template, or the node's own
/// spec in the DefaultPool) with the login and scripts of the sync body.
fn reset_target(
    mut base: wire::NodeTemplate,
    template: &wire::NodeTemplate,
    reset: Option<&wire::UpgradeNodeTemplate>,
) -> wire::NodeTemplate {
    let Some(reset) = reset else {
        return base;
    };
    let login = &reset.login;
    if login.ssh_key.is_some() || login.user_password.is_some() {
        base.login = Some(login_without_password(login));
    } else if base.login.is_none() {
        base.login = template.login.clone();
    }
    let params = base.extend_param.get_or_insert_with(BTreeMap::new);
    for (key, value) in [
        (PRE_INSTALL_KEY, &reset.life_cycle.pre_install),
        (POST_INSTALL_KEY, &reset.life_cycle.post_install),
    ] {
        if let Some(value) = value {
            if value.is_empty() {
                params.remove(key);
            } else {
                params.insert(key.to_owned(), Value::String(value.clone()));
            }
        }
    }
    if params.is_empty() {
        base.extend_param = None;
    }
    if let Some(wait) = reset.life_cycle.wait_post_install_finish {
        base.wait_post_install_finish = Some(wait);
    }
    strip_template_secrets(&mut base);
    base
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIMING: Timing = Timing {
        create: 60.0,
        reset: 60.0,
        delete: 30.0,
        job_start: 1.0,
    };

    fn template() -> wire::NodeTemplate {
        wire::NodeTemplate {
            flavor: Some("c7.large.2".into()),
            az: Some("az-a,az-b,az-c".into()),
            os: Some("EulerOS 2.9".into()),
            login: Some(wire::Login {
                ssh_key: Some("kp1".into()),
                ..Default::default()
            }),
            runtime: Some(wire::Runtime {
                name: "containerd".into(),
                runtime_class: None,
            }),
            ..Default::default()
        }
    }

    fn pool(name: &str) -> wire::NodePool {
        wire::NodePool {
            metadata: wire::NodePoolMetadata {
                name: name.into(),
                ..Default::default()
            },
            spec: wire::NodePoolSpec {
                node_template: template(),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    fn sync_body(pool_id: &str, nodes: Vec<String>, max: u32) -> wire::UpgradeNodePool {
        wire::UpgradeNodePool {
            kind: "NodePool".into(),
            api_version: "v3".into(),
            spec: wire::UpgradeSpec {
                node_pool_id: pool_id.into(),
                node_ids: nodes,
                max_unavailable: max,
                force: false,
                node_template: None,
            },
        }
    }

    #[test]
    fn seeded_nodes_are_spread_and_owned() {
        let mut state = SimState::new();
        let pool_id = state.add_pool("c1", pool("np"), 4);
        let nodes = state.pool_nodes("c1", &pool_id);
        let zones: Vec<_> = nodes
            .iter()
            .map(|n| n.spec.az.clone().unwrap_or_default())
            .collect();
        assert_eq!(zones, ["az-a", "az-b", "az-c", "az-a"]);
        for node in nodes {
            assert_eq!(
                node.metadata
                    .annotations
                    .as_ref()
                    .and_then(|a| a.get(wire::NODE_POOL_ANNOTATION)),
                Some(&pool_id)
            );
            assert_eq!(
                node.metadata
                    .owner_references
                    .as_ref()
                    .and_then(|o| o.nodepool_id.as_ref()),
                Some(&pool_id)
            );
        }
        let ids = state.add_default_nodes("c1", template(), 1);
        let node = state.node("c1", &ids[0]).expect("added");
        assert_eq!(
            node.metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get(wire::NODE_POOL_ANNOTATION))
                .map(String::as_str),
            Some("az-a#c7.large.2#EulerOS 2.9")
        );
    }

    #[test]
    fn sync_respects_max_unavailable_exactly() {
        let mut state = SimState::new();
        let pool_id = state.add_pool("c1", pool("np"), 7);
        let ids: Vec<String> = state
            .pool_nodes("c1", &pool_id)
            .iter()
            .map(|n| n.metadata.uid.clone())
            .collect();
        let job = state
            .start_sync("c1", &pool_id, sync_body(&pool_id, ids, 3), &TIMING)
            .expect("accepted");
        // One big jump: every event is still applied at its own instant.
        state.advance_to(10_000.0, &TIMING, &Faults::default());
        assert_eq!(state.peak_unavailable(&pool_id), 3);
        assert_eq!(state.jobs[&job].phase, "Success");
        // 7 nodes in batches of 3: 3 waves of 60 s after a 1 s start.
        assert!(state.jobs[&job].updated_at >= 181.0 - 1e-9);
    }

    #[test]
    fn logins_keep_only_the_user_name() {
        let mut template = template();
        let update = wire::NodeTemplate {
            login: Some(wire::Login {
                user_password: Some(wire::UserPassword {
                    username: None,
                    password: "Secret#Pass1".into(),
                }),
                remove_ssh_key: Some(true),
                ..Default::default()
            }),
            ..Default::default()
        };
        apply_template_update(&mut template, &update);
        let login = template.login.clone().expect("login");
        assert_eq!(login.ssh_key, None, "removeSSHKey removes the key");
        let user = login.user_password.expect("password login");
        assert_eq!(user.username.as_deref(), Some("root"));
        assert_eq!(user.password, "");

        // A sync with a password login resets the node to that login, minus
        // the password; its scripts replace the template's.
        let reset = wire::UpgradeNodeTemplate {
            life_cycle: wire::LifeCycle {
                post_install: Some("ZWNobyBoaQ==".into()),
                ..Default::default()
            },
            login: wire::Login {
                user_password: Some(wire::UserPassword {
                    username: Some("admin".into()),
                    password: "Other#Pass2".into(),
                }),
                ..Default::default()
            },
        };
        let target = reset_target(template.clone(), &template, Some(&reset));
        let shown = serde_json::to_string(&target).expect("json");
        assert!(!shown.contains("Other#Pass2"), "{shown}");
        assert!(!shown.contains("Secret#Pass1"), "{shown}");
        assert!(shown.contains("admin"));
        assert_eq!(
            target
                .extend_param
                .as_ref()
                .and_then(|p| p.get(POST_INSTALL_KEY)),
            Some(&Value::String("ZWNobyBoaQ==".into()))
        );
    }

    #[test]
    fn labels_and_taints_do_not_make_nodes_stale() {
        let base = template();
        let mut changed = base.clone();
        changed.k8s_tags = Some(BTreeMap::from([("team".into(), "b".into())]));
        changed.taints = Some(vec![wire::Taint {
            key: "k".into(),
            value: None,
            effect: "NoSchedule".into(),
        }]);
        changed.user_tags = Some(vec![wire::UserTag {
            key: "env".into(),
            value: "prod".into(),
        }]);
        assert!(reset_fields_match(&changed, &base));
        for edit in [
            |t: &mut wire::NodeTemplate| t.os = Some("Ubuntu 22.04".into()),
            |t: &mut wire::NodeTemplate| t.runtime = None,
            |t: &mut wire::NodeTemplate| {
                t.extend_param = Some(BTreeMap::from([(MAX_PODS_KEY.into(), Value::from(64))]))
            },
            |t: &mut wire::NodeTemplate| {
                t.data_volumes = Some(vec![wire::Volume {
                    size: 100,
                    volumetype: "SSD".into(),
                    ..Default::default()
                }])
            },
            |t: &mut wire::NodeTemplate| t.login = None,
        ] {
            let mut stale = base.clone();
            edit(&mut stale);
            assert!(!reset_fields_match(&stale, &base), "{stale:?}");
        }
    }

    #[test]
    fn merge_patch_follows_rfc_7386() {
        let mut target = serde_json::json!({"a": {"b": 1, "c": 2}, "d": 3});
        merge_patch(
            &mut target,
            &serde_json::json!({"a": {"b": null, "e": 4}, "d": [1]}),
        );
        assert_eq!(target, serde_json::json!({"a": {"c": 2, "e": 4}, "d": [1]}));
    }

    #[test]
    fn timestamps_look_like_go() {
        assert_eq!(timestamp(1.5), "2026-01-01 00:00:01.500000000 +0000 UTC");
    }
}
