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

use std::collections::{BTreeMap, BTreeSet};

use miette::Diagnostic;
use serde_json::{Value, json};

use crate::model::{
    ClusterName, DesiredPool, Ensure, Live, LiveNode, LivePool, NodeTemplate, PoolAddress, PoolId,
    Volume,
};
use crate::plan::{AttributeChange, NewNodesOnly, NodeRef, PoolAction, StaleNode, UnmanagedPool};

#[cfg(test)]
mod proptests;

/// `extendParam` keys that UpdateNodePool accepts besides the scripts; every
/// other key can only be set when the pool is created.
pub const UPDATABLE_EXTEND_PARAMS: &[&str] = &[
    "agency_name",
    "alpha.cce/NodeImageID",
    "securityReinforcementType",
    "spotPrice",
];

/// Updatable `extendParam` keys that a reset applies to existing nodes: the
/// node image is the operating system. The other updatable keys reach new
/// nodes only.
const RESET_EXTEND_PARAMS: &[&str] = &["alpha.cce/NodeImageID"];

/// `extendParam` keys whose values are secrets: shown as `(sensitive value)`.
const SENSITIVE_EXTEND_PARAMS: &[&str] = &["init-node-password"];

/// What replaces a secret in plans.
pub const SENSITIVE: &str = "(sensitive value)";

/// How a change to an attribute reaches an existing pool and its nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// UpdateNodePool changes it and nothing else is needed: CCE pushes it to
    /// existing nodes itself (labels, taints, tags, sent with `refresh`) or
    /// it concerns the pool only (counts, autoscaling).
    InPlace,
    /// UpdateNodePool changes the template for nodes created from now on;
    /// existing nodes keep the old value, and a reset does not change it
    /// (disks, public IP, subnet, server group).
    NewNodesOnly,
    /// UpdateNodePool changes the template; existing nodes get it only by a
    /// reset (a sync).
    NeedsReset,
    /// CCE cannot change it on an existing pool.
    ForcesReplacement,
}

/// One compared attribute of a pool.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    /// Dotted path in poolform's vocabulary.
    pub path: String,
    /// The value shown in plans.
    pub value: Value,
    /// The value compared (differs from `value` only for a password login).
    pub key: Value,
    /// How a change reaches the pool and its nodes.
    pub reach: Reach,
}

/// The attributes of one pool that the desired pool manages, in display order.
///
/// `template` and the counts come from either side; `desired` decides which
/// optional attributes are managed, so both sides list the same paths.
pub fn pool_attributes(
    desired: &DesiredPool,
    template: &NodeTemplate,
    node_count: Option<u32>,
    autoscaling: Option<&crate::model::Autoscaling>,
    server_group: Option<&str>,
) -> Vec<Attribute> {
    fn plain(path: &str, value: Value, reach: Reach) -> Attribute {
        Attribute {
            path: path.to_owned(),
            value: without_empty_fields(value.clone()),
            key: value,
            reach,
        }
    }
    let wanted = &desired.template;
    let mut attributes = vec![
        plain(
            "pool_type",
            json!(template.pool_type),
            Reach::ForcesReplacement,
        ),
        plain("flavor", json!(template.flavor), Reach::ForcesReplacement),
        plain("az", json!(template.az), Reach::ForcesReplacement),
        plain("os", json!(template.os), Reach::NeedsReset),
        plain("runtime", json!(template.runtime), Reach::NeedsReset),
        plain(
            "login.ssh_key",
            json!(template.login.ssh_key),
            Reach::NeedsReset,
        ),
    ];
    let password = &template.login.password;
    attributes.push(Attribute {
        path: "login.password".to_owned(),
        value: match password {
            // The environment variable name is shown so reviewers see where
            // the secret comes from; the secret itself is never read here.
            Some(reference) if !reference.env.is_empty() => {
                json!({"username": reference.username, "env": reference.env})
            }
            Some(reference) => json!({"username": reference.username}),
            None => Value::Null,
        },
        // The variable counts where it is known: CCE never returns a
        // password, so a live pool's is known only from poolform's journal
        // of its last apply (see `live_attributes`).
        key: json!(
            password
                .as_ref()
                .map(|reference| { json!({"username": reference.username, "env": reference.env}) })
        ),
        reach: Reach::NeedsReset,
    });
    // A volume compares only in what the configuration sets: CCE adds its
    // own details to the disks it reports (`extendParam.useType`, …).
    let root_volume = managed_volume(&template.root_volume, Some(&wanted.root_volume));
    let data_volumes: Vec<Volume> = template
        .data_volumes
        .iter()
        .enumerate()
        .map(|(index, volume)| managed_volume(volume, wanted.data_volumes.get(index)))
        .collect();
    attributes.extend([
        plain("root_volume", json!(root_volume), Reach::NewNodesOnly),
        plain("data_volumes", json!(data_volumes), Reach::NewNodesOnly),
        plain("public_ip", json!(template.public_ip), Reach::NewNodesOnly),
    ]);
    if let Some(wanted_nic) = &wanted.nic {
        // Each NIC field compares only when the configuration sets it: CCE
        // reports the subnet it chose even when none was asked for.
        let nic = template.nic.clone().unwrap_or_default();
        if wanted_nic.subnet_id.is_some() {
            attributes.push(plain(
                "nic.subnet_id",
                json!(nic.subnet_id),
                Reach::NewNodesOnly,
            ));
        }
        if !wanted_nic.subnet_list.is_empty() {
            attributes.push(plain(
                "nic.subnet_list",
                json!(nic.subnet_list),
                Reach::NewNodesOnly,
            ));
        }
        if !wanted_nic.fixed_ips.is_empty() {
            attributes.push(plain(
                "nic.fixed_ips",
                json!(nic.fixed_ips),
                Reach::ForcesReplacement,
            ));
        }
        if wanted_nic.ip_block.is_some() {
            attributes.push(plain(
                "nic.ip_block",
                json!(nic.ip_block),
                Reach::ForcesReplacement,
            ));
        }
    }
    attributes.extend([
        plain("k8s_labels", json!(template.k8s_labels), Reach::InPlace),
        plain("taints", json!(template.taints), Reach::InPlace),
        plain("user_tags", json!(template.user_tags), Reach::InPlace),
    ]);
    if wanted.max_pods.is_some() {
        // maxPods is not in NodeSpecUpdate's extendParam: only a new pool
        // gets a new value.
        attributes.push(plain(
            "max_pods",
            json!(template.max_pods),
            Reach::ForcesReplacement,
        ));
    }
    for key in wanted.extend_params.keys() {
        let reach = extend_param_reach(key);
        let raw = json!(template.extend_params.get(key));
        let shown = if SENSITIVE_EXTEND_PARAMS.contains(&key.as_str()) && !raw.is_null() {
            json!(SENSITIVE)
        } else {
            raw.clone()
        };
        attributes.push(Attribute {
            path: format!("extend_params.{key}"),
            value: shown,
            key: raw,
            reach,
        });
    }
    attributes.extend([
        plain(
            "lifecycle.pre_install",
            json!(template.lifecycle.pre_install),
            Reach::NeedsReset,
        ),
        plain(
            "lifecycle.post_install",
            json!(template.lifecycle.post_install),
            Reach::NeedsReset,
        ),
        plain(
            "lifecycle.wait_post_install_finish",
            json!(template.lifecycle.wait_post_install_finish),
            Reach::NeedsReset,
        ),
    ]);
    if desired.node_count.is_some() {
        attributes.push(plain("node_count", json!(node_count), Reach::InPlace));
    }
    if desired.autoscaling.is_some() {
        attributes.push(plain("autoscaling", json!(autoscaling), Reach::InPlace));
    }
    if desired.server_group.is_some() {
        // Sent as `nodeManagementUpdate`; ECS servers already running stay
        // in the group they were created in.
        attributes.push(plain(
            "server_group",
            json!(server_group),
            Reach::NewNodesOnly,
        ));
    }
    attributes
}

/// A value for display: fields of nested objects that are null or empty
/// objects are left out (`{"size":50,"volume_type":"GPSSD"}` rather than a
/// row of nulls). Comparison uses the full value.
fn without_empty_fields(value: Value) -> Value {
    match value {
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .map(|(key, value)| (key, without_empty_fields(value)))
                .filter(|(_, value)| {
                    !value.is_null() && !value.as_object().is_some_and(serde_json::Map::is_empty)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_empty_fields).collect()),
        other => other,
    }
}

/// The attributes of the desired pool.
pub fn desired_attributes(desired: &DesiredPool) -> Vec<Attribute> {
    pool_attributes(
        desired,
        &desired.template,
        desired.node_count,
        desired.autoscaling.as_ref(),
        desired.server_group.as_deref(),
    )
}

/// The attributes of the live pool, as far as `desired` manages them.
pub fn live_attributes(desired: &DesiredPool, live: &LivePool) -> Vec<Attribute> {
    // Older responses leave the runtime out (the cluster's default applies);
    // what CCE does not report is no difference.
    let mut template = std::borrow::Cow::Borrowed(&live.template);
    if live.template.runtime.name.is_empty() {
        template.to_mut().runtime = desired.template.runtime.clone();
    }
    // Which variable a live password came from is unknown unless the
    // journal says: unknown is no difference.
    if let (Some(live_password), Some(wanted)) = (
        &live.template.login.password,
        &desired.template.login.password,
    ) && live_password.env.is_empty()
        && let Some(password) = template.to_mut().login.password.as_mut()
    {
        password.env.clone_from(&wanted.env);
    }
    pool_attributes(
        desired,
        &template,
        Some(live.node_count),
        live.autoscaling.as_ref(),
        live.server_group.as_deref(),
    )
}

/// A JSON object of attributes by path, for Terraform-style before/after.
pub fn attributes_object(attributes: &[Attribute]) -> Value {
    Value::Object(
        attributes
            .iter()
            .map(|attribute| (attribute.path.clone(), attribute.value.clone()))
            .collect(),
    )
}

/// How a change to the attribute at `path` reaches the pool and its nodes,
/// for renderers that only have the path (the same classification as
/// [`pool_attributes`]).
pub fn reach_of_path(path: &str) -> Reach {
    match path {
        "pool_type" | "flavor" | "az" | "nic.fixed_ips" | "nic.ip_block" | "max_pods" => {
            Reach::ForcesReplacement
        }
        "os"
        | "runtime"
        | "login.ssh_key"
        | "login.password"
        | "lifecycle.pre_install"
        | "lifecycle.post_install"
        | "lifecycle.wait_post_install_finish" => Reach::NeedsReset,
        "root_volume" | "data_volumes" | "public_ip" | "nic.subnet_id" | "nic.subnet_list"
        | "server_group" => Reach::NewNodesOnly,
        other => match other.strip_prefix("extend_params.") {
            Some(key) => extend_param_reach(key),
            None => Reach::InPlace,
        },
    }
}

fn extend_param_reach(key: &str) -> Reach {
    if RESET_EXTEND_PARAMS.contains(&key) {
        Reach::NeedsReset
    } else if UPDATABLE_EXTEND_PARAMS.contains(&key) {
        Reach::NewNodesOnly
    } else {
        Reach::ForcesReplacement
    }
}

/// A volume as far as `wanted` sets it: optional details and `extendParam`
/// keys the configuration leaves out are dropped, so that what CCE adds on
/// its own (`useType`, passthrough, …) is not a change. Without a wanted
/// volume (an extra disk), the whole volume counts.
fn managed_volume(volume: &Volume, wanted: Option<&Volume>) -> Volume {
    let Some(wanted) = wanted else {
        return volume.clone();
    };
    Volume {
        volume_type: volume.volume_type.clone(),
        size: volume.size,
        iops: volume.iops.filter(|_| wanted.iops.is_some()),
        throughput: volume.throughput.filter(|_| wanted.throughput.is_some()),
        passthrough: volume.passthrough.filter(|_| wanted.passthrough.is_some()),
        encrypted: volume.encrypted.filter(|_| wanted.encrypted.is_some()),
        cmk_id: volume.cmk_id.clone().filter(|_| wanted.cmk_id.is_some()),
        extend_params: volume
            .extend_params
            .iter()
            .filter(|(key, _)| wanted.extend_params.contains_key(*key))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect(),
    }
}

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

/// The nodes of one pool as the diff sees them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeStaleness {
    /// Nodes in the pool.
    pub pool_size: usize,
    /// Active nodes that must be reset, sorted by name then id.
    pub stale: Vec<StaleNode>,
    /// Stale nodes that are not Active now.
    pub stale_unavailable: Vec<StaleNode>,
    /// Every node that is not Active now, stale or not.
    pub unavailable_now: Vec<NodeRef>,
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

/// The short name of a template path in reasons (`post_install`, `os`).
fn reason_name(path: &str) -> &str {
    path.strip_prefix("lifecycle.").unwrap_or(path)
}

fn compact(value: &Value) -> String {
    match value {
        Value::Null => "(none)".to_owned(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The reason a template change gives a node that does not report the field.
fn template_change_reason(change: &AttributeChange) -> String {
    let name = reason_name(&change.path);
    if change.path.starts_with("lifecycle.") && change.path.ends_with("_install") {
        format!("{name} changed")
    } else {
        format!(
            "{name}: {} → {}",
            compact(&change.before),
            compact(&change.after)
        )
    }
}

/// What CCE's flag says, as a node's reason.
pub const OUT_OF_DATE: &str = "CCE reports the node out of date (configurationUpToDate: false)";

/// The one rule for whether a node must be reset, used by the plan (per
/// node of a pool) and by apply (per node of a batch, before and after the
/// sync): CCE reports it out of date, or this plan changes a field of its
/// pool that a reset applies and the node has not been reset since.
///
/// Nothing else is evidence: a node response carries no scripts, labels,
/// taints or tags, its login shows only the key pair, and its disks are the
/// ones it was created with (a reset keeps them).
pub fn needs_reset(configuration_up_to_date: Option<bool>, pending_template_change: bool) -> bool {
    configuration_up_to_date == Some(false) || pending_template_change
}

/// Which nodes of a live pool must be reset, each with its reasons, by
/// [`needs_reset`]: CCE's `configurationUpToDate: false`, and every change
/// of `template_changes` that only a reset applies (os, runtime, login,
/// lifecycle scripts); plus the node's `pending_reset`, a reset poolform
/// knows is due although CCE cannot show it. For the DefaultPool, whose template poolform never
/// changes, that leaves the flag alone.
pub fn node_staleness(
    _desired: &DesiredPool,
    live: &LivePool,
    template_changes: &[AttributeChange],
) -> NodeStaleness {
    let mut nodes: Vec<&LiveNode> = live.nodes.iter().collect();
    nodes.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
    // The same for every node of the pool: made once, cloned per node.
    let change_reasons: Vec<String> = template_changes
        .iter()
        .filter(|change| change.needs_reset)
        .map(template_change_reason)
        .collect();
    let mut result = NodeStaleness {
        pool_size: nodes.len(),
        ..NodeStaleness::default()
    };
    for node in nodes {
        let mut reasons = Vec::new();
        if needs_reset(node.up_to_date, !change_reasons.is_empty()) {
            if node.up_to_date == Some(false) {
                reasons.push(OUT_OF_DATE.to_owned());
            }
            reasons.extend(change_reasons.iter().cloned());
        }
        // What CCE cannot show but poolform knows: a rollout an earlier
        // apply did not finish, or a resync the user asked for.
        if let Some(pending) = &node.pending_reset {
            reasons.push(pending.clone());
        }
        let available = node.phase.is_available();
        if available && reasons.is_empty() {
            continue;
        }
        let node_ref = NodeRef {
            id: node.id.clone(),
            name: node.name.clone(),
            az: node.az.clone(),
            phase: node.phase.as_str().to_owned(),
        };
        if reasons.is_empty() {
            result.unavailable_now.push(node_ref);
            continue;
        }
        if !available {
            result.unavailable_now.push(node_ref.clone());
        }
        let stale = StaleNode {
            node: node_ref,
            reasons,
        };
        if available {
            result.stale.push(stale);
        } else {
            result.stale_unavailable.push(stale);
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::test_support::*;

    #[test]
    fn identical_pool_is_a_no_op() {
        let (desired, live) = world();
        for pool in desired.pools.values() {
            let diff = diff_pool(pool, &live).expect("diffs");
            assert_eq!(diff.action, PoolAction::NoOp, "{}", pool.address);
            assert!(diff.changes.is_empty());
            assert!(diff.nodes.stale.is_empty());
        }
    }

    #[test]
    fn script_change_updates_pool_and_marks_every_node() {
        let (mut desired, live) = world();
        let pool = desired
            .pools
            .get_mut(&PoolAddress::from("prod-app"))
            .expect("pool");
        pool.template.lifecycle.post_install = Some("echo new\n".into());
        let diff = diff_pool(pool, &live).expect("diffs");
        assert_eq!(diff.action, PoolAction::Update);
        assert_eq!(diff.changes.len(), 1);
        assert_eq!(diff.changes[0].path, "lifecycle.post_install");
        assert!(diff.changes[0].needs_reset);
        assert_eq!(diff.nodes.stale.len(), 6);
        assert!(
            diff.nodes
                .stale
                .iter()
                .all(|node| node.reasons == ["post_install changed"])
        );
    }

    #[test]
    fn labels_change_the_pool_not_the_nodes() {
        let (mut desired, live) = world();
        let pool = desired
            .pools
            .get_mut(&PoolAddress::from("prod-app"))
            .expect("pool");
        pool.template.k8s_labels.insert("tier".into(), "web".into());
        let diff = diff_pool(pool, &live).expect("diffs");
        assert_eq!(diff.action, PoolAction::Update);
        assert!(!diff.changes[0].needs_reset);
        assert!(diff.nodes.stale.is_empty());
    }

    #[test]
    fn flavor_change_is_refused_unless_allowed() {
        let (mut desired, live) = world();
        let pool = desired
            .pools
            .get_mut(&PoolAddress::from("prod-app"))
            .expect("pool");
        pool.template.flavor = "c7.xlarge.2".into();
        let error = diff_pool(pool, &live).expect_err("refused");
        assert!(
            matches!(&error, DiffError::ReplacementRequired { fields, .. } if fields == &["`flavor`"])
        );
        let help = error
            .help()
            .map(|help| help.to_string())
            .unwrap_or_default();
        assert!(help.contains("rollout.allow_replacement = true"), "{help}");
        assert!(help.contains("`flavor` to \"c7.large.2\""), "{help}");
        pool.rollout.allow_replacement = true;
        let diff = diff_pool(pool, &live).expect("diffs");
        assert_eq!(diff.action, PoolAction::Replace);
        assert!(diff.nodes.stale.is_empty());
    }

    #[test]
    fn password_compares_by_username_only() {
        let (mut desired, mut live) = world();
        let address = PoolAddress::from("prod-app");
        let pool = desired.pools.get_mut(&address).expect("pool");
        pool.template.login = crate::model::Login {
            password: Some(crate::model::PasswordRef {
                username: "root".into(),
                env: "NODE_PASSWORD".into(),
            }),
            ..Default::default()
        };
        let live_pool = live_pool_mut(&mut live, "prod", "app");
        live_pool.template.login = crate::model::Login {
            password: Some(crate::model::PasswordRef {
                username: "root".into(),
                env: String::new(),
            }),
            ..Default::default()
        };
        for node in &mut live_pool.nodes {
            node.config.ssh_key = None;
        }
        let diff = diff_pool(pool, &live).expect("diffs");
        assert_eq!(diff.action, PoolAction::NoOp, "{:?}", diff.changes);
    }

    #[test]
    fn only_cces_flag_marks_a_node_stale_without_a_template_change() {
        // What a node response shows of its own OS, runtime or key is no
        // evidence (nodes carry no scripts, and a node's fields need not
        // follow the pool): without a reset change in this plan only
        // `configurationUpToDate: false` makes a node stale.
        let (desired, mut live) = world();
        let live_pool = live_pool_mut(&mut live, "prod", "app");
        live_pool.nodes[0].config.os = Some("EulerOS 2.9".into());
        live_pool.nodes[0].config.ssh_key = Some("kp-old".into());
        live_pool.nodes[1].up_to_date = Some(false);
        live_pool.nodes[3].phase = crate::model::NodePhase::Error;
        live_pool.nodes[3].config.runtime = Some("docker".into());
        let pool = &desired.pools[&PoolAddress::from("prod-app")];
        let diff = diff_pool(pool, &live).expect("diffs");
        assert_eq!(diff.action, PoolAction::NoOp);
        let reasons: Vec<(&str, &[String])> = diff
            .nodes
            .stale
            .iter()
            .map(|node| (node.node.name.as_str(), node.reasons.as_slice()))
            .collect();
        assert_eq!(reasons, [("app-a2", &[OUT_OF_DATE.to_owned()][..])]);
        assert!(diff.nodes.stale_unavailable.is_empty());
        assert_eq!(diff.nodes.unavailable_now.len(), 1);
        assert_eq!(diff.nodes.unavailable_now[0].phase, "Error");
    }

    #[test]
    fn a_reset_change_marks_every_node_with_its_reasons() {
        let (mut desired, mut live) = world();
        live_pool_mut(&mut live, "prod", "app").nodes[1].up_to_date = Some(false);
        let pool = desired
            .pools
            .get_mut(&PoolAddress::from("prod-app"))
            .expect("pool");
        pool.template.os = "EulerOS 2.9".into();
        let diff = diff_pool(pool, &live).expect("diffs");
        assert_eq!(diff.nodes.stale.len(), 6);
        let os = "os: Huawei Cloud EulerOS 2.0 → EulerOS 2.9".to_owned();
        assert_eq!(diff.nodes.stale[0].reasons, std::slice::from_ref(&os));
        assert_eq!(diff.nodes.stale[1].reasons, [OUT_OF_DATE.to_owned(), os]);
    }

    #[test]
    fn disk_changes_reach_new_nodes_only_and_reset_nothing() {
        let (mut desired, live) = world();
        let pool = desired
            .pools
            .get_mut(&PoolAddress::from("prod-app"))
            .expect("pool");
        pool.template.data_volumes[0].size = 200;
        pool.template.root_volume.volume_type = "SSD".into();
        let diff = diff_pool(pool, &live).expect("diffs");
        assert_eq!(diff.action, PoolAction::Update);
        let paths: Vec<&str> = diff.changes.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(paths, ["root_volume", "data_volumes"]);
        assert!(diff.changes.iter().all(|change| !change.needs_reset));
        assert!(diff.nodes.stale.is_empty(), "a reset keeps a node's disks");
        assert_eq!(
            diff.new_nodes_only,
            Some(NewNodesOnly {
                paths: vec!["root_volume".into(), "data_volumes".into()],
                existing_nodes: 6,
            })
        );
    }

    #[test]
    fn a_server_group_changes_in_place() {
        let (mut desired, mut live) = world();
        live_pool_mut(&mut live, "prod", "app").server_group = Some("sg-old".into());
        let pool = desired
            .pools
            .get_mut(&PoolAddress::from("prod-app"))
            .expect("pool");
        pool.server_group = Some("sg-new".into());
        let diff = diff_pool(pool, &live).expect("an update, not a refused replacement");
        assert_eq!(diff.action, PoolAction::Update);
        assert_eq!(diff.changes[0].path, "server_group");
        assert!(diff.nodes.stale.is_empty());
    }

    /// A configuration matching the pool of seed 004's example response.
    fn seed_004_pool() -> DesiredPool {
        let mut pool = desired_pool("np", "prod", "wyr-17-nodepool-53042");
        let template = &mut pool.template;
        template.flavor = "s6.large.2".into();
        template.az = "eu-de-01".into();
        template.os = "EulerOS 2.5".into();
        template.login.ssh_key = Some("KeyPair-nodepool".into());
        template.root_volume = Volume {
            volume_type: "SATA".into(),
            size: 40,
            ..Volume::default()
        };
        template.data_volumes = vec![Volume {
            volume_type: "SATA".into(),
            size: 100,
            ..Volume::default()
        }];
        template.k8s_labels = BTreeMap::from([
            ("tag1".into(), "value1".into()),
            ("tag2".into(), "value2".into()),
        ]);
        template.taints = ["aaa=bbb", "ccc=ddd"]
            .iter()
            .map(|pair| {
                let (key, value) = pair.split_once('=').unwrap_or_default();
                crate::model::Taint {
                    key: key.into(),
                    value: value.into(),
                    effect: "NoSchedule".into(),
                }
            })
            .collect();
        template.user_tags = BTreeMap::from([
            ("resource-tag1".into(), "value1".into()),
            ("resource-tag2".into(), "value2".into()),
        ]);
        template.max_pods = Some(110);
        template.lifecycle = crate::model::Lifecycle {
            pre_install: Some("ls -l".into()),
            post_install: Some("ls -l\n".into()),
            wait_post_install_finish: false,
        };
        pool.autoscaling = Some(crate::model::Autoscaling {
            enabled: true,
            min: 1,
            max: 3,
            scale_down_cooldown_minutes: Some(10),
            priority: Some(1),
        });
        pool.server_group = Some("2129f95a-f233-4cd8-a1b2-9c0acdf918d3".into());
        pool
    }

    #[test]
    fn a_decorated_real_response_matches_the_config_that_made_it() {
        // Seed 004's example response: `userPassword: {}` beside the key,
        // the EIP placeholder, a subnet the config did not ask for,
        // `billingMode`, the system label, `useType` on the data disk and
        // extendParam keys nobody sent (`maxPods` as an integer).
        let response: crate::live::wire::NodePool =
            serde_json::from_str(include_str!("../../tests/data/seed-004-pool-response.json"))
                .expect("the fixture is a pool");
        let mut live = Live::default();
        let mut cluster = world().1.clusters[&ClusterName::from("prod")].clone();
        cluster.pools.clear();
        let live_pool = crate::live::convert::pool_from_wire(&response);
        assert_eq!(live_pool.template.login.password, None);
        assert_eq!(live_pool.template.public_ip, None);
        cluster.pools.insert(live_pool.name.clone(), live_pool);
        live.clusters.insert("prod".into(), cluster);
        let pool = seed_004_pool();
        let diff = diff_pool(&pool, &live).expect("diffs");
        assert_eq!(diff.action, PoolAction::NoOp, "{:#?}", diff.changes);
        assert!(diff.changes.is_empty());
        assert_eq!(diff.new_nodes_only, None);
    }

    #[test]
    fn default_pool_syncs_only_flagged_nodes() {
        let (mut desired, mut live) = world();
        let pool = default_pool_desired();
        desired.pools.insert(pool.address.clone(), pool.clone());
        add_default_pool_live(&mut live);
        let diff = diff_pool(&pool, &live).expect("diffs");
        assert_eq!(diff.action, PoolAction::NoOp);
        assert!(diff.changes.is_empty());
        let names: Vec<&str> = diff
            .nodes
            .stale
            .iter()
            .map(|n| n.node.name.as_str())
            .collect();
        // default-1: out of date; default-2 shows another key but is not
        // flagged, default-3 reports nothing: neither is evidence.
        assert_eq!(names, ["default-1"]);
    }

    #[test]
    fn unmanaged_pools_are_listed() {
        let (desired, mut live) = world();
        let extra = live.clusters[&ClusterName::from("prod")].pools["app"].clone();
        let cluster = live
            .clusters
            .get_mut(&ClusterName::from("prod"))
            .expect("cluster");
        cluster.pools.insert(
            "legacy".into(),
            LivePool {
                name: "legacy".into(),
                ..extra
            },
        );
        let unmanaged = unmanaged_pools(&desired.pools, &live);
        assert_eq!(unmanaged.len(), 1);
        assert_eq!(unmanaged[0].name, "legacy");
        assert_eq!(unmanaged[0].node_count, 6);
    }

    #[test]
    fn path_classification_matches_the_attribute_list() {
        let mut pool = desired_pool("p", "prod", "p");
        pool.node_count = Some(1);
        pool.autoscaling = Some(crate::model::Autoscaling {
            enabled: true,
            min: 1,
            max: 2,
            scale_down_cooldown_minutes: None,
            priority: None,
        });
        pool.server_group = Some("sg".into());
        pool.template.nic = Some(crate::model::NicSpec::default());
        pool.template
            .extend_params
            .insert("agency_name".into(), "a".into());
        pool.template
            .extend_params
            .insert("dockerBaseSize".into(), "20".into());
        for attribute in desired_attributes(&pool) {
            assert_eq!(
                reach_of_path(&attribute.path),
                attribute.reach,
                "{}",
                attribute.path
            );
        }
    }

    #[test]
    fn absent_pool_is_deleted_only_when_live() {
        let (mut desired, live) = world();
        let pool = desired
            .pools
            .get_mut(&PoolAddress::from("prod-app"))
            .expect("pool");
        pool.ensure = Ensure::Absent;
        assert_eq!(
            diff_pool(pool, &live).expect("diffs").action,
            PoolAction::Delete
        );
        pool.name = "gone".into();
        assert_eq!(
            diff_pool(pool, &live).expect("diffs").action,
            PoolAction::NoOp
        );
    }
}
