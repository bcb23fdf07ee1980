//! Checks of `rollout.depends_on` across all pools: every name exists, and
//! the edges form no cycle. A cycle is reported once, naming every pool on it
//! and pointing at the edge that closes it.

use std::collections::{BTreeMap, BTreeSet};

use super::codes;
use super::diagnostic::Draft;
use super::walk::{PoolDraft, suggest};
use crate::model::PoolAddress;

/// Returns a diagnostic per missing dependency and per cycle.
pub(crate) fn check_dependencies(pools: &[(PoolAddress, usize, &PoolDraft)]) -> Vec<Draft> {
    let mut drafts = Vec::new();
    let known: BTreeMap<&PoolAddress, (usize, &PoolDraft)> = pools
        .iter()
        .map(|(address, file, pool)| (address, (*file, *pool)))
        .collect();

    for (address, file, pool) in pools {
        for (dependency, span) in &pool.depends_on {
            if known.contains_key(dependency) {
                continue;
            }
            let help = match suggest(
                dependency.as_str(),
                known.keys().map(|candidate| candidate.as_str()),
            ) {
                Some(candidate) => format!("did you mean `{candidate}`?"),
                None => {
                    "depends_on lists pool addresses: the keys of [pools.ADDRESS] tables".to_owned()
                }
            };
            drafts.push(
                Draft::error(
                    codes::UNKNOWN_DEPENDENCY,
                    format!("pool `{address}` depends on `{dependency}`, which is not defined"),
                )
                .at(*file, span.clone(), "no such pool")
                .help(help),
            );
        }
    }

    // Depth-first search in address order; a back edge closes a cycle. Each
    // cycle is reported once, keyed by its set of pools.
    let mut reported: BTreeSet<BTreeSet<PoolAddress>> = BTreeSet::new();
    let mut state: BTreeMap<&PoolAddress, Visit> = BTreeMap::new();
    for (address, _, _) in pools {
        visit(address, &known, &mut state, &mut reported, &mut drafts);
    }
    drafts
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Visit {
    InProgress,
    Done,
}

/// Iterative depth-first search (a long chain of pools must not overflow
/// the stack); `path` holds the pools being visited, each with the index of
/// its next edge.
fn visit<'a>(
    root: &'a PoolAddress,
    known: &BTreeMap<&'a PoolAddress, (usize, &'a PoolDraft)>,
    state: &mut BTreeMap<&'a PoolAddress, Visit>,
    reported: &mut BTreeSet<BTreeSet<PoolAddress>>,
    drafts: &mut Vec<Draft>,
) {
    if state.contains_key(root) || !known.contains_key(root) {
        return;
    }
    state.insert(root, Visit::InProgress);
    let mut path: Vec<(&'a PoolAddress, usize)> = vec![(root, 0)];
    while let Some(&mut (address, ref mut next)) = path.last_mut() {
        let Some(&(file, pool)) = known.get(address) else {
            path.pop();
            continue;
        };
        let Some((dependency, span)) = pool.depends_on.get(*next) else {
            state.insert(address, Visit::Done);
            path.pop();
            continue;
        };
        *next += 1;
        let Some((&target, _)) = known.get_key_value(dependency) else {
            continue;
        };
        match state.get(target) {
            Some(Visit::InProgress) => {
                let stack: Vec<&PoolAddress> = path.iter().map(|(entry, _)| *entry).collect();

                let start = stack.iter().position(|entry| *entry == target).unwrap_or(0);
                let members: Vec<&PoolAddress> = stack[start..].to_vec();
                let set: BTreeSet<PoolAddress> =
                    members.iter().map(|member| (*member).clone()).collect();
                if !reported.insert(set) {
                    continue;
                }
                let mut names: Vec<String> =
                    members.iter().map(|member| member.to_string()).collect();
                names.push(target.to_string());
                let message = if members.len() == 1 {
                    format!("pool `{address}` depends on itself")
                } else {
                    format!("dependency cycle: {}", names.join(" → "))
                };
                let mut draft = Draft::error(codes::DEPENDENCY_CYCLE, message)
                    .at(file, span.clone(), "this edge closes the cycle")
                    .help(
                        "pools on a cycle can never start: remove one of these depends_on entries",
                    );
                // Point at the cycle's other edges too: as labels in the same file,
                // as related notes in other files (a diagnostic shows one file).
                for window in members.windows(2) {
                    let (from, to) = (window[0], window[1]);
                    let Some(&(from_file, from_pool)) = known.get(from) else {
                        continue;
                    };
                    let Some((_, edge)) = from_pool.depends_on.iter().find(|(dep, _)| dep == to)
                    else {
                        continue;
                    };
                    draft =
                        if from_file == file {
                            draft.also(edge.clone(), format!("{from} → {to}"))
                        } else {
                            draft.related(
                                Draft::note(codes::DEPENDENCY_CYCLE, format!("edge {from} → {to}"))
                                    .at(from_file, edge.clone(), format!("{from} → {to}")),
                            )
                        };
                }
                drafts.push(draft);
            }
            Some(Visit::Done) => {}
            None => {
                state.insert(target, Visit::InProgress);
                path.push((target, 0));
            }
        }
    }
}
