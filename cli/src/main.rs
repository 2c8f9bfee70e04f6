//! `origin-policy`: decide from the command line whether origins pass an allow-list
//! (`check`), see why one does or does not (`explain`), or report entries that are valid
//! but questionable (`lint`).
//!
//! Entries come from a policy file (`--policy`, TOML or JSON, read into the library's
//! [`origin_policy::PolicyConfig`]) and from `--live` / `--test` flags; every subcommand
//! loads and builds them the same way. `check` prints one line per origin, `lint` one line
//! per warning, each as TAB-separated fields or (`--json`) as one JSON object per line.
//! See `origin-policy <COMMAND> --help` for the output formats and exit codes.

mod entries;
mod escape;
mod explain;

use std::fmt::Write as _;
use std::io::{self, BufRead, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::builder::Styles;
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand};
use origin_policy::{Decision, Mode, Policy, WarningKind};
use serde::Serialize;

use crate::escape::{echo, echo_lines, escape, json_line};

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

/// `check` prints a summary on stderr when it checked more origins than this.
const SUMMARY_ABOVE: usize = 5;

/// Where the entries come from; the same for every subcommand.
macro_rules! entries_help {
    () => {
        "\
Entries: --policy FILE is a TOML file (JSON when its name ends in .json) with two optional
lists and an optional [options] table:
  live = [\"https://www.example.com\", { pattern = \"https://*.example.com\", note = \"why\" }]
  test = [\"http://localhost:*\"]
  [options]
  implicit_test_loopback = false          # test mode: allow loopback hosts without a rule
  allow_public_suffix_wildcards = false   # accept wildcards such as https://*.github.io
An entry is a pattern, or a table with `pattern` and an optional `note`. Unknown keys are
errors. The options apply to the whole policy. File entries come first, then --live/--test
flags in the order given; a flag's entry is numbered after the file's entries of its mode."
    };
}

/// Exit status 2; the same for every subcommand.
macro_rules! exit_error_help {
    () => {
        "  2  an invalid entry (stderr lists each one: where it came from, FILE:LINE:COL for a
     file's entry, the kind, a ^^^ marker and a hint), a missing or unparsable policy file
     (FILE:LINE:COL and the parser's message), or wrong usage"
    };
}

macro_rules! check_help {
    () => {
        concat!(
            "\
Output (stdout), one line per origin, in the order given, fields separated by a TAB:
  allow<TAB>ORIGIN<TAB>RULE     RULE is the canonical text of the most specific rule that
                                allowed the origin, e.g. https://*.berbix.com
  allow<TAB>ORIGIN<TAB>(implicit test loopback)
                                allowed without a rule: test mode, a loopback host, and
                                the policy's option implicit_test_loopback on
  deny<TAB>ORIGIN<TAB>REASON    REASON says why, e.g. `no matching rule` or
                                `malformed origin: path after the host`
ORIGIN is printed as given, except that control characters, U+2028, U+2029, the bidi
controls and marks, and backslashes are escaped (\\t, \\n, \\r, \\u{1b}, \\u{202e},
\\\\), so that every origin stays on one line and shows what it holds; one of more than
256 bytes is cut, as in `https://aaaa… (200000 bytes)`. Every other echo of input (entries,
notes, file names, parser messages, on stdout and stderr) is escaped the same way.

With --json, one JSON object per line instead, with the origin whole (those characters
as JSON escapes such as \\u2028):
  {\"origin\":\"https://docs.berbix.com\",\"mode\":\"live\",\"decision\":\"allow\",
   \"rule\":\"https://*.berbix.com\",\"note\":null,\"reason\":null}
decision is \"allow\" or \"deny\"; rule and note are those of the rule that allowed the
origin, else null; reason is null when a rule allowed it, \"implicit test loopback\", or
why it was denied (the REASON above).

ORIGIN `-` reads origins from stdin, one per line, in its place among the others: a
trailing \\r is dropped and empty lines are skipped; nothing else is trimmed, so a line with
spaces is denied (whitespace). After `--`, `-` is an origin like any other.
When more than 5 origins were checked, stderr gets a last line
  checked N origins: A allowed, D denied

",
            entries_help!(),
            "
Every entry of both modes is validated, whichever --mode is checked.

Exit status:
  0  every origin is allowed
  1  at least one origin is denied
",
            exit_error_help!(),
            "; also: stdin held no origin, or a line of it is not UTF-8

Put origins after `--` when one may be empty or start with `-`:
  origin-policy check --mode test --test 'http://localhost:*' -- \"$ORIGIN\""
        )
    };
}

const AFTER_HELP: &str = check_help!();

const TOP_AFTER_HELP: &str = "\
Each command reads a policy from --policy FILE (TOML, or JSON when the name ends in .json;
`-` reads it from stdin) and from --live / --test PATTERN flags. Try:
  origin-policy check --policy examples/policy.toml --mode live https://docs.berbix.com
  origin-policy explain --policy examples/policy.toml --mode live https://evil.example
  origin-policy lint --policy examples/policy.toml
`origin-policy help COMMAND` (or COMMAND --help) gives each command's output format and
exit status; `origin-policy completions bash` prints a completion script for bash.";

const EXPLAIN_AFTER_HELP: &str = concat!(
    "\
Output (stdout), for people rather than scripts:
  origin      the origin as given
  scheme, host, port
              each as written and, when it differs, as normalized (lowercase, IDNA,
              IPv4 / IPv6 forms; the port is the scheme's default when none is written)
  normalized  the origin as a browser sends it
  problem     for a malformed origin: what is wrong (and a hint when a fix is plain)
  decision    allow or deny in the mode, with the deciding rule or the reason
  rules       how many rules the mode has, then the rules that came closest to allowing
              the origin, closest first, each with why it did not match (or `matches`):
              host (`*.x.com` never matches x.com itself), scheme, port, or mode (rules of
              the other mode are listed when their host fits, as `only in test mode`).
              Related means: the same host, a wildcard over it, or another host of the same
              registrable domain by the Public Suffix List (alice.github.io and
              bob.github.io are not related), or both loopback. At most 8 are shown; the
              rest are counted.
              `port 8443, not 443` reads: the origin's port is 8443, the rule's is 443.
  allow with  for a denied origin that some rule is related to: the entry that would allow
              exactly it (whether to add it, or to change a rule above, or the mode the
              client uses, is up to you)
  near        instead, when no rule of the policy (either mode) is related to it: no entry
              is suggested, since one would let in another owner's site (a loopback origin
              in test mode still gets its entry)
  cannot      instead, when no entry of the mode can allow it, and why

With --json, one JSON object instead, with the same facts:
  {\"origin\", \"mode\", \"decision\" (allow|deny), \"rule\", \"reason\", \"normalized\",
   \"problem\", \"hint\", \"rules\": [{\"mode\", \"index\", \"rule\", \"note\", \"matches\",
   \"decides\", \"why\"}], \"rules_not_shown\", \"allow_with\", \"cannot\", \"no_rule_near\"}
  (fields that do not apply are null; rules is empty for a malformed origin).

",
    entries_help!(),
    "

Exit status:
  0  the origin is allowed
  1  the origin is denied
",
    exit_error_help!()
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
With --json, one JSON object per line instead:
  {{\"kind\":\"Redundant\",\"mode\":\"live\",\"index\":2,\"rule\":\"https://a.example.com\",
   \"entry\":\"https://a.example.com\",\"other_index\":0,\"other\":\"https://*.example.com\",
   \"message\":\"live[2] https://a.example.com is covered by live[0] https://*.example.com\"}}
rule and other are canonical texts, entry is the entry as written; other and other_index
are null for the kinds that name no other rule.
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

/// Checks web origins against per-mode allow-lists (live / test), explains decisions, and
/// lints the lists.
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
                          [--policy FILE|-] [--json] [--] ORIGIN...|-"
    )]
    Check(CheckArgs),
    /// Show how one ORIGIN is read, the decision, and the rules that came closest.
    #[command(
        after_help = EXPLAIN_AFTER_HELP,
        override_usage = "origin-policy explain --mode live|test [--live PATTERN]... [--test PATTERN]... \
                          [--policy FILE|-] [--json] [--] ORIGIN"
    )]
    Explain(ExplainArgs),
    /// Report entries that are valid but questionable, one line per warning.
    #[command(
        after_help = lint_after_help(),
        override_usage = "origin-policy lint [--policy FILE|-] [--live PATTERN]... [--test PATTERN]... [--json]"
    )]
    Lint(LintArgs),
    /// Print a shell completion script for SHELL on stdout.
    #[command(after_help = COMPLETIONS_AFTER_HELP)]
    Completions(CompletionsArgs),
}

const COMPLETIONS_AFTER_HELP: &str = "\
Load it in the running shell, or install it where the shell looks for completions:
  source <(origin-policy completions bash)
  origin-policy completions bash > ~/.local/share/bash-completion/completions/origin-policy
  origin-policy completions zsh > \"${fpath[1]}/_origin-policy\"
  origin-policy completions fish > ~/.config/fish/completions/origin-policy.fish";

#[derive(Debug, clap::Args)]
struct CompletionsArgs {
    /// The shell: bash, zsh, fish, elvish or powershell.
    #[arg(value_name = "SHELL")]
    shell: clap_complete::Shell,
}

/// The entry sources, shared by every subcommand.
#[derive(Debug, clap::Args)]
struct EntryArgs {
    /// Add an entry to the live list (repeatable).
    #[arg(long = "live", value_name = "PATTERN")]
    live: Vec<String>,

    /// Add an entry to the test list (repeatable).
    #[arg(long = "test", value_name = "PATTERN")]
    test: Vec<String>,

    /// A policy file: TOML, or JSON when the name ends in `.json` (see below); `-` reads
    /// it from stdin.
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
}

impl EntryArgs {
    /// Whether `--policy -` reads the policy from stdin.
    fn policy_from_stdin(&self) -> bool {
        self.policy
            .as_deref()
            .is_some_and(|path| path.as_os_str() == "-")
    }
}

#[derive(Debug, clap::Args)]
struct CheckArgs {
    /// The mode whose rules decide: `live` or `test`.
    #[arg(long, value_name = "live|test")]
    mode: Mode,

    #[command(flatten)]
    entries: EntryArgs,

    /// One JSON object per origin instead of TAB-separated fields.
    #[arg(long)]
    json: bool,

    /// The origins to check (`Origin` header values); `-` reads them from stdin.
    #[arg(
        value_name = "ORIGIN",
        num_args = 1..,
        required_unless_present = "literal_origins"
    )]
    origins: Vec<String>,

    /// Origins after `--`, taken as they are (`-` is not stdin there).
    #[arg(value_name = "ORIGIN", last = true, hide = true)]
    literal_origins: Vec<String>,
}

#[derive(Debug, clap::Args)]
struct ExplainArgs {
    /// The mode whose rules decide: `live` or `test`.
    #[arg(long, value_name = "live|test")]
    mode: Mode,

    #[command(flatten)]
    entries: EntryArgs,

    /// The origin to explain (an `Origin` header value).
    #[arg(value_name = "ORIGIN")]
    origin: String,

    /// One JSON object with the same facts instead of the text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct LintArgs {
    #[command(flatten)]
    entries: EntryArgs,

    /// One JSON object per warning instead of TAB-separated fields.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let (cli, matches) = match parse_args(Cli::command()) {
        Ok(parsed) => parsed,
        Err(err) => return clap_exit(&err),
    };
    let status = match cli.command {
        Command::Check(args) => check(&args, matches.subcommand_matches("check")),
        Command::Explain(args) => explain(&args, matches.subcommand_matches("explain")),
        Command::Lint(args) => lint(&args, matches.subcommand_matches("lint")),
        Command::Completions(args) => completions(&args),
    };
    ExitCode::from(status)
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
/// line like every echo of input.
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

/// Warns when `mode` has no rules, so that "denied" is not a mystery.
fn warn_if_empty(policy: &Policy, mode: Mode) {
    if policy.rules(mode).is_empty() {
        eprintln!("warning: the policy has no {mode} entries: every origin is denied");
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

fn check(args: &CheckArgs, matches: Option<&ArgMatches>) -> u8 {
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
        eprintln!("error: `-` (read origins from stdin) may be given only once");
        return EXIT_ERROR;
    }
    if stdin_origins == 1 && args.entries.policy_from_stdin() {
        eprintln!("error: stdin cannot hold both the policy (`--policy -`) and the origins (`-`)");
        return EXIT_ERROR;
    }
    inputs.extend(args.literal_origins.iter().map(|o| Input::Arg(o)));

    let policy = match entries::load_policy(&args.entries, matches) {
        Ok(policy) => policy,
        Err(status) => return status,
    };
    warn_if_empty(&policy, args.mode);

    let mut tally = Tally::default();
    let mut stdout = io::stdout().lock();
    for input in inputs {
        let result = match input {
            Input::Arg(origin) => check_one(&policy, args, origin, &mut stdout, &mut tally),
            Input::Stdin => check_stdin(&policy, args, &mut stdout, &mut tally),
        };
        if let Err(status) = result {
            return status;
        }
    }
    if let Err(err) = stdout.flush() {
        return stdout_error(&err);
    }
    let checked = tally.allowed + tally.denied;
    if checked > SUMMARY_ABOVE {
        eprintln!(
            "checked {checked} origins: {} allowed, {} denied",
            tally.allowed, tally.denied
        );
    }
    if tally.denied == 0 {
        EXIT_ALLOWED
    } else {
        EXIT_DENIED
    }
}

/// Checks the origins on stdin, one per line.
fn check_stdin(
    policy: &Policy,
    args: &CheckArgs,
    out: &mut impl io::Write,
    tally: &mut Tally,
) -> Result<(), u8> {
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
                eprintln!("error: cannot read stdin: {err}");
                return Err(EXIT_ERROR);
            }
        }
        line_number += 1;
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        if text.is_empty() {
            continue;
        }
        let Ok(origin) = std::str::from_utf8(text) else {
            eprintln!("error: stdin line {line_number} is not UTF-8");
            return Err(EXIT_ERROR);
        };
        read_any = true;
        check_one(policy, args, origin, out, tally)?;
    }
    if !read_any {
        eprintln!("error: no origins on stdin (one per line; empty lines are skipped)");
        return Err(EXIT_ERROR);
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
) -> Result<(), u8> {
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
        .map_err(|err| stdout_error(&err))
}

fn explain(args: &ExplainArgs, matches: Option<&ArgMatches>) -> u8 {
    let policy = match entries::load_policy(&args.entries, matches) {
        Ok(policy) => policy,
        Err(status) => return status,
    };
    warn_if_empty(&policy, args.mode);
    let explanation = explain::explain(&policy, args.mode, &args.origin);
    let out = if args.json {
        json_line(&explanation.record)
    } else {
        explanation.text
    };
    if let Err(status) = write_stdout(&out) {
        return status;
    }
    if explanation.allowed {
        EXIT_ALLOWED
    } else {
        EXIT_DENIED
    }
}

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

fn lint(args: &LintArgs, matches: Option<&ArgMatches>) -> u8 {
    let policy = match entries::load_policy(&args.entries, matches) {
        Ok(policy) => policy,
        Err(status) => return status,
    };
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
    if let Err(status) = write_stdout(&out) {
        return status;
    }
    if warnings.is_empty() {
        EXIT_CLEAN
    } else {
        EXIT_WARNINGS
    }
}

/// Prints the completion script of `shell`.
fn completions(args: &CompletionsArgs) -> u8 {
    let mut script = Vec::new();
    clap_complete::generate(
        args.shell,
        &mut Cli::command(),
        "origin-policy",
        &mut script,
    );
    match String::from_utf8(script) {
        Ok(text) => match write_stdout(&fix_bash_case_labels(args.shell, text)) {
            Ok(()) => EXIT_CLEAN,
            Err(status) => status,
        },
        Err(_) => {
            eprintln!("error: the completion script is not UTF-8");
            EXIT_ERROR
        }
    }
}

/// clap_complete 4.6 names the bash functions of subcommands after the binary with `-`
/// made `__` (`origin__policy__subcmd__check`) but labels their `case` branches with every
/// `-` made `__subcmd__` (`origin__subcmd__policy__subcmd__check`), so for a binary named
/// with a `-` no subcommand's options complete. The labels are made to match the names
/// (`tests/completions.rs` completes `check --m` in bash).
fn fix_bash_case_labels(shell: clap_complete::Shell, script: String) -> String {
    if shell == clap_complete::Shell::Bash {
        script.replace("origin__subcmd__policy", "origin__policy")
    } else {
        script
    }
}

/// Writes the whole output at once; on failure, says so on stderr and gives the exit status.
fn write_stdout(out: &str) -> Result<(), u8> {
    let mut stdout = io::stdout().lock();
    stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|err| stdout_error(&err))
}

fn stdout_error(err: &io::Error) -> u8 {
    eprintln!("error: cannot write to stdout: {err}");
    EXIT_ERROR
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
