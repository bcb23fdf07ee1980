//! The contract with the real API, as data: every kind of body poolform
//! sends, built through poolform's own code path (config → plan → the
//! request bodies apply sends) and serialised exactly as sent, is walked
//! against the SDK's model catalogue (`tests/data/cce-models.json`, read from
//! huaweicloudsdkcce 3.1.219). Every key must exist in the model it sits in
//! and every value must have that field's JSON type.
//!
//! The walker is written here on purpose, apart from the simulator's: two
//! independent readings of the catalogue.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};

use poolform::api::{CreatePool, UpdatePool};
use poolform::config::load_source;
use poolform::live::body::{create_body, sync_body, update_body};
use poolform::live::{convert, wire};
use poolform::model::{
    ClusterName, Desired, Live, LiveCluster, LiveNode, NodeConfig, NodeId, NodePhase, PoolAddress,
};
use poolform::plan::{StepKind, build_plan};

/// `extendParam` keys the Open Telekom Cloud documents for CreateNodePool
/// (seed 004) that the SDK's `NodeExtendParam` does not list. poolform
/// accepts them for OTC; they are the one known gap between the two sources.
const OTC_ONLY_EXTEND_PARAMS: &[&str] = &["nicMultiqueue", "nicThreshold"];

/// The model catalogue: model name → field name → type.
type Models = BTreeMap<String, BTreeMap<String, String>>;

fn models() -> Models {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/cce-models.json");
    let text = std::fs::read_to_string(path).expect("tests/data/cce-models.json");
    let catalogue: Value = serde_json::from_str(&text).expect("the catalogue is JSON");
    serde_json::from_value(catalogue["models"].clone()).expect("models are name → field → type")
}

/// Walks `value` against the type `ty` at `path`; every mismatch is pushed
/// to `errors`.
fn walk(models: &Models, value: &Value, ty: &str, path: &str, errors: &mut Vec<String>) {
    let ty = ty.trim();
    if let Some(inner) = ty.strip_prefix("list[").and_then(|t| t.strip_suffix(']')) {
        match value.as_array() {
            Some(items) => {
                for (index, item) in items.iter().enumerate() {
                    walk(models, item, inner, &format!("{path}[{index}]"), errors);
                }
            }
            None => errors.push(format!("{path}: expected {ty}, found {value}")),
        }
        return;
    }
    if let Some(inner) = ty.strip_prefix("dict(").and_then(|t| t.strip_suffix(')')) {
        let (key_type, value_type) = inner.split_once(',').expect("dict(K, V)");
        assert_eq!(key_type.trim(), "str", "JSON object keys are strings");
        match value.as_object() {
            Some(entries) => {
                for (key, item) in entries {
                    walk(models, item, value_type, &format!("{path}.{key}"), errors);
                }
            }
            None => errors.push(format!("{path}: expected {ty}, found {value}")),
        }
        return;
    }
    let ok = match ty {
        "str" => value.is_string(),
        "int" => value.is_i64() || value.is_u64(),
        "float" => value.is_number(),
        "bool" => value.is_boolean(),
        // The SDK's `object` takes any JSON value.
        "object" => true,
        model => {
            let Some(fields) = models.get(model) else {
                errors.push(format!("{path}: the catalogue has no model {model}"));
                return;
            };
            let Some(object) = value.as_object() else {
                errors.push(format!("{path}: expected a {model} object, found {value}"));
                return;
            };
            for (key, item) in object {
                let item_path = format!("{path}.{key}");
                match fields.get(key) {
                    Some(field_type) => walk(models, item, field_type, &item_path, errors),
                    None if model == "NodeExtendParam"
                        && OTC_ONLY_EXTEND_PARAMS.contains(&key.as_str()) =>
                    {
                        if !item.is_string() {
                            errors.push(format!("{item_path}: expected str, found {item}"));
                        }
                    }
                    None => errors.push(format!("{item_path}: {model} has no key `{key}`")),
                }
            }
            true
        }
    };
    if !ok {
        errors.push(format!("{path}: expected {ty}, found {value}"));
    }
}

/// Walks a body against its root model and fails with every mismatch.
fn assert_matches(models: &Models, body: &Value, model: &str, what: &str) {
    let mut errors = Vec::new();
    walk(models, body, model, model, &mut errors);
    assert!(
        errors.is_empty(),
        "the {what} body does not match the SDK's {model}:\n  {}\nbody: {body:#}",
        errors.join("\n  ")
    );
}

/// Every config field set, over two pools (one password login, one key
/// login) and a DefaultPool; scripts inline.
const FULL: &str = r#"
[cloud]
region = "ap-southeast-1"

[clusters.prod]
id = "c1"
max_unavailable = 4

[pools.prod-system]
cluster = "prod"
name = "system"
type = "ElasticBMS"
flavor = "c7.large.2"
az = "ap-southeast-1a"
os = "Huawei Cloud EulerOS 2.0"
runtime = "containerd"
runtime_class = "runc"
node_count = 3
login = { password = { env = "NODE_PASSWORD", username = "root" }, remove_ssh_key = true }
root_volume = { type = "GPSSD2", size = 100, iops = 3000, throughput = 125, passthrough = true, encrypted = true, cmk_id = "kms-1", extend_params = { resourceSpecCode = "x" } }
data_volumes = [
    { type = "GPSSD2", size = 100, iops = 3000, throughput = 125, encrypted = true, cmk_id = "kms-1", extend_params = { useType = "docker" } },
    { type = "SSD", size = 200, passthrough = true },
]
public_ip = { ip_type = "5_bgp", bandwidth_size = 10, share_type = "PER", charge_mode = "traffic" }
nic = { subnet_id = "s1", fixed_ips = ["10.0.0.5"], subnet_list = ["s1", "s2"] }
k8s_labels = { team = "platform", "example.com/tier" = "" }
taints = [{ key = "dedicated", value = "system", effect = "NoSchedule" }, { key = "gpu", effect = "NoExecute" }]
user_tags = { env = "prod" }
max_pods = 110
autoscaling = { min = 1, max = 10, scale_down_cooldown_minutes = 15, priority = -2 }
server_group = "sg-1"

[pools.prod-system.extend_params]
"ecs:performancetype" = "normal"
orderID = "o1"
productID = "p1"
periodType = "month"
periodNum = 1
isAutoRenew = false
isAutoPay = true
DockerLVMConfigOverride = "dockerThinpool=vgpaas/90%VG;kubernetesLV=vgpaas/10%VG;diskType=evs;lvType=linear"
dockerBaseSize = 20
containerBaseSize = 10
publicKey = "ssh-rsa AAAA"
"alpha.cce/NodeImageID" = "image-1"
chargingMode = 0
marketType = "spot"
spotPrice = "0.5"
agency_name = "ecs-agency"
kubeReservedMem = 512
systemReservedMem = 512
kubeReservedCpu = 100
systemReservedCpu = 100
kubeReservedPid = 1000
systemReservedPid = 1000
kubeReservedStorage = 10
systemReservedStorage = 10
securityReinforcementType = "null"
serverMetadataHttpTokens = "required"
nicMultiqueue = "[{\"queue\":4}]"
nicThreshold = "0.3:0.6"

[pools.prod-system.lifecycle]
pre_install = "echo pre"
post_install = "echo post"
wait_post_install_finish = true

[pools.prod-system.rollout]
max_unavailable = 2
force = true
volume_reset_policy = "retain_custom_volumes"

[pools.prod-keys]
cluster = "prod"
name = "keys"
flavor = "c7.large.2"
az = "ap-southeast-1a"
os = "Huawei Cloud EulerOS 2.0"
login = { ssh_key = "kp", remove_password = true }
root_volume = { type = "GPSSD", size = 50 }
data_volumes = [{ type = "GPSSD", size = 100 }]
nic = { ip_block = "10.0.0.0/24" }
max_pods = 64
autoscaling = { enabled = false }

[pools.prod-keys.lifecycle]
post_install = "echo keys"

[pools.prod-keys.rollout]
volume_reset_policy = "reset_managed_volumes"

[pools.prod-default]
cluster = "prod"
name = "DefaultPool"
login = { ssh_key = "kp" }

[pools.prod-default.lifecycle]
pre_install = "echo default pre"
post_install = "echo default post"
"#;

fn desired() -> Desired {
    load_source("poolform.toml", FULL, Path::new("."))
        .unwrap_or_else(|errors| panic!("{}", errors.render_plain(100)))
}

/// A cluster where every configured pool exists as poolform would have
/// created it, every node flagged out of date by CCE, so that the plan
/// syncs every pool (the DefaultPool too).
fn live_out_of_date(desired: &Desired) -> Live {
    let mut cluster = LiveCluster {
        id: desired.clusters[&ClusterName::from("prod")].id.clone(),
        pools: BTreeMap::new(),
        orphan_nodes: Vec::new(),
    };
    for pool in desired.pools.values() {
        let wire_pool: wire::NodePool = if pool.is_default_pool() {
            wire::NodePool {
                metadata: wire::NodePoolMetadata {
                    name: pool.name.clone(),
                    uid: Some(pool.name.clone()),
                    ..Default::default()
                },
                ..Default::default()
            }
        } else {
            let mut created: wire::NodePool = serde_json::from_value(
                serde_json::to_value(create_body(&CreatePool::of(pool), None)).expect("json"),
            )
            .expect("a create body reads as a pool");
            created.metadata.uid = Some(format!("{}-id", pool.name));
            created
        };
        let mut live_pool = convert::pool_from_wire(&wire_pool);
        live_pool.nodes = (0..2)
            .map(|index| LiveNode {
                id: NodeId(format!("{}-n{index}", pool.name)),
                name: format!("{}-{index}", pool.name),
                az: "ap-southeast-1a".into(),
                phase: NodePhase::Active,
                up_to_date: Some(false),
                config: NodeConfig::default(),
                fingerprint: format!("fp-{}-{index}", pool.name),
                pending_reset: None,
            })
            .collect();
        cluster.pools.insert(pool.name.clone(), live_pool);
    }
    let mut live = Live::default();
    live.clusters.insert("prod".into(), cluster);
    live
}

#[test]
fn create_bodies_match_node_pool() {
    let models = models();
    let desired = desired();
    let plan = build_plan(&desired, &Live::default().with_cluster(&desired), &[]).expect("plans");
    let mut created = 0;
    for step in &plan.steps {
        if let StepKind::CreatePool { request, .. } = &step.kind {
            let json = serde_json::to_value(create_body(request, None)).expect("json");
            assert_matches(
                &models,
                &json,
                "NodePool",
                &format!("create {}", step.address),
            );
            created += 1;
        }
    }
    assert_eq!(created, 2, "both pools are created");
}

#[test]
fn update_bodies_match_node_pool_update() {
    let models = models();
    let desired = desired();
    // Every updatable field at once, with the refresh policies labels,
    // taints and tags go out with.
    let changes: Vec<String> = ["k8s_labels", "taints", "user_tags", "data_volumes"]
        .iter()
        .map(|path| (*path).to_owned())
        .collect();
    for address in ["prod-system", "prod-keys"] {
        let pool = &desired.pools[&PoolAddress::from(address)];
        let json = serde_json::to_value(update_body(&UpdatePool::of(pool, changes.clone()), None))
            .expect("json");
        assert_matches(
            &models,
            &json,
            "NodePoolUpdate",
            &format!("update {address}"),
        );
        assert_eq!(json["spec"]["labelPolicyOnExistingNodes"], json!("refresh"));
    }
    // And the update a real plan makes.
    let mut changed = desired.clone();
    for pool in changed
        .pools
        .values_mut()
        .filter(|pool| !pool.is_default_pool())
    {
        pool.template.os = "EulerOS 2.9".into();
        pool.template
            .k8s_labels
            .insert("new".into(), "label".into());
        pool.template.data_volumes[0].size += 10;
    }
    let plan = build_plan(&changed, &live_out_of_date(&desired), &[]).expect("plans");
    let mut updated = 0;
    for step in &plan.steps {
        if let StepKind::UpdatePool { request, .. } = &step.kind {
            let json = serde_json::to_value(update_body(request, None)).expect("json");
            assert_matches(
                &models,
                &json,
                "NodePoolUpdate",
                &format!("update {}", step.address),
            );
            updated += 1;
        }
    }
    assert_eq!(updated, 2);
}

#[test]
fn sync_bodies_match_upgrade_node_pool() {
    let models = models();
    let desired = desired();
    let plan = build_plan(&desired, &live_out_of_date(&desired), &[]).expect("plans");
    let mut synced = BTreeMap::new();
    for step in &plan.steps {
        if let StepKind::SyncBatch {
            pool_id, request, ..
        } = &step.kind
        {
            // The client puts the salted password in; its type is what counts.
            let salted = poolform::live::salt::salt_password("Canary#Passw0rd").expect("salted");
            let body = sync_body(pool_id, request, Some(&salted));
            let json = serde_json::to_value(&body).expect("json");
            assert_matches(
                &models,
                &json,
                "UpgradeNodePool",
                &format!("sync {}", step.address),
            );
            synced.insert(step.address.to_string(), json);
        }
    }
    let login = |address: &str| synced[address]["spec"]["nodeTemplate"]["login"].clone();
    assert!(login("prod-system")["userPassword"]["password"].is_string());
    assert_eq!(login("prod-keys"), json!({"sshKey": "kp"}));
    assert_eq!(
        synced["prod-default"]["spec"]["nodePoolID"],
        json!("DefaultPool")
    );
}

#[test]
fn the_walker_catches_a_wrong_name_and_a_wrong_type() {
    let models = models();
    let mut errors = Vec::new();
    let body = json!({"metadata": {"name": "a"}, "spec": {"nodeTemplate": {
        "rootVolume": {"size": 40, "volumetype": "SSD"},
        "extendParam": {"maxPods": "110"}
    }, "ignoreInitialNodeCount": true}});
    walk(
        &models,
        &body,
        "NodePoolUpdate",
        "NodePoolUpdate",
        &mut errors,
    );
    assert_eq!(
        errors,
        [
            "NodePoolUpdate.spec.nodeTemplate.extendParam.maxPods: NodePoolUpdateExtendParam has no key `maxPods`",
            "NodePoolUpdate.spec.nodeTemplate.rootVolume: NodeSpecUpdate has no key `rootVolume`",
        ]
    );
    let mut errors = Vec::new();
    walk(
        &models,
        &json!({"maxPods": "110", "alpha.cce/preInstall": "ZWNobw=="}),
        "NodeExtendParam",
        "extendParam",
        &mut errors,
    );
    assert_eq!(errors, ["extendParam.maxPods: expected int, found \"110\""]);
}

/// A live state with the configured clusters and no pools.
trait WithCluster {
    fn with_cluster(self, desired: &Desired) -> Live;
}

impl WithCluster for Live {
    fn with_cluster(mut self, desired: &Desired) -> Live {
        for (name, cluster) in &desired.clusters {
            self.clusters.insert(
                name.clone(),
                LiveCluster {
                    id: cluster.id.clone(),
                    pools: BTreeMap::new(),
                    orphan_nodes: Vec::new(),
                },
            );
        }
        self
    }
}
