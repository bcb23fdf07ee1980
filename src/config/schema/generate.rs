//! The schema document itself: generated from `RawConfig` and cleaned of
//! what TOML cannot express.

use super::document::RawConfig;

/// The JSON schema of the config language, pretty-printed with a trailing
/// newline: exactly the content of `schema/poolform.schema.json`.
pub fn config_json_schema() -> String {
    let generator = schemars::generate::SchemaSettings::draft07().into_generator();
    let schema = generator.into_root_schema_for::<RawConfig>();
    let mut value = schema.to_value();
    strip_null(&mut value);
    format!("{value:#}\n")
}

/// Removes the `null` alternatives schemars adds for `Option` fields: TOML
/// has no null, an optional key is simply left out, and editors would
/// otherwise offer `null` as a value.
fn strip_null(value: &mut serde_json::Value) {
    use serde_json::Value;
    let Value::Object(object) = value else {
        if let Value::Array(items) = value {
            items.iter_mut().for_each(strip_null);
        }
        return;
    };
    if let Some(Value::Array(types)) = object.get_mut("type") {
        types.retain(|kind| kind != "null");
        if types.len() == 1 {
            let only = types.remove(0);
            object.insert("type".to_owned(), only);
        }
    }
    if let Some(Value::Array(alternatives)) = object.get("anyOf") {
        let kept: Vec<Value> = alternatives
            .iter()
            .filter(|alternative| alternative.get("type").is_none_or(|kind| kind != "null"))
            .cloned()
            .collect();
        if kept.len() == 1 {
            object.remove("anyOf");
            if let Value::Object(inner) = &kept[0] {
                for (key, inner_value) in inner {
                    object
                        .entry(key.clone())
                        .or_insert_with(|| inner_value.clone());
                }
            }
            // Draft 7 ignores keywords beside `$ref`; wrap it so the
            // description stays meaningful.
            if let Some(reference) = object.remove("$ref") {
                let wrapped = serde_json::json!([{ "$ref": reference }]);
                object.insert("allOf".to_owned(), wrapped);
            }
        } else {
            object.insert("anyOf".to_owned(), Value::Array(kept));
        }
    }
    object.values_mut().for_each(strip_null);
}
