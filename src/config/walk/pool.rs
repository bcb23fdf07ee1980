//! One `[pools.ADDRESS]` table: its identity (address, name, cluster), the
//! DefaultPool's narrower keys, and the template fields it hands to the
//! walkers of its parts.

use super::keys::{
    DEFAULT_POOL_KEYS, ENSURE_VALUES, POOL_KEYS, POOL_TYPES, RUNTIME_CLASSES, RUNTIMES,
};
use super::{FileWalker, Key, PoolDraft, Val};
use crate::config::codes;
use crate::config::diagnostic::Draft;
use crate::config::rules;
use crate::model::{
    ClusterName, DEFAULT_POOL_NAME, DesiredPool, Ensure, NodeTemplate, PoolAddress, Rollout,
    Runtime,
};

impl FileWalker<'_> {
    pub(super) fn walk_pool(&mut self, key: &Key<'_>, value: &Val<'_>) -> Option<PoolDraft> {
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
