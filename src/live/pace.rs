//! [`SendRate`]: how fast one client sends requests to one endpoint, learnt
//! from throttling answers (a client-side token bucket whose fill rate is
//! learnt, as the AWS SDKs' "adaptive" retry mode has it, with CUBIC's
//! recovery).
//!
//! The adaptive concurrency limit ([`super::limit`]) bounds how many
//! requests are in flight, but an API gateway counts requests per unit of
//! time: 20 per second is 20 per second whether one or sixty-four are in
//! flight. So each client also paces its sends:
//!
//! - **Cold**, until the first throttling answer, nothing is paced: an
//!   endpoint that never throttles is read as fast as the concurrency limit
//!   allows. The first burst against a throttling gateway is therefore lost
//!   in part; there is no way to learn a quota without meeting it.
//! - **Closed**, from a throttling answer to a request sent while open: the
//!   gateway's quota is used up, and every request sent now would be
//!   refused too. Nothing is sent but one probe at a time, the first after
//!   the retry policy's base delay (or the server's `Retry-After`), each
//!   later one a quarter longer than the last, up to the policy's
//!   largest delay. Throttled requests wait here for their turn instead of
//!   each retrying on its own clock: a throttled server sees one request,
//!   not every retry.
//! - **Reopened** when a probe (or any request) succeeds. The client now
//!   knows how many requests the server took in the cycle that began at the
//!   last reopening (or the first request) and how long that cycle lasted,
//!   closed time included. That ratio is a rate the server sustained, so it
//!   is where pacing starts. The successes per second while the cycle was
//!   open are a rate the server refused to keep up; CUBIC treats it as the
//!   ceiling (`w_max`): the rate climbs quickly toward it, slowly near it,
//!   then faster again beyond it, until the next throttling.
//! - **Stepping aside**: once the rate has grown to twice that ceiling
//!   without a throttling answer, the quota has gone (or was never the
//!   limit) and the client is cold again, held only by the concurrency
//!   limit.
//!
//! - **Told**: API Gateway names the quota in its throttling answer
//!   (`APIG.0308`: "policy user over ratelimit, limit:20, time:1 minute";
//!   [`Quota::advertised_in`]). A client told its quota paces at a little
//!   under it ([`QUOTA_SHARE`]) instead of guessing, probes first when the
//!   quota's window renews, and does not grow past it. Throttled again while
//!   at that pace, it shares the quota with someone else, and paces at what
//!   the server sustained for it, growing back toward the quota.
//!
//! Nothing here knows any server's rate: every number comes from answers.
//! The state is plain data driven by explicit instants ([`PaceState`]), so
//! its learning is tested with a fake clock; [`SendRate`] adds the waiting.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

/// CUBIC's scaling constant, in requests per second per second cubed (RFC
/// 9438 and the AWS SDKs use 0.4).
const CUBIC_C: f64 = 0.4;
/// The slowest pace: one request every two seconds (the AWS SDKs' floor).
const MIN_RATE: f64 = 0.5;
/// How much longer each probe waits than the one before while the server
/// keeps refusing. Doubling (the usual backoff) can overshoot the moment
/// the quota renews by a whole wait, and the pace measured afterwards counts
/// that wait as time the server took nothing; a quarter longer each time
/// bounds the overshoot at a quarter of the time already waited, for a few
/// more probes over a long closing (a dozen in a minute).
const HOLD_GROWTH: f64 = 1.25;
/// The rate, as a multiple of the last throttled ceiling, at which pacing
/// steps aside.
const STEP_ASIDE: f64 = 2.0;

/// The share of a named quota a client paces at: a little under it, so that
/// jitter between sending and arriving never puts one request too many into
/// a window. A quota of fewer than 20 requests is paced at one request fewer
/// per window instead ([`Quota::pace`]).
pub const QUOTA_SHARE: f64 = 0.95;

/// A request quota as API Gateway states it when it throttles: `requests`
/// per `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Requests allowed per window.
    pub requests: u32,
    /// The window.
    pub per: Duration,
}

impl Quota {
    /// The quota named in a throttling message, as APIG words it: "The
    /// throttling threshold has been reached: policy user over ratelimit,
    /// limit:20, time:1 minute". `None` when the message names none (CCE's
    /// own throttling codes do not) or names one that makes no sense.
    pub fn advertised_in(message: &str) -> Option<Self> {
        let lower = message.to_ascii_lowercase();
        // The key as a word of its own: "limit:" in "ratelimit:5" is not it.
        let after = |key: &str| {
            lower
                .match_indices(key)
                .find(|(at, _)| {
                    !lower[..*at]
                        .chars()
                        .next_back()
                        .is_some_and(|c| c.is_ascii_alphanumeric())
                })
                .map(|(at, _)| lower[at + key.len()..].trim_start())
        };
        let requests: u32 = leading_digits(after("limit:")?).parse().ok()?;
        let time = after("time:")?;
        let digits = leading_digits(time);
        let count: u64 = digits.parse().ok()?;
        let unit: String = time[digits.len()..]
            .trim_start()
            .chars()
            .take_while(char::is_ascii_alphabetic)
            .collect();
        let unit_ms: u64 = match unit.as_str() {
            "ms" | "millisecond" | "milliseconds" => 1,
            "s" | "sec" | "second" | "seconds" => 1000,
            "min" | "minute" | "minutes" => 60_000,
            "h" | "hour" | "hours" => 3_600_000,
            "d" | "day" | "days" => 86_400_000,
            _ => return None,
        };
        let per = Duration::from_millis(count.checked_mul(unit_ms)?);
        (requests > 0 && !per.is_zero()).then_some(Self { requests, per })
    }

    /// How many requests a client sends in any window of this quota's
    /// length: [`QUOTA_SHARE`] of it, and at least one fewer (a request of
    /// room for jitter between sending and arriving), but at least one.
    pub fn per_window(&self) -> usize {
        let requests = self.requests as usize;
        let share = (f64::from(self.requests) * QUOTA_SHARE).floor() as usize;
        share.min(requests.saturating_sub(1)).max(1)
    }

    /// The pace a client keeps under this quota, in requests per second:
    /// [`Quota::per_window`] spread evenly over the window. No floor: a
    /// quota of 20 a minute is paced at 19 a minute.
    pub fn pace(&self) -> f64 {
        self.per_window() as f64 / self.per.as_secs_f64()
    }
}

fn leading_digits(text: &str) -> &str {
    let end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    &text[..end]
}

/// What became of a request, as far as the pace is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Answered without a sign of throttling.
    Success,
    /// Throttled; with the server's `Retry-After` and the quota the gateway
    /// named, if it gave them.
    Throttled {
        /// `Retry-After`.
        retry_after: Option<Duration>,
        /// The quota named in the answer ([`Quota::advertised_in`]).
        quota: Option<Quota>,
    },
    /// Anything else (an error, a timeout, an abandoned request): says
    /// nothing about the quota.
    Other,
}

impl Outcome {
    /// Throttled, with no quota named.
    pub fn throttled(retry_after: Option<Duration>) -> Self {
        Self::Throttled {
            retry_after,
            quota: None,
        }
    }
}

/// Leave to send one request, given by [`PaceState::try_send`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket {
    /// Which open or closed period the request was sent in.
    epoch: u64,
    /// Whether it is the one probe of a closed period.
    probe: bool,
}

/// Why a request may not be sent yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// Until this instant (or until the state changes).
    Until(Instant),
    /// Until the state changes: a probe is out.
    ForAnswer,
}

/// A closed period: the server is refusing.
#[derive(Debug, Clone, PartialEq)]
struct Closed {
    /// When the next probe may go.
    probe_at: Instant,
    /// The wait before the probe after that one.
    hold: Duration,
    /// Whether a probe is in flight.
    probing: bool,
    /// When the period began, and the open part of the cycle ended.
    since: Instant,
}

/// The pacing of one client: plain data, driven by explicit instants.
#[derive(Debug, Clone, PartialEq)]
pub struct PaceState {
    /// Requests per second; `None` while cold.
    rate: Option<f64>,
    /// The earliest instant the next paced request may go.
    next_send: Option<Instant>,
    /// The start of the current cycle: the first request, or the last
    /// reopening.
    cycle_start: Option<Instant>,
    /// Successes answered in the current cycle.
    cycle_successes: u64,
    /// Set while the server refuses.
    closed: Option<Closed>,
    /// Incremented at every closing and reopening; a throttling answer to a
    /// request sent in an earlier epoch belongs to a period already dealt
    /// with.
    epoch: u64,
    /// CUBIC: the ceiling, when growth began, and the time it takes to
    /// climb back to the ceiling (seconds).
    w_max: f64,
    growth_since: Option<Instant>,
    k: f64,
    /// The first wait of a closed period, and the longest.
    base_hold: Duration,
    max_hold: Duration,
    /// How far off a named quota's renewal may be for the first probe to
    /// wait for it.
    renewal_cap: Duration,
    /// Throttling answers, in all.
    throttled: u64,
    /// The quota the gateway named last, if it ever did, or the one
    /// remembered from an earlier run ([`PaceState::remember`]).
    quota: Option<Quota>,
    /// Whether `quota` was named by an answer to this client.
    told: bool,
    /// Whether the quota changed since the last reopening: a client paced
    /// at the old one was not sharing the new one.
    quota_changed: bool,
    /// While a quota is known: when the requests of the last window were
    /// sent, oldest first. No window holds more than
    /// [`Quota::per_window`] of them, however late senders wake.
    sent: VecDeque<Instant>,
    /// The first answer of the current cycle: a quota's window began
    /// before it, so it renews at most a window after it.
    first_answer: Option<Instant>,
}

impl PaceState {
    /// A cold pace whose probes wait `base_hold` at first and at most
    /// `max_hold` (the retry policy's delays).
    pub fn new(base_hold: Duration, max_hold: Duration) -> Self {
        let base_hold = base_hold.max(Duration::from_millis(1));
        Self {
            rate: None,
            next_send: None,
            cycle_start: None,
            cycle_successes: 0,
            closed: None,
            epoch: 0,
            w_max: 0.0,
            growth_since: None,
            k: 0.0,
            base_hold,
            max_hold: max_hold.max(base_hold),
            renewal_cap: max_hold.max(base_hold),
            throttled: 0,
            quota: None,
            told: false,
            quota_changed: false,
            sent: VecDeque::new(),
            first_answer: None,
        }
    }

    /// Lets the first probe of a closed period wait up to `cap` for a named
    /// quota's window to renew (by default, as long as the longest hold):
    /// a quota of a minute renews a minute after it was used up, and
    /// probing before that is only refused.
    pub fn with_renewal_cap(mut self, cap: Duration) -> Self {
        self.renewal_cap = cap.max(self.max_hold);
        self
    }

    /// Starts paced at a quota the gateway named to an earlier run, as if
    /// this client had been told it: just under it, from the first request,
    /// and never faster. A throttling answer that names another quota
    /// replaces it.
    pub fn remember(&mut self, quota: Quota) {
        let rate = quota.pace();
        self.quota = Some(quota);
        self.told = false;
        self.rate = Some(rate);
        self.w_max = rate;
        self.k = 0.0;
        self.growth_since = None;
    }

    /// The quota in force: named by the gateway, or remembered.
    pub fn quota(&self) -> Option<Quota> {
        self.quota
    }

    /// The quota the gateway named to this client, if it did (not one
    /// remembered from an earlier run): what is worth remembering.
    pub fn told_quota(&self) -> Option<Quota> {
        self.quota.filter(|_| self.told)
    }

    /// The paced rate in requests per second; `None` while unpaced.
    pub fn rate(&self) -> Option<f64> {
        self.rate
    }

    /// Whether the server is taken to be refusing now.
    pub fn is_closed(&self) -> bool {
        self.closed.is_some()
    }

    /// Throttling answers so far.
    pub fn throttled(&self) -> u64 {
        self.throttled
    }

    /// Leave to send a request now, or how long to wait.
    pub fn try_send(&mut self, now: Instant) -> Result<Ticket, Wait> {
        self.cycle_start.get_or_insert(now);
        if let Some(closed) = &mut self.closed {
            if closed.probing {
                return Err(Wait::ForAnswer);
            }
            if now < closed.probe_at {
                return Err(Wait::Until(closed.probe_at));
            }
            closed.probing = true;
            self.note_sent(now);
            return Ok(Ticket {
                epoch: self.epoch,
                probe: true,
            });
        }
        if let Some(quota) = self.quota {
            // Never more than the quota's share in any window, whatever
            // the schedule below forgives.
            while self
                .sent
                .front()
                .is_some_and(|at| now.saturating_duration_since(*at) >= quota.per)
            {
                self.sent.pop_front();
            }
            if self.sent.len() >= quota.per_window()
                && let Some(oldest) = self.sent.front()
            {
                return Err(Wait::Until(later(*oldest, quota.per)));
            }
        }
        if let Some(rate) = self.rate {
            let interval = interval_of(rate);
            let slot = match self.next_send {
                Some(next) if next > now => return Err(Wait::Until(next)),
                // A sender that comes late by less than an interval (a busy
                // runtime wakes timers late) keeps the schedule, or the
                // lateness would add up to a slower pace than the one set.
                Some(next) if now.saturating_duration_since(next) < interval => next,
                // No credit for idle time: a paced client never bursts.
                _ => now,
            };
            self.next_send = Some(later(slot, interval));
        }
        self.note_sent(now);
        Ok(Ticket {
            epoch: self.epoch,
            probe: false,
        })
    }

    /// Counts a send against the window of a known quota.
    fn note_sent(&mut self, now: Instant) {
        if self.quota.is_some() {
            self.sent.push_back(now);
        }
    }

    /// Learns from the answer to a request sent with `ticket`.
    pub fn record(&mut self, ticket: Ticket, now: Instant, outcome: Outcome) {
        if outcome != Outcome::Other {
            self.first_answer.get_or_insert(now);
        }
        match outcome {
            Outcome::Success => {
                if self.closed.is_some() {
                    self.reopen(now);
                } else {
                    self.cycle_successes += 1;
                    self.grow(now);
                }
            }
            Outcome::Throttled { retry_after, quota } => {
                self.throttled += 1;
                if quota.is_some() {
                    self.quota_changed |= quota != self.quota;
                    self.quota = quota;
                    self.told = true;
                }
                let hold_at_least = retry_after.unwrap_or_default();
                match &mut self.closed {
                    Some(closed) if ticket.probe && ticket.epoch == self.epoch => {
                        closed.probing = false;
                        closed.hold =
                            Duration::try_from_secs_f64(closed.hold.as_secs_f64() * HOLD_GROWTH)
                                .unwrap_or(self.max_hold)
                                .min(self.max_hold);
                        closed.probe_at = later(now, closed.hold.max(hold_at_least));
                    }
                    Some(closed) => {
                        // Sent before the closing; only a longer Retry-After
                        // is news.
                        closed.probe_at = closed.probe_at.max(later(now, hold_at_least));
                    }
                    None if ticket.epoch == self.epoch => self.close(now, hold_at_least),
                    // Sent before the last reopening, answered after it: the
                    // period it speaks of is over.
                    None => {}
                }
            }
            Outcome::Other => {
                if let Some(closed) = &mut self.closed
                    && ticket.probe
                    && ticket.epoch == self.epoch
                {
                    // A probe that failed otherwise tells nothing; the next
                    // request probes again.
                    closed.probing = false;
                }
            }
        }
    }

    fn close(&mut self, now: Instant, hold_at_least: Duration) {
        self.epoch += 1;
        let mut probe_at = later(now, self.base_hold.max(hold_at_least));
        if let (Some(quota), Some(first)) = (self.quota, self.first_answer) {
            // A named quota's window began before the cycle's first answer,
            // so it has renewed a window after it: the first probe goes
            // then, if that is still to come and not too far off.
            let renewed = later(first, quota.per);
            if renewed > now && renewed.duration_since(now) <= self.renewal_cap {
                probe_at = renewed.max(later(now, hold_at_least));
            }
        }
        self.closed = Some(Closed {
            probe_at,
            hold: self.base_hold,
            probing: false,
            since: now,
        });
    }

    fn reopen(&mut self, now: Instant) {
        let Some(closed) = self.closed.take() else {
            return;
        };
        let start = self.cycle_start.unwrap_or(closed.since);
        let cycle = now.saturating_duration_since(start).as_secs_f64();
        let open = closed.since.saturating_duration_since(start).as_secs_f64();
        let successes = self.cycle_successes as f64;
        // What the server sustained over the whole cycle, and what it took
        // while open and then refused to keep up.
        let sustained = if cycle > 0.0 {
            successes / cycle
        } else {
            MIN_RATE
        };
        let refused = if open > 0.0 {
            successes / open
        } else {
            sustained
        };
        let (ceiling, start_rate) = if let Some(quota) = self.quota {
            // Told the quota: pace just under it, unless already there when
            // throttled (the quota is shared), then at what the server
            // sustained, growing back toward it.
            let told = quota.pace();
            match self.rate {
                Some(rate) if !self.quota_changed && rate >= told * 0.999 => {
                    (told, sustained.min(told))
                }
                _ => (told, told),
            }
        } else {
            // A cold client's open part is its first burst, which shows how
            // many requests the server takes at once, not how many per
            // second: it has no ceiling yet, and probes convexly from what
            // it sustained.
            let ceiling = match self.rate {
                Some(rate) => refused.min(rate).max(sustained),
                None => sustained,
            };
            (ceiling, sustained.max(MIN_RATE))
        };
        self.w_max = ceiling.max(start_rate);
        self.k = ((self.w_max - start_rate) / CUBIC_C).cbrt();
        self.growth_since = Some(now);
        self.rate = Some(start_rate);
        self.next_send = Some(later(now, interval_of(start_rate)));
        self.cycle_start = Some(now);
        // The request that reopened is the new cycle's first success.
        self.cycle_successes = 1;
        self.first_answer = Some(now);
        self.quota_changed = false;
        self.epoch += 1;
    }

    fn grow(&mut self, now: Instant) {
        let (Some(rate), Some(since)) = (self.rate, self.growth_since) else {
            return;
        };
        let t = now.saturating_duration_since(since).as_secs_f64();
        let cubic = self.w_max + CUBIC_C * (t - self.k).powi(3);
        let grown = cubic.max(rate);
        if self.quota.is_some() {
            // Never past what the gateway said it allows.
            self.rate = Some(grown.min(self.w_max));
        } else if grown >= self.w_max * STEP_ASIDE {
            self.rate = None;
            self.next_send = None;
        } else {
            self.rate = Some(grown.max(MIN_RATE));
        }
    }
}

/// The pace of one client: [`PaceState`] behind a lock, and a way to wait
/// for leave to send.
#[derive(Debug)]
pub struct SendRate {
    state: Mutex<PaceState>,
    /// Signalled whenever the state changes in a way a waiter cares about.
    changed: Notify,
}

impl SendRate {
    /// A cold pace (see [`PaceState::new`]).
    pub fn new(base_hold: Duration, max_hold: Duration) -> Self {
        Self::from_state(PaceState::new(base_hold, max_hold))
    }

    /// A pace starting from `state`.
    pub fn from_state(state: PaceState) -> Self {
        Self {
            state: Mutex::new(state),
            changed: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, PaceState> {
        // A few numbers, consistent after any single update.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits for leave to send one request. The leave is given back with
    /// what the request taught ([`Leave::record`]), or as [`Outcome::Other`]
    /// when dropped unused (a request abandoned half-way must not leave a
    /// probe outstanding for ever).
    pub async fn acquire(&self) -> Leave<'_> {
        let ticket = self.ticket().await;
        Leave {
            pace: self,
            ticket,
            recorded: false,
        }
    }

    async fn ticket(&self) -> Ticket {
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            // Registered before the check, so a change between the check
            // and the wait still wakes this waiter.
            notified.as_mut().enable();
            let wait = match self.lock().try_send(Instant::now()) {
                Ok(ticket) => return ticket,
                Err(wait) => wait,
            };
            match wait {
                Wait::ForAnswer => notified.await,
                Wait::Until(at) => {
                    tokio::select! {
                        () = notified => {}
                        () = tokio::time::sleep_until(at.into()) => {}
                    }
                }
            }
        }
    }

    fn record(&self, ticket: Ticket, outcome: Outcome) {
        self.lock().record(ticket, Instant::now(), outcome);
        self.changed.notify_waiters();
    }

    /// See [`PaceState::remember`].
    pub fn remember(&self, quota: Quota) {
        self.lock().remember(quota);
        self.changed.notify_waiters();
    }

    /// A copy of the state, for progress and tests.
    pub fn snapshot(&self) -> PaceState {
        self.lock().clone()
    }
}

/// Leave to send one request, from [`SendRate::acquire`].
#[derive(Debug)]
pub struct Leave<'a> {
    pace: &'a SendRate,
    ticket: Ticket,
    recorded: bool,
}

impl Leave<'_> {
    /// Whether the leave still stands: nothing closed or reopened since it
    /// was given. A request that waited for something else after its leave
    /// (a slot of the concurrency limit) asks again if not, or a whole cold
    /// burst queued behind the limit would go out after the server said
    /// "too many", unpaced.
    pub fn is_current(&self) -> bool {
        self.pace.lock().epoch == self.ticket.epoch
    }

    /// Gives the leave back with what the request taught.
    pub fn record(mut self, outcome: Outcome) {
        self.recorded = true;
        self.pace.record(self.ticket, outcome);
    }
}

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        if !self.recorded {
            self.pace.record(self.ticket, Outcome::Other);
        }
    }
}

/// The time between two sends at `rate` requests per second, however small
/// the rate (a named quota may be tiny).
fn interval_of(rate: f64) -> Duration {
    Duration::try_from_secs_f64(1.0 / rate).unwrap_or(Duration::MAX)
}

/// `now` plus `wait`, or as far as an `Instant` goes: a `Retry-After` from
/// the network is not trusted not to overflow one.
fn later(now: Instant, wait: Duration) -> Instant {
    let mut wait = wait;
    loop {
        if let Some(at) = now.checked_add(wait) {
            return at;
        }
        wait /= 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(start: Instant, millis: u64) -> Instant {
        start + Duration::from_millis(millis)
    }

    fn pace() -> PaceState {
        PaceState::new(Duration::from_millis(500), Duration::from_secs(16))
    }

    /// A cold burst of 40 at `start`, answered at 50 ms: the gateway took 20
    /// and refused 20 with `refusal`.
    fn half_refused_burst(state: &mut PaceState, start: Instant, refusal: Outcome) {
        let tickets = send(state, start, 40);
        for ticket in &tickets[..20] {
            state.record(*ticket, at(start, 50), Outcome::Success);
        }
        for ticket in &tickets[20..] {
            state.record(*ticket, at(start, 50), refusal);
        }
    }

    /// Sends `count` requests at `now`; all must be let through.
    fn send(state: &mut PaceState, now: Instant, count: usize) -> Vec<Ticket> {
        (0..count)
            .map(|_| state.try_send(now).expect("let through"))
            .collect()
    }

    #[test]
    fn an_absurd_retry_after_neither_panics_nor_outlives_an_instant() {
        let start = Instant::now();
        let mut state = pace();
        let tickets = send(&mut state, start, 2);
        state.record(
            tickets[0],
            at(start, 50),
            Outcome::throttled(Some(Duration::MAX)),
        );
        state.record(
            tickets[1],
            at(start, 50),
            Outcome::throttled(Some(Duration::MAX)),
        );
        assert!(state.is_closed());
        assert!(state.try_send(at(start, 60)).is_err());
    }

    #[test]
    fn a_cold_client_is_not_paced() {
        let start = Instant::now();
        let mut state = pace();
        let tickets = send(&mut state, start, 100);
        for ticket in tickets {
            state.record(ticket, at(start, 50), Outcome::Success);
        }
        assert_eq!(state.rate(), None);
        assert!(send(&mut state, at(start, 60), 100).len() == 100);
    }

    #[test]
    fn one_burst_of_throttling_closes_once_and_one_probe_at_a_time_goes() {
        let start = Instant::now();
        let mut state = pace();
        let tickets = send(&mut state, start, 40);
        // The gateway took 20 and refused 20.
        for ticket in &tickets[..20] {
            state.record(*ticket, at(start, 50), Outcome::Success);
        }
        for ticket in &tickets[20..] {
            state.record(*ticket, at(start, 50), Outcome::throttled(None));
        }
        assert!(state.is_closed());
        assert_eq!(state.throttled(), 20);
        // Nothing goes before the base delay; then exactly one probe.
        assert_eq!(
            state.try_send(at(start, 100)),
            Err(Wait::Until(at(start, 550)))
        );
        let probe = state.try_send(at(start, 550)).expect("the probe");
        assert_eq!(state.try_send(at(start, 551)), Err(Wait::ForAnswer));
        // Refused again: the next probe waits a quarter longer.
        state.record(probe, at(start, 600), Outcome::throttled(None));
        assert_eq!(
            state.try_send(at(start, 601)),
            Err(Wait::Until(at(start, 1225)))
        );
    }

    #[test]
    fn reopening_paces_at_the_rate_the_server_sustained() {
        let start = Instant::now();
        let mut state = pace();
        half_refused_burst(&mut state, start, Outcome::throttled(None));
        let probe = state.try_send(at(start, 550)).expect("the probe");
        state.record(probe, at(start, 600), Outcome::throttled(None));
        let probe = state.try_send(at(start, 1225)).expect("the probe");
        state.record(probe, at(start, 2000), Outcome::Success);
        // 20 successes in a cycle of 2 s: 10 per second.
        let rate = state.rate().expect("paced");
        assert!((rate - 10.0).abs() < 1e-9, "{rate}");
        assert!(!state.is_closed());
        // Paced: one request per 100 ms, with no burst for time spent idle.
        assert_eq!(
            state.try_send(at(start, 2000)),
            Err(Wait::Until(at(start, 2100)))
        );
        send(&mut state, at(start, 2100), 1);
        assert_eq!(
            state.try_send(at(start, 2150)),
            Err(Wait::Until(at(start, 2200)))
        );
        send(&mut state, at(start, 5000), 1);
        assert!(state.try_send(at(start, 5000)).is_err());
    }

    #[test]
    fn a_throttling_answer_from_before_the_reopening_is_old_news() {
        let start = Instant::now();
        let mut state = pace();
        let tickets = send(&mut state, start, 3);
        state.record(tickets[0], at(start, 50), Outcome::Success);
        state.record(tickets[1], at(start, 50), Outcome::throttled(None));
        let probe = state.try_send(at(start, 550)).expect("the probe");
        state.record(probe, at(start, 600), Outcome::Success);
        assert!(!state.is_closed());
        // The third request was sent before the closing; its 429 arrives
        // late and does not close again.
        state.record(tickets[2], at(start, 610), Outcome::throttled(None));
        assert!(!state.is_closed());
    }

    #[test]
    fn retry_after_holds_every_request_that_long() {
        let start = Instant::now();
        let mut state = pace();
        let ticket = state.try_send(start).expect("cold");
        state.record(
            ticket,
            at(start, 50),
            Outcome::throttled(Some(Duration::from_secs(3))),
        );
        assert_eq!(
            state.try_send(at(start, 60)),
            Err(Wait::Until(at(start, 3050)))
        );
    }

    #[test]
    fn the_rate_recovers_after_throttling_and_then_steps_aside() {
        let start = Instant::now();
        let mut state = pace();
        // A cold cycle with 30 successes, then closed until 1.5 s: the
        // server sustained 20/s.
        let tickets = send(&mut state, start, 31);
        for ticket in &tickets[..30] {
            state.record(*ticket, at(start, 500), Outcome::Success);
        }
        state.record(tickets[30], at(start, 1000), Outcome::throttled(None));
        let probe = state.try_send(at(start, 1500)).expect("the probe");
        state.record(probe, at(start, 1500), Outcome::Success);
        let first = state.rate().expect("paced");
        assert!((first - 20.0).abs() < 1e-9, "{first}");
        // Successes, no throttling: the rate climbs, slowly at first, and
        // never falls.
        let mut seen = vec![first];
        let mut now = at(start, 1500);
        while let Some(rate) = state.rate() {
            now += Duration::from_millis(100);
            while state.try_send(now).is_ok() {}
            let ticket = Ticket {
                epoch: state.epoch,
                probe: false,
            };
            state.record(ticket, now, Outcome::Success);
            seen.push(rate);
            assert!(seen.len() < 1000, "never stepped aside: {seen:?}");
        }
        assert!(seen.windows(2).all(|pair| pair[1] >= pair[0]), "{seen:?}");
        let between =
            |low: f64, high: f64| seen.iter().filter(|r| (low..high).contains(*r)).count();
        assert!(between(20.0, 24.0) > between(36.0, 40.0), "{seen:?}");
        // Twice the sustained rate without a throttling answer: unpaced
        // again.
        assert_eq!(state.rate(), None);
        assert!(*seen.last().expect("some") < 40.0 + 1e-9);
    }

    #[test]
    fn a_paced_client_that_is_throttled_again_slows_down() {
        let start = Instant::now();
        let mut state = pace();
        let ticket = state.try_send(start).expect("cold");
        for _ in 0..20 {
            state.cycle_successes += 1;
        }
        state.record(ticket, at(start, 1000), Outcome::throttled(None));
        let probe = state.try_send(at(start, 1500)).expect("probe");
        state.record(probe, at(start, 1500), Outcome::Success);
        let before = state.rate().expect("paced");
        // Paced, throttled once more: it closes again, and reopens slower
        // than the rate it was throttled at.
        let mut now = at(start, 1500);
        let mut sent = 0;
        while sent < 40 {
            now += Duration::from_millis(10);
            if let Ok(ticket) = state.try_send(now) {
                sent += 1;
                state.record(ticket, now, Outcome::Success);
            }
        }
        let throttled_at = state.rate().expect("paced");
        assert!(throttled_at >= before);
        now += Duration::from_millis(10);
        let ticket = loop {
            if let Ok(ticket) = state.try_send(now) {
                break ticket;
            }
            now += Duration::from_millis(10);
        };
        state.record(ticket, now, Outcome::throttled(None));
        assert!(state.is_closed());
        now += Duration::from_millis(500);
        let probe = state.try_send(now).expect("probe");
        state.record(probe, now, Outcome::Success);
        let after = state.rate().expect("paced");
        assert!(after < throttled_at, "{after} vs {throttled_at}");
    }

    fn told(requests: u32, per_ms: u64) -> Outcome {
        Outcome::Throttled {
            retry_after: None,
            quota: Some(Quota {
                requests,
                per: Duration::from_millis(per_ms),
            }),
        }
    }

    #[test]
    fn the_gateway_s_words_name_the_quota() {
        let quota = |message: &str| Quota::advertised_in(message);
        assert_eq!(
            quota(
                "The throttling threshold has been reached: policy user over ratelimit, limit:20, time:1 minute"
            ),
            Some(Quota {
                requests: 20,
                per: Duration::from_secs(60)
            })
        );
        assert_eq!(
            quota("policy ip over ratelimit,limit:5,time:2 seconds"),
            Some(Quota {
                requests: 5,
                per: Duration::from_secs(2)
            })
        );
        assert_eq!(
            quota("LIMIT: 100, TIME: 1 Hour").map(|q| q.per),
            Some(Duration::from_secs(3600))
        );
        assert_eq!(
            quota("limit:20, time:250 milliseconds"),
            Some(Quota {
                requests: 20,
                per: Duration::from_millis(250)
            })
        );
        // Only the word "limit" names the limit.
        assert_eq!(
            quota("policy over ratelimit:99, limit:20, time:1 second").map(|q| q.requests),
            Some(20)
        );
        // No quota named, or one that makes no sense.
        for message in [
            "Resource locked by other requests",
            "The throttling threshold has been reached: policy user over ratelimit",
            "limit:20",
            "limit:0, time:1 second",
            "limit:20, time:0 seconds",
            "limit:20, time:1 fortnight",
            "limit:-3, time:1 second",
            "limit:99999999999, time:1 second",
            "limit:20, time:99999999999999999 days",
        ] {
            assert_eq!(quota(message), None, "{message}");
        }
    }

    #[test]
    fn a_client_told_its_quota_probes_when_it_renews_and_paces_just_under_it() {
        let start = Instant::now();
        let mut state = pace();
        half_refused_burst(&mut state, start, told(20, 1000));
        assert!(state.is_closed());
        assert_eq!(state.throttled(), 20);
        // The first probe goes when the window has surely renewed: a
        // window after the first answer (the window began before it), not
        // after the base delay.
        assert_eq!(
            state.try_send(at(start, 600)),
            Err(Wait::Until(at(start, 1050)))
        );
        let probe = state.try_send(at(start, 1050)).expect("the probe");
        state.record(probe, at(start, 1070), Outcome::Success);
        let rate = state.rate().expect("paced");
        assert!((rate - 20.0 * QUOTA_SHARE).abs() < 1e-9, "{rate}");
        // However long it goes unthrottled, it stays at that pace.
        let mut now = at(start, 1070);
        for _ in 0..600 {
            now += Duration::from_millis(100);
            if let Ok(ticket) = state.try_send(now) {
                state.record(ticket, now, Outcome::Success);
            }
        }
        let rate = state.rate().expect("still paced");
        assert!((rate - 20.0 * QUOTA_SHARE).abs() < 1e-9, "{rate}");
    }

    #[test]
    fn a_client_throttled_at_its_quota_shares_it_and_grows_back_no_further() {
        let start = Instant::now();
        let mut state = pace();
        let ticket = state.try_send(start).expect("cold");
        state.record(ticket, at(start, 10), told(10, 1000));
        let probe = state.try_send(at(start, 1020)).expect("the probe");
        state.record(probe, at(start, 1030), Outcome::Success);
        let told_rate = 9.0;
        assert_eq!(state.rate(), Some(told_rate));
        // At that pace, throttled again: someone else uses the quota too.
        let mut now = at(start, 1030);
        let mut sent = 0;
        while sent < 5 {
            now += Duration::from_millis(10);
            if let Ok(ticket) = state.try_send(now) {
                sent += 1;
                state.record(ticket, now, Outcome::Success);
            }
        }
        let ticket = loop {
            now += Duration::from_millis(10);
            if let Ok(ticket) = state.try_send(now) {
                break ticket;
            }
        };
        state.record(ticket, now, told(10, 1000));
        assert!(state.is_closed());
        now += Duration::from_secs(2);
        let probe = state.try_send(now).expect("the probe");
        state.record(probe, now, Outcome::Success);
        let shared = state.rate().expect("paced");
        assert!(shared < told_rate, "{shared}");
        // It grows back toward the quota, never past it, and stays paced.
        let mut seen = vec![shared];
        for _ in 0..3000 {
            now += Duration::from_millis(20);
            if let Ok(ticket) = state.try_send(now) {
                state.record(ticket, now, Outcome::Success);
            }
            seen.push(state.rate().expect("still paced"));
        }
        assert!(
            seen.iter().all(|rate| *rate <= told_rate + 1e-9),
            "{seen:?}"
        );
        assert!(
            (seen.last().copied().unwrap_or_default() - told_rate).abs() < 1e-9,
            "{seen:?}"
        );
    }

    #[test]
    fn lateness_under_an_interval_does_not_slow_the_pace_and_idleness_earns_no_burst() {
        let start = Instant::now();
        let mut state = pace();
        let ticket = state.try_send(start).expect("cold");
        state.record(ticket, at(start, 10), Outcome::throttled(None));
        let probe = state.try_send(at(start, 510)).expect("the probe");
        state.record(probe, at(start, 1000), Outcome::Success);
        let rate = state.rate().expect("paced");
        let interval = Duration::from_secs_f64(1.0 / rate);
        // Every sender wakes 30% of an interval late: over 100 sends the pace
        // still averages the rate.
        let mut due = state.next_send.expect("scheduled");
        let first = due;
        for _ in 0..100 {
            let now = due + interval.mul_f64(0.3);
            state.try_send(now).expect("due");
            due = state.next_send.expect("scheduled");
        }
        let took = due.duration_since(first);
        assert_eq!(took, interval * 100, "{took:?}");
        // Idle for many intervals: one request goes, the next waits a whole
        // interval.
        let later = due + interval * 10;
        state.try_send(later).expect("due");
        assert_eq!(state.try_send(later), Err(Wait::Until(later + interval)));
    }

    #[test]
    fn a_remembered_quota_paces_from_the_first_request_until_told_otherwise() {
        let start = Instant::now();
        let mut state = pace();
        let quota = Quota {
            requests: 10,
            per: Duration::from_secs(1),
        };
        state.remember(quota);
        assert_eq!(state.quota(), Some(quota));
        assert_eq!(state.told_quota(), None, "remembered, not told");
        let interval = Duration::from_secs_f64(1.0 / 9.0);
        state.try_send(start).expect("the first goes at once");
        assert_eq!(state.try_send(start), Err(Wait::Until(start + interval)));
        // Successes never take it past the quota.
        let mut now = start;
        let mut sent = 0;
        while sent < 200 {
            match state.try_send(now) {
                Ok(ticket) => {
                    state.record(ticket, now, Outcome::Success);
                    sent += 1;
                }
                Err(Wait::Until(at)) => now = at,
                Err(Wait::ForAnswer) => unreachable!("not closed"),
            }
        }
        // 200 sends at 9 a second.
        let took = now.duration_since(start).as_secs_f64();
        assert!((took - 199.0 / 9.0).abs() < 0.2, "{took}");
        // One fewer than 10 a window: 9 per second.
        assert_eq!(state.rate(), Some(9.0));
        // The gateway names a smaller quota: that one is in force, and told.
        let ticket = state.try_send(now + interval * 2).expect("due");
        state.record(ticket, now + interval * 2, told(5, 1000));
        assert_eq!(
            state.told_quota(),
            Some(Quota {
                requests: 5,
                per: Duration::from_secs(1)
            })
        );
        // Faster than the new quota, it was not sharing it: it reopens at
        // the new quota's pace, not at what it happened to get through.
        let probe = state
            .try_send(now + Duration::from_secs(30))
            .expect("probe");
        state.record(probe, now + Duration::from_secs(30), Outcome::Success);
        assert_eq!(state.rate(), Some(4.0));
    }

    #[test]
    fn a_quota_of_a_minute_is_waited_out_once_and_paced_below_it_without_a_floor() {
        let start = Instant::now();
        let mut state = pace().with_renewal_cap(Duration::from_secs(75));
        let tickets = send(&mut state, start, 30);
        for ticket in &tickets[..20] {
            state.record(*ticket, at(start, 50), Outcome::Success);
        }
        for ticket in &tickets[20..] {
            state.record(*ticket, at(start, 50), told(20, 60_000));
        }
        // One probe, when the minute has renewed, not a dozen refused ones
        // before.
        assert_eq!(
            state.try_send(at(start, 100)),
            Err(Wait::Until(at(start, 60_050)))
        );
        let probe = state.try_send(at(start, 60_050)).expect("the probe");
        state.record(probe, at(start, 60_100), Outcome::Success);
        // 19 a minute: under the 0.5/s floor of a learnt pace, as it must be.
        let rate = state.rate().expect("paced");
        assert!((rate - 19.0 / 60.0).abs() < 1e-9, "{rate}");
        // A quota whose renewal is further off than the cap probes on the
        // usual schedule instead.
        let mut state = pace().with_renewal_cap(Duration::from_secs(75));
        let ticket = state.try_send(start).expect("cold");
        state.record(ticket, at(start, 50), told(1000, 3_600_000));
        assert_eq!(
            state.try_send(at(start, 60)),
            Err(Wait::Until(at(start, 550)))
        );
    }

    #[test]
    fn the_pace_under_a_quota_leaves_a_request_of_room_in_every_window() {
        let pace_of = |requests, per_ms| {
            Quota {
                requests,
                per: Duration::from_millis(per_ms),
            }
            .pace()
        };
        assert!((pace_of(20, 1000) - 19.0).abs() < 1e-9);
        assert!((pace_of(100, 1000) - 95.0).abs() < 1e-9);
        assert!((pace_of(8, 400) - 17.5).abs() < 1e-9);
        // A quota of one leaves no room: one a window.
        assert!((pace_of(1, 1000) - 1.0).abs() < 1e-9);
        // Sent as fast as the pace allows, with senders late by up to what
        // the schedule forgives and more, no window of the quota's length
        // holds more than the quota's share.
        for (requests, per_ms) in [(8_u32, 400_u64), (20, 1000), (3, 100)] {
            let quota = Quota {
                requests,
                per: Duration::from_millis(per_ms),
            };
            let start = Instant::now();
            let mut state = pace();
            state.remember(quota);
            let interval = interval_of(quota.pace());
            let mut sent = Vec::new();
            let mut now = start;
            while sent.len() < 200 {
                match state.try_send(now) {
                    Ok(_) => {
                        sent.push(now);
                        // In turn on time, almost an interval late, and
                        // three intervals late.
                        now += match sent.len() % 3 {
                            0 => Duration::ZERO,
                            1 => interval.mul_f64(0.99),
                            _ => interval * 3,
                        };
                    }
                    Err(Wait::Until(at)) => now = at,
                    Err(Wait::ForAnswer) => unreachable!("not closed"),
                }
            }
            for (index, first) in sent.iter().enumerate() {
                let in_window = sent[index..]
                    .iter()
                    .take_while(|time| time.duration_since(*first) < quota.per)
                    .count();
                assert!(
                    in_window <= quota.per_window() && quota.per_window() < requests as usize,
                    "{in_window} sends in one window of a quota of {requests}"
                );
            }
        }
    }
}
