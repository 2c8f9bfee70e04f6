//! Why a command could not do its work, reported once: as text on stderr (`error: ...`), or
//! with `--json` as one JSON object on stdout, `{"error": {"code", "message",
//! "diagnostics"}}`, whose diagnostics are the library's
//! ([`origin_policy::diagnostic::Diagnostic`]). Either way the exit status is the
//! documented one.

use std::io::{self, Write as _};

use origin_policy::diagnostic::Diagnostic;
use origin_policy::policy_file::PolicyFileError;
use serde::Serialize;

use crate::escape::json_line;
use crate::EXIT_ERROR;

/// Wrong usage: clap's errors, `-` given twice, stdin asked for twice.
pub(crate) const USAGE: &str = "usage";
/// A policy file or stdin that cannot be read (missing, not UTF-8, no origins on it).
pub(crate) const UNREADABLE_INPUT: &str = "unreadable_input";
/// A policy that does not build: not a policy file, over a limit, or bad entries.
pub(crate) const INVALID_POLICY: &str = "invalid_policy";
/// Output that could not be written.
pub(crate) const OUTPUT: &str = "output";

/// A failure: its code, the text for stderr, and the diagnostics (for an invalid policy).
#[derive(Debug)]
pub(crate) struct Failure {
    code: &'static str,
    /// The whole message as stderr shows it (without `error: `), already escaped.
    text: String,
    diagnostics: Vec<Diagnostic>,
}

/// The `--json` form.
#[derive(Serialize)]
struct JsonFailure<'a> {
    error: JsonError<'a>,
}

#[derive(Serialize)]
struct JsonError<'a> {
    code: &'static str,
    message: &'a str,
    diagnostics: &'a [Diagnostic],
}

impl Failure {
    /// A failure with a one-line message and no diagnostics.
    pub(crate) fn new(code: &'static str, text: impl Into<String>) -> Self {
        Failure {
            code,
            text: text.into(),
            diagnostics: Vec::new(),
        }
    }

    /// An invalid policy: the library's message and every diagnostic.
    pub(crate) fn invalid_policy(err: &PolicyFileError) -> Self {
        Failure {
            code: INVALID_POLICY,
            text: err.to_string(),
            diagnostics: err.diagnostics(),
        }
    }

    /// Reports the failure, as JSON on stdout when `json`, else on stderr, and gives the
    /// exit status.
    pub(crate) fn report(&self, json: bool) -> u8 {
        if json {
            // The first line says what failed; the diagnostics hold the details.
            let first = self.text.lines().next().unwrap_or_default();
            let message = first.strip_suffix(':').unwrap_or(first);
            let line = json_line(&JsonFailure {
                error: JsonError {
                    code: self.code,
                    message,
                    diagnostics: &self.diagnostics,
                },
            });
            let mut stdout = io::stdout().lock();
            // If stdout cannot take it, stderr still says why.
            if stdout
                .write_all(line.as_bytes())
                .and_then(|()| stdout.flush())
                .is_ok()
            {
                return EXIT_ERROR;
            }
        }
        eprintln!("error: {}", self.text);
        EXIT_ERROR
    }
}

/// Whether the raw command line asks for `--json` (before any `--`): for the usage errors
/// that come before the arguments are understood.
pub(crate) fn json_requested(args: impl IntoIterator<Item = std::ffi::OsString>) -> bool {
    args.into_iter()
        .skip(1)
        .take_while(|arg| arg != "--")
        .any(|arg| arg == "--json")
}

/// Writes the whole output at once; on failure, the failure to report.
pub(crate) fn write_stdout(out: &str) -> Result<(), Failure> {
    let mut stdout = io::stdout().lock();
    stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|err| stdout_failure(&err))
}

/// The failure to write stdout. (Reported on stderr: stdout is what failed.)
pub(crate) fn stdout_failure(err: &io::Error) -> Failure {
    Failure::new(OUTPUT, format!("cannot write to stdout: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_asked_for_before_the_double_dash_only() {
        let args = |list: &[&str]| {
            list.iter()
                .map(std::ffi::OsString::from)
                .collect::<Vec<_>>()
        };
        assert!(json_requested(args(&["bin", "check", "--json", "--mode"])));
        assert!(!json_requested(args(&["bin", "check", "--", "--json"])));
        assert!(!json_requested(args(&["--json", "check"])));
    }
}
