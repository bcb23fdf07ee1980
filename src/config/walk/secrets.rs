//! Which values are secrets, so that no diagnostic ever shows them: by key
//! name while walking, and by a line heuristic for files that do not parse.

use std::ops::Range;

/// Whether a key name looks like it holds a secret, so its value is redacted
/// from any source shown, even when the key itself is an error.
pub(super) fn looks_secret(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    if key.starts_with("remove_") {
        return false;
    }
    ["password", "passwd", "secret", "token", "private_key"]
        .iter()
        .any(|marker| key.contains(marker))
        || key == "sk"
        || key == "ak"
}

/// Spans of values of secret-looking keys, found line by line without a
/// parse tree: used for files with syntax errors. Everything after the `=`
/// that follows a secret-looking word is redacted, so inline tables such as
/// `login = { password = "..." }` are covered too.
pub(crate) fn heuristic_secret_spans(text: &str) -> Vec<Range<usize>> {
    const MARKERS: [&str; 5] = ["password", "passwd", "secret", "token", "private_key"];
    let mut spans = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let lowered = line.to_ascii_lowercase();
        let content_end = line.trim_end_matches(['\n', '\r']).len();
        let first_value = MARKERS
            .iter()
            .flat_map(|marker| {
                lowered
                    .match_indices(marker)
                    .map(move |(index, _)| index + marker.len())
            })
            .filter_map(|after| {
                let rest = &lowered[after..];
                let skipped = rest.len() - rest.trim_start_matches(['"', '\'', ' ', '\t']).len();
                rest[skipped..]
                    .starts_with('=')
                    .then_some(after + skipped + 1)
            })
            .min();
        if let Some(start) = first_value.filter(|start| *start < content_end) {
            spans.push(offset + start..offset + content_end);
        }
        offset += line.len();
    }
    spans
}
