//! `poolform drift`'s report: only what is not this change's doing (drift,
//! conflicts, unfinished rollouts) of a plan classified against a base, as
//! text, JSON, or markdown that makes a complete issue body: what drifted,
//! since when (the pool's `updateTimestamp`), and the commands that put it
//! back, within [`MARKDOWN_LIMIT`] characters.

use std::fmt::Write as _;

use schemars::JsonSchema;
use serde::Serialize;

use super::MARKDOWN_LIMIT;
use super::json::{JsonBase, JsonNode, JsonResourceDrift, json_base, json_stale, resource_drift};
use super::markdown::{NOTE_RESERVE, code, fenced};
use super::words::{
    OutsidePool, brief_value, class_note, node_class_words, outside_pools, plural, pool_identity,
    whole_pool_words,
};
use crate::plan::{ChangeClass, Plan};

use super::json::JSON_FORMAT_VERSION;

/// What the drift report needs besides the plan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DriftOptions {
    /// The configuration's path as given, for the commands that put drift
    /// back.
    pub config_path: String,
    /// Colour the class notes with ANSI escapes (text only).
    pub color: bool,
}

/// The JSON document of `poolform drift --format json`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(title = "poolform drift report")]
pub struct JsonDriftReport {
    /// `MAJOR.MINOR`, the plan JSON's version.
    pub format_version: String,
    /// The revision compared with.
    pub base: Option<JsonBase>,
    /// Whether anything is reported (the exit code is 2 then).
    pub has_drift: bool,
    /// Pools changed outside poolform, in Terraform's `resource_drift` shape.
    pub resource_drift: Vec<JsonResourceDrift>,
    /// Per pool, the nodes in an unfinished rollout or changed outside
    /// poolform.
    pub node_drift: Vec<JsonNodeDrift>,
}

/// The nodes of one pool that drifted or are in an unfinished rollout.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct JsonNodeDrift {
    /// The pool's config address.
    pub address: String,
    /// The cluster's config key.
    pub cluster: String,
    /// The live pool id.
    pub pool_id: Option<String>,
    /// The live pool's `metadata.updateTimestamp`.
    pub updated_at: Option<String>,
    /// The nodes, each with its class and reasons.
    pub nodes: Vec<JsonNode>,
}

/// The drift report as pretty JSON, ending in a newline.
pub fn drift_json(plan: &Plan) -> String {
    let classes = plan.classification.as_ref();
    let node_drift = outside_pools(plan)
        .into_iter()
        .filter(|outside| !outside.nodes.is_empty())
        .map(|outside| JsonNodeDrift {
            address: outside.pool.address.to_string(),
            cluster: outside.pool.cluster.to_string(),
            pool_id: outside.pool.pool_id.as_ref().map(ToString::to_string),
            updated_at: outside.classes.live_updated_at.clone(),
            nodes: outside
                .nodes
                .values()
                .flatten()
                .map(|node| json_stale(classes, &outside.pool.address, node))
                .collect(),
        })
        .collect();
    let report = JsonDriftReport {
        format_version: JSON_FORMAT_VERSION.to_owned(),
        base: classes.map(json_base),
        has_drift: classes.is_some_and(crate::plan::Classification::has_outside),
        resource_drift: classes
            .map(|classes| resource_drift(plan, classes))
            .unwrap_or_default(),
        node_drift,
    };
    // Plain data with string keys always serialises.
    let mut text = serde_json::to_string_pretty(&report).unwrap_or_default();
    text.push('\n');
    text
}

/// The commands that put one pool back, as a reviewer would run them.
fn put_back(options: &DriftOptions, outside: &OutsidePool<'_>) -> [String; 2] {
    let path = shell_word(&options.config_path);
    let target = shell_word(outside.pool.address.as_str());
    [
        format!("poolform plan {path} --target {target}"),
        format!("poolform apply {path} --target {target}"),
    ]
}

/// A word safe to paste into a POSIX shell.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:@".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

fn since(outside: &OutsidePool<'_>) -> String {
    outside
        .classes
        .live_updated_at
        .clone()
        .unwrap_or_else(|| "unknown (CCE did not say)".to_owned())
}

fn headline(plan: &Plan, pools: usize) -> String {
    let base = plan
        .classification
        .as_ref()
        .map(|classes| {
            format!(
                "{} (commit {})",
                classes.base.revision,
                classes.base.short_commit()
            )
        })
        .unwrap_or_else(|| "the base".to_owned());
    if pools == 0 {
        format!("No drift. The live node pools and nodes match the configuration at {base}.")
    } else {
        format!(
            "Drift: {} {} from the configuration at {base}.",
            plural(pools, "pool", "pools"),
            if pools == 1 { "differs" } else { "differ" },
        )
    }
}

/// The drift report as text.
pub fn drift_text(plan: &Plan, options: &DriftOptions) -> String {
    let pools = outside_pools(plan);
    let paint = |class: ChangeClass| {
        let note = class_note(class);
        if options.color && class != ChangeClass::Change {
            format!("\u{1b}[35m{note}\u{1b}[0m")
        } else {
            note.to_owned()
        }
    };
    let mut out = format!("{}\n", headline(plan, pools.len()));
    for outside in &pools {
        let pool = outside.pool;
        let _ = writeln!(
            out,
            "\n  # {} ({}); the live pool last changed {}",
            pool.address,
            pool_identity(pool),
            since(outside)
        );
        if let Some(class) = outside.whole {
            let _ = writeln!(
                out,
                "      {}  # {}",
                whole_pool_words(pool.action),
                paint(class)
            );
        }
        for (change, class) in &outside.attributes {
            let _ = writeln!(
                out,
                "      ~ {}: configured {}, live {}  # {}",
                change.path,
                brief_value(&change.path, &outside.base_value(&change.path)),
                brief_value(&change.path, &change.before),
                paint(*class)
            );
        }
        for (class, nodes) in &outside.nodes {
            let names: Vec<&str> = nodes.iter().map(|node| node.node.name.as_str()).collect();
            let _ = writeln!(
                out,
                "      ↻ {} {}: {}",
                plural(nodes.len(), "node", "nodes"),
                node_class_words(*class),
                names.join(", ")
            );
        }
        let [plan_command, apply_command] = put_back(options, outside);
        let what = if outside.pool_drifted() {
            "to put it back"
        } else {
            "to finish the rollout"
        };
        let _ = writeln!(out, "    {what}: {plan_command}, then {apply_command}");
    }
    out
}

/// One pool's section of the issue body, with its node names or without.
fn markdown_pool(outside: &OutsidePool<'_>, options: &DriftOptions, with_nodes: bool) -> String {
    let pool = outside.pool;
    let mut out = format!(
        "#### {} (cluster {}, CCE pool {})\n\nThe live pool last changed: {}.\n\n",
        code(pool.address.as_str()),
        pool.cluster,
        code(&pool.name),
        since(outside)
    );
    if let Some(class) = outside.whole {
        let _ = writeln!(
            out,
            "- {} (**{}**)\n",
            whole_pool_words(pool.action),
            class.label()
        );
    }
    if !outside.attributes.is_empty() {
        out.push_str("| Attribute | Configured | Live | Class |\n|---|---|---|---|\n");
        for (change, class) in &outside.attributes {
            let cell = |value: &serde_json::Value| {
                code(&brief_value(&change.path, value).replace('|', "\\|"))
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | **{}** |",
                code(&change.path),
                cell(&outside.base_value(&change.path)),
                cell(&change.before),
                class.label()
            );
        }
        out.push('\n');
    }
    for (class, nodes) in &outside.nodes {
        let _ = write!(
            out,
            "- **{}** {}",
            plural(nodes.len(), "node", "nodes"),
            node_class_words(*class)
        );
        if with_nodes {
            let names: Vec<String> = nodes.iter().map(|node| code(&node.node.name)).collect();
            let _ = write!(out, ": {}", names.join(", "));
        }
        out.push('\n');
    }
    if !outside.nodes.is_empty() {
        out.push('\n');
    }
    let [plan_command, apply_command] = put_back(options, outside);
    let what = if outside.pool_drifted() {
        "To put it back (applying reverts the outside change"
    } else {
        "To finish the rollout ("
    };
    let _ = writeln!(
        out,
        "{what}{}review the plan first):\n\n{}",
        if outside.pool_drifted() { "; " } else { "" },
        fenced("sh", &format!("{plan_command}\n{apply_command}\n"))
    );
    out
}

/// The drift report as markdown: a complete issue body of at most
/// [`MARKDOWN_LIMIT`] characters. Pools come in address order; when they
/// do not all fit, the node names go first, then whole pools, and a note
/// says how many were left out.
pub fn drift_markdown(plan: &Plan, options: &DriftOptions) -> String {
    let pools = outside_pools(plan);
    let mut out = format!(
        "### poolform drift\n\n**{}**\n\n",
        headline(plan, pools.len())
    );
    if pools.is_empty() {
        return out;
    }
    out.push_str(
        "Someone or something changed these node pools outside poolform, or an earlier apply stopped before every node was reset. `poolform drift` only reads; nothing was changed.\n\n",
    );
    let mut shortened = 0;
    let mut left_out = 0;
    for outside in &pools {
        let full = markdown_pool(outside, options, true);
        let compact = markdown_pool(outside, options, false);
        let room = |text: &str| {
            out.chars().count() + text.chars().count() + NOTE_RESERVE <= MARKDOWN_LIMIT
        };
        if room(&full) {
            out.push_str(&full);
        } else if room(&compact) {
            out.push_str(&compact);
            shortened += 1;
        } else {
            left_out += 1;
        }
    }
    if shortened + left_out > 0 {
        let _ = writeln!(
            out,
            "_This report is too long for one issue ({MARKDOWN_LIMIT} characters at most): {} shortened and {} left out. `poolform drift --format json` has all of it._",
            plural(shortened, "pool", "pools"),
            plural(left_out, "pool", "pools"),
        );
    }
    if out.chars().count() > MARKDOWN_LIMIT {
        out = out.chars().take(MARKDOWN_LIMIT).collect();
    }
    out
}
