//! `poolform import`: read the live pools of one cluster and write them as
//! configuration (see [`crate::import`]), one TOML file per pool plus its
//! install scripts. Only reads the cloud. Files go to the output directory,
//! or with `--format json` to stdout as one document; what the configuration
//! cannot express is listed on stderr.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use miette::{IntoDiagnostic as _, WrapErr as _};
use serde_json::Value;

use super::clusters::RunClusters;
use super::common::load_config;
use super::connect::connect;
use super::select::select_clusters;
use super::{FleetArgs, ImportArgs, ImportFormat, LiveSource, Outcome};
use crate::import::{ImportSettings, ImportedPool, import_pool};
use crate::live::CceApi as _;
use crate::live::convert::pool_from_wire;
use crate::live::fetch::assemble_cluster;
use crate::live::wire;
use crate::model::{ClusterName, Desired};

/// A user error of `poolform import`.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ImportCommandError {
    /// `--pool` names a pool the cluster does not have.
    #[error("cluster `{cluster}` has no pool named `{name}`")]
    #[diagnostic(code(poolform::import::unknown_pool))]
    UnknownPool {
        /// The cluster key.
        cluster: String,
        /// The name given.
        name: String,
        /// The pools there are.
        #[help]
        help: String,
    },
    /// `--pool` names a pool the configuration already manages.
    #[error("pool `{name}` of cluster `{cluster}` is already managed as `{address}`")]
    #[diagnostic(
        code(poolform::import::already_managed),
        help(
            "`poolform plan` compares it with the configuration; import only pools the plan lists as unmanaged"
        )
    )]
    AlreadyManaged {
        /// The cluster key.
        cluster: String,
        /// The CCE name.
        name: String,
        /// Its address in the configuration.
        address: String,
    },
    /// The address an imported pool would get is taken.
    #[error(
        "the configuration already has a pool `{address}`, the address pool `{name}` would be imported as"
    )]
    #[diagnostic(
        code(poolform::import::address_taken),
        help("rename the pool in the configuration, or import into another directory with --out")
    )]
    AddressTaken {
        /// The address.
        address: String,
        /// The CCE name.
        name: String,
    },
    /// Files exist and `--force` was not given.
    #[error("import would overwrite {}", paths.join(", "))]
    #[diagnostic(
        code(poolform::import::file_exists),
        help(
            "nothing was written; pass --force to overwrite, or choose another directory with --out"
        )
    )]
    FileExists {
        /// The files that exist.
        paths: Vec<String>,
    },
    /// A pool cannot be turned into configuration.
    #[error("cannot import pool `{name}`")]
    #[diagnostic(code(poolform::import::unimportable))]
    Unimportable {
        /// The CCE name.
        name: String,
        /// Why.
        #[source]
        error: crate::import::ImportError,
    },
}

/// Runs `poolform import`.
pub fn run(args: ImportArgs) -> miette::Result<Outcome> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .into_diagnostic()
        .wrap_err("failed to start the async runtime")?;
    let desired = select_clusters(
        load_config(&args.path)?,
        std::slice::from_ref(&args.cluster),
    )?;
    let out_dir = args.out.clone().unwrap_or_else(|| config_dir(&args.path));
    let schema_path = schema_path_from(&out_dir);
    if schema_path == FALLBACK_SCHEMA {
        eprintln!(
            "hint: no schema/poolform.schema.json above {}; `poolform schema config > {}` writes the one the files name",
            out_dir.display(),
            out_dir.join(FALLBACK_SCHEMA).display()
        );
    }
    let pools = runtime.block_on(read_and_import(&args, &desired, &schema_path))?;
    if pools.is_empty() {
        eprintln!(
            "cluster `{}` has no pool the configuration does not manage: nothing to import",
            args.cluster
        );
        if args.format == ImportFormat::Json {
            print_json(&pools)?;
        }
        return Ok(Outcome::Success);
    }
    report_unexpressed(&pools);
    match args.format {
        ImportFormat::Json => print_json(&pools)?,
        ImportFormat::Text => {
            write_files(&pools, &out_dir, args.force)?;
            for pool in &pools {
                eprintln!(
                    "imported pool `{}` as `{}` into {}",
                    pool.name,
                    pool.address,
                    out_dir.join(&pool.files[0].path).display()
                );
            }
        }
    }
    for pool in &pools {
        if let Some(env) = &pool.password_env {
            eprintln!(
                "hint: pool `{}` logs in with a password, which CCE never returns: set {env} to it before `poolform apply`",
                pool.address
            );
        }
    }
    eprintln!("hint: run `poolform plan` next: it should show no changes for the imported pools");
    Ok(Outcome::Success)
}

/// Reads the cluster (GETs only) and imports the pools asked for.
async fn read_and_import(
    args: &ImportArgs,
    desired: &Desired,
    schema_path: &str,
) -> miette::Result<Vec<ImportedPool>> {
    let source = LiveSource {
        sim: args.sim.clone(),
        resync: Vec::new(),
        quiet: false,
    };
    let connection = connect(
        &RunClusters::of_config(desired),
        &FleetArgs::default(),
        &source,
        &args.path,
    )
    .await?;
    let read = read_cluster(&connection.client, desired, &args.cluster).await;
    connection.close().await?;
    let (cluster, raw_pools) = read?;
    let cluster_name = ClusterName::from(args.cluster.as_str());
    let managed: BTreeSet<(&str, &str)> = desired
        .pools
        .values()
        .filter(|pool| pool.cluster == cluster_name)
        .map(|pool| (pool.name.as_str(), pool.address.as_str()))
        .collect();
    let managed_as = |name: &str| {
        managed
            .iter()
            .find(|(managed, _)| *managed == name)
            .map(|(_, address)| *address)
    };
    let names: Vec<String> = if args.pools.is_empty() {
        cluster
            .pools
            .keys()
            .filter(|name| managed_as(name).is_none())
            .cloned()
            .collect()
    } else {
        for name in &args.pools {
            if !cluster.pools.contains_key(name) {
                let known: Vec<&str> = cluster.pools.keys().map(String::as_str).collect();
                return Err(ImportCommandError::UnknownPool {
                    cluster: args.cluster.clone(),
                    name: name.clone(),
                    help: format!("its pools are: {}", known.join(", ")),
                }
                .into());
            }
            if let Some(address) = managed_as(name) {
                return Err(ImportCommandError::AlreadyManaged {
                    cluster: args.cluster.clone(),
                    name: name.clone(),
                    address: address.to_owned(),
                }
                .into());
            }
        }
        // Named twice is imported once.
        let named: BTreeSet<&String> = args.pools.iter().collect();
        named.into_iter().cloned().collect()
    };
    let settings = ImportSettings {
        cluster: &cluster_name,
        schema_path,
    };
    let mut imported = Vec::new();
    for name in names {
        let Some(live) = cluster.pools.get(&name) else {
            continue;
        };
        let raw = raw_pools
            .iter()
            .find(|pool| pool.pointer("/metadata/name").and_then(Value::as_str) == Some(&name));
        let pool = import_pool(&settings, live, raw).map_err(|error| {
            ImportCommandError::Unimportable {
                name: name.clone(),
                error,
            }
        })?;
        if desired.pools.contains_key(&pool.address) {
            return Err(ImportCommandError::AddressTaken {
                address: pool.address.to_string(),
                name,
            }
            .into());
        }
        imported.push(pool);
    }
    Ok(imported)
}

/// The cluster's pools and nodes as the model has them, and its pools as
/// CCE answered.
async fn read_cluster(
    client: &crate::live::FleetClient,
    desired: &Desired,
    cluster: &str,
) -> miette::Result<(crate::model::LiveCluster, Vec<Value>)> {
    let Some(cluster) = desired.clusters.get(&ClusterName::from(cluster)) else {
        return Err(miette::miette!(
            "the configuration defines no cluster `{cluster}`"
        ));
    };
    let id = &cluster.id;
    let (raw, nodes) = futures::try_join!(
        client.client_for(id).list_pools_json(id),
        client.list_nodes(id)
    )
    .map_err(|error| {
        miette::Report::new(error).wrap_err(format!("failed to read cluster `{}`", cluster.name))
    })?;
    let pools: Vec<wire::NodePool> = raw
        .iter()
        .map(|pool| serde_json::from_value(pool.clone()))
        .collect::<Result<_, _>>()
        .into_diagnostic()
        .wrap_err("CCE answered ListNodePools with a pool poolform cannot read")?;
    let pools: Vec<crate::model::LivePool> = pools.iter().map(pool_from_wire).collect();
    Ok((assemble_cluster(id, &pools, &nodes), raw))
}

/// The `#:schema` path when no committed schema is found: a file beside
/// the imported ones.
const FALLBACK_SCHEMA: &str = "poolform.schema.json";

/// The directory of the configuration at `path`.
fn config_dir(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.to_owned()
    } else {
        path.parent()
            .filter(|parent| !parent.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_owned)
    }
}

/// The committed schema's path relative to `dir`: the nearest
/// `schema/poolform.schema.json` above it, or, when there is none, a file
/// beside it that `poolform schema config` writes.
fn schema_path_from(dir: &Path) -> String {
    let absolute = std::path::absolute(dir).unwrap_or_else(|_| dir.to_owned());
    for (ups, ancestor) in absolute.ancestors().enumerate() {
        if ancestor.join("schema/poolform.schema.json").is_file() {
            return format!("{}schema/poolform.schema.json", "../".repeat(ups));
        }
    }
    FALLBACK_SCHEMA.to_owned()
}

/// Lists on stderr what each pool holds only as comments.
fn report_unexpressed(pools: &[ImportedPool]) {
    for pool in pools {
        for field in &pool.unexpressed {
            eprintln!(
                "warning: pool `{}`: {} = {} cannot be expressed in poolform's configuration; written as a comment",
                pool.name, field.field, field.value
            );
        }
    }
}

/// Writes every file, after checking that none would be overwritten
/// (unless `force`): all or nothing is decided before the first write.
fn write_files(pools: &[ImportedPool], out_dir: &Path, force: bool) -> miette::Result<()> {
    let paths: Vec<(PathBuf, &str)> = pools
        .iter()
        .flat_map(|pool| &pool.files)
        .map(|file| (out_dir.join(&file.path), file.contents.as_str()))
        .collect();
    if !force {
        let existing: Vec<String> = paths
            .iter()
            .filter(|(path, _)| path.exists())
            .map(|(path, _)| path.display().to_string())
            .collect();
        if !existing.is_empty() {
            return Err(ImportCommandError::FileExists { paths: existing }.into());
        }
    }
    for (path, contents) in paths {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .into_diagnostic()
                .wrap_err_with(|| format!("failed to create {}", parent.display()))?;
        }
        super::saved_plan::write_file_atomically(&path, contents.as_bytes())
            .into_diagnostic()
            .wrap_err_with(|| format!("failed to write {}", path.display()))?;
    }
    Ok(())
}

/// Prints what would be written: `{"pools": [{address, name, files,
/// unexpressed, password_env}]}`.
fn print_json(pools: &[ImportedPool]) -> miette::Result<()> {
    let document = serde_json::json!({ "pools": pools });
    let text = serde_json::to_string_pretty(&document)
        .into_diagnostic()
        .wrap_err("failed to encode the import as JSON")?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{text}")
        .into_diagnostic()
        .wrap_err("failed to write to stdout")
}
