//! Pool statuses, derived from the nodes and jobs of a pool.

use std::collections::BTreeSet;

use crate::sim::api;

use super::world::{ProgressKind, SimNode, SimState};

impl SimState {
    /// Recomputes every pool status of a cluster and records the peaks.
    pub(crate) fn refresh(&mut self, cluster_id: &str) {
        let running_syncs: BTreeSet<String> = self
            .jobs
            .values()
            .filter(|j| {
                j.cluster_id == cluster_id && j.job_type == "UpgradeNodePool" && !j.is_done()
            })
            .map(|j| j.pool_id.clone())
            .collect();
        let job_done: BTreeSet<String> = self
            .jobs
            .values()
            .filter(|j| j.is_done())
            .map(|j| j.uid.clone())
            .collect();
        let Some(cluster) = self.clusters.get_mut(cluster_id) else {
            return;
        };
        for pool in &mut cluster.pools {
            if pool.job_id.as_ref().is_some_and(|j| job_done.contains(j)) {
                pool.job_id = None;
            }
            let count = |f: &dyn Fn(&SimNode) -> bool| {
                u32::try_from(pool.nodes.iter().filter(|n| f(n)).count()).unwrap_or(u32::MAX)
            };
            let creating = count(&|n| {
                matches!(
                    n.progress.as_ref().map(|p| p.kind),
                    Some(ProgressKind::Building | ProgressKind::Installing)
                )
            });
            let deleting = count(&|n| n.phase() == "Deleting");
            let mut conditions = vec![api::NodePoolCondition {
                condition_type: "Scalable".to_owned(),
                status: "True".to_owned(),
                reason: String::new(),
                message: String::new(),
            }];
            if running_syncs.contains(pool.uid()) {
                conditions.push(api::NodePoolCondition {
                    condition_type: "ConfigurationSynchronizing".to_owned(),
                    status: "True".to_owned(),
                    reason: String::new(),
                    message: "synchronizing the node pool configuration to existing nodes"
                        .to_owned(),
                });
            }
            let phase = if pool.deleting {
                "Deleting"
            } else if creating > 0 || deleting > 0 {
                "Synchronizing"
            } else {
                ""
            };
            pool.pool.status = Some(api::NodePoolStatus {
                current_node: count(&|n| n.phase() != "Deleting"),
                creating_node: creating,
                deleting_node: deleting,
                active_node: count(&|n| n.phase() == "Active"),
                configuration_synced_node_count: count(&|n| {
                    n.node
                        .status
                        .as_ref()
                        .and_then(|s| s.configuration_up_to_date)
                        .unwrap_or(true)
                }),
                phase: phase.to_owned(),
                job_id: pool.job_id.clone(),
                conditions,
            });
        }
        self.record_peaks(cluster_id);
    }
}
