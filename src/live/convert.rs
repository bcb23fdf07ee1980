//! Conversions between CCE wire types and poolform's model.
//!
//! Both directions live together so that they stay inverse to each other: a
//! template sent to CCE and read back must compare equal, or every plan after
//! an apply would show phantom changes.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::wire;
use crate::model::{
    Autoscaling, Lifecycle, LiveNode, LivePool, Login, NicSpec, NodeConfig, NodeId, NodePhase,
    NodeTemplate, PasswordRef, PoolId, PublicIp, Runtime, Taint, Volume,
};

/// The `extendParam` key of the pre-install script.
pub const PRE_INSTALL_KEY: &str = "alpha.cce/preInstall";
/// The `extendParam` key of the post-install script.
pub const POST_INSTALL_KEY: &str = "alpha.cce/postInstall";
/// The `extendParam` key of the pod limit.
pub const MAX_PODS_KEY: &str = "maxPods";
/// Labels with this marker are added by CCE and never compared.
pub const SYSTEM_LABEL_MARKER: &str = "cce.cloud.com";

/// Encodes a script the way CCE expects it.
pub fn encode_script(script: &str) -> String {
    BASE64.encode(script.as_bytes())
}

/// Decodes a script; a value that is not valid base64 UTF-8 is kept as is, so
/// that a hand-made live value still shows up in diffs.
pub fn decode_script(encoded: &str) -> String {
    BASE64
        .decode(encoded.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .unwrap_or_else(|| encoded.to_owned())
}

/// Hex SHA-256 of a value's JSON form: the fingerprint of an object as read.
pub fn fingerprint<T: serde::Serialize>(value: &T) -> String {
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    hex::encode(Sha256::digest(&bytes))
}

fn value_to_string(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn value_to_u32(value: &Value) -> Option<u32> {
    match value {
        Value::Number(number) => number.as_u64().and_then(|n| u32::try_from(n).ok()),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

fn volume_from_wire(volume: &wire::Volume) -> Volume {
    let metadata = volume.metadata.clone().unwrap_or_default();
    Volume {
        volume_type: volume.volumetype.clone(),
        size: volume.size,
        iops: volume.iops,
        throughput: volume.throughput,
        passthrough: volume.passthrough,
        encrypted: metadata.encrypted.as_deref().map(|flag| flag == "1"),
        cmk_id: metadata.cmk_id,
        extend_params: volume
            .extend_param
            .iter()
            .flatten()
            .map(|(key, value)| (key.clone(), value_to_string(value)))
            .collect(),
    }
}

fn volume_to_wire(volume: &Volume) -> wire::Volume {
    let metadata =
        (volume.encrypted.is_some() || volume.cmk_id.is_some()).then(|| wire::VolumeMetadata {
            encrypted: volume
                .encrypted
                .map(|flag| if flag { "1" } else { "0" }.to_owned()),
            cmk_id: volume.cmk_id.clone(),
        });
    wire::Volume {
        size: volume.size,
        volumetype: volume.volume_type.clone(),
        iops: volume.iops,
        throughput: volume.throughput,
        extend_param: (!volume.extend_params.is_empty()).then(|| {
            volume
                .extend_params
                .iter()
                .map(|(key, value)| (key.clone(), Value::String(value.clone())))
                .collect()
        }),
        passthrough: volume.passthrough,
        metadata,
    }
}

/// Reads a wire login. CCE never returns passwords, so a live password login
/// carries only the user name.
pub fn login_from_wire(login: Option<&wire::Login>) -> Login {
    let Some(login) = login else {
        return Login::default();
    };
    Login {
        ssh_key: login.ssh_key.clone().filter(|key| !key.is_empty()),
        password: login.user_password.as_ref().map(|user| PasswordRef {
            username: user.username.clone().unwrap_or_else(|| "root".to_owned()),
            env: String::new(),
        }),
        remove_password: login.remove_user_password.unwrap_or(false),
        remove_ssh_key: login.remove_ssh_key.unwrap_or(false),
    }
}

/// Builds a wire login. `password` is the secret read from the environment
/// at apply time; plans pass `None` and never hold it.
pub fn login_to_wire(login: &Login, password: Option<&str>) -> wire::Login {
    wire::Login {
        ssh_key: login.ssh_key.clone(),
        user_password: login.password.as_ref().map(|reference| wire::UserPassword {
            username: Some(reference.username.clone()),
            password: password.unwrap_or_default().to_owned(),
        }),
        remove_user_password: login.remove_password.then_some(true),
        remove_ssh_key: login.remove_ssh_key.then_some(true),
    }
}

/// Reads a pool's node template, dropping what CCE manages itself.
pub fn template_from_wire(pool_type: Option<&str>, template: &wire::NodeTemplate) -> NodeTemplate {
    let mut extend_params: BTreeMap<String, String> = template
        .extend_param
        .iter()
        .flatten()
        .map(|(key, value)| (key.clone(), value_to_string(value)))
        .collect();
    let max_pods = extend_params
        .remove(MAX_PODS_KEY)
        .and_then(|raw| raw.trim().parse().ok());
    let pre_install = extend_params
        .remove(PRE_INSTALL_KEY)
        .filter(|s| !s.is_empty())
        .map(|s| decode_script(&s));
    let post_install = extend_params
        .remove(POST_INSTALL_KEY)
        .filter(|s| !s.is_empty())
        .map(|s| decode_script(&s));
    let primary = template
        .node_nic_spec
        .as_ref()
        .and_then(|nic| nic.primary_nic.as_ref());
    NodeTemplate {
        pool_type: pool_type.unwrap_or("vm").to_owned(),
        flavor: template.flavor.clone().unwrap_or_default(),
        az: template.az.clone().unwrap_or_default(),
        os: template.os.clone().unwrap_or_default(),
        runtime: template
            .runtime
            .as_ref()
            .map(|runtime| Runtime {
                name: runtime.name.clone(),
                runtime_class: runtime.runtime_class.clone(),
            })
            .unwrap_or_default(),
        login: login_from_wire(template.login.as_ref()),
        root_volume: template
            .root_volume
            .as_ref()
            .map(volume_from_wire)
            .unwrap_or_default(),
        data_volumes: template
            .data_volumes
            .iter()
            .flatten()
            .map(volume_from_wire)
            .collect(),
        public_ip: template.public_ip.as_ref().and_then(|ip| {
            ip.eip.as_ref().map(|eip| PublicIp {
                ip_type: eip.iptype.clone(),
                charge_mode: eip.bandwidth.as_ref().and_then(|b| b.chargemode.clone()),
                bandwidth_size: eip.bandwidth.as_ref().and_then(|b| b.size),
                share_type: eip.bandwidth.as_ref().and_then(|b| b.sharetype.clone()),
            })
        }),
        nic: primary.map(|nic| NicSpec {
            subnet_id: nic.subnet_id.clone(),
            fixed_ips: nic.fixed_ips.clone().unwrap_or_default(),
            ip_block: nic.ip_block.clone(),
            subnet_list: nic.subnet_list.clone().unwrap_or_default(),
        }),
        k8s_labels: template
            .k8s_tags
            .iter()
            .flatten()
            .filter(|(key, _)| !key.contains(SYSTEM_LABEL_MARKER))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect(),
        taints: template
            .taints
            .iter()
            .flatten()
            .map(|taint| Taint {
                key: taint.key.clone(),
                value: taint.value.clone().unwrap_or_default(),
                effect: taint.effect.clone(),
            })
            .collect(),
        user_tags: template
            .user_tags
            .iter()
            .flatten()
            .map(|tag| (tag.key.clone(), tag.value.clone()))
            .collect(),
        max_pods,
        extend_params,
        lifecycle: Lifecycle {
            pre_install,
            post_install,
            wait_post_install_finish: template.wait_post_install_finish.unwrap_or(false),
        },
    }
}

/// Builds a wire node template. `password` as in [`login_to_wire`].
pub fn template_to_wire(template: &NodeTemplate, password: Option<&str>) -> wire::NodeTemplate {
    let mut extend_param: BTreeMap<String, Value> = template
        .extend_params
        .iter()
        .map(|(key, value)| (key.clone(), Value::String(value.clone())))
        .collect();
    if let Some(max_pods) = template.max_pods {
        extend_param.insert(MAX_PODS_KEY.to_owned(), Value::from(max_pods));
    }
    if let Some(script) = &template.lifecycle.pre_install {
        extend_param.insert(
            PRE_INSTALL_KEY.to_owned(),
            Value::String(encode_script(script)),
        );
    }
    if let Some(script) = &template.lifecycle.post_install {
        extend_param.insert(
            POST_INSTALL_KEY.to_owned(),
            Value::String(encode_script(script)),
        );
    }
    wire::NodeTemplate {
        flavor: Some(template.flavor.clone()),
        az: Some(template.az.clone()),
        os: Some(template.os.clone()),
        login: Some(login_to_wire(&template.login, password)),
        root_volume: Some(volume_to_wire(&template.root_volume)),
        data_volumes: Some(template.data_volumes.iter().map(volume_to_wire).collect()),
        public_ip: template.public_ip.as_ref().map(|ip| wire::PublicIp {
            ids: None,
            count: Some(1),
            eip: Some(wire::Eip {
                iptype: ip.ip_type.clone(),
                bandwidth: Some(wire::Bandwidth {
                    chargemode: ip.charge_mode.clone(),
                    size: ip.bandwidth_size,
                    sharetype: ip.share_type.clone(),
                }),
            }),
        }),
        node_nic_spec: template.nic.as_ref().map(|nic| wire::NodeNicSpec {
            primary_nic: Some(wire::PrimaryNic {
                subnet_id: nic.subnet_id.clone(),
                fixed_ips: (!nic.fixed_ips.is_empty()).then(|| nic.fixed_ips.clone()),
                ip_block: nic.ip_block.clone(),
                subnet_list: (!nic.subnet_list.is_empty()).then(|| nic.subnet_list.clone()),
            }),
        }),
        count: None,
        billing_mode: Some(0),
        taints: Some(
            template
                .taints
                .iter()
                .map(|taint| wire::Taint {
                    key: taint.key.clone(),
                    value: (!taint.value.is_empty()).then(|| taint.value.clone()),
                    effect: taint.effect.clone(),
                })
                .collect(),
        ),
        wait_post_install_finish: Some(template.lifecycle.wait_post_install_finish),
        k8s_tags: Some(template.k8s_labels.clone()),
        user_tags: Some(
            template
                .user_tags
                .iter()
                .map(|(key, value)| wire::UserTag {
                    key: key.clone(),
                    value: value.clone(),
                })
                .collect(),
        ),
        runtime: Some(wire::Runtime {
            name: template.runtime.name.clone(),
            runtime_class: template.runtime.runtime_class.clone(),
        }),
        extend_param: (!extend_param.is_empty()).then_some(extend_param),
    }
}

/// Builds the wire `lifeCycle` of a sync from the desired template.
pub fn lifecycle_to_wire(lifecycle: &Lifecycle) -> wire::LifeCycle {
    wire::LifeCycle {
        pre_install: lifecycle.pre_install.as_deref().map(encode_script),
        post_install: lifecycle.post_install.as_deref().map(encode_script),
        wait_post_install_finish: Some(lifecycle.wait_post_install_finish),
    }
}

/// Reads autoscaling.
pub fn autoscaling_from_wire(autoscaling: Option<&wire::Autoscaling>) -> Option<Autoscaling> {
    autoscaling.map(|a| Autoscaling {
        enabled: a.enable,
        min: a.min_node_count.unwrap_or(0),
        max: a.max_node_count.unwrap_or(0),
        scale_down_cooldown_minutes: a.scale_down_cooldown_time,
        priority: a.priority,
    })
}

/// Builds wire autoscaling.
pub fn autoscaling_to_wire(autoscaling: &Autoscaling) -> wire::Autoscaling {
    wire::Autoscaling {
        enable: autoscaling.enabled,
        min_node_count: Some(autoscaling.min),
        max_node_count: Some(autoscaling.max),
        scale_down_cooldown_time: autoscaling.scale_down_cooldown_minutes,
        priority: autoscaling.priority,
    }
}

/// Reads a live pool (without its nodes; `live::fetch` attaches them).
pub fn pool_from_wire(pool: &wire::NodePool) -> LivePool {
    let status = pool.status.clone().unwrap_or_default();
    LivePool {
        id: PoolId(pool.metadata.uid.clone().unwrap_or_default()),
        name: pool.metadata.name.clone(),
        template: template_from_wire(pool.spec.pool_type.as_deref(), &pool.spec.node_template),
        node_count: pool.spec.initial_node_count.unwrap_or(0),
        autoscaling: autoscaling_from_wire(pool.spec.autoscaling.as_ref()),
        server_group: pool
            .spec
            .node_management
            .as_ref()
            .and_then(|m| m.server_group_reference.clone())
            .filter(|s| !s.is_empty()),
        phase: status.phase,
        updated_at: pool.metadata.update_timestamp.clone(),
        fingerprint: fingerprint(&(&pool.metadata, &pool.spec)),
        nodes: Vec::new(),
    }
}

/// Reads a live node.
pub fn node_from_wire(node: &wire::Node) -> LiveNode {
    let status = node.status.clone().unwrap_or_default();
    let spec = &node.spec;
    let extend = spec.extend_param.clone().unwrap_or_default();
    LiveNode {
        id: NodeId(node.metadata.uid.clone()),
        name: node.metadata.name.clone(),
        az: spec.az.clone().unwrap_or_default(),
        phase: NodePhase::parse(&status.phase),
        up_to_date: status.configuration_up_to_date,
        config: NodeConfig {
            os: spec.os.clone(),
            runtime: spec.runtime.as_ref().map(|runtime| runtime.name.clone()),
            ssh_key: spec.login.as_ref().and_then(|login| login.ssh_key.clone()),
            root_volume: spec.root_volume.as_ref().map(volume_from_wire),
            data_volumes: spec
                .data_volumes
                .as_ref()
                .map(|volumes| volumes.iter().map(volume_from_wire).collect()),
            max_pods: extend.get(MAX_PODS_KEY).and_then(value_to_u32),
            pre_install: extend
                .get(PRE_INSTALL_KEY)
                .map(|v| decode_script(&value_to_string(v))),
            post_install: extend
                .get(POST_INSTALL_KEY)
                .map(|v| decode_script(&value_to_string(v))),
        },
        fingerprint: fingerprint(&(&node.metadata, &node.spec, &status)),
    }
}

/// The pool id a node names, from `ownerReferences` or the pool annotation.
pub fn node_pool_id(node: &wire::Node) -> Option<String> {
    node.metadata
        .owner_references
        .as_ref()
        .and_then(|owner| owner.nodepool_id.clone())
        .or_else(|| {
            node.metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get(wire::NODE_POOL_ANNOTATION).cloned())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> NodeTemplate {
        NodeTemplate {
            pool_type: "vm".into(),
            flavor: "c7.large.2".into(),
            az: "ap-southeast-1a".into(),
            os: "Huawei Cloud EulerOS 2.0".into(),
            runtime: Runtime {
                name: "containerd".into(),
                runtime_class: None,
            },
            login: Login {
                ssh_key: Some("kp1".into()),
                ..Login::default()
            },
            root_volume: Volume {
                volume_type: "GPSSD".into(),
                size: 50,
                ..Volume::default()
            },
            data_volumes: vec![Volume {
                volume_type: "GPSSD".into(),
                size: 100,
                encrypted: Some(true),
                ..Volume::default()
            }],
            k8s_labels: BTreeMap::from([("team".into(), "a".into())]),
            taints: vec![Taint {
                key: "k".into(),
                value: "v".into(),
                effect: "NoSchedule".into(),
            }],
            user_tags: BTreeMap::from([("env".into(), "dev".into())]),
            max_pods: Some(110),
            lifecycle: Lifecycle {
                pre_install: None,
                post_install: Some("echo hi\n".into()),
                wait_post_install_finish: true,
            },
            ..NodeTemplate::default()
        }
    }

    #[test]
    fn template_round_trips() {
        let template = sample();
        let mut wire = template_to_wire(&template, None);
        // CCE adds its own label; it must not show up as a change.
        wire.k8s_tags
            .get_or_insert_with(BTreeMap::new)
            .insert("cce.cloud.com/cce-nodepool".into(), "np".into());
        assert_eq!(template_from_wire(Some("vm"), &wire), template);
    }

    #[test]
    fn scripts_are_base64() {
        assert_eq!(encode_script("echo hi"), "ZWNobyBoaQ==");
        assert_eq!(decode_script("ZWNobyBoaQ=="), "echo hi");
        assert_eq!(decode_script("not base64!"), "not base64!");
    }
}
