//! `check`: one line per origin, allow or deny, with the rule or the reason.

use std::io::{self, BufRead, Write as _};

use clap::ArgMatches;
use origin_policy::{Decision, Mode, Policy};
use serde::Serialize;

use crate::args::CheckArgs;
use crate::entries;
use crate::escape::{echo, json_line};
use crate::failure::{stdout_failure, Failure, UNREADABLE_INPUT, USAGE};
use crate::{EXIT_ALLOWED, EXIT_DENIED};

/// `check` prints a summary on stderr when it checked more origins than this.
const SUMMARY_ABOVE: usize = 5;

/// Warns when `mode` has no rules, so that "denied" is not a mystery; and says when `mode`
/// is report-only, so that "deny" is read as what the gate would do once enforced.
pub(crate) fn warn_about_mode(policy: &Policy, mode: Mode) {
    if policy.rules(mode).is_empty() {
        eprintln!("warning: the policy has no {mode} entries: every origin is denied");
    }
    if policy.options().is_report_only(mode) {
        eprintln!(
            "note: {mode} mode is report-only (options.report_only): the gate lets a denied \
             origin through and reports it as would_deny"
        );
    }
}

/// Where `check` takes its origins from, in order.
enum Input<'a> {
    Arg(&'a str),
    Stdin,
}

/// One `check --json` line.
#[derive(Serialize)]
struct CheckRecord<'a> {
    origin: &'a str,
    mode: &'static str,
    decision: &'static str,
    rule: Option<&'a str>,
    note: Option<&'a str>,
    reason: Option<String>,
}

/// Counts of a `check` run.
#[derive(Default)]
struct Tally {
    allowed: usize,
    denied: usize,
}

pub(crate) fn check(args: &CheckArgs, matches: Option<&ArgMatches>) -> Result<u8, Failure> {
    let mut inputs: Vec<Input<'_>> = args
        .origins
        .iter()
        .map(|origin| match origin.as_str() {
            "-" => Input::Stdin,
            origin => Input::Arg(origin),
        })
        .collect();
    let stdin_origins = inputs.iter().filter(|i| matches!(i, Input::Stdin)).count();
    if stdin_origins > 1 {
        return Err(Failure::new(
            USAGE,
            "`-` (read origins from stdin) may be given only once",
        ));
    }
    if stdin_origins == 1 && args.entries.policy_from_stdin() {
        return Err(Failure::new(
            USAGE,
            "stdin cannot hold both the policy (`--policy -`) and the origins (`-`)",
        ));
    }
    inputs.extend(args.literal_origins.iter().map(|o| Input::Arg(o)));

    let policy = entries::load_policy(&args.entries, matches)?;
    warn_about_mode(&policy, args.mode);

    let mut tally = Tally::default();
    let mut stdout = io::stdout().lock();
    for input in inputs {
        let result = match input {
            Input::Arg(origin) => check_one(&policy, args, origin, &mut stdout, &mut tally),
            Input::Stdin => check_stdin(&policy, args, &mut stdout, &mut tally),
        };
        result?;
    }
    stdout.flush().map_err(|err| stdout_failure(&err))?;
    let checked = tally.allowed + tally.denied;
    if checked > SUMMARY_ABOVE {
        eprintln!(
            "checked {checked} origins: {} allowed, {} denied",
            tally.allowed, tally.denied
        );
    }
    Ok(if tally.denied == 0 {
        EXIT_ALLOWED
    } else {
        EXIT_DENIED
    })
}

/// Checks the origins on stdin, one per line.
fn check_stdin(
    policy: &Policy,
    args: &CheckArgs,
    out: &mut impl io::Write,
    tally: &mut Tally,
) -> Result<(), Failure> {
    let mut stdin = io::stdin().lock();
    let mut line = Vec::new();
    let mut line_number = 0;
    let mut read_any = false;
    loop {
        line.clear();
        match stdin.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) => {}
            Err(err) => {
                let message = format!("cannot read stdin: {err}");
                return Err(Failure::new(UNREADABLE_INPUT, message));
            }
        }
        line_number += 1;
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        if text.is_empty() {
            continue;
        }
        let Ok(origin) = std::str::from_utf8(text) else {
            let message = format!("stdin line {line_number} is not UTF-8");
            return Err(Failure::new(UNREADABLE_INPUT, message));
        };
        read_any = true;
        check_one(policy, args, origin, out, tally)?;
    }
    if !read_any {
        return Err(Failure::new(
            UNREADABLE_INPUT,
            "no origins on stdin (one per line; empty lines are skipped)",
        ));
    }
    Ok(())
}

/// Checks one origin and writes its line.
fn check_one(
    policy: &Policy,
    args: &CheckArgs,
    origin: &str,
    out: &mut impl io::Write,
    tally: &mut Tally,
) -> Result<(), Failure> {
    let mode = args.mode;
    let decision = policy.check(mode, origin);
    if decision.is_allowed() {
        tally.allowed += 1;
    } else {
        tally.denied += 1;
    }
    let line = if args.json {
        let (rule, note, reason) = match decision {
            Decision::Allow(rule) => (Some(rule.as_str()), rule.note(), None),
            Decision::AllowTestLoopback => (None, None, Some("implicit test loopback".to_owned())),
            Decision::Deny(reason) => (None, None, Some(reason.describe(origin))),
            other => (None, None, Some(other.to_string())),
        };
        let record = CheckRecord {
            origin,
            mode: mode.as_str(),
            decision: if decision.is_allowed() {
                "allow"
            } else {
                "deny"
            },
            rule,
            note,
            reason,
        };
        json_line(&record)
    } else {
        let shown = echo(origin);
        match decision {
            Decision::Allow(rule) => format!("allow\t{shown}\t{}\n", rule.as_str()),
            Decision::AllowTestLoopback => format!("allow\t{shown}\t(implicit test loopback)\n"),
            Decision::Deny(reason) => format!("deny\t{shown}\t{}\n", reason.describe(origin)),
            other => {
                let verdict = if other.is_allowed() { "allow" } else { "deny" };
                format!("{verdict}\t{shown}\t{other}\n")
            }
        }
    };
    out.write_all(line.as_bytes())
        .map_err(|err| stdout_failure(&err))
}
