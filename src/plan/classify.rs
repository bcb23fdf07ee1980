//! Three-way classification: why each difference between the configuration
//! and the live state exists, judged against the configuration as of a base
//! revision (`plan --base REF`).
//!
//! poolform has no state file, so "what was applied" is the base
//! configuration: on the main branch, what was merged. Each pool attribute
//! that the plan changes, and each node it resets, falls in one
//! [`ChangeClass`]:
//!
//! - **change**: the configuration changed between base and head, and live
//!   still matches the base: this is what the change under review does;
//! - **drift**: the configuration is the same at base and head, but live
//!   differs: someone changed it outside poolform, and applying reverts it;
//! - **conflict**: the configuration changed and live changed too,
//!   differently;
//! - **unfinished rollout**: a node CCE reports not up to date although no
//!   reset field changed between base and head (an earlier apply stopped).
//!
//! Pure: it reads only the plan (made from head and live), the two
//! configurations and the live state, all already in memory. It judges from
//! what the plan holds (attribute changes, stale nodes) and never recomputes
//! staleness, so it follows whatever rule the diff uses for that.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Plan, PoolAction, PoolPlan};
use crate::diff::{self, Attribute, Reach};
use crate::model::{Desired, DesiredPool, Ensure, Live, LivePool, NodeId, PoolAddress};

/// Why a difference between the configuration and the live state exists.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ChangeClass {
    /// The configuration changed since the base and live matches the base.
    Change,
    /// The configuration did not change since the base, but live did.
    Drift,
    /// The configuration changed since the base, and live changed too.
    Conflict,
    /// CCE reports the node out of date although no reset field changed
    /// since the base.
    UnfinishedRollout,
}

impl ChangeClass {
    /// The words plans use: `change`, `drift`, `conflict`, `unfinished rollout`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Change => "change",
            Self::Drift => "drift",
            Self::Conflict => "conflict",
            Self::UnfinishedRollout => "unfinished rollout",
        }
    }

    /// Whether the difference is not this change's doing: what `poolform
    /// drift` reports.
    pub fn is_outside(self) -> bool {
        !matches!(self, Self::Change)
    }

    /// How much a reviewer must look: a conflict before drift before an
    /// unfinished rollout before this change. A pool or node with several
    /// reasons takes the most severe.
    fn severity(self) -> u8 {
        match self {
            Self::Change => 0,
            Self::UnfinishedRollout => 1,
            Self::Drift => 2,
            Self::Conflict => 3,
        }
    }

    /// The more severe of two classes.
    pub fn max(self, other: Self) -> Self {
        if other.severity() > self.severity() {
            other
        } else {
            self
        }
    }
}

/// The base a plan was compared with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaseRevision {
    /// The revision as given, such as `origin/main`.
    pub revision: String,
    /// The commit it named (full hex id).
    pub commit: String,
}

impl BaseRevision {
    /// The first 12 hex digits of the commit, as plans show it.
    pub fn short_commit(&self) -> &str {
        self.commit.get(..12).unwrap_or(&self.commit)
    }
}

/// The classes of a plan made with a base.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Classification {
    /// What the plan was compared with.
    pub base: BaseRevision,
    /// Every pool of the plan with a difference, by address.
    pub pools: BTreeMap<PoolAddress, PoolClasses>,
}

/// The classes of one pool's differences.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoolClasses {
    /// The pool's action as a whole (its most severe attribute, or the
    /// creation or deletion itself); `None` when the pool itself is
    /// unchanged and only nodes are reset.
    pub class: Option<ChangeClass>,
    /// Each changed attribute's class, by path.
    pub attributes: BTreeMap<String, ChangeClass>,
    /// Each stale node's class (batched or left out), by id.
    pub nodes: BTreeMap<NodeId, ChangeClass>,
    /// Every compared attribute as the base configured it (JSON object by
    /// path, like `PoolPlan::before`); `None` when the base does not
    /// configure the pool, or configures it absent.
    pub base: Option<Value>,
    /// The live pool's `metadata.updateTimestamp`: when it last changed.
    pub live_updated_at: Option<String>,
}

impl PoolClasses {
    /// Whether anything in the pool is not this change's doing.
    pub fn has_outside(&self) -> bool {
        self.class.is_some_and(ChangeClass::is_outside)
            || self.attributes.values().any(|class| class.is_outside())
            || self.nodes.values().any(|class| class.is_outside())
    }
}

impl Classification {
    /// The classes of the pool at `address`, when it has any difference.
    pub fn pool(&self, address: &PoolAddress) -> Option<&PoolClasses> {
        self.pools.get(address)
    }

    /// The class of an attribute change.
    pub fn attribute(&self, address: &PoolAddress, path: &str) -> Option<ChangeClass> {
        self.pool(address)
            .and_then(|pool| pool.attributes.get(path).copied())
    }

    /// The class of a stale node.
    pub fn node(&self, address: &PoolAddress, node: &NodeId) -> Option<ChangeClass> {
        self.pool(address)
            .and_then(|pool| pool.nodes.get(node).copied())
    }

    /// Whether any difference is not this change's doing (drift, a
    /// conflict, an unfinished rollout).
    pub fn has_outside(&self) -> bool {
        self.pools.values().any(PoolClasses::has_outside)
    }

    /// How many attribute changes (a pool created or deleted as a whole
    /// counts once) and stale nodes fall in each class.
    pub fn counts(&self) -> ClassCounts {
        let mut counts = ClassCounts::default();
        for pool in self.pools.values() {
            if pool.attributes.is_empty()
                && let Some(class) = pool.class
            {
                counts.attributes.add(class);
            }
            for class in pool.attributes.values() {
                counts.attributes.add(*class);
            }
            for class in pool.nodes.values() {
                counts.nodes.add(*class);
            }
        }
        counts
    }
}

/// Counts by class, of pool attributes and of nodes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassCounts {
    /// Attribute changes (and whole-pool creations or deletions).
    pub attributes: Tally,
    /// Stale nodes.
    pub nodes: Tally,
}

/// One count per class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Tally {
    /// This change.
    pub change: usize,
    /// Changed outside poolform.
    pub drift: usize,
    /// Changed by both.
    pub conflict: usize,
    /// Not up to date after an earlier rollout.
    pub unfinished_rollout: usize,
}

impl Tally {
    fn add(&mut self, class: ChangeClass) {
        match class {
            ChangeClass::Change => self.change += 1,
            ChangeClass::Drift => self.drift += 1,
            ChangeClass::Conflict => self.conflict += 1,
            ChangeClass::UnfinishedRollout => self.unfinished_rollout += 1,
        }
    }
}

/// Classifies every difference of `plan` (made from `head` and `live`)
/// against the `base` configuration.
pub fn classify(
    plan: &Plan,
    base_revision: BaseRevision,
    base: &Desired,
    head: &Desired,
    live: &Live,
) -> Classification {
    let pools = plan
        .pools
        .iter()
        .filter_map(|pool| {
            let head_pool = head.pools.get(&pool.address)?;
            let live_pool = live
                .clusters
                .get(&pool.cluster)
                .and_then(|cluster| cluster.pools.get(&pool.name));
            // The same address naming another pool (cluster or CCE name
            // changed) is a new pool as far as the base is concerned.
            let base_pool = base.pools.get(&pool.address).filter(|base_pool| {
                base_pool.cluster == head_pool.cluster && base_pool.name == head_pool.name
            });
            let classes = classify_pool(pool, base_pool, head_pool, live_pool);
            let changed = classes.class.is_some() || !classes.nodes.is_empty();
            changed.then(|| (pool.address.clone(), classes))
        })
        .collect();
    Classification {
        base: base_revision,
        pools,
    }
}

/// Attributes by path.
fn by_path(attributes: Vec<Attribute>) -> BTreeMap<String, Attribute> {
    attributes
        .into_iter()
        .map(|attribute| (attribute.path.clone(), attribute))
        .collect()
}

/// The base's attributes, listed as the head pool manages them so that the
/// paths line up; a path the base does not set compares as null.
fn attributes_at_base(head: &DesiredPool, base: &DesiredPool) -> Vec<Attribute> {
    diff::pool_attributes(
        head,
        &base.template,
        base.node_count,
        base.autoscaling.as_ref(),
        base.server_group.as_deref(),
    )
}

fn classify_pool(
    pool: &PoolPlan,
    base: Option<&DesiredPool>,
    head: &DesiredPool,
    live: Option<&LivePool>,
) -> PoolClasses {
    let base_present = base.filter(|base| base.ensure == Ensure::Present);
    let base_list = base_present.map(|base| attributes_at_base(head, base));
    let base_object = base_list.as_deref().map(diff::attributes_object);
    let base_attributes = base_list.map(by_path);
    let head_attributes = by_path(diff::desired_attributes(head));
    let live_attributes = live.map(|live| by_path(diff::live_attributes(head, live)));
    let key = |attributes: Option<&BTreeMap<String, Attribute>>, path: &str| -> Value {
        attributes
            .and_then(|attributes| attributes.get(path))
            .map_or(Value::Null, |attribute| attribute.key.clone())
    };

    let attributes: BTreeMap<String, ChangeClass> = pool
        .changes
        .iter()
        .map(|change| {
            let class = match &base_attributes {
                // Not configured at the base: this change brings the pool
                // under management (or back from `ensure = "absent"`).
                None => ChangeClass::Change,
                Some(base_attributes) => attribute_class(
                    &key(Some(base_attributes), &change.path),
                    &key(Some(&head_attributes), &change.path),
                    &key(live_attributes.as_ref(), &change.path),
                ),
            };
            (change.path.clone(), class)
        })
        .collect();

    let class = match pool.action {
        PoolAction::NoOp => None,
        // Deleting: drift when the base already wanted it gone (it came
        // back, or the deletion never happened), else this change.
        PoolAction::Delete => Some(match base {
            Some(base) if base.ensure == Ensure::Absent => ChangeClass::Drift,
            _ => ChangeClass::Change,
        }),
        PoolAction::Create | PoolAction::Update | PoolAction::Replace => {
            attributes.values().copied().reduce(ChangeClass::max).or(
                // A pool created with no attribute set beyond defaults.
                Some(if base_present.is_some() {
                    ChangeClass::Drift
                } else {
                    ChangeClass::Change
                }),
            )
        }
    };

    // A reset this plan causes by changing a reset field takes that
    // field's class; otherwise the node was already stale before this plan
    // touched the template.
    let reset_class = pool
        .changes
        .iter()
        .filter(|change| diff::reach_of_path(&change.path) == Reach::NeedsReset)
        .filter_map(|change| attributes.get(&change.path).copied())
        .reduce(ChangeClass::max);
    let reset_fields_changed = match &base_attributes {
        None => true,
        Some(base_attributes) => head_attributes
            .values()
            .filter(|attribute| attribute.reach == Reach::NeedsReset)
            .any(|attribute| key(Some(base_attributes), &attribute.path) != attribute.key),
    };
    let nodes = pool
        .sync
        .iter()
        .flat_map(|sync| sync.stale_nodes.iter().chain(&sync.skipped))
        .map(|stale| {
            let class = reset_class.unwrap_or_else(|| {
                let reported_out_of_date = live
                    .and_then(|live| live.nodes.iter().find(|node| node.id == stale.node.id))
                    .is_some_and(|node| node.up_to_date == Some(false));
                if reset_fields_changed {
                    // The template already carries this change (an apply
                    // of it stopped early): resetting finishes this change.
                    ChangeClass::Change
                } else if reported_out_of_date {
                    ChangeClass::UnfinishedRollout
                } else {
                    // CCE calls it up to date, yet the node reports values
                    // of its own: it was changed outside poolform.
                    ChangeClass::Drift
                }
            });
            (stale.node.id.clone(), class)
        })
        .collect();

    PoolClasses {
        class,
        attributes,
        nodes,
        base: base_object,
        live_updated_at: live.and_then(|live| live.updated_at.clone()),
    }
}

/// One attribute that differs between head and live, judged by its base
/// value.
fn attribute_class(base: &Value, head: &Value, live: &Value) -> ChangeClass {
    if base == head {
        ChangeClass::Drift
    } else if live == base {
        ChangeClass::Change
    } else {
        ChangeClass::Conflict
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::test_support::*;
    use crate::model::{NodePhase, PoolAddress};
    use crate::plan::build_plan;

    fn revision() -> BaseRevision {
        BaseRevision {
            revision: "origin/main".into(),
            commit: "0123456789abcdef0123456789abcdef01234567".into(),
        }
    }

    fn classify_all(base: &Desired, head: &Desired, live: &Live) -> Classification {
        let plan = build_plan(head, live, &[]).expect("plans");
        classify(&plan, revision(), base, head, live)
    }

    fn app(desired: &mut Desired) -> &mut DesiredPool {
        desired
            .pools
            .get_mut(&PoolAddress::from("prod-app"))
            .expect("pool")
    }

    fn app_classes(classes: &Classification) -> &PoolClasses {
        classes.pool(&address("prod-app")).expect("classified")
    }

    #[test]
    fn nothing_differs_nothing_is_classified() {
        let (desired, live) = world();
        let classes = classify_all(&desired, &desired, &live);
        assert!(classes.pools.is_empty());
        assert!(!classes.has_outside());
    }

    #[test]
    fn config_change_with_live_at_base_is_a_change() {
        let (base, live) = world();
        let mut head = base.clone();
        app(&mut head).template.lifecycle.post_install = Some("echo new\n".into());
        let classes = classify_all(&base, &head, &live);
        let pool = app_classes(&classes);
        assert_eq!(pool.class, Some(ChangeClass::Change));
        assert_eq!(
            pool.attributes["lifecycle.post_install"],
            ChangeClass::Change
        );
        assert_eq!(pool.nodes.len(), 6);
        assert!(
            pool.nodes
                .values()
                .all(|class| *class == ChangeClass::Change)
        );
        assert!(!classes.has_outside());
    }

    #[test]
    fn live_change_with_config_unchanged_is_drift() {
        let (desired, mut live) = world();
        let live_pool = live_pool_mut(&mut live, "prod", "app");
        live_pool
            .template
            .k8s_labels
            .insert("team".into(), "hotfix".into());
        live_pool.updated_at = Some("2026-11-20 10:00:00.000 +0000 UTC".into());
        let classes = classify_all(&desired, &desired, &live);
        let pool = app_classes(&classes);
        assert_eq!(pool.attributes["k8s_labels"], ChangeClass::Drift);
        assert_eq!(pool.class, Some(ChangeClass::Drift));
        assert_eq!(
            pool.live_updated_at.as_deref(),
            Some("2026-11-20 10:00:00.000 +0000 UTC")
        );
        assert_eq!(
            pool.base.as_ref().and_then(|base| base.get("k8s_labels")),
            Some(&serde_json::json!({"team": "platform"}))
        );
        assert!(classes.has_outside());
    }

    #[test]
    fn both_changed_differently_is_a_conflict_and_the_same_way_is_no_difference() {
        let (base, mut live) = world();
        let mut head = base.clone();
        app(&mut head)
            .template
            .k8s_labels
            .insert("team".into(), "web".into());
        live_pool_mut(&mut live, "prod", "app")
            .template
            .k8s_labels
            .insert("team".into(), "hotfix".into());
        let classes = classify_all(&base, &head, &live);
        assert_eq!(
            app_classes(&classes).attributes["k8s_labels"],
            ChangeClass::Conflict
        );
        live_pool_mut(&mut live, "prod", "app")
            .template
            .k8s_labels
            .insert("team".into(), "web".into());
        assert!(classify_all(&base, &head, &live).pools.is_empty());
    }

    #[test]
    fn out_of_date_nodes_with_reset_fields_unchanged_are_an_unfinished_rollout() {
        let (desired, mut live) = world();
        let live_pool = live_pool_mut(&mut live, "prod", "app");
        for node in &mut live_pool.nodes[..2] {
            node.up_to_date = Some(false);
            node.config.os = Some("EulerOS 2.9".into());
        }
        live_pool.nodes[2].up_to_date = Some(false);
        live_pool.nodes[2].phase = NodePhase::Error;
        let classes = classify_all(&desired, &desired, &live);
        let pool = app_classes(&classes);
        assert_eq!(pool.class, None);
        assert_eq!(pool.nodes.len(), 3, "the Error node too: {pool:?}");
        assert!(
            pool.nodes
                .values()
                .all(|class| *class == ChangeClass::UnfinishedRollout)
        );
    }

    #[test]
    fn a_node_reporting_another_os_without_cces_flag_is_no_evidence() {
        // A node's own report is shown, never compared: only CCE's flag or
        // a change of this plan makes a node stale, so nothing is classified.
        let (desired, mut live) = world();
        live_pool_mut(&mut live, "prod", "app").nodes[0].config.os = Some("EulerOS 2.9".into());
        let classes = classify_all(&desired, &desired, &live);
        assert!(classes.pools.is_empty());
        assert!(!classes.has_outside());
    }

    #[test]
    fn a_template_already_carrying_this_change_finishes_this_change() {
        let (base, mut live) = world();
        let mut head = base.clone();
        app(&mut head).template.os = "EulerOS 2.10".into();
        let live_pool = live_pool_mut(&mut live, "prod", "app");
        live_pool.template.os = "EulerOS 2.10".into();
        live_pool.nodes[0].up_to_date = Some(false);
        let classes = classify_all(&base, &head, &live);
        let pool = app_classes(&classes);
        assert_eq!(pool.class, None);
        assert!(
            pool.nodes
                .values()
                .all(|class| *class == ChangeClass::Change)
        );
    }

    #[test]
    fn reset_for_a_drifted_template_field_is_drift() {
        let (desired, mut live) = world();
        let live_pool = live_pool_mut(&mut live, "prod", "app");
        live_pool.template.os = "EulerOS 2.9".into();
        for node in &mut live_pool.nodes {
            node.up_to_date = Some(false);
        }
        let classes = classify_all(&desired, &desired, &live);
        let pool = app_classes(&classes);
        assert_eq!(pool.attributes["os"], ChangeClass::Drift);
        assert!(
            pool.nodes
                .values()
                .all(|class| *class == ChangeClass::Drift)
        );
    }

    #[test]
    fn a_pool_new_in_this_change_is_a_change_even_when_live_differs() {
        let (mut base, mut live) = world();
        let head = base.clone();
        base.pools.clear();
        live_pool_mut(&mut live, "prod", "app")
            .template
            .k8s_labels
            .insert("team".into(), "hotfix".into());
        let classes = classify_all(&base, &head, &live);
        let pool = app_classes(&classes);
        assert_eq!(pool.attributes["k8s_labels"], ChangeClass::Change);
        assert_eq!(pool.base, None);
    }

    #[test]
    fn a_pool_deleted_outside_is_drift_and_a_new_one_a_change() {
        let (desired, mut live) = world();
        live.clusters
            .get_mut(&"prod".into())
            .expect("cluster")
            .pools
            .clear();
        let classes = classify_all(&desired, &desired, &live);
        assert_eq!(app_classes(&classes).class, Some(ChangeClass::Drift));
        let mut base = desired.clone();
        base.pools.clear();
        let classes = classify_all(&base, &desired, &live);
        assert_eq!(app_classes(&classes).class, Some(ChangeClass::Change));
    }

    #[test]
    fn deleting_is_a_change_unless_the_base_already_deleted_it() {
        let (base, live) = world();
        let mut head = base.clone();
        app(&mut head).ensure = Ensure::Absent;
        let classes = classify_all(&base, &head, &live);
        assert_eq!(app_classes(&classes).class, Some(ChangeClass::Change));
        let classes = classify_all(&head, &head, &live);
        assert_eq!(app_classes(&classes).class, Some(ChangeClass::Drift));
    }

    #[test]
    fn counts_tally_attributes_and_nodes() {
        let (base, mut live) = world();
        let mut head = base.clone();
        app(&mut head).template.lifecycle.post_install = Some("echo new\n".into());
        live_pool_mut(&mut live, "prod", "app")
            .template
            .user_tags
            .insert("owner".into(), "ops".into());
        let counts = classify_all(&base, &head, &live).counts();
        assert_eq!(
            counts.attributes,
            Tally {
                change: 1,
                drift: 1,
                ..Tally::default()
            }
        );
        assert_eq!(
            counts.nodes,
            Tally {
                change: 6,
                ..Tally::default()
            }
        );
    }
}
