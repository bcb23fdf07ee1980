//! The node template both ways: CCE's `nodeTemplate` read into the model,
//! and the model written as the template of a create, an update or a sync.
//!
//! Both directions live together so that they stay inverse to each other: a
//! template sent to CCE and read back must compare equal, or every plan after
//! an apply would show phantom changes.

use std::collections::BTreeMap;

use serde_json::Value;

use super::encoding::{
    MAX_PODS_KEY, POST_INSTALL_KEY, PRE_INSTALL_KEY, decode_script, encode_script,
};
use crate::live::{request, wire};
use crate::model::{
    Autoscaling, Lifecycle, Login, NicSpec, NodeTemplate, PasswordRef, PublicIp, Runtime,
    SYSTEM_LABEL_MARKER, Taint, Volume,
};

fn value_to_string(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
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
    let ssh_key = login.ssh_key.clone().filter(|key| !key.is_empty());
    // A key-pair pool comes back with `"userPassword": {}` beside its key:
    // an empty placeholder, not a password login. Only a user password that
    // names its user, or one on a pool without a key, is a password login.
    let password = login
        .user_password
        .as_ref()
        .filter(|user| {
            let named = user
                .username
                .as_deref()
                .is_some_and(|name| !name.is_empty());
            named || !user.password.is_empty() || ssh_key.is_none()
        })
        .map(|user| PasswordRef {
            username: user
                .username
                .clone()
                .filter(|name| !name.is_empty())
                .unwrap_or_else(|| "root".to_owned()),
            env: String::new(),
        });
    Login {
        ssh_key,
        password,
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

/// Reads a pool template's `publicIP`, in either shape CCE answers with.
/// `{"eip":{"bandwidth":{}}}`, which CCE returns for a pool without an EIP,
/// has no EIP type: it is no EIP.
fn public_ip_from_wire(ip: &wire::PublicIp) -> Option<PublicIp> {
    let (iptype, bandwidth) = match &ip.eip {
        Some(eip) => (Some(eip.iptype.as_str()), eip.bandwidth.as_ref()),
        None => (ip.iptype.as_deref(), ip.bandwidth.as_ref()),
    };
    let iptype = iptype.filter(|iptype| !iptype.is_empty())?;
    Some(PublicIp {
        ip_type: iptype.to_owned(),
        charge_mode: bandwidth.and_then(|b| b.chargemode.clone()),
        bandwidth_size: bandwidth.and_then(|b| b.size),
        share_type: bandwidth.and_then(|b| b.sharetype.clone()),
    })
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
        public_ip: template.public_ip.as_ref().and_then(public_ip_from_wire),
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

/// `NodeExtendParam` keys the SDK types as integers; every other key poolform
/// sends is a string.
pub const INTEGER_EXTEND_PARAMS: &[&str] = &[
    MAX_PODS_KEY,
    "periodNum",
    "dockerBaseSize",
    "containerBaseSize",
    "chargingMode",
    "kubeReservedMem",
    "systemReservedMem",
    "kubeReservedCpu",
    "systemReservedCpu",
    "kubeReservedPid",
    "systemReservedPid",
    "kubeReservedStorage",
    "systemReservedStorage",
];

/// `extendParam` keys an update takes (SDK `NodePoolUpdateExtendParam`);
/// every other key is set when a pool is created and never changes.
pub const UPDATE_EXTEND_PARAMS: &[&str] = &[
    "agency_name",
    PRE_INSTALL_KEY,
    POST_INSTALL_KEY,
    "spotPrice",
    "securityReinforcementType",
    "alpha.cce/NodeImageID",
];

/// An `extendParam` value as the SDK types it: an integer for the keys of
/// [`INTEGER_EXTEND_PARAMS`] (the configuration validates them), a string
/// otherwise.
pub fn extend_param_value(key: &str, value: &str) -> Value {
    if INTEGER_EXTEND_PARAMS.contains(&key)
        && let Ok(number) = value.trim().parse::<i64>()
    {
        return Value::from(number);
    }
    Value::String(value.to_owned())
}

/// The `extendParam` of a template: its keys typed, plus `maxPods` and the
/// encoded scripts.
fn extend_param_to_wire(template: &NodeTemplate) -> BTreeMap<String, Value> {
    let mut extend_param: BTreeMap<String, Value> = template
        .extend_params
        .iter()
        .map(|(key, value)| (key.clone(), extend_param_value(key, value)))
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
    extend_param
}

fn taints_to_wire(template: &NodeTemplate) -> Vec<wire::Taint> {
    template
        .taints
        .iter()
        .map(|taint| wire::Taint {
            key: taint.key.clone(),
            value: (!taint.value.is_empty()).then(|| taint.value.clone()),
            effect: taint.effect.clone(),
        })
        .collect()
}

fn user_tags_to_wire(template: &NodeTemplate) -> Vec<wire::UserTag> {
    template
        .user_tags
        .iter()
        .map(|(key, value)| wire::UserTag {
            key: key.clone(),
            value: value.clone(),
        })
        .collect()
}

fn runtime_to_wire(template: &NodeTemplate) -> wire::Runtime {
    wire::Runtime {
        name: template.runtime.name.clone(),
        runtime_class: template.runtime.runtime_class.clone(),
    }
}

fn eip_to_wire(ip: &PublicIp) -> request::EipSpec {
    request::EipSpec {
        iptype: ip.ip_type.clone(),
        bandwidth: Some(wire::Bandwidth {
            chargemode: ip.charge_mode.clone(),
            size: ip.bandwidth_size,
            sharetype: ip.share_type.clone(),
        }),
    }
}

fn primary_nic_to_wire(nic: &NicSpec) -> wire::PrimaryNic {
    wire::PrimaryNic {
        subnet_id: nic.subnet_id.clone(),
        fixed_ips: (!nic.fixed_ips.is_empty()).then(|| nic.fixed_ips.clone()),
        ip_block: nic.ip_block.clone(),
        subnet_list: (!nic.subnet_list.is_empty()).then(|| nic.subnet_list.clone()),
    }
}

/// The node template of a CreateNodePool body (SDK `NodeTemplate`). A
/// password login carries an empty password; apply salts and fills it in.
pub fn create_template(template: &NodeTemplate) -> request::CreateNodeTemplate {
    let mut login = login_to_wire(&template.login, None);
    // The remove flags are instructions for an update or a sync.
    login.remove_user_password = None;
    login.remove_ssh_key = None;
    request::CreateNodeTemplate {
        flavor: template.flavor.clone(),
        az: template.az.clone(),
        os: template.os.clone(),
        login,
        root_volume: volume_to_wire(&template.root_volume),
        data_volumes: template.data_volumes.iter().map(volume_to_wire).collect(),
        public_ip: template.public_ip.as_ref().map(eip_to_wire),
        node_nic_spec: template.nic.as_ref().map(|nic| request::NicSpec {
            primary_nic: primary_nic_to_wire(nic),
        }),
        billing_mode: 0,
        taints: taints_to_wire(template),
        wait_post_install_finish: template.lifecycle.wait_post_install_finish,
        k8s_tags: template.k8s_labels.clone(),
        user_tags: user_tags_to_wire(template),
        runtime: runtime_to_wire(template),
        extend_param: extend_param_to_wire(template),
    }
}

/// The node template of an UpdateNodePool body (SDK `NodeSpecUpdate`): the
/// update's own names for disks and subnet, only the `extendParam` keys an
/// update takes, and nothing that only a create takes.
pub fn update_template(template: &NodeTemplate) -> request::NodeSpecUpdate {
    let mut extend_param = extend_param_to_wire(template);
    extend_param.retain(|key, _| UPDATE_EXTEND_PARAMS.contains(&key.as_str()));
    let mut login = login_to_wire(&template.login, None);
    // Switching a pool between key and password login must drop the other
    // kind: CCE merges the login of an update into the pool's, so a key left
    // in place would keep every reset node out of date.
    if login.user_password.is_some() && login.ssh_key.is_none() {
        login.remove_ssh_key = Some(true);
    }
    if login.ssh_key.is_some() && login.user_password.is_none() {
        login.remove_user_password = Some(true);
    }
    request::NodeSpecUpdate {
        os: template.os.clone(),
        login,
        root_volume_update: volume_to_wire(&template.root_volume),
        data_volumes_update: template.data_volumes.iter().map(volume_to_wire).collect(),
        runtime: runtime_to_wire(template),
        taints: taints_to_wire(template),
        wait_post_install_finish: template.lifecycle.wait_post_install_finish,
        k8s_tags: template.k8s_labels.clone(),
        user_tags: user_tags_to_wire(template),
        // Fixed IPs and an IP block belong to a create; an update takes the
        // subnets only.
        node_nic_spec_update: template.nic.as_ref().map(|nic| request::NicSpecUpdate {
            primary_nic: request::PrimaryNicUpdate {
                subnet_id: nic.subnet_id.clone(),
                subnet_list: (!nic.subnet_list.is_empty()).then(|| nic.subnet_list.clone()),
            },
        }),
        extend_param,
        public_ip: template.public_ip.as_ref().map(eip_to_wire),
    }
}

/// A pool template as CCE reports it in a pool response, for simulators and
/// tests that seed live state (poolform never sends this shape).
pub fn template_to_wire(template: &NodeTemplate, password: Option<&str>) -> wire::NodeTemplate {
    wire::NodeTemplate {
        flavor: Some(template.flavor.clone()),
        az: Some(template.az.clone()),
        os: Some(template.os.clone()),
        login: Some(login_to_wire(&template.login, password)),
        root_volume: Some(volume_to_wire(&template.root_volume)),
        data_volumes: Some(template.data_volumes.iter().map(volume_to_wire).collect()),
        public_ip: template.public_ip.as_ref().map(|ip| wire::PublicIp {
            iptype: None,
            bandwidth: None,
            ids: None,
            count: None,
            eip: Some(wire::Eip {
                iptype: ip.ip_type.clone(),
                bandwidth: eip_to_wire(ip).bandwidth,
            }),
        }),
        node_nic_spec: template.nic.as_ref().map(|nic| wire::NodeNicSpec {
            primary_nic: Some(primary_nic_to_wire(nic)),
        }),
        count: None,
        billing_mode: Some(0),
        taints: Some(taints_to_wire(template)),
        wait_post_install_finish: Some(template.lifecycle.wait_post_install_finish),
        k8s_tags: Some(template.k8s_labels.clone()),
        user_tags: Some(user_tags_to_wire(template)),
        runtime: Some(runtime_to_wire(template)),
        extend_param: Some(extend_param_to_wire(template)).filter(|map| !map.is_empty()),
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
    fn extend_params_are_typed_as_the_sdk_types_them() {
        let mut template = sample();
        for (key, value) in [
            ("dockerBaseSize", "20"),
            ("containerBaseSize", "30"),
            ("periodNum", "1"),
            ("kubeReservedMem", "500"),
            ("systemReservedCpu", "200"),
            ("agency_name", "agency"),
            ("isAutoPay", "true"),
        ] {
            template.extend_params.insert(key.into(), value.into());
        }
        let body = serde_json::to_value(create_template(&template)).expect("json");
        let extend = &body["extendParam"];
        assert_eq!(extend["maxPods"], serde_json::json!(110));
        assert_eq!(extend["dockerBaseSize"], serde_json::json!(20));
        assert_eq!(extend["containerBaseSize"], serde_json::json!(30));
        assert_eq!(extend["periodNum"], serde_json::json!(1));
        assert_eq!(extend["kubeReservedMem"], serde_json::json!(500));
        assert_eq!(extend["systemReservedCpu"], serde_json::json!(200));
        assert_eq!(extend["agency_name"], serde_json::json!("agency"));
        assert_eq!(extend["isAutoPay"], serde_json::json!("true"));
        // Read back (CCE answers with integers), they compare equal.
        let wire: wire::NodeTemplate = serde_json::from_value(body).expect("readable");
        assert_eq!(template_from_wire(Some("vm"), &wire), template);
    }
    #[test]
    fn decorations_of_a_key_pair_pool_are_no_password_and_no_eip() {
        let wire: wire::NodeTemplate = serde_json::from_str(
            r#"{"login":{"sshKey":"kp","userPassword":{}},"publicIP":{"eip":{"bandwidth":{}}}}"#,
        )
        .expect("json");
        let template = template_from_wire(Some("vm"), &wire);
        assert_eq!(template.login.ssh_key.as_deref(), Some("kp"));
        assert_eq!(template.login.password, None);
        assert_eq!(template.public_ip, None);
        // A password pool names its user (the password itself is shielded).
        let wire: wire::NodeTemplate =
            serde_json::from_str(r#"{"login":{"userPassword":{"username":"root"}}}"#)
                .expect("json");
        let login = template_from_wire(Some("vm"), &wire).login;
        assert_eq!(login.password.map(|p| p.username).as_deref(), Some("root"));
        // Both EIP shapes read the same.
        let wire: wire::NodeTemplate = serde_json::from_str(
            r#"{"publicIP":{"iptype":"5_bgp","bandwidth":{"size":5,"sharetype":"PER"}}}"#,
        )
        .expect("json");
        let ip = template_from_wire(Some("vm"), &wire)
            .public_ip
            .expect("eip");
        assert_eq!((ip.ip_type.as_str(), ip.bandwidth_size), ("5_bgp", Some(5)));
    }
}
