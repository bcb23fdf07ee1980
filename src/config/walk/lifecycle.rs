//! `lifecycle`: the pre- and post-install scripts, inline or read from a
//! file under the config root, and their length limit after base64.

use std::ops::Range;

use toml::de::DeValue;

use super::keys::{LIFECYCLE_KEYS, SCRIPT_KEYS};
use super::{FileWalker, Val};
use crate::config::codes;
use crate::config::diagnostic::Draft;
use crate::config::rules;
use crate::config::script_file::{self, ScriptFileError};
use crate::model::Lifecycle;

impl FileWalker<'_> {
    /// A script: inline text, or `{ file = "..." }` read relative to this file.
    fn walk_script(&mut self, path: &str, value: &Val<'_>) -> Option<String> {
        match value.get_ref() {
            DeValue::String(text) => Some(text.to_string()),
            DeValue::Table(table) => {
                self.check_keys(path, table, SCRIPT_KEYS);
                let Some((_, file_value)) = table.get_key_value("file") else {
                    self.missing(
                        path,
                        "file",
                        value.span(),
                        "file = \"scripts/post-install.sh\"",
                    );
                    return None;
                };
                let relative = self.nonempty(&format!("{path}.file"), file_value)?;
                let read = self
                    .scripts_root
                    .resolve(self.dir, &relative)
                    .and_then(|resolved| script_file::read(&resolved));
                match read {
                    Ok(text) => {
                        self.scripts.insert(
                            format!("{}{relative}", self.rel_dir),
                            text.clone().into_bytes(),
                        );
                        Some(text)
                    }
                    Err(error) => {
                        let draft = self.script_file_problem(&relative, error, file_value.span());
                        self.push(draft);
                        None
                    }
                }
            }
            _ => {
                self.invalid_type(path, value, "a string or { file = \"...\" }");
                None
            }
        }
    }

    /// The diagnostic for a script file that was not read. It names the path
    /// as written and never quotes the file.
    fn script_file_problem(
        &self,
        relative: &str,
        error: ScriptFileError,
        span: Range<usize>,
    ) -> Draft {
        let outside_help = "script paths are relative to the TOML file that names them and must stay inside the configuration's directory; copy the script into it, or set `allow_scripts_outside = true` in [cloud] if every path in this configuration is trusted";
        let (code, message, label, help) = match error {
            ScriptFileError::Absolute => (
                codes::SCRIPT_OUTSIDE,
                format!("script file `{relative}` is an absolute path"),
                "absolute path".to_owned(),
                outside_help.to_owned(),
            ),
            ScriptFileError::Escapes => (
                codes::SCRIPT_OUTSIDE,
                format!("script file `{relative}` is outside the configuration's directory"),
                "leaves the configuration's directory".to_owned(),
                outside_help.to_owned(),
            ),
            ScriptFileError::LinksOutside { target } => (
                codes::SCRIPT_OUTSIDE,
                format!(
                    "script file `{relative}` is a link to a file outside the configuration's directory"
                ),
                format!("resolves to {}", target.display()),
                outside_help.to_owned(),
            ),
            ScriptFileError::NotFound => (
                codes::SCRIPT_FILE,
                format!("script file `{relative}` does not exist"),
                format!("looked for {}", self.dir.join(relative).display()),
                "script paths are relative to the TOML file that names them; check the path, or write the script inline".to_owned(),
            ),
            ScriptFileError::NotRegular { kind } => (
                codes::SCRIPT_FILE,
                format!("script file `{relative}` is {kind}, not a regular file"),
                "not a regular file".to_owned(),
                "name a regular file that holds the script, or write the script inline".to_owned(),
            ),
            ScriptFileError::TooLong => (
                codes::SCRIPT_TOO_LONG,
                format!(
                    "script file `{relative}` is longer than {} bytes; CCE allows at most {} characters of pre- and post-install scripts after base64",
                    script_file::MAX_SCRIPT_FILE_BYTES - 1,
                    rules::MAX_SCRIPTS_BASE64
                ),
                "too long".to_owned(),
                "shorten the script (about 7,680 bytes of text for both scripts together), or have a short script download the rest".to_owned(),
            ),
            ScriptFileError::NotUtf8 => (
                codes::SCRIPT_FILE,
                format!("script file `{relative}` is not UTF-8 text"),
                "not UTF-8".to_owned(),
                "scripts are sent to CCE as text; re-save the file as UTF-8".to_owned(),
            ),
            ScriptFileError::Unreadable { reason } => (
                codes::SCRIPT_FILE,
                format!("script file `{relative}` cannot be read ({reason})"),
                "cannot be read".to_owned(),
                "check the file's permissions, or write the script inline".to_owned(),
            ),
        };
        Draft::error(code, message)
            .at(self.file, span, label)
            .help(help)
    }

    pub(super) fn walk_lifecycle(&mut self, path: &str, value: &Val<'_>) -> Lifecycle {
        let mut lifecycle = Lifecycle::default();
        let Some(table) = self.table(path, value) else {
            return lifecycle;
        };
        self.check_keys(path, table, LIFECYCLE_KEYS);
        let mut spans = Vec::new();
        if let Some((_, value)) = table.get_key_value("pre_install") {
            lifecycle.pre_install = self.walk_script(&format!("{path}.pre_install"), value);
            if lifecycle.pre_install.is_some() {
                spans.push((value.span(), "pre_install"));
            }
        }
        if let Some((_, value)) = table.get_key_value("post_install") {
            lifecycle.post_install = self.walk_script(&format!("{path}.post_install"), value);
            if lifecycle.post_install.is_some() {
                spans.push((value.span(), "post_install"));
            }
        }
        if let Some((_, value)) = table.get_key_value("wait_post_install_finish") {
            lifecycle.wait_post_install_finish = self
                .boolean(&format!("{path}.wait_post_install_finish"), value)
                .unwrap_or(false);
        }
        let encoded: usize = [&lifecycle.pre_install, &lifecycle.post_install]
            .into_iter()
            .flatten()
            .map(|script| rules::base64_len(script.len()))
            .sum();
        if encoded > rules::MAX_SCRIPTS_BASE64 {
            let mut draft = Draft::error(
                codes::SCRIPT_TOO_LONG,
                format!(
                    "`{path}` scripts are {encoded} characters after base64; CCE allows at most {} for pre- and post-install together",
                    rules::MAX_SCRIPTS_BASE64
                ),
            );
            for (index, (span, name)) in spans.into_iter().enumerate() {
                draft = if index == 0 {
                    draft.at(self.file, span, format!("{name} counts toward the limit"))
                } else {
                    draft.also(span, format!("{name} counts toward the limit"))
                };
            }
            self.push(draft.help("shorten the scripts (about 7,680 bytes of text in total), or have a short script download the rest"));
        }
        lifecycle
    }
}
