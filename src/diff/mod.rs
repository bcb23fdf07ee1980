//! Desired × Live → what changes: per pool an action with attribute-level
//! before/after, and per node whether it must be synchronised (reset) and why.
//!
//! Pure and deterministic. Both sides arrive already normalised by
//! `live::convert` (decoded scripts, no `cce.cloud.com/*` labels), so most
//! attributes compare as plain values. The remaining normalisation lives
//! here, in one place, so a just-applied configuration diffs to nothing:
//!
//! - attributes the configuration leaves out are not managed and not compared
//!   (`node_count`, `autoscaling`, `server_group`, `max_pods`, the NIC, and
//!   `extend_params` keys the configuration does not name), because CCE fills
//!   in its own defaults for them;
//! - a password login compares by user name only: CCE never returns the
//!   password, and the configuration holds only the environment variable name;
//! - `remove_password` / `remove_ssh_key` are instructions for one update, not
//!   state, so they are not compared.
//!
//! How each attribute reaches an existing pool and its nodes follows the CCE
//! `NodeSpecUpdate` model and what a reset does (see `reference/cce-api.md`
//! §3, §3b): flavor, az, type, fixed IPs / IP block, `maxPods` and
//! `extendParam` keys outside the update model cannot change on an existing
//! pool, so a difference there needs a replacement; os, runtime, login,
//! lifecycle scripts and the node image reach existing nodes only through a
//! reset; disks, the public IP, the NIC subnet, the server group and the
//! other updatable `extendParam` keys reach new nodes only (a reset keeps a
//! node's disks); labels, taints and tags are pushed to existing nodes by
//! CCE (`refresh`); counts and autoscaling change the pool only.

mod attributes;
mod pool;
#[cfg(test)]
mod proptests;
mod staleness;
#[cfg(test)]
mod tests;
mod types;

pub use attributes::{
    Attribute, Reach, SENSITIVE, UPDATABLE_EXTEND_PARAMS, attributes_object, desired_attributes,
    live_attributes, pool_attributes, reach_of_path,
};
pub use pool::{DiffError, PoolDiff, diff_pool, unmanaged_pools};
pub use staleness::{NodeStaleness, OUT_OF_DATE, needs_reset, node_staleness};
pub use types::{AttributeChange, NewNodesOnly, NodeRef, PoolAction, StaleNode, UnmanagedPool};
