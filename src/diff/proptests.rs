//! Property tests of `node_staleness` over generated templates, nodes and
//! changes: a node is stale exactly by [`super::needs_reset`], and nothing a
//! node response reports of itself changes the verdict (real node responses
//! carry no scripts, a login without its password, the disks the node was
//! created with).

use proptest::prelude::*;
use serde_json::{Value, json};

use super::{NodeStaleness, OUT_OF_DATE, node_staleness};
use crate::diff::AttributeChange;
use crate::model::test_support::{desired_pool, live_pool};
use crate::model::{
    DEFAULT_POOL_NAME, DesiredPool, LiveNode, LivePool, NodeConfig, NodeId, NodePhase, Volume,
};

fn text(choices: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::sample::select(choices).prop_map(str::to_owned)
}

fn volume() -> impl Strategy<Value = Volume> {
    (
        text(&["GPSSD", "SSD"]),
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
    )
        .prop_map(|(os, runtime, ssh_key)| NodeConfig {
            os,
            runtime,
            ssh_key,
        })
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
                        pending_reset: None,
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
    fn a_node_is_stale_exactly_by_the_flag_and_the_plans_reset_changes(case in case()) {
        let result: NodeStaleness = node_staleness(&case.desired, &case.live, &case.changes);
        let reset_changes = case.changes.iter().filter(|change| change.needs_reset).count();
        let stale: Vec<_> = result.stale.iter().chain(&result.stale_unavailable).collect();
        for node in &case.live.nodes {
            let flagged = node.up_to_date == Some(false);
            let entry = stale.iter().find(|stale| stale.node.id == node.id);
            prop_assert_eq!(entry.is_some(), flagged || reset_changes > 0, "{}", node.id);
            if let Some(entry) = entry {
                prop_assert_eq!(entry.reasons.len(), usize::from(flagged) + reset_changes);
                prop_assert_eq!(entry.reasons.first().map(String::as_str) == Some(OUT_OF_DATE), flagged);
            }
        }
    }

    #[test]
    fn what_a_node_reports_of_itself_never_changes_the_verdict(case in case()) {
        let mut blank = case.live.clone();
        for node in &mut blank.nodes {
            node.config = NodeConfig::default();
        }
        prop_assert_eq!(
            node_staleness(&case.desired, &case.live, &case.changes),
            node_staleness(&case.desired, &blank, &case.changes)
        );
    }
}
