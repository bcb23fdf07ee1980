//! The SDK's model catalogue: every CCE model's JSON field names and types,
//! as `huaweicloudsdkcce` declares them (`cce-models.json`, copied from
//! `reference/cce-models.json`), and a walker that checks a JSON value
//! against a model.
//!
//! The simulator reads every request body through [`check`] before it reads
//! the body into its own types: a key the model does not have is what the
//! real service ignores (the simulator ignores it too and logs it), a value
//! of the wrong JSON type is a 400. Because the catalogue comes from the SDK
//! and not from poolform's client, a field name the client gets wrong is
//! caught here instead of being agreed with.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::LazyLock;

use serde_json::Value;

/// The catalogue as shipped with the SDK version it was read from.
const CATALOGUE_JSON: &str = include_str!("cce-models.json");

/// A model: its fields by JSON name, each with its SDK type string
/// (`str`, `int`, `float`, `bool`, `object`, `list[X]`, `dict(str, X)`, or a
/// model name).
pub type Model = BTreeMap<String, String>;

static MODELS: LazyLock<BTreeMap<String, Model>> = LazyLock::new(|| {
    #[derive(serde::Deserialize)]
    struct File {
        models: BTreeMap<String, Model>,
    }
    // The file is part of the source tree and checked by a unit test, so a
    // parse failure is a build defect, not a runtime condition.
    serde_json::from_str::<File>(CATALOGUE_JSON)
        .map(|file| file.models)
        .unwrap_or_default()
});

/// Every model of the catalogue by name.
pub fn models() -> &'static BTreeMap<String, Model> {
    &MODELS
}

/// One model by name.
pub fn model(name: &str) -> Option<&'static Model> {
    MODELS.get(name)
}

/// Something [`check`] found in a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Where, as dotted JSON names with list indexes, e.g.
    /// `spec.nodeTemplate.rootVolume` or `spec.nodeTemplate.taints[0].key`.
    pub path: String,
    /// What.
    pub kind: FindingKind,
}

/// The kinds of [`Finding`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FindingKind {
    /// The model has no field of this name: the service ignores it.
    UnknownKey {
        /// The model the key sits in.
        model: String,
    },
    /// The value's JSON type is not the field's SDK type.
    TypeMismatch {
        /// The SDK type, e.g. `int` or `list[Taint]`.
        expected: String,
        /// The JSON type found: `string`, `number`, `integer`, `bool`,
        /// `array`, `object`.
        found: &'static str,
    },
    /// The model is not in the catalogue (a defect of the caller).
    UnknownModel {
        /// The name asked for.
        model: String,
    },
}

impl Finding {
    /// Whether the service would ignore this (an unknown key) rather than
    /// refuse the request.
    pub fn is_ignored(&self) -> bool {
        matches!(self.kind, FindingKind::UnknownKey { .. })
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            FindingKind::UnknownKey { model } => {
                write!(f, "{}: {model} has no field of this name", self.path)
            }
            FindingKind::TypeMismatch { expected, found } => {
                write!(f, "{}: expected {expected}, found {found}", self.path)
            }
            FindingKind::UnknownModel { model } => {
                write!(f, "{}: no model {model} in the catalogue", self.path)
            }
        }
    }
}

/// Checks `value` against the model `model_name`, recursively: every key the
/// model (or a nested model) does not have, and every value whose JSON type
/// is not its field's type. `null` stands for an absent field and is never a
/// finding. Findings come in document order.
pub fn check(model_name: &str, value: &Value) -> Vec<Finding> {
    let mut findings = Vec::new();
    walk(model_name, value, "", &mut findings);
    findings
}

/// Removes from `value` every key [`check`] reports as unknown, so that the
/// rest can be read into the simulator's types knowing that what was ignored
/// has no effect. Returns the findings (unknown keys and type mismatches).
pub fn prune(model_name: &str, value: &mut Value) -> Vec<Finding> {
    let findings = check(model_name, value);
    for finding in findings.iter().filter(|f| f.is_ignored()) {
        remove_path(value, &finding.path);
    }
    findings
}

/// The JSON type name of a value, as findings show it.
fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn walk(model_name: &str, value: &Value, path: &str, findings: &mut Vec<Finding>) {
    let Some(model) = MODELS.get(model_name) else {
        findings.push(Finding {
            path: path.to_owned(),
            kind: FindingKind::UnknownModel {
                model: model_name.to_owned(),
            },
        });
        return;
    };
    let Value::Object(map) = value else {
        if !value.is_null() {
            findings.push(Finding {
                path: path.to_owned(),
                kind: FindingKind::TypeMismatch {
                    expected: model_name.to_owned(),
                    found: json_type(value),
                },
            });
        }
        return;
    };
    for (key, field_value) in map {
        let field_path = join(path, key);
        match model.get(key) {
            None => findings.push(Finding {
                path: field_path,
                kind: FindingKind::UnknownKey {
                    model: model_name.to_owned(),
                },
            }),
            Some(field_type) => check_type(field_type, field_value, &field_path, findings),
        }
    }
}

fn check_type(field_type: &str, value: &Value, path: &str, findings: &mut Vec<Finding>) {
    if value.is_null() {
        return;
    }
    let mismatch = |findings: &mut Vec<Finding>| {
        findings.push(Finding {
            path: path.to_owned(),
            kind: FindingKind::TypeMismatch {
                expected: field_type.to_owned(),
                found: json_type(value),
            },
        });
    };
    if let Some(item_type) = field_type
        .strip_prefix("list[")
        .and_then(|t| t.strip_suffix(']'))
    {
        match value {
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    check_type(item_type, item, &format!("{path}[{index}]"), findings);
                }
            }
            _ => mismatch(findings),
        }
        return;
    }
    if let Some(value_type) = field_type
        .strip_prefix("dict(str, ")
        .and_then(|t| t.strip_suffix(')'))
    {
        match value {
            Value::Object(map) => {
                for (key, item) in map {
                    check_type(value_type, item, &join(path, key), findings);
                }
            }
            _ => mismatch(findings),
        }
        return;
    }
    let matches = match field_type {
        "str" => value.is_string(),
        "int" => value.is_i64() || value.is_u64(),
        "float" => value.is_number(),
        "bool" => value.is_boolean(),
        "object" => true,
        model_name => {
            walk(model_name, value, path, findings);
            return;
        }
    };
    if !matches {
        mismatch(findings);
    }
}

/// Removes the key at a finding's path. Paths are the ones [`check`] builds,
/// so a key containing a dot (`alpha.cce/preInstall`) is matched greedily
/// against the keys actually present.
fn remove_path(value: &mut Value, path: &str) {
    match value {
        Value::Object(map) => {
            if map.remove(path).is_some() {
                return;
            }
            let key = map
                .keys()
                .filter(|key| {
                    path.strip_prefix(key.as_str())
                        .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
                })
                .max_by_key(|key| key.len())
                .cloned();
            if let Some(key) = key {
                let rest = &path[key.len()..];
                let rest = rest.strip_prefix('.').unwrap_or(rest);
                if let Some(child) = map.get_mut(&key) {
                    remove_path(child, rest);
                }
            }
        }
        Value::Array(items) => {
            let Some(after) = path.strip_prefix('[') else {
                return;
            };
            let Some((index, rest)) = after.split_once(']') else {
                return;
            };
            let rest = rest.strip_prefix('.').unwrap_or(rest);
            if let Some(child) = index.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                remove_path(child, rest);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_catalogue_parses_and_every_referenced_model_exists() {
        assert!(models().len() > 80, "{}", models().len());
        let mut missing = Vec::new();
        for (name, fields) in models() {
            for (field, field_type) in fields {
                let mut inner = field_type.as_str();
                for (prefix, suffix) in [("list[", "]"), ("dict(str, ", ")")] {
                    if let Some(t) = inner
                        .strip_prefix(prefix)
                        .and_then(|t| t.strip_suffix(suffix))
                    {
                        inner = t;
                    }
                }
                let primitive = matches!(inner, "str" | "int" | "float" | "bool" | "object");
                if !primitive && model(inner).is_none() {
                    missing.push(format!("{name}.{field}: {field_type}"));
                }
            }
        }
        assert!(missing.is_empty(), "{missing:?}");
    }

    #[test]
    fn an_unknown_key_is_found_with_its_path_and_model() {
        let body = json!({
            "metadata": {"name": "np"},
            "spec": {"nodeTemplate": {"rootVolume": {"size": 50, "volumetype": "SSD"}, "os": "x"}}
        });
        assert_eq!(
            check("NodePoolUpdate", &body),
            [Finding {
                path: "spec.nodeTemplate.rootVolume".into(),
                kind: FindingKind::UnknownKey {
                    model: "NodeSpecUpdate".into()
                },
            }]
        );
        assert!(
            check(
                "NodePool",
                &json!({"spec": {"nodeTemplate": {"rootVolume": {"size": 50}}}})
            )
            .is_empty()
        );
    }

    #[test]
    fn type_mismatches_name_the_field_and_both_types() {
        let body = json!({"spec": {"initialNodeCount": "3", "autoscaling": {"enable": 1, "scaleDownUtilizationThreshold": 1}}});
        let findings = check("NodePool", &body);
        let shown: Vec<String> = findings.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "spec.autoscaling.enable: expected bool, found integer",
                "spec.initialNodeCount: expected int, found string",
            ]
        );
        assert!(findings.iter().all(|f| !f.is_ignored()));
        // An integer is a float; a float is not an int; null is absent.
        assert!(
            check(
                "NodePoolNodeAutoscaling",
                &json!({"scaleDownUtilizationThreshold": 0.5, "minNodeCount": null})
            )
            .is_empty()
        );
        assert_eq!(
            check("NodePoolNodeAutoscaling", &json!({"minNodeCount": 1.5})).len(),
            1
        );
        assert_eq!(check("NodePool", &json!({"spec": 3})).len(), 1);
    }

    #[test]
    fn nested_lists_and_dicts_are_walked() {
        let body = json!({"spec": {"nodeTemplate": {
            "taints": [{"key": "a", "effect": "NoSchedule"}, {"key": "b", "effct": "NoSchedule", "value": 3}],
            "k8sTags": {"team": "a", "tier": 1},
            "dataVolumes": [{"size": 100, "extendParam": {"useType": "docker", "n": [1]}}],
            "userTags": {"key": "env"}
        }}});
        let shown: Vec<String> = check("NodePool", &body)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            shown,
            [
                "spec.nodeTemplate.k8sTags.tier: expected str, found integer",
                "spec.nodeTemplate.taints[1].effct: Taint has no field of this name",
                "spec.nodeTemplate.taints[1].value: expected str, found integer",
                "spec.nodeTemplate.userTags: expected list[UserTag], found object",
            ]
        );
    }

    #[test]
    fn prune_removes_exactly_the_unknown_keys() {
        let mut body = json!({"spec": {"nodeTemplate": {
            "rootVolume": {"size": 50},
            "extendParam": {"alpha.cce/preInstall": "eA==", "maxPods": 64},
            "taints": [{"key": "a", "effect": "NoSchedule", "colour": "red"}]
        }}});
        let findings = prune("NodePoolUpdate", &mut body);
        let paths: Vec<&str> = findings.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "spec.nodeTemplate.extendParam.maxPods",
                "spec.nodeTemplate.rootVolume",
                "spec.nodeTemplate.taints[0].colour",
            ]
        );
        assert_eq!(
            body,
            json!({"spec": {"nodeTemplate": {
                "extendParam": {"alpha.cce/preInstall": "eA=="},
                "taints": [{"key": "a", "effect": "NoSchedule"}]
            }}})
        );
    }
}
