//! The domain model shared by every stage of the pipeline: what the config
//! says a pool should be (`Desired*`) and what CCE says it is (`Live*`).
//!
//! Both sides describe a pool's node template with the same [`NodeTemplate`]
//! type, in poolform's own normalised vocabulary (decoded scripts, maps
//! instead of key/value lists, no system-managed labels), so that the diff is a
//! plain comparison. Conversions from and to the CCE wire format live in
//! `live::convert`; this module knows nothing about HTTP.
//!
//! Each file holds one part: `ids` the newtypes for names and ids, `cloud`
//! where the API is, `desired` the validated configuration, `dependencies`
//! the `depends_on` rule, `template` the
//! node template both sides share, `live` what CCE reports, and `cce` the
//! rules of CCE that config and client must apply alike.

mod cce;
mod cloud;
mod dependencies;
mod desired;
mod ids;
mod live;
mod template;

pub use cce::{EndpointProblem, SYSTEM_LABEL_MARKER, is_region_name, parse_endpoint};
pub use cloud::{CloudSettings, Provider};
pub use dependencies::{
    DEPENDENCY_CYCLE_CODE, DependencyGraph, DependencyProblem, UNKNOWN_DEPENDENCY_CODE,
};
pub use desired::{
    DEFAULT_POOL_NAME, Desired, DesiredCluster, DesiredPool, Ensure, MaxUnavailable, Rollout,
    VolumeResetPolicy,
};
pub use ids::{ClusterId, ClusterName, NodeId, PoolAddress, PoolId};
pub use live::{Live, LiveCluster, LiveNode, LivePool, NodeConfig, NodePhase};
pub use template::{
    Autoscaling, Lifecycle, Login, NicSpec, NodeTemplate, PasswordRef, PublicIp, Runtime, Taint,
    Volume,
};

#[cfg(test)]
pub(crate) mod test_support;
