//! What a pool puts on its nodes' metadata: Kubernetes labels (`k8s_labels`),
//! `taints`, and cloud `user_tags`.

use std::collections::BTreeMap;
use std::ops::Range;

use super::keys::{TAINT_EFFECTS, TAINT_KEYS};
use super::{FileWalker, Val};
use crate::config::codes;
use crate::config::diagnostic::Draft;
use crate::config::rules;
use crate::model::Taint;

impl FileWalker<'_> {
    pub(super) fn walk_labels(&mut self, path: &str, value: &Val<'_>) -> BTreeMap<String, String> {
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
            if name.contains(crate::model::SYSTEM_LABEL_MARKER) {
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

    pub(super) fn walk_taints(&mut self, path: &str, value: &Val<'_>) -> Vec<Taint> {
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

    pub(super) fn walk_user_tags(
        &mut self,
        path: &str,
        value: &Val<'_>,
    ) -> BTreeMap<String, String> {
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
}
