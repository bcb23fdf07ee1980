//! What a reset installs on a node: the OS, runtime, login and scripts of
//! its pool's template and of the request, never anything else.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::sim::api::{self, POST_INSTALL_KEY, PRE_INSTALL_KEY};

use super::template::strip_template_secrets;
use super::world::ResetWith;

pub(super) fn set_param(spec: &mut api::NodeTemplate, key: &str, value: Option<String>) {
    let params = spec.extend_param.get_or_insert_with(BTreeMap::new);
    match value.filter(|v| !v.is_empty()) {
        Some(value) => {
            params.insert(key.to_owned(), Value::String(value));
        }
        None => {
            params.remove(key);
        }
    }
    if params.is_empty() {
        spec.extend_param = None;
    }
}

/// The spec a node is reset to. A reset reinstalls the OS: it changes the
/// OS, the runtime, the login and the scripts, from the pool's template
/// (`template`, absent for DefaultPool nodes) and then from `with`; never
/// the disks, the flavor, the labels, the taints or the tags.
pub(super) fn reset_target(
    node_spec: &api::NodeTemplate,
    template: Option<&api::NodeTemplate>,
    with: Option<&ResetWith>,
) -> api::NodeTemplate {
    let mut spec = node_spec.clone();
    if let Some(template) = template {
        spec.os = template.os.clone();
        spec.runtime = template.runtime.clone();
        spec.login = template.login.clone();
        for key in [PRE_INSTALL_KEY, POST_INSTALL_KEY] {
            set_param(&mut spec, key, template.param(key));
        }
        spec.wait_post_install_finish = template.wait_post_install_finish;
    }
    if let Some(with) = with {
        if with.os.is_some() {
            spec.os = with.os.clone();
        }
        if with.runtime.is_some() {
            spec.runtime = with.runtime.clone();
        }
        if let Some(login) = &with.login
            && (login.ssh_key.is_some() || login.user_password.is_some())
        {
            spec.login = Some(login.clone());
        }
        if let Some(life_cycle) = &with.life_cycle {
            for (key, value) in [
                (PRE_INSTALL_KEY, &life_cycle.pre_install),
                (POST_INSTALL_KEY, &life_cycle.post_install),
            ] {
                if let Some(value) = value {
                    set_param(&mut spec, key, Some(value.clone()));
                }
            }
            if let Some(wait) = life_cycle.wait_post_install_finish {
                spec.wait_post_install_finish = Some(wait);
            }
        }
    }
    strip_template_secrets(&mut spec);
    spec
}
