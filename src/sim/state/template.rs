//! What the simulator keeps of a template or a login: never a password,
//! never CCE's own labels; and a node's spec made from its pool's template.

use crate::sim::api;

/// A login as the simulator keeps it: the key pair name, or that the node
/// logs in with a password (and as whom). Passwords are never kept.
pub(super) fn login_without_password(login: &api::Login) -> api::Login {
    api::Login {
        ssh_key: login.ssh_key.clone().filter(|k| !k.is_empty()),
        user_password: login.user_password.as_ref().map(|u| api::UserPassword {
            username: Some(u.username.clone().unwrap_or_else(|| "root".to_owned())),
            password: None,
        }),
        remove_user_password: None,
        remove_ssh_key: None,
    }
}

pub(super) fn strip_template_secrets(template: &mut api::NodeTemplate) {
    if let Some(login) = &template.login {
        template.login = Some(login_without_password(login));
    }
    if let Some(params) = &mut template.extend_param {
        params.retain(|key, _| !key.to_ascii_lowercase().contains("password"));
    }
}

/// What a node created from a template is: the template, in one zone, with
/// its labels, taints, tags and scripts (kept internally; node responses do
/// not show them).
pub(super) fn node_spec_from_template(
    template: &api::NodeTemplate,
    az: Option<String>,
) -> api::NodeTemplate {
    let mut spec = template.clone();
    spec.az = az.or(spec.az);
    spec.count = None;
    spec.volume_config = None;
    spec.configurations_override = None;
    strip_template_secrets(&mut spec);
    spec
}

/// Removes CCE's own labels (`cce.cloud.com/…`), which responses add and
/// the simulator never stores.
pub(super) fn strip_system_labels(template: &mut api::NodeTemplate) {
    if let Some(labels) = &mut template.k8s_tags {
        labels.retain(|key, _| !key.contains("cce.cloud.com"));
    }
}
