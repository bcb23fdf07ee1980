//! Property tests: no input panics the loader, and whatever it reports can be
//! rendered. Inputs are random text, mutations of valid configs (so the
//! walker gets deep before it meets the damage), and random documents built
//! from the language's own keys. Bounded to a few hundred cases each so the
//! suite stays fast; `fuzz/` runs the same check for as long as you like.

use std::collections::BTreeMap;
use std::path::Path;

use proptest::prelude::*;
use serde_json::Value;

use super::walk;
use super::{ConfigErrors, load_source};

/// Valid documents to mutate.
fn seeds() -> Vec<&'static str> {
    vec![
        super::tests::FULL_CONFIG,
        include_str!("../../examples/quickstart/poolform.toml"),
        include_str!("../../examples/fleet/prod.toml"),
        include_str!("../../examples/default-pool/poolform.toml"),
        include_str!("../../examples/password/poolform.toml"),
    ]
}

/// Loads `text` and exercises every way a result is shown.
fn check(text: &str) {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/quickstart");
    match load_source("fuzz.toml", text, &base) {
        Ok(desired) => {
            // A loaded config serialises (saved plans embed it).
            serde_json::to_string(&desired).expect("desired serialises");
        }
        Err(errors) => check_errors(&errors, text),
    }
}

fn check_errors(errors: &ConfigErrors, text: &str) {
    assert!(
        !errors.diagnostics().is_empty(),
        "an error without diagnostics"
    );
    let rendered = errors.render_plain(100);
    assert!(!rendered.is_empty());
    serde_json::to_string(&errors.to_json()).expect("diagnostics serialise");
    let lines = text.lines().count().max(1) + 1;
    for diagnostic in errors.diagnostics() {
        assert!(diagnostic.code().starts_with("poolform::config::"));
        assert!(!diagnostic.message().is_empty());
        if let Some((line, column)) = diagnostic.line_column() {
            assert!(line >= 1 && line <= lines, "line {line} of {lines}");
            assert!(column >= 1);
        }
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Delete { at: usize, len: usize },
    Insert { at: usize, text: String },
    Replace { at: usize, with: char },
    DuplicateLine { line: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let snippet = prop_oneof![
        Just("=".to_owned()),
        Just("\"".to_owned()),
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just("{}".to_owned()),
        Just("\n[pools.x]\n".to_owned()),
        Just("-1".to_owned()),
        Just("99999999999999999999".to_owned()),
        Just("DefaultPool".to_owned()),
        Just("\"25%\"".to_owned()),
        Just("true".to_owned()),
        Just(".".to_owned()),
        "[a-z_ =\"\\[\\]{},.0-9\n]{1,12}",
        any::<String>(),
    ];
    prop_oneof![
        (any::<usize>(), 1usize..40).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (any::<usize>(), snippet).prop_map(|(at, text)| Mutation::Insert { at, text }),
        (any::<usize>(), any::<char>()).prop_map(|(at, with)| Mutation::Replace { at, with }),
        any::<usize>().prop_map(|line| Mutation::DuplicateLine { line }),
    ]
}

fn apply(text: &str, mutation: &Mutation) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let len = chars.len().max(1);
    match mutation {
        Mutation::Delete { at, len: count } => {
            let start = at % len;
            let end = (start + count).min(chars.len());
            if start < end {
                chars.drain(start..end);
            }
        }
        Mutation::Insert { at, text } => {
            let at = (at % len).min(chars.len());
            chars.splice(at..at, text.chars());
        }
        Mutation::Replace { at, with } => {
            if !chars.is_empty() {
                chars[at % len] = *with;
            }
        }
        Mutation::DuplicateLine { line } => {
            let lines: Vec<&str> = text.lines().collect();
            if !lines.is_empty() {
                let index = line % lines.len();
                let mut out: Vec<&str> = lines.clone();
                out.insert(index, lines[index]);
                return out.join("\n");
            }
        }
    }
    chars.into_iter().collect()
}

/// Every key the language knows, so random documents hit real code paths.
fn known_keys() -> Vec<&'static str> {
    let mut keys: Vec<&'static str> = [
        walk::keys::ROOT_KEYS,
        walk::keys::CLOUD_KEYS,
        walk::keys::CLUSTER_KEYS,
        walk::keys::POOL_KEYS,
        walk::keys::LOGIN_KEYS,
        walk::keys::PASSWORD_KEYS,
        walk::keys::VOLUME_KEYS,
        walk::keys::PUBLIC_IP_KEYS,
        walk::keys::NIC_KEYS,
        walk::keys::TAINT_KEYS,
        walk::keys::LIFECYCLE_KEYS,
        walk::keys::SCRIPT_KEYS,
        walk::keys::AUTOSCALING_KEYS,
        walk::keys::ROLLOUT_KEYS,
        walk::keys::EXTEND_PARAM_KEYS,
    ]
    .concat();
    keys.extend([
        "prod",
        "web",
        "DefaultPool",
        "maxPods",
        "init-node-password",
    ]);
    keys
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (0i64..30).prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        prop::sample::select(vec![
            "prod",
            "web",
            "DefaultPool",
            "25%",
            "0%",
            "60s",
            "vm",
            "GPSSD",
            "NoSchedule",
            "containerd",
            "absent",
            "https://x",
            "http://127.0.0.1",
            "10.0.0.0/24",
            "",
            "scripts/post-install.sh",
            "NODE_PASSWORD",
            "root",
        ])
        .prop_map(Value::from),
        "\\PC{0,20}".prop_map(Value::from),
    ]
}

fn document() -> impl Strategy<Value = Value> {
    let keys = known_keys();
    let leaf = scalar();
    let tree = leaf.prop_recursive(5, 64, 6, move |inner| {
        let keys = keys.clone();
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(prop::sample::select(keys), inner, 0..6).prop_map(
                |map: BTreeMap<&str, Value>| {
                    Value::Object(map.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
                }
            ),
        ]
    });
    prop::collection::btree_map(
        prop::sample::select(vec!["cloud", "clusters", "pools", "other"]),
        tree,
        0..4,
    )
    .prop_map(|map| Value::Object(map.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_text_never_panics(text in "\\PC{0,400}") {
        check(&text);
    }

    #[test]
    fn toml_like_text_never_panics(text in "[a-z_ =\"'\\[\\]{},.#0-9\n%-]{0,400}") {
        check(&text);
    }

    #[test]
    fn mutated_configs_never_panic(
        seed in prop::sample::select(seeds()),
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        let text = mutations.iter().fold(seed.to_owned(), |text, m| apply(&text, m));
        check(&text);
    }

    #[test]
    fn random_documents_of_known_keys_never_panic(document in document()) {
        // Documents TOML cannot represent (such as arrays mixing tables and
        // scalars in some positions) are simply skipped.
        if let Ok(text) = toml::to_string(&document) {
            check(&text);
        }
    }
}
