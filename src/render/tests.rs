//! Snapshots of every renderer for the plan scenarios reviewers meet, plus
//! the properties the formats promise: the JSON schema holds and is
//! committed, markdown fits a comment, colour only when asked.

use super::*;
use crate::model::test_support::*;
use crate::model::{Autoscaling, Ensure, Login, MaxUnavailable, NodePhase, PasswordRef};
use crate::plan::{Plan, build_plan};

fn plain() -> TextOptions {
    TextOptions { color: false }
}

fn plan_of(desired: &crate::model::Desired, live: &crate::model::Live) -> Plan {
    build_plan(desired, live, &[]).expect("plans")
}

/// A new pool with a password login read from the environment.
fn create() -> Plan {
    let (mut desired, mut live) = world();
    let mut pool = desired_pool("prod-batch", "prod", "batch");
    pool.template.login = Login {
        password: Some(PasswordRef {
            username: "root".into(),
            env: "NODE_PASSWORD".into(),
        }),
        ..Login::default()
    };
    pool.template.flavor = "c7.2xlarge.4".into();
    pool.node_count = Some(3);
    pool.autoscaling = Some(Autoscaling {
        enabled: true,
        min: 3,
        max: 12,
        scale_down_cooldown_minutes: Some(10),
        priority: None,
    });
    add_pool(&mut desired, &mut live, pool, None);
    plan_of(&desired, &live)
}

/// A changed post-install script and label on a pool of six nodes, plus an
/// unmanaged pool.
fn update_sync() -> Plan {
    let (mut desired, mut live) = world();
    let pool = desired.pools.get_mut(&address("prod-app")).expect("pool");
    pool.template.lifecycle.post_install = Some(
        "sysctl -w vm.max_map_count=262144\nsysctl -w fs.inotify.max_user_watches=524288\n".into(),
    );
    pool.template.k8s_labels.insert("tier".into(), "web".into());
    let legacy = live.clusters[&"prod".into()].pools["app"].clone();
    live.clusters
        .get_mut(&"prod".into())
        .expect("prod")
        .pools
        .insert(
            "legacy".into(),
            crate::model::LivePool {
                id: crate::model::PoolId("legacy-pool-id".into()),
                name: "legacy".into(),
                ..legacy
            },
        );
    plan_of(&desired, &live)
}

/// A flavor change with replacement allowed, and a pool to delete.
fn replace() -> Plan {
    let (mut desired, mut live) = world();
    let pool = desired.pools.get_mut(&address("prod-app")).expect("pool");
    pool.template.flavor = "c7.xlarge.2".into();
    pool.rollout.allow_replacement = true;
    let mut old = desired_pool("prod-old", "prod", "old");
    old.ensure = Ensure::Absent;
    add_pool(&mut desired, &mut live, old, Some(2));
    plan_of(&desired, &live)
}

fn default_pool() -> Plan {
    let (mut desired, mut live) = world();
    let pool = default_pool_desired();
    desired.pools.insert(pool.address.clone(), pool);
    add_default_pool_live(&mut live);
    plan_of(&desired, &live)
}

/// staging (cluster cap 1) upgrades its OS first; prod's script change
/// waits for it.
fn multi_cluster() -> Plan {
    let (mut desired, mut live) = world();
    add_cluster(&mut desired, &mut live, "staging", Some(1));
    let mut staging = desired_pool("staging-app", "staging", "app");
    staging.template.os = "Huawei Cloud EulerOS 2.0".into();
    add_pool(&mut desired, &mut live, staging, Some(3));
    let live_staging = live_pool_mut(&mut live, "staging", "app");
    live_staging.template.os = "EulerOS 2.9".into();
    for node in &mut live_staging.nodes {
        node.config.os = Some("EulerOS 2.9".into());
    }
    let app = desired.pools.get_mut(&address("prod-app")).expect("pool");
    app.rollout.depends_on = vec![address("staging-app")];
    app.rollout.max_unavailable = MaxUnavailable::Percent(50);
    app.template.lifecycle.post_install = Some("echo v2\n".into());
    plan_of(&desired, &live)
}

/// Nine nodes, max_unavailable 3, two of them not Active (one of those
/// stale): batches of one.
fn unavailable() -> Plan {
    let (mut desired, mut live) = world();
    let pool = desired.pools.get_mut(&address("prod-app")).expect("pool");
    pool.rollout.max_unavailable = MaxUnavailable::Count(3);
    let pool = pool.clone();
    let nine = live_pool(&pool, 9);
    live.clusters
        .get_mut(&"prod".into())
        .expect("prod")
        .pools
        .insert("app".into(), nine);
    let live_app = live_pool_mut(&mut live, "prod", "app");
    live_app.nodes[1].phase = NodePhase::Abnormal;
    live_app.nodes[4].phase = NodePhase::Installing;
    live_app.nodes[4].up_to_date = Some(false);
    for node in &mut live_app.nodes {
        if node.name != "app-a1" && node.name != "app-c3" {
            node.up_to_date = Some(false);
        }
    }
    plan_of(&desired, &live)
}

/// One plan with every class, compared with a base: `prod-app`'s script
/// changes (this change), `prod-web`'s labels were changed in the console
/// (drift), `prod-api`'s labels changed both here and in the console
/// (conflict), and two of `prod-batch`'s nodes are still out of date from
/// an earlier apply (unfinished rollout).
fn four_classes() -> Plan {
    let (mut base, mut live) = world();
    for (address_text, name) in [
        ("prod-web", "web"),
        ("prod-api", "api"),
        ("prod-batch", "batch"),
    ] {
        add_pool(
            &mut base,
            &mut live,
            desired_pool(address_text, "prod", name),
            Some(3),
        );
    }
    let mut head = base.clone();
    let app = head.pools.get_mut(&address("prod-app")).expect("pool");
    app.template.lifecycle.post_install = Some("sysctl -w vm.max_map_count=524288\n".into());
    let api = head.pools.get_mut(&address("prod-api")).expect("pool");
    api.template.k8s_labels.insert("team".into(), "api".into());

    let web = live_pool_mut(&mut live, "prod", "web");
    web.template
        .k8s_labels
        .insert("team".into(), "hotfix".into());
    web.updated_at = Some("2026-11-20 09:41:07.120 +0000 UTC".into());
    let api = live_pool_mut(&mut live, "prod", "api");
    api.template
        .k8s_labels
        .insert("team".into(), "oncall".into());
    api.updated_at = Some("2026-11-21 17:02:55.001 +0000 UTC".into());
    let batch = live_pool_mut(&mut live, "prod", "batch");
    batch.updated_at = Some("2026-11-25 08:00:00.000 +0000 UTC".into());
    for node in &mut batch.nodes[1..] {
        node.up_to_date = Some(false);
    }

    let mut plan = plan_of(&head, &live);
    plan.classification = Some(crate::plan::classify(
        &plan,
        crate::plan::BaseRevision {
            revision: "origin/main".into(),
            commit: "4f1c2d3e5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d".into(),
        },
        &base,
        &head,
        &live,
    ));
    plan
}

fn drift_options() -> DriftOptions {
    DriftOptions {
        config_path: "infra/prod".into(),
        color: false,
    }
}

fn no_changes() -> Plan {
    let (desired, live) = world();
    plan_of(&desired, &live)
}

fn scenarios() -> Vec<(&'static str, Plan)> {
    vec![
        ("create", create()),
        ("update_sync", update_sync()),
        ("replace", replace()),
        ("default_pool", default_pool()),
        ("multi_cluster", multi_cluster()),
        ("unavailable", unavailable()),
        ("no_changes", no_changes()),
        ("four_classes", four_classes()),
    ]
}

#[test]
fn drift_reports_match_snapshots() {
    let plan = four_classes();
    insta::assert_snapshot!(
        "four_classes__drift_text",
        drift_text(&plan, &drift_options())
    );
    insta::assert_snapshot!("four_classes__drift_json", drift_json(&plan));
    insta::assert_snapshot!(
        "four_classes__drift_markdown",
        drift_markdown(&plan, &drift_options())
    );
    // Nothing outside: the report says so and nothing else.
    let mut clean = no_changes();
    clean.classification = four_classes().classification.map(|mut classes| {
        classes.pools.clear();
        classes
    });
    assert_eq!(
        drift_text(&clean, &drift_options()),
        "No drift. The live node pools and nodes match the configuration at origin/main (commit 4f1c2d3e5a6b).\n"
    );
}

#[test]
fn plans_without_a_base_mention_no_class() {
    for (name, plan) in scenarios() {
        if plan.classification.is_some() {
            continue;
        }
        for rendered in [text(&plan, &plain()), json(&plan), markdown(&plan)] {
            for word in [
                "drift",
                "DRIFT",
                "conflict",
                "unfinished",
                "class",
                "Compared with",
            ] {
                assert!(!rendered.contains(word), "{name}: {word}");
            }
        }
    }
}

#[test]
fn resource_drift_has_terraforms_field_names() {
    let document: serde_json::Value = serde_json::from_str(&json(&four_classes())).expect("JSON");
    let drift = document["resource_drift"]
        .as_array()
        .expect("resource_drift");
    let addresses: Vec<&str> = drift
        .iter()
        .map(|entry| entry["address"].as_str().expect("address"))
        .collect();
    assert_eq!(addresses, ["prod-api", "prod-web"]);
    for entry in drift {
        assert_eq!(entry["type"], "cce_node_pool");
        assert!(entry["name"].is_string());
        assert_eq!(entry["change"]["actions"], serde_json::json!(["update"]));
        assert!(entry["change"]["before"].is_object());
        assert!(entry["change"]["after"].is_object());
    }
    assert_eq!(
        drift[1]["change"]["before"]["k8s_labels"],
        serde_json::json!({"team": "platform"})
    );
    assert_eq!(
        drift[1]["change"]["after"]["k8s_labels"],
        serde_json::json!({"team": "hotfix"})
    );
}

#[test]
fn drift_markdown_of_many_drifted_pools_fits_an_issue() {
    let (mut desired, mut live) = world();
    for index in 0..400 {
        let name = format!("pool{index:03}");
        add_pool(
            &mut desired,
            &mut live,
            desired_pool(&format!("prod-{name}"), "prod", &name),
            Some(40),
        );
        let pool = live_pool_mut(&mut live, "prod", &name);
        pool.template
            .k8s_labels
            .insert("team".into(), "x".repeat(60));
        for node in &mut pool.nodes {
            node.up_to_date = Some(false);
        }
    }
    let mut plan = plan_of(&desired, &live);
    plan.classification = Some(crate::plan::classify(
        &plan,
        crate::plan::BaseRevision {
            revision: "HEAD".into(),
            commit: "0".repeat(40),
        },
        &desired,
        &desired,
        &live,
    ));
    let rendered = drift_markdown(&plan, &drift_options());
    assert!(
        rendered.chars().count() <= MARKDOWN_LIMIT,
        "{}",
        rendered.chars().count()
    );
    assert!(rendered.contains("**Drift: 400 pools differ"));
    assert!(
        rendered.contains("too long for one issue"),
        "a note says what was cut"
    );
    // The plan's comment keeps the drift list at the top within the cap too.
    let comment = markdown(&plan);
    assert!(comment.chars().count() <= MARKDOWN_LIMIT);
    assert!(comment.contains("[!CAUTION]"));
}

#[test]
fn markdown_leaves_room_for_a_ci_marker() {
    // The CI recipes add a hidden marker of under 100 characters to find
    // their comment again; even a plan cut to fit must leave room for it.
    let (mut desired, mut live) = world();
    let pool = desired.pools.get_mut(&address("prod-app")).expect("pool");
    live.clusters
        .get_mut(&"prod".into())
        .expect("prod")
        .pools
        .insert("app".into(), live_pool(pool, 5_000));
    pool.template.lifecycle.post_install = Some("echo v2\n".into());
    let rendered = markdown(&plan_of(&desired, &live));
    assert!(rendered.chars().count() + 100 <= MARKDOWN_LIMIT);
}

#[test]
fn renderers_match_snapshots() {
    for (name, plan) in scenarios() {
        insta::assert_snapshot!(format!("{name}__text"), text(&plan, &plain()));
        insta::assert_snapshot!(format!("{name}__json"), json(&plan));
        insta::assert_snapshot!(format!("{name}__markdown"), markdown(&plan));
    }
}

#[test]
fn refused_replacement_is_a_diagnostic() {
    let (mut desired, live) = world();
    let pool = desired.pools.get_mut(&address("prod-app")).expect("pool");
    pool.template.flavor = "c7.xlarge.2".into();
    pool.template.az = "ap-southeast-1b".into();
    let errors = build_plan(&desired, &live, &[]).expect_err("refused");
    let mut rendered = String::new();
    miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
        .with_width(100)
        .render_report(&mut rendered, &errors)
        .expect("renders");
    insta::assert_snapshot!("replacement_refused__diagnostic", rendered);
}

#[test]
fn json_validates_against_the_committed_schema() {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../../schema/plan.schema.json"))
            .expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    for (name, plan) in scenarios() {
        let document: serde_json::Value = serde_json::from_str(&json(&plan)).expect("JSON");
        let errors: Vec<String> = validator
            .iter_errors(&document)
            .map(|error| format!("{} at {}", error, error.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
    }
    // The schema is strict enough to catch a wrong document.
    let mut wrong: serde_json::Value = serde_json::from_str(&json(&update_sync())).expect("JSON");
    wrong["summary"]["add"] = serde_json::json!("one");
    assert!(!validator.is_valid(&wrong));
}

#[test]
fn committed_schema_is_up_to_date() {
    let committed = include_str!("../../schema/plan.schema.json");
    assert!(
        committed == plan_json_schema(),
        "schema/plan.schema.json is out of date: regenerate it with `cargo run -- schema plan > schema/plan.schema.json`"
    );
}

#[test]
fn colour_only_when_asked() {
    let plan = update_sync();
    assert!(!text(&plan, &plain()).contains('\u{1b}'));
    let coloured = text(&plan, &TextOptions { color: true });
    assert!(coloured.contains("\u{1b}[33m~\u{1b}[0m"));
    assert!(!json(&plan).contains('\u{1b}'));
    assert!(!markdown(&plan).contains('\u{1b}'));
}

#[test]
fn markdown_of_five_thousand_stale_nodes_fits_and_keeps_the_essentials() {
    let (mut desired, mut live) = world();
    let pool = desired.pools.get_mut(&address("prod-app")).expect("pool");
    live.clusters
        .get_mut(&"prod".into())
        .expect("prod")
        .pools
        .insert("app".into(), live_pool(pool, 5_000));
    pool.template.lifecycle.post_install = Some("echo v2\n".into());
    pool.rollout.max_unavailable = MaxUnavailable::Count(20);
    // Destructive items in other pools must survive the cut too.
    let mut old = desired_pool("prod-old", "prod", "old");
    old.ensure = Ensure::Absent;
    add_pool(&mut desired, &mut live, old, Some(2));
    let mut moved = desired_pool("prod-moved", "prod", "moved");
    add_pool(&mut desired, &mut live, moved.clone(), Some(2));
    moved.template.az = "ap-southeast-1c".into();
    moved.rollout.allow_replacement = true;
    desired.pools.insert(moved.address.clone(), moved);
    let plan = plan_of(&desired, &live);
    assert_eq!(plan.summary().nodes_to_sync, 5_000);

    let rendered = markdown(&plan);
    assert!(
        rendered.chars().count() <= MARKDOWN_LIMIT,
        "{}",
        rendered.chars().count()
    );
    assert!(rendered.contains(
        "**Plan: 1 to add, 1 to change, 2 to destroy, 5000 nodes to sync in 250 batches.**"
    ));
    assert!(
        rendered.contains("`prod-old` (cluster prod, CCE pool `old`): the pool is **destroyed**")
    );
    assert!(
        rendered
            .contains("`prod-moved` (cluster prod): the pool is **destroyed and created again**")
    );
    assert!(rendered.contains("`prod-app` (cluster prod): **5000 nodes reset**"));
    // The big pool's details fell back to one line per batch.
    assert!(
        rendered.contains("| 250/250 | 20 |"),
        "compact batches expected"
    );
    assert!(rendered.contains("too long for one comment"));
}

#[test]
fn same_plan_renders_the_same_bytes() {
    for ((name, first), (_, second)) in scenarios().into_iter().zip(scenarios()) {
        assert_eq!(text(&first, &plain()), text(&second, &plain()), "{name}");
        assert_eq!(json(&first), json(&second), "{name}");
        assert_eq!(markdown(&first), markdown(&second), "{name}");
    }
}

#[test]
fn forced_syncs_are_called_out_only_for_their_pool() {
    let (mut desired, live) = world();
    let pool = desired.pools.get_mut(&address("prod-app")).expect("pool");
    pool.template.lifecycle.post_install = Some("echo forced\n".into());
    pool.rollout.force = true;
    let forced = text(&plan_of(&desired, &live), &plain());
    assert_eq!(
        forced.matches("force = true: pods are evicted").count(),
        1,
        "{forced}"
    );

    let pool = desired.pools.get_mut(&address("prod-app")).expect("pool");
    pool.rollout.force = false;
    let gentle = text(&plan_of(&desired, &live), &plain());
    assert!(!gentle.contains("force = true"), "{gentle}");
}

#[test]
fn every_renderer_says_which_nodes_keep_old_disks_and_what_a_reset_wipes() {
    let (mut desired, live) = world();
    let pool = desired
        .pools
        .get_mut(&crate::model::PoolAddress::from("prod-app"))
        .expect("pool");
    pool.template.data_volumes[0].size = 200;
    let plan = plan_of(&desired, &live);
    assert!(
        plan.pools.iter().all(|pool| pool.sync.is_none()),
        "no reset"
    );
    let rendered = text(&plan, &plain());
    assert!(
        rendered.contains(
            "# new nodes only: data_volumes; 6 existing nodes keep the old value (a reset does not change it)"
        ),
        "{rendered}"
    );
    let rendered = markdown(&plan);
    assert!(
        rendered.contains("New nodes only: `data_volumes`; 6 existing nodes keep the old value"),
        "{rendered}"
    );
    let value: serde_json::Value = serde_json::from_str(&json(&plan)).expect("json");
    let change = value["resource_changes"]
        .as_array()
        .and_then(|changes| changes.iter().find(|c| c["address"] == "prod-app"))
        .expect("prod-app");
    assert_eq!(
        change["new_nodes_only"],
        serde_json::json!({"paths": ["data_volumes"], "existing_nodes_keep_old_value": 6})
    );

    // The disk-wipe warning follows the volume reset policy.
    let pool = desired
        .pools
        .get_mut(&crate::model::PoolAddress::from("prod-app"))
        .expect("pool");
    pool.template.lifecycle.post_install = Some("echo v2\n".into());
    pool.rollout.volume_reset_policy = Some(crate::model::VolumeResetPolicy::RetainCustomVolumes);
    let plan = plan_of(&desired, &live);
    let kept = "custom data volumes are kept";
    assert!(text_of(&plan).contains(kept), "{}", text_of(&plan));
    assert!(markdown(&plan).contains(kept));
    let value: serde_json::Value = serde_json::from_str(&json(&plan)).expect("json");
    assert_eq!(
        value["node_syncs"][0]["volume_reset_policy"],
        serde_json::json!("retain_custom_volumes")
    );
}

fn text_of(plan: &Plan) -> String {
    text(plan, &plain())
}
