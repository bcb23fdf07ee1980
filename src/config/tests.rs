//! Table-driven tests of the loader: every validation rule gets a bad input
//! and a check of the diagnostic's code, message and position; plus mapping
//! of valid configs into the model, multi-file merging and the digest.

use std::path::Path;

use indoc::indoc;
use test_case::test_case;

use super::*;
use crate::model::{ClusterName, Desired, Ensure, MaxUnavailable, PoolAddress};

/// Writes `files` into a fresh directory and loads it.
fn load_files(files: &[(&str, &str)]) -> (tempfile::TempDir, Result<Desired, ConfigErrors>) {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    let result = load(dir.path());
    (dir, result)
}

fn load_one(text: &str) -> Result<Desired, ConfigErrors> {
    load_files(&[("poolform.toml", text)]).1
}

fn errors_of(text: &str) -> Vec<ConfigDiagnostic> {
    match load_one(text) {
        Ok(_) => panic!("expected errors, the config loaded:\n{text}"),
        Err(errors) => errors.diagnostics().to_vec(),
    }
}

/// A valid cluster and pool; `extra` lines are appended to the pool (from
/// line 12, column 1).
fn pool(extra: &str) -> String {
    format!(
        indoc! {r#"
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
            {}
        "#},
        extra
    )
}

/// A pool without login, root or data volumes, so cases can set their own
/// (from line 9, column 1).
fn bare_pool(extra: &str) -> String {
    format!(
        indoc! {r#"
            [clusters.prod]
            id = "c1"

            [pools.web]
            cluster = "prod"
            flavor = "c7.large.2"
            az = "ap-southeast-1a"
            os = "EulerOS 2.9"
            {}
        "#},
        extra
    )
}

#[test]
fn the_base_pool_is_valid() {
    let desired = load_one(&pool("")).expect("valid");
    assert_eq!(desired.pools.len(), 1);
    let desired = load_one(&bare_pool(indoc! {r#"
        login = { ssh_key = "kp" }
        root_volume = { type = "GPSSD", size = 50 }
        data_volumes = [{ type = "GPSSD", size = 100 }]
    "#}))
    .expect("valid");
    assert_eq!(desired.pools.len(), 1);
}

// Each case: the config, the code, a fragment of the message, and the line
// and column of the primary label.
#[test_case("colud = {}\n", codes::UNKNOWN_KEY, "unknown key `colud` in the top level", (1, 1) ; "unknown top-level key")]
#[test_case(&pool("flavour = \"x\""), codes::UNKNOWN_KEY, "unknown key `flavour` in `pools.web`", (12, 1) ; "unknown pool key")]
#[test_case(&pool("rollout = { soak = \"1s\", max_unavailble = 2 }"), codes::UNKNOWN_KEY, "unknown key `max_unavailble` in `pools.web.rollout`", (12, 26) ; "unknown nested key")]
#[test_case("[clusters.prod]\nmax_unavailable = 3\n", codes::MISSING_KEY, "`clusters.prod` is missing `id`", (1, 11) ; "cluster without id")]
#[test_case(indoc! {r#"
    [clusters.prod]
    id = "c1"

    [pools.web]
    cluster = "prod"
    az = "ap-southeast-1a"
    os = "EulerOS 2.9"
    login = { ssh_key = "kp" }
    root_volume = { type = "GPSSD", size = 50 }
    data_volumes = [{ type = "GPSSD", size = 100 }]
"#}, codes::MISSING_KEY, "`pools.web` is missing `flavor`", (4, 8) ; "pool without flavor")]
#[test_case(&pool("node_count = \"3\""), codes::INVALID_TYPE, "`pools.web.node_count` must be an integer, not a string", (12, 14) ; "string for an integer")]
#[test_case(&pool("k8s_labels = [\"a\"]"), codes::INVALID_TYPE, "`pools.web.k8s_labels` must be a table, not an array", (12, 14) ; "array for a table")]
#[test_case(&pool("node_count = 5000"), codes::OUT_OF_RANGE, "`pools.web.node_count` must be between 0 and 2000, not 5000", (12, 14) ; "node count too large")]
#[test_case("[clusters.prod]\nid = \"c1\"\nmax_unavailable = 0\n", codes::OUT_OF_RANGE, "`clusters.prod.max_unavailable` must be between 1 and 200, not 0", (3, 19) ; "cluster cap zero")]
#[test_case(&pool("max_pods = 0"), codes::OUT_OF_RANGE, "`pools.web.max_pods` must be between 1 and", (12, 12) ; "max pods zero")]
#[test_case(&pool("runtime = \"crio\""), codes::INVALID_VALUE, "`pools.web.runtime` must be one of `containerd`, `docker`, not `crio`", (12, 11) ; "unknown runtime")]
#[test_case(&pool("type = \"VM\""), codes::INVALID_VALUE, "`pools.web.type` must be one of `vm`, `ElasticBMS`, `pm`, not `VM`", (12, 8) ; "unknown pool type")]
#[test_case(&pool("ensure = \"deleted\""), codes::INVALID_VALUE, "`pools.web.ensure` must be one of `present`, `absent`", (12, 10) ; "unknown ensure")]
#[test_case("[clusters.\"my cluster\"]\nid = \"c1\"\n", codes::INVALID_ADDRESS, "cluster key `my cluster` may contain only", (1, 11) ; "cluster key with a space")]
#[test_case("[clusters.prod]\nid = \"c1/x\"\n", codes::INVALID_VALUE, "`clusters.prod.id` may contain only letters, digits", (2, 6) ; "cluster id with a slash")]
#[test_case(&pool("name = \"Web_1\""), codes::INVALID_POOL_NAME, "pool name `Web_1` must start with a lowercase letter", (12, 8) ; "pool name uppercase")]
#[test_case(&pool("name = \"web-\""), codes::INVALID_POOL_NAME, "pool name `web-` must not end with a hyphen", (12, 8) ; "pool name trailing hyphen")]
#[test_case(&pool(&format!("name = \"{}\"", "a".repeat(51))), codes::INVALID_POOL_NAME, "must be 1 to 50 characters long, not 51", (12, 8) ; "pool name too long")]
#[test_case(&pool("cluster_x = 1").replace("[pools.web]", "[pools.web_1]"), codes::INVALID_POOL_NAME, "pool name `web_1` (taken from the key) may contain only", (4, 8) ; "pool name from the key")]
#[test_case(&pool("name = \"DefaultPool\""), codes::DEFAULT_POOL_FIELD, "`az` cannot be set on the DefaultPool `web`", (7, 1) ; "default pool with a template field")]
#[test_case(&pool("").replace("cluster = \"prod\"", "cluster = \"prd\""), codes::UNKNOWN_CLUSTER, "pool `web` names cluster `prd`, which is not defined", (5, 11) ; "unknown cluster")]
#[test_case("[cloud]\nendpoint = \"http://cce.example.com\"\n", codes::INVALID_ENDPOINT, "`cloud.endpoint` uses plain http to a host that is not loopback", (2, 12) ; "plain http endpoint")]
#[test_case("[cloud]\nendpoint = \"ftp://x\"\n", codes::INVALID_ENDPOINT, "`cloud.endpoint` uses the scheme `ftp`", (2, 12) ; "ftp endpoint")]
#[test_case("[cloud]\nendpoint = \"https://ak:sk@cce.example.com\"\n", codes::INVALID_ENDPOINT, "`cloud.endpoint` carries a user name or password", (2, 12) ; "endpoint with credentials")]
#[test_case("[cloud]\nendpoint = \"https://cce.example.com/?region=x\"\n", codes::INVALID_ENDPOINT, "`cloud.endpoint` has a query or fragment", (2, 12) ; "endpoint with a query")]
#[test_case("[clusters.prod]\nid = \"c1\"\nendpoint = \"https://cce.example.com/#x\"\n", codes::INVALID_ENDPOINT, "`clusters.prod.endpoint` has a query or fragment", (3, 12) ; "cluster endpoint with a fragment")]
#[test_case("[cloud]\nregion = \"AP South\"\n", codes::INVALID_VALUE, "`cloud.region` must be a region name", (2, 10) ; "bad region")]
#[test_case(&pool("k8s_labels = { \"-team\" = \"a\" }"), codes::INVALID_LABEL, "label key `-team` must start and end with a letter or digit", (12, 16) ; "bad label key")]
#[test_case(&pool("k8s_labels = { team = \"a b\" }"), codes::INVALID_LABEL, "value of label `team` may contain only", (12, 23) ; "bad label value")]
#[test_case(&pool("k8s_labels = { \"cce.cloud.com/pool\" = \"a\" }"), codes::RESERVED_LABEL, "label `cce.cloud.com/pool` is managed by CCE", (12, 16) ; "system label")]
#[test_case(&pool(&format!("k8s_labels = {{ {} }}", (0..21).map(|i| format!("l{i} = \"v\"")).collect::<Vec<_>>().join(", "))), codes::TOO_MANY_LABELS, "`pools.web.k8s_labels` has 21 labels; CCE allows at most 20", (12, 14) ; "too many labels")]
#[test_case(&pool("taints = [{ key = \"a\", effect = \"NoSchedul\" }]"), codes::INVALID_TAINT, "`pools.web.taints[0].effect` must be one of `NoSchedule`, `PreferNoSchedule`, `NoExecute`, not `NoSchedul`", (12, 33) ; "bad taint effect")]
#[test_case(&pool("taints = [{ key = \"a/b/c\", effect = \"NoSchedule\" }]"), codes::INVALID_TAINT, "taint key `a/b/c`", (12, 19) ; "bad taint key")]
#[test_case(&pool("taints = [{ key = \"a\", value = \"x y\", effect = \"NoSchedule\" }]"), codes::INVALID_TAINT, "taint value `x y` may contain only", (12, 32) ; "bad taint value")]
#[test_case(&pool("taints = [{ key = \"a\" }]"), codes::MISSING_KEY, "`pools.web.taints[0]` is missing `effect`", (12, 11) ; "taint without effect")]
#[test_case(&pool("taints = [{ key = \"a\", effect = \"NoSchedule\" }, { key = \"a\", value = \"v\", effect = \"NoSchedule\" }]"), codes::DUPLICATE_TAINT, "taint `a` with effect `NoSchedule` is listed twice", (12, 49) ; "duplicate taint")]
#[test_case(&pool(&format!("taints = [{}]", vec!["{ key = \"k\", effect = \"NoSchedule\" }"; 21].join(", "))), codes::TOO_MANY_TAINTS, "`pools.web.taints` has 21 taints; CCE allows at most 20", (12, 10) ; "too many taints")]
#[test_case(&pool("user_tags = { \"CCE-owner\" = \"a\" }"), codes::INVALID_USER_TAG, "user tag key `CCE-owner` must not start with `CCE-`", (12, 15) ; "reserved user tag")]
#[test_case(&pool("user_tags = { env = \"a b\" }"), codes::INVALID_USER_TAG, "value of user tag `env` may contain only", (12, 21) ; "bad user tag value")]
#[test_case(&pool(&format!("user_tags = {{ {} }}", (0..9).map(|i| format!("t{i} = \"v\"")).collect::<Vec<_>>().join(", "))), codes::TOO_MANY_USER_TAGS, "`pools.web.user_tags` has 9 tags; CCE allows at most 8", (12, 13) ; "too many user tags")]
#[test_case(&pool("extend_params = { nicTreshold = \"0.3:0.6\" }"), codes::UNKNOWN_EXTEND_PARAM, "unknown extendParam key `nicTreshold`", (12, 19) ; "unknown extend param")]
#[test_case(&pool("extend_params = { maxPods = 64 }"), codes::RESERVED_EXTEND_PARAM, "`maxPods` cannot be set in `pools.web.extend_params`", (12, 19) ; "extend param with its own setting")]
#[test_case(&pool("extend_params = { nicThreshold = \"0.6:0.3\" }"), codes::INVALID_VALUE, "`pools.web.extend_params.nicThreshold` must have the low threshold first", (12, 34) ; "nic threshold order")]
#[test_case(&pool("extend_params = { nicMultiqueue = '[{\"queue\":3}]' }"), codes::INVALID_VALUE, "`pools.web.extend_params.nicMultiqueue` has a queue that is not 1, 2, 4, 8, 16 or 28", (12, 35) ; "nic queue count")]
#[test_case(&pool("extend_params = { dockerBaseSize = 1.5 }"), codes::INVALID_TYPE, "must be a string, integer or boolean, not a float", (12, 36) ; "float extend param")]
#[test_case(&bare_pool("login = { password = \"Abc-12345\" }\nroot_volume = { type = \"SAS\", size = 50 }\ndata_volumes = [{ type = \"SAS\", size = 100 }]"), codes::LITERAL_PASSWORD, "`pools.web.login.password` is written in the config", (9, 22) ; "literal password")]
#[test_case(&bare_pool("login = {}\nroot_volume = { type = \"SAS\", size = 50 }\ndata_volumes = [{ type = \"SAS\", size = 100 }]"), codes::LOGIN_REQUIRED, "`pools.web.login` has neither `ssh_key` nor `password`", (9, 9) ; "empty login")]
#[test_case(&bare_pool("root_volume = { type = \"SAS\", size = 50 }\ndata_volumes = [{ type = \"SAS\", size = 100 }]"), codes::LOGIN_REQUIRED, "`pools.web` has no `login`", (4, 8) ; "no login")]
#[test_case(&bare_pool("login = { ssh_key = \"kp\", password = { env = \"PW\" } }\nroot_volume = { type = \"SAS\", size = 50 }\ndata_volumes = [{ type = \"SAS\", size = 100 }]"), codes::LOGIN_CONFLICT, "`pools.web.login` sets both `ssh_key` and `password`", (9, 21) ; "key and password")]
#[test_case(&bare_pool("login = { ssh_key = \"kp\", remove_ssh_key = true }\nroot_volume = { type = \"SAS\", size = 50 }\ndata_volumes = [{ type = \"SAS\", size = 100 }]"), codes::LOGIN_CONFLICT, "sets `ssh_key` and `remove_ssh_key = true`", (9, 44) ; "remove flag with the same login")]
#[test_case(&bare_pool("login = { password = { env = \"1PW\" } }\nroot_volume = { type = \"SAS\", size = 50 }\ndata_volumes = [{ type = \"SAS\", size = 100 }]"), codes::INVALID_VALUE, "`pools.web.login.password.env` must be an environment variable name", (9, 30) ; "bad env name")]
#[test_case(&pool("rollout = { soak = \"25h\" }"), codes::OUT_OF_RANGE, "`pools.web.rollout.soak` must be at most 24h, not `25h`", (12, 20) ; "soak over a day")]
#[test_case(&pool("rollout = { soak = \"500000000000y\" }"), codes::OUT_OF_RANGE, "`pools.web.rollout.soak` must be at most", (12, 20) ; "soak that overflows an instant")]
#[test_case(&pool("rollout = { batch_timeout = \"18446744073709551615s\" }"), codes::OUT_OF_RANGE, "`pools.web.rollout.batch_timeout` must be at most", (12, 29) ; "batch timeout of u64 max seconds")]
#[test_case(&pool("rollout = { batch_timeout = \"24h 1s\" }"), codes::OUT_OF_RANGE, "`pools.web.rollout.batch_timeout` must be at most", (12, 29) ; "batch timeout just over a day")]
#[test_case(&pool("lifecycle = { post_install = { file = \"scripts/missing.sh\" } }"), codes::SCRIPT_FILE, "script file `scripts/missing.sh` does not exist", (12, 39) ; "missing script file")]
#[test_case(&pool(&format!("lifecycle = {{ pre_install = \"{}\", post_install = \"{}\" }}", "a".repeat(4000), "b".repeat(3700))), codes::SCRIPT_TOO_LONG, "scripts are 10272 characters after base64; CCE allows at most 10240", (12, 29) ; "scripts too long")]
#[test_case(&bare_pool("login = { ssh_key = \"kp\" }\nroot_volume = { type = \"GPSDD\", size = 50 }\ndata_volumes = [{ type = \"SAS\", size = 100 }]"), codes::INVALID_VOLUME, "`pools.web.root_volume.type` must be one of", (10, 24) ; "unknown volume type")]
#[test_case(&bare_pool("login = { ssh_key = \"kp\" }\nroot_volume = { type = \"SAS\", size = 1025 }\ndata_volumes = [{ type = \"SAS\", size = 100 }]"), codes::OUT_OF_RANGE, "`pools.web.root_volume.size` must be between 40 and 1024, not 1025", (10, 38) ; "root volume too large")]
#[test_case(&bare_pool("login = { ssh_key = \"kp\" }\nroot_volume = { type = \"SAS\", size = 50 }\ndata_volumes = []"), codes::INVALID_VOLUME, "`pools.web.data_volumes` is empty", (11, 16) ; "no data volume")]
#[test_case(&bare_pool("login = { ssh_key = \"kp\" }\nroot_volume = { type = \"SAS\", size = 50, encrypted = true }\ndata_volumes = [{ type = \"SAS\", size = 100 }]"), codes::INVALID_VOLUME, "`pools.web.root_volume` is encrypted but has no `cmk_id`", (10, 54) ; "encryption without key")]
#[test_case(&bare_pool("type = \"ElasticBMS\"\nlogin = { ssh_key = \"kp\" }\nroot_volume = { type = \"SAS\", size = 50, passthrough = false }\ndata_volumes = [{ type = \"SAS\", size = 100 }]"), codes::INVALID_VOLUME, "`pools.web.root_volume.passthrough` must be true in an ElasticBMS pool", (11, 56) ; "bare metal without passthrough")]
#[test_case(&pool("nic = { fixed_ips = [\"10.0.0.5\"], ip_block = \"10.0.0.0/24\" }"), codes::NIC_CONFLICT, "`pools.web.nic` sets both `fixed_ips` and `ip_block`", (12, 21) ; "fixed ips and ip block")]
#[test_case(&pool("node_count = 1\nnic = { fixed_ips = [\"10.0.0.5\", \"10.0.0.6\"] }"), codes::NIC_CONFLICT, "`pools.web.nic.fixed_ips` has 2 addresses for 1 nodes", (13, 21) ; "more fixed ips than nodes")]
#[test_case(&pool("nic = { fixed_ips = [\"10.0.0.256\"] }"), codes::INVALID_IP, "`10.0.0.256` in `pools.web.nic.fixed_ips` is not an IP address", (12, 22) ; "bad fixed ip")]
#[test_case(&pool("nic = { ip_block = \"10.0.0.0/40\" }"), codes::INVALID_IP, "`pools.web.nic.ip_block` is not a CIDR block", (12, 20) ; "bad ip block")]
#[test_case(&pool("autoscaling = { min = 5, max = 2 }"), codes::AUTOSCALING_RANGE, "`pools.web.autoscaling.min` (5) is greater than `max` (2)", (12, 23) ; "min above max")]
#[test_case(&pool("node_count = 9\nautoscaling = { min = 1, max = 5 }"), codes::AUTOSCALING_RANGE, "node_count 9 is outside the autoscaling range 1..=5", (12, 14) ; "count outside autoscaling")]
#[test_case(&pool("autoscaling = { min = 1 }"), codes::MISSING_KEY, "`pools.web.autoscaling` is missing `max`", (12, 15) ; "autoscaling without max")]
#[test_case(&pool("rollout = { soak = \"5 parsecs\" }"), codes::INVALID_DURATION, "`pools.web.rollout.soak` is not a duration: `5 parsecs`", (12, 20) ; "bad soak")]
#[test_case(&pool("rollout = { batch_timeout = \"0s\" }"), codes::INVALID_DURATION, "`pools.web.rollout.batch_timeout` must be longer than zero", (12, 29) ; "zero batch timeout")]
#[test_case(&pool("rollout = { max_unavailable = 21 }"), codes::INVALID_MAX_UNAVAILABLE, "`pools.web.rollout.max_unavailable` must be between 1 and 20, not 21", (12, 31) ; "max unavailable too large")]
#[test_case(&pool("rollout = { max_unavailable = 0 }"), codes::INVALID_MAX_UNAVAILABLE, "must be between 1 and 20, not 0", (12, 31) ; "max unavailable zero")]
#[test_case(&pool("rollout = { max_unavailable = \"0%\" }"), codes::INVALID_MAX_UNAVAILABLE, "must be a percentage from 1% to 100%, not `0%`", (12, 31) ; "zero percent")]
#[test_case(&pool("rollout = { max_unavailable = \"half\" }"), codes::INVALID_MAX_UNAVAILABLE, "not `half`", (12, 31) ; "words for a percentage")]
#[test_case(&pool("rollout = { max_unavailable = true }"), codes::INVALID_TYPE, "must be an integer or a percentage string, not a boolean", (12, 31) ; "boolean max unavailable")]
#[test_case(&pool("rollout = { depends_on = [\"wbe\"] }"), codes::UNKNOWN_DEPENDENCY, "pool `web` depends on `wbe`, which is not defined", (12, 27) ; "unknown dependency")]
#[test_case(&pool("rollout = { depends_on = [\"web\"] }"), codes::DEPENDENCY_CYCLE, "pool `web` depends on itself", (12, 27) ; "self dependency")]
#[test_case(&format!("{}\n[pools.api]\ncluster = \"prod\"\nname = \"web\"\nensure = \"absent\"\n", pool("")), codes::DUPLICATE_POOL_NAME, "pools `api` and `web` both manage pool `web` of cluster `prod`", (4, 8) ; "two addresses for one pool")]
#[test_case("[clusters.prod\nid = \"c1\"\n", codes::SYNTAX, "invalid TOML", (1, 15) ; "syntax error")]
fn rule(text: &str, code: &str, message: &str, position: (usize, usize)) {
    let diagnostics = errors_of(text);
    let found = diagnostics
        .iter()
        .find(|diagnostic| diagnostic.code() == code && diagnostic.message().contains(message));
    let Some(diagnostic) = found else {
        panic!(
            "no {code} containing {message:?}; got:\n{}",
            diagnostics
                .iter()
                .map(|d| format!("  {} {:?} at {:?}", d.code(), d.message(), d.line_column()))
                .collect::<Vec<_>>()
                .join("\n")
        );
    };
    assert_eq!(
        diagnostic.line_column(),
        Some(position),
        "{}",
        diagnostic.message()
    );
    assert!(
        diagnostic.help().is_some_and(|help| !help.is_empty()),
        "{code} has no help"
    );
}

#[test]
fn a_cycle_names_every_pool_and_is_reported_once() {
    let text = indoc! {r#"
        [clusters.prod]
        id = "c1"

        [pools.app]
        cluster = "prod"
        name = "DefaultPool"
        login = { ssh_key = "kp" }
        rollout = { depends_on = ["bus"] }

        [pools.bus]
        cluster = "prod"
        ensure = "absent"
        rollout = { depends_on = ["cat"] }

        [pools.cat]
        cluster = "prod"
        ensure = "absent"
        rollout = { depends_on = ["app"] }
    "#};
    let diagnostics = errors_of(text);
    let cycles: Vec<_> = diagnostics
        .iter()
        .filter(|diagnostic| diagnostic.code() == codes::DEPENDENCY_CYCLE)
        .collect();
    assert_eq!(cycles.len(), 1, "{cycles:?}");
    assert_eq!(
        cycles[0].message(),
        "dependency cycle: app → bus → cat → app"
    );
    // The edge cat → app closes the cycle.
    assert_eq!(cycles[0].line_column(), Some((18, 27)));
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
}

#[test]
fn the_same_pool_in_two_files_points_at_both() {
    let pool_text = pool("");
    let (_dir, result) = load_files(&[
        ("a.toml", &pool_text),
        (
            "b.toml",
            "[pools.web]\ncluster = \"prod\"\nensure = \"absent\"\n",
        ),
    ]);
    let errors = result.expect_err("duplicate pool");
    let duplicate = errors
        .diagnostics()
        .iter()
        .find(|diagnostic| diagnostic.code() == codes::DUPLICATE_POOL)
        .expect("duplicate diagnostic");
    assert_eq!(duplicate.message(), "pool `web` is defined twice");
    assert!(
        duplicate
            .file()
            .is_some_and(|file| file.ends_with("b.toml"))
    );
    assert_eq!(duplicate.line_column(), Some((1, 8)));
    let first = &duplicate.related_diagnostics()[0];
    assert!(first.file().is_some_and(|file| file.ends_with("a.toml")));
    assert_eq!(first.line_column(), Some((4, 8)));
}

#[test]
fn the_same_cluster_or_cloud_setting_in_two_files_points_at_both() {
    let (_dir, result) = load_files(&[
        (
            "a.toml",
            "[cloud]\nregion = \"eu-de\"\n[clusters.prod]\nid = \"c1\"\n",
        ),
        (
            "b.toml",
            "[cloud]\nregion = \"eu-nl\"\n[clusters.prod]\nid = \"c2\"\n",
        ),
    ]);
    let errors = result.expect_err("duplicates");
    let codes_found: Vec<&str> = errors
        .diagnostics()
        .iter()
        .map(ConfigDiagnostic::code)
        .collect();
    assert_eq!(
        codes_found,
        [codes::DUPLICATE_SETTING, codes::DUPLICATE_CLUSTER]
    );
    for diagnostic in errors.diagnostics() {
        assert!(
            diagnostic
                .file()
                .is_some_and(|file| file.ends_with("b.toml"))
        );
        let related = &diagnostic.related_diagnostics()[0];
        assert!(related.file().is_some_and(|file| file.ends_with("a.toml")));
    }
}

#[test]
fn errors_of_every_file_are_reported_together() {
    let (_dir, result) = load_files(&[
        ("a.toml", "[clusters.prod]\nid = 1\n"),
        ("b.toml", "[clusters.dev\n"),
        ("c.toml", "[cloud]\nregoin = \"eu-de\"\n"),
    ]);
    let errors = result.expect_err("three broken files");
    let found: Vec<(&str, Option<&str>)> = errors
        .diagnostics()
        .iter()
        .map(|diagnostic| {
            (
                diagnostic.code(),
                diagnostic
                    .file()
                    .and_then(|file| Path::new(file).file_name()?.to_str()),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (codes::INVALID_TYPE, Some("a.toml")),
            (codes::SYNTAX, Some("b.toml")),
            (codes::UNKNOWN_KEY, Some("c.toml")),
        ]
    );
}

#[test]
fn did_you_mean_hints() {
    let diagnostics = errors_of(
        &pool("flavour = \"x\"\nextend_params = { nicTreshold = \"0.3:0.6\" }")
            .replace("cluster = \"prod\"", "cluster = \"prd\""),
    );
    let helps: Vec<&str> = diagnostics
        .iter()
        .filter_map(ConfigDiagnostic::help)
        .collect();
    // The misspelt key is not also reported as missing.
    assert!(
        !diagnostics.iter().any(|d| d.code() == codes::MISSING_KEY),
        "{diagnostics:?}"
    );
    assert!(helps.contains(&"did you mean `flavor`?"), "{helps:?}");
    assert!(helps.contains(&"did you mean `nicThreshold`?"), "{helps:?}");
    assert!(helps.contains(&"did you mean `prod`?"), "{helps:?}");
}

#[test]
fn an_empty_directory_is_an_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("notes.txt"), "not config").expect("write");
    let errors = load(dir.path()).expect_err("no config");
    assert_eq!(errors.diagnostics()[0].code(), codes::NO_CONFIG);
    assert_eq!(errors.diagnostics()[0].file(), None);
}

#[test]
fn a_weak_password_from_the_environment_is_reported_without_its_value() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("pool.toml"),
        bare_pool("login = { password = { env = \"PW\", username = \"admin\" } }\nroot_volume = { type = \"SAS\", size = 50 }\ndata_volumes = [{ type = \"SAS\", size = 100 }]"),
    )
    .expect("write");
    let secret = "Xadmin-2024";
    let lookup = |name: &str| (name == "PW").then(|| secret.to_owned());
    let errors = load_with_env(dir.path(), &lookup).expect_err("weak password");
    let diagnostic = &errors.diagnostics()[0];
    assert_eq!(diagnostic.code(), codes::WEAK_PASSWORD);
    assert_eq!(
        diagnostic.message(),
        "the password in `PW` breaks CCE's password rules: the password must not contain the user name `admin`"
    );
    assert_eq!(diagnostic.line_column(), Some((9, 30)));
    let rendered = errors.render_plain(100);
    assert!(!rendered.contains(secret));
    assert!(
        !serde_json::to_string(&errors.to_json())
            .expect("json")
            .contains(secret)
    );

    let strong = |name: &str| (name == "PW").then(|| "Str0ng-pass".to_owned());
    load_with_env(dir.path(), &strong).expect("a strong password passes");
}

#[test]
fn literal_secrets_are_redacted_from_rendered_sources() {
    let secret = "Sup3r-Secret-Value";
    let text = bare_pool(&format!(
        "login = {{ password = \"{secret}\" }}\nroot_volume = {{ type = \"SAS\", size = 50 }}\ndata_volumes = [{{ type = \"SAS\", size = 100 }}]\nextend_params = {{ \"init-node-password\" = \"{secret}\" }}\nsecret_token = \"{secret}\""
    ));
    let errors = load_one(&text).expect_err("literal password");
    let rendered = errors.render_plain(100);
    assert!(!rendered.contains(secret), "{rendered}");
    assert!(!rendered.contains("Secret-Value"), "{rendered}");
    let json = serde_json::to_string(&errors.to_json()).expect("json");
    assert!(!json.contains(secret), "{json}");
    let codes_found: Vec<&str> = errors
        .diagnostics()
        .iter()
        .map(ConfigDiagnostic::code)
        .collect();
    assert!(codes_found.contains(&codes::LITERAL_PASSWORD));
    assert!(codes_found.contains(&codes::RESERVED_EXTEND_PARAM));
    assert!(codes_found.contains(&codes::UNKNOWN_KEY));

    // A password in the wrong key of the reference is not shown either.
    let misplaced = bare_pool(&format!(
        "login = {{ password = {{ env = \"{secret}\", value = \"{secret}\" }} }}\nroot_volume = {{ type = \"SAS\", size = 50 }}\ndata_volumes = [{{ type = \"SAS\", size = 100 }}]"
    ));
    let errors = load_one(&misplaced).expect_err("not a variable name, unknown key");
    let rendered = errors.render_plain(100);
    assert_eq!(errors.diagnostics().len(), 2, "{rendered}");
    assert!(!rendered.contains("Secret-Value"), "{rendered}");

    // A syntax error on the line of a secret must not show it either.
    let broken = format!("[pools.x]\npassword = \"{secret}\" oops\n");
    let errors = load_one(&broken).expect_err("syntax error");
    assert_eq!(errors.diagnostics()[0].code(), codes::SYNTAX);
    let rendered = errors.render_plain(100);
    assert!(!rendered.contains("Secret-Value"), "{rendered}");
}

/// A configuration that sets every key of the language (the schema coverage
/// test checks that it does).
pub(super) const FULL_CONFIG: &str = indoc! {r#"
        [cloud]
        region = "ap-southeast-1"
        endpoint = "http://127.0.0.1:8765"
        project_id = "p1"
        allow_scripts_outside = false
        max_concurrency = 32
        provider = "huawei"

        [clusters.prod]
        id = "c1"
        max_unavailable = 4
        region = "eu-west-101"
        endpoint = "https://cce.eu-west-101.myhuaweicloud.eu"
        project_id = "p2"

        [pools.prod-system]
        cluster = "prod"
        name = "system"
        type = "ElasticBMS"
        flavor = "c7.large.2"
        az = "ap-southeast-1a"
        os = "Huawei Cloud EulerOS 2.0"
        runtime = "docker"
        runtime_class = "runc"
        node_count = 3
        login = { password = { env = "NODE_PASSWORD", username = "root" }, remove_ssh_key = true }
        root_volume = { type = "GPSSD", size = 50 }
        data_volumes = [
            { type = "GPSSD2", size = 100, iops = 3000, throughput = 125, encrypted = true, cmk_id = "kms-1", extend_params = { useType = "docker" } },
        ]
        public_ip = { ip_type = "5_bgp", bandwidth_size = 10, share_type = "PER", charge_mode = "traffic" }
        nic = { subnet_id = "s1", fixed_ips = ["10.0.0.5"], subnet_list = ["s1", "s2"] }
        k8s_labels = { team = "platform", "example.com/tier" = "" }
        taints = [{ key = "dedicated", value = "system", effect = "NoSchedule" }, { key = "gpu", effect = "NoExecute" }]
        user_tags = { env = "prod" }
        max_pods = 110
        extend_params = { agency_name = "ecs-agency", dockerBaseSize = 20, isAutoRenew = false }
        autoscaling = { min = 1, max = 10, scale_down_cooldown_minutes = 15, priority = -2 }
        server_group = "sg-1"

        [pools.prod-system.lifecycle]
        pre_install = { file = "scripts/pre.sh" }
        post_install = { file = "scripts/post.sh" }
        wait_post_install_finish = true

        [pools.prod-system.rollout]
        max_unavailable = "25%"
        depends_on = ["prod-other"]
        soak = "90s"
        batch_timeout = "1h"
        force = true
        allow_replacement = true
        volume_reset_policy = "retain_custom_volumes"

        [pools.prod-other]
        cluster = "prod"
        name = "DefaultPool"
        login = { ssh_key = "kp" }

        [pools.prod-extra]
        cluster = "prod"
        name = "extra"
        ensure = "present"
        flavor = "c7.large.2"
        az = "ap-southeast-1a"
        os = "Huawei Cloud EulerOS 2.0"
        login = { ssh_key = "kp", remove_password = true }
        root_volume = { type = "GPSSD2", size = 100, iops = 3000, throughput = 125, passthrough = false, encrypted = true, cmk_id = "kms-1", extend_params = { resourceSpecCode = "x" } }
        data_volumes = [{ type = "SSD", size = 100, passthrough = false }]
        nic = { ip_block = "10.0.0.0/24" }
        autoscaling = { enabled = false }

        [pools.prod-extra.extend_params]
        "ecs:performancetype" = "normal"
        orderID = "o1"
        productID = "p1"
        periodType = "month"
        periodNum = 1
        isAutoPay = true
        DockerLVMConfigOverride = "dockerThinpool=vgpaas/90%VG;kubernetesLV=vgpaas/10%VG;diskType=evs;lvType=linear"
        containerBaseSize = 10
        publicKey = "ssh-rsa AAAA"
        "alpha.cce/NodeImageID" = "image-1"
        chargingMode = 0
        marketType = "spot"
        spotPrice = "0.5"
        kubeReservedMem = 512
        systemReservedMem = 512
        kubeReservedCpu = 100
        systemReservedCpu = 100
        kubeReservedPid = 1000
        systemReservedPid = 1000
        kubeReservedStorage = 10
        systemReservedStorage = 10
        securityReinforcementType = "null"
        serverMetadataHttpTokens = "required"
        nicMultiqueue = "[{\"queue\":4}]"
        nicThreshold = "0.3:0.6"
    "#};

#[test]
fn a_full_pool_maps_onto_the_model() {
    let text = FULL_CONFIG;
    let (_dir, result) = load_files(&[
        ("poolform.toml", text),
        ("scripts/pre.sh", "echo pre"),
        ("scripts/post.sh", "echo post\n"),
    ]);
    let desired = result.unwrap_or_else(|errors| panic!("{}", errors.render_plain(100)));
    assert_eq!(desired.cloud.region.as_deref(), Some("ap-southeast-1"));
    assert_eq!(
        desired.cloud.endpoint.as_deref(),
        Some("http://127.0.0.1:8765")
    );
    assert_eq!(desired.cloud.project_id.as_deref(), Some("p1"));
    let cluster = &desired.clusters[&ClusterName::from("prod")];
    assert_eq!(
        (cluster.id.as_str(), cluster.max_unavailable),
        ("c1", Some(4))
    );

    let pool = &desired.pools[&PoolAddress::from("prod-system")];
    assert_eq!(pool.name, "system");
    assert_eq!(pool.ensure, Ensure::Present);
    assert_eq!(pool.node_count, Some(3));
    assert_eq!(pool.server_group.as_deref(), Some("sg-1"));
    let autoscaling = pool.autoscaling.as_ref().expect("autoscaling");
    assert!(autoscaling.enabled);
    assert_eq!((autoscaling.min, autoscaling.max), (1, 10));
    assert_eq!(autoscaling.scale_down_cooldown_minutes, Some(15));
    assert_eq!(autoscaling.priority, Some(-2));

    let template = &pool.template;
    assert_eq!(template.pool_type, "ElasticBMS");
    assert_eq!(template.flavor, "c7.large.2");
    assert_eq!(template.az, "ap-southeast-1a");
    assert_eq!(template.os, "Huawei Cloud EulerOS 2.0");
    assert_eq!(template.runtime.name, "docker");
    assert_eq!(template.runtime.runtime_class.as_deref(), Some("runc"));
    let password = template.login.password.as_ref().expect("password login");
    assert_eq!(
        (password.username.as_str(), password.env.as_str()),
        ("root", "NODE_PASSWORD")
    );
    assert!(template.login.remove_ssh_key && !template.login.remove_password);
    assert_eq!(template.login.ssh_key, None);
    assert_eq!(template.root_volume.volume_type, "GPSSD");
    assert_eq!(template.root_volume.size, 50);
    // ElasticBMS disks default to passthrough.
    assert_eq!(template.root_volume.passthrough, Some(true));
    let data = &template.data_volumes[0];
    assert_eq!(
        (
            data.volume_type.as_str(),
            data.size,
            data.iops,
            data.throughput
        ),
        ("GPSSD2", 100, Some(3000), Some(125))
    );
    assert_eq!(
        (data.encrypted, data.cmk_id.as_deref()),
        (Some(true), Some("kms-1"))
    );
    assert_eq!(data.extend_params["useType"], "docker");
    let ip = template.public_ip.as_ref().expect("public ip");
    assert_eq!(ip.ip_type, "5_bgp");
    assert_eq!(
        (
            ip.bandwidth_size,
            ip.share_type.as_deref(),
            ip.charge_mode.as_deref()
        ),
        (Some(10), Some("PER"), Some("traffic"))
    );
    let nic = template.nic.as_ref().expect("nic");
    assert_eq!(nic.subnet_id.as_deref(), Some("s1"));
    assert_eq!(nic.fixed_ips, ["10.0.0.5"]);
    assert_eq!(nic.subnet_list, ["s1", "s2"]);
    assert_eq!(template.k8s_labels["team"], "platform");
    assert_eq!(template.k8s_labels["example.com/tier"], "");
    assert_eq!(template.taints.len(), 2);
    assert_eq!(template.taints[1].value, "");
    assert_eq!(template.user_tags["env"], "prod");
    assert_eq!(template.max_pods, Some(110));
    assert_eq!(template.extend_params["agency_name"], "ecs-agency");
    assert_eq!(template.extend_params["dockerBaseSize"], "20");
    assert_eq!(template.extend_params["isAutoRenew"], "false");
    assert_eq!(template.lifecycle.pre_install.as_deref(), Some("echo pre"));
    assert_eq!(
        template.lifecycle.post_install.as_deref(),
        Some("echo post\n")
    );
    assert!(template.lifecycle.wait_post_install_finish);

    let rollout = &pool.rollout;
    assert_eq!(rollout.max_unavailable, MaxUnavailable::Percent(25));
    assert_eq!(rollout.depends_on, [PoolAddress::from("prod-other")]);
    assert_eq!(
        (rollout.soak_seconds, rollout.batch_timeout_seconds),
        (90, 3600)
    );
    assert!(rollout.force && rollout.allow_replacement);

    let extra = &desired.pools[&PoolAddress::from("prod-extra")];
    assert_eq!(extra.autoscaling.as_ref().map(|a| a.enabled), Some(false));
    assert!(extra.template.login.remove_password);
    assert_eq!(
        extra
            .template
            .nic
            .as_ref()
            .and_then(|nic| nic.ip_block.as_deref()),
        Some("10.0.0.0/24")
    );
    assert_eq!(extra.template.root_volume.encrypted, Some(true));
    assert_eq!(extra.template.root_volume.passthrough, Some(false));
    assert_eq!(
        extra.template.extend_params.len(),
        walk::keys::EXTEND_PARAM_KEYS.len() - 3
    );
    assert_eq!(extra.template.extend_params["periodNum"], "1");
    assert_eq!(extra.template.extend_params["isAutoPay"], "true");

    let default_pool = &desired.pools[&PoolAddress::from("prod-other")];
    assert!(default_pool.is_default_pool());
    assert_eq!(default_pool.template.login.ssh_key.as_deref(), Some("kp"));
    assert_eq!(
        default_pool.rollout.max_unavailable,
        MaxUnavailable::Count(1)
    );
}

#[test]
fn defaults() {
    let desired = load_one(&pool("")).expect("valid");
    let pool = &desired.pools[&PoolAddress::from("web")];
    assert_eq!(pool.name, "web");
    assert_eq!(pool.template.pool_type, "vm");
    assert_eq!(pool.template.runtime.name, "containerd");
    assert_eq!(pool.node_count, None);
    assert_eq!(pool.autoscaling, None);
    assert_eq!(pool.rollout, crate::model::Rollout::default());
    assert_eq!(pool.template.root_volume.passthrough, None);
}

#[test]
fn the_digest_covers_files_and_scripts_and_is_stable() {
    let text = pool("lifecycle = { post_install = { file = \"post.sh\" } }");
    let digest = |script: &str, notes: &str| {
        let (_dir, result) = load_files(&[
            ("poolform.toml", &text),
            ("post.sh", script),
            ("notes.md", notes),
        ]);
        result.expect("valid").digest
    };
    let first = digest("echo 1", "a");
    assert_eq!(first.len(), 64);
    assert_eq!(first, digest("echo 1", "a"), "same input, same digest");
    assert_eq!(
        first,
        digest("echo 1", "b"),
        "files nobody names do not count"
    );
    assert_ne!(first, digest("echo 2", "a"), "script contents count");
}

#[test]
fn a_single_file_can_be_loaded() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("one.toml");
    std::fs::write(&path, pool("")).expect("write");
    let desired = load(&path).expect("valid");
    assert_eq!(desired.pools.len(), 1);
}

#[test]
fn rollout_durations_of_exactly_a_day_are_accepted() {
    let desired = load_one(&pool(
        "rollout = { soak = \"24h\", batch_timeout = \"1day\" }",
    ))
    .unwrap_or_else(|errors| panic!("{}", errors.render_plain(100)));
    let rollout = &desired.pools[&PoolAddress::from("web")].rollout;
    assert_eq!(
        (rollout.soak_seconds, rollout.batch_timeout_seconds),
        (86_400, 86_400)
    );
}

#[test]
fn inline_scripts_are_kept_as_written() {
    let desired = load_one(&pool("lifecycle = { pre_install = \"echo pre\" }")).expect("valid");
    let pool = &desired.pools[&PoolAddress::from("web")];
    assert_eq!(
        pool.template.lifecycle.pre_install.as_deref(),
        Some("echo pre")
    );
    assert_eq!(pool.template.lifecycle.post_install, None);
}

/// A config in `config/` of a fresh directory whose pool names `script` as
/// its post-install file, with `cloud` as the `[cloud]` table and `outside.sh`
/// beside (not inside) the config directory.
fn load_with_script(
    cloud: &str,
    script: &str,
) -> (tempfile::TempDir, Result<Desired, ConfigErrors>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("config");
    std::fs::create_dir_all(config.join("scripts")).expect("mkdir");
    std::fs::write(dir.path().join("outside.sh"), "echo outside\n").expect("write");
    std::fs::write(config.join("scripts/post.sh"), "echo inside\n").expect("write");
    let script = script.replace(
        "{OUTSIDE}",
        &dir.path().join("outside.sh").to_string_lossy(),
    );
    let text = format!(
        "[cloud]\n{cloud}\n{}",
        pool(&format!(
            "lifecycle = {{ post_install = {{ file = '{script}' }} }}"
        ))
    );
    std::fs::write(config.join("poolform.toml"), text).expect("write");
    let result = load(&config);
    (dir, result)
}

#[test_case("", "scripts/post.sh", Ok("echo inside\n") ; "inside")]
#[test_case("", "scripts/../scripts/post.sh", Ok("echo inside\n") ; "dot-dot that stays inside")]
#[test_case("", "../outside.sh", Err(codes::SCRIPT_OUTSIDE) ; "dot-dot out")]
#[test_case("", "{OUTSIDE}", Err(codes::SCRIPT_OUTSIDE) ; "absolute")]
#[test_case("allow_scripts_outside = false", "../outside.sh", Err(codes::SCRIPT_OUTSIDE) ; "explicitly not allowed")]
#[test_case("allow_scripts_outside = true", "../outside.sh", Ok("echo outside\n") ; "dot-dot out allowed")]
#[test_case("allow_scripts_outside = true", "{OUTSIDE}", Ok("echo outside\n") ; "absolute allowed")]
#[test_case("allow_scripts_outside = \"yes\"", "scripts/post.sh", Err(codes::INVALID_TYPE) ; "not a boolean")]
fn script_files_stay_inside_the_config_unless_allowed(
    cloud: &str,
    script: &str,
    expected: Result<&str, &str>,
) {
    let (_dir, result) = load_with_script(cloud, script);
    match (result, expected) {
        (Ok(desired), Ok(text)) => {
            let pool = &desired.pools[&PoolAddress::from("web")];
            assert_eq!(pool.template.lifecycle.post_install.as_deref(), Some(text));
        }
        (Err(errors), Err(code)) => {
            let codes: Vec<&str> = errors.diagnostics().iter().map(|d| d.code()).collect();
            assert_eq!(codes, [code]);
            let diagnostic = &errors.diagnostics()[0];
            assert!(diagnostic.help().is_some());
            assert!(diagnostic.line_column().is_some(), "a label on the span");
            // The error names the path, never what the file holds.
            let rendered = errors.render_plain(100);
            assert!(!rendered.contains("echo outside"), "{rendered}");
        }
        (result, expected) => panic!("expected {expected:?}, got {result:?}"),
    }
}

#[test]
fn allow_scripts_outside_in_another_file_covers_every_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("config");
    std::fs::create_dir_all(&config).expect("mkdir");
    std::fs::write(dir.path().join("outside.sh"), "echo outside\n").expect("write");
    // The pool's file sorts before the one with the setting.
    std::fs::write(
        config.join("a-pool.toml"),
        pool("lifecycle = { post_install = { file = \"../outside.sh\" } }"),
    )
    .expect("write");
    std::fs::write(
        config.join("b-cloud.toml"),
        "[cloud]\nallow_scripts_outside = true\n",
    )
    .expect("write");
    let desired = load(&config).expect("allowed by the other file");
    let pool = &desired.pools[&PoolAddress::from("web")];
    assert_eq!(
        pool.template.lifecycle.post_install.as_deref(),
        Some("echo outside\n")
    );
}

#[cfg(unix)]
#[test]
fn a_script_linked_out_of_the_config_is_refused_without_being_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("config");
    std::fs::create_dir_all(&config).expect("mkdir");
    std::fs::write(dir.path().join("secret.sh"), "TOP-SECRET-CONTENT\n").expect("write");
    std::os::unix::fs::symlink(dir.path().join("secret.sh"), config.join("post.sh"))
        .expect("symlink");
    std::fs::write(
        config.join("poolform.toml"),
        pool("lifecycle = { post_install = { file = \"post.sh\" } }"),
    )
    .expect("write");
    let errors = load(&config).expect_err("a link out of the tree");
    assert_eq!(errors.diagnostics()[0].code(), codes::SCRIPT_OUTSIDE);
    let rendered = errors.render_plain(100);
    assert!(!rendered.contains("TOP-SECRET"), "{rendered}");
    let json = serde_json::to_string(&errors.to_json()).expect("json");
    assert!(!json.contains("TOP-SECRET"), "{json}");
}

#[test]
fn diagnostics_never_echo_control_characters_from_values() {
    // TOML escapes put an ESC sequence into a key and a NUL into a value;
    // messages and help quote both.
    let text = pool("\"fla\\u001b[31mvor\" = \"x\"\nruntime = \"crio\\u0000\"");
    let errors = load_one(&text).expect_err("unknown key and bad runtime");
    let found: Vec<&str> = errors.diagnostics().iter().map(|d| d.code()).collect();
    assert_eq!(found, [codes::UNKNOWN_KEY, codes::INVALID_VALUE]);
    let rendered = errors.render_plain(100);
    assert!(
        !rendered.contains(['\u{1b}', '\0']),
        "raw control characters in:\n{rendered:?}"
    );
    assert!(
        rendered.contains("unknown key `fla\\u{1b}[31mvor`"),
        "{rendered}"
    );
    assert!(rendered.contains("not `crio\\u{0}`"), "{rendered}");
    // JSON keeps the text as written; serde escapes it.
    let json = serde_json::to_string(&errors.to_json()).expect("json");
    assert!(json.contains("fla\\u001b[31mvor"), "{json}");
}

#[test]
fn source_excerpts_never_echo_control_characters() {
    // Raw ESC, NUL and a lone CR are not valid TOML: the excerpt of the
    // syntax error shows them escaped, with the label still in place.
    let text = "[cloud]\nregion = \"\u{1b}[31mred\"\n# a\rb\0\n";
    let errors = load_one(text).expect_err("syntax errors");
    let rendered = errors.render_plain(100);
    assert!(
        !rendered.contains(['\u{1b}', '\0', '\r']),
        "raw control characters in:\n{rendered:?}"
    );
    assert!(
        rendered.contains("region = \"\\u{1b}[31mred\""),
        "{rendered}"
    );
    let diagnostic = &errors.diagnostics()[0];
    assert_eq!(diagnostic.code(), codes::SYNTAX);
    assert_eq!(diagnostic.line_column().map(|(line, _)| line), Some(2));
}

mod schema_agreement {
    //! The walker and the schema types describe the same language.

    use std::collections::BTreeSet;

    use serde_json::Value;

    use super::*;
    use crate::config::walk;

    fn schema() -> Value {
        serde_json::from_str(&config_json_schema()).expect("the schema is JSON")
    }

    /// Follows `$ref` (directly or in a one-element `allOf`).
    fn resolve<'a>(root: &'a Value, node: &'a Value) -> &'a Value {
        let reference = node
            .get("$ref")
            .or_else(|| node.get("allOf").and_then(|all| all.get(0)?.get("$ref")));
        match reference.and_then(Value::as_str) {
            Some(reference) => {
                let name = reference.trim_start_matches("#/definitions/");
                resolve(root, &root["definitions"][name])
            }
            None => node,
        }
    }

    fn properties(root: &Value, definition: &str) -> BTreeSet<String> {
        resolve(root, &root["definitions"][definition])["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("{definition} has properties"))
            .keys()
            .cloned()
            .collect()
    }

    fn keys(list: &[&str]) -> BTreeSet<String> {
        list.iter().map(|key| (*key).to_owned()).collect()
    }

    #[test]
    fn walker_key_lists_match_the_schema_types() {
        let root = schema();
        let root_keys: BTreeSet<String> = root["properties"]
            .as_object()
            .expect("root properties")
            .keys()
            .cloned()
            .collect();
        assert_eq!(root_keys, keys(walk::keys::ROOT_KEYS));
        for (definition, list) in [
            ("RawCloud", walk::keys::CLOUD_KEYS),
            ("RawCluster", walk::keys::CLUSTER_KEYS),
            ("RawPool", walk::keys::POOL_KEYS),
            ("RawLogin", walk::keys::LOGIN_KEYS),
            ("RawPasswordRef", walk::keys::PASSWORD_KEYS),
            ("RawRootVolume", walk::keys::VOLUME_KEYS),
            ("RawDataVolume", walk::keys::VOLUME_KEYS),
            ("RawPublicIp", walk::keys::PUBLIC_IP_KEYS),
            ("RawNic", walk::keys::NIC_KEYS),
            ("RawTaint", walk::keys::TAINT_KEYS),
            ("RawLifecycle", walk::keys::LIFECYCLE_KEYS),
            ("RawAutoscaling", walk::keys::AUTOSCALING_KEYS),
            ("RawRollout", walk::keys::ROLLOUT_KEYS),
            ("RawExtendParams", walk::keys::EXTEND_PARAM_KEYS),
        ] {
            assert_eq!(properties(&root, definition), keys(list), "{definition}");
        }
        let script_object = &root["definitions"]["Script"]["oneOf"][1]["properties"];
        let script_keys: BTreeSet<String> = script_object
            .as_object()
            .expect("script object")
            .keys()
            .cloned()
            .collect();
        assert_eq!(script_keys, keys(walk::keys::SCRIPT_KEYS));
        assert!(
            walk::keys::DEFAULT_POOL_KEYS
                .iter()
                .all(|key| walk::keys::POOL_KEYS.contains(key)),
            "the DefaultPool's keys are pool keys"
        );
    }

    /// Every property of every object in the schema, as a path such as
    /// `pools.*.login.password.env` (`*` for map keys, `[]` for arrays).
    fn schema_paths(root: &Value, node: &Value, prefix: &str, out: &mut BTreeSet<String>) {
        let node = resolve(root, node);
        if let Some(properties) = node.get("properties").and_then(Value::as_object) {
            for (key, child) in properties {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                out.insert(path.clone());
                schema_paths(root, child, &path, out);
            }
        }
        if let Some(items) = node.get("items") {
            schema_paths(root, items, &format!("{prefix}[]"), out);
        }
        if let Some(values) = node.get("additionalProperties").filter(|v| v.is_object()) {
            schema_paths(root, values, &format!("{prefix}.*"), out);
        }
        for alternative in node
            .get("oneOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            schema_paths(root, alternative, prefix, out);
        }
    }

    /// Every key path of a parsed config, with the keys of `clusters` and
    /// `pools` replaced by `*`.
    fn config_paths(value: &Value, prefix: &str, out: &mut BTreeSet<String>) {
        match value {
            Value::Object(object) => {
                for (key, child) in object {
                    let segment = if prefix == "clusters" || prefix == "pools" {
                        "*"
                    } else {
                        key
                    };
                    let path = if prefix.is_empty() {
                        segment.to_owned()
                    } else {
                        format!("{prefix}.{segment}")
                    };
                    out.insert(path.clone());
                    config_paths(child, &path, out);
                }
            }
            Value::Array(items) => {
                for item in items {
                    config_paths(item, &format!("{prefix}[]"), out);
                }
            }
            _ => {}
        }
    }

    #[test]
    fn the_full_config_sets_every_schema_property_and_loads() {
        let root = schema();
        let mut expected = BTreeSet::new();
        schema_paths(&root, &root, "", &mut expected);
        let parsed: Value = toml::from_str(FULL_CONFIG).expect("FULL_CONFIG is TOML");
        let mut used = BTreeSet::new();
        config_paths(&parsed, "", &mut used);
        let missing: Vec<&String> = expected.difference(&used).collect();
        assert!(missing.is_empty(), "FULL_CONFIG does not set {missing:?}");
        // And the walker accepts all of it (see a_full_pool_maps_onto_the_model).
        let (_dir, result) = load_files(&[
            ("poolform.toml", FULL_CONFIG),
            ("scripts/pre.sh", "echo pre"),
            ("scripts/post.sh", "echo post\n"),
        ]);
        result.unwrap_or_else(|errors| panic!("{}", errors.render_plain(100)));
    }

    #[test]
    fn the_full_config_is_valid_against_the_schema() {
        let root = schema();
        let validator = jsonschema::validator_for(&root).expect("the schema compiles");
        let parsed: Value = toml::from_str(FULL_CONFIG).expect("FULL_CONFIG is TOML");
        let errors: Vec<String> = validator
            .iter_errors(&parsed)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{errors:#?}");
        // The schema rejects what the walker rejects, for editors to show.
        let typo: Value = toml::from_str(&pool("flavour = \"x\"")).expect("TOML");
        assert!(!validator.is_valid(&typo));
        let literal: Value =
            toml::from_str(&bare_pool("login = { password = \"Abc-12345\" }")).expect("TOML");
        assert!(!validator.is_valid(&literal));
    }

    #[test]
    fn every_property_names_its_cce_field() {
        let root = schema();
        let mut missing = Vec::new();
        let mut check = |path: String, node: &Value| {
            let description = node
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or("");
            if !description.contains("CCE") {
                missing.push(path);
            }
        };
        for (name, definition) in root["definitions"].as_object().expect("definitions") {
            for (key, property) in definition
                .get("properties")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                check(format!("{name}.{key}"), property);
            }
        }
        for (key, property) in root["properties"].as_object().expect("root properties") {
            check(key.clone(), property);
        }
        assert!(
            missing.is_empty(),
            "descriptions without a CCE mapping: {missing:?}"
        );
    }
}

#[test]
fn a_long_dependency_chain_needs_no_deep_stack() {
    // 5000 pools, each depending on the next, the last on the first: a
    // recursive search would need thousands of frames.
    let count = 5000;
    let mut text = String::from("[clusters.prod]\nid = \"c1\"\n");
    for index in 0..count {
        let next = (index + 1) % count;
        text.push_str(&format!(
            "[pools.p{index}]\ncluster = \"prod\"\nensure = \"absent\"\nrollout = {{ depends_on = [\"p{next}\"] }}\n"
        ));
    }
    let worker = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            let errors = load_one(&text).expect_err("a cycle");
            errors
                .diagnostics()
                .iter()
                .map(|diagnostic| diagnostic.code())
                .collect::<Vec<_>>()
        })
        .expect("spawn");
    let found = worker.join().expect("no stack overflow");
    assert_eq!(found, [codes::DEPENDENCY_CYCLE]);
}

#[test]
fn the_reference_documents_every_code_and_key() {
    let reference = include_str!("../../docs/config.md");
    for code in codes::ALL {
        assert!(
            reference.contains(&format!("`{code}`")),
            "docs/config.md lacks {code}"
        );
    }
    for list in [
        walk::keys::CLOUD_KEYS,
        walk::keys::CLUSTER_KEYS,
        walk::keys::POOL_KEYS,
        walk::keys::LOGIN_KEYS,
        walk::keys::VOLUME_KEYS,
        walk::keys::PUBLIC_IP_KEYS,
        walk::keys::NIC_KEYS,
        walk::keys::TAINT_KEYS,
        walk::keys::LIFECYCLE_KEYS,
        walk::keys::AUTOSCALING_KEYS,
        walk::keys::ROLLOUT_KEYS,
        walk::keys::EXTEND_PARAM_KEYS,
    ] {
        for key in list {
            assert!(
                reference.contains(&format!("`{key}`")),
                "docs/config.md lacks `{key}`"
            );
        }
    }
}
