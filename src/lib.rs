//! poolform: declarative plan/apply for Huawei Cloud CCE node pools.
//!
//! The pipeline: [`config`] reads the TOML files into a validated
//! [`model::Desired`]; [`live`] fetches the pools and nodes of every cluster
//! into a [`model::Live`] snapshot; [`diff`] compares the two and [`plan`](mod@plan)
//! turns the differences into a deterministic [`plan::Plan`] (pool changes,
//! node sync batches, a dependency graph, fingerprints of what was read);
//! [`render`] shows a plan as text, JSON or markdown; [`apply`](mod@apply) carries it out
//! against the API batch by batch. [`sim`] is a CCE simulator that speaks the
//! same HTTP API, used by tests, examples, benchmarks and the quickstart;
//! [`sign`] is the AK/SK request signer the client signs with and the
//! simulator verifies with, the one piece the two share.
//! [`import`] runs the other way: live pools the configuration does not
//! manage become configuration text.
//!
//! The front door is three functions, [`load`], [`plan`](fn@plan) and [`apply`](fn@apply); the
//! command-line tool is built from the same pieces:
//!
//! ```no_run
//! use poolform::apply::{ApplyOptions, NoEvents};
//! use poolform::live::{CceClient, ClientOptions};
//!
//! # async fn roll_out() -> miette::Result<()> {
//! let desired = poolform::load("pools/")?;
//! let api = CceClient::new(ClientOptions::from_settings(&desired.cloud)?)?;
//! let plan = poolform::plan(&api, &desired, &[]).await?;
//! print!("{}", poolform::render::text(&plan, &Default::default()));
//! let report = poolform::apply(&api, &plan, &ApplyOptions::default(), &NoEvents).await?;
//! assert!(report.failed.is_empty());
//! # Ok(())
//! # }
//! ```

pub mod api;
pub mod apply;
/// The command-line tool's commands: the binary's, not part of the library.
#[doc(hidden)]
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

// The README's Rust examples compile as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExamples;

use std::path::Path;

pub use api::CceApi;

/// Reads and validates the configuration at `path`: a directory of `*.toml`
/// files or one file. Every problem is reported at once, each with its
/// file, span, stable code and help.
pub fn load(path: impl AsRef<Path>) -> Result<model::Desired, config::ConfigErrors> {
    config::load(path.as_ref())
}

/// Reads the live pools and nodes of every cluster of `desired` through
/// `api` and plans the changes, limited to `targets` (pool addresses) and
/// what they depend on when any are given. Pure apart from the reads: the
/// same configuration and live state give the same plan.
pub async fn plan<A: CceApi>(
    api: &A,
    desired: &model::Desired,
    targets: &[model::PoolAddress],
) -> Result<plan::Plan, PlanFailure> {
    let live = live::fetch(
        api,
        &desired.cluster_ids(),
        live::fetch::DEFAULT_CONCURRENCY,
    )
    .await
    .map_err(PlanFailure::Read)?;
    plan::build_plan(desired, &live, targets).map_err(PlanFailure::Plan)
}

/// Carries out `plan` through `api`: steps in dependency order, each sync
/// batch within its pool's budget and its cluster's cap, stopping a pool on
/// failure. Progress goes to `events`; the report says what was done, what
/// failed and what was skipped.
pub async fn apply<A: CceApi, S: apply::EventSink>(
    api: &A,
    plan: &plan::Plan,
    options: &apply::ApplyOptions,
    events: &S,
) -> Result<apply::ApplyReport, apply::ApplyError> {
    apply::apply(api, plan, options, events, &apply::CancelToken::default()).await
}

/// Why [`plan`](fn@plan) could not make a plan.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum PlanFailure {
    /// The live state could not be read.
    #[error("failed to read the live state")]
    #[diagnostic(code(poolform::plan::read))]
    Read(#[source] live::LiveError),
    /// The configuration and the live state cannot be planned together.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Plan(plan::PlanErrors),
}
