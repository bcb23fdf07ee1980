//! The config language: reads one TOML file or every `*.toml` file of a
//! directory, validates it against CCE's rules, and produces the validated
//! [`Desired`](crate::model::Desired) model.
//!
//! Every problem becomes a [`ConfigDiagnostic`] with a stable code, a label on
//! the exact span and a help line; all of them are collected in one run and
//! returned together as [`ConfigErrors`]. Reading files is this module's only
//! side effect: it never reads the environment itself (callers pass a lookup
//! to [`load_with_env`]) and never prints.
//!
//! Layout: `load` is the front door (read, parse, merge, cross-file
//! checks), `files` finds the files a path names, `walk` turns one parsed
//! file into model values; `rules` and `password` hold the single-value
//! checks, `script_file` reads scripts safely, `graph` checks `depends_on`;
//! `schema` holds the raw types the JSON schema is generated from;
//! `diagnostic` the diagnostic types, `codes` their stable codes and
//! `source` how config text is shown in them.

pub mod codes;
mod diagnostic;
mod files;
mod graph;
mod load;
mod password;
mod rules;
mod schema;
mod script_file;
mod source;
mod walk;

pub(crate) use walk::keys::EXTEND_PARAM_KEYS;

pub use diagnostic::{ConfigDiagnostic, ConfigErrors, JsonDiagnostic, JsonReport};
pub use load::{load, load_source, load_with_env};
pub use schema::config_json_schema;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
