//! poolform: declarative plan/apply for Huawei Cloud CCE node pools.
//!
//! The pipeline: [`config`] reads the TOML files into a validated
//! [`model::Desired`]; [`live`] fetches the pools and nodes of every cluster
//! into a [`model::Live`] snapshot; [`diff`] compares the two and [`plan`]
//! turns the differences into a deterministic [`plan::Plan`] (pool changes,
//! node sync batches, a dependency graph, fingerprints of what was read);
//! [`render`] shows a plan as text, JSON or markdown; [`apply`] carries it out
//! against the API batch by batch. [`sim`] is a CCE simulator that speaks the
//! same HTTP API, used by tests, examples, benchmarks and the quickstart;
//! [`sign`] is the AK/SK request signer the client signs with and the
//! simulator verifies with, the one piece the two share.
//! [`import`] runs the other way: live pools the configuration does not
//! manage become configuration text.

pub mod api;
pub mod apply;
pub mod cli;
pub mod config;
pub mod diff;
pub mod import;
pub mod live;
pub mod model;
pub mod plan;
pub mod render;
pub mod sign;
pub mod sim;
