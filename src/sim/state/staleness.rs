//! Template staleness: which differences between a node and its pool's
//! template make the node report `configurationUpToDate: false`.

use std::collections::BTreeSet;

use crate::sim::api::{self, MAX_PODS_KEY, POST_INSTALL_KEY, PRE_INSTALL_KEY};

use super::world::{SimPool, SimState};

/// The fields [`Faults::stale_fields`](crate::sim::Faults::stale_fields)
/// can name: a difference in one of them between a node and its pool's
/// template makes the node report `configurationUpToDate: false`. CCE
/// documents only `os` and `runtime`.
pub const STALE_FIELD_NAMES: &[&str] = &["os", "runtime", "login", "scripts", "max_pods", "disks"];

/// Whether a node's spec matches its pool's template in the given fields.
/// Labels, taints and tags are never among them: CCE pushes those to
/// existing nodes itself.
pub(super) fn is_up_to_date(
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

/// The default [`Faults::stale_fields`](crate::sim::Faults::stale_fields):
/// what CCE documents.
pub fn documented_stale_fields() -> BTreeSet<String> {
    BTreeSet::from(["os".to_owned(), "runtime".to_owned()])
}

/// Sets `configurationUpToDate` of a pool's idle nodes from its template.
/// Nodes in the middle of an operation get theirs when it ends.
pub(super) fn mark_staleness(pool: &mut SimPool, fields: &BTreeSet<String>) {
    if pool.is_default() {
        return;
    }
    let template = pool.pool.spec.node_template.clone();
    for node in pool.nodes.iter_mut().filter(|n| n.progress.is_none()) {
        let up_to_date = is_up_to_date(&template, &node.node.spec, fields);
        node.status_mut().configuration_up_to_date = Some(up_to_date);
    }
}

impl SimState {
    /// Recomputes `configurationUpToDate` of a pool's idle nodes from its
    /// template, after seeding changes made through `pool_mut`/`node_mut`.
    pub fn recompute_up_to_date(&mut self, cluster_id: &str, pool_id: &str) {
        if let Some(pool) = self.pool_state_mut(cluster_id, pool_id) {
            mark_staleness(pool, &documented_stale_fields());
        }
        self.refresh(cluster_id);
    }
}
