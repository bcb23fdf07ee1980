//! Simulated time: how long things take, the timestamps CCE shows, and the
//! index of scheduled events that [`SimState::advance_to`] replays in order,
//! each at its own simulated instant.

use std::collections::{BTreeSet, VecDeque};

use crate::sim::Faults;

use super::world::SimState;

/// Simulated time 0 is 2026-01-01T00:00:00Z, so that seeded states render
/// the same timestamps on every run.
const EPOCH_UNIX_SECONDS: i64 = 1_767_225_600;

/// How long things take, in simulated seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Timing {
    /// Node creation, Build then Installing (half each).
    pub create: f64,
    /// A node reset.
    pub reset: f64,
    /// A node deletion.
    pub delete: f64,
    /// A sync job stays `Initializing` this long.
    pub job_start: f64,
}

/// A timestamp in the form CCE uses (Go's `time.String()`).
pub(crate) fn timestamp(now: f64) -> String {
    let nanos = (now.max(0.0) * 1e9) as i64;
    let at = chrono::DateTime::from_timestamp(EPOCH_UNIX_SECONDS, 0)
        .unwrap_or_default()
        .checked_add_signed(chrono::Duration::nanoseconds(nanos))
        .unwrap_or_default();
    at.format("%Y-%m-%d %H:%M:%S%.9f +0000 UTC").to_string()
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    Node {
        cluster: String,
        pool: String,
        node: String,
    },
    JobStart {
        job: String,
    },
}

/// An index of the node steps and job starts that may be due: every time a
/// node's `progress.next_at` or a job's `start_at` is set, an entry goes in.
/// Entries are not removed when a node or job changes otherwise; they are
/// checked against the state when they come due, and dropped if stale.
#[derive(Debug, Clone, Default)]
pub(super) struct PendingEvents {
    /// False after a load or a `Default`: the index is then rebuilt from the
    /// state before it is first used.
    pub(super) built: bool,
    entries: BTreeSet<(EventTime, Event)>,
}

/// A derived index is never part of a state's identity.
impl PartialEq for PendingEvents {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// A simulated instant, totally ordered so that it can key the index (the
/// clock never holds NaN; `schedule` keeps NaN out of the index).
#[derive(Debug, Clone, Copy)]
struct EventTime(f64);

impl PartialEq for EventTime {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for EventTime {}

impl PartialOrd for EventTime {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for EventTime {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

impl SimState {
    /// Moves the clock to `target`, applying every event due on the way at
    /// its own instant, in order.
    pub(crate) fn advance_to(&mut self, target: f64, timing: &Timing, faults: &Faults) -> bool {
        let mut touched = BTreeSet::new();
        while let Some((at, event)) = self.next_event(target) {
            self.now = self.now.max(at);
            match event {
                Event::Node {
                    cluster,
                    pool,
                    node,
                } => {
                    self.step_node(&cluster, &pool, &node, timing, faults);
                    touched.insert(cluster);
                }
                Event::JobStart { job } => {
                    self.start_job(&job, timing, faults);
                    if let Some(job) = self.jobs.get(&job) {
                        touched.insert(job.cluster_id.clone());
                    }
                }
            }
        }
        self.now = self.now.max(target);
        for cluster in &touched {
            self.refresh(cluster);
        }
        !touched.is_empty()
    }

    /// The earliest event due no later than `limit`. Of several at the same
    /// instant, node steps come first, in the order of clusters, pools and
    /// nodes; then job starts in id order.
    fn next_event(&mut self, limit: f64) -> Option<(f64, Event)> {
        self.build_pending();
        loop {
            let (at, _) = self.pending.entries.first()?;
            if at.0 > limit {
                return None;
            }
            let at = *at;
            let mut due = Vec::new();
            while let Some(entry) = self.pending.entries.first()
                && entry.0 == at
            {
                if let Some((_, event)) = self.pending.entries.pop_first() {
                    due.push(event);
                }
            }
            // Node steps come before job starts at the same instant: a node
            // that finishes frees its place before the next one takes it.
            // `Event`'s order puts them first; among nodes, the order a scan
            // of the world meets them in decides.
            let mut valid: Vec<((&str, usize, usize), Event)> = Vec::new();
            for event in due {
                if let Some(position) = self.event_position(at.0, &event) {
                    valid.push((position, event));
                }
            }
            valid.sort_by(|(a, left), (b, right)| match (left, right) {
                (Event::Node { .. }, Event::Node { .. }) => a.cmp(b),
                _ => left.cmp(right),
            });
            let mut valid: VecDeque<Event> = valid.into_iter().map(|(_, event)| event).collect();
            let Some(first) = valid.pop_front() else {
                continue;
            };
            self.pending
                .entries
                .extend(valid.into_iter().map(|event| (at, event)));
            return Some((at.0, first));
        }
    }

    /// Where a pending event is in the world, if it is still due at `at`:
    /// (cluster, pool index, node index) for a node step.
    fn event_position(&self, at: f64, event: &Event) -> Option<(&str, usize, usize)> {
        match event {
            Event::Node {
                cluster,
                pool,
                node,
            } => {
                let (cluster_id, state) = self.clusters.get_key_value(cluster)?;
                let pool_index = state.pools.iter().position(|p| p.uid() == pool)?;
                let nodes = &state.pools[pool_index].nodes;
                let node_index = nodes.iter().position(|n| n.uid() == node)?;
                let next_at = nodes[node_index].progress.as_ref()?.next_at?;
                (next_at == at).then_some((cluster_id.as_str(), pool_index, node_index))
            }
            Event::JobStart { job } => (self.jobs.get(job)?.start_at? == at).then_some(("", 0, 0)),
        }
    }

    /// Fills the event index from the state, once after a load.
    fn build_pending(&mut self) {
        if self.pending.built {
            return;
        }
        let mut events = Vec::new();
        for (cluster_id, cluster) in &self.clusters {
            for pool in &cluster.pools {
                for node in &pool.nodes {
                    let Some(at) = node.progress.as_ref().and_then(|p| p.next_at) else {
                        continue;
                    };
                    events.push((
                        at,
                        Event::Node {
                            cluster: cluster_id.clone(),
                            pool: pool.uid().to_owned(),
                            node: node.uid().to_owned(),
                        },
                    ));
                }
            }
        }
        for job in self.jobs.values() {
            if let Some(at) = job.start_at {
                events.push((
                    at,
                    Event::JobStart {
                        job: job.uid.clone(),
                    },
                ));
            }
        }
        for (at, event) in events {
            self.schedule(Some(at), event);
        }
        self.pending.built = true;
    }

    /// Notes an event set for `at`; must follow every assignment of a node's
    /// `progress.next_at` or a job's `start_at`.
    fn schedule(&mut self, at: Option<f64>, event: Event) {
        // A NaN instant is never `<=` the clock, so it never came due.
        if let Some(at) = at.filter(|at| !at.is_nan()) {
            self.pending.entries.insert((EventTime(at), event));
        }
    }

    /// [`Self::schedule`] for a node step.
    pub(super) fn schedule_node(&mut self, at: Option<f64>, cluster: &str, pool: &str, node: &str) {
        self.schedule(
            at,
            Event::Node {
                cluster: cluster.to_owned(),
                pool: pool.to_owned(),
                node: node.to_owned(),
            },
        );
    }

    /// [`Self::schedule`] for a job start.
    pub(super) fn schedule_job(&mut self, at: Option<f64>, job: &str) {
        self.schedule(
            at,
            Event::JobStart {
                job: job.to_owned(),
            },
        );
    }
}
