//! The attributes of a pool that poolform compares, and how a change to each
//! one reaches an existing pool and its nodes ([`Reach`]): the one place
//! that classifies a path.

use serde_json::{Value, json};

use crate::model::{DesiredPool, LivePool, NodeTemplate, Volume};

/// `extendParam` keys that UpdateNodePool accepts besides the scripts; every
/// other key can only be set when the pool is created.
pub const UPDATABLE_EXTEND_PARAMS: &[&str] = &[
    "agency_name",
    "alpha.cce/NodeImageID",
    "securityReinforcementType",
    "spotPrice",
];

/// Updatable `extendParam` keys that a reset applies to existing nodes: the
/// node image is the operating system. The other updatable keys reach new
/// nodes only.
const RESET_EXTEND_PARAMS: &[&str] = &["alpha.cce/NodeImageID"];

/// `extendParam` keys whose values are secrets: shown as `(sensitive value)`.
const SENSITIVE_EXTEND_PARAMS: &[&str] = &["init-node-password"];

/// What replaces a secret in plans.
pub const SENSITIVE: &str = "(sensitive value)";

/// How a change to an attribute reaches an existing pool and its nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// UpdateNodePool changes it and nothing else is needed: CCE pushes it to
    /// existing nodes itself (labels, taints, tags, sent with `refresh`) or
    /// it concerns the pool only (counts, autoscaling).
    InPlace,
    /// UpdateNodePool changes the template for nodes created from now on;
    /// existing nodes keep the old value, and a reset does not change it
    /// (disks, public IP, subnet, server group).
    NewNodesOnly,
    /// UpdateNodePool changes the template; existing nodes get it only by a
    /// reset (a sync).
    NeedsReset,
    /// CCE cannot change it on an existing pool.
    ForcesReplacement,
}

/// One compared attribute of a pool.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    /// Dotted path in poolform's vocabulary.
    pub path: String,
    /// The value shown in plans.
    pub value: Value,
    /// The value compared (differs from `value` only for a password login).
    pub key: Value,
    /// How a change reaches the pool and its nodes.
    pub reach: Reach,
}

/// The attributes of one pool that the desired pool manages, in display order.
///
/// `template` and the counts come from either side; `desired` decides which
/// optional attributes are managed, so both sides list the same paths.
pub fn pool_attributes(
    desired: &DesiredPool,
    template: &NodeTemplate,
    node_count: Option<u32>,
    autoscaling: Option<&crate::model::Autoscaling>,
    server_group: Option<&str>,
) -> Vec<Attribute> {
    fn plain(path: &str, value: Value) -> Attribute {
        Attribute {
            path: path.to_owned(),
            value: without_empty_fields(value.clone()),
            key: value,
            reach: reach_of_path(path),
        }
    }
    let wanted = &desired.template;
    let mut attributes = vec![
        plain("pool_type", json!(template.pool_type)),
        plain("flavor", json!(template.flavor)),
        plain("az", json!(template.az)),
        plain("os", json!(template.os)),
        plain("runtime", json!(template.runtime)),
        plain("login.ssh_key", json!(template.login.ssh_key)),
    ];
    let password = &template.login.password;
    attributes.push(Attribute {
        path: "login.password".to_owned(),
        value: match password {
            // The environment variable name is shown so reviewers see where
            // the secret comes from; the secret itself is never read here.
            Some(reference) if !reference.env.is_empty() => {
                json!({"username": reference.username, "env": reference.env})
            }
            Some(reference) => json!({"username": reference.username}),
            None => Value::Null,
        },
        // The variable counts where it is known: CCE never returns a
        // password, so a live pool's is known only from poolform's journal
        // of its last apply (see `live_attributes`).
        key: json!(
            password
                .as_ref()
                .map(|reference| { json!({"username": reference.username, "env": reference.env}) })
        ),
        reach: reach_of_path("login.password"),
    });
    // A volume compares only in what the configuration sets: CCE adds its
    // own details to the disks it reports (`extendParam.useType`, …).
    let root_volume = managed_volume(&template.root_volume, Some(&wanted.root_volume));
    let data_volumes: Vec<Volume> = template
        .data_volumes
        .iter()
        .enumerate()
        .map(|(index, volume)| managed_volume(volume, wanted.data_volumes.get(index)))
        .collect();
    attributes.extend([
        plain("root_volume", json!(root_volume)),
        plain("data_volumes", json!(data_volumes)),
        plain("public_ip", json!(template.public_ip)),
    ]);
    if let Some(wanted_nic) = &wanted.nic {
        // Each NIC field compares only when the configuration sets it: CCE
        // reports the subnet it chose even when none was asked for.
        let nic = template.nic.clone().unwrap_or_default();
        if wanted_nic.subnet_id.is_some() {
            attributes.push(plain("nic.subnet_id", json!(nic.subnet_id)));
        }
        if !wanted_nic.subnet_list.is_empty() {
            attributes.push(plain("nic.subnet_list", json!(nic.subnet_list)));
        }
        if !wanted_nic.fixed_ips.is_empty() {
            attributes.push(plain("nic.fixed_ips", json!(nic.fixed_ips)));
        }
        if wanted_nic.ip_block.is_some() {
            attributes.push(plain("nic.ip_block", json!(nic.ip_block)));
        }
    }
    attributes.extend([
        plain("k8s_labels", json!(template.k8s_labels)),
        plain("taints", json!(template.taints)),
        plain("user_tags", json!(template.user_tags)),
    ]);
    if wanted.max_pods.is_some() {
        // maxPods is not in NodeSpecUpdate's extendParam: only a new pool
        // gets a new value.
        attributes.push(plain("max_pods", json!(template.max_pods)));
    }
    for key in wanted.extend_params.keys() {
        let path = format!("extend_params.{key}");
        let reach = reach_of_path(&path);
        let raw = json!(template.extend_params.get(key));
        let shown = if SENSITIVE_EXTEND_PARAMS.contains(&key.as_str()) && !raw.is_null() {
            json!(SENSITIVE)
        } else {
            raw.clone()
        };
        attributes.push(Attribute {
            path,
            value: shown,
            key: raw,
            reach,
        });
    }
    attributes.extend([
        plain(
            "lifecycle.pre_install",
            json!(template.lifecycle.pre_install),
        ),
        plain(
            "lifecycle.post_install",
            json!(template.lifecycle.post_install),
        ),
        plain(
            "lifecycle.wait_post_install_finish",
            json!(template.lifecycle.wait_post_install_finish),
        ),
    ]);
    if desired.node_count.is_some() {
        attributes.push(plain("node_count", json!(node_count)));
    }
    if desired.autoscaling.is_some() {
        attributes.push(plain("autoscaling", json!(autoscaling)));
    }
    if desired.server_group.is_some() {
        // Sent as `nodeManagementUpdate`; ECS servers already running stay
        // in the group they were created in.
        attributes.push(plain("server_group", json!(server_group)));
    }
    attributes
}

/// A value for display: fields of nested objects that are null or empty
/// objects are left out (`{"size":50,"volume_type":"GPSSD"}` rather than a
/// row of nulls). Comparison uses the full value.
fn without_empty_fields(value: Value) -> Value {
    match value {
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .map(|(key, value)| (key, without_empty_fields(value)))
                .filter(|(_, value)| {
                    !value.is_null() && !value.as_object().is_some_and(serde_json::Map::is_empty)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_empty_fields).collect()),
        other => other,
    }
}

/// The attributes of the desired pool.
pub fn desired_attributes(desired: &DesiredPool) -> Vec<Attribute> {
    pool_attributes(
        desired,
        &desired.template,
        desired.node_count,
        desired.autoscaling.as_ref(),
        desired.server_group.as_deref(),
    )
}

/// The attributes of the live pool, as far as `desired` manages them.
pub fn live_attributes(desired: &DesiredPool, live: &LivePool) -> Vec<Attribute> {
    // Older responses leave the runtime out (the cluster's default applies);
    // what CCE does not report is no difference.
    let mut template = std::borrow::Cow::Borrowed(&live.template);
    if live.template.runtime.name.is_empty() {
        template.to_mut().runtime = desired.template.runtime.clone();
    }
    // Which variable a live password came from is unknown unless the
    // journal says: unknown is no difference.
    if let (Some(live_password), Some(wanted)) = (
        &live.template.login.password,
        &desired.template.login.password,
    ) && live_password.env.is_empty()
        && let Some(password) = template.to_mut().login.password.as_mut()
    {
        password.env.clone_from(&wanted.env);
    }
    pool_attributes(
        desired,
        &template,
        Some(live.node_count),
        live.autoscaling.as_ref(),
        live.server_group.as_deref(),
    )
}

/// A JSON object of attributes by path, for Terraform-style before/after.
pub fn attributes_object(attributes: &[Attribute]) -> Value {
    Value::Object(
        attributes
            .iter()
            .map(|attribute| (attribute.path.clone(), attribute.value.clone()))
            .collect(),
    )
}

/// How a change to the attribute at `path` reaches the pool and its nodes:
/// the one classification, used by [`pool_attributes`] for every attribute
/// and by renderers that only have the path.
pub fn reach_of_path(path: &str) -> Reach {
    match path {
        "pool_type" | "flavor" | "az" | "nic.fixed_ips" | "nic.ip_block" | "max_pods" => {
            Reach::ForcesReplacement
        }
        "os"
        | "runtime"
        | "login.ssh_key"
        | "login.password"
        | "lifecycle.pre_install"
        | "lifecycle.post_install"
        | "lifecycle.wait_post_install_finish" => Reach::NeedsReset,
        "root_volume" | "data_volumes" | "public_ip" | "nic.subnet_id" | "nic.subnet_list"
        | "server_group" => Reach::NewNodesOnly,
        other => match other.strip_prefix("extend_params.") {
            Some(key) => extend_param_reach(key),
            None => Reach::InPlace,
        },
    }
}

fn extend_param_reach(key: &str) -> Reach {
    if RESET_EXTEND_PARAMS.contains(&key) {
        Reach::NeedsReset
    } else if UPDATABLE_EXTEND_PARAMS.contains(&key) {
        Reach::NewNodesOnly
    } else {
        Reach::ForcesReplacement
    }
}

/// A volume as far as `wanted` sets it: optional details and `extendParam`
/// keys the configuration leaves out are dropped, so that what CCE adds on
/// its own (`useType`, passthrough, …) is not a change. Without a wanted
/// volume (an extra disk), the whole volume counts.
fn managed_volume(volume: &Volume, wanted: Option<&Volume>) -> Volume {
    let Some(wanted) = wanted else {
        return volume.clone();
    };
    Volume {
        volume_type: volume.volume_type.clone(),
        size: volume.size,
        iops: volume.iops.filter(|_| wanted.iops.is_some()),
        throughput: volume.throughput.filter(|_| wanted.throughput.is_some()),
        passthrough: volume.passthrough.filter(|_| wanted.passthrough.is_some()),
        encrypted: volume.encrypted.filter(|_| wanted.encrypted.is_some()),
        cmk_id: volume.cmk_id.clone().filter(|_| wanted.cmk_id.is_some()),
        extend_params: volume
            .extend_params
            .iter()
            .filter(|(key, _)| wanted.extend_params.contains_key(*key))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect(),
    }
}
