//! Talking to CCE: wire types, conversions to the model, request signing, the
//! HTTP client and `fetch`. The only module that speaks HTTP to the cloud.

use std::future::Future;

use crate::model::{ClusterId, NodeId, PoolId};
use request::{CreateNodePool, NodePoolUpdate, UpgradeNodePool};

pub mod auth;
pub mod client;
pub mod convert;
mod error;
pub mod fetch;
pub mod fleet;
pub mod limit;
pub mod pace;
pub mod request;
pub mod salt;
pub mod sign;
pub mod wire;

pub use auth::Credentials;
pub use client::{CceClient, ClientOptions, RetryPolicy};
pub use error::{LiveError, Service};
pub use fetch::{fetch, fetch_pool_nodes};
pub use fleet::FleetClient;

/// The CCE operations poolform uses. The HTTP client implements it; apply is
/// generic over it so the same code runs against the cloud and the simulator.
pub trait CceApi: Send + Sync {
    /// ListNodePools, DefaultPool included.
    fn list_pools(
        &self,
        cluster: &ClusterId,
    ) -> impl Future<Output = Result<Vec<wire::NodePool>, LiveError>> + Send;
    /// ShowNodePool.
    fn show_pool(
        &self,
        cluster: &ClusterId,
        pool: &PoolId,
    ) -> impl Future<Output = Result<wire::NodePool, LiveError>> + Send;
    /// CreateNodePool.
    fn create_pool(
        &self,
        cluster: &ClusterId,
        body: &CreateNodePool,
    ) -> impl Future<Output = Result<wire::NodePool, LiveError>> + Send;
    /// UpdateNodePool.
    fn update_pool(
        &self,
        cluster: &ClusterId,
        pool: &PoolId,
        body: &NodePoolUpdate,
    ) -> impl Future<Output = Result<wire::NodePool, LiveError>> + Send;
    /// DeleteNodePool.
    fn delete_pool(
        &self,
        cluster: &ClusterId,
        pool: &PoolId,
    ) -> impl Future<Output = Result<wire::NodePool, LiveError>> + Send;
    /// ListNodes, every page.
    fn list_nodes(
        &self,
        cluster: &ClusterId,
    ) -> impl Future<Output = Result<Vec<wire::Node>, LiveError>> + Send;
    /// ShowNode.
    fn show_node(
        &self,
        cluster: &ClusterId,
        node: &NodeId,
    ) -> impl Future<Output = Result<wire::Node, LiveError>> + Send;
    /// UpgradeNodePool (synchronise nodes); returns the job id, or `None`
    /// when CCE accepted it with no body, as its API pages document.
    fn sync_nodes(
        &self,
        cluster: &ClusterId,
        pool: &PoolId,
        body: &UpgradeNodePool,
    ) -> impl Future<Output = Result<Option<String>, LiveError>> + Send;
    /// ResetNode: reset chosen nodes (Open Telekom Cloud's sync); returns
    /// the job id.
    fn reset_nodes(
        &self,
        cluster: &ClusterId,
        body: &request::ResetNodeList,
    ) -> impl Future<Output = Result<String, LiveError>> + Send;
    /// ShowJob.
    fn show_job(&self, job: &str) -> impl Future<Output = Result<wire::Job, LiveError>> + Send;
}
