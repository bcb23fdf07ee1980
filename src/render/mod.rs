//! Plans for people and programs: Terraform-style text, versioned JSON shaped
//! like Terraform's plan JSON, and markdown for pull request comments.
//!
//! Every renderer is a pure function of the [`Plan`](crate::plan::Plan): the
//! same plan gives the same bytes, with no clock, environment or terminal
//! inspected here (the CLI decides about colour). Secrets cannot appear: a
//! plan never holds one.

mod json;
mod markdown;
#[cfg(test)]
mod tests;
mod text;

pub use json::{
    JsonBatch, JsonChange, JsonNode, JsonPlan, JsonResourceChange, JsonStep, JsonSummary, JsonSync,
    JsonUnmanagedPool, json, json_plan, plan_json_schema,
};
pub use markdown::{MARKDOWN_LIMIT, markdown};
pub use text::{TextOptions, text};

use crate::diff::Reach;
use crate::plan::{PoolAction, PoolPlan, StaleNode};

/// The paths whose values are shell scripts, shown as unified diffs.
fn is_script(path: &str) -> bool {
    matches!(path, "lifecycle.pre_install" | "lifecycle.post_install")
}

/// Terraform's action words for a pool.
fn action_words(action: PoolAction) -> &'static str {
    match action {
        PoolAction::NoOp => "is unchanged",
        PoolAction::Create => "will be created",
        PoolAction::Update => "will be updated in-place",
        PoolAction::Delete => "will be destroyed",
        PoolAction::Replace => "must be replaced",
    }
}

/// Terraform's action symbols.
fn action_symbol(action: PoolAction) -> &'static str {
    match action {
        PoolAction::NoOp => " ",
        PoolAction::Create => "+",
        PoolAction::Update => "~",
        PoolAction::Delete => "-",
        PoolAction::Replace => "-/+",
    }
}

/// Whether a changed path forces the pool's replacement.
fn forces_replacement(path: &str) -> bool {
    crate::diff::reach_of_path(path) == Reach::ForcesReplacement
}

/// Groups stale nodes by their reasons, in the order first seen: most syncs
/// have one or two distinct reasons for many nodes.
fn reason_groups(nodes: &[StaleNode]) -> Vec<(Vec<String>, Vec<&StaleNode>)> {
    let mut groups: Vec<(Vec<String>, Vec<&StaleNode>)> = Vec::new();
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
fn group_members(
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
fn pool_identity(pool: &PoolPlan) -> String {
    let mut identity = format!("cluster {}, CCE pool \"{}\"", pool.cluster, pool.name);
    if let Some(id) = &pool.pool_id {
        identity.push_str(&format!(", id {id}"));
    }
    identity
}

/// The number of pool attributes compared but unchanged.
fn unchanged_count(pool: &PoolPlan) -> usize {
    let compared = pool
        .after
        .as_ref()
        .or(pool.before.as_ref())
        .and_then(serde_json::Value::as_object)
        .map_or(0, serde_json::Map::len);
    compared.saturating_sub(pool.changes.len())
}

fn plural(count: usize, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}
