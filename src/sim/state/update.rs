//! What an UpdateNodePool body does to a pool's template, and what a
//! `refresh` policy pushes from it to the existing nodes.

use std::collections::BTreeMap;

use crate::sim::api::{self, POST_INSTALL_KEY, PRE_INSTALL_KEY};

use super::template::{login_without_password, strip_template_secrets};

/// The `extendParam` keys of UpdateNodePool's `NodeSpecUpdate`.
const UPDATABLE_EXTEND_PARAMS: &[&str] = &[
    "agency_name",
    PRE_INSTALL_KEY,
    POST_INSTALL_KEY,
    "spotPrice",
    "securityReinforcementType",
    "alpha.cce/NodeImageID",
];

/// Merges an UpdateNodePool template (`NodeSpecUpdate`) into the pool's
/// template: fields sent replace, fields omitted stay; an empty list or map
/// deletes all entries. `rootVolumeUpdate`, `dataVolumesUpdate` and
/// `nodeNicSpecUpdate` change the template's disks and subnet (for new
/// nodes). `extendParam` is special: when sent, the updatable keys it leaves
/// out are removed (that is how a script is dropped), the others are kept.
pub(super) fn apply_template_update(
    template: &mut api::NodeTemplate,
    update: &api::NodeSpecUpdate,
) {
    macro_rules! replace {
        ($($field:ident),*) => {
            $(if let Some(value) = &update.$field {
                template.$field = Some(value.clone());
            })*
        };
    }
    replace!(
        os,
        storage,
        runtime,
        taints,
        wait_post_install_finish,
        k8s_tags,
        ecs_group_id,
        user_tags,
        node_name_template,
        initialized_conditions,
        server_enterprise_project_id,
        public_ip
    );
    if let Some(volume) = &update.root_volume_update {
        template.root_volume = Some(volume.clone());
    }
    if let Some(volumes) = &update.data_volumes_update {
        template.data_volumes = Some(volumes.clone());
    }
    if let Some(primary) = update
        .node_nic_spec_update
        .as_ref()
        .and_then(|n| n.primary_nic.as_ref())
    {
        let nic = template
            .node_nic_spec
            .get_or_insert_with(Default::default)
            .primary_nic
            .get_or_insert_with(Default::default);
        if let Some(subnet) = &primary.subnet_id {
            nic.subnet_id = Some(subnet.clone());
        }
        if let Some(subnets) = &primary.subnet_list {
            nic.subnet_list = Some(subnets.clone());
        }
    }
    if let Some(login) = &update.login {
        let mut merged = template.login.clone().unwrap_or_default();
        if login.remove_ssh_key == Some(true) {
            merged.ssh_key = None;
        }
        if login.remove_user_password == Some(true) {
            merged.user_password = None;
        }
        if login.ssh_key.is_some() {
            merged.ssh_key = login.ssh_key.clone();
        }
        if login.user_password.is_some() {
            merged.user_password = login.user_password.clone();
        }
        template.login = Some(login_without_password(&merged));
    }
    if let Some(params) = &update.extend_param {
        let merged = template.extend_param.get_or_insert_with(BTreeMap::new);
        // A sent `extendParam` says everything about the keys an update may
        // change (like `taints`: sent means complete), so a script left out
        // is removed; the other keys (maxPods, …) stay as they were.
        merged.retain(|key, _| {
            !UPDATABLE_EXTEND_PARAMS.contains(&key.as_str()) || params.contains_key(key)
        });
        for (key, value) in params {
            if value.is_null() || value.as_str() == Some("") {
                merged.remove(key);
            } else {
                merged.insert(key.clone(), value.clone());
            }
        }
        if merged.is_empty() {
            template.extend_param = None;
        }
    }
    strip_template_secrets(template);
}

/// Whether a policy (the update's word, else the pool's) is `refresh`,
/// CCE's `default` standing in for neither.
pub(super) fn refreshes(policy: Option<&String>, default: &str) -> bool {
    policy.map_or(default, String::as_str) == "refresh"
}

/// What an update pushes to the pool's existing nodes (the labels, taints
/// and tags a `refresh` policy carries), as old → new pool values.
#[derive(Debug, Default)]
pub(super) struct Push {
    pub(super) labels: Option<(BTreeMap<String, String>, BTreeMap<String, String>)>,
    pub(super) taints: Option<(Vec<api::Taint>, Vec<api::Taint>)>,
    pub(super) tags: Option<(Vec<api::UserTag>, Vec<api::UserTag>)>,
}

impl Push {
    /// Replaces on `spec` what the pool set before with what it sets now,
    /// keeping what was added to the node by other means.
    pub(super) fn apply(&self, spec: &mut api::NodeTemplate) {
        if let Some((old, new)) = &self.labels {
            let labels = spec.k8s_tags.get_or_insert_with(BTreeMap::new);
            labels.retain(|key, _| !old.contains_key(key));
            labels.extend(new.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        if let Some((old, new)) = &self.taints {
            let taints = spec.taints.get_or_insert_with(Vec::new);
            taints.retain(|t| {
                !old.iter()
                    .chain(new.iter())
                    .any(|o| o.key == t.key && o.effect == t.effect)
            });
            taints.extend(new.iter().cloned());
        }
        if let Some((old, new)) = &self.tags {
            let tags = spec.user_tags.get_or_insert_with(Vec::new);
            tags.retain(|t| !old.iter().chain(new.iter()).any(|o| o.key == t.key));
            tags.extend(new.iter().cloned());
        }
    }
}
