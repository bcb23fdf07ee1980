//! The signals that ask poolform to stop: SIGINT (Ctrl-C) and SIGTERM (how
//! CI cancels a job and service managers stop a process).
//!
//! Listening for a signal replaces its default action (die at once) for the
//! rest of the process, so a command listens only once it is ready to act on
//! it: `plan` and `apply` for SIGTERM from the start, `apply` for SIGINT once
//! it changes things (before that, Ctrl-C still ends it at once).

/// Receives one kind of stop signal. Where signals cannot be listened for,
/// it never receives any, and the signal keeps its default action.
#[derive(Debug)]
pub struct StopSignals {
    #[cfg(unix)]
    signal: Option<tokio::signal::unix::Signal>,
    /// Elsewhere only Ctrl-C is listened for.
    #[cfg(not(unix))]
    ctrl_c: bool,
}

impl StopSignals {
    /// Listens for SIGTERM. Must be called within a tokio runtime.
    pub fn terminate() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Self {
                signal: signal(SignalKind::terminate()).ok(),
            }
        }
        #[cfg(not(unix))]
        {
            Self { ctrl_c: false }
        }
    }

    /// Listens for SIGINT (Ctrl-C). Must be called within a tokio runtime.
    pub fn interrupt() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Self {
                signal: signal(SignalKind::interrupt()).ok(),
            }
        }
        #[cfg(not(unix))]
        {
            Self { ctrl_c: true }
        }
    }

    /// Waits for the next signal; never returns when not listening.
    pub async fn recv(&mut self) {
        #[cfg(unix)]
        if let Some(signal) = &mut self.signal
            && signal.recv().await.is_some()
        {
            return;
        }
        #[cfg(not(unix))]
        if self.ctrl_c && tokio::signal::ctrl_c().await.is_ok() {
            return;
        }
        // No listener (or the runtime is shutting down): nothing will come.
        std::future::pending::<()>().await;
    }
}
