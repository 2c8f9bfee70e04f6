//! The help texts after each command's options: output formats, where entries come from,
//! exit statuses. The lists that the library defines (warning kinds) come from it.

use std::fmt::Write as _;

use origin_policy::WarningKind;

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
flags in the order given; a flag's entry is numbered after the file's entries of its mode.
A policy file holds at most 20000 entries per mode and 4 MiB (--max-entries N and
--max-bytes N set other limits); past a limit it is refused, located, naming the limit."
    };
}

/// Exit status 2; the same for every subcommand.
macro_rules! exit_error_help {
    () => {
        "  2  an invalid entry (stderr lists each one: where it came from, FILE:LINE:COL for a
     file's entry, the kind, a ^^^ marker and a hint), a missing or unparsable policy file
     (FILE:LINE:COL and the parser's message), or wrong usage.
     With --json, such a failure is one JSON object on stdout instead (nothing on stderr):
       {\"error\": {\"code\", \"message\", \"diagnostics\": [...]}}
     code is usage, unreadable_input, invalid_policy or output; each diagnostic is
     {\"severity\", \"code\", \"message\", \"mode\", \"index\", \"entry\", \"span\": {\"start\",
     \"end\"}, \"hint\", \"suggestion\", \"line\", \"column\"} with the codes of spec-table.md"
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

pub(crate) const CHECK_AFTER_HELP: &str = check_help!();

pub(crate) const TOP_AFTER_HELP: &str = "\
Each command reads a policy from --policy FILE (TOML, or JSON when the name ends in .json;
`-` reads it from stdin) and from --live / --test PATTERN flags. Try:
  origin-policy check --policy examples/policy.toml --mode live https://docs.berbix.com
  origin-policy explain --policy examples/policy.toml --mode live https://evil.example
  origin-policy lint --policy examples/policy.toml
`origin-policy help COMMAND` (or COMMAND --help) gives each command's output format and
exit status; `origin-policy completions bash` prints a completion script for bash.";

pub(crate) const EXPLAIN_AFTER_HELP: &str = concat!(
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
pub(crate) fn lint_after_help() -> String {
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

pub(crate) const COMPLETIONS_AFTER_HELP: &str = "\
Load it in the running shell, or install it where the shell looks for completions:
  source <(origin-policy completions bash)
  origin-policy completions bash > ~/.local/share/bash-completion/completions/origin-policy
  origin-policy completions zsh > \"${fpath[1]}/_origin-policy\"
  origin-policy completions fish > ~/.config/fish/completions/origin-policy.fish";

pub(crate) const MAN_AFTER_HELP: &str = "\
A page holds the command's options and the text after its --help. Read one, or install them
all where man looks:
  origin-policy man check | man -l -
  origin-policy man > ~/.local/share/man/man1/origin-policy.1
  for c in check explain lint validate completions man; do
    origin-policy man $c > ~/.local/share/man/man1/origin-policy-$c.1
  done";

pub(crate) const VALIDATE_AFTER_HELP: &str = concat!(
    "\
Checks one ENTRY (a domain pattern as a user types it) for MODE: alone, or against the
list of a policy (--policy, --live, --test), whose options apply.

Output (stdout) for a valid entry: `valid: CANONICAL`, then each warning that adding it
would cause in the list (a duplicate, covered by a wildcard, covering listed rules, the
default port written out, not expressible in frame-ancestors, ...):
  valid: https://docs.example.com
  warning[redundant_entry]: live[2] https://docs.example.com is covered by live[0] https://*.example.com
    hint: remove it: `https://*.example.com` already allows every origin it allows
For an invalid one: `invalid: ENTRY`, then each error with its code, the entry with ^^^
under the fault, a hint, and the corrected entry when one is valid in the mode:
  invalid: berbix.com
  error[missing_scheme]: live[0]: a pattern starts with `https://` or `http://`
    berbix.com
    ^^^^^^^^^^
    hint: add `https://` in front, as in `https://berbix.com`
    suggestion: https://berbix.com

With --json, one JSON object instead:
  {\"valid\", \"canonical\", \"errors\": [...], \"warnings\": [...]}
with the diagnostics of spec-table.md (section 7), as --json failures give them.

",
    entries_help!(),
    "

Exit status:
  0  the entry is valid (it may still cause warnings)
  1  the entry is invalid
",
    exit_error_help!()
);
