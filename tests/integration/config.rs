//! The config language through the real binary: `poolform validate` on the
//! shipped examples and on broken configs, `--format json`, the committed
//! JSON schema, and secrets that must never be printed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use indoc::indoc;

fn poolform() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_poolform"));
    command.current_dir(env!("CARGO_MANIFEST_DIR"));
    // Diagnostics must not depend on the caller's environment.
    command.env_remove("NODE_PASSWORD").env("NO_COLOR", "1");
    command
}

fn run(command: &mut Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().expect("the poolform binary runs");
    (
        status.code().expect("poolform exits normally"),
        String::from_utf8(stdout).expect("stdout is UTF-8"),
        String::from_utf8(stderr).expect("stderr is UTF-8"),
    )
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create parent directory");
    }
    std::fs::write(&path, text).expect("write config file");
    path
}

#[test_case::test_case("quickstart")]
#[test_case::test_case("fleet")]
#[test_case::test_case("default-pool")]
#[test_case::test_case("password")]
fn shipped_example_is_valid(example: &str) {
    let (code, stdout, stderr) = run(poolform().args(["validate", &format!("examples/{example}")]));
    assert_eq!(code, 0, "stdout: {stdout}\nstderr: {stderr}");
    assert!(stderr.contains("is valid"), "{stderr}");
}

#[test_case::test_case("quickstart")]
#[test_case::test_case("fleet")]
#[test_case::test_case("default-pool")]
#[test_case::test_case("password")]
fn shipped_example_points_editors_at_the_schema(example: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(example);
    let mut tomls = 0;
    for entry in std::fs::read_dir(&dir).expect("example directory exists") {
        let path = entry.expect("directory entry").path();
        if path.extension().is_some_and(|ext| ext == "toml") {
            tomls += 1;
            let text = std::fs::read_to_string(&path).expect("read example");
            assert_eq!(
                text.lines().next(),
                Some("#:schema ../../schema/poolform.schema.json"),
                "{} must start with the #:schema line",
                path.display()
            );
        }
    }
    assert!(tomls > 0, "{} has no *.toml files", dir.display());
}

#[test]
fn committed_schema_matches_the_generated_one() {
    let (code, generated, stderr) = run(poolform().args(["schema", "config"]));
    assert_eq!(code, 0, "{stderr}");
    let committed = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/poolform.schema.json"),
    )
    .expect("schema/poolform.schema.json is committed");
    assert!(
        committed == generated,
        "schema/poolform.schema.json is out of date: run `cargo run -- schema config > schema/poolform.schema.json` and commit it"
    );
}

/// Two files, seven distinct problems between them.
fn broken_config(dir: &Path) {
    write(
        dir,
        "a.toml",
        indoc! {r#"
            [clusters.prod]
            id = "c1"
            max_unavailable = 500

            [pools.prod-system]
            cluster = "prod"
            flavour = "c7.large.2"
            az = "ap-southeast-1a"
            os = "EulerOS 2.9"
            login = { ssh_key = "kp" }
            root_volume = { type = "GPSSD", size = 20 }
            data_volumes = [{ type = "GPSSD", size = 100 }]
            taints = [{ key = "a", effect = "NoSchedul" }]
            rollout = { depends_on = ["prod-web"] }
        "#},
    );
    write(
        dir,
        "b.toml",
        indoc! {r#"
            [pools.prod-web]
            cluster = "prd"
            flavor = "c7.large.2"
            az = "ap-southeast-1a"
            os = "EulerOS 2.9"
            login = { ssh_key = "kp" }
            root_volume = { type = "GPSSD", size = 50 }
            data_volumes = [{ type = "GPSSD", size = 100 }]
            rollout = { depends_on = ["prod-system"], soak = "5 parsecs" }
        "#},
    );
}

#[test]
fn every_error_of_two_files_is_printed_with_its_location() {
    let dir = tempfile::tempdir().expect("temp dir");
    broken_config(dir.path());
    let (code, stdout, stderr) = run(poolform().arg("validate").arg(dir.path()));
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stdout, "", "diagnostics go to stderr");
    let a = dir.path().join("a.toml").display().to_string();
    let b = dir.path().join("b.toml").display().to_string();
    let expected = [
        (format!("{a}:3:19"), "poolform::config::out_of_range"),
        (format!("{a}:7:1"), "poolform::config::unknown_key"),
        (format!("{a}:11:40"), "poolform::config::out_of_range"),
        (format!("{a}:13:33"), "poolform::config::invalid_taint"),
        (format!("{b}:2:11"), "poolform::config::unknown_cluster"),
        (format!("{b}:9:27"), "poolform::config::dependency_cycle"),
        (format!("{b}:9:50"), "poolform::config::invalid_duration"),
    ];
    for (location, code) in &expected {
        assert!(
            stderr.contains(&format!("[{location}]")),
            "missing {location} in:\n{stderr}"
        );
        assert!(stderr.contains(code), "missing {code} in:\n{stderr}");
    }
    assert!(stderr.contains("configuration has 7 errors"), "{stderr}");
}

#[test]
fn json_format_lists_every_diagnostic_on_stdout() {
    let dir = tempfile::tempdir().expect("temp dir");
    broken_config(dir.path());
    let (code, stdout, stderr) = run(poolform()
        .arg("validate")
        .arg(dir.path())
        .args(["--format", "json"]));
    assert_eq!(code, 1, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("stdout is JSON");
    assert_eq!(report["valid"], false);
    assert_eq!(report["error_count"], 7);
    let diagnostics = report["diagnostics"].as_array().expect("diagnostics array");
    assert_eq!(diagnostics.len(), 7);
    let first = &diagnostics[0];
    assert_eq!(
        first["file"],
        dir.path().join("a.toml").display().to_string()
    );
    assert_eq!(first["line"], 3);
    assert_eq!(first["column"], 19);
    assert_eq!(first["code"], "poolform::config::out_of_range");
    assert_eq!(first["severity"], "error");
    assert_eq!(
        first["message"],
        "`clusters.prod.max_unavailable` must be between 1 and 200, not 500"
    );
    assert_eq!(
        first["help"],
        "set `max_unavailable` to a value from 1 to 200"
    );
    for diagnostic in diagnostics {
        for field in [
            "file", "line", "column", "code", "severity", "message", "help",
        ] {
            assert!(
                !diagnostic[field].is_null(),
                "{field} missing in {diagnostic}"
            );
        }
    }
}

#[test]
fn json_format_of_a_valid_config() {
    let (code, stdout, _) =
        run(poolform().args(["validate", "examples/quickstart", "--format", "json"]));
    assert_eq!(code, 0);
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("stdout is JSON");
    assert_eq!(report["valid"], true);
    assert_eq!(report["diagnostics"], serde_json::json!([]));
}

const LITERAL: &str = "Zq7-literal-Secret";

#[test]
fn a_literal_password_is_rejected_and_never_printed() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        "pool.toml",
        &format!(
            indoc! {r#"
                [clusters.dev]
                id = "c1"

                [pools.dev-workers]
                cluster = "dev"
                flavor = "c7.large.2"
                az = "ap-southeast-1a"
                os = "EulerOS 2.9"
                login = {{ password = "{literal}" }}
                root_volume = {{ type = "GPSSD", size = 50 }}
                data_volumes = [{{ type = "GPSSD", size = 100 }}]
                extend_params = {{ "init-node-password" = "{literal}" }}
            "#},
            literal = LITERAL
        ),
    );
    for format in ["text", "json"] {
        let (code, stdout, stderr) = run(poolform()
            .arg("validate")
            .arg(dir.path())
            .args(["--format", format]));
        assert_eq!(code, 1, "{stderr}");
        let everything = format!("{stdout}{stderr}");
        assert!(
            !everything.contains(LITERAL) && !everything.contains("literal-Secret"),
            "the password leaked ({format}):\n{everything}"
        );
        assert!(
            everything.contains("poolform::config::literal_password"),
            "{everything}"
        );
        assert!(
            everything.contains("password = { env = \\\"NODE_PASSWORD\\\"")
                || everything.contains("password = { env = \"NODE_PASSWORD\""),
            "help must point at the environment reference:\n{everything}"
        );
    }
}

#[test]
fn a_weak_password_in_the_environment_is_reported_without_its_value() {
    let weak = "weakpassword";
    let (code, stdout, stderr) = run(poolform()
        .args(["validate", "examples/password"])
        .env("NODE_PASSWORD", weak));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("poolform::config::weak_password"),
        "{stderr}"
    );
    assert!(stderr.contains("NODE_PASSWORD"), "{stderr}");
    assert!(!stdout.contains(weak) && !stderr.contains(weak), "{stderr}");

    let (code, _, stderr) = run(poolform()
        .args(["validate", "examples/password"])
        .env("NODE_PASSWORD", "Good-Passw0rd"));
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn a_missing_path_is_an_error() {
    let (code, _, stderr) = run(poolform().args(["validate", "no/such/dir"]));
    assert_eq!(code, 1);
    assert!(stderr.contains("poolform::config::io"), "{stderr}");
    assert!(stderr.contains("no such file or directory"), "{stderr}");
}

/// Runs `validate` on `dir` and snapshots exit code, stdout and stderr, with
/// the temporary directory replaced by `[DIR]`.
fn snapshot_validate(name: &str, dir: &Path, extra: &[&str]) {
    let (code, stdout, stderr) = run(poolform().arg("validate").arg(dir).args(extra));
    let dir_text = dir.display().to_string();
    let output = format!("exit code: {code}\n--- stdout\n{stdout}--- stderr\n{stderr}")
        .replace(&dir_text, "[DIR]");
    insta::assert_snapshot!(name, output);
}

#[test]
fn snapshot_of_errors_in_two_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    broken_config(dir.path());
    snapshot_validate("errors_in_two_files", dir.path(), &[]);
}

#[test]
fn snapshot_of_errors_in_two_files_as_json() {
    let dir = tempfile::tempdir().expect("temp dir");
    broken_config(dir.path());
    snapshot_validate(
        "errors_in_two_files_json",
        dir.path(),
        &["--format", "json"],
    );
}

#[test]
fn snapshot_of_duplicates_and_a_cycle_across_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        "clusters.toml",
        indoc! {r#"
            #:schema ../../schema/poolform.schema.json
            [clusters.prod]
            id = "c1"
        "#},
    );
    write(
        dir.path(),
        "api.toml",
        indoc! {r#"
            [pools.api]
            cluster = "prod"
            name = "DefaultPool"
            flavor = "c7.large.2"
            login = { ssh_key = "kp" }
            rollout = { depends_on = ["web"] }
        "#},
    );
    write(
        dir.path(),
        "web.toml",
        indoc! {r#"
            [pools.web]
            cluster = "prod"
            ensure = "absent"
            rollout = { depends_on = ["api"] }

            [pools.api]
            cluster = "prod"
            ensure = "absent"
        "#},
    );
    snapshot_validate("duplicates_and_cycle", dir.path(), &[]);
}

#[test]
fn snapshot_of_login_and_script_problems() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        "pool.toml",
        &format!(
            indoc! {r#"
                [clusters.prod]
                id = "c1"

                [pools.web]
                cluster = "prod"
                flavor = "c7.large.2"
                az = "ap-southeast-1a"
                os = "EulerOS 2.9"
                login = {{ password = "{literal}", remove_password = true }}
                root_volume = {{ type = "GPSSD", size = 50 }}
                data_volumes = [{{ type = "GPSSD", size = 100 }}]

                [pools.web.lifecycle]
                pre_install = {{ file = "scripts/missing.sh" }}
                post_install = {{ file = "scripts/long.sh" }}
            "#},
            literal = LITERAL,
        ),
    );
    write(dir.path(), "scripts/long.sh", &"echo x\n".repeat(1200));
    let (_, _, stderr) = run(poolform().arg("validate").arg(dir.path()));
    assert!(!stderr.contains(LITERAL), "{stderr}");
    snapshot_validate("login_and_script_problems", dir.path(), &[]);
}

#[test_case::test_case("quickstart")]
#[test_case::test_case("fleet")]
#[test_case::test_case("default-pool")]
#[test_case::test_case("password")]
fn shipped_example_is_valid_against_the_committed_schema(example: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("schema/poolform.schema.json")).expect("schema"),
    )
    .expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    for entry in std::fs::read_dir(root.join("examples").join(example)).expect("example dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|ext| ext != "toml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read example");
        let value: serde_json::Value = toml::from_str(&text).expect("example is TOML");
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|error| format!("{}: {error}", error.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", path.display());
    }
}
