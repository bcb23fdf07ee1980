//! The keys and values the walker accepts, table by table. They must match
//! the raw types in `config::schema` (the JSON schema is generated from
//! those); a test checks that they do.

/// Keys of the document root.
pub(crate) const ROOT_KEYS: &[&str] = &["cloud", "clusters", "pools"];
/// Keys of `[cloud]`.
pub(crate) const CLOUD_KEYS: &[&str] = &[
    "region",
    "endpoint",
    "project_id",
    "allow_scripts_outside",
    "max_concurrency",
    "provider",
];
/// Keys of `[clusters.X]`.
pub(crate) const CLUSTER_KEYS: &[&str] =
    &["id", "max_unavailable", "region", "endpoint", "project_id"];
/// The largest `[cloud] max_concurrency`.
pub(crate) const MAX_CONCURRENCY: u32 = 1024;
/// Keys of `[pools.X]`.
pub(crate) const POOL_KEYS: &[&str] = &[
    "cluster",
    "name",
    "ensure",
    "type",
    "flavor",
    "az",
    "os",
    "runtime",
    "runtime_class",
    "node_count",
    "login",
    "root_volume",
    "data_volumes",
    "public_ip",
    "nic",
    "k8s_labels",
    "taints",
    "user_tags",
    "max_pods",
    "extend_params",
    "lifecycle",
    "autoscaling",
    "server_group",
    "rollout",
];
/// The keys a DefaultPool takes: exactly what the sync API accepts.
pub(crate) const DEFAULT_POOL_KEYS: &[&str] = &["cluster", "name", "login", "lifecycle", "rollout"];
/// Keys of `login`.
pub(crate) const LOGIN_KEYS: &[&str] =
    &["ssh_key", "password", "remove_password", "remove_ssh_key"];
/// Keys of `login.password`.
pub(crate) const PASSWORD_KEYS: &[&str] = &["env", "username"];
/// Keys of a volume.
pub(crate) const VOLUME_KEYS: &[&str] = &[
    "type",
    "size",
    "iops",
    "throughput",
    "passthrough",
    "encrypted",
    "cmk_id",
    "extend_params",
];
/// Keys of `public_ip`.
pub(crate) const PUBLIC_IP_KEYS: &[&str] =
    &["ip_type", "bandwidth_size", "share_type", "charge_mode"];
/// Keys of `nic`.
pub(crate) const NIC_KEYS: &[&str] = &["subnet_id", "fixed_ips", "ip_block", "subnet_list"];
/// Keys of a taint.
pub(crate) const TAINT_KEYS: &[&str] = &["key", "value", "effect"];
/// Keys of `lifecycle`.
pub(crate) const LIFECYCLE_KEYS: &[&str] =
    &["pre_install", "post_install", "wait_post_install_finish"];
/// Keys of a script given as a table.
pub(crate) const SCRIPT_KEYS: &[&str] = &["file"];
/// Keys of `autoscaling`.
pub(crate) const AUTOSCALING_KEYS: &[&str] = &[
    "enabled",
    "min",
    "max",
    "scale_down_cooldown_minutes",
    "priority",
];
/// Keys of `rollout`.
pub(crate) const ROLLOUT_KEYS: &[&str] = &[
    "max_unavailable",
    "depends_on",
    "soak",
    "batch_timeout",
    "force",
    "allow_replacement",
    "volume_reset_policy",
];
/// The `extendParam` keys `extend_params` accepts.
pub(crate) const EXTEND_PARAM_KEYS: &[&str] = &[
    "ecs:performancetype",
    "orderID",
    "productID",
    "periodType",
    "periodNum",
    "isAutoRenew",
    "isAutoPay",
    "DockerLVMConfigOverride",
    "dockerBaseSize",
    "containerBaseSize",
    "publicKey",
    "alpha.cce/NodeImageID",
    "chargingMode",
    "marketType",
    "spotPrice",
    "agency_name",
    "kubeReservedMem",
    "systemReservedMem",
    "kubeReservedCpu",
    "systemReservedCpu",
    "kubeReservedPid",
    "systemReservedPid",
    "kubeReservedStorage",
    "systemReservedStorage",
    "securityReinforcementType",
    "serverMetadataHttpTokens",
    "nicMultiqueue",
    "nicThreshold",
];

pub(super) const POOL_TYPES: &[&str] = &["vm", "ElasticBMS", "pm"];
pub(super) const RUNTIMES: &[&str] = &["containerd", "docker"];
pub(super) const RUNTIME_CLASSES: &[&str] = &["runc", "kata", "kuasar-vmm"];
pub(super) const VOLUME_TYPES: &[&str] =
    &["SATA", "SAS", "SSD", "ESSD", "GPSSD", "ESSD2", "GPSSD2"];
pub(super) const TAINT_EFFECTS: &[&str] = &["NoSchedule", "PreferNoSchedule", "NoExecute"];
pub(super) const SHARE_TYPES: &[&str] = &["PER", "WHOLE"];
/// Values of `rollout.volume_reset_policy`.
pub(crate) const VOLUME_RESET_POLICIES: &[&str] =
    &["reset_managed_volumes", "retain_custom_volumes"];
pub(super) const CHARGE_MODES: &[&str] = &["bandwidth", "traffic"];
pub(super) const ENSURE_VALUES: &[&str] = &["present", "absent"];
