//! `fetch`: the live snapshot of every cluster a configuration names.
//!
//! Per cluster: one ListNodePools (DefaultPool included) and the paginated
//! ListNodes, both at once; clusters concurrently, at most `concurrency` at a
//! time. Nodes are attached to their pool by `ownerReferences.nodepoolID` or
//! the `kubernetes.io/node-pool.id` annotation; nodes of the DefaultPool
//! (annotation `"{az}#{flavor}#{os}"`) go to a pool named `DefaultPool`,
//! which is synthesised when CCE does not list one. Everything else is pure
//! ([`assemble_cluster`]), so the attachment rules are unit-tested.

use std::collections::BTreeMap;

use futures::{StreamExt, TryStreamExt, stream};

use super::convert::fingerprint;
use crate::api::{CceApi, ListedNode, LiveError, NodeMembership, Service};
use crate::model::{
    ClusterId, ClusterName, DEFAULT_POOL_NAME, Live, LiveCluster, LiveNode, LivePool, NodeId,
    NodeTemplate, PoolId,
};

/// The id CCE accepts for the DefaultPool in sync requests
/// (`nodePoolID: "DefaultPool"`), used when ListNodePools does not list it.
pub const DEFAULT_POOL_ID: &str = DEFAULT_POOL_NAME;

/// Clusters read at once by default: all of them. Each cluster costs two
/// requests (its pool list and its node pages); how many of those are in
/// flight at once is for each endpoint's client to decide (its adaptive
/// limit), not for a second, fixed limit here that would only ever be
/// wrong for one fleet or another.
pub const DEFAULT_CONCURRENCY: usize = usize::MAX;

/// Reads every cluster of `clusters` (config key and CCE id, as
/// [`crate::model::Desired::cluster_ids`] lists them). A failure names the
/// cluster.
pub async fn fetch<A: CceApi>(
    api: &A,
    clusters: &[(ClusterName, ClusterId)],
    concurrency: usize,
) -> Result<Live, LiveError> {
    let clusters: Vec<_> = stream::iter(clusters)
        .map(|(name, id)| async move {
            fetch_cluster(api, id)
                .await
                .map(|live| (name.clone(), live))
                .map_err(|error| match error.service() {
                    // The IAM login is made once for the whole run, on the
                    // first request; naming the cluster it happened to be
                    // for would point at the wrong thing.
                    Some(Service::Iam { .. }) => error,
                    _ => LiveError::Cluster {
                        cluster: name.to_string(),
                        cluster_id: id.to_string(),
                        error: Box::new(error),
                    },
                })
        })
        .buffer_unordered(concurrency.max(1))
        .try_collect()
        .await?;
    Ok(Live {
        clusters: clusters.into_iter().collect(),
    })
}

/// Reads one cluster: its pools and all its nodes.
pub async fn fetch_cluster<A: CceApi>(
    api: &A,
    cluster: &ClusterId,
) -> Result<LiveCluster, LiveError> {
    let (pools, nodes) = futures::try_join!(api.list_pools(cluster), api.list_nodes(cluster))?;
    Ok(assemble_cluster(cluster, &pools, &nodes))
}

/// The current nodes of one pool, sorted by id: what apply re-reads before
/// and during each batch. `pool_name` identifies DefaultPool nodes, whose
/// annotation does not carry a pool id.
pub async fn fetch_pool_nodes<A: CceApi>(
    api: &A,
    cluster: &ClusterId,
    pool_id: &PoolId,
    pool_name: &str,
) -> Result<Vec<LiveNode>, LiveError> {
    let nodes = api.list_nodes(cluster).await?;
    let pools = [(pool_id.as_str(), pool_name)];
    let mut mine: Vec<LiveNode> = nodes
        .iter()
        .filter(|node| match owner_of(&node.membership, &pools) {
            Owner::Pool(name) => name == pool_name,
            Owner::DefaultPool => pool_name == DEFAULT_POOL_NAME,
            Owner::Unknown => false,
        })
        .map(|listed| listed.node.clone())
        .collect();
    mine.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(mine)
}

/// Where a node belongs.
#[derive(Debug, PartialEq, Eq)]
enum Owner<'a> {
    /// A listed pool, by name.
    Pool(&'a str),
    /// The DefaultPool, whether listed or not.
    DefaultPool,
    /// No pool poolform can identify.
    Unknown,
}

/// Finds a node's pool among `pools` (`(id, name)` pairs): by pool id in
/// `ownerReferences` or the annotation first, then by `nodepoolName`, then
/// the DefaultPool forms.
fn owner_of<'a>(membership: &NodeMembership, pools: &[(&'a str, &'a str)]) -> Owner<'a> {
    let owner_id = membership
        .owner_pool_id
        .as_deref()
        .filter(|id| !id.is_empty());
    let owner_name = membership
        .owner_pool_name
        .as_deref()
        .filter(|name| !name.is_empty());
    let annotation = membership
        .pool_annotation
        .as_deref()
        .filter(|value| !value.is_empty());
    for candidate in [owner_id, annotation].into_iter().flatten() {
        if let Some((_, name)) = pools.iter().find(|(id, _)| *id == candidate) {
            return Owner::Pool(name);
        }
    }
    if let Some(candidate) = owner_name
        && let Some((_, name)) = pools.iter().find(|(_, name)| *name == candidate)
    {
        return Owner::Pool(name);
    }
    let default_annotation = annotation.is_some_and(|value| value.contains('#'));
    if default_annotation
        || owner_name == Some(DEFAULT_POOL_NAME)
        || owner_id == Some(DEFAULT_POOL_ID)
    {
        return Owner::DefaultPool;
    }
    Owner::Unknown
}

/// Builds a cluster's snapshot from what ListNodePools and ListNodes
/// returned. Pure.
pub fn assemble_cluster(
    cluster: &ClusterId,
    pools: &[LivePool],
    nodes: &[ListedNode],
) -> LiveCluster {
    let mut live_pools: BTreeMap<String, LivePool> = pools
        .iter()
        .map(|pool| (pool.name.clone(), pool.clone()))
        .collect();
    let keys: Vec<(String, String)> = live_pools
        .values()
        .map(|pool| (pool.id.0.clone(), pool.name.clone()))
        .collect();
    let keys: Vec<(&str, &str)> = keys
        .iter()
        .map(|(id, name)| (id.as_str(), name.as_str()))
        .collect();
    let mut attached: BTreeMap<String, Vec<LiveNode>> = BTreeMap::new();
    let mut orphan_nodes = Vec::new();
    for node in nodes {
        let live = node.node.clone();
        match owner_of(&node.membership, &keys) {
            Owner::Pool(name) => attached.entry(name.to_owned()).or_default().push(live),
            Owner::DefaultPool => attached
                .entry(DEFAULT_POOL_NAME.to_owned())
                .or_default()
                .push(live),
            Owner::Unknown => orphan_nodes.push(live),
        }
    }
    for (name, mut nodes) in attached {
        nodes.sort_by(|a, b| a.id.cmp(&b.id));
        let pool = live_pools
            .entry(name)
            .or_insert_with(|| synthetic_default_pool(cluster));
        pool.nodes = nodes;
        if pool.name == DEFAULT_POOL_NAME && pool.id.0 == DEFAULT_POOL_ID {
            pool.node_count = u32::try_from(pool.nodes.len()).unwrap_or(u32::MAX);
        }
    }
    orphan_nodes.sort_by(|a: &LiveNode, b: &LiveNode| a.id.cmp(&b.id));
    LiveCluster {
        id: cluster.clone(),
        pools: live_pools,
        orphan_nodes,
    }
}

/// The DefaultPool when CCE does not list it: only its nodes are real, and
/// only a sync (with login and scripts) can be applied to it, so its
/// template stays empty.
fn synthetic_default_pool(cluster: &ClusterId) -> LivePool {
    LivePool {
        id: PoolId(DEFAULT_POOL_ID.to_owned()),
        name: DEFAULT_POOL_NAME.to_owned(),
        template: NodeTemplate {
            pool_type: "vm".to_owned(),
            ..NodeTemplate::default()
        },
        node_count: 0,
        autoscaling: None,
        server_group: None,
        phase: String::new(),
        updated_at: None,
        fingerprint: fingerprint(&(cluster, DEFAULT_POOL_NAME)),
        nodes: Vec::new(),
    }
}

/// How far a sync of a batch got, judged from the batch's nodes as read
/// now. Apply uses it after [`LiveError::OutcomeUnknown`] on a sync: it polls
/// until the answer is not [`SyncProgress::Untouched`] or a grace period
/// passes; a batch still untouched after that was most likely never
/// received, and sending it again is then a deliberate decision, not a blind
/// retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncProgress {
    /// Every node is Active and still out of date: no sign of the sync.
    Untouched,
    /// Some node is being reset (not Active), or only part of the batch is
    /// up to date: the sync was accepted.
    InProgress,
    /// Every node is Active and up to date.
    Done,
    /// These nodes of the batch no longer exist.
    Missing(Vec<NodeId>),
}

/// Judges a batch from the pool's current nodes (see [`SyncProgress`]).
pub fn sync_progress(nodes: &[LiveNode], batch: &[NodeId]) -> SyncProgress {
    let found: Vec<&LiveNode> = batch
        .iter()
        .filter_map(|id| nodes.iter().find(|node| &node.id == id))
        .collect();
    let missing: Vec<NodeId> = batch
        .iter()
        .filter(|id| !nodes.iter().any(|node| &node.id == *id))
        .cloned()
        .collect();
    if !missing.is_empty() {
        return SyncProgress::Missing(missing);
    }
    if found.iter().any(|node| !node.phase.is_available()) {
        return SyncProgress::InProgress;
    }
    let up_to_date = found
        .iter()
        .filter(|node| node.up_to_date == Some(true))
        .count();
    match up_to_date {
        0 => SyncProgress::Untouched,
        n if n == found.len() => SyncProgress::Done,
        _ => SyncProgress::InProgress,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::live::convert::{listed_node_from_wire, pool_from_wire};
    use crate::live::wire;
    use crate::model::NodePhase;

    fn pool(name: &str, uid: &str) -> LivePool {
        pool_from_wire(&wire::NodePool {
            kind: "NodePool".into(),
            api_version: "v3".into(),
            metadata: wire::NodePoolMetadata {
                name: name.into(),
                uid: Some(uid.into()),
                ..Default::default()
            },
            ..Default::default()
        })
    }

    fn node(uid: &str, owner_id: Option<&str>, annotation: Option<&str>) -> ListedNode {
        listed_node_from_wire(&wire_node(uid, owner_id, annotation))
    }

    fn wire_node(uid: &str, owner_id: Option<&str>, annotation: Option<&str>) -> wire::Node {
        wire::Node {
            kind: "Node".into(),
            api_version: "v3".into(),
            metadata: wire::NodeMetadata {
                name: format!("name-{uid}"),
                uid: uid.into(),
                annotations: annotation.map(|value| {
                    BTreeMap::from([(wire::NODE_POOL_ANNOTATION.to_owned(), value.to_owned())])
                }),
                owner_references: owner_id.map(|id| wire::OwnerReferences {
                    nodepool_name: None,
                    nodepool_id: Some(id.into()),
                }),
                ..Default::default()
            },
            spec: wire::NodeTemplate {
                az: Some("az1".into()),
                ..Default::default()
            },
            status: Some(wire::NodeStatus {
                phase: "Active".into(),
                configuration_up_to_date: Some(true),
                ..Default::default()
            }),
        }
    }

    fn ids(nodes: &[LiveNode]) -> Vec<&str> {
        nodes.iter().map(|node| node.id.as_str()).collect()
    }

    #[test]
    fn nodes_attach_by_owner_reference_or_annotation_and_sort() {
        let cluster = ClusterId::from("c1");
        let live = assemble_cluster(
            &cluster,
            &[pool("np-a", "pa"), pool("np-b", "pb")],
            &[
                node("n3", Some("pa"), None),
                node("n1", None, Some("pa")),
                node("n2", Some("pb"), Some("pb")),
                node("n9", Some("gone"), None),
            ],
        );
        assert_eq!(ids(&live.pools["np-a"].nodes), vec!["n1", "n3"]);
        assert_eq!(ids(&live.pools["np-b"].nodes), vec!["n2"]);
        assert_eq!(ids(&live.orphan_nodes), vec!["n9"]);
        assert!(!live.pools.contains_key(DEFAULT_POOL_NAME));
    }

    #[test]
    fn default_pool_nodes_get_a_synthetic_pool() {
        let cluster = ClusterId::from("c1");
        let live = assemble_cluster(
            &cluster,
            &[pool("np-a", "pa")],
            &[
                node("d2", None, Some("az1#c7.large.2#EulerOS 2.9")),
                node("d1", None, Some("az1#c7.large.2#EulerOS 2.9")),
            ],
        );
        let default = &live.pools[DEFAULT_POOL_NAME];
        assert_eq!(default.id.as_str(), DEFAULT_POOL_ID);
        assert_eq!(ids(&default.nodes), vec!["d1", "d2"]);
        assert_eq!(default.node_count, 2);
        assert!(live.pools["np-a"].nodes.is_empty());
    }

    #[test]
    fn default_pool_nodes_join_a_listed_default_pool() {
        let cluster = ClusterId::from("c1");
        let live = assemble_cluster(
            &cluster,
            &[pool(DEFAULT_POOL_NAME, "c1-default")],
            &[node("d1", None, Some("az1#s1.medium#EulerOS 2.5"))],
        );
        let default = &live.pools[DEFAULT_POOL_NAME];
        assert_eq!(default.id.as_str(), "c1-default");
        assert_eq!(ids(&default.nodes), vec!["d1"]);
    }

    #[test]
    fn owner_name_is_a_fallback() {
        let mut by_name = wire_node("n1", None, None);
        by_name.metadata.owner_references = Some(wire::OwnerReferences {
            nodepool_name: Some("np-a".into()),
            nodepool_id: None,
        });
        let by_name = listed_node_from_wire(&by_name);
        let live = assemble_cluster(&ClusterId::from("c"), &[pool("np-a", "pa")], &[by_name]);
        assert_eq!(ids(&live.pools["np-a"].nodes), vec!["n1"]);
    }

    fn live_node(id: &str, phase: &str, up_to_date: Option<bool>) -> LiveNode {
        let mut wire = wire_node(id, None, None);
        let status = wire.status.as_mut().expect("status");
        status.phase = phase.into();
        status.configuration_up_to_date = up_to_date;
        crate::live::convert::node_from_wire(&wire)
    }

    #[test]
    fn sync_progress_from_nodes() {
        let batch = [NodeId::from("a"), NodeId::from("b")];
        let untouched = [
            live_node("a", "Active", Some(false)),
            live_node("b", "Active", Some(false)),
        ];
        assert_eq!(sync_progress(&untouched, &batch), SyncProgress::Untouched);
        let resetting = [
            live_node("a", "Installing", Some(false)),
            live_node("b", "Active", Some(false)),
        ];
        assert_eq!(sync_progress(&resetting, &batch), SyncProgress::InProgress);
        let half = [
            live_node("a", "Active", Some(true)),
            live_node("b", "Active", Some(false)),
        ];
        assert_eq!(sync_progress(&half, &batch), SyncProgress::InProgress);
        let done = [
            live_node("a", "Active", Some(true)),
            live_node("b", "Active", Some(true)),
        ];
        assert_eq!(sync_progress(&done, &batch), SyncProgress::Done);
        assert_eq!(
            sync_progress(&done[..1], &batch),
            SyncProgress::Missing(vec![NodeId::from("b")])
        );
        assert_eq!(NodePhase::parse("Active"), untouched[0].phase);
    }
}
