//! Changes made from outside poolform (the console, another tool, CCE
//! itself), applied as JSON merge patches to what the API shows.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::sim::{Faults, api};

use super::clock::Timing;
use super::error::ApiError;
use super::staleness::{is_up_to_date, mark_staleness};
use super::template::{strip_system_labels, strip_template_secrets};
use super::world::SimState;

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

/// JSON merge patch (RFC 7386).
pub(super) fn merge_patch(target: &mut Value, patch: &Value) {
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

impl SimState {
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
