//! How the simulator runs: what it serves, as which cloud, how fast.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{Faults, SimAuth};

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
