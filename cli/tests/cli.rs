//! Runs the real `origin-policy` binary and checks its stdout, stderr and exit status.
//!
//! Most tests are rows of [`CASES`]: the arguments, the stdin, and what stdout, stderr and
//! the exit status must be; [`every_case`] runs them all and reports every row that fails.
//! In arguments and expectations, `$DATA` stands for `cli/tests/data` and `$EXAMPLE` for
//! `examples/policy.toml` (absolute paths, as the binary prints them). The few tests that
//! are not one run of the binary (stdin left open, an argument that is not UTF-8, two
//! runs compared) follow the table.

use std::io::Read;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

mod common;

use common::{run, run_with_stdin, Run, BIN};

/// One run of the binary and what it must print.
struct Case {
    /// What the row shows; failures name it.
    name: &'static str,
    args: &'static [&'static str],
    /// Written to stdin, then closed; `None`: stdin is `/dev/null`.
    stdin: Option<&'static str>,
    code: i32,
    stdout: Out,
    stderr: Out,
}

/// What a stream must hold.
enum Out {
    /// Exactly this text.
    Is(&'static str),
    /// Starts with `starts`, contains every one of `has`, and (when given) has this many
    /// lines.
    Like {
        starts: &'static str,
        has: &'static [&'static str],
        lines: Option<usize>,
    },
    /// Not checked by this row.
    Any,
}

use Out::{Any, Is};

/// Contains every one of `needles`.
const fn has(needles: &'static [&'static str]) -> Out {
    Out::Like {
        starts: "",
        has: needles,
        lines: None,
    }
}

/// Starts with `prefix` and contains every one of `needles`.
const fn starts(prefix: &'static str, needles: &'static [&'static str]) -> Out {
    Out::Like {
        starts: prefix,
        has: needles,
        lines: None,
    }
}

const CHECK_USAGE: &str = "Usage: origin-policy check --mode live|test [--live PATTERN]... \
                           [--test PATTERN]... [--policy FILE|-] [--json] [--] ORIGIN...|-";
const LINT_USAGE: &str =
    "Usage: origin-policy lint [--policy FILE|-] [--live PATTERN]... [--test PATTERN]...";
const CHECK_HELP: &[&str] = &[
    "allow<TAB>ORIGIN<TAB>RULE",
    "deny<TAB>ORIGIN<TAB>REASON",
    "0  every origin is allowed",
    "1  at least one origin is denied",
    "2  an invalid entry",
    "live = [",
    "--",
];
const LINT_HELP: &[&str] = &[
    "warning<TAB>KIND<TAB>MESSAGE",
    "Duplicate ",
    "Redundant ",
    "ExplicitDefaultPort ",
    "InsecureTestHttp ",
    "0  no warnings",
    "1  at least one warning",
    "2  an invalid entry",
    "live = [",
];
const UNKNOWN_KEY_MESSAGE: &str =
    "unknown field `staging`, expected one of `live`, `test`, `options`";

// One row per case, as a table reads best: not reflowed by rustfmt.
#[rustfmt::skip]
const CASES: &[Case] = &[
    // --- the README command and the example policy ---
    Case {
        name: "the README command prints one allow and one deny and exits 1",
        args: &["check", "--policy", "$EXAMPLE", "--mode", "live", "https://docs.berbix.com", "https://evil.example"],
        stdin: None,
        code: 1,
        stdout: Is("allow\thttps://docs.berbix.com\thttps://*.berbix.com\n\
                    deny\thttps://evil.example\tno matching rule\n"),
        stderr: Is(""),
    },
    Case {
        name: "the example policy's live rules pick the most specific match; more than 5 origins: a summary on stderr",
        args: &[
            "check", "--policy", "$EXAMPLE", "--mode", "live",
            "https://www.berbix.com", "https://berbix.com", "https://one.two.berbix.com",
            "https://www.berbix.com:9999", "https://www.berbix.com:8888", "https://www.berbix.com:443",
        ],
        stdin: None,
        code: 0,
        stdout: Is("allow\thttps://www.berbix.com\thttps://www.berbix.com\n\
                    allow\thttps://berbix.com\thttps://berbix.com\n\
                    allow\thttps://one.two.berbix.com\thttps://*.berbix.com\n\
                    allow\thttps://www.berbix.com:9999\thttps://www.berbix.com:9999\n\
                    allow\thttps://www.berbix.com:8888\thttps://www.berbix.com:*\n\
                    allow\thttps://www.berbix.com:443\thttps://www.berbix.com\n"),
        stderr: Is("checked 6 origins: 6 allowed, 0 denied\n"),
    },
    Case {
        name: "the example policy keeps the modes apart: live",
        args: &[
            "check", "--policy", "$EXAMPLE", "--mode", "live",
            "http://localhost:3000", "http://www.berbix.com", "https://berbix.com.evil.net", "https://evilberbix.com",
        ],
        stdin: None,
        code: 1,
        stdout: Is("deny\thttp://localhost:3000\tno matching rule\n\
                    deny\thttp://www.berbix.com\tno matching rule\n\
                    deny\thttps://berbix.com.evil.net\tno matching rule\n\
                    deny\thttps://evilberbix.com\tno matching rule\n"),
        stderr: Any,
    },
    Case {
        name: "the example policy keeps the modes apart: test",
        args: &[
            "check", "--policy", "$EXAMPLE", "--mode", "test",
            "http://localhost:3000", "http://localhost", "http://127.0.0.1:8080", "https://docs.berbix.com",
        ],
        stdin: None,
        code: 1,
        stdout: Is("allow\thttp://localhost:3000\thttp://localhost:*\n\
                    allow\thttp://localhost\thttp://localhost:*\n\
                    allow\thttp://127.0.0.1:8080\thttp://127.0.0.1:*\n\
                    deny\thttps://docs.berbix.com\tno matching rule\n"),
        stderr: Is(""),
    },
    // --- flags, exit codes, output format ---
    Case {
        name: "all allowed exits 0, and rules are shown in canonical form",
        args: &[
            "check", "--mode", "live", "--live", " HTTPS://WWW.Example.COM.:443/ ", "--live", "https://bücher.example",
            "https://www.example.com", "https://xn--bcher-kva.example",
        ],
        stdin: None,
        code: 0,
        stdout: Is("allow\thttps://www.example.com\thttps://www.example.com\n\
                    allow\thttps://xn--bcher-kva.example\thttps://xn--bcher-kva.example\n"),
        stderr: Is(""),
    },
    Case {
        name: "malformed origins are denied with the reason",
        args: &[
            "check", "--mode", "live", "--live", "https://*.example.com",
            "https://docs.example.com/", "null", "https://a.example.com,https://b.example.com", "ftp://a.example.com",
        ],
        stdin: None,
        code: 1,
        stdout: Is("deny\thttps://docs.example.com/\tmalformed origin: path after the host\n\
                    deny\tnull\topaque origin (null)\n\
                    deny\thttps://a.example.com,https://b.example.com\tmalformed origin: several origins in one value\n\
                    deny\tftp://a.example.com\tmalformed origin: scheme other than http or https\n"),
        stderr: Any,
    },
    Case {
        name: "a single denied origin among allowed ones exits 1",
        args: &[
            "check", "--mode", "test", "--test", "http://localhost:*",
            "http://localhost:1", "http://localhost:2", "http://localhost.evil.example", "http://localhost:3",
        ],
        stdin: None,
        code: 1,
        stdout: Is("allow\thttp://localhost:1\thttp://localhost:*\n\
                    allow\thttp://localhost:2\thttp://localhost:*\n\
                    deny\thttp://localhost.evil.example\tno matching rule\n\
                    allow\thttp://localhost:3\thttp://localhost:*\n"),
        stderr: Any,
    },
    Case {
        name: "origins after `--` may be empty or start with a dash",
        args: &[
            "check", "--mode", "live", "--live", "https://www.example.com", "--",
            "", "-x", "--mode", "https://www.example.com",
        ],
        stdin: None,
        code: 1,
        stdout: Is("deny\t\tmalformed origin: the origin is empty\n\
                    deny\t-x\tmalformed origin: no `scheme://`\n\
                    deny\t--mode\tmalformed origin: no `scheme://`\n\
                    allow\thttps://www.example.com\thttps://www.example.com\n"),
        stderr: Is(""),
    },
    Case {
        name: "a dash origin without `--` is a usage error",
        args: &["check", "--mode", "live", "--live", "https://a.com", "-x"],
        stdin: None,
        code: 2,
        stdout: Is(""),
        stderr: has(&["unexpected argument '-x'"]),
    },
    Case {
        // One line per origin, three fields per line: the tab and newline inside origins
        // split neither.
        name: "control characters and backslashes in origins are escaped",
        args: &[
            "check", "--mode", "live", "--live", "https://www.example.com", "--",
            "https://www.example.com\tx", "https://www.example.com\n", "https://www\\.example.com",
            "https://\u{1b}[31mred", "https://bücher.example",
        ],
        stdin: None,
        code: 1,
        stdout: Is("deny\thttps://www.example.com\\tx\tmalformed origin: control character\n\
                    deny\thttps://www.example.com\\n\tmalformed origin: control character\n\
                    deny\thttps://www\\\\.example.com\tmalformed origin: backslash\n\
                    deny\thttps://\\u{1b}[31mred\tmalformed origin: control character\n\
                    deny\thttps://bücher.example\tno matching rule\n"),
        stderr: Any,
    },
    Case {
        name: "an empty mode warns and denies everything",
        args: &["check", "--mode", "live", "--test", "http://localhost:*", "http://localhost:3000"],
        stdin: None,
        code: 1,
        stdout: Is("deny\thttp://localhost:3000\tno matching rule\n"),
        stderr: Is("warning: the policy has no live entries: every origin is denied\n"),
    },
    // --- usage ---
    Case {
        name: "no origin is a usage error, not a read from stdin",
        args: &["check", "--mode", "live", "--live", "https://a.com"],
        stdin: None,
        code: 2,
        stdout: Is(""),
        stderr: has(&["required arguments were not provided", "ORIGIN"]),
    },
    Case {
        name: "a missing mode is a usage error",
        args: &["check", "--live", "https://a.com", "https://a.com"],
        stdin: None,
        code: 2,
        stdout: Is(""),
        stderr: has(&["required arguments were not provided", "--mode", CHECK_USAGE]),
    },
    Case {
        name: "an unknown mode (`Live`) is a usage error from the library's parser",
        args: &["check", "--mode", "Live", "--live", "https://a.com", "https://a.com"],
        stdin: None,
        code: 2,
        stdout: Is(""),
        stderr: has(&["expected `live` or `test`"]),
    },
    Case {
        name: "an unknown mode (`prod`) is a usage error from the library's parser",
        args: &["check", "--mode", "prod", "--live", "https://a.com", "https://a.com"],
        stdin: None,
        code: 2,
        stdout: Is(""),
        stderr: has(&["expected `live` or `test`"]),
    },
    Case {
        name: "an empty mode is a usage error from the library's parser",
        args: &["check", "--mode", "", "--live", "https://a.com", "https://a.com"],
        stdin: None,
        code: 2,
        stdout: Is(""),
        stderr: has(&["expected `live` or `test`"]),
    },
    Case {
        name: "no subcommand is a usage error",
        args: &["--mode", "live", "https://a.com"],
        stdin: None,
        code: 2,
        stdout: Is(""),
        stderr: has(&["--mode"]),
    },
    Case {
        name: "`check --help` explains the output and the exit codes",
        args: &["check", "--help"],
        stdin: None,
        code: 0,
        stdout: has(CHECK_HELP),
        stderr: Is(""),
    },
    Case {
        name: "`help check` explains the output and the exit codes",
        args: &["help", "check"],
        stdin: None,
        code: 0,
        stdout: has(CHECK_HELP),
        stderr: Is(""),
    },
    // --- policy files ---
    Case {
        name: "a policy file and flags combine: live",
        args: &[
            "check", "--mode", "live", "--policy", "$DATA/good.toml",
            "--live", "https://extra.example.org", "--test", "http://127.0.0.1:*",
            "https://app.example.com", "https://api.example.com:8443", "https://extra.example.org", "https://api.example.com",
        ],
        stdin: None,
        code: 1,
        stdout: Is("allow\thttps://app.example.com\thttps://app.example.com\n\
                    allow\thttps://api.example.com:8443\thttps://*.example.com:8443\n\
                    allow\thttps://extra.example.org\thttps://extra.example.org\n\
                    deny\thttps://api.example.com\tno matching rule\n"),
        stderr: Is(""),
    },
    Case {
        name: "a policy file and flags combine: test",
        args: &[
            "check", "--mode", "test", "--policy", "$DATA/good.toml",
            "--live", "https://extra.example.org", "--test", "http://127.0.0.1:*",
            "http://localhost:3000", "http://127.0.0.1:5000",
        ],
        stdin: None,
        code: 0,
        stdout: Is("allow\thttp://localhost:3000\thttp://localhost:3000\n\
                    allow\thttp://127.0.0.1:5000\thttp://127.0.0.1:*\n"),
        stderr: Any,
    },
    Case {
        name: "an empty policy file is valid",
        args: &[
            "check", "--mode", "live", "--policy", "$DATA/empty.toml",
            "--live", "https://a.example.com", "https://a.example.com",
        ],
        stdin: None,
        code: 0,
        stdout: Is("allow\thttps://a.example.com\thttps://a.example.com\n"),
        stderr: Is(""),
    },
    Case {
        // No decision is printed when the policy cannot be built.
        name: "every bad file entry is reported with its location, line, column, span and hint",
        args: &["check", "--mode", "live", "--policy", "$DATA/bad_entries.toml", "https://ok.example.com"],
        stdin: None,
        code: 2,
        stdout: Is(""),
        stderr: Is("\
error: 8 invalid entries:
$DATA/bad_entries.toml:4:3: live[1]: MisplacedWildcard: `*` may only stand once, in the leftmost label, as in `*.example.com` or `pr-*.example.com`
  https://www.*.com
              ^
  hint: `https://*.example.com` allows a.example.com and a.b.example.com (not example.com); `https://pr-*.example.com` allows pr-1.example.com; list other names one by one
$DATA/bad_entries.toml:5:3: live[2]: HttpInLive: `http` is available only in test mode; live mode is HTTPS only
  http://shop.example.com
  ^^^^
  hint: live mode is HTTPS only: use https, as in `https://shop.example.com`, or move it to the file's `test` list (valid in test mode)
$DATA/bad_entries.toml:6:3: live[3]: PublicSuffixWildcard: a wildcard over a public suffix would allow sites of other owners
  https://*.co.uk
          ^^^^^^^
  hint: `*.co.uk`-style wildcards allow sites of other owners; name your registrable domain, as in `*.your-company.co.uk`
$DATA/bad_entries.toml:7:3: live[4]: LoopbackInLive: loopback hosts are available only in test mode
  https://localhost:8080
          ^^^^^^^^^
  hint: localhost and 127.0.0.1 (loopback hosts) are for test mode only: move it to the file's `test` list
$DATA/bad_entries.toml:12:3: test[1]: MissingScheme: a pattern starts with `https://` or `http://`
  example.com
  ^^^^^^^^^^^
  hint: add `https://` in front, as in `https://example.com`
$DATA/bad_entries.toml:13:3: test[2]: Path: a pattern has no path (only one trailing `/` is allowed)
  https://app.example.com/login
                         ^^^^^^
  hint: origins have no path: drop it, as in `https://app.example.com`
$DATA/bad_entries.toml:14:3: test[3]: BareWildcard: a bare `*` would allow every site; list the domains instead
  https://*
          ^
  hint: a bare `*` would allow every site: list your domains, as in `https://www.your-company.com`, and use `https://*.your-company.com` for their subdomains
$DATA/bad_entries.toml:15:3: test[4]: ControlChar: control characters are not allowed
  https://x\\t.example.com
           ^^
"),
    },
    Case {
        name: "flag entries are named by flag and occurrence, in command-line order",
        args: &[
            "check", "--mode", "test", "--policy", "$DATA/good.toml",
            "--test", "http://localhost:*", "--live", "https://ok.example.com", "--test", "localhost:3000",
            "--live", "https://*.com", "--live", "http://127.0.0.1:8080", "http://localhost:3000",
        ],
        stdin: None,
        code: 2,
        stdout: Is(""),
        stderr: Is("\
error: 3 invalid entries:
--test #2: MissingScheme: a pattern starts with `https://` or `http://`
  localhost:3000
  ^^^^^^^^^^^^^^
  hint: add `http://` in front, as in `http://localhost:3000`
--live #2: PublicSuffixWildcard: a wildcard over a public suffix would allow sites of other owners
  https://*.com
          ^^^^^
  hint: `*.com`-style wildcards allow sites of other owners; name your registrable domain, as in `*.your-company.com`
--live #3: HttpInLive: `http` is available only in test mode; live mode is HTTPS only
  http://127.0.0.1:8080
  ^^^^
  hint: live mode is HTTPS only: use https, or pass it with `--test` (valid in test mode)
"),
    },
    Case {
        name: "an invalid entry of the other mode still fails",
        args: &[
            "check", "--mode", "live", "--live", "https://www.example.com",
            "--test", "http://localhost:3000/app", "https://www.example.com",
        ],
        stdin: None,
        code: 2,
        stdout: Is(""),
        stderr: starts("error: 1 invalid entry:\n--test #1: Path: ", &[]),
    },
    Case {
        name: "a policy file with an unknown key is rejected",
        args: &["check", "--mode", "live", "--policy", "$DATA/unknown_key.toml", "https://a.com"],
        stdin: None,
        code: 2,
        stdout: Is(""),
        stderr: starts(
            "error: $DATA/unknown_key.toml:2:1: not a valid policy file (expected `live = [...]`, \
             `test = [...]` and an optional `[options]` table):\n",
            &["line 2", UNKNOWN_KEY_MESSAGE],
        ),
    },
    Case {
        name: "a policy file that is not TOML is rejected",
        args: &["check", "--mode", "live", "--policy", "$DATA/not_toml.toml", "https://a.com"],
        stdin: None,
        code: 2,
        stdout: Is(""),
        stderr: starts("error: $DATA/not_toml.toml:1:6: not a valid policy file", &["TOML parse error at line 1"]),
    },
    Case {
        name: "a policy list of the wrong type is rejected",
        args: &["check", "--mode", "live", "--policy", "$DATA/wrong_type.toml", "https://a.com"],
        stdin: None,
        code: 2,
        stdout: Is(""),
        stderr: starts("error: $DATA/wrong_type.toml:1:8: not a valid policy file", &["expected a sequence"]),
    },
    Case {
        name: "a missing policy file is an error, on one line",
        args: &["check", "--mode", "live", "--policy", "$DATA/no_such_file.toml", "https://a.com"],
        stdin: None,
        code: 2,
        stdout: Is(""),
        stderr: Out::Like {
            starts: "error: cannot read policy file $DATA/no_such_file.toml: ",
            has: &[],
            lines: Some(1),
        },
    },
    Case {
        name: "a directory as the policy file is an error",
        args: &["check", "--mode", "live", "--policy", "$DATA", "https://a.com"],
        stdin: None,
        code: 2,
        stdout: Is(""),
        stderr: starts("error: cannot read policy file $DATA: ", &[]),
    },
    Case {
        name: "`--policy` may be given only once",
        args: &["check", "--mode", "live", "--policy", "$DATA/good.toml", "--policy", "$DATA/good.toml", "https://a.com"],
        stdin: None,
        code: 2,
        stdout: Is(""),
        stderr: has(&["--policy"]),
    },
    // --- lint ---
    Case {
        name: "lint of a clean policy prints nothing and exits 0",
        args: &["lint", "--policy", "$DATA/good.toml", "--live", "https://extra.example.org", "--test", "http://127.0.0.1:*"],
        stdin: None,
        code: 0,
        stdout: Is(""),
        stderr: Is(""),
    },
    Case {
        name: "lint without entries exits 0",
        args: &["lint"],
        stdin: None,
        code: 0,
        stdout: Is(""),
        stderr: Is(""),
    },
    Case {
        name: "lint prints one tab-separated line per warning and exits 1",
        args: &[
            "lint", "--test", "http://staging.example.com", "--live", "https://*.example.com",
            "--live", "https://app.example.com", "--live", "https://example.com:443",
            "--live", "https://*.EXAMPLE.com/", "--test", "http://localhost:*",
        ],
        stdin: None,
        code: 1,
        stdout: Is("warning\tRedundant\tlive[1] https://app.example.com is covered by live[0] https://*.example.com\n\
                    warning\tExplicitDefaultPort\tlive[2] https://example.com:443 names the default port; write https://example.com\n\
                    warning\tDuplicate\tlive[3] https://*.example.com duplicates live[0] https://*.example.com\n\
                    warning\tInsecureTestHttp\ttest[0] http://staging.example.com uses http for a host that is not loopback: such traffic can be read and changed in transit\n"),
        stderr: Is(""),
    },
    Case {
        name: "lint of the example policy finds its covered rules",
        args: &["lint", "--policy", "$EXAMPLE"],
        stdin: None,
        code: 1,
        stdout: Is("warning\tRedundant\tlive[0] https://www.berbix.com is covered by live[2] https://*.berbix.com\n\
                    warning\tRedundant\tlive[3] https://www.berbix.com:9999 is covered by live[4] https://www.berbix.com:*\n"),
        stderr: Any,
    },
    Case {
        name: "lint rejects a missing policy file like check",
        args: &["lint", "--policy", "$DATA/no_such_file.toml"],
        stdin: None,
        code: 2,
        stdout: Is(""),
        stderr: has(&["error: cannot read policy file "]),
    },
    Case {
        name: "lint rejects a policy file with an unknown key like check",
        args: &["lint", "--policy", "$DATA/unknown_key.toml"],
        stdin: None,
        code: 2,
        stdout: Is(""),
        stderr: has(&[UNKNOWN_KEY_MESSAGE]),
    },
    Case {
        name: "lint rejects a policy file that is not TOML like check",
        args: &["lint", "--policy", "$DATA/not_toml.toml"],
        stdin: None,
        code: 2,
        stdout: Is(""),
        stderr: has(&["not a valid policy file"]),
    },
    Case {
        name: "lint takes no origins",
        args: &["lint", "--live", "https://a.com", "https://a.com"],
        stdin: None,
        code: 2,
        stdout: Is(""),
        stderr: has(&[LINT_USAGE]),
    },
    Case {
        name: "lint takes no mode",
        args: &["lint", "--mode", "live", "--live", "https://a.com"],
        stdin: None,
        code: 2,
        stdout: Is(""),
        stderr: has(&[LINT_USAGE]),
    },
    Case {
        name: "`lint --help` explains the output, the kinds and the exit codes",
        args: &["lint", "--help"],
        stdin: None,
        code: 0,
        stdout: has(LINT_HELP),
        stderr: Is(""),
    },
    Case {
        name: "`help lint` explains the output, the kinds and the exit codes",
        args: &["help", "lint"],
        stdin: None,
        code: 0,
        stdout: has(LINT_HELP),
        stderr: Is(""),
    },
    Case {
        name: "`--help` lists lint",
        args: &["--help"],
        stdin: None,
        code: 0,
        stdout: has(&["lint "]),
        stderr: Any,
    },
];

/// `$DATA` and `$EXAMPLE` replaced by their absolute paths.
fn expand(text: &str) -> String {
    text.replace("$DATA", concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data"))
        .replace("$EXAMPLE", common::EXAMPLE_POLICY)
}

/// What is wrong with `actual` against `expected`, if anything.
fn mismatch(stream: &str, expected: &Out, actual: &str) -> Option<String> {
    match expected {
        Out::Is(text) => {
            let text = expand(text);
            (actual != text).then(|| format!("{stream}: expected\n{text:?}\ngot\n{actual:?}"))
        }
        Out::Like { starts, has, lines } => {
            let starts = expand(starts);
            let mut wrong = Vec::new();
            if !actual.starts_with(&starts) {
                wrong.push(format!("does not start with {starts:?}"));
            }
            for needle in has.iter().map(|needle| expand(needle)) {
                if !actual.contains(&needle) {
                    wrong.push(format!("lacks {needle:?}"));
                }
            }
            if let Some(lines) = lines {
                if actual.lines().count() != *lines {
                    wrong.push(format!("has not {lines} lines"));
                }
            }
            (!wrong.is_empty()).then(|| format!("{stream} {}:\n{actual:?}", wrong.join(", ")))
        }
        Out::Any => None,
    }
}

fn run_case(case: &Case) -> Run {
    let args: Vec<String> = case.args.iter().map(|arg| expand(arg)).collect();
    match case.stdin {
        None => run(&args),
        Some(input) => run_with_stdin(&args, input.as_bytes()),
    }
}

/// Runs every row of [`CASES`] and fails with all the rows that did not hold.
#[test]
fn every_case() {
    let mut failures = Vec::new();
    for case in CASES {
        let run = run_case(case);
        let mut wrong = Vec::new();
        if run.code != case.code {
            wrong.push(format!("exit status {}, expected {}", run.code, case.code));
        }
        wrong.extend(mismatch("stdout", &case.stdout, &run.stdout));
        wrong.extend(mismatch("stderr", &case.stderr, &run.stderr));
        if !wrong.is_empty() {
            failures.push(format!(
                "{}\n  $ origin-policy {:?}\n  {}",
                case.name,
                case.args,
                wrong.join("\n  ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n\n")
    );
}

#[test]
fn the_case_names_are_distinct() {
    let mut names: Vec<&str> = CASES.iter().map(|case| case.name).collect();
    names.sort_unstable();
    let count = names.len();
    names.dedup();
    assert_eq!(names.len(), count, "two cases share a name");
}

// --- what is not one run of the binary ---

#[test]
fn never_reads_stdin() {
    // stdin stays open and empty: a binary that waited for input would never exit.
    let mut child = Command::new(BIN)
        .args([
            "check",
            "--mode",
            "test",
            "--test",
            "http://localhost:*",
            "http://localhost:8080",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let stdin = child.stdin.take();
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait works") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the binary waited on stdin");
        }
        thread::sleep(Duration::from_millis(20));
    };
    drop(stdin);
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .expect("stdout is piped")
        .read_to_string(&mut stdout)
        .expect("stdout is UTF-8");
    assert_eq!(stdout, "allow\thttp://localhost:8080\thttp://localhost:*\n");
    assert_eq!(status.code(), Some(0));
}

#[cfg(unix)]
#[test]
fn a_non_utf8_origin_is_a_usage_error() {
    use std::ffi::OsString;
    use std::os::unix::ffi::OsStringExt;

    let origin = OsString::from_vec(b"https://\xff.example.com".to_vec());
    let args: Vec<OsString> = ["check", "--mode", "live", "--live", "https://a.com", "--"]
        .into_iter()
        .map(OsString::from)
        .chain([origin])
        .collect();
    let run = run(args);
    assert_eq!(run.code, 2);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("invalid UTF-8"), "{}", run.stderr);
}

#[test]
fn file_and_flag_errors_are_reported_together_file_first() {
    let run = run([
        "check".to_owned(),
        "--mode".to_owned(),
        "live".to_owned(),
        "--live".to_owned(),
        "https://x.example.com/path".to_owned(),
        "--policy".to_owned(),
        expand("$DATA/bad_entries.toml"),
        "https://ok.example.com".to_owned(),
    ]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stdout, "");
    let locations: Vec<&str> = run
        .stderr
        .lines()
        .filter(|line| !line.starts_with(' '))
        .map(|line| line.split(": ").take(2).collect::<Vec<_>>())
        .map(|parts| match parts[..] {
            ["error", _] => "error",
            [first, _] if first.starts_with("--") => first,
            [_, second] => second,
            _ => "?",
        })
        .collect();
    assert_eq!(
        locations,
        [
            "error",
            "live[1]",
            "live[2]",
            "live[3]",
            "live[4]",
            "test[1]",
            "test[2]",
            "test[3]",
            "test[4]",
            "--live #1",
        ]
    );
    assert!(run.stderr.starts_with("error: 9 invalid entries:\n"));
    assert!(run.stderr.contains(
        "--live #1: Path: a pattern has no path (only one trailing `/` is allowed)\n  \
         https://x.example.com/path\n                       ^^^^^\n  \
         hint: origins have no path: drop it, as in `https://x.example.com`\n"
    ));
}

#[test]
fn lint_reports_invalid_entries_exactly_as_check_does_and_exits_2() {
    let args = [
        "--policy".to_owned(),
        expand("$DATA/bad_entries.toml"),
        "--live".to_owned(),
        "https://x.example.com/path".to_owned(),
        "--test".to_owned(),
        "localhost:3000".to_owned(),
    ];
    let lint = run(["lint".to_owned()].iter().chain(&args));
    let check = run(["check", "--mode", "live"]
        .map(str::to_owned)
        .iter()
        .chain(&args)
        .chain(&["https://ok.example.com".to_owned()]));
    assert_eq!(lint.code, 2);
    assert_eq!(lint.stdout, "");
    assert!(
        lint.stderr.starts_with("error: 10 invalid entries:\n"),
        "{}",
        lint.stderr
    );
    assert!(lint.stderr.contains("--live #1: Path: "), "{}", lint.stderr);
    assert!(
        lint.stderr.contains("--test #1: MissingScheme: "),
        "{}",
        lint.stderr
    );
    assert_eq!(lint.stderr, check.stderr);
    assert_eq!(check.code, 2);
}
