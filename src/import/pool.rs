//! One live pool written as configuration: its placement, login, template,
//! lifecycle scripts (as files of their own) and scaling, in the order the
//! config language documents them.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

use super::toml_text::{
    autoscaling, extend_param, inline, key, string, string_array, string_table, volume,
};
use super::unexpressed::unexpressed_fields;
use super::{ImportError, ImportSettings, ImportedFile, ImportedPool, Unexpressed};
use crate::model::{ClusterName, DEFAULT_POOL_NAME, LivePool, NodeTemplate, PoolAddress};

/// `extendParam` keys CCE fills in itself: left out of imported files.
const DECORATION_EXTEND_PARAMS: &[&str] = &[
    "alpha.cce/NodeImageID",
    "DockerLVMConfigOverride",
    "publicKey",
];

/// The pod limit CCE sets when none is asked for: not the user's choice.
const DEFAULT_MAX_PODS: u32 = 110;

/// User tag prefixes the configuration refuses.
const RESERVED_TAG_PREFIXES: &[&str] = &["CCE-", "__type_baremetal"];

/// The address an imported pool gets: its cluster key and name, so pools
/// of the same name in two clusters do not collide.
fn address_for(cluster: &ClusterName, pool_name: &str) -> PoolAddress {
    if pool_name == DEFAULT_POOL_NAME {
        PoolAddress::from(format!("{cluster}-default-pool").as_str())
    } else {
        PoolAddress::from(format!("{cluster}-{pool_name}").as_str())
    }
}

/// The environment variable a password login of `address` reads.
fn password_env_for(address: &PoolAddress) -> String {
    let suffix: String = address
        .as_str()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("NODE_PASSWORD_{suffix}")
}

/// `type` to `node_count`: where the pool's nodes run and how many.
fn write_placement(text: &mut String, live: &LivePool) {
    let template = &live.template;
    if template.pool_type != "vm" && !template.pool_type.is_empty() {
        let _ = writeln!(text, "type = {}", string(&template.pool_type));
    }
    let _ = writeln!(text, "flavor = {}", string(&template.flavor));
    let _ = writeln!(text, "az = {}", string(&template.az));
    let _ = writeln!(text, "os = {}", string(&template.os));
    if !template.runtime.name.is_empty() {
        let _ = writeln!(text, "runtime = {}", string(&template.runtime.name));
    }
    if let Some(class) = &template.runtime.runtime_class {
        let _ = writeln!(text, "runtime_class = {}", string(class));
    }
    match live.autoscaling.as_ref().filter(|a| a.enabled) {
        Some(_) => {
            let _ = writeln!(
                text,
                "# node_count is left out: the autoscaler owns it ({} now).",
                live.node_count
            );
        }
        None => {
            let _ = writeln!(text, "node_count = {}", live.node_count);
        }
    }
}

/// `login`, and the variable a password login reads. A DefaultPool listed
/// without a login shows its key pair on its nodes.
fn write_login(
    text: &mut String,
    live: &LivePool,
    address: &PoolAddress,
    cluster: &ClusterName,
) -> Result<Option<String>, ImportError> {
    let template = &live.template;
    let is_default_pool = live.name == DEFAULT_POOL_NAME;
    let ssh_key = template.login.ssh_key.clone().or_else(|| {
        is_default_pool
            .then(|| {
                live.nodes
                    .iter()
                    .find_map(|node| node.config.ssh_key.clone())
            })
            .flatten()
    });
    match (&template.login.password, ssh_key) {
        (Some(password), _) => {
            let env = password_env_for(address);
            text.push_str(
                "# CCE never returns the password: set this variable to it before apply.\n\
                 # A different password resets every node of the pool, and the plan says so.\n",
            );
            let mut reference = vec![("env", string(&env))];
            if password.username != "root" {
                reference.push(("username", string(&password.username)));
            }
            let _ = writeln!(
                text,
                "login = {}",
                inline(&[("password", inline(&reference))])
            );
            Ok(Some(env))
        }
        (None, Some(ssh_key)) => {
            let _ = writeln!(text, "login = {}", inline(&[("ssh_key", string(&ssh_key))]));
            Ok(None)
        }
        (None, None) => Err(ImportError::NoDefaultPoolLogin {
            cluster: cluster.to_string(),
        }),
    }
}

/// `root_volume` to `extend_params`: the node template, less what CCE adds.
fn write_template(text: &mut String, template: &NodeTemplate, unexpressed: &mut Vec<Unexpressed>) {
    let _ = writeln!(text, "root_volume = {}", volume(&template.root_volume));
    let volumes: Vec<String> = template.data_volumes.iter().map(volume).collect();
    let _ = writeln!(text, "data_volumes = [{}]", volumes.join(", "));
    if let Some(ip) = &template.public_ip {
        match (ip.bandwidth_size, &ip.share_type) {
            (Some(size), Some(share_type)) => {
                let mut entries = vec![
                    ("ip_type", string(&ip.ip_type)),
                    ("bandwidth_size", size.to_string()),
                    ("share_type", string(share_type)),
                ];
                if let Some(mode) = &ip.charge_mode {
                    entries.push(("charge_mode", string(mode)));
                }
                let _ = writeln!(text, "public_ip = {}", inline(&entries));
            }
            _ => unexpressed.push(Unexpressed {
                field: "spec.nodeTemplate.publicIP".to_owned(),
                value: serde_json::to_string(ip).unwrap_or_default(),
            }),
        }
    }
    // The subnet is left out: CCE reports the one it chose even when
    // none was asked for, and the plan compares it only when set.
    if let Some(nic) = &template.nic {
        let mut entries = Vec::new();
        if !nic.fixed_ips.is_empty() {
            entries.push(("fixed_ips", string_array(&nic.fixed_ips)));
        }
        if let Some(block) = &nic.ip_block {
            entries.push(("ip_block", string(block)));
        }
        if !nic.subnet_list.is_empty() {
            entries.push(("subnet_list", string_array(&nic.subnet_list)));
        }
        if !entries.is_empty() {
            let _ = writeln!(text, "nic = {}", inline(&entries));
        }
    }
    if !template.k8s_labels.is_empty() {
        let _ = writeln!(text, "k8s_labels = {}", string_table(&template.k8s_labels));
    }
    if !template.taints.is_empty() {
        let taints: Vec<String> = template
            .taints
            .iter()
            .map(|taint| {
                let mut entries = vec![("key", string(&taint.key))];
                if !taint.value.is_empty() {
                    entries.push(("value", string(&taint.value)));
                }
                entries.push(("effect", string(&taint.effect)));
                inline(&entries)
            })
            .collect();
        let _ = writeln!(text, "taints = [{}]", taints.join(", "));
    }
    // Tags under CCE's own prefixes are refused by the configuration (and
    // by CCE on a create): said, not written.
    let (reserved, tags): (BTreeMap<String, String>, BTreeMap<String, String>) = template
        .user_tags
        .clone()
        .into_iter()
        .partition(|(name, _)| RESERVED_TAG_PREFIXES.iter().any(|p| name.starts_with(p)));
    for (name, value) in reserved {
        unexpressed.push(Unexpressed {
            field: format!("spec.nodeTemplate.userTags[{name}]"),
            value: Value::String(value).to_string(),
        });
    }
    if !tags.is_empty() {
        let _ = writeln!(text, "user_tags = {}", string_table(&tags));
    }
    if let Some(max_pods) = template.max_pods.filter(|&n| n != DEFAULT_MAX_PODS) {
        let _ = writeln!(text, "max_pods = {max_pods}");
    }
    let params: Vec<(&str, String)> = template
        .extend_params
        .iter()
        .filter(|(name, _)| {
            !DECORATION_EXTEND_PARAMS.contains(&name.as_str())
                && crate::config::EXTEND_PARAM_KEYS.contains(&name.as_str())
        })
        .map(|(name, value)| (name.as_str(), extend_param(name, value)))
        .collect();
    if !params.is_empty() {
        let _ = writeln!(text, "extend_params = {}", inline(&params));
    }
}

/// `lifecycle`, with each script moved into a file of its own.
fn write_lifecycle(
    text: &mut String,
    live: &LivePool,
    address: &PoolAddress,
    files: &mut Vec<ImportedFile>,
) {
    let template = &live.template;
    let is_default_pool = live.name == DEFAULT_POOL_NAME;
    let mut lifecycle = Vec::new();
    for (setting, suffix, script) in [
        (
            "pre_install",
            "pre-install",
            &template.lifecycle.pre_install,
        ),
        (
            "post_install",
            "post-install",
            &template.lifecycle.post_install,
        ),
    ] {
        if let Some(script) = script {
            let path = format!("scripts/{address}-{suffix}.sh");
            lifecycle.push((setting, inline(&[("file", string(&path))])));
            files.push(ImportedFile {
                path,
                contents: script.clone(),
            });
        }
    }
    if template.lifecycle.wait_post_install_finish && !is_default_pool {
        lifecycle.push(("wait_post_install_finish", "true".to_owned()));
    }
    if !lifecycle.is_empty() {
        let _ = writeln!(text, "lifecycle = {}", inline(&lifecycle));
    }
}

/// `autoscaling` and `server_group`.
fn write_scaling(text: &mut String, live: &LivePool) {
    if let Some(scaling) = live.autoscaling.as_ref().filter(|a| a.enabled) {
        let _ = writeln!(text, "autoscaling = {}", autoscaling(scaling));
    }
    if let Some(group) = &live.server_group {
        let _ = writeln!(text, "server_group = {}", string(group));
    }
}

/// Turns a live pool into configuration: one TOML file, and one file per
/// install script. `raw` is the pool as CCE answered (for the fields the
/// model does not keep); the synthetic DefaultPool has none.
pub fn import_pool(
    settings: &ImportSettings<'_>,
    live: &LivePool,
    raw: Option<&Value>,
) -> Result<ImportedPool, ImportError> {
    let address = address_for(settings.cluster, &live.name);
    let is_default_pool = live.name == DEFAULT_POOL_NAME;
    // The DefaultPool's template is CCE's alone (only its nodes can be
    // synchronised), so none of its fields is a field left unsaid.
    let mut unexpressed = raw
        .filter(|_| !is_default_pool)
        .map(unexpressed_fields)
        .unwrap_or_default();
    let mut files = Vec::new();
    let template = &live.template;

    let mut text = String::new();
    let _ = writeln!(text, "#:schema {}", settings.schema_path);
    let _ = writeln!(
        text,
        "# Imported by `poolform import` from pool `{}` of cluster `{}`.",
        live.name, settings.cluster
    );
    text.push('\n');
    let _ = writeln!(text, "[pools.{}]", key(address.as_str()));
    let _ = writeln!(text, "cluster = {}", string(settings.cluster.as_str()));
    let _ = writeln!(text, "name = {}", string(&live.name));

    if !is_default_pool {
        write_placement(&mut text, live);
    }
    let password_env = write_login(&mut text, live, &address, settings.cluster)?;
    if !is_default_pool {
        write_template(&mut text, template, &mut unexpressed);
    }
    write_lifecycle(&mut text, live, &address, &mut files);
    if !is_default_pool {
        write_scaling(&mut text, live);
    }

    if !unexpressed.is_empty() {
        text.push_str(
            "# CCE fields poolform's configuration cannot express. CCE keeps them as\n\
             # they are; poolform neither reads nor changes them:\n",
        );
        for field in &unexpressed {
            let _ = writeln!(text, "# {} = {}", field.field, field.value);
        }
    }

    text.push('\n');
    let _ = writeln!(text, "[pools.{}.rollout]", key(address.as_str()));
    text.push_str(
        "# How many nodes a sync may reset at once. 1 is the safe start: raise it\n\
         # (or write a share such as \"25%\") to what the pool's workloads can lose\n\
         # at once without harm, such as the spare capacity their disruption\n\
         # budgets leave.\n\
         max_unavailable = 1\n",
    );

    files.insert(
        0,
        ImportedFile {
            path: format!("{address}.toml"),
            contents: text,
        },
    );
    Ok(ImportedPool {
        address,
        name: live.name.clone(),
        files,
        unexpressed,
        password_env,
    })
}

#[cfg(test)]
mod tests {

    use super::*;

    #[test]
    fn password_variable_is_the_address_in_capitals() {
        assert_eq!(
            password_env_for(&PoolAddress::from("prod-a.general")),
            "NODE_PASSWORD_PROD_A_GENERAL"
        );
    }
}
