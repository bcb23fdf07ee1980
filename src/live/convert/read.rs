//! Reading the objects CCE returns: pools and nodes into the model, and
//! the pool, node and job states apply follows.

use super::encoding::fingerprint;
use super::template::{autoscaling_from_wire, template_from_wire};
use crate::api::{
    JobPhase, JobState, ListedNode, NodeMembership, PoolCondition, PoolState, PoolStatus, SubJob,
};
use crate::live::wire;
use crate::model::{LiveNode, LivePool, NodeConfig, NodeId, NodePhase, PoolId};

/// Reads a live pool (without its nodes; `live::fetch` attaches them).
pub fn pool_from_wire(pool: &wire::NodePool) -> LivePool {
    let status = pool.status.clone().unwrap_or_default();
    LivePool {
        id: PoolId(pool.metadata.uid.clone().unwrap_or_default()),
        name: pool.metadata.name.clone(),
        template: template_from_wire(pool.spec.pool_type.as_deref(), &pool.spec.node_template),
        node_count: pool.spec.initial_node_count.unwrap_or(0),
        autoscaling: autoscaling_from_wire(pool.spec.autoscaling.as_ref()),
        server_group: pool
            .spec
            .node_management
            .as_ref()
            .and_then(|m| m.server_group_reference.clone())
            .filter(|s| !s.is_empty()),
        phase: status.phase,
        updated_at: pool.metadata.update_timestamp.clone(),
        fingerprint: fingerprint(&(&pool.metadata, &pool.spec)),
        nodes: Vec::new(),
    }
}

/// Reads a live node.
pub fn node_from_wire(node: &wire::Node) -> LiveNode {
    let status = node.status.clone().unwrap_or_default();
    let spec = &node.spec;
    LiveNode {
        id: NodeId(node.metadata.uid.clone()),
        name: node.metadata.name.clone(),
        az: spec.az.clone().unwrap_or_default(),
        phase: NodePhase::parse(&status.phase),
        up_to_date: status.configuration_up_to_date,
        config: NodeConfig {
            os: spec.os.clone(),
            runtime: spec.runtime.as_ref().map(|runtime| runtime.name.clone()),
            ssh_key: spec.login.as_ref().and_then(|login| login.ssh_key.clone()),
        },
        fingerprint: fingerprint(&(&node.metadata, &node.spec, &status)),
        pending_reset: None,
    }
}

/// The pool id a node names, from `ownerReferences` or the pool annotation.
pub fn node_pool_id(node: &wire::Node) -> Option<String> {
    node.metadata
        .owner_references
        .as_ref()
        .and_then(|owner| owner.nodepool_id.clone())
        .or_else(|| {
            node.metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get(wire::NODE_POOL_ANNOTATION).cloned())
        })
}

/// Reads a node and the pool it names.
pub fn listed_node_from_wire(node: &wire::Node) -> ListedNode {
    let owner = node.metadata.owner_references.as_ref();
    ListedNode {
        node: node_from_wire(node),
        membership: NodeMembership {
            owner_pool_id: owner.and_then(|owner| owner.nodepool_id.clone()),
            owner_pool_name: owner.and_then(|owner| owner.nodepool_name.clone()),
            pool_annotation: node
                .metadata
                .annotations
                .as_ref()
                .and_then(|annotations| annotations.get(wire::NODE_POOL_ANNOTATION).cloned()),
        },
    }
}

/// Reads a pool's id, name and status.
pub fn pool_state_from_wire(pool: &wire::NodePool) -> PoolState {
    PoolState {
        id: PoolId(pool.metadata.uid.clone().unwrap_or_default()),
        name: pool.metadata.name.clone(),
        status: pool.status.as_ref().map(|status| PoolStatus {
            phase: status.phase.clone(),
            creating_nodes: status.creating_node,
            deleting_nodes: status.deleting_node,
            job_id: status.job_id.clone(),
            conditions: status
                .conditions
                .iter()
                .map(|condition| PoolCondition {
                    kind: condition.condition_type.clone(),
                    status: condition.status.clone(),
                    message: condition.message.clone(),
                })
                .collect(),
        }),
    }
}

/// Reads a job and its sub-jobs.
pub fn job_from_wire(job: &wire::Job) -> JobState {
    JobState {
        id: job.metadata.uid.clone(),
        phase: JobPhase::parse(&job.status.phase),
        reason: job.status.reason.clone(),
        sub_jobs: job
            .spec
            .sub_jobs
            .iter()
            .map(|sub| SubJob {
                phase: JobPhase::parse(&sub.status.phase),
                resource_id: sub.spec.resource_id.clone(),
                resource_name: sub.spec.resource_name.clone(),
            })
            .collect(),
    }
}
