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
//!
//! The world's types are in [`world`]; each other file adds one part of its
//! rules to [`SimState`]: the clock, seeding, the API's calls, jobs, nodes
//! over time, outside changes, staleness.

mod clock;
mod error;
mod file;
mod jobs;
mod lookup;
mod nodes;
mod outside;
mod peaks;
mod pool_status;
mod pools;
mod reads;
mod reinstall;
mod resets;
mod seed;
mod staleness;
mod template;
#[cfg(test)]
mod tests;
mod update;
mod validate;
mod world;

pub(crate) use clock::Timing;
pub(crate) use clock::timestamp;
pub(crate) use error::ApiError;
pub use outside::OutsideChange;
pub use staleness::{STALE_FIELD_NAMES, documented_stale_fields};
pub use world::{
    ClusterPeaks, DEFAULT_POOL_ID, LoggedRequest, POOL_NAME_LABEL, Progress, ProgressKind,
    ResetWith, SimCluster, SimJob, SimNode, SimPool, SimState, SimSubJob,
};
