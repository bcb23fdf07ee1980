//! `[cloud]`, and the place settings (`region`, `endpoint`, `project_id`)
//! that a cluster may also set for itself.

use std::ops::Range;

use toml::de::DeTable;

use super::keys::{CLOUD_KEYS, MAX_CONCURRENCY};
use super::{CloudEntry, CloudValue, FileWalker, Val};
use crate::config::codes;
use crate::config::diagnostic::Draft;
use crate::model::{EndpointProblem, is_region_name, parse_endpoint};

impl FileWalker<'_> {
    pub(super) fn walk_cloud(&mut self, table: &DeTable<'_>, out: &mut Vec<CloudEntry>) {
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
    pub(super) fn place(&mut self, path: &str, key: &str, value: &Val<'_>) -> Option<String> {
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
            EndpointProblem::NotUrl(_) => (
                "is not a URL".to_owned(),
                "not an https endpoint",
                HTTPS_HELP,
            ),
            EndpointProblem::NoHost => (
                "has no host".to_owned(),
                "not an https endpoint",
                HTTPS_HELP,
            ),
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
    pub(super) fn check_simple_id(&mut self, path: &str, id: &str, span: Range<usize>) -> bool {
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
}
