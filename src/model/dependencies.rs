//! The `depends_on` rule, written once: every pool named exists, and the
//! edges form no cycle. The config layer reports what breaks it as spanned
//! diagnostics; the plan orders its steps with [`Desired::dependency_order`]
//! and, for a `Desired` that never went through the config layer (built by
//! hand in a library caller or a test), reports the same problems with the
//! same codes.

use std::collections::{BTreeMap, BTreeSet};

use super::{Desired, PoolAddress};

/// The code of a `depends_on` entry that names no pool.
pub const UNKNOWN_DEPENDENCY_CODE: &str = "poolform::config::unknown_dependency";
/// The code of `depends_on` edges that form a cycle.
pub const DEPENDENCY_CYCLE_CODE: &str = "poolform::config::dependency_cycle";

/// What breaks the `depends_on` rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DependencyProblem {
    /// A pool names a pool that does not exist.
    #[error("pool `{address}` depends on `{dependency}`, which is not defined")]
    Unknown {
        /// The pool.
        address: PoolAddress,
        /// What it names.
        dependency: PoolAddress,
        /// Where in the pool's `depends_on` list.
        edge: usize,
    },
    /// The edges form a cycle.
    #[error("{}", cycle_message(members))]
    Cycle {
        /// The pools on the cycle, each depending on the next and the last
        /// on the first.
        members: Vec<PoolAddress>,
        /// For each member, where in its `depends_on` list the edge to the
        /// next member is; the last one closes the cycle.
        edges: Vec<usize>,
    },
}

fn cycle_message(members: &[PoolAddress]) -> String {
    match members {
        [only] => format!("pool `{only}` depends on itself"),
        _ => {
            let names: Vec<&str> = members
                .iter()
                .chain(members.first())
                .map(PoolAddress::as_str)
                .collect();
            format!("dependency cycle: {}", names.join(" → "))
        }
    }
}

impl DependencyProblem {
    /// The stable code, shared by the config diagnostic and the plan error.
    pub fn code_str(&self) -> &'static str {
        match self {
            Self::Unknown { .. } => UNKNOWN_DEPENDENCY_CODE,
            Self::Cycle { .. } => DEPENDENCY_CYCLE_CODE,
        }
    }

    /// What to do about it, when nothing better is known (the config layer
    /// suggests a close pool name instead, when it finds one).
    pub fn help_text(&self) -> &'static str {
        match self {
            Self::Unknown { .. } => {
                "depends_on lists pool addresses: the keys of [pools.ADDRESS] tables"
            }
            Self::Cycle { .. } => {
                "pools on a cycle can never start: remove one of these depends_on entries"
            }
        }
    }
}

impl miette::Diagnostic for DependencyProblem {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(self.code_str()))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(self.help_text()))
    }
}

/// The `depends_on` edges of some pools, by address.
#[derive(Debug, Clone)]
pub struct DependencyGraph<'a> {
    edges: BTreeMap<&'a PoolAddress, &'a [PoolAddress]>,
}

impl<'a> DependencyGraph<'a> {
    /// The graph of `pools`, each with the list it depends on.
    pub fn new(pools: impl IntoIterator<Item = (&'a PoolAddress, &'a [PoolAddress])>) -> Self {
        Self {
            edges: pools.into_iter().collect(),
        }
    }

    /// Everything that breaks the rule: unknown names in address and list
    /// order, then each cycle once (keyed by its set of pools), as a
    /// depth-first search in address order meets it.
    pub fn problems(&self) -> Vec<DependencyProblem> {
        let mut problems = Vec::new();
        for (address, dependencies) in &self.edges {
            for (edge, dependency) in dependencies.iter().enumerate() {
                if !self.edges.contains_key(dependency) {
                    problems.push(DependencyProblem::Unknown {
                        address: (*address).clone(),
                        dependency: dependency.clone(),
                        edge,
                    });
                }
            }
        }
        let mut reported: BTreeSet<BTreeSet<&PoolAddress>> = BTreeSet::new();
        let mut state: BTreeMap<&PoolAddress, Visit> = BTreeMap::new();
        for address in self.edges.keys() {
            self.visit(address, &mut state, &mut reported, &mut problems);
        }
        problems
    }

    /// Iterative depth-first search (a long chain of pools must not overflow
    /// the stack); `path` holds the pools being visited, each with the index
    /// of its next edge. A back edge closes a cycle.
    fn visit(
        &self,
        root: &'a PoolAddress,
        state: &mut BTreeMap<&'a PoolAddress, Visit>,
        reported: &mut BTreeSet<BTreeSet<&'a PoolAddress>>,
        problems: &mut Vec<DependencyProblem>,
    ) {
        if state.contains_key(root) {
            return;
        }
        state.insert(root, Visit::InProgress);
        let mut path: Vec<(&'a PoolAddress, usize)> = vec![(root, 0)];
        while let Some(&mut (address, ref mut next)) = path.last_mut() {
            let dependencies = self.edges.get(address).copied().unwrap_or_default();
            let Some(dependency) = dependencies.get(*next) else {
                state.insert(address, Visit::Done);
                path.pop();
                continue;
            };
            *next += 1;
            let Some((&target, _)) = self.edges.get_key_value(dependency) else {
                continue;
            };
            match state.get(target) {
                Some(Visit::InProgress) => {
                    let start = path
                        .iter()
                        .position(|(entry, _)| *entry == target)
                        .unwrap_or(0);
                    let on_cycle = &path[start..];
                    if !reported.insert(on_cycle.iter().map(|(member, _)| *member).collect()) {
                        continue;
                    }
                    problems.push(DependencyProblem::Cycle {
                        members: on_cycle
                            .iter()
                            .map(|(member, _)| (*member).clone())
                            .collect(),
                        // `next` has moved past each member's edge on the path.
                        edges: on_cycle.iter().map(|(_, next)| next - 1).collect(),
                    });
                }
                Some(Visit::Done) => {}
                None => {
                    state.insert(target, Visit::InProgress);
                    path.push((target, 0));
                }
            }
        }
    }

    /// The `selected` pools with every pool after the pools it depends on,
    /// ties broken by address; or, when the graph breaks the rule anywhere
    /// (even away from `selected`: the configuration itself is wrong), what
    /// breaks it.
    pub fn order(
        &self,
        selected: &BTreeSet<PoolAddress>,
    ) -> Result<Vec<PoolAddress>, Vec<DependencyProblem>> {
        let problems = self.problems();
        if !problems.is_empty() {
            return Err(problems);
        }
        // Kahn's algorithm, always taking the smallest ready address: the
        // same order as repeatedly picking the first selected pool whose
        // selected dependencies are done, in O(n log n) rather than O(n²).
        let mut waiting_on: BTreeMap<&PoolAddress, usize> = BTreeMap::new();
        let mut dependents: BTreeMap<&PoolAddress, Vec<&PoolAddress>> = BTreeMap::new();
        for address in selected {
            let dependencies: BTreeSet<&PoolAddress> = self
                .edges
                .get(address)
                .copied()
                .unwrap_or_default()
                .iter()
                .filter(|dependency| selected.contains(*dependency))
                .collect();
            waiting_on.insert(address, dependencies.len());
            for dependency in dependencies {
                dependents.entry(dependency).or_default().push(address);
            }
        }
        let mut ready: BTreeSet<&PoolAddress> = waiting_on
            .iter()
            .filter(|(_, count)| **count == 0)
            .map(|(address, _)| *address)
            .collect();
        let mut order = Vec::with_capacity(selected.len());
        while let Some(address) = ready.pop_first() {
            order.push(address.clone());
            for dependent in dependents.get(address).into_iter().flatten() {
                if let Some(count) = waiting_on.get_mut(dependent) {
                    *count -= 1;
                    if *count == 0 {
                        ready.insert(dependent);
                    }
                }
            }
        }
        Ok(order)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Visit {
    InProgress,
    Done,
}

impl Desired {
    /// The graph of every configured pool's `depends_on`.
    pub fn dependency_graph(&self) -> DependencyGraph<'_> {
        DependencyGraph::new(
            self.pools
                .iter()
                .map(|(address, pool)| (address, pool.rollout.depends_on.as_slice())),
        )
    }

    /// The `selected` pools in dependency order (see
    /// [`DependencyGraph::order`]).
    pub fn dependency_order(
        &self,
        selected: &BTreeSet<PoolAddress>,
    ) -> Result<Vec<PoolAddress>, Vec<DependencyProblem>> {
        self.dependency_graph().order(selected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph_of(edges: &[(&str, &[&str])]) -> Vec<(PoolAddress, Vec<PoolAddress>)> {
        edges
            .iter()
            .map(|(address, dependencies)| {
                (
                    PoolAddress::from(*address),
                    dependencies.iter().map(|d| PoolAddress::from(*d)).collect(),
                )
            })
            .collect()
    }

    fn problems(edges: &[(&str, &[&str])]) -> Vec<String> {
        let pools = graph_of(edges);
        DependencyGraph::new(pools.iter().map(|(a, d)| (a, d.as_slice())))
            .problems()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn unknown_names_and_each_cycle_once() {
        assert_eq!(
            problems(&[("a", &["b", "x"]), ("b", &["a"]), ("c", &["c"])]),
            [
                "pool `a` depends on `x`, which is not defined",
                "dependency cycle: a → b → a",
                "pool `c` depends on itself",
            ]
        );
        assert!(problems(&[("a", &["b"]), ("b", &[]), ("c", &["a", "b"])]).is_empty());
    }

    #[test]
    fn a_cycle_names_the_edge_of_each_member() {
        let pools = graph_of(&[("a", &["z", "b"]), ("b", &["c"]), ("c", &["q", "a"])]);
        let found = DependencyGraph::new(pools.iter().map(|(a, d)| (a, d.as_slice()))).problems();
        assert!(matches!(
            &found[..],
            [_, _, DependencyProblem::Cycle { members, edges }]
                if members.len() == 3 && edges == &[1, 0, 1]
        ));
    }

    #[test]
    fn order_puts_dependencies_first_and_breaks_ties_by_address() {
        let pools = graph_of(&[("a", &["c"]), ("b", &[]), ("c", &["b"]), ("d", &[])]);
        let graph = DependencyGraph::new(pools.iter().map(|(a, d)| (a, d.as_slice())));
        let all: BTreeSet<PoolAddress> = pools.iter().map(|(a, _)| a.clone()).collect();
        let order: Vec<String> = graph
            .order(&all)
            .expect("acyclic")
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(order, ["b", "c", "a", "d"]);
    }
}
