//! The plan as markdown for pull request comments.
//!
//! The summary line and every destructive item (pool deletions,
//! replacements, node resets, which wipe disks) come first and are never cut.
//! The details follow, each pool collapsed in `<details>`, within a budget
//! of [`MARKDOWN_LIMIT`] characters (GitHub's comment limit): a pool's
//! details fall back to a compact form (one line per batch) and then to a
//! minimal one before they are left out, and a note says what was left out.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;
use similar::TextDiff;

use super::text::by_class;
use super::words::{
    action_words, base_line, brief_value, class_summary_line, forces_replacement, group_members,
    is_script, node_class_words, outside_pools, plural, reason_groups, whole_pool_words,
};
use crate::model::VolumeResetPolicy;
use crate::plan::{ChangeClass, Classification, Plan, PoolAction, PoolPlan, SyncPlan};

/// The most characters a rendered comment has (GitHub's limit).
pub const MARKDOWN_LIMIT: usize = 65_536;

/// Room kept for the truncation note.
pub(super) const NOTE_RESERVE: usize = 400;

fn chars(text: &str) -> usize {
    text.chars().count()
}

/// A code fence longer than any run of backticks in `content`.
fn fence(content: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for character in content.chars() {
        if character == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat((longest + 1).max(3))
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A fenced code block of `body` (which ends in a newline).
pub(super) fn fenced(language: &str, body: &str) -> String {
    let fence = fence(body);
    format!("{fence}{language}\n{body}{fence}\n")
}

/// Inline code that survives backticks in the text.
pub(super) fn code(text: &str) -> String {
    if text.contains('`') {
        format!("`` {text} ``")
    } else {
        format!("`{text}`")
    }
}

fn action_label(pool: &PoolPlan) -> &'static str {
    match pool.action {
        PoolAction::NoOp => "sync only",
        PoolAction::Create => "create",
        PoolAction::Update => "update",
        PoolAction::Delete => "**destroy**",
        PoolAction::Replace => "**replace**",
    }
}

fn batched(sync: &SyncPlan) -> usize {
    sync.batches.iter().map(|batch| batch.node_ids.len()).sum()
}

/// One line per destructive item.
fn destructive_items(plan: &Plan) -> Vec<String> {
    let mut items = Vec::new();
    for pool in &plan.pools {
        match pool.action {
            PoolAction::Delete => items.push(format!(
                "- {} (cluster {}, CCE pool {}): the pool is **destroyed** with every node in it",
                code(pool.address.as_str()),
                pool.cluster,
                code(&pool.name),
            )),
            PoolAction::Replace => {
                let fields: Vec<String> = pool
                    .changes
                    .iter()
                    .filter(|change| forces_replacement(&change.path))
                    .map(|change| code(&change.path))
                    .collect();
                items.push(format!(
                    "- {} (cluster {}): the pool is **destroyed and created again** with every node in it, because {} cannot change in place",
                    code(pool.address.as_str()),
                    pool.cluster,
                    fields.join(", "),
                ));
            }
            _ => {}
        }
        if let Some(sync) = pool.sync.as_ref().filter(|sync| !sync.batches.is_empty()) {
            items.push(format!(
                "- {} (cluster {}): **{} reset** ({}) in {} of at most {}",
                code(pool.address.as_str()),
                pool.cluster,
                plural(batched(sync), "node", "nodes"),
                VolumeResetPolicy::wiped(sync.volume_reset_policy),
                plural(sync.batches.len(), "batch", "batches"),
                sync.batch_size,
            ));
        }
    }
    items
}

/// One line per pool attribute or node group that is not this change's
/// doing: drift and conflicts first in the comment, as reviewers must see
/// that applying reverts them.
fn outside_items(plan: &Plan) -> Vec<String> {
    let mut items = Vec::new();
    for outside in outside_pools(plan) {
        let address = code(outside.pool.address.as_str());
        if let Some(class) = outside.whole {
            items.push(format!(
                "- {address}: **{}**: {}",
                class.label(),
                whole_pool_words(outside.pool.action)
            ));
        }
        for (change, class) in &outside.attributes {
            let value = |value: &Value| code(&brief_value(&change.path, value));
            let line = if *class == ChangeClass::Conflict {
                format!(
                    "- {address} {}: **conflict**: {} at the base, {} in this change, {} live",
                    code(&change.path),
                    value(&outside.base_value(&change.path)),
                    value(&change.after),
                    value(&change.before),
                )
            } else {
                format!(
                    "- {address} {}: **{}**: configured {}, live {}; applying reverts it",
                    code(&change.path),
                    class.label(),
                    value(&change.after),
                    value(&change.before),
                )
            };
            items.push(line);
        }
        for (class, nodes) in &outside.nodes {
            items.push(format!(
                "- {address}: **{}** {}",
                plural(nodes.len(), "node", "nodes"),
                node_class_words(*class)
            ));
        }
    }
    items
}

/// The pool's attribute changes as a `diff` code block.
fn changes_block(pool: &PoolPlan, classes: Option<&Classification>) -> String {
    let mut body = String::new();
    match pool.action {
        PoolAction::Create | PoolAction::Delete => {
            let (symbol, values) = if pool.action == PoolAction::Create {
                ("+", pool.after.as_ref())
            } else {
                ("-", pool.before.as_ref())
            };
            if let Some(Value::Object(values)) = values {
                for (path, value) in values.iter().filter(|(_, value)| !value.is_null()) {
                    match value {
                        Value::String(script) if is_script(path) => {
                            let _ = writeln!(body, "{symbol} {path} = <<-EOT");
                            for line in script.lines() {
                                let _ = writeln!(body, "{symbol}     {line}");
                            }
                            let _ = writeln!(body, "{symbol} EOT");
                        }
                        _ => {
                            let _ = writeln!(body, "{symbol} {path} = {value}");
                        }
                    }
                }
            }
        }
        PoolAction::Update | PoolAction::Replace => {
            for change in &pool.changes {
                let note = if pool.action == PoolAction::Replace && forces_replacement(&change.path)
                {
                    "  # forces replacement"
                } else if change.needs_reset {
                    "  # existing nodes only by reset"
                } else {
                    ""
                };
                let class = classes
                    .and_then(|classes| classes.attribute(&pool.address, &change.path))
                    .map(|class| {
                        let separator = if note.is_empty() { "  # " } else { "; " };
                        format!("{separator}{}", super::words::class_note(class))
                    })
                    .unwrap_or_default();
                let note = format!("{note}{class}");
                if is_script(&change.path) {
                    let _ = writeln!(body, "! {}{note}", change.path);
                    let before = change.before.as_str().unwrap_or_default();
                    let after = change.after.as_str().unwrap_or_default();
                    let diff = TextDiff::from_lines(before, after);
                    for line in diff.unified_diff().context_radius(3).to_string().lines() {
                        if line.starts_with("@@") {
                            let _ = writeln!(body, "# {line}");
                        } else {
                            let _ = writeln!(body, "{line}");
                        }
                    }
                } else {
                    let _ = writeln!(
                        body,
                        "! {} = {} -> {}{note}",
                        change.path, change.before, change.after
                    );
                }
            }
        }
        PoolAction::NoOp => {}
    }
    if body.is_empty() {
        return String::new();
    }
    let fence = fence(&body);
    format!("{fence}diff\n{body}{fence}\n\n")
}

/// How much of a pool's node list to show.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Detail {
    /// Every node of every batch, and reasons per node group.
    Full,
    /// One line per batch: size, first and last node, zones.
    Compact,
    /// Counts only.
    Minimal,
}

/// The reason groups of a sync, each with its class when classified.
fn why_groups<'a>(
    pool: &PoolPlan,
    sync: &'a SyncPlan,
    classes: Option<&Classification>,
) -> Vec<(String, Vec<&'a crate::plan::StaleNode>)> {
    let mut groups = Vec::new();
    for (class, stale) in by_class(pool, &sync.stale_nodes, classes) {
        let prefix = class
            .map(|class| format!("**{}**: ", class.label()))
            .unwrap_or_default();
        for (reasons, nodes) in reason_groups(stale) {
            groups.push((format!("{prefix}{}", reasons.join("; ")), nodes));
        }
    }
    groups
}

fn sync_section(
    pool: &PoolPlan,
    sync: &SyncPlan,
    detail: Detail,
    classes: Option<&Classification>,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "**Sync**: {} reset in {}; max_unavailable {} (pool of {}, {} not Active now), batches of at most {}.\n",
        plural(batched(sync), "node", "nodes"),
        plural(sync.batches.len(), "batch", "batches"),
        sync.max_unavailable,
        plural(sync.pool_size, "node", "nodes"),
        sync.unavailable_now.len(),
        sync.batch_size,
    );
    for note in &sync.notes {
        let _ = writeln!(out, "> {note}\n");
    }
    let names: BTreeMap<_, _> = sync
        .stale_nodes
        .iter()
        .map(|stale| (&stale.node.id, &stale.node))
        .collect();
    let of = sync.batches.len();
    match detail {
        Detail::Full => {
            out.push_str("| Batch | Nodes (zone) |\n|---|---|\n");
            for batch in &sync.batches {
                let nodes: Vec<String> = batch
                    .node_ids
                    .iter()
                    .map(|id| match names.get(id) {
                        Some(node) => format!("{} ({})", code(&node.name), node.az),
                        None => code(id.as_str()),
                    })
                    .collect();
                let _ = writeln!(out, "| {}/{of} | {} |", batch.number, nodes.join(", "));
            }
            out.push_str("\n**Why**:\n");
            for (reasons, nodes) in why_groups(pool, sync, classes) {
                let names =
                    group_members(&nodes, sync.stale_nodes.len(), |node| code(&node.node.name));
                let _ = writeln!(out, "- {reasons}: {names}");
            }
            out.push('\n');
        }
        Detail::Compact => {
            out.push_str("| Batch | Nodes | First … last | Zones |\n|---|---|---|---|\n");
            for batch in &sync.batches {
                let name = |index: usize| {
                    batch
                        .node_ids
                        .get(index)
                        .and_then(|id| names.get(id))
                        .map_or_else(String::new, |node| code(&node.name))
                };
                let mut zones: BTreeMap<&str, usize> = BTreeMap::new();
                for id in &batch.node_ids {
                    if let Some(node) = names.get(id) {
                        *zones.entry(node.az.as_str()).or_default() += 1;
                    }
                }
                let zones: Vec<String> = zones
                    .iter()
                    .map(|(zone, count)| format!("{zone} ×{count}"))
                    .collect();
                let _ = writeln!(
                    out,
                    "| {}/{of} | {} | {} … {} | {} |",
                    batch.number,
                    batch.node_ids.len(),
                    name(0),
                    name(batch.node_ids.len().saturating_sub(1)),
                    zones.join(", ")
                );
            }
            out.push_str("\n**Why**:\n");
            for (reasons, nodes) in why_groups(pool, sync, classes) {
                let _ = writeln!(out, "- {reasons}: {}", plural(nodes.len(), "node", "nodes"));
            }
            out.push('\n');
        }
        Detail::Minimal => {
            out.push_str(
                "_The node list is left out to fit the comment; see the JSON output for it._\n\n",
            );
        }
    }
    if !sync.skipped.is_empty() {
        let skipped: Vec<String> = sync
            .skipped
            .iter()
            .map(|stale| format!("{} ({})", code(&stale.node.name), stale.node.phase))
            .collect();
        let _ = writeln!(
            out,
            "Left out (stale but not Active): {}\n",
            skipped.join(", ")
        );
    }
    out
}

fn pool_details(pool: &PoolPlan, detail: Detail, classes: Option<&Classification>) -> String {
    // GitHub does not render markdown inside <summary>: HTML only.
    let mut summary = format!(
        "<code>{}</code> {}",
        html_escape(pool.address.as_str()),
        action_words(pool.action)
    );
    if let Some(sync) = pool.sync.as_ref().filter(|sync| !sync.batches.is_empty()) {
        let _ = write!(
            summary,
            "; {} to sync in {}",
            plural(batched(sync), "node", "nodes"),
            plural(sync.batches.len(), "batch", "batches")
        );
    }
    let mut out = format!(
        "<details><summary>{summary}</summary>\n\ncluster {}, CCE pool {}{}\n\n",
        pool.cluster,
        code(&pool.name),
        pool.pool_id
            .as_ref()
            .map(|id| format!(", id {}", code(id.as_str())))
            .unwrap_or_default()
    );
    if !pool.depends_on.is_empty() {
        let names: Vec<String> = pool.depends_on.iter().map(|a| code(a.as_str())).collect();
        let _ = writeln!(out, "Runs after: {}\n", names.join(", "));
    }
    out.push_str(&changes_block(pool, classes));
    if let Some(kept) = &pool.new_nodes_only {
        let paths: Vec<String> = kept.paths.iter().map(|path| code(path)).collect();
        let _ = writeln!(
            out,
            "New nodes only: {}; {} keep the old value (a reset does not change it).\n",
            paths.join(", "),
            plural(kept.existing_nodes, "existing node", "existing nodes"),
        );
    }
    if let Some(sync) = &pool.sync {
        out.push_str(&sync_section(pool, sync, detail, classes));
    }
    out.push_str("</details>\n\n");
    out
}

/// Pushes one line per item while the head keeps room for the rest of the
/// comment, then how many were left out, then a blank line.
fn push_capped(head: &mut String, items: &[String], what: &str) {
    let mut listed = 0;
    for item in items {
        // Only an absurd plan gets here (thousands of destructive pools);
        // the cap still holds, and the note says how many are missing.
        if chars(head) + chars(item) + 1 + 2 * NOTE_RESERVE > MARKDOWN_LIMIT {
            break;
        }
        head.push_str(item);
        head.push('\n');
        listed += 1;
    }
    if listed < items.len() {
        let _ = writeln!(
            head,
            "- … and {} more {what}: see the JSON output",
            items.len() - listed
        );
    }
    head.push('\n');
}

/// Renders a plan as markdown of at most [`MARKDOWN_LIMIT`] characters.
pub fn markdown(plan: &Plan) -> String {
    let classes = plan.classification.as_ref();
    let mut head = String::from("### poolform plan\n\n");
    if plan.has_changes() {
        let _ = writeln!(head, "**{}**\n", plan.summary());
    } else {
        head.push_str("**No changes.** The live node pools and nodes match the configuration.\n\n");
    }
    if let Some(line) = base_line(plan) {
        let _ = writeln!(head, "{line}");
        if let Some(line) = class_summary_line(plan).filter(|_| plan.has_changes()) {
            let _ = writeln!(head, "{line}");
        }
        head.push('\n');
    }
    let outside = outside_items(plan);
    if !outside.is_empty() {
        head.push_str(
            "> [!CAUTION]\n> **Changed outside poolform**: drift and conflicts are reverted by applying this plan; unfinished rollouts are finished by it.\n\n",
        );
        push_capped(&mut head, &outside, "items changed outside poolform");
    }
    let destructive = destructive_items(plan);
    if !destructive.is_empty() {
        head.push_str(
            "> [!WARNING]\n> **Destructive changes**: these wipe disks or destroy nodes.\n\n",
        );
        push_capped(&mut head, &destructive, "destructive items");
    }

    let pools: Vec<&PoolPlan> = plan
        .pools
        .iter()
        .filter(|pool| pool.action != PoolAction::NoOp || pool.sync.is_some())
        .collect();
    let mut sections: Vec<Vec<String>> = Vec::new();
    if !pools.is_empty() {
        let mut table = String::from(
            "| Pool | Cluster | Action | Nodes to sync | Batches |\n|---|---|---|---|---|\n",
        );
        for pool in &pools {
            let (nodes, batches) = pool
                .sync
                .as_ref()
                .map_or((0, 0), |sync| (batched(sync), sync.batches.len()));
            let _ = writeln!(
                table,
                "| {} | {} | {} | {nodes} | {batches} |",
                code(pool.address.as_str()),
                pool.cluster,
                action_label(pool)
            );
        }
        table.push('\n');
        sections.push(vec![table]);
    }
    for pool in &pools {
        sections.push(vec![
            pool_details(pool, Detail::Full, classes),
            pool_details(pool, Detail::Compact, classes),
            pool_details(pool, Detail::Minimal, classes),
        ]);
    }
    if !plan.unmanaged.is_empty() {
        let listed: Vec<String> = plan
            .unmanaged
            .iter()
            .map(|pool| {
                format!(
                    "{} ({})",
                    code(&format!("{}/{}", pool.cluster, pool.name)),
                    plural(pool.node_count, "node", "nodes")
                )
            })
            .collect();
        sections.push(vec![format!(
            "Pools not in the configuration (left untouched): {}\n\n",
            listed.join(", ")
        )]);
    }

    let mut out = head;
    let mut shortened = 0;
    let mut left_out = 0;
    for variants in sections {
        let fitting = variants
            .iter()
            .position(|variant| chars(&out) + chars(variant) + NOTE_RESERVE <= MARKDOWN_LIMIT);
        match fitting {
            Some(0) => out.push_str(&variants[0]),
            Some(index) => {
                out.push_str(&variants[index]);
                shortened += 1;
            }
            None => left_out += 1,
        }
    }
    if shortened + left_out > 0 {
        let _ = writeln!(
            out,
            "_This plan is too long for one comment ({} characters at most): {} shortened and {} left out. `poolform show --format json` on the saved plan has all of it._",
            MARKDOWN_LIMIT,
            plural(shortened, "section", "sections"),
            plural(left_out, "section", "sections"),
        );
    }
    if chars(&out) > MARKDOWN_LIMIT {
        // Unreachable in practice (the head keeps room for the note); the
        // cap is a promise, so hold it even so.
        out = out.chars().take(MARKDOWN_LIMIT).collect();
    }
    out
}
