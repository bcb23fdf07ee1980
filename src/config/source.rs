//! How configuration text is shown in diagnostics: with secrets already
//! redacted, control characters escaped (so a config cannot drive the
//! terminal), spans moved onto the escaped text, and offsets turned into
//! 1-based lines and columns.

use std::borrow::Cow;
use std::sync::Arc;

/// A config file as shown in diagnostics: its display name and its text with
/// secrets redacted (replaced by `*`) and control characters escaped.
#[derive(Debug, Clone)]
pub(crate) struct SourceFile {
    /// The path as shown to the user.
    pub name: String,
    /// The text, redacted and escaped.
    pub text: Arc<str>,
    /// Where escaping lengthened the text: the byte offset of each escaped
    /// character in the original and how many bytes its escape added, in
    /// order, so that spans into the original can be moved onto `text`.
    pub escapes: Vec<(usize, usize)>,
}

impl SourceFile {
    /// The file `name` whose (already redacted) text is `redacted`.
    pub fn new(name: String, redacted: &Arc<str>) -> Self {
        let mut escapes = Vec::new();
        let mut escaped = String::new();
        let mut copied = 0;
        let mut chars = redacted.char_indices().peekable();
        while let Some((offset, c)) = chars.next() {
            // A CR that ends a line is a Windows line ending, not a trick.
            let line_ending = c == '\r' && chars.peek().is_some_and(|(_, next)| *next == '\n');
            if !needs_escape(c) || line_ending {
                continue;
            }
            escaped.push_str(&redacted[copied..offset]);
            let escape = escape_char(c);
            escapes.push((offset, escape.len() - c.len_utf8()));
            escaped.push_str(&escape);
            copied = offset + c.len_utf8();
        }
        let text = if escapes.is_empty() {
            Arc::clone(redacted)
        } else {
            escaped.push_str(&redacted[copied..]);
            Arc::from(escaped)
        };
        Self {
            name,
            text,
            escapes,
        }
    }

    /// Moves a byte offset of the original text onto the escaped text.
    pub(super) fn shift(&self, offset: usize) -> usize {
        let added: usize = self
            .escapes
            .iter()
            .take_while(|(at, _)| *at < offset)
            .map(|(_, added)| added)
            .sum();
        offset + added
    }
}

/// Whether a character must not reach a terminal raw: control characters
/// other than newline and tab, and the invisible marks that reorder text.
fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn escape_char(c: char) -> String {
    format!("\\u{{{:x}}}", u32::from(c))
}

/// `text` with every character [`needs_escape`] picks written as `\u{..}`.
pub(crate) fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if needs_escape(c) {
            escaped.push_str(&escape_char(c));
        } else {
            escaped.push(c);
        }
    }
    Cow::Owned(escaped)
}

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|index| index + 1).unwrap_or(0);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_counts_from_one_in_characters() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 6), (2, 1));
        // "bé" is three bytes; the `=` after it is the 4th character.
        assert_eq!(line_column(text, 10), (2, 4));
        assert_eq!(line_column(text, 1000), (3, 1));
    }

    #[test]
    fn control_characters_are_escaped_and_the_rest_kept() {
        assert_eq!(
            escape_controls("plain `text`\tand tab"),
            "plain `text`\tand tab"
        );
        assert_eq!(
            escape_controls("a\u{1b}[31mb\0c\rd"),
            "a\\u{1b}[31mb\\u{0}c\\u{d}d"
        );
        assert_eq!(escape_controls("x\u{202e}y\u{9b}z"), "x\\u{202e}y\\u{9b}z");
    }

    #[test]
    fn spans_move_onto_the_escaped_source() {
        let original: Arc<str> = Arc::from("k = \"\u{1b}[1m\"\r\nv = \"\0x\"\n");
        let file = SourceFile::new("a.toml".to_owned(), &original);
        assert_eq!(&*file.text, "k = \"\\u{1b}[1m\"\r\nv = \"\\u{0}x\"\n");
        // The span of each value, before and after escaping.
        let first = 4..10;
        assert_eq!(&original[first.clone()], "\"\u{1b}[1m\"");
        let shifted = file.shift(first.start)..file.shift(first.end);
        assert_eq!(&file.text[shifted], "\"\\u{1b}[1m\"");
        let second = 16..20;
        assert_eq!(&original[second.clone()], "\"\0x\"");
        let shifted = file.shift(second.start)..file.shift(second.end);
        assert_eq!(&file.text[shifted], "\"\\u{0}x\"");
    }
}
