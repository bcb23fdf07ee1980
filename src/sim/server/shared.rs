//! What the server and the handle share: the world behind a lock whose
//! every taking advances the clock to now, the faults and their RNG, the
//! counters benchmarks read, and saving the state file.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::sim::state::{OutsideChange, SimState, Timing};
use crate::sim::{Faults, SimConfig, SimError};

/// What the server and the handle share.
pub(crate) struct Shared {
    pub config: SimConfig,
    pub(super) timing: Timing,
    inner: Mutex<Inner>,
    /// Every request received, control requests excluded: what benchmarks
    /// count as API round trips.
    pub requests_served: std::sync::atomic::AtomicU64,
    /// The generation of the snapshot last written to the state file. Held
    /// for the whole of each write, so that one write at a time touches the
    /// file and an older snapshot never lands over a newer one.
    written: Arc<Mutex<u64>>,
    /// Requests answered 429 by the gateway's rate limit.
    pub requests_rate_limited: std::sync::atomic::AtomicU64,
    /// API requests being served now, and the most at once.
    pub in_flight: std::sync::atomic::AtomicUsize,
    pub in_flight_peak: std::sync::atomic::AtomicUsize,
    /// The current rate-limit window: when it started and how many
    /// requests it let through.
    pub(super) rate_window: Mutex<Option<(Instant, u32)>>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

pub(crate) struct Inner {
    pub state: SimState,
    pub faults: Faults,
    pub(super) rng: StdRng,
    last_real: Instant,
    /// Tokens handed out by `POST /v3/auth/tokens`; kept in memory only, never
    /// in the state file.
    pub(super) issued_tokens: BTreeSet<String>,
    /// Changed since the last save.
    pub dirty: bool,
    /// Injected 429s so far, to alternate their body styles.
    pub(super) throttled: u64,
    /// Snapshots taken for saving so far; each one's generation.
    snapshots: u64,
}

impl Inner {
    /// Replaces the faults and re-seeds the RNG. Jobs held by
    /// `hold_jobs_after` start once the new set no longer holds them.
    pub fn set_faults(&mut self, faults: Faults, timing: &Timing) {
        self.rng = StdRng::seed_from_u64(faults.seed);
        if faults.hold_jobs_after.is_none() {
            self.state.release_held_jobs(timing);
        }
        self.faults = faults;
    }
}

fn seconds(duration: Duration) -> f64 {
    duration.as_secs_f64()
}

impl Shared {
    pub fn set_faults(&self, faults: Faults) {
        self.lock().set_faults(faults, &self.timing);
    }

    pub fn new(config: SimConfig, mut state: SimState) -> Self {
        let clusters: Vec<String> = state.clusters.keys().cloned().collect();
        for cluster in clusters {
            state.refresh(&cluster);
        }
        let timing = Timing {
            create: seconds(config.create_duration),
            reset: seconds(config.reset_duration),
            delete: seconds(config.delete_duration),
            job_start: seconds(config.job_start_delay),
        };
        let faults = config.faults.clone();
        Self {
            timing,
            inner: Mutex::new(Inner {
                state,
                rng: StdRng::seed_from_u64(faults.seed),
                faults,
                last_real: Instant::now(),
                issued_tokens: BTreeSet::new(),
                dirty: true,
                throttled: 0,
                snapshots: 0,
            }),
            requests_served: std::sync::atomic::AtomicU64::new(0),
            written: Arc::new(Mutex::new(0)),
            requests_rate_limited: std::sync::atomic::AtomicU64::new(0),
            in_flight: std::sync::atomic::AtomicUsize::new(0),
            in_flight_peak: std::sync::atomic::AtomicUsize::new(0),
            rate_window: Mutex::new(None),
            config,
        }
    }

    /// Locks the world with the clock advanced to now.
    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the state half
        // changed in a way worse than refusing to serve, so keep serving.
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let elapsed = now.duration_since(inner.last_real);
        inner.last_real = now;
        let target = inner.state.now + seconds(elapsed) * self.config.time_scale.max(0.0);
        let Inner { state, faults, .. } = &mut *inner;
        if state.advance_to(target, &self.timing, faults) {
            inner.dirty = true;
        }
        inner
    }

    pub fn advance(&self, by: Duration) {
        let mut inner = self.lock();
        let target = inner.state.now + seconds(by);
        let Inner { state, faults, .. } = &mut *inner;
        state.advance_to(target, &self.timing, faults);
        inner.dirty = true;
    }

    pub fn outside_change(&self, change: &OutsideChange) -> Result<(), SimError> {
        let mut inner = self.lock();
        let Inner { state, faults, .. } = &mut *inner;
        state
            .apply_outside_change(change, &self.timing, faults)
            .map_err(|e| SimError::Rejected {
                status: e.status,
                message: e.message,
            })?;
        inner.dirty = true;
        Ok(())
    }

    /// Saves the state if it changed since the last save.
    pub async fn save_if_dirty(&self) {
        if let Err(error) = self.save(false).await {
            tracing::warn!(error = %error, "cannot save the simulator state");
        }
    }

    /// Saves the state now.
    pub async fn save_now(&self) -> Result<(), SimError> {
        self.save(true).await
    }

    async fn save(&self, force: bool) -> Result<(), SimError> {
        let Some(path) = self.config.state_file.clone() else {
            return Ok(());
        };
        let (snapshot, generation) = {
            let mut inner = self.lock();
            if !inner.dirty && !force {
                return Ok(());
            }
            inner.dirty = false;
            inner.snapshots += 1;
            (inner.state.clone(), inner.snapshots)
        };
        // The write runs to its end even when this future is dropped (a
        // request whose client went away, the tick task stopped at
        // shutdown), so it takes its turn in the blocking task itself: two
        // writers of the same temporary file once made a rename fail with
        // "No such file or directory".
        let written = Arc::clone(&self.written);
        let write = move || {
            let mut last = written.lock().unwrap_or_else(|e| e.into_inner());
            if generation <= *last {
                return Ok(());
            }
            snapshot.save(path)?;
            *last = generation;
            Ok(())
        };
        match tokio::task::spawn_blocking(write).await {
            Ok(result) => result,
            Err(_) => Ok(()),
        }
    }
}

/// Advances the clock and saves the state every `config.tick` of real time,
/// so that a served state file follows the simulation without requests.
pub(crate) async fn tick(shared: Arc<Shared>) {
    let mut interval = tokio::time::interval(shared.config.tick.max(Duration::from_millis(1)));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        drop(shared.lock());
        shared.save_if_dirty().await;
    }
}
