//! Reading a saved plan file (`plan --out`), with errors that say what the
//! file is not and how to name the right one; and writing files whole.

use std::path::Path;

use crate::plan::Plan;

/// Writes `contents` to `path` through a temporary file beside it, renamed
/// over `path` once complete, so that `path` is never left half-written
/// (a full disk, a killed process); the temporary file is removed on error.
pub fn write_file_atomically(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut name = std::ffi::OsString::from(".");
    name.push(path.file_name().unwrap_or(path.as_os_str()));
    name.push(format!(".{}.tmp", std::process::id()));
    let temp = path.with_file_name(name);
    let written = std::fs::write(&temp, contents).and_then(|()| std::fs::rename(&temp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

/// A saved plan file that could not be used.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum SavedPlanFileError {
    /// The file could not be read.
    #[error("cannot read the saved plan {path}")]
    #[diagnostic(code(poolform::plan::unreadable))]
    Unreadable {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
        /// What to do.
        #[help]
        help: String,
    },
    /// The file is not UTF-8 text, so it cannot be a saved plan.
    #[error("{path} is not a saved plan: it is not UTF-8 text")]
    #[diagnostic(code(poolform::plan::not_text))]
    NotText {
        /// The file.
        path: String,
        /// What to do.
        #[help]
        help: String,
    },
    /// The file is text but not a plan this poolform reads.
    #[error("{path} is not a saved plan")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong with it (its code and help are shown).
        #[source]
        #[diagnostic_source]
        error: crate::plan::LoadPlanError,
        /// For `apply`, which also takes configurations: how to name one.
        #[help]
        help: Option<String>,
    },
}

/// Help for a plan file that cannot be read: `for_apply` adds that apply
/// also takes a configuration.
fn saved_plan_help(for_apply: bool) -> String {
    let mut help = "check the path: a saved plan is the file written by                     `poolform plan --out FILE`"
        .to_owned();
    if for_apply {
        help.push_str(
            "; to plan and apply a configuration instead, pass its directory or its *.toml file",
        );
    }
    help
}

/// Reads the plan saved at `path` (by `poolform plan --out`). `for_apply`
/// says the file was given to `apply`, which also takes configurations, so
/// the help can say so.
pub fn read_saved_plan(path: &Path, for_apply: bool) -> Result<Plan, SavedPlanFileError> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| SavedPlanFileError::Unreadable {
        path: shown.clone(),
        source,
        help: saved_plan_help(for_apply),
    })?;
    let text = String::from_utf8(bytes).map_err(|_| SavedPlanFileError::NotText {
        path: shown.clone(),
        help: saved_plan_help(for_apply),
    })?;
    crate::plan::load(&text).map_err(|error| SavedPlanFileError::Invalid {
        path: shown,
        error,
        help: for_apply.then(|| {
            "to plan and apply a configuration instead, pass its directory or its *.toml file"
                .to_owned()
        }),
    })
}
