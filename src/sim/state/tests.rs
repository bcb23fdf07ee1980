//! The world's rules, driven directly, without HTTP.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::sim::api::{self, MAX_PODS_KEY, POST_INSTALL_KEY};
use crate::sim::{Faults, view};

use super::outside::merge_patch;
use super::reinstall::set_param;
use super::staleness::is_up_to_date;
use super::validate::{is_salted_password, validate_login};
use super::*;

const TIMING: Timing = Timing {
    create: 60.0,
    reset: 60.0,
    delete: 30.0,
    job_start: 1.0,
};

/// A salted password as CCE takes it: base64 of a SHA-512 crypt string.
fn salted() -> String {
    use base64::Engine as _;
    let crypt = format!("$6$abcdefghABCDEFGH${}", "x".repeat(86));
    base64::engine::general_purpose::STANDARD.encode(crypt)
}

fn template() -> api::NodeTemplate {
    api::NodeTemplate {
        flavor: Some("c7.large.2".into()),
        az: Some("az-a,az-b,az-c".into()),
        os: Some("EulerOS 2.9".into()),
        login: Some(api::Login {
            ssh_key: Some("kp1".into()),
            ..Default::default()
        }),
        runtime: Some(api::Runtime {
            name: "containerd".into(),
            runtime_class: None,
        }),
        root_volume: Some(api::Volume {
            size: 50,
            volumetype: "SSD".into(),
            ..Default::default()
        }),
        k8s_tags: Some(BTreeMap::from([("team".into(), "a".into())])),
        extend_param: Some(BTreeMap::from([(
            POST_INSTALL_KEY.to_owned(),
            Value::String("b2xk".into()),
        )])),
        ..Default::default()
    }
}

fn pool(name: &str) -> api::NodePool {
    api::NodePool {
        metadata: api::NodePoolMetadata {
            name: name.into(),
            ..Default::default()
        },
        spec: api::NodePoolSpec {
            node_template: template(),
            ..Default::default()
        },
        ..Default::default()
    }
}

fn sync_body(pool_id: &str, nodes: Vec<String>, max: u32) -> api::UpgradeNodePool {
    api::UpgradeNodePool {
        kind: "NodePool".into(),
        api_version: "v3".into(),
        spec: api::NodePoolUpgradeSpec {
            node_pool_id: pool_id.into(),
            node_ids: nodes,
            max_unavailable: Some(max),
            ..Default::default()
        },
    }
}

fn update(template: api::NodeSpecUpdate) -> api::NodePoolUpdate {
    api::NodePoolUpdate {
        spec: api::NodePoolSpecUpdate {
            node_template: template,
            ignore_initial_node_count: Some(true),
            ..Default::default()
        },
        ..Default::default()
    }
}

fn node_ids(state: &SimState, pool_id: &str) -> Vec<String> {
    state
        .pool_nodes("c1", pool_id)
        .iter()
        .map(|n| n.metadata.uid.clone())
        .collect()
}

fn up_to_date(state: &SimState, pool_id: &str) -> Vec<Option<bool>> {
    state
        .pool_nodes("c1", pool_id)
        .iter()
        .map(|n| n.status.as_ref().and_then(|s| s.configuration_up_to_date))
        .collect()
}

#[test]
fn seeded_nodes_are_spread_and_owned() {
    let mut state = SimState::new();
    let pool_id = state.add_pool("c1", pool("np"), 4);
    let nodes = state.pool_nodes("c1", &pool_id);
    let zones: Vec<_> = nodes
        .iter()
        .map(|n| n.spec.az.clone().unwrap_or_default())
        .collect();
    assert_eq!(zones, ["az-a", "az-b", "az-c", "az-a"]);
    for node in nodes {
        assert_eq!(
            node.metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get(api::NODE_POOL_ANNOTATION)),
            Some(&pool_id)
        );
        assert_eq!(
            node.metadata
                .owner_references
                .as_ref()
                .and_then(|o| o.nodepool_id.as_ref()),
            Some(&pool_id)
        );
    }
    let ids = state.add_default_nodes("c1", template(), 1);
    let node = state.node("c1", &ids[0]).expect("added");
    assert_eq!(
        node.metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(api::NODE_POOL_ANNOTATION))
            .map(String::as_str),
        Some("az-a#c7.large.2#EulerOS 2.9")
    );
}

#[test]
fn the_system_label_is_never_stored() {
    let mut state = SimState::new();
    let mut seeded = pool("np");
    seeded
        .spec
        .node_template
        .k8s_tags
        .get_or_insert_with(BTreeMap::new)
        .insert(POOL_NAME_LABEL.into(), "np".into());
    let pool_id = state.add_pool("c1", seeded, 1);
    let stored = state.pool("c1", &pool_id).expect("pool");
    assert_eq!(
        stored.spec.node_template.k8s_tags,
        Some(BTreeMap::from([("team".into(), "a".into())]))
    );
    let shown = state
        .show_pool("c1", &pool_id, view::PoolAnswer::Show)
        .expect("shown");
    assert_eq!(
        shown["spec"]["nodeTemplate"]["k8sTags"][POOL_NAME_LABEL],
        "np"
    );
}

#[test]
fn sync_respects_max_unavailable_exactly() {
    let mut state = SimState::new();
    let pool_id = state.add_pool("c1", pool("np"), 7);
    let ids = node_ids(&state, &pool_id);
    let job = state
        .start_sync("c1", &pool_id, sync_body(&pool_id, ids, 3), &TIMING)
        .expect("accepted");
    // One big jump: every event is still applied at its own instant.
    state.advance_to(10_000.0, &TIMING, &Faults::default());
    assert_eq!(state.peak_unavailable(&pool_id), 3);
    assert_eq!(state.jobs[&job].phase, "Success");
    // 7 nodes in batches of 3: 3 waves of 60 s after a 1 s start.
    assert!(state.jobs[&job].updated_at >= 181.0 - 1e-9);
}

#[test]
fn a_state_reloaded_mid_sync_goes_on_as_if_it_had_not_been() {
    let mut state = SimState::new();
    let pool_id = state.add_pool("c1", pool("np"), 7);
    let ids = node_ids(&state, &pool_id);
    state
        .start_sync("c1", &pool_id, sync_body(&pool_id, ids, 3), &TIMING)
        .expect("accepted");
    state.advance_to(90.0, &TIMING, &Faults::default());
    // A load starts without the event index; it is rebuilt from the
    // nodes and jobs.
    let text = serde_json::to_string(&state).expect("serialises");
    let mut reloaded: SimState = serde_json::from_str(&text).expect("parses");
    assert!(!reloaded.pending.built);
    state.advance_to(10_000.0, &TIMING, &Faults::default());
    reloaded.advance_to(10_000.0, &TIMING, &Faults::default());
    assert_eq!(
        serde_json::to_value(&reloaded).expect("serialises"),
        serde_json::to_value(&state).expect("serialises")
    );
    assert_eq!(up_to_date(&reloaded, &pool_id), [Some(true); 7]);
}

#[test]
fn only_os_and_runtime_make_nodes_stale_by_default() {
    let base = template();
    let documented = documented_stale_fields();
    let wide: BTreeSet<String> = STALE_FIELD_NAMES.iter().map(|f| (*f).to_owned()).collect();
    let mut changed = base.clone();
    changed.k8s_tags = Some(BTreeMap::from([("team".into(), "b".into())]));
    changed.taints = Some(vec![api::Taint {
        key: "k".into(),
        value: None,
        effect: "NoSchedule".into(),
    }]);
    assert!(is_up_to_date(&changed, &base, &wide));
    type Edit = fn(&mut api::NodeTemplate);
    let cases: [(Edit, bool); 6] = [
        (|t| t.os = Some("Ubuntu 22.04".into()), true),
        (|t| t.runtime = None, true),
        (
            |t| set_param(t, POST_INSTALL_KEY, Some("bmV3".into())),
            false,
        ),
        (|t| set_param(t, MAX_PODS_KEY, Some("64".into())), false),
        (
            |t| {
                t.data_volumes = Some(vec![api::Volume {
                    size: 100,
                    volumetype: "SSD".into(),
                    ..Default::default()
                }])
            },
            false,
        ),
        (|t| t.login = None, false),
    ];
    for (edit, documented_stale) in cases {
        let mut stale = base.clone();
        edit(&mut stale);
        assert_eq!(
            !is_up_to_date(&stale, &base, &documented),
            documented_stale,
            "{stale:?}"
        );
        assert!(!is_up_to_date(&stale, &base, &wide), "{stale:?}");
    }
}

#[test]
fn a_script_update_leaves_nodes_up_to_date_unless_widened() {
    let mut state = SimState::new();
    let pool_id = state.add_pool("c1", pool("np"), 2);
    let mut script = api::NodeSpecUpdate {
        extend_param: Some(BTreeMap::from([(
            POST_INSTALL_KEY.to_owned(),
            Value::String("bmV3".into()),
        )])),
        ..Default::default()
    };
    let faults = Faults::default();
    state
        .update_pool("c1", &pool_id, update(script.clone()), &TIMING, &faults)
        .expect("updated");
    assert_eq!(up_to_date(&state, &pool_id), [Some(true), Some(true)]);

    let widened = Faults {
        stale_fields: BTreeSet::from(["os".into(), "runtime".into(), "scripts".into()]),
        ..Faults::default()
    };
    script.extend_param = Some(BTreeMap::from([(
        POST_INSTALL_KEY.to_owned(),
        Value::String("bmV3ZXI=".into()),
    )]));
    state
        .update_pool("c1", &pool_id, update(script), &TIMING, &widened)
        .expect("updated");
    assert_eq!(up_to_date(&state, &pool_id), [Some(false), Some(false)]);

    let os = api::NodeSpecUpdate {
        os: Some("Huawei Cloud EulerOS 2.0".into()),
        ..Default::default()
    };
    let mut state = SimState::new();
    let pool_id = state.add_pool("c1", pool("np"), 2);
    state
        .update_pool("c1", &pool_id, update(os), &TIMING, &faults)
        .expect("updated");
    assert_eq!(up_to_date(&state, &pool_id), [Some(false), Some(false)]);
    // A reset brings the node up to date.
    let ids = node_ids(&state, &pool_id);
    state
        .start_sync("c1", &pool_id, sync_body(&pool_id, ids, 2), &TIMING)
        .expect("accepted");
    state.advance_to(1_000.0, &TIMING, &faults);
    assert_eq!(up_to_date(&state, &pool_id), [Some(true), Some(true)]);
    let node = state.pool_nodes("c1", &pool_id)[0].clone();
    assert_eq!(node.spec.os.as_deref(), Some("Huawei Cloud EulerOS 2.0"));
}

#[test]
fn disk_and_subnet_updates_reach_new_nodes_only() {
    let mut state = SimState::new();
    let pool_id = state.add_pool("c1", pool("np"), 1);
    let disks = api::NodeSpecUpdate {
        root_volume_update: Some(api::Volume {
            size: 100,
            volumetype: "GPSSD".into(),
            ..Default::default()
        }),
        data_volumes_update: Some(vec![api::Volume {
            size: 200,
            volumetype: "GPSSD".into(),
            ..Default::default()
        }]),
        node_nic_spec_update: Some(api::NodeSpecUpdateNodeNicSpecUpdate {
            primary_nic: Some(api::NodeSpecUpdateNodeNicSpecUpdatePrimaryNic {
                subnet_id: Some("subnet-2".into()),
                subnet_list: None,
            }),
        }),
        ..Default::default()
    };
    let faults = Faults::default();
    let mut body = update(disks);
    body.spec.ignore_initial_node_count = None;
    body.spec.initial_node_count = Some(2);
    state
        .update_pool("c1", &pool_id, body, &TIMING, &faults)
        .expect("updated");
    state.advance_to(1_000.0, &TIMING, &faults);
    let template = &state.pool("c1", &pool_id).expect("pool").spec.node_template;
    assert_eq!(template.root_volume.as_ref().map(|v| v.size), Some(100));
    assert_eq!(
        template
            .node_nic_spec
            .as_ref()
            .and_then(|n| n.primary_nic.as_ref())
            .and_then(|p| p.subnet_id.as_deref()),
        Some("subnet-2")
    );
    let sizes: Vec<Option<u32>> = state
        .pool_nodes("c1", &pool_id)
        .iter()
        .map(|n| n.spec.root_volume.as_ref().map(|v| v.size))
        .collect();
    assert_eq!(sizes, [Some(50), Some(100)], "the old node keeps its disk");
    assert_eq!(up_to_date(&state, &pool_id), [Some(true), Some(true)]);
}

#[test]
fn an_update_without_a_count_scales_the_pool_to_zero() {
    let mut state = SimState::new();
    let pool_id = state.add_pool("c1", pool("np"), 2);
    let mut body = update(api::NodeSpecUpdate::default());
    body.spec.ignore_initial_node_count = None;
    let faults = Faults::default();
    state
        .update_pool("c1", &pool_id, body, &TIMING, &faults)
        .expect("updated");
    state.advance_to(1_000.0, &TIMING, &faults);
    assert!(state.pool_nodes("c1", &pool_id).is_empty());
}

#[test]
fn refresh_policies_push_labels_taints_and_tags_without_a_reset() {
    let mut state = SimState::new();
    let pool_id = state.add_pool("c1", pool("np"), 1);
    let node_id = node_ids(&state, &pool_id)[0].clone();
    // A label added to the node by hand stays.
    state
        .node_mut("c1", &node_id)
        .and_then(|n| n.spec.k8s_tags.as_mut())
        .map(|l| l.insert("manual".into(), "yes".into()));
    let labels = api::NodeSpecUpdate {
        k8s_tags: Some(BTreeMap::from([("team".into(), "b".into())])),
        taints: Some(vec![api::Taint {
            key: "dedicated".into(),
            value: Some("x".into()),
            effect: "NoSchedule".into(),
        }]),
        user_tags: Some(vec![api::UserTag {
            key: "env".into(),
            value: "prod".into(),
        }]),
        ..Default::default()
    };
    let faults = Faults::default();
    state
        .update_pool("c1", &pool_id, update(labels.clone()), &TIMING, &faults)
        .expect("updated");
    let node = state.node("c1", &node_id).expect("node").clone();
    assert_eq!(
        node.spec.k8s_tags,
        Some(BTreeMap::from([
            ("manual".into(), "yes".into()),
            ("team".into(), "b".into())
        ]))
    );
    assert_eq!(node.spec.taints.as_ref().map(Vec::len), Some(1));
    // Resource tags default to `ignore`.
    assert_eq!(node.spec.user_tags, None);
    assert_eq!(
        node.status.as_ref().map(|s| s.phase.as_str()),
        Some("Active")
    );
    assert!(
        node.status
            .and_then(|s| s.configuration_up_to_date)
            .unwrap_or(false)
    );

    let mut refresh_tags = update(labels);
    refresh_tags.spec.user_tags_policy_on_existing_nodes = Some("refresh".into());
    refresh_tags.spec.label_policy_on_existing_nodes = Some("ignore".into());
    refresh_tags.spec.node_template.k8s_tags = Some(BTreeMap::from([("team".into(), "c".into())]));
    state
        .update_pool("c1", &pool_id, refresh_tags, &TIMING, &faults)
        .expect("updated");
    let node = state.node("c1", &node_id).expect("node");
    assert_eq!(node.spec.user_tags.as_ref().map(Vec::len), Some(1));
    assert_eq!(
        node.spec.k8s_tags.as_ref().and_then(|l| l.get("team")),
        Some(&"b".to_owned()),
        "the pool's label policy is now ignore"
    );
}

#[test]
fn a_reset_changes_os_login_and_scripts_but_never_disks_or_labels() {
    let mut state = SimState::new();
    let pool_id = state.add_pool("c1", pool("np"), 1);
    let node_id = node_ids(&state, &pool_id)[0].clone();
    let faults = Faults::default();
    let mut change = update(api::NodeSpecUpdate {
        os: Some("Huawei Cloud EulerOS 2.0".into()),
        root_volume_update: Some(api::Volume {
            size: 200,
            volumetype: "GPSSD".into(),
            ..Default::default()
        }),
        k8s_tags: Some(BTreeMap::from([("team".into(), "b".into())])),
        extend_param: Some(BTreeMap::from([(
            POST_INSTALL_KEY.to_owned(),
            Value::String("bmV3".into()),
        )])),
        ..Default::default()
    });
    change.spec.label_policy_on_existing_nodes = Some("ignore".into());
    state
        .update_pool("c1", &pool_id, change, &TIMING, &faults)
        .expect("updated");
    let mut body = sync_body(&pool_id, vec![node_id.clone()], 1);
    body.spec.node_template = Some(api::UpgradeNodePoolSpecNodeTemplate {
        life_cycle: Some(api::NodeLifecycleConfig::default()),
        login: Some(api::Login {
            user_password: Some(api::UserPassword {
                username: Some("admin".into()),
                password: Some(salted()),
            }),
            ..Default::default()
        }),
        volume_config: None,
    });
    state
        .start_sync("c1", &pool_id, body, &TIMING)
        .expect("accepted");
    state.advance_to(1_000.0, &TIMING, &faults);
    let node = state.node("c1", &node_id).expect("node");
    assert_eq!(node.spec.os.as_deref(), Some("Huawei Cloud EulerOS 2.0"));
    assert_eq!(node.spec.param(POST_INSTALL_KEY).as_deref(), Some("bmV3"));
    assert_eq!(node.spec.root_volume.as_ref().map(|v| v.size), Some(50));
    assert_eq!(
        node.spec.k8s_tags.as_ref().and_then(|l| l.get("team")),
        Some(&"a".to_owned())
    );
    let login = node.spec.login.clone().expect("login");
    assert_eq!(
        login.user_password.and_then(|u| u.username).as_deref(),
        Some("admin")
    );
    let saved = serde_json::to_string(&state).expect("json");
    assert!(!saved.contains(&salted()), "the password is never kept");
}

#[test]
fn a_plaintext_password_is_refused_everywhere() {
    let plain = api::Login {
        user_password: Some(api::UserPassword {
            username: None,
            password: Some("Secret#Pass1".into()),
        }),
        ..Default::default()
    };
    let error = validate_login(Some(&plain), "spec.nodeTemplate.login").expect_err("plain");
    assert_eq!(error.status, 400);
    assert_eq!(error.code, "CCE.01400001");
    assert!(error.message.contains("The password field must be salted"));
    assert!(is_salted_password(&salted()));
    assert!(!is_salted_password("JDYkc2FsdCRoYXNo"));

    let mut state = SimState::new();
    let pool_id = state.add_pool("c1", pool("np"), 1);
    let faults = Faults::default();
    let body = update(api::NodeSpecUpdate {
        login: Some(plain.clone()),
        ..Default::default()
    });
    let refused = state
        .update_pool("c1", &pool_id, body, &TIMING, &faults)
        .expect_err("plaintext");
    assert!(refused.message.contains("must be salted"));

    let mut created = pool("np-2");
    created.spec.node_template.login = Some(plain.clone());
    assert!(state.create_pool("c1", created, &TIMING).is_err());

    let ids = node_ids(&state, &pool_id);
    let mut sync = sync_body(&pool_id, ids.clone(), 1);
    sync.spec.node_template = Some(api::UpgradeNodePoolSpecNodeTemplate {
        login: Some(plain.clone()),
        ..Default::default()
    });
    assert!(state.start_sync("c1", &pool_id, sync, &TIMING).is_err());

    let reset = api::ResetNodeList {
        api_version: "v3".into(),
        kind: "List".into(),
        node_list: vec![api::ResetNode {
            node_id: ids[0].clone(),
            spec: Some(api::ReinstallNodeSpec {
                os: Some("EulerOS 2.9".into()),
                login: Some(plain),
                ..Default::default()
            }),
        }],
    };
    assert!(state.reset_nodes("c1", reset, &TIMING).is_err());
}

#[test]
fn a_node_reset_takes_a_pool_nodes_template_from_the_pool() {
    let mut state = SimState::new();
    let pool_id = state.add_pool("c1", pool("np"), 2);
    let default_ids = state.add_default_nodes("c1", template(), 1);
    let ids = node_ids(&state, &pool_id);
    let faults = Faults::default();
    state
        .update_pool(
            "c1",
            &pool_id,
            update(api::NodeSpecUpdate {
                os: Some("Huawei Cloud EulerOS 2.0".into()),
                ..Default::default()
            }),
            &TIMING,
            &faults,
        )
        .expect("updated");
    let spec = |os: &str| {
        Some(api::ReinstallNodeSpec {
            os: Some(os.into()),
            login: Some(api::Login {
                ssh_key: Some("kp-other".into()),
                ..Default::default()
            }),
            ..Default::default()
        })
    };
    let body = api::ResetNodeList {
        api_version: "v3".into(),
        kind: "List".into(),
        node_list: vec![
            api::ResetNode {
                node_id: ids[0].clone(),
                spec: spec("Ignored OS"),
            },
            api::ResetNode {
                node_id: default_ids[0].clone(),
                spec: spec("Ubuntu 22.04"),
            },
        ],
    };
    let job = state.reset_nodes("c1", body, &TIMING).expect("accepted");
    state.advance_to(1_000.0, &TIMING, &faults);
    assert_eq!(state.jobs[&job].phase, "Success");
    let pool_node = state.node("c1", &ids[0]).expect("node");
    assert_eq!(
        pool_node.spec.os.as_deref(),
        Some("Huawei Cloud EulerOS 2.0")
    );
    assert_eq!(
        pool_node
            .spec
            .login
            .as_ref()
            .and_then(|l| l.ssh_key.as_deref()),
        Some("kp1")
    );
    let default_node = state.node("c1", &default_ids[0]).expect("node");
    assert_eq!(default_node.spec.os.as_deref(), Some("Ubuntu 22.04"));
    assert_eq!(up_to_date(&state, &pool_id), [Some(true), Some(false)]);
    // Both nodes went at once.
    assert_eq!(state.cluster_peak_unavailable("c1"), 2);
}

#[test]
fn the_otc_pool_sync_resets_every_node_at_its_pace() {
    let mut state = SimState::new();
    let pool_id = state.add_pool("c1", pool("np"), 3);
    let faults = Faults::default();
    state
        .update_pool(
            "c1",
            &pool_id,
            update(api::NodeSpecUpdate {
                os: Some("Huawei Cloud EulerOS 2.0".into()),
                ..Default::default()
            }),
            &TIMING,
            &faults,
        )
        .expect("updated");
    state
        .sync_whole_pool("c1", &pool_id, 2, &TIMING)
        .expect("accepted");
    state.advance_to(1_000.0, &TIMING, &faults);
    assert_eq!(state.peak_unavailable(&pool_id), 2);
    assert_eq!(
        up_to_date(&state, &pool_id),
        [Some(true), Some(true), Some(true)]
    );
}

#[test]
fn a_job_can_stay_hidden_for_its_first_reads() {
    let mut state = SimState::new();
    let pool_id = state.add_pool("c1", pool("np"), 1);
    let ids = node_ids(&state, &pool_id);
    let job = state
        .start_sync("c1", &pool_id, sync_body(&pool_id, ids, 1), &TIMING)
        .expect("accepted");
    if let Some(job) = state.jobs.get_mut(&job) {
        job.hidden_reads = 2;
    }
    assert_eq!(state.show_job(&job).map_err(|e| e.status), Err(404));
    assert_eq!(state.show_job(&job).map_err(|e| e.status), Err(404));
    assert!(state.show_job(&job).is_ok());
}

#[test]
fn merge_patch_follows_rfc_7386() {
    let mut target = serde_json::json!({"a": {"b": 1, "c": 2}, "d": 3});
    merge_patch(
        &mut target,
        &serde_json::json!({"a": {"b": null, "e": 4}, "d": [1]}),
    );
    assert_eq!(target, serde_json::json!({"a": {"c": 2, "e": 4}, "d": [1]}));
}

#[test]
fn timestamps_look_like_go() {
    assert_eq!(timestamp(1.5), "2026-01-01 00:00:01.500000000 +0000 UTC");
}
