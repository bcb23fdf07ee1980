//! Typed readers of spanned TOML values: each returns the value when it has
//! the expected type and range, and otherwise records a diagnostic on its
//! span and returns `None`. Also the checks shared by every table: unknown
//! keys (with "did you mean"), missing keys.

use std::ops::Range;

use toml::de::{DeArray, DeTable, DeValue};

use super::secrets::looks_secret;
use super::{FileWalker, Val};
use crate::config::codes;
use crate::config::diagnostic::Draft;

/// The best "did you mean" candidate for `input` among `candidates`.
pub(crate) fn suggest<'c>(
    input: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<&'c str> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(input, candidate), candidate))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

fn type_name(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

fn type_help(key: &str, expected: &str) -> String {
    match expected {
        "a string" => format!("quote the value: {key} = \"...\""),
        "an integer" => format!("write a whole number without quotes: {key} = 3"),
        "a boolean" => format!("write {key} = true or {key} = false"),
        "a table" => format!("write a table: {key} = {{ ... }}"),
        "an array" => format!("write an array: {key} = [ ... ]"),
        other => format!("`{key}` takes {other}"),
    }
}

pub(super) fn last_segment(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

impl FileWalker<'_> {
    pub(super) fn push(&mut self, draft: Draft) {
        self.drafts.push(draft);
    }

    pub(super) fn invalid_type(&mut self, path: &str, value: &Val<'_>, expected: &str) {
        let found = type_name(value.get_ref());
        self.push(
            Draft::error(
                codes::INVALID_TYPE,
                format!("`{path}` must be {expected}, not {found}"),
            )
            .at(self.file, value.span(), format!("expected {expected}"))
            .help(type_help(last_segment(path), expected)),
        );
    }

    pub(super) fn string(&mut self, path: &str, value: &Val<'_>) -> Option<String> {
        match value.get_ref() {
            DeValue::String(text) => Some(text.to_string()),
            _ => {
                self.invalid_type(path, value, "a string");
                None
            }
        }
    }

    /// A string that must not be empty or blank.
    pub(super) fn nonempty(&mut self, path: &str, value: &Val<'_>) -> Option<String> {
        let text = self.string(path, value)?;
        if text.trim().is_empty() {
            self.push(
                Draft::error(codes::INVALID_VALUE, format!("`{path}` must not be empty"))
                    .at(self.file, value.span(), "empty")
                    .help(format!(
                        "set `{}` to a value, or remove it",
                        last_segment(path)
                    )),
            );
            return None;
        }
        Some(text)
    }

    pub(super) fn integer(
        &mut self,
        path: &str,
        value: &Val<'_>,
        min: i64,
        max: i64,
    ) -> Option<i64> {
        let DeValue::Integer(integer) = value.get_ref() else {
            self.invalid_type(path, value, "an integer");
            return None;
        };
        let parsed = i64::from_str_radix(integer.as_str(), integer.radix()).ok();
        match parsed {
            Some(number) if (min..=max).contains(&number) => Some(number),
            _ => {
                self.push(
                    Draft::error(
                        codes::OUT_OF_RANGE,
                        format!("`{path}` must be between {min} and {max}, not {}", integer),
                    )
                    .at(self.file, value.span(), format!("not in {min}..={max}"))
                    .help(format!(
                        "set `{}` to a value from {min} to {max}",
                        last_segment(path)
                    )),
                );
                None
            }
        }
    }

    pub(super) fn unsigned(
        &mut self,
        path: &str,
        value: &Val<'_>,
        min: u32,
        max: u32,
    ) -> Option<u32> {
        self.integer(path, value, i64::from(min), i64::from(max))
            .and_then(|number| u32::try_from(number).ok())
    }

    pub(super) fn boolean(&mut self, path: &str, value: &Val<'_>) -> Option<bool> {
        match value.get_ref() {
            DeValue::Boolean(flag) => Some(*flag),
            _ => {
                self.invalid_type(path, value, "a boolean");
                None
            }
        }
    }

    pub(super) fn table<'v, 'i>(
        &mut self,
        path: &str,
        value: &'v Val<'i>,
    ) -> Option<&'v DeTable<'i>> {
        match value.get_ref() {
            DeValue::Table(table) => Some(table),
            _ => {
                self.invalid_type(path, value, "a table");
                None
            }
        }
    }

    pub(super) fn array<'v, 'i>(
        &mut self,
        path: &str,
        value: &'v Val<'i>,
    ) -> Option<&'v DeArray<'i>> {
        match value.get_ref() {
            DeValue::Array(array) => Some(array),
            _ => {
                self.invalid_type(path, value, "an array");
                None
            }
        }
    }

    pub(super) fn string_list(
        &mut self,
        path: &str,
        value: &Val<'_>,
    ) -> Vec<(String, Range<usize>)> {
        let Some(array) = self.array(path, value) else {
            return Vec::new();
        };
        array
            .iter()
            .enumerate()
            .filter_map(|(index, item)| {
                self.nonempty(&format!("{path}[{index}]"), item)
                    .map(|text| (text, item.span()))
            })
            .collect()
    }

    /// A string from a fixed set; `code` says which rule it breaks.
    pub(super) fn choice(
        &mut self,
        path: &str,
        value: &Val<'_>,
        allowed: &[&'static str],
        code: &'static str,
    ) -> Option<&'static str> {
        let text = self.string(path, value)?;
        if let Some(found) = allowed.iter().find(|candidate| **candidate == text) {
            return Some(found);
        }
        let list = allowed
            .iter()
            .map(|candidate| format!("`{candidate}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let help = match suggest(&text, allowed.iter().copied()) {
            Some(candidate) => format!("did you mean `{candidate}`?"),
            None => format!("use one of {list}"),
        };
        self.push(
            Draft::error(
                code,
                format!("`{path}` must be one of {list}, not `{text}`"),
            )
            .at(self.file, value.span(), "not an allowed value")
            .help(help),
        );
        None
    }

    /// A scalar of `extend_params`, as the string CCE receives.
    pub(super) fn param_value(&mut self, path: &str, value: &Val<'_>) -> Option<String> {
        match value.get_ref() {
            DeValue::String(text) => Some(text.to_string()),
            DeValue::Integer(integer) => {
                let parsed = i64::from_str_radix(integer.as_str(), integer.radix()).ok();
                match parsed {
                    Some(number) => Some(number.to_string()),
                    None => {
                        self.integer(path, value, i64::MIN, i64::MAX);
                        None
                    }
                }
            }
            DeValue::Boolean(flag) => Some(flag.to_string()),
            _ => {
                self.invalid_type(path, value, "a string, integer or boolean");
                None
            }
        }
    }

    /// Reports keys not in `known`; `allowed` narrows what is accepted here
    /// (the DefaultPool), with its own explanation.
    pub(super) fn check_keys(&mut self, path: &str, table: &DeTable<'_>, known: &[&str]) {
        for (key, value) in table.iter() {
            let name: &str = key.get_ref();
            // A table under a secret-looking key holds a reference (such as
            // `password = { env = ... }`), not the secret itself.
            if looks_secret(name)
                && !matches!(value.get_ref(), DeValue::Table(_) | DeValue::Boolean(_))
            {
                self.redactions.push(value.span());
            }
            if known.contains(&name) {
                continue;
            }
            let location = if path.is_empty() {
                "the top level".to_owned()
            } else {
                format!("`{path}`")
            };
            let suggestion = suggest(name, known.iter().copied());
            if let Some(candidate) = suggestion {
                self.suggested
                    .insert((path.to_owned(), candidate.to_owned()));
            }
            let help = match suggestion {
                Some(candidate) => format!("did you mean `{candidate}`?"),
                None => format!(
                    "{} takes: {}",
                    location,
                    known
                        .iter()
                        .map(|candidate| format!("`{candidate}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            self.push(
                Draft::error(
                    codes::UNKNOWN_KEY,
                    format!("unknown key `{name}` in {location}"),
                )
                .at(self.file, key.span(), "unknown key")
                .help(help),
            );
        }
    }

    pub(super) fn missing(&mut self, path: &str, key: &str, span: Range<usize>, example: &str) {
        if self.suggested.contains(&(path.to_owned(), key.to_owned())) {
            return;
        }
        self.push(
            Draft::error(codes::MISSING_KEY, format!("`{path}` is missing `{key}`"))
                .at(self.file, span, format!("needs `{key}`"))
                .help(format!("add {example}")),
        );
    }
}
