//! The config language as Rust types, for the JSON schema only.
//!
//! The loader does not deserialize into these types: it walks the TOML tree
//! itself so that it can report every problem with its exact span in one run
//! (see `walk`). These types exist so that `schemars` can generate
//! `schema/poolform.schema.json`, which editors (taplo, Even Better TOML) use
//! to complete and check configs. Their doc comments become the schema's
//! descriptions and name the CCE API field each key maps to. A test keeps the
//! walker's key lists and these types in agreement.
//!
//! Layout: `document` holds the top-level tables, `pool` a pool's own keys,
//! `template` and `rollout` the tables inside it, `generate` turns them into
//! the schema document.

#![expect(
    dead_code,
    reason = "the types are read by schemars' derive only; nothing constructs them"
)]

mod document;
mod generate;
mod pool;
mod rollout;
mod template;

pub use generate::config_json_schema;
