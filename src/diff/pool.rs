//! The diff of one configured pool against the live state, and the live
//! pools no configuration names.

use std::collections::{BTreeMap, BTreeSet};

use miette::Diagnostic;
use serde_json::Value;

use crate::model::{ClusterName, DesiredPool, Ensure, Live, PoolAddress, PoolId};

use super::attributes::{Reach, attributes_object, desired_attributes, live_attributes};
use super::staleness::{NodeStaleness, node_staleness};
use super::types::{AttributeChange, NewNodesOnly, PoolAction, UnmanagedPool};

/// A user-facing problem found while diffing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Diagnostic)]
pub enum DiffError {
    /// A field changed that CCE cannot update, and replacement is not allowed.
    #[error(
        "pool `{address}` cannot be updated in place: {} cannot change on an existing node pool",
        fields.join(", ")
    )]
    #[diagnostic(
        code(poolform::plan::replacement_required),
        help(
            "either set `rollout.allow_replacement = true` in [pools.{address}] to delete the pool and create it again (every node in it is destroyed), or revert {}",
            reverts.join(", ")
        )
    )]
    ReplacementRequired {
        /// The pool.
        address: PoolAddress,
        /// Paths of the fields that force the replacement.
        fields: Vec<String>,
        /// `field to LIVE` for each of them.
        reverts: Vec<String>,
    },
    /// The pool's cluster was not part of the live state.
    #[error("pool `{address}` names cluster `{cluster}`, whose live state was not read")]
    #[diagnostic(
        code(poolform::plan::cluster_not_read),
        help(
            "check that [clusters.{cluster}] has the right `id` and that the credentials can list its node pools"
        )
    )]
    ClusterNotRead {
        /// The pool.
        address: PoolAddress,
        /// The cluster key.
        cluster: ClusterName,
    },
    /// `ensure = "absent"` on a DefaultPool.
    #[error("pool `{address}` is a DefaultPool, which cannot be deleted")]
    #[diagnostic(
        code(poolform::plan::default_pool_delete),
        help(
            "remove `ensure = \"absent\"` from [pools.{address}]; delete its nodes in CCE instead"
        )
    )]
    DefaultPoolDelete {
        /// The pool.
        address: PoolAddress,
    },
}

/// What the diff found for one configured pool.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolDiff {
    /// Config address.
    pub address: PoolAddress,
    /// Cluster key.
    pub cluster: ClusterName,
    /// CCE pool name.
    pub name: String,
    /// Live id, when the pool exists.
    pub pool_id: Option<PoolId>,
    /// What happens to the pool itself.
    pub action: PoolAction,
    /// Changed attributes (update, replace), every attribute (create), or
    /// nothing (no-op, delete).
    pub changes: Vec<AttributeChange>,
    /// Every compared attribute of the live pool.
    pub before: Option<Value>,
    /// Every compared attribute of the desired pool.
    pub after: Option<Value>,
    /// Which nodes must be reset, and which are unavailable now.
    pub nodes: NodeStaleness,
    /// Changes that reach new nodes only, when the pool has nodes.
    pub new_nodes_only: Option<NewNodesOnly>,
}

/// Live pools the configuration does not name, for every cluster read.
pub fn unmanaged_pools(
    pools: &BTreeMap<PoolAddress, DesiredPool>,
    live: &Live,
) -> Vec<UnmanagedPool> {
    let managed: BTreeSet<(&ClusterName, &str)> = pools
        .values()
        .map(|pool| (&pool.cluster, pool.name.as_str()))
        .collect();
    let mut unmanaged = Vec::new();
    for (cluster, live_cluster) in &live.clusters {
        for (name, pool) in &live_cluster.pools {
            if !managed.contains(&(cluster, name.as_str())) {
                unmanaged.push(UnmanagedPool {
                    cluster: cluster.clone(),
                    name: name.clone(),
                    pool_id: pool.id.clone(),
                    node_count: pool.nodes.len(),
                });
            }
        }
    }
    unmanaged
}

/// Compares one configured pool with the live state.
pub fn diff_pool(desired: &DesiredPool, live: &Live) -> Result<PoolDiff, DiffError> {
    let live_cluster =
        live.clusters
            .get(&desired.cluster)
            .ok_or_else(|| DiffError::ClusterNotRead {
                address: desired.address.clone(),
                cluster: desired.cluster.clone(),
            })?;
    let live_pool = live_cluster.pools.get(&desired.name);
    let mut diff = PoolDiff {
        address: desired.address.clone(),
        cluster: desired.cluster.clone(),
        name: desired.name.clone(),
        pool_id: live_pool.map(|pool| pool.id.clone()),
        action: PoolAction::NoOp,
        changes: Vec::new(),
        before: None,
        after: None,
        nodes: NodeStaleness::default(),
        new_nodes_only: None,
    };

    if desired.is_default_pool() {
        // The DefaultPool cannot be created or updated, only synchronised:
        // nothing of its template is compared, only its nodes.
        if desired.ensure == Ensure::Absent {
            return Err(DiffError::DefaultPoolDelete {
                address: desired.address.clone(),
            });
        }
        if let Some(pool) = live_pool {
            diff.nodes = node_staleness(desired, pool, &[]);
        }
        return Ok(diff);
    }

    let after_attributes = desired_attributes(desired);
    match (desired.ensure, live_pool) {
        (Ensure::Absent, None) => Ok(diff),
        (Ensure::Absent, Some(pool)) => {
            diff.action = PoolAction::Delete;
            diff.before = Some(attributes_object(&live_attributes(desired, pool)));
            Ok(diff)
        }
        (Ensure::Present, None) => {
            diff.action = PoolAction::Create;
            diff.changes = after_attributes
                .iter()
                .filter(|attribute| !attribute.value.is_null())
                .map(|attribute| AttributeChange {
                    path: attribute.path.clone(),
                    before: Value::Null,
                    after: attribute.value.clone(),
                    needs_reset: false,
                })
                .collect();
            diff.after = Some(attributes_object(&after_attributes));
            Ok(diff)
        }
        (Ensure::Present, Some(pool)) => {
            let before_attributes = live_attributes(desired, pool);
            let mut changes = Vec::new();
            let mut replacing = Vec::new();
            for (before, after) in before_attributes.iter().zip(&after_attributes) {
                if before.key == after.key {
                    continue;
                }
                if after.reach == Reach::ForcesReplacement {
                    replacing.push((after.path.clone(), before.value.clone()));
                }
                changes.push(AttributeChange {
                    path: after.path.clone(),
                    before: before.value.clone(),
                    after: after.value.clone(),
                    needs_reset: after.reach == Reach::NeedsReset,
                });
            }
            diff.before = Some(attributes_object(&before_attributes));
            diff.after = Some(attributes_object(&after_attributes));
            if !replacing.is_empty() {
                if !desired.rollout.allow_replacement {
                    return Err(DiffError::ReplacementRequired {
                        address: desired.address.clone(),
                        fields: replacing
                            .iter()
                            .map(|(path, _)| format!("`{path}`"))
                            .collect(),
                        reverts: replacing
                            .iter()
                            .map(|(path, value)| format!("`{path}` to {value}"))
                            .collect(),
                    });
                }
                // Replaced nodes are destroyed with their pool: nothing to sync.
                diff.action = PoolAction::Replace;
                diff.changes = changes;
                return Ok(diff);
            }
            if !changes.is_empty() {
                diff.action = PoolAction::Update;
            }
            let paths: Vec<String> = before_attributes
                .iter()
                .zip(&after_attributes)
                .filter(|(before, after)| {
                    before.key != after.key && after.reach == Reach::NewNodesOnly
                })
                .map(|(_, after)| after.path.clone())
                .collect();
            if !paths.is_empty() && !pool.nodes.is_empty() {
                diff.new_nodes_only = Some(NewNodesOnly {
                    paths,
                    existing_nodes: pool.nodes.len(),
                });
            }
            diff.nodes = node_staleness(desired, pool, &changes);
            diff.changes = changes;
            Ok(diff)
        }
    }
}
