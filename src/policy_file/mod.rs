//! Policy files read from their text (feature `policy-file`): TOML or JSON into a built
//! [`Policy`], and when that fails, errors located in the text with a hint for each bad
//! entry, the same messages the `origin-policy` CLI prints.
//!
//! ```
//! use origin_policy::policy_file::{self, Format};
//! use origin_policy::{Mode, PatternErrorKind};
//!
//! let text = "live = [\n  \"https://*.berbix.com\",\n  \"http://shop.berbix.com\",\n]\n";
//! let err = policy_file::parse("policy.toml", text, Format::Toml).unwrap_err();
//!
//! let bad = &err.entries()[0];
//! assert_eq!((bad.mode(), bad.index()), (Mode::Live, 1));
//! assert_eq!(bad.kind(), PatternErrorKind::HttpInLive);
//! assert_eq!((bad.line(), bad.column()), (Some(3), Some(3)));
//! assert_eq!(
//!     err.to_string(),
//!     "1 invalid entry:
//! policy.toml:3:3: live[1]: HttpInLive: `http` is available only in test mode; live mode is HTTPS only
//!   http://shop.berbix.com
//!   ^^^^
//!   hint: live mode is HTTPS only: use https, as in `https://shop.berbix.com`, or move it to the file's `test` list (valid in test mode)",
//! );
//!
//! let policy = policy_file::parse("policy.toml", "live = [\"https://*.berbix.com\"]", Format::Toml)?;
//! assert!(policy.is_allowed(Mode::Live, "https://docs.berbix.com"));
//! # Ok::<(), origin_policy::policy_file::PolicyFileError>(())
//! ```
//!
//! The format is the one of [`PolicyConfig`]: two optional lists, `live` and `test`, and an
//! optional `options` table; unknown keys are errors. A leading byte-order mark is skipped.
//! A text that is not such a file fails with a [`SyntaxError`] (the parser's message, with
//! the line and column); a file with bad entries fails with every one of them
//! ([`PolicyFileError::entries`]), each with its mode, index, [`PatternErrorKind`], the
//! `^^^` span, the line and column where the entry starts, and a [`hint`] for common
//! mistakes. [`lint`] gives the lint's warnings located the same way.
//!
//! [`PatternErrorKind`]: crate::PatternErrorKind

mod lenient;
mod limits;
mod locate;
mod report;

use std::path::Path;

pub use crate::diagnostic::{hint, MOVE_TO_TEST_LIST};
pub use limits::{Limit, LimitError, Limits};
pub use locate::Location;
pub use report::{EntryDiagnostic, EntrySite, FileWarning, PolicyFileError, SyntaxError};

use crate::config::PolicyConfig;
use crate::diagnostic::suggestion;
use crate::echo::{echo, echo_lines, with_carets};
use crate::error::EntryError;
use crate::mode::Mode;
use crate::options::PolicyOptions;
use crate::policy::Policy;

/// The format of a policy file's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// TOML: `live = [...]`, `test = [...]`, `[options]`.
    Toml,
    /// JSON: `{"live": [...], "test": [...], "options": {...}}`.
    Json,
}

impl Format {
    /// The format a file's name says: `.toml` or `.json`, in any case; `None` for another
    /// or no extension.
    ///
    /// ```
    /// use std::path::Path;
    /// use origin_policy::policy_file::Format;
    ///
    /// assert_eq!(Format::from_path(Path::new("etc/policy.JSON")), Some(Format::Json));
    /// assert_eq!(Format::from_path(Path::new("policy.toml")), Some(Format::Toml));
    /// assert_eq!(Format::from_path(Path::new("policy.json.bak")), None);
    /// ```
    pub fn from_path(path: &Path) -> Option<Format> {
        let extension = path.extension()?;
        if extension.eq_ignore_ascii_case("toml") {
            Some(Format::Toml)
        } else if extension.eq_ignore_ascii_case("json") {
            Some(Format::Json)
        } else {
            None
        }
    }

    /// The format a text is in, for text without a name (stdin): JSON when its first
    /// character other than whitespace or a byte-order mark is `{` (which no TOML document
    /// starts with), TOML otherwise.
    pub fn of_text(text: &str) -> Format {
        let start = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
        if start.starts_with('{') {
            Format::Json
        } else {
            Format::Toml
        }
    }

    /// What a policy file of this format holds, for the message about one that does not.
    pub(crate) fn expected(self) -> &'static str {
        match self {
            Format::Toml => {
                "expected `live = [...]`, `test = [...]` and an optional `[options]` table"
            }
            Format::Json => {
                "expected an object with `\"live\": [...]`, `\"test\": [...]` and an optional \
                 `\"options\": {...}`"
            }
        }
    }
}

/// Parses a policy file's `text` in `format` and builds it. `source_name` names the file in
/// messages (usually its path). The error is a [`SyntaxError`], or every bad entry located
/// in the text and hinted.
pub fn parse(source_name: &str, text: &str, format: Format) -> Result<Policy, PolicyFileError> {
    parse_with_limits(source_name, text, format, Limits::default())
}

/// [`parse`] with size limits other than the default ones: a file over one fails with a
/// [`LimitError`] located in the text.
pub fn parse_with_limits(
    source_name: &str,
    text: &str,
    format: Format,
    limits: Limits,
) -> Result<Policy, PolicyFileError> {
    PolicyFile::parse_with_limits(source_name, text, format, limits)?.build()
}

/// Parses and builds a policy file as [`parse`] does, and gives the lint's warnings
/// ([`Policy::lint`]), each located where its rule's entry starts.
///
/// ```
/// use origin_policy::policy_file::{self, Format};
///
/// let text = "live = [\"https://*.x.com\", \"https://a.x.com\"]";
/// let warnings = policy_file::lint("p.toml", text, Format::Toml)?;
/// assert_eq!(
///     warnings[0].to_string(),
///     "p.toml:1:28: warning: Redundant: live[1] https://a.x.com is covered by live[0] https://*.x.com",
/// );
/// # Ok::<(), origin_policy::policy_file::PolicyFileError>(())
/// ```
pub fn lint(
    source_name: &str,
    text: &str,
    format: Format,
) -> Result<Vec<FileWarning>, PolicyFileError> {
    let file = PolicyFile::parse(source_name, text, format)?;
    let policy = file.build()?;
    Ok(policy
        .lint()
        .iter()
        .map(|warning| FileWarning::new(file.site(warning.mode(), warning.rule().index()), warning))
        .collect())
}

/// A policy file's text, parsed but not built: its [`PolicyConfig`] and where each entry
/// starts. [`build`](Self::build) validates it; a caller that adds entries of its own (the
/// CLI's `--live` / `--test` flags) builds the combined config itself and names the file's
/// bad entries with [`diagnose`](Self::diagnose).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyFile {
    source_name: String,
    config: PolicyConfig,
    locations: [Vec<Location>; 2],
}

impl PolicyFile {
    /// Parses `text` in `format` under the default [`Limits`]; `source_name` names it in
    /// messages. A leading byte-order mark is skipped. Entries are not validated yet,
    /// except in a file with a key a policy file does not have (`tset = [...]`): its error
    /// lists the unknown keys and every bad entry of the rest together.
    pub fn parse(source_name: &str, text: &str, format: Format) -> Result<Self, PolicyFileError> {
        Self::parse_with_limits(source_name, text, format, Limits::default())
    }

    /// [`parse`](Self::parse) under `limits`.
    pub fn parse_with_limits(
        source_name: &str,
        text: &str,
        format: Format,
        limits: Limits,
    ) -> Result<Self, PolicyFileError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        if text.len() > limits.max_bytes {
            let location = Location::of_offset(text, limits.max_bytes);
            return Err(PolicyFileError::limit(LimitError::new(
                source_name,
                Limit::Bytes,
                limits.max_bytes,
                text.len(),
                Some(location),
            )));
        }
        let parsed = match format {
            Format::Toml => toml::from_str::<PolicyConfig>(text)
                .map_err(|err| toml_error(source_name, text, &err)),
            Format::Json => serde_json::from_str::<PolicyConfig>(text)
                .map_err(|err| json_error(source_name, &err)),
        };
        let config = match parsed {
            Ok(config) => config,
            Err(err) => {
                return Err(lenient::with_unknown_keys(
                    source_name,
                    text,
                    format,
                    limits,
                    err,
                ))
            }
        };
        let file = PolicyFile {
            source_name: source_name.to_owned(),
            config,
            locations: locate::entry_locations(text, format),
        };
        file.check_entry_limit(limits)?;
        Ok(file)
    }

    /// The error of the first mode with more entries than `limits` allow, located at its
    /// first entry past the limit.
    fn check_entry_limit(&self, limits: Limits) -> Result<(), PolicyFileError> {
        for mode in Mode::ALL {
            let count = match mode {
                Mode::Live => self.config.live.len(),
                Mode::Test => self.config.test.len(),
            };
            if count > limits.max_entries_per_mode {
                return Err(PolicyFileError::limit(LimitError::new(
                    &self.source_name,
                    Limit::EntriesPerMode(mode),
                    limits.max_entries_per_mode,
                    count,
                    self.location(mode, limits.max_entries_per_mode),
                )));
            }
        }
        Ok(())
    }

    /// The name given to [`parse`](Self::parse).
    pub fn source_name(&self) -> &str {
        &self.source_name
    }

    /// The entries and options.
    pub fn config(&self) -> &PolicyConfig {
        &self.config
    }

    /// Where entry `index` of `mode` starts in the text.
    pub fn location(&self, mode: Mode, index: usize) -> Option<Location> {
        self.locations[slot(mode)].get(index).copied()
    }

    /// The site of entry `index` of `mode`, for messages.
    pub fn site(&self, mode: Mode, index: usize) -> EntrySite {
        EntrySite::File {
            source_name: self.source_name.clone(),
            location: self.location(mode, index),
        }
    }

    /// Validates every entry and builds the policy; the error lists every bad entry,
    /// located and hinted.
    pub fn build(&self) -> Result<Policy, PolicyFileError> {
        self.config.build().map_err(|err| {
            let entries = err
                .entries()
                .iter()
                .map(|entry| self.diagnose(entry, self.config.options))
                .collect();
            PolicyFileError::invalid_entries(entries)
        })
    }

    /// The diagnostic of a bad entry of this file, under `options` (those of the policy
    /// being built, for the hint's rewrites).
    pub fn diagnose(&self, entry: &EntryError, options: PolicyOptions) -> EntryDiagnostic {
        let hint = hint(entry.mode, &entry.error, options, MOVE_TO_TEST_LIST);
        let suggestion = suggestion(entry.mode, &entry.error, options);
        EntryDiagnostic::new(self.site(entry.mode, entry.index), entry, hint)
            .with_suggestion(suggestion)
    }
}

fn slot(mode: Mode) -> usize {
    match mode {
        Mode::Live => 0,
        Mode::Test => 1,
    }
}

/// A TOML error laid out as the `toml` crate does (where, the line with `^` under the
/// fault, the message), with the line and the message escaped and cut like every echo.
fn toml_error(source_name: &str, text: &str, err: &toml::de::Error) -> PolicyFileError {
    // A syntax error's message may span lines of its own (`invalid array` / `expected ...`);
    // a wrong key or value gives a one-line message, where a line break can only come from
    // the file and is escaped.
    let syntax_error = toml::from_str::<toml::Table>(text).is_err();
    let raw = err.message().trim_end();
    let message = if syntax_error {
        echo_lines(raw)
    } else {
        echo(raw).into_owned()
    };
    let Some(span) = err.span() else {
        let error = SyntaxError::new(source_name, Format::Toml, None, raw.to_owned(), message);
        return PolicyFileError::syntax(error);
    };
    let location = Location::of_offset(text, span.start);
    let line_start = text
        .get(..span.start)
        .and_then(|before| before.rfind('\n'))
        .map_or(0, |at| at + 1);
    let rest = text.get(line_start..).unwrap_or_default();
    let content = rest.split('\n').next().unwrap_or_default();
    let content = content.strip_suffix('\r').unwrap_or(content);
    let start = span.start.saturating_sub(line_start);
    let end = span.end.saturating_sub(line_start).min(content.len());
    let (shown_line, carets) = with_carets(content, start..end);
    let Location { line, column } = location;
    let gutter = " ".repeat(line.to_string().len() + 1);
    let detail = format!(
        "TOML parse error at line {line}, column {column}\n{gutter}|\n{line} | \
         {shown_line}\n{gutter}| {carets}\n{message}"
    );
    PolicyFileError::syntax(SyntaxError::new(
        source_name,
        Format::Toml,
        Some(location),
        raw.to_owned(),
        detail,
    ))
}

/// A JSON error: serde_json's message, escaped and cut like every echo, and where it is.
fn json_error(source_name: &str, err: &serde_json::Error) -> PolicyFileError {
    let full = err.to_string();
    let at = format!(" at line {} column {}", err.line(), err.column());
    let (raw, detail, location) = match full.strip_suffix(&at) {
        Some(message) if err.line() > 0 => (
            message.to_owned(),
            format!("{}{at}", echo(message)),
            Some(Location {
                line: err.line(),
                column: err.column(),
            }),
        ),
        _ => (full.clone(), echo(&full).into_owned(), None),
    };
    PolicyFileError::syntax(SyntaxError::new(
        source_name,
        Format::Json,
        location,
        raw,
        detail,
    ))
}
