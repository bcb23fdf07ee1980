//! Node staleness: the one rule for whether a node must be reset, and the
//! stale nodes of a pool with their reasons.

use serde_json::Value;

use crate::model::{DesiredPool, LiveNode, LivePool};

use super::types::{AttributeChange, NodeRef, StaleNode};

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
