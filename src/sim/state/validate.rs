//! The checks API calls make of what they are sent, with CCE's limits.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::sim::api::{self, POST_INSTALL_KEY, PRE_INSTALL_KEY};

use super::error::ApiError;
use super::world::{DEFAULT_POOL_ID, SimNode};

/// The most characters the two install scripts may take after base64.
const MAX_SCRIPTS_LEN: usize = 10_240;

/// The most nodes a pool may ask for; CCE's largest cluster scale.
const MAX_POOL_NODES: u32 = 2_000;

pub(super) fn validate_node_count(count: u32) -> Result<(), ApiError> {
    if count > MAX_POOL_NODES {
        return Err(ApiError {
            status: 400,
            code: "CCE.01400014",
            message: format!(
                "initialNodeCount {count} is more nodes than the cluster scale allows ({MAX_POOL_NODES})"
            ),
        });
    }
    Ok(())
}

/// Whether a password field holds what CCE takes: base64 of a SHA-512 crypt
/// string, `$6$` + a 16-character salt + `$` + the 86-character hash
/// (optionally with `rounds=N$` after `$6$`).
pub(super) fn is_salted_password(password: &str) -> bool {
    use base64::Engine as _;
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(password.trim()) else {
        return false;
    };
    let Ok(crypt) = String::from_utf8(bytes) else {
        return false;
    };
    let Some(rest) = crypt.strip_prefix("$6$") else {
        return false;
    };
    let rest = match rest.strip_prefix("rounds=") {
        Some(after) => match after.split_once('$') {
            Some((rounds, rest)) if rounds.parse::<u32>().is_ok() => rest,
            _ => return false,
        },
        None => rest,
    };
    let Some((salt, hash)) = rest.split_once('$') else {
        return false;
    };
    let crypt_char = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '/';
    salt.chars().count() == 16
        && salt.chars().all(crypt_char)
        && hash.len() == 86
        && hash.chars().all(crypt_char)
}

/// Refuses a login whose password is not salted (or missing).
pub(super) fn validate_login(login: Option<&api::Login>, path: &str) -> Result<(), ApiError> {
    let Some(user) = login.and_then(|l| l.user_password.as_ref()) else {
        return Ok(());
    };
    match user.password.as_deref() {
        None | Some("") => Err(ApiError::bad_request(format!(
            "{path}.userPassword.password is required"
        ))),
        Some(password) if !is_salted_password(password) => Err(ApiError::bad_request(format!(
            "The password field must be salted ({path}.userPassword.password)"
        ))),
        Some(_) => Ok(()),
    }
}

pub(super) fn validate_pool_name(name: &str) -> Result<(), ApiError> {
    let bytes = name.as_bytes();
    let valid = (1..=50).contains(&name.len())
        && bytes[0].is_ascii_lowercase()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && !name.ends_with('-');
    if !valid {
        return Err(ApiError::bad_request(format!(
            "invalid node pool name {name:?}: 1-50 characters matching ^[a-z][a-z0-9-]*[^-]$"
        )));
    }
    if name == DEFAULT_POOL_ID {
        return Err(ApiError::bad_request("the name DefaultPool is reserved"));
    }
    Ok(())
}

pub(super) fn validate_scripts(params: Option<&BTreeMap<String, Value>>) -> Result<(), ApiError> {
    let len = |key: &str| {
        params
            .and_then(|p| p.get(key))
            .map(|v| value_text(v).len())
            .unwrap_or(0)
    };
    let total = len(PRE_INSTALL_KEY) + len(POST_INSTALL_KEY);
    if total > MAX_SCRIPTS_LEN {
        return Err(ApiError::bad_request(format!(
            "pre- and post-install scripts take {total} characters after base64; at most {MAX_SCRIPTS_LEN} are allowed"
        )));
    }
    Ok(())
}

pub(super) fn validate_life_cycle(life_cycle: &api::NodeLifecycleConfig) -> Result<(), ApiError> {
    let scripts = [
        life_cycle.pre_install.as_deref(),
        life_cycle.post_install.as_deref(),
    ];
    let total: usize = scripts.iter().flatten().map(|s| s.len()).sum();
    if total > MAX_SCRIPTS_LEN {
        return Err(ApiError::bad_request(format!(
            "pre- and post-install scripts take {total} characters after base64; at most {MAX_SCRIPTS_LEN} are allowed"
        )));
    }
    Ok(())
}

/// The nodes of a reset request, each once, as (id, name); refused when one
/// is busy with another operation.
pub(super) fn idle_nodes(nodes: &[&SimNode]) -> Result<Vec<(String, String)>, ApiError> {
    let mut seen = BTreeSet::new();
    let mut idle = Vec::new();
    for node in nodes {
        if !seen.insert(node.uid().to_owned()) {
            continue;
        }
        if node.progress.is_some() {
            return Err(ApiError::bad_request(format!(
                "node {} is {} in another operation; try again once it is Active",
                node.uid(),
                node.phase()
            )));
        }
        idle.push((node.uid().to_owned(), node.node.metadata.name.clone()));
    }
    Ok(idle)
}

fn value_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}
