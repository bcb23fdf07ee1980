//! Apply: carries out a [`Plan`](crate::plan::Plan) against the CCE API.
//!
//! The executor walks the plan's steps in dependency order, several pools at
//! once (bounded per cluster by [`ApplyOptions::cluster_parallelism`], and in
//! all by [`ApplyOptions::parallelism`]) but never more nodes down
//! than a pool's budget or its cluster's cap allows, counting nodes that
//! became unavailable outside poolform. It makes no decision the plan did not
//! already make: it only re-reads the live state before each batch to check
//! that the batch is still needed and safe, and skips nodes that are already
//! up to date (so a run after an interruption never resets a node twice).
//!
//! It never prints. Progress goes out as [`Event`]s through an [`EventSink`];
//! the outcome comes back as an [`ApplyReport`]. A [`CancelToken`] stops it in
//! two stages: gracefully (finish the batches in flight, start nothing new),
//! then at once.

mod cancel;
mod context;
mod error;
mod events;
mod executor;
mod options;
mod poll;
mod report;
mod schedule;
mod stale;
mod steps;

pub use cancel::{CancelLevel, CancelToken};
pub use error::{
    ApplyError, BudgetScope, InconsistentStep, InvalidOrder, MutatingRequest, PasswordProblem,
    StepError, WaitingFor,
};
pub use events::{
    Event, EventSink, InFlight, NoEvents, NodeLabel, SkipReason, StepInfo, step_info,
};
pub use executor::apply;
pub(crate) use options::deadline_after;
pub use options::{ApplyOptions, DEFAULT_CLUSTER_PARALLELISM};
pub use report::{ApplyReport, CompletedStep, FailedStep, Interruption, SkippedStep};
pub use stale::stale_objects;
