//! `explain`: snapshot tests of its output, plus its exit codes and errors.
//!
//! Each case runs the real binary and compares its stdout, byte for byte, with the golden
//! file `cli/tests/snapshots/NAME.txt`. After an intended change of the output, rewrite the
//! golden files and review the diff:
//!
//! ```sh
//! UPDATE_SNAPSHOTS=1 cargo test -p origin-policy-cli --test explain
//! git diff cli/tests/snapshots
//! ```
//!
//! The CLI guide's worked 403 investigation (`docs/cli.md`) pastes one of them
//! (`readme_403.txt`); a test checks that the guide still holds it.

mod common;

use std::path::PathBuf;

use common::{data, run, EXAMPLE_POLICY};

/// One explain run: a snapshot name, the arguments after `explain`, the exit status and
/// what stderr must hold.
struct Case {
    name: &'static str,
    args: Vec<String>,
    code: i32,
    stderr: &'static str,
}

fn case(name: &'static str, args: &[&str], code: i32) -> Case {
    Case {
        name,
        args: args.iter().map(|arg| (*arg).to_owned()).collect(),
        code,
        stderr: "",
    }
}

fn cases() -> Vec<Case> {
    let example = EXAMPLE_POLICY;
    let notes = data("notes.toml");
    let many: Vec<&str> = [
        "https://www.example.com:8443",
        "https://example.com",
        "https://a.example.com",
        "https://b.example.com",
        "https://c.example.com",
        "https://d.example.com",
        "https://e.example.com",
        "https://*.api.example.com",
        "https://f.example.com:*",
        "https://www.example.org",
    ]
    .iter()
    .flat_map(|entry| ["--live", entry])
    .collect();
    let mut many_args = many.clone();
    many_args.extend(["--mode", "live", "https://www.example.com"]);
    vec![
        // The CLI guide's worked example: a rule of the other mode, a port that differs.
        case(
            "readme_403",
            &[
                "--policy",
                example,
                "--mode",
                "live",
                "https://staging.berbix.com:8443",
            ],
            1,
        ),
        case(
            "allowed_by_wildcard_with_note",
            &[
                "--policy",
                example,
                "--mode",
                "live",
                "https://docs.berbix.com",
            ],
            0,
        ),
        case(
            "allowed_by_the_most_specific_of_several",
            &[
                "--policy",
                example,
                "--mode",
                "live",
                "https://www.berbix.com:9999",
            ],
            0,
        ),
        case(
            "normalized_unicode_uppercase_trailing_dot_default_port",
            &[
                "--policy",
                example,
                "--mode",
                "live",
                "HTTPS://BÜCHER.Berbix.com.:443",
            ],
            0,
        ),
        case(
            "ipv4_shorthand",
            &["--policy", example, "--mode", "test", "http://127.1:3000"],
            0,
        ),
        case(
            "ipv6_in_test_mode",
            &[
                "--test",
                "http://[::1]:*",
                "--test",
                "http://[::1]:3000",
                "--mode",
                "test",
                "http://[0:0::1]:8080",
            ],
            0,
        ),
        case(
            "http_in_live_cannot_be_allowed",
            &["--policy", example, "--mode", "live", "http://berbix.com"],
            1,
        ),
        // A wildcard that fits, turned away by the public-suffix boundary.
        case(
            "wildcard_beyond_a_public_suffix",
            &[
                "--live",
                "https://*.amazonaws.com",
                "--live",
                "https://www.berbix.com",
                "--mode",
                "live",
                "https://bucket.s3.amazonaws.com",
            ],
            1,
        ),
        // A local address other than loopback: never a live entry.
        case(
            "local_address_cannot_be_allowed_in_live",
            &["--policy", example, "--mode", "live", "https://0.0.0.0"],
            1,
        ),
        case(
            "wildcard_never_matches_its_base",
            &[
                "--live",
                "https://*.example.com",
                "--live",
                "https://*.example.com:*",
                "--mode",
                "live",
                "https://example.com",
            ],
            1,
        ),
        case(
            "rules_only_in_the_other_mode",
            &[
                "--policy",
                example,
                "--mode",
                "test",
                "https://www.berbix.com",
            ],
            1,
        ),
        case(
            "implicit_test_loopback",
            &[
                "--policy",
                &notes,
                "--mode",
                "test",
                "http://localhost:5173",
            ],
            0,
        ),
        case(
            "loopback_denied_without_the_option",
            &[
                "--policy",
                example,
                "--mode",
                "test",
                "http://app.localhost:5173",
            ],
            1,
        ),
        case("capped_list", &many_args, 1),
        case(
            "no_related_rule",
            &[
                "--policy",
                example,
                "--mode",
                "live",
                "https://evil.example",
            ],
            1,
        ),
        case(
            "lookalike_domains_are_not_related",
            &[
                "--policy",
                example,
                "--mode",
                "live",
                "https://berbix.com.evil.net",
            ],
            1,
        ),
        Case {
            stderr: "warning: the policy has no live entries: every origin is denied\n",
            ..case(
                "empty_mode",
                &[
                    "--test",
                    "http://localhost:*",
                    "--mode",
                    "live",
                    "https://www.example.com",
                ],
                1,
            )
        },
        Case {
            stderr: "warning: the policy has no live entries: every origin is denied\n",
            ..case(
                "empty_mode_with_a_rule_of_the_other_mode",
                &[
                    "--test",
                    "http://localhost:*",
                    "--mode",
                    "live",
                    "http://localhost:3000",
                ],
                1,
            )
        },
        case(
            "malformed_path",
            &[
                "--policy",
                example,
                "--mode",
                "live",
                "https://docs.berbix.com/login?next=1",
            ],
            1,
        ),
        case(
            "malformed_missing_scheme",
            &["--policy", example, "--mode", "live", "docs.berbix.com"],
            1,
        ),
        case(
            "malformed_null",
            &["--policy", example, "--mode", "live", "null"],
            1,
        ),
        case(
            "malformed_control_character",
            &[
                "--policy",
                example,
                "--mode",
                "live",
                "--",
                "https://docs.berbix.com\u{1b}[31m",
            ],
            1,
        ),
    ]
}

fn snapshot_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(format!("{name}.txt"))
}

fn updating() -> bool {
    std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|value| value == "1")
}

#[test]
fn explain_output_matches_the_snapshots() {
    let mut failures = Vec::new();
    for case in cases() {
        let args: Vec<&str> = ["explain"]
            .into_iter()
            .chain(case.args.iter().map(String::as_str))
            .collect();
        let run = run(&args);
        assert_eq!(run.code, case.code, "{}: {}", case.name, run.stderr);
        assert_eq!(run.stderr, case.stderr, "{}", case.name);
        let path = snapshot_path(case.name);
        if updating() {
            std::fs::write(&path, &run.stdout).expect("the snapshot is written");
            continue;
        }
        let expected = std::fs::read_to_string(&path).unwrap_or_else(|err| {
            panic!(
                "{}: {err}; run with UPDATE_SNAPSHOTS=1 to create it",
                path.display()
            )
        });
        if run.stdout != expected {
            failures.push(format!(
                "--- {} (expected)\n{expected}--- explain {:?} (actual)\n{}",
                path.display(),
                case.args,
                run.stdout
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "snapshots differ (UPDATE_SNAPSHOTS=1 rewrites them):\n{}",
        failures.join("\n")
    );
}

#[test]
fn every_snapshot_file_belongs_to_a_case() {
    let names: Vec<String> = cases()
        .iter()
        .map(|case| format!("{}.txt", case.name))
        .collect();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    for entry in std::fs::read_dir(&dir).expect("the snapshot folder exists") {
        let name = entry.expect("a folder entry").file_name();
        let name = name.to_string_lossy();
        assert!(names.iter().any(|n| *n == name), "stale snapshot {name}");
    }
}

#[test]
fn the_cli_guide_shows_the_real_output_of_its_worked_example() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/cli.md"))
        .expect("docs/cli.md is readable");
    let snapshot =
        std::fs::read_to_string(snapshot_path("readme_403")).expect("the snapshot exists");
    assert!(
        readme.contains(&format!("```text\n{snapshot}```")),
        "docs/cli.md must hold cli/tests/snapshots/readme_403.txt verbatim in a ```text block"
    );
    assert!(readme.contains(
        "origin-policy explain --policy examples/policy.toml --mode live \
         https://staging.berbix.com:8443"
    ));
}

#[test]
fn explain_reports_invalid_entries_like_check_and_exits_2() {
    let file = data("bad_entries.toml");
    let explain = run([
        "explain",
        "--mode",
        "live",
        "--policy",
        &file,
        "https://ok.example.com",
    ]);
    let check = run([
        "check",
        "--mode",
        "live",
        "--policy",
        &file,
        "https://ok.example.com",
    ]);
    assert_eq!(explain.code, 2);
    assert_eq!(explain.stdout, "");
    assert!(explain.stderr.starts_with("error: 8 invalid entries:\n"));
    assert_eq!(explain.stderr, check.stderr);
}

#[test]
fn explain_takes_exactly_one_origin_and_a_mode() {
    for args in [
        &["explain", "--mode", "live", "--live", "https://a.com"][..],
        &[
            "explain",
            "--mode",
            "live",
            "--live",
            "https://a.com",
            "https://a.com",
            "https://b.com",
        ][..],
        &["explain", "--live", "https://a.com", "https://a.com"][..],
    ] {
        let run = run(args);
        assert_eq!(run.code, 2, "{args:?}");
        assert_eq!(run.stdout, "", "{args:?}");
        assert!(
            run.stderr
                .contains("Usage: origin-policy explain --mode live|test"),
            "{args:?}: {}",
            run.stderr
        );
    }
}

#[test]
fn an_unknown_mode_is_a_usage_error() {
    let run = run(["explain", "--mode", "prod", "https://a.com"]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.contains("expected `live` or `test`"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_origin_after_double_dash_may_start_with_a_dash() {
    let run = run([
        "explain",
        "--mode",
        "live",
        "--live",
        "https://a.com",
        "--",
        "-x",
    ]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout
            .starts_with("origin     -x\nproblem    no `scheme://`\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn explain_help_describes_the_output() {
    for args in [&["explain", "--help"][..], &["help", "explain"][..]] {
        let run = run(args);
        assert_eq!(run.code, 0);
        for needle in [
            "normalized",
            "decision",
            "closest",
            "only in test mode",
            "registrable domain",
            "no entry",
            "--json",
            "At most 8 are shown",
            "0  the origin is allowed",
            "1  the origin is denied",
            "2  an invalid entry",
        ] {
            assert!(run.stdout.contains(needle), "{args:?} lacks {needle:?}");
        }
    }
    let top = run(["--help"]);
    assert!(
        top.stdout.contains("origin-policy explain"),
        "{}",
        top.stdout
    );
    // The top-level help lists the subcommands, not `check`'s whole help.
    for command in ["check", "explain", "lint", "completions"] {
        assert!(
            top.stdout
                .lines()
                .any(|line| line.trim_start().starts_with(&format!("{command} "))),
            "{command}: {}",
            top.stdout
        );
    }
    assert!(!top.stdout.contains("allow<TAB>ORIGIN"), "{}", top.stdout);
}

/// "Closest rules" go by the Public Suffix List: other owners' sites under a shared public
/// suffix (`github.io`, `co.uk`) are not "the same domain", and explain never lists them
/// as related nor suggests an entry the builder refuses.
#[test]
fn other_owners_under_a_public_suffix_are_not_related() {
    let mut args: Vec<String> = Vec::new();
    for entry in [
        "https://www.berbix.com",
        "https://docs.example.org",
        "https://*.shop.example.net",
        "https://app.acme.test",
        "https://1.2.3.4",
        "https://[2001:db8::1]",
        "https://a.b.c.example.com",
        "https://pr-*.preview.example.com",
        "https://x.io",
        "https://y.co.uk",
        "https://alice.github.io",
        "https://news.bbc.co.uk",
    ] {
        args.extend(["--live".to_owned(), entry.to_owned()]);
    }
    for (origin, other_owner) in [
        ("https://bob.github.io", "alice.github.io"),
        ("https://news.itv.co.uk", "news.bbc.co.uk"),
    ] {
        let mut call = vec!["explain".to_owned(), "--mode".to_owned(), "live".to_owned()];
        call.extend(args.iter().cloned());
        call.push(origin.to_owned());
        let run = run(&call);
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert!(
            !run.stdout.contains(other_owner),
            "{origin} lists {other_owner}:\n{}",
            run.stdout
        );
        assert!(
            run.stdout.contains("none for this host or its domain"),
            "{}",
            run.stdout
        );
        // No rule shares its registrable domain: nothing to copy.
        assert!(!run.stdout.contains("allow with"), "{}", run.stdout);
        assert!(
            run.stdout
                .contains("near       no rule of the policy shares"),
            "{}",
            run.stdout
        );
    }
}

/// The closing suggestion only for an origin near a rule (one registrable domain, or
/// loopback in test mode); for any other, no entry to copy, in text and in JSON.
#[test]
fn an_entry_is_suggested_only_for_an_origin_near_a_rule() {
    let policy = ["--policy", EXAMPLE_POLICY];
    for (origin, near) in [
        ("https://evil.co.uk", false),
        ("https://example.com.evil.net", false),
        ("https://berbix.com.evil.net", false),
        ("https://evil.example", false),
        ("https://api.berbix.com:8443", true),
        ("http://www.berbix.com", true),
    ] {
        let mut args = vec!["explain", "--mode", "live"];
        args.extend(policy);
        args.push(origin);
        let text = run(&args);
        assert_eq!(text.code, 1, "{origin}: {}", text.stderr);
        let suggests = text.stdout.contains("\nallow with ") || text.stdout.contains("\ncannot ");
        assert_eq!(suggests, near, "{origin}:\n{}", text.stdout);
        assert_eq!(
            text.stdout.contains("\nnear "),
            !near,
            "{origin}:\n{}",
            text.stdout
        );

        args.push("--json");
        let json = run(&args);
        assert_eq!(json.code, 1);
        let record: serde_json::Value =
            serde_json::from_str(&json.stdout).expect("one JSON object");
        assert_eq!(record["no_rule_near"], !near, "{origin}");
        assert_eq!(record["decision"], "deny");
        assert_eq!(record["origin"], origin);
        if near {
            assert!(record["allow_with"].is_string() || record["cannot"].is_string());
        } else {
            assert!(record["allow_with"].is_null() && record["cannot"].is_null());
        }
    }
    // A loopback origin in test mode keeps its entry and the option.
    let run = run([
        "explain",
        "--mode",
        "test",
        "--policy",
        EXAMPLE_POLICY,
        "http://[::1]:3000",
    ]);
    assert!(
        run.stdout
            .contains("allow with the test entry `http://[::1]:3000`"),
        "{}",
        run.stdout
    );
}

#[test]
fn explain_json_gives_the_rule_and_the_rules_shown() {
    let run = run([
        "explain",
        "--json",
        "--mode",
        "live",
        "--policy",
        EXAMPLE_POLICY,
        "https://docs.berbix.com",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.lines().count(), 1);
    let record: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(record["decision"], "allow");
    assert_eq!(record["rule"], "https://*.berbix.com");
    assert_eq!(record["rules"][0]["decides"], true);
    assert_eq!(record["rules"][0]["note"], "every subdomain, at any depth");
    let malformed = common::run([
        "explain",
        "--json",
        "--mode",
        "live",
        "--live",
        "https://a.com",
        "null",
    ]);
    let record: serde_json::Value = serde_json::from_str(&malformed.stdout).expect("JSON");
    assert_eq!(record["normalized"], serde_json::Value::Null);
    assert!(record["problem"].is_string());
    assert_eq!(record["rules"], serde_json::json!([]));
}
