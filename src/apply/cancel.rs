//! Stopping a running apply: the [`CancelToken`] and its [`CancelLevel`]s
//! (graceful: finish the batches in flight; immediate: stop at once).

use std::sync::Arc;

use serde::Serialize;
use tokio::sync::watch;

/// How far a stop request has gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelLevel {
    /// Keep going.
    None,
    /// Finish the batches in flight, start nothing new.
    Graceful,
    /// Stop at once.
    Immediate,
}

/// Asks a running apply to stop. Clones share the same state.
#[derive(Debug, Clone)]
pub struct CancelToken {
    level: Arc<watch::Sender<CancelLevel>>,
}

impl Default for CancelToken {
    fn default() -> Self {
        Self::new()
    }
}

impl CancelToken {
    /// A token that has not been triggered.
    pub fn new() -> Self {
        Self {
            level: Arc::new(watch::Sender::new(CancelLevel::None)),
        }
    }

    /// The current level.
    pub fn level(&self) -> CancelLevel {
        *self.level.borrow()
    }

    /// Raises the level to at least `level` (it never goes down).
    pub fn cancel(&self, level: CancelLevel) {
        self.level.send_if_modified(|current| {
            if level > *current {
                *current = level;
                true
            } else {
                false
            }
        });
    }

    /// The level one step further than the current one.
    pub fn next_level(&self) -> CancelLevel {
        match self.level() {
            CancelLevel::None => CancelLevel::Graceful,
            CancelLevel::Graceful | CancelLevel::Immediate => CancelLevel::Immediate,
        }
    }

    /// Goes one level further (what a repeated Ctrl-C does); returns the new level.
    pub fn escalate(&self) -> CancelLevel {
        let next = self.next_level();
        self.cancel(next);
        next
    }

    /// Waits until the level is at least `level`.
    pub async fn reached(&self, level: CancelLevel) {
        let mut receiver = self.level.subscribe();
        // The sender lives as long as `self`, so the channel cannot close
        // while we wait; if it somehow did, treat that as the level reached.
        let _ = receiver.wait_for(|current| *current >= level).await;
    }
}
