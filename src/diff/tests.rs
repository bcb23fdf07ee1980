use std::collections::BTreeMap;

use miette::Diagnostic as _;

use super::*;
use crate::model::test_support::*;
use crate::model::{ClusterName, DesiredPool, Ensure, Live, LivePool, PoolAddress, Volume};

#[test]
fn identical_pool_is_a_no_op() {
    let (desired, live) = world();
    for pool in desired.pools.values() {
        let diff = diff_pool(pool, &live).expect("diffs");
        assert_eq!(diff.action, PoolAction::NoOp, "{}", pool.address);
        assert!(diff.changes.is_empty());
        assert!(diff.nodes.stale.is_empty());
    }
}

#[test]
fn script_change_updates_pool_and_marks_every_node() {
    let (mut desired, live) = world();
    let pool = desired
        .pools
        .get_mut(&PoolAddress::from("prod-app"))
        .expect("pool");
    pool.template.lifecycle.post_install = Some("echo new\n".into());
    let diff = diff_pool(pool, &live).expect("diffs");
    assert_eq!(diff.action, PoolAction::Update);
    assert_eq!(diff.changes.len(), 1);
    assert_eq!(diff.changes[0].path, "lifecycle.post_install");
    assert!(diff.changes[0].needs_reset);
    assert_eq!(diff.nodes.stale.len(), 6);
    assert!(
        diff.nodes
            .stale
            .iter()
            .all(|node| node.reasons == ["post_install changed"])
    );
}

#[test]
fn labels_change_the_pool_not_the_nodes() {
    let (mut desired, live) = world();
    let pool = desired
        .pools
        .get_mut(&PoolAddress::from("prod-app"))
        .expect("pool");
    pool.template.k8s_labels.insert("tier".into(), "web".into());
    let diff = diff_pool(pool, &live).expect("diffs");
    assert_eq!(diff.action, PoolAction::Update);
    assert!(!diff.changes[0].needs_reset);
    assert!(diff.nodes.stale.is_empty());
}

#[test]
fn flavor_change_is_refused_unless_allowed() {
    let (mut desired, live) = world();
    let pool = desired
        .pools
        .get_mut(&PoolAddress::from("prod-app"))
        .expect("pool");
    pool.template.flavor = "c7.xlarge.2".into();
    let error = diff_pool(pool, &live).expect_err("refused");
    assert!(
        matches!(&error, DiffError::ReplacementRequired { fields, .. } if fields == &["`flavor`"])
    );
    let help = error
        .help()
        .map(|help| help.to_string())
        .unwrap_or_default();
    assert!(help.contains("rollout.allow_replacement = true"), "{help}");
    assert!(help.contains("`flavor` to \"c7.large.2\""), "{help}");
    pool.rollout.allow_replacement = true;
    let diff = diff_pool(pool, &live).expect("diffs");
    assert_eq!(diff.action, PoolAction::Replace);
    assert!(diff.nodes.stale.is_empty());
}

#[test]
fn password_compares_by_username_only() {
    let (mut desired, mut live) = world();
    let address = PoolAddress::from("prod-app");
    let pool = desired.pools.get_mut(&address).expect("pool");
    pool.template.login = crate::model::Login {
        password: Some(crate::model::PasswordRef {
            username: "root".into(),
            env: "NODE_PASSWORD".into(),
        }),
        ..Default::default()
    };
    let live_pool = live_pool_mut(&mut live, "prod", "app");
    live_pool.template.login = crate::model::Login {
        password: Some(crate::model::PasswordRef {
            username: "root".into(),
            env: String::new(),
        }),
        ..Default::default()
    };
    for node in &mut live_pool.nodes {
        node.config.ssh_key = None;
    }
    let diff = diff_pool(pool, &live).expect("diffs");
    assert_eq!(diff.action, PoolAction::NoOp, "{:?}", diff.changes);
}

#[test]
fn only_cces_flag_marks_a_node_stale_without_a_template_change() {
    // What a node response shows of its own OS, runtime or key is no
    // evidence (nodes carry no scripts, and a node's fields need not
    // follow the pool): without a reset change in this plan only
    // `configurationUpToDate: false` makes a node stale.
    let (desired, mut live) = world();
    let live_pool = live_pool_mut(&mut live, "prod", "app");
    live_pool.nodes[0].config.os = Some("EulerOS 2.9".into());
    live_pool.nodes[0].config.ssh_key = Some("kp-old".into());
    live_pool.nodes[1].up_to_date = Some(false);
    live_pool.nodes[3].phase = crate::model::NodePhase::Error;
    live_pool.nodes[3].config.runtime = Some("docker".into());
    let pool = &desired.pools[&PoolAddress::from("prod-app")];
    let diff = diff_pool(pool, &live).expect("diffs");
    assert_eq!(diff.action, PoolAction::NoOp);
    let reasons: Vec<(&str, &[String])> = diff
        .nodes
        .stale
        .iter()
        .map(|node| (node.node.name.as_str(), node.reasons.as_slice()))
        .collect();
    assert_eq!(reasons, [("app-a2", &[OUT_OF_DATE.to_owned()][..])]);
    assert!(diff.nodes.stale_unavailable.is_empty());
    assert_eq!(diff.nodes.unavailable_now.len(), 1);
    assert_eq!(diff.nodes.unavailable_now[0].phase, "Error");
}

#[test]
fn a_reset_change_marks_every_node_with_its_reasons() {
    let (mut desired, mut live) = world();
    live_pool_mut(&mut live, "prod", "app").nodes[1].up_to_date = Some(false);
    let pool = desired
        .pools
        .get_mut(&PoolAddress::from("prod-app"))
        .expect("pool");
    pool.template.os = "EulerOS 2.9".into();
    let diff = diff_pool(pool, &live).expect("diffs");
    assert_eq!(diff.nodes.stale.len(), 6);
    let os = "os: Huawei Cloud EulerOS 2.0 → EulerOS 2.9".to_owned();
    assert_eq!(diff.nodes.stale[0].reasons, std::slice::from_ref(&os));
    assert_eq!(diff.nodes.stale[1].reasons, [OUT_OF_DATE.to_owned(), os]);
}

#[test]
fn disk_changes_reach_new_nodes_only_and_reset_nothing() {
    let (mut desired, live) = world();
    let pool = desired
        .pools
        .get_mut(&PoolAddress::from("prod-app"))
        .expect("pool");
    pool.template.data_volumes[0].size = 200;
    pool.template.root_volume.volume_type = "SSD".into();
    let diff = diff_pool(pool, &live).expect("diffs");
    assert_eq!(diff.action, PoolAction::Update);
    let paths: Vec<&str> = diff.changes.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(paths, ["root_volume", "data_volumes"]);
    assert!(diff.changes.iter().all(|change| !change.needs_reset));
    assert!(diff.nodes.stale.is_empty(), "a reset keeps a node's disks");
    assert_eq!(
        diff.new_nodes_only,
        Some(NewNodesOnly {
            paths: vec!["root_volume".into(), "data_volumes".into()],
            existing_nodes: 6,
        })
    );
}

#[test]
fn a_server_group_changes_in_place() {
    let (mut desired, mut live) = world();
    live_pool_mut(&mut live, "prod", "app").server_group = Some("sg-old".into());
    let pool = desired
        .pools
        .get_mut(&PoolAddress::from("prod-app"))
        .expect("pool");
    pool.server_group = Some("sg-new".into());
    let diff = diff_pool(pool, &live).expect("an update, not a refused replacement");
    assert_eq!(diff.action, PoolAction::Update);
    assert_eq!(diff.changes[0].path, "server_group");
    assert!(diff.nodes.stale.is_empty());
}

/// A configuration matching the pool of seed 004's example response.
fn seed_004_pool() -> DesiredPool {
    let mut pool = desired_pool("np", "prod", "wyr-17-nodepool-53042");
    let template = &mut pool.template;
    template.flavor = "s6.large.2".into();
    template.az = "eu-de-01".into();
    template.os = "EulerOS 2.5".into();
    template.login.ssh_key = Some("KeyPair-nodepool".into());
    template.root_volume = Volume {
        volume_type: "SATA".into(),
        size: 40,
        ..Volume::default()
    };
    template.data_volumes = vec![Volume {
        volume_type: "SATA".into(),
        size: 100,
        ..Volume::default()
    }];
    template.k8s_labels = BTreeMap::from([
        ("tag1".into(), "value1".into()),
        ("tag2".into(), "value2".into()),
    ]);
    template.taints = ["aaa=bbb", "ccc=ddd"]
        .iter()
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or_default();
            crate::model::Taint {
                key: key.into(),
                value: value.into(),
                effect: "NoSchedule".into(),
            }
        })
        .collect();
    template.user_tags = BTreeMap::from([
        ("resource-tag1".into(), "value1".into()),
        ("resource-tag2".into(), "value2".into()),
    ]);
    template.max_pods = Some(110);
    template.lifecycle = crate::model::Lifecycle {
        pre_install: Some("ls -l".into()),
        post_install: Some("ls -l\n".into()),
        wait_post_install_finish: false,
    };
    pool.autoscaling = Some(crate::model::Autoscaling {
        enabled: true,
        min: 1,
        max: 3,
        scale_down_cooldown_minutes: Some(10),
        priority: Some(1),
    });
    pool.server_group = Some("2129f95a-f233-4cd8-a1b2-9c0acdf918d3".into());
    pool
}

#[test]
fn a_decorated_real_response_matches_the_config_that_made_it() {
    // Seed 004's example response: `userPassword: {}` beside the key,
    // the EIP placeholder, a subnet the config did not ask for,
    // `billingMode`, the system label, `useType` on the data disk and
    // extendParam keys nobody sent (`maxPods` as an integer).
    let response: crate::live::wire::NodePool =
        serde_json::from_str(include_str!("../../tests/data/seed-004-pool-response.json"))
            .expect("the fixture is a pool");
    let mut live = Live::default();
    let mut cluster = world().1.clusters[&ClusterName::from("prod")].clone();
    cluster.pools.clear();
    let live_pool = crate::live::convert::pool_from_wire(&response);
    assert_eq!(live_pool.template.login.password, None);
    assert_eq!(live_pool.template.public_ip, None);
    cluster.pools.insert(live_pool.name.clone(), live_pool);
    live.clusters.insert("prod".into(), cluster);
    let pool = seed_004_pool();
    let diff = diff_pool(&pool, &live).expect("diffs");
    assert_eq!(diff.action, PoolAction::NoOp, "{:#?}", diff.changes);
    assert!(diff.changes.is_empty());
    assert_eq!(diff.new_nodes_only, None);
}

#[test]
fn default_pool_syncs_only_flagged_nodes() {
    let (mut desired, mut live) = world();
    let pool = default_pool_desired();
    desired.pools.insert(pool.address.clone(), pool.clone());
    add_default_pool_live(&mut live);
    let diff = diff_pool(&pool, &live).expect("diffs");
    assert_eq!(diff.action, PoolAction::NoOp);
    assert!(diff.changes.is_empty());
    let names: Vec<&str> = diff
        .nodes
        .stale
        .iter()
        .map(|n| n.node.name.as_str())
        .collect();
    // default-1: out of date; default-2 shows another key but is not
    // flagged, default-3 reports nothing: neither is evidence.
    assert_eq!(names, ["default-1"]);
}

#[test]
fn unmanaged_pools_are_listed() {
    let (desired, mut live) = world();
    let extra = live.clusters[&ClusterName::from("prod")].pools["app"].clone();
    let cluster = live
        .clusters
        .get_mut(&ClusterName::from("prod"))
        .expect("cluster");
    cluster.pools.insert(
        "legacy".into(),
        LivePool {
            name: "legacy".into(),
            ..extra
        },
    );
    let unmanaged = unmanaged_pools(&desired.pools, &live);
    assert_eq!(unmanaged.len(), 1);
    assert_eq!(unmanaged[0].name, "legacy");
    assert_eq!(unmanaged[0].node_count, 6);
}

#[test]
fn path_classification_matches_the_attribute_list() {
    let mut pool = desired_pool("p", "prod", "p");
    pool.node_count = Some(1);
    pool.autoscaling = Some(crate::model::Autoscaling {
        enabled: true,
        min: 1,
        max: 2,
        scale_down_cooldown_minutes: None,
        priority: None,
    });
    pool.server_group = Some("sg".into());
    pool.template.nic = Some(crate::model::NicSpec::default());
    pool.template
        .extend_params
        .insert("agency_name".into(), "a".into());
    pool.template
        .extend_params
        .insert("dockerBaseSize".into(), "20".into());
    for attribute in desired_attributes(&pool) {
        assert_eq!(
            reach_of_path(&attribute.path),
            attribute.reach,
            "{}",
            attribute.path
        );
    }
}

#[test]
fn absent_pool_is_deleted_only_when_live() {
    let (mut desired, live) = world();
    let pool = desired
        .pools
        .get_mut(&PoolAddress::from("prod-app"))
        .expect("pool");
    pool.ensure = Ensure::Absent;
    assert_eq!(
        diff_pool(pool, &live).expect("diffs").action,
        PoolAction::Delete
    );
    pool.name = "gone".into();
    assert_eq!(
        diff_pool(pool, &live).expect("diffs").action,
        PoolAction::NoOp
    );
}
