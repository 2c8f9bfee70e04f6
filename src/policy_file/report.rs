//! What goes wrong reading a policy file, located in its text: a syntax error of the file,
//! or every bad entry with its hint; and the lint's warnings, located the same way.

use std::fmt;

use crate::diagnostic::{codes, edit_distance, Diagnostic, Severity};
use crate::echo::{echo, with_carets};
use crate::error::{EntryError, PatternError, PatternErrorKind, Span};
use crate::lint::{Warning, WarningKind};
use crate::mode::Mode;

use super::{Format, LimitError, Location};

/// Where an entry came from, to name it in messages.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EntrySite {
    /// An entry of a policy file, by the name of the file and where the entry starts in it
    /// (`None` when the parser could not tell). Shown as `policy.toml:12:3: live[1]`.
    File {
        /// The name of the file (or of the text's source) as given to the parser.
        source_name: String,
        /// Where the entry starts.
        location: Option<Location>,
    },
    /// An entry given some other way, by the name its caller gives it (the CLI names a
    /// `--live` flag's entry `--live #2`). Shown as that name alone.
    Named(String),
    /// An entry known only by its mode and index, as a [`PolicyConfig`](crate::PolicyConfig)
    /// built in code has it. Shown as `live[1]`.
    Unnamed,
}

/// One bad entry, located: its site, mode and index, the [`PatternError`] (kind, pattern
/// text, span) and a hint for common mistakes.
///
/// `Display` prints the site, the kind's name and message, the pattern on its own line with
/// `^^^` under the fault, and the hint, each echo escaped as [`echo`](crate::echo) says:
///
/// ```text
/// policy.toml:5:3: live[2]: HttpInLive: `http` is available only in test mode; live mode is HTTPS only
///   http://shop.example.com
///   ^^^^
///   hint: live mode is HTTPS only: use https, as in `https://shop.example.com`, or move it to the file's `test` list (valid in test mode)
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryDiagnostic {
    site: EntrySite,
    mode: Mode,
    index: usize,
    error: PatternError,
    hint: Option<String>,
    suggestion: Option<String>,
}

impl EntryDiagnostic {
    /// The diagnostic of a bad entry of a build ([`BuildError::entries`](crate::BuildError::entries)),
    /// named by `site`, with `hint` (see [`hint`](super::hint())).
    pub fn new(site: EntrySite, entry: &EntryError, hint: Option<String>) -> Self {
        EntryDiagnostic {
            site,
            mode: entry.mode,
            index: entry.index,
            error: entry.error.clone(),
            hint,
            suggestion: None,
        }
    }

    /// The same diagnostic with a suggestion: the corrected entry (see
    /// [`suggestion`](crate::diagnostic::suggestion())).
    pub fn with_suggestion(mut self, suggestion: Option<String>) -> Self {
        self.suggestion = suggestion;
        self
    }

    /// The corrected entry, when one is valid in the entry's mode.
    pub fn suggestion(&self) -> Option<&str> {
        self.suggestion.as_deref()
    }

    /// The diagnostic as data, located at the entry's line and column.
    pub fn to_diagnostic(&self) -> Diagnostic {
        let error = &self.error;
        Diagnostic {
            severity: Severity::Error,
            code: error.kind().code(),
            message: error.kind().message().to_owned(),
            mode: Some(self.mode),
            index: Some(self.index),
            entry: Some(error.pattern().to_owned()),
            span: Some(error.span().into()),
            hint: self.hint.clone(),
            suggestion: self.suggestion.clone(),
            line: self.line(),
            column: self.column(),
        }
    }

    /// Where the entry came from.
    pub fn site(&self) -> &EntrySite {
        &self.site
    }

    /// The mode whose list holds the entry.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The entry's position among the entries of its mode, from 0.
    pub fn index(&self) -> usize {
        self.index
    }

    /// Where the entry starts in the file, when the site is a file and the parser told.
    pub fn location(&self) -> Option<Location> {
        match &self.site {
            EntrySite::File { location, .. } => *location,
            _ => None,
        }
    }

    /// The line where the entry starts, from 1.
    pub fn line(&self) -> Option<usize> {
        self.location().map(|location| location.line)
    }

    /// The column where the entry starts, from 1, in characters.
    pub fn column(&self) -> Option<usize> {
        self.location().map(|location| location.column)
    }

    /// What is wrong with the entry.
    pub fn kind(&self) -> PatternErrorKind {
        self.error.kind()
    }

    /// The entry as written.
    pub fn pattern(&self) -> &str {
        self.error.pattern()
    }

    /// The bytes of [`pattern`](Self::pattern) at fault.
    pub fn span(&self) -> Span {
        self.error.span()
    }

    /// The error of the pattern: kind, text and span.
    pub fn error(&self) -> &PatternError {
        &self.error
    }

    /// The hint, if the mistake is a common one.
    pub fn hint(&self) -> Option<&str> {
        self.hint.as_deref()
    }
}

impl fmt::Display for EntryDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (mode, index) = (self.mode, self.index);
        match &self.site {
            EntrySite::File {
                source_name,
                location: Some(Location { line, column }),
            } => write!(f, "{}:{line}:{column}: {mode}[{index}]", echo(source_name))?,
            EntrySite::File {
                source_name,
                location: None,
            } => write!(f, "{}: {mode}[{index}]", echo(source_name))?,
            EntrySite::Named(name) => write!(f, "{}", echo(name))?,
            EntrySite::Unnamed => write!(f, "{mode}[{index}]")?,
        }
        let kind = self.error.kind();
        let (pattern, carets) = with_carets(self.error.pattern(), self.error.span().range());
        write!(f, ": {kind:?}: {kind}\n  {pattern}\n  {carets}")?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

/// A policy file that its format cannot read, or that does not hold a policy (an unknown
/// key, a value of the wrong type): the format's message, located in the text when the
/// parser says where.
///
/// `Display` prints `SOURCE:LINE:COL: not a valid policy file (expected ...):` and then the
/// parser's message (for TOML, with the line and `^` under the fault).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    source_name: String,
    format: Format,
    location: Option<Location>,
    message: String,
    detail: String,
}

impl SyntaxError {
    pub(crate) fn new(
        source_name: &str,
        format: Format,
        location: Option<Location>,
        message: String,
        detail: String,
    ) -> Self {
        SyntaxError {
            source_name: source_name.to_owned(),
            format,
            location,
            message,
            detail,
        }
    }

    /// The format the text was read as.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Where the parser found the fault, when it says.
    pub fn location(&self) -> Option<Location> {
        self.location
    }

    /// The line of the fault, from 1.
    pub fn line(&self) -> Option<usize> {
        self.location.map(|location| location.line)
    }

    /// The column of the fault, from 1, in characters.
    pub fn column(&self) -> Option<usize> {
        self.location.map(|location| location.column)
    }

    /// The parser's message alone (as the parser gives it, not escaped).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The error as data: code `invalid_policy_file`, the parser's message, the line and
    /// column.
    pub fn to_diagnostic(&self) -> Diagnostic {
        let message = format!(
            "not a valid policy file ({}): {}",
            self.format.expected(),
            self.message
        );
        Diagnostic::file_error(codes::INVALID_POLICY_FILE, message).at(self.line(), self.column())
    }
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = echo(&self.source_name);
        match self.location {
            Some(Location { line, column }) => write!(f, "{source}:{line}:{column}: ")?,
            None => write!(f, "{source}: ")?,
        }
        write!(
            f,
            "not a valid policy file ({}):\n{}",
            self.format.expected(),
            self.detail
        )
    }
}

/// Why a policy file gave no policy: a [`SyntaxError`], or every bad entry
/// ([`entries`](Self::entries)), each located and hinted.
///
/// `Display` prints the syntax error, or `N invalid entries:` and then each
/// [`EntryDiagnostic`] on the lines after it: what the `origin-policy` CLI prints after
/// `error: `.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyFileError {
    repr: Repr,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Repr {
    Syntax(Box<SyntaxError>),
    Entries(Vec<EntryDiagnostic>),
    /// Keys a policy file does not have, reported with every bad entry of the rest: the
    /// parser's error (about the first such key), every such key, and the entries.
    /// (Boxed, so that the error stays three words.)
    UnknownKeys(Box<UnknownKeys>),
    Limit(Box<LimitError>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct UnknownKeys {
    syntax: SyntaxError,
    keys: Vec<String>,
    entries: Vec<EntryDiagnostic>,
}

impl PolicyFileError {
    /// The error of bad entries, in the order given (which is the order `Display` prints).
    /// A caller that adds entries of its own to a file's (the CLI's flags) reports them
    /// together this way.
    pub fn invalid_entries(entries: Vec<EntryDiagnostic>) -> Self {
        PolicyFileError {
            repr: Repr::Entries(entries),
        }
    }

    pub(crate) fn syntax(error: SyntaxError) -> Self {
        PolicyFileError {
            repr: Repr::Syntax(Box::new(error)),
        }
    }

    pub(crate) fn with_unknown_keys(
        syntax: SyntaxError,
        keys: Vec<String>,
        entries: Vec<EntryDiagnostic>,
    ) -> Self {
        PolicyFileError {
            repr: Repr::UnknownKeys(Box::new(UnknownKeys {
                syntax,
                keys,
                entries,
            })),
        }
    }

    pub(crate) fn limit(error: LimitError) -> Self {
        PolicyFileError {
            repr: Repr::Limit(Box::new(error)),
        }
    }

    /// The syntax error, when the file could not be read as a policy at all, or holds a
    /// key that a policy file does not have (then [`entries`](Self::entries) still lists
    /// every bad entry of the rest).
    pub fn syntax_error(&self) -> Option<&SyntaxError> {
        match &self.repr {
            Repr::Syntax(error) => Some(error),
            Repr::UnknownKeys(unknown) => Some(&unknown.syntax),
            Repr::Entries(_) | Repr::Limit(_) => None,
        }
    }

    /// The keys of the file that a policy file does not have (`tset` for `test`), when
    /// that is what is wrong with it.
    pub fn unknown_keys(&self) -> &[String] {
        match &self.repr {
            Repr::UnknownKeys(unknown) => &unknown.keys,
            _ => &[],
        }
    }

    /// The limit the file exceeds, when it does ([`Limits`](super::Limits)).
    pub fn limit_error(&self) -> Option<&LimitError> {
        match &self.repr {
            Repr::Limit(error) => Some(error),
            _ => None,
        }
    }

    /// Every bad entry (empty for a syntax error or a limit).
    pub fn entries(&self) -> &[EntryDiagnostic] {
        match &self.repr {
            Repr::Entries(entries) => entries,
            Repr::UnknownKeys(unknown) => &unknown.entries,
            Repr::Syntax(_) | Repr::Limit(_) => &[],
        }
    }

    /// Every problem as data ([`Diagnostic`]), in the order `Display` prints them: the
    /// syntax error (code `invalid_policy_file`, located when the parser says where), or
    /// each bad entry with its code, span, hint, suggestion, line and column.
    ///
    /// A file with unknown keys gives one `unknown_key` diagnostic per key (the one the
    /// parser named located, with a hint when it is close to a key of the format) and then
    /// every bad entry; a file over a limit gives `too_many_entries` or `policy_too_large`.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        match &self.repr {
            Repr::Syntax(error) => vec![error.to_diagnostic()],
            Repr::Entries(entries) => entries.iter().map(EntryDiagnostic::to_diagnostic).collect(),
            Repr::UnknownKeys(unknown) => unknown
                .keys
                .iter()
                .map(|key| unknown_key_diagnostic(key, &unknown.syntax))
                .chain(unknown.entries.iter().map(EntryDiagnostic::to_diagnostic))
                .collect(),
            Repr::Limit(error) => vec![error.to_diagnostic()],
        }
    }
}

impl fmt::Display for PolicyFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Syntax(error) => error.fmt(f),
            Repr::Entries(entries) => write_entries(f, entries),
            Repr::UnknownKeys(unknown) => {
                let UnknownKeys {
                    syntax,
                    keys,
                    entries,
                } = &**unknown;
                syntax.fmt(f)?;
                if keys.len() > 1 {
                    let shown: Vec<String> =
                        keys.iter().map(|key| format!("`{}`", echo(key))).collect();
                    write!(f, "\nunknown keys: {}", shown.join(", "))?;
                }
                if !entries.is_empty() {
                    f.write_str("\n")?;
                    write_entries(f, entries)?;
                }
                Ok(())
            }
            Repr::Limit(error) => error.fmt(f),
        }
    }
}

/// `N invalid entries:` and each entry's diagnostic on the lines after it.
fn write_entries(f: &mut fmt::Formatter<'_>, entries: &[EntryDiagnostic]) -> fmt::Result {
    let noun = if entries.len() == 1 {
        "entry"
    } else {
        "entries"
    };
    write!(f, "{} invalid {noun}:", entries.len())?;
    for entry in entries {
        write!(f, "\n{entry}")?;
    }
    Ok(())
}

/// The keys a policy file has at the top.
pub(crate) const POLICY_KEYS: [&str; 3] = ["live", "test", "options"];

/// The diagnostic of an unknown key; located when it is the key the parser named.
fn unknown_key_diagnostic(key: &str, syntax: &SyntaxError) -> Diagnostic {
    let mut diagnostic = Diagnostic::file_error(
        codes::UNKNOWN_KEY,
        format!("unknown key `{key}`: a policy file has only `live`, `test` and `options`"),
    );
    diagnostic.hint = POLICY_KEYS
        .iter()
        .map(|known| (edit_distance(&key.to_ascii_lowercase(), known), known))
        .filter(|(distance, _)| *distance <= 2)
        .min()
        .map(|(_, known)| format!("did you mean `{known}`?"));
    if syntax.message().contains(&format!("`{key}`")) {
        diagnostic = diagnostic.at(syntax.line(), syntax.column());
    }
    diagnostic
}

impl std::error::Error for PolicyFileError {}

/// A lint [`Warning`] of a policy file's rule, located where the rule's entry starts.
///
/// `Display` prints `SOURCE:LINE:COL: warning: KIND: MESSAGE`, as in
/// `policy.toml:9:3: warning: Redundant: live[2] https://a.x.com is covered by live[0] https://*.x.com`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileWarning {
    site: EntrySite,
    kind: WarningKind,
    mode: Mode,
    index: usize,
    message: String,
    diagnostic: Box<Diagnostic>,
}

impl FileWarning {
    /// The warning, named by `site`.
    pub fn new(site: EntrySite, warning: &Warning<'_>) -> Self {
        let location = match &site {
            EntrySite::File { location, .. } => *location,
            _ => None,
        };
        let diagnostic =
            Diagnostic::from(warning).at(location.map(|at| at.line), location.map(|at| at.column));
        FileWarning {
            site,
            kind: warning.kind(),
            mode: warning.mode(),
            index: warning.rule().index(),
            message: warning.to_string(),
            diagnostic: Box::new(diagnostic),
        }
    }

    /// The warning as data ([`Diagnostic`]), located where its rule's entry starts.
    pub fn to_diagnostic(&self) -> Diagnostic {
        (*self.diagnostic).clone()
    }

    /// Where the rule's entry came from.
    pub fn site(&self) -> &EntrySite {
        &self.site
    }

    /// Where the rule's entry starts in the file, when known.
    pub fn location(&self) -> Option<Location> {
        match &self.site {
            EntrySite::File { location, .. } => *location,
            _ => None,
        }
    }

    /// What the warning is about.
    pub fn kind(&self) -> WarningKind {
        self.kind
    }

    /// The mode of the rule.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The rule's index among the entries of its mode.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The warning's `Display` line (`live[2] https://a.x.com is covered by ...`).
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for FileWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.site {
            EntrySite::File {
                source_name,
                location: Some(Location { line, column }),
            } => write!(f, "{}:{line}:{column}: ", echo(source_name))?,
            EntrySite::File { source_name, .. } => write!(f, "{}: ", echo(source_name))?,
            EntrySite::Named(name) => write!(f, "{}: ", echo(name))?,
            EntrySite::Unnamed => {}
        }
        write!(f, "warning: {:?}: {}", self.kind, echo(&self.message))
    }
}
