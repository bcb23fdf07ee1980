//! `rollout.depends_on` across all pools, worded for the configuration's
//! author: the rule itself (every name exists, no cycle) is
//! [`crate::model::DependencyGraph`]'s; this file puts each problem it finds
//! on the spans that caused it. A cycle is reported once, naming every pool
//! on it and pointing at the edge that closes it.

use std::collections::BTreeMap;

use super::diagnostic::Draft;
use super::walk::{PoolDraft, suggest};
use crate::model::{DependencyGraph, DependencyProblem, PoolAddress};

/// Returns a diagnostic per missing dependency and per cycle.
pub(crate) fn check_dependencies(pools: &[(PoolAddress, usize, &PoolDraft)]) -> Vec<Draft> {
    let known: BTreeMap<&PoolAddress, (usize, &PoolDraft)> = pools
        .iter()
        .map(|(address, file, pool)| (address, (*file, *pool)))
        .collect();
    let graph = DependencyGraph::new(
        known
            .iter()
            .map(|(address, (_, pool))| (*address, pool.pool.rollout.depends_on.as_slice())),
    );
    // The spans of `address`'s `depends_on` entries, in the model's order.
    let edge = |address: &PoolAddress, edge: usize| {
        let (file, pool) = known.get(address)?;
        let (_, span) = pool.depends_on.get(edge)?;
        Some((*file, span.clone()))
    };

    let mut drafts = Vec::new();
    for problem in graph.problems() {
        match &problem {
            DependencyProblem::Unknown {
                address,
                dependency,
                edge: index,
            } => {
                let Some((file, span)) = edge(address, *index) else {
                    continue;
                };
                let help = match suggest(
                    dependency.as_str(),
                    known.keys().map(|candidate| candidate.as_str()),
                ) {
                    Some(candidate) => format!("did you mean `{candidate}`?"),
                    None => problem.help_text().to_owned(),
                };
                drafts.push(
                    Draft::error(problem.code_str(), problem.to_string())
                        .at(file, span, "no such pool")
                        .help(help),
                );
            }
            DependencyProblem::Cycle { members, edges } => {
                let (Some(last), Some(closing)) = (members.last(), edges.last()) else {
                    continue;
                };
                let Some((file, span)) = edge(last, *closing) else {
                    continue;
                };
                let mut draft = Draft::error(problem.code_str(), problem.to_string())
                    .at(file, span, "this edge closes the cycle")
                    .help(problem.help_text());
                // Point at the cycle's other edges too: as labels in the same
                // file, as related notes in other files (a diagnostic shows
                // one file).
                for (window, index) in members.windows(2).zip(edges) {
                    let (from, to) = (&window[0], &window[1]);
                    let Some((from_file, span)) = edge(from, *index) else {
                        continue;
                    };
                    draft = if from_file == file {
                        draft.also(span, format!("{from} → {to}"))
                    } else {
                        draft.related(
                            Draft::note(problem.code_str(), format!("edge {from} → {to}")).at(
                                from_file,
                                span,
                                format!("{from} → {to}"),
                            ),
                        )
                    };
                }
                drafts.push(draft);
            }
        }
    }
    drafts
}
