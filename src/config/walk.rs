//! Walks one parsed TOML file and turns it into model values, collecting a
//! diagnostic for every problem instead of stopping at the first.
//!
//! The walker reads the spanned tree of `toml::de::DeTable` directly rather
//! than deserializing into structs, so every diagnostic can point at the exact
//! key or value. The key lists here (`*_KEYS`) must match the raw types in
//! `schema`; a test checks that they do.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::Path;

use toml::Spanned;
use toml::de::{DeArray, DeString, DeTable, DeValue};

use super::diagnostic::{Draft, codes};
use super::password::check_password;
use super::rules;
use crate::model::{
    Autoscaling, ClusterId, ClusterName, DEFAULT_POOL_NAME, DesiredCluster, DesiredPool, Ensure,
    Lifecycle, Login, MaxUnavailable, NicSpec, NodeTemplate, PasswordRef, PoolAddress, PublicIp,
    Rollout, Runtime, Taint, Volume,
};

type Key<'i> = Spanned<DeString<'i>>;
type Val<'i> = Spanned<DeValue<'i>>;

/// Keys of the document root.
pub(crate) const ROOT_KEYS: &[&str] = &["cloud", "clusters", "pools"];
/// Keys of `[cloud]`.
pub(crate) const CLOUD_KEYS: &[&str] = &["region", "endpoint", "project_id"];
/// Keys of `[clusters.X]`.
pub(crate) const CLUSTER_KEYS: &[&str] = &["id", "max_unavailable"];
/// Keys of `[pools.X]`.
pub(crate) const POOL_KEYS: &[&str] = &[
    "cluster",
    "name",
    "ensure",
    "type",
    "flavor",
    "az",
    "os",
    "runtime",
    "runtime_class",
    "node_count",
    "login",
    "root_volume",
    "data_volumes",
    "public_ip",
    "nic",
    "k8s_labels",
    "taints",
    "user_tags",
    "max_pods",
    "extend_params",
    "lifecycle",
    "autoscaling",
    "server_group",
    "rollout",
];
/// The keys a DefaultPool takes: exactly what the sync API accepts.
pub(crate) const DEFAULT_POOL_KEYS: &[&str] = &["cluster", "name", "login", "lifecycle", "rollout"];
/// Keys of `login`.
pub(crate) const LOGIN_KEYS: &[&str] =
    &["ssh_key", "password", "remove_password", "remove_ssh_key"];
/// Keys of `login.password`.
pub(crate) const PASSWORD_KEYS: &[&str] = &["env", "username"];
/// Keys of a volume.
pub(crate) const VOLUME_KEYS: &[&str] = &[
    "type",
    "size",
    "iops",
    "throughput",
    "passthrough",
    "encrypted",
    "cmk_id",
    "extend_params",
];
/// Keys of `public_ip`.
pub(crate) const PUBLIC_IP_KEYS: &[&str] =
    &["ip_type", "bandwidth_size", "share_type", "charge_mode"];
/// Keys of `nic`.
pub(crate) const NIC_KEYS: &[&str] = &["subnet_id", "fixed_ips", "ip_block", "subnet_list"];
/// Keys of a taint.
pub(crate) const TAINT_KEYS: &[&str] = &["key", "value", "effect"];
/// Keys of `lifecycle`.
pub(crate) const LIFECYCLE_KEYS: &[&str] =
    &["pre_install", "post_install", "wait_post_install_finish"];
/// Keys of a script given as a table.
pub(crate) const SCRIPT_KEYS: &[&str] = &["file"];
/// Keys of `autoscaling`.
pub(crate) const AUTOSCALING_KEYS: &[&str] = &[
    "enabled",
    "min",
    "max",
    "scale_down_cooldown_minutes",
    "priority",
];
/// Keys of `rollout`.
pub(crate) const ROLLOUT_KEYS: &[&str] = &[
    "max_unavailable",
    "depends_on",
    "soak",
    "batch_timeout",
    "force",
    "allow_replacement",
];
/// The `extendParam` keys `extend_params` accepts.
pub(crate) const EXTEND_PARAM_KEYS: &[&str] = &[
    "ecs:performancetype",
    "orderID",
    "productID",
    "periodType",
    "periodNum",
    "isAutoRenew",
    "isAutoPay",
    "DockerLVMConfigOverride",
    "dockerBaseSize",
    "containerBaseSize",
    "publicKey",
    "alpha.cce/NodeImageID",
    "chargingMode",
    "marketType",
    "spotPrice",
    "agency_name",
    "kubeReservedMem",
    "systemReservedMem",
    "kubeReservedCpu",
    "systemReservedCpu",
    "kubeReservedPid",
    "systemReservedPid",
    "kubeReservedStorage",
    "systemReservedStorage",
    "securityReinforcementType",
    "serverMetadataHttpTokens",
    "nicMultiqueue",
    "nicThreshold",
];

const POOL_TYPES: &[&str] = &["vm", "ElasticBMS", "pm"];
const RUNTIMES: &[&str] = &["containerd", "docker"];
const RUNTIME_CLASSES: &[&str] = &["runc", "kata", "kuasar-vmm"];
const VOLUME_TYPES: &[&str] = &["SATA", "SAS", "SSD", "ESSD", "GPSSD", "ESSD2", "GPSSD2"];
const TAINT_EFFECTS: &[&str] = &["NoSchedule", "PreferNoSchedule", "NoExecute"];
const SHARE_TYPES: &[&str] = &["PER", "WHOLE"];
const CHARGE_MODES: &[&str] = &["bandwidth", "traffic"];
const ENSURE_VALUES: &[&str] = &["present", "absent"];

/// A `[cloud]` setting as written, kept with its span so that the same
/// setting in two files can point at both.
#[derive(Debug, Clone)]
pub(crate) struct CloudEntry {
    pub key: &'static str,
    pub value: String,
    pub span: Range<usize>,
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
/// and `rel_dir` its directory relative to the config root, for the digest.
pub(crate) struct FileWalker<'a> {
    pub file: usize,
    pub dir: &'a Path,
    pub rel_dir: &'a str,
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

/// The best "did you mean" candidate for `input` among `candidates`.
pub(crate) fn suggest<'c>(
    input: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<&'c str> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(input, candidate), candidate))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

fn type_name(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

fn type_help(key: &str, expected: &str) -> String {
    match expected {
        "a string" => format!("quote the value: {key} = \"...\""),
        "an integer" => format!("write a whole number without quotes: {key} = 3"),
        "a boolean" => format!("write {key} = true or {key} = false"),
        "a table" => format!("write a table: {key} = {{ ... }}"),
        "an array" => format!("write an array: {key} = [ ... ]"),
        other => format!("`{key}` takes {other}"),
    }
}

fn last_segment(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

/// Whether a key name looks like it holds a secret, so its value is redacted
/// from any source shown, even when the key itself is an error.
fn looks_secret(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    if key.starts_with("remove_") {
        return false;
    }
    ["password", "passwd", "secret", "token", "private_key"]
        .iter()
        .any(|marker| key.contains(marker))
        || key == "sk"
        || key == "ak"
}

/// Spans of values of secret-looking keys, found line by line without a
/// parse tree: used for files with syntax errors. Everything after the `=`
/// that follows a secret-looking word is redacted, so inline tables such as
/// `login = { password = "..." }` are covered too.
pub(crate) fn heuristic_secret_spans(text: &str) -> Vec<Range<usize>> {
    const MARKERS: [&str; 5] = ["password", "passwd", "secret", "token", "private_key"];
    let mut spans = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let lowered = line.to_ascii_lowercase();
        let content_end = line.trim_end_matches(['\n', '\r']).len();
        let first_value = MARKERS
            .iter()
            .flat_map(|marker| {
                lowered
                    .match_indices(marker)
                    .map(move |(index, _)| index + marker.len())
            })
            .filter_map(|after| {
                let rest = &lowered[after..];
                let skipped = rest.len() - rest.trim_start_matches(['"', '\'', ' ', '\t']).len();
                rest[skipped..]
                    .starts_with('=')
                    .then_some(after + skipped + 1)
            })
            .min();
        if let Some(start) = first_value.filter(|start| *start < content_end) {
            spans.push(offset + start..offset + content_end);
        }
        offset += line.len();
    }
    spans
}

impl<'a> FileWalker<'a> {
    fn push(&mut self, draft: Draft) {
        self.drafts.push(draft);
    }

    fn invalid_type(&mut self, path: &str, value: &Val<'_>, expected: &str) {
        let found = type_name(value.get_ref());
        self.push(
            Draft::error(
                codes::INVALID_TYPE,
                format!("`{path}` must be {expected}, not {found}"),
            )
            .at(self.file, value.span(), format!("expected {expected}"))
            .help(type_help(last_segment(path), expected)),
        );
    }

    fn string(&mut self, path: &str, value: &Val<'_>) -> Option<String> {
        match value.get_ref() {
            DeValue::String(text) => Some(text.to_string()),
            _ => {
                self.invalid_type(path, value, "a string");
                None
            }
        }
    }

    /// A string that must not be empty or blank.
    fn nonempty(&mut self, path: &str, value: &Val<'_>) -> Option<String> {
        let text = self.string(path, value)?;
        if text.trim().is_empty() {
            self.push(
                Draft::error(codes::INVALID_VALUE, format!("`{path}` must not be empty"))
                    .at(self.file, value.span(), "empty")
                    .help(format!(
                        "set `{}` to a value, or remove it",
                        last_segment(path)
                    )),
            );
            return None;
        }
        Some(text)
    }

    fn integer(&mut self, path: &str, value: &Val<'_>, min: i64, max: i64) -> Option<i64> {
        let DeValue::Integer(integer) = value.get_ref() else {
            self.invalid_type(path, value, "an integer");
            return None;
        };
        let parsed = i64::from_str_radix(integer.as_str(), integer.radix()).ok();
        match parsed {
            Some(number) if (min..=max).contains(&number) => Some(number),
            _ => {
                self.push(
                    Draft::error(
                        codes::OUT_OF_RANGE,
                        format!("`{path}` must be between {min} and {max}, not {}", integer),
                    )
                    .at(self.file, value.span(), format!("not in {min}..={max}"))
                    .help(format!(
                        "set `{}` to a value from {min} to {max}",
                        last_segment(path)
                    )),
                );
                None
            }
        }
    }

    fn unsigned(&mut self, path: &str, value: &Val<'_>, min: u32, max: u32) -> Option<u32> {
        self.integer(path, value, i64::from(min), i64::from(max))
            .and_then(|number| u32::try_from(number).ok())
    }

    fn boolean(&mut self, path: &str, value: &Val<'_>) -> Option<bool> {
        match value.get_ref() {
            DeValue::Boolean(flag) => Some(*flag),
            _ => {
                self.invalid_type(path, value, "a boolean");
                None
            }
        }
    }

    fn table<'v, 'i>(&mut self, path: &str, value: &'v Val<'i>) -> Option<&'v DeTable<'i>> {
        match value.get_ref() {
            DeValue::Table(table) => Some(table),
            _ => {
                self.invalid_type(path, value, "a table");
                None
            }
        }
    }

    fn array<'v, 'i>(&mut self, path: &str, value: &'v Val<'i>) -> Option<&'v DeArray<'i>> {
        match value.get_ref() {
            DeValue::Array(array) => Some(array),
            _ => {
                self.invalid_type(path, value, "an array");
                None
            }
        }
    }

    /// A string from a fixed set; `code` says which rule it breaks.
    fn choice(
        &mut self,
        path: &str,
        value: &Val<'_>,
        allowed: &[&'static str],
        code: &'static str,
    ) -> Option<&'static str> {
        let text = self.string(path, value)?;
        if let Some(found) = allowed.iter().find(|candidate| **candidate == text) {
            return Some(found);
        }
        let list = allowed
            .iter()
            .map(|candidate| format!("`{candidate}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let help = match suggest(&text, allowed.iter().copied()) {
            Some(candidate) => format!("did you mean `{candidate}`?"),
            None => format!("use one of {list}"),
        };
        self.push(
            Draft::error(
                code,
                format!("`{path}` must be one of {list}, not `{text}`"),
            )
            .at(self.file, value.span(), "not an allowed value")
            .help(help),
        );
        None
    }

    /// A scalar of `extend_params`, as the string CCE receives.
    fn param_value(&mut self, path: &str, value: &Val<'_>) -> Option<String> {
        match value.get_ref() {
            DeValue::String(text) => Some(text.to_string()),
            DeValue::Integer(integer) => {
                let parsed = i64::from_str_radix(integer.as_str(), integer.radix()).ok();
                match parsed {
                    Some(number) => Some(number.to_string()),
                    None => {
                        self.integer(path, value, i64::MIN, i64::MAX);
                        None
                    }
                }
            }
            DeValue::Boolean(flag) => Some(flag.to_string()),
            _ => {
                self.invalid_type(path, value, "a string, integer or boolean");
                None
            }
        }
    }

    /// Reports keys not in `known`; `allowed` narrows what is accepted here
    /// (the DefaultPool), with its own explanation.
    fn check_keys(&mut self, path: &str, table: &DeTable<'_>, known: &[&str]) {
        for (key, value) in table.iter() {
            let name: &str = key.get_ref();
            // A table under a secret-looking key holds a reference (such as
            // `password = { env = ... }`), not the secret itself.
            if looks_secret(name)
                && !matches!(value.get_ref(), DeValue::Table(_) | DeValue::Boolean(_))
            {
                self.redactions.push(value.span());
            }
            if known.contains(&name) {
                continue;
            }
            let location = if path.is_empty() {
                "the top level".to_owned()
            } else {
                format!("`{path}`")
            };
            let suggestion = suggest(name, known.iter().copied());
            if let Some(candidate) = suggestion {
                self.suggested
                    .insert((path.to_owned(), candidate.to_owned()));
            }
            let help = match suggestion {
                Some(candidate) => format!("did you mean `{candidate}`?"),
                None => format!(
                    "{} takes: {}",
                    location,
                    known
                        .iter()
                        .map(|candidate| format!("`{candidate}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            self.push(
                Draft::error(
                    codes::UNKNOWN_KEY,
                    format!("unknown key `{name}` in {location}"),
                )
                .at(self.file, key.span(), "unknown key")
                .help(help),
            );
        }
    }

    fn missing(&mut self, path: &str, key: &str, span: Range<usize>, example: &str) {
        if self.suggested.contains(&(path.to_owned(), key.to_owned())) {
            return;
        }
        self.push(
            Draft::error(codes::MISSING_KEY, format!("`{path}` is missing `{key}`"))
                .at(self.file, span, format!("needs `{key}`"))
                .help(format!("add {example}")),
        );
    }

    /// Walks the whole document.
    pub(crate) fn walk_document(&mut self, root: &DeTable<'_>) -> FileContents {
        let mut contents = FileContents::default();
        self.check_keys("", root, ROOT_KEYS);
        if let Some((_, value)) = root.get_key_value("cloud")
            && let Some(table) = self.table("cloud", value)
        {
            self.walk_cloud(table, &mut contents.cloud);
        }
        if let Some((_, value)) = root.get_key_value("clusters")
            && let Some(table) = self.table("clusters", value)
        {
            for (key, value) in table.iter() {
                if let Some(cluster) = self.walk_cluster(key, value) {
                    contents
                        .clusters
                        .push((cluster.cluster.name.clone(), cluster));
                }
            }
        }
        if let Some((_, value)) = root.get_key_value("pools")
            && let Some(table) = self.table("pools", value)
        {
            for (key, value) in table.iter() {
                if let Some(pool) = self.walk_pool(key, value) {
                    contents.pools.push((pool.pool.address.clone(), pool));
                }
            }
        }
        contents
    }

    fn walk_cloud(&mut self, table: &DeTable<'_>, out: &mut Vec<CloudEntry>) {
        self.check_keys("cloud", table, CLOUD_KEYS);
        for (key, value) in table.iter() {
            let name: &str = key.get_ref();
            let Some(&known) = CLOUD_KEYS.iter().find(|candidate| **candidate == name) else {
                continue;
            };
            let path = format!("cloud.{known}");
            let Some(text) = self.nonempty(&path, value) else {
                continue;
            };
            let valid = match known {
                "region" => self.check_region(&path, &text, value.span()),
                "endpoint" => self.check_endpoint(&path, &text, value.span()),
                _ => self.check_simple_id(&path, &text, value.span()),
            };
            if valid {
                out.push(CloudEntry {
                    key: known,
                    value: text,
                    span: value.span(),
                });
            }
        }
    }

    fn check_region(&mut self, path: &str, region: &str, span: Range<usize>) -> bool {
        let valid = region.split('-').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        });
        if !valid {
            self.push(
                Draft::error(
                    codes::INVALID_VALUE,
                    format!("`{path}` must be a region name such as `ap-southeast-1`, not `{region}`"),
                )
                .at(self.file, span, "not a region name")
                .help("use the region id from the console, lowercase, such as `eu-de` or `ap-southeast-1`"),
            );
        }
        valid
    }

    fn check_endpoint(&mut self, path: &str, endpoint: &str, span: Range<usize>) -> bool {
        let problem = match url::Url::parse(endpoint) {
            Err(_) => Some("is not a URL".to_owned()),
            Ok(parsed) => match (parsed.scheme(), parsed.host()) {
                (_, None) => Some("has no host".to_owned()),
                ("https", Some(_)) => None,
                ("http", Some(host)) if rules::is_loopback_host(&host) => None,
                ("http", Some(_)) => {
                    Some("uses plain http to a host that is not loopback".to_owned())
                }
                (scheme, Some(_)) => Some(format!("uses the scheme `{scheme}`")),
            },
        };
        match problem {
            None => true,
            Some(problem) => {
                self.push(
                    Draft::error(
                        codes::INVALID_ENDPOINT,
                        format!("`{path}` {problem}"),
                    )
                    .at(self.file, span, "not an https endpoint")
                    .help("use an https URL such as \"https://cce.eu-de.otc.t-systems.com\"; plain http is allowed only for localhost or 127.0.0.1"),
                );
                false
            }
        }
    }

    /// Ids that go into URL paths: letters, digits, `-` and `_` only.
    fn check_simple_id(&mut self, path: &str, id: &str, span: Range<usize>) -> bool {
        let valid = id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid {
            self.push(
                Draft::error(
                    codes::INVALID_VALUE,
                    format!("`{path}` may contain only letters, digits, `-` and `_`"),
                )
                .at(self.file, span, "not an id")
                .help("copy the id from the console; it looks like `4d1ecb2c-229a-11e8-9c75-0255ac100ceb`"),
            );
        }
        valid
    }

    fn check_address_key(&mut self, what: &str, key: &Key<'_>) -> bool {
        let name: &str = key.get_ref();
        match rules::check_address(name) {
            Ok(()) => true,
            Err(reason) => {
                self.push(
                    Draft::error(
                        codes::INVALID_ADDRESS,
                        format!("{what} key `{name}` {reason}"),
                    )
                    .at(self.file, key.span(), "not a valid key")
                    .help("use letters, digits, `-`, `_` and `.`, such as `prod-system`"),
                );
                false
            }
        }
    }

    fn walk_cluster(&mut self, key: &Key<'_>, value: &Val<'_>) -> Option<ClusterDraft> {
        let name: &str = key.get_ref();
        let path = format!("clusters.{name}");
        let valid_key = self.check_address_key("cluster", key);
        let table = self.table(&path, value)?;
        self.check_keys(&path, table, CLUSTER_KEYS);
        let id = match table.get_key_value("id") {
            Some((_, value)) => self.nonempty(&format!("{path}.id"), value).and_then(|id| {
                self.check_simple_id(&format!("{path}.id"), &id, value.span())
                    .then_some(id)
            }),
            None => {
                self.missing(
                    &path,
                    "id",
                    key.span(),
                    "id = \"<cluster id from the console>\"",
                );
                None
            }
        };
        let max_unavailable = table
            .get_key_value("max_unavailable")
            .and_then(|(_, value)| {
                self.unsigned(&format!("{path}.max_unavailable"), value, 1, 200)
            });
        let id = id?;
        valid_key.then(|| ClusterDraft {
            key_span: key.span(),
            cluster: DesiredCluster {
                name: ClusterName::from(name),
                id: ClusterId(id),
                max_unavailable,
            },
        })
    }

    fn walk_pool(&mut self, key: &Key<'_>, value: &Val<'_>) -> Option<PoolDraft> {
        let address: &str = key.get_ref();
        let path = format!("pools.{address}");
        let valid_key = self.check_address_key("pool", key);
        let table = self.table(&path, value)?;

        // The name decides which keys are allowed, so it comes first.
        let (name, name_span) = match table.get_key_value("name") {
            Some((_, value)) => match self.nonempty(&format!("{path}.name"), value) {
                Some(name) => (name, value.span()),
                None => (address.to_owned(), value.span()),
            },
            None => (address.to_owned(), key.span()),
        };
        let is_default = name == DEFAULT_POOL_NAME;

        self.check_keys(&path, table, POOL_KEYS);
        if is_default {
            for (key, _) in table.iter() {
                let field: &str = key.get_ref();
                if POOL_KEYS.contains(&field) && !DEFAULT_POOL_KEYS.contains(&field) {
                    self.push(
                        Draft::error(
                            codes::DEFAULT_POOL_FIELD,
                            format!("`{field}` cannot be set on the DefaultPool `{address}`"),
                        )
                        .at(self.file, key.span(), "not allowed on the DefaultPool")
                        .help("the DefaultPool cannot be created or updated, only synchronised: it takes only `cluster`, `name`, `login`, `lifecycle` and `rollout`; remove this key, or move these nodes into a pool of their own"),
                    );
                }
            }
        } else if let Err(reason) = rules::check_pool_name(&name) {
            let from_key = !table.contains_key("name");
            let (subject, help) = if from_key {
                (
                    format!("pool name `{name}` (taken from the key)"),
                    "CCE pool names are 1 to 50 lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen; set `name = \"...\"` to a valid name".to_owned(),
                )
            } else {
                (
                    format!("pool name `{name}`"),
                    "CCE pool names are 1 to 50 lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen".to_owned(),
                )
            };
            self.push(
                Draft::error(codes::INVALID_POOL_NAME, format!("{subject} {reason}"))
                    .at(self.file, name_span.clone(), "invalid pool name")
                    .help(help),
            );
        }

        let get = |field: &str| table.get_key_value(field).map(|(_, value)| value);

        let (cluster, cluster_span) = match table.get_key_value("cluster") {
            Some((_, value)) => match self.nonempty(&format!("{path}.cluster"), value) {
                Some(cluster) => (cluster, Some(value.span())),
                None => (String::new(), None),
            },
            None => {
                self.missing(
                    &path,
                    "cluster",
                    key.span(),
                    "cluster = \"<key of a [clusters.KEY] table>\"",
                );
                (String::new(), None)
            }
        };

        let ensure = match get("ensure") {
            Some(value) => match self.choice(
                &format!("{path}.ensure"),
                value,
                ENSURE_VALUES,
                codes::INVALID_VALUE,
            ) {
                Some("absent") => Ensure::Absent,
                _ => Ensure::Present,
            },
            None => Ensure::Present,
        };
        let present = ensure == Ensure::Present;
        // Only a custom pool that should exist needs a complete template.
        let needs_template = present && !is_default;

        let pool_type = match get("type") {
            Some(value) => self
                .choice(
                    &format!("{path}.type"),
                    value,
                    POOL_TYPES,
                    codes::INVALID_VALUE,
                )
                .unwrap_or("vm"),
            None => "vm",
        };

        let mut template = NodeTemplate {
            pool_type: if is_default {
                String::new()
            } else {
                pool_type.to_owned()
            },
            runtime: Runtime {
                name: if is_default {
                    String::new()
                } else {
                    "containerd".to_owned()
                },
                runtime_class: None,
            },
            ..NodeTemplate::default()
        };

        for (field, example) in [
            ("flavor", "flavor = \"c7.large.2\""),
            ("az", "az = \"ap-southeast-1a\""),
            ("os", "os = \"Huawei Cloud EulerOS 2.0\""),
        ] {
            let text = match get(field) {
                Some(value) => self.nonempty(&format!("{path}.{field}"), value),
                None => {
                    if needs_template {
                        self.missing(&path, field, key.span(), example);
                    }
                    None
                }
            };
            let text = text.unwrap_or_default();
            match field {
                "flavor" => template.flavor = text,
                "az" => template.az = text,
                _ => template.os = text,
            }
        }
        if let Some(value) = get("runtime")
            && let Some(runtime) = self.choice(
                &format!("{path}.runtime"),
                value,
                RUNTIMES,
                codes::INVALID_VALUE,
            )
        {
            template.runtime.name = runtime.to_owned();
        }
        if let Some(value) = get("runtime_class") {
            template.runtime.runtime_class = self
                .choice(
                    &format!("{path}.runtime_class"),
                    value,
                    RUNTIME_CLASSES,
                    codes::INVALID_VALUE,
                )
                .map(str::to_owned);
        }

        let node_count_value = get("node_count");
        let node_count = node_count_value
            .and_then(|value| self.unsigned(&format!("{path}.node_count"), value, 0, 2000));

        match get("login") {
            Some(value) => {
                if let Some(login) = self.walk_login(&format!("{path}.login"), value, present) {
                    template.login = login;
                }
            }
            None if present => {
                self.push(
                    Draft::error(codes::LOGIN_REQUIRED, format!("`{path}` has no `login`"))
                        .at(self.file, key.span(), "no way to log in to these nodes")
                        .help("add login = { ssh_key = \"<key pair name>\" } or login = { password = { env = \"NODE_PASSWORD\" } }"),
                );
            }
            None => {}
        }

        let bms = pool_type == "ElasticBMS";
        match get("root_volume") {
            Some(value) => {
                if let Some(volume) =
                    self.walk_volume(&format!("{path}.root_volume"), value, 40, 1024, bms)
                {
                    template.root_volume = volume;
                }
            }
            None if needs_template => self.missing(
                &path,
                "root_volume",
                key.span(),
                "root_volume = { type = \"GPSSD\", size = 50 }",
            ),
            None => {}
        }
        match get("data_volumes") {
            Some(value) => {
                let volumes_path = format!("{path}.data_volumes");
                if let Some(array) = self.array(&volumes_path, value) {
                    if array.is_empty() && needs_template {
                        self.push(
                            Draft::error(codes::INVALID_VOLUME, format!("`{volumes_path}` is empty"))
                                .at(self.file, value.span(), "no data disk")
                                .help("CCE nodes need at least one data disk: data_volumes = [{ type = \"GPSSD\", size = 100 }]"),
                        );
                    }
                    for (index, item) in array.iter().enumerate() {
                        if let Some(volume) = self.walk_volume(
                            &format!("{volumes_path}[{index}]"),
                            item,
                            10,
                            32768,
                            bms,
                        ) {
                            template.data_volumes.push(volume);
                        }
                    }
                }
            }
            None if needs_template => self.missing(
                &path,
                "data_volumes",
                key.span(),
                "data_volumes = [{ type = \"GPSSD\", size = 100 }]",
            ),
            None => {}
        }

        if let Some(value) = get("public_ip") {
            template.public_ip = self.walk_public_ip(&format!("{path}.public_ip"), value);
        }
        if let Some(value) = get("nic") {
            template.nic = self.walk_nic(
                &format!("{path}.nic"),
                value,
                node_count.zip(node_count_value.map(|v| v.span())),
            );
        }
        if let Some(value) = get("k8s_labels") {
            template.k8s_labels = self.walk_labels(&format!("{path}.k8s_labels"), value);
        }
        if let Some(value) = get("taints") {
            template.taints = self.walk_taints(&format!("{path}.taints"), value);
        }
        if let Some(value) = get("user_tags") {
            template.user_tags = self.walk_user_tags(&format!("{path}.user_tags"), value);
        }
        if let Some(value) = get("max_pods") {
            template.max_pods =
                self.unsigned(&format!("{path}.max_pods"), value, 1, i32::MAX as u32);
        }
        if let Some(value) = get("extend_params") {
            template.extend_params =
                self.walk_extend_params(&format!("{path}.extend_params"), value);
        }
        if let Some(value) = get("lifecycle") {
            template.lifecycle = self.walk_lifecycle(&format!("{path}.lifecycle"), value);
        }

        let autoscaling = get("autoscaling").and_then(|value| {
            self.walk_autoscaling(
                &format!("{path}.autoscaling"),
                value,
                node_count.zip(node_count_value.map(|v| v.span())),
            )
        });
        let server_group = get("server_group")
            .and_then(|value| self.nonempty(&format!("{path}.server_group"), value));
        let (rollout, depends_on) = match get("rollout") {
            Some(value) => self.walk_rollout(&format!("{path}.rollout"), value),
            None => (Rollout::default(), Vec::new()),
        };

        valid_key.then(|| PoolDraft {
            key_span: key.span(),
            cluster_span,
            name_span,
            depends_on,
            pool: DesiredPool {
                address: PoolAddress::from(address),
                cluster: ClusterName(cluster),
                name,
                ensure,
                template,
                node_count,
                autoscaling,
                server_group,
                rollout,
            },
        })
    }

    fn walk_login(&mut self, path: &str, value: &Val<'_>, required: bool) -> Option<Login> {
        let table = self.table(path, value)?;
        self.check_keys(path, table, LOGIN_KEYS);
        let mut login = Login::default();
        let mut literal_password = false;
        let mut ssh_span = None;
        let mut password_span = None;
        if let Some((_, value)) = table.get_key_value("ssh_key") {
            login.ssh_key = self.nonempty(&format!("{path}.ssh_key"), value);
            ssh_span = Some(value.span());
        }
        if let Some((_, value)) = table.get_key_value("password") {
            password_span = Some(value.span());
            match value.get_ref() {
                DeValue::Table(_) => {
                    login.password = self.walk_password_ref(&format!("{path}.password"), value);
                }
                DeValue::String(_) => {
                    literal_password = true;
                    self.redactions.push(value.span());
                    self.push(
                        Draft::error(
                            codes::LITERAL_PASSWORD,
                            format!("`{path}.password` is written in the config"),
                        )
                        .at(self.file, value.span(), "a literal password")
                        .help("never commit a password: read it from the environment with password = { env = \"NODE_PASSWORD\", username = \"root\" }, and set NODE_PASSWORD when you run poolform apply"),
                    );
                }
                _ => {
                    literal_password = true;
                    self.redactions.push(value.span());
                    self.invalid_type(&format!("{path}.password"), value, "a table");
                }
            }
        }
        let mut remove_password_span = None;
        if let Some((_, value)) = table.get_key_value("remove_password") {
            login.remove_password = self
                .boolean(&format!("{path}.remove_password"), value)
                .unwrap_or(false);
            remove_password_span = Some(value.span());
        }
        let mut remove_ssh_span = None;
        if let Some((_, value)) = table.get_key_value("remove_ssh_key") {
            login.remove_ssh_key = self
                .boolean(&format!("{path}.remove_ssh_key"), value)
                .unwrap_or(false);
            remove_ssh_span = Some(value.span());
        }

        if let (Some(ssh), Some(password)) = (ssh_span.clone(), password_span.clone()) {
            self.push(
                Draft::error(
                    codes::LOGIN_CONFLICT,
                    format!("`{path}` sets both `ssh_key` and `password`"),
                )
                .at(self.file, ssh, "ssh key")
                .also(password, "password")
                .help("CCE logs in with either a key pair or a password: keep one of them"),
            );
        }
        if login.remove_ssh_key
            && let (Some(flag), Some(ssh)) = (remove_ssh_span.clone(), ssh_span.clone())
        {
            self.push(
                Draft::error(
                    codes::LOGIN_CONFLICT,
                    format!("`{path}` sets `ssh_key` and `remove_ssh_key = true`"),
                )
                .at(self.file, flag, "removes the key pair login")
                .also(ssh, "while setting one")
                .help(
                    "remove_ssh_key drops key pair login on update; remove either it or `ssh_key`",
                ),
            );
        }
        if login.remove_password
            && let (Some(flag), Some(password)) =
                (remove_password_span.clone(), password_span.clone())
        {
            self.push(
                    Draft::error(codes::LOGIN_CONFLICT, format!("`{path}` sets `password` and `remove_password = true`"))
                        .at(self.file, flag, "removes the password login")
                        .also(password, "while setting one")
                        .help("remove_password drops password login on update; remove either it or `password`"),
                );
        }
        if required && ssh_span.is_none() && password_span.is_none() && !literal_password {
            self.push(
                Draft::error(
                    codes::LOGIN_REQUIRED,
                    format!("`{path}` has neither `ssh_key` nor `password`"),
                )
                .at(self.file, value.span(), "no way to log in to these nodes")
                .help(
                    "add ssh_key = \"<key pair name>\" or password = { env = \"NODE_PASSWORD\" }",
                ),
            );
        }
        Some(login)
    }

    fn walk_password_ref(&mut self, path: &str, value: &Val<'_>) -> Option<PasswordRef> {
        let table = self.table(path, value)?;
        // Anything else in this table may well be the password itself.
        for (key, value) in table.iter() {
            let name: &str = key.get_ref();
            if !PASSWORD_KEYS.contains(&name) {
                self.redactions.push(value.span());
            }
        }
        self.check_keys(path, table, PASSWORD_KEYS);
        let username = match table.get_key_value("username") {
            Some((_, value)) => self.nonempty(&format!("{path}.username"), value),
            None => Some("root".to_owned()),
        };
        let Some((_, env_value)) = table.get_key_value("env") else {
            self.missing(path, "env", value.span(), "env = \"NODE_PASSWORD\"");
            return None;
        };
        let env = self.nonempty(&format!("{path}.env"), env_value)?;
        if let Err(reason) = rules::check_env_name(&env) {
            // Not a variable name: perhaps the password typed in the wrong place.
            self.redactions.push(env_value.span());
            self.push(
                Draft::error(codes::INVALID_VALUE, format!("`{path}.env` {reason}"))
                    .at(self.file, env_value.span(), "not a variable name")
                    .help("name the environment variable that holds the password, such as \"NODE_PASSWORD\""),
            );
            return None;
        }
        let username = username?;
        // The password itself is only checked when the variable is set here;
        // apply checks it again at the moment it reads it.
        if let Some(password) = (self.env)(&env)
            && let Err(reason) = check_password(&username, &password)
        {
            self.push(
                    Draft::error(
                        codes::WEAK_PASSWORD,
                        format!("the password in `{env}` breaks CCE's password rules: {reason}"),
                    )
                    .at(self.file, env_value.span(), "this variable's value is rejected")
                    .help(format!(
                        "set `{env}` to 8 to 26 characters with three of: uppercase, lowercase, digits, special characters ({}); not containing the user name",
                        super::password::PASSWORD_SPECIALS
                    )),
                );
        }
        Some(PasswordRef { username, env })
    }

    fn walk_volume(
        &mut self,
        path: &str,
        value: &Val<'_>,
        min_size: u32,
        max_size: u32,
        bms: bool,
    ) -> Option<Volume> {
        let table = self.table(path, value)?;
        self.check_keys(path, table, VOLUME_KEYS);
        let mut volume = Volume::default();
        let mut complete = true;
        match table.get_key_value("type") {
            Some((_, value)) => match self.choice(
                &format!("{path}.type"),
                value,
                VOLUME_TYPES,
                codes::INVALID_VOLUME,
            ) {
                Some(kind) => volume.volume_type = kind.to_owned(),
                None => complete = false,
            },
            None => {
                self.missing(path, "type", value.span(), "type = \"GPSSD\"");
                complete = false;
            }
        }
        match table.get_key_value("size") {
            Some((_, value)) => {
                match self.unsigned(&format!("{path}.size"), value, min_size, max_size) {
                    Some(size) => volume.size = size,
                    None => complete = false,
                }
            }
            None => {
                self.missing(
                    path,
                    "size",
                    value.span(),
                    &format!("size = {min_size} (GiB, {min_size} to {max_size})"),
                );
                complete = false;
            }
        }
        if let Some((_, value)) = table.get_key_value("iops") {
            volume.iops = self.unsigned(&format!("{path}.iops"), value, 1, u32::MAX);
        }
        if let Some((_, value)) = table.get_key_value("throughput") {
            volume.throughput = self.unsigned(&format!("{path}.throughput"), value, 1, u32::MAX);
        }
        if let Some((_, value)) = table.get_key_value("passthrough") {
            volume.passthrough = self.boolean(&format!("{path}.passthrough"), value);
            if bms && volume.passthrough == Some(false) {
                self.push(
                    Draft::error(codes::INVALID_VOLUME, format!("`{path}.passthrough` must be true in an ElasticBMS pool"))
                        .at(self.file, value.span(), "must be true")
                        .help("bare-metal (ElasticBMS) nodes need SCSI passthrough disks: set passthrough = true or remove it"),
                );
            }
        } else if bms {
            volume.passthrough = Some(true);
        }
        let encrypted = table.get_key_value("encrypted").map(|(_, value)| {
            (
                self.boolean(&format!("{path}.encrypted"), value),
                value.span(),
            )
        });
        let cmk = table.get_key_value("cmk_id").map(|(_, value)| {
            (
                self.nonempty(&format!("{path}.cmk_id"), value),
                value.span(),
            )
        });
        volume.encrypted = encrypted.as_ref().and_then(|(flag, _)| *flag);
        volume.cmk_id = cmk.as_ref().and_then(|(id, _)| id.clone());
        match (&encrypted, &cmk) {
            (Some((Some(true), span)), None) => self.push(
                Draft::error(
                    codes::INVALID_VOLUME,
                    format!("`{path}` is encrypted but has no `cmk_id`"),
                )
                .at(self.file, span.clone(), "needs a key")
                .help("add cmk_id = \"<KMS key id>\": CCE encrypts the disk with that key"),
            ),
            (None | Some((Some(false), _)), Some((Some(_), span))) => self.push(
                Draft::error(
                    codes::INVALID_VOLUME,
                    format!("`{path}.cmk_id` is set but the disk is not encrypted"),
                )
                .at(self.file, span.clone(), "only used for encryption")
                .help("add encrypted = true, or remove cmk_id"),
            ),
            _ => {}
        }
        if let Some((_, value)) = table.get_key_value("extend_params") {
            let params_path = format!("{path}.extend_params");
            if let Some(params) = self.table(&params_path, value) {
                for (key, value) in params.iter() {
                    let name: &str = key.get_ref();
                    if let Some(text) = self.param_value(&format!("{params_path}.{name}"), value) {
                        volume.extend_params.insert(name.to_owned(), text);
                    }
                }
            }
        }
        complete.then_some(volume)
    }

    fn walk_public_ip(&mut self, path: &str, value: &Val<'_>) -> Option<PublicIp> {
        let table = self.table(path, value)?;
        self.check_keys(path, table, PUBLIC_IP_KEYS);
        let ip_type = match table.get_key_value("ip_type") {
            Some((_, value)) => self.nonempty(&format!("{path}.ip_type"), value),
            None => {
                self.missing(path, "ip_type", value.span(), "ip_type = \"5_bgp\"");
                None
            }
        };
        let bandwidth_size = match table.get_key_value("bandwidth_size") {
            Some((_, value)) => self.unsigned(&format!("{path}.bandwidth_size"), value, 1, 2000),
            None => {
                self.missing(
                    path,
                    "bandwidth_size",
                    value.span(),
                    "bandwidth_size = 5 (Mbit/s)",
                );
                None
            }
        };
        let share_type = match table.get_key_value("share_type") {
            Some((_, value)) => self.choice(
                &format!("{path}.share_type"),
                value,
                SHARE_TYPES,
                codes::INVALID_VALUE,
            ),
            None => {
                self.missing(path, "share_type", value.span(), "share_type = \"PER\"");
                None
            }
        };
        let charge_mode = table.get_key_value("charge_mode").and_then(|(_, value)| {
            self.choice(
                &format!("{path}.charge_mode"),
                value,
                CHARGE_MODES,
                codes::INVALID_VALUE,
            )
        });
        Some(PublicIp {
            ip_type: ip_type?,
            charge_mode: charge_mode.map(str::to_owned),
            bandwidth_size: Some(bandwidth_size?),
            share_type: Some(share_type?.to_owned()),
        })
    }

    fn string_list(&mut self, path: &str, value: &Val<'_>) -> Vec<(String, Range<usize>)> {
        let Some(array) = self.array(path, value) else {
            return Vec::new();
        };
        array
            .iter()
            .enumerate()
            .filter_map(|(index, item)| {
                self.nonempty(&format!("{path}[{index}]"), item)
                    .map(|text| (text, item.span()))
            })
            .collect()
    }

    fn walk_nic(
        &mut self,
        path: &str,
        value: &Val<'_>,
        node_count: Option<(u32, Range<usize>)>,
    ) -> Option<NicSpec> {
        let table = self.table(path, value)?;
        self.check_keys(path, table, NIC_KEYS);
        let mut nic = NicSpec::default();
        if let Some((_, value)) = table.get_key_value("subnet_id") {
            nic.subnet_id = self.nonempty(&format!("{path}.subnet_id"), value);
        }
        let mut fixed_span = None;
        if let Some((_, value)) = table.get_key_value("fixed_ips") {
            fixed_span = Some(value.span());
            for (ip, span) in self.string_list(&format!("{path}.fixed_ips"), value) {
                if let Err(reason) = rules::check_ip(&ip) {
                    self.push(
                        Draft::error(
                            codes::INVALID_IP,
                            format!("`{ip}` in `{path}.fixed_ips` {reason}"),
                        )
                        .at(self.file, span, "not an IP address")
                        .help("write addresses such as \"192.168.0.10\""),
                    );
                } else {
                    nic.fixed_ips.push(ip);
                }
            }
        }
        let mut block_span = None;
        if let Some((_, value)) = table.get_key_value("ip_block") {
            block_span = Some(value.span());
            if let Some(block) = self.nonempty(&format!("{path}.ip_block"), value) {
                match rules::check_cidr(&block) {
                    Ok(()) => nic.ip_block = Some(block),
                    Err(reason) => self.push(
                        Draft::error(codes::INVALID_IP, format!("`{path}.ip_block` {reason}"))
                            .at(self.file, value.span(), "not a CIDR block")
                            .help("write a block such as \"192.168.0.0/24\""),
                    ),
                }
            }
        }
        if let (Some(fixed), Some(block)) = (fixed_span.clone(), block_span) {
            self.push(
                Draft::error(codes::NIC_CONFLICT, format!("`{path}` sets both `fixed_ips` and `ip_block`"))
                    .at(self.file, fixed, "fixed addresses")
                    .also(block, "and a block")
                    .help("CCE takes either fixed IPs or an IP block for the primary NIC, not both: remove one"),
            );
        }
        if let (Some(fixed), Some((count, count_span))) = (fixed_span, node_count) {
            let ips = nic.fixed_ips.len();
            if ips > count as usize {
                let count_span_in_file = count_span;
                self.push(
                    Draft::error(codes::NIC_CONFLICT, format!("`{path}.fixed_ips` has {ips} addresses for {count} nodes"))
                        .at(self.file, fixed, "more addresses than nodes")
                        .also(count_span_in_file, "node count")
                        .help("CCE allows at most one fixed IP per node created: remove addresses or raise node_count"),
                );
            }
        }
        if let Some((_, value)) = table.get_key_value("subnet_list") {
            let list = self.string_list(&format!("{path}.subnet_list"), value);
            if list.len() > rules::MAX_SUBNETS {
                self.push(
                    Draft::error(
                        codes::OUT_OF_RANGE,
                        format!(
                            "`{path}.subnet_list` has {} subnets; CCE allows at most {}",
                            list.len(),
                            rules::MAX_SUBNETS
                        ),
                    )
                    .at(self.file, value.span(), "too many subnets")
                    .help("list at most 20 subnets"),
                );
            }
            nic.subnet_list = list.into_iter().map(|(text, _)| text).collect();
        }
        Some(nic)
    }

    fn walk_labels(&mut self, path: &str, value: &Val<'_>) -> BTreeMap<String, String> {
        let mut labels = BTreeMap::new();
        let Some(table) = self.table(path, value) else {
            return labels;
        };
        if table.len() > rules::MAX_LABELS {
            self.push(
                Draft::error(
                    codes::TOO_MANY_LABELS,
                    format!(
                        "`{path}` has {} labels; CCE allows at most {}",
                        table.len(),
                        rules::MAX_LABELS
                    ),
                )
                .at(self.file, value.span(), "too many labels")
                .help("keep at most 20 Kubernetes labels per pool"),
            );
        }
        for (key, value) in table.iter() {
            let name: &str = key.get_ref();
            if name.contains(crate::live::convert::SYSTEM_LABEL_MARKER) {
                self.push(
                    Draft::error(
                        codes::RESERVED_LABEL,
                        format!("label `{name}` is managed by CCE"),
                    )
                    .at(self.file, key.span(), "reserved label")
                    .help("CCE sets `cce.cloud.com/*` labels itself; remove this one"),
                );
                continue;
            }
            if let Err(reason) = rules::check_label_key(name) {
                self.push(
                    Draft::error(codes::INVALID_LABEL, format!("label key `{name}` {reason}"))
                        .at(self.file, key.span(), "invalid label key")
                        .help("label keys are an optional DNS prefix and `/`, then 1 to 63 letters, digits, `-`, `_`, `.`, starting and ending with a letter or digit"),
                );
                continue;
            }
            let Some(text) = self.string(&format!("{path}.{name}"), value) else {
                continue;
            };
            if let Err(reason) = rules::check_label_value(&text) {
                self.push(
                    Draft::error(codes::INVALID_LABEL, format!("value of label `{name}` {reason}"))
                        .at(self.file, value.span(), "invalid label value")
                        .help("label values are empty, or up to 63 letters, digits, `-`, `_`, `.`, starting and ending with a letter or digit"),
                );
                continue;
            }
            labels.insert(name.to_owned(), text);
        }
        labels
    }

    fn walk_taints(&mut self, path: &str, value: &Val<'_>) -> Vec<Taint> {
        let mut taints = Vec::new();
        let Some(array) = self.array(path, value) else {
            return taints;
        };
        if array.len() > rules::MAX_TAINTS {
            self.push(
                Draft::error(
                    codes::TOO_MANY_TAINTS,
                    format!(
                        "`{path}` has {} taints; CCE allows at most {}",
                        array.len(),
                        rules::MAX_TAINTS
                    ),
                )
                .at(self.file, value.span(), "too many taints")
                .help("keep at most 20 taints per pool"),
            );
        }
        let mut seen: BTreeMap<(String, String), Range<usize>> = BTreeMap::new();
        for (index, item) in array.iter().enumerate() {
            let item_path = format!("{path}[{index}]");
            let Some(table) = self.table(&item_path, item) else {
                continue;
            };
            self.check_keys(&item_path, table, TAINT_KEYS);
            let key = match table.get_key_value("key") {
                Some((_, value)) => self.string(&format!("{item_path}.key"), value).and_then(|key| {
                    match rules::check_label_key(&key) {
                        Ok(()) => Some(key),
                        Err(reason) => {
                            self.push(
                                Draft::error(codes::INVALID_TAINT, format!("taint key `{key}` {reason}"))
                                    .at(self.file, value.span(), "invalid taint key")
                                    .help("taint keys are an optional DNS prefix and `/`, then 1 to 63 letters, digits, `-`, `_`, `.`, starting and ending with a letter or digit"),
                            );
                            None
                        }
                    }
                }),
                None => {
                    self.missing(&item_path, "key", item.span(), "key = \"dedicated\"");
                    None
                }
            };
            let taint_value = match table.get_key_value("value") {
                Some((_, value)) => self.string(&format!("{item_path}.value"), value).and_then(|text| {
                    match rules::check_label_value(&text) {
                        Ok(()) => Some(text),
                        Err(reason) => {
                            self.push(
                                Draft::error(codes::INVALID_TAINT, format!("taint value `{text}` {reason}"))
                                    .at(self.file, value.span(), "invalid taint value")
                                    .help("taint values are empty, or up to 63 letters, digits, `-`, `_`, `.`, starting and ending with a letter or digit"),
                            );
                            None
                        }
                    }
                }),
                None => Some(String::new()),
            };
            let effect = match table.get_key_value("effect") {
                Some((_, value)) => self.choice(
                    &format!("{item_path}.effect"),
                    value,
                    TAINT_EFFECTS,
                    codes::INVALID_TAINT,
                ),
                None => {
                    self.missing(&item_path, "effect", item.span(), "effect = \"NoSchedule\"");
                    None
                }
            };
            let (Some(key), Some(taint_value), Some(effect)) = (key, taint_value, effect) else {
                continue;
            };
            let identity = (key.clone(), effect.to_owned());
            if let Some(first) = seen.get(&identity) {
                self.push(
                    Draft::error(
                        codes::DUPLICATE_TAINT,
                        format!("taint `{key}` with effect `{effect}` is listed twice"),
                    )
                    .at(self.file, item.span(), "duplicate")
                    .also(first.clone(), "first here")
                    .help("Kubernetes keeps one taint per key and effect: remove one of them"),
                );
                continue;
            }
            seen.insert(identity, item.span());
            taints.push(Taint {
                key,
                value: taint_value,
                effect: effect.to_owned(),
            });
        }
        taints
    }

    fn walk_user_tags(&mut self, path: &str, value: &Val<'_>) -> BTreeMap<String, String> {
        let mut tags = BTreeMap::new();
        let Some(table) = self.table(path, value) else {
            return tags;
        };
        if table.len() > rules::MAX_USER_TAGS {
            self.push(
                Draft::error(
                    codes::TOO_MANY_USER_TAGS,
                    format!(
                        "`{path}` has {} tags; CCE allows at most {}",
                        table.len(),
                        rules::MAX_USER_TAGS
                    ),
                )
                .at(self.file, value.span(), "too many tags")
                .help("keep at most 8 user tags per pool"),
            );
        }
        for (key, value) in table.iter() {
            let name: &str = key.get_ref();
            if let Err(reason) = rules::check_user_tag_key(name) {
                self.push(
                    Draft::error(codes::INVALID_USER_TAG, format!("user tag key `{name}` {reason}"))
                        .at(self.file, key.span(), "invalid tag key")
                        .help("user tag keys are 1 to 36 letters, digits, `-`, `_` or `@`, not starting with `CCE-` or `__type_baremetal`"),
                );
                continue;
            }
            let Some(text) = self.string(&format!("{path}.{name}"), value) else {
                continue;
            };
            if let Err(reason) = rules::check_user_tag_value(&text) {
                self.push(
                    Draft::error(
                        codes::INVALID_USER_TAG,
                        format!("value of user tag `{name}` {reason}"),
                    )
                    .at(self.file, value.span(), "invalid tag value")
                    .help("user tag values are up to 43 letters, digits, `-`, `_` or `@`"),
                );
                continue;
            }
            tags.insert(name.to_owned(), text);
        }
        tags
    }

    fn walk_extend_params(&mut self, path: &str, value: &Val<'_>) -> BTreeMap<String, String> {
        let mut params = BTreeMap::new();
        let Some(table) = self.table(path, value) else {
            return params;
        };
        for (key, value) in table.iter() {
            let name: &str = key.get_ref();
            let reserved = match name {
                "maxPods" => Some("set `max_pods` on the pool instead"),
                "alpha.cce/preInstall" => {
                    Some("set `lifecycle.pre_install` instead; poolform encodes it")
                }
                "alpha.cce/postInstall" => {
                    Some("set `lifecycle.post_install` instead; poolform encodes it")
                }
                "init-node-password" => Some(
                    "never put a password in the config: use login = { password = { env = \"NODE_PASSWORD\" } }",
                ),
                _ => None,
            };
            if let Some(help) = reserved {
                if name == "init-node-password" {
                    self.redactions.push(value.span());
                }
                self.push(
                    Draft::error(
                        codes::RESERVED_EXTEND_PARAM,
                        format!("`{name}` cannot be set in `{path}`"),
                    )
                    .at(self.file, key.span(), "has its own setting")
                    .help(help),
                );
                continue;
            }
            if !EXTEND_PARAM_KEYS.contains(&name) {
                let help = match suggest(name, EXTEND_PARAM_KEYS.iter().copied()) {
                    Some(candidate) => format!("did you mean `{candidate}`?"),
                    None => "see docs/config.md for the extendParam keys CCE accepts".to_owned(),
                };
                self.push(
                    Draft::error(
                        codes::UNKNOWN_EXTEND_PARAM,
                        format!("unknown extendParam key `{name}` in `{path}`"),
                    )
                    .at(self.file, key.span(), "not an extendParam key")
                    .help(help),
                );
                continue;
            }
            let Some(text) = self.param_value(&format!("{path}.\"{name}\""), value) else {
                continue;
            };
            let format_check = match name {
                "nicThreshold" => Some((
                    rules::check_nic_threshold(&text),
                    "write two one-decimal thresholds from 0.0 to 1.0, low first, such as \"0.3:0.6\"",
                )),
                "nicMultiqueue" => Some((
                    rules::check_nic_multiqueue(&text),
                    "write a JSON list of queue settings, such as \"[{\\\"queue\\\":4}]\"; queue is 1, 2, 4, 8, 16 or 28",
                )),
                _ => None,
            };
            if let Some((Err(reason), help)) = format_check {
                self.push(
                    Draft::error(codes::INVALID_VALUE, format!("`{path}.{name}` {reason}"))
                        .at(self.file, value.span(), "invalid value")
                        .help(help),
                );
                continue;
            }
            params.insert(name.to_owned(), text);
        }
        params
    }

    /// A script: inline text, or `{ file = "..." }` read relative to this file.
    fn walk_script(&mut self, path: &str, value: &Val<'_>) -> Option<String> {
        match value.get_ref() {
            DeValue::String(text) => Some(text.to_string()),
            DeValue::Table(table) => {
                self.check_keys(path, table, SCRIPT_KEYS);
                let Some((_, file_value)) = table.get_key_value("file") else {
                    self.missing(
                        path,
                        "file",
                        value.span(),
                        "file = \"scripts/post-install.sh\"",
                    );
                    return None;
                };
                let relative = self.nonempty(&format!("{path}.file"), file_value)?;
                let full = self.dir.join(&relative);
                let problem = match std::fs::read(&full) {
                    Ok(bytes) => match String::from_utf8(bytes.clone()) {
                        Ok(text) => {
                            self.scripts
                                .insert(format!("{}{relative}", self.rel_dir), bytes);
                            return Some(text);
                        }
                        Err(_) => "is not UTF-8 text".to_owned(),
                    },
                    Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                        "does not exist".to_owned()
                    }
                    Err(error) => format!("cannot be read ({error})"),
                };
                self.push(
                    Draft::error(codes::SCRIPT_FILE, format!("script file `{relative}` {problem}"))
                        .at(self.file, file_value.span(), format!("looked for {}", full.display()))
                        .help("script paths are relative to the TOML file that names them; check the path, or write the script inline"),
                );
                None
            }
            _ => {
                self.invalid_type(path, value, "a string or { file = \"...\" }");
                None
            }
        }
    }

    fn walk_lifecycle(&mut self, path: &str, value: &Val<'_>) -> Lifecycle {
        let mut lifecycle = Lifecycle::default();
        let Some(table) = self.table(path, value) else {
            return lifecycle;
        };
        self.check_keys(path, table, LIFECYCLE_KEYS);
        let mut spans = Vec::new();
        if let Some((_, value)) = table.get_key_value("pre_install") {
            lifecycle.pre_install = self.walk_script(&format!("{path}.pre_install"), value);
            if lifecycle.pre_install.is_some() {
                spans.push((value.span(), "pre_install"));
            }
        }
        if let Some((_, value)) = table.get_key_value("post_install") {
            lifecycle.post_install = self.walk_script(&format!("{path}.post_install"), value);
            if lifecycle.post_install.is_some() {
                spans.push((value.span(), "post_install"));
            }
        }
        if let Some((_, value)) = table.get_key_value("wait_post_install_finish") {
            lifecycle.wait_post_install_finish = self
                .boolean(&format!("{path}.wait_post_install_finish"), value)
                .unwrap_or(false);
        }
        let encoded: usize = [&lifecycle.pre_install, &lifecycle.post_install]
            .into_iter()
            .flatten()
            .map(|script| rules::base64_len(script.len()))
            .sum();
        if encoded > rules::MAX_SCRIPTS_BASE64 {
            let mut draft = Draft::error(
                codes::SCRIPT_TOO_LONG,
                format!(
                    "`{path}` scripts are {encoded} characters after base64; CCE allows at most {} for pre- and post-install together",
                    rules::MAX_SCRIPTS_BASE64
                ),
            );
            for (index, (span, name)) in spans.into_iter().enumerate() {
                draft = if index == 0 {
                    draft.at(self.file, span, format!("{name} counts toward the limit"))
                } else {
                    draft.also(span, format!("{name} counts toward the limit"))
                };
            }
            self.push(draft.help("shorten the scripts (about 7,680 bytes of text in total), or have a short script download the rest"));
        }
        lifecycle
    }

    fn walk_autoscaling(
        &mut self,
        path: &str,
        value: &Val<'_>,
        node_count: Option<(u32, Range<usize>)>,
    ) -> Option<Autoscaling> {
        let table = self.table(path, value)?;
        self.check_keys(path, table, AUTOSCALING_KEYS);
        let enabled = table
            .get_key_value("enabled")
            .and_then(|(_, value)| self.boolean(&format!("{path}.enabled"), value))
            .unwrap_or(true);
        let min = table.get_key_value("min").map(|(_, value)| {
            (
                self.unsigned(&format!("{path}.min"), value, 0, 2000),
                value.span(),
            )
        });
        let max = table.get_key_value("max").map(|(_, value)| {
            (
                self.unsigned(&format!("{path}.max"), value, 0, 2000),
                value.span(),
            )
        });
        let cooldown = table
            .get_key_value("scale_down_cooldown_minutes")
            .and_then(|(_, value)| {
                self.unsigned(
                    &format!("{path}.scale_down_cooldown_minutes"),
                    value,
                    0,
                    i32::MAX as u32,
                )
            });
        let priority = table.get_key_value("priority").and_then(|(_, value)| {
            self.integer(
                &format!("{path}.priority"),
                value,
                i64::from(i32::MIN),
                i64::from(i32::MAX),
            )
            .and_then(|number| i32::try_from(number).ok())
        });
        if enabled && max.is_none() {
            self.missing(
                path,
                "max",
                value.span(),
                "max = 10 (the most nodes the autoscaler may create)",
            );
        }
        let min_value = min.as_ref().and_then(|(number, _)| *number).unwrap_or(0);
        let max_value = max.as_ref().and_then(|(number, _)| *number);
        if let (Some((Some(low), low_span)), Some((Some(high), high_span))) = (&min, &max)
            && low > high
        {
            self.push(
                Draft::error(
                    codes::AUTOSCALING_RANGE,
                    format!("`{path}.min` ({low}) is greater than `max` ({high})"),
                )
                .at(self.file, low_span.clone(), "minimum")
                .also(high_span.clone(), "maximum")
                .help("set min at most max"),
            );
        }
        if let (true, Some(high), Some((count, count_span))) = (enabled, max_value, node_count)
            && (count < min_value || count > high)
        {
            self.push(
                    Draft::error(
                        codes::AUTOSCALING_RANGE,
                        format!("node_count {count} is outside the autoscaling range {min_value}..={high}"),
                    )
                    .at(self.file, count_span, "outside the autoscaling range")
                    .help("set node_count between autoscaling min and max, or omit node_count and let the autoscaler own the count"),
                );
        }
        Some(Autoscaling {
            enabled,
            min: min_value,
            max: max_value.unwrap_or(min_value),
            scale_down_cooldown_minutes: cooldown,
            priority,
        })
    }

    fn duration(&mut self, path: &str, value: &Val<'_>, allow_zero: bool) -> Option<u64> {
        let text = self.string(path, value)?;
        match humantime::parse_duration(text.trim()) {
            Ok(duration) if allow_zero || !duration.is_zero() => Some(duration.as_secs()),
            Ok(_) => {
                self.push(
                    Draft::error(
                        codes::INVALID_DURATION,
                        format!("`{path}` must be longer than zero"),
                    )
                    .at(self.file, value.span(), "zero")
                    .help("use a duration such as \"30m\""),
                );
                None
            }
            Err(_) => {
                self.push(
                    Draft::error(
                        codes::INVALID_DURATION,
                        format!("`{path}` is not a duration: `{text}`"),
                    )
                    .at(self.file, value.span(), "not a duration")
                    .help("write a number and a unit, such as \"60s\", \"5m\" or \"1h 30m\""),
                );
                None
            }
        }
    }

    fn walk_rollout(
        &mut self,
        path: &str,
        value: &Val<'_>,
    ) -> (Rollout, Vec<(PoolAddress, Range<usize>)>) {
        let mut rollout = Rollout::default();
        let mut depends_on = Vec::new();
        let Some(table) = self.table(path, value) else {
            return (rollout, depends_on);
        };
        self.check_keys(path, table, ROLLOUT_KEYS);
        if let Some((_, value)) = table.get_key_value("max_unavailable")
            && let Some(max) = self.max_unavailable(&format!("{path}.max_unavailable"), value)
        {
            rollout.max_unavailable = max;
        }
        if let Some((_, value)) = table.get_key_value("depends_on") {
            let mut seen = BTreeSet::new();
            for (address, span) in self.string_list(&format!("{path}.depends_on"), value) {
                if seen.insert(address.clone()) {
                    depends_on.push((PoolAddress(address), span));
                }
            }
            rollout.depends_on = depends_on
                .iter()
                .map(|(address, _)| address.clone())
                .collect();
        }
        if let Some((_, value)) = table.get_key_value("soak")
            && let Some(seconds) = self.duration(&format!("{path}.soak"), value, true)
        {
            rollout.soak_seconds = seconds;
        }
        if let Some((_, value)) = table.get_key_value("batch_timeout")
            && let Some(seconds) = self.duration(&format!("{path}.batch_timeout"), value, false)
        {
            rollout.batch_timeout_seconds = seconds;
        }
        if let Some((_, value)) = table.get_key_value("force") {
            rollout.force = self
                .boolean(&format!("{path}.force"), value)
                .unwrap_or(false);
        }
        if let Some((_, value)) = table.get_key_value("allow_replacement") {
            rollout.allow_replacement = self
                .boolean(&format!("{path}.allow_replacement"), value)
                .unwrap_or(false);
        }
        (rollout, depends_on)
    }

    fn max_unavailable(&mut self, path: &str, value: &Val<'_>) -> Option<MaxUnavailable> {
        let help = "write a count from 1 to 20 (max_unavailable = 3) or a percentage of the pool (max_unavailable = \"25%\")";
        match value.get_ref() {
            DeValue::Integer(integer) => {
                let parsed = i64::from_str_radix(integer.as_str(), integer.radix()).ok();
                match parsed
                    .and_then(|n| u32::try_from(n).ok())
                    .filter(|n| (1..=20).contains(n))
                {
                    Some(count) => Some(MaxUnavailable::Count(count)),
                    None => {
                        self.push(
                            Draft::error(
                                codes::INVALID_MAX_UNAVAILABLE,
                                format!("`{path}` must be between 1 and 20, not {integer}"),
                            )
                            .at(self.file, value.span(), "not in 1..=20")
                            .help(help),
                        );
                        None
                    }
                }
            }
            DeValue::String(text) => {
                let percent = text
                    .strip_suffix('%')
                    .and_then(|number| number.parse::<u32>().ok())
                    .filter(|number| (1..=100).contains(number));
                match percent {
                    Some(percent) => Some(MaxUnavailable::Percent(percent)),
                    None => {
                        self.push(
                            Draft::error(
                                codes::INVALID_MAX_UNAVAILABLE,
                                format!(
                                    "`{path}` must be a percentage from 1% to 100%, not `{text}`"
                                ),
                            )
                            .at(self.file, value.span(), "not a percentage")
                            .help(help),
                        );
                        None
                    }
                }
            }
            _ => {
                self.invalid_type(path, value, "an integer or a percentage string");
                None
            }
        }
    }
}
