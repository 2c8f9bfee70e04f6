//! `origin-policy`: decide from the command line whether origins pass an allow-list
//! (`check`), see why one does or does not (`explain`), report entries that are valid but
//! questionable (`lint`), or check one typed entry before it is added (`validate`).
//!
//! Entries come from a policy file (`--policy`, TOML or JSON, read into the library's
//! [`origin_policy::PolicyConfig`]) and from `--live` / `--test` flags; every subcommand
//! loads and builds them the same way ([`entries`]). `check` prints one line per origin,
//! `lint` one line per warning, each as TAB-separated fields or (`--json`) as one JSON
//! object per line; a failure is `error: ...` on stderr or (`--json`) one JSON object on
//! stdout ([`failure`]). See `origin-policy <COMMAND> --help` for the output formats and
//! exit codes ([`help`]).

mod args;
mod check;
mod completions;
mod entries;
mod escape;
mod explain;
mod failure;
mod help;
mod lint;
mod validate;

use std::process::ExitCode;

use clap::builder::Styles;
use clap::{ArgMatches, CommandFactory, FromArgMatches};

use crate::args::{Cli, Command, ExplainArgs};
use crate::escape::{echo_lines, json_line};
use crate::failure::{json_requested, write_stdout, Failure, USAGE};

/// `check`, `explain`: every origin allowed.
const EXIT_ALLOWED: u8 = 0;
/// `check`, `explain`: at least one origin denied.
const EXIT_DENIED: u8 = 1;
/// `lint`: no warnings.
const EXIT_CLEAN: u8 = 0;
/// `lint`: at least one warning.
const EXIT_WARNINGS: u8 = 1;
/// An invalid entry, a bad policy file, wrong usage, unreadable input, or output that could
/// not be written.
const EXIT_ERROR: u8 = 2;

fn main() -> ExitCode {
    let (cli, matches) = match parse_args(Cli::command()) {
        Ok(parsed) => parsed,
        Err(err) => return clap_exit(&err),
    };
    let (result, json) = match &cli.command {
        Command::Check(args) => (
            check::check(args, matches.subcommand_matches("check")),
            args.json,
        ),
        Command::Explain(args) => (
            explain(args, matches.subcommand_matches("explain")),
            args.json,
        ),
        Command::Lint(args) => (
            lint::lint(args, matches.subcommand_matches("lint")),
            args.json,
        ),
        Command::Validate(args) => (
            validate::validate(args, matches.subcommand_matches("validate")),
            args.json,
        ),
        Command::Completions(args) => (completions::completions(args), false),
        Command::Man(args) => (completions::man(args), false),
    };
    ExitCode::from(result.unwrap_or_else(|failure| failure.report(json)))
}

/// The command line, read by `command` (the CLI's definition, perhaps restyled).
fn parse_args(command: clap::Command) -> Result<(Cli, ArgMatches), clap::Error> {
    let matches = command.try_get_matches()?;
    let cli = Cli::from_arg_matches(&matches)?;
    Ok((cli, matches))
}

/// Prints a clap error (or help / version) and gives its exit status: 2 for usage errors.
/// clap quotes the arguments it rejects as they are; when one holds a character that must
/// be escaped (or is long), the message is printed without styles, escaped and cut line by
/// line like every echo of input. With `--json` on the command line, a usage error is one
/// JSON object on stdout instead (code `usage`).
fn clap_exit(err: &clap::Error) -> ExitCode {
    let status = ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(EXIT_ERROR));
    if err.use_stderr() {
        // The same arguments read again without styles: the message is then only text, with
        // the arguments exactly as given (the styled one cannot tell clap's ANSI codes from
        // an argument's).
        let plain = match parse_args(Cli::command().styles(Styles::plain())) {
            Err(plain) => plain.render().ansi().to_string(),
            Ok(_) => err.render().to_string(),
        };
        if json_requested(std::env::args_os()) {
            let message = plain.trim_start_matches("error: ");
            let message = message.lines().next().unwrap_or_default();
            return ExitCode::from(Failure::new(USAGE, message).report(true));
        }
        let shown = echo_lines(&plain);
        if shown != plain {
            eprint!("{shown}");
            return status;
        }
    }
    // If even that cannot be printed, there is nowhere left to report it.
    let _ = err.print();
    status
}

/// `explain`: the explanation of one origin ([`explain::explain`]).
fn explain(args: &ExplainArgs, matches: Option<&ArgMatches>) -> Result<u8, Failure> {
    let policy = entries::load_policy(&args.entries, matches)?;
    check::warn_about_mode(&policy, args.mode);
    let explanation = explain::explain(&policy, args.mode, &args.origin);
    let out = if args.json {
        json_line(&explanation.record)
    } else {
        explanation.text
    };
    write_stdout(&out)?;
    Ok(if explanation.allowed {
        EXIT_ALLOWED
    } else {
        EXIT_DENIED
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
