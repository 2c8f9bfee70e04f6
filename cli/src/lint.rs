//! `lint`: one line per warning of the policy's lint.

use std::fmt::Write as _;

use clap::ArgMatches;
use serde::Serialize;

use crate::args::LintArgs;
use crate::entries;
use crate::escape::{escape, json_line};
use crate::failure::{write_stdout, Failure};
use crate::{EXIT_CLEAN, EXIT_WARNINGS};

/// One `lint --json` line.
#[derive(Serialize)]
struct LintRecord<'a> {
    kind: String,
    mode: &'static str,
    index: usize,
    rule: &'a str,
    entry: &'a str,
    other_index: Option<usize>,
    other: Option<&'a str>,
    message: String,
}

pub(crate) fn lint(args: &LintArgs, matches: Option<&ArgMatches>) -> Result<u8, Failure> {
    let policy = entries::load_policy(&args.entries, matches)?;
    let warnings = policy.lint();
    let mut out = String::new();
    for warning in &warnings {
        let message = warning.to_string();
        if args.json {
            let rule = warning.rule();
            let other = warning.other();
            out.push_str(&json_line(&LintRecord {
                kind: format!("{:?}", warning.kind()),
                mode: warning.mode().as_str(),
                index: rule.index(),
                rule: rule.as_str(),
                entry: rule.entry(),
                other_index: other.map(|other| other.index()),
                other: other.map(|other| other.as_str()),
                message,
            }));
        } else {
            // The line holds only canonical rules and trimmed entries, which have no control
            // characters; escaping keeps that promise whatever the library prints.
            // Writing to a String cannot fail.
            let _ = writeln!(out, "warning\t{:?}\t{}", warning.kind(), escape(&message));
        }
    }
    write_stdout(&out)?;
    Ok(if warnings.is_empty() {
        EXIT_CLEAN
    } else {
        EXIT_WARNINGS
    })
}
