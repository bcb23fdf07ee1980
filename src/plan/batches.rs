//! Splitting a pool's stale nodes into sync batches.
//!
//! The budget is the pool's `max_unavailable` (a percentage resolves against
//! the pool's node count, clamped to 1..=20), minus the nodes that are
//! already not Active. When nothing is left of it, batches still hold one
//! node each and the plan says the budget is exhausted: apply re-checks the
//! budget before every batch and waits, so planning the work is safe, and a
//! plan that silently dropped the nodes would hide work from the reviewer.
//! The cluster-wide `max_unavailable` caps every batch too; apply enforces
//! the cap across the cluster's pools while it runs.
//!
//! The order is deterministic and spreads each batch across availability
//! zones: the nodes are grouped by zone (zones sorted), sorted by name and id
//! within a zone, and dealt round-robin, one zone after another.

use std::collections::BTreeMap;

use crate::diff::NodeStaleness;
use crate::model::{ClusterName, MaxUnavailable};

use super::{Batch, StaleNode, SyncPlan};

/// The stale nodes in sync order: round-robin over the sorted zones.
pub fn order_across_zones(stale: &[StaleNode]) -> Vec<&StaleNode> {
    let mut zones: BTreeMap<&str, Vec<&StaleNode>> = BTreeMap::new();
    for node in stale {
        zones.entry(node.node.az.as_str()).or_default().push(node);
    }
    for nodes in zones.values_mut() {
        nodes.sort_by(|a, b| (&a.node.name, &a.node.id).cmp(&(&b.node.name, &b.node.id)));
    }
    let mut queues: Vec<std::vec::IntoIter<&StaleNode>> =
        zones.into_values().map(Vec::into_iter).collect();
    let mut ordered = Vec::with_capacity(stale.len());
    loop {
        let before = ordered.len();
        for queue in &mut queues {
            if let Some(node) = queue.next() {
                ordered.push(node);
            }
        }
        if ordered.len() == before {
            return ordered;
        }
    }
}

/// The sync plan of one pool, or `None` when no node is stale.
pub fn plan_sync(
    max_unavailable: MaxUnavailable,
    cluster: &ClusterName,
    cluster_cap: Option<u32>,
    nodes: NodeStaleness,
) -> Option<SyncPlan> {
    if nodes.stale.is_empty() && nodes.stale_unavailable.is_empty() {
        return None;
    }
    let budget = max_unavailable.resolve(nodes.pool_size);
    let unavailable = u32::try_from(nodes.unavailable_now.len()).unwrap_or(u32::MAX);
    let mut notes = Vec::new();
    let mut batch_size = budget.saturating_sub(unavailable);
    if batch_size == 0 {
        batch_size = 1;
        notes.push(format!(
            "the unavailability budget is exhausted: {unavailable} node{} of this pool {} not Active and max_unavailable is {budget}; batches hold one node each and apply waits before each batch until the budget allows it",
            plural(nodes.unavailable_now.len()),
            if unavailable == 1 { "is" } else { "are" },
        ));
    } else if unavailable > 0 {
        notes.push(format!(
            "{unavailable} node{} not Active now count against max_unavailable {budget}: batches of at most {batch_size}",
            plural(nodes.unavailable_now.len()),
        ));
    }
    if let Some(cap) = cluster_cap {
        let cap = cap.max(1);
        if cap < batch_size {
            batch_size = cap;
            notes.push(format!(
                "batches capped at {cap} by clusters.{cluster}.max_unavailable (apply holds the cap across all pools of the cluster)"
            ));
        }
    }
    if !nodes.stale_unavailable.is_empty() {
        notes.push(format!(
            "{} stale node{} not Active {} left out of the batches; plan again once {} Active",
            nodes.stale_unavailable.len(),
            plural(nodes.stale_unavailable.len()),
            if nodes.stale_unavailable.len() == 1 {
                "is"
            } else {
                "are"
            },
            if nodes.stale_unavailable.len() == 1 {
                "it is"
            } else {
                "they are"
            },
        ));
    }
    let chunk = usize::try_from(batch_size).unwrap_or(1).max(1);
    let batches = order_across_zones(&nodes.stale)
        .chunks(chunk)
        .enumerate()
        .map(|(index, chunk)| Batch {
            number: index + 1,
            node_ids: chunk.iter().map(|node| node.node.id.clone()).collect(),
        })
        .collect();
    Some(SyncPlan {
        max_unavailable: budget,
        pool_size: nodes.pool_size,
        batch_size,
        unavailable_now: nodes.unavailable_now,
        stale_nodes: nodes.stale,
        batches,
        skipped: nodes.stale_unavailable,
        notes,
        volume_reset_policy: None,
    })
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::NodeId;
    use crate::plan::NodeRef;

    fn stale(name: &str, az: &str) -> StaleNode {
        StaleNode {
            node: NodeRef {
                id: NodeId(format!("{name}-id")),
                name: name.into(),
                az: az.into(),
                phase: "Active".into(),
            },
            reasons: vec!["post_install changed".into()],
        }
    }

    fn names(batches: &[Batch]) -> Vec<Vec<String>> {
        batches
            .iter()
            .map(|batch| {
                batch
                    .node_ids
                    .iter()
                    .map(|id| id.0.replace("-id", ""))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn batches_spread_across_zones() {
        let nodes = NodeStaleness {
            pool_size: 7,
            stale: vec![
                stale("a1", "z-a"),
                stale("a2", "z-a"),
                stale("a3", "z-a"),
                stale("b1", "z-b"),
                stale("b2", "z-b"),
                stale("c1", "z-c"),
                stale("c2", "z-c"),
            ],
            ..NodeStaleness::default()
        };
        let plan = plan_sync(MaxUnavailable::Count(3), &"prod".into(), None, nodes).expect("sync");
        assert_eq!(
            names(&plan.batches),
            [vec!["a1", "b1", "c1"], vec!["a2", "b2", "c2"], vec!["a3"]]
        );
        assert!(plan.notes.is_empty());
    }

    #[test]
    fn unavailable_nodes_shrink_and_can_exhaust_the_budget() {
        let unavailable = |count: usize| {
            (0..count)
                .map(|index| stale(&format!("x{index}"), "z-a").node)
                .collect::<Vec<_>>()
        };
        let mut nodes = NodeStaleness {
            pool_size: 10,
            stale: (1..=4).map(|i| stale(&format!("n{i}"), "z-a")).collect(),
            unavailable_now: unavailable(1),
            ..NodeStaleness::default()
        };
        let plan = plan_sync(
            MaxUnavailable::Count(3),
            &"prod".into(),
            None,
            nodes.clone(),
        )
        .expect("sync");
        assert_eq!(plan.batch_size, 2);
        assert_eq!(plan.batches.len(), 2);
        assert!(
            plan.notes[0].contains("batches of at most 2"),
            "{:?}",
            plan.notes
        );

        nodes.unavailable_now = unavailable(3);
        let plan = plan_sync(MaxUnavailable::Count(3), &"prod".into(), None, nodes).expect("sync");
        assert_eq!(plan.batch_size, 1);
        assert_eq!(plan.batches.len(), 4);
        assert!(
            plan.notes[0].contains("budget is exhausted"),
            "{:?}",
            plan.notes
        );
    }

    #[test]
    fn cluster_cap_limits_batches_and_percentages_resolve() {
        let nodes = NodeStaleness {
            pool_size: 40,
            stale: (1..=40)
                .map(|i| stale(&format!("n{i:02}"), "z-a"))
                .collect(),
            ..NodeStaleness::default()
        };
        let plan = plan_sync(
            MaxUnavailable::Percent(25),
            &"prod".into(),
            None,
            nodes.clone(),
        )
        .expect("sync");
        assert_eq!((plan.max_unavailable, plan.batch_size), (10, 10));
        assert_eq!(plan.batches.len(), 4);
        let plan =
            plan_sync(MaxUnavailable::Percent(25), &"prod".into(), Some(4), nodes).expect("sync");
        assert_eq!(plan.batch_size, 4);
        assert_eq!(plan.batches.len(), 10);
        assert!(plan.notes[0].contains("clusters.prod.max_unavailable"));
    }

    #[test]
    fn nothing_stale_means_no_sync() {
        let nodes = NodeStaleness {
            pool_size: 3,
            ..NodeStaleness::default()
        };
        assert!(plan_sync(MaxUnavailable::Count(1), &"prod".into(), None, nodes).is_none());
    }
}
