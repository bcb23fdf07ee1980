//! Failures of the simulator itself.

use std::net::SocketAddr;
use std::path::PathBuf;

/// A failure of the simulator itself.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A state file could not be read or written.
    #[error("cannot access the simulator state file {}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A state file is not a simulator state.
    #[error("{} is not a simulator state file", path.display())]
    StateFormat {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// A control request was refused (unknown pool or node, bad patch).
    #[error("the simulator refused the change: {message}")]
    Rejected {
        /// HTTP status the API would answer.
        status: u16,
        /// What is wrong.
        message: String,
    },
}
