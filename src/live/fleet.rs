//! [`FleetClient`]: one [`CceClient`] per endpoint, and the [`CceApi`] of a
//! whole fleet, each cluster's calls sent through its own endpoint's client.
//!
//! Clusters in different regions (or projects) are different APIs with
//! their own throttling, so each endpoint gets its own client and with it
//! its own adaptive limit (see [`super::limit`]): a throttled region slows
//! down only its own clusters. Credentials are the process's, the same for
//! every client, as the SDKs have them.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, PoisonError};

use super::client::{CceClient, ClientOptions};
use crate::api::{
    CceApi, CreatePool, JobState, ListedNode, LiveError, PoolState, ResetNodes, SyncNodes,
    UpdatePool,
};
use crate::model::{ClusterId, LivePool, NodeId, PoolId};

/// The clients of a fleet and which cluster is behind which.
#[derive(Debug)]
pub struct FleetClient {
    /// One per endpoint and project, in the order first needed.
    clients: Vec<CceClient>,
    /// The client of each cluster.
    routes: HashMap<ClusterId, usize>,
    /// The client that accepted each job, so ShowJob asks the region that
    /// runs it.
    jobs: Mutex<HashMap<String, usize>>,
}

impl FleetClient {
    /// A fleet behind a single client.
    pub fn single(client: CceClient) -> Self {
        Self {
            clients: vec![client],
            routes: HashMap::new(),
            jobs: Mutex::new(HashMap::new()),
        }
    }

    /// One client per distinct endpoint and project among `clusters`
    /// (each cluster with its options), built by `build`; at least one
    /// cluster is needed.
    pub fn new(
        clusters: impl IntoIterator<Item = (ClusterId, ClientOptions)>,
        build: impl Fn(ClientOptions) -> Result<CceClient, LiveError>,
    ) -> Result<Self, LiveError> {
        let mut clients = Vec::new();
        let mut by_place: BTreeMap<(String, String), usize> = BTreeMap::new();
        let mut routes = HashMap::new();
        for (cluster, options) in clusters {
            let place = (options.endpoint.to_string(), options.project_id.clone());
            let index = match by_place.get(&place) {
                Some(&index) => index,
                None => {
                    clients.push(build(options)?);
                    by_place.insert(place, clients.len() - 1);
                    clients.len() - 1
                }
            };
            routes.insert(cluster, index);
        }
        if clients.is_empty() {
            return Err(LiveError::InvalidEndpoint {
                endpoint: String::new(),
                reason: crate::api::EndpointRefusal::NoCluster,
            });
        }
        Ok(Self {
            clients,
            routes,
            jobs: Mutex::new(HashMap::new()),
        })
    }

    /// The clients, one per endpoint and project.
    pub fn clients(&self) -> &[CceClient] {
        &self.clients
    }

    /// The client of `cluster`. A cluster no route names (a fleet of one
    /// client) goes to the first client.
    pub fn client_for(&self, cluster: &ClusterId) -> &CceClient {
        &self.clients[self.index_of(cluster)]
    }

    fn index_of(&self, cluster: &ClusterId) -> usize {
        self.routes.get(cluster).copied().unwrap_or(0)
    }
}

impl CceApi for FleetClient {
    async fn list_pools(&self, cluster: &ClusterId) -> Result<Vec<LivePool>, LiveError> {
        CceApi::list_pools(self.client_for(cluster), cluster).await
    }

    async fn show_pool(&self, cluster: &ClusterId, pool: &PoolId) -> Result<PoolState, LiveError> {
        CceApi::show_pool(self.client_for(cluster), cluster, pool).await
    }

    async fn create_pool(
        &self,
        cluster: &ClusterId,
        request: &CreatePool,
        password: Option<&str>,
    ) -> Result<Option<PoolId>, LiveError> {
        CceApi::create_pool(self.client_for(cluster), cluster, request, password).await
    }

    async fn update_pool(
        &self,
        cluster: &ClusterId,
        pool: &PoolId,
        request: &UpdatePool,
        password: Option<&str>,
    ) -> Result<(), LiveError> {
        CceApi::update_pool(self.client_for(cluster), cluster, pool, request, password).await
    }

    async fn delete_pool(&self, cluster: &ClusterId, pool: &PoolId) -> Result<(), LiveError> {
        CceApi::delete_pool(self.client_for(cluster), cluster, pool).await
    }

    async fn list_nodes(&self, cluster: &ClusterId) -> Result<Vec<ListedNode>, LiveError> {
        CceApi::list_nodes(self.client_for(cluster), cluster).await
    }

    async fn show_node(&self, cluster: &ClusterId, node: &NodeId) -> Result<ListedNode, LiveError> {
        CceApi::show_node(self.client_for(cluster), cluster, node).await
    }

    async fn sync_nodes(
        &self,
        cluster: &ClusterId,
        pool: &PoolId,
        request: &SyncNodes,
        password: Option<&str>,
    ) -> Result<Option<String>, LiveError> {
        let job =
            CceApi::sync_nodes(self.client_for(cluster), cluster, pool, request, password).await?;
        if let Some(job) = &job {
            self.jobs
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(job.clone(), self.index_of(cluster));
        }
        Ok(job)
    }

    async fn reset_nodes(
        &self,
        cluster: &ClusterId,
        request: &ResetNodes,
        password: Option<&str>,
    ) -> Result<String, LiveError> {
        let job = CceApi::reset_nodes(self.client_for(cluster), cluster, request, password).await?;
        self.jobs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(job.clone(), self.index_of(cluster));
        Ok(job)
    }

    async fn show_job(&self, job: &str) -> Result<JobState, LiveError> {
        // A job this client started is asked of its endpoint. One it did not
        // start (a sync in flight from another run, a job the rollout
        // journal recorded) is asked of each endpoint until one knows it.
        let known = self
            .jobs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(job)
            .copied();
        if let Some(index) = known {
            return CceApi::show_job(&self.clients[index], job).await;
        }
        let mut last = None;
        for client in &self.clients {
            match CceApi::show_job(client, job).await {
                Err(error) if error.is_not_found() => last = Some(error),
                answer => return answer,
            }
        }
        match last {
            Some(error) => Err(error),
            None => CceApi::show_job(&self.clients[0], job).await,
        }
    }
}
