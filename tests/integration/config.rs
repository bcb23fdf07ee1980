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
#[test_case::test_case("two-regions")]
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
#[test_case::test_case("two-regions")]
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

/// How a script-file case is set up: the `[cloud]` lines and the script path
/// of a config in `config/` of a fresh directory that also holds
/// `outside.sh` beside the config directory.
struct ScriptCase {
    cloud: &'static str,
    script: &'static str,
}

/// What one `poolform validate` run cost.
#[derive(Debug)]
struct Measured {
    stdout: String,
    stderr: String,
    elapsed: std::time::Duration,
    /// Peak resident set of the child, from `wait4`'s rusage, in KiB. Linux
    /// counts the image the child was started from (until its `exec`) in
    /// it, so this is an upper bound: see [`measure_in_a_small_parent`].
    peak_rss_kib: i64,
}

/// Runs `command` to completion, measuring its wall time and peak memory
/// with `wait4`, which reports the rusage of exactly this child. A run that
/// outlives `timeout` is killed and fails the test: a hang guard, not a
/// performance assertion.
#[cfg(unix)]
#[expect(
    clippy::zombie_processes,
    reason = "the child is reaped by wait4, which std cannot see"
)]
fn run_measured(command: &mut Command, timeout: std::time::Duration) -> Measured {
    use std::io::Read as _;
    use std::process::Stdio;
    use std::time::Instant;

    let started = Instant::now();
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the poolform binary starts");
    let pid = libc::pid_t::try_from(child.id()).expect("pid fits pid_t");
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain data; all-zero is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `pid` is our own unreaped child, the pointers are to live
        // locals, and WNOHANG keeps the call from blocking.
        let reaped = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        assert!(
            reaped >= 0,
            "wait4 failed: {}",
            std::io::Error::last_os_error()
        );
        if reaped == pid {
            break;
        }
        if started.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            panic!("poolform validate did not finish within {timeout:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let elapsed = started.elapsed();
    let mut stdout = String::new();
    let mut stderr = String::new();
    child
        .stdout
        .take()
        .expect("stdout piped")
        .read_to_string(&mut stdout)
        .expect("stdout is UTF-8");
    child
        .stderr
        .take()
        .expect("stderr piped")
        .read_to_string(&mut stderr)
        .expect("stderr is UTF-8");
    Measured {
        stdout,
        stderr,
        elapsed,
        peak_rss_kib: usage.ru_maxrss,
    }
}

#[cfg(unix)]
#[test_case::test_case(ScriptCase { cloud: "allow_scripts_outside = true", script: "/dev/zero" }, "poolform::config::script_file" ; "dev zero")]
#[test_case::test_case(ScriptCase { cloud: "", script: "fifo.sh" }, "poolform::config::script_file" ; "fifo")]
#[test_case::test_case(ScriptCase { cloud: "", script: "scripts" }, "poolform::config::script_file" ; "directory")]
#[test_case::test_case(ScriptCase { cloud: "", script: "big.sh" }, "poolform::config::script_too_long" ; "one megabyte file")]
#[test_case::test_case(ScriptCase { cloud: "", script: "{DIR}/outside.sh" }, "poolform::config::script_outside" ; "absolute path")]
#[test_case::test_case(ScriptCase { cloud: "", script: "../outside.sh" }, "poolform::config::script_outside" ; "dot-dot escape")]
#[test_case::test_case(ScriptCase { cloud: "", script: "link.sh" }, "poolform::config::script_outside" ; "symlink out of the tree")]
#[test_case::test_case(ScriptCase { cloud: "", script: "zero.sh" }, "poolform::config::script_outside" ; "symlink to dev zero")]
fn hostile_script_files_end_in_a_diagnostic_quickly(case: ScriptCase, expected: &str) {
    const SECRET: &str = "outside-secret-content";
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("config");
    write(dir.path(), "outside.sh", &format!("echo {SECRET}\n"));
    write(&config, "scripts/ok.sh", "echo ok\n");
    write(&config, "big.sh", &"#".repeat(1 << 20));
    let fifo = Command::new("mkfifo")
        .arg(config.join("fifo.sh"))
        .status()
        .expect("mkfifo runs");
    assert!(fifo.success(), "mkfifo failed");
    std::os::unix::fs::symlink(dir.path().join("outside.sh"), config.join("link.sh"))
        .expect("symlink out");
    std::os::unix::fs::symlink("/dev/zero", config.join("zero.sh")).expect("symlink to a device");
    let script = case.script.replace("{DIR}", &dir.path().to_string_lossy());
    write(
        &config,
        "poolform.toml",
        &format!(
            indoc! {r#"
                [cloud]
                {cloud}

                [clusters.prod]
                id = "c1"

                [pools.web]
                cluster = "prod"
                flavor = "c7.large.2"
                az = "ap-southeast-1a"
                os = "EulerOS 2.9"
                login = {{ ssh_key = "kp" }}
                root_volume = {{ type = "GPSSD", size = 50 }}
                data_volumes = [{{ type = "GPSSD", size = 100 }}]
                lifecycle = {{ post_install = {{ file = '{script}' }} }}
            "#},
            cloud = case.cloud,
            script = script,
        ),
    );

    let measured = measure_in_a_small_parent(&config);
    eprintln!(
        "{}: {:.1} ms, peak RSS {:.1} MiB",
        case.script,
        measured.elapsed.as_secs_f64() * 1000.0,
        measured.peak_rss_kib as f64 / 1024.0
    );
    let report: serde_json::Value =
        serde_json::from_str(&measured.stdout).expect("a JSON report on stdout");
    let codes: Vec<&str> = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter_map(|diagnostic| diagnostic["code"].as_str())
        .collect();
    assert_eq!(codes, [expected], "{report:#}\n{}", measured.stderr);
    assert!(
        measured.peak_rss_kib < 50 * 1024,
        "peak RSS {} KiB",
        measured.peak_rss_kib
    );
    assert!(
        !measured.stdout.contains(SECRET) && !measured.stderr.contains(SECRET),
        "a refused file's content was printed"
    );
}

#[test]
fn control_characters_from_the_config_never_reach_stderr_raw() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Escaped in TOML (into a key and a value), and raw in the file.
    write(
        dir.path(),
        "a.toml",
        "[clusters.prod]\nid = \"c1\"\n\"fla\\u001b[31mvor\" = \"x\\u0000\"\n",
    );
    write(
        dir.path(),
        "b.toml",
        "[cloud]\nregion = \"\u{1b}[31mred\0\"\n",
    );
    let output = poolform()
        .arg("validate")
        .arg(dir.path())
        .output()
        .expect("the poolform binary runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("poolform::config::unknown_key"), "{stderr}");
    assert!(stderr.contains("poolform::config::syntax"), "{stderr}");
    assert!(stderr.contains("\\u{1b}[31m"), "{stderr}");
    for byte in [0x1b, 0x00, b'\r'] {
        assert!(
            !output.stderr.contains(&byte) && !output.stdout.contains(&byte),
            "raw byte {byte:#04x} in the output:\n{stderr:?}"
        );
    }
}

/// Runs `poolform validate CONFIG --format json` from a fresh, small process
/// (this test binary, started again to run only [`measured_validate`]) and
/// returns what it measured.
///
/// `ru_maxrss` of a child includes the resident set of the process it was
/// started from, up to its `exec`: measured straight from this test binary,
/// which runs many tests at once, it would report the harness's peak. A
/// freshly started copy running one test is a few MiB, so the figure is
/// poolform's own peak, or that small floor.
#[cfg(unix)]
fn measure_in_a_small_parent(config: &Path) -> Measured {
    let out = tempfile::tempdir().expect("temp dir");
    let output = Command::new(std::env::current_exe().expect("the test binary"))
        .args([
            "--exact",
            "config::measured_validate",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(MEASURE_CONFIG, config)
        .env(MEASURE_OUT, out.path())
        .output()
        .expect("the test binary runs");
    assert!(
        output.status.success(),
        "the measuring run failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let read = |name: &str| std::fs::read_to_string(out.path().join(name)).expect(name);
    let figures = read("figures");
    let (elapsed_us, peak_rss_kib) = figures.trim().split_once(' ').expect("two figures");
    Measured {
        stdout: read("stdout"),
        stderr: read("stderr"),
        elapsed: std::time::Duration::from_micros(elapsed_us.parse().expect("micros")),
        peak_rss_kib: peak_rss_kib.parse().expect("KiB"),
    }
}

const MEASURE_CONFIG: &str = "POOLFORM_TEST_MEASURE_CONFIG";
const MEASURE_OUT: &str = "POOLFORM_TEST_MEASURE_OUT";

/// The measuring half of [`measure_in_a_small_parent`]; does nothing unless
/// that function started this binary.
#[cfg(unix)]
#[test]
fn measured_validate() {
    let (Some(config), Some(out)) = (
        std::env::var_os(MEASURE_CONFIG),
        std::env::var_os(MEASURE_OUT),
    ) else {
        return;
    };
    let out = PathBuf::from(out);
    let measured = run_measured(
        poolform()
            .arg("validate")
            .arg(config)
            .args(["--format", "json"]),
        std::time::Duration::from_secs(5),
    );
    std::fs::write(out.join("stdout"), &measured.stdout).expect("write stdout");
    std::fs::write(out.join("stderr"), &measured.stderr).expect("write stderr");
    std::fs::write(
        out.join("figures"),
        format!("{} {}", measured.elapsed.as_micros(), measured.peak_rss_kib),
    )
    .expect("write figures");
}

/// Validate and connect apply one endpoint rule: whatever the client would
/// refuse to connect to, `validate` refuses first, as a diagnostic with the
/// endpoint code, a label on the value and a help line.
#[test_case::test_case("https://cce.eu-de.otc.t-systems.com", None ; "https")]
#[test_case::test_case("https://proxy.example.com/cce", None ; "https with a path prefix")]
#[test_case::test_case("http://127.0.0.1:8765", None ; "http to loopback")]
#[test_case::test_case("http://[::1]:9000", None ; "http to ipv6 loopback")]
#[test_case::test_case("http://cce.example.com", Some("uses plain http to a host that is not loopback") ; "plain http")]
#[test_case::test_case("ftp://cce.example.com", Some("uses the scheme `ftp`") ; "another scheme")]
#[test_case::test_case("cce.example.com", Some("is not a URL") ; "no scheme")]
#[test_case::test_case("mailto:ops", Some("has no host") ; "no host")]
#[test_case::test_case("https://ak:sk@cce.example.com", Some("carries a user name or password") ; "credentials")]
#[test_case::test_case("https://cce.example.com/?a=b", Some("has a query or fragment") ; "query")]
#[test_case::test_case("https://cce.example.com/#top", Some("has a query or fragment") ; "fragment")]
fn validate_refuses_the_endpoints_connecting_refuses(endpoint: &str, refused: Option<&str>) {
    let connects = poolform::live::client::check_endpoint(endpoint);
    assert_eq!(
        connects.is_err(),
        refused.is_some(),
        "{endpoint}: {connects:?}"
    );

    let text = format!("[cloud]\nendpoint = \"{endpoint}\"\n");
    let validated = poolform::config::load_source("poolform.toml", &text, Path::new("."));
    let Some(message) = refused else {
        assert!(validated.is_ok(), "{endpoint} should validate");
        return;
    };
    let errors = validated.expect_err("validate refuses what connecting refuses");
    let [diagnostic] = errors.diagnostics() else {
        panic!("one diagnostic expected:\n{}", errors.render_plain(100));
    };
    assert_eq!(diagnostic.code(), "poolform::config::invalid_endpoint");
    assert_eq!(diagnostic.message(), format!("`cloud.endpoint` {message}"));
    // The label sits on the value, just after `endpoint = `.
    assert_eq!(diagnostic.line_column(), Some((2, 12)));
    assert!(diagnostic.help().is_some_and(|help| !help.is_empty()));
}
