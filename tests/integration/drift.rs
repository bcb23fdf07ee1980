//! `plan --base` and `poolform drift` on a temporary git repository, with
//! the simulator: a configuration change is a change, an outside change
//! made through the simulator between base and head is drift, both on one
//! attribute a conflict, and an apply stopped halfway an unfinished rollout;
//! each on its own and all four in one plan. The real binary reads the
//! simulator's state file, so the git and exit-code paths are the shipped
//! ones.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use poolform::apply::{self, ApplyOptions, CancelLevel, CancelToken, Event, EventSink};
use poolform::live::{CceClient, ClientOptions, Credentials, convert, fetch, wire};
use poolform::model::Desired;
use poolform::sim::{self, OutsideChange, SimAuth, SimConfig, SimHandle, SimState};
use serde_json::{Value, json};

const CLUSTER_ID: &str = "c-prod-0001";
const OLD_OS: &str = "EulerOS 2.9";
const OS: &str = "Huawei Cloud EulerOS 2.0";
const SCRIPT: &str = "#!/bin/sh\nsysctl -w vm.max_map_count=262144\n";
const NEW_SCRIPT: &str = "#!/bin/sh\nsysctl -w vm.max_map_count=524288\n";

/// One pool of the test configuration: its labels' `team` and its os vary.
fn pool_toml(name: &str, team: &str, os: &str) -> String {
    format!(
        r#"
[pools.prod-{name}]
cluster = "prod"
name = "{name}"
flavor = "c7.large.2"
az = "ap-southeast-1a"
os = "{os}"
login = {{ ssh_key = "kp-prod" }}
root_volume = {{ type = "GPSSD", size = 50 }}
data_volumes = [{{ type = "GPSSD", size = 100 }}]
k8s_labels = {{ team = "{team}" }}

[pools.prod-{name}.lifecycle]
post_install = {{ file = "scripts/{name}.sh" }}

[pools.prod-{name}.rollout]
max_unavailable = 1
"#
    )
}

/// One pool, `prod-web`, labelled `team = platform`.
const WEB: &[(&str, &str, &str)] = &[("web", "platform", OS)];

fn config_toml(pools: &[(&str, &str, &str)]) -> String {
    let mut text =
        format!("[cloud]\nregion = \"ap-southeast-1\"\n\n[clusters.prod]\nid = \"{CLUSTER_ID}\"\n");
    for (name, team, os) in pools {
        text.push_str(&pool_toml(name, team, os));
    }
    text
}

/// A git repository whose configuration lives in a subdirectory,
/// `infra/prod`, and a simulator state file outside it.
struct Repo {
    dir: tempfile::TempDir,
}

impl Repo {
    fn new() -> Self {
        let repo = Self {
            dir: tempfile::tempdir().expect("temp dir"),
        };
        repo.git(&["init", "-q", "-b", "main"]);
        repo
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("repo")
    }

    fn config(&self) -> PathBuf {
        self.root().join("infra/prod")
    }

    fn state(&self) -> PathBuf {
        self.dir.path().join("sim-state.json")
    }

    fn git(&self, args: &[&str]) {
        std::fs::create_dir_all(self.root()).expect("mkdir");
        let status = Command::new("git")
            .arg("-C")
            .arg(self.root())
            .args([
                "-c",
                "user.name=poolform tests",
                "-c",
                "user.email=tests@example.invalid",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .status()
            .expect("git runs");
        assert!(status.success(), "git {args:?}");
    }

    /// Writes the configuration of `pools` and their scripts ([`SCRIPT`],
    /// or `script` for the pool it names), and commits them.
    fn commit(&self, pools: &[(&str, &str, &str)], script: Option<(&str, &str)>, message: &str) {
        self.write(pools, script);
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", message]);
    }

    /// Like [`Self::commit`] without committing.
    fn write(&self, pools: &[(&str, &str, &str)], script: Option<(&str, &str)>) {
        std::fs::create_dir_all(self.config().join("scripts")).expect("mkdir");
        std::fs::write(self.config().join("poolform.toml"), config_toml(pools)).expect("write");
        for (name, _, _) in pools {
            let text = match script {
                Some((pool, text)) if pool == *name => text,
                _ => SCRIPT,
            };
            std::fs::write(self.config().join(format!("scripts/{name}.sh")), text).expect("write");
        }
    }

    fn desired(&self) -> Desired {
        poolform::config::load(&self.config()).expect("valid configuration")
    }

    /// `poolform ARGS… CONFIG --sim=STATE`, from a directory outside the
    /// repository, so the configuration's path is what finds the repository.
    fn poolform(&self, args: &[&str]) -> Output {
        let output = Command::new(env!("CARGO_BIN_EXE_poolform"))
            .current_dir(self.dir.path())
            .args(args)
            .arg(self.config())
            .arg(format!("--sim={}", self.state().display()))
            .env("NO_COLOR", "1")
            .output()
            .expect("poolform runs");
        Output {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// `plan --base REF --format json`, parsed.
    fn plan_json(&self, base: &str) -> Value {
        let output = self.poolform(&["plan", "--base", base, "--format", "json"]);
        assert_eq!(output.code, 0, "{}", output.stderr);
        serde_json::from_str(&output.stdout).expect("JSON")
    }
}

struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

/// A simulator at 1000× holding every pool of `desired` with three Active
/// nodes built from its template (with `os` instead, when given), saving
/// to `state` when shut down; the pool ids by CCE name.
async fn converged_sim(
    desired: &Desired,
    state: &Path,
    os: impl Fn(&str) -> Option<&'static str>,
) -> (
    SimHandle,
    CceClient,
    std::collections::BTreeMap<String, String>,
) {
    let mut sim_state = SimState::new();
    sim_state.add_cluster(CLUSTER_ID);
    let mut ids = std::collections::BTreeMap::new();
    for pool in desired.pools.values() {
        let mut template = pool.template.clone();
        if let Some(os) = os(&pool.name) {
            template.os = os.to_owned();
        }
        let body = wire::NodePool {
            metadata: wire::NodePoolMetadata {
                name: pool.name.clone(),
                ..Default::default()
            },
            spec: wire::NodePoolSpec {
                pool_type: Some(template.pool_type.clone()),
                node_template: convert::template_to_wire(&template, None),
                ..Default::default()
            },
            ..Default::default()
        };
        let body = serde_json::to_value(&body).expect("json");
        let id = sim_state.add_pool_json(CLUSTER_ID, &body, 3).expect("seed");
        ids.insert(pool.name.clone(), id);
    }
    let sim = sim::start(
        SimConfig {
            auth: SimAuth::none().with_aksk("ak", "sk"),
            time_scale: 1000.0,
            state_file: Some(state.to_owned()),
            ..SimConfig::default()
        },
        sim_state,
    )
    .await
    .expect("simulator starts");
    let client = CceClient::new(ClientOptions::new(
        sim.endpoint().parse().expect("url"),
        sim.project_id(),
        Credentials::ak_sk("ak", "sk"),
    ))
    .expect("client");
    (sim, client, ids)
}

/// Someone edits the pool's labels in the console at a known time.
fn relabel_outside(sim: &SimHandle, pool_id: &str, team: &str, at: &str) {
    sim.outside_change(&OutsideChange::Pool {
        cluster_id: CLUSTER_ID.into(),
        pool_id: pool_id.into(),
        patch: json!({
            "metadata": {"updateTimestamp": at},
            "spec": {"nodeTemplate": {"k8sTags": {"team": team}}},
        }),
    })
    .expect("outside change");
}

/// Stops apply gracefully as soon as its first sync batch is posted: the
/// batch in flight finishes, nothing new starts, as after one Ctrl-C.
struct StopAfterFirstBatch(CancelToken);

impl EventSink for StopAfterFirstBatch {
    fn emit(&self, event: Event) {
        if matches!(event, Event::BatchPosted { .. }) {
            self.0.cancel(CancelLevel::Graceful);
        }
    }
}

/// Applies the configuration's plan for `pool` and stops it after the
/// first batch: the template is updated, one node reset, the rest not.
async fn apply_stopped_halfway(client: &CceClient, desired: &Desired, pool: &str) {
    let live = fetch(client, &desired.cluster_ids(), 4)
        .await
        .expect("live state");
    let plan = poolform::plan::build_plan(desired, &live, &[pool.into()]).expect("plans");
    let token = CancelToken::new();
    let options = ApplyOptions {
        poll_interval: Duration::from_millis(20),
        time_scale: 1000.0,
        pool_timeout: Duration::from_secs(30),
        ..ApplyOptions::default()
    };
    let report = apply::apply(
        client,
        &plan,
        &options,
        &StopAfterFirstBatch(token.clone()),
        &token,
    )
    .await
    .expect("apply runs");
    assert!(
        !report.succeeded(),
        "apply should have been stopped: {report:?}"
    );
}

fn change<'a>(plan: &'a Value, address: &str) -> &'a Value {
    plan["resource_changes"]
        .as_array()
        .expect("resource_changes")
        .iter()
        .find(|change| change["address"] == address)
        .unwrap_or_else(|| panic!("no change for {address}"))
}

fn attribute_class(plan: &Value, address: &str, path: &str) -> Value {
    change(plan, address)["change"]["attribute_changes"]
        .as_array()
        .expect("attribute_changes")
        .iter()
        .find(|attribute| attribute["path"] == path)
        .map(|attribute| attribute["class"].clone())
        .unwrap_or(Value::Null)
}

/// The classes of a pool's nodes to reset or left out, sorted.
fn node_classes(plan: &Value, address: &str) -> Vec<String> {
    let mut classes: Vec<String> = plan["node_syncs"]
        .as_array()
        .expect("node_syncs")
        .iter()
        .filter(|sync| sync["address"] == address)
        .flat_map(|sync| {
            let nodes = sync["nodes"].as_array().cloned().unwrap_or_default();
            let skipped = sync["skipped"].as_array().cloned().unwrap_or_default();
            nodes.into_iter().chain(skipped)
        })
        .map(|node| node["class"].as_str().unwrap_or("none").to_owned())
        .collect();
    classes.sort();
    classes
}

fn drift_addresses(plan: &Value) -> Vec<String> {
    plan["resource_drift"]
        .as_array()
        .expect("resource_drift")
        .iter()
        .map(|entry| entry["address"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_change_is_a_change_and_its_script_comes_from_the_base() {
    let repo = Repo::new();
    repo.commit(WEB, None, "base");
    let (sim, _client, _ids) = converged_sim(&repo.desired(), &repo.state(), |_| None).await;
    sim.shutdown().await.expect("saved");
    // Only the script file changes: if the base were read from the working
    // tree, both sides would have the new script and this would be drift.
    repo.commit(WEB, Some(("web", NEW_SCRIPT)), "raise max_map_count");

    let plan = repo.plan_json("HEAD~1");
    assert_eq!(change(&plan, "prod-web")["class"], "change");
    assert_eq!(
        attribute_class(&plan, "prod-web", "lifecycle.post_install"),
        "change"
    );
    assert_eq!(node_classes(&plan, "prod-web"), ["change"; 3]);
    assert_eq!(drift_addresses(&plan), Vec::<String>::new());
    assert_eq!(plan["base"]["revision"], "HEAD~1");

    // Compared with HEAD, which already has the new script, the same
    // difference is live lagging behind the configuration: drift.
    let output = repo.poolform(&["plan", "--base", "HEAD"]);
    assert_eq!(output.code, 0, "{}", output.stderr);
    assert!(output.stdout.contains("DRIFT"), "{}", output.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outside_change_between_base_and_head_is_drift() {
    let repo = Repo::new();
    repo.commit(WEB, None, "base");
    let (sim, _client, ids) = converged_sim(&repo.desired(), &repo.state(), |_| None).await;
    sim.shutdown().await.expect("saved");
    // Converged: nothing to report yet.
    let clean = repo.plan_json("HEAD");
    assert_eq!(clean["has_changes"], false, "{clean:#}");
    assert_eq!(clean["resource_drift"], json!([]));

    let (sim, _client, _) = restart(&repo).await;
    relabel_outside(
        &sim,
        &ids["web"],
        "hotfix",
        "2026-11-20 09:41:07.120 +0000 UTC",
    );
    sim.shutdown().await.expect("saved");

    let plan = repo.plan_json("HEAD");
    assert_eq!(attribute_class(&plan, "prod-web", "k8s_labels"), "drift");
    assert_eq!(drift_addresses(&plan), ["prod-web"]);
    let drift = &plan["resource_drift"][0];
    assert_eq!(drift["type"], "cce_node_pool");
    assert_eq!(drift["name"], "web");
    assert_eq!(drift["change"]["actions"], json!(["update"]));
    assert_eq!(
        drift["change"]["before"]["k8s_labels"],
        json!({"team": "platform"})
    );
    assert_eq!(
        drift["change"]["after"]["k8s_labels"],
        json!({"team": "hotfix"})
    );
    assert_eq!(drift["updated_at"], "2026-11-20 09:41:07.120 +0000 UTC");

    let text = repo.poolform(&["plan", "--base", "HEAD"]).stdout;
    assert!(
        text.contains("Note: Objects have changed outside of poolform"),
        "{text}"
    );
    assert!(
        text.contains("~ k8s_labels = {\"team\":\"hotfix\"} -> {\"team\":\"platform\"}  # DRIFT"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_here_and_outside_on_one_attribute_is_a_conflict() {
    let repo = Repo::new();
    repo.commit(WEB, None, "base");
    let (sim, _client, ids) = converged_sim(&repo.desired(), &repo.state(), |_| None).await;
    relabel_outside(
        &sim,
        &ids["web"],
        "oncall",
        "2026-11-21 17:02:55.001 +0000 UTC",
    );
    sim.shutdown().await.expect("saved");
    repo.commit(&[("web", "web", OS)], None, "relabel web");

    let plan = repo.plan_json("HEAD~1");
    assert_eq!(attribute_class(&plan, "prod-web", "k8s_labels"), "conflict");
    assert_eq!(change(&plan, "prod-web")["class"], "conflict");
    assert_eq!(drift_addresses(&plan), ["prod-web"]);
    let markdown = repo.poolform(&["plan", "--base", "HEAD~1", "--format", "markdown"]);
    assert!(
        markdown.stdout.contains(
            "`prod-web` `k8s_labels`: **conflict**: `{\"team\":\"platform\"}` at the base, `{\"team\":\"web\"}` in this change, `{\"team\":\"oncall\"}` live"
        ),
        "{}",
        markdown.stdout
    );
}

/// The simulator again, from the state file.
async fn restart(repo: &Repo) -> (SimHandle, CceClient, ()) {
    let state = SimState::load(repo.state()).expect("state loads");
    let sim = sim::start(
        SimConfig {
            auth: SimAuth::none().with_aksk("ak", "sk"),
            time_scale: 1000.0,
            state_file: Some(repo.state()),
            ..SimConfig::default()
        },
        state,
    )
    .await
    .expect("simulator starts");
    let client = CceClient::new(ClientOptions::new(
        sim.endpoint().parse().expect("url"),
        sim.project_id(),
        Credentials::ak_sk("ak", "sk"),
    ))
    .expect("client");
    (sim, client, ())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_apply_stopped_halfway_leaves_an_unfinished_rollout() {
    let repo = Repo::new();
    // The base already has the new os; the nodes still run the old one.
    repo.commit(&[("batch", "platform", OS)], None, "new os");
    let desired = repo.desired();
    let (sim, client, _) = converged_sim(&desired, &repo.state(), |_| Some(OLD_OS)).await;
    apply_stopped_halfway(&client, &desired, "prod-batch").await;
    sim.shutdown().await.expect("saved");

    let plan = repo.plan_json("HEAD");
    // The template already has the new os: no attribute changes, only the
    // two nodes the stopped apply did not reach.
    assert_eq!(
        change(&plan, "prod-batch")["change"]["actions"],
        json!(["no-op"])
    );
    assert_eq!(node_classes(&plan, "prod-batch"), ["unfinished_rollout"; 2]);
    assert_eq!(drift_addresses(&plan), Vec::<String>::new());

    let output = repo.poolform(&["drift"]);
    assert_eq!(output.code, 2, "{}\n{}", output.stdout, output.stderr);
    assert!(
        output.stdout.contains("2 nodes in an unfinished rollout"),
        "{}",
        output.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_four_classes_in_one_plan_validate_against_the_schema() {
    let repo = Repo::new();
    let base = [
        ("app", "platform", OS),
        ("api", "platform", OS),
        ("batch", "platform", OS),
        ("web", "platform", OS),
    ];
    repo.commit(&base, None, "base");
    let desired = repo.desired();
    let (sim, client, ids) = converged_sim(&desired, &repo.state(), |name| {
        (name == "batch").then_some(OLD_OS)
    })
    .await;
    apply_stopped_halfway(&client, &desired, "prod-batch").await;
    relabel_outside(
        &sim,
        &ids["web"],
        "hotfix",
        "2026-11-20 09:41:07.120 +0000 UTC",
    );
    relabel_outside(
        &sim,
        &ids["api"],
        "oncall",
        "2026-11-21 17:02:55.001 +0000 UTC",
    );
    sim.shutdown().await.expect("saved");
    let head = [
        ("app", "platform", OS),
        ("api", "api", OS),
        ("batch", "platform", OS),
        ("web", "platform", OS),
    ];
    repo.commit(
        &head,
        Some(("app", NEW_SCRIPT)),
        "raise app's max_map_count, relabel api",
    );

    let plan = repo.plan_json("HEAD~1");
    assert_eq!(change(&plan, "prod-app")["class"], "change");
    assert_eq!(
        attribute_class(&plan, "prod-app", "lifecycle.post_install"),
        "change"
    );
    assert_eq!(node_classes(&plan, "prod-app"), ["change"; 3]);
    assert_eq!(attribute_class(&plan, "prod-web", "k8s_labels"), "drift");
    assert_eq!(attribute_class(&plan, "prod-api", "k8s_labels"), "conflict");
    assert_eq!(node_classes(&plan, "prod-batch"), ["unfinished_rollout"; 2]);
    assert_eq!(drift_addresses(&plan), ["prod-api", "prod-web"]);
    assert_eq!(
        plan["class_counts"],
        json!({
            "attributes": {"change": 1, "drift": 1, "conflict": 1, "unfinished_rollout": 0},
            "nodes": {"change": 3, "drift": 0, "conflict": 0, "unfinished_rollout": 2},
        })
    );

    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/plan.schema.json"),
        )
        .expect("schema"),
    )
    .expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&plan)
        .map(|error| format!("{error} at {}", error.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:?}");

    // A saved plan keeps its classes: `show` prints the same JSON.
    let saved = repo.dir.path().join("classified.plan");
    let saved_text = saved.display().to_string();
    let output = repo.poolform(&[
        "plan",
        "--base",
        "HEAD~1",
        "--out",
        &saved_text,
        "--format",
        "json",
    ]);
    assert_eq!(output.code, 0, "{}", output.stderr);
    let shown = Command::new(env!("CARGO_BIN_EXE_poolform"))
        .args(["show", &saved_text, "--format", "json"])
        .output()
        .expect("poolform runs");
    assert_eq!(String::from_utf8_lossy(&shown.stdout), output.stdout);

    for format in ["text", "markdown"] {
        let output = repo.poolform(&["plan", "--base", "HEAD~1", "--format", format]);
        assert_eq!(output.code, 0, "{}", output.stderr);
        assert!(output.stdout.chars().count() <= poolform::render::MARKDOWN_LIMIT);
        for word in ["drift", "conflict", "unfinished rollout", "change"] {
            assert!(
                output.stdout.to_lowercase().contains(word),
                "{format}: {word}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drift_exits_0_when_clean_2_on_drift_and_1_on_error_and_changes_nothing() {
    let repo = Repo::new();
    repo.commit(WEB, None, "base");
    let (sim, _client, ids) = converged_sim(&repo.desired(), &repo.state(), |_| None).await;
    sim.shutdown().await.expect("saved");

    let clean = repo.poolform(&["drift"]);
    assert_eq!(clean.code, 0, "{}\n{}", clean.stdout, clean.stderr);
    assert!(clean.stdout.starts_with("No drift."), "{}", clean.stdout);

    let (sim, _client, _) = restart(&repo).await;
    relabel_outside(
        &sim,
        &ids["web"],
        "hotfix",
        "2026-11-20 09:41:07.120 +0000 UTC",
    );
    sim.shutdown().await.expect("saved");

    for _ in 0..2 {
        let markdown = repo.poolform(&["drift", "--format", "markdown"]);
        assert_eq!(markdown.code, 2, "{}", markdown.stderr);
        assert!(markdown.stdout.chars().count() <= poolform::render::MARKDOWN_LIMIT);
        assert!(
            markdown
                .stdout
                .contains("2026-11-20 09:41:07.120 +0000 UTC"),
            "{}",
            markdown.stdout
        );
        assert!(
            markdown.stdout.contains("poolform apply "),
            "{}",
            markdown.stdout
        );
        assert!(
            markdown.stdout.contains("--target prod-web"),
            "{}",
            markdown.stdout
        );
    }
    let json_output = repo.poolform(&["drift", "--format", "json"]);
    assert_eq!(json_output.code, 2);
    let report: Value = serde_json::from_str(&json_output.stdout).expect("JSON");
    assert_eq!(report["has_drift"], true);
    assert_eq!(report["resource_drift"][0]["address"], "prod-web");

    // An uncommitted edit that adopts the hotfix is the change in
    // progress, not drift: nothing to report.
    repo.write(&[("web", "hotfix", OS)], None);
    let adopted = repo.poolform(&["drift"]);
    assert_eq!(adopted.code, 0, "{}\n{}", adopted.stdout, adopted.stderr);

    // Errors exit 1: a revision outside git, and a broken configuration.
    let outside = tempfile::tempdir().expect("temp dir");
    std::fs::write(outside.path().join("poolform.toml"), config_toml(WEB)).expect("write");
    std::fs::create_dir_all(outside.path().join("scripts")).expect("mkdir");
    std::fs::write(outside.path().join("scripts/web.sh"), SCRIPT).expect("write");
    let output = Command::new(env!("CARGO_BIN_EXE_poolform"))
        .args(["drift"])
        .arg(outside.path())
        .arg(format!("--sim={}", repo.state().display()))
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("git checkout"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::write(
        repo.config().join("poolform.toml"),
        "[pools.x]\nflavor = 3\n",
    )
    .expect("write");
    assert_eq!(repo.poolform(&["drift"]).code, 1);
}

#[test]
fn an_unknown_base_revision_is_an_error_before_anything_is_read() {
    let repo = Repo::new();
    repo.commit(WEB, None, "base");
    let output = repo.poolform(&["plan", "--base", "origin/no-such-branch"]);
    assert_eq!(output.code, 1);
    assert!(
        output.stderr.contains("origin/no-such-branch"),
        "{}",
        output.stderr
    );
    assert!(output.stderr.contains("git fetch"), "{}", output.stderr);
    assert!(!repo.state().exists(), "the simulator was started");
}

#[test]
fn a_configuration_new_in_this_change_is_all_change() {
    let repo = Repo::new();
    std::fs::create_dir_all(repo.root()).expect("mkdir");
    std::fs::write(repo.root().join("README"), "infra\n").expect("write");
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", "empty"]);
    repo.commit(WEB, None, "first pool");
    let plan = repo.plan_json("HEAD~1");
    assert_eq!(
        change(&plan, "prod-web")["change"]["actions"],
        json!(["create"])
    );
    assert_eq!(change(&plan, "prod-web")["class"], "change");
    assert_eq!(drift_addresses(&plan), Vec::<String>::new());
}
