//! The plan as text, in Terraform's conventions: `+ ~ - -/+` symbols,
//! unchanged attributes hidden, a `Plan: …` summary line, "No changes." when
//! there are none. The node sync is its own action (`↻`), listing nodes,
//! zones, batches and reasons with a disk-wipe warning, and script changes
//! are shown as unified diffs. Colour only marks the symbols; the text reads
//! the same without it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde_json::Value;
use similar::TextDiff;

use super::words::{
    OutsidePool, action_symbol, action_words, base_line, brief_value, class_note,
    class_summary_line, forces_replacement, group_members, is_script, node_class_words,
    outside_pools, plural, pool_identity, reason_groups, unchanged_count, whole_pool_words,
};
use crate::model::{PoolAddress, VolumeResetPolicy};
use crate::plan::{
    ChangeClass, Classification, NodeRef, Plan, PoolAction, PoolPlan, StaleNode, StepKind, SyncPlan,
};

/// How to render text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TextOptions {
    /// Colour the symbols with ANSI escapes.
    pub color: bool,
}

#[derive(Clone, Copy)]
struct Paint {
    color: bool,
}

impl Paint {
    fn wrap(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\u{1b}[{code}m{text}\u{1b}[0m")
        } else {
            text.to_owned()
        }
    }
    fn green(self, text: &str) -> String {
        self.wrap("32", text)
    }
    fn yellow(self, text: &str) -> String {
        self.wrap("33", text)
    }
    fn red(self, text: &str) -> String {
        self.wrap("31", text)
    }
    fn cyan(self, text: &str) -> String {
        self.wrap("36", text)
    }
    fn bold(self, text: &str) -> String {
        self.wrap("1", text)
    }
    fn magenta(self, text: &str) -> String {
        self.wrap("35", text)
    }
    /// A class note, coloured by how much it needs a reviewer.
    fn class(self, class: ChangeClass) -> String {
        let note = class_note(class);
        match class {
            ChangeClass::Change => note.to_owned(),
            ChangeClass::Drift | ChangeClass::UnfinishedRollout => self.magenta(note),
            ChangeClass::Conflict => self.red(note),
        }
    }
    fn symbol(self, action: PoolAction) -> String {
        let symbol = action_symbol(action);
        match action {
            PoolAction::Create => self.green(symbol),
            PoolAction::Update => self.yellow(symbol),
            PoolAction::Delete => self.red(symbol),
            PoolAction::Replace => self.red(symbol),
            PoolAction::NoOp => symbol.to_owned(),
        }
    }
}

/// Renders a plan as text.
pub fn text(plan: &Plan, options: &TextOptions) -> String {
    let paint = Paint {
        color: options.color,
    };
    let mut out = String::new();
    if let Some(line) = base_line(plan) {
        let _ = writeln!(out, "{line}\n");
        outside_note(&mut out, &outside_pools(plan), paint);
    }
    if plan.has_changes() {
        out.push_str(
            "poolform will perform the following actions. Symbols:\n  \
             + create\n  \
             ~ update in-place\n  \
             - destroy\n\
             -/+ destroy and then create replacement\n  \
             ↻ synchronize nodes: reset each node to the pool template (its disks are wiped)\n\n",
        );
    } else {
        out.push_str("No changes. The live node pools and nodes match the configuration.\n\n");
    }
    // Collected once: looking the steps up per pool made rendering a large
    // fleet quadratic (pools × steps).
    let forced: BTreeSet<&PoolAddress> = plan
        .steps
        .iter()
        .filter(|step| matches!(&step.kind, StepKind::SyncBatch { request, .. } if request.force))
        .map(|step| &step.address)
        .collect();
    for pool in &plan.pools {
        let classes = plan.classification.as_ref();
        if pool.action != PoolAction::NoOp {
            pool_block(&mut out, pool, classes, paint);
        }
        if let Some(sync) = &pool.sync {
            let force = forced.contains(&pool.address);
            sync_block(&mut out, pool, sync, classes, force, paint);
        }
    }
    if !plan.unmanaged.is_empty() {
        out.push_str("Pools not in the configuration (left untouched):\n");
        for pool in &plan.unmanaged {
            let _ = writeln!(
                out,
                "  {}/{} (id {}, {})",
                pool.cluster,
                pool.name,
                pool.pool_id,
                plural(pool.node_count, "node", "nodes")
            );
        }
        // The way in for those pools, named per cluster so it can be run as is.
        let clusters: std::collections::BTreeSet<_> =
            plan.unmanaged.iter().map(|pool| &pool.cluster).collect();
        for cluster in clusters {
            let _ = writeln!(
                out,
                "  hint: `poolform import --cluster {cluster}` writes configuration for them"
            );
        }
        out.push('\n');
    }
    if plan.has_changes() {
        let _ = writeln!(out, "{}", paint.bold(&plan.summary().to_string()));
        if let Some(line) = class_summary_line(plan) {
            let _ = writeln!(out, "{line}");
        }
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

fn format_value(value: &Value) -> String {
    value.to_string()
}

/// Terraform's "objects have changed outside" note: every pool with drift,
/// a conflict or an unfinished rollout, before the actions that would undo
/// or finish them.
fn outside_note(out: &mut String, pools: &[OutsidePool<'_>], paint: Paint) {
    if pools.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "{}\n",
        paint.bold("Note: Objects have changed outside of poolform")
    );
    for outside in pools {
        let pool = outside.pool;
        let since = outside
            .classes
            .live_updated_at
            .as_ref()
            .map(|at| format!("; the live pool last changed {at}"))
            .unwrap_or_default();
        let _ = writeln!(out, "  # {} ({}){since}", pool.address, pool_identity(pool));
        if let Some(class) = outside.whole {
            let _ = writeln!(
                out,
                "      {}  # {}",
                whole_pool_words(pool.action),
                paint.class(class)
            );
        }
        for (change, class) in &outside.attributes {
            let base = outside.base_value(&change.path);
            let configured = if *class == ChangeClass::Conflict {
                format!(
                    "configured {}, this change {}",
                    brief_value(&change.path, &base),
                    brief_value(&change.path, &change.after)
                )
            } else {
                format!("configured {}", brief_value(&change.path, &change.after))
            };
            let _ = writeln!(
                out,
                "      ~ {}: {configured}, live {}  # {}",
                change.path,
                brief_value(&change.path, &change.before),
                paint.class(*class)
            );
        }
        for (class, nodes) in &outside.nodes {
            let names: Vec<&str> = nodes.iter().map(|node| node.node.name.as_str()).collect();
            let _ = writeln!(
                out,
                "      {} {} {}: {}",
                paint.cyan("↻"),
                plural(nodes.len(), "node", "nodes"),
                node_class_words(*class),
                names.join(", ")
            );
        }
        out.push('\n');
    }
}

fn pool_block(out: &mut String, pool: &PoolPlan, classes: Option<&Classification>, paint: Paint) {
    let _ = writeln!(
        out,
        "  # {} ({}) {}",
        pool.address,
        pool_identity(pool),
        action_words(pool.action)
    );
    let _ = writeln!(
        out,
        "{:>3} pool \"{}\" {{",
        paint.symbol(pool.action),
        pool.address
    );
    let has_sync = pool
        .sync
        .as_ref()
        .is_some_and(|sync| !sync.batches.is_empty());
    depends_line(out, pool);
    match pool.action {
        PoolAction::Create | PoolAction::Delete => {
            let (symbol, values) = if pool.action == PoolAction::Create {
                (paint.green("+"), pool.after.as_ref())
            } else {
                (paint.red("-"), pool.before.as_ref())
            };
            if let Some(Value::Object(values)) = values {
                for (path, value) in values.iter().filter(|(_, value)| !value.is_null()) {
                    match value {
                        Value::String(script) if is_script(path) => {
                            let _ = writeln!(out, "      {symbol} {path} = <<-EOT");
                            for line in script.lines() {
                                let _ = writeln!(out, "            {line}");
                            }
                            out.push_str("        EOT\n");
                        }
                        _ => {
                            let _ =
                                writeln!(out, "      {symbol} {path} = {}", format_value(value));
                        }
                    }
                }
            }
        }
        PoolAction::Update | PoolAction::Replace => {
            for change in &pool.changes {
                let symbol = match (&change.before, &change.after) {
                    (Value::Null, _) => paint.green("+"),
                    (_, Value::Null) => paint.red("-"),
                    _ => paint.yellow("~"),
                };
                let comment = if pool.action == PoolAction::Replace
                    && forces_replacement(&change.path)
                {
                    paint.red("  # forces replacement")
                } else if change.needs_reset && pool.action == PoolAction::Update {
                    if has_sync {
                        "  # existing nodes get this only by a reset: see the sync below".to_owned()
                    } else {
                        "  # existing nodes get this only by a reset".to_owned()
                    }
                } else {
                    String::new()
                };
                let comment = match classes
                    .and_then(|classes| classes.attribute(&pool.address, &change.path))
                {
                    Some(class) if comment.is_empty() => format!("  # {}", paint.class(class)),
                    Some(class) => format!("{comment}; {}", paint.class(class)),
                    None => comment,
                };
                if is_script(&change.path) {
                    let before = change.before.as_str().unwrap_or_default();
                    let after = change.after.as_str().unwrap_or_default();
                    let _ = writeln!(
                        out,
                        "      {symbol} {} (unified diff):{comment}",
                        change.path
                    );
                    script_diff(out, before, after, "          ", paint);
                } else {
                    let value = match (&change.before, &change.after) {
                        (Value::Null, after) => format_value(after),
                        (before, Value::Null) => format!("{} -> null", format_value(before)),
                        (before, after) => {
                            format!("{} -> {}", format_value(before), format_value(after))
                        }
                    };
                    let _ = writeln!(out, "      {symbol} {} = {value}{comment}", change.path);
                }
            }
            if let Some(kept) = &pool.new_nodes_only {
                let _ = writeln!(
                    out,
                    "        # new nodes only: {}; {} keep the old value (a reset does not change it)",
                    kept.paths.join(", "),
                    plural(kept.existing_nodes, "existing node", "existing nodes"),
                );
            }
            let hidden = unchanged_count(pool);
            if hidden > 0 {
                let _ = writeln!(
                    out,
                    "        # ({} hidden)",
                    plural(hidden, "unchanged attribute", "unchanged attributes")
                );
            }
            if pool.action == PoolAction::Replace {
                out.push_str(
                    "        # every node of the pool is destroyed with it; the new pool starts empty or at its configured count\n",
                );
            }
        }
        PoolAction::NoOp => {}
    }
    out.push_str("    }\n\n");
}

/// A unified diff of two scripts, each line prefixed with `indent`.
fn script_diff(out: &mut String, before: &str, after: &str, indent: &str, paint: Paint) {
    let diff = TextDiff::from_lines(before, after);
    let rendered = diff.unified_diff().context_radius(3).to_string();
    for line in rendered.lines() {
        let painted = if line.starts_with('+') {
            paint.green(line)
        } else if line.starts_with('-') {
            paint.red(line)
        } else if line.starts_with("@@") {
            paint.cyan(line)
        } else {
            line.to_owned()
        };
        let _ = writeln!(out, "{indent}{painted}");
    }
}

/// Which pools finish before this one starts.
fn depends_line(out: &mut String, pool: &PoolPlan) {
    if !pool.depends_on.is_empty() {
        let names: Vec<&str> = pool
            .depends_on
            .iter()
            .map(|address| address.as_str())
            .collect();
        let _ = writeln!(out, "        # runs after: {}", names.join(", "));
    }
}

fn node_label(node: &NodeRef) -> String {
    format!("{} ({})", node.name, node.az)
}

fn sync_block(
    out: &mut String,
    pool: &PoolPlan,
    sync: &SyncPlan,
    classes: Option<&Classification>,
    force: bool,
    paint: Paint,
) {
    let batched: usize = sync.batches.iter().map(|batch| batch.node_ids.len()).sum();
    if sync.batches.is_empty() {
        let _ = writeln!(
            out,
            "  # {}: {} cannot be synchronized now",
            pool.address,
            plural(sync.skipped.len(), "stale node", "stale nodes"),
        );
    } else {
        let _ = writeln!(
            out,
            "  # {}: {} will be synchronized (reset) in {}",
            pool.address,
            plural(batched, "node", "nodes"),
            plural(sync.batches.len(), "batch", "batches"),
        );
    }
    let _ = writeln!(out, "{:>3} sync \"{}\" {{", paint.cyan("↻"), pool.address);
    depends_line(out, pool);
    let _ = writeln!(
        out,
        "        max_unavailable = {} (pool of {}, {} not Active now); batches of at most {}",
        sync.max_unavailable,
        plural(sync.pool_size, "node", "nodes"),
        sync.unavailable_now.len(),
        sync.batch_size,
    );
    let by_id: BTreeMap<_, _> = sync
        .stale_nodes
        .iter()
        .map(|stale| (&stale.node.id, &stale.node))
        .collect();
    let of = sync.batches.len();
    for batch in &sync.batches {
        let nodes: Vec<String> = batch
            .node_ids
            .iter()
            .map(|id| {
                by_id
                    .get(id)
                    .map_or_else(|| id.to_string(), |node| node_label(node))
            })
            .collect();
        let _ = writeln!(
            out,
            "        batch {}/{of}: {}",
            batch.number,
            nodes.join(", ")
        );
    }
    if !sync.stale_nodes.is_empty() {
        out.push_str("        why:\n");
        for (class, stale) in by_class(pool, &sync.stale_nodes, classes) {
            let prefix = class
                .map(|class| format!("[{}] ", paint.class(class)))
                .unwrap_or_default();
            for (reasons, nodes) in reason_groups(stale) {
                let names = group_members(&nodes, sync.stale_nodes.len(), |node| {
                    node.node.name.clone()
                });
                let _ = writeln!(out, "          {prefix}{}: {names}", reasons.join("; "));
            }
        }
    }
    if !sync.unavailable_now.is_empty() {
        let nodes: Vec<String> = sync
            .unavailable_now
            .iter()
            .map(|node| format!("{} ({}, {})", node.name, node.az, node.phase))
            .collect();
        let _ = writeln!(
            out,
            "        not Active now (counts against max_unavailable): {}",
            nodes.join(", ")
        );
    }
    for stale in &sync.skipped {
        let class = classes
            .and_then(|classes| classes.node(&pool.address, &stale.node.id))
            .map(|class| format!("[{}] ", paint.class(class)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "        left out, not Active: {class}{} ({}, {}): {}",
            stale.node.name,
            stale.node.az,
            stale.node.phase,
            stale.reasons.join("; ")
        );
    }
    for note in &sync.notes {
        let _ = writeln!(out, "        # note: {note}");
    }
    if !sync.batches.is_empty() {
        let _ = writeln!(
            out,
            "      {} each node is reset and reinstalled from the pool template: {}",
            paint.red("! warning:"),
            VolumeResetPolicy::wiped(sync.volume_reset_policy),
        );
        if force {
            let _ = writeln!(
                out,
                "      {} force = true: pods are evicted even where a PodDisruptionBudget forbids it",
                paint.red("! warning:"),
            );
        }
    }
    out.push_str("    }\n\n");
}

/// Stale nodes grouped by class, most severe last, each group in the
/// plan's order; one group with no class when the plan has no base.
pub(super) fn by_class<'a>(
    pool: &PoolPlan,
    nodes: &'a [StaleNode],
    classes: Option<&Classification>,
) -> Vec<(Option<ChangeClass>, Vec<&'a StaleNode>)> {
    let Some(classes) = classes else {
        return vec![(None, nodes.iter().collect())];
    };
    let mut groups: BTreeMap<Option<ChangeClass>, Vec<&StaleNode>> = BTreeMap::new();
    for node in nodes {
        groups
            .entry(classes.node(&pool.address, &node.node.id))
            .or_default()
            .push(node);
    }
    groups.into_iter().collect()
}
