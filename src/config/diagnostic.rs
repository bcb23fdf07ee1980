//! Config diagnostics: one [`ConfigDiagnostic`] per problem, each with a
//! stable code, a label on the exact span of the file it is about, and a help
//! line; [`ConfigErrors`] holds all of them, so that one run reports every
//! problem. Also the machine-readable form ([`JsonDiagnostic`]) used by
//! `poolform validate --format json`.
//!
//! Text from the configuration (keys, values, file names, the source excerpt)
//! reaches the terminal through these diagnostics, so control characters in it
//! (an ESC that starts a terminal escape sequence, a NUL, a lone CR that
//! rewrites the line, a bidirectional override) are shown escaped, as
//! `\u{1b}`, never raw. The JSON form keeps the text as it was: JSON
//! escapes control characters itself.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, NamedSource, Severity, SourceCode};
use serde::Serialize;

/// The stable diagnostic codes. Tools may match on them; never rename one.
pub mod codes {
    /// The file could not be read.
    pub const IO: &str = "poolform::config::io";
    /// A directory without any `*.toml` file.
    pub const NO_CONFIG: &str = "poolform::config::no_config";
    /// TOML syntax error.
    pub const SYNTAX: &str = "poolform::config::syntax";
    /// A key the language does not have.
    pub const UNKNOWN_KEY: &str = "poolform::config::unknown_key";
    /// A required key is missing.
    pub const MISSING_KEY: &str = "poolform::config::missing_key";
    /// A value of the wrong TOML type.
    pub const INVALID_TYPE: &str = "poolform::config::invalid_type";
    /// A number outside its allowed range.
    pub const OUT_OF_RANGE: &str = "poolform::config::out_of_range";
    /// A string that is not one of the allowed values.
    pub const INVALID_VALUE: &str = "poolform::config::invalid_value";
    /// A pool or cluster key that is not a valid address.
    pub const INVALID_ADDRESS: &str = "poolform::config::invalid_address";
    /// A pool name CCE would reject.
    pub const INVALID_POOL_NAME: &str = "poolform::config::invalid_pool_name";
    /// The same pool address in two places.
    pub const DUPLICATE_POOL: &str = "poolform::config::duplicate_pool";
    /// The same cluster key in two places.
    pub const DUPLICATE_CLUSTER: &str = "poolform::config::duplicate_cluster";
    /// The same `[cloud]` setting in two files.
    pub const DUPLICATE_SETTING: &str = "poolform::config::duplicate_setting";
    /// Two pool addresses that name the same CCE pool.
    pub const DUPLICATE_POOL_NAME: &str = "poolform::config::duplicate_pool_name";
    /// `cluster = "x"` naming no `[clusters.x]`.
    pub const UNKNOWN_CLUSTER: &str = "poolform::config::unknown_cluster";
    /// A key the DefaultPool cannot take (it can only be synchronised).
    pub const DEFAULT_POOL_FIELD: &str = "poolform::config::default_pool_field";
    /// An endpoint the client would refuse: not an https URL (http only to
    /// loopback), or one with credentials, a query or a fragment.
    pub const INVALID_ENDPOINT: &str = "poolform::config::invalid_endpoint";
    /// A Kubernetes label key or value CCE would reject.
    pub const INVALID_LABEL: &str = "poolform::config::invalid_label";
    /// A label CCE manages itself.
    pub const RESERVED_LABEL: &str = "poolform::config::reserved_label";
    /// More labels than CCE allows.
    pub const TOO_MANY_LABELS: &str = "poolform::config::too_many_labels";
    /// A taint CCE would reject.
    pub const INVALID_TAINT: &str = "poolform::config::invalid_taint";
    /// More taints than CCE allows.
    pub const TOO_MANY_TAINTS: &str = "poolform::config::too_many_taints";
    /// The same taint key and effect twice.
    pub const DUPLICATE_TAINT: &str = "poolform::config::duplicate_taint";
    /// A user tag CCE would reject.
    pub const INVALID_USER_TAG: &str = "poolform::config::invalid_user_tag";
    /// More user tags than CCE allows.
    pub const TOO_MANY_USER_TAGS: &str = "poolform::config::too_many_user_tags";
    /// An `extend_params` key poolform does not know.
    pub const UNKNOWN_EXTEND_PARAM: &str = "poolform::config::unknown_extend_param";
    /// An `extend_params` key that has its own setting (or holds a secret).
    pub const RESERVED_EXTEND_PARAM: &str = "poolform::config::reserved_extend_param";
    /// A password written into the config.
    pub const LITERAL_PASSWORD: &str = "poolform::config::literal_password";
    /// A password (from the environment) that breaks CCE's password rules.
    pub const WEAK_PASSWORD: &str = "poolform::config::weak_password";
    /// No way to log in to the nodes.
    pub const LOGIN_REQUIRED: &str = "poolform::config::login_required";
    /// Both an ssh key and a password, or a `remove_*` flag with the same login.
    pub const LOGIN_CONFLICT: &str = "poolform::config::login_conflict";
    /// A script file that cannot be read.
    pub const SCRIPT_FILE: &str = "poolform::config::script_file";
    /// Pre- plus post-install scripts over CCE's limit.
    pub const SCRIPT_TOO_LONG: &str = "poolform::config::script_too_long";
    /// A script file outside the configuration's directory tree.
    pub const SCRIPT_OUTSIDE: &str = "poolform::config::script_outside";
    /// A volume setting CCE would reject.
    pub const INVALID_VOLUME: &str = "poolform::config::invalid_volume";
    /// `fixed_ips` together with `ip_block`, or more fixed IPs than nodes.
    pub const NIC_CONFLICT: &str = "poolform::config::nic_conflict";
    /// An IP address or CIDR block that does not parse.
    pub const INVALID_IP: &str = "poolform::config::invalid_ip";
    /// Autoscaling bounds that do not fit together (min > max, count outside).
    pub const AUTOSCALING_RANGE: &str = "poolform::config::autoscaling_range";
    /// A duration that does not parse.
    pub const INVALID_DURATION: &str = "poolform::config::invalid_duration";
    /// `max_unavailable` neither 1..=20 nor a percentage.
    pub const INVALID_MAX_UNAVAILABLE: &str = "poolform::config::invalid_max_unavailable";
    /// `depends_on` naming a pool that does not exist.
    pub const UNKNOWN_DEPENDENCY: &str = "poolform::config::unknown_dependency";
    /// `depends_on` edges that form a cycle.
    pub const DEPENDENCY_CYCLE: &str = "poolform::config::dependency_cycle";
    /// Every code above, for documentation checks.
    pub const ALL: &[&str] = &[
        IO,
        NO_CONFIG,
        SYNTAX,
        UNKNOWN_KEY,
        MISSING_KEY,
        INVALID_TYPE,
        OUT_OF_RANGE,
        INVALID_VALUE,
        INVALID_ADDRESS,
        INVALID_POOL_NAME,
        DUPLICATE_POOL,
        DUPLICATE_CLUSTER,
        DUPLICATE_SETTING,
        DUPLICATE_POOL_NAME,
        UNKNOWN_CLUSTER,
        DEFAULT_POOL_FIELD,
        INVALID_ENDPOINT,
        INVALID_LABEL,
        RESERVED_LABEL,
        TOO_MANY_LABELS,
        INVALID_TAINT,
        TOO_MANY_TAINTS,
        DUPLICATE_TAINT,
        INVALID_USER_TAG,
        TOO_MANY_USER_TAGS,
        UNKNOWN_EXTEND_PARAM,
        RESERVED_EXTEND_PARAM,
        LITERAL_PASSWORD,
        WEAK_PASSWORD,
        LOGIN_REQUIRED,
        LOGIN_CONFLICT,
        SCRIPT_FILE,
        SCRIPT_TOO_LONG,
        SCRIPT_OUTSIDE,
        INVALID_VOLUME,
        NIC_CONFLICT,
        INVALID_IP,
        AUTOSCALING_RANGE,
        INVALID_DURATION,
        INVALID_MAX_UNAVAILABLE,
        UNKNOWN_DEPENDENCY,
        DEPENDENCY_CYCLE,
    ];
}

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
    fn shift(&self, offset: usize) -> usize {
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

/// Where a diagnostic points.
#[derive(Debug, Clone)]
struct Location {
    source: NamedSource<Arc<str>>,
    file: String,
    labels: Vec<(Range<usize>, String)>,
    line: usize,
    column: usize,
}

/// One problem in a configuration.
#[derive(Debug, Clone)]
pub struct ConfigDiagnostic {
    code: &'static str,
    severity: Severity,
    message: String,
    help: Option<String>,
    location: Option<Location>,
    related: Vec<ConfigDiagnostic>,
}

impl ConfigDiagnostic {
    /// The stable code, such as `poolform::config::unknown_key`.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The message: a lowercase fragment.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// How to fix it.
    pub fn help(&self) -> Option<&str> {
        self.help.as_deref()
    }

    /// The file it is about, if any.
    pub fn file(&self) -> Option<&str> {
        self.location
            .as_ref()
            .map(|location| location.file.as_str())
    }

    /// 1-based line and column of the primary label, if any.
    pub fn line_column(&self) -> Option<(usize, usize)> {
        self.location
            .as_ref()
            .map(|location| (location.line, location.column))
    }

    /// Diagnostics attached to this one (such as "first defined here").
    pub fn related_diagnostics(&self) -> &[ConfigDiagnostic] {
        &self.related
    }

    /// The JSON form.
    pub fn to_json(&self) -> JsonDiagnostic {
        JsonDiagnostic {
            file: self.file().map(str::to_owned),
            line: self.line_column().map(|(line, _)| line),
            column: self.line_column().map(|(_, column)| column),
            code: self.code.to_owned(),
            severity: match self.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Advice => "advice",
            }
            .to_owned(),
            message: self.message.clone(),
            help: self.help.clone(),
            related: self.related.iter().map(Self::to_json).collect(),
        }
    }
}

impl fmt::Display for ConfigDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&escape_controls(&self.message))
    }
}

impl std::error::Error for ConfigDiagnostic {}

impl Diagnostic for ConfigDiagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn severity(&self) -> Option<Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|help| Box::new(escape_controls(help)) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.location
            .as_ref()
            .map(|location| &location.source as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let location = self.location.as_ref()?;
        Some(Box::new(location.labels.iter().enumerate().map(
            |(index, (span, label))| {
                let text = (!label.is_empty()).then(|| escape_controls(label).into_owned());
                if index == 0 {
                    LabeledSpan::new_primary_with_span(text, span.clone())
                } else {
                    LabeledSpan::new_with_span(text, span.clone())
                }
            },
        )))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(
            self.related
                .iter()
                .map(|related| related as &dyn Diagnostic),
        ))
    }
}

/// Every diagnostic of a configuration that failed to load.
#[derive(Debug, Clone)]
pub struct ConfigErrors {
    diagnostics: Vec<ConfigDiagnostic>,
}

impl ConfigErrors {
    pub(crate) fn new(diagnostics: Vec<ConfigDiagnostic>) -> Self {
        Self { diagnostics }
    }

    /// The diagnostics, ordered by file and position.
    pub fn diagnostics(&self) -> &[ConfigDiagnostic] {
        &self.diagnostics
    }

    /// The JSON document `poolform validate --format json` prints.
    pub fn to_json(&self) -> JsonReport {
        JsonReport::from_diagnostics(&self.diagnostics)
    }

    /// Renders every diagnostic as miette's graphical report without colour,
    /// `width` columns wide: what the CLI prints, and what tests snapshot.
    /// The summary line (`configuration has N errors`) is not included.
    pub fn render_plain(&self, width: usize) -> String {
        let handler =
            miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
                .with_width(width)
                .with_links(false);
        let mut out = String::new();
        for diagnostic in &self.diagnostics {
            // Writing into a String cannot fail; a formatting error would only
            // come from a broken Display impl, and then the text is best effort.
            let _ = handler.render_report(&mut out, diagnostic);
            out.push('\n');
        }
        out
    }

    fn summary(&self) -> String {
        let count = self.diagnostics.len();
        let noun = if count == 1 { "error" } else { "errors" };
        format!("configuration has {count} {noun}")
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.summary())
    }
}

impl std::error::Error for ConfigErrors {}

impl Diagnostic for ConfigErrors {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new("poolform::config::invalid"))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(
            "fix the problems listed above and run `poolform validate` again",
        ))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        Some(Box::new(
            self.diagnostics
                .iter()
                .map(|diagnostic| diagnostic as &dyn Diagnostic),
        ))
    }
}

/// One diagnostic as JSON, for editors and CI annotations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JsonDiagnostic {
    /// The file, when the diagnostic is about one.
    pub file: Option<String>,
    /// 1-based line.
    pub line: Option<usize>,
    /// 1-based column, in characters.
    pub column: Option<usize>,
    /// Stable code.
    pub code: String,
    /// `error`, `warning` or `advice`.
    pub severity: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
    /// Other places that belong to the same problem.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<JsonDiagnostic>,
}

/// The JSON document of `poolform validate --format json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JsonReport {
    /// Whether the configuration is valid.
    pub valid: bool,
    /// Number of errors.
    pub error_count: usize,
    /// Every diagnostic.
    pub diagnostics: Vec<JsonDiagnostic>,
}

impl JsonReport {
    /// The report of a valid configuration.
    pub fn valid() -> Self {
        Self {
            valid: true,
            error_count: 0,
            diagnostics: Vec::new(),
        }
    }

    fn from_diagnostics(diagnostics: &[ConfigDiagnostic]) -> Self {
        let error_count = diagnostics
            .iter()
            .filter(|diagnostic| diagnostic.severity == Severity::Error)
            .count();
        Self {
            valid: error_count == 0,
            error_count,
            diagnostics: diagnostics.iter().map(ConfigDiagnostic::to_json).collect(),
        }
    }
}

/// A diagnostic under construction: spans are byte ranges into a file
/// identified by index, resolved to sources only at the end, after secrets
/// have been redacted from the texts.
#[derive(Debug, Clone)]
pub(crate) struct Draft {
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    pub help: Option<String>,
    pub file: Option<usize>,
    pub labels: Vec<(Range<usize>, String)>,
    pub related: Vec<Draft>,
}

impl Draft {
    /// An error without a location yet.
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            severity: Severity::Error,
            message: message.into(),
            help: None,
            file: None,
            labels: Vec::new(),
            related: Vec::new(),
        }
    }

    /// A note attached to another diagnostic (such as "first defined here").
    pub fn note(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Advice,
            ..Self::error(code, message)
        }
    }

    /// Points the primary label at `span` of file `file`.
    pub fn at(mut self, file: usize, span: Range<usize>, label: impl Into<String>) -> Self {
        self.file = Some(file);
        self.labels.insert(0, (span, label.into()));
        self
    }

    /// Adds a secondary label in the same file.
    pub fn also(mut self, span: Range<usize>, label: impl Into<String>) -> Self {
        self.labels.push((span, label.into()));
        self
    }

    /// Sets the help line.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Attaches a related diagnostic (another place of the same problem).
    pub fn related(mut self, related: Draft) -> Self {
        self.related.push(related);
        self
    }

    /// Boxes the draft (it is large for an `Err` variant).
    pub fn boxed(self) -> Box<Self> {
        Box::new(self)
    }

    /// Where the primary label starts, for ordering.
    pub fn sort_key(&self) -> (Option<usize>, usize) {
        (
            self.file,
            self.labels.first().map(|(span, _)| span.start).unwrap_or(0),
        )
    }

    /// Resolves the draft against the (redacted) files.
    pub fn finish(self, files: &[SourceFile], originals: &[Arc<str>]) -> ConfigDiagnostic {
        let location = self.file.and_then(|index| {
            let file = files.get(index)?;
            let original = originals.get(index).unwrap_or(&file.text);
            let start = self.labels.first().map(|(span, _)| span.start).unwrap_or(0);
            let (line, column) = line_column(original, start);
            let len = file.text.len();
            let labels: Vec<(Range<usize>, String)> = self
                .labels
                .into_iter()
                .map(|(span, label)| {
                    (
                        clamp(file.shift(span.start)..file.shift(span.end), len),
                        label,
                    )
                })
                .collect();
            Some(Location {
                source: NamedSource::new(escape_controls(&file.name), Arc::clone(&file.text)),
                file: file.name.clone(),
                labels,
                line,
                column,
            })
        });
        ConfigDiagnostic {
            code: self.code,
            severity: self.severity,
            message: self.message,
            help: self.help,
            location,
            related: self
                .related
                .into_iter()
                .map(|related| related.finish(files, originals))
                .collect(),
        }
    }
}

fn clamp(span: Range<usize>, len: usize) -> Range<usize> {
    let start = span.start.min(len);
    let end = span.end.clamp(start, len);
    start..end
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
