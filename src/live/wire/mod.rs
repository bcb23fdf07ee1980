//! CCE v3 wire types: the responses poolform reads, one file per API
//! object (`pool`, `node`, the `template` they share, `job`, `list`,
//! `error`). The bodies poolform sends are in [`super::request`]; only
//! `live` turns either into the model.
//!
//! Field names follow the official SDK's JSON names (camelCase, with the few
//! exceptions CCE has). Every optional field is skipped when absent, and
//! unknown fields are ignored on input, so newer API versions do not break
//! poolform.

mod error;
mod job;
mod list;
mod node;
mod pool;
mod template;

pub use error::ErrorBody;
pub use job::{Job, JobIdResponse, JobMetadata, JobSpec, JobStatus};
pub use list::{List, PageInfo};
pub use node::{NODE_POOL_ANNOTATION, Node, NodeMetadata, NodeStatus, OwnerReferences};
pub use pool::{
    Autoscaling, Condition, NodeManagement, NodePool, NodePoolMetadata, NodePoolSpec,
    NodePoolStatus,
};
pub use template::{
    Bandwidth, Eip, LifeCycle, Login, NodeNicSpec, NodeTemplate, PrimaryNic, PublicIp, Runtime,
    Taint, UserPassword, UserTag, Volume, VolumeMetadata,
};
