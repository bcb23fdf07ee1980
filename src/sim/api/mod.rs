//! The simulator's own reading of the CCE API: serde types named after the
//! SDK's models, with the SDK's JSON names (see `cce-models.json` and
//! [`super::catalogue`]). They are the simulator's state and what it reads
//! requests into; they share nothing with poolform's client.
//!
//! Parts the simulator keeps but never interprets (storage layouts, EIPs,
//! hostname settings, …) are opaque JSON values. Request bodies are checked
//! and pruned against the catalogue before they are read into these types,
//! so a key the model does not have never reaches them.

/// The annotation that names a node's pool.
pub const NODE_POOL_ANNOTATION: &str = "kubernetes.io/node-pool.id";
/// `extendParam` key of the pre-install script (base64).
pub const PRE_INSTALL_KEY: &str = "alpha.cce/preInstall";
/// `extendParam` key of the post-install script (base64).
pub const POST_INSTALL_KEY: &str = "alpha.cce/postInstall";
/// `extendParam` key of the pod limit.
pub const MAX_PODS_KEY: &str = "maxPods";

mod node;
mod pool;
mod reset;
mod template;
mod update;

pub use node::{Node, NodeMetadata, NodeMetadataOwnerReferences, NodeStatus};
pub use pool::{NodePool, NodePoolCondition, NodePoolMetadata, NodePoolSpec, NodePoolStatus};
pub use reset::{
    NodeLifecycleConfig, NodePoolUpgradeSpec, ReinstallNodeSpec, ReinstallRuntimeConfig, ResetNode,
    ResetNodeList, UpgradeNodePool, UpgradeNodePoolSpecNodeTemplate,
};
pub use template::{
    Login, NicSpec, NodeNicSpec, NodeTemplate, Runtime, Taint, UserPassword, UserTag, Volume,
};
pub use update::{
    NodePoolMetadataUpdate, NodePoolSpecUpdate, NodePoolUpdate, NodeSpecUpdate,
    NodeSpecUpdateNodeNicSpecUpdate, NodeSpecUpdateNodeNicSpecUpdatePrimaryNic,
};
