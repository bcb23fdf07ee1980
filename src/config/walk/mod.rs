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

mod rollout;
mod template;

use super::diagnostic::{Draft, codes};
use super::rules;
use super::script_file::ScriptRoot;
use crate::model::{
    CloudSettings, ClusterId, ClusterName, DEFAULT_POOL_NAME, DesiredCluster, DesiredPool, Ensure,
    EndpointProblem, NodeTemplate, PoolAddress, Rollout, Runtime, is_region_name, parse_endpoint,
};

type Key<'i> = Spanned<DeString<'i>>;
type Val<'i> = Spanned<DeValue<'i>>;

/// Keys of the document root.
pub(crate) const ROOT_KEYS: &[&str] = &["cloud", "clusters", "pools"];
/// Keys of `[cloud]`.
pub(crate) const CLOUD_KEYS: &[&str] = &[
    "region",
    "endpoint",
    "project_id",
    "allow_scripts_outside",
    "max_concurrency",
    "provider",
];
/// Keys of `[clusters.X]`.
pub(crate) const CLUSTER_KEYS: &[&str] =
    &["id", "max_unavailable", "region", "endpoint", "project_id"];
/// The largest `[cloud] max_concurrency`.
pub(crate) const MAX_CONCURRENCY: u32 = 1024;
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
    "volume_reset_policy",
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
/// Values of `rollout.volume_reset_policy`.
pub(crate) const VOLUME_RESET_POLICIES: &[&str] =
    &["reset_managed_volumes", "retain_custom_volumes"];
const CHARGE_MODES: &[&str] = &["bandwidth", "traffic"];
const ENSURE_VALUES: &[&str] = &["present", "absent"];

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

/// Whether a parsed document sets `[cloud] allow_scripts_outside = true`.
/// Read before any file is walked, since a script may be named in another
/// file than the setting; a value of the wrong type is reported by the walk.
pub(crate) fn allows_scripts_outside(root: &DeTable<'_>) -> bool {
    let Some(cloud) = root.get("cloud") else {
        return false;
    };
    let DeValue::Table(cloud) = cloud.get_ref() else {
        return false;
    };
    cloud
        .get("allow_scripts_outside")
        .is_some_and(|value| matches!(value.get_ref(), DeValue::Boolean(true)))
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
            if known == "allow_scripts_outside" {
                if let Some(flag) = self.boolean(&path, value) {
                    out.push(CloudEntry {
                        key: known,
                        value: CloudValue::Flag(flag),
                        span: value.span(),
                    });
                }
                continue;
            }
            if known == "provider" {
                let provider =
                    match self.choice(&path, value, &["huawei", "otc"], codes::INVALID_VALUE) {
                        Some("otc") => Some(crate::model::Provider::Otc),
                        Some(_) => Some(crate::model::Provider::Huawei),
                        None => None,
                    };
                if let Some(provider) = provider {
                    out.push(CloudEntry {
                        key: known,
                        value: CloudValue::Provider(provider),
                        span: value.span(),
                    });
                }
                continue;
            }
            if known == "max_concurrency" {
                if let Some(count) = self.unsigned(&path, value, 1, MAX_CONCURRENCY) {
                    out.push(CloudEntry {
                        key: known,
                        value: CloudValue::Count(count),
                        span: value.span(),
                    });
                }
                continue;
            }
            if let Some(text) = self.place(&path, known, value) {
                out.push(CloudEntry {
                    key: known,
                    value: CloudValue::Text(text),
                    span: value.span(),
                });
            }
        }
    }

    /// A `region`, `endpoint` or `project_id`, of `[cloud]` or of a
    /// cluster, checked; `None` when it is invalid (reported).
    fn place(&mut self, path: &str, key: &str, value: &Val<'_>) -> Option<String> {
        let text = self.nonempty(path, value)?;
        let valid = match key {
            "region" => self.check_region(path, &text, value.span()),
            "endpoint" => self.check_endpoint(path, &text, value.span()),
            _ => self.check_simple_id(path, &text, value.span()),
        };
        valid.then_some(text)
    }

    fn check_region(&mut self, path: &str, region: &str, span: Range<usize>) -> bool {
        let valid = is_region_name(region);
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

    /// An explicit endpoint, checked by the same rule the client connects
    /// with, so that validate refuses exactly what connecting would.
    fn check_endpoint(&mut self, path: &str, endpoint: &str, span: Range<usize>) -> bool {
        let Err(problem) = parse_endpoint(endpoint) else {
            return true;
        };
        const HTTPS_HELP: &str = "use an https URL such as \"https://cce.eu-de.otc.t-systems.com\"; plain http is allowed only for localhost or 127.0.0.1";
        let (fragment, label, help) = match problem {
            EndpointProblem::NotUrl(_) => ("is not a URL".to_owned(), "not an https endpoint", HTTPS_HELP),
            EndpointProblem::NoHost => ("has no host".to_owned(), "not an https endpoint", HTTPS_HELP),
            EndpointProblem::PlainHttp => (
                "uses plain http to a host that is not loopback".to_owned(),
                "not an https endpoint",
                HTTPS_HELP,
            ),
            EndpointProblem::Scheme(scheme) => (
                format!("uses the scheme `{scheme}`"),
                "not an https endpoint",
                HTTPS_HELP,
            ),
            EndpointProblem::Credentials => (
                "carries a user name or password".to_owned(),
                "credentials in the URL",
                "remove the `user:password@` part; poolform reads credentials from the environment (CLOUD_SDK_AK/CLOUD_SDK_SK)",
            ),
            EndpointProblem::QueryOrFragment => (
                "has a query or fragment".to_owned(),
                "query or fragment",
                "remove the `?...` and `#...` parts; a path such as https://proxy.example.com/cce is kept as a prefix",
            ),
        };
        self.push(
            Draft::error(codes::INVALID_ENDPOINT, format!("`{path}` {fragment}"))
                .at(self.file, span, label)
                .help(help),
        );
        false
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
        // A cluster in another region or project than `[cloud]` says where
        // it is; what it leaves out comes from `[cloud]`.
        let mut place = |key: &str| {
            table
                .get_key_value(key)
                .and_then(|(_, value)| self.place(&format!("{path}.{key}"), key, value))
        };
        let cloud = CloudSettings {
            region: place("region"),
            endpoint: place("endpoint"),
            project_id: place("project_id"),
            max_concurrency: None,
            provider: None,
        };
        let id = id?;
        valid_key.then(|| ClusterDraft {
            key_span: key.span(),
            cluster: DesiredCluster {
                name: ClusterName::from(name),
                id: ClusterId(id),
                max_unavailable,
                cloud,
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
}
