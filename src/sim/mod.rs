//! A CCE API simulator: the HTTP API poolform talks to, served locally, with
//! simulated time, fault knobs and records that let tests prove what a
//! client did.
//!
//! # What it serves
//!
//! Under `/api/v3/projects/{project_id}` (the same paths, bodies and error
//! bodies as CCE, see `reference/cce-api.md`):
//!
//! | call | method and path |
//! |---|---|
//! | ListNodePools | `GET …/clusters/{cluster}/nodepools[?showDefaultNodePool=true]` |
//! | CreateNodePool | `POST …/clusters/{cluster}/nodepools` (201) |
//! | ShowNodePool | `GET …/clusters/{cluster}/nodepools/{pool}` |
//! | UpdateNodePool | `PUT …/clusters/{cluster}/nodepools/{pool}` |
//! | DeleteNodePool | `DELETE …/clusters/{cluster}/nodepools/{pool}` |
//! | UpgradeNodePool (sync) | `POST …/clusters/{cluster}/nodepools/{pool}/operation/upgrade` → `{"jobid"}` |
//! | ListNodes | `GET …/clusters/{cluster}/nodes?limit=&marker=` (pages by node id; `pageInfo.nextMarker` absent on the last page) |
//! | ShowNode | `GET …/clusters/{cluster}/nodes/{node}` |
//! | ResetNode | `POST …/clusters/{cluster}/nodes/reset` → `{"jobid"}` |
//! | SyncNodePool (OTC) | `PUT /api/v3.1/projects/{project_id}/clusters/{cluster}/nodepool/{pool}/sync` → 200, empty string, no job |
//! | ShowJob | `GET …/jobs/{job}` |
//!
//! and `POST /v3/auth/tokens` (IAM password login; the token comes back in
//! `X-Subject-Token`). Every answer carries `X-Request-Id`; errors use the
//! CCE body `{"errorCode","errorMessage"}` plus `error_code`/`error_msg`, and
//! authentication failures the gateway body
//! `{"error_msg","error_code":"APIG.0301","request_id"}` with status 401.
//!
//! # An independent reading of the API
//!
//! The simulator shares no types with poolform's client. Request bodies are
//! read as JSON and checked against the SDK's models ([`catalogue`]):
//! create = `NodePool`, update = `NodePoolUpdate`, sync = `UpgradeNodePool`,
//! node reset = `ResetNodeList`. A key the model does not have is ignored,
//! as CCE ignores it, and listed in the request log entry
//! ([`LoggedRequest::ignored`]); a value of the wrong JSON type is answered
//! 400 `CCE.01400001` naming the field. Only then is the body read into the
//! simulator's own types ([`api`]), so an ignored key has no effect.
//! Responses are decorated on the way out as real ones are ([`view`]).
//!
//! # Behaviour
//!
//! - Creating a pool (or scaling it up) creates nodes that pass `Build` →
//!   `Installing` → `Active` over [`SimConfig::create_duration`].
//! - Updating a pool (`NodeSpecUpdate`: `rootVolumeUpdate`,
//!   `dataVolumesUpdate`, `nodeNicSpecUpdate`, …) changes the template for
//!   new nodes. Only a change of os or runtime makes existing nodes
//!   `configurationUpToDate: false`, as CCE documents
//!   ([`Faults::stale_fields`] widens it). Labels, taints and tags reach the
//!   existing nodes at once, without a reset, when the pool's
//!   `*PolicyOnExistingNodes` is `refresh` (labels and taints by default,
//!   tags not). An update without `initialNodeCount` and without
//!   `ignoreInitialNodeCount` scales the pool to 0, as the real API does.
//!   Fields left out of an update stay; a sent `extendParam` is complete for
//!   the keys an update may change (a script left out is removed).
//! - A reset (sync, ResetNode, OTC's pool sync) changes a node's os,
//!   runtime, login and scripts only: never its disks, flavor, labels,
//!   taints or tags. Passwords must be salted (base64 of a SHA-512 crypt
//!   string); a plaintext one is refused with 400. None is ever kept.
//! - Deleting a pool drains its nodes (`Deleting`) and then removes it; the
//!   DefaultPool can be neither updated nor deleted.
//! - A sync job is `Initializing` briefly, then `Running`: it resets the
//!   given nodes at most `maxUnavailable` at a time. Each is `Installing` for
//!   [`SimConfig::reset_duration`], then `Active`, up to date, its spec the
//!   pool template with the login and `lifeCycle` of the sync body. The job
//!   has one sub-job per node and ends `Success`, or `Failed` when a node's
//!   reset failed. Passwords are never kept: logins keep only the user name.
//! - DefaultPool nodes name their pool with the annotation
//!   `kubernetes.io/node-pool.id: "{az}#{flavor}#{os}"` and
//!   `ownerReferences.nodepoolID: "DefaultPool"`, the id the sync API takes.
//!
//! # Time
//!
//! The simulated clock runs [`SimConfig::time_scale`] simulated seconds per
//! real second (at 1000, a 60 s reset takes 60 ms), and can be pushed with
//! [`SimHandle::advance`] or `POST /_sim/advance?seconds=N`. Every scheduled
//! event is applied at its own simulated instant, so the recorded peaks of
//! unavailable nodes are exact.
//!
//! # Faults
//!
//! See [`Faults`]: latency, seeded random 429/5xx/malformed-body rates,
//! deterministic "answer the next N reads/writes with these statuses",
//! writes that take effect but answer late, nodes whose reset fails or never
//! ends, [`OutsideChange`]s scheduled after the Nth successful write, and a
//! gateway quota ([`RateLimit`]) past which requests are answered 429.
//!
//! # Control
//!
//! [`SimHandle`] in process, or the same over HTTP for tests that drive the
//! binary (no authentication, no faults):
//!
//! | | |
//! |---|---|
//! | `GET /_sim/state`, `PUT /_sim/state` | the whole [`SimState`] |
//! | `GET /_sim/peaks`, `DELETE /_sim/peaks` | per cluster `{cluster, pools: {pool id: n}}`; delete restarts recording |
//! | `GET /_sim/log` | the mutating requests ([`LoggedRequest`]) |
//! | `GET /_sim/faults`, `PUT /_sim/faults` | the [`Faults`] |
//! | `POST /_sim/outside-change` | an [`OutsideChange`] |
//! | `POST /_sim/advance?seconds=N` | move the clock |
//! | `GET /_sim/nodes/{cluster}/{node}` | the whole internal node: labels, taints, tags, scripts, disks |

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub mod api;
pub mod auth;
pub mod catalogue;
mod server;
mod state;
pub mod view;

pub use auth::SimAuth;
pub use state::{
    ClusterPeaks, DEFAULT_POOL_ID, LoggedRequest, OutsideChange, POOL_NAME_LABEL, Progress,
    ProgressKind, ResetWith, STALE_FIELD_NAMES, SimCluster, SimJob, SimNode, SimPool, SimState,
    SimSubJob, documented_stale_fields, is_salted_password, timestamp,
};

/// Faults the simulator injects. Deterministic knobs (`fail_next*`,
/// `malformed_next`, `slow_next_writes`, node selectors) suit tests best; the
/// random rates draw from an RNG seeded with `seed`, re-seeded whenever the
/// faults are set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// Extra latency on every API request, in real milliseconds.
    pub latency_ms: u64,
    /// Probability that an API request is answered 429 (throttled).
    pub rate_429: f64,
    /// Probability that an API request is answered 500.
    pub rate_5xx: f64,
    /// Probability that a successful read's body is cut short (invalid JSON).
    pub malformed_rate: f64,
    /// Seed of the RNG behind the rates.
    pub seed: u64,
    /// Statuses to answer the next reads (GET) with, in order, one each,
    /// before they reach the API. 429 alternates between the gateway body
    /// (`APIG.0308`) and CCE's (`CCE.01429002`), starting with the gateway.
    pub fail_next: Vec<u16>,
    /// Statuses to answer the next mutating requests with, in order; the
    /// request has no effect.
    pub fail_next_writes: Vec<u16>,
    /// How many of the next successful reads get a cut-short body.
    pub malformed_next: u32,
    /// Delays (real milliseconds) added after the next mutating requests
    /// took effect: the request is carried out, the answer comes late (a
    /// client timeout that must not be retried blindly).
    pub slow_next_writes: Vec<u64>,
    /// Nodes (id or name) whose reset fails: the node ends in `Error`, its
    /// sub-job and the job `Failed`.
    pub fail_reset_nodes: BTreeSet<String>,
    /// Nodes (id or name) whose reset never finishes.
    pub stuck_nodes: BTreeSet<String>,
    /// Sync jobs to let start normally before holding every later one
    /// accepted but unstarted (0 = hold the next). Clearing it (`None`)
    /// lets the held jobs start: tests use it to catch the moment CCE has
    /// accepted a sync whose nodes still look Active and not up to date.
    pub hold_jobs_after: Option<u32>,
    /// Changes made "from outside" at a chosen moment of a client's work:
    /// each right after the `after_writes`-th successful mutating request
    /// from now, e.g. a template edited between two sync batches.
    pub scheduled_changes: Vec<ScheduledChange>,
    /// The template fields whose difference makes a node report
    /// `configurationUpToDate: false` (see [`STALE_FIELD_NAMES`]). CCE
    /// documents `os` and `runtime`, the default; tests widen it.
    pub stale_fields: BTreeSet<String>,
    /// How many times ShowJob answers 404 for a job just started by a sync
    /// or a node reset, before it shows the job (real CCE may not show a job
    /// right after the POST).
    pub job_hidden_reads: u32,
    /// `Retry-After` seconds on the 429s the simulator injects; absent by
    /// default, as CCE documents none.
    pub retry_after_secs: Option<u64>,
    /// The gateway's request quota: past it, requests are answered 429
    /// (`APIG.0308`) without reaching the API.
    pub rate_limit: Option<RateLimit>,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            latency_ms: 0,
            rate_429: 0.0,
            rate_5xx: 0.0,
            malformed_rate: 0.0,
            seed: 0,
            fail_next: Vec::new(),
            fail_next_writes: Vec::new(),
            malformed_next: 0,
            slow_next_writes: Vec::new(),
            fail_reset_nodes: BTreeSet::new(),
            stuck_nodes: BTreeSet::new(),
            hold_jobs_after: None,
            scheduled_changes: Vec::new(),
            stale_fields: documented_stale_fields(),
            job_hidden_reads: 0,
            retry_after_secs: None,
            rate_limit: None,
        }
    }
}

/// Which cloud's CCE the simulator plays.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Flavour {
    /// Huawei Cloud: UpgradeNodePool; Open Telekom Cloud's calls are served
    /// too.
    #[default]
    Huawei,
    /// Open Telekom Cloud: no `operation/upgrade` (404); pools are
    /// synchronised with `PUT /api/v3.1/…/nodepool/{pool}/sync`.
    Otc,
}

/// How UpgradeNodePool answers: the SDK reads `{"jobid"}`, the API pages
/// say the body is empty.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncAnswer {
    /// 200 `{"jobid": "…"}`.
    #[default]
    JobId,
    /// 200 with no body.
    Empty,
}

/// A request quota like the API gateway's: at most `requests` API requests
/// per fixed window of `window_ms` real milliseconds (windows start at the
/// first request); every request past the quota, retries included, is
/// answered 429 and counts toward nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimit {
    /// Requests let through per window.
    pub requests: u32,
    /// The window, in real milliseconds.
    pub window_ms: u64,
}

/// An [`OutsideChange`] that happens once a client has made a number of
/// successful mutating requests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScheduledChange {
    /// Successful mutating requests to wait for (1 = right after the next).
    pub after_writes: u32,
    /// The change.
    pub change: OutsideChange,
}

/// How the simulator runs.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The project id served; requests for another get 403. Empty serves any.
    pub project_id: String,
    /// Where to listen; port 0 picks a free one.
    pub listen: SocketAddr,
    /// Accepted credentials.
    pub auth: SimAuth,
    /// Simulated seconds per real second.
    pub time_scale: f64,
    /// Simulated time a node reset takes.
    pub reset_duration: Duration,
    /// Simulated time a node creation takes (half `Build`, half `Installing`).
    pub create_duration: Duration,
    /// Simulated time a node deletion takes.
    pub delete_duration: Duration,
    /// Simulated time a sync job stays `Initializing`.
    pub job_start_delay: Duration,
    /// Real latency added to every API request.
    pub latency: Duration,
    /// Faults at start.
    pub faults: Faults,
    /// Where to save the state on every change.
    pub state_file: Option<PathBuf>,
    /// The most nodes a ListNodes page holds whatever `limit` says, to make
    /// a client page through small states.
    pub page_size_cap: Option<usize>,
    /// How often (real time) the clock advances and the state is saved
    /// without requests.
    pub tick: Duration,
    /// Huawei Cloud or Open Telekom Cloud.
    pub flavour: Flavour,
    /// How UpgradeNodePool answers.
    pub sync_answer: SyncAnswer,
    /// Nodes Open Telekom Cloud's SyncNodePool resets at once.
    pub otc_sync_max_unavailable: usize,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            project_id: "sim-project".to_owned(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            auth: SimAuth::none(),
            time_scale: 1.0,
            reset_duration: Duration::from_secs(60),
            create_duration: Duration::from_secs(120),
            delete_duration: Duration::from_secs(30),
            job_start_delay: Duration::from_secs(2),
            latency: Duration::ZERO,
            faults: Faults::default(),
            state_file: None,
            page_size_cap: None,
            tick: Duration::from_millis(50),
            flavour: Flavour::Huawei,
            sync_answer: SyncAnswer::JobId,
            otc_sync_max_unavailable: 1,
        }
    }
}

/// A failure of the simulator itself.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A state file could not be read or written.
    #[error("cannot access the simulator state file {}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A state file is not a simulator state.
    #[error("{} is not a simulator state file", path.display())]
    StateFormat {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// A control request was refused (unknown pool or node, bad patch).
    #[error("the simulator refused the change: {message}")]
    Rejected {
        /// HTTP status the API would answer.
        status: u16,
        /// What is wrong.
        message: String,
    },
}

/// Starts the simulator on `config.listen` with `state`, in the current
/// tokio runtime.
pub async fn start(config: SimConfig, state: SimState) -> Result<SimHandle, SimError> {
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| SimError::Bind {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| SimError::Bind {
        addr: config.listen,
        source,
    })?;
    let shared = Arc::new(server::Shared::new(config, state));
    let (shutdown, on_shutdown) = tokio::sync::oneshot::channel::<()>();
    let app = server::router(Arc::clone(&shared));
    let server = tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = on_shutdown.await;
            })
            .await;
        if let Err(error) = served {
            tracing::warn!(%error, "simulator server stopped");
        }
    });
    let ticker = tokio::spawn(server::tick(Arc::clone(&shared)));
    Ok(SimHandle {
        addr,
        shared,
        shutdown: Some(shutdown),
        server: Some(server),
        ticker,
    })
}

/// A running simulator. Dropping it stops the server; [`SimHandle::shutdown`]
/// also waits for it and saves the state.
#[derive(Debug)]
pub struct SimHandle {
    addr: SocketAddr,
    shared: Arc<server::Shared>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    ticker: tokio::task::JoinHandle<()>,
}

impl SimHandle {
    /// The address the simulator listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, the endpoint to give a client.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The project id served.
    pub fn project_id(&self) -> &str {
        &self.shared.config.project_id
    }

    /// A snapshot of the state, the clock advanced to now.
    pub fn state(&self) -> SimState {
        self.shared.lock().state.clone()
    }

    /// Changes the state in place (seeding while running), the clock
    /// advanced to now first.
    pub fn update_state<T>(&self, change: impl FnOnce(&mut SimState) -> T) -> T {
        let mut inner = self.shared.lock();
        let result = change(&mut inner.state);
        let clusters: Vec<String> = inner.state.clusters.keys().cloned().collect();
        for cluster in clusters {
            inner.state.refresh(&cluster);
        }
        inner.dirty = true;
        result
    }

    /// The highest number of simultaneously unavailable nodes ever seen in
    /// a pool.
    pub fn peak_unavailable(&self, pool_id: &str) -> usize {
        self.shared.lock().state.peak_unavailable(pool_id)
    }

    /// The highest number of simultaneously unavailable nodes ever seen in
    /// a cluster.
    pub fn cluster_peak_unavailable(&self, cluster_id: &str) -> usize {
        self.shared
            .lock()
            .state
            .cluster_peak_unavailable(cluster_id)
    }

    /// How many API requests (control requests excluded) the simulator has
    /// received: benchmarks count round trips with it.
    pub fn requests_served(&self) -> u64 {
        self.shared
            .requests_served
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// How many API requests the gateway answered 429 because of
    /// [`Faults::rate_limit`].
    pub fn requests_rate_limited(&self) -> u64 {
        self.shared
            .requests_rate_limited
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The most API requests the simulator was working on at once since the
    /// last [`SimHandle::reset_in_flight_peak`] (or the start).
    pub fn in_flight_peak(&self) -> usize {
        self.shared
            .in_flight_peak
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Restarts the in-flight peak from what is in flight now.
    pub fn reset_in_flight_peak(&self) {
        let now = self
            .shared
            .in_flight
            .load(std::sync::atomic::Ordering::Relaxed);
        self.shared
            .in_flight_peak
            .store(now, std::sync::atomic::Ordering::Relaxed);
    }

    /// Forgets the recorded peaks; recording restarts from what is
    /// unavailable now.
    pub fn reset_peaks(&self) {
        let mut inner = self.shared.lock();
        inner.state.reset_peaks();
        inner.dirty = true;
    }

    /// The mutating requests received, in order.
    pub fn request_log(&self) -> Vec<LoggedRequest> {
        self.shared.lock().state.request_log.clone()
    }

    /// The current faults (deterministic knobs count down as they fire).
    pub fn faults(&self) -> Faults {
        self.shared.lock().faults.clone()
    }

    /// Replaces the faults and re-seeds the RNG.
    pub fn set_faults(&self, faults: Faults) {
        self.shared.set_faults(faults);
    }

    /// Applies a change made from outside poolform.
    pub fn outside_change(&self, change: &OutsideChange) -> Result<(), SimError> {
        self.shared.outside_change(change)
    }

    /// Moves the simulated clock forward by `by`, applying what happens.
    pub fn advance(&self, by: Duration) {
        self.shared.advance(by);
    }

    /// Stops the server, waits for it (at most a few seconds) and saves the
    /// state when a state file is configured.
    pub async fn shutdown(mut self) -> Result<(), SimError> {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(server) = self.server.take() {
            // Keep-alive connections of a client still alive elsewhere must
            // not hold the shutdown hostage.
            let _ = tokio::time::timeout(Duration::from_secs(5), server).await;
        }
        self.ticker.abort();
        self.shared.save_now().await
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(server) = self.server.take() {
            server.abort();
        }
        self.ticker.abort();
    }
}
