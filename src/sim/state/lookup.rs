//! Finding clusters, pools and nodes in the world.

use crate::sim::api;

use super::error::ApiError;
use super::world::{SimCluster, SimPool, SimState};

impl SimState {
    pub(super) fn pool_state(&self, cluster_id: &str, pool_id: &str) -> Option<&SimPool> {
        self.clusters
            .get(cluster_id)?
            .pools
            .iter()
            .find(|p| p.uid() == pool_id)
    }

    pub(super) fn pool_state_mut(
        &mut self,
        cluster_id: &str,
        pool_id: &str,
    ) -> Option<&mut SimPool> {
        self.clusters
            .get_mut(cluster_id)?
            .pools
            .iter_mut()
            .find(|p| p.uid() == pool_id)
    }

    /// A pool as the simulator keeps it (responses add what real ones add,
    /// see `view`).
    pub fn pool(&self, cluster_id: &str, pool_id: &str) -> Option<&api::NodePool> {
        self.pool_state(cluster_id, pool_id).map(|p| &p.pool)
    }

    /// Mutable access to a pool, for seeding (e.g. a template the nodes do
    /// not match yet). Its status and its nodes' `configurationUpToDate` are
    /// not recomputed until [`SimState::recompute_up_to_date`] or the next
    /// change.
    pub fn pool_mut(&mut self, cluster_id: &str, pool_id: &str) -> Option<&mut api::NodePool> {
        self.pool_state_mut(cluster_id, pool_id)
            .map(|p| &mut p.pool)
    }

    /// The pools of a cluster, DefaultPool included, in creation order.
    pub fn pools(&self, cluster_id: &str) -> Vec<&api::NodePool> {
        self.clusters
            .get(cluster_id)
            .map(|c| c.pools.iter().map(|p| &p.pool).collect())
            .unwrap_or_default()
    }

    /// The nodes of a cluster, ordered by id (the order ListNodes pages in).
    pub fn nodes(&self, cluster_id: &str) -> Vec<&api::Node> {
        let mut nodes: Vec<&api::Node> = self
            .clusters
            .get(cluster_id)
            .map(|c| {
                c.pools
                    .iter()
                    .flat_map(|p| p.nodes.iter().map(|n| &n.node))
                    .collect()
            })
            .unwrap_or_default();
        nodes.sort_by(|a, b| a.metadata.uid.cmp(&b.metadata.uid));
        nodes
    }

    /// The nodes of one pool, in creation order.
    pub fn pool_nodes(&self, cluster_id: &str, pool_id: &str) -> Vec<&api::Node> {
        self.pool_state(cluster_id, pool_id)
            .map(|p| p.nodes.iter().map(|n| &n.node).collect())
            .unwrap_or_default()
    }

    /// One node.
    pub fn node(&self, cluster_id: &str, node_id: &str) -> Option<&api::Node> {
        self.clusters
            .get(cluster_id)?
            .pools
            .iter()
            .flat_map(|p| p.nodes.iter())
            .find(|n| n.uid() == node_id)
            .map(|n| &n.node)
    }

    /// Mutable access to a node, for seeding (e.g. an older os).
    pub fn node_mut(&mut self, cluster_id: &str, node_id: &str) -> Option<&mut api::Node> {
        self.clusters
            .get_mut(cluster_id)?
            .pools
            .iter_mut()
            .flat_map(|p| p.nodes.iter_mut())
            .find(|n| n.uid() == node_id)
            .map(|n| &mut n.node)
    }

    pub(super) fn cluster(&self, cluster_id: &str) -> Result<&SimCluster, ApiError> {
        self.clusters
            .get(cluster_id)
            .ok_or_else(|| ApiError::not_found(format!("cluster {cluster_id} not found")))
    }

    pub(super) fn existing_pool(
        &self,
        cluster_id: &str,
        pool_id: &str,
    ) -> Result<&SimPool, ApiError> {
        self.cluster(cluster_id)?
            .pools
            .iter()
            .find(|p| p.uid() == pool_id)
            .ok_or_else(|| ApiError::not_found(format!("node pool {pool_id} not found")))
    }
}
