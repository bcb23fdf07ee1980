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
//! Responses are decorated on the way out as real ones are (`view.rs`).
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

pub mod api;
mod auth;
pub mod catalogue;
mod config;
mod error;
mod faults;
mod handle;
mod server;
mod state;
mod view;

pub use auth::SimAuth;
pub use config::{Flavour, SimConfig, SyncAnswer};
pub use error::SimError;
pub use faults::{Faults, RateLimit, ScheduledChange};
pub use handle::{SimHandle, start};
pub use state::{
    ClusterPeaks, DEFAULT_POOL_ID, LoggedRequest, OutsideChange, POOL_NAME_LABEL, Progress,
    ProgressKind, ResetWith, STALE_FIELD_NAMES, SimCluster, SimJob, SimNode, SimPool, SimState,
    SimSubJob, documented_stale_fields,
};
