//! Autoscaling bounds and rollout settings: how many nodes a pool has and
//! how changes reach them.

use std::collections::BTreeSet;
use std::ops::Range;

use toml::de::DeValue;

use super::keys::{AUTOSCALING_KEYS, ROLLOUT_KEYS, VOLUME_RESET_POLICIES};
use super::read::last_segment;
use super::{FileWalker, Val};
use crate::config::codes;
use crate::config::diagnostic::Draft;
use crate::config::rules;
use crate::model::{Autoscaling, MaxUnavailable, PoolAddress, Rollout, VolumeResetPolicy};

impl FileWalker<'_> {
    pub(super) fn walk_autoscaling(
        &mut self,
        path: &str,
        value: &Val<'_>,
        node_count: Option<(u32, Range<usize>)>,
    ) -> Option<Autoscaling> {
        let table = self.table(path, value)?;
        self.check_keys(path, table, AUTOSCALING_KEYS);
        let enabled = table
            .get_key_value("enabled")
            .and_then(|(_, value)| self.boolean(&format!("{path}.enabled"), value))
            .unwrap_or(true);
        let min = table.get_key_value("min").map(|(_, value)| {
            (
                self.unsigned(&format!("{path}.min"), value, 0, 2000),
                value.span(),
            )
        });
        let max = table.get_key_value("max").map(|(_, value)| {
            (
                self.unsigned(&format!("{path}.max"), value, 0, 2000),
                value.span(),
            )
        });
        let cooldown = table
            .get_key_value("scale_down_cooldown_minutes")
            .and_then(|(_, value)| {
                self.unsigned(
                    &format!("{path}.scale_down_cooldown_minutes"),
                    value,
                    0,
                    i32::MAX as u32,
                )
            });
        let priority = table.get_key_value("priority").and_then(|(_, value)| {
            self.integer(
                &format!("{path}.priority"),
                value,
                i64::from(i32::MIN),
                i64::from(i32::MAX),
            )
            .and_then(|number| i32::try_from(number).ok())
        });
        if enabled && max.is_none() {
            self.missing(
                path,
                "max",
                value.span(),
                "max = 10 (the most nodes the autoscaler may create)",
            );
        }
        let min_value = min.as_ref().and_then(|(number, _)| *number).unwrap_or(0);
        let max_value = max.as_ref().and_then(|(number, _)| *number);
        if let (Some((Some(low), low_span)), Some((Some(high), high_span))) = (&min, &max)
            && low > high
        {
            self.push(
                Draft::error(
                    codes::AUTOSCALING_RANGE,
                    format!("`{path}.min` ({low}) is greater than `max` ({high})"),
                )
                .at(self.file, low_span.clone(), "minimum")
                .also(high_span.clone(), "maximum")
                .help("set min at most max"),
            );
        }
        if let (true, Some(high), Some((count, count_span))) = (enabled, max_value, node_count)
            && (count < min_value || count > high)
        {
            self.push(
                    Draft::error(
                        codes::AUTOSCALING_RANGE,
                        format!("node_count {count} is outside the autoscaling range {min_value}..={high}"),
                    )
                    .at(self.file, count_span, "outside the autoscaling range")
                    .help("set node_count between autoscaling min and max, or omit node_count and let the autoscaler own the count"),
                );
        }
        Some(Autoscaling {
            enabled,
            min: min_value,
            max: max_value.unwrap_or(min_value),
            scale_down_cooldown_minutes: cooldown,
            priority,
        })
    }

    /// A duration of at most [`rules::MAX_ROLLOUT_DURATION`], in seconds.
    fn duration(&mut self, path: &str, value: &Val<'_>, allow_zero: bool) -> Option<u64> {
        let text = self.string(path, value)?;
        let max = rules::MAX_ROLLOUT_DURATION;
        match humantime::parse_duration(text.trim()) {
            Ok(duration) if duration > max => {
                self.push(
                    Draft::error(
                        codes::OUT_OF_RANGE,
                        format!(
                            "`{path}` must be at most {}h, not `{text}`",
                            max.as_secs() / 3600
                        ),
                    )
                    .at(self.file, value.span(), "longer than a day")
                    .help(format!(
                        "set `{}` to a duration of at most \"{}h\"",
                        last_segment(path),
                        max.as_secs() / 3600
                    )),
                );
                None
            }
            Ok(duration) if allow_zero || !duration.is_zero() => Some(duration.as_secs()),
            Ok(_) => {
                self.push(
                    Draft::error(
                        codes::INVALID_DURATION,
                        format!("`{path}` must be longer than zero"),
                    )
                    .at(self.file, value.span(), "zero")
                    .help("use a duration such as \"30m\""),
                );
                None
            }
            Err(_) => {
                self.push(
                    Draft::error(
                        codes::INVALID_DURATION,
                        format!("`{path}` is not a duration: `{text}`"),
                    )
                    .at(self.file, value.span(), "not a duration")
                    .help("write a number and a unit, such as \"60s\", \"5m\" or \"1h 30m\""),
                );
                None
            }
        }
    }

    pub(super) fn walk_rollout(
        &mut self,
        path: &str,
        value: &Val<'_>,
    ) -> (Rollout, Vec<(PoolAddress, Range<usize>)>) {
        let mut rollout = Rollout::default();
        let mut depends_on = Vec::new();
        let Some(table) = self.table(path, value) else {
            return (rollout, depends_on);
        };
        self.check_keys(path, table, ROLLOUT_KEYS);
        if let Some((_, value)) = table.get_key_value("max_unavailable")
            && let Some(max) = self.max_unavailable(&format!("{path}.max_unavailable"), value)
        {
            rollout.max_unavailable = max;
        }
        if let Some((_, value)) = table.get_key_value("depends_on") {
            let mut seen = BTreeSet::new();
            for (address, span) in self.string_list(&format!("{path}.depends_on"), value) {
                if seen.insert(address.clone()) {
                    depends_on.push((PoolAddress(address), span));
                }
            }
            rollout.depends_on = depends_on
                .iter()
                .map(|(address, _)| address.clone())
                .collect();
        }
        if let Some((_, value)) = table.get_key_value("soak")
            && let Some(seconds) = self.duration(&format!("{path}.soak"), value, true)
        {
            rollout.soak_seconds = seconds;
        }
        if let Some((_, value)) = table.get_key_value("batch_timeout")
            && let Some(seconds) = self.duration(&format!("{path}.batch_timeout"), value, false)
        {
            rollout.batch_timeout_seconds = seconds;
        }
        if let Some((_, value)) = table.get_key_value("force") {
            rollout.force = self
                .boolean(&format!("{path}.force"), value)
                .unwrap_or(false);
        }
        if let Some((_, value)) = table.get_key_value("allow_replacement") {
            rollout.allow_replacement = self
                .boolean(&format!("{path}.allow_replacement"), value)
                .unwrap_or(false);
        }
        if let Some((_, value)) = table.get_key_value("volume_reset_policy") {
            rollout.volume_reset_policy = self
                .choice(
                    &format!("{path}.volume_reset_policy"),
                    value,
                    VOLUME_RESET_POLICIES,
                    codes::INVALID_VALUE,
                )
                .map(|policy| match policy {
                    "retain_custom_volumes" => VolumeResetPolicy::RetainCustomVolumes,
                    _ => VolumeResetPolicy::ResetManagedVolumes,
                });
        }
        (rollout, depends_on)
    }

    fn max_unavailable(&mut self, path: &str, value: &Val<'_>) -> Option<MaxUnavailable> {
        let help = "write a count from 1 to 20 (max_unavailable = 3) or a percentage of the pool (max_unavailable = \"25%\")";
        match value.get_ref() {
            DeValue::Integer(integer) => {
                let parsed = i64::from_str_radix(integer.as_str(), integer.radix()).ok();
                match parsed
                    .and_then(|n| u32::try_from(n).ok())
                    .filter(|n| (1..=20).contains(n))
                {
                    Some(count) => Some(MaxUnavailable::Count(count)),
                    None => {
                        self.push(
                            Draft::error(
                                codes::INVALID_MAX_UNAVAILABLE,
                                format!("`{path}` must be between 1 and 20, not {integer}"),
                            )
                            .at(self.file, value.span(), "not in 1..=20")
                            .help(help),
                        );
                        None
                    }
                }
            }
            DeValue::String(text) => {
                let percent = text
                    .strip_suffix('%')
                    .and_then(|number| number.parse::<u32>().ok())
                    .filter(|number| (1..=100).contains(number));
                match percent {
                    Some(percent) => Some(MaxUnavailable::Percent(percent)),
                    None => {
                        self.push(
                            Draft::error(
                                codes::INVALID_MAX_UNAVAILABLE,
                                format!(
                                    "`{path}` must be a percentage from 1% to 100%, not `{text}`"
                                ),
                            )
                            .at(self.file, value.span(), "not a percentage")
                            .help(help),
                        );
                        None
                    }
                }
            }
            _ => {
                self.invalid_type(path, value, "an integer or a percentage string");
                None
            }
        }
    }
}
