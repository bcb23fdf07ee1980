//! `poolform import` on the real binary against the in-process simulator:
//! what it writes plans clean against the pools it came from, validates,
//! matches the committed schema, and names what it cannot express.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use proptest::prelude::*;

const CLUSTER_ID: &str = "4d1ecb2c-229a-11e8-9c75-0255ac100ceb";
const PASSWORD: &str = "Imp0rt-Test.pw";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_poolform"));
    command.args(args).env("NO_COLOR", "1");
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().expect("poolform runs");
    Output {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn text(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// `import CONFIG --cluster KEY --sim=STATE …`.
fn import(config: &Path, state: &Path, cluster: &str, extra: &[&str]) -> Output {
    let sim = format!("--sim={}", state.display());
    let mut args = vec!["import", text(config), "--cluster", cluster, sim.as_str()];
    args.extend_from_slice(extra);
    run(&args, &[])
}

/// `plan CONFIG --sim=STATE --detailed-exitcode`, with `env` set.
fn plan_clean(config: &Path, state: &Path, env: &[(&str, &str)]) {
    let sim = format!("--sim={}", state.display());
    let planned = run(&["plan", text(config), &sim, "--detailed-exitcode"], env);
    assert_eq!(
        planned.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        planned.stdout, planned.stderr
    );
    assert!(planned.stdout.contains("No changes."), "{}", planned.stdout);
}

/// `validate CONFIG` passes, and every TOML file of it matches the
/// committed schema.
fn assert_valid(config: &Path, env: &[(&str, &str)]) {
    let validated = run(&["validate", text(config)], env);
    assert_eq!(validated.code, 0, "{}", validated.stderr);
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("schema/poolform.schema.json")).expect("schema"),
    )
    .expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    for entry in std::fs::read_dir(config).expect("config dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|ext| ext != "toml") {
            continue;
        }
        let contents = std::fs::read_to_string(&path).expect("read");
        let value: serde_json::Value = toml::from_str(&contents).expect("TOML");
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|error| format!("{}: {error}", error.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
    }
}

/// Copies a directory tree.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Removes every `[pools.*]` from the TOML files of `dir` and returns the
/// cluster keys they define.
fn strip_pools(dir: &Path) -> Vec<String> {
    let mut clusters = Vec::new();
    for entry in std::fs::read_dir(dir).expect("dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|ext| ext != "toml") {
            continue;
        }
        let mut table: toml::Table =
            toml::from_str(&std::fs::read_to_string(&path).expect("read")).expect("TOML");
        table.remove("pools");
        if let Some(toml::Value::Table(defined)) = table.get("clusters") {
            clusters.extend(defined.keys().cloned());
        }
        std::fs::write(&path, toml::to_string(&table).expect("TOML out")).expect("write");
    }
    clusters.sort();
    clusters
}

/// Every example with a seeded live state: take its pools out of the
/// configuration, import them back from the simulator, and the plan is
/// empty. The seeds' DefaultPool nodes are marked out of date by CCE (so
/// that the example plans a sync); that flag is CCE's judgement of the
/// nodes, which no configuration changes, so it is cleared here.
#[test_case::test_case("quickstart")]
#[test_case::test_case("fleet")]
#[test_case::test_case("default-pool")]
fn example_seed_round_trips_through_import(example: &str) {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join(example);
    copy_tree(&repo().join("examples").join(example), &config);
    let seed_path = config.join("sim-seed.json");
    let mut seed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&seed_path).expect("seed")).expect("JSON");
    for cluster in seed["clusters"]
        .as_object_mut()
        .expect("clusters")
        .values_mut()
    {
        if let Some(default_pool) = cluster
            .get_mut("default_pool")
            .and_then(serde_json::Value::as_object_mut)
        {
            default_pool.remove("out_of_date");
        }
    }
    std::fs::write(&seed_path, seed.to_string()).expect("write seed");
    let clusters = strip_pools(&config);
    let state = dir.path().join("state.json");
    // A plan of the configuration without pools starts the simulated world,
    // which import must leave as it found it: it only reads.
    let sim = format!("--sim={}", state.display());
    let started = run(&["plan", text(&config), &sim], &[]);
    assert_eq!(started.code, 0, "{}", started.stderr);
    let before = world(&state);
    for cluster in &clusters {
        let imported = import(&config, &state, cluster, &[]);
        assert_eq!(imported.code, 0, "{}", imported.stderr);
        assert!(
            imported.stderr.contains("imported pool"),
            "{}",
            imported.stderr
        );
    }
    assert_eq!(world(&state), before, "import changed the simulated world");
    assert_valid(&config, &[]);
    plan_clean(&config, &state, &[]);
}

/// The simulator's state file without its clock, which moves on every run.
fn world(state: &Path) -> serde_json::Value {
    let mut world: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(state).expect("state")).expect("JSON");
    world.as_object_mut().expect("state object").remove("now");
    world
}

/// A config directory defining the one cluster, with `seed` beside it.
fn cluster_dir(root: &Path, name: &str, seed: &serde_json::Value) -> PathBuf {
    let config = root.join(name);
    std::fs::create_dir_all(&config).expect("mkdir");
    std::fs::write(
        config.join("poolform.toml"),
        format!("[cloud]\nregion = \"ap-southeast-1\"\n\n[clusters.prod]\nid = \"{CLUSTER_ID}\"\n"),
    )
    .expect("write config");
    std::fs::write(config.join("sim-seed.json"), seed.to_string()).expect("write seed");
    config
}

fn seed_with_pool(pool: serde_json::Value, nodes: usize) -> serde_json::Value {
    serde_json::json!({
        "clusters": { CLUSTER_ID: { "pools": [{ "nodes": nodes, "pool": pool }] } }
    })
}

/// A pool with fields the configuration has no key for: named in a comment
/// of the file and on stderr; and the file still plans clean.
#[test]
fn inexpressible_fields_are_named_in_a_comment_and_on_stderr() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pool = serde_json::json!({
        "apiVersion": "v3",
        "kind": "NodePool",
        "metadata": { "name": "odd" },
        "spec": {
            "type": "vm",
            "initialNodeCount": 1,
            "extensionScaleGroups": [{ "metadata": { "name": "spot" } }],
            "nodeTemplate": {
                "flavor": "c7.large.2",
                "az": "ap-southeast-1a",
                "os": "Huawei Cloud EulerOS 2.0",
                "login": { "userPassword": { "username": "root", "password": "" } },
                "rootVolume": { "size": 50, "volumetype": "SSD" },
                "dataVolumes": [{ "size": 100, "volumetype": "SSD" }],
                "hostnameConfig": { "type": "cceNodeName" },
                "extendParam": {
                    "alpha.cce/postInstall": "ZWNobyAiaGVsbG8iCg=="
                },
                "runtime": { "name": "containerd" }
            }
        }
    });
    let config = cluster_dir(dir.path(), "config", &seed_with_pool(pool, 1));
    let state = dir.path().join("state.json");
    let imported = import(&config, &state, "prod", &[]);
    assert_eq!(imported.code, 0, "{}", imported.stderr);
    let written = std::fs::read_to_string(config.join("prod-odd.toml")).expect("imported file");
    for field in [
        "spec.nodeTemplate.hostnameConfig",
        "spec.extensionScaleGroups",
    ] {
        assert!(
            written
                .lines()
                .any(|line| line.starts_with('#') && line.contains(field)),
            "{field} not in a comment:\n{written}"
        );
        assert!(imported.stderr.contains(field), "{}", imported.stderr);
    }
    assert!(written.contains("cceNodeName"), "{written}");
    assert!(
        written.contains("login = { password = { env = \"NODE_PASSWORD_PROD_ODD\" } }"),
        "{written}"
    );
    assert!(
        written.contains("CCE never returns the password"),
        "{written}"
    );
    assert_eq!(
        std::fs::read_to_string(config.join("scripts/prod-odd-post-install.sh")).expect("script"),
        "echo \"hello\"\n"
    );
    insta::assert_snapshot!("import_password_script_inexpressible", written);
    let env = [("NODE_PASSWORD_PROD_ODD", PASSWORD)];
    assert_valid(&config, &env);
    plan_clean(&config, &state, &env);
}

/// `--format json` prints the files and writes none; `--force`, `--pool`
/// and an already managed pool.
#[test]
fn json_format_prints_the_files_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pool = serde_json::json!({
        "metadata": { "name": "web" },
        "spec": {
            "initialNodeCount": 2,
            "nodeTemplate": {
                "flavor": "c7.large.2",
                "az": "ap-southeast-1a",
                "os": "Huawei Cloud EulerOS 2.0",
                "login": { "sshKey": "kp" },
                "rootVolume": { "size": 50, "volumetype": "SSD" },
                "dataVolumes": [{ "size": 100, "volumetype": "SSD" }]
            }
        }
    });
    let config = cluster_dir(dir.path(), "config", &seed_with_pool(pool, 2));
    let state = dir.path().join("state.json");
    let printed = import(&config, &state, "prod", &["--format", "json"]);
    assert_eq!(printed.code, 0, "{}", printed.stderr);
    let document: serde_json::Value = serde_json::from_str(&printed.stdout).expect("JSON");
    assert_eq!(document["pools"][0]["address"], "prod-web");
    assert_eq!(document["pools"][0]["files"][0]["path"], "prod-web.toml");
    let contents = document["pools"][0]["files"][0]["contents"]
        .as_str()
        .expect("contents");
    assert!(contents.contains("node_count = 2"), "{contents}");
    assert!(!config.join("prod-web.toml").exists());

    // An existing file is kept, and the error says how to overwrite it.
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).expect("mkdir");
    std::fs::write(out.join("prod-web.toml"), "# mine\n").expect("write");
    let refused = import(&config, &state, "prod", &["--out", text(&out)]);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("would overwrite"),
        "{}",
        refused.stderr
    );
    assert!(refused.stderr.contains("--force"), "{}", refused.stderr);
    assert_eq!(
        std::fs::read_to_string(out.join("prod-web.toml")).expect("read"),
        "# mine\n"
    );
    let forced = import(&config, &state, "prod", &["--out", text(&out), "--force"]);
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    assert_eq!(
        std::fs::read_to_string(out.join("prod-web.toml")).expect("read"),
        contents
    );

    // A pool the cluster does not have, and one already managed, are errors.
    let unknown = import(&config, &state, "prod", &["--pool", "nope"]);
    assert_eq!(unknown.code, 1, "{}", unknown.stderr);
    assert!(
        unknown.stderr.contains("has no pool named `nope`"),
        "{}",
        unknown.stderr
    );
    let imported = import(&config, &state, "prod", &["--pool", "web", "--pool", "web"]);
    assert_eq!(imported.code, 0, "{}", imported.stderr);
    let managed = import(&config, &state, "prod", &["--pool", "web"]);
    assert_eq!(managed.code, 1, "{}", managed.stderr);
    assert!(
        managed.stderr.contains("already managed as `prod-web`"),
        "{}",
        managed.stderr
    );
    let nothing = import(&config, &state, "prod", &[]);
    assert_eq!(nothing.code, 0, "{}", nothing.stderr);
    assert!(
        nothing.stderr.contains("nothing to import"),
        "{}",
        nothing.stderr
    );
}

/// What the property test varies: the fields the configuration expresses.
#[derive(Debug, Clone)]
struct GeneratedPool {
    default_pool: bool,
    password: bool,
    root: (&'static str, u32),
    data: Vec<(&'static str, u32)>,
    labels: BTreeMap<String, String>,
    taints: Vec<(String, String, &'static str)>,
    tags: BTreeMap<String, String>,
    pre_install: Option<String>,
    post_install: Option<String>,
    autoscaling: Option<(u32, u32)>,
    node_count: u32,
    max_pods: Option<u32>,
    wait_post_install_finish: bool,
    public_ip: Option<(u32, &'static str)>,
    agency: Option<String>,
    reserved_mem: Option<u32>,
}

fn quoted(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

fn inline_map(map: &BTreeMap<String, String>) -> String {
    let entries: Vec<String> = map
        .iter()
        .map(|(key, value)| format!("{} = {}", quoted(key), quoted(value)))
        .collect();
    format!("{{ {} }}", entries.join(", "))
}

impl GeneratedPool {
    /// The pool as configuration, for poolform to turn into a create body.
    fn toml(&self) -> String {
        let mut text = String::from("[pools.gen]\ncluster = \"prod\"\n");
        let login = if self.password {
            "login = { password = { env = \"GEN_PASSWORD\" } }\n"
        } else {
            "login = { ssh_key = \"kp-gen\" }\n"
        };
        let mut lifecycle = Vec::new();
        if let Some(script) = &self.pre_install {
            lifecycle.push(format!("pre_install = {}", quoted(script)));
        }
        if let Some(script) = &self.post_install {
            lifecycle.push(format!("post_install = {}", quoted(script)));
        }
        if self.wait_post_install_finish && !self.default_pool {
            lifecycle.push("wait_post_install_finish = true".to_owned());
        }
        let lifecycle = if lifecycle.is_empty() {
            String::new()
        } else {
            format!("lifecycle = {{ {} }}\n", lifecycle.join(", "))
        };
        if self.default_pool {
            return format!("{text}name = \"DefaultPool\"\n{login}{lifecycle}");
        }
        text.push_str("flavor = \"c7.large.2\"\naz = \"ap-southeast-1a\"\nos = \"Huawei Cloud EulerOS 2.0\"\n");
        text.push_str(login);
        text.push_str(&format!(
            "root_volume = {{ type = \"{}\", size = {} }}\n",
            self.root.0, self.root.1
        ));
        let data: Vec<String> = self
            .data
            .iter()
            .map(|(kind, size)| format!("{{ type = \"{kind}\", size = {size} }}"))
            .collect();
        text.push_str(&format!("data_volumes = [{}]\n", data.join(", ")));
        text.push_str(&format!("k8s_labels = {}\n", inline_map(&self.labels)));
        let taints: Vec<String> = self
            .taints
            .iter()
            .map(|(key, value, effect)| {
                format!(
                    "{{ key = {}, value = {}, effect = \"{effect}\" }}",
                    quoted(key),
                    quoted(value)
                )
            })
            .collect();
        text.push_str(&format!("taints = [{}]\n", taints.join(", ")));
        text.push_str(&format!("user_tags = {}\n", inline_map(&self.tags)));
        if let Some(max_pods) = self.max_pods {
            text.push_str(&format!("max_pods = {max_pods}\n"));
        }
        if let Some((size, share)) = self.public_ip {
            text.push_str(&format!(
                "public_ip = {{ ip_type = \"5_bgp\", bandwidth_size = {size}, share_type = \"{share}\" }}\n"
            ));
        }
        let mut params = Vec::new();
        if let Some(agency) = &self.agency {
            params.push(format!("agency_name = {}", quoted(agency)));
        }
        if let Some(mem) = self.reserved_mem {
            params.push(format!("kubeReservedMem = {mem}"));
        }
        if !params.is_empty() {
            text.push_str(&format!("extend_params = {{ {} }}\n", params.join(", ")));
        }
        text.push_str(&lifecycle);
        match self.autoscaling {
            Some((min, max)) => {
                text.push_str(&format!("autoscaling = {{ min = {min}, max = {max} }}\n"));
            }
            None => text.push_str(&format!("node_count = {}\n", self.node_count)),
        }
        text
    }
}

fn script() -> impl Strategy<Value = Option<String>> {
    proptest::option::of("[a-zA-Z0-9 \"'\\\\#$=\\n\\t{}é]{1,60}")
}

fn generated_pool() -> impl Strategy<Value = GeneratedPool> {
    let volume_type = prop_oneof![Just("SSD"), Just("GPSSD"), Just("SAS")];
    let label_key = "[a-z]{1,8}(\\.example\\.com/[a-z]{1,6})?";
    let label_value = "([a-z][a-z0-9]{0,6})?";
    (
        (any::<bool>(), any::<bool>(), any::<bool>()),
        (volume_type.clone(), 40u32..=200),
        proptest::collection::vec((volume_type, 10u32..=500), 1..=3),
        proptest::collection::btree_map(label_key, label_value, 0..=3),
        proptest::collection::btree_map(
            (
                "[a-z]{1,8}",
                prop_oneof![Just("NoSchedule"), Just("NoExecute")],
            ),
            label_value,
            0..=2,
        ),
        proptest::collection::btree_map("[a-z][a-z0-9_-]{0,8}", "[a-z0-9]{0,8}", 0..=3),
        (script(), script()),
        proptest::option::of((0u32..=3, 3u32..=10)),
        0u32..=3,
        (
            proptest::option::of(16u32..=256),
            any::<bool>(),
            proptest::option::of((1u32..=300, prop_oneof![Just("PER"), Just("WHOLE")])),
            proptest::option::of("[a-z][a-z0-9-]{0,10}"),
            proptest::option::of(100u32..=2000),
        ),
    )
        .prop_map(
            |(
                (default_pool, password, _),
                root,
                data,
                labels,
                taints,
                tags,
                (pre_install, post_install),
                autoscaling,
                node_count,
                (max_pods, wait_post_install_finish, public_ip, agency, reserved_mem),
            )| GeneratedPool {
                default_pool,
                // The DefaultPool's login is read from its nodes, which show
                // only key pairs.
                password: password && !default_pool,
                root,
                data,
                labels,
                taints: taints
                    .into_iter()
                    .map(|((key, effect), value)| (key, value, effect))
                    .collect(),
                tags,
                pre_install,
                post_install,
                autoscaling,
                node_count,
                max_pods,
                wait_post_install_finish,
                public_ip,
                agency,
                reserved_mem,
            },
        )
}

/// The simulator seed of a generated pool, made from poolform's own create
/// body (or, for a DefaultPool, a node spec with its login and scripts).
fn seed_of(generated: &GeneratedPool, root: &Path) -> serde_json::Value {
    let source = cluster_dir(root, "source", &serde_json::json!({ "clusters": {} }));
    std::fs::write(source.join("pool.toml"), generated.toml()).expect("write pool");
    let desired = poolform::config::load(&source).expect("generated config is valid");
    let pool = desired.pools.values().next().expect("one pool");
    let body = serde_json::to_value(poolform::live::body::create_body(
        &poolform::api::CreatePool::of(pool),
        None,
    ))
    .expect("body JSON");
    if generated.default_pool {
        return serde_json::json!({
            "clusters": { CLUSTER_ID: {
                "pools": [],
                "default_pool": { "nodes": 2, "template": body["spec"]["nodeTemplate"] }
            } }
        });
    }
    let nodes = generated
        .autoscaling
        .map_or(generated.node_count, |(min, _)| min);
    seed_with_pool(body, nodes as usize)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    /// Any pool poolform can describe imports to a file that plans clean
    /// against it (the password variable set, as the comment asks).
    #[test]
    fn imported_generated_pool_plans_clean(generated in generated_pool()) {
        let dir = tempfile::tempdir().expect("temp dir");
        let seed = seed_of(&generated, dir.path());
        let config = cluster_dir(dir.path(), "config", &seed);
        let state = dir.path().join("state.json");
        let imported = import(&config, &state, "prod", &[]);
        prop_assert_eq!(imported.code, 0, "{}", imported.stderr);
        let env = [("NODE_PASSWORD_PROD_GEN", PASSWORD)];
        assert_valid(&config, &env);
        plan_clean(&config, &state, &env);
    }
}
