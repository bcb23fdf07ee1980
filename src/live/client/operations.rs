//! The wire-level calls, one per CCE operation: bodies in, responses out,
//! exactly as the API has them.

use std::collections::HashSet;

use reqwest::Method;

use super::super::{request, wire};
use super::{Call, CceClient, decode};
use crate::api::{DecodeProblem, LiveError};
use crate::model::{ClusterId, NodeId, PoolId};

/// Makes an update safe for the node count: unless the caller manages the
/// count (sets `initialNodeCount`), CCE is told to ignore it, because an
/// omitted count would reset the pool's desired size to 0.
pub fn protect_node_count(body: &request::NodePoolUpdate) -> request::NodePoolUpdate {
    let mut body = body.clone();
    if body.spec.initial_node_count.is_none() {
        body.spec.ignore_initial_node_count = true;
    }
    body
}

/// The wire-level calls, one per CCE operation: bodies in, responses out,
/// exactly as the API has them. [`crate::api::CceApi`] is the domain face of
/// the same calls (`live::cce_api`), with the same names less `_wire`; the
/// contract and client tests speak to these.
impl CceClient {
    /// ListNodePools, DefaultPool included.
    pub async fn list_pools_wire(
        &self,
        cluster: &ClusterId,
    ) -> Result<Vec<wire::NodePool>, LiveError> {
        let call = Call::new(
            Method::GET,
            "ListNodePools",
            &["clusters", cluster.as_str(), "nodepools"],
        )
        .query("showDefaultNodePool", "true");
        let list: wire::List<wire::NodePool> = self.call_json(call).await?;
        Ok(list.items)
    }

    /// ShowNodePool.
    pub async fn show_pool_wire(
        &self,
        cluster: &ClusterId,
        pool: &PoolId,
    ) -> Result<wire::NodePool, LiveError> {
        let call = Call::new(
            Method::GET,
            "ShowNodePool",
            &["clusters", cluster.as_str(), "nodepools", pool.as_str()],
        );
        self.call_json(call).await
    }

    /// CreateNodePool.
    pub async fn create_pool_wire(
        &self,
        cluster: &ClusterId,
        body: &request::CreateNodePool,
    ) -> Result<wire::NodePool, LiveError> {
        let call = Call::new(
            Method::POST,
            "CreateNodePool",
            &["clusters", cluster.as_str(), "nodepools"],
        )
        .json(body)?;
        self.call_json(call).await
    }

    /// UpdateNodePool, with the node count protected ([`protect_node_count`]).
    pub async fn update_pool_wire(
        &self,
        cluster: &ClusterId,
        pool: &PoolId,
        body: &request::NodePoolUpdate,
    ) -> Result<wire::NodePool, LiveError> {
        let call = Call::new(
            Method::PUT,
            "UpdateNodePool",
            &["clusters", cluster.as_str(), "nodepools", pool.as_str()],
        )
        .json(&protect_node_count(body))?;
        self.call_json(call).await
    }

    /// DeleteNodePool.
    pub async fn delete_pool_wire(
        &self,
        cluster: &ClusterId,
        pool: &PoolId,
    ) -> Result<wire::NodePool, LiveError> {
        let call = Call::new(
            Method::DELETE,
            "DeleteNodePool",
            &["clusters", cluster.as_str(), "nodepools", pool.as_str()],
        );
        let body = self.call(call).await?;
        if body.iter().all(u8::is_ascii_whitespace) {
            // The deletion was accepted; some CCE versions answer without a
            // body, and the pool's id is all a caller needs then.
            return Ok(wire::NodePool {
                metadata: wire::NodePoolMetadata {
                    uid: Some(pool.as_str().to_owned()),
                    ..wire::NodePoolMetadata::default()
                },
                ..wire::NodePool::default()
            });
        }
        decode("DeleteNodePool", &body)
    }

    /// ListNodes, every page.
    pub async fn list_nodes_wire(&self, cluster: &ClusterId) -> Result<Vec<wire::Node>, LiveError> {
        let mut nodes = Vec::new();
        let mut marker: Option<String> = None;
        let mut seen = HashSet::new();
        loop {
            let page = self.list_nodes_page(cluster, marker.as_deref()).await?;
            nodes.extend(page.items);
            let next = page
                .page_info
                .and_then(|info| info.next_marker)
                .filter(|next| !next.is_empty());
            match next {
                None => return Ok(nodes),
                Some(next) if !seen.insert(next.clone()) => {
                    return Err(LiveError::Decode {
                        what: "ListNodes response".to_owned(),
                        source: DecodeProblem::PaginationStuck { marker: next },
                    });
                }
                Some(next) => marker = Some(next),
            }
        }
    }

    /// ShowNode.
    pub async fn show_node_wire(
        &self,
        cluster: &ClusterId,
        node: &NodeId,
    ) -> Result<wire::Node, LiveError> {
        let call = Call::new(
            Method::GET,
            "ShowNode",
            &["clusters", cluster.as_str(), "nodes", node.as_str()],
        );
        self.call_json(call).await
    }

    /// UpgradeNodePool; the job id, or `None` when CCE accepted it with no body.
    pub async fn sync_nodes_wire(
        &self,
        cluster: &ClusterId,
        pool: &PoolId,
        body: &request::UpgradeNodePool,
    ) -> Result<Option<String>, LiveError> {
        let call = Call::new(
            Method::POST,
            "UpgradeNodePool",
            &[
                "clusters",
                cluster.as_str(),
                "nodepools",
                pool.as_str(),
                "operation",
                "upgrade",
            ],
        )
        .json(body)?;
        // The API pages document a 200 with no body; the SDK reads
        // `{"jobid"}`. Both mean accepted; without a job id the caller
        // follows the nodes.
        let bytes = self.call(call).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        let answer: wire::JobIdResponse = decode("UpgradeNodePool", &bytes)?;
        Ok(Some(answer.jobid).filter(|id| !id.is_empty()))
    }

    /// ResetNode; the job id.
    pub async fn reset_nodes_wire(
        &self,
        cluster: &ClusterId,
        body: &request::ResetNodeList,
    ) -> Result<String, LiveError> {
        let call = Call::new(
            Method::POST,
            "ResetNode",
            &["clusters", cluster.as_str(), "nodes", "reset"],
        )
        .json(body)?;
        let answer: wire::JobIdResponse = self.call_json(call).await?;
        if answer.jobid.is_empty() {
            return Err(LiveError::Decode {
                what: "ResetNode response".to_owned(),
                source: DecodeProblem::NoJobId,
            });
        }
        Ok(answer.jobid)
    }

    /// ShowJob.
    pub async fn show_job_wire(&self, job: &str) -> Result<wire::Job, LiveError> {
        let call = Call::new(Method::GET, "ShowJob", &["jobs", job]);
        self.call_json(call).await
    }
}
