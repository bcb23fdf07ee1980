//! Where a cluster's API is: the `[cloud]` table, what a cluster overrides
//! of it, and which cloud's CCE an endpoint belongs to.

use serde::{Deserialize, Serialize};

/// The `[cloud]` table, or what a `[clusters.NAME]` table sets of it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloudSettings {
    /// Region, such as `ap-southeast-1`.
    pub region: Option<String>,
    /// Explicit CCE endpoint; overrides the one derived from the region.
    pub endpoint: Option<String>,
    /// Project id; may also come from the environment.
    pub project_id: Option<String>,
    /// Cap on requests in flight at once per endpoint (`[cloud]` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrency: Option<u32>,
    /// Which cloud's CCE this is (`[cloud]` only); `None` tells it from
    /// the endpoint (see [`CloudSettings::provider`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<Provider>,
}

/// Whose CCE an endpoint is: the clouds differ in how existing nodes are
/// synchronised.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// Huawei Cloud: UpgradeNodePool resets the chosen nodes of a pool.
    #[default]
    Huawei,
    /// Open Telekom Cloud: no UpgradeNodePool; each batch goes through
    /// ResetNode (`POST …/nodes/reset`), which takes a node list.
    Otc,
}

/// The host suffix of Open Telekom Cloud's endpoints.
const OTC_HOST_SUFFIX: &str = ".otc.t-systems.com";

impl CloudSettings {
    /// These settings with every unset place (`region`, `endpoint`,
    /// `project_id`) taken from `defaults`. A cluster that names its own
    /// region gets that region's endpoint, not the default's explicit one:
    /// an endpoint is inherited only together with the region it belongs to.
    pub fn or(&self, defaults: &CloudSettings) -> CloudSettings {
        let own_place = self.region.is_some() || self.endpoint.is_some();
        CloudSettings {
            region: self.region.clone().or_else(|| {
                (self.endpoint.is_none())
                    .then(|| defaults.region.clone())
                    .flatten()
            }),
            endpoint: if own_place {
                self.endpoint.clone()
            } else {
                defaults.endpoint.clone()
            },
            project_id: self
                .project_id
                .clone()
                .or_else(|| defaults.project_id.clone()),
            max_concurrency: self.max_concurrency.or(defaults.max_concurrency),
            provider: self.provider.or(defaults.provider),
        }
    }

    /// Whose CCE these settings reach: `provider` when set, else Open
    /// Telekom Cloud for an endpoint under `otc.t-systems.com`, else Huawei
    /// Cloud (whose region endpoints are `cce.{region}.myhuaweicloud.com`).
    pub fn provider(&self) -> Provider {
        if let Some(provider) = self.provider {
            return provider;
        }
        let host = self
            .endpoint
            .as_deref()
            .and_then(|endpoint| url::Url::parse(endpoint).ok())
            .and_then(|url| url.host_str().map(str::to_ascii_lowercase));
        match host {
            Some(host) if host.ends_with(OTC_HOST_SUFFIX) => Provider::Otc,
            _ => Provider::Huawei,
        }
    }

    /// Whether nothing is set.
    pub fn is_empty(&self) -> bool {
        *self == CloudSettings::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_provider_is_told_from_the_endpoint_unless_set() {
        let at = |endpoint: &str| CloudSettings {
            endpoint: Some(endpoint.to_owned()),
            ..CloudSettings::default()
        };
        assert_eq!(
            at("https://cce.eu-de.otc.t-systems.com").provider(),
            Provider::Otc
        );
        assert_eq!(
            at("https://CCE.EU-NL.OTC.T-SYSTEMS.COM:443/").provider(),
            Provider::Otc
        );
        assert_eq!(
            at("https://cce.ap-southeast-1.myhuaweicloud.com").provider(),
            Provider::Huawei
        );
        // A look-alike is not OTC.
        assert_eq!(
            at("https://otc.t-systems.com.example.org").provider(),
            Provider::Huawei
        );
        let region = CloudSettings {
            region: Some("eu-de".into()),
            ..CloudSettings::default()
        };
        assert_eq!(region.provider(), Provider::Huawei);
        let proxy = CloudSettings {
            provider: Some(Provider::Otc),
            ..at("http://127.0.0.1:8080")
        };
        assert_eq!(proxy.provider(), Provider::Otc);
        // A cluster inherits [cloud]'s provider.
        assert_eq!(
            CloudSettings::default().or(&proxy).provider(),
            Provider::Otc
        );
    }
}
