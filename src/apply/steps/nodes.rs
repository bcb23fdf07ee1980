//! Reading the nodes of a pool and judging them: phases, whether a node
//! still needs the batch's sync, what is down, progress events and labels.

use std::collections::{BTreeMap, BTreeSet};

use crate::api::{CceApi, ListedNode};
use crate::diff;
use crate::model::{ClusterId, LiveNode, NodeId, NodePhase, PoolId};

use super::super::context::Context;
use super::super::{Event, EventSink, NodeLabel, StepError};

/// The phase and `configurationUpToDate` last reported for each node, so
/// that progress events go out only on a change.
pub(super) type Seen = BTreeMap<String, (String, Option<bool>)>;

/// A node's phase.
pub(super) fn phase(node: &ListedNode) -> NodePhase {
    node.node.phase.clone()
}

pub(super) fn phase_name(node: &ListedNode) -> String {
    match node.node.phase.as_str() {
        "" => "unknown".to_owned(),
        phase => phase.to_owned(),
    }
}

/// Phases a node passes through on its way somewhere; worth waiting for.
pub(super) fn is_transitional(phase: &NodePhase) -> bool {
    matches!(
        phase,
        NodePhase::Build
            | NodePhase::Installing
            | NodePhase::Upgrading
            | NodePhase::Deleting
            | NodePhase::Repairing
    )
}

/// Phases that mean the node broke.
pub(super) fn is_failed(phase: &NodePhase) -> bool {
    matches!(phase, NodePhase::Error | NodePhase::RepairFailed)
}

/// Whether a node still needs this batch's sync, by the plan's own rule
/// ([`diff::needs_reset`]): CCE reports it out of date, or the plan's reason
/// for it still holds.
///
/// A node response carries nothing that shows which scripts or login a node
/// was installed with, so the plan's reason (a template change a reset
/// applies) holds exactly while the node is as the plan read it; a node that
/// changed since and is not flagged was reset already (for instance by an
/// interrupted run) and must not be reset again.
pub(super) fn node_needs_sync(node: &LiveNode, planned_fingerprint: Option<&str>) -> bool {
    diff::needs_reset(
        node.up_to_date,
        planned_fingerprint == Some(node.fingerprint.as_str()),
    )
}

/// The fingerprint the plan recorded for a node, whatever the cluster part
/// of the key is.
pub(super) fn planned_fingerprint<'p>(
    fingerprints: &'p BTreeMap<String, String>,
    pool: &PoolId,
    node: &str,
) -> Option<&'p str> {
    let suffix = format!("/{}/{}", pool.0, node);
    fingerprints
        .iter()
        .find(|(key, _)| key.ends_with(&suffix))
        .map(|(_, value)| value.as_str())
}

/// Reads every node of the cluster; returns them all and those of `pool`.
pub(super) async fn read_nodes<A: CceApi, S: EventSink>(
    context: &Context<'_, A, S>,
    cluster_id: &ClusterId,
    pool: &PoolId,
    pool_name: &str,
) -> Result<(Vec<ListedNode>, BTreeMap<String, ListedNode>), StepError> {
    let nodes = context
        .api
        .list_nodes(cluster_id)
        .await
        .map_err(|source| StepError::Api {
            action: format!("list the nodes of cluster {cluster_id}"),
            source,
        })?;
    context.remember_names(&nodes);
    let in_pool = nodes
        .iter()
        .filter(|node| node.membership.belongs_to(pool, pool_name))
        .map(|node| (node.node.id.0.clone(), node.clone()))
        .collect();
    Ok((nodes, in_pool))
}

pub(super) fn unavailable(
    nodes: impl IntoIterator<Item = impl std::borrow::Borrow<ListedNode>>,
) -> BTreeSet<NodeId> {
    nodes
        .into_iter()
        .filter(|node| phase(node.borrow()) != NodePhase::Active)
        .map(|node| node.borrow().node.id.clone())
        .collect()
}

/// Emits progress for nodes whose phase or flag changed since last seen.
pub(super) fn report_progress<A, S: EventSink>(
    context: &Context<'_, A, S>,
    index: usize,
    nodes: &BTreeMap<String, ListedNode>,
    ids: &[String],
    seen: &mut Seen,
) {
    for id in ids {
        let Some(node) = nodes.get(id) else { continue };
        let state = (phase_name(node), node.node.up_to_date);
        if seen.get(id) != Some(&state) {
            context.emit(Event::NodeProgress {
                step: index,
                node: context.label(id),
                phase: state.0.clone(),
                up_to_date: state.1,
            });
            seen.insert(id.clone(), state);
        }
    }
}

pub(super) fn labelled<A, S: EventSink>(
    context: &Context<'_, A, S>,
    nodes: impl IntoIterator<Item = impl AsRef<str>>,
) -> Vec<NodeLabel> {
    nodes
        .into_iter()
        .map(|id| context.label(id.as_ref()))
        .collect()
}

/// Labels nodes with their phase, for errors.
pub(super) fn labelled_with_phase<A, S: EventSink>(
    context: &Context<'_, A, S>,
    nodes: &BTreeMap<String, ListedNode>,
    ids: impl IntoIterator<Item = impl AsRef<str>>,
) -> Vec<NodeLabel> {
    ids.into_iter()
        .map(|id| {
            let mut label = context.label(id.as_ref());
            let phase = nodes
                .get(id.as_ref())
                .map_or_else(|| "gone".to_owned(), phase_name);
            label.name = format!("{} [{phase}]", label.name);
            label
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A node as read now; its fingerprint stands for everything else it
    /// reports.
    fn node(up_to_date: Option<bool>, fingerprint: &str) -> LiveNode {
        LiveNode {
            id: NodeId::from("n1"),
            name: "node-1".into(),
            az: String::new(),
            phase: NodePhase::Active,
            up_to_date,
            config: crate::model::NodeConfig::default(),
            fingerprint: fingerprint.into(),
            pending_reset: None,
        }
    }

    #[test]
    fn flag_false_means_needed() {
        assert!(node_needs_sync(&node(Some(false), "now"), None));
        assert!(node_needs_sync(&node(Some(false), "now"), Some("old")));
    }

    #[test]
    fn node_changed_since_plan_and_up_to_date_is_left_alone() {
        // The plan read a different version of the node (it was reset since).
        assert!(!node_needs_sync(&node(Some(true), "now"), Some("old")));
    }

    #[test]
    fn node_unchanged_since_plan_keeps_the_plans_verdict() {
        let current = node(Some(true), "now");
        assert!(node_needs_sync(&current, Some("now")));
    }

    #[test]
    fn what_a_node_reports_of_scripts_and_login_is_no_evidence() {
        // Real node responses carry no scripts and only the key pair of the
        // login; whatever a node shows there must not decide a reset, or a
        // reset node that shows the same would be reset forever.
        let mut current = node(Some(true), "now");
        current.config.ssh_key = Some("kp-old".into());
        current.config.os = Some("EulerOS 2.9".into());
        assert!(!node_needs_sync(&current, Some("changed since the plan")));
        assert!(!node_needs_sync(&current, None));
    }

    #[test]
    fn planned_fingerprint_matches_any_cluster_key() {
        let fingerprints = BTreeMap::from([
            ("prod/p1".to_owned(), "pool".to_owned()),
            ("prod/p1/n1".to_owned(), "node".to_owned()),
        ]);
        assert_eq!(
            planned_fingerprint(&fingerprints, &PoolId::from("p1"), "n1"),
            Some("node")
        );
        assert_eq!(
            planned_fingerprint(&fingerprints, &PoolId::from("p1"), "n2"),
            None
        );
    }
}
