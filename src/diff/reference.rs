//! The straightforward per-node comparison `node_staleness` replaced: every
//! field formatted as its reason shows it, then compared as strings. Kept
//! as the oracle the optimised version must agree with, node for node.

use super::{compact, reason_name, volume_label, volumes_label};
use crate::model::{DesiredPool, LiveNode, LivePool};
use crate::plan::{AttributeChange, NodeRef, StaleNode};

use super::NodeStaleness;

/// A reset-only field as a node reports it, paired with the template path
/// whose change makes the node differ.
struct NodeField {
    /// The template path (as in [`AttributeChange::path`]).
    path: &'static str,
    /// The node's value, `None` when CCE did not report it.
    node: Option<String>,
    /// The desired value.
    desired: String,
    /// Scripts are named, not quoted, in reasons: they can be long.
    script: bool,
}

fn node_fields(desired: &DesiredPool, node: &LiveNode) -> Vec<NodeField> {
    let template = &desired.template;
    let config = &node.config;
    let ssh_key = |key: Option<&String>| match key {
        Some(key) => key.clone(),
        None => "(none)".to_owned(),
    };
    let script = |text: Option<&String>| text.cloned().unwrap_or_default();
    let mut fields = vec![
        NodeField {
            path: "login.ssh_key",
            node: config.ssh_key.as_ref().map(|key| ssh_key(Some(key))),
            desired: ssh_key(template.login.ssh_key.as_ref()),
            script: false,
        },
        NodeField {
            path: "lifecycle.pre_install",
            node: config.pre_install.as_ref().map(|text| script(Some(text))),
            desired: script(template.lifecycle.pre_install.as_ref()),
            script: true,
        },
        NodeField {
            path: "lifecycle.post_install",
            node: config.post_install.as_ref().map(|text| script(Some(text))),
            desired: script(template.lifecycle.post_install.as_ref()),
            script: true,
        },
    ];
    if desired.is_default_pool() {
        // A DefaultPool sync sets only the login and the scripts; its other
        // fields are whatever each node was created with.
        return fields;
    }
    fields.extend([
        NodeField {
            path: "os",
            node: config.os.clone(),
            desired: template.os.clone(),
            script: false,
        },
        NodeField {
            path: "runtime",
            node: config.runtime.clone(),
            desired: template.runtime.name.clone(),
            script: false,
        },
        NodeField {
            path: "root_volume",
            node: config.root_volume.as_ref().map(volume_label),
            desired: volume_label(&template.root_volume),
            script: false,
        },
        NodeField {
            path: "data_volumes",
            node: config.data_volumes.as_deref().map(volumes_label),
            desired: volumes_label(&template.data_volumes),
            script: false,
        },
    ]);
    if let Some(max_pods) = template.max_pods {
        fields.push(NodeField {
            path: "max_pods",
            node: config.max_pods.map(|value| value.to_string()),
            desired: max_pods.to_string(),
            script: false,
        });
    }
    fields
}

/// Which nodes of a live pool must be reset to match the desired template,
/// each with its reasons.
///
/// A node needs a reset when CCE reports `configurationUpToDate: false`, when
/// a reset-only field the node reports differs from the desired template, or
/// when this plan changes a reset-only field of the pool template that the
/// node does not report (the node was built from the old template, so it
/// differs too). A field the node does not report and this plan does not
/// change cannot be verified and is no reason; for the DefaultPool, whose
/// template poolform never changes, that leaves `configurationUpToDate` and
/// the login and scripts the node reports.
pub(super) fn node_staleness(
    desired: &DesiredPool,
    live: &LivePool,
    template_changes: &[AttributeChange],
) -> NodeStaleness {
    let mut nodes: Vec<&LiveNode> = live.nodes.iter().collect();
    nodes.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
    let mut result = NodeStaleness {
        pool_size: nodes.len(),
        ..NodeStaleness::default()
    };
    for node in nodes {
        let node_ref = NodeRef {
            id: node.id.clone(),
            name: node.name.clone(),
            az: node.az.clone(),
            phase: node.phase.as_str().to_owned(),
        };
        let mut reasons = Vec::new();
        if node.up_to_date == Some(false) {
            reasons
                .push("CCE reports the node out of date (configurationUpToDate: false)".to_owned());
        }
        let fields = node_fields(desired, node);
        for field in &fields {
            match &field.node {
                Some(value) if *value != field.desired => {
                    reasons.push(if field.script {
                        format!("{} changed", reason_name(field.path))
                    } else {
                        format!("{}: {} → {}", reason_name(field.path), value, field.desired)
                    });
                }
                _ => {}
            }
        }
        for change in template_changes.iter().filter(|change| change.needs_reset) {
            let reported = fields
                .iter()
                .any(|field| field.path == change.path && field.node.is_some());
            if reported {
                continue;
            }
            let name = reason_name(&change.path);
            reasons.push(
                if change.path.starts_with("lifecycle.") && change.path.ends_with("_install") {
                    format!("{name} changed")
                } else {
                    format!(
                        "{name}: {} → {}",
                        compact(&change.before),
                        compact(&change.after)
                    )
                },
            );
        }
        let available = node.phase.is_available();
        if !available {
            result.unavailable_now.push(node_ref.clone());
        }
        if !reasons.is_empty() {
            let stale = StaleNode {
                node: node_ref,
                reasons,
            };
            if available {
                result.stale.push(stale);
            } else {
                result.stale_unavailable.push(stale);
            }
        }
    }
    result
}
