//! The API's reset calls: UpgradeNodePool (sync), ResetNode and Open
//! Telekom Cloud's SyncNodePool. Each validates first and changes nothing on
//! error, then queues the nodes in a job.

use std::collections::BTreeMap;

use crate::sim::api;

use super::clock::Timing;
use super::error::ApiError;
use super::template::login_without_password;
use super::validate::{idle_nodes, validate_life_cycle, validate_login};
use super::world::{ResetWith, SimNode, SimState};

impl SimState {
    /// UpgradeNodePool: queue the nodes for reset and return the job id.
    pub(crate) fn start_sync(
        &mut self,
        cluster_id: &str,
        pool_id: &str,
        body: api::UpgradeNodePool,
        timing: &Timing,
    ) -> Result<String, ApiError> {
        let pool = self.existing_pool(cluster_id, pool_id)?;
        let spec = &body.spec;
        if spec.node_pool_id != pool_id {
            return Err(ApiError::bad_request(format!(
                "spec.nodePoolID {:?} does not match the node pool {pool_id} in the path",
                spec.node_pool_id
            )));
        }
        let max_unavailable = spec.max_unavailable.unwrap_or(0);
        if !(1..=20).contains(&max_unavailable) {
            return Err(ApiError::bad_request(format!(
                "spec.maxUnavailable must be between 1 and 20, not {max_unavailable}"
            )));
        }
        if spec.node_ids.is_empty() {
            return Err(ApiError::bad_request(
                "spec.nodeIDs must name at least one node",
            ));
        }
        if pool.deleting {
            return Err(ApiError::forbidden(format!(
                "node pool {pool_id} is being deleted"
            )));
        }
        let mut nodes = Vec::new();
        for node_id in &spec.node_ids {
            let Some(node) = pool.nodes.iter().find(|n| n.uid() == node_id) else {
                return Err(ApiError::bad_request(format!(
                    "node {node_id} does not belong to node pool {pool_id}"
                )));
            };
            nodes.push(node);
        }
        let reset = match &spec.node_template {
            None => None,
            Some(template) => {
                validate_login(template.login.as_ref(), "spec.nodeTemplate.login")?;
                let life_cycle = template.life_cycle.clone().unwrap_or_default();
                validate_life_cycle(&life_cycle)?;
                Some(ResetWith {
                    login: template.login.as_ref().map(login_without_password),
                    life_cycle: Some(life_cycle),
                    ..ResetWith::default()
                })
            }
        };
        let nodes = idle_nodes(&nodes)?;
        self.refuse_queued(&nodes)?;
        let pool_name = pool.pool.metadata.name.clone();
        let job_id = self.queue_resets(
            cluster_id,
            (pool_id, &pool_name),
            &nodes,
            max_unavailable as usize,
            timing,
        );
        if let Some(job) = self.jobs.get_mut(&job_id) {
            job.reset = reset;
        }
        Ok(job_id)
    }

    /// ResetNode (`POST …/nodes/reset`): reinstalls the listed nodes at
    /// once. A node of a pool gets its OS, login, runtime and scripts from
    /// the pool (the request's spec is required but not used); a DefaultPool
    /// node gets them from the request's spec.
    pub(crate) fn reset_nodes(
        &mut self,
        cluster_id: &str,
        body: api::ResetNodeList,
        timing: &Timing,
    ) -> Result<String, ApiError> {
        let cluster = self.cluster(cluster_id)?;
        if body.node_list.is_empty() {
            return Err(ApiError::bad_request(
                "nodeList must name at least one node",
            ));
        }
        let mut nodes = Vec::new();
        let mut node_resets = BTreeMap::new();
        for (index, item) in body.node_list.iter().enumerate() {
            let Some(spec) = &item.spec else {
                return Err(ApiError::bad_request(format!(
                    "nodeList[{index}].spec is required"
                )));
            };
            if spec.os.as_deref().is_none_or(str::is_empty) {
                return Err(ApiError::bad_request(format!(
                    "nodeList[{index}].spec.os is required"
                )));
            }
            validate_login(
                spec.login.as_ref(),
                &format!("nodeList[{index}].spec.login"),
            )?;
            let life_cycle = spec.lifecycle.clone().unwrap_or_default();
            validate_life_cycle(&life_cycle)?;
            let Some((pool, node)) = cluster.pools.iter().find_map(|p| {
                p.nodes
                    .iter()
                    .find(|n| n.uid() == item.node_id)
                    .map(|n| (p, n))
            }) else {
                return Err(ApiError::not_found(format!(
                    "node {} not found",
                    item.node_id
                )));
            };
            if pool.is_default() {
                node_resets.insert(
                    item.node_id.clone(),
                    ResetWith {
                        os: spec.os.clone(),
                        runtime: spec.runtime_config.as_ref().and_then(|r| r.runtime.clone()),
                        login: spec.login.as_ref().map(login_without_password),
                        life_cycle: Some(life_cycle),
                    },
                );
            }
            nodes.push(node);
        }
        let nodes = idle_nodes(&nodes)?;
        self.refuse_queued(&nodes)?;
        let count = nodes.len();
        let job_id = self.queue_resets(cluster_id, ("", ""), &nodes, count.max(1), timing);
        if let Some(job) = self.jobs.get_mut(&job_id) {
            job.job_type = "ResetNode".to_owned();
            job.node_resets = node_resets;
        }
        Ok(job_id)
    }

    /// Open Telekom Cloud's SyncNodePool (`PUT /api/v3.1/…/nodepool/{pool}/sync`):
    /// resets every node of the pool to its template, `max_unavailable` at a
    /// time. There is no job to follow: clients watch the nodes.
    pub(crate) fn sync_whole_pool(
        &mut self,
        cluster_id: &str,
        pool_id: &str,
        max_unavailable: usize,
        timing: &Timing,
    ) -> Result<(), ApiError> {
        let pool = self.existing_pool(cluster_id, pool_id)?;
        if pool.is_default() {
            return Err(ApiError::bad_request(
                "the DefaultPool cannot be synchronized as a pool; reset its nodes instead",
            ));
        }
        if pool.deleting {
            return Err(ApiError::forbidden(format!(
                "node pool {pool_id} is being deleted"
            )));
        }
        let nodes: Vec<&SimNode> = pool.nodes.iter().collect();
        let nodes = idle_nodes(&nodes)?;
        self.refuse_queued(&nodes)?;
        let pool_name = pool.pool.metadata.name.clone();
        self.queue_resets(
            cluster_id,
            (pool_id, &pool_name),
            &nodes,
            max_unavailable.max(1),
            timing,
        );
        Ok(())
    }

    /// Modelled, not documented: what CCE does with a reset naming a node
    /// that an accepted, unfinished job will reset is unknown. The most
    /// cautious plausible answer is a refusal (409).
    fn refuse_queued(&self, nodes: &[(String, String)]) -> Result<(), ApiError> {
        for (node_id, _) in nodes {
            if let Some(job) = self
                .jobs
                .values()
                .find(|job| !job.is_done() && job.queue.iter().any(|queued| queued == node_id))
            {
                return Err(ApiError::conflict(format!(
                    "node {node_id} is already queued for reset by job {}; try again once it has finished",
                    job.uid
                )));
            }
        }
        Ok(())
    }

    /// Starts a job that resets `nodes` (id, name), at most
    /// `max_unavailable` at a time, after the job's start delay.
    fn queue_resets(
        &mut self,
        cluster_id: &str,
        pool: (&str, &str),
        nodes: &[(String, String)],
        max_unavailable: usize,
        timing: &Timing,
    ) -> String {
        let job_id = self.new_job("UpgradeNodePool", "ResetNode", cluster_id, pool, nodes);
        let now = self.now;
        self.schedule_job(Some(now + timing.job_start), &job_id);
        if let Some(job) = self.jobs.get_mut(&job_id) {
            job.phase = "Initializing".to_owned();
            job.start_at = Some(now + timing.job_start);
            job.max_unavailable = max_unavailable;
            job.queue = nodes.iter().map(|(id, _)| id.clone()).collect();
            for sub in &mut job.sub_jobs {
                sub.phase = "Initializing".to_owned();
            }
        }
        if !pool.0.is_empty()
            && let Some(pool) = self.pool_state_mut(cluster_id, pool.0)
        {
            pool.job_id = Some(job_id.clone());
        }
        self.refresh(cluster_id);
        job_id
    }
}
