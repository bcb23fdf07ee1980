//! When to read again while a sync batch runs.
//!
//! A fixed interval notices a finished batch half an interval late on
//! average and a whole one at worst, and a rollout pays that on every batch
//! of its critical path (a capped cluster, a `depends_on` chain: ten batches
//! in a row are ten times the lateness). Batches of one run take about as
//! long as each other, since CCE reinstalls nodes of the same flavours and
//! OS, so the run learns how long a batch takes ([`BatchDurations`]: the
//! shortest seen so far) and [`next_wait`] reads at the usual interval until
//! a fifth of an interval before that, then every fifth of an interval for
//! one interval past it, then at the usual interval again. Against the cloud
//! (5 s, resets of minutes) that is about five more reads per batch, and
//! each batch is noticed within a second rather than within five.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// How much finer the reads are around the expected end of a batch.
const FINE: u32 = 5;

/// How long batches of this run took, from the sync request to every node
/// being back: the shortest so far.
#[derive(Debug, Default)]
pub(crate) struct BatchDurations {
    shortest: Mutex<Option<Duration>>,
}

impl BatchDurations {
    /// Learns from a batch that took `took`.
    pub(crate) fn observe(&self, took: Duration) {
        let mut shortest = self.shortest.lock().unwrap_or_else(PoisonError::into_inner);
        *shortest = Some(shortest.map_or(took, |known| known.min(took)));
    }

    /// How long a batch is expected to take, once one has finished.
    pub(crate) fn expected(&self) -> Option<Duration> {
        *self.shortest.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The wait before the next read of a batch running for `elapsed`, reading
/// every `interval` by default, when batches are `expected` to take so long.
pub(crate) fn next_wait(
    interval: Duration,
    elapsed: Duration,
    expected: Option<Duration>,
) -> Duration {
    let Some(expected) = expected else {
        return interval;
    };
    let fine = interval / FINE;
    // Start a fine step early: an estimate that is a little long then
    // shrinks, since the batch is seen done at the first fine read.
    let first_fine = expected.saturating_sub(fine);
    if elapsed < first_fine {
        interval.min(first_fine - elapsed)
    } else if elapsed < expected.saturating_add(interval) {
        fine
    } else {
        interval
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INTERVAL: Duration = Duration::from_secs(5);

    fn secs(value: f64) -> Duration {
        Duration::from_secs_f64(value)
    }

    /// The instants of the reads of a batch that ends at `ends`, until the
    /// first read at or after it.
    fn reads(expected: Option<Duration>, ends: Duration) -> Vec<Duration> {
        let mut now = Duration::ZERO;
        let mut seen = vec![now];
        while now < ends {
            now += next_wait(INTERVAL, now, expected);
            seen.push(now);
        }
        seen
    }

    #[test]
    fn without_an_expectation_the_interval_is_fixed() {
        let seen = reads(None, secs(61.0));
        assert!(seen.windows(2).all(|pair| pair[1] - pair[0] == INTERVAL));
        assert_eq!(*seen.last().expect("reads"), secs(65.0));
    }

    #[test]
    fn an_expected_end_is_noticed_within_a_fine_step() {
        let seen = reads(Some(secs(61.0)), secs(61.0));
        let last = *seen.last().expect("reads");
        assert!(last >= secs(61.0) && last <= secs(62.0), "{seen:?}");
        // Before the expected end, no read closer together than the
        // interval but the one that lands a fine step early.
        let before: Vec<_> = seen.iter().filter(|at| **at < secs(60.0)).collect();
        assert!(before.len() <= 13, "{seen:?}");
    }

    #[test]
    fn a_batch_that_runs_long_falls_back_to_the_interval() {
        let seen = reads(Some(secs(30.0)), secs(120.0));
        let fine_reads = seen
            .windows(2)
            .filter(|pair| pair[1] - pair[0] < INTERVAL)
            .count();
        // The landing read, then one interval of fine reads.
        assert!(fine_reads <= 1 + FINE as usize + 1, "{seen:?}");
        let tail = &seen[seen.len() - 3..];
        assert!(tail.windows(2).all(|pair| pair[1] - pair[0] == INTERVAL));
    }

    #[test]
    fn the_shortest_batch_is_expected() {
        let durations = BatchDurations::default();
        assert_eq!(durations.expected(), None);
        durations.observe(secs(64.0));
        durations.observe(secs(61.0));
        durations.observe(secs(70.0));
        assert_eq!(durations.expected(), Some(secs(61.0)));
    }
}
