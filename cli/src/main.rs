//! `origin-policy`: decide from the command line whether origins pass an allow-list
//! (`check`), or report entries that are valid but questionable (`lint`).
//!
//! Entries come from a TOML file (`--policy`) and from `--live` / `--test` flags; both
//! subcommands load and build them the same way, with [`origin_policy::Policy::builder`].
//! `check` prints one line per origin, `lint` one line per warning. See
//! `origin-policy check --help` and `origin-policy lint --help` for the output formats and
//! exit codes.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand};
use origin_policy::{
    BuildError, Decision, Mode, PatternError, PatternErrorKind, Policy, WarningKind,
};
use serde::Deserialize;

/// `check`: every origin allowed.
const EXIT_ALLOWED: u8 = 0;
/// `check`: at least one origin denied.
const EXIT_DENIED: u8 = 1;
/// `lint`: no warnings.
const EXIT_CLEAN: u8 = 0;
/// `lint`: at least one warning.
const EXIT_WARNINGS: u8 = 1;
/// An invalid entry, a bad policy file, wrong usage, or output that could not be written.
const EXIT_ERROR: u8 = 2;

/// Where the entries come from; the same for both subcommands.
macro_rules! entries_help {
    () => {
        "\
Entries: --policy FILE is a TOML file with two optional lists of strings,
  live = [\"https://www.example.com\", \"https://*.example.com\"]
  test = [\"http://localhost:*\"]
and no other keys. File entries come first, then --live/--test flags in the order given."
    };
}

/// Exit status 2; the same for both subcommands.
macro_rules! exit_error_help {
    () => {
        "  2  an invalid entry (stderr lists each one, where it came from, and a ^^^ marker),
     a missing or unparsable policy file, or wrong usage"
    };
}

macro_rules! check_help {
    () => {
        concat!(
            "\
Output (stdout), one line per ORIGIN, in the order given, fields separated by a TAB:
  allow<TAB>ORIGIN<TAB>RULE     RULE is the canonical text of the most specific rule that
                                allowed the origin, e.g. https://*.berbix.com
  deny<TAB>ORIGIN<TAB>REASON    REASON says why, e.g. `no matching rule` or
                                `malformed origin: path after the host`
ORIGIN is printed as given, except that control characters and backslashes are escaped
(\\t, \\n, \\u{1b}, \\\\), so that every origin stays on one line.

",
            entries_help!(),
            "
Every entry of both modes is validated, whichever --mode is checked.

Exit status:
  0  every origin is allowed
  1  at least one origin is denied
",
            exit_error_help!(),
            "

Put origins after `--` when one may be empty or start with `-`:
  origin-policy check --mode test --test 'http://localhost:*' -- \"$ORIGIN\""
        )
    };
}

const AFTER_HELP: &str = check_help!();

const TOP_AFTER_HELP: &str = concat!(
    check_help!(),
    "

`origin-policy lint` reports entries that are valid but questionable (duplicates, rules
covered by broader ones, ...); see `origin-policy lint --help`."
);

/// The `lint --help` text after the options. The kinds and their descriptions come from
/// the library, so that the list cannot fall behind it.
fn lint_after_help() -> String {
    let mut kinds = String::new();
    for kind in WarningKind::ALL {
        let name = format!("{kind:?}");
        // Writing to a String cannot fail.
        let _ = writeln!(kinds, "  {name:<20} {}", kind.message());
    }
    format!(
        "\
Output (stdout), one line per warning, fields separated by a TAB:
  warning<TAB>KIND<TAB>MESSAGE
MESSAGE names the rule (and the rule it repeats or is covered by) by mode, index among the
mode's entries, and text, e.g.
  warning<TAB>Redundant<TAB>live[2] https://a.example.com is covered by live[0] https://*.example.com
Warnings come live mode first, then in the order of the entries. Rules are compared only
with rules of their own mode. KIND is one of:
{kinds}
{entries}

Exit status:
  0  no warnings
  1  at least one warning
{exit_error}",
        entries = entries_help!(),
        exit_error = exit_error_help!(),
    )
}

/// Checks web origins against per-mode allow-lists (live / test), and lints the lists.
#[derive(Debug, Parser)]
#[command(name = "origin-policy", version, after_help = TOP_AFTER_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Decide, for each ORIGIN, whether the policy allows it in the given mode.
    #[command(
        after_help = AFTER_HELP,
        override_usage = "origin-policy check --mode live|test [--live PATTERN]... [--test PATTERN]... \
                          [--policy FILE] [--] ORIGIN..."
    )]
    Check(CheckArgs),
    /// Report entries that are valid but questionable, one line per warning.
    #[command(
        after_help = lint_after_help(),
        override_usage = "origin-policy lint [--policy FILE] [--live PATTERN]... [--test PATTERN]..."
    )]
    Lint(LintArgs),
}

/// The entry sources, shared by both subcommands.
#[derive(Debug, clap::Args)]
struct EntryArgs {
    /// Add an entry to the live list (repeatable).
    #[arg(long = "live", value_name = "PATTERN")]
    live: Vec<String>,

    /// Add an entry to the test list (repeatable).
    #[arg(long = "test", value_name = "PATTERN")]
    test: Vec<String>,

    /// A TOML file with `live = [...]` and/or `test = [...]`.
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct CheckArgs {
    /// The mode whose rules decide: `live` or `test`.
    #[arg(long, value_name = "live|test")]
    mode: Mode,

    #[command(flatten)]
    entries: EntryArgs,

    /// The origins to check (`Origin` header values), one output line each.
    #[arg(value_name = "ORIGIN", required = true, num_args = 1..)]
    origins: Vec<String>,
}

#[derive(Debug, clap::Args)]
struct LintArgs {
    #[command(flatten)]
    entries: EntryArgs,
}

/// The `--policy` file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    #[serde(default)]
    live: Vec<String>,
    #[serde(default)]
    test: Vec<String>,
}

/// Where an entry came from, to name it in error messages.
#[derive(Debug, Clone)]
enum Source {
    /// Position `index` (from 0) of the file's list for the mode.
    File { path: String, index: usize },
    /// The `occurrence`-th (from 1) `--live` or `--test` flag.
    Flag { occurrence: usize },
}

/// The entries of both modes, in the order given to the builder, with their sources.
#[derive(Debug, Default)]
struct Entries {
    items: Vec<(Mode, String)>,
    /// The sources of each mode's entries, indexed the way the builder counts them.
    live_sources: Vec<Source>,
    test_sources: Vec<Source>,
}

impl Entries {
    fn push(&mut self, mode: Mode, pattern: String, source: Source) {
        self.items.push((mode, pattern));
        self.sources_mut(mode).push(source);
    }

    fn sources_mut(&mut self, mode: Mode) -> &mut Vec<Source> {
        match mode {
            Mode::Live => &mut self.live_sources,
            Mode::Test => &mut self.test_sources,
        }
    }

    /// The source of the `index`-th entry (from 0) of `mode`.
    fn source_of(&self, mode: Mode, index: usize) -> Option<&Source> {
        match mode {
            Mode::Live => self.live_sources.get(index),
            Mode::Test => self.test_sources.get(index),
        }
    }

    fn build(&self) -> Result<Policy, BuildError> {
        let mut builder = Policy::builder();
        for (mode, pattern) in &self.items {
            builder.allow(*mode, pattern);
        }
        builder.build()
    }
}

fn main() -> ExitCode {
    let matches = match Cli::command().try_get_matches() {
        Ok(matches) => matches,
        Err(err) => return clap_exit(&err),
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(err) => return clap_exit(&err),
    };
    let status = match cli.command {
        Command::Check(args) => check(&args, matches.subcommand_matches("check")),
        Command::Lint(args) => lint(&args, matches.subcommand_matches("lint")),
    };
    ExitCode::from(status)
}

/// Prints a clap error (or help / version) and gives its exit status: 2 for usage errors.
fn clap_exit(err: &clap::Error) -> ExitCode {
    // If even that cannot be printed, there is nowhere left to report it.
    let _ = err.print();
    ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(EXIT_ERROR))
}

fn check(args: &CheckArgs, matches: Option<&ArgMatches>) -> u8 {
    let policy = match load_policy(&args.entries, matches) {
        Ok(policy) => policy,
        Err(status) => return status,
    };

    if policy.rules(args.mode).is_empty() {
        eprintln!(
            "warning: the policy has no {} entries: every origin is denied",
            args.mode
        );
    }

    let mut out = String::new();
    let mut all_allowed = true;
    for origin in &args.origins {
        let shown = escape(origin);
        // Writing to a String cannot fail.
        let _ = match policy.check(args.mode, origin) {
            Decision::Allow(rule) => writeln!(out, "allow\t{shown}\t{}", rule.as_str()),
            Decision::AllowTestLoopback => {
                writeln!(out, "allow\t{shown}\t(implicit test loopback)")
            }
            Decision::Deny(reason) => {
                all_allowed = false;
                writeln!(out, "deny\t{shown}\t{reason}")
            }
        };
    }
    if let Err(status) = write_stdout(&out) {
        return status;
    }
    if all_allowed {
        EXIT_ALLOWED
    } else {
        EXIT_DENIED
    }
}

fn lint(args: &LintArgs, matches: Option<&ArgMatches>) -> u8 {
    let policy = match load_policy(&args.entries, matches) {
        Ok(policy) => policy,
        Err(status) => return status,
    };
    let warnings = policy.lint();
    let mut out = String::new();
    for warning in &warnings {
        // The line holds only canonical rules and trimmed entries, which have no control
        // characters; escaping keeps that promise whatever the library prints.
        let message = warning.to_string();
        // Writing to a String cannot fail.
        let _ = writeln!(out, "warning\t{:?}\t{}", warning.kind(), escape(&message));
    }
    if let Err(status) = write_stdout(&out) {
        return status;
    }
    if warnings.is_empty() {
        EXIT_CLEAN
    } else {
        EXIT_WARNINGS
    }
}

/// Collects the entries of the `--policy` file and the `--live` / `--test` flags, and builds
/// the policy. On failure, stderr already says why, and the error is the exit status.
fn load_policy(args: &EntryArgs, matches: Option<&ArgMatches>) -> Result<Policy, u8> {
    let mut entries = Entries::default();
    if let Some(path) = &args.policy {
        match load_policy_file(path) {
            Ok(file) => {
                let shown = escape(&path.display().to_string()).into_owned();
                for (mode, list) in [(Mode::Live, file.live), (Mode::Test, file.test)] {
                    for (index, pattern) in list.into_iter().enumerate() {
                        let path = shown.clone();
                        entries.push(mode, pattern, Source::File { path, index });
                    }
                }
            }
            Err(message) => {
                eprintln!("error: {message}");
                return Err(EXIT_ERROR);
            }
        }
    }
    for (mode, pattern, occurrence) in flags_in_order(args, matches) {
        entries.push(mode, pattern, Source::Flag { occurrence });
    }
    entries.build().map_err(|err| {
        eprint!("{}", report_build_error(&err, &entries));
        EXIT_ERROR
    })
}

/// Writes the whole output at once; on failure, says so on stderr and gives the exit status.
fn write_stdout(out: &str) -> Result<(), u8> {
    let mut stdout = io::stdout().lock();
    stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|err| {
            eprintln!("error: cannot write to stdout: {err}");
            EXIT_ERROR
        })
}

/// Reads and parses the `--policy` file; the error is a message for stderr.
fn load_policy_file(path: &Path) -> Result<PolicyFile, String> {
    let shown = escape(&path.display().to_string()).into_owned();
    let text = std::fs::read_to_string(path)
        .map_err(|err| format!("cannot read policy file {shown}: {err}"))?;
    toml::from_str(&text).map_err(|err| {
        format!(
            "{shown}: not a valid policy file (expected `live = [...]` and/or `test = [...]`):\n{}",
            err.to_string().trim_end()
        )
    })
}

/// The `--live` and `--test` values in command-line order, each with its mode and its
/// position (from 1) among that flag's occurrences.
fn flags_in_order(args: &EntryArgs, matches: Option<&ArgMatches>) -> Vec<(Mode, String, usize)> {
    let indices = |id: &str, count: usize| -> Vec<usize> {
        matches
            .and_then(|m| m.indices_of(id))
            .map(|indices| indices.collect())
            .filter(|indices: &Vec<usize>| indices.len() == count)
            // Without positions, keep live before test; only the order of errors changes.
            .unwrap_or_else(|| (0..count).collect())
    };
    let live = indices("live", args.live.len());
    let test = indices("test", args.test.len());
    let mut flags: Vec<(usize, Mode, String, usize)> = Vec::new();
    for (mode, values, positions) in [
        (Mode::Live, &args.live, &live),
        (Mode::Test, &args.test, &test),
    ] {
        for (n, (value, &position)) in values.iter().zip(positions).enumerate() {
            flags.push((position, mode, value.clone(), n + 1));
        }
    }
    // Stable: when positions are unknown, live (added first) stays before test.
    flags.sort_by_key(|(position, ..)| *position);
    flags
        .into_iter()
        .map(|(_, mode, value, occurrence)| (mode, value, occurrence))
        .collect()
}

/// Every bad entry: where it came from, the kind, the message, the pattern with `^^^` under
/// the fault, and a hint for common mistakes.
fn report_build_error(err: &BuildError, entries: &Entries) -> String {
    let bad = err.entries();
    let noun = if bad.len() == 1 { "entry" } else { "entries" };
    let mut report = format!("error: {} invalid {noun}:\n", bad.len());
    for entry in bad {
        let source = entries.source_of(entry.mode, entry.index);
        let location = match source {
            Some(Source::File { path, index }) => format!("{path}: {}[{index}]", entry.mode),
            Some(Source::Flag { occurrence }) => format!("--{} #{occurrence}", entry.mode),
            None => format!("{}[{}]", entry.mode, entry.index),
        };
        let error = &entry.error;
        // Writing to a String cannot fail.
        let _ = writeln!(report, "{location}: {:?}: {error}", error.kind());
        if let Some(hint) = hint(entry.mode, source, error) {
            let _ = writeln!(report, "  hint: {hint}");
        }
    }
    report
}

/// A one-line hint for common mistakes. A concrete rewrite is offered only when it is
/// itself a valid entry of the mode.
fn hint(mode: Mode, source: Option<&Source>, error: &PatternError) -> Option<String> {
    let (kind, pattern, span) = (error.kind(), error.pattern(), error.span());
    let to_test = match source {
        Some(Source::File { .. }) => "move it to the file's `test` list",
        Some(Source::Flag { .. }) => "pass it with `--test`",
        None => "add it to test mode",
    };
    let trimmed = pattern.trim_matches(|c: char| c.is_ascii_whitespace());
    let valid_in = |mode: Mode, text: &str| Policy::builder().allow(mode, text).build().is_ok();
    let suggest = |text: Option<String>| -> String {
        match text {
            Some(text) if valid_in(mode, &text) => format!(", as in `{}`", escape(&text)),
            _ => String::new(),
        }
    };
    let hint = match kind {
        PatternErrorKind::Path => {
            let before = pattern.get(..span.start).map(|text| {
                text.trim_matches(|c: char| c.is_ascii_whitespace())
                    .to_owned()
            });
            format!("origins have no path: drop it{}", suggest(before))
        }
        PatternErrorKind::MissingScheme => {
            let host = trimmed
                .strip_prefix("://")
                .or_else(|| trimmed.strip_prefix("//"))
                .unwrap_or(trimmed);
            format!(
                "add `https://` in front{}",
                suggest(Some(format!("https://{host}")))
            )
        }
        PatternErrorKind::PublicSuffixWildcard => {
            let wildcard = pattern.get(span.range()).unwrap_or("*.com");
            let base = wildcard.strip_prefix("*.").unwrap_or("com");
            format!(
                "`{}`-style wildcards allow sites of other owners; name your registrable \
                 domain, as in `*.your-company.{}`",
                escape(wildcard),
                escape(base)
            )
        }
        PatternErrorKind::HttpInLive => {
            let https = trimmed
                .split_once("://")
                .map(|(_, rest)| format!("https://{rest}"));
            let as_in = suggest(https);
            let valid_there = if valid_in(Mode::Test, pattern) {
                " (valid in test mode)"
            } else {
                ""
            };
            format!("live mode is HTTPS only: use https{as_in}, or {to_test}{valid_there}")
        }
        PatternErrorKind::LoopbackInLive => {
            format!("localhost and 127.0.0.1 (loopback hosts) are for test mode only: {to_test}")
        }
        PatternErrorKind::MisplacedWildcard => {
            "a wildcard stands for whole labels only: `https://*.example.com` allows \
             a.example.com and a.b.example.com (not example.com); list other names one by one"
                .to_owned()
        }
        PatternErrorKind::BareWildcard => {
            "a bare `*` would allow every site: list your domains, and use \
             `https://*.your-company.com` for their subdomains"
                .to_owned()
        }
        _ => return None,
    };
    Some(hint)
}

/// The text with control characters and backslashes escaped (`\t`, `\n`, `\u{1b}`, `\\`),
/// so that it stays on one line; everything else as is.
fn escape(text: &str) -> Cow<'_, str> {
    let needs_escape = |ch: char| ch.is_control() || ch == '\\';
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut shown = String::with_capacity(text.len() + 8);
    for ch in text.chars() {
        if needs_escape(ch) {
            shown.extend(ch.escape_default());
        } else {
            shown.push(ch);
        }
    }
    Cow::Owned(shown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_touches_only_control_characters_and_backslashes() {
        assert_eq!(escape("https://bücher.example"), "https://bücher.example");
        assert_eq!(
            escape("a\tb\nc\\d\u{1b}e\u{7f}"),
            "a\\tb\\nc\\\\d\\u{1b}e\\u{7f}"
        );
        assert!(matches!(escape("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn the_command_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
