//! The rollout journal: the resets an apply started and has not finished,
//! for what CCE cannot show.
//!
//! CCE flags a node out of date (`configurationUpToDate: false`) only after
//! a change of the pool's OS or runtime. A changed script or login reaches
//! existing nodes only by a reset too, but nothing in the API says which
//! nodes got it: once the pool update has landed, a rollout that stopped
//! half-way (a killed apply, a failed batch, Ctrl-C) leaves no trace. So
//! apply writes down, before it starts, every node it is about to reset for
//! such a reason, and crosses each batch off as it finishes; `plan` reads
//! the journal and plans the nodes still in it, saying where it knows that
//! from.
//!
//! One file per cluster, `.poolform/journal/<hash>.json` under the working
//! directory (next to the simulator's state files), named after what
//! identifies the cluster (see [`super::common::cluster_identity`]). It
//! holds node ids, pool addresses and reasons; never a secret. Without the
//! file (another machine, a fresh CI checkout) poolform cannot know, and
//! `--resync ADDR` resets every node of a pool on request.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::api::{CceApi, JobPhase};
use crate::diff::OUT_OF_DATE;
use crate::model::{ClusterName, Live, PoolAddress};
use crate::plan::{Plan, StepKind};

/// The reason prefix of a node planned from the journal.
const FROM_JOURNAL: &str = "unfinished rollout";

/// The journal of one cluster.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct ClusterJournal {
    /// Format of this file.
    format_version: u32,
    /// What identifies the cluster (endpoint, project, id).
    cluster: String,
    /// Unfinished rollouts by pool id.
    #[serde(default)]
    rollouts: BTreeMap<String, Rollout>,
    /// The environment variable each password pool (by CCE name, as pools
    /// are matched) was last applied from: CCE never returns a password, so this is how a plan
    /// sees that the configuration now names another one. The variable's
    /// name only, never its value.
    #[serde(default)]
    password_variables: BTreeMap<String, String>,
}

/// The resets still due on one pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Rollout {
    /// The pool's address in the configuration.
    pool: PoolAddress,
    /// When the apply that started it began (UTC).
    started: String,
    /// Why the nodes need the reset.
    reasons: Vec<String>,
    /// The node ids not yet done.
    nodes: BTreeSet<String>,
    /// For nodes whose reset was posted but not seen to finish: the job.
    /// The next plan reads it, since the reset may well have finished after
    /// the apply that posted it stopped.
    #[serde(default)]
    posted: BTreeMap<String, String>,
}

/// The journals of the clusters of one run.
#[derive(Debug, Clone)]
pub struct Journal {
    dir: PathBuf,
    /// Cluster config key → identity.
    identities: BTreeMap<ClusterName, String>,
}

impl Journal {
    /// The journals under `.poolform/journal/` of the working directory.
    pub fn new(identities: BTreeMap<ClusterName, String>) -> Self {
        Self::at(Path::new(".poolform").join("journal"), identities)
    }

    /// The journals under `dir`.
    pub fn at(dir: PathBuf, identities: BTreeMap<ClusterName, String>) -> Self {
        Self { dir, identities }
    }

    fn path(&self, identity: &str) -> PathBuf {
        let digest = Sha256::digest(identity.as_bytes());
        self.dir
            .join(format!("{}.json", hex::encode(&digest[..12])))
    }

    fn read(&self, identity: &str) -> ClusterJournal {
        // An unreadable journal is no journal: it only ever adds resets,
        // and the plan says where each one comes from.
        std::fs::read(self.path(identity))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_else(|| ClusterJournal {
                format_version: 1,
                cluster: identity.to_owned(),
                rollouts: BTreeMap::new(),
                password_variables: BTreeMap::new(),
            })
    }

    fn write(&self, identity: &str, journal: &ClusterJournal) -> std::io::Result<()> {
        let path = self.path(identity);
        if journal.rollouts.is_empty() && journal.password_variables.is_empty() {
            return match std::fs::remove_file(&path) {
                Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(error),
                _ => Ok(()),
            };
        }
        std::fs::create_dir_all(&self.dir)?;
        let text = serde_json::to_vec_pretty(journal).map_err(std::io::Error::other)?;
        super::saved_plan::write_file_atomically(&path, &text)
    }

    /// Marks the nodes the journal still lists as due for a reset, with
    /// where that comes from. A node whose reset was posted is left out once
    /// its job shows that it finished; nodes and pools that no longer exist
    /// are ignored.
    pub async fn annotate<A: CceApi>(&self, live: &mut Live, api: &A) {
        for (name, cluster) in &mut live.clusters {
            let Some(identity) = self.identities.get(name) else {
                continue;
            };
            let mut journal = self.read(identity);
            let mut changed = false;
            let path = self.path(identity);
            for pool in cluster.pools.values_mut() {
                if let (Some(password), Some(variable)) = (
                    pool.template.login.password.as_mut(),
                    journal.password_variables.get(pool.name.as_str()),
                ) {
                    password.env.clone_from(variable);
                }
                let Some(rollout) = journal.rollouts.get_mut(pool.id.as_str()) else {
                    continue;
                };
                changed |= settle_posted(rollout, api).await;
                for node in &mut pool.nodes {
                    if rollout.nodes.contains(node.id.as_str()) {
                        let posted = rollout
                            .posted
                            .get(node.id.as_str())
                            .map(|job| format!(", its reset (job {job}) not seen to finish"))
                            .unwrap_or_default();
                        node.pending_reset = Some(format!(
                            "{FROM_JOURNAL}: the apply of {} did not finish this node{posted} (why: {}; recorded in {})",
                            rollout.started,
                            rollout.reasons.join("; "),
                            path.display()
                        ));
                    }
                }
            }
            if changed {
                journal
                    .rollouts
                    .retain(|_, rollout| !rollout.nodes.is_empty());
                // Only a cleaner journal is lost if this fails.
                let _ = self.write(identity, &journal);
            }
        }
    }

    /// Records the job of a posted batch.
    pub fn posted(
        &self,
        plan: &Plan,
        step: usize,
        job: &str,
        nodes: &[String],
    ) -> std::io::Result<()> {
        let Some(step) = plan.steps.get(step) else {
            return Ok(());
        };
        let StepKind::SyncBatch { pool_id, .. } = &step.kind else {
            return Ok(());
        };
        let Some(identity) = self.identities.get(&step.cluster) else {
            return Ok(());
        };
        let mut journal = self.read(identity);
        let Some(rollout) = journal.rollouts.get_mut(pool_id.as_str()) else {
            return Ok(());
        };
        for node in nodes {
            if rollout.nodes.contains(node) {
                rollout.posted.insert(node.clone(), job.to_owned());
            }
        }
        self.write(identity, &journal)
    }

    /// Records, before apply starts, every node the plan resets for a
    /// reason CCE does not show.
    pub fn start(&self, plan: &Plan, started: &str) -> std::io::Result<()> {
        let mut by_cluster: BTreeMap<&str, ClusterJournal> = BTreeMap::new();
        for pool in &plan.pools {
            let (Some(sync), Some(pool_id)) = (&pool.sync, &pool.pool_id) else {
                continue;
            };
            let Some(identity) = self.identities.get(&pool.cluster) else {
                continue;
            };
            let mut reasons = BTreeSet::new();
            let mut nodes = BTreeSet::new();
            // Whether some node is planned because the journal lists it: it
            // keeps the reasons it was recorded with, which the journal has.
            let mut carried = false;
            for stale in sync.stale_nodes.iter().chain(&sync.skipped) {
                let mut hidden = false;
                for reason in &stale.reasons {
                    if reason.starts_with(FROM_JOURNAL) {
                        carried = true;
                        hidden = true;
                    } else if reason.as_str() != OUT_OF_DATE {
                        reasons.insert(reason.clone());
                        hidden = true;
                    }
                }
                // A node with CCE's own flag alone needs no entry: the flag
                // stays until the node is reset.
                if hidden {
                    nodes.insert(stale.node.id.to_string());
                }
            }
            if nodes.is_empty() {
                continue;
            }
            let journal = by_cluster
                .entry(identity)
                .or_insert_with(|| self.read(identity));
            let rollout = journal
                .rollouts
                .entry(pool_id.to_string())
                .or_insert_with(|| Rollout {
                    pool: pool.address.clone(),
                    started: started.to_owned(),
                    reasons: Vec::new(),
                    nodes: BTreeSet::new(),
                    posted: BTreeMap::new(),
                });
            if carried {
                reasons.extend(rollout.reasons.iter().cloned());
            }
            rollout.started = started.to_owned();
            rollout.reasons = reasons.into_iter().collect();
            rollout.nodes.extend(nodes);
        }
        for (identity, journal) in by_cluster {
            self.write(identity, &journal)?;
        }
        Ok(())
    }

    /// Crosses off the nodes of a sync batch that finished: each was reset
    /// or found up to date or gone.
    pub fn finished(&self, plan: &Plan, step: usize) -> std::io::Result<()> {
        let Some(step) = plan.steps.get(step) else {
            return Ok(());
        };
        let (pool_id, nodes) = match &step.kind {
            StepKind::SyncBatch {
                pool_id, request, ..
            } => (pool_id, &request.node_ids),
            StepKind::DeletePool { pool_id } => (pool_id, &Vec::new()),
            _ => return Ok(()),
        };
        let Some(identity) = self.identities.get(&step.cluster) else {
            return Ok(());
        };
        let mut journal = self.read(identity);
        let Some(rollout) = journal.rollouts.get_mut(pool_id.as_str()) else {
            return Ok(());
        };
        if matches!(step.kind, StepKind::DeletePool { .. }) {
            rollout.nodes.clear();
        }
        for node in nodes {
            rollout.nodes.remove(node.as_str());
            rollout.posted.remove(node.as_str());
        }
        if rollout.nodes.is_empty() {
            journal.rollouts.remove(pool_id.as_str());
        }
        self.write(identity, &journal)
    }
}

impl Journal {
    /// Records, after an apply, the password variable of every pool of the
    /// plan that now runs what the configuration says: the pools none of
    /// whose steps failed or were skipped.
    pub fn applied(&self, plan: &Plan, unfinished: &BTreeSet<PoolAddress>) -> std::io::Result<()> {
        let mut by_cluster: BTreeMap<&str, ClusterJournal> = BTreeMap::new();
        for pool in &plan.pools {
            let Some(identity) = self.identities.get(&pool.cluster) else {
                continue;
            };
            if unfinished.contains(&pool.address) {
                continue;
            }
            let variable = pool
                .after
                .as_ref()
                .and_then(|after| after.get("login.password"))
                .and_then(|password| password.get("env"))
                .and_then(serde_json::Value::as_str);
            let journal = by_cluster
                .entry(identity)
                .or_insert_with(|| self.read(identity));
            match variable {
                Some(variable) => {
                    journal
                        .password_variables
                        .insert(pool.name.clone(), variable.to_owned());
                }
                None => {
                    journal.password_variables.remove(&pool.name);
                }
            }
        }
        for (identity, journal) in by_cluster {
            self.write(identity, &journal)?;
        }
        Ok(())
    }
}

/// Drops from `rollout` the posted nodes whose job shows their reset
/// finished; returns whether any was dropped. A job that cannot be read
/// (expired, or CCE unreachable) proves nothing, so its nodes stay.
async fn settle_posted<A: CceApi>(rollout: &mut Rollout, api: &A) -> bool {
    let jobs: BTreeSet<String> = rollout.posted.values().cloned().collect();
    let mut done = Vec::new();
    for job_id in jobs {
        let Ok(job) = api.show_job(&job_id).await else {
            continue;
        };
        for (node, posted_job) in &rollout.posted {
            if *posted_job != job_id {
                continue;
            }
            // The node's own sub-job when the job lists one; else the whole
            // job.
            let sub = job.sub_jobs.iter().find(|sub| sub.resource_id == *node);
            let phase = sub.map_or(&job.phase, |sub| &sub.phase);
            if *phase == JobPhase::Success {
                done.push(node.clone());
            }
        }
    }
    for node in &done {
        rollout.posted.remove(node);
        rollout.nodes.remove(node);
    }
    !done.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_planned_from_the_journal_keeps_the_reasons_it_was_recorded_with() {
        use crate::model::test_support::{live_pool_mut, world};
        use crate::plan::build_plan;

        let dir = tempfile::tempdir().expect("temp dir");
        let journal = Journal::at(
            dir.path().to_owned(),
            BTreeMap::from([(ClusterName::from("prod"), "test|prod".to_owned())]),
        );
        let read = || {
            journal
                .read("test|prod")
                .rollouts
                .into_values()
                .next()
                .expect("a rollout")
        };
        let (mut desired, mut live) = world();
        let app = desired
            .pools
            .get_mut(&PoolAddress::from("prod-app"))
            .expect("pool");
        app.template.lifecycle.post_install = Some("echo v2".into());
        let plan = build_plan(&desired, &live, &[]).expect("plans");
        journal.start(&plan, "first").expect("recorded");
        let recorded = read();
        assert_eq!(recorded.nodes.len(), 6);
        assert!(
            recorded
                .reasons
                .iter()
                .all(|r| !r.starts_with(FROM_JOURNAL))
        );

        // The pool update landed; the nodes are pending from the journal
        // alone, and a new apply records them with the first reasons.
        let pool = live_pool_mut(&mut live, "prod", "app");
        pool.template.lifecycle.post_install = Some("echo v2".into());
        for node in &mut pool.nodes {
            node.pending_reset = Some(format!(
                "{FROM_JOURNAL}: the apply of first did not finish this node (why: {}; recorded in x)",
                recorded.reasons.join("; ")
            ));
        }
        let plan = build_plan(&desired, &live, &[]).expect("plans");
        journal.start(&plan, "second").expect("recorded");
        let again = read();
        assert_eq!(again.reasons, recorded.reasons);
        assert_eq!(again.nodes, recorded.nodes);
        assert_eq!(again.started, "second");
    }
}
