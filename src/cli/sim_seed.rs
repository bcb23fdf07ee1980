//! The simulator's world under `--sim`: where its state file is kept, and
//! the seed (`sim-seed.json` beside a configuration) it starts from when the
//! file is absent.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use miette::{IntoDiagnostic as _, WrapErr as _};
use serde::{Deserialize, Serialize};

use crate::sim::{self, SimState};

/// The seed file looked for beside the configuration.
pub const SEED_FILE: &str = "sim-seed.json";

/// Where `--sim` keeps the simulator's state for the configuration at
/// `config_path` when no file is named: one file per configuration,
/// `.poolform/sim/<name>-<hash>.json` under the working directory, so
/// planning one example does not change what another shows. The name is
/// the configuration's directory (and file stem, for a file) for people;
/// the hash of its canonical path keeps two `prod/` directories apart.
pub fn default_sim_state_file(config_path: &Path) -> PathBuf {
    use sha2::Digest as _;
    let canonical = std::fs::canonicalize(config_path).unwrap_or_else(|_| config_path.to_owned());
    let file_name = |path: &Path| {
        path.file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let name = if canonical.is_dir() {
        file_name(&canonical)
    } else {
        let stem = canonical
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default();
        match canonical.parent().map(file_name) {
            Some(dir) if !dir.is_empty() => format!("{dir}-{stem}"),
            _ => stem,
        }
    };
    let name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let digest = sha2::Sha256::digest(canonical.to_string_lossy().as_bytes());
    let hash: String = digest
        .iter()
        .take(4)
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let name = if name.is_empty() {
        hash
    } else {
        format!("{name}-{hash}")
    };
    Path::new(".poolform")
        .join("sim")
        .join(format!("{name}.json"))
}

/// The simulator's state: the state file when it exists, else the seed
/// beside the configuration, else an empty world.
pub(super) fn sim_state(state_file: &Path, config_path: &Path) -> miette::Result<SimState> {
    if state_file.exists() {
        return SimState::load(state_file)
            .into_diagnostic()
            .wrap_err_with(|| {
                format!(
                    "delete {} to start again from the seed",
                    state_file.display()
                )
            });
    }
    let seed = seed_path(config_path);
    if seed.exists() {
        return SimSeed::load(&seed)?
            .into_state()
            .into_diagnostic()
            .wrap_err_with(|| format!("{} is not a simulator seed", seed.display()));
    }
    Ok(SimState::new())
}

/// Where the seed of a configuration is: beside the file, or in the
/// directory.
pub fn seed_path(config_path: &Path) -> PathBuf {
    if config_path.is_dir() {
        config_path.join(SEED_FILE)
    } else {
        config_path
            .parent()
            .unwrap_or_else(|| Path::new("."))
            .join(SEED_FILE)
    }
}

/// A simulator seed: the pools (as CCE would show them) and how many Active,
/// up-to-date nodes each has, and any DefaultPool nodes, per cluster id. Small and readable, unlike a
/// whole simulator state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SimSeed {
    /// What the seed sets up, for people reading the file.
    #[serde(default)]
    pub description: String,
    /// Clusters by CCE id.
    pub clusters: BTreeMap<String, SeedCluster>,
}

/// One cluster of a seed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SeedCluster {
    /// Its pools.
    #[serde(default)]
    pub pools: Vec<SeedPool>,
    /// Nodes of its DefaultPool (created outside any node pool), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_pool: Option<SeedDefaultPool>,
}

/// The DefaultPool nodes of a seed's cluster.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SeedDefaultPool {
    /// How many Active nodes.
    pub nodes: usize,
    /// Their spec, in the API's JSON as ShowNode reports it (the SDK's
    /// `NodeSpec`).
    pub template: serde_json::Value,
    /// Whether CCE reports them out of date (`configurationUpToDate:
    /// false`), the one sign a plan can read that they need a sync.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub out_of_date: bool,
}

/// One pool of a seed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SeedPool {
    /// Nodes built from the pool's template.
    pub nodes: usize,
    /// The pool, in the API's JSON as CreateNodePool takes it (the SDK's
    /// `NodePool`): the simulator reads it with its own model, not the
    /// client's types.
    pub pool: serde_json::Value,
}

impl SimSeed {
    /// Reads a seed file.
    pub fn load(path: &Path) -> miette::Result<Self> {
        let text = std::fs::read_to_string(path)
            .into_diagnostic()
            .wrap_err_with(|| format!("failed to read the simulator seed {}", path.display()))?;
        serde_json::from_str(&text)
            .into_diagnostic()
            .wrap_err_with(|| format!("{} is not a simulator seed", path.display()))
    }

    /// The simulator state the seed describes; a pool or spec the
    /// simulator cannot read (a value of the wrong type) is an error.
    pub fn into_state(self) -> Result<SimState, sim::SimError> {
        let mut state = SimState::new();
        for (cluster, seed) in self.clusters {
            state.add_cluster(&cluster);
            for pool in seed.pools {
                state.add_pool_json(&cluster, &pool.pool, pool.nodes)?;
            }
            if let Some(default_pool) = seed.default_pool {
                let ids = state.add_default_nodes_json(
                    &cluster,
                    &default_pool.template,
                    default_pool.nodes,
                )?;
                if default_pool.out_of_date {
                    for id in ids {
                        if let Some(status) = state
                            .node_mut(&cluster, &id)
                            .and_then(|node| node.status.as_mut())
                        {
                            status.configuration_up_to_date = Some(false);
                        }
                    }
                }
            }
        }
        Ok(state)
    }
}
