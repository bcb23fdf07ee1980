//! `extend_params`: the `extendParam` keys poolform passes through, and the
//! ones it refuses because a setting of its own owns them.

use std::collections::BTreeMap;

use super::keys::EXTEND_PARAM_KEYS;
use super::read::suggest;
use super::{FileWalker, Val};
use crate::config::codes;
use crate::config::diagnostic::Draft;
use crate::config::rules;

impl FileWalker<'_> {
    pub(super) fn walk_extend_params(
        &mut self,
        path: &str,
        value: &Val<'_>,
    ) -> BTreeMap<String, String> {
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
}
