//! The simulator's HTTP layer (axum): routes, the gateway middleware
//! (request ids, latency, authentication, faults, the request log), the
//! control endpoints under `/_sim/`, and the background clock tick.

mod control;
mod gateway;
mod handlers;
mod iam;
mod responses;
mod routes;
mod shared;

pub(crate) use routes::router;
pub(crate) use shared::{Shared, tick};
