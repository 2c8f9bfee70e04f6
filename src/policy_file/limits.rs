//! The size limits of a policy file: entries per mode and bytes of text, so that one
//! tenant's policy cannot take a reader's memory. Exceeding one is an error located in the
//! text that names the limit.

use std::fmt;

use crate::diagnostic::{codes, Diagnostic};
use crate::echo::echo;
use crate::mode::Mode;

use super::Location;

/// How large a policy file may be: at most `max_entries_per_mode` entries in each of the
/// `live` and `test` lists, and at most `max_bytes` bytes of text (after a byte-order mark).
///
/// The defaults ([`Limits::default`]) are [`DEFAULT_MAX_ENTRIES_PER_MODE`](Self::DEFAULT_MAX_ENTRIES_PER_MODE)
/// = 20,000 entries per mode and [`DEFAULT_MAX_BYTES`](Self::DEFAULT_MAX_BYTES) = 4 MiB:
/// far above any hand-kept allow-list, and a built policy of that size takes a few MiB. A
/// reader with other needs sets its own (the CLI's `--max-entries`, the server's flag), or
/// [`Limits::UNLIMITED`].
///
/// ```
/// use origin_policy::policy_file::{self, Format, Limits};
///
/// let text = "live = [\"https://a.com\", \"https://b.com\", \"https://c.com\"]";
/// let limits = Limits::default().with_max_entries_per_mode(2);
/// let err = policy_file::parse_with_limits("p.toml", text, Format::Toml, limits).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "p.toml:1:43: live[2]: too many entries: the live list has 3 entries, over the limit \
///      of 2 entries per mode (max_entries_per_mode)",
/// );
/// assert_eq!(err.diagnostics()[0].code, "too_many_entries");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Limits {
    /// The most entries each mode's list may hold.
    pub max_entries_per_mode: usize,
    /// The most bytes the text may have.
    pub max_bytes: usize,
}

impl Limits {
    /// The default of [`max_entries_per_mode`](Self::max_entries_per_mode).
    pub const DEFAULT_MAX_ENTRIES_PER_MODE: usize = 20_000;
    /// The default of [`max_bytes`](Self::max_bytes): 4 MiB.
    pub const DEFAULT_MAX_BYTES: usize = 4 << 20;
    /// No limit but memory.
    pub const UNLIMITED: Limits = Limits {
        max_entries_per_mode: usize::MAX,
        max_bytes: usize::MAX,
    };

    /// Limits of `max_entries_per_mode` entries per mode and `max_bytes` bytes.
    pub const fn new(max_entries_per_mode: usize, max_bytes: usize) -> Self {
        Limits {
            max_entries_per_mode,
            max_bytes,
        }
    }

    /// These limits with another [`max_entries_per_mode`](Self::max_entries_per_mode).
    pub const fn with_max_entries_per_mode(self, max_entries_per_mode: usize) -> Self {
        Limits {
            max_entries_per_mode,
            ..self
        }
    }

    /// These limits with another [`max_bytes`](Self::max_bytes).
    pub const fn with_max_bytes(self, max_bytes: usize) -> Self {
        Limits { max_bytes, ..self }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::new(Self::DEFAULT_MAX_ENTRIES_PER_MODE, Self::DEFAULT_MAX_BYTES)
    }
}

/// Which limit a policy file exceeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Limit {
    /// [`Limits::max_entries_per_mode`], in the mode named.
    EntriesPerMode(Mode),
    /// [`Limits::max_bytes`].
    Bytes,
}

/// A policy file over one of its reader's [`Limits`]: which, by how much, and where in the
/// text the limit is crossed (the first entry past it, or the first byte past it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitError {
    source_name: String,
    limit: Limit,
    max: usize,
    actual: usize,
    location: Option<Location>,
}

impl LimitError {
    pub(crate) fn new(
        source_name: &str,
        limit: Limit,
        max: usize,
        actual: usize,
        location: Option<Location>,
    ) -> Self {
        LimitError {
            source_name: source_name.to_owned(),
            limit,
            max,
            actual,
            location,
        }
    }

    /// Which limit.
    pub fn limit(&self) -> Limit {
        self.limit
    }

    /// The limit's value.
    pub fn max(&self) -> usize {
        self.max
    }

    /// What the file has: entries in the mode, or bytes.
    pub fn actual(&self) -> usize {
        self.actual
    }

    /// Where the limit is crossed in the text.
    pub fn location(&self) -> Option<Location> {
        self.location
    }

    /// The error as data: code `too_many_entries` (with the mode, and the index of the
    /// first entry past the limit) or `policy_too_large`.
    pub fn to_diagnostic(&self) -> Diagnostic {
        let (code, mode, index) = match self.limit {
            Limit::EntriesPerMode(mode) => (codes::TOO_MANY_ENTRIES, Some(mode), Some(self.max)),
            Limit::Bytes => (codes::POLICY_TOO_LARGE, None, None),
        };
        let mut diagnostic = Diagnostic::file_error(code, self.message());
        diagnostic.mode = mode;
        diagnostic.index = index;
        diagnostic.hint = Some(
            "split the policy, or raise the reader's limit if it is meant to be this large"
                .to_owned(),
        );
        diagnostic.at(
            self.location.map(|at| at.line),
            self.location.map(|at| at.column),
        )
    }

    fn message(&self) -> String {
        let (max, actual) = (self.max, self.actual);
        match self.limit {
            Limit::EntriesPerMode(mode) => format!(
                "too many entries: the {mode} list has {actual} entries, over the limit of \
                 {max} entries per mode (max_entries_per_mode)"
            ),
            Limit::Bytes => format!(
                "the policy file is too large: {actual} bytes, over the limit of {max} bytes \
                 (max_bytes)"
            ),
        }
    }
}

impl fmt::Display for LimitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", echo(&self.source_name))?;
        if let Some(Location { line, column }) = self.location {
            write!(f, ":{line}:{column}")?;
        }
        if let Limit::EntriesPerMode(mode) = self.limit {
            write!(f, ": {mode}[{}]", self.max)?;
        }
        write!(f, ": {}", self.message())
    }
}
