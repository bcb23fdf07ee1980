//! `--cluster`: narrowing a configuration to some of its clusters, so a
//! fleet can be sharded over CI jobs.

use crate::model::{ClusterName, Desired};

/// `--cluster` named a cluster the configuration does not define, or one
/// whose pools depend on a pool it leaves out.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ClusterSelectionError {
    /// No such cluster.
    #[error("--cluster {name}: the configuration defines no cluster `{name}`")]
    #[diagnostic(code(poolform::cli::unknown_cluster))]
    Unknown {
        /// The key given.
        name: String,
        /// What was meant, or what exists.
        #[help]
        help: String,
    },
    /// A selected pool depends on a pool of a cluster left out.
    #[error(
        "--cluster leaves out pool `{dependency}` (cluster `{cluster}`), which pool `{pool}` depends on"
    )]
    #[diagnostic(
        code(poolform::cli::cluster_dependency),
        help(
            "add --cluster {cluster} to this run, so the dependency is planned and applied first"
        )
    )]
    Dependency {
        /// The selected pool.
        pool: String,
        /// The pool it depends on.
        dependency: String,
        /// The dependency's cluster.
        cluster: String,
    },
}

/// `desired` narrowed to the clusters named (all of them when none is) and
/// their pools. A pool that depends on a pool of a cluster left out is an
/// error: its order could not be kept by a run that does not see the other.
pub fn select_clusters(
    mut desired: Desired,
    names: &[String],
) -> Result<Desired, ClusterSelectionError> {
    if names.is_empty() {
        return Ok(desired);
    }
    for name in names {
        if !desired
            .clusters
            .contains_key(&ClusterName::from(name.as_str()))
        {
            let known: Vec<&str> = desired.clusters.keys().map(ClusterName::as_str).collect();
            let help = match strsim_closest(name, &known) {
                Some(candidate) => format!("did you mean `{candidate}`?"),
                None => format!("the clusters are: {}", known.join(", ")),
            };
            return Err(ClusterSelectionError::Unknown {
                name: name.clone(),
                help,
            });
        }
    }
    let keep = |cluster: &ClusterName| names.iter().any(|name| name == cluster.as_str());
    desired.clusters.retain(|name, _| keep(name));
    let pools = std::mem::take(&mut desired.pools);
    let (kept, left_out): (
        std::collections::BTreeMap<_, _>,
        std::collections::BTreeMap<_, _>,
    ) = pools.into_iter().partition(|(_, pool)| keep(&pool.cluster));
    for pool in kept.values() {
        for dependency in &pool.rollout.depends_on {
            if let Some(other) = left_out.get(dependency) {
                return Err(ClusterSelectionError::Dependency {
                    pool: pool.address.to_string(),
                    dependency: dependency.to_string(),
                    cluster: other.cluster.to_string(),
                });
            }
        }
    }
    desired.pools = kept;
    Ok(desired)
}

/// The candidate closest to `name`, if any is close.
fn strsim_closest<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|candidate| (strsim::jaro_winkler(name, candidate), *candidate))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}
