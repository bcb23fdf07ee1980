//! The stable diagnostic codes. Tools may match on them; never rename one.

/// The file could not be read.
pub const IO: &str = "poolform::config::io";
/// A directory without any `*.toml` file.
pub const NO_CONFIG: &str = "poolform::config::no_config";
/// TOML syntax error.
pub const SYNTAX: &str = "poolform::config::syntax";
/// A key the language does not have.
pub const UNKNOWN_KEY: &str = "poolform::config::unknown_key";
/// A required key is missing.
pub const MISSING_KEY: &str = "poolform::config::missing_key";
/// A value of the wrong TOML type.
pub const INVALID_TYPE: &str = "poolform::config::invalid_type";
/// A number outside its allowed range.
pub const OUT_OF_RANGE: &str = "poolform::config::out_of_range";
/// A string that is not one of the allowed values.
pub const INVALID_VALUE: &str = "poolform::config::invalid_value";
/// A pool or cluster key that is not a valid address.
pub const INVALID_ADDRESS: &str = "poolform::config::invalid_address";
/// A pool name CCE would reject.
pub const INVALID_POOL_NAME: &str = "poolform::config::invalid_pool_name";
/// The same pool address in two places.
pub const DUPLICATE_POOL: &str = "poolform::config::duplicate_pool";
/// The same cluster key in two places.
pub const DUPLICATE_CLUSTER: &str = "poolform::config::duplicate_cluster";
/// The same `[cloud]` setting in two files.
pub const DUPLICATE_SETTING: &str = "poolform::config::duplicate_setting";
/// Two pool addresses that name the same CCE pool.
pub const DUPLICATE_POOL_NAME: &str = "poolform::config::duplicate_pool_name";
/// `cluster = "x"` naming no `[clusters.x]`.
pub const UNKNOWN_CLUSTER: &str = "poolform::config::unknown_cluster";
/// A key the DefaultPool cannot take (it can only be synchronised).
pub const DEFAULT_POOL_FIELD: &str = "poolform::config::default_pool_field";
/// An endpoint the client would refuse: not an https URL (http only to
/// loopback), or one with credentials, a query or a fragment.
pub const INVALID_ENDPOINT: &str = "poolform::config::invalid_endpoint";
/// A Kubernetes label key or value CCE would reject.
pub const INVALID_LABEL: &str = "poolform::config::invalid_label";
/// A label CCE manages itself.
pub const RESERVED_LABEL: &str = "poolform::config::reserved_label";
/// More labels than CCE allows.
pub const TOO_MANY_LABELS: &str = "poolform::config::too_many_labels";
/// A taint CCE would reject.
pub const INVALID_TAINT: &str = "poolform::config::invalid_taint";
/// More taints than CCE allows.
pub const TOO_MANY_TAINTS: &str = "poolform::config::too_many_taints";
/// The same taint key and effect twice.
pub const DUPLICATE_TAINT: &str = "poolform::config::duplicate_taint";
/// A user tag CCE would reject.
pub const INVALID_USER_TAG: &str = "poolform::config::invalid_user_tag";
/// More user tags than CCE allows.
pub const TOO_MANY_USER_TAGS: &str = "poolform::config::too_many_user_tags";
/// An `extend_params` key poolform does not know.
pub const UNKNOWN_EXTEND_PARAM: &str = "poolform::config::unknown_extend_param";
/// An `extend_params` key that has its own setting (or holds a secret).
pub const RESERVED_EXTEND_PARAM: &str = "poolform::config::reserved_extend_param";
/// A password written into the config.
pub const LITERAL_PASSWORD: &str = "poolform::config::literal_password";
/// A password (from the environment) that breaks CCE's password rules.
pub const WEAK_PASSWORD: &str = "poolform::config::weak_password";
/// No way to log in to the nodes.
pub const LOGIN_REQUIRED: &str = "poolform::config::login_required";
/// Both an ssh key and a password, or a `remove_*` flag with the same login.
pub const LOGIN_CONFLICT: &str = "poolform::config::login_conflict";
/// A script file that cannot be read.
pub const SCRIPT_FILE: &str = "poolform::config::script_file";
/// Pre- plus post-install scripts over CCE's limit.
pub const SCRIPT_TOO_LONG: &str = "poolform::config::script_too_long";
/// A script file outside the configuration's directory tree.
pub const SCRIPT_OUTSIDE: &str = "poolform::config::script_outside";
/// A volume setting CCE would reject.
pub const INVALID_VOLUME: &str = "poolform::config::invalid_volume";
/// `fixed_ips` together with `ip_block`, or more fixed IPs than nodes.
pub const NIC_CONFLICT: &str = "poolform::config::nic_conflict";
/// An IP address or CIDR block that does not parse.
pub const INVALID_IP: &str = "poolform::config::invalid_ip";
/// Autoscaling bounds that do not fit together (min > max, count outside).
pub const AUTOSCALING_RANGE: &str = "poolform::config::autoscaling_range";
/// A duration that does not parse.
pub const INVALID_DURATION: &str = "poolform::config::invalid_duration";
/// `max_unavailable` neither 1..=20 nor a percentage.
pub const INVALID_MAX_UNAVAILABLE: &str = "poolform::config::invalid_max_unavailable";
/// `depends_on` naming a pool that does not exist.
pub const UNKNOWN_DEPENDENCY: &str = crate::model::UNKNOWN_DEPENDENCY_CODE;
/// `depends_on` edges that form a cycle.
pub const DEPENDENCY_CYCLE: &str = crate::model::DEPENDENCY_CYCLE_CODE;
/// Every code above, for documentation checks.
pub const ALL: &[&str] = &[
    IO,
    NO_CONFIG,
    SYNTAX,
    UNKNOWN_KEY,
    MISSING_KEY,
    INVALID_TYPE,
    OUT_OF_RANGE,
    INVALID_VALUE,
    INVALID_ADDRESS,
    INVALID_POOL_NAME,
    DUPLICATE_POOL,
    DUPLICATE_CLUSTER,
    DUPLICATE_SETTING,
    DUPLICATE_POOL_NAME,
    UNKNOWN_CLUSTER,
    DEFAULT_POOL_FIELD,
    INVALID_ENDPOINT,
    INVALID_LABEL,
    RESERVED_LABEL,
    TOO_MANY_LABELS,
    INVALID_TAINT,
    TOO_MANY_TAINTS,
    DUPLICATE_TAINT,
    INVALID_USER_TAG,
    TOO_MANY_USER_TAGS,
    UNKNOWN_EXTEND_PARAM,
    RESERVED_EXTEND_PARAM,
    LITERAL_PASSWORD,
    WEAK_PASSWORD,
    LOGIN_REQUIRED,
    LOGIN_CONFLICT,
    SCRIPT_FILE,
    SCRIPT_TOO_LONG,
    SCRIPT_OUTSIDE,
    INVALID_VOLUME,
    NIC_CONFLICT,
    INVALID_IP,
    AUTOSCALING_RANGE,
    INVALID_DURATION,
    INVALID_MAX_UNAVAILABLE,
    UNKNOWN_DEPENDENCY,
    DEPENDENCY_CYCLE,
];
