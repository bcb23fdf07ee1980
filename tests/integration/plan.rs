//! `poolform plan` and `poolform show`: the real binary, the real client, the
//! built-in simulator over a socket (`--sim` with a state file in a temporary
//! directory, so no tracked file changes).

use std::path::{Path, PathBuf};
use std::process::Command;

use poolform::cli::sim_seed::{SeedDefaultPool, SeedPool, SimSeed};
use poolform::live::convert;

const QUICKSTART: &str = "examples/quickstart";

/// The post-install script the quickstart's `prod-system` pool runs in the
/// seeded simulator: an older version of `scripts/post-install.sh`.
const OLD_POST_INSTALL: &str = "#!/bin/sh\n# Runs on every node after Kubernetes is installed.\nset -eu\nsysctl -w vm.max_map_count=65530\n";

const SECRET: &str = "Sup3r-Secret-Node-Pw!";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn poolform() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_poolform"));
    command.current_dir(repo());
    command.env("NO_COLOR", "1");
    command
}

struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(command: &mut Command) -> Output {
    let output = command.output().expect("poolform runs");
    Output {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// `plan PATH --sim STATE …`.
fn plan(config: &Path, state: &Path, extra: &[&str]) -> Output {
    let mut command = poolform();
    command
        .arg("plan")
        .arg(config)
        .arg(format!("--sim={}", state.display()));
    command.args(extra);
    run(&mut command)
}

/// A copy of the quickstart (config, scripts, seed) in a temporary directory.
fn quickstart_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("config");
    std::fs::create_dir_all(config.join("scripts")).expect("mkdir");
    for file in ["poolform.toml", "sim-seed.json", "scripts/post-install.sh"] {
        std::fs::copy(repo().join(QUICKSTART).join(file), config.join(file)).expect("copy");
    }
    (dir, config)
}

/// The post-install script every fleet pool runs in the seeded simulator;
/// the fleet's configuration has none, so each pool plans an update and
/// syncs.
const OLD_FLEET_POST_INSTALL: &str = "#!/bin/sh\n# Retired: node-exporter now ships in the image.\nsystemctl enable --now node-exporter\n";

/// The post-install script the DefaultPool nodes of `examples/default-pool`
/// were created with (the configuration restarts a newer exporter).
const OLD_DEFAULT_POST_INSTALL: &str = "systemctl restart old-exporter";

/// The examples with a `sim-seed.json`, and the plan summary each seed
/// makes the example show.
const SEEDED_EXAMPLES: [(&str, &str); 3] = [
    (
        "quickstart",
        "Plan: 0 to add, 1 to change, 0 to destroy, 9 nodes to sync in 3 batches.",
    ),
    (
        "default-pool",
        "Plan: 0 to add, 0 to change, 0 to destroy, 3 nodes to sync in 3 batches.",
    ),
    (
        "fleet",
        "Plan: 0 to add, 3 to change, 0 to destroy, 10 nodes to sync in 8 batches.",
    ),
];

/// The seed an example should have, made from its configuration: every
/// configured pool exists with `node_count` (else 3) Active nodes built
/// from its own template, except what the example is meant to show:
/// - quickstart: `prod-system` still runs [`OLD_POST_INSTALL`];
/// - default-pool: the DefaultPool's nodes run [`OLD_DEFAULT_POST_INSTALL`];
/// - fleet: every pool runs [`OLD_FLEET_POST_INSTALL`].
fn expected_seed(example: &str) -> SimSeed {
    let desired = poolform::config::load(&repo().join("examples").join(example))
        .unwrap_or_else(|errors| panic!("{example} is invalid: {errors:?}"));
    let regenerate = "POOLFORM_UPDATE_SEED=1 cargo test --test integration example_seeds";
    let description = match example {
        "quickstart" => format!(
            "The quickstart's cluster as the simulator starts it: every pool of \
             poolform.toml exists with node_count Active nodes, but prod-system's nodes and \
             template still run an older scripts/post-install.sh. Keep in step with \
             poolform.toml: {regenerate}"
        ),
        "default-pool" => format!(
            "The legacy cluster as the simulator starts it: three DefaultPool nodes created \
             outside any pool with an older OS and post-install script, which CCE reports out \
             of date, so a sync is planned. Keep in step with poolform.toml: {regenerate}"
        ),
        "fleet" => format!(
            "The fleet's clusters as the simulator starts them: every pool exists with \
             node_count (else 3) Active nodes, but its template and nodes still run a \
             retired post-install script, so updates and syncs are planned. Keep in step \
             with the *.toml files: {regenerate}"
        ),
        other => panic!("no seed rule for {other}"),
    };
    let mut seed = SimSeed {
        description,
        clusters: Default::default(),
    };
    for pool in desired.pools.values() {
        let mut pool = pool.clone();
        let cluster = seed
            .clusters
            .entry(desired.clusters[&pool.cluster].id.to_string())
            .or_default();
        match example {
            "quickstart" if pool.address.as_str() == "prod-system" => {
                pool.template.lifecycle.post_install = Some(OLD_POST_INSTALL.to_owned());
            }
            "fleet" => {
                pool.template.lifecycle.post_install = Some(OLD_FLEET_POST_INSTALL.to_owned());
            }
            _ => {}
        }
        if pool.is_default_pool() {
            pool.template.lifecycle.post_install = Some(OLD_DEFAULT_POST_INSTALL.to_owned());
            let mut template = convert::template_to_wire(&pool.template, None);
            // CCE reports what the nodes run; the configuration of a
            // DefaultPool names none of it.
            template.flavor = Some("s6.large.2".into());
            template.az = Some("ap-southeast-1a".into());
            template.os = Some("EulerOS 2.9".into());
            cluster.default_pool = Some(SeedDefaultPool {
                nodes: 3,
                template: serde_json::to_value(&template).expect("json"),
                out_of_date: true,
            });
            continue;
        }
        cluster.pools.push(SeedPool {
            nodes: pool.node_count.unwrap_or(3) as usize,
            pool: serde_json::to_value(poolform::live::body::create_body(
                &poolform::api::CreatePool::of(&pool),
                None,
            ))
            .expect("json"),
        });
    }
    seed
}

#[test]
fn example_seeds_match_their_configs_and_show_changes() {
    for (example, summary) in SEEDED_EXAMPLES {
        let expected = expected_seed(example);
        let path = repo().join("examples").join(example).join("sim-seed.json");
        if std::env::var_os("POOLFORM_UPDATE_SEED").is_some() {
            let mut text = serde_json::to_string_pretty(&expected).expect("serialises");
            text.push('\n');
            std::fs::write(&path, text).expect("write seed");
        }
        let committed: SimSeed =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("seed exists"))
                .expect("seed parses");
        assert!(
            committed == expected,
            "{} is out of step with examples/{example}: regenerate it with \
             `POOLFORM_UPDATE_SEED=1 cargo test --test integration example_seeds`",
            path.display()
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let output = plan(
            &repo().join("examples").join(example),
            &dir.path().join("state.json"),
            &["--detailed-exitcode"],
        );
        assert_eq!(output.code, 2, "{example}: {}", output.stderr);
        assert!(
            output.stdout.contains(summary),
            "{example}:\n{}",
            output.stdout
        );
    }
    // Every example with a seed is checked here.
    for entry in std::fs::read_dir(repo().join("examples")).expect("examples") {
        let entry = entry.expect("entry");
        if entry.path().join("sim-seed.json").exists() {
            let name = entry.file_name().to_string_lossy().into_owned();
            assert!(
                SEEDED_EXAMPLES.iter().any(|(example, _)| *example == name),
                "examples/{name} has a seed this test does not check"
            );
        }
    }
    let old = convert::encode_script(OLD_POST_INSTALL);
    assert!(
        std::fs::read_to_string(repo().join(QUICKSTART).join("sim-seed.json"))
            .expect("seed exists")
            .contains(&old)
    );
}

#[test]
fn changed_post_install_script_plans_one_update_and_batched_syncs() {
    let (dir, config) = quickstart_copy();
    let state = dir.path().join("state/sim-state.json");
    let output = plan(&config, &state, &[]);
    assert_eq!(output.code, 0, "{}", output.stderr);
    let desired = poolform::config::load(&config).expect("valid");
    let system = &desired.pools[&"prod-system".into()];
    let nodes = system.node_count.expect("managed") as usize;
    let per_batch = system.rollout.max_unavailable.resolve(nodes) as usize;
    let batches = nodes.div_ceil(per_batch);
    assert!(batches > 1, "the quickstart should show several batches");
    let text = &output.stdout;
    assert!(text.contains("~ pool \"prod-system\""), "{text}");
    assert!(
        text.contains("~ lifecycle.post_install (unified diff):"),
        "{text}"
    );
    assert!(text.contains("-sysctl -w vm.max_map_count=65530"), "{text}");
    assert!(
        text.contains("+sysctl -w vm.max_map_count=262144"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "# prod-system: {nodes} nodes will be synchronized (reset) in {batches} batches"
        )),
        "{text}"
    );
    let batch_lines = text
        .lines()
        .filter(|line| line.trim_start().starts_with("batch "))
        .count();
    assert_eq!(batch_lines, batches, "{text}");
    assert!(text.contains("disks are wiped"), "{text}");
    assert!(!text.contains("pool \"prod-ingress\""), "{text}");
    assert!(
        text.ends_with(&format!(
            "Plan: 0 to add, 1 to change, 0 to destroy, {nodes} nodes to sync in {batches} batches.\n"
        )),
        "{text}"
    );
    // The seeded state was saved for the next command.
    assert!(state.exists());

    let exit = plan(&config, &state, &["--detailed-exitcode"]);
    assert_eq!(exit.code, 2, "{}", exit.stderr);
    assert_eq!(
        exit.stdout, output.stdout,
        "the same world plans the same bytes"
    );
}

#[test]
fn unchanged_config_prints_no_changes_and_exits_zero() {
    let (dir, config) = quickstart_copy();
    // Make the configuration say what the simulator already runs: the
    // first pool (prod-system) gets the older script, prod-ingress keeps
    // the current one.
    std::fs::write(config.join("scripts/old.sh"), OLD_POST_INSTALL).expect("write");
    let toml = std::fs::read_to_string(config.join("poolform.toml")).expect("read");
    let toml = toml.replacen("scripts/post-install.sh", "scripts/old.sh", 1);
    std::fs::write(config.join("poolform.toml"), toml).expect("write");
    let state = dir.path().join("sim-state.json");
    for extra in [&[][..], &["--detailed-exitcode"][..]] {
        let output = plan(&config, &state, extra);
        assert_eq!(output.code, 0, "{}", output.stderr);
        assert!(
            output.stdout.starts_with("No changes."),
            "{}",
            output.stdout
        );
        assert!(!output.stdout.contains("Plan:"), "{}", output.stdout);
    }
    let json = plan(&config, &state, &["--format", "json"]);
    let document: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(document["has_changes"], false);
    assert!(
        document["resource_changes"]
            .as_array()
            .expect("array")
            .iter()
            .all(|change| change["change"]["actions"] == serde_json::json!(["no-op"]))
    );
}

#[test]
fn new_pool_plans_a_create() {
    let (dir, config) = quickstart_copy();
    std::fs::write(
        config.join("batch.toml"),
        "[pools.prod-batch]\ncluster = \"prod\"\nname = \"batch\"\nflavor = \"c7.2xlarge.4\"\n\
         az = \"ap-southeast-1a\"\nos = \"Huawei Cloud EulerOS 2.0\"\nnode_count = 4\n\
         login = { ssh_key = \"kp-prod\" }\nroot_volume = { type = \"GPSSD\", size = 50 }\n\
         data_volumes = [{ type = \"GPSSD\", size = 100 }]\n",
    )
    .expect("write");
    let state = dir.path().join("sim-state.json");
    let output = plan(&config, &state, &["--target", "prod-batch"]);
    assert_eq!(output.code, 0, "{}", output.stderr);
    assert!(
        output
            .stdout
            .contains("# prod-batch (cluster prod, CCE pool \"batch\") will be created"),
        "{}",
        output.stdout
    );
    assert!(
        output.stdout.contains("+ flavor = \"c7.2xlarge.4\""),
        "{}",
        output.stdout
    );
    // --target left the quickstart's own pools out.
    assert!(!output.stdout.contains("prod-system"), "{}", output.stdout);
    assert!(
        output.stdout.ends_with(
            "Plan: 1 to add, 0 to change, 0 to destroy, 0 nodes to sync in 0 batches.\n"
        ),
        "{}",
        output.stdout
    );
}

#[test]
fn unknown_target_is_an_error_with_a_suggestion() {
    let (dir, config) = quickstart_copy();
    let output = plan(
        &config,
        &dir.path().join("sim-state.json"),
        &["--target", "prod-sytem"],
    );
    assert_eq!(output.code, 1);
    assert!(output.stdout.is_empty(), "{}", output.stdout);
    assert!(
        output
            .stderr
            .contains("target `prod-sytem` is not a configured pool"),
        "{}",
        output.stderr
    );
    assert!(
        output.stderr.contains("did you mean `prod-system`?"),
        "{}",
        output.stderr
    );
}

#[test]
fn saved_plan_shows_the_same_in_every_format() {
    let (dir, config) = quickstart_copy();
    let state = dir.path().join("sim-state.json");
    let saved = dir.path().join("plan.json");
    let first = plan(&config, &state, &["--out", saved.to_str().expect("utf-8")]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(
        first.stderr.contains("Saved the plan to"),
        "{}",
        first.stderr
    );
    for format in ["text", "json", "markdown"] {
        let planned = plan(&config, &state, &["--format", format]);
        let shown =
            run(poolform().args(["show", saved.to_str().expect("utf-8"), "--format", format]));
        assert_eq!(shown.code, 0, "{}", shown.stderr);
        assert_eq!(shown.stdout, planned.stdout, "{format}");
        if format == "json" {
            let schema: serde_json::Value = serde_json::from_str(
                &std::fs::read_to_string(repo().join("schema/plan.schema.json")).expect("schema"),
            )
            .expect("schema is JSON");
            let document: serde_json::Value =
                serde_json::from_str(&shown.stdout).expect("JSON output");
            let validator = jsonschema::validator_for(&schema).expect("schema compiles");
            let errors: Vec<String> = validator
                .iter_errors(&document)
                .map(|error| error.to_string())
                .collect();
            assert!(errors.is_empty(), "{errors:?}");
            assert_eq!(document["format_version"], "1.0");
            assert_eq!(
                document["node_syncs"][0]["batches"]
                    .as_array()
                    .map(Vec::len),
                Some(3)
            );
        }
    }
    let missing = run(poolform().args(["show", "no-such-plan.json"]));
    assert_eq!(missing.code, 1);
    assert!(
        missing
            .stderr
            .contains("cannot read the saved plan no-such-plan.json"),
        "{}",
        missing.stderr
    );
}

#[test]
fn a_password_from_the_environment_appears_in_no_output() {
    let (dir, config) = quickstart_copy();
    // Switch both pools to a password login: prod-system plans an update
    // and node resets whose bodies carry the login, prod-ingress too.
    let toml = std::fs::read_to_string(config.join("poolform.toml")).expect("read");
    let toml = toml.replace(
        "login = { ssh_key = \"kp-prod\" }",
        "login = { password = { env = \"NODE_PASSWORD\" } }",
    );
    std::fs::write(config.join("poolform.toml"), toml).expect("write");
    let state = dir.path().join("sim-state.json");
    let saved = dir.path().join("plan.json");
    let mut outputs = Vec::new();
    for format in ["text", "json", "markdown"] {
        let mut command = poolform();
        command
            .arg("plan")
            .arg(&config)
            .arg(format!("--sim={}", state.display()))
            .args(["--format", format, "--out"])
            .arg(&saved)
            .env("NODE_PASSWORD", SECRET);
        let output = run(&mut command);
        assert_eq!(output.code, 0, "{}", output.stderr);
        assert!(
            output.stdout.contains("NODE_PASSWORD"),
            "the variable's name is shown: {}",
            output.stdout
        );
        outputs.push(output);
        let file = std::fs::read_to_string(&saved).expect("saved plan");
        assert!(file.contains("\"password_env\": \"NODE_PASSWORD\""));
        assert!(!file.contains(SECRET), "saved plan holds the secret");
        let shown = run(poolform()
            .arg("show")
            .arg(&saved)
            .args(["--format", format])
            .env("NODE_PASSWORD", SECRET));
        outputs.push(shown);
    }
    for output in &outputs {
        assert!(!output.stdout.contains(SECRET), "stdout holds the secret");
        assert!(!output.stderr.contains(SECRET), "stderr holds the secret");
    }
    let simulator_state = std::fs::read_to_string(&state).expect("state");
    assert!(!simulator_state.contains(SECRET));
}

/// The quickstart's plan as a new user sees it (the simulator's ids are
/// deterministic for a seeded state, so no filter is needed).
#[test]
fn quickstart_plan_snapshots() {
    let (dir, config) = quickstart_copy();
    let state = dir.path().join("sim-state.json");
    for format in ["text", "markdown"] {
        let output = plan(&config, &state, &["--format", format]);
        assert_eq!(output.code, 0, "{}", output.stderr);
        // Only the simulator's state file is named; the plan is on stdout.
        assert_eq!(
            output.stderr,
            format!(
                "using simulator state {} (delete it to start over)\n",
                state.display()
            )
        );
        insta::assert_snapshot!(format!("quickstart_plan_{format}"), output.stdout);
    }
}

/// Applying a plan and planning again gives nothing to do: the simulator
/// answers with what was sent, and the diff's normalisation (system labels,
/// defaults, password logins, reset nodes' reported config) must agree.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_just_applied_plan_replans_to_nothing() {
    use poolform::live::fetch;

    let (_dir, config) = quickstart_copy();
    // A new pool as well as the quickstart's script change.
    std::fs::write(
        config.join("batch.toml"),
        "[pools.prod-batch]\ncluster = \"prod\"\nname = \"batch\"\nflavor = \"c7.2xlarge.4\"\n\
         az = \"ap-southeast-1a\"\nos = \"Huawei Cloud EulerOS 2.0\"\nnode_count = 2\n\
         login = { ssh_key = \"kp-prod\" }\nroot_volume = { type = \"GPSSD\", size = 50 }\n\
         data_volumes = [{ type = \"GPSSD\", size = 100 }]\nk8s_labels = { team = \"batch\" }\n\
         [pools.prod-batch.lifecycle]\npre_install = \"echo pre\"\n",
    )
    .expect("write");
    let desired = poolform::config::load(&config).expect("valid");
    let seed = SimSeed::load(&config.join("sim-seed.json")).expect("seed");
    let (_sim, client) = signed_sim(seed.into_state().expect("seed")).await;

    let live = fetch(&client, &desired.cluster_ids(), 4)
        .await
        .expect("fetch");
    let plan = poolform::plan::build_plan(&desired, &live, &[]).expect("plan");
    assert_eq!(
        plan.summary().to_string(),
        "Plan: 1 to add, 1 to change, 0 to destroy, 9 nodes to sync in 3 batches."
    );
    apply_succeeds(&client, &plan).await;

    let live = fetch(&client, &desired.cluster_ids(), 4)
        .await
        .expect("fetch again");
    let again = poolform::plan::build_plan(&desired, &live, &[]).expect("plan again");
    assert!(
        !again.has_changes(),
        "{}",
        poolform::render::text(&again, &poolform::render::TextOptions::default())
    );
    assert!(
        again
            .pools
            .iter()
            .all(|pool| pool.changes.is_empty() && pool.sync.is_none())
    );
}

/// The DefaultPool is never created or updated: its nodes are synchronised
/// (nodePoolID `DefaultPool`) when CCE reports them out of date, and once
/// reset they plan to nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_pool_nodes_sync_and_then_match() {
    use poolform::live::{fetch, wire};
    use poolform::plan::StepKind;
    use poolform::sim::SimState;
    use std::collections::BTreeMap;

    let config = repo().join("examples/default-pool");
    let desired = poolform::config::load(&config).expect("valid");
    let cluster = desired.clusters[&"legacy".into()].id.to_string();
    let mut state = SimState::new();
    let spec = wire::NodeTemplate {
        flavor: Some("s6.large.2".into()),
        az: Some("ap-southeast-1a,ap-southeast-1b".into()),
        os: Some("EulerOS 2.9".into()),
        login: Some(wire::Login {
            ssh_key: Some("kp-legacy".into()),
            ..Default::default()
        }),
        extend_param: Some(BTreeMap::from([
            (
                convert::PRE_INSTALL_KEY.to_owned(),
                serde_json::json!(convert::encode_script("echo preparing node")),
            ),
            (
                convert::POST_INSTALL_KEY.to_owned(),
                serde_json::json!(convert::encode_script("systemctl restart old-exporter")),
            ),
        ])),
        ..Default::default()
    };
    state
        .add_default_nodes_json(&cluster, &serde_json::to_value(&spec).expect("json"), 3)
        .expect("seed");
    // A node response carries no scripts: what tells poolform that these
    // nodes are behind is CCE's flag.
    let ids: Vec<String> = state
        .nodes(&cluster)
        .iter()
        .map(|node| node.metadata.uid.clone())
        .collect();
    for id in ids {
        if let Some(status) = state
            .node_mut(&cluster, &id)
            .and_then(|node| node.status.as_mut())
        {
            status.configuration_up_to_date = Some(false);
        }
    }
    let (_sim, client) = signed_sim(state).await;

    let live = fetch(&client, &desired.cluster_ids(), 4)
        .await
        .expect("fetch");
    let plan = poolform::plan::build_plan(&desired, &live, &[]).expect("plan");
    assert_eq!(
        plan.summary().to_string(),
        "Plan: 0 to add, 0 to change, 0 to destroy, 3 nodes to sync in 3 batches."
    );
    let sync = plan.pools[0].sync.as_ref().expect("sync");
    assert!(
        sync.stale_nodes.iter().all(|node| node.reasons
            == ["CCE reports the node out of date (configurationUpToDate: false)"])
    );
    for step in &plan.steps {
        let StepKind::SyncBatch {
            pool_id, request, ..
        } = &step.kind
        else {
            panic!("only syncs for a DefaultPool: {step:?}");
        };
        let body = poolform::live::body::sync_body(pool_id, request, None);
        assert_eq!(body.spec.node_pool_id, "DefaultPool");
    }
    apply_succeeds(&client, &plan).await;
    let live = fetch(&client, &desired.cluster_ids(), 4)
        .await
        .expect("fetch again");
    let again = poolform::plan::build_plan(&desired, &live, &[]).expect("plan again");
    assert!(
        !again.has_changes(),
        "{}",
        poolform::render::text(&again, &poolform::render::TextOptions::default())
    );
}

/// Removing the last script of a pool must reach CCE: the update sends an
/// empty `extendParam` rather than none, and the replan is empty.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_a_pools_only_script_converges() {
    use poolform::live::fetch;

    let (_dir, config) = quickstart_copy();
    let file = config.join("poolform.toml");
    let text = std::fs::read_to_string(&file).expect("read");
    let ingress_script =
        "[pools.prod-ingress.lifecycle]\npost_install = { file = \"scripts/post-install.sh\" }\n";
    assert!(
        text.contains(ingress_script),
        "the quickstart changed shape"
    );
    std::fs::write(&file, text.replace(ingress_script, "")).expect("write");
    let desired = poolform::config::load(&config).expect("valid");
    let seed = SimSeed::load(&config.join("sim-seed.json")).expect("seed");
    let (_sim, client) = signed_sim(seed.into_state().expect("seed")).await;

    let live = fetch(&client, &desired.cluster_ids(), 4)
        .await
        .expect("fetch");
    let plan = poolform::plan::build_plan(&desired, &live, &[]).expect("plan");
    let ingress = plan
        .pools
        .iter()
        .find(|pool| pool.address.as_str() == "prod-ingress")
        .expect("ingress planned");
    assert!(
        ingress
            .changes
            .iter()
            .any(|change| change.path == "lifecycle.post_install"),
        "{:?}",
        ingress.changes
    );
    apply_succeeds(&client, &plan).await;

    let live = fetch(&client, &desired.cluster_ids(), 4)
        .await
        .expect("fetch again");
    let again = poolform::plan::build_plan(&desired, &live, &[]).expect("plan again");
    assert!(
        !again.has_changes(),
        "{}",
        poolform::render::text(&again, &poolform::render::TextOptions::default())
    );
}

/// `plan` and `apply` report configuration errors like `validate` does: the
/// diagnostics first, then one summary line, so the output reads top-down.
#[test]
fn config_errors_read_top_down_in_plan_and_apply() {
    let (dir, config) = quickstart_copy();
    let file = config.join("poolform.toml");
    let text = std::fs::read_to_string(&file).expect("config reads");
    std::fs::write(&file, text.replacen("flavor = ", "flavour = ", 1)).expect("config written");
    let state = dir.path().join("sim-state.json");
    let validate = run(poolform().arg("validate").arg(&config));
    assert_eq!(validate.code, 1, "{}", validate.stderr);
    for command in ["plan", "apply"] {
        let mut invocation = poolform();
        invocation
            .arg(command)
            .arg(&config)
            .arg(format!("--sim={}", state.display()));
        if command == "apply" {
            invocation.arg("--auto-approve");
        }
        let output = run(&mut invocation);
        assert_eq!(output.code, 1, "{command}: {}", output.stderr);
        assert!(output.stdout.is_empty(), "{command}: {}", output.stdout);
        let stderr = &output.stderr;
        let detail = stderr
            .find("unknown key `flavour`")
            .unwrap_or_else(|| panic!("{command}: no diagnostic:\n{stderr}"));
        let summary = stderr
            .find("configuration has")
            .unwrap_or_else(|| panic!("{command}: no summary:\n{stderr}"));
        assert!(
            detail < summary,
            "{command}: summary above the diagnostics:\n{stderr}"
        );
        assert!(!stderr.contains("Error:"), "{command}: {stderr}");
        // The same diagnostics as `validate`, each once.
        assert_eq!(
            stderr.matches("unknown key `flavour`").count(),
            1,
            "{command}: {stderr}"
        );
        assert_eq!(stderr, &validate.stderr, "{command}");
        assert!(!state.exists(), "{command} touched the simulator");
    }
}

/// A saved plan that cannot be read, or is not text, or is not a plan gets a
/// coded diagnostic with a way forward from both `show` and `apply`.
#[test]
fn unreadable_or_binary_saved_plans_are_coded_diagnostics() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("nope.plan");
    let binary = dir.path().join("bin.plan");
    std::fs::write(&binary, [0xff_u8, 0xfe, 0x00, 0x9c, b'{']).expect("written");
    let not_a_plan = dir.path().join("notes.txt");
    std::fs::write(&not_a_plan, "[cloud]\nproject_id = \"p\"\n").expect("written");

    let cases: [(&str, &Path, &str); 6] = [
        ("show", &missing, "poolform::plan::unreadable"),
        ("show", &binary, "poolform::plan::not_text"),
        ("show", &not_a_plan, "poolform::plan::invalid_saved_plan"),
        ("apply", &missing, "poolform::plan::unreadable"),
        ("apply", &binary, "poolform::plan::not_text"),
        ("apply", &not_a_plan, "poolform::plan::invalid_saved_plan"),
    ];
    for (command, file, code) in cases {
        let mut invocation = poolform();
        invocation.arg(command).arg(file);
        if command == "apply" {
            invocation
                .arg(format!("--sim={}", dir.path().join("state.json").display()))
                .arg("--auto-approve");
        }
        let output = run(&mut invocation);
        let stderr = &output.stderr;
        let what = format!("{command} {}", file.display());
        assert_eq!(output.code, 1, "{what}: {stderr}");
        assert!(stderr.contains(code), "{what}: no {code}:\n{stderr}");
        assert!(stderr.contains("help:"), "{what}: no help:\n{stderr}");
        assert!(
            stderr.contains(&file.display().to_string()),
            "{what}: path not named:\n{stderr}"
        );
        assert!(stderr.contains("poolform plan --out"), "{what}:\n{stderr}");
        assert!(
            !stderr.contains("TOML"),
            "{what}: read as a config:\n{stderr}"
        );
        assert!(
            !stderr.contains("stream did not contain"),
            "{what}:\n{stderr}"
        );
    }
}

/// A copy of an example directory (its files, not subdirectories) under
/// `parent`.
fn example_copy(parent: &Path, example: &str) -> PathBuf {
    let target = parent.join(example);
    std::fs::create_dir_all(&target).expect("mkdir");
    for entry in std::fs::read_dir(repo().join("examples").join(example)).expect("example") {
        let entry = entry.expect("entry");
        if entry.file_type().expect("file type").is_file() {
            std::fs::copy(entry.path(), target.join(entry.file_name())).expect("copy");
        }
    }
    target
}

/// Bare `--sim` keeps one state file per configuration and says which, so
/// planning one example leaves what another shows alone.
#[test]
fn bare_sim_keeps_one_state_per_configuration() {
    let (dir, quickstart) = quickstart_copy();
    let fleet = example_copy(dir.path(), "fleet");
    let work = dir.path().join("work");
    std::fs::create_dir_all(&work).expect("mkdir");
    let bare_plan = |config: &Path| {
        run(poolform()
            .current_dir(&work)
            .arg("plan")
            .arg(config)
            .arg("--sim"))
    };
    let state_named = |output: &Output| -> PathBuf {
        let line = output
            .stderr
            .lines()
            .find(|line| line.starts_with("using simulator state "))
            .unwrap_or_else(|| panic!("state file not named:\n{}", output.stderr));
        let file = line
            .trim_start_matches("using simulator state ")
            .trim_end_matches(" (delete it to start over)");
        assert!(file.starts_with(".poolform/sim/"), "{line}");
        work.join(file)
    };

    let first = bare_plan(&fleet);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let fleet_state = state_named(&first);
    assert!(fleet_state.is_file(), "{}", fleet_state.display());

    for _ in 0..2 {
        let output = bare_plan(&quickstart);
        assert_eq!(output.code, 0, "{}", output.stderr);
        assert!(
            output.stdout.contains(
                "Plan: 0 to add, 1 to change, 0 to destroy, 9 nodes to sync in 3 batches."
            ),
            "{}",
            output.stdout
        );
        let quickstart_state = state_named(&output);
        assert!(quickstart_state.is_file());
        assert_ne!(quickstart_state, fleet_state);
    }
}

/// The `--out` hint of a plan made on the simulator names the same state,
/// and the command it gives applies the plan.
#[test]
fn saved_sim_plan_hint_names_the_state_and_works() {
    let (dir, config) = quickstart_copy();
    let state = dir.path().join("sim-state.json");
    let saved = dir.path().join("plan.json");
    let output = plan(&config, &state, &["--out", &saved.to_string_lossy()]);
    assert_eq!(output.code, 0, "{}", output.stderr);
    let command = format!(
        "`poolform apply {} --sim={}`",
        saved.display(),
        state.display()
    );
    assert!(output.stderr.contains(&command), "{}", output.stderr);

    let applied = run(poolform()
        .arg("apply")
        .arg(&saved)
        .arg(format!("--sim={}", state.display())));
    assert_eq!(applied.code, 0, "{}\n{}", applied.stdout, applied.stderr);
    assert!(
        applied.stdout.contains("Apply complete!"),
        "{}",
        applied.stdout
    );
}

/// A simulator at 1000× that checks AK/SK signatures, holding `state`, and
/// a client signing for it.
async fn signed_sim(
    state: poolform::sim::SimState,
) -> (poolform::sim::SimHandle, poolform::live::CceClient) {
    use poolform::live::{CceClient, ClientOptions, Credentials};
    use poolform::sim::{SimAuth, SimConfig};
    let sim = poolform::sim::start(
        SimConfig {
            auth: SimAuth::none().with_aksk("ak", "sk"),
            time_scale: 1000.0,
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
    (sim, client)
}

/// Applies `plan` with timings for a simulator at 1000× and checks that
/// every step succeeded.
async fn apply_succeeds(client: &poolform::live::CceClient, plan: &poolform::plan::Plan) {
    use poolform::apply::{ApplyOptions, CancelToken, NoEvents};
    use std::time::Duration;
    let options = ApplyOptions {
        poll_interval: Duration::from_millis(20),
        time_scale: 1000.0,
        pool_timeout: Duration::from_secs(30),
        ..ApplyOptions::default()
    };
    let report = poolform::apply::apply(client, plan, &options, &NoEvents, &CancelToken::new())
        .await
        .expect("applies");
    assert!(report.succeeded(), "{report:?}");
}

/// An IAM password login the simulator refuses: the error names IAM and the
/// IAM endpoint asked (the only request made), not CCE or a cluster, and
/// neither the password nor anything else secret is printed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_iam_login_names_iam_and_its_endpoint() {
    use poolform::sim::{SimAuth, SimConfig, SimState};
    const WRONG_PASSWORD: &str = "Wr0ng-IAM-Passw0rd!";
    let sim = poolform::sim::start(
        SimConfig {
            auth: SimAuth::none().with_user("alice", "the-right-password"),
            ..SimConfig::default()
        },
        SimState::new(),
    )
    .await
    .expect("simulator starts");
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("poolform.toml"),
        format!(
            "[cloud]\nendpoint = \"{}\"\nproject_id = \"{}\"\n\n[clusters.prod]\nid = \"c-prod\"\n",
            sim.endpoint(),
            sim.project_id()
        ),
    )
    .expect("config written");
    let mut command = poolform();
    command
        .arg("plan")
        .arg(dir.path())
        .env_remove("CLOUD_SDK_AK")
        .env_remove("CLOUD_SDK_SK")
        .env_remove("POOLFORM_AUTH_TOKEN")
        .env("CLOUD_SDK_IAM_USER", "alice")
        .env("CLOUD_SDK_IAM_PASSWORD", WRONG_PASSWORD)
        .env("CLOUD_SDK_IAM_DOMAIN", "acme")
        .env("CLOUD_SDK_IAM_ENDPOINT", sim.endpoint());
    let output = tokio::task::spawn_blocking(move || run(&mut command))
        .await
        .expect("runner joins");
    assert_eq!(output.code, 1, "{}", output.stderr);
    let stderr = &output.stderr;
    assert!(
        stderr.contains(&format!("IAM at {} answered HTTP 401", sim.endpoint())),
        "{stderr}"
    );
    assert!(stderr.contains("poolform::live::iam"), "{stderr}");
    assert!(stderr.contains("CLOUD_SDK_IAM_PASSWORD"), "{stderr}");
    assert!(!stderr.contains("CCE answered"), "{stderr}");
    assert!(!stderr.contains("cluster prod"), "{stderr}");
    assert!(!stderr.contains(WRONG_PASSWORD) && !output.stdout.contains(WRONG_PASSWORD));
    // IAM's token issue was the only request: nothing reached CCE.
    assert_eq!(sim.requests_served(), 1);
}
