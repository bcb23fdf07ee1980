//! The parts of a pool's node template: login, volumes, network, labels,
//! taints, tags, extend_params and lifecycle scripts.

use std::collections::BTreeMap;
use std::ops::Range;

use toml::de::DeValue;

use super::{
    CHARGE_MODES, EXTEND_PARAM_KEYS, FileWalker, LIFECYCLE_KEYS, LOGIN_KEYS, NIC_KEYS,
    PASSWORD_KEYS, PUBLIC_IP_KEYS, SCRIPT_KEYS, SHARE_TYPES, TAINT_EFFECTS, TAINT_KEYS,
    VOLUME_KEYS, VOLUME_TYPES, Val, suggest,
};
use crate::config::diagnostic::{Draft, codes};
use crate::config::password::{PASSWORD_SPECIALS, check_password};
use crate::config::rules;
use crate::config::script_file::{self, ScriptFileError};
use crate::model::{Lifecycle, Login, NicSpec, PasswordRef, PublicIp, Taint, Volume};

impl FileWalker<'_> {
    pub(super) fn walk_login(
        &mut self,
        path: &str,
        value: &Val<'_>,
        required: bool,
    ) -> Option<Login> {
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
                        PASSWORD_SPECIALS
                    )),
                );
        }
        Some(PasswordRef { username, env })
    }

    pub(super) fn walk_volume(
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

    pub(super) fn walk_public_ip(&mut self, path: &str, value: &Val<'_>) -> Option<PublicIp> {
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

    pub(super) fn string_list(
        &mut self,
        path: &str,
        value: &Val<'_>,
    ) -> Vec<(String, Range<usize>)> {
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

    pub(super) fn walk_nic(
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
                let read = self
                    .scripts_root
                    .resolve(self.dir, &relative)
                    .and_then(|resolved| script_file::read(&resolved));
                match read {
                    Ok(text) => {
                        self.scripts.insert(
                            format!("{}{relative}", self.rel_dir),
                            text.clone().into_bytes(),
                        );
                        Some(text)
                    }
                    Err(error) => {
                        let draft = self.script_file_problem(&relative, error, file_value.span());
                        self.push(draft);
                        None
                    }
                }
            }
            _ => {
                self.invalid_type(path, value, "a string or { file = \"...\" }");
                None
            }
        }
    }

    /// The diagnostic for a script file that was not read. It names the path
    /// as written and never quotes the file.
    fn script_file_problem(
        &self,
        relative: &str,
        error: ScriptFileError,
        span: Range<usize>,
    ) -> Draft {
        let outside_help = "script paths are relative to the TOML file that names them and must stay inside the configuration's directory; copy the script into it, or set `allow_scripts_outside = true` in [cloud] if every path in this configuration is trusted";
        let (code, message, label, help) = match error {
            ScriptFileError::Absolute => (
                codes::SCRIPT_OUTSIDE,
                format!("script file `{relative}` is an absolute path"),
                "absolute path".to_owned(),
                outside_help.to_owned(),
            ),
            ScriptFileError::Escapes => (
                codes::SCRIPT_OUTSIDE,
                format!("script file `{relative}` is outside the configuration's directory"),
                "leaves the configuration's directory".to_owned(),
                outside_help.to_owned(),
            ),
            ScriptFileError::LinksOutside { target } => (
                codes::SCRIPT_OUTSIDE,
                format!(
                    "script file `{relative}` is a link to a file outside the configuration's directory"
                ),
                format!("resolves to {}", target.display()),
                outside_help.to_owned(),
            ),
            ScriptFileError::NotFound => (
                codes::SCRIPT_FILE,
                format!("script file `{relative}` does not exist"),
                format!("looked for {}", self.dir.join(relative).display()),
                "script paths are relative to the TOML file that names them; check the path, or write the script inline".to_owned(),
            ),
            ScriptFileError::NotRegular { kind } => (
                codes::SCRIPT_FILE,
                format!("script file `{relative}` is {kind}, not a regular file"),
                "not a regular file".to_owned(),
                "name a regular file that holds the script, or write the script inline".to_owned(),
            ),
            ScriptFileError::TooLong => (
                codes::SCRIPT_TOO_LONG,
                format!(
                    "script file `{relative}` is longer than {} bytes; CCE allows at most {} characters of pre- and post-install scripts after base64",
                    script_file::MAX_SCRIPT_FILE_BYTES - 1,
                    rules::MAX_SCRIPTS_BASE64
                ),
                "too long".to_owned(),
                "shorten the script (about 7,680 bytes of text for both scripts together), or have a short script download the rest".to_owned(),
            ),
            ScriptFileError::NotUtf8 => (
                codes::SCRIPT_FILE,
                format!("script file `{relative}` is not UTF-8 text"),
                "not UTF-8".to_owned(),
                "scripts are sent to CCE as text; re-save the file as UTF-8".to_owned(),
            ),
            ScriptFileError::Unreadable { reason } => (
                codes::SCRIPT_FILE,
                format!("script file `{relative}` cannot be read ({reason})"),
                "cannot be read".to_owned(),
                "check the file's permissions, or write the script inline".to_owned(),
            ),
        };
        Draft::error(code, message)
            .at(self.file, span, label)
            .help(help)
    }

    pub(super) fn walk_lifecycle(&mut self, path: &str, value: &Val<'_>) -> Lifecycle {
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
}
