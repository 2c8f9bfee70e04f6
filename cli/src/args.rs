//! The command line: subcommands and their arguments, as clap reads them.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use origin_policy::policy_file::Limits;
use origin_policy::Mode;

use crate::help::{
    lint_after_help, CHECK_AFTER_HELP, COMPLETIONS_AFTER_HELP, EXPLAIN_AFTER_HELP, MAN_AFTER_HELP,
    TOP_AFTER_HELP, VALIDATE_AFTER_HELP,
};

/// Checks web origins against per-mode allow-lists (live / test), explains decisions, and
/// lints the lists.
#[derive(Debug, Parser)]
#[command(name = "origin-policy", version, after_help = TOP_AFTER_HELP)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Decide, for each ORIGIN, whether the policy allows it in the given mode.
    #[command(
        after_help = CHECK_AFTER_HELP,
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
    /// Check one typed ENTRY for MODE, alone or against a policy's list: its canonical form
    /// and the warnings it would cause, or its errors with the corrected entry.
    #[command(
        after_help = VALIDATE_AFTER_HELP,
        override_usage = "origin-policy validate --mode live|test [--policy FILE|-] [--live PATTERN]... \
                          [--test PATTERN]... [--json] [--] ENTRY"
    )]
    Validate(ValidateArgs),
    /// Print a shell completion script for SHELL on stdout.
    #[command(after_help = COMPLETIONS_AFTER_HELP)]
    Completions(CompletionsArgs),
    /// Print the manual page (roff) of origin-policy, or of one COMMAND, on stdout.
    #[command(after_help = MAN_AFTER_HELP)]
    Man(ManArgs),
}

#[derive(Debug, clap::Args)]
pub(crate) struct ManArgs {
    /// The command whose page to print (origin-policy-COMMAND(1)); none for origin-policy(1).
    #[arg(
        value_name = "COMMAND",
        value_parser = ["check", "explain", "lint", "validate", "completions", "man"]
    )]
    pub(crate) command: Option<String>,
}

#[derive(Debug, clap::Args)]
pub(crate) struct CompletionsArgs {
    /// The shell: bash, zsh, fish, elvish or powershell.
    #[arg(value_name = "SHELL")]
    pub(crate) shell: clap_complete::Shell,
}

/// The entry sources, shared by every subcommand.
#[derive(Debug, clap::Args)]
pub(crate) struct EntryArgs {
    /// Add an entry to the live list (repeatable).
    #[arg(long = "live", value_name = "PATTERN")]
    pub(crate) live: Vec<String>,

    /// Add an entry to the test list (repeatable).
    #[arg(long = "test", value_name = "PATTERN")]
    pub(crate) test: Vec<String>,

    /// A policy file: TOML, or JSON when the name ends in `.json` (see below); `-` reads
    /// it from stdin.
    #[arg(long, value_name = "FILE")]
    pub(crate) policy: Option<PathBuf>,

    /// The most entries per mode the policy file may hold.
    #[arg(long, value_name = "N", default_value_t = Limits::DEFAULT_MAX_ENTRIES_PER_MODE)]
    pub(crate) max_entries: usize,

    /// The most bytes the policy file may have.
    #[arg(long, value_name = "N", default_value_t = Limits::DEFAULT_MAX_BYTES)]
    pub(crate) max_bytes: usize,
}

impl EntryArgs {
    /// Whether `--policy -` reads the policy from stdin.
    pub(crate) fn policy_from_stdin(&self) -> bool {
        self.policy
            .as_deref()
            .is_some_and(|path| path.as_os_str() == "-")
    }
}

#[derive(Debug, clap::Args)]
pub(crate) struct CheckArgs {
    /// The mode whose rules decide: `live` or `test`.
    #[arg(long, value_name = "live|test")]
    pub(crate) mode: Mode,

    #[command(flatten)]
    pub(crate) entries: EntryArgs,

    /// One JSON object per origin instead of TAB-separated fields.
    #[arg(long)]
    pub(crate) json: bool,

    /// The origins to check (`Origin` header values); `-` reads them from stdin.
    #[arg(
        value_name = "ORIGIN",
        num_args = 1..,
        required_unless_present = "literal_origins"
    )]
    pub(crate) origins: Vec<String>,

    /// Origins after `--`, taken as they are (`-` is not stdin there).
    #[arg(value_name = "ORIGIN", last = true, hide = true)]
    pub(crate) literal_origins: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub(crate) struct ExplainArgs {
    /// The mode whose rules decide: `live` or `test`.
    #[arg(long, value_name = "live|test")]
    pub(crate) mode: Mode,

    #[command(flatten)]
    pub(crate) entries: EntryArgs,

    /// The origin to explain (an `Origin` header value).
    #[arg(value_name = "ORIGIN")]
    pub(crate) origin: String,

    /// One JSON object with the same facts instead of the text.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, clap::Args)]
pub(crate) struct LintArgs {
    #[command(flatten)]
    pub(crate) entries: EntryArgs,

    /// One JSON object per warning instead of TAB-separated fields.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, clap::Args)]
pub(crate) struct ValidateArgs {
    /// The mode whose list the entry is for: `live` or `test`.
    #[arg(long, value_name = "live|test")]
    pub(crate) mode: Mode,

    #[command(flatten)]
    pub(crate) entries: EntryArgs,

    /// One JSON object instead of the text.
    #[arg(long)]
    pub(crate) json: bool,

    /// The entry, as typed.
    #[arg(value_name = "ENTRY", allow_hyphen_values = false)]
    pub(crate) entry: String,
}
