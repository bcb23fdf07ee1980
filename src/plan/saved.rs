//! Saved plans: `poolform plan --out FILE` writes one, `apply FILE` and
//! `show FILE` read it back.
//!
//! The format is the [`Plan`] itself as JSON with its `format_version`. A
//! reader accepts every minor version of its own major (minor versions only
//! add fields) and refuses any other major version. A plan never holds a
//! secret: a password login carries only the name of the environment
//! variable to read at apply time.

use super::{FORMAT_VERSION, Plan};

/// Why a saved plan could not be read.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum LoadPlanError {
    /// Not JSON, or not shaped like a plan.
    #[error("not a poolform plan: {message}")]
    #[diagnostic(
        code(poolform::plan::invalid_saved_plan),
        help("pass a file written by `poolform plan --out FILE`")
    )]
    Invalid {
        /// What the JSON parser said.
        message: String,
    },
    /// Written by an incompatible version of poolform.
    #[error("plan format version {found} is not supported (this poolform reads {FORMAT_VERSION})")]
    #[diagnostic(
        code(poolform::plan::unsupported_version),
        help("make the plan again with this version of poolform")
    )]
    UnsupportedVersion {
        /// The version in the file.
        found: String,
    },
}

/// The saved form of a plan (pretty JSON, ending in a newline).
pub fn save(plan: &Plan) -> String {
    // Serialising plain data with string keys cannot fail; an empty string
    // would be refused by `load` rather than misread.
    let mut text = serde_json::to_string_pretty(plan).unwrap_or_default();
    text.push('\n');
    text
}

/// Reads a saved plan, checking its format version first so an incompatible
/// file gets a clear error rather than a missing-field one.
pub fn load(text: &str) -> Result<Plan, LoadPlanError> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|error| LoadPlanError::Invalid {
            message: error.to_string(),
        })?;
    let version = value
        .get("format_version")
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| LoadPlanError::Invalid {
            message: "no `format_version`".to_owned(),
        })?;
    let major = |version: &str| version.split('.').next().map(str::to_owned);
    if major(version) != major(FORMAT_VERSION) {
        return Err(LoadPlanError::UnsupportedVersion {
            found: version.to_owned(),
        });
    }
    serde_json::from_value(value).map_err(|error| LoadPlanError::Invalid {
        message: error.to_string(),
    })
}
