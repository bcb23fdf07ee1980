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
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::api::{self, MAX_PODS_KEY, POST_INSTALL_KEY, PRE_INSTALL_KEY};
use super::view;
use super::{Faults, SimError};

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
    /// Where the next events are, so that a request with none due does not
    /// look at every node (derived; rebuilt after a load).
    #[serde(skip)]
    pending: PendingEvents,
}

/// An index of the node steps and job starts that may be due: every time a
/// node's `progress.next_at` or a job's `start_at` is set, an entry goes in.
/// Entries are not removed when a node or job changes otherwise; they are
/// checked against the state when they come due, and dropped if stale.
#[derive(Debug, Clone, Default)]
struct PendingEvents {
    /// False after a load or a `Default`: the index is then rebuilt from the
    /// state before it is first used.
    built: bool,
    entries: BTreeSet<(EventTime, Event)>,
}

/// A derived index is never part of a state's identity.
impl PartialEq for PendingEvents {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// A simulated instant, totally ordered so that it can key the index (the
/// clock never holds NaN; `schedule` keeps NaN out of the index).
#[derive(Debug, Clone, Copy)]
struct EventTime(f64);

impl PartialEq for EventTime {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for EventTime {}

impl PartialOrd for EventTime {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for EventTime {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
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

    fn unavailable(&self) -> usize {
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

    fn status_mut(&mut self) -> &mut api::NodeStatus {
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
    /// Keys of the body its model does not have (paths such as
    /// `spec.nodeTemplate.rootVolume`): the service ignored them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignored: Vec<String>,
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

/// The fields [`Faults::stale_fields`] can name: a difference in one of them
/// between a node and its pool's template makes the node report
/// `configurationUpToDate: false`. CCE documents only `os` and `runtime`.
pub const STALE_FIELD_NAMES: &[&str] = &["os", "runtime", "login", "scripts", "max_pods", "disks"];

/// Whether a node's spec matches its pool's template in the given fields.
/// Labels, taints and tags are never among them: CCE pushes those to
/// existing nodes itself.
fn is_up_to_date(
    template: &api::NodeTemplate,
    spec: &api::NodeTemplate,
    fields: &BTreeSet<String>,
) -> bool {
    let login_of = |t: &api::NodeTemplate| {
        let login = t.login.clone().unwrap_or_default();
        (
            login.ssh_key.filter(|k| !k.is_empty()),
            login
                .user_password
                .map(|u| u.username.unwrap_or_else(|| "root".to_owned())),
        )
    };
    let runtime_of = |t: &api::NodeTemplate| {
        t.runtime
            .as_ref()
            .map(|r| r.name.clone())
            .filter(|n| !n.is_empty())
    };
    fields.iter().all(|field| match field.as_str() {
        "os" => template.os == spec.os,
        "runtime" => runtime_of(template) == runtime_of(spec),
        "login" => login_of(template) == login_of(spec),
        "scripts" => {
            template.param(PRE_INSTALL_KEY) == spec.param(PRE_INSTALL_KEY)
                && template.param(POST_INSTALL_KEY) == spec.param(POST_INSTALL_KEY)
        }
        "max_pods" => template.param(MAX_PODS_KEY) == spec.param(MAX_PODS_KEY),
        "disks" => {
            template.root_volume == spec.root_volume
                && template.data_volumes.clone().unwrap_or_default()
                    == spec.data_volumes.clone().unwrap_or_default()
        }
        _ => true,
    })
}

/// The default [`Faults::stale_fields`]: what CCE documents.
pub fn documented_stale_fields() -> BTreeSet<String> {
    BTreeSet::from(["os".to_owned(), "runtime".to_owned()])
}

/// A login as the simulator keeps it: the key pair name, or that the node
/// logs in with a password (and as whom). Passwords are never kept.
fn login_without_password(login: &api::Login) -> api::Login {
    api::Login {
        ssh_key: login.ssh_key.clone().filter(|k| !k.is_empty()),
        user_password: login.user_password.as_ref().map(|u| api::UserPassword {
            username: Some(u.username.clone().unwrap_or_else(|| "root".to_owned())),
            password: None,
        }),
        remove_user_password: None,
        remove_ssh_key: None,
    }
}

fn strip_template_secrets(template: &mut api::NodeTemplate) {
    if let Some(login) = &template.login {
        template.login = Some(login_without_password(login));
    }
    if let Some(params) = &mut template.extend_param {
        params.retain(|key, _| !key.to_ascii_lowercase().contains("password"));
    }
}

/// What a node created from a template is: the template, in one zone, with
/// its labels, taints, tags and scripts (kept internally; node responses do
/// not show them).
fn node_spec_from_template(template: &api::NodeTemplate, az: Option<String>) -> api::NodeTemplate {
    let mut spec = template.clone();
    spec.az = az.or(spec.az);
    spec.count = None;
    spec.volume_config = None;
    spec.configurations_override = None;
    strip_template_secrets(&mut spec);
    spec
}

/// Whether a password field holds what CCE takes: base64 of a SHA-512 crypt
/// string, `$6$` + a 16-character salt + `$` + the 86-character hash
/// (optionally with `rounds=N$` after `$6$`).
pub fn is_salted_password(password: &str) -> bool {
    use base64::Engine as _;
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(password.trim()) else {
        return false;
    };
    let Ok(crypt) = String::from_utf8(bytes) else {
        return false;
    };
    let Some(rest) = crypt.strip_prefix("$6$") else {
        return false;
    };
    let rest = match rest.strip_prefix("rounds=") {
        Some(after) => match after.split_once('$') {
            Some((rounds, rest)) if rounds.parse::<u32>().is_ok() => rest,
            _ => return false,
        },
        None => rest,
    };
    let Some((salt, hash)) = rest.split_once('$') else {
        return false;
    };
    let crypt_char = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '/';
    salt.chars().count() == 16
        && salt.chars().all(crypt_char)
        && hash.len() == 86
        && hash.chars().all(crypt_char)
}

/// Refuses a login whose password is not salted (or missing).
fn validate_login(login: Option<&api::Login>, path: &str) -> Result<(), ApiError> {
    let Some(user) = login.and_then(|l| l.user_password.as_ref()) else {
        return Ok(());
    };
    match user.password.as_deref() {
        None | Some("") => Err(ApiError::bad_request(format!(
            "{path}.userPassword.password is required"
        ))),
        Some(password) if !is_salted_password(password) => Err(ApiError::bad_request(format!(
            "The password field must be salted ({path}.userPassword.password)"
        ))),
        Some(_) => Ok(()),
    }
}

/// Removes CCE's own labels (`cce.cloud.com/…`), which responses add and
/// the simulator never stores.
fn strip_system_labels(template: &mut api::NodeTemplate) {
    if let Some(labels) = &mut template.k8s_tags {
        labels.retain(|key, _| !key.contains("cce.cloud.com"));
    }
}

/// Reads a seeding value of the API's JSON into the simulator's type, as a
/// request body is read: unknown keys pruned, type mismatches refused.
fn read_seed<T: serde::de::DeserializeOwned>(model: &str, value: &Value) -> Result<T, SimError> {
    let mut value = value.clone();
    let findings = super::catalogue::prune(model, &mut value);
    if let Some(mismatch) = findings.iter().find(|f| !f.is_ignored()) {
        return Err(SimError::Rejected {
            status: 400,
            message: mismatch.to_string(),
        });
    }
    serde_json::from_value(value).map_err(|e| SimError::Rejected {
        status: 400,
        message: format!("not a {model}: {e}"),
    })
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

/// The nodes of a reset request, each once, as (id, name); refused when one
/// is busy with another operation.
fn idle_nodes(nodes: &[&SimNode]) -> Result<Vec<(String, String)>, ApiError> {
    let mut seen = BTreeSet::new();
    let mut idle = Vec::new();
    for node in nodes {
        if !seen.insert(node.uid().to_owned()) {
            continue;
        }
        if node.progress.is_some() {
            return Err(ApiError::bad_request(format!(
                "node {} is {} in another operation; try again once it is Active",
                node.uid(),
                node.phase()
            )));
        }
        idle.push((node.uid().to_owned(), node.node.metadata.name.clone()));
    }
    Ok(idle)
}

fn validate_life_cycle(life_cycle: &api::NodeLifecycleConfig) -> Result<(), ApiError> {
    let scripts = [
        life_cycle.pre_install.as_deref(),
        life_cycle.post_install.as_deref(),
    ];
    let total: usize = scripts.iter().flatten().map(|s| s.len()).sum();
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
fn zones_of(template: &api::NodeTemplate) -> Vec<String> {
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

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
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
        // Per process, so that two processes on one state file never write
        // the same temporary file; the rename stays atomic.
        let mut temp = path.as_os_str().to_owned();
        temp.push(format!(".{}.tmp", std::process::id()));
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
    pub fn add_pool(&mut self, cluster_id: &str, mut pool: api::NodePool, nodes: usize) -> String {
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
        strip_system_labels(&mut pool.spec.node_template);
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

    /// [`SimState::add_pool`] for a pool in the API's JSON (as CreateNodePool
    /// takes it or ShowNodePool shows it), read against the SDK's `NodePool`
    /// model: keys the model does not have are ignored, a value of the wrong
    /// type is refused.
    pub fn add_pool_json(
        &mut self,
        cluster_id: &str,
        pool: &Value,
        nodes: usize,
    ) -> Result<String, SimError> {
        let pool: api::NodePool = read_seed("NodePool", pool)?;
        Ok(self.add_pool(cluster_id, pool, nodes))
    }

    /// [`SimState::add_default_nodes`] for a spec in the API's JSON (the
    /// SDK's `NodeSpec`, as ShowNode shows it).
    pub fn add_default_nodes_json(
        &mut self,
        cluster_id: &str,
        spec: &Value,
        count: usize,
    ) -> Result<Vec<String>, SimError> {
        let spec: api::NodeTemplate = read_seed("NodeSpec", spec)?;
        Ok(self.add_default_nodes(cluster_id, spec, count))
    }

    /// Adds `count` Active nodes to the cluster's DefaultPool (created when
    /// missing), with `spec` as their spec and spread over its zones like
    /// [`SimState::add_pool`]. Returns the node ids.
    pub fn add_default_nodes(
        &mut self,
        cluster_id: &str,
        spec: api::NodeTemplate,
        count: usize,
    ) -> Vec<String> {
        self.add_cluster(cluster_id);
        let exists = self
            .clusters
            .get(cluster_id)
            .is_some_and(|c| c.pools.iter().any(SimPool::is_default));
        if !exists {
            let at = timestamp(self.now);
            let pool = api::NodePool {
                kind: "NodePool".to_owned(),
                api_version: "v3".to_owned(),
                metadata: api::NodePoolMetadata {
                    name: DEFAULT_POOL_ID.to_owned(),
                    uid: Some(DEFAULT_POOL_ID.to_owned()),
                    creation_timestamp: Some(at.clone()),
                    update_timestamp: Some(at),
                    ..Default::default()
                },
                spec: api::NodePoolSpec {
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
        template: &api::NodeTemplate,
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
            node: api::Node {
                kind: "Node".to_owned(),
                api_version: "v3".to_owned(),
                metadata: api::NodeMetadata {
                    name,
                    uid,
                    annotations: Some(BTreeMap::from([(
                        api::NODE_POOL_ANNOTATION.to_owned(),
                        annotation,
                    )])),
                    creation_timestamp: Some(at.clone()),
                    update_timestamp: Some(at),
                    owner_references: Some(api::NodeMetadataOwnerReferences {
                        nodepool_name: Some(pool.pool.metadata.name.clone()),
                        nodepool_id: Some(pool.uid().to_owned()),
                    }),
                },
                spec,
                status: Some(api::NodeStatus {
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

    /// A pool as the simulator keeps it (responses add what real ones add,
    /// see `view`).
    pub fn pool(&self, cluster_id: &str, pool_id: &str) -> Option<&api::NodePool> {
        self.pool_state(cluster_id, pool_id).map(|p| &p.pool)
    }

    /// Mutable access to a pool, for seeding (e.g. a template the nodes do
    /// not match yet). Its status and its nodes' `configurationUpToDate` are
    /// not recomputed until [`SimState::recompute_up_to_date`] or the next
    /// change.
    pub fn pool_mut(&mut self, cluster_id: &str, pool_id: &str) -> Option<&mut api::NodePool> {
        self.pool_state_mut(cluster_id, pool_id)
            .map(|p| &mut p.pool)
    }

    /// The pools of a cluster, DefaultPool included, in creation order.
    pub fn pools(&self, cluster_id: &str) -> Vec<&api::NodePool> {
        self.clusters
            .get(cluster_id)
            .map(|c| c.pools.iter().map(|p| &p.pool).collect())
            .unwrap_or_default()
    }

    /// The nodes of a cluster, ordered by id (the order ListNodes pages in).
    pub fn nodes(&self, cluster_id: &str) -> Vec<&api::Node> {
        let mut nodes: Vec<&api::Node> = self
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
    pub fn pool_nodes(&self, cluster_id: &str, pool_id: &str) -> Vec<&api::Node> {
        self.pool_state(cluster_id, pool_id)
            .map(|p| p.nodes.iter().map(|n| &n.node).collect())
            .unwrap_or_default()
    }

    /// One node.
    pub fn node(&self, cluster_id: &str, node_id: &str) -> Option<&api::Node> {
        self.clusters
            .get(cluster_id)?
            .pools
            .iter()
            .flat_map(|p| p.nodes.iter())
            .find(|n| n.uid() == node_id)
            .map(|n| &n.node)
    }

    /// Mutable access to a node, for seeding (e.g. an older os).
    pub fn node_mut(&mut self, cluster_id: &str, node_id: &str) -> Option<&mut api::Node> {
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
            mark_staleness(pool, &documented_stale_fields());
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

    /// A job as ShowJob shows it (SDK `Job`), one sub-job per node.
    pub fn job_view(&self, job_id: &str) -> Option<Value> {
        let job = self.jobs.get(job_id)?;
        let sub_jobs: Vec<Value> = job
            .sub_jobs
            .iter()
            .map(|sub| {
                json!({
                    "kind": "Job",
                    "apiVersion": "v3",
                    "metadata": {
                        "uid": sub.uid,
                        "creationTimestamp": timestamp(job.created_at),
                        "updateTimestamp": timestamp(job.updated_at),
                    },
                    "spec": {
                        "type": sub.job_type,
                        "clusterUID": job.cluster_id,
                        "resourceID": sub.node_id,
                        "resourceName": sub.node_name,
                    },
                    "status": {"phase": sub.phase, "reason": sub.reason},
                })
            })
            .collect();
        Some(json!({
            "kind": "Job",
            "apiVersion": "v3",
            "metadata": {
                "uid": job.uid,
                "creationTimestamp": timestamp(job.created_at),
                "updateTimestamp": timestamp(job.updated_at),
            },
            "spec": {
                "type": job.job_type,
                "clusterUID": job.cluster_id,
                "resourceID": job.pool_id,
                "resourceName": job.pool_name,
                "subJobs": sub_jobs,
            },
            "status": {"phase": job.phase, "reason": job.reason},
        }))
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

    /// The earliest event due no later than `limit`. Of several at the same
    /// instant, node steps come first, in the order of clusters, pools and
    /// nodes; then job starts in id order.
    fn next_event(&mut self, limit: f64) -> Option<(f64, Event)> {
        self.build_pending();
        loop {
            let (at, _) = self.pending.entries.first()?;
            if at.0 > limit {
                return None;
            }
            let at = *at;
            let mut due = Vec::new();
            while let Some(entry) = self.pending.entries.first()
                && entry.0 == at
            {
                if let Some((_, event)) = self.pending.entries.pop_first() {
                    due.push(event);
                }
            }
            // Node steps come before job starts at the same instant: a node
            // that finishes frees its place before the next one takes it.
            // `Event`'s order puts them first; among nodes, the order a scan
            // of the world meets them in decides.
            let mut valid: Vec<((&str, usize, usize), Event)> = Vec::new();
            for event in due {
                if let Some(position) = self.event_position(at.0, &event) {
                    valid.push((position, event));
                }
            }
            valid.sort_by(|(a, left), (b, right)| match (left, right) {
                (Event::Node { .. }, Event::Node { .. }) => a.cmp(b),
                _ => left.cmp(right),
            });
            let mut valid: VecDeque<Event> = valid.into_iter().map(|(_, event)| event).collect();
            let Some(first) = valid.pop_front() else {
                continue;
            };
            self.pending
                .entries
                .extend(valid.into_iter().map(|event| (at, event)));
            return Some((at.0, first));
        }
    }

    /// Where a pending event is in the world, if it is still due at `at`:
    /// (cluster, pool index, node index) for a node step.
    fn event_position(&self, at: f64, event: &Event) -> Option<(&str, usize, usize)> {
        match event {
            Event::Node {
                cluster,
                pool,
                node,
            } => {
                let (cluster_id, state) = self.clusters.get_key_value(cluster)?;
                let pool_index = state.pools.iter().position(|p| p.uid() == pool)?;
                let nodes = &state.pools[pool_index].nodes;
                let node_index = nodes.iter().position(|n| n.uid() == node)?;
                let next_at = nodes[node_index].progress.as_ref()?.next_at?;
                (next_at == at).then_some((cluster_id.as_str(), pool_index, node_index))
            }
            Event::JobStart { job } => (self.jobs.get(job)?.start_at? == at).then_some(("", 0, 0)),
        }
    }

    /// Fills the event index from the state, once after a load.
    fn build_pending(&mut self) {
        if self.pending.built {
            return;
        }
        let mut events = Vec::new();
        for (cluster_id, cluster) in &self.clusters {
            for pool in &cluster.pools {
                for node in &pool.nodes {
                    let Some(at) = node.progress.as_ref().and_then(|p| p.next_at) else {
                        continue;
                    };
                    events.push((
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
        for job in self.jobs.values() {
            if let Some(at) = job.start_at {
                events.push((
                    at,
                    Event::JobStart {
                        job: job.uid.clone(),
                    },
                ));
            }
        }
        for (at, event) in events {
            self.schedule(Some(at), event);
        }
        self.pending.built = true;
    }

    /// Notes an event set for `at`; must follow every assignment of a node's
    /// `progress.next_at` or a job's `start_at`.
    fn schedule(&mut self, at: Option<f64>, event: Event) {
        // A NaN instant is never `<=` the clock, so it never came due.
        if let Some(at) = at.filter(|at| !at.is_nan()) {
            self.pending.entries.insert((EventTime(at), event));
        }
    }

    /// [`Self::schedule`] for a node step.
    fn schedule_node(&mut self, at: Option<f64>, cluster: &str, pool: &str, node: &str) {
        self.schedule(
            at,
            Event::Node {
                cluster: cluster.to_owned(),
                pool: pool.to_owned(),
                node: node.to_owned(),
            },
        );
    }

    /// [`Self::schedule`] for a job start.
    fn schedule_job(&mut self, at: Option<f64>, job: &str) {
        self.schedule(
            at,
            Event::JobStart {
                job: job.to_owned(),
            },
        );
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
        let mut next_step = None;
        match progress.kind {
            ProgressKind::Building => {
                node.set_phase("Installing", &at);
                next_step = Some(now + timing.create / 2.0);
                node.progress = Some(Progress {
                    kind: ProgressKind::Installing,
                    next_at: next_step,
                    ..progress.clone()
                });
            }
            ProgressKind::Installing => {
                node.set_phase("Active", &at);
                let up_to_date =
                    is_default || is_up_to_date(&template, &node.node.spec, &faults.stale_fields);
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
                let up_to_date =
                    is_default || is_up_to_date(&template, &node.node.spec, &faults.stale_fields);
                node.status_mut().configuration_up_to_date = Some(up_to_date);
                finished = Some((true, String::new()));
            }
            ProgressKind::Deleting => {
                pool.nodes.remove(index);
                remove_pool = pool.deleting && pool.nodes.is_empty();
                finished = Some((true, String::new()));
            }
        }
        self.schedule_node(next_step, cluster_id, pool_id, node_id);
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
            let reset = job
                .node_resets
                .get(&node_id)
                .or(job.reset.as_ref())
                .cloned();
            let (cluster_id, pool_id) = (job.cluster_id.clone(), job.pool_id.clone());
            // A sync job resets nodes of its pool; a node reset job (no pool)
            // nodes of any pool of the cluster.
            let owner = self.clusters.get_mut(&cluster_id).and_then(|c| {
                c.pools.iter_mut().find(|p| {
                    if pool_id.is_empty() {
                        p.nodes.iter().any(|n| n.uid() == node_id)
                    } else {
                        p.uid() == pool_id
                    }
                })
            });
            let started = match owner {
                None if pool_id.is_empty() => Err("the node no longer exists".to_owned()),
                None => Err("the node pool no longer exists".to_owned()),
                Some(pool) => {
                    let template =
                        (!pool.is_default()).then(|| pool.pool.spec.node_template.clone());
                    let owner_id = pool.uid().to_owned();
                    match pool.nodes.iter_mut().find(|n| n.uid() == node_id) {
                        None => Err("the node no longer exists".to_owned()),
                        Some(node) if node.progress.is_some() => {
                            Err("the node is busy with another operation".to_owned())
                        }
                        Some(node) => {
                            let target =
                                reset_target(&node.node.spec, template.as_ref(), reset.as_ref());
                            let selected = |set: &BTreeSet<String>| {
                                set.contains(&node.node.metadata.uid)
                                    || set.contains(&node.node.metadata.name)
                            };
                            let stuck = selected(&faults.stuck_nodes);
                            let fails = selected(&faults.fail_reset_nodes);
                            node.set_phase("Installing", &at);
                            let next_at = (!stuck).then_some(now + timing.reset);
                            node.progress = Some(Progress {
                                kind: ProgressKind::Resetting,
                                next_at,
                                job_id: Some(job_id.to_owned()),
                                fails,
                                target: Some(Box::new(target)),
                            });
                            Ok((next_at, owner_id))
                        }
                    }
                }
            };
            if let Ok((next_at, owner_id)) = &started {
                self.schedule_node(*next_at, &cluster_id, owner_id, &node_id);
            }
            if let Some(job) = self.jobs.get_mut(job_id)
                && let Some(sub) = job
                    .sub_jobs
                    .iter_mut()
                    .find(|s| s.node_id == node_id && s.phase == "Initializing")
            {
                match started {
                    Ok(_) => sub.phase = "Running".to_owned(),
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
            let mut conditions = vec![api::NodePoolCondition {
                condition_type: "Scalable".to_owned(),
                status: "True".to_owned(),
                reason: String::new(),
                message: String::new(),
            }];
            if running_syncs.contains(pool.uid()) {
                conditions.push(api::NodePoolCondition {
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
            pool.pool.status = Some(api::NodePoolStatus {
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

    /// ListNodePools: `{kind, apiVersion, items}`, each pool decorated.
    pub(crate) fn list_pools(
        &self,
        cluster_id: &str,
        show_default: bool,
    ) -> Result<Value, ApiError> {
        let items: Vec<Value> = self
            .cluster(cluster_id)?
            .pools
            .iter()
            .filter(|p| show_default || !p.is_default())
            .map(|p| view::pool(&p.pool, view::PoolAnswer::Show))
            .collect();
        Ok(json!({"kind": "List", "apiVersion": "v3", "items": items}))
    }

    /// ShowNodePool (or the answer of a create, update or delete).
    pub(crate) fn show_pool(
        &self,
        cluster_id: &str,
        pool_id: &str,
        answer: view::PoolAnswer,
    ) -> Result<Value, ApiError> {
        Ok(view::pool(
            &self.existing_pool(cluster_id, pool_id)?.pool,
            answer,
        ))
    }

    /// ListNodes, one page: nodes ordered by id, after `marker`.
    pub(crate) fn list_nodes(
        &self,
        cluster_id: &str,
        limit: usize,
        marker: Option<&str>,
    ) -> Result<Value, ApiError> {
        self.cluster(cluster_id)?;
        let nodes: Vec<&api::Node> = self
            .nodes(cluster_id)
            .into_iter()
            .filter(|n| marker.is_none_or(|m| n.metadata.uid.as_str() > m))
            .collect();
        let page: Vec<Value> = nodes.iter().take(limit).map(|n| view::node(n)).collect();
        let mut page_info = json!({"currentCount": page.len()});
        if nodes.len() > page.len()
            && let Some(last) = nodes.get(page.len().wrapping_sub(1))
        {
            page_info["nextMarker"] = Value::String(last.metadata.uid.clone());
        }
        Ok(json!({"kind": "List", "apiVersion": "v3", "items": page, "pageInfo": page_info}))
    }

    /// ShowNode.
    pub(crate) fn show_node(&self, cluster_id: &str, node_id: &str) -> Result<Value, ApiError> {
        self.cluster(cluster_id)?;
        self.node(cluster_id, node_id)
            .map(view::node)
            .ok_or_else(|| ApiError::not_found(format!("node {node_id} not found")))
    }

    /// ShowJob. A job still hidden (see [`SimJob::hidden_reads`]) answers
    /// 404 as an unknown one does, and counts the read.
    pub(crate) fn show_job(&mut self, job_id: &str) -> Result<Value, ApiError> {
        let not_found = || ApiError::not_found(format!("job {job_id} not found"));
        let job = self.jobs.get_mut(job_id).ok_or_else(not_found)?;
        if job.hidden_reads > 0 {
            job.hidden_reads -= 1;
            return Err(not_found());
        }
        self.job_view(job_id).ok_or_else(not_found)
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
        let node_ids: Vec<String> = nodes.iter().map(|n| n.uid().to_owned()).collect();
        if let Some(pool) = self.pool_state_mut(cluster_id, pool_id) {
            pool.nodes.extend(nodes);
            pool.job_id = Some(job_id.clone());
        }
        for node_id in &node_ids {
            self.schedule_node(Some(next_at), cluster_id, pool_id, node_id);
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
        let mut deleting = Vec::new();
        if let Some(pool) = self.pool_state_mut(cluster_id, pool_id) {
            for node in pool
                .nodes
                .iter_mut()
                .filter(|n| node_ids.iter().any(|id| id == n.uid()))
            {
                node.set_phase("Deleting", &at);
                deleting.push(node.uid().to_owned());
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
        for node_id in &deleting {
            self.schedule_node(Some(now + timing.delete), cluster_id, pool_id, node_id);
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
        mut body: api::NodePool,
        timing: &Timing,
    ) -> Result<Value, ApiError> {
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
        validate_login(template.login.as_ref(), "spec.nodeTemplate.login")?;
        let login = template.login.clone().unwrap_or_default();
        if login.ssh_key.as_deref().is_none_or(str::is_empty) && login.user_password.is_none() {
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
        self.show_pool(cluster_id, &uid, view::PoolAnswer::Create)
    }

    /// UpdateNodePool, with the SDK's `NodePoolUpdate` semantics: an omitted
    /// `initialNodeCount` without `ignoreInitialNodeCount` scales the pool to
    /// 0; template changes reach new nodes only, except labels, taints and
    /// tags, which reach the existing nodes at once when the pool's policy
    /// for them is `refresh`.
    pub(crate) fn update_pool(
        &mut self,
        cluster_id: &str,
        pool_id: &str,
        body: api::NodePoolUpdate,
        timing: &Timing,
        faults: &Faults,
    ) -> Result<Value, ApiError> {
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
        let spec = &body.spec;
        let update = &spec.node_template;
        for (field, new, old) in [
            ("flavor", &update.flavor, &current.flavor),
            ("az", &update.az, &current.az),
        ] {
            if new
                .as_ref()
                .is_some_and(|n| !n.is_empty() && Some(n) != old.as_ref())
            {
                return Err(ApiError::bad_request(format!(
                    "spec.nodeTemplate.{field} cannot be modified"
                )));
            }
        }
        validate_login(update.login.as_ref(), "spec.nodeTemplate.login")?;
        let name = body.metadata.name.clone().unwrap_or_default();
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
        strip_system_labels(&mut template);
        validate_scripts(template.extend_param.as_ref())?;
        let pool_name = if name.is_empty() {
            existing.pool.metadata.name.clone()
        } else {
            name
        };
        let desired = if spec.ignore_initial_node_count == Some(true) {
            None
        } else {
            Some(spec.initial_node_count.unwrap_or(0))
        };
        if let Some(desired) = desired {
            validate_node_count(desired)?;
        }
        let pool_spec = &existing.pool.spec;
        let policy_label = spec
            .label_policy_on_existing_nodes
            .clone()
            .or_else(|| pool_spec.label_policy_on_existing_nodes.clone());
        let policy_taint = spec
            .taint_policy_on_existing_nodes
            .clone()
            .or_else(|| pool_spec.taint_policy_on_existing_nodes.clone());
        let policy_tags = spec
            .user_tags_policy_on_existing_nodes
            .clone()
            .or_else(|| pool_spec.user_tags_policy_on_existing_nodes.clone());
        let push =
            Push {
                labels: (update.k8s_tags.is_some() && refreshes(policy_label.as_ref(), "refresh"))
                    .then(|| {
                        (
                            current.k8s_tags.clone().unwrap_or_default(),
                            template.k8s_tags.clone().unwrap_or_default(),
                        )
                    }),
                taints: (update.taints.is_some() && refreshes(policy_taint.as_ref(), "refresh"))
                    .then(|| {
                        (
                            current.taints.clone().unwrap_or_default(),
                            template.taints.clone().unwrap_or_default(),
                        )
                    }),
                tags: (update.user_tags.is_some() && refreshes(policy_tags.as_ref(), "ignore"))
                    .then(|| {
                        (
                            current.user_tags.clone().unwrap_or_default(),
                            template.user_tags.clone().unwrap_or_default(),
                        )
                    }),
            };
        let at = timestamp(self.now);
        if let Some(pool) = self.pool_state_mut(cluster_id, pool_id) {
            pool.pool.metadata.name = pool_name;
            pool.pool.metadata.update_timestamp = Some(at.clone());
            pool.pool.spec.node_template = template;
            let pool_spec = &mut pool.pool.spec;
            macro_rules! replace {
                ($($from:ident => $to:ident),*) => {
                    $(if let Some(value) = &spec.$from {
                        pool_spec.$to = Some(value.clone());
                    })*
                };
            }
            replace!(
                autoscaling => autoscaling,
                repair_policy => repair_policy,
                node_management_update => node_management,
                custom_security_groups => custom_security_groups,
                extension_scale_groups => extension_scale_groups,
                label_policy_on_existing_nodes => label_policy_on_existing_nodes,
                taint_policy_on_existing_nodes => taint_policy_on_existing_nodes,
                user_tags_policy_on_existing_nodes => user_tags_policy_on_existing_nodes
            );
            if let Some(desired) = desired {
                pool_spec.initial_node_count = Some(desired);
            }
            // Labels, taints and tags reach the existing nodes now, without
            // a reset and without a phase change.
            for node in &mut pool.nodes {
                push.apply(&mut node.node.spec);
            }
            mark_staleness(pool, &faults.stale_fields);
        }
        if let Some(desired) = desired {
            self.scale_to(cluster_id, pool_id, desired as usize, timing, faults);
        }
        self.refresh(cluster_id);
        self.show_pool(cluster_id, pool_id, view::PoolAnswer::Update)
    }

    /// DeleteNodePool.
    pub(crate) fn delete_pool(
        &mut self,
        cluster_id: &str,
        pool_id: &str,
        timing: &Timing,
        faults: &Faults,
    ) -> Result<Value, ApiError> {
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
        let shown = self.show_pool(cluster_id, pool_id, view::PoolAnswer::Delete)?;
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
        body: api::UpgradeNodePool,
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
        let max_unavailable = spec.max_unavailable.unwrap_or(0);
        if !(1..=20).contains(&max_unavailable) {
            return Err(ApiError::bad_request(format!(
                "spec.maxUnavailable must be between 1 and 20, not {max_unavailable}"
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
        let mut nodes = Vec::new();
        for node_id in &spec.node_ids {
            let Some(node) = pool.nodes.iter().find(|n| n.uid() == node_id) else {
                return Err(ApiError::bad_request(format!(
                    "node {node_id} does not belong to node pool {pool_id}"
                )));
            };
            nodes.push(node);
        }
        let reset = match &spec.node_template {
            None => None,
            Some(template) => {
                validate_login(template.login.as_ref(), "spec.nodeTemplate.login")?;
                let life_cycle = template.life_cycle.clone().unwrap_or_default();
                validate_life_cycle(&life_cycle)?;
                Some(ResetWith {
                    login: template.login.as_ref().map(login_without_password),
                    life_cycle: Some(life_cycle),
                    ..ResetWith::default()
                })
            }
        };
        let nodes = idle_nodes(&nodes)?;
        self.refuse_queued(&nodes)?;
        let pool_name = pool.pool.metadata.name.clone();
        let job_id = self.queue_resets(
            cluster_id,
            (pool_id, &pool_name),
            &nodes,
            max_unavailable as usize,
            timing,
        );
        if let Some(job) = self.jobs.get_mut(&job_id) {
            job.reset = reset;
        }
        Ok(job_id)
    }

    /// ResetNode (`POST …/nodes/reset`): reinstalls the listed nodes at
    /// once. A node of a pool gets its OS, login, runtime and scripts from
    /// the pool (the request's spec is required but not used); a DefaultPool
    /// node gets them from the request's spec.
    pub(crate) fn reset_nodes(
        &mut self,
        cluster_id: &str,
        body: api::ResetNodeList,
        timing: &Timing,
    ) -> Result<String, ApiError> {
        let cluster = self.cluster(cluster_id)?;
        if body.node_list.is_empty() {
            return Err(ApiError::bad_request(
                "nodeList must name at least one node",
            ));
        }
        let mut nodes = Vec::new();
        let mut node_resets = BTreeMap::new();
        for (index, item) in body.node_list.iter().enumerate() {
            let Some(spec) = &item.spec else {
                return Err(ApiError::bad_request(format!(
                    "nodeList[{index}].spec is required"
                )));
            };
            if spec.os.as_deref().is_none_or(str::is_empty) {
                return Err(ApiError::bad_request(format!(
                    "nodeList[{index}].spec.os is required"
                )));
            }
            validate_login(
                spec.login.as_ref(),
                &format!("nodeList[{index}].spec.login"),
            )?;
            let life_cycle = spec.lifecycle.clone().unwrap_or_default();
            validate_life_cycle(&life_cycle)?;
            let Some((pool, node)) = cluster.pools.iter().find_map(|p| {
                p.nodes
                    .iter()
                    .find(|n| n.uid() == item.node_id)
                    .map(|n| (p, n))
            }) else {
                return Err(ApiError::not_found(format!(
                    "node {} not found",
                    item.node_id
                )));
            };
            if pool.is_default() {
                node_resets.insert(
                    item.node_id.clone(),
                    ResetWith {
                        os: spec.os.clone(),
                        runtime: spec.runtime_config.as_ref().and_then(|r| r.runtime.clone()),
                        login: spec.login.as_ref().map(login_without_password),
                        life_cycle: Some(life_cycle),
                    },
                );
            }
            nodes.push(node);
        }
        let nodes = idle_nodes(&nodes)?;
        self.refuse_queued(&nodes)?;
        let count = nodes.len();
        let job_id = self.queue_resets(cluster_id, ("", ""), &nodes, count.max(1), timing);
        if let Some(job) = self.jobs.get_mut(&job_id) {
            job.job_type = "ResetNode".to_owned();
            job.node_resets = node_resets;
        }
        Ok(job_id)
    }

    /// Open Telekom Cloud's SyncNodePool (`PUT /api/v3.1/…/nodepool/{pool}/sync`):
    /// resets every node of the pool to its template, `max_unavailable` at a
    /// time. There is no job to follow: clients watch the nodes.
    pub(crate) fn sync_whole_pool(
        &mut self,
        cluster_id: &str,
        pool_id: &str,
        max_unavailable: usize,
        timing: &Timing,
    ) -> Result<(), ApiError> {
        let pool = self.existing_pool(cluster_id, pool_id)?;
        if pool.is_default() {
            return Err(ApiError::bad_request(
                "the DefaultPool cannot be synchronized as a pool; reset its nodes instead",
            ));
        }
        if pool.deleting {
            return Err(ApiError::forbidden(format!(
                "node pool {pool_id} is being deleted"
            )));
        }
        let nodes: Vec<&SimNode> = pool.nodes.iter().collect();
        let nodes = idle_nodes(&nodes)?;
        self.refuse_queued(&nodes)?;
        let pool_name = pool.pool.metadata.name.clone();
        self.queue_resets(
            cluster_id,
            (pool_id, &pool_name),
            &nodes,
            max_unavailable.max(1),
            timing,
        );
        Ok(())
    }

    /// Modelled, not documented: what CCE does with a reset naming a node
    /// that an accepted, unfinished job will reset is unknown. The most
    /// cautious plausible answer is a refusal (409).
    fn refuse_queued(&self, nodes: &[(String, String)]) -> Result<(), ApiError> {
        for (node_id, _) in nodes {
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
        }
        Ok(())
    }

    /// Starts a job that resets `nodes` (id, name), at most
    /// `max_unavailable` at a time, after the job's start delay.
    fn queue_resets(
        &mut self,
        cluster_id: &str,
        pool: (&str, &str),
        nodes: &[(String, String)],
        max_unavailable: usize,
        timing: &Timing,
    ) -> String {
        let job_id = self.new_job("UpgradeNodePool", "ResetNode", cluster_id, pool, nodes);
        let now = self.now;
        self.schedule_job(Some(now + timing.job_start), &job_id);
        if let Some(job) = self.jobs.get_mut(&job_id) {
            job.phase = "Initializing".to_owned();
            job.start_at = Some(now + timing.job_start);
            job.max_unavailable = max_unavailable;
            job.queue = nodes.iter().map(|(id, _)| id.clone()).collect();
            for sub in &mut job.sub_jobs {
                sub.phase = "Initializing".to_owned();
            }
        }
        if !pool.0.is_empty()
            && let Some(pool) = self.pool_state_mut(cluster_id, pool.0)
        {
            pool.job_id = Some(job_id.clone());
        }
        self.refresh(cluster_id);
        job_id
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
        let mut released = Vec::new();
        for job in self.jobs.values_mut().filter(|job| job.held) {
            job.held = false;
            job.start_at = Some(now + timing.job_start);
            released.push(job.uid.clone());
        }
        for job_id in &released {
            self.schedule_job(Some(now + timing.job_start), job_id);
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
                let mut patched: api::NodePool = serde_json::from_value(value).map_err(|e| {
                    ApiError::bad_request(format!("the patched pool is not a valid pool: {e}"))
                })?;
                patched.metadata.uid = Some(pool_id.clone());
                strip_template_secrets(&mut patched.spec.node_template);
                if let Some(pool) = self.pool_state_mut(cluster_id, pool_id) {
                    pool.pool = patched;
                    strip_system_labels(&mut pool.pool.spec.node_template);
                    if !pool.is_default() {
                        mark_staleness(pool, &faults.stale_fields);
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
                let mut patched: api::Node = serde_json::from_value(value).map_err(|e| {
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
                            let up_to_date =
                                is_up_to_date(&template, &node.node.spec, &faults.stale_fields);
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

/// Merges an UpdateNodePool template (`NodeSpecUpdate`) into the pool's
/// template: fields sent replace, fields omitted stay; an empty list or map
/// deletes all entries. `rootVolumeUpdate`, `dataVolumesUpdate` and
/// `nodeNicSpecUpdate` change the template's disks and subnet (for new
/// nodes). `extendParam` is special: when sent, the updatable keys it leaves
/// out are removed (that is how a script is dropped), the others are kept.
fn apply_template_update(template: &mut api::NodeTemplate, update: &api::NodeSpecUpdate) {
    macro_rules! replace {
        ($($field:ident),*) => {
            $(if let Some(value) = &update.$field {
                template.$field = Some(value.clone());
            })*
        };
    }
    replace!(
        os,
        storage,
        runtime,
        taints,
        wait_post_install_finish,
        k8s_tags,
        ecs_group_id,
        user_tags,
        node_name_template,
        initialized_conditions,
        server_enterprise_project_id,
        public_ip
    );
    if let Some(volume) = &update.root_volume_update {
        template.root_volume = Some(volume.clone());
    }
    if let Some(volumes) = &update.data_volumes_update {
        template.data_volumes = Some(volumes.clone());
    }
    if let Some(primary) = update
        .node_nic_spec_update
        .as_ref()
        .and_then(|n| n.primary_nic.as_ref())
    {
        let nic = template
            .node_nic_spec
            .get_or_insert_with(Default::default)
            .primary_nic
            .get_or_insert_with(Default::default);
        if let Some(subnet) = &primary.subnet_id {
            nic.subnet_id = Some(subnet.clone());
        }
        if let Some(subnets) = &primary.subnet_list {
            nic.subnet_list = Some(subnets.clone());
        }
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

/// Whether a policy (the update's word, else the pool's) is `refresh`,
/// CCE's `default` standing in for neither.
fn refreshes(policy: Option<&String>, default: &str) -> bool {
    policy.map_or(default, String::as_str) == "refresh"
}

/// What an update pushes to the pool's existing nodes (the labels, taints
/// and tags a `refresh` policy carries), as old → new pool values.
#[derive(Debug, Default)]
struct Push {
    labels: Option<(BTreeMap<String, String>, BTreeMap<String, String>)>,
    taints: Option<(Vec<api::Taint>, Vec<api::Taint>)>,
    tags: Option<(Vec<api::UserTag>, Vec<api::UserTag>)>,
}

impl Push {
    /// Replaces on `spec` what the pool set before with what it sets now,
    /// keeping what was added to the node by other means.
    fn apply(&self, spec: &mut api::NodeTemplate) {
        if let Some((old, new)) = &self.labels {
            let labels = spec.k8s_tags.get_or_insert_with(BTreeMap::new);
            labels.retain(|key, _| !old.contains_key(key));
            labels.extend(new.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        if let Some((old, new)) = &self.taints {
            let taints = spec.taints.get_or_insert_with(Vec::new);
            taints.retain(|t| {
                !old.iter()
                    .chain(new.iter())
                    .any(|o| o.key == t.key && o.effect == t.effect)
            });
            taints.extend(new.iter().cloned());
        }
        if let Some((old, new)) = &self.tags {
            let tags = spec.user_tags.get_or_insert_with(Vec::new);
            tags.retain(|t| !old.iter().chain(new.iter()).any(|o| o.key == t.key));
            tags.extend(new.iter().cloned());
        }
    }
}

/// Sets `configurationUpToDate` of a pool's idle nodes from its template.
/// Nodes in the middle of an operation get theirs when it ends.
fn mark_staleness(pool: &mut SimPool, fields: &BTreeSet<String>) {
    if pool.is_default() {
        return;
    }
    let template = pool.pool.spec.node_template.clone();
    for node in pool.nodes.iter_mut().filter(|n| n.progress.is_none()) {
        let up_to_date = is_up_to_date(&template, &node.node.spec, fields);
        node.status_mut().configuration_up_to_date = Some(up_to_date);
    }
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

fn set_param(spec: &mut api::NodeTemplate, key: &str, value: Option<String>) {
    let params = spec.extend_param.get_or_insert_with(BTreeMap::new);
    match value.filter(|v| !v.is_empty()) {
        Some(value) => {
            params.insert(key.to_owned(), Value::String(value));
        }
        None => {
            params.remove(key);
        }
    }
    if params.is_empty() {
        spec.extend_param = None;
    }
}

/// The spec a node is reset to. A reset reinstalls the OS: it changes the
/// OS, the runtime, the login and the scripts, from the pool's template
/// (`template`, absent for DefaultPool nodes) and then from `with`; never
/// the disks, the flavor, the labels, the taints or the tags.
fn reset_target(
    node_spec: &api::NodeTemplate,
    template: Option<&api::NodeTemplate>,
    with: Option<&ResetWith>,
) -> api::NodeTemplate {
    let mut spec = node_spec.clone();
    if let Some(template) = template {
        spec.os = template.os.clone();
        spec.runtime = template.runtime.clone();
        spec.login = template.login.clone();
        for key in [PRE_INSTALL_KEY, POST_INSTALL_KEY] {
            set_param(&mut spec, key, template.param(key));
        }
        spec.wait_post_install_finish = template.wait_post_install_finish;
    }
    if let Some(with) = with {
        if with.os.is_some() {
            spec.os = with.os.clone();
        }
        if with.runtime.is_some() {
            spec.runtime = with.runtime.clone();
        }
        if let Some(login) = &with.login
            && (login.ssh_key.is_some() || login.user_password.is_some())
        {
            spec.login = Some(login.clone());
        }
        if let Some(life_cycle) = &with.life_cycle {
            for (key, value) in [
                (PRE_INSTALL_KEY, &life_cycle.pre_install),
                (POST_INSTALL_KEY, &life_cycle.post_install),
            ] {
                if let Some(value) = value {
                    set_param(&mut spec, key, Some(value.clone()));
                }
            }
            if let Some(wait) = life_cycle.wait_post_install_finish {
                spec.wait_post_install_finish = Some(wait);
            }
        }
    }
    strip_template_secrets(&mut spec);
    spec
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

    /// A salted password as CCE takes it: base64 of a SHA-512 crypt string.
    fn salted() -> String {
        use base64::Engine as _;
        let crypt = format!("$6$abcdefghABCDEFGH${}", "x".repeat(86));
        base64::engine::general_purpose::STANDARD.encode(crypt)
    }

    fn template() -> api::NodeTemplate {
        api::NodeTemplate {
            flavor: Some("c7.large.2".into()),
            az: Some("az-a,az-b,az-c".into()),
            os: Some("EulerOS 2.9".into()),
            login: Some(api::Login {
                ssh_key: Some("kp1".into()),
                ..Default::default()
            }),
            runtime: Some(api::Runtime {
                name: "containerd".into(),
                runtime_class: None,
            }),
            root_volume: Some(api::Volume {
                size: 50,
                volumetype: "SSD".into(),
                ..Default::default()
            }),
            k8s_tags: Some(BTreeMap::from([("team".into(), "a".into())])),
            extend_param: Some(BTreeMap::from([(
                POST_INSTALL_KEY.to_owned(),
                Value::String("b2xk".into()),
            )])),
            ..Default::default()
        }
    }

    fn pool(name: &str) -> api::NodePool {
        api::NodePool {
            metadata: api::NodePoolMetadata {
                name: name.into(),
                ..Default::default()
            },
            spec: api::NodePoolSpec {
                node_template: template(),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    fn sync_body(pool_id: &str, nodes: Vec<String>, max: u32) -> api::UpgradeNodePool {
        api::UpgradeNodePool {
            kind: "NodePool".into(),
            api_version: "v3".into(),
            spec: api::NodePoolUpgradeSpec {
                node_pool_id: pool_id.into(),
                node_ids: nodes,
                max_unavailable: Some(max),
                ..Default::default()
            },
        }
    }

    fn update(template: api::NodeSpecUpdate) -> api::NodePoolUpdate {
        api::NodePoolUpdate {
            spec: api::NodePoolSpecUpdate {
                node_template: template,
                ignore_initial_node_count: Some(true),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    fn node_ids(state: &SimState, pool_id: &str) -> Vec<String> {
        state
            .pool_nodes("c1", pool_id)
            .iter()
            .map(|n| n.metadata.uid.clone())
            .collect()
    }

    fn up_to_date(state: &SimState, pool_id: &str) -> Vec<Option<bool>> {
        state
            .pool_nodes("c1", pool_id)
            .iter()
            .map(|n| n.status.as_ref().and_then(|s| s.configuration_up_to_date))
            .collect()
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
                    .and_then(|a| a.get(api::NODE_POOL_ANNOTATION)),
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
                .and_then(|a| a.get(api::NODE_POOL_ANNOTATION))
                .map(String::as_str),
            Some("az-a#c7.large.2#EulerOS 2.9")
        );
    }

    #[test]
    fn the_system_label_is_never_stored() {
        let mut state = SimState::new();
        let mut seeded = pool("np");
        seeded
            .spec
            .node_template
            .k8s_tags
            .get_or_insert_with(BTreeMap::new)
            .insert(POOL_NAME_LABEL.into(), "np".into());
        let pool_id = state.add_pool("c1", seeded, 1);
        let stored = state.pool("c1", &pool_id).expect("pool");
        assert_eq!(
            stored.spec.node_template.k8s_tags,
            Some(BTreeMap::from([("team".into(), "a".into())]))
        );
        let shown = state
            .show_pool("c1", &pool_id, view::PoolAnswer::Show)
            .expect("shown");
        assert_eq!(
            shown["spec"]["nodeTemplate"]["k8sTags"][POOL_NAME_LABEL],
            "np"
        );
    }

    #[test]
    fn sync_respects_max_unavailable_exactly() {
        let mut state = SimState::new();
        let pool_id = state.add_pool("c1", pool("np"), 7);
        let ids = node_ids(&state, &pool_id);
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
    fn a_state_reloaded_mid_sync_goes_on_as_if_it_had_not_been() {
        let mut state = SimState::new();
        let pool_id = state.add_pool("c1", pool("np"), 7);
        let ids = node_ids(&state, &pool_id);
        state
            .start_sync("c1", &pool_id, sync_body(&pool_id, ids, 3), &TIMING)
            .expect("accepted");
        state.advance_to(90.0, &TIMING, &Faults::default());
        // A load starts without the event index; it is rebuilt from the
        // nodes and jobs.
        let text = serde_json::to_string(&state).expect("serialises");
        let mut reloaded: SimState = serde_json::from_str(&text).expect("parses");
        assert!(!reloaded.pending.built);
        state.advance_to(10_000.0, &TIMING, &Faults::default());
        reloaded.advance_to(10_000.0, &TIMING, &Faults::default());
        assert_eq!(
            serde_json::to_value(&reloaded).expect("serialises"),
            serde_json::to_value(&state).expect("serialises")
        );
        assert_eq!(up_to_date(&reloaded, &pool_id), [Some(true); 7]);
    }

    #[test]
    fn only_os_and_runtime_make_nodes_stale_by_default() {
        let base = template();
        let documented = documented_stale_fields();
        let wide: BTreeSet<String> = STALE_FIELD_NAMES.iter().map(|f| (*f).to_owned()).collect();
        let mut changed = base.clone();
        changed.k8s_tags = Some(BTreeMap::from([("team".into(), "b".into())]));
        changed.taints = Some(vec![api::Taint {
            key: "k".into(),
            value: None,
            effect: "NoSchedule".into(),
        }]);
        assert!(is_up_to_date(&changed, &base, &wide));
        type Edit = fn(&mut api::NodeTemplate);
        let cases: [(Edit, bool); 6] = [
            (|t| t.os = Some("Ubuntu 22.04".into()), true),
            (|t| t.runtime = None, true),
            (
                |t| set_param(t, POST_INSTALL_KEY, Some("bmV3".into())),
                false,
            ),
            (|t| set_param(t, MAX_PODS_KEY, Some("64".into())), false),
            (
                |t| {
                    t.data_volumes = Some(vec![api::Volume {
                        size: 100,
                        volumetype: "SSD".into(),
                        ..Default::default()
                    }])
                },
                false,
            ),
            (|t| t.login = None, false),
        ];
        for (edit, documented_stale) in cases {
            let mut stale = base.clone();
            edit(&mut stale);
            assert_eq!(
                !is_up_to_date(&stale, &base, &documented),
                documented_stale,
                "{stale:?}"
            );
            assert!(!is_up_to_date(&stale, &base, &wide), "{stale:?}");
        }
    }

    #[test]
    fn a_script_update_leaves_nodes_up_to_date_unless_widened() {
        let mut state = SimState::new();
        let pool_id = state.add_pool("c1", pool("np"), 2);
        let mut script = api::NodeSpecUpdate {
            extend_param: Some(BTreeMap::from([(
                POST_INSTALL_KEY.to_owned(),
                Value::String("bmV3".into()),
            )])),
            ..Default::default()
        };
        let faults = Faults::default();
        state
            .update_pool("c1", &pool_id, update(script.clone()), &TIMING, &faults)
            .expect("updated");
        assert_eq!(up_to_date(&state, &pool_id), [Some(true), Some(true)]);

        let widened = Faults {
            stale_fields: BTreeSet::from(["os".into(), "runtime".into(), "scripts".into()]),
            ..Faults::default()
        };
        script.extend_param = Some(BTreeMap::from([(
            POST_INSTALL_KEY.to_owned(),
            Value::String("bmV3ZXI=".into()),
        )]));
        state
            .update_pool("c1", &pool_id, update(script), &TIMING, &widened)
            .expect("updated");
        assert_eq!(up_to_date(&state, &pool_id), [Some(false), Some(false)]);

        let os = api::NodeSpecUpdate {
            os: Some("Huawei Cloud EulerOS 2.0".into()),
            ..Default::default()
        };
        let mut state = SimState::new();
        let pool_id = state.add_pool("c1", pool("np"), 2);
        state
            .update_pool("c1", &pool_id, update(os), &TIMING, &faults)
            .expect("updated");
        assert_eq!(up_to_date(&state, &pool_id), [Some(false), Some(false)]);
        // A reset brings the node up to date.
        let ids = node_ids(&state, &pool_id);
        state
            .start_sync("c1", &pool_id, sync_body(&pool_id, ids, 2), &TIMING)
            .expect("accepted");
        state.advance_to(1_000.0, &TIMING, &faults);
        assert_eq!(up_to_date(&state, &pool_id), [Some(true), Some(true)]);
        let node = state.pool_nodes("c1", &pool_id)[0].clone();
        assert_eq!(node.spec.os.as_deref(), Some("Huawei Cloud EulerOS 2.0"));
    }

    #[test]
    fn disk_and_subnet_updates_reach_new_nodes_only() {
        let mut state = SimState::new();
        let pool_id = state.add_pool("c1", pool("np"), 1);
        let disks = api::NodeSpecUpdate {
            root_volume_update: Some(api::Volume {
                size: 100,
                volumetype: "GPSSD".into(),
                ..Default::default()
            }),
            data_volumes_update: Some(vec![api::Volume {
                size: 200,
                volumetype: "GPSSD".into(),
                ..Default::default()
            }]),
            node_nic_spec_update: Some(api::NodeSpecUpdateNodeNicSpecUpdate {
                primary_nic: Some(api::NodeSpecUpdateNodeNicSpecUpdatePrimaryNic {
                    subnet_id: Some("subnet-2".into()),
                    subnet_list: None,
                }),
            }),
            ..Default::default()
        };
        let faults = Faults::default();
        let mut body = update(disks);
        body.spec.ignore_initial_node_count = None;
        body.spec.initial_node_count = Some(2);
        state
            .update_pool("c1", &pool_id, body, &TIMING, &faults)
            .expect("updated");
        state.advance_to(1_000.0, &TIMING, &faults);
        let template = &state.pool("c1", &pool_id).expect("pool").spec.node_template;
        assert_eq!(template.root_volume.as_ref().map(|v| v.size), Some(100));
        assert_eq!(
            template
                .node_nic_spec
                .as_ref()
                .and_then(|n| n.primary_nic.as_ref())
                .and_then(|p| p.subnet_id.as_deref()),
            Some("subnet-2")
        );
        let sizes: Vec<Option<u32>> = state
            .pool_nodes("c1", &pool_id)
            .iter()
            .map(|n| n.spec.root_volume.as_ref().map(|v| v.size))
            .collect();
        assert_eq!(sizes, [Some(50), Some(100)], "the old node keeps its disk");
        assert_eq!(up_to_date(&state, &pool_id), [Some(true), Some(true)]);
    }

    #[test]
    fn an_update_without_a_count_scales_the_pool_to_zero() {
        let mut state = SimState::new();
        let pool_id = state.add_pool("c1", pool("np"), 2);
        let mut body = update(api::NodeSpecUpdate::default());
        body.spec.ignore_initial_node_count = None;
        let faults = Faults::default();
        state
            .update_pool("c1", &pool_id, body, &TIMING, &faults)
            .expect("updated");
        state.advance_to(1_000.0, &TIMING, &faults);
        assert!(state.pool_nodes("c1", &pool_id).is_empty());
    }

    #[test]
    fn refresh_policies_push_labels_taints_and_tags_without_a_reset() {
        let mut state = SimState::new();
        let pool_id = state.add_pool("c1", pool("np"), 1);
        let node_id = node_ids(&state, &pool_id)[0].clone();
        // A label added to the node by hand stays.
        state
            .node_mut("c1", &node_id)
            .and_then(|n| n.spec.k8s_tags.as_mut())
            .map(|l| l.insert("manual".into(), "yes".into()));
        let labels = api::NodeSpecUpdate {
            k8s_tags: Some(BTreeMap::from([("team".into(), "b".into())])),
            taints: Some(vec![api::Taint {
                key: "dedicated".into(),
                value: Some("x".into()),
                effect: "NoSchedule".into(),
            }]),
            user_tags: Some(vec![api::UserTag {
                key: "env".into(),
                value: "prod".into(),
            }]),
            ..Default::default()
        };
        let faults = Faults::default();
        state
            .update_pool("c1", &pool_id, update(labels.clone()), &TIMING, &faults)
            .expect("updated");
        let node = state.node("c1", &node_id).expect("node").clone();
        assert_eq!(
            node.spec.k8s_tags,
            Some(BTreeMap::from([
                ("manual".into(), "yes".into()),
                ("team".into(), "b".into())
            ]))
        );
        assert_eq!(node.spec.taints.as_ref().map(Vec::len), Some(1));
        // Resource tags default to `ignore`.
        assert_eq!(node.spec.user_tags, None);
        assert_eq!(
            node.status.as_ref().map(|s| s.phase.as_str()),
            Some("Active")
        );
        assert!(
            node.status
                .and_then(|s| s.configuration_up_to_date)
                .unwrap_or(false)
        );

        let mut refresh_tags = update(labels);
        refresh_tags.spec.user_tags_policy_on_existing_nodes = Some("refresh".into());
        refresh_tags.spec.label_policy_on_existing_nodes = Some("ignore".into());
        refresh_tags.spec.node_template.k8s_tags =
            Some(BTreeMap::from([("team".into(), "c".into())]));
        state
            .update_pool("c1", &pool_id, refresh_tags, &TIMING, &faults)
            .expect("updated");
        let node = state.node("c1", &node_id).expect("node");
        assert_eq!(node.spec.user_tags.as_ref().map(Vec::len), Some(1));
        assert_eq!(
            node.spec.k8s_tags.as_ref().and_then(|l| l.get("team")),
            Some(&"b".to_owned()),
            "the pool's label policy is now ignore"
        );
    }

    #[test]
    fn a_reset_changes_os_login_and_scripts_but_never_disks_or_labels() {
        let mut state = SimState::new();
        let pool_id = state.add_pool("c1", pool("np"), 1);
        let node_id = node_ids(&state, &pool_id)[0].clone();
        let faults = Faults::default();
        let mut change = update(api::NodeSpecUpdate {
            os: Some("Huawei Cloud EulerOS 2.0".into()),
            root_volume_update: Some(api::Volume {
                size: 200,
                volumetype: "GPSSD".into(),
                ..Default::default()
            }),
            k8s_tags: Some(BTreeMap::from([("team".into(), "b".into())])),
            extend_param: Some(BTreeMap::from([(
                POST_INSTALL_KEY.to_owned(),
                Value::String("bmV3".into()),
            )])),
            ..Default::default()
        });
        change.spec.label_policy_on_existing_nodes = Some("ignore".into());
        state
            .update_pool("c1", &pool_id, change, &TIMING, &faults)
            .expect("updated");
        let mut body = sync_body(&pool_id, vec![node_id.clone()], 1);
        body.spec.node_template = Some(api::UpgradeNodePoolSpecNodeTemplate {
            life_cycle: Some(api::NodeLifecycleConfig::default()),
            login: Some(api::Login {
                user_password: Some(api::UserPassword {
                    username: Some("admin".into()),
                    password: Some(salted()),
                }),
                ..Default::default()
            }),
            volume_config: None,
        });
        state
            .start_sync("c1", &pool_id, body, &TIMING)
            .expect("accepted");
        state.advance_to(1_000.0, &TIMING, &faults);
        let node = state.node("c1", &node_id).expect("node");
        assert_eq!(node.spec.os.as_deref(), Some("Huawei Cloud EulerOS 2.0"));
        assert_eq!(node.spec.param(POST_INSTALL_KEY).as_deref(), Some("bmV3"));
        assert_eq!(node.spec.root_volume.as_ref().map(|v| v.size), Some(50));
        assert_eq!(
            node.spec.k8s_tags.as_ref().and_then(|l| l.get("team")),
            Some(&"a".to_owned())
        );
        let login = node.spec.login.clone().expect("login");
        assert_eq!(
            login.user_password.and_then(|u| u.username).as_deref(),
            Some("admin")
        );
        let saved = serde_json::to_string(&state).expect("json");
        assert!(!saved.contains(&salted()), "the password is never kept");
    }

    #[test]
    fn a_plaintext_password_is_refused_everywhere() {
        let plain = api::Login {
            user_password: Some(api::UserPassword {
                username: None,
                password: Some("Secret#Pass1".into()),
            }),
            ..Default::default()
        };
        let error = validate_login(Some(&plain), "spec.nodeTemplate.login").expect_err("plain");
        assert_eq!(error.status, 400);
        assert_eq!(error.code, "CCE.01400001");
        assert!(error.message.contains("The password field must be salted"));
        assert!(is_salted_password(&salted()));
        assert!(!is_salted_password("JDYkc2FsdCRoYXNo"));

        let mut state = SimState::new();
        let pool_id = state.add_pool("c1", pool("np"), 1);
        let faults = Faults::default();
        let body = update(api::NodeSpecUpdate {
            login: Some(plain.clone()),
            ..Default::default()
        });
        let refused = state
            .update_pool("c1", &pool_id, body, &TIMING, &faults)
            .expect_err("plaintext");
        assert!(refused.message.contains("must be salted"));

        let mut created = pool("np-2");
        created.spec.node_template.login = Some(plain.clone());
        assert!(state.create_pool("c1", created, &TIMING).is_err());

        let ids = node_ids(&state, &pool_id);
        let mut sync = sync_body(&pool_id, ids.clone(), 1);
        sync.spec.node_template = Some(api::UpgradeNodePoolSpecNodeTemplate {
            login: Some(plain.clone()),
            ..Default::default()
        });
        assert!(state.start_sync("c1", &pool_id, sync, &TIMING).is_err());

        let reset = api::ResetNodeList {
            api_version: "v3".into(),
            kind: "List".into(),
            node_list: vec![api::ResetNode {
                node_id: ids[0].clone(),
                spec: Some(api::ReinstallNodeSpec {
                    os: Some("EulerOS 2.9".into()),
                    login: Some(plain),
                    ..Default::default()
                }),
            }],
        };
        assert!(state.reset_nodes("c1", reset, &TIMING).is_err());
    }

    #[test]
    fn a_node_reset_takes_a_pool_nodes_template_from_the_pool() {
        let mut state = SimState::new();
        let pool_id = state.add_pool("c1", pool("np"), 2);
        let default_ids = state.add_default_nodes("c1", template(), 1);
        let ids = node_ids(&state, &pool_id);
        let faults = Faults::default();
        state
            .update_pool(
                "c1",
                &pool_id,
                update(api::NodeSpecUpdate {
                    os: Some("Huawei Cloud EulerOS 2.0".into()),
                    ..Default::default()
                }),
                &TIMING,
                &faults,
            )
            .expect("updated");
        let spec = |os: &str| {
            Some(api::ReinstallNodeSpec {
                os: Some(os.into()),
                login: Some(api::Login {
                    ssh_key: Some("kp-other".into()),
                    ..Default::default()
                }),
                ..Default::default()
            })
        };
        let body = api::ResetNodeList {
            api_version: "v3".into(),
            kind: "List".into(),
            node_list: vec![
                api::ResetNode {
                    node_id: ids[0].clone(),
                    spec: spec("Ignored OS"),
                },
                api::ResetNode {
                    node_id: default_ids[0].clone(),
                    spec: spec("Ubuntu 22.04"),
                },
            ],
        };
        let job = state.reset_nodes("c1", body, &TIMING).expect("accepted");
        state.advance_to(1_000.0, &TIMING, &faults);
        assert_eq!(state.jobs[&job].phase, "Success");
        let pool_node = state.node("c1", &ids[0]).expect("node");
        assert_eq!(
            pool_node.spec.os.as_deref(),
            Some("Huawei Cloud EulerOS 2.0")
        );
        assert_eq!(
            pool_node
                .spec
                .login
                .as_ref()
                .and_then(|l| l.ssh_key.as_deref()),
            Some("kp1")
        );
        let default_node = state.node("c1", &default_ids[0]).expect("node");
        assert_eq!(default_node.spec.os.as_deref(), Some("Ubuntu 22.04"));
        assert_eq!(up_to_date(&state, &pool_id), [Some(true), Some(false)]);
        // Both nodes went at once.
        assert_eq!(state.cluster_peak_unavailable("c1"), 2);
    }

    #[test]
    fn the_otc_pool_sync_resets_every_node_at_its_pace() {
        let mut state = SimState::new();
        let pool_id = state.add_pool("c1", pool("np"), 3);
        let faults = Faults::default();
        state
            .update_pool(
                "c1",
                &pool_id,
                update(api::NodeSpecUpdate {
                    os: Some("Huawei Cloud EulerOS 2.0".into()),
                    ..Default::default()
                }),
                &TIMING,
                &faults,
            )
            .expect("updated");
        state
            .sync_whole_pool("c1", &pool_id, 2, &TIMING)
            .expect("accepted");
        state.advance_to(1_000.0, &TIMING, &faults);
        assert_eq!(state.peak_unavailable(&pool_id), 2);
        assert_eq!(
            up_to_date(&state, &pool_id),
            [Some(true), Some(true), Some(true)]
        );
    }

    #[test]
    fn a_job_can_stay_hidden_for_its_first_reads() {
        let mut state = SimState::new();
        let pool_id = state.add_pool("c1", pool("np"), 1);
        let ids = node_ids(&state, &pool_id);
        let job = state
            .start_sync("c1", &pool_id, sync_body(&pool_id, ids, 1), &TIMING)
            .expect("accepted");
        if let Some(job) = state.jobs.get_mut(&job) {
            job.hidden_reads = 2;
        }
        assert_eq!(state.show_job(&job).map_err(|e| e.status), Err(404));
        assert_eq!(state.show_job(&job).map_err(|e| e.status), Err(404));
        assert!(state.show_job(&job).is_ok());
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
