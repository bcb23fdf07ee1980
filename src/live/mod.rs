//! Talking to CCE: wire types, conversions to the model, request signing, the
//! HTTP client implementing [`crate::api::CceApi`], and `fetch`. The only
//! module that speaks HTTP to the cloud, and the only one that knows the
//! wire format.

pub mod auth;
// body, convert and request know the wire format too, and are public for
// the same tests and the benchmark only.
#[doc(hidden)]
pub mod body;
mod cce_api;
pub mod client;
#[doc(hidden)]
pub mod convert;
mod error;
pub mod fetch;
pub mod fleet;
pub mod limit;
pub mod pace;
#[doc(hidden)]
pub mod request;
pub mod salt;
// The wire types are the client's alone; they are public only so that the
// integration tests (the contract, client, simulator, drift, plan and apply
// tests) can build and read raw CCE bodies. Not part of the library's
// surface.
#[doc(hidden)]
pub mod wire;

pub use crate::api::{
    AuthProblem, CceApi, DecodeProblem, EndpointRefusal, LiveError, Service, UnknownOutcome,
};
pub use auth::Credentials;
pub use client::{CceClient, ClientOptions, RetryPolicy};
pub use fetch::{fetch, fetch_pool_nodes};
pub use fleet::FleetClient;
