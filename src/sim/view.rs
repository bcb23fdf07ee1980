//! What the simulator answers: its state rendered as real CCE responses
//! render it, on the way out and never stored.
//!
//! Pool responses carry what nobody sent (`reference/cce-api.md` §3b and the
//! example response of seed 004): an empty `userPassword` beside a key
//! pair, an empty EIP placeholder, the `cce.cloud.com/cce-nodepool` label,
//! `billingMode: 0`, extra `extendParam` keys with an integer `maxPods`, a
//! `useType` on the first data disk and the template's subnet. Node
//! responses leave out what real ones leave out: the scripts, the labels,
//! the taints, the resource tags, and any login but the key pair name.
//! Passwords are never shown anywhere.

use serde_json::{Map, Value, json};

use super::api::{self, MAX_PODS_KEY, POST_INSTALL_KEY, PRE_INSTALL_KEY};
use super::state::{DEFAULT_POOL_ID, POOL_NAME_LABEL};

/// `maxPods` when the pool sets none.
pub const DEFAULT_MAX_PODS: i64 = 110;
/// The image id pool responses show when the pool names none.
pub const SIM_IMAGE_ID: &str = "85bd7ec5-bca4-4f5f-947b-6c1bf02599d3";
/// The data disk layout pool responses show when the pool names none.
pub const DOCKER_LVM_CONFIG: &str =
    "dockerThinpool=vgpaas/90%VG;kubernetesLV=vgpaas/10%VG;diskType=evs;lvType=linear";
/// The public key pool responses show when the pool names none.
pub const SIM_PUBLIC_KEY: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQA***d-by-Nova\n";
/// The subnet pool responses show when the template names none.
pub const SIM_SUBNET_ID: &str = "31be174a-0c7f-4b71-bb0d-d325fecb90ef";

/// Which call a pool response answers: create and update answers use the
/// status models without `jobId`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolAnswer {
    /// ListNodePools, ShowNodePool.
    Show,
    /// CreateNodePool (`CreateNodePoolStatus`).
    Create,
    /// UpdateNodePool (`UpdateNodePoolStatus`).
    Update,
    /// DeleteNodePool.
    Delete,
}

fn object(value: &mut Value) -> Option<&mut Map<String, Value>> {
    if !value.is_object() {
        *value = Value::Object(Map::new());
    }
    value.as_object_mut()
}

/// A pool as CCE answers it.
pub fn pool(pool: &api::NodePool, answer: PoolAnswer) -> Value {
    let mut value = serde_json::to_value(pool).unwrap_or(Value::Null);
    if matches!(answer, PoolAnswer::Create | PoolAnswer::Update)
        && let Some(status) = value.get_mut("status").and_then(Value::as_object_mut)
    {
        status.remove("jobId");
    }
    if pool.metadata.uid.as_deref() == Some(DEFAULT_POOL_ID) {
        return value;
    }
    let Some(template) = value.pointer_mut("/spec/nodeTemplate").and_then(object) else {
        return value;
    };
    decorate_template(template, &pool.metadata.name);
    value
}

fn decorate_template(template: &mut Map<String, Value>, pool_name: &str) {
    // A key-pair login comes back with an empty password object beside it.
    if let Some(login) = template.get_mut("login").and_then(Value::as_object_mut)
        && login.contains_key("sshKey")
        && !login.contains_key("userPassword")
    {
        login.insert("userPassword".to_owned(), json!({}));
    }
    template
        .entry("publicIP")
        .or_insert_with(|| json!({"eip": {"bandwidth": {}}}));
    if let Some(labels) = object(
        template
            .entry("k8sTags")
            .or_insert_with(|| Value::Object(Map::new())),
    ) {
        labels.insert(
            POOL_NAME_LABEL.to_owned(),
            Value::String(pool_name.to_owned()),
        );
    }
    template.entry("billingMode").or_insert_with(|| json!(0));
    if let Some(params) = object(
        template
            .entry("extendParam")
            .or_insert_with(|| Value::Object(Map::new())),
    ) {
        let max_pods = match params.get(MAX_PODS_KEY) {
            Some(Value::Number(n)) => n.as_i64(),
            Some(Value::String(s)) => s.trim().parse().ok(),
            _ => None,
        }
        .unwrap_or(DEFAULT_MAX_PODS);
        params.insert(MAX_PODS_KEY.to_owned(), json!(max_pods));
        params
            .entry("alpha.cce/NodeImageID")
            .or_insert_with(|| json!(SIM_IMAGE_ID));
        params
            .entry("DockerLVMConfigOverride")
            .or_insert_with(|| json!(DOCKER_LVM_CONFIG));
        params
            .entry("publicKey")
            .or_insert_with(|| json!(SIM_PUBLIC_KEY));
    }
    if let Some(first) = template
        .get_mut("dataVolumes")
        .and_then(Value::as_array_mut)
        .and_then(|disks| disks.first_mut())
        .and_then(object)
        && let Some(params) = object(
            first
                .entry("extendParam")
                .or_insert_with(|| Value::Object(Map::new())),
        )
    {
        params.entry("useType").or_insert_with(|| json!("docker"));
    }
    if let Some(nic) = object(
        template
            .entry("nodeNicSpec")
            .or_insert_with(|| Value::Object(Map::new())),
    ) && let Some(primary) = object(
        nic.entry("primaryNic")
            .or_insert_with(|| Value::Object(Map::new())),
    ) {
        primary
            .entry("subnetId")
            .or_insert_with(|| json!(SIM_SUBNET_ID));
    }
}

/// A node as CCE answers it: without the scripts, labels, taints and tags
/// the simulator keeps for it, and with the key pair as its only login.
pub fn node(node: &api::Node) -> Value {
    let mut value = serde_json::to_value(node).unwrap_or(Value::Null);
    let Some(spec) = value.get_mut("spec").and_then(Value::as_object_mut) else {
        return value;
    };
    for hidden in [
        "k8sTags",
        "taints",
        "userTags",
        "volumeConfig",
        "configurationsOverride",
    ] {
        spec.remove(hidden);
    }
    let mut drop_params = false;
    if let Some(params) = spec.get_mut("extendParam").and_then(Value::as_object_mut) {
        params.remove(PRE_INSTALL_KEY);
        params.remove(POST_INSTALL_KEY);
        drop_params = params.is_empty();
    }
    if drop_params {
        spec.remove("extendParam");
    }
    match node.spec.login.as_ref().and_then(|l| l.ssh_key.clone()) {
        Some(key) => {
            spec.insert("login".to_owned(), json!({"sshKey": key}));
        }
        None => {
            spec.remove("login");
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::sim::catalogue;

    fn key_pair_pool() -> api::NodePool {
        api::NodePool {
            kind: "NodePool".into(),
            api_version: "v3".into(),
            metadata: api::NodePoolMetadata {
                name: "np".into(),
                uid: Some("pool-1".into()),
                ..Default::default()
            },
            spec: api::NodePoolSpec {
                node_template: api::NodeTemplate {
                    flavor: Some("c7.large.2".into()),
                    az: Some("az-1".into()),
                    os: Some("EulerOS 2.9".into()),
                    login: Some(api::Login {
                        ssh_key: Some("kp".into()),
                        ..Default::default()
                    }),
                    data_volumes: Some(vec![api::Volume {
                        size: 100,
                        volumetype: "SSD".into(),
                        ..Default::default()
                    }]),
                    k8s_tags: Some(BTreeMap::from([("team".into(), "a".into())])),
                    taints: Some(vec![api::Taint {
                        key: "k".into(),
                        value: None,
                        effect: "NoSchedule".into(),
                    }]),
                    user_tags: Some(vec![api::UserTag {
                        key: "env".into(),
                        value: "dev".into(),
                    }]),
                    extend_param: Some(BTreeMap::from([(
                        POST_INSTALL_KEY.to_owned(),
                        json!("ZWNobw=="),
                    )])),
                    ..Default::default()
                },
                ..Default::default()
            },
            status: None,
        }
    }

    #[test]
    fn a_pool_response_carries_every_decoration() {
        let shown = pool(&key_pair_pool(), PoolAnswer::Show);
        let template = &shown["spec"]["nodeTemplate"];
        assert_eq!(
            template["login"],
            json!({"sshKey": "kp", "userPassword": {}})
        );
        assert_eq!(template["publicIP"], json!({"eip": {"bandwidth": {}}}));
        assert_eq!(template["k8sTags"][POOL_NAME_LABEL], json!("np"));
        assert_eq!(template["k8sTags"]["team"], json!("a"));
        assert_eq!(template["billingMode"], json!(0));
        let params = &template["extendParam"];
        assert_eq!(params["maxPods"], json!(110));
        assert_eq!(params["alpha.cce/NodeImageID"], json!(SIM_IMAGE_ID));
        assert_eq!(params["DockerLVMConfigOverride"], json!(DOCKER_LVM_CONFIG));
        assert_eq!(params["publicKey"], json!(SIM_PUBLIC_KEY));
        assert_eq!(params[POST_INSTALL_KEY], json!("ZWNobw=="));
        assert_eq!(
            template["dataVolumes"][0]["extendParam"]["useType"],
            json!("docker")
        );
        assert_eq!(
            template["nodeNicSpec"]["primaryNic"]["subnetId"],
            json!(SIM_SUBNET_ID)
        );
        // What the SDK models know, apart from the EIP placeholder, whose
        // shape real responses take from NodePublicIP.
        let findings: Vec<String> = catalogue::check("NodePool", &shown)
            .iter()
            .map(|f| f.path.clone())
            .collect();
        assert_eq!(findings, ["spec.nodeTemplate.publicIP.eip"]);
    }

    #[test]
    fn max_pods_is_an_integer_whatever_was_stored() {
        let mut stored = key_pair_pool();
        stored
            .spec
            .node_template
            .extend_param
            .get_or_insert_with(BTreeMap::new)
            .insert(MAX_PODS_KEY.into(), json!("64"));
        let shown = pool(&stored, PoolAnswer::Show);
        assert_eq!(
            shown["spec"]["nodeTemplate"]["extendParam"]["maxPods"],
            json!(64)
        );
    }

    #[test]
    fn a_password_pool_shows_the_user_name_only() {
        let mut stored = key_pair_pool();
        stored.spec.node_template.login = Some(api::Login {
            user_password: Some(api::UserPassword {
                username: Some("root".into()),
                password: Some("JDYkc2FsdA==".into()),
            }),
            ..Default::default()
        });
        let shown = pool(&stored, PoolAnswer::Show);
        assert_eq!(
            shown["spec"]["nodeTemplate"]["login"],
            json!({"userPassword": {"username": "root"}})
        );
        assert!(!shown.to_string().contains("JDYkc2FsdA=="));
    }

    #[test]
    fn a_node_response_leaves_out_what_real_ones_leave_out() {
        let template = key_pair_pool().spec.node_template;
        let stored = api::Node {
            kind: "Node".into(),
            api_version: "v3".into(),
            metadata: api::NodeMetadata {
                name: "np-1".into(),
                uid: "n1".into(),
                ..Default::default()
            },
            spec: template,
            status: None,
        };
        let shown = node(&stored);
        let spec = &shown["spec"];
        for hidden in ["k8sTags", "taints", "userTags", "extendParam"] {
            assert!(spec.get(hidden).is_none(), "{hidden}: {shown}");
        }
        assert_eq!(spec["login"], json!({"sshKey": "kp"}));
        assert_eq!(spec["dataVolumes"][0]["size"], json!(100));
        assert!(catalogue::check("Node", &shown).is_empty());

        let mut password_node = stored.clone();
        password_node.spec.login = Some(api::Login {
            user_password: Some(api::UserPassword {
                username: Some("root".into()),
                password: None,
            }),
            ..Default::default()
        });
        assert!(node(&password_node)["spec"].get("login").is_none());
    }
}
