//! Conversions between CCE wire types and poolform's model: `template`
//! (the node template, both directions together so they stay inverse),
//! `read` (pools, nodes and jobs as CCE returns them) and `encoding`
//! (scripts and fingerprints).

mod encoding;
mod read;
mod template;

pub use encoding::{
    MAX_PODS_KEY, POST_INSTALL_KEY, PRE_INSTALL_KEY, decode_script, encode_script, fingerprint,
};
pub use read::{
    job_from_wire, listed_node_from_wire, node_from_wire, node_pool_id, pool_from_wire,
    pool_state_from_wire,
};
pub use template::{
    INTEGER_EXTEND_PARAMS, UPDATE_EXTEND_PARAMS, autoscaling_from_wire, autoscaling_to_wire,
    create_template, extend_param_value, lifecycle_to_wire, login_from_wire, login_to_wire,
    template_from_wire, template_to_wire, update_template,
};
