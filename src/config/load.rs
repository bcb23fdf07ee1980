//! Loading: reads the files, parses every one before walking any, merges
//! what they define (refusing a table defined twice), runs the checks that
//! span files, and returns the validated model or every diagnostic at once.
//! The digest of what was read is computed here too.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::codes;
use super::diagnostic::{ConfigErrors, Draft};
use super::files::{Input, discover, io_reason};
use super::graph;
use super::script_file::ScriptRoot;
use super::source::SourceFile;
use super::walk::{self, CloudEntry, CloudValue, ClusterDraft, FileWalker, PoolDraft};
use crate::model::{CloudSettings, ClusterName, Desired, DesiredCluster, DesiredPool, PoolAddress};

/// Loads and validates the configuration at `path`: a TOML file, or a
/// directory whose `*.toml` files (sorted by name) are merged. Other files in
/// the directory (scripts, a simulator seed) are ignored unless a pool names
/// them.
pub fn load(path: &Path) -> Result<Desired, ConfigErrors> {
    load_with_env(path, &|_| None)
}

/// Like [`load`], and checks each pool's password against CCE's rules when
/// `env` returns a value for the pool's password variable. The value is never
/// echoed.
pub fn load_with_env(
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Desired, ConfigErrors> {
    let mut loader = Loader::default();
    let (root, inputs) = match discover(path) {
        Ok(found) => found,
        Err(draft) => return Err(ConfigErrors::new(vec![draft.finish(&[], &[])])),
    };
    let sources: Vec<(Input, Vec<u8>)> = inputs
        .into_iter()
        .filter_map(|input| loader.read_file(&input).map(|bytes| (input, bytes)))
        .collect();
    loader.load_sources(&root, sources, env);
    loader.finish()
}

/// Loads and validates one configuration document held in memory, as if it
/// were the file `name` in `base_dir` (where its scripts are looked up). For
/// tools that have the text already, such as editors and the fuzz target.
pub fn load_source(name: &str, text: &str, base_dir: &Path) -> Result<Desired, ConfigErrors> {
    let input = Input {
        path: base_dir.join(name),
        display: name.to_owned(),
        relative: name.to_owned(),
    };
    let mut loader = Loader::default();
    loader.load_sources(base_dir, vec![(input, text.as_bytes().to_vec())], &|_| None);
    loader.finish()
}

#[derive(Default)]
struct Loader {
    /// Files as read (original text).
    originals: Vec<Arc<str>>,
    names: Vec<String>,
    redactions: Vec<Vec<Range<usize>>>,
    drafts: Vec<Draft>,
    /// Everything hashed into the digest, by name relative to the root.
    digest_inputs: BTreeMap<String, Vec<u8>>,
    cloud: BTreeMap<&'static str, (usize, CloudEntry)>,
    clusters: BTreeMap<ClusterName, (usize, ClusterDraft)>,
    pools: BTreeMap<PoolAddress, (usize, PoolDraft)>,
}

impl Loader {
    /// Reads one config file, or reports why it cannot be read.
    fn read_file(&mut self, input: &Input) -> Option<Vec<u8>> {
        match std::fs::read(&input.path) {
            Ok(bytes) => Some(bytes),
            Err(error) => {
                self.drafts.push(
                    Draft::error(
                        codes::IO,
                        format!("cannot read `{}`: {}", input.display, io_reason(&error)),
                    )
                    .help("check the file's permissions"),
                );
                None
            }
        }
    }

    /// Loads the files' contents; `root` is the tree their scripts must stay
    /// in. Every file is parsed before any is walked, because
    /// `[cloud] allow_scripts_outside` in one file governs the scripts named
    /// in all of them.
    fn load_sources(
        &mut self,
        root: &Path,
        sources: Vec<(Input, Vec<u8>)>,
        env: &dyn Fn(&str) -> Option<String>,
    ) {
        let texts: Vec<(Input, usize, Arc<str>)> = sources
            .into_iter()
            .filter_map(|(input, bytes)| {
                let (index, text) = self.accept(&input, bytes)?;
                Some((input, index, text))
            })
            .collect();
        let documents: Vec<_> = texts
            .iter()
            .filter_map(|(input, index, text)| {
                let document = self.parse(*index, text)?;
                Some((input, *index, document))
            })
            .collect();
        let allow_outside = documents
            .iter()
            .any(|(_, _, document)| walk::allows_scripts_outside(document.get_ref()));
        let scripts_root = ScriptRoot::new(root, allow_outside);
        for (input, index, document) in &documents {
            self.walk(input, *index, document.get_ref(), &scripts_root, env);
        }
    }

    /// Takes one file's bytes into the digest and the sources diagnostics
    /// show; returns its index and text, or `None` when it is not UTF-8.
    fn accept(&mut self, input: &Input, bytes: Vec<u8>) -> Option<(usize, Arc<str>)> {
        let text = match std::str::from_utf8(&bytes) {
            Ok(text) => Arc::<str>::from(text),
            Err(_) => {
                self.drafts.push(
                    Draft::error(codes::IO, format!("`{}` is not UTF-8 text", input.display))
                        .help("TOML files must be UTF-8; re-save the file as UTF-8"),
                );
                self.digest_inputs.insert(input.relative.clone(), bytes);
                return None;
            }
        };
        self.digest_inputs.insert(input.relative.clone(), bytes);
        let index = self.originals.len();
        self.originals.push(Arc::clone(&text));
        self.names.push(input.display.clone());
        self.redactions.push(Vec::new());
        Some((index, text))
    }

    /// Parses file `index`; on syntax errors reports them and returns `None`.
    fn parse<'t>(
        &mut self,
        index: usize,
        text: &'t str,
    ) -> Option<toml::Spanned<toml::de::DeTable<'t>>> {
        let (document, errors) = toml::de::DeTable::parse_recoverable(text);
        if !errors.is_empty() {
            // The recovered tree of a broken file would produce follow-up
            // errors that are only noise; report the syntax errors alone.
            for error in errors {
                let span = error.span().unwrap_or(0..0);
                self.drafts.push(
                    Draft::error(
                        codes::SYNTAX,
                        format!("invalid TOML: {}", error.message().trim()),
                    )
                    .at(index, span, "here")
                    .help("fix the TOML syntax; see https://toml.io"),
                );
            }
            self.redactions[index].extend(walk::heuristic_secret_spans(text));
            return None;
        }
        Some(document)
    }

    /// Walks the parsed file `index` and merges what it defines.
    fn walk(
        &mut self,
        input: &Input,
        index: usize,
        document: &toml::de::DeTable<'_>,
        scripts_root: &ScriptRoot,
        env: &dyn Fn(&str) -> Option<String>,
    ) {
        let dir = input.path.parent().unwrap_or(Path::new("."));
        let rel_dir = Path::new(&input.relative)
            .parent()
            .map(|parent| parent.to_string_lossy().into_owned())
            .filter(|parent| !parent.is_empty())
            .map(|parent| format!("{parent}/"))
            .unwrap_or_default();
        let mut walker = FileWalker {
            file: index,
            dir,
            rel_dir: &rel_dir,
            scripts_root,
            env,
            drafts: Vec::new(),
            redactions: Vec::new(),
            scripts: BTreeMap::new(),
            suggested: std::collections::BTreeSet::new(),
        };
        let contents = walker.walk_document(document);
        self.drafts.append(&mut walker.drafts);
        self.redactions[index].append(&mut walker.redactions);
        self.digest_inputs.append(&mut walker.scripts);

        for entry in contents.cloud {
            match self.cloud.get(entry.key) {
                Some((first_file, first)) => self.drafts.push(
                    Draft::error(
                        codes::DUPLICATE_SETTING,
                        format!("`cloud.{}` is set in two files", entry.key),
                    )
                    .at(index, entry.span.clone(), "set again here")
                    .help("set each [cloud] key in one file only")
                    .related(
                        Draft::note(codes::DUPLICATE_SETTING, "first set here").at(
                            *first_file,
                            first.span.clone(),
                            "first set here",
                        ),
                    ),
                ),
                None => {
                    self.cloud.insert(entry.key, (index, entry));
                }
            }
        }
        for (name, cluster) in contents.clusters {
            match self.clusters.get(&name) {
                Some((first_file, first)) => self.drafts.push(
                    Draft::error(
                        codes::DUPLICATE_CLUSTER,
                        format!("cluster `{name}` is defined twice"),
                    )
                    .at(index, cluster.key_span.clone(), "defined again here")
                    .help("define each [clusters.NAME] once, in one file")
                    .related(
                        Draft::note(
                            codes::DUPLICATE_CLUSTER,
                            format!("cluster `{name}` first defined here"),
                        )
                        .at(
                            *first_file,
                            first.key_span.clone(),
                            "first defined here",
                        ),
                    ),
                ),
                None => {
                    self.clusters.insert(name, (index, cluster));
                }
            }
        }
        for (address, pool) in contents.pools {
            match self.pools.get(&address) {
                Some((first_file, first)) => self.drafts.push(
                    Draft::error(
                        codes::DUPLICATE_POOL,
                        format!("pool `{address}` is defined twice"),
                    )
                    .at(index, pool.key_span.clone(), "defined again here")
                    .help("define each [pools.ADDRESS] once, in one file; rename one of them if they are different pools")
                    .related(
                        Draft::note(codes::DUPLICATE_POOL, format!("pool `{address}` first defined here"))
                            .at(*first_file, first.key_span.clone(), "first defined here"),
                    ),
                ),
                None => {
                    self.pools.insert(address, (index, pool));
                }
            }
        }
    }

    fn cross_check(&mut self) {
        // Every pool names a defined cluster.
        let cluster_names: Vec<&str> = self.clusters.keys().map(ClusterName::as_str).collect();
        for (file, pool) in self.pools.values() {
            let Some(span) = &pool.cluster_span else {
                continue;
            };
            let cluster = pool.pool.cluster.as_str();
            if self.clusters.contains_key(&pool.pool.cluster) {
                continue;
            }
            let help = match walk::suggest(cluster, cluster_names.iter().copied()) {
                Some(candidate) => format!("did you mean `{candidate}`?"),
                None => format!("add a [clusters.{cluster}] table with the cluster's id"),
            };
            self.drafts.push(
                Draft::error(
                    codes::UNKNOWN_CLUSTER,
                    format!(
                        "pool `{}` names cluster `{cluster}`, which is not defined",
                        pool.pool.address
                    ),
                )
                .at(*file, span.clone(), "no such cluster")
                .help(help),
            );
        }

        // Two addresses must not manage the same CCE pool.
        let mut by_name: BTreeMap<(&str, &str), (usize, &PoolDraft)> = BTreeMap::new();
        let mut duplicates = Vec::new();
        for (file, pool) in self.pools.values() {
            if pool.cluster_span.is_none() {
                continue;
            }
            let identity = (pool.pool.cluster.as_str(), pool.pool.name.as_str());
            match by_name.get(&identity) {
                Some((first_file, first)) => duplicates.push(
                    Draft::error(
                        codes::DUPLICATE_POOL_NAME,
                        format!(
                            "pools `{}` and `{}` both manage pool `{}` of cluster `{}`",
                            first.pool.address, pool.pool.address, pool.pool.name, pool.pool.cluster
                        ),
                    )
                    .at(*file, pool.name_span.clone(), "this pool name")
                    .help("each CCE pool may be managed by one [pools.ADDRESS] only: give one of them another `name`")
                    .related(
                        Draft::note(codes::DUPLICATE_POOL_NAME, format!("pool `{}` uses the same name", first.pool.address))
                            .at(*first_file, first.name_span.clone(), "same pool name"),
                    ),
                ),
                None => {
                    by_name.insert(identity, (*file, pool));
                }
            }
        }
        self.drafts.append(&mut duplicates);

        let pools: Vec<(PoolAddress, usize, &PoolDraft)> = self
            .pools
            .iter()
            .map(|(address, (file, pool))| (address.clone(), *file, pool))
            .collect();
        self.drafts.extend(graph::check_dependencies(&pools));
    }

    fn finish(mut self) -> Result<Desired, ConfigErrors> {
        self.cross_check();
        if !self.drafts.is_empty() {
            let files: Vec<SourceFile> = self
                .originals
                .iter()
                .zip(&self.names)
                .zip(&self.redactions)
                .map(|((original, name), redactions)| {
                    SourceFile::new(name.clone(), &redact(original, redactions))
                })
                .collect();
            let mut drafts = self.drafts;
            drafts.sort_by_key(Draft::sort_key);
            let diagnostics = drafts
                .into_iter()
                .map(|draft| draft.finish(&files, &self.originals))
                .collect();
            return Err(ConfigErrors::new(diagnostics));
        }

        let mut cloud = CloudSettings::default();
        for (key, (_, entry)) in self.cloud {
            match (key, entry.value) {
                ("region", CloudValue::Text(value)) => cloud.region = Some(value),
                ("endpoint", CloudValue::Text(value)) => cloud.endpoint = Some(value),
                (_, CloudValue::Text(value)) => cloud.project_id = Some(value),
                (_, CloudValue::Count(count)) => cloud.max_concurrency = Some(count),
                (_, CloudValue::Provider(provider)) => cloud.provider = Some(provider),
                // `allow_scripts_outside` only governs reading; it has done
                // its work by now and is not part of the model.
                (_, CloudValue::Flag(_)) => {}
            }
        }
        let clusters: BTreeMap<ClusterName, DesiredCluster> = self
            .clusters
            .into_iter()
            .map(|(name, (_, draft))| (name, draft.cluster))
            .collect();
        let pools: BTreeMap<PoolAddress, DesiredPool> = self
            .pools
            .into_iter()
            .map(|(address, (_, draft))| (address, draft.pool))
            .collect();
        Ok(Desired {
            cloud,
            clusters,
            pools,
            digest: digest(&self.digest_inputs),
        })
    }
}

/// Replaces the bytes of every span with `*`, keeping offsets (and so every
/// other span) valid.
fn redact(text: &Arc<str>, spans: &[Range<usize>]) -> Arc<str> {
    if spans.is_empty() {
        return Arc::clone(text);
    }
    let mut bytes = text.as_bytes().to_vec();
    for span in spans {
        let end = span.end.min(bytes.len());
        let start = span.start.min(end);
        for byte in &mut bytes[start..end] {
            *byte = b'*';
        }
    }
    // Spans from the parser cover whole characters, so the text stays UTF-8;
    // a lossy conversion is the fallback should one ever split a character.
    Arc::from(String::from_utf8_lossy(&bytes).as_ref())
}

/// Hex SHA-256 over every input's name and bytes, in name order.
fn digest(inputs: &BTreeMap<String, Vec<u8>>) -> String {
    let mut hasher = Sha256::new();
    for (name, bytes) in inputs {
        hasher.update(name.as_bytes());
        hasher.update([0]);
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    }
    hex::encode(hasher.finalize())
}
