//! Live pools → configuration text, for `poolform import`. Pure: the CLI
//! reads the pools and writes (or prints) what this module returns.
//!
//! The text is written so that planning it against the pool it came from
//! shows no changes: every field the configuration language can hold is
//! written as the diff compares it, and what CCE adds on its own (the
//! system label, placeholders, defaulted `extendParam` keys, the subnet it
//! chose) is left out. What the language cannot hold is not dropped in
//! silence: each such field is written as a comment naming the CCE field and
//! its value, and returned in [`ImportedPool::unexpressed`] for the CLI to
//! list.
//!
//! Layout: `pool` writes one pool's file, `toml_text` the TOML values in
//! it, and `unexpressed` finds the live fields the language cannot hold.

use serde::Serialize;

use crate::model::{ClusterName, PoolAddress};

mod pool;
mod toml_text;
mod unexpressed;

pub use pool::import_pool;

/// What to import a pool as.
#[derive(Debug, Clone)]
pub struct ImportSettings<'a> {
    /// The `[clusters.KEY]` the pool belongs to.
    pub cluster: &'a ClusterName,
    /// The `#:schema` path, relative to the written file.
    pub schema_path: &'a str,
}

/// One file `poolform import` writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportedFile {
    /// Where, relative to the output directory (`/`-separated).
    pub path: String,
    /// What.
    pub contents: String,
}

/// A live field the configuration cannot express.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unexpressed {
    /// The CCE field, as a JSON path from the pool (`spec.nodeTemplate.…`).
    pub field: String,
    /// Its value, as JSON.
    pub value: String,
}

/// A pool turned into configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportedPool {
    /// The address the pool gets.
    pub address: PoolAddress,
    /// Its CCE name.
    pub name: String,
    /// The TOML file first, then its scripts.
    pub files: Vec<ImportedFile>,
    /// What the files hold only as comments.
    pub unexpressed: Vec<Unexpressed>,
    /// The environment variable a password login reads, if any.
    pub password_env: Option<String>,
}

/// Why a pool could not be imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// A DefaultPool whose template and nodes show no login.
    #[error(
        "the DefaultPool of cluster `{cluster}` shows no login (no key pair on its template or nodes)"
    )]
    NoDefaultPoolLogin {
        /// The cluster key.
        cluster: String,
    },
}
