//! The plan as JSON for bots and policy checks.
//!
//! Shaped like Terraform's `show -json` where it fits: `format_version`,
//! `resource_changes[]` with `address`, `type`, `name` and
//! `change.actions/before/after`, and `action_reason` on replacements. What
//! Terraform has no word for sits beside it: `node_syncs[]` (which nodes are
//! reset, why, and in which batches), `unmanaged_pools[]`, the ordered
//! `steps[]` and the `summary` counts. Minor versions only add fields.
//!
//! A plan made with a base (`plan --base`) adds Terraform's
//! `resource_drift[]` (what changed outside poolform: `before` as the base
//! configured it, `after` as live), the `base` it was compared with, a
//! `class` on every resource change, attribute change and node, and
//! `class_counts`. Without a base none of these fields appear.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use crate::model::VolumeResetPolicy;
use crate::plan::{ChangeClass, Classification, Plan, PoolAction, StaleNode, StepKind, Tally};

/// The version of this JSON document's format, apart from the saved plan's
/// ([`crate::plan::FORMAT_VERSION`]): the document does not show the steps'
/// requests, so their change of shape did not change it.
pub const JSON_FORMAT_VERSION: &str = "1.0";

/// The JSON document of a plan.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(title = "poolform plan")]
pub struct JsonPlan {
    /// `MAJOR.MINOR`; a reader must refuse an unknown major version.
    pub format_version: String,
    /// Hex SHA-256 of the configuration files the plan was made from.
    pub config_digest: String,
    /// Whether applying the plan would change anything.
    pub has_changes: bool,
    /// The counts of the summary line.
    pub summary: JsonSummary,
    /// The summary line, as the text output prints it.
    pub summary_line: String,
    /// The git revision the plan was compared with (`plan --base`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base: Option<JsonBase>,
    /// With a base: how many attribute changes and nodes fall in each class.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class_counts: Option<JsonClassCounts>,
    /// One entry per configured pool in the plan, sorted by address.
    pub resource_changes: Vec<JsonResourceChange>,
    /// With a base: the pools that changed outside poolform (drift or a
    /// conflict), Terraform's `resource_drift`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_drift: Option<Vec<JsonResourceDrift>>,
    /// The node synchronisations (resets), one per pool with stale nodes.
    pub node_syncs: Vec<JsonSync>,
    /// Live pools that no configuration names; never touched.
    pub unmanaged_pools: Vec<JsonUnmanagedPool>,
    /// The work apply does, in a valid order.
    pub steps: Vec<JsonStep>,
}

/// The counts of the summary line.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct JsonSummary {
    /// Pools created (a replacement counts once here).
    pub add: usize,
    /// Pools updated in place.
    pub change: usize,
    /// Pools deleted (a replacement counts once here).
    pub destroy: usize,
    /// Nodes reset.
    pub nodes_to_sync: usize,
    /// Sync batches.
    pub batches: usize,
}

/// A configured pool and what happens to it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct JsonResourceChange {
    /// The pool's config address (the key of its `[pools.*]` table).
    pub address: String,
    /// Always `cce_node_pool`.
    #[serde(rename = "type")]
    pub resource_type: String,
    /// The CCE pool name.
    pub name: String,
    /// The cluster's config key.
    pub cluster: String,
    /// The live pool id; absent when the pool does not exist yet.
    pub pool_id: Option<String>,
    /// The change.
    pub change: JsonChange,
    /// Why a pool is replaced: `replace_because_cannot_update`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action_reason: Option<String>,
    /// Changes that reach new nodes only (disks, subnet, …), and how many
    /// existing nodes keep the old value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_nodes_only: Option<JsonNewNodesOnly>,
    /// With a base: the class of the pool's change as a whole (its most
    /// severe attribute); absent when only its nodes are reset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<ChangeClass>,
}

/// Changes that reach new nodes only.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct JsonNewNodesOnly {
    /// Attribute paths, such as `data_volumes`.
    pub paths: Vec<String>,
    /// Existing nodes that keep the old value: a reset does not change it.
    pub existing_nodes_keep_old_value: usize,
}

/// The git revision a plan was compared with.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct JsonBase {
    /// The revision as given, such as `origin/main`.
    pub revision: String,
    /// The commit it named.
    pub commit: String,
}

/// Counts by class.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct JsonClassCounts {
    /// Attribute changes (a pool created or deleted as a whole counts once).
    pub attributes: Tally,
    /// Nodes to reset or left out.
    pub nodes: Tally,
}

/// A pool changed outside poolform, in Terraform's `resource_drift` shape.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct JsonResourceDrift {
    /// The pool's config address.
    pub address: String,
    /// Always `cce_node_pool`.
    #[serde(rename = "type")]
    pub resource_type: String,
    /// The CCE pool name.
    pub name: String,
    /// The cluster's config key.
    pub cluster: String,
    /// The live pool id; absent when it was deleted outside poolform.
    pub pool_id: Option<String>,
    /// What happened outside poolform.
    pub change: JsonDriftChange,
    /// The live pool's `metadata.updateTimestamp`: when it last changed.
    pub updated_at: Option<String>,
}

/// Terraform's `change` object of a drift entry.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct JsonDriftChange {
    /// `["update"]`, or `["delete"]` for a pool deleted outside poolform,
    /// or `["create"]` for one that exists although the base deletes it.
    pub actions: Vec<String>,
    /// Every compared attribute as the base configured it, by path; null
    /// when the base configures the pool absent.
    pub before: Option<Value>,
    /// Every compared attribute as live, by path; null when the pool is
    /// gone.
    pub after: Option<Value>,
    /// The paths that changed outside poolform, with their class (`drift`,
    /// or `conflict` when this change sets them too).
    pub attribute_changes: Vec<JsonDriftAttribute>,
}

/// One attribute changed outside poolform.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct JsonDriftAttribute {
    /// Dotted path.
    pub path: String,
    /// `drift` or `conflict`.
    pub class: ChangeClass,
}

/// Terraform's `change` object.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct JsonChange {
    /// `["no-op"]`, `["create"]`, `["update"]`, `["delete"]` or
    /// `["delete", "create"]`.
    pub actions: Vec<String>,
    /// Every compared attribute of the live pool by path; null when it does
    /// not exist.
    pub before: Option<Value>,
    /// Every compared attribute of the desired pool by path; null when it is
    /// deleted.
    pub after: Option<Value>,
    /// Paths of the changed attributes that force the replacement.
    pub replace_paths: Vec<String>,
    /// The changed attributes, with whether only a node reset applies each
    /// one to existing nodes.
    pub attribute_changes: Vec<JsonAttributeChange>,
}

/// One changed attribute.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct JsonAttributeChange {
    /// Dotted path, such as `lifecycle.post_install`.
    pub path: String,
    /// Live value.
    pub before: Value,
    /// Desired value.
    pub after: Value,
    /// Whether existing nodes get it only by a reset (sync).
    pub needs_reset: bool,
    /// With a base: `change`, `drift` or `conflict`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<ChangeClass>,
}

/// A node as shown in plans.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct JsonNode {
    /// Node id.
    pub id: String,
    /// Node name.
    pub name: String,
    /// Availability zone.
    pub az: String,
    /// Phase when read.
    pub phase: String,
    /// Why it is reset (empty for nodes that are merely unavailable).
    pub reasons: Vec<String>,
    /// With a base, for nodes reset or left out: `change`, `drift`,
    /// `conflict` or `unfinished_rollout`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<ChangeClass>,
}

/// One sync batch.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct JsonBatch {
    /// 1-based batch number within the pool.
    pub number: usize,
    /// The nodes reset together.
    pub node_ids: Vec<String>,
}

/// The node synchronisation of one pool. Every node in it is reset: its
/// system disk and data disks are wiped as `wiped` says.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct JsonSync {
    /// The pool's config address.
    pub address: String,
    /// The cluster's config key.
    pub cluster: String,
    /// The live pool id.
    pub pool_id: Option<String>,
    /// Nodes in the pool when read.
    pub pool_size: usize,
    /// The pool's budget after percentage resolution and clamping to 1..=20.
    pub max_unavailable: u32,
    /// The largest batch, after nodes already unavailable and the cluster cap.
    pub batch_size: u32,
    /// Nodes that are not Active now; they count against the budget.
    pub unavailable_now: Vec<JsonNode>,
    /// Every node reset, with its reasons.
    pub nodes: Vec<JsonNode>,
    /// The batches, in order.
    pub batches: Vec<JsonBatch>,
    /// Stale nodes left out because they are not Active now.
    pub skipped: Vec<JsonNode>,
    /// Notes for the reader (exhausted budget, caps).
    pub notes: Vec<String>,
    /// `volumeConfig.volumeResetPolicy` sent with each sync; null leaves it
    /// to CCE (`reset_managed_volumes`).
    pub volume_reset_policy: Option<String>,
    /// What each reset wipes under that policy.
    pub wiped: String,
}

/// A live pool that no configuration names.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct JsonUnmanagedPool {
    /// The cluster's config key.
    pub cluster: String,
    /// The CCE pool name.
    pub name: String,
    /// The CCE pool id.
    pub pool_id: String,
    /// Nodes in it.
    pub node_count: usize,
}

/// A unit of apply work.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct JsonStep {
    /// Index in `steps`.
    pub id: usize,
    /// Steps that must finish first.
    pub depends_on: Vec<usize>,
    /// The pool's config address.
    pub address: String,
    /// The cluster's config key.
    pub cluster: String,
    /// `create_pool`, `update_pool`, `delete_pool` or `sync_batch`.
    pub action: String,
    /// For `sync_batch`: which batch and its nodes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch: Option<JsonStepBatch>,
}

/// The batch of a `sync_batch` step.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct JsonStepBatch {
    /// 1-based batch number.
    pub number: usize,
    /// Batches of this pool in all.
    pub of: usize,
    /// The nodes reset.
    pub node_ids: Vec<String>,
}

fn json_node(node: &crate::plan::NodeRef, reasons: &[String]) -> JsonNode {
    JsonNode {
        id: node.id.to_string(),
        name: node.name.clone(),
        az: node.az.clone(),
        phase: node.phase.clone(),
        reasons: reasons.to_vec(),
        class: None,
    }
}

/// A stale node of the pool at `address`, with its class when classified.
pub(super) fn json_stale(
    classes: Option<&Classification>,
    address: &crate::model::PoolAddress,
    node: &StaleNode,
) -> JsonNode {
    JsonNode {
        class: classes.and_then(|classes| classes.node(address, &node.node.id)),
        ..json_node(&node.node, &node.reasons)
    }
}

/// Terraform's `resource_drift`: every pool with an attribute (or the
/// pool itself) changed outside poolform.
pub(super) fn resource_drift(plan: &Plan, classes: &Classification) -> Vec<JsonResourceDrift> {
    plan.pools
        .iter()
        .filter_map(|pool| {
            let pool_classes = classes.pool(&pool.address)?;
            let outside =
                |class: &ChangeClass| matches!(class, ChangeClass::Drift | ChangeClass::Conflict);
            let attribute_changes: Vec<JsonDriftAttribute> = pool_classes
                .attributes
                .iter()
                .filter(|(_, class)| outside(class))
                .map(|(path, class)| JsonDriftAttribute {
                    path: path.clone(),
                    class: *class,
                })
                .collect();
            let whole_pool = pool_classes.attributes.is_empty()
                && pool_classes.class.as_ref().is_some_and(outside);
            if attribute_changes.is_empty() && !whole_pool {
                return None;
            }
            let actions = match pool.action {
                // Live is gone although the base configured it.
                PoolAction::Create => "delete",
                // Live exists although the base configured it absent.
                PoolAction::Delete => "create",
                _ => "update",
            };
            Some(JsonResourceDrift {
                address: pool.address.to_string(),
                resource_type: "cce_node_pool".to_owned(),
                name: pool.name.clone(),
                cluster: pool.cluster.to_string(),
                pool_id: pool.pool_id.as_ref().map(ToString::to_string),
                change: JsonDriftChange {
                    actions: vec![actions.to_owned()],
                    before: pool_classes.base.clone(),
                    after: pool.before.clone(),
                    attribute_changes,
                },
                updated_at: pool_classes.live_updated_at.clone(),
            })
        })
        .collect()
}

/// The base of a classified plan.
pub(super) fn json_base(classes: &Classification) -> JsonBase {
    JsonBase {
        revision: classes.base.revision.clone(),
        commit: classes.base.commit.clone(),
    }
}

/// The JSON document of a plan, as a value.
pub fn json_plan(plan: &Plan) -> JsonPlan {
    let summary = plan.summary();
    let classes = plan.classification.as_ref();
    let resource_changes = plan
        .pools
        .iter()
        .map(|pool| {
            let actions: &[&str] = match pool.action {
                PoolAction::NoOp => &["no-op"],
                PoolAction::Create => &["create"],
                PoolAction::Update => &["update"],
                PoolAction::Delete => &["delete"],
                PoolAction::Replace => &["delete", "create"],
            };
            JsonResourceChange {
                address: pool.address.to_string(),
                resource_type: "cce_node_pool".to_owned(),
                name: pool.name.clone(),
                cluster: pool.cluster.to_string(),
                pool_id: pool.pool_id.as_ref().map(ToString::to_string),
                change: JsonChange {
                    actions: actions.iter().map(|action| (*action).to_owned()).collect(),
                    before: pool.before.clone(),
                    after: pool.after.clone(),
                    replace_paths: if pool.action == PoolAction::Replace {
                        pool.changes
                            .iter()
                            .filter(|change| super::words::forces_replacement(&change.path))
                            .map(|change| change.path.clone())
                            .collect()
                    } else {
                        Vec::new()
                    },
                    attribute_changes: pool
                        .changes
                        .iter()
                        .map(|change| JsonAttributeChange {
                            path: change.path.clone(),
                            before: change.before.clone(),
                            after: change.after.clone(),
                            needs_reset: change.needs_reset,
                            class: classes
                                .and_then(|classes| classes.attribute(&pool.address, &change.path)),
                        })
                        .collect(),
                },
                action_reason: (pool.action == PoolAction::Replace)
                    .then(|| "replace_because_cannot_update".to_owned()),
                new_nodes_only: pool.new_nodes_only.as_ref().map(|kept| JsonNewNodesOnly {
                    paths: kept.paths.clone(),
                    existing_nodes_keep_old_value: kept.existing_nodes,
                }),
                class: classes
                    .and_then(|classes| classes.pool(&pool.address))
                    .and_then(|pool| pool.class),
            }
        })
        .collect();
    let node_syncs = plan
        .pools
        .iter()
        .filter_map(|pool| {
            pool.sync.as_ref().map(|sync| JsonSync {
                address: pool.address.to_string(),
                cluster: pool.cluster.to_string(),
                pool_id: pool.pool_id.as_ref().map(ToString::to_string),
                pool_size: sync.pool_size,
                max_unavailable: sync.max_unavailable,
                batch_size: sync.batch_size,
                unavailable_now: sync
                    .unavailable_now
                    .iter()
                    .map(|node| json_node(node, &[]))
                    .collect(),
                nodes: sync
                    .stale_nodes
                    .iter()
                    .map(|node| json_stale(classes, &pool.address, node))
                    .collect(),
                batches: sync
                    .batches
                    .iter()
                    .map(|batch| JsonBatch {
                        number: batch.number,
                        node_ids: batch.node_ids.iter().map(ToString::to_string).collect(),
                    })
                    .collect(),
                skipped: sync
                    .skipped
                    .iter()
                    .map(|node| json_stale(classes, &pool.address, node))
                    .collect(),
                notes: sync.notes.clone(),
                volume_reset_policy: sync
                    .volume_reset_policy
                    .map(|policy| policy.as_str().to_owned()),
                wiped: VolumeResetPolicy::wiped(sync.volume_reset_policy).to_owned(),
            })
        })
        .collect();
    let steps = plan
        .steps
        .iter()
        .map(|step| {
            let (action, batch) = match &step.kind {
                StepKind::CreatePool { .. } => ("create_pool", None),
                StepKind::UpdatePool { .. } => ("update_pool", None),
                StepKind::DeletePool { .. } => ("delete_pool", None),
                StepKind::SyncBatch {
                    number,
                    of,
                    request,
                    ..
                } => (
                    "sync_batch",
                    Some(JsonStepBatch {
                        number: *number,
                        of: *of,
                        node_ids: request.node_ids.iter().map(|id| id.0.clone()).collect(),
                    }),
                ),
            };
            JsonStep {
                id: step.id,
                depends_on: step.depends_on.clone(),
                address: step.address.to_string(),
                cluster: step.cluster.to_string(),
                action: action.to_owned(),
                batch,
            }
        })
        .collect();
    JsonPlan {
        format_version: JSON_FORMAT_VERSION.to_owned(),
        config_digest: plan.config_digest.clone(),
        has_changes: plan.has_changes(),
        summary: JsonSummary {
            add: summary.add,
            change: summary.change,
            destroy: summary.destroy,
            nodes_to_sync: summary.nodes_to_sync,
            batches: summary.batches,
        },
        summary_line: summary.to_string(),
        base: classes.map(json_base),
        class_counts: classes.map(|classes| {
            let counts = classes.counts();
            JsonClassCounts {
                attributes: counts.attributes,
                nodes: counts.nodes,
            }
        }),
        resource_changes,
        resource_drift: classes.map(|classes| resource_drift(plan, classes)),
        node_syncs,
        unmanaged_pools: plan
            .unmanaged
            .iter()
            .map(|pool| JsonUnmanagedPool {
                cluster: pool.cluster.to_string(),
                name: pool.name.clone(),
                pool_id: pool.pool_id.to_string(),
                node_count: pool.node_count,
            })
            .collect(),
        steps,
    }
}

/// The plan as pretty JSON, ending in a newline.
pub fn json(plan: &Plan) -> String {
    // Plain data with string keys always serialises.
    let mut text = serde_json::to_string_pretty(&json_plan(plan)).unwrap_or_default();
    text.push('\n');
    text
}

/// The JSON Schema of [`json`]'s output, committed as
/// `schema/plan.schema.json` (regenerate with
/// `cargo run -- schema plan > schema/plan.schema.json`).
pub fn plan_json_schema() -> String {
    let schema = schemars::schema_for!(JsonPlan);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}
