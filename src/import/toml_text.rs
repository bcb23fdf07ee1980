//! TOML text for the values an imported file holds: strings and keys
//! quoted only where TOML needs it, inline tables, and the volume and
//! autoscaling tables as the config language spells them.

use std::collections::BTreeMap;

use crate::model::{Autoscaling, Volume};

/// The volume `extendParam` key CCE adds to the disks it reports.
const DECORATION_VOLUME_PARAMS: &[&str] = &["useType"];

/// A TOML basic string.
pub(super) fn string(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

/// A TOML key: bare when it can be, quoted otherwise.
pub(super) fn key(name: &str) -> String {
    if !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        name.to_owned()
    } else {
        string(name)
    }
}

/// An inline table of already formatted values.
pub(super) fn inline(entries: &[(&str, String)]) -> String {
    if entries.is_empty() {
        return "{}".to_owned();
    }
    let body: Vec<String> = entries
        .iter()
        .map(|(name, value)| format!("{} = {value}", key(name)))
        .collect();
    format!("{{ {} }}", body.join(", "))
}

pub(super) fn string_table(map: &BTreeMap<String, String>) -> String {
    let entries: Vec<(&str, String)> = map
        .iter()
        .map(|(name, value)| (name.as_str(), string(value)))
        .collect();
    inline(&entries)
}

pub(super) fn string_array(items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|item| string(item)).collect();
    format!("[{}]", items.join(", "))
}

pub(super) fn volume(volume: &Volume) -> String {
    let mut entries = vec![
        ("type", string(&volume.volume_type)),
        ("size", volume.size.to_string()),
    ];
    if let Some(iops) = volume.iops {
        entries.push(("iops", iops.to_string()));
    }
    if let Some(throughput) = volume.throughput {
        entries.push(("throughput", throughput.to_string()));
    }
    if let Some(passthrough) = volume.passthrough {
        entries.push(("passthrough", passthrough.to_string()));
    }
    if let Some(encrypted) = volume.encrypted {
        entries.push(("encrypted", encrypted.to_string()));
    }
    if let Some(cmk_id) = &volume.cmk_id {
        entries.push(("cmk_id", string(cmk_id)));
    }
    let params: BTreeMap<String, String> = volume
        .extend_params
        .iter()
        .filter(|(name, _)| !DECORATION_VOLUME_PARAMS.contains(&name.as_str()))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    if !params.is_empty() {
        entries.push(("extend_params", string_table(&params)));
    }
    inline(&entries)
}

pub(super) fn autoscaling(autoscaling: &Autoscaling) -> String {
    let mut entries = vec![
        ("min", autoscaling.min.to_string()),
        ("max", autoscaling.max.to_string()),
    ];
    if let Some(minutes) = autoscaling.scale_down_cooldown_minutes {
        entries.push(("scale_down_cooldown_minutes", minutes.to_string()));
    }
    if let Some(priority) = autoscaling.priority {
        entries.push(("priority", priority.to_string()));
    }
    inline(&entries)
}

/// An `extend_params` value typed as the configuration takes it.
pub(super) fn extend_param(name: &str, value: &str) -> String {
    if crate::live::convert::INTEGER_EXTEND_PARAMS.contains(&name)
        && let Ok(number) = value.trim().parse::<i64>()
    {
        return number.to_string();
    }
    string(value)
}

#[cfg(test)]
mod tests {
    use test_case::test_case;

    use super::*;

    #[test_case("team", "team" ; "bare")]
    #[test_case("node.example.com/pool", "\"node.example.com/pool\"" ; "dotted")]
    #[test_case("say \"hi\"", "'say \"hi\"'" ; "quote")]
    fn keys_are_bare_only_when_toml_allows(name: &str, expected: &str) {
        assert_eq!(key(name), expected);
        let parsed: toml::Table = toml::from_str(&format!("{} = 1", key(name))).expect("TOML");
        assert!(parsed.contains_key(name));
    }
}
