//! Seeding: clusters, pools and DefaultPool nodes put into the world
//! directly, as they would be after CCE had made them, and the
//! deterministic ids everything gets.

use std::collections::BTreeMap;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::sim::{SimError, api, catalogue};

use super::clock::timestamp;
use super::template::{node_spec_from_template, strip_system_labels, strip_template_secrets};
use super::world::{DEFAULT_POOL_ID, SimNode, SimPool, SimState};

/// Reads a seeding value of the API's JSON into the simulator's type, as a
/// request body is read: unknown keys pruned, type mismatches refused.
fn read_seed<T: serde::de::DeserializeOwned>(model: &str, value: &Value) -> Result<T, SimError> {
    let mut value = value.clone();
    let findings = catalogue::prune(model, &mut value);
    if let Some(mismatch) = findings.iter().find(|f| !f.is_ignored()) {
        return Err(SimError::Rejected {
            status: 400,
            message: mismatch.to_string(),
        });
    }
    serde_json::from_value(value).map_err(|e| SimError::Rejected {
        status: 400,
        message: format!("not a {model}: {e}"),
    })
}

/// The availability zones a pool's nodes are spread over: the template's
/// `az`, or several separated by commas (a simulator convenience for seeding
/// multi-AZ pools).
pub(super) fn zones_of(template: &api::NodeTemplate) -> Vec<String> {
    let zones: Vec<String> = template
        .az
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|z| !z.is_empty())
        .map(str::to_owned)
        .collect();
    if zones.is_empty() {
        vec!["sim-az-1".to_owned()]
    } else {
        zones
    }
}

impl SimState {
    pub(super) fn next_id(&mut self, kind: &str) -> String {
        self.next_serial += 1;
        let digest = Sha256::digest(format!("poolform-sim/{kind}/{}", self.next_serial));
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .to_string()
    }

    /// Adds an empty cluster (nothing happens if it exists).
    pub fn add_cluster(&mut self, cluster_id: &str) {
        self.clusters.entry(cluster_id.to_owned()).or_default();
        self.peaks.entry(cluster_id.to_owned()).or_default();
    }

    /// Adds a pool with `nodes` Active, up-to-date nodes built from its
    /// template, spread round-robin over its availability zones (a comma
    /// separated `az` gives several). The pool's uid is assigned when empty,
    /// `initialNodeCount` when absent; the cluster is added when missing.
    /// Returns the pool uid.
    pub fn add_pool(&mut self, cluster_id: &str, mut pool: api::NodePool, nodes: usize) -> String {
        self.add_cluster(cluster_id);
        let uid = match pool.metadata.uid.clone().filter(|u| !u.is_empty()) {
            Some(uid) => uid,
            None => self.next_id("pool"),
        };
        let at = timestamp(self.now);
        pool.kind = "NodePool".to_owned();
        pool.api_version = "v3".to_owned();
        pool.metadata.uid = Some(uid.clone());
        pool.metadata
            .creation_timestamp
            .get_or_insert_with(|| at.clone());
        pool.metadata
            .update_timestamp
            .get_or_insert_with(|| at.clone());
        pool.spec.pool_type.get_or_insert_with(|| "vm".to_owned());
        pool.spec
            .initial_node_count
            .get_or_insert(u32::try_from(nodes).unwrap_or(u32::MAX));
        strip_template_secrets(&mut pool.spec.node_template);
        strip_system_labels(&mut pool.spec.node_template);
        let zones = zones_of(&pool.spec.node_template);
        let template = pool.spec.node_template.clone();
        let mut sim_pool = SimPool {
            pool,
            ..SimPool::default()
        };
        for index in 0..nodes {
            let az = zones[index % zones.len()].clone();
            let node = self.new_node(&sim_pool, &template, az, "Active");
            sim_pool.nodes.push(node);
        }
        if let Some(cluster) = self.clusters.get_mut(cluster_id) {
            cluster.pools.push(sim_pool);
        }
        self.refresh(cluster_id);
        uid
    }

    /// [`SimState::add_pool`] for a pool in the API's JSON (as CreateNodePool
    /// takes it or ShowNodePool shows it), read against the SDK's `NodePool`
    /// model: keys the model does not have are ignored, a value of the wrong
    /// type is refused.
    pub fn add_pool_json(
        &mut self,
        cluster_id: &str,
        pool: &Value,
        nodes: usize,
    ) -> Result<String, SimError> {
        let pool: api::NodePool = read_seed("NodePool", pool)?;
        Ok(self.add_pool(cluster_id, pool, nodes))
    }

    /// [`SimState::add_default_nodes`] for a spec in the API's JSON (the
    /// SDK's `NodeSpec`, as ShowNode shows it).
    pub fn add_default_nodes_json(
        &mut self,
        cluster_id: &str,
        spec: &Value,
        count: usize,
    ) -> Result<Vec<String>, SimError> {
        let spec: api::NodeTemplate = read_seed("NodeSpec", spec)?;
        Ok(self.add_default_nodes(cluster_id, spec, count))
    }

    /// Adds `count` Active nodes to the cluster's DefaultPool (created when
    /// missing), with `spec` as their spec and spread over its zones like
    /// [`SimState::add_pool`]. Returns the node ids.
    pub fn add_default_nodes(
        &mut self,
        cluster_id: &str,
        spec: api::NodeTemplate,
        count: usize,
    ) -> Vec<String> {
        self.add_cluster(cluster_id);
        let exists = self
            .clusters
            .get(cluster_id)
            .is_some_and(|c| c.pools.iter().any(SimPool::is_default));
        if !exists {
            let at = timestamp(self.now);
            let pool = api::NodePool {
                kind: "NodePool".to_owned(),
                api_version: "v3".to_owned(),
                metadata: api::NodePoolMetadata {
                    name: DEFAULT_POOL_ID.to_owned(),
                    uid: Some(DEFAULT_POOL_ID.to_owned()),
                    creation_timestamp: Some(at.clone()),
                    update_timestamp: Some(at),
                    ..Default::default()
                },
                spec: api::NodePoolSpec {
                    pool_type: Some("vm".to_owned()),
                    initial_node_count: Some(0),
                    ..Default::default()
                },
                status: None,
            };
            if let Some(cluster) = self.clusters.get_mut(cluster_id) {
                cluster.pools.insert(
                    0,
                    SimPool {
                        pool,
                        ..SimPool::default()
                    },
                );
            }
        }
        let zones = zones_of(&spec);
        let mut ids = Vec::with_capacity(count);
        for index in 0..count {
            let Some(pool) = self.pool_state(cluster_id, DEFAULT_POOL_ID).cloned() else {
                break;
            };
            let node = self.new_node(&pool, &spec, zones[index % zones.len()].clone(), "Active");
            ids.push(node.uid().to_owned());
            if let Some(pool) = self.pool_state_mut(cluster_id, DEFAULT_POOL_ID) {
                pool.nodes.push(node);
                let total = pool.nodes.len();
                pool.pool.spec.initial_node_count = Some(u32::try_from(total).unwrap_or(u32::MAX));
            }
        }
        self.refresh(cluster_id);
        ids
    }

    pub(super) fn new_node(
        &mut self,
        pool: &SimPool,
        template: &api::NodeTemplate,
        az: String,
        phase: &str,
    ) -> SimNode {
        let uid = self.next_id("node");
        let server_id = self.next_id("server");
        let serial = self.next_serial;
        let at = timestamp(self.now);
        let spec = node_spec_from_template(template, Some(az.clone()));
        let (name, annotation) = if pool.is_default() {
            let annotation = format!(
                "{az}#{}#{}",
                spec.flavor.as_deref().unwrap_or_default(),
                spec.os.as_deref().unwrap_or_default()
            );
            (format!("node-{}", &uid[..5]), annotation)
        } else {
            (
                format!("{}-{}", pool.pool.metadata.name, &uid[..5]),
                pool.uid().to_owned(),
            )
        };
        SimNode {
            node: api::Node {
                kind: "Node".to_owned(),
                api_version: "v3".to_owned(),
                metadata: api::NodeMetadata {
                    name,
                    uid,
                    annotations: Some(BTreeMap::from([(
                        api::NODE_POOL_ANNOTATION.to_owned(),
                        annotation,
                    )])),
                    creation_timestamp: Some(at.clone()),
                    update_timestamp: Some(at),
                    owner_references: Some(api::NodeMetadataOwnerReferences {
                        nodepool_name: Some(pool.pool.metadata.name.clone()),
                        nodepool_id: Some(pool.uid().to_owned()),
                    }),
                },
                spec,
                status: Some(api::NodeStatus {
                    phase: phase.to_owned(),
                    job_id: None,
                    server_id: Some(server_id),
                    private_ip: Some(format!(
                        "192.168.{}.{}",
                        (serial / 250) % 250,
                        serial % 250 + 2
                    )),
                    configuration_up_to_date: Some(true),
                }),
            },
            progress: None,
        }
    }
}
