//! How failed requests are retried: which answers and transport failures
//! are worth another attempt, what counts as throttling, and the backoff.

use std::time::Duration;

use crate::api::LiveError;

/// Error codes that mean "throttled" whatever the status: the API gateway's
/// and CCE's own.
pub const THROTTLING_CODES: &[&str] = &["APIG.0308", "CCE.01429002", "CCE.02429001"];

/// How failed requests are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total, the first included (1 = no retry).
    pub max_attempts: u32,
    /// Delay before the first retry; doubled for each further retry.
    pub base_delay: Duration,
    /// Upper bound of any computed delay. A `Retry-After` may ask for more,
    /// up to `throttle_window`.
    pub max_delay: Duration,
    /// How long throttling (429) is ridden out, whatever `max_attempts`
    /// says: the gateway counts requests per minute, so giving up sooner
    /// than a window fails work that a short wait would have let through.
    /// Zero means 429s count against `max_attempts` like any other failure.
    pub throttle_window: Duration,
}

impl Default for RetryPolicy {
    /// Five attempts, 0.5 s doubling up to 16 s; throttling is ridden out
    /// for 75 s, longer than the gateway's one-minute counting window.
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(16),
            throttle_window: Duration::from_secs(75),
        }
    }
}

impl RetryPolicy {
    /// The delay before retry number `retry` (1 for the first retry), with
    /// "equal jitter": half the exponential delay fixed, half scaled by
    /// `jitter` in `[0, 1]`. A `Retry-After` from the server raises the
    /// delay; `max_delay` caps everything.
    pub fn delay(&self, retry: u32, jitter: f64, retry_after: Option<Duration>) -> Duration {
        let factor = 2u32.saturating_pow(retry.saturating_sub(1));
        let exponential = self.base_delay.saturating_mul(factor).min(self.max_delay);
        let half = exponential / 2;
        let jittered = half + half.mul_f64(jitter.clamp(0.0, 1.0));
        let cap = self.retry_after_cap();
        match retry_after {
            Some(asked) => jittered.max(asked.min(cap)),
            None => jittered,
        }
    }

    /// The longest `Retry-After` honoured: a server asking for more is
    /// read again after this long, as for any other throttling, rather than
    /// holding every request to the endpoint past apply's own deadlines.
    pub fn retry_after_cap(&self) -> Duration {
        self.max_delay.max(self.throttle_window)
    }

    /// Whether to try again after `attempt` attempts, the last one failing
    /// with a retryable error; `throttled_for` is how long the calls have
    /// been answered 429 in a row (`None` when the last failure was not
    /// throttling), `next_delay` the wait before the next attempt.
    pub fn again(
        &self,
        attempt: u32,
        throttled_for: Option<Duration>,
        next_delay: Duration,
    ) -> bool {
        if attempt < self.max_attempts {
            return true;
        }
        throttled_for
            .is_some_and(|waited| waited.saturating_add(next_delay) <= self.throttle_window)
    }
}

/// What a transport failure means for retrying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportFailure {
    /// The connection could not be made: the request was never sent.
    Connect,
    /// No complete answer within the timeout.
    Timeout,
    /// The connection broke after the request may have been sent.
    Lost,
}

/// Whether an HTTP answer is worth retrying. 429 always (nothing was done);
/// 5xx only for reads, since a failed write may have been half carried out.
pub fn retry_status(is_read: bool, status: u16) -> bool {
    status == 429 || (is_read && (500..=599).contains(&status))
}

/// Whether a transport failure is worth retrying: always before the request
/// left, and for reads in any case. A write that timed out or lost its
/// connection is never retried (its outcome is unknown).
pub fn retry_transport(is_read: bool, failure: TransportFailure) -> bool {
    is_read || failure == TransportFailure::Connect
}

/// Whether an error is throttling: a 429, or one of [`THROTTLING_CODES`]
/// whatever the status.
pub fn is_throttling(error: &LiveError) -> bool {
    error.status() == Some(429)
        || error
            .code()
            .is_some_and(|code| THROTTLING_CODES.contains(&code))
}
