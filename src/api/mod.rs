//! The boundary between poolform and CCE, in domain terms: the [`CceApi`]
//! trait apply and `live::fetch` are written against, the requests it takes
//! ([`CreatePool`], [`UpdatePool`], [`SyncNodes`], [`ResetNodes`]), what its
//! reads return (model types plus the little apply needs besides:
//! [`PoolState`], [`ListedNode`], [`JobState`]) and its error,
//! [`LiveError`]. Depends on `model` only; `live` implements the trait and
//! alone knows the wire format.

use std::future::Future;

use crate::model::{ClusterId, LivePool, NodeId, PoolId};

mod error;
mod read;
mod request;

pub use error::{AuthProblem, DecodeProblem, EndpointRefusal, LiveError, Service, UnknownOutcome};
pub use read::{
    JobPhase, JobState, ListedNode, NodeMembership, PoolCondition, PoolState, PoolStatus, SubJob,
};
pub use request::{CreatePool, PoolSpec, ResetNodes, SyncNodes, UpdatePool};

/// The CCE operations poolform uses. The HTTP client implements it; apply is
/// generic over it so the same code runs against the cloud and the simulator.
///
/// A write that asks for a login password takes the secret itself as
/// `password` (read from the environment at apply time); the implementation
/// salts it into the request as CCE requires, so no caller ever builds a
/// request body.
pub trait CceApi: Send + Sync {
    /// ListNodePools, DefaultPool included; the pools come without nodes.
    fn list_pools(
        &self,
        cluster: &ClusterId,
    ) -> impl Future<Output = Result<Vec<LivePool>, LiveError>> + Send;
    /// ShowNodePool.
    fn show_pool(
        &self,
        cluster: &ClusterId,
        pool: &PoolId,
    ) -> impl Future<Output = Result<PoolState, LiveError>> + Send;
    /// CreateNodePool; returns the new pool's id when CCE answered with one.
    fn create_pool(
        &self,
        cluster: &ClusterId,
        request: &CreatePool,
        password: Option<&str>,
    ) -> impl Future<Output = Result<Option<PoolId>, LiveError>> + Send;
    /// UpdateNodePool.
    fn update_pool(
        &self,
        cluster: &ClusterId,
        pool: &PoolId,
        request: &UpdatePool,
        password: Option<&str>,
    ) -> impl Future<Output = Result<(), LiveError>> + Send;
    /// DeleteNodePool.
    fn delete_pool(
        &self,
        cluster: &ClusterId,
        pool: &PoolId,
    ) -> impl Future<Output = Result<(), LiveError>> + Send;
    /// ListNodes, every page.
    fn list_nodes(
        &self,
        cluster: &ClusterId,
    ) -> impl Future<Output = Result<Vec<ListedNode>, LiveError>> + Send;
    /// ShowNode.
    fn show_node(
        &self,
        cluster: &ClusterId,
        node: &NodeId,
    ) -> impl Future<Output = Result<ListedNode, LiveError>> + Send;
    /// UpgradeNodePool (synchronise nodes); returns the job id, or `None`
    /// when CCE accepted it with no body, as its API pages document.
    fn sync_nodes(
        &self,
        cluster: &ClusterId,
        pool: &PoolId,
        request: &SyncNodes,
        password: Option<&str>,
    ) -> impl Future<Output = Result<Option<String>, LiveError>> + Send;
    /// ResetNode: reset chosen nodes (Open Telekom Cloud's sync); returns
    /// the job id.
    fn reset_nodes(
        &self,
        cluster: &ClusterId,
        request: &ResetNodes,
        password: Option<&str>,
    ) -> impl Future<Output = Result<String, LiveError>> + Send;
    /// ShowJob.
    fn show_job(&self, job: &str) -> impl Future<Output = Result<JobState, LiveError>> + Send;
}
