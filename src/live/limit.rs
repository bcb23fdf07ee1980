//! [`AdaptiveLimit`]: how many requests one client keeps in flight to one
//! endpoint, learnt from the answers (AIMD, as TCP's congestion window and
//! Netflix's concurrency-limits library do it).
//!
//! The limit starts generous ([`INITIAL_LIMIT`], or the user's cap if that is
//! lower) because a fleet read is a burst of independent round trips and the
//! API usually takes them all. Every answer that says "too much" (429, the
//! gateway's `APIG.0308`, CCE's `CCE.01429002` and `CCE.02429001`) or that
//! never came (a timeout) halves it; every success while the limit is in use
//! raises it by one, up to the cap. A throttled server therefore sees fewer
//! requests in flight, not the same number retried.
//!
//! Until the first of those signals the limit grows faster, by two per
//! success in use, so it triples every round trip (TCP's slow start, a
//! little steeper): a fleet read of a few hundred requests against an API
//! that takes them all then needs two round trips, not four. The first
//! throttling answer ends this for the life of the client.
//!
//! One congestion event answers many requests at once: when 64 requests are
//! in flight and the gateway's window is full, all 64 come back throttled.
//! Halving 64 times would leave a limit of 1 for a single event, so only
//! answers to requests sent since the last decrease can decrease the limit
//! again (TCP reduces its window once per round trip for the same reason).

use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;

/// The limit a client starts with when its cap allows it.
pub const INITIAL_LIMIT: usize = 64;

/// What became of a request, as far as the limit is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// Answered without a sign of overload.
    Success,
    /// The server said it is overloaded (throttling).
    Throttled,
    /// No answer within the timeout: the server or the path to it is slow.
    Timeout,
    /// Failed in a way that says nothing about load (4xx, connection
    /// refused): the limit stays as it is.
    Ignore,
}

/// What decides the limit. Kept apart from the waiting, so that it can be
/// tested without a runtime.
#[derive(Debug, Clone, PartialEq)]
pub struct LimitState {
    /// The current limit; fractional values round down, never below 1.
    limit: f64,
    /// The user's cap.
    max: usize,
    /// Requests in flight now.
    in_flight: usize,
    /// The most requests in flight at once since the last reset.
    high_water: usize,
    /// Incremented by every decrease; a request remembers the epoch it was
    /// sent in, and only requests of the current epoch may decrease again.
    epoch: u64,
    /// Answers counted as throttling, in all.
    throttled: u64,
}

/// What one success in use adds to the limit before the first decrease.
const SLOW_START_STEP: f64 = 2.0;
/// What it adds after.
const RECOVERY_STEP: f64 = 1.0;

impl LimitState {
    /// A state with the limit at [`INITIAL_LIMIT`], or `max` if lower.
    pub fn new(max: usize) -> Self {
        let max = max.max(1);
        Self {
            limit: INITIAL_LIMIT.min(max) as f64,
            max,
            in_flight: 0,
            high_water: 0,
            epoch: 0,
            throttled: 0,
        }
    }

    /// The current limit, at least 1.
    pub fn limit(&self) -> usize {
        (self.limit as usize).clamp(1, self.max)
    }

    /// Takes a slot if one is free: returns the epoch the request is sent
    /// in.
    pub fn try_acquire(&mut self) -> Option<u64> {
        if self.in_flight >= self.limit() {
            return None;
        }
        self.in_flight += 1;
        self.high_water = self.high_water.max(self.in_flight);
        Some(self.epoch)
    }

    /// Gives a slot back with what its request taught.
    pub fn release(&mut self, epoch: u64, signal: Signal) {
        // Counted before the release: the request that succeeded was itself
        // in flight, and a limit that is being used is one worth raising.
        let in_use = self.in_flight as f64 * 2.0 >= self.limit;
        self.in_flight = self.in_flight.saturating_sub(1);
        match signal {
            Signal::Success if in_use => {
                // Epoch 0 is the time before any decrease.
                let step = if self.epoch == 0 {
                    SLOW_START_STEP
                } else {
                    RECOVERY_STEP
                };
                self.limit = (self.limit + step).min(self.max as f64);
            }
            Signal::Throttled | Signal::Timeout => {
                if signal == Signal::Throttled {
                    self.throttled += 1;
                }
                if epoch == self.epoch {
                    self.epoch += 1;
                    self.limit = (self.limit / 2.0).max(1.0);
                }
            }
            Signal::Success | Signal::Ignore => {}
        }
    }
}

/// The adaptive limit of one client: [`LimitState`] behind a lock, and a
/// way to wait for a slot.
#[derive(Debug)]
pub struct AdaptiveLimit {
    state: Mutex<LimitState>,
    /// Signalled whenever a slot is freed or the limit changes.
    changed: Notify,
}

impl AdaptiveLimit {
    /// A limit capped at `max` requests in flight.
    pub fn new(max: usize) -> Self {
        Self {
            state: Mutex::new(LimitState::new(max)),
            changed: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, LimitState> {
        // The state is a few counters, consistent after any single update.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits for a slot. The slot is given back when the permit is
    /// released or dropped.
    pub async fn acquire(&self) -> Permit<'_> {
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            // Registered before the check, so a release between the check
            // and the wait still wakes this waiter.
            notified.as_mut().enable();
            if let Some(epoch) = self.lock().try_acquire() {
                return Permit {
                    limit: self,
                    epoch,
                    released: false,
                };
            }
            notified.await;
        }
    }

    /// The current limit.
    pub fn limit(&self) -> usize {
        self.lock().limit()
    }

    /// The user's cap.
    pub fn max(&self) -> usize {
        self.lock().max
    }

    /// The most requests that were in flight at once since the last
    /// [`AdaptiveLimit::reset_high_water`].
    pub fn high_water(&self) -> usize {
        self.lock().high_water
    }

    /// Starts a new high-water measurement from what is in flight now.
    pub fn reset_high_water(&self) {
        let mut state = self.lock();
        state.high_water = state.in_flight;
    }

    /// Answers counted as throttling so far.
    pub fn throttled(&self) -> u64 {
        self.lock().throttled
    }

    fn release(&self, epoch: u64, signal: Signal) {
        self.lock().release(epoch, signal);
        self.changed.notify_waiters();
    }
}

/// A slot of an [`AdaptiveLimit`].
#[derive(Debug)]
pub struct Permit<'a> {
    limit: &'a AdaptiveLimit,
    epoch: u64,
    released: bool,
}

impl Permit<'_> {
    /// Gives the slot back with what the request taught.
    pub fn release(mut self, signal: Signal) {
        self.released = true;
        self.limit.release(self.epoch, signal);
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        // A request abandoned half-way (its future dropped) teaches nothing.
        if !self.released {
            self.limit.release(self.epoch, Signal::Ignore);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_at_the_initial_limit_or_the_cap() {
        assert_eq!(LimitState::new(1000).limit(), INITIAL_LIMIT);
        assert_eq!(LimitState::new(8).limit(), 8);
        assert_eq!(LimitState::new(0).limit(), 1);
    }

    #[test]
    fn one_burst_of_throttling_halves_once() {
        let mut state = LimitState::new(64);
        let epochs: Vec<u64> = (0..64)
            .map(|_| state.try_acquire().expect("free"))
            .collect();
        assert_eq!(state.try_acquire(), None);
        for epoch in epochs {
            state.release(epoch, Signal::Throttled);
        }
        assert_eq!(state.limit(), 32);
        assert_eq!(state.throttled, 64);
        // A request sent after the decrease may decrease again.
        let epoch = state.try_acquire().expect("free");
        state.release(epoch, Signal::Timeout);
        assert_eq!(state.limit(), 16);
    }

    #[test]
    fn recovers_additively_while_in_use_up_to_the_cap() {
        let mut state = LimitState::new(10);
        for _ in 0..4 {
            let epoch = state.try_acquire().expect("free");
            state.release(epoch, Signal::Throttled);
        }
        assert_eq!(state.limit(), 1);
        let mut seen = vec![state.limit()];
        for _ in 0..30 {
            let epochs: Vec<u64> = std::iter::from_fn(|| state.try_acquire()).collect();
            for epoch in epochs {
                state.release(epoch, Signal::Success);
            }
            seen.push(state.limit());
        }
        // One more per success in use: the limit grows, never past the cap.
        assert!(seen.windows(2).all(|pair| pair[1] >= pair[0]), "{seen:?}");
        assert_eq!(state.limit(), 10);
        assert_eq!(state.high_water, 10);
    }

    #[test]
    fn grows_faster_until_the_first_throttling() {
        let mut state = LimitState::new(1024);
        let epochs: Vec<u64> = std::iter::from_fn(|| state.try_acquire()).collect();
        assert_eq!(epochs.len(), 64);
        // The first 17 answers come back while half the limit is in use
        // and add two each.
        for epoch in epochs {
            state.release(epoch, Signal::Success);
        }
        assert_eq!(state.limit(), 64 + 17 * 2);
        let epoch = state.try_acquire().expect("free");
        state.release(epoch, Signal::Throttled);
        assert_eq!(state.limit(), 49);
        // After a decrease, one per success in use.
        let epochs: Vec<u64> = std::iter::from_fn(|| state.try_acquire()).collect();
        for epoch in epochs {
            state.release(epoch, Signal::Success);
        }
        assert_eq!(state.limit(), 49 + 17);
    }

    #[test]
    fn an_idle_client_does_not_inflate_its_limit() {
        let mut state = LimitState::new(64);
        for _ in 0..3 {
            let epoch = state.try_acquire().expect("free");
            state.release(epoch, Signal::Throttled);
        }
        assert_eq!(state.limit(), 8);
        // One request at a time never uses half of 8.
        for _ in 0..100 {
            let epoch = state.try_acquire().expect("free");
            state.release(epoch, Signal::Success);
        }
        assert_eq!(state.limit(), 8);
    }

    #[test]
    fn other_failures_leave_the_limit_alone() {
        let mut state = LimitState::new(64);
        let epoch = state.try_acquire().expect("free");
        state.release(epoch, Signal::Ignore);
        assert_eq!(state.limit(), 64);
        assert_eq!(state.in_flight, 0);
    }
}
