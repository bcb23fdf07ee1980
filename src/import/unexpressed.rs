//! The live fields the configuration language cannot hold, found in the raw
//! JSON of a pool: each is written as a comment and listed by the CLI, never
//! dropped in silence.

use serde_json::Value;

use super::Unexpressed;

/// Keys of `spec` the configuration expresses (or that are CCE's own
/// instructions, never state).
const KNOWN_SPEC_KEYS: &[&str] = &[
    "type",
    "nodeTemplate",
    "initialNodeCount",
    "autoscaling",
    "nodeManagement",
    "taintPolicyOnExistingNodes",
    "labelPolicyOnExistingNodes",
    "userTagsPolicyOnExistingNodes",
];

/// Keys of `spec.nodeTemplate` the configuration expresses, or that CCE
/// fills in (`count`, `billingMode` 0, checked apart).
const KNOWN_TEMPLATE_KEYS: &[&str] = &[
    "flavor",
    "az",
    "os",
    "login",
    "rootVolume",
    "dataVolumes",
    "publicIP",
    "nodeNicSpec",
    "count",
    "billingMode",
    "taints",
    "k8sTags",
    "userTags",
    "runtime",
    "extendParam",
    "waitPostInstallFinish",
];

/// Keys of `spec.autoscaling` the configuration expresses.
const KNOWN_AUTOSCALING_KEYS: &[&str] = &[
    "enable",
    "minNodeCount",
    "maxNodeCount",
    "scaleDownCooldownTime",
    "priority",
];

/// The fields of the raw pool that no key of the configuration holds, in
/// path order. Null values are absent values.
pub(super) fn unexpressed_fields(raw: &Value) -> Vec<Unexpressed> {
    let mut found = Vec::new();
    let mut note = |field: String, value: &Value| {
        if !value.is_null() {
            found.push(Unexpressed {
                field,
                value: value.to_string(),
            });
        }
    };
    let Some(spec) = raw.get("spec").and_then(Value::as_object) else {
        return Vec::new();
    };
    for (name, value) in spec {
        if !KNOWN_SPEC_KEYS.contains(&name.as_str()) {
            note(format!("spec.{name}"), value);
        }
    }
    if let Some(autoscaling) = spec.get("autoscaling").and_then(Value::as_object) {
        for (name, value) in autoscaling {
            if !KNOWN_AUTOSCALING_KEYS.contains(&name.as_str()) {
                note(format!("spec.autoscaling.{name}"), value);
            }
        }
    }
    if let Some(management) = spec.get("nodeManagement").and_then(Value::as_object) {
        for (name, value) in management {
            if name != "serverGroupReference" {
                note(format!("spec.nodeManagement.{name}"), value);
            }
        }
    }
    let Some(template) = spec.get("nodeTemplate").and_then(Value::as_object) else {
        return found;
    };
    for (name, value) in template {
        if !KNOWN_TEMPLATE_KEYS.contains(&name.as_str()) {
            note(format!("spec.nodeTemplate.{name}"), value);
        }
    }
    // Pay-per-use (0) is the one billing mode a configuration gets.
    if let Some(mode) = template.get("billingMode")
        && mode.as_u64().is_some_and(|mode| mode != 0)
    {
        note("spec.nodeTemplate.billingMode".to_owned(), mode);
    }
    if let Some(params) = template.get("extendParam").and_then(Value::as_object) {
        for (name, value) in params {
            let handled = crate::config::EXTEND_PARAM_KEYS.contains(&name.as_str())
                || [
                    crate::live::convert::MAX_PODS_KEY,
                    crate::live::convert::PRE_INSTALL_KEY,
                    crate::live::convert::POST_INSTALL_KEY,
                ]
                .contains(&name.as_str());
            if !handled {
                note(format!("spec.nodeTemplate.extendParam.{name}"), value);
            }
        }
    }
    if let Some(nic) = template.get("nodeNicSpec").and_then(Value::as_object) {
        for (name, value) in nic {
            if name != "primaryNic" {
                note(format!("spec.nodeTemplate.nodeNicSpec.{name}"), value);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn decorations_and_expressed_fields_are_not_unexpressed() {
        let raw = json!({
            "metadata": {"name": "web", "uid": "u"},
            "status": {"phase": "Active"},
            "spec": {
                "initialNodeCount": 1,
                "extensionScaleGroups": [],
                "nodeTemplate": {
                    "billingMode": 0,
                    "hostnameConfig": {"type": "cceNodeName"},
                    "extendParam": {"maxPods": 110, "publicKey": "k", "madeUp": "x"},
                    "nodeNicSpec": {"primaryNic": {"subnetId": "s"}}
                }
            }
        });
        let fields: Vec<String> = unexpressed_fields(&raw)
            .into_iter()
            .map(|field| field.field)
            .collect();
        assert_eq!(
            fields,
            [
                "spec.extensionScaleGroups",
                "spec.nodeTemplate.hostnameConfig",
                "spec.nodeTemplate.extendParam.madeUp",
            ]
        );
    }
}
