//! The API's pool calls: CreateNodePool, UpdateNodePool and DeleteNodePool.
//! Each validates first and changes nothing on error.

use serde_json::Value;

use crate::sim::{Faults, api, view};

use super::clock::{Timing, timestamp};
use super::error::ApiError;
use super::staleness::mark_staleness;
use super::template::strip_system_labels;
use super::update::{Push, apply_template_update, refreshes};
use super::validate::{validate_login, validate_node_count, validate_pool_name, validate_scripts};
use super::world::SimState;

impl SimState {
    /// CreateNodePool.
    pub(crate) fn create_pool(
        &mut self,
        cluster_id: &str,
        mut body: api::NodePool,
        timing: &Timing,
    ) -> Result<Value, ApiError> {
        let cluster = self.cluster(cluster_id)?;
        if !body.kind.is_empty() && body.kind != "NodePool" {
            return Err(ApiError::bad_request(format!(
                "kind must be NodePool, not {:?}",
                body.kind
            )));
        }
        validate_pool_name(&body.metadata.name)?;
        if cluster
            .pools
            .iter()
            .any(|p| p.pool.metadata.name == body.metadata.name)
        {
            return Err(ApiError::conflict(format!(
                "a node pool named {} already exists in cluster {cluster_id}",
                body.metadata.name
            )));
        }
        let template = &body.spec.node_template;
        for (field, value) in [("flavor", &template.flavor), ("az", &template.az)] {
            if value.as_deref().is_none_or(str::is_empty) {
                return Err(ApiError::bad_request(format!(
                    "spec.nodeTemplate.{field} is required"
                )));
            }
        }
        validate_login(template.login.as_ref(), "spec.nodeTemplate.login")?;
        let login = template.login.clone().unwrap_or_default();
        if login.ssh_key.as_deref().is_none_or(str::is_empty) && login.user_password.is_none() {
            return Err(ApiError::bad_request(
                "spec.nodeTemplate.login needs an sshKey or a userPassword with a password",
            ));
        }
        validate_scripts(template.extend_param.as_ref())?;
        validate_node_count(body.spec.initial_node_count.unwrap_or(0))?;
        let count = body.spec.initial_node_count.unwrap_or(0) as usize;
        body.metadata.uid = None;
        body.status = None;
        body.metadata.annotations = None;
        body.metadata.creation_timestamp = None;
        body.metadata.update_timestamp = None;
        body.spec.initial_node_count = Some(body.spec.initial_node_count.unwrap_or(0));
        body.spec
            .node_template
            .os
            .get_or_insert_with(|| "Huawei Cloud EulerOS 2.0".to_owned());
        let uid = self.add_pool(cluster_id, body, 0);
        if count > 0 {
            self.create_nodes(cluster_id, &uid, count, "CreateNodePool", timing);
        }
        self.refresh(cluster_id);
        self.show_pool(cluster_id, &uid, view::PoolAnswer::Create)
    }

    /// UpdateNodePool, with the SDK's `NodePoolUpdate` semantics: an omitted
    /// `initialNodeCount` without `ignoreInitialNodeCount` scales the pool to
    /// 0; template changes reach new nodes only, except labels, taints and
    /// tags, which reach the existing nodes at once when the pool's policy
    /// for them is `refresh`.
    pub(crate) fn update_pool(
        &mut self,
        cluster_id: &str,
        pool_id: &str,
        body: api::NodePoolUpdate,
        timing: &Timing,
        faults: &Faults,
    ) -> Result<Value, ApiError> {
        let existing = self.existing_pool(cluster_id, pool_id)?;
        if existing.is_default() {
            return Err(ApiError::bad_request(
                "the DefaultPool cannot be updated; synchronize its nodes instead",
            ));
        }
        if existing.deleting {
            return Err(ApiError::forbidden(format!(
                "node pool {pool_id} is being deleted"
            )));
        }
        let current = existing.pool.spec.node_template.clone();
        let spec = &body.spec;
        let update = &spec.node_template;
        for (field, new, old) in [
            ("flavor", &update.flavor, &current.flavor),
            ("az", &update.az, &current.az),
        ] {
            if new
                .as_ref()
                .is_some_and(|n| !n.is_empty() && Some(n) != old.as_ref())
            {
                return Err(ApiError::bad_request(format!(
                    "spec.nodeTemplate.{field} cannot be modified"
                )));
            }
        }
        validate_login(update.login.as_ref(), "spec.nodeTemplate.login")?;
        let name = body.metadata.name.clone().unwrap_or_default();
        if !name.is_empty() && name != existing.pool.metadata.name {
            validate_pool_name(&name)?;
            if self
                .cluster(cluster_id)?
                .pools
                .iter()
                .any(|p| p.pool.metadata.name == name)
            {
                return Err(ApiError::conflict(format!(
                    "a node pool named {name} already exists in cluster {cluster_id}"
                )));
            }
        }
        let mut template = current.clone();
        apply_template_update(&mut template, update);
        strip_system_labels(&mut template);
        validate_scripts(template.extend_param.as_ref())?;
        let pool_name = if name.is_empty() {
            existing.pool.metadata.name.clone()
        } else {
            name
        };
        let desired = if spec.ignore_initial_node_count == Some(true) {
            None
        } else {
            Some(spec.initial_node_count.unwrap_or(0))
        };
        if let Some(desired) = desired {
            validate_node_count(desired)?;
        }
        let pool_spec = &existing.pool.spec;
        let policy_label = spec
            .label_policy_on_existing_nodes
            .clone()
            .or_else(|| pool_spec.label_policy_on_existing_nodes.clone());
        let policy_taint = spec
            .taint_policy_on_existing_nodes
            .clone()
            .or_else(|| pool_spec.taint_policy_on_existing_nodes.clone());
        let policy_tags = spec
            .user_tags_policy_on_existing_nodes
            .clone()
            .or_else(|| pool_spec.user_tags_policy_on_existing_nodes.clone());
        let push =
            Push {
                labels: (update.k8s_tags.is_some() && refreshes(policy_label.as_ref(), "refresh"))
                    .then(|| {
                        (
                            current.k8s_tags.clone().unwrap_or_default(),
                            template.k8s_tags.clone().unwrap_or_default(),
                        )
                    }),
                taints: (update.taints.is_some() && refreshes(policy_taint.as_ref(), "refresh"))
                    .then(|| {
                        (
                            current.taints.clone().unwrap_or_default(),
                            template.taints.clone().unwrap_or_default(),
                        )
                    }),
                tags: (update.user_tags.is_some() && refreshes(policy_tags.as_ref(), "ignore"))
                    .then(|| {
                        (
                            current.user_tags.clone().unwrap_or_default(),
                            template.user_tags.clone().unwrap_or_default(),
                        )
                    }),
            };
        let at = timestamp(self.now);
        if let Some(pool) = self.pool_state_mut(cluster_id, pool_id) {
            pool.pool.metadata.name = pool_name;
            pool.pool.metadata.update_timestamp = Some(at.clone());
            pool.pool.spec.node_template = template;
            let pool_spec = &mut pool.pool.spec;
            macro_rules! replace {
                ($($from:ident => $to:ident),*) => {
                    $(if let Some(value) = &spec.$from {
                        pool_spec.$to = Some(value.clone());
                    })*
                };
            }
            replace!(
                autoscaling => autoscaling,
                repair_policy => repair_policy,
                node_management_update => node_management,
                custom_security_groups => custom_security_groups,
                extension_scale_groups => extension_scale_groups,
                label_policy_on_existing_nodes => label_policy_on_existing_nodes,
                taint_policy_on_existing_nodes => taint_policy_on_existing_nodes,
                user_tags_policy_on_existing_nodes => user_tags_policy_on_existing_nodes
            );
            if let Some(desired) = desired {
                pool_spec.initial_node_count = Some(desired);
            }
            // Labels, taints and tags reach the existing nodes now, without
            // a reset and without a phase change.
            for node in &mut pool.nodes {
                push.apply(&mut node.node.spec);
            }
            mark_staleness(pool, &faults.stale_fields);
        }
        if let Some(desired) = desired {
            self.scale_to(cluster_id, pool_id, desired as usize, timing, faults);
        }
        self.refresh(cluster_id);
        self.show_pool(cluster_id, pool_id, view::PoolAnswer::Update)
    }

    /// DeleteNodePool.
    pub(crate) fn delete_pool(
        &mut self,
        cluster_id: &str,
        pool_id: &str,
        timing: &Timing,
        faults: &Faults,
    ) -> Result<Value, ApiError> {
        let existing = self.existing_pool(cluster_id, pool_id)?;
        if existing.is_default() {
            return Err(ApiError::bad_request("the DefaultPool cannot be deleted"));
        }
        if existing.deleting {
            return Err(ApiError::forbidden(format!(
                "node pool {pool_id} is already being deleted"
            )));
        }
        let node_ids: Vec<String> = existing.nodes.iter().map(|n| n.uid().to_owned()).collect();
        if let Some(pool) = self.pool_state_mut(cluster_id, pool_id) {
            pool.deleting = true;
        }
        self.delete_nodes(
            cluster_id,
            pool_id,
            &node_ids,
            "DeleteNodePool",
            timing,
            faults,
        );
        self.refresh(cluster_id);
        let shown = self.show_pool(cluster_id, pool_id, view::PoolAnswer::Delete)?;
        if node_ids.is_empty() {
            if let Some(cluster) = self.clusters.get_mut(cluster_id) {
                cluster.pools.retain(|p| p.uid() != pool_id);
            }
            self.refresh(cluster_id);
        }
        Ok(shown)
    }
}
