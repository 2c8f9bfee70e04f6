//! Diagnostics as data: every entry error and lint warning as one flat record with a stable
//! `code`, for a dashboard, an admin API or a `--json` output (with the `serde` feature it
//! serializes as a JSON object with these field names).
//!
//! ```
//! use origin_policy::diagnostic::{Diagnostic, Severity};
//! use origin_policy::{Mode, Policy};
//!
//! let err = Policy::builder().allow(Mode::Live, "berbix.com").build().unwrap_err();
//! let diagnostic = Diagnostic::from(&err.entries()[0]);
//! assert_eq!(diagnostic.severity, Severity::Error);
//! assert_eq!(diagnostic.code, "missing_scheme");
//! assert_eq!((diagnostic.mode, diagnostic.index), (Some(Mode::Live), Some(0)));
//! assert_eq!(diagnostic.suggestion.as_deref(), Some("https://berbix.com"));
//! ```
//!
//! The codes are listed in `spec-table.md` ("Diagnostic codes") and never renamed once
//! released: [`PatternErrorKind::code`](crate::PatternErrorKind::code),
//! [`WarningKind::code`](crate::WarningKind::code) and the policy file's codes in [`codes`].

pub mod codes;
mod hint;
pub(crate) mod suggest;

use std::fmt;

pub use hint::{hint, MOVE_TO_TEST_LIST};
#[cfg(feature = "policy-file")]
pub(crate) use suggest::edit_distance;
pub use suggest::suggestion;

use crate::error::EntryError;
use crate::lint::{Warning, WarningKind};
use crate::mode::Mode;
use crate::options::PolicyOptions;
use crate::pattern;

/// What a hint tells to do with an entry that only test mode accepts, when nothing says
/// where the entry came from.
pub const MOVE_TO_TEST_MODE: &str = "add it in test mode instead";

/// Whether a diagnostic stops a build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(rename_all = "lowercase")
)]
pub enum Severity {
    /// The entry (or the file) is refused: the policy does not build.
    Error,
    /// The policy builds, but a rule is probably not what was meant.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// A byte range of the entry text ([`Diagnostic::entry`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct DiagnosticSpan {
    /// The first byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl From<crate::Span> for DiagnosticSpan {
    fn from(span: crate::Span) -> Self {
        DiagnosticSpan {
            start: span.start,
            end: span.end,
        }
    }
}

/// One entry error, lint warning or policy-file problem, as data.
///
/// Every field is always serialized (`null` when absent), so a consumer sees one shape.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The stable snake_case code (`misplaced_wildcard`, `duplicate_entry`), listed in
    /// `spec-table.md`.
    pub code: &'static str,
    /// One line saying what is wrong. Text from the input in it is not escaped: escape it
    /// where it is shown ([`echo`](crate::echo)).
    pub message: String,
    /// The mode of the entry.
    pub mode: Option<Mode>,
    /// The entry's position among the entries of its mode, from 0.
    pub index: Option<usize>,
    /// The entry text as given.
    pub entry: Option<String>,
    /// The bytes of [`entry`](Self::entry) at fault.
    pub span: Option<DiagnosticSpan>,
    /// What to do about it, for common mistakes.
    pub hint: Option<String>,
    /// The corrected entry, in canonical form, that a "Use this" button submits; only ever
    /// a valid entry of the mode.
    pub suggestion: Option<String>,
    /// The line of the policy file where the entry (or the problem) is, from 1.
    pub line: Option<usize>,
    /// The column of that line, from 1, in characters.
    pub column: Option<usize>,
}

impl Diagnostic {
    /// A diagnostic with no entry, for a problem of a policy file as a whole.
    pub fn file_error(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            mode: None,
            index: None,
            entry: None,
            span: None,
            hint: None,
            suggestion: None,
            line: None,
            column: None,
        }
    }

    /// The diagnostic of a bad entry of a policy with `options` (the hint's and the
    /// suggestion's rewrites are valid under them); `move_to_test` says how an entry is
    /// listed in test mode instead, in the words of where it came from
    /// ([`MOVE_TO_TEST_LIST`], [`MOVE_TO_TEST_MODE`]).
    pub fn of_entry_error(entry: &EntryError, options: PolicyOptions, move_to_test: &str) -> Self {
        let error = &entry.error;
        Diagnostic {
            severity: Severity::Error,
            code: error.kind().code(),
            message: error.kind().message().to_owned(),
            mode: Some(entry.mode),
            index: Some(entry.index),
            entry: Some(error.pattern().to_owned()),
            span: Some(error.span().into()),
            hint: hint(entry.mode, error, options, move_to_test),
            suggestion: suggestion(entry.mode, error, options),
            line: None,
            column: None,
        }
    }

    /// The same diagnostic, located at `line` and `column` of a policy file.
    pub fn at(mut self, line: Option<usize>, column: Option<usize>) -> Self {
        self.line = line;
        self.column = column;
        self
    }
}

/// The diagnostic of a bad entry, under the default options.
impl From<&EntryError> for Diagnostic {
    fn from(entry: &EntryError) -> Self {
        Diagnostic::of_entry_error(entry, PolicyOptions::default(), MOVE_TO_TEST_MODE)
    }
}

/// The diagnostic of a lint warning: its rule's mode, index and entry as written; the span
/// is the entry without surrounding whitespace, or the written default port.
impl From<&Warning<'_>> for Diagnostic {
    fn from(warning: &Warning<'_>) -> Self {
        let rule = warning.rule();
        let entry = rule.entry();
        let start = entry.len()
            - entry
                .trim_start_matches(|c: char| c.is_ascii_whitespace())
                .len();
        let end = entry
            .trim_end_matches(|c: char| c.is_ascii_whitespace())
            .len()
            .max(start);
        let mut span = DiagnosticSpan { start, end };
        let (hint, suggestion) = match warning.kind() {
            WarningKind::Duplicate => (
                Some("remove it: the earlier rule is the same".to_owned()),
                None,
            ),
            WarningKind::Redundant => (
                warning.other().map(|other| {
                    format!("remove it: `{other}` already allows every origin it allows")
                }),
                None,
            ),
            WarningKind::ExplicitDefaultPort => {
                if let Ok(located) = pattern::parse_located(entry) {
                    if let Some(port) = located.port {
                        span = DiagnosticSpan {
                            start: port.start,
                            end: port.end,
                        };
                    }
                }
                (
                    Some(format!("write `{rule}`: the default port is implied")),
                    Some(rule.as_str().to_owned()),
                )
            }
            WarningKind::FrameAncestorsTooLong => (
                Some(
                    "shorten the list (a `*.` wildcard for many hosts of one site) or raise \
                     `frame_ancestors_max_bytes`"
                        .to_owned(),
                ),
                None,
            ),
            WarningKind::ReportOnly => (
                Some(format!(
                    "once no request you need shows up as `would_deny`, remove `{}` from \
                     `report_only` to enforce the mode",
                    rule.mode()
                )),
                None,
            ),
            WarningKind::InsecureTestHttp => (
                Some("use `https`, unless the host is on a network you trust".to_owned()),
                None,
            ),
            WarningKind::AllowedPublicSuffixWildcard => (
                Some(
                    "list your own sites under the suffix instead, as in \
                     `https://your-name.github.io`"
                        .to_owned(),
                ),
                None,
            ),
            WarningKind::PublicSuffixHost => (
                Some(
                    "list your own site under it instead, as in `https://your-name.github.io`"
                        .to_owned(),
                ),
                None,
            ),
            WarningKind::NotInFrameAncestors => (
                warning.left_out().map(|reason| {
                    format!("pages on its origins cannot embed the service: {reason}")
                }),
                None,
            ),
        };
        Diagnostic {
            severity: Severity::Warning,
            code: warning.kind().code(),
            message: warning.to_string(),
            mode: Some(warning.mode()),
            index: Some(rule.index()),
            entry: Some(entry.to_owned()),
            span: Some(span),
            hint,
            suggestion,
            line: None,
            column: None,
        }
    }
}

impl fmt::Display for Diagnostic {
    /// `error[http_in_live]: live[1]: message` (a warning's message names its rules
    /// itself: `warning[duplicate_entry]: live[3] ... duplicates live[0] ...`), then the
    /// entry with `^^^` under the span and the hint, each escaped as
    /// [`echo`](crate::echo) says.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]: ", self.severity, self.code)?;
        // A warning's message names its rules itself.
        if let (Severity::Error, Some(mode), Some(index)) = (self.severity, self.mode, self.index) {
            write!(f, "{mode}[{index}]: ")?;
        }
        f.write_str(&crate::echo::echo(&self.message))?;
        if let (Some(entry), Some(span)) = (&self.entry, self.span) {
            let (line, carets) = crate::echo::with_carets(entry, span.start..span.end);
            write!(f, "\n  {line}\n  {carets}")?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Policy;

    #[test]
    fn an_entry_error_becomes_a_diagnostic() {
        let err = Policy::builder()
            .allow(Mode::Live, "https://ok.com")
            .allow(Mode::Live, "http://shop.x.com")
            .build()
            .unwrap_err();
        let d = Diagnostic::from(&err.entries()[0]);
        assert_eq!(d.severity, Severity::Error);
        assert_eq!(d.code, "http_in_live");
        assert_eq!(d.mode, Some(Mode::Live));
        assert_eq!(d.index, Some(1));
        assert_eq!(d.entry.as_deref(), Some("http://shop.x.com"));
        assert_eq!(d.span, Some(DiagnosticSpan { start: 0, end: 4 }));
        assert_eq!(d.suggestion.as_deref(), Some("https://shop.x.com"));
        let hint = d.hint.as_deref().unwrap();
        assert!(hint.contains("add it in test mode instead"), "{hint}");
        assert_eq!(
            d.to_string(),
            format!(
                "error[http_in_live]: live[1]: {}\n  http://shop.x.com\n  ^^^^\n  hint: {hint}",
                crate::PatternErrorKind::HttpInLive.message()
            )
        );
    }

    #[cfg(feature = "policy-file")]
    #[test]
    fn serializes_with_every_field() {
        let err = Policy::builder()
            .allow(Mode::Test, "htps://x.com")
            .build()
            .unwrap_err();
        let json = serde_json::to_value(Diagnostic::from(&err.entries()[0])).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "severity": "error",
                "code": "unsupported_scheme",
                "message": crate::PatternErrorKind::UnsupportedScheme.message(),
                "mode": "test",
                "index": 0,
                "entry": "htps://x.com",
                "span": {"start": 0, "end": 4},
                "hint": null,
                "suggestion": "https://x.com",
                "line": null,
                "column": null,
            })
        );
    }

    #[test]
    fn a_warning_becomes_a_diagnostic() {
        let policy = Policy::builder()
            .allow(Mode::Live, "https://*.x.com")
            .allow(Mode::Live, " https://a.x.com:443 ")
            .build()
            .unwrap();
        let warnings = policy.lint();
        let diagnostics: Vec<Diagnostic> = warnings.iter().map(Diagnostic::from).collect();
        let codes: Vec<_> = diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes, ["redundant_entry", "explicit_default_port"]);
        let redundant = &diagnostics[0];
        assert_eq!(redundant.severity, Severity::Warning);
        assert_eq!(redundant.index, Some(1));
        assert_eq!(redundant.span, Some(DiagnosticSpan { start: 1, end: 20 }));
        assert_eq!(redundant.message, warnings[0].to_string());
        let port = &diagnostics[1];
        assert_eq!(port.span, Some(DiagnosticSpan { start: 17, end: 20 }));
        assert_eq!(port.suggestion.as_deref(), Some("https://a.x.com"));
    }
}
