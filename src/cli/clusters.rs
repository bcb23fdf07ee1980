//! The clusters a run touches, as connecting, locking and the rollout
//! journal need them: each one's key, CCE id and where its API is. A run
//! from a configuration and a run from a saved plan both describe their
//! clusters this way, so neither has to dress up as the other.

use std::path::Path;

use super::LiveSource;
use super::common::cluster_identity;
use super::journal::Journal;
use crate::model::{CloudSettings, ClusterId, ClusterName, Desired};
use crate::plan::Plan;

/// One cluster a run touches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterAccess {
    /// The config key.
    pub name: ClusterName,
    /// The CCE id.
    pub id: ClusterId,
    /// Where its API is: its own settings over `[cloud]`.
    pub cloud: CloudSettings,
}

/// The clusters a run touches, in key order, and the `[cloud]` table they
/// fall back on (a run without clusters still reaches `[cloud]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunClusters {
    /// `[cloud]`.
    pub cloud: CloudSettings,
    /// The clusters.
    pub clusters: Vec<ClusterAccess>,
}

impl RunClusters {
    /// The clusters of a configuration.
    pub fn of_config(desired: &Desired) -> Self {
        Self {
            cloud: desired.cloud.clone(),
            clusters: desired
                .clusters
                .values()
                .map(|cluster| ClusterAccess {
                    name: cluster.name.clone(),
                    id: cluster.id.clone(),
                    cloud: desired.cloud_of(cluster),
                })
                .collect(),
        }
    }

    /// The clusters a saved plan touches.
    pub fn of_plan(plan: &Plan) -> Self {
        Self {
            cloud: plan.cloud.clone(),
            clusters: plan
                .clusters
                .iter()
                .map(|(name, cluster)| ClusterAccess {
                    name: name.clone(),
                    id: cluster.id.clone(),
                    cloud: plan.cloud_of(name),
                })
                .collect(),
        }
    }

    /// The rollout journal of these clusters.
    pub fn journal(&self, source: &LiveSource, path: &Path) -> Journal {
        Journal::new(
            self.clusters
                .iter()
                .map(|cluster| {
                    (
                        cluster.name.clone(),
                        cluster_identity(&cluster.cloud, source, path, &cluster.id),
                    )
                })
                .collect(),
        )
    }
}
