//! Nodes over time: built, stepped through their phases, deleted, and a
//! pool scaled to a number of them.

use crate::sim::Faults;

use super::clock::{Timing, timestamp};
use super::seed::zones_of;
use super::staleness::is_up_to_date;
use super::world::{Progress, ProgressKind, SimState};

impl SimState {
    pub(super) fn step_node(
        &mut self,
        cluster_id: &str,
        pool_id: &str,
        node_id: &str,
        timing: &Timing,
        faults: &Faults,
    ) {
        let now = self.now;
        let at = timestamp(now);
        let Some(pool) = self.pool_state_mut(cluster_id, pool_id) else {
            return;
        };
        let template = pool.pool.spec.node_template.clone();
        let is_default = pool.is_default();
        let Some(index) = pool.nodes.iter().position(|n| n.uid() == node_id) else {
            return;
        };
        let node = &mut pool.nodes[index];
        let Some(progress) = node.progress.take() else {
            return;
        };
        // (job, success, reason) once the node's operation is over.
        let mut finished: Option<(bool, String)> = None;
        let mut remove_pool = false;
        let mut next_step = None;
        match progress.kind {
            ProgressKind::Building => {
                node.set_phase("Installing", &at);
                next_step = Some(now + timing.create / 2.0);
                node.progress = Some(Progress {
                    kind: ProgressKind::Installing,
                    next_at: next_step,
                    ..progress.clone()
                });
            }
            ProgressKind::Installing => {
                node.set_phase("Active", &at);
                let up_to_date =
                    is_default || is_up_to_date(&template, &node.node.spec, &faults.stale_fields);
                node.status_mut().configuration_up_to_date = Some(up_to_date);
                finished = Some((true, String::new()));
            }
            ProgressKind::Resetting if progress.fails => {
                node.set_phase("Error", &at);
                finished = Some((
                    false,
                    format!(
                        "reset of node {} failed (simulated fault)",
                        node.node.metadata.name
                    ),
                ));
            }
            ProgressKind::Resetting => {
                if let Some(target) = &progress.target {
                    node.node.spec = (**target).clone();
                }
                node.set_phase("Active", &at);
                let up_to_date =
                    is_default || is_up_to_date(&template, &node.node.spec, &faults.stale_fields);
                node.status_mut().configuration_up_to_date = Some(up_to_date);
                finished = Some((true, String::new()));
            }
            ProgressKind::Deleting => {
                pool.nodes.remove(index);
                remove_pool = pool.deleting && pool.nodes.is_empty();
                finished = Some((true, String::new()));
            }
        }
        self.schedule_node(next_step, cluster_id, pool_id, node_id);
        if remove_pool && let Some(cluster) = self.clusters.get_mut(cluster_id) {
            cluster.pools.retain(|p| p.uid() != pool_id);
        }
        if let (Some((success, reason)), Some(job_id)) = (finished, progress.job_id.as_deref()) {
            self.finish_sub_job(job_id, node_id, success, reason, timing, faults);
        }
        // Peaks after every event; the pool statuses, which only a reader
        // sees, once the clock has arrived (see `advance_to`).
        self.record_peaks(cluster_id);
    }

    /// Adds `count` nodes to a pool that pass Build → Installing → Active.
    pub(super) fn create_nodes(
        &mut self,
        cluster_id: &str,
        pool_id: &str,
        count: usize,
        job_type: &str,
        timing: &Timing,
    ) {
        let Some(pool) = self.pool_state(cluster_id, pool_id).cloned() else {
            return;
        };
        let template = pool.pool.spec.node_template.clone();
        let zones = zones_of(&template);
        let offset = pool.nodes.len();
        let mut nodes = Vec::with_capacity(count);
        for index in 0..count {
            let az = zones[(offset + index) % zones.len()].clone();
            nodes.push(self.new_node(&pool, &template, az, "Build"));
        }
        let names: Vec<(String, String)> = nodes
            .iter()
            .map(|n| (n.uid().to_owned(), n.node.metadata.name.clone()))
            .collect();
        let job_id = self.new_job(
            job_type,
            "CreateNode",
            cluster_id,
            (pool_id, &pool.pool.metadata.name),
            &names,
        );
        let next_at = self.now + timing.create / 2.0;
        for node in &mut nodes {
            node.status_mut().job_id = Some(job_id.clone());
            node.progress = Some(Progress {
                kind: ProgressKind::Building,
                next_at: Some(next_at),
                job_id: Some(job_id.clone()),
                fails: false,
                target: None,
            });
        }
        let node_ids: Vec<String> = nodes.iter().map(|n| n.uid().to_owned()).collect();
        if let Some(pool) = self.pool_state_mut(cluster_id, pool_id) {
            pool.nodes.extend(nodes);
            pool.job_id = Some(job_id.clone());
        }
        for node_id in &node_ids {
            self.schedule_node(Some(next_at), cluster_id, pool_id, node_id);
        }
        // A job with nothing to do is done at once.
        self.complete_job_if_done(&job_id);
    }

    /// Starts deleting the given nodes of a pool.
    pub(super) fn delete_nodes(
        &mut self,
        cluster_id: &str,
        pool_id: &str,
        node_ids: &[String],
        job_type: &str,
        timing: &Timing,
        faults: &Faults,
    ) {
        let Some(pool) = self.pool_state(cluster_id, pool_id) else {
            return;
        };
        let pool_name = pool.pool.metadata.name.clone();
        let victims: Vec<(String, String, Option<String>)> = pool
            .nodes
            .iter()
            .filter(|n| node_ids.iter().any(|id| id == n.uid()))
            .map(|n| {
                (
                    n.uid().to_owned(),
                    n.node.metadata.name.clone(),
                    n.progress.as_ref().and_then(|p| p.job_id.clone()),
                )
            })
            .collect();
        // A node deleted in the middle of another operation fails that
        // operation's sub-job, as a reset of a vanished node would.
        for (node_id, _, job) in &victims {
            if let Some(job) = job {
                self.finish_sub_job(
                    job,
                    node_id,
                    false,
                    "the node was deleted".to_owned(),
                    timing,
                    faults,
                );
            }
        }
        let names: Vec<(String, String)> = victims
            .iter()
            .map(|(id, name, _)| (id.clone(), name.clone()))
            .collect();
        let job_id = self.new_job(
            job_type,
            "DeleteNode",
            cluster_id,
            (pool_id, &pool_name),
            &names,
        );
        let now = self.now;
        let at = timestamp(now);
        let mut deleting = Vec::new();
        if let Some(pool) = self.pool_state_mut(cluster_id, pool_id) {
            for node in pool
                .nodes
                .iter_mut()
                .filter(|n| node_ids.iter().any(|id| id == n.uid()))
            {
                node.set_phase("Deleting", &at);
                deleting.push(node.uid().to_owned());
                node.progress = Some(Progress {
                    kind: ProgressKind::Deleting,
                    next_at: Some(now + timing.delete),
                    job_id: Some(job_id.clone()),
                    fails: false,
                    target: None,
                });
            }
            pool.job_id = Some(job_id.clone());
        }
        for node_id in &deleting {
            self.schedule_node(Some(now + timing.delete), cluster_id, pool_id, node_id);
        }
        self.complete_job_if_done(&job_id);
    }

    /// Scales a pool to `desired` nodes: new nodes are built, the newest
    /// surplus nodes deleted.
    pub(super) fn scale_to(
        &mut self,
        cluster_id: &str,
        pool_id: &str,
        desired: usize,
        timing: &Timing,
        faults: &Faults,
    ) {
        let Some(pool) = self.pool_state(cluster_id, pool_id) else {
            return;
        };
        let live: Vec<String> = pool
            .nodes
            .iter()
            .filter(|n| n.phase() != "Deleting")
            .map(|n| n.uid().to_owned())
            .collect();
        if desired > live.len() {
            self.create_nodes(
                cluster_id,
                pool_id,
                desired - live.len(),
                "ScaleNodePool",
                timing,
            );
        } else if desired < live.len() {
            let surplus = live[desired..].to_vec();
            self.delete_nodes(
                cluster_id,
                pool_id,
                &surplus,
                "ScaleNodePool",
                timing,
                faults,
            );
        }
    }
}
