//! The words and groupings every renderer shares: how an action, a class of
//! change, a value and a group of nodes are written, so text, markdown and
//! the drift report say the same thing the same way.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::diff::Reach;
use crate::plan::{
    AttributeChange, ChangeClass, Plan, PoolAction, PoolClasses, PoolPlan, StaleNode,
};

/// The paths whose values are shell scripts, shown as unified diffs.
pub(super) fn is_script(path: &str) -> bool {
    matches!(path, "lifecycle.pre_install" | "lifecycle.post_install")
}

/// Terraform's action words for a pool.
pub(super) fn action_words(action: PoolAction) -> &'static str {
    match action {
        PoolAction::NoOp => "is unchanged",
        PoolAction::Create => "will be created",
        PoolAction::Update => "will be updated in-place",
        PoolAction::Delete => "will be destroyed",
        PoolAction::Replace => "must be replaced",
    }
}

/// Terraform's action symbols.
pub(super) fn action_symbol(action: PoolAction) -> &'static str {
    match action {
        PoolAction::NoOp => " ",
        PoolAction::Create => "+",
        PoolAction::Update => "~",
        PoolAction::Delete => "-",
        PoolAction::Replace => "-/+",
    }
}

/// Whether a changed path forces the pool's replacement.
pub(super) fn forces_replacement(path: &str) -> bool {
    crate::diff::reach_of_path(path) == Reach::ForcesReplacement
}

/// Groups stale nodes by their reasons, in the order first seen: most syncs
/// have one or two distinct reasons for many nodes.
pub(super) fn reason_groups<'a>(
    nodes: impl IntoIterator<Item = &'a StaleNode>,
) -> Vec<(Vec<String>, Vec<&'a StaleNode>)> {
    let mut groups: Vec<(Vec<String>, Vec<&'a StaleNode>)> = Vec::new();
    for node in nodes {
        match groups
            .iter_mut()
            .find(|(reasons, _)| *reasons == node.reasons)
        {
            Some((_, members)) => members.push(node),
            None => groups.push((node.reasons.clone(), vec![node])),
        }
    }
    groups
}

/// The nodes of a reason group: "all N nodes" when the group is every
/// stale node of the pool, else their names.
pub(super) fn group_members(
    nodes: &[&StaleNode],
    total: usize,
    name: impl Fn(&StaleNode) -> String,
) -> String {
    if nodes.len() > 1 && nodes.len() == total {
        format!("all {total} nodes")
    } else {
        let names: Vec<String> = nodes.iter().map(|node| name(node)).collect();
        names.join(", ")
    }
}

/// A short description of the pool for headers.
pub(super) fn pool_identity(pool: &PoolPlan) -> String {
    let mut identity = format!("cluster {}, CCE pool \"{}\"", pool.cluster, pool.name);
    if let Some(id) = &pool.pool_id {
        identity.push_str(&format!(", id {id}"));
    }
    identity
}

/// The number of pool attributes compared but unchanged.
pub(super) fn unchanged_count(pool: &PoolPlan) -> usize {
    let compared = pool
        .after
        .as_ref()
        .or(pool.before.as_ref())
        .and_then(serde_json::Value::as_object)
        .map_or(0, serde_json::Map::len);
    compared.saturating_sub(pool.changes.len())
}

pub(super) fn plural(count: usize, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

/// The words plans put after a classified attribute. Drift and conflicts
/// are in capitals so that they stand out without colour.
pub(super) fn class_note(class: ChangeClass) -> &'static str {
    match class {
        ChangeClass::Change => "change",
        ChangeClass::Drift => "DRIFT: changed outside poolform, applying reverts it",
        ChangeClass::Conflict => "CONFLICT: changed here and outside poolform, differently",
        ChangeClass::UnfinishedRollout => "unfinished rollout",
    }
}

/// What a group of nodes of one class means.
pub(super) fn node_class_words(class: ChangeClass) -> &'static str {
    match class {
        ChangeClass::Change => "reset by this change",
        ChangeClass::Drift => "out of step because of a change outside poolform",
        ChangeClass::Conflict => "to reset for a field changed here and outside poolform",
        ChangeClass::UnfinishedRollout => {
            "in an unfinished rollout (CCE reports them out of date; an earlier apply stopped, or the template was changed outside poolform)"
        }
    }
}

/// The most characters of a value shown in a summary line.
pub(super) const BRIEF_VALUE_CHARS: usize = 120;

/// A value for one line: scripts are named, not shown; long values are cut.
pub(super) fn brief_value(path: &str, value: &Value) -> String {
    if is_script(path) {
        return match value {
            Value::Null => "(none)".to_owned(),
            Value::String(script) => {
                use sha2::Digest as _;
                let digest = sha2::Sha256::digest(script.as_bytes());
                let short: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
                format!(
                    "script of {}, sha256 {short}…",
                    plural(script.lines().count(), "line", "lines")
                )
            }
            other => other.to_string(),
        };
    }
    let text = value.to_string();
    if text.chars().count() > BRIEF_VALUE_CHARS {
        let cut: String = text.chars().take(BRIEF_VALUE_CHARS).collect();
        format!("{cut}…")
    } else {
        text
    }
}

/// A pool with something that is not this change's doing.
pub(super) struct OutsidePool<'a> {
    pub(super) pool: &'a PoolPlan,
    pub(super) classes: &'a PoolClasses,
    /// Attribute changes classed drift or conflict.
    pub(super) attributes: Vec<(&'a AttributeChange, ChangeClass)>,
    /// The pool as a whole changed outside (deleted, or back although
    /// deleted) when it has no attribute of its own to show.
    pub(super) whole: Option<ChangeClass>,
    /// Stale nodes not reset by this change, by class.
    pub(super) nodes: BTreeMap<ChangeClass, Vec<&'a StaleNode>>,
}

impl OutsidePool<'_> {
    /// The value the base configured at `path`.
    pub(super) fn base_value(&self, path: &str) -> Value {
        self.classes
            .base
            .as_ref()
            .and_then(|base| base.get(path))
            .cloned()
            .unwrap_or(Value::Null)
    }

    /// Whether the pool's template or the pool itself changed outside, as
    /// opposed to only its nodes.
    pub(super) fn pool_drifted(&self) -> bool {
        !self.attributes.is_empty() || self.whole.is_some()
    }
}

/// Every pool of a classified plan with drift, a conflict or an unfinished
/// rollout, in address order; empty without a classification.
pub(super) fn outside_pools(plan: &Plan) -> Vec<OutsidePool<'_>> {
    let Some(classification) = &plan.classification else {
        return Vec::new();
    };
    plan.pools
        .iter()
        .filter_map(|pool| {
            let classes = classification.pool(&pool.address)?;
            if !classes.has_outside() {
                return None;
            }
            let attributes = pool
                .changes
                .iter()
                .filter_map(|change| {
                    let class = *classes.attributes.get(&change.path)?;
                    class.is_outside().then_some((change, class))
                })
                .collect();
            let whole = classes
                .class
                .filter(|class| classes.attributes.is_empty() && class.is_outside());
            let mut nodes: BTreeMap<ChangeClass, Vec<&StaleNode>> = BTreeMap::new();
            for stale in pool
                .sync
                .iter()
                .flat_map(|sync| sync.stale_nodes.iter().chain(&sync.skipped))
            {
                if let Some(class) = classes.nodes.get(&stale.node.id)
                    && class.is_outside()
                {
                    nodes.entry(*class).or_default().push(stale);
                }
            }
            Some(OutsidePool {
                pool,
                classes,
                attributes,
                whole,
                nodes,
            })
        })
        .collect()
}

/// What happened to a pool as a whole outside poolform.
pub(super) fn whole_pool_words(action: PoolAction) -> &'static str {
    match action {
        PoolAction::Create => "the pool was deleted outside poolform; applying creates it again",
        PoolAction::Delete => {
            "the pool exists although the configuration deletes it; applying deletes it"
        }
        _ => "the pool changed outside poolform",
    }
}

/// The line that says what a classified plan was compared with.
pub(super) fn base_line(plan: &Plan) -> Option<String> {
    plan.classification.as_ref().map(|classes| {
        format!(
            "Compared with the configuration at {} (commit {}).",
            classes.base.revision,
            classes.base.short_commit()
        )
    })
}

/// `Why: attributes change 1, drift 1; nodes …` after the summary line.
pub(super) fn class_summary_line(plan: &Plan) -> Option<String> {
    let counts = plan.classification.as_ref()?.counts();
    let words = |tally: crate::plan::Tally| {
        let parts: Vec<String> = [
            (tally.change, ChangeClass::Change),
            (tally.drift, ChangeClass::Drift),
            (tally.conflict, ChangeClass::Conflict),
            (tally.unfinished_rollout, ChangeClass::UnfinishedRollout),
        ]
        .into_iter()
        .filter(|(count, _)| *count > 0)
        .map(|(count, class)| format!("{} {count}", class.label()))
        .collect();
        if parts.is_empty() {
            "none".to_owned()
        } else {
            parts.join(", ")
        }
    };
    Some(format!(
        "Why: attributes: {}; nodes: {}.",
        words(counts.attributes),
        words(counts.nodes)
    ))
}
