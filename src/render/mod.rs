//! Plans for people and programs: Terraform-style text, versioned JSON shaped
//! like Terraform's plan JSON, and markdown for pull request comments.
//!
//! Every renderer is a pure function of the [`Plan`](crate::plan::Plan): the
//! same plan gives the same bytes, with no clock, environment or terminal
//! inspected here (the CLI decides about colour). Secrets cannot appear: a
//! plan never holds one.

mod drift;
mod json;
mod markdown;
#[cfg(test)]
mod tests;
mod text;
mod words;

pub use drift::{
    DriftOptions, JsonDriftReport, JsonNodeDrift, drift_json, drift_markdown, drift_text,
};
pub use json::{
    JsonBatch, JsonChange, JsonNode, JsonPlan, JsonResourceChange, JsonStep, JsonSummary, JsonSync,
    JsonUnmanagedPool, json, json_plan, plan_json_schema,
};
pub use markdown::{MARKDOWN_LIMIT, markdown};
pub use text::{TextOptions, text};
