//! Fuzzes the config loader: no input may panic it, and whatever it reports
//! must render as text and as JSON. The same property runs briefly in the
//! test suite (`src/config/proptests.rs`); this target runs it for as long as
//! you like: `cargo +nightly fuzz run load`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Scripts named by the input are looked up beside the quickstart, so
    // `{ file = ... }` paths can succeed as well as fail.
    let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/quickstart");
    match poolform::config::load_source("fuzz.toml", text, &base) {
        Ok(desired) => {
            let _ = serde_json::to_string(&desired);
        }
        Err(errors) => {
            assert!(!errors.diagnostics().is_empty());
            let _ = errors.render_plain(100);
            let _ = serde_json::to_string(&errors.to_json());
        }
    }
});
