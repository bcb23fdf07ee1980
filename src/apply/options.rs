//! How apply runs ([`ApplyOptions`]) and the arithmetic of its waits:
//! plan durations scaled to real time, deadlines that cannot overflow.

use std::time::{Duration, Instant};

/// Pools of one cluster worked on at once by default: Terraform's default
/// `-parallelism`, which is what a Terraform user's one-state-per-cluster
/// setup would do to a cluster. Clusters are separate failure domains, so
/// they proceed side by side; the node budgets (each pool's and the
/// cluster's `max_unavailable`) bound what is down at once in any case.
pub const DEFAULT_CLUSTER_PARALLELISM: u32 = 10;

/// How apply runs.
#[derive(Debug, Clone, PartialEq)]
pub struct ApplyOptions {
    /// How many steps (in practice: pools) may run at once in all.
    pub parallelism: usize,
    /// How many steps (pools) of one cluster may run at once.
    pub cluster_parallelism: usize,
    /// Stop starting anything at the first failure, not only the failed pool.
    pub fail_fast: bool,
    /// How often to re-read pools, nodes and jobs while waiting.
    pub poll_interval: Duration,
    /// Plan durations (soak, batch timeout) are divided by this. 1.0 against
    /// the cloud; tests against a sped-up simulator use more.
    pub time_scale: f64,
    /// How long a pool create, update or delete may take to settle.
    pub pool_timeout: Duration,
    /// How long a batch may wait for nodes outside it to become available
    /// again before it fails; `None` uses the batch's timeout. Waiting its
    /// turn under a cluster cap behind this run's own batches does not
    /// count: they give the room back as they end.
    pub budget_wait: Option<Duration>,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        Self {
            parallelism: usize::MAX,
            cluster_parallelism: DEFAULT_CLUSTER_PARALLELISM as usize,
            fail_fast: false,
            poll_interval: Duration::from_secs(5),
            time_scale: 1.0,
            pool_timeout: Duration::from_secs(30 * 60),
            budget_wait: None,
        }
    }
}

impl ApplyOptions {
    /// A plan duration in seconds, scaled to real time. A saved plan is
    /// read from a file and may hold any number, so a result too long for a
    /// `Duration` saturates rather than panics.
    pub(crate) fn scaled(&self, seconds: u64) -> Duration {
        let scale = if self.time_scale.is_finite() && self.time_scale > 0.0 {
            self.time_scale
        } else {
            1.0
        };
        Duration::try_from_secs_f64(seconds as f64 / scale).unwrap_or(Duration::MAX)
    }
}

/// The instant `wait` after `start`. A wait too long for the clock to
/// represent means "never" in practice, so the latest representable instant
/// (to within a factor of two) stands in for it rather than a panic.
pub(crate) fn deadline_after(start: Instant, wait: Duration) -> Instant {
    let mut wait = wait;
    loop {
        if let Some(deadline) = start.checked_add(wait) {
            return deadline;
        }
        // Halving reaches zero, which always fits, in at most 94 steps.
        wait /= 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaled_durations_saturate_instead_of_panicking() {
        let options = ApplyOptions::default();
        assert_eq!(options.scaled(90), Duration::from_secs(90));
        assert_eq!(options.scaled(u64::MAX), Duration::MAX);
        let tiny_scale = ApplyOptions {
            time_scale: f64::MIN_POSITIVE,
            ..ApplyOptions::default()
        };
        assert_eq!(tiny_scale.scaled(u64::MAX), Duration::MAX);
        assert_eq!(tiny_scale.scaled(0), Duration::ZERO);
        let fast = ApplyOptions {
            time_scale: 200.0,
            ..ApplyOptions::default()
        };
        assert_eq!(fast.scaled(60), Duration::from_millis(300));
    }

    #[test]
    fn deadlines_past_the_clock_saturate_instead_of_panicking() {
        let now = Instant::now();
        assert_eq!(
            deadline_after(now, Duration::from_secs(5)),
            now + Duration::from_secs(5)
        );
        // soak = "500000000000y" from a saved plan, batch_timeout =
        // "18446744073709551615s": both panicked as `now + duration`.
        let options = ApplyOptions::default();
        for wait in [
            options.scaled(500_000_000_000 * 31_557_600),
            options.scaled(u64::MAX),
            Duration::MAX,
        ] {
            let deadline = deadline_after(now, wait);
            assert!(
                deadline > now + Duration::from_secs(100 * 365 * 24 * 3600),
                "a deadline that far out never comes"
            );
        }
    }
}
