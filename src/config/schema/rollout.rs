//! `autoscaling` and `rollout`.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

/// `autoscaling`.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawAutoscaling {
    /// Enable autoscaling, default true when the table is present. CCE: `autoscaling.enable`.
    pub enabled: Option<bool>,
    /// Minimum node count, default 0. CCE: `autoscaling.minNodeCount`.
    pub min: Option<u32>,
    /// Maximum node count, at least `min`; required when enabled. CCE: `autoscaling.maxNodeCount`.
    pub max: Option<u32>,
    /// Minutes before nodes added by a scale-up may be removed. CCE: `autoscaling.scaleDownCooldownTime`.
    #[schemars(range(max = 2147483647))]
    pub scale_down_cooldown_minutes: Option<u32>,
    /// Weight of the pool in scale-ups; higher first. CCE: `autoscaling.priority`.
    pub priority: Option<i32>,
}

/// `max_unavailable` of a rollout: a count or a percentage.
pub struct RawMaxUnavailable;

impl JsonSchema for RawMaxUnavailable {
    fn schema_name() -> Cow<'static, str> {
        "MaxUnavailable".into()
    }

    fn json_schema(_generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Nodes reset at once: a count from 1 to 20, or a percentage of the pool's nodes such as \"25%\" (resolved, then clamped to 1..=20). CCE: `spec.maxUnavailable` of each sync request.",
            "oneOf": [
                { "type": "integer", "minimum": 1, "maximum": 20 },
                { "type": "string", "pattern": "^([1-9][0-9]?|100)%$" }
            ]
        })
    }
}

/// `[pools.X.rollout]`: how changes reach existing nodes.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawRollout {
    /// Nodes reset at once, default 1. CCE: `spec.maxUnavailable` of each sync request (`/operation/upgrade`).
    pub max_unavailable: Option<RawMaxUnavailable>,
    /// Addresses of pools whose changes must finish before this pool's start. Not sent to CCE: orders poolform's plan.
    pub depends_on: Option<Vec<String>>,
    /// How long the nodes of a batch must stay Active before the next batch, such as `60s` (default 0s), at most `24h`. Not sent to CCE.
    pub soak: Option<String>,
    /// How long a batch may take before it counts as failed, such as `30m` (the default), at most `24h`. Not sent to CCE.
    pub batch_timeout: Option<String>,
    /// Reset nodes even when pods cannot be evicted. CCE: `spec.force` of each sync request.
    pub force: Option<bool>,
    /// Allow replacing the pool (delete, then create) when a field changes that CCE cannot update in place (type, flavor, az, ...). Not sent to CCE: without it such a change is an error.
    pub allow_replacement: Option<bool>,
    /// What a reset does to data volumes: `reset_managed_volumes` wipes every CCE-managed data disk (CCE's default when unset), `retain_custom_volumes` keeps the data volumes users added themselves (recent cluster versions only). The system disk is always wiped. CCE: `spec.nodeTemplate.volumeConfig.volumeResetPolicy` of each sync request.
    pub volume_reset_policy: Option<RawVolumeResetPolicy>,
}

/// `rollout.volume_reset_policy`.
#[derive(JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RawVolumeResetPolicy {
    /// Wipe every CCE-managed data disk (CCE's default).
    ResetManagedVolumes,
    /// Keep custom data volumes (recent cluster versions only).
    RetainCustomVolumes,
}
