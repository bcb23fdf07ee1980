//! The requests a plan's steps carry, as domain values ([`crate::api`]):
//! what the configuration wants of a pool, never a wire body and never a
//! secret (a password login names its environment variable).

use crate::api::{CreatePool, SyncNodes, UpdatePool};
use crate::diff::AttributeChange;
use crate::model::{DesiredPool, NodeId};

/// The environment variable of a pool's login password, when it has one.
pub(super) fn password_env(pool: &DesiredPool) -> Option<String> {
    pool.template
        .login
        .password
        .as_ref()
        .map(|reference| reference.env.clone())
}

/// The create of a configured pool.
pub(super) fn create_request(pool: &DesiredPool) -> CreatePool {
    CreatePool::of(pool)
}

/// The update of a configured pool, with the paths `changes` touches.
pub(super) fn update_request(pool: &DesiredPool, changes: &[AttributeChange]) -> UpdatePool {
    UpdatePool::of(
        pool,
        changes.iter().map(|change| change.path.clone()).collect(),
    )
}

/// The sync of one batch.
pub(super) fn sync_request(pool: &DesiredPool, node_ids: &[NodeId]) -> SyncNodes {
    SyncNodes::of(pool, node_ids)
}
