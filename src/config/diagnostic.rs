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

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, NamedSource, Severity, SourceCode};
use serde::Serialize;

use super::source::{SourceFile, escape_controls, line_column};

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
