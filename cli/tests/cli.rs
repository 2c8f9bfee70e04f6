//! Runs the real `origin-policy` binary and checks its stdout, stderr and exit status.

use std::io::Read;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

mod common;

use common::{run, BIN, EXAMPLE_POLICY};

const GOOD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/good.toml");
const BAD_ENTRIES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/bad_entries.toml");
const UNKNOWN_KEY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/unknown_key.toml");
const NOT_TOML: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/not_toml.toml");
const WRONG_TYPE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/wrong_type.toml");
const EMPTY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/empty.toml");
const MISSING: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/no_such_file.toml");

// --- the README command and the example policy ---

#[test]
fn readme_command_prints_one_allow_and_one_deny_and_exits_1() {
    let run = run([
        "check",
        "--policy",
        EXAMPLE_POLICY,
        "--mode",
        "live",
        "https://docs.berbix.com",
        "https://evil.example",
    ]);
    assert_eq!(
        run.stdout,
        "allow\thttps://docs.berbix.com\thttps://*.berbix.com\n\
         deny\thttps://evil.example\tno matching rule\n"
    );
    assert_eq!(run.stderr, "");
    assert_eq!(run.code, 1);
}

#[test]
fn example_policy_live_rules_pick_the_most_specific_match() {
    let run = run([
        "check",
        "--policy",
        EXAMPLE_POLICY,
        "--mode",
        "live",
        "https://www.berbix.com",
        "https://berbix.com",
        "https://one.two.berbix.com",
        "https://www.berbix.com:9999",
        "https://www.berbix.com:8888",
        "https://www.berbix.com:443",
    ]);
    assert_eq!(
        run.stdout_lines(),
        [
            "allow\thttps://www.berbix.com\thttps://www.berbix.com",
            "allow\thttps://berbix.com\thttps://berbix.com",
            "allow\thttps://one.two.berbix.com\thttps://*.berbix.com",
            "allow\thttps://www.berbix.com:9999\thttps://www.berbix.com:9999",
            "allow\thttps://www.berbix.com:8888\thttps://www.berbix.com:*",
            "allow\thttps://www.berbix.com:443\thttps://www.berbix.com",
        ]
    );
    // More than 5 origins: a summary on stderr.
    assert_eq!(run.stderr, "checked 6 origins: 6 allowed, 0 denied\n");
    assert_eq!(run.code, 0);
}

#[test]
fn example_policy_keeps_the_modes_apart() {
    let live = run([
        "check",
        "--policy",
        EXAMPLE_POLICY,
        "--mode",
        "live",
        "http://localhost:3000",
        "http://www.berbix.com",
        "https://berbix.com.evil.net",
        "https://evilberbix.com",
    ]);
    assert_eq!(
        live.stdout_lines(),
        [
            "deny\thttp://localhost:3000\tno matching rule",
            "deny\thttp://www.berbix.com\tno matching rule",
            "deny\thttps://berbix.com.evil.net\tno matching rule",
            "deny\thttps://evilberbix.com\tno matching rule",
        ]
    );
    assert_eq!(live.code, 1);

    let test = run([
        "check",
        "--policy",
        EXAMPLE_POLICY,
        "--mode",
        "test",
        "http://localhost:3000",
        "http://localhost",
        "http://127.0.0.1:8080",
        "https://docs.berbix.com",
    ]);
    assert_eq!(
        test.stdout_lines(),
        [
            "allow\thttp://localhost:3000\thttp://localhost:*",
            "allow\thttp://localhost\thttp://localhost:*",
            "allow\thttp://127.0.0.1:8080\thttp://127.0.0.1:*",
            "deny\thttps://docs.berbix.com\tno matching rule",
        ]
    );
    assert_eq!(test.stderr, "");
    assert_eq!(test.code, 1);
}

// --- flags, exit codes, output format ---

#[test]
fn all_allowed_exits_0_and_rules_are_shown_in_canonical_form() {
    let run = run([
        "check",
        "--mode",
        "live",
        "--live",
        " HTTPS://WWW.Example.COM.:443/ ",
        "--live",
        "https://bücher.example",
        "https://www.example.com",
        "https://xn--bcher-kva.example",
    ]);
    assert_eq!(
        run.stdout_lines(),
        [
            "allow\thttps://www.example.com\thttps://www.example.com",
            "allow\thttps://xn--bcher-kva.example\thttps://xn--bcher-kva.example",
        ]
    );
    assert_eq!(run.stderr, "");
    assert_eq!(run.code, 0);
}

#[test]
fn malformed_origins_are_denied_with_the_reason() {
    let run = run([
        "check",
        "--mode",
        "live",
        "--live",
        "https://*.example.com",
        "https://docs.example.com/",
        "null",
        "https://a.example.com,https://b.example.com",
        "ftp://a.example.com",
    ]);
    assert_eq!(
        run.stdout_lines(),
        [
            "deny\thttps://docs.example.com/\tmalformed origin: path after the host",
            "deny\tnull\topaque origin (null)",
            "deny\thttps://a.example.com,https://b.example.com\tmalformed origin: several origins in one value",
            "deny\tftp://a.example.com\tmalformed origin: scheme other than http or https",
        ]
    );
    assert_eq!(run.code, 1);
}

#[test]
fn a_single_denied_origin_among_allowed_ones_exits_1() {
    let run = run([
        "check",
        "--mode",
        "test",
        "--test",
        "http://localhost:*",
        "http://localhost:1",
        "http://localhost:2",
        "http://localhost.evil.example",
        "http://localhost:3",
    ]);
    assert_eq!(
        run.stdout_lines(),
        [
            "allow\thttp://localhost:1\thttp://localhost:*",
            "allow\thttp://localhost:2\thttp://localhost:*",
            "deny\thttp://localhost.evil.example\tno matching rule",
            "allow\thttp://localhost:3\thttp://localhost:*",
        ]
    );
    assert_eq!(run.code, 1);
}

#[test]
fn origins_after_double_dash_may_be_empty_or_start_with_a_dash() {
    let run = run([
        "check",
        "--mode",
        "live",
        "--live",
        "https://www.example.com",
        "--",
        "",
        "-x",
        "--mode",
        "https://www.example.com",
    ]);
    assert_eq!(
        run.stdout_lines(),
        [
            "deny\t\tmalformed origin: the origin is empty",
            "deny\t-x\tmalformed origin: no `scheme://`",
            "deny\t--mode\tmalformed origin: no `scheme://`",
            "allow\thttps://www.example.com\thttps://www.example.com",
        ]
    );
    assert_eq!(run.stderr, "");
    assert_eq!(run.code, 1);
}

#[test]
fn a_dash_origin_without_double_dash_is_a_usage_error() {
    let run = run(["check", "--mode", "live", "--live", "https://a.com", "-x"]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.contains("unexpected argument '-x'"),
        "{}",
        run.stderr
    );
}

#[test]
fn control_characters_and_backslashes_in_origins_are_escaped() {
    let run = run([
        "check",
        "--mode",
        "live",
        "--live",
        "https://www.example.com",
        "--",
        "https://www.example.com\tx",
        "https://www.example.com\n",
        "https://www\\.example.com",
        "https://\u{1b}[31mred",
        "https://bücher.example",
    ]);
    // One line per origin: the tab and newline inside origins do not split lines or fields.
    assert_eq!(run.stdout.lines().count(), 5);
    assert_eq!(
        run.stdout_lines(),
        [
            "deny\thttps://www.example.com\\tx\tmalformed origin: control character",
            "deny\thttps://www.example.com\\n\tmalformed origin: control character",
            "deny\thttps://www\\\\.example.com\tmalformed origin: backslash",
            "deny\thttps://\\u{1b}[31mred\tmalformed origin: control character",
            "deny\thttps://bücher.example\tno matching rule",
        ]
    );
    for line in run.stdout_lines() {
        assert_eq!(line.split('\t').count(), 3, "{line:?}");
    }
    assert_eq!(run.code, 1);
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
fn an_empty_mode_warns_and_denies_everything() {
    let run = run([
        "check",
        "--mode",
        "live",
        "--test",
        "http://localhost:*",
        "http://localhost:3000",
    ]);
    assert_eq!(
        run.stdout,
        "deny\thttp://localhost:3000\tno matching rule\n"
    );
    assert_eq!(
        run.stderr,
        "warning: the policy has no live entries: every origin is denied\n"
    );
    assert_eq!(run.code, 1);
}

// --- stdin and usage ---

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

#[test]
fn no_origin_is_a_usage_error_not_a_read_from_stdin() {
    let run = run(["check", "--mode", "live", "--live", "https://a.com"]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.contains("required arguments were not provided"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("ORIGIN"), "{}", run.stderr);
}

#[test]
fn missing_mode_is_a_usage_error() {
    let run = run(["check", "--live", "https://a.com", "https://a.com"]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.contains("required arguments were not provided"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--mode"), "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "Usage: origin-policy check --mode live|test [--live PATTERN]... \
             [--test PATTERN]... [--policy FILE|-] [--json] [--] ORIGIN...|-"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn an_unknown_mode_is_a_usage_error_from_the_library_parser() {
    for mode in ["Live", "prod", ""] {
        let run = run([
            "check",
            "--mode",
            mode,
            "--live",
            "https://a.com",
            "https://a.com",
        ]);
        assert_eq!(run.code, 2, "{mode:?}");
        assert_eq!(run.stdout, "");
        assert!(
            run.stderr.contains("expected `live` or `test`"),
            "{mode:?}: {}",
            run.stderr
        );
    }
}

#[test]
fn no_subcommand_is_a_usage_error() {
    let run = run(["--mode", "live", "https://a.com"]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("--mode"), "{}", run.stderr);
}

#[test]
fn help_explains_output_and_exit_codes() {
    for args in [&["check", "--help"][..], &["help", "check"][..]] {
        let run = run(args);
        assert_eq!(run.code, 0, "{args:?}");
        assert_eq!(run.stderr, "");
        for needle in [
            "allow<TAB>ORIGIN<TAB>RULE",
            "deny<TAB>ORIGIN<TAB>REASON",
            "0  every origin is allowed",
            "1  at least one origin is denied",
            "2  an invalid entry",
            "live = [",
            "--",
        ] {
            assert!(run.stdout.contains(needle), "{args:?} lacks {needle:?}");
        }
    }
}

// --- policy files ---

#[test]
fn policy_file_and_flags_combine() {
    let live = run([
        "check",
        "--mode",
        "live",
        "--policy",
        GOOD,
        "--live",
        "https://extra.example.org",
        "--test",
        "http://127.0.0.1:*",
        "https://app.example.com",
        "https://api.example.com:8443",
        "https://extra.example.org",
        "https://api.example.com",
    ]);
    assert_eq!(
        live.stdout_lines(),
        [
            "allow\thttps://app.example.com\thttps://app.example.com",
            "allow\thttps://api.example.com:8443\thttps://*.example.com:8443",
            "allow\thttps://extra.example.org\thttps://extra.example.org",
            "deny\thttps://api.example.com\tno matching rule",
        ]
    );
    assert_eq!(live.stderr, "");
    assert_eq!(live.code, 1);

    let test = run([
        "check",
        "--mode",
        "test",
        "--policy",
        GOOD,
        "--live",
        "https://extra.example.org",
        "--test",
        "http://127.0.0.1:*",
        "http://localhost:3000",
        "http://127.0.0.1:5000",
    ]);
    assert_eq!(
        test.stdout_lines(),
        [
            "allow\thttp://localhost:3000\thttp://localhost:3000",
            "allow\thttp://127.0.0.1:5000\thttp://127.0.0.1:*",
        ]
    );
    assert_eq!(test.code, 0);
}

#[test]
fn an_empty_policy_file_is_valid() {
    let run = run([
        "check",
        "--mode",
        "live",
        "--policy",
        EMPTY,
        "--live",
        "https://a.example.com",
        "https://a.example.com",
    ]);
    assert_eq!(
        run.stdout,
        "allow\thttps://a.example.com\thttps://a.example.com\n"
    );
    assert_eq!(run.stderr, "");
    assert_eq!(run.code, 0);
}

#[test]
fn every_bad_file_entry_is_reported_with_its_location_line_col_span_and_hint() {
    let run = run([
        "check",
        "--mode",
        "live",
        "--policy",
        BAD_ENTRIES,
        "https://ok.example.com",
    ]);
    let expected = format!(
        "\
error: 8 invalid entries:
{f}:4:3: live[1]: MisplacedWildcard: `*` may only stand once, in the leftmost label, as in `*.example.com` or `pr-*.example.com`
  https://www.*.com
              ^
  hint: `https://*.example.com` allows a.example.com and a.b.example.com (not example.com); `https://pr-*.example.com` allows pr-1.example.com; list other names one by one
{f}:5:3: live[2]: HttpInLive: `http` is available only in test mode; live mode is HTTPS only
  http://shop.example.com
  ^^^^
  hint: live mode is HTTPS only: use https, as in `https://shop.example.com`, or move it to the file's `test` list (valid in test mode)
{f}:6:3: live[3]: PublicSuffixWildcard: a wildcard over a public suffix would allow sites of other owners
  https://*.co.uk
          ^^^^^^^
  hint: `*.co.uk`-style wildcards allow sites of other owners; name your registrable domain, as in `*.your-company.co.uk`
{f}:7:3: live[4]: LoopbackInLive: loopback hosts are available only in test mode
  https://localhost:8080
          ^^^^^^^^^
  hint: localhost and 127.0.0.1 (loopback hosts) are for test mode only: move it to the file's `test` list
{f}:12:3: test[1]: MissingScheme: a pattern starts with `https://` or `http://`
  example.com
  ^^^^^^^^^^^
  hint: add `https://` in front, as in `https://example.com`
{f}:13:3: test[2]: Path: a pattern has no path (only one trailing `/` is allowed)
  https://app.example.com/login
                         ^^^^^^
  hint: origins have no path: drop it, as in `https://app.example.com`
{f}:14:3: test[3]: BareWildcard: a bare `*` would allow every site; list the domains instead
  https://*
          ^
  hint: a bare `*` would allow every site: list your domains, as in `https://www.your-company.com`, and use `https://*.your-company.com` for their subdomains
{f}:15:3: test[4]: ControlChar: control characters are not allowed
  https://x\\t.example.com
           ^^
",
        f = BAD_ENTRIES
    );
    assert_eq!(run.stderr, expected);
    // No decision is printed when the policy cannot be built.
    assert_eq!(run.stdout, "");
    assert_eq!(run.code, 2);
}

#[test]
fn flag_entries_are_named_by_flag_and_occurrence_in_command_line_order() {
    let run = run([
        "check",
        "--mode",
        "test",
        "--policy",
        GOOD,
        "--test",
        "http://localhost:*",
        "--live",
        "https://ok.example.com",
        "--test",
        "localhost:3000",
        "--live",
        "https://*.com",
        "--live",
        "http://127.0.0.1:8080",
        "http://localhost:3000",
    ]);
    let expected = "\
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
";
    assert_eq!(run.stderr, expected);
    assert_eq!(run.stdout, "");
    assert_eq!(run.code, 2);
}

#[test]
fn file_and_flag_errors_are_reported_together_file_first() {
    let run = run([
        "check",
        "--mode",
        "live",
        "--live",
        "https://x.example.com/path",
        "--policy",
        BAD_ENTRIES,
        "https://ok.example.com",
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
fn an_invalid_entry_of_the_other_mode_still_fails() {
    let run = run([
        "check",
        "--mode",
        "live",
        "--live",
        "https://www.example.com",
        "--test",
        "http://localhost:3000/app",
        "https://www.example.com",
    ]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stdout, "");
    assert!(run
        .stderr
        .starts_with("error: 1 invalid entry:\n--test #1: Path: "));
}

#[test]
fn a_policy_file_with_an_unknown_key_is_rejected() {
    let run = run([
        "check",
        "--mode",
        "live",
        "--policy",
        UNKNOWN_KEY,
        "https://a.com",
    ]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.starts_with(&format!(
            "error: {UNKNOWN_KEY}:2:1: not a valid policy file (expected `live = [...]`, \
             `test = [...]` and an optional `[options]` table):\n"
        )),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("line 2"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("unknown field `staging`, expected one of `live`, `test`, `options`"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_policy_file_that_is_not_toml_is_rejected() {
    let run = run([
        "check",
        "--mode",
        "live",
        "--policy",
        NOT_TOML,
        "https://a.com",
    ]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr
            .starts_with(&format!("error: {NOT_TOML}:1:6: not a valid policy file")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("TOML parse error at line 1"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_policy_list_of_the_wrong_type_is_rejected() {
    let run = run([
        "check",
        "--mode",
        "live",
        "--policy",
        WRONG_TYPE,
        "https://a.com",
    ]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr
            .starts_with(&format!("error: {WRONG_TYPE}:1:8: not a valid policy file")),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("expected a sequence"), "{}", run.stderr);
}

#[test]
fn a_missing_policy_file_is_an_error() {
    let run = run([
        "check",
        "--mode",
        "live",
        "--policy",
        MISSING,
        "https://a.com",
    ]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr
            .starts_with(&format!("error: cannot read policy file {MISSING}: ")),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
}

#[test]
fn a_directory_as_policy_file_is_an_error() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");
    let run = run(["check", "--mode", "live", "--policy", dir, "https://a.com"]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr
            .starts_with(&format!("error: cannot read policy file {dir}: ")),
        "{}",
        run.stderr
    );
}

#[test]
fn policy_may_be_given_only_once() {
    let run = run([
        "check",
        "--mode",
        "live",
        "--policy",
        GOOD,
        "--policy",
        GOOD,
        "https://a.com",
    ]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("--policy"), "{}", run.stderr);
}

// --- lint ---

#[test]
fn lint_of_a_clean_policy_prints_nothing_and_exits_0() {
    let run = run([
        "lint",
        "--policy",
        GOOD,
        "--live",
        "https://extra.example.org",
        "--test",
        "http://127.0.0.1:*",
    ]);
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr, "");
    assert_eq!(run.code, 0);
}

#[test]
fn lint_without_entries_exits_0() {
    let run = run(["lint"]);
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (0, "", "")
    );
}

#[test]
fn lint_prints_one_tab_separated_line_per_warning_and_exits_1() {
    let run = run([
        "lint",
        "--test",
        "http://staging.example.com",
        "--live",
        "https://*.example.com",
        "--live",
        "https://app.example.com",
        "--live",
        "https://example.com:443",
        "--live",
        "https://*.EXAMPLE.com/",
        "--test",
        "http://localhost:*",
    ]);
    assert_eq!(
        run.stdout_lines(),
        [
            "warning\tRedundant\tlive[1] https://app.example.com is covered by live[0] https://*.example.com",
            "warning\tExplicitDefaultPort\tlive[2] https://example.com:443 names the default port; write https://example.com",
            "warning\tDuplicate\tlive[3] https://*.example.com duplicates live[0] https://*.example.com",
            "warning\tInsecureTestHttp\ttest[0] http://staging.example.com uses http for a host that is not loopback: such traffic can be read and changed in transit",
        ]
    );
    for line in run.stdout_lines() {
        assert_eq!(line.split('\t').count(), 3, "{line:?}");
    }
    assert_eq!(run.stderr, "");
    assert_eq!(run.code, 1);
}

#[test]
fn lint_of_the_example_policy_finds_its_covered_rules() {
    let run = run(["lint", "--policy", EXAMPLE_POLICY]);
    assert_eq!(
        run.stdout_lines(),
        [
            "warning\tRedundant\tlive[0] https://www.berbix.com is covered by live[2] https://*.berbix.com",
            "warning\tRedundant\tlive[3] https://www.berbix.com:9999 is covered by live[4] https://www.berbix.com:*",
        ]
    );
    assert_eq!(run.code, 1);
}

#[test]
fn lint_reports_invalid_entries_exactly_as_check_does_and_exits_2() {
    let args = [
        "--policy",
        BAD_ENTRIES,
        "--live",
        "https://x.example.com/path",
        "--test",
        "localhost:3000",
    ];
    let lint = run(["lint"].iter().chain(&args));
    let check = run(["check", "--mode", "live"]
        .iter()
        .chain(&args)
        .chain(&["https://ok.example.com"]));
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

#[test]
fn lint_rejects_bad_policy_files_like_check() {
    for (file, needle) in [
        (MISSING, "error: cannot read policy file "),
        (
            UNKNOWN_KEY,
            "unknown field `staging`, expected one of `live`, `test`, `options`",
        ),
        (NOT_TOML, "not a valid policy file"),
    ] {
        let run = run(["lint", "--policy", file]);
        assert_eq!(run.code, 2, "{file}");
        assert_eq!(run.stdout, "", "{file}");
        assert!(run.stderr.contains(needle), "{file}: {}", run.stderr);
    }
}

#[test]
fn lint_takes_no_origins_and_no_mode() {
    for args in [
        &["lint", "--live", "https://a.com", "https://a.com"][..],
        &["lint", "--mode", "live", "--live", "https://a.com"][..],
    ] {
        let run = run(args);
        assert_eq!(run.code, 2, "{args:?}");
        assert_eq!(run.stdout, "", "{args:?}");
        assert!(
            run.stderr.contains(
                "Usage: origin-policy lint [--policy FILE|-] [--live PATTERN]... [--test PATTERN]..."
            ),
            "{args:?}: {}",
            run.stderr
        );
    }
}

#[test]
fn lint_help_explains_output_kinds_and_exit_codes() {
    for args in [&["lint", "--help"][..], &["help", "lint"][..]] {
        let run = run(args);
        assert_eq!(run.code, 0, "{args:?}");
        assert_eq!(run.stderr, "");
        for needle in [
            "warning<TAB>KIND<TAB>MESSAGE",
            "Duplicate ",
            "Redundant ",
            "ExplicitDefaultPort ",
            "InsecureTestHttp ",
            "0  no warnings",
            "1  at least one warning",
            "2  an invalid entry",
            "live = [",
        ] {
            assert!(run.stdout.contains(needle), "{args:?} lacks {needle:?}");
        }
    }
    let top = run(["--help"]);
    assert!(top.stdout.contains("lint "), "{}", top.stdout);
}
