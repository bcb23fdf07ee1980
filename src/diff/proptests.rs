//! Property test: `node_staleness` agrees, node for node and reason for
//! reason, with the plain string-comparing version it replaced
//! ([`super::reference`]), over generated templates, nodes and changes.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::{NodeStaleness, node_staleness, reference};
use crate::model::{
    DEFAULT_POOL_NAME, DesiredPool, LiveNode, LivePool, NodeConfig, NodeId, NodePhase, Volume,
};
use crate::plan::AttributeChange;
use crate::plan::test_support::{desired_pool, live_pool};

fn text(choices: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::sample::select(choices).prop_map(str::to_owned)
}

fn volume() -> impl Strategy<Value = Volume> {
    // A type with ", " and " GiB" in it makes two different lists print
    // alike; the comparison must follow the printed form.
    (
        text(&["GPSSD", "SSD", "GPSSD 100 GiB, SSD", "SSD 5"]),
        prop::sample::select(&[5u32, 40, 50, 100][..]),
        prop::option::of(Just(3000u32)),
    )
        .prop_map(|(volume_type, size, iops)| Volume {
            volume_type,
            size,
            iops,
            ..Volume::default()
        })
}

fn node_config() -> impl Strategy<Value = NodeConfig> {
    (
        prop::option::of(text(&["Huawei Cloud EulerOS 2.0", "EulerOS 2.9"])),
        prop::option::of(text(&["containerd", "docker"])),
        prop::option::of(text(&["kp-prod", "kp-old", "(none)"])),
        prop::option::of(volume()),
        prop::option::of(prop::collection::vec(volume(), 0..3)),
        prop::option::of(prop::sample::select(&[64u32, 110][..])),
        prop::option::of(text(&["", "echo pre\n"])),
        prop::option::of(text(&["", "echo old\n", "echo new\n"])),
    )
        .prop_map(
            |(os, runtime, ssh_key, root_volume, data_volumes, max_pods, pre, post)| NodeConfig {
                os,
                runtime,
                ssh_key,
                root_volume,
                data_volumes,
                max_pods,
                pre_install: pre,
                post_install: post,
            },
        )
}

fn node() -> impl Strategy<Value = (NodeConfig, Option<bool>, bool)> {
    (
        node_config(),
        prop_oneof![Just(None), Just(Some(true)), Just(Some(false))],
        prop::bool::weighted(0.8),
    )
}

fn change() -> impl Strategy<Value = AttributeChange> {
    let value = prop_oneof![
        Just(Value::Null),
        Just(json!("EulerOS 2.9")),
        Just(json!(110)),
        Just(json!({"size": 50, "volume_type": "GPSSD"})),
    ];
    (
        text(&[
            "os",
            "runtime",
            "login.ssh_key",
            "login.password",
            "root_volume",
            "data_volumes",
            "max_pods",
            "lifecycle.pre_install",
            "lifecycle.post_install",
            "lifecycle.wait_post_install_finish",
            "extend_params.agency_name",
            "k8s_labels",
        ]),
        value.clone(),
        value,
        any::<bool>(),
    )
        .prop_map(|(path, before, after, needs_reset)| AttributeChange {
            path,
            before,
            after,
            needs_reset,
        })
}

#[derive(Debug, Clone)]
struct Case {
    desired: DesiredPool,
    live: LivePool,
    changes: Vec<AttributeChange>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        any::<bool>(),
        prop::option::of(text(&["kp-prod", "kp-old"])),
        prop::option::of(text(&["", "echo pre\n"])),
        prop::option::of(text(&["", "echo old\n", "echo new\n"])),
        volume(),
        prop::collection::vec(volume(), 0..3),
        prop::option::of(prop::sample::select(&[64u32, 110][..])),
        prop::collection::vec(node(), 0..8),
        prop::collection::vec(change(), 0..4),
    )
        .prop_map(
            |(default, ssh_key, pre, post, root, data, max_pods, nodes, changes)| {
                let mut desired = if default {
                    desired_pool("prod-default", "prod", DEFAULT_POOL_NAME)
                } else {
                    desired_pool("prod-app", "prod", "app")
                };
                let template = &mut desired.template;
                template.login.ssh_key = ssh_key;
                template.lifecycle.pre_install = pre;
                template.lifecycle.post_install = post;
                template.root_volume = root;
                template.data_volumes = data;
                template.max_pods = max_pods;
                let mut live = live_pool(&desired, 0);
                live.nodes = nodes
                    .into_iter()
                    .enumerate()
                    .map(|(index, (config, up_to_date, active))| LiveNode {
                        id: NodeId(format!("n{index}-id")),
                        // Repeated names: the sort falls back to the id.
                        name: format!("node-{}", index % 3),
                        az: format!("az-{}", index % 2),
                        phase: if active {
                            NodePhase::Active
                        } else {
                            NodePhase::Error
                        },
                        up_to_date,
                        config,
                        fingerprint: String::new(),
                    })
                    .collect();
                Case {
                    desired,
                    live,
                    changes,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn agrees_with_the_string_comparison(case in case()) {
        let fast: NodeStaleness = node_staleness(&case.desired, &case.live, &case.changes);
        let plain = reference::node_staleness(&case.desired, &case.live, &case.changes);
        prop_assert_eq!(fast, plain);
    }
}
