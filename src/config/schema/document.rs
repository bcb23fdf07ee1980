//! The top of a configuration: the document, `[cloud]` and `[clusters.NAME]`.

use std::collections::BTreeMap;

use schemars::JsonSchema;

use super::pool::RawPool;

/// A poolform configuration: one or more `*.toml` files in a directory,
/// merged. Keys are snake_case; each maps to a CCE API field.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields, title = "poolform configuration")]
pub struct RawConfig {
    /// Where the CCE API is. Not sent to CCE: it builds the endpoint `https://cce.{region}.myhuaweicloud.com/api/v3/projects/{project_id}`.
    pub cloud: Option<RawCloud>,
    /// The clusters, by a key of your choice that pools refer to with `cluster = "KEY"`. CCE: one cluster (`/clusters/{cluster_id}`) each.
    pub clusters: Option<BTreeMap<String, RawCluster>>,
    /// The node pools, by address (the key, shown in plans and used by `--target`). CCE: one NodePool (`/clusters/{cluster_id}/nodepools`) each.
    pub pools: Option<BTreeMap<String, RawPool>>,
}

/// `[cloud]`: where the CCE API is.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawCloud {
    /// Region, such as `ap-southeast-1`. CCE: the `{region}` of the endpoint `https://cce.{region}.myhuaweicloud.com`.
    pub region: Option<String>,
    /// Explicit CCE endpoint, overriding the one derived from the region (Open Telekom Cloud, proxies). Must be https; plain http only for loopback. CCE: the base URL of every request.
    pub endpoint: Option<String>,
    /// Project id; may also come from the environment. CCE: `{project_id}` in every path, and the `X-Project-Id` header.
    pub project_id: Option<String>,
    /// Let `{ file = ... }` scripts name files outside the configuration's directory (absolute paths, `..`, links out of it), default false. Not sent to CCE; the scripts' contents are.
    pub allow_scripts_outside: Option<bool>,
    /// Cap on requests in flight at once to each endpoint (1..=1024, default 256); `--max-concurrency` overrides it. poolform starts at 64 (or the cap if lower), halves on throttling (429) and timeouts, and grows by one per success (two before the first throttling). Not sent to CCE.
    #[schemars(range(min = 1, max = 1024))]
    pub max_concurrency: Option<u32>,
    /// Whose CCE the endpoint is: `huawei` or `otc` (Open Telekom Cloud). Default: `otc` for an endpoint under `otc.t-systems.com`, else `huawei`. Decides how existing nodes are synchronised: Huawei Cloud's UpgradeNodePool (`POST …/nodepools/{id}/operation/upgrade`), or, on Open Telekom Cloud, which has none, ResetNode (`POST …/nodes/reset`) with each batch's node list.
    pub provider: Option<RawProvider>,
}

/// `[cloud] provider`.
#[derive(JsonSchema)]
#[schemars(rename_all = "lowercase")]
pub enum RawProvider {
    /// Huawei Cloud.
    Huawei,
    /// Open Telekom Cloud.
    Otc,
}

/// `[clusters.KEY]`: a CCE cluster.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawCluster {
    /// The cluster id. CCE: `{cluster_id}` in `/clusters/{cluster_id}/nodepools`.
    pub id: String,
    /// Cap on nodes being reset at once across all pools of this cluster (1..=200). Not sent to CCE: poolform schedules sync batches within it.
    #[schemars(range(min = 1, max = 200))]
    pub max_unavailable: Option<u32>,
    /// The cluster's region, when not `[cloud] region`; the cluster is then read and changed through that region's endpoint. CCE: the `{region}` of the endpoint.
    pub region: Option<String>,
    /// The cluster's CCE endpoint, when not the one `[cloud]` gives. Must be https; plain http only for loopback. CCE: the base URL of this cluster's requests.
    pub endpoint: Option<String>,
    /// The cluster's project id, when not `[cloud] project_id` (each region has its own project). CCE: `{project_id}` in this cluster's paths.
    pub project_id: Option<String>,
}
