//! Hand-built desired and live states for the unit tests of `diff`, `plan`
//! and `render`: one production cluster whose live state matches its
//! configuration exactly, plus helpers to bend it into each scenario.

use std::collections::BTreeMap;

use crate::model::{
    ClusterId, ClusterName, Desired, DesiredCluster, DesiredPool, Ensure, Lifecycle, Live,
    LiveCluster, LiveNode, LivePool, Login, MaxUnavailable, NodeConfig, NodeId, NodePhase,
    NodeTemplate, PoolAddress, PoolId, Rollout, Runtime, Volume,
};

/// The template every fixture pool starts from.
pub fn template() -> NodeTemplate {
    NodeTemplate {
        pool_type: "vm".into(),
        flavor: "c7.large.2".into(),
        az: "random".into(),
        os: "Huawei Cloud EulerOS 2.0".into(),
        runtime: Runtime {
            name: "containerd".into(),
            runtime_class: None,
        },
        login: Login {
            ssh_key: Some("kp-prod".into()),
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
            ..Volume::default()
        }],
        k8s_labels: BTreeMap::from([("team".into(), "platform".into())]),
        max_pods: Some(110),
        lifecycle: Lifecycle {
            pre_install: None,
            post_install: Some("sysctl -w vm.max_map_count=262144\n".into()),
            wait_post_install_finish: true,
        },
        ..NodeTemplate::default()
    }
}

/// A configured pool with the fixture template.
pub fn desired_pool(address: &str, cluster: &str, name: &str) -> DesiredPool {
    DesiredPool {
        address: address.into(),
        cluster: cluster.into(),
        name: name.into(),
        ensure: Ensure::Present,
        template: template(),
        node_count: None,
        autoscaling: None,
        server_group: None,
        rollout: Rollout {
            max_unavailable: MaxUnavailable::Count(2),
            ..Rollout::default()
        },
    }
}

/// A node built from `template`, Active and up to date.
pub fn node(name: &str, az: &str, template: &NodeTemplate) -> LiveNode {
    LiveNode {
        id: NodeId(format!("{name}-id")),
        name: name.into(),
        az: az.into(),
        phase: NodePhase::Active,
        up_to_date: Some(true),
        config: NodeConfig {
            os: Some(template.os.clone()),
            runtime: Some(template.runtime.name.clone()),
            ssh_key: template.login.ssh_key.clone(),
        },
        fingerprint: format!("fp-{name}"),
        pending_reset: None,
    }
}

/// The live pool a configured pool would be right after apply, with nodes
/// named `{prefix}-{a,b,c}{1..}` spread over three AZs.
pub fn live_pool(desired: &DesiredPool, nodes: usize) -> LivePool {
    let zones = ["ap-southeast-1a", "ap-southeast-1b", "ap-southeast-1c"];
    let letters = ["a", "b", "c"];
    let per_zone = nodes.div_ceil(3).max(1);
    let nodes: Vec<LiveNode> = (0..nodes)
        .map(|index| {
            let zone = index / per_zone;
            node(
                &format!("{}-{}{}", desired.name, letters[zone], index % per_zone + 1),
                zones[zone],
                &desired.template,
            )
        })
        .collect();
    // What CCE returns: never the password, only the user name.
    let mut template = desired.template.clone();
    if let Some(password) = template.login.password.as_mut() {
        password.env.clear();
    }
    template.login.remove_password = false;
    template.login.remove_ssh_key = false;
    LivePool {
        id: PoolId(format!("{}-pool-id", desired.name)),
        name: desired.name.clone(),
        template,
        node_count: desired
            .node_count
            .unwrap_or(u32::try_from(nodes.len()).unwrap_or(0)),
        autoscaling: desired.autoscaling.clone(),
        server_group: desired.server_group.clone(),
        phase: String::new(),
        updated_at: None,
        fingerprint: format!("fp-pool-{}", desired.name),
        nodes,
    }
}

/// One cluster `prod` with pool `prod-app` (CCE name `app`, six nodes), live
/// exactly as configured.
pub fn world() -> (Desired, Live) {
    let pool = desired_pool("prod-app", "prod", "app");
    let live_app = live_pool(&pool, 6);
    let desired = Desired {
        cloud: crate::model::CloudSettings {
            region: Some("ap-southeast-1".into()),
            endpoint: None,
            project_id: None,
            max_concurrency: None,
            provider: None,
        },
        clusters: BTreeMap::from([(
            ClusterName::from("prod"),
            DesiredCluster {
                name: "prod".into(),
                id: ClusterId("prod-cluster-id".into()),
                max_unavailable: None,
                cloud: crate::model::CloudSettings::default(),
            },
        )]),
        pools: BTreeMap::from([(pool.address.clone(), pool)]),
        digest: "0123456789abcdef".into(),
    };
    let live = Live {
        clusters: BTreeMap::from([(
            ClusterName::from("prod"),
            LiveCluster {
                id: ClusterId("prod-cluster-id".into()),
                pools: BTreeMap::from([("app".to_owned(), live_app)]),
                orphan_nodes: Vec::new(),
            },
        )]),
    };
    (desired, live)
}

/// Adds a cluster to both sides.
pub fn add_cluster(desired: &mut Desired, live: &mut Live, name: &str, cap: Option<u32>) {
    desired.clusters.insert(
        name.into(),
        DesiredCluster {
            name: name.into(),
            id: ClusterId(format!("{name}-cluster-id")),
            max_unavailable: cap,
            cloud: crate::model::CloudSettings::default(),
        },
    );
    live.clusters.insert(
        name.into(),
        LiveCluster {
            id: ClusterId(format!("{name}-cluster-id")),
            pools: BTreeMap::new(),
            orphan_nodes: Vec::new(),
        },
    );
}

/// Adds a pool to the configuration and, with `nodes` nodes, to the live
/// state (`None`: the pool does not exist yet).
pub fn add_pool(desired: &mut Desired, live: &mut Live, pool: DesiredPool, nodes: Option<usize>) {
    if let Some(nodes) = nodes {
        let live_cluster = live
            .clusters
            .get_mut(&pool.cluster)
            .expect("fixture cluster exists");
        live_cluster
            .pools
            .insert(pool.name.clone(), live_pool(&pool, nodes));
    }
    desired.pools.insert(pool.address.clone(), pool);
}

/// The live pool of `cluster` named `name`.
pub fn live_pool_mut<'a>(live: &'a mut Live, cluster: &str, name: &str) -> &'a mut LivePool {
    live.clusters
        .get_mut(&ClusterName::from(cluster))
        .and_then(|cluster| cluster.pools.get_mut(name))
        .expect("fixture pool exists")
}

/// The configured DefaultPool of `prod` (sync only).
pub fn default_pool_desired() -> DesiredPool {
    let mut pool = desired_pool("prod-default", "prod", crate::model::DEFAULT_POOL_NAME);
    pool.template.lifecycle.post_install = Some("echo default v2\n".into());
    pool.rollout.max_unavailable = MaxUnavailable::Count(1);
    pool
}

/// Adds a live DefaultPool to `prod`: `default-1` reported out of date,
/// `default-2` not flagged but showing another key pair (no evidence: only
/// CCE's flag is), `default-3` reporting nothing it was installed with.
pub fn add_default_pool_live(live: &mut Live) {
    let template = default_pool_desired().template;
    let mut nodes = Vec::new();
    let mut first = node("default-1", "ap-southeast-1a", &template);
    first.up_to_date = Some(false);
    first.config = NodeConfig::default();
    nodes.push(first);
    let mut second = node("default-2", "ap-southeast-1b", &template);
    second.up_to_date = None;
    second.config.ssh_key = Some("kp-old".into());
    nodes.push(second);
    let mut third = node("default-3", "ap-southeast-1a", &template);
    third.up_to_date = None;
    third.config = NodeConfig::default();
    nodes.push(third);
    let pool = LivePool {
        id: PoolId("prod-cluster-id-default-pool".into()),
        name: crate::model::DEFAULT_POOL_NAME.into(),
        template: NodeTemplate::default(),
        node_count: 0,
        autoscaling: None,
        server_group: None,
        phase: String::new(),
        updated_at: None,
        fingerprint: "fp-pool-default".into(),
        nodes,
    };
    live.clusters
        .get_mut(&ClusterName::from("prod"))
        .expect("prod exists")
        .pools
        .insert(pool.name.clone(), pool);
}

/// The address as a key.
pub fn address(text: &str) -> PoolAddress {
    PoolAddress::from(text)
}
