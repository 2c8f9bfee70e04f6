//! `validate`: one typed entry for a mode, alone or against a policy's list: its canonical
//! form and the warnings adding it would cause, or its errors with the corrected entry
//! (the library's [`validate_entry`]).

use std::fmt::Write as _;

use clap::ArgMatches;
use origin_policy::diagnostic::Diagnostic;
use origin_policy::validate::{validate_entry, Validation};
use serde::Serialize;

use crate::args::ValidateArgs;
use crate::entries;
use crate::escape::{echo, json_line};
use crate::failure::{write_stdout, Failure};

/// `validate`: the entry is valid.
pub(crate) const EXIT_VALID: u8 = 0;
/// `validate`: the entry is invalid.
pub(crate) const EXIT_INVALID: u8 = 1;

/// The `--json` object: the library's answer, and whether the entry is valid.
#[derive(Serialize)]
struct ValidateRecord<'a> {
    valid: bool,
    #[serde(flatten)]
    validation: &'a Validation,
}

pub(crate) fn validate(args: &ValidateArgs, matches: Option<&ArgMatches>) -> Result<u8, Failure> {
    let policy = entries::load_policy(&args.entries, matches)?;
    let answer = validate_entry(&policy, args.mode, &args.entry);
    let out = if args.json {
        json_line(&ValidateRecord {
            valid: answer.is_valid(),
            validation: &answer,
        })
    } else {
        text(&args.entry, &answer)
    };
    write_stdout(&out)?;
    Ok(if answer.is_valid() {
        EXIT_VALID
    } else {
        EXIT_INVALID
    })
}

/// `valid: CANONICAL` or `invalid: ENTRY`, then each diagnostic and its suggestion.
fn text(entry: &str, answer: &Validation) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = match &answer.canonical {
        Some(canonical) if answer.is_valid() => writeln!(out, "valid: {}", echo(canonical)),
        _ => writeln!(out, "invalid: {}", echo(entry)),
    };
    for diagnostic in answer.errors.iter().chain(&answer.warnings) {
        write_diagnostic(&mut out, diagnostic);
    }
    out
}

/// A diagnostic as the library shows it (escaped), and its suggestion.
fn write_diagnostic(out: &mut String, diagnostic: &Diagnostic) {
    let _ = writeln!(out, "{diagnostic}");
    if let Some(suggestion) = &diagnostic.suggestion {
        let _ = writeln!(out, "  suggestion: {}", echo(suggestion));
    }
}
