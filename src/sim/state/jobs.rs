//! Jobs: created with a sub-job per node, started, filled up to
//! `maxUnavailable` resets at a time, finished, held and released, and shown
//! as ShowJob shows them.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::sim::Faults;

use super::clock::{Timing, timestamp};
use super::reinstall::reset_target;
use super::world::{Progress, ProgressKind, SimJob, SimState, SimSubJob};

impl SimState {
    /// A job as ShowJob shows it (SDK `Job`), one sub-job per node.
    pub fn job_view(&self, job_id: &str) -> Option<Value> {
        let job = self.jobs.get(job_id)?;
        let sub_jobs: Vec<Value> = job
            .sub_jobs
            .iter()
            .map(|sub| {
                json!({
                    "kind": "Job",
                    "apiVersion": "v3",
                    "metadata": {
                        "uid": sub.uid,
                        "creationTimestamp": timestamp(job.created_at),
                        "updateTimestamp": timestamp(job.updated_at),
                    },
                    "spec": {
                        "type": sub.job_type,
                        "clusterUID": job.cluster_id,
                        "resourceID": sub.node_id,
                        "resourceName": sub.node_name,
                    },
                    "status": {"phase": sub.phase, "reason": sub.reason},
                })
            })
            .collect();
        Some(json!({
            "kind": "Job",
            "apiVersion": "v3",
            "metadata": {
                "uid": job.uid,
                "creationTimestamp": timestamp(job.created_at),
                "updateTimestamp": timestamp(job.updated_at),
            },
            "spec": {
                "type": job.job_type,
                "clusterUID": job.cluster_id,
                "resourceID": job.pool_id,
                "resourceName": job.pool_name,
                "subJobs": sub_jobs,
            },
            "status": {"phase": job.phase, "reason": job.reason},
        }))
    }

    pub(super) fn new_job(
        &mut self,
        job_type: &str,
        sub_type: &str,
        cluster_id: &str,
        pool: (&str, &str),
        nodes: &[(String, String)],
    ) -> String {
        let uid = self.next_id("job");
        let mut sub_jobs = Vec::with_capacity(nodes.len());
        for (node_id, node_name) in nodes {
            sub_jobs.push(SimSubJob {
                uid: self.next_id("subjob"),
                job_type: sub_type.to_owned(),
                node_id: node_id.clone(),
                node_name: node_name.clone(),
                phase: "Running".to_owned(),
                reason: String::new(),
            });
        }
        let job = SimJob {
            uid: uid.clone(),
            job_type: job_type.to_owned(),
            cluster_id: cluster_id.to_owned(),
            pool_id: pool.0.to_owned(),
            pool_name: pool.1.to_owned(),
            created_at: self.now,
            updated_at: self.now,
            phase: "Running".to_owned(),
            sub_jobs,
            ..SimJob::default()
        };
        self.jobs.insert(uid.clone(), job);
        uid
    }

    pub(super) fn finish_sub_job(
        &mut self,
        job_id: &str,
        node_id: &str,
        success: bool,
        reason: String,
        timing: &Timing,
        faults: &Faults,
    ) {
        let now = self.now;
        let Some(job) = self.jobs.get_mut(job_id) else {
            return;
        };
        if let Some(sub) = job
            .sub_jobs
            .iter_mut()
            .find(|s| s.node_id == node_id && s.phase == "Running")
        {
            sub.phase = if success { "Success" } else { "Failed" }.to_owned();
            sub.reason = reason;
        }
        job.updated_at = now;
        self.fill_sync_slots(job_id, timing, faults);
        self.complete_job_if_done(job_id);
    }

    pub(super) fn complete_job_if_done(&mut self, job_id: &str) {
        let now = self.now;
        let Some(job) = self.jobs.get_mut(job_id) else {
            return;
        };
        if job.is_done() || job.start_at.is_some() || !job.queue.is_empty() {
            return;
        }
        if job
            .sub_jobs
            .iter()
            .any(|s| matches!(s.phase.as_str(), "Initializing" | "Running"))
        {
            return;
        }
        let failed: Vec<&str> = job
            .sub_jobs
            .iter()
            .filter(|s| s.phase == "Failed")
            .map(|s| s.node_name.as_str())
            .collect();
        if failed.is_empty() {
            job.phase = "Success".to_owned();
        } else {
            job.phase = "Failed".to_owned();
            job.reason = format!("failed on nodes: {}", failed.join(", "));
        }
        job.updated_at = now;
        let (cluster_id, pool_id) = (job.cluster_id.clone(), job.pool_id.clone());
        if let Some(pool) = self.pool_state_mut(&cluster_id, &pool_id)
            && pool.job_id.as_deref() == Some(job_id)
        {
            pool.job_id = None;
        }
    }

    pub(super) fn start_job(&mut self, job_id: &str, timing: &Timing, faults: &Faults) {
        let now = self.now;
        let Some(job) = self.jobs.get_mut(job_id) else {
            return;
        };
        job.start_at = None;
        job.phase = "Running".to_owned();
        job.updated_at = now;
        let cluster_id = job.cluster_id.clone();
        self.fill_sync_slots(job_id, timing, faults);
        self.complete_job_if_done(job_id);
        self.record_peaks(&cluster_id);
    }

    /// Starts queued resets of a running sync job while fewer than
    /// `maxUnavailable` of its nodes are being reset.
    fn fill_sync_slots(&mut self, job_id: &str, timing: &Timing, faults: &Faults) {
        let now = self.now;
        let at = timestamp(now);
        loop {
            let Some(job) = self.jobs.get_mut(job_id) else {
                return;
            };
            if job.phase != "Running" {
                return;
            }
            let running = job.sub_jobs.iter().filter(|s| s.phase == "Running").count();
            if running >= job.max_unavailable {
                return;
            }
            let Some(node_id) = job.queue.pop_front() else {
                return;
            };
            let reset = job
                .node_resets
                .get(&node_id)
                .or(job.reset.as_ref())
                .cloned();
            let (cluster_id, pool_id) = (job.cluster_id.clone(), job.pool_id.clone());
            // A sync job resets nodes of its pool; a node reset job (no pool)
            // nodes of any pool of the cluster.
            let owner = self.clusters.get_mut(&cluster_id).and_then(|c| {
                c.pools.iter_mut().find(|p| {
                    if pool_id.is_empty() {
                        p.nodes.iter().any(|n| n.uid() == node_id)
                    } else {
                        p.uid() == pool_id
                    }
                })
            });
            let started = match owner {
                None if pool_id.is_empty() => Err("the node no longer exists".to_owned()),
                None => Err("the node pool no longer exists".to_owned()),
                Some(pool) => {
                    let template =
                        (!pool.is_default()).then(|| pool.pool.spec.node_template.clone());
                    let owner_id = pool.uid().to_owned();
                    match pool.nodes.iter_mut().find(|n| n.uid() == node_id) {
                        None => Err("the node no longer exists".to_owned()),
                        Some(node) if node.progress.is_some() => {
                            Err("the node is busy with another operation".to_owned())
                        }
                        Some(node) => {
                            let target =
                                reset_target(&node.node.spec, template.as_ref(), reset.as_ref());
                            let selected = |set: &BTreeSet<String>| {
                                set.contains(&node.node.metadata.uid)
                                    || set.contains(&node.node.metadata.name)
                            };
                            let stuck = selected(&faults.stuck_nodes);
                            let fails = selected(&faults.fail_reset_nodes);
                            node.set_phase("Installing", &at);
                            let next_at = (!stuck).then_some(now + timing.reset);
                            node.progress = Some(Progress {
                                kind: ProgressKind::Resetting,
                                next_at,
                                job_id: Some(job_id.to_owned()),
                                fails,
                                target: Some(Box::new(target)),
                            });
                            Ok((next_at, owner_id))
                        }
                    }
                }
            };
            if let Ok((next_at, owner_id)) = &started {
                self.schedule_node(*next_at, &cluster_id, owner_id, &node_id);
            }
            if let Some(job) = self.jobs.get_mut(job_id)
                && let Some(sub) = job
                    .sub_jobs
                    .iter_mut()
                    .find(|s| s.node_id == node_id && s.phase == "Initializing")
            {
                match started {
                    Ok(_) => sub.phase = "Running".to_owned(),
                    Err(reason) => {
                        sub.phase = "Failed".to_owned();
                        sub.reason = reason;
                    }
                }
            }
            self.record_peaks(&cluster_id);
        }
    }

    /// Keeps an accepted job from starting until [`Self::release_held_jobs`]:
    /// the window in which CCE has accepted a sync but not begun it, when its
    /// nodes still look Active and not up to date.
    pub(crate) fn hold_job(&mut self, job_id: &str) {
        if let Some(job) = self.jobs.get_mut(job_id)
            && job.phase == "Initializing"
        {
            job.start_at = None;
            job.held = true;
        }
    }

    /// Lets every held job start, after the usual start delay.
    pub(crate) fn release_held_jobs(&mut self, timing: &Timing) {
        let now = self.now;
        let mut released = Vec::new();
        for job in self.jobs.values_mut().filter(|job| job.held) {
            job.held = false;
            job.start_at = Some(now + timing.job_start);
            released.push(job.uid.clone());
        }
        for job_id in &released {
            self.schedule_job(Some(now + timing.job_start), job_id);
        }
    }
}
