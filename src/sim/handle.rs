//! Starting the simulator, and the handle a test or the CLI keeps to read,
//! seed and steer it while it runs.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use super::server;
use super::{Faults, LoggedRequest, OutsideChange, SimConfig, SimError, SimState};

/// Starts the simulator on `config.listen` with `state`, in the current
/// tokio runtime.
pub async fn start(config: SimConfig, state: SimState) -> Result<SimHandle, SimError> {
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| SimError::Bind {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| SimError::Bind {
        addr: config.listen,
        source,
    })?;
    let shared = Arc::new(server::Shared::new(config, state));
    let (shutdown, on_shutdown) = tokio::sync::oneshot::channel::<()>();
    let app = server::router(Arc::clone(&shared));
    let server = tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = on_shutdown.await;
            })
            .await;
        if let Err(error) = served {
            tracing::warn!(%error, "simulator server stopped");
        }
    });
    let ticker = tokio::spawn(server::tick(Arc::clone(&shared)));
    Ok(SimHandle {
        addr,
        shared,
        shutdown: Some(shutdown),
        server: Some(server),
        ticker,
    })
}

/// A running simulator. Dropping it stops the server; [`SimHandle::shutdown`]
/// also waits for it and saves the state.
#[derive(Debug)]
pub struct SimHandle {
    addr: SocketAddr,
    shared: Arc<server::Shared>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    ticker: tokio::task::JoinHandle<()>,
}

impl SimHandle {
    /// The address the simulator listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, the endpoint to give a client.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The project id served.
    pub fn project_id(&self) -> &str {
        &self.shared.config.project_id
    }

    /// A snapshot of the state, the clock advanced to now.
    pub fn state(&self) -> SimState {
        self.shared.lock().state.clone()
    }

    /// Changes the state in place (seeding while running), the clock
    /// advanced to now first.
    pub fn update_state<T>(&self, change: impl FnOnce(&mut SimState) -> T) -> T {
        let mut inner = self.shared.lock();
        let result = change(&mut inner.state);
        let clusters: Vec<String> = inner.state.clusters.keys().cloned().collect();
        for cluster in clusters {
            inner.state.refresh(&cluster);
        }
        inner.dirty = true;
        result
    }

    /// The highest number of simultaneously unavailable nodes ever seen in
    /// a pool.
    pub fn peak_unavailable(&self, pool_id: &str) -> usize {
        self.shared.lock().state.peak_unavailable(pool_id)
    }

    /// The highest number of simultaneously unavailable nodes ever seen in
    /// a cluster.
    pub fn cluster_peak_unavailable(&self, cluster_id: &str) -> usize {
        self.shared
            .lock()
            .state
            .cluster_peak_unavailable(cluster_id)
    }

    /// How many API requests (control requests excluded) the simulator has
    /// received: benchmarks count round trips with it.
    pub fn requests_served(&self) -> u64 {
        self.shared
            .requests_served
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// How many API requests the gateway answered 429 because of
    /// [`Faults::rate_limit`].
    pub fn requests_rate_limited(&self) -> u64 {
        self.shared
            .requests_rate_limited
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The most API requests the simulator was working on at once since the
    /// last [`SimHandle::reset_in_flight_peak`] (or the start).
    pub fn in_flight_peak(&self) -> usize {
        self.shared
            .in_flight_peak
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Restarts the in-flight peak from what is in flight now.
    pub fn reset_in_flight_peak(&self) {
        let now = self
            .shared
            .in_flight
            .load(std::sync::atomic::Ordering::Relaxed);
        self.shared
            .in_flight_peak
            .store(now, std::sync::atomic::Ordering::Relaxed);
    }

    /// Forgets the recorded peaks; recording restarts from what is
    /// unavailable now.
    pub fn reset_peaks(&self) {
        let mut inner = self.shared.lock();
        inner.state.reset_peaks();
        inner.dirty = true;
    }

    /// The mutating requests received, in order.
    pub fn request_log(&self) -> Vec<LoggedRequest> {
        self.shared.lock().state.request_log.clone()
    }

    /// The current faults (deterministic knobs count down as they fire).
    pub fn faults(&self) -> Faults {
        self.shared.lock().faults.clone()
    }

    /// Replaces the faults and re-seeds the RNG.
    pub fn set_faults(&self, faults: Faults) {
        self.shared.set_faults(faults);
    }

    /// Applies a change made from outside poolform.
    pub fn outside_change(&self, change: &OutsideChange) -> Result<(), SimError> {
        self.shared.outside_change(change)
    }

    /// Moves the simulated clock forward by `by`, applying what happens.
    pub fn advance(&self, by: Duration) {
        self.shared.advance(by);
    }

    /// Stops the server, waits for it (at most a few seconds) and saves the
    /// state when a state file is configured.
    pub async fn shutdown(mut self) -> Result<(), SimError> {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(server) = self.server.take() {
            // Keep-alive connections of a client still alive elsewhere must
            // not hold the shutdown hostage.
            let _ = tokio::time::timeout(Duration::from_secs(5), server).await;
        }
        self.ticker.abort();
        self.shared.save_now().await
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(server) = self.server.take() {
            server.abort();
        }
        self.ticker.abort();
    }
}
