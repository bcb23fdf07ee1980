//! Walks one parsed TOML file and turns it into model values, collecting a
//! diagnostic for every problem instead of stopping at the first.
//!
//! The walker reads the spanned tree of `toml::de::DeTable` directly rather
//! than deserializing into structs, so every diagnostic can point at the exact
//! key or value.
//!
//! Layout: `document` walks the root and the clusters, `cloud` the `[cloud]`
//! table, `pool` a pool, and `login`, `volume`, `network`, `labels`,
//! `extend_params`, `lifecycle` and `rollout` its parts; `read` holds the
//! typed readers they share, `keys` the accepted keys, `secrets` what to
//! redact.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::Path;

use toml::Spanned;
use toml::de::{DeString, DeValue};

mod cloud;
mod document;
mod extend_params;
pub(crate) mod keys;
mod labels;
mod lifecycle;
mod login;
mod network;
mod pool;
mod read;
mod rollout;
mod secrets;
mod volume;

pub(crate) use document::allows_scripts_outside;
pub(crate) use read::suggest;
pub(crate) use secrets::heuristic_secret_spans;

use super::diagnostic::Draft;
use super::script_file::ScriptRoot;
use crate::model::{ClusterName, DesiredCluster, DesiredPool, PoolAddress};

type Key<'i> = Spanned<DeString<'i>>;
type Val<'i> = Spanned<DeValue<'i>>;

/// A `[cloud]` setting as written, kept with its span so that the same
/// setting in two files can point at both.
#[derive(Debug, Clone)]
pub(crate) struct CloudEntry {
    pub key: &'static str,
    pub value: CloudValue,
    pub span: Range<usize>,
}

/// The value of a `[cloud]` setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CloudValue {
    /// `region`, `endpoint`, `project_id`.
    Text(String),
    /// `allow_scripts_outside`.
    Flag(bool),
    /// `max_concurrency`.
    Count(u32),
    /// `provider`.
    Provider(crate::model::Provider),
}

/// A cluster as read from one file.
#[derive(Debug, Clone)]
pub(crate) struct ClusterDraft {
    pub key_span: Range<usize>,
    pub cluster: DesiredCluster,
}

/// A pool as read from one file, with the spans the cross-file checks need.
/// It exists even when the pool has errors, so those checks still run.
#[derive(Debug, Clone)]
pub(crate) struct PoolDraft {
    pub key_span: Range<usize>,
    pub pool: DesiredPool,
    /// `None` when `cluster` is missing or malformed (already reported).
    pub cluster_span: Option<Range<usize>>,
    pub name_span: Range<usize>,
    pub depends_on: Vec<(PoolAddress, Range<usize>)>,
}

/// Everything one file contributes.
#[derive(Debug, Default)]
pub(crate) struct FileContents {
    pub cloud: Vec<CloudEntry>,
    pub clusters: Vec<(ClusterName, ClusterDraft)>,
    pub pools: Vec<(PoolAddress, PoolDraft)>,
}

/// Walks one file. `dir` is the file's directory (scripts are relative to it)
/// and `rel_dir` its directory relative to the config root, for the digest;
/// `scripts_root` is the tree script files must stay in.
pub(crate) struct FileWalker<'a> {
    pub file: usize,
    pub dir: &'a Path,
    pub rel_dir: &'a str,
    pub scripts_root: &'a ScriptRoot,
    pub env: &'a dyn Fn(&str) -> Option<String>,
    pub drafts: Vec<Draft>,
    /// Spans of secret values, replaced by `*` before any source is shown.
    pub redactions: Vec<Range<usize>>,
    /// Script files read, by name relative to the config root, for the digest.
    pub scripts: BTreeMap<String, Vec<u8>>,
    /// `(table path, key)` pairs a "did you mean" already proposed: a
    /// misspelt key is one problem, not also a missing one.
    pub suggested: BTreeSet<(String, String)>,
}
