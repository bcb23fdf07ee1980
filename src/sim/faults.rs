//! The faults the simulator injects, set at start, through the handle or
//! over `/_sim/faults`.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::state::{OutsideChange, documented_stale_fields};

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
    /// `configurationUpToDate: false` (see [`super::STALE_FIELD_NAMES`]). CCE
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
    /// Whether the answer names the quota, as API Gateway's `APIG.0308`
    /// does ("policy user over ratelimit, limit:20, time:1 second"); if
    /// not, it is CCE's own `CCE.02429001`, which names none.
    #[serde(default = "names_quota")]
    pub names_quota: bool,
}

fn names_quota() -> bool {
    true
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
