//! Whether a saved plan still describes the world: every live object the plan
//! read must be unchanged, and no pool it means to create may exist already.
//! Pure: compares the plan's fingerprints with a fresh [`Live`] snapshot.

use std::collections::BTreeMap;

use crate::model::Live;
use crate::plan::{Plan, StepKind};

/// Every live object whose state differs from what `plan` read, described
/// for a person (`node app-1 (id) of pool app: changed`). Empty when the plan
/// is fresh.
pub fn stale_objects(plan: &Plan, live: &Live) -> Vec<String> {
    // What the plan's keys (`cluster/pool-id[/node-id]`) map to now.
    let mut current: BTreeMap<String, (String, String)> = BTreeMap::new();
    for (cluster_name, cluster) in &live.clusters {
        for pool in cluster.pools.values() {
            let base = format!("{cluster_name}/{}", pool.id);
            current.insert(
                base.clone(),
                (
                    pool.fingerprint.clone(),
                    format!("pool {} ({})", pool.name, pool.id),
                ),
            );
            for node in &pool.nodes {
                current.insert(
                    format!("{base}/{}", node.id),
                    (
                        node.fingerprint.clone(),
                        format!("node {} ({}) of pool {}", node.name, node.id, pool.name),
                    ),
                );
            }
        }
    }
    let mut stale = Vec::new();
    for (key, fingerprint) in &plan.fingerprints {
        match current.get(key) {
            None => stale.push(format!("{key}: no longer exists")),
            Some((now, what)) if now != fingerprint => stale.push(format!("{what}: changed")),
            Some(_) => {}
        }
    }
    // A node that joined a pool the plan read changes the pool's budget and
    // its batches.
    for (key, (_, what)) in &current {
        let Some((pool_key, _)) = key.rsplit_once('/') else {
            continue;
        };
        let is_node = key.matches('/').count() == 2;
        if is_node
            && plan.fingerprints.contains_key(pool_key)
            && !plan.fingerprints.contains_key(key)
        {
            stale.push(format!("{what}: new since the plan"));
        }
    }
    // A pool the plan creates must still be missing.
    for step in &plan.steps {
        if let StepKind::CreatePool { request, .. } = &step.kind {
            let name = &request.pool.name;
            let exists = live
                .clusters
                .get(&step.cluster)
                .is_some_and(|cluster| cluster.pools.contains_key(name));
            if exists {
                stale.push(format!(
                    "pool {} in cluster {}: exists now, but the plan creates it",
                    name, step.cluster
                ));
            }
        }
    }
    stale
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        ClusterId, ClusterName, LiveCluster, LiveNode, LivePool, NodeConfig, NodeId, NodePhase,
        NodeTemplate, PoolAddress, PoolId,
    };
    use crate::plan::{FORMAT_VERSION, Step};

    fn node(id: &str, fingerprint: &str) -> LiveNode {
        LiveNode {
            id: NodeId::from(id),
            name: format!("{id}-name"),
            az: "az1".into(),
            phase: NodePhase::Active,
            up_to_date: Some(true),
            config: NodeConfig::default(),
            fingerprint: fingerprint.into(),
            pending_reset: None,
        }
    }

    fn live(nodes: Vec<LiveNode>) -> Live {
        let pool = LivePool {
            id: PoolId::from("p1"),
            name: "app".into(),
            template: NodeTemplate::default(),
            node_count: 2,
            autoscaling: None,
            server_group: None,
            phase: String::new(),
            updated_at: None,
            fingerprint: "fp-pool".into(),
            nodes,
        };
        Live {
            clusters: BTreeMap::from([(
                ClusterName::from("prod"),
                LiveCluster {
                    id: ClusterId::from("c1"),
                    pools: BTreeMap::from([("app".to_owned(), pool)]),
                    orphan_nodes: Vec::new(),
                },
            )]),
        }
    }

    fn plan(steps: Vec<Step>) -> Plan {
        Plan {
            format_version: FORMAT_VERSION.into(),
            config_digest: String::new(),
            cloud: Default::default(),
            clusters: BTreeMap::new(),
            pools: Vec::new(),
            unmanaged: Vec::new(),
            steps,
            fingerprints: BTreeMap::from([
                ("prod/p1".to_owned(), "fp-pool".to_owned()),
                ("prod/p1/n1".to_owned(), "fp-n1".to_owned()),
                ("prod/p1/n2".to_owned(), "fp-n2".to_owned()),
            ]),
            classification: None,
        }
    }

    #[test]
    fn unchanged_state_is_fresh() {
        let state = live(vec![node("n1", "fp-n1"), node("n2", "fp-n2")]);
        assert_eq!(
            stale_objects(&plan(Vec::new()), &state),
            Vec::<String>::new()
        );
    }

    #[test]
    fn changed_gone_and_new_nodes_are_stale() {
        let state = live(vec![node("n1", "fp-n1-changed"), node("n3", "fp-n3")]);
        assert_eq!(
            stale_objects(&plan(Vec::new()), &state),
            vec![
                "node n1-name (n1) of pool app: changed".to_owned(),
                "prod/p1/n2: no longer exists".to_owned(),
                "node n3-name (n3) of pool app: new since the plan".to_owned(),
            ]
        );
    }

    #[test]
    fn a_pool_to_create_that_exists_is_stale() {
        let state = live(vec![node("n1", "fp-n1"), node("n2", "fp-n2")]);
        let create = Step {
            id: 0,
            depends_on: Vec::new(),
            address: PoolAddress::from("app"),
            cluster: ClusterName::from("prod"),
            kind: StepKind::CreatePool {
                request: Box::new(crate::api::CreatePool {
                    pool: crate::api::PoolSpec {
                        name: "app".into(),
                        ..Default::default()
                    },
                }),
                password_env: None,
            },
        };
        let stale = stale_objects(&plan(vec![create]), &state);
        assert_eq!(stale.len(), 1);
        assert!(stale[0].contains("exists now"), "{stale:?}");
    }
}
