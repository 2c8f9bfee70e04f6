//! `--policy FILE`: TOML, or JSON when the name ends in `.json`, read into the library's
//! `PolicyConfig`: entries with notes, `[options]`, unknown keys, and bad entries reported
//! with the file, `live[i]`, and `LINE:COL`; the same messages as the library's `policy_file`.

mod common;

use std::path::Path;

use common::{data, run, run_with_stdin, EXAMPLE_POLICY, EXAMPLE_POLICY_JSON};
use origin_policy::policy_file::{self, Format};

/// Whether `stderr` starts with the message for a file that is no policy file, by format:
/// the path, the parser's line and column when it gives them, and what the format holds.
fn is_not_a_policy_file(stderr: &str, path: &str) -> bool {
    let expected = if path.ends_with(".json") {
        ": not a valid policy file (expected an object with `\"live\": [...]`, `\"test\": \
         [...]` and an optional `\"options\": {...}`):\n"
    } else {
        ": not a valid policy file (expected `live = [...]`, `test = [...]` and an optional \
         `[options]` table):\n"
    };
    let Some(rest) = stderr.strip_prefix(&format!("error: {path}")) else {
        return false;
    };
    let rest = match rest.split_once(": ") {
        Some((location, _)) if is_line_col(location) => &rest[location.len()..],
        _ => rest,
    };
    rest.starts_with(expected)
}

/// `:LINE:COL`.
fn is_line_col(text: &str) -> bool {
    let parts: Vec<&str> = text.split(':').collect();
    matches!(parts[..], ["", line, column]
        if [line, column].iter().all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())))
}

// --- good files ---

#[test]
fn json_and_toml_files_with_the_same_entries_decide_the_same() {
    for (toml, json) in [
        (data("good.toml"), data("good.json")),
        (data("notes.toml"), data("notes.json")),
        (EXAMPLE_POLICY.to_owned(), EXAMPLE_POLICY_JSON.to_owned()),
    ] {
        for mode in ["live", "test"] {
            let origins = [
                "https://app.example.com",
                "https://api.example.com:8443",
                "https://www.example.com",
                "https://x.github.io",
                "http://localhost:3000",
                "http://127.0.0.1:9",
                "https://staging.example.com:8443",
                "https://docs.berbix.com",
                "https://staging.berbix.com:8443",
            ];
            let args = |file: &str| -> Vec<String> {
                ["check", "--json", "--mode", mode, "--policy", file]
                    .into_iter()
                    .chain(origins)
                    .map(str::to_owned)
                    .collect()
            };
            let from_toml = run(args(&toml));
            let from_json = run(args(&json));
            assert_eq!(from_toml.stdout, from_json.stdout, "{toml} {mode}");
            assert_eq!(from_toml.stderr, from_json.stderr, "{toml} {mode}");
            assert_eq!(from_toml.code, from_json.code, "{toml} {mode}");
            assert_eq!(from_toml.stdout.lines().count(), origins.len());
        }
    }
}

#[test]
fn the_example_json_policy_gives_the_readme_answer() {
    let run = run([
        "check",
        "--policy",
        EXAMPLE_POLICY_JSON,
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
fn notes_reach_the_decisions() {
    for file in [data("notes.toml"), data("notes.json")] {
        let live = run([
            "check",
            "--json",
            "--mode",
            "live",
            "--policy",
            &file,
            "https://www.example.com",
            "https://api.example.com",
        ]);
        assert_eq!(
            live.stdout_lines(),
            [
                r#"{"origin":"https://www.example.com","mode":"live","decision":"allow","rule":"https://www.example.com","note":"main site (SUP-101)","reason":null}"#,
                r#"{"origin":"https://api.example.com","mode":"live","decision":"allow","rule":"https://*.example.com","note":null,"reason":null}"#,
            ],
            "{file}"
        );
        assert_eq!(live.code, 0, "{file}");

        // A note may hold any text; JSON escapes it, so the line stays a line.
        let test = run([
            "check",
            "--json",
            "--mode",
            "test",
            "--policy",
            &file,
            "https://staging.example.com:8443",
        ]);
        assert_eq!(
            test.stdout,
            "{\"origin\":\"https://staging.example.com:8443\",\"mode\":\"test\",\"decision\":\"allow\",\
             \"rule\":\"https://staging.example.com:8443\",\"note\":\"staging\\tsite\",\"reason\":null}\n",
            "{file}"
        );
    }
}

#[test]
fn options_apply_to_the_whole_policy_flags_included() {
    for file in [data("notes.toml"), data("notes.json")] {
        // implicit_test_loopback: loopback origins pass test mode without a rule, never live.
        let test = run([
            "check",
            "--mode",
            "test",
            "--policy",
            &file,
            "http://localhost:5173",
            "http://127.0.0.1:9",
            "https://[::1]",
            "http://app.localhost:3000",
            "http://localhost.evil.example",
        ]);
        assert_eq!(
            test.stdout_lines(),
            [
                "allow\thttp://localhost:5173\t(implicit test loopback)",
                "allow\thttp://127.0.0.1:9\t(implicit test loopback)",
                "allow\thttps://[::1]\t(implicit test loopback)",
                "allow\thttp://app.localhost:3000\t(implicit test loopback)",
                "deny\thttp://localhost.evil.example\tno matching rule",
            ],
            "{file}"
        );
        assert_eq!(test.code, 1);

        let live = run([
            "check",
            "--mode",
            "live",
            "--policy",
            &file,
            // allow_public_suffix_wildcards covers the flags' entries too.
            "--live",
            "https://*.gitlab.io",
            "https://x.github.io",
            "https://y.gitlab.io",
            "http://localhost:5173",
        ]);
        assert_eq!(
            live.stdout_lines(),
            [
                "allow\thttps://x.github.io\thttps://*.github.io",
                "allow\thttps://y.gitlab.io\thttps://*.gitlab.io",
                "deny\thttp://localhost:5173\tno matching rule",
            ],
            "{file}"
        );
        assert_eq!(live.stderr, "");
        assert_eq!(live.code, 1);
    }
}

#[test]
fn without_the_option_a_public_suffix_wildcard_is_refused_with_line_and_column() {
    let file = data("public_suffix.toml");
    let run = run(["lint", "--policy", &file]);
    assert_eq!(
        run.stderr,
        format!(
            "\
error: 1 invalid entry:
{file}:2:9: live[0]: PublicSuffixWildcard: a wildcard over a public suffix would allow sites of other owners
  https://*.github.io
          ^^^^^^^^^^^
  hint: `*.github.io`-style wildcards allow sites of other owners; name your registrable domain, as in `*.your-company.github.io`
"
        )
    );
    assert_eq!(run.stdout, "");
    assert_eq!(run.code, 2);
}

// --- bad entries ---

#[test]
fn every_bad_json_entry_is_reported_with_line_and_column() {
    let file = data("bad_entries.json");
    let run = run([
        "check",
        "--mode",
        "live",
        "--policy",
        &file,
        "--live",
        "https://x.example.com/",
        "--live",
        "localhost:3000",
        "https://ok.example.com",
    ]);
    assert_eq!(
        run.stderr,
        format!(
            "\
error: 5 invalid entries:
{file}:4:5: live[1]: MisplacedWildcard: `*` may only stand once, in the leftmost label, as in `*.example.com` or `pr-*.example.com`
  https://www.*.com
              ^
  hint: `https://*.example.com` allows a.example.com and a.b.example.com (not example.com); `https://pr-*.example.com` allows pr-1.example.com; list other names one by one
{file}:5:5: live[2]: HttpInLive: `http` is available only in test mode; live mode is HTTPS only
  http://shop.example.com
  ^^^^
  hint: live mode is HTTPS only: use https, as in `https://shop.example.com`, or move it to the file's `test` list (valid in test mode)
{file}:6:5: live[3]: PublicSuffixWildcard: a wildcard over a public suffix would allow sites of other owners
  https://*.co.uk
          ^^^^^^^
  hint: `*.co.uk`-style wildcards allow sites of other owners; name your registrable domain, as in `*.your-company.co.uk`
{file}:10:5: test[1]: MissingScheme: a pattern starts with `https://` or `http://`
  example.com
  ^^^^^^^^^^^
  hint: add `https://` in front, as in `https://example.com`
--live #2: MissingScheme: a pattern starts with `https://` or `http://`
  localhost:3000
  ^^^^^^^^^^^^^^
  hint: localhost and 127.0.0.1 (loopback hosts) are for test mode only: pass it with `--test`
"
        )
    );
    assert_eq!(run.stdout, "");
    assert_eq!(run.code, 2);
}

#[test]
fn bad_table_entries_are_located_where_their_table_starts() {
    let file = data("bad_tables.toml");
    let run = run([
        "check",
        "--mode",
        "test",
        "--policy",
        &file,
        "http://localhost",
    ]);
    assert_eq!(
        run.stderr,
        format!(
            "\
error: 2 invalid entries:
{file}:4:5: live[1]: LoopbackInLive: loopback hosts are available only in test mode
  https://localhost:8080
          ^^^^^^^^^
  hint: localhost and 127.0.0.1 (loopback hosts) are for test mode only: move it to the file's `test` list
{file}:7:1: test[0]: Path: a pattern has no path (only one trailing `/` is allowed)
  https://app.example.com/login
                         ^^^^^^
  hint: origins have no path: drop it, as in `https://app.example.com`
"
        )
    );
    assert_eq!(run.stdout, "");
    assert_eq!(run.code, 2);
}

#[test]
fn a_file_entry_is_named_by_its_list_and_a_flag_by_its_occurrence() {
    // The library numbers the flag's entry live[6] (after the file's six); the report names
    // it by the flag.
    let file = data("bad_entries.toml");
    let run = run([
        "lint",
        "--policy",
        &file,
        "--live",
        "https://ok3.example.com",
        "--live",
        "http://x.example.com",
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains(&format!("\n{file}:7:3: live[4]: LoopbackInLive: ")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(
            "\n--live #2: HttpInLive: `http` is available only in test mode; live mode is HTTPS only\n  \
             http://x.example.com\n  ^^^^\n  hint: live mode is HTTPS only: use https, as in \
             `https://x.example.com`, or pass it with `--test` (valid in test mode)\n"
        ),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("live[6]"), "{}", run.stderr);
}

// --- structural errors: the format's own message, with its line and column ---

#[test]
fn structural_errors_go_through_the_formats_own_message_and_exit_2() {
    for (name, needles) in [
        (
            "unknown_key.toml",
            &[
                "TOML parse error at line 2, column 1",
                "unknown field `staging`, expected one of `live`, `test`, `options`",
            ][..],
        ),
        (
            "unknown_option.toml",
            &[
                "TOML parse error at line 4, column 1",
                "unknown field `implicit_loopback`, expected one of `implicit_test_loopback`, \
                 `allow_public_suffix_wildcards`, `frame_ancestors_max_bytes`",
            ][..],
        ),
        (
            "unknown_entry_key.toml",
            &[
                "TOML parse error at line 3, column 42",
                "unknown field `comment`, expected `pattern` or `note`",
            ][..],
        ),
        (
            "missing_pattern.toml",
            &["TOML parse error at line 1, column 9", "missing field `pattern`"][..],
        ),
        (
            "option_wrong_type.toml",
            &[
                "TOML parse error at line 2, column 26",
                "invalid type: string \"yes\", expected a boolean",
            ][..],
        ),
        (
            "wrong_type.toml",
            &["TOML parse error at line 1, column 8", "expected a sequence"][..],
        ),
        (
            "not_toml.toml",
            &["TOML parse error at line 1, column 6"][..],
        ),
        (
            "unknown_key.json",
            &["unknown field `staging`, expected one of `live`, `test`, `options` at line 3 column 11"][..],
        ),
        (
            "wrong_type.json",
            &["invalid type: string \"https://www.example.com\", expected a sequence at line 1 column 35"][..],
        ),
        // TOML text in a `.json` file: read as JSON, by its name.
        ("not_json.json", &["expected value at line 1 column 1"][..]),
    ] {
        let file = data(name);
        for args in [
            &["check", "--mode", "live", "--policy", &file, "https://a.com"][..],
            &["explain", "--mode", "live", "--policy", &file, "https://a.com"][..],
            &["lint", "--policy", &file][..],
        ] {
            let run = run(args);
            assert_eq!(run.code, 2, "{args:?}");
            assert_eq!(run.stdout, "", "{args:?}");
            assert!(
                is_not_a_policy_file(&run.stderr, &file),
                "{args:?}: {}",
                run.stderr
            );
            for needle in needles {
                assert!(run.stderr.contains(needle), "{args:?} lacks {needle:?}: {}", run.stderr);
            }
        }
    }
}

#[test]
fn help_describes_the_file_format() {
    for args in [
        &["check", "--help"][..],
        &["explain", "--help"][..],
        &["lint", "--help"][..],
    ] {
        let run = run(args);
        assert_eq!(run.code, 0, "{args:?}");
        for needle in [
            "JSON when its name ends in .json",
            "{ pattern = \"https://*.example.com\", note = \"why\" }",
            "[options]",
            "implicit_test_loopback = false",
            "allow_public_suffix_wildcards = false",
            "Unknown keys are",
            "FILE:LINE:COL",
        ] {
            assert!(run.stdout.contains(needle), "{args:?} lacks {needle:?}");
        }
    }
}

// --- the library and the CLI say the same ---

/// For the same file, the CLI prints `error: ` and then exactly the library's error: the
/// same locations, spans and hints, whichever command reads it, by path or from stdin.
#[test]
fn the_library_and_the_cli_report_the_same_located_hinted_errors() {
    for name in [
        "bad_entries.toml",
        "bad_entries.json",
        "bad_tables.toml",
        "nasty_entry.json",
        "unknown_key.toml",
        "unknown_key.json",
        "not_toml.toml",
    ] {
        let path = data(name);
        let text = std::fs::read_to_string(&path).expect("test data");
        let format = Format::from_path(Path::new(&path)).expect("named by its format");
        let library = policy_file::parse(&path, &text, format).expect_err("a bad file");
        if name.starts_with("bad_entries") {
            // Hinted and located, as the test promises.
            assert!(
                library.entries().iter().all(|e| e.location().is_some()),
                "{name}"
            );
            assert!(
                library.entries().iter().any(|e| e.hint().is_some()),
                "{name}"
            );
        }
        let expected = format!("error: {library}\n");
        for args in [
            &[
                "check",
                "--mode",
                "live",
                "--policy",
                &path,
                "https://a.com",
            ][..],
            &[
                "explain",
                "--mode",
                "test",
                "--policy",
                &path,
                "https://a.com",
            ][..],
            &["lint", "--policy", &path][..],
        ] {
            let cli = run(args);
            assert_eq!(cli.code, 2, "{args:?}");
            assert_eq!(cli.stderr, expected, "{args:?}");
        }
        // From stdin the source is named `<stdin>` and the format read from the text.
        let from_stdin = policy_file::parse("<stdin>", &text, Format::of_text(&text));
        if Format::of_text(&text) == format {
            let expected = format!("error: {}\n", from_stdin.expect_err("a bad file"));
            let cli = run_with_stdin(["lint", "--policy", "-"], text.as_bytes());
            assert_eq!(cli.code, 2, "{name}");
            assert_eq!(cli.stderr, expected, "{name}");
        }
    }
}

#[test]
fn the_policy_can_come_from_stdin_in_either_format() {
    for path in [EXAMPLE_POLICY, EXAMPLE_POLICY_JSON] {
        let text = std::fs::read(path).expect("the example");
        let run = run_with_stdin(
            [
                "check",
                "--policy",
                "-",
                "--mode",
                "live",
                "https://docs.berbix.com",
            ],
            &text,
        );
        assert_eq!(
            run.stdout, "allow\thttps://docs.berbix.com\thttps://*.berbix.com\n",
            "{path}"
        );
        assert_eq!(run.code, 0, "{path}: {}", run.stderr);
    }
    // Not both the policy and the origins.
    let run = run_with_stdin(
        ["check", "--policy", "-", "--mode", "live", "-"],
        b"live = []\n",
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("stdin cannot hold both"),
        "{}",
        run.stderr
    );
}

#[test]
fn lint_flags_a_wildcard_that_the_public_suffix_option_admits_naming_the_suffix() {
    for file in [data("notes.toml"), data("notes.json")] {
        let lint = run(["lint", "--policy", &file]);
        assert_eq!(
            lint.stdout_lines(),
            [
                "warning\tRedundant\tlive[0] https://www.example.com is covered by live[1] https://*.example.com",
                "warning\tAllowedPublicSuffixWildcard\tlive[2] https://*.github.io is a wildcard over \
                 the public suffix github.io: allow_public_suffix_wildcards admits it, and with it the \
                 sites of every owner under that suffix",
            ],
            "{file}"
        );
        assert_eq!(lint.code, 1, "{file}");
    }
}
