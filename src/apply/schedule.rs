//! The executor's bookkeeping, kept pure so it can be tested without a
//! runtime: which steps may start ([`Schedule`]), what a failure takes down
//! with it, and how many nodes a cluster or pool may have down at once
//! ([`ClusterBudget`], [`check_pool_budget`]).

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{ClusterName, NodeId, PoolAddress};
use crate::plan::Step;

use super::error::InvalidOrder;
use super::{ApplyError, SkipReason};

/// Where a step stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StepState {
    /// Not started yet.
    Pending,
    /// Being carried out.
    Running,
    /// Finished successfully.
    Done,
    /// Failed.
    Failed,
    /// Never started, and never will be.
    Skipped(SkipReason),
}

/// The state of every step of a plan and the dependency edges between them.
#[derive(Debug, Clone)]
pub(crate) struct Schedule {
    states: Vec<StepState>,
    depends_on: Vec<Vec<usize>>,
    dependents: Vec<Vec<usize>>,
    addresses: Vec<PoolAddress>,
    clusters: Vec<ClusterName>,
}

impl Schedule {
    /// Checks that the steps form a DAG in index order (every step depends
    /// only on earlier ones, ids equal indices), which is what the planner
    /// promises; a hand-edited saved plan may not keep that promise.
    pub(crate) fn new(steps: &[Step]) -> Result<Self, ApplyError> {
        let mut dependents = vec![Vec::new(); steps.len()];
        for (index, step) in steps.iter().enumerate() {
            if step.id != index {
                return Err(ApplyError::InvalidPlan {
                    reason: InvalidOrder::IdNotPosition {
                        position: index,
                        id: step.id,
                    },
                });
            }
            for &dependency in &step.depends_on {
                if dependency >= index {
                    return Err(ApplyError::InvalidPlan {
                        reason: InvalidOrder::DependsOnLater {
                            step: index,
                            dependency,
                        },
                    });
                }
                dependents[dependency].push(index);
            }
        }
        Ok(Self {
            states: vec![StepState::Pending; steps.len()],
            depends_on: steps.iter().map(|step| step.depends_on.clone()).collect(),
            dependents,
            addresses: steps.iter().map(|step| step.address.clone()).collect(),
            clusters: steps.iter().map(|step| step.cluster.clone()).collect(),
        })
    }

    /// The state of a step.
    pub(crate) fn state(&self, step: usize) -> &StepState {
        &self.states[step]
    }

    /// Pending steps whose dependencies have all finished, in id order.
    pub(crate) fn ready(&self) -> Vec<usize> {
        (0..self.states.len())
            .filter(|&step| {
                self.states[step] == StepState::Pending
                    && self.depends_on[step]
                        .iter()
                        .all(|&dependency| self.states[dependency] == StepState::Done)
            })
            .collect()
    }

    /// Steps being carried out.
    pub(crate) fn running(&self) -> usize {
        self.states
            .iter()
            .filter(|state| **state == StepState::Running)
            .count()
    }

    /// Steps of `step`'s cluster being carried out.
    pub(crate) fn running_in_cluster_of(&self, step: usize) -> usize {
        let cluster = &self.clusters[step];
        self.states
            .iter()
            .zip(&self.clusters)
            .filter(|(state, other)| **state == StepState::Running && *other == cluster)
            .count()
    }

    /// Marks a step as started.
    pub(crate) fn start(&mut self, step: usize) {
        self.states[step] = StepState::Running;
    }

    /// Marks a step as finished.
    pub(crate) fn finish(&mut self, step: usize) {
        self.states[step] = StepState::Done;
    }

    /// Puts a running step back to pending: it was interrupted before it did
    /// anything, so it is reported with the other steps that never started.
    pub(crate) fn unstart(&mut self, step: usize) {
        self.states[step] = StepState::Pending;
    }

    /// Marks a step as failed and skips everything that can no longer run:
    /// every step that depends on it, directly or not, and every other
    /// pending step of the same pool (a failed pool is stopped). Returns the
    /// newly skipped steps in id order.
    pub(crate) fn fail(&mut self, step: usize) -> Vec<usize> {
        self.states[step] = StepState::Failed;
        let address = self.addresses[step].clone();
        let mut doomed = BTreeSet::new();
        let mut stack: Vec<usize> = self.dependents[step].clone();
        stack.extend(
            (0..self.states.len())
                .filter(|&other| self.addresses[other] == address && other != step),
        );
        while let Some(next) = stack.pop() {
            if self.states[next] == StepState::Pending && doomed.insert(next) {
                stack.extend(self.dependents[next].iter().copied());
            }
        }
        let reason = SkipReason::DependencyFailed {
            step,
            address: address.clone(),
        };
        for &skipped in &doomed {
            self.states[skipped] = StepState::Skipped(reason.clone());
        }
        doomed.into_iter().collect()
    }

    /// Skips every pending step for `reason`; returns them in id order.
    pub(crate) fn skip_pending(&mut self, reason: &SkipReason) -> Vec<usize> {
        let mut skipped = Vec::new();
        for (step, state) in self.states.iter_mut().enumerate() {
            if *state == StepState::Pending {
                *state = StepState::Skipped(reason.clone());
                skipped.push(step);
            }
        }
        skipped
    }
}

/// Why a batch may not start yet: the nodes that would be down together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Shortfall {
    /// The limit.
    pub(crate) limit: u32,
    /// Nodes that would be unavailable at once if the batch started.
    pub(crate) would_be_unavailable: BTreeSet<NodeId>,
    /// Of those, the nodes that are not part of the batch.
    pub(crate) others: BTreeSet<NodeId>,
}

/// Checks a pool's budget: the batch's nodes together with the pool's nodes
/// that are unavailable now (a node counts once, whichever set it is in) may
/// not exceed `max_unavailable`.
pub(crate) fn check_pool_budget(
    max_unavailable: u32,
    batch: &BTreeSet<NodeId>,
    unavailable: &BTreeSet<NodeId>,
) -> Result<(), Shortfall> {
    let union: BTreeSet<NodeId> = batch.union(unavailable).cloned().collect();
    if union.len() <= max_unavailable as usize {
        Ok(())
    } else {
        Err(Shortfall {
            limit: max_unavailable,
            others: unavailable.difference(batch).cloned().collect(),
            would_be_unavailable: union,
        })
    }
}

/// How much work lies after each step: the number of steps on the longest
/// path from it to the end of the plan, itself included. A batch waiting for
/// room under a cluster cap with more work after it goes first (the
/// highest-level-first rule of list scheduling): serving the pools with the
/// most batches left keeps every pool's later batches ready, so the cap is
/// not left half-used at the end while one pool finishes alone.
pub(crate) fn levels(steps: &[Step]) -> Vec<usize> {
    let mut levels = vec![1; steps.len()];
    for index in (0..steps.len()).rev() {
        let level = levels[index];
        for &dependency in &steps[index].depends_on {
            // A plan whose steps depend on later ones is refused by
            // `Schedule::new`; here such an edge is only ignored.
            if dependency < index {
                levels[dependency] = levels[dependency].max(level + 1);
            }
        }
    }
    levels
}

/// Why a batch may not take its nodes down under its cluster's cap yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CapWait {
    /// The batch would take the cluster past its cap; `held_by_run` when
    /// other batches of this run hold part of it (and will give it back).
    Full {
        /// What would be down.
        shortfall: Shortfall,
        /// Whether other running batches have nodes reserved in the cluster.
        held_by_run: bool,
    },
    /// The batch would fit, but the room is kept for batches waiting for it
    /// that have more work after them (see [`levels`]).
    Yield(Yielded),
}

/// Room under a cap that a batch would fit in, kept for waiting batches
/// with more work after them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Yielded {
    /// The cap.
    pub(crate) limit: u32,
    /// Nodes down or reserved now.
    pub(crate) down: BTreeSet<NodeId>,
    /// The nodes kept for `ahead`.
    pub(crate) kept: usize,
    /// The steps the room is kept for, first first.
    pub(crate) ahead: Vec<usize>,
}

/// The cluster-wide caps, and the nodes each running batch has reserved
/// against them. Apply takes nodes down only after reserving them here, so
/// batches of different pools running in parallel never exceed a cap
/// together, even before the API shows their nodes as unavailable.
///
/// Batches that wait for room under a cap are known here too, with how many
/// nodes they need: when room frees, it goes to the waiting batches with the
/// most work after them, whichever of them happens to look first.
#[derive(Debug, Clone, Default)]
pub(crate) struct ClusterBudget {
    caps: BTreeMap<ClusterName, u32>,
    reserved: BTreeMap<ClusterName, BTreeMap<usize, BTreeSet<NodeId>>>,
    /// Batches waiting for room under their cluster's cap, with the nodes
    /// each needs.
    waiting: BTreeMap<ClusterName, BTreeMap<usize, usize>>,
    /// Each step's [`levels`] entry; a step beyond it counts as level 1.
    levels: Vec<usize>,
}

impl ClusterBudget {
    /// A budget with these caps; clusters without a cap are not limited.
    /// `levels` orders batches that wait for room (see [`levels`]).
    pub(crate) fn new(caps: BTreeMap<ClusterName, u32>, levels: Vec<usize>) -> Self {
        Self {
            caps,
            reserved: BTreeMap::new(),
            waiting: BTreeMap::new(),
            levels,
        }
    }

    /// The cap of a cluster, if it has one.
    pub(crate) fn cap(&self, cluster: &ClusterName) -> Option<u32> {
        self.caps.get(cluster).copied()
    }

    /// Which of two waiting steps goes first: more work after it, then the
    /// plan's order.
    fn order_key(&self, step: usize) -> (std::cmp::Reverse<usize>, usize) {
        let level = self.levels.get(step).copied().unwrap_or(1);
        (std::cmp::Reverse(level), step)
    }

    /// Records that `step` waits for room for `nodes` nodes under its
    /// cluster's cap. Nothing for a cluster without a cap.
    pub(crate) fn wait(&mut self, cluster: &ClusterName, step: usize, nodes: usize) {
        if self.caps.contains_key(cluster) {
            self.waiting
                .entry(cluster.clone())
                .or_default()
                .insert(step, nodes);
        }
    }

    /// Records that `step` no longer waits for room; true if it did, so
    /// room kept for it may now go to others.
    pub(crate) fn stop_waiting(&mut self, cluster: &ClusterName, step: usize) -> bool {
        self.waiting
            .get_mut(cluster)
            .is_some_and(|waiting| waiting.remove(&step).is_some())
    }

    /// Reserves `batch` for `step` when the batch, every node other running
    /// batches reserved and every node of the cluster the API reports
    /// unavailable (`unavailable`) together stay within the cap, and no
    /// waiting batch with more work after it needs the room. A batch that
    /// cannot go is recorded as waiting. `Ok(true)` says the step reserved
    /// fewer nodes than it was waiting for, so others may fit now.
    pub(crate) fn try_reserve(
        &mut self,
        cluster: &ClusterName,
        step: usize,
        batch: &BTreeSet<NodeId>,
        unavailable: &BTreeSet<NodeId>,
    ) -> Result<bool, CapWait> {
        let mut need = batch.len();
        if let Some(&cap) = self.caps.get(cluster) {
            let mut down: BTreeSet<NodeId> = unavailable.clone();
            for (other, nodes) in self.reserved.get(cluster).into_iter().flatten() {
                if *other != step {
                    down.extend(nodes.iter().cloned());
                }
            }
            need = batch.difference(&down).count();
            let cap_nodes = cap as usize;
            if down.len() + need > cap_nodes {
                let others: BTreeSet<NodeId> = down.difference(batch).cloned().collect();
                down.extend(batch.iter().cloned());
                let held_by_run = self.reserved.get(cluster).is_some_and(|reserved| {
                    reserved
                        .iter()
                        .any(|(other, nodes)| *other != step && !nodes.is_empty())
                });
                self.wait(cluster, step, need);
                return Err(CapWait::Full {
                    shortfall: Shortfall {
                        limit: cap,
                        would_be_unavailable: down,
                        others,
                    },
                    held_by_run,
                });
            }
            let mut room = cap_nodes - down.len();
            let mine = self.order_key(step);
            let mut before: Vec<(usize, usize)> = self
                .waiting
                .get(cluster)
                .into_iter()
                .flatten()
                .filter(|&(&other, _)| other != step && self.order_key(other) < mine)
                .map(|(&other, &nodes)| (other, nodes))
                .collect();
            before.sort_by_key(|&(other, _)| self.order_key(other));
            let mut ahead = Vec::new();
            for (other, nodes) in before {
                // Room for a batch ahead that fits goes to it; one that does
                // not fit holds nothing back.
                if nodes <= room {
                    room -= nodes;
                    ahead.push(other);
                }
            }
            if need > room {
                let kept = cap_nodes - down.len() - room;
                self.wait(cluster, step, need);
                return Err(CapWait::Yield(Yielded {
                    limit: cap,
                    down,
                    kept,
                    ahead,
                }));
            }
        }
        let waited_for = self
            .waiting
            .get_mut(cluster)
            .and_then(|waiting| waiting.remove(&step));
        self.reserved
            .entry(cluster.clone())
            .or_default()
            .insert(step, batch.clone());
        Ok(waited_for.is_some_and(|nodes| nodes > need))
    }

    /// Releases what `step` reserved.
    pub(crate) fn release(&mut self, cluster: &ClusterName, step: usize) {
        if let Some(reservations) = self.reserved.get_mut(cluster) {
            reservations.remove(&step);
        }
    }

    /// Nodes reserved in a cluster by running batches.
    #[cfg(test)]
    pub(crate) fn reserved_count(&self, cluster: &ClusterName) -> usize {
        self.reserved
            .get(cluster)
            .map(|reservations| reservations.values().map(BTreeSet::len).sum())
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::StepKind;

    fn step(id: usize, address: &str, depends_on: &[usize]) -> Step {
        Step {
            id,
            depends_on: depends_on.to_vec(),
            address: PoolAddress::from(address),
            cluster: ClusterName::from("prod"),
            kind: StepKind::DeletePool {
                pool_id: crate::model::PoolId::from("p"),
            },
        }
    }

    fn ids(names: &[&str]) -> BTreeSet<NodeId> {
        names.iter().map(|name| NodeId::from(*name)).collect()
    }

    /// Two pools: `a` (update, 3 batches) and `b` depending on `a`
    /// (2 batches), plus an independent pool `c` (1 batch).
    fn sample() -> Vec<Step> {
        vec![
            step(0, "a", &[]),
            step(1, "a", &[0]),
            step(2, "a", &[1]),
            step(3, "a", &[2]),
            step(4, "b", &[3]),
            step(5, "b", &[4]),
            step(6, "c", &[]),
        ]
    }

    #[test]
    fn ready_follows_dependencies_in_order() {
        let mut schedule = Schedule::new(&sample()).expect("valid plan");
        assert_eq!(schedule.ready(), vec![0, 6]);
        schedule.start(0);
        schedule.start(6);
        assert!(schedule.ready().is_empty());
        assert_eq!(schedule.running(), 2);
        schedule.finish(0);
        assert_eq!(schedule.ready(), vec![1]);
        schedule.start(1);
        schedule.finish(1);
        schedule.start(2);
        schedule.finish(2);
        schedule.start(3);
        schedule.finish(3);
        assert_eq!(schedule.ready(), vec![4]);
    }

    #[test]
    fn failure_skips_later_batches_and_dependents_but_not_independent_pools() {
        let mut schedule = Schedule::new(&sample()).expect("valid plan");
        schedule.start(0);
        schedule.finish(0);
        schedule.start(1);
        let skipped = schedule.fail(1);
        assert_eq!(skipped, vec![2, 3, 4, 5]);
        assert_eq!(
            schedule.state(4),
            &StepState::Skipped(SkipReason::DependencyFailed {
                step: 1,
                address: PoolAddress::from("a"),
            })
        );
        assert_eq!(schedule.ready(), vec![6]);
    }

    #[test]
    fn failure_does_not_touch_finished_or_running_steps() {
        let mut schedule = Schedule::new(&sample()).expect("valid plan");
        schedule.start(0);
        schedule.start(6);
        schedule.finish(6);
        let skipped = schedule.fail(0);
        assert_eq!(skipped, vec![1, 2, 3, 4, 5]);
        assert_eq!(schedule.state(6), &StepState::Done);
    }

    #[test]
    fn skip_pending_leaves_running_steps_alone() {
        let mut schedule = Schedule::new(&sample()).expect("valid plan");
        schedule.start(0);
        let skipped = schedule.skip_pending(&SkipReason::Interrupted);
        assert_eq!(skipped, vec![1, 2, 3, 4, 5, 6]);
        assert_eq!(schedule.state(0), &StepState::Running);
    }

    #[test]
    fn rejects_forward_and_self_dependencies() {
        assert!(Schedule::new(&[step(0, "a", &[0])]).is_err());
        assert!(Schedule::new(&[step(0, "a", &[1]), step(1, "a", &[])]).is_err());
        assert!(Schedule::new(&[step(1, "a", &[])]).is_err());
    }

    #[test]
    fn pool_budget_counts_each_node_once() {
        let batch = ids(&["n1", "n2", "n3"]);
        // n3 is already down and in the batch: it is one node, not two.
        assert!(check_pool_budget(3, &batch, &ids(&["n3"])).is_ok());
        let shortfall = check_pool_budget(3, &batch, &ids(&["n9"])).expect_err("over budget");
        assert_eq!(shortfall.limit, 3);
        assert_eq!(shortfall.would_be_unavailable.len(), 4);
        assert_eq!(shortfall.others, ids(&["n9"]));
    }

    fn full(result: Result<bool, CapWait>) -> Shortfall {
        match result {
            Err(CapWait::Full { shortfall, .. }) => shortfall,
            other => panic!("expected the cap to be full, got {other:?}"),
        }
    }

    fn yielded_to(result: Result<bool, CapWait>) -> Vec<usize> {
        match result {
            Err(CapWait::Yield(Yielded { ahead, .. })) => ahead,
            other => panic!("expected the batch to give way, got {other:?}"),
        }
    }

    #[test]
    fn levels_count_the_longest_path_to_the_end() {
        // a: 0 -> 1 -> 2 -> 3, then b: 4 -> 5 after a; c alone.
        assert_eq!(levels(&sample()), vec![6, 5, 4, 3, 2, 1, 1]);
        // A branch takes the longer way.
        let steps = vec![
            step(0, "a", &[]),
            step(1, "b", &[0]),
            step(2, "c", &[0]),
            step(3, "c", &[2]),
        ];
        assert_eq!(levels(&steps), vec![3, 1, 2, 1]);
        // An edge to a later step (refused elsewhere) is ignored, not followed.
        let steps = vec![step(0, "a", &[1]), step(1, "b", &[])];
        assert_eq!(levels(&steps), vec![1, 1]);
    }

    #[test]
    fn room_under_a_cap_goes_first_to_the_batch_with_more_work_after_it() {
        let prod = ClusterName::from("prod");
        // Steps 1 and 2 are a pool's two batches (1 has more after it);
        // step 3 is another pool's first batch, as long a way from the end
        // as step 1.
        let mut budget = ClusterBudget::new(BTreeMap::from([(prod.clone(), 4)]), vec![3, 2, 1, 2]);
        budget
            .try_reserve(&prod, 0, &ids(&["z1", "z2"]), &BTreeSet::new())
            .expect("fits");
        // Step 3 waits for room; the cap is not full for step 2, but the
        // room goes to step 3, which has a batch after it.
        budget.wait(&prod, 3, 2);
        budget.wait(&prod, 2, 2);
        assert_eq!(
            yielded_to(budget.try_reserve(&prod, 2, &ids(&["b1", "b2"]), &BTreeSet::new())),
            vec![3]
        );
        assert_eq!(
            budget.try_reserve(&prod, 3, &ids(&["c1", "c2"]), &BTreeSet::new()),
            Ok(false)
        );
        // Now the cap is full for step 2 whichever way.
        full(budget.try_reserve(&prod, 2, &ids(&["b1", "b2"]), &BTreeSet::new()));
        // Once room frees, the one waiting batch takes it.
        budget.release(&prod, 0);
        assert_eq!(
            budget.try_reserve(&prod, 2, &ids(&["b1", "b2"]), &BTreeSet::new()),
            Ok(false)
        );
        assert_eq!(budget.reserved_count(&prod), 4);
    }

    #[test]
    fn room_enough_for_both_is_taken_by_either_and_a_batch_too_large_holds_nothing_back() {
        let prod = ClusterName::from("prod");
        let mut budget = ClusterBudget::new(BTreeMap::from([(prod.clone(), 4)]), vec![1, 2, 3]);
        // Step 1 goes before step 0, but both fit in 4.
        budget.wait(&prod, 1, 2);
        assert_eq!(
            budget.try_reserve(&prod, 0, &ids(&["a1", "a2"]), &BTreeSet::new()),
            Ok(false)
        );
        // Step 2 (first of all) waits for 3 nodes, more than the 2 left:
        // it keeps nothing from step 1.
        budget.wait(&prod, 2, 3);
        assert_eq!(
            budget.try_reserve(&prod, 1, &ids(&["b1", "b2"]), &BTreeSet::new()),
            Ok(false)
        );
        assert_eq!(budget.reserved_count(&prod), 4);
    }

    #[test]
    fn a_batch_that_stops_waiting_leaves_its_room_and_says_when_it_needed_less() {
        let prod = ClusterName::from("prod");
        let mut budget = ClusterBudget::new(BTreeMap::from([(prod.clone(), 2)]), vec![1, 2]);
        budget.wait(&prod, 1, 2);
        assert_eq!(
            yielded_to(budget.try_reserve(&prod, 0, &ids(&["a1"]), &BTreeSet::new())),
            vec![1]
        );
        // Step 1 turns out to need one node of the two it waited for: others
        // are told there may be room.
        assert_eq!(
            budget.try_reserve(&prod, 1, &ids(&["b1"]), &BTreeSet::new()),
            Ok(true)
        );
        budget.release(&prod, 1);
        // A batch that leaves the queue without reserving says it was there.
        budget.wait(&prod, 1, 2);
        assert!(budget.stop_waiting(&prod, 1));
        assert!(!budget.stop_waiting(&prod, 1));
        assert_eq!(
            budget.try_reserve(&prod, 0, &ids(&["a1"]), &BTreeSet::new()),
            Ok(false)
        );
        // No cap, no queue.
        let dev = ClusterName::from("dev");
        budget.wait(&dev, 5, 100);
        assert!(!budget.stop_waiting(&dev, 5));
    }

    #[test]
    fn cluster_cap_holds_across_pools() {
        let prod = ClusterName::from("prod");
        let mut budget = ClusterBudget::new(BTreeMap::from([(prod.clone(), 5)]), Vec::new());
        budget
            .try_reserve(&prod, 1, &ids(&["a1", "a2", "a3"]), &BTreeSet::new())
            .expect("fits");
        // A second pool's batch of 3 would make 6.
        let shortfall =
            full(budget.try_reserve(&prod, 7, &ids(&["b1", "b2", "b3"]), &BTreeSet::new()));
        assert_eq!(shortfall.would_be_unavailable.len(), 6);
        assert_eq!(shortfall.others, ids(&["a1", "a2", "a3"]));
        // A batch of 2 fits, even when the API already shows a1 down.
        budget
            .try_reserve(&prod, 7, &ids(&["b1", "b2"]), &ids(&["a1"]))
            .expect("fits");
        assert_eq!(budget.reserved_count(&prod), 5);
        // Full while batches of the run hold the room: they will give it
        // back.
        assert!(matches!(
            budget.try_reserve(&prod, 9, &ids(&["c1"]), &BTreeSet::new()),
            Err(CapWait::Full {
                held_by_run: true,
                ..
            })
        ));
        // A node down outside apply counts too.
        budget.release(&prod, 1);
        let shortfall =
            full(budget.try_reserve(&prod, 9, &ids(&["c1", "c2"]), &ids(&["x1", "x2"])));
        assert_eq!(shortfall.others, ids(&["b1", "b2", "x1", "x2"]));
        budget
            .try_reserve(&prod, 9, &ids(&["c1"]), &ids(&["x1", "x2"]))
            .expect("fits");
    }

    #[test]
    fn clusters_without_cap_are_unlimited() {
        let dev = ClusterName::from("dev");
        let mut budget = ClusterBudget::default();
        assert_eq!(budget.cap(&dev), None);
        let many: BTreeSet<NodeId> = (0..50).map(|i| NodeId(format!("n{i}"))).collect();
        budget
            .try_reserve(&dev, 0, &many, &BTreeSet::new())
            .expect("no cap");
    }
}
