//! The API's read calls: ListNodePools, ShowNodePool, ListNodes, ShowNode
//! and ShowJob, each answered as CCE answers it.

use serde_json::{Value, json};

use crate::sim::{api, view};

use super::error::ApiError;
use super::world::SimState;

impl SimState {
    /// ListNodePools: `{kind, apiVersion, items}`, each pool decorated.
    pub(crate) fn list_pools(
        &self,
        cluster_id: &str,
        show_default: bool,
    ) -> Result<Value, ApiError> {
        let items: Vec<Value> = self
            .cluster(cluster_id)?
            .pools
            .iter()
            .filter(|p| show_default || !p.is_default())
            .map(|p| view::pool(&p.pool, view::PoolAnswer::Show))
            .collect();
        Ok(json!({"kind": "List", "apiVersion": "v3", "items": items}))
    }

    /// ShowNodePool (or the answer of a create, update or delete).
    pub(crate) fn show_pool(
        &self,
        cluster_id: &str,
        pool_id: &str,
        answer: view::PoolAnswer,
    ) -> Result<Value, ApiError> {
        Ok(view::pool(
            &self.existing_pool(cluster_id, pool_id)?.pool,
            answer,
        ))
    }

    /// ListNodes, one page: nodes ordered by id, after `marker`.
    pub(crate) fn list_nodes(
        &self,
        cluster_id: &str,
        limit: usize,
        marker: Option<&str>,
    ) -> Result<Value, ApiError> {
        self.cluster(cluster_id)?;
        let nodes: Vec<&api::Node> = self
            .nodes(cluster_id)
            .into_iter()
            .filter(|n| marker.is_none_or(|m| n.metadata.uid.as_str() > m))
            .collect();
        let page: Vec<Value> = nodes.iter().take(limit).map(|n| view::node(n)).collect();
        let mut page_info = json!({"currentCount": page.len()});
        if nodes.len() > page.len()
            && let Some(last) = nodes.get(page.len().wrapping_sub(1))
        {
            page_info["nextMarker"] = Value::String(last.metadata.uid.clone());
        }
        Ok(json!({"kind": "List", "apiVersion": "v3", "items": page, "pageInfo": page_info}))
    }

    /// ShowNode.
    pub(crate) fn show_node(&self, cluster_id: &str, node_id: &str) -> Result<Value, ApiError> {
        self.cluster(cluster_id)?;
        self.node(cluster_id, node_id)
            .map(view::node)
            .ok_or_else(|| ApiError::not_found(format!("node {node_id} not found")))
    }

    /// ShowJob. A job still hidden (see [`SimJob::hidden_reads`]) answers
    /// 404 as an unknown one does, and counts the read.
    pub(crate) fn show_job(&mut self, job_id: &str) -> Result<Value, ApiError> {
        let not_found = || ApiError::not_found(format!("job {job_id} not found"));
        let job = self.jobs.get_mut(job_id).ok_or_else(not_found)?;
        if job.hidden_reads > 0 {
            job.hidden_reads -= 1;
            return Err(not_found());
        }
        self.job_view(job_id).ok_or_else(not_found)
    }
}
