//! Output formats: `check --json`, `check -` (origins from stdin) with its summary on
//! stderr, and `lint --json`.

mod common;

use common::{data, run, run_with_stdin, EXAMPLE_POLICY};

/// Every line is one JSON object with exactly these keys, in this order.
fn assert_json_lines(stdout: &str, keys: &[&str]) {
    for line in stdout.lines() {
        let value: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        let object = value.as_object().expect("an object");
        let found: Vec<&str> = object.keys().map(String::as_str).collect();
        let mut expected = keys.to_vec();
        expected.sort_unstable();
        let mut sorted = found.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, expected, "{line}");
        assert!(line.starts_with(&format!("{{\"{}\":", keys[0])), "{line}");
    }
}

const CHECK_KEYS: &[&str] = &["origin", "mode", "decision", "rule", "note", "reason"];

// --- check --json ---

#[test]
fn check_json_prints_one_object_per_origin_and_keeps_the_exit_codes() {
    let run = run([
        "check",
        "--json",
        "--policy",
        EXAMPLE_POLICY,
        "--mode",
        "live",
        "https://docs.berbix.com",
        "https://www.berbix.com",
        "https://evil.example",
        "https://docs.berbix.com/",
    ]);
    assert_eq!(
        run.stdout_lines(),
        [
            r#"{"origin":"https://docs.berbix.com","mode":"live","decision":"allow","rule":"https://*.berbix.com","note":"every subdomain, at any depth","reason":null}"#,
            r#"{"origin":"https://www.berbix.com","mode":"live","decision":"allow","rule":"https://www.berbix.com","note":null,"reason":null}"#,
            r#"{"origin":"https://evil.example","mode":"live","decision":"deny","rule":null,"note":null,"reason":"no matching rule"}"#,
            r#"{"origin":"https://docs.berbix.com/","mode":"live","decision":"deny","rule":null,"note":null,"reason":"malformed origin: path after the host"}"#,
        ]
    );
    assert_json_lines(&run.stdout, CHECK_KEYS);
    assert_eq!(run.stderr, "");
    assert_eq!(run.code, 1);

    let all_allowed = common::run([
        "check",
        "--mode",
        "test",
        "--json",
        "--test",
        "http://localhost:*",
        "http://localhost:3000",
    ]);
    assert_eq!(
        all_allowed.stdout,
        "{\"origin\":\"http://localhost:3000\",\"mode\":\"test\",\"decision\":\"allow\",\
         \"rule\":\"http://localhost:*\",\"note\":null,\"reason\":null}\n"
    );
    assert_eq!(all_allowed.code, 0);
}

#[test]
fn check_json_names_the_implicit_loopback_allowance_as_a_reason_without_a_rule() {
    let run = run([
        "check",
        "--json",
        "--policy",
        &data("notes.toml"),
        "--mode",
        "test",
        "http://localhost:5173",
        "https://x.example.org",
    ]);
    assert_eq!(
        run.stdout_lines(),
        [
            r#"{"origin":"http://localhost:5173","mode":"test","decision":"allow","rule":null,"note":null,"reason":"implicit test loopback"}"#,
            r#"{"origin":"https://x.example.org","mode":"test","decision":"deny","rule":null,"note":null,"reason":"no matching rule"}"#,
        ]
    );
    assert_eq!(run.code, 1);
}

#[test]
fn check_json_gives_the_origin_exactly_with_json_escapes() {
    let run = run([
        "check",
        "--json",
        "--mode",
        "live",
        "--live",
        "https://www.example.com",
        "--",
        "https://www.example.com\tx",
        "https://www\\.example.com",
        "\"quoted\"",
        "",
        "-",
    ]);
    assert_eq!(
        run.stdout_lines(),
        [
            r#"{"origin":"https://www.example.com\tx","mode":"live","decision":"deny","rule":null,"note":null,"reason":"malformed origin: control character"}"#,
            r#"{"origin":"https://www\\.example.com","mode":"live","decision":"deny","rule":null,"note":null,"reason":"malformed origin: backslash"}"#,
            r#"{"origin":"\"quoted\"","mode":"live","decision":"deny","rule":null,"note":null,"reason":"malformed origin: no `scheme://`"}"#,
            r#"{"origin":"","mode":"live","decision":"deny","rule":null,"note":null,"reason":"malformed origin: the origin is empty"}"#,
            r#"{"origin":"-","mode":"live","decision":"deny","rule":null,"note":null,"reason":"malformed origin: no `scheme://`"}"#,
        ]
    );
    let parsed: Vec<String> = run
        .stdout_lines()
        .iter()
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).expect("JSON");
            value["origin"].as_str().expect("a string").to_owned()
        })
        .collect();
    assert_eq!(
        parsed,
        [
            "https://www.example.com\tx",
            "https://www\\.example.com",
            "\"quoted\"",
            "",
            "-"
        ]
    );
    assert_eq!(run.code, 1);
}

#[test]
fn plain_output_names_the_implicit_loopback_allowance() {
    let run = run([
        "check",
        "--policy",
        &data("notes.json"),
        "--mode",
        "test",
        "http://127.0.0.1:8080",
    ]);
    assert_eq!(
        run.stdout,
        "allow\thttp://127.0.0.1:8080\t(implicit test loopback)\n"
    );
    assert_eq!(run.code, 0);
}

// --- check - (stdin) ---

const STDIN_ARGS: [&str; 6] = ["check", "--policy", EXAMPLE_POLICY, "--mode", "live", "-"];

#[test]
fn dash_reads_one_origin_per_line_skipping_empty_lines_and_dropping_cr() {
    let run = run_with_stdin(
        STDIN_ARGS,
        b"https://docs.berbix.com\r\n\nhttps://evil.example\n\r\nhttps://berbix.com",
    );
    assert_eq!(
        run.stdout_lines(),
        [
            "allow\thttps://docs.berbix.com\thttps://*.berbix.com",
            "deny\thttps://evil.example\tno matching rule",
            "allow\thttps://berbix.com\thttps://berbix.com",
        ]
    );
    // Three origins: no summary.
    assert_eq!(run.stderr, "");
    assert_eq!(run.code, 1);
}

#[test]
fn stdin_lines_are_not_trimmed() {
    let run = run_with_stdin(
        STDIN_ARGS,
        b" https://docs.berbix.com\nhttps://docs.berbix.com \n\t\n",
    );
    assert_eq!(
        run.stdout_lines(),
        [
            "deny\t https://docs.berbix.com\tmalformed origin: whitespace",
            "deny\thttps://docs.berbix.com \tmalformed origin: whitespace",
            "deny\t\\t\tmalformed origin: control character",
        ]
    );
    assert_eq!(run.code, 1);
}

#[test]
fn dash_takes_its_place_among_the_other_origins_and_works_with_json() {
    let run = run_with_stdin(
        [
            "check",
            "--json",
            "--policy",
            EXAMPLE_POLICY,
            "--mode",
            "live",
            "https://www.berbix.com",
            "-",
            "https://berbix.com",
        ],
        b"https://docs.berbix.com\nnull\n",
    );
    assert_eq!(
        run.stdout_lines(),
        [
            r#"{"origin":"https://www.berbix.com","mode":"live","decision":"allow","rule":"https://www.berbix.com","note":null,"reason":null}"#,
            r#"{"origin":"https://docs.berbix.com","mode":"live","decision":"allow","rule":"https://*.berbix.com","note":"every subdomain, at any depth","reason":null}"#,
            r#"{"origin":"null","mode":"live","decision":"deny","rule":null,"note":null,"reason":"opaque origin (null)"}"#,
            r#"{"origin":"https://berbix.com","mode":"live","decision":"allow","rule":"https://berbix.com","note":null,"reason":null}"#,
        ]
    );
    assert_json_lines(&run.stdout, CHECK_KEYS);
    assert_eq!(run.stderr, "");
    assert_eq!(run.code, 1);
}

#[test]
fn all_allowed_on_stdin_exits_0() {
    let run = run_with_stdin(STDIN_ARGS, b"https://docs.berbix.com\nhttps://berbix.com\n");
    assert_eq!(run.stdout.lines().count(), 2);
    assert_eq!(run.code, 0);
}

#[test]
fn more_than_five_origins_get_a_summary_on_stderr() {
    let five = run_with_stdin(STDIN_ARGS, "https://docs.berbix.com\n".repeat(5).as_bytes());
    assert_eq!(five.stdout.lines().count(), 5);
    assert_eq!(five.stderr, "");
    assert_eq!(five.code, 0);

    let input = "https://docs.berbix.com\nhttps://evil.example\n\n".repeat(3);
    let six = run_with_stdin(STDIN_ARGS, input.as_bytes());
    assert_eq!(six.stdout.lines().count(), 6);
    assert_eq!(six.stderr, "checked 6 origins: 3 allowed, 3 denied\n");
    assert_eq!(six.code, 1);

    // Arguments count too, with --json as well.
    let args = run([
        "check",
        "--json",
        "--mode",
        "test",
        "--test",
        "http://localhost:*",
        "http://localhost:1",
        "http://localhost:2",
        "http://localhost:3",
        "http://localhost:4",
        "http://localhost:5",
        "http://localhost:6",
        "http://localhost:7",
    ]);
    assert_eq!(args.stdout.lines().count(), 7);
    assert_eq!(args.stderr, "checked 7 origins: 7 allowed, 0 denied\n");
    assert_eq!(args.code, 0);
}

#[test]
fn a_large_stdin_is_checked_line_by_line() {
    let mut input = String::new();
    for n in 0..20_000 {
        input.push_str(&format!("https://host{n}.berbix.com\n"));
    }
    input.push_str("https://evil.example\n");
    let run = run_with_stdin(STDIN_ARGS, input.as_bytes());
    assert_eq!(run.stdout.lines().count(), 20_001);
    assert_eq!(
        run.stdout.lines().last(),
        Some("deny\thttps://evil.example\tno matching rule")
    );
    assert_eq!(
        run.stderr,
        "checked 20001 origins: 20000 allowed, 1 denied\n"
    );
    assert_eq!(run.code, 1);
}

#[test]
fn empty_stdin_is_an_error_not_an_allowance() {
    for input in [&b""[..], b"\n\n\r\n"] {
        let run = run_with_stdin(STDIN_ARGS, input);
        assert_eq!(run.stdout, "");
        assert_eq!(
            run.stderr,
            "error: no origins on stdin (one per line; empty lines are skipped)\n"
        );
        assert_eq!(run.code, 2);
    }
}

#[test]
fn a_stdin_line_that_is_not_utf8_is_an_error() {
    let run = run_with_stdin(STDIN_ARGS, b"https://docs.berbix.com\n\nhttps://\xff.com\n");
    assert_eq!(
        run.stdout,
        "allow\thttps://docs.berbix.com\thttps://*.berbix.com\n"
    );
    assert_eq!(run.stderr, "error: stdin line 3 is not UTF-8\n");
    assert_eq!(run.code, 2);
}

#[test]
fn dash_may_be_given_once() {
    let run = run_with_stdin(
        [
            "check",
            "--mode",
            "live",
            "--live",
            "https://a.com",
            "-",
            "-",
        ],
        b"https://a.com\n",
    );
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "error: `-` (read origins from stdin) may be given only once\n"
    );
    assert_eq!(run.code, 2);
}

#[test]
fn after_double_dash_a_dash_is_an_origin_not_stdin() {
    // A script that passes an untrusted value after `--` never reads stdin instead: an
    // empty stdin must not turn into "every origin allowed".
    let run = run_with_stdin(
        [
            "check",
            "--mode",
            "live",
            "--live",
            "https://a.com",
            "--",
            "-",
        ],
        b"https://a.com\n",
    );
    assert_eq!(run.stdout, "deny\t-\tmalformed origin: no `scheme://`\n");
    assert_eq!(run.code, 1);
}

#[test]
fn an_invalid_policy_stops_before_stdin_is_read() {
    let run = run_with_stdin(
        ["check", "--mode", "live", "--live", "http://a.com", "-"],
        b"https://a.com\n",
    );
    assert_eq!(run.stdout, "");
    assert!(run
        .stderr
        .starts_with("error: 1 invalid entry:\n--live #1: HttpInLive: "));
    assert_eq!(run.code, 2);
}

#[test]
fn check_help_documents_json_stdin_and_the_summary() {
    let run = run(["check", "--help"]);
    for needle in [
        "--json",
        "\"decision\":\"allow\"",
        "\"implicit test loopback\"",
        "ORIGIN `-` reads origins from stdin",
        "empty lines are skipped",
        "checked N origins: A allowed, D denied",
        "allow<TAB>ORIGIN<TAB>(implicit test loopback)",
    ] {
        assert!(run.stdout.contains(needle), "lacks {needle:?}");
    }
}

// --- lint --json ---

const LINT_KEYS: &[&str] = &[
    "kind",
    "mode",
    "index",
    "rule",
    "entry",
    "other_index",
    "other",
    "message",
];

#[test]
fn lint_json_prints_one_object_per_warning() {
    let run = run([
        "lint",
        "--json",
        "--test",
        "http://staging.example.com",
        "--live",
        "https://*.example.com",
        "--live",
        "https://app.example.com",
        "--live",
        "HTTPS://Example.com:443",
        "--live",
        "https://*.EXAMPLE.com/",
    ]);
    assert_eq!(
        run.stdout_lines(),
        [
            r#"{"kind":"Redundant","mode":"live","index":1,"rule":"https://app.example.com","entry":"https://app.example.com","other_index":0,"other":"https://*.example.com","message":"live[1] https://app.example.com is covered by live[0] https://*.example.com"}"#,
            r#"{"kind":"ExplicitDefaultPort","mode":"live","index":2,"rule":"https://example.com","entry":"HTTPS://Example.com:443","other_index":null,"other":null,"message":"live[2] HTTPS://Example.com:443 names the default port; write https://example.com"}"#,
            r#"{"kind":"Duplicate","mode":"live","index":3,"rule":"https://*.example.com","entry":"https://*.EXAMPLE.com/","other_index":0,"other":"https://*.example.com","message":"live[3] https://*.example.com duplicates live[0] https://*.example.com"}"#,
            r#"{"kind":"InsecureTestHttp","mode":"test","index":0,"rule":"http://staging.example.com","entry":"http://staging.example.com","other_index":null,"other":null,"message":"test[0] http://staging.example.com uses http for a host that is not loopback: such traffic can be read and changed in transit"}"#,
        ]
    );
    assert_json_lines(&run.stdout, LINT_KEYS);
    assert_eq!(run.stderr, "");
    assert_eq!(run.code, 1);
}

#[test]
fn lint_json_of_the_example_policy_and_of_a_clean_one() {
    let example = run(["lint", "--json", "--policy", EXAMPLE_POLICY]);
    assert_eq!(
        example.stdout_lines(),
        [
            r#"{"kind":"Redundant","mode":"live","index":0,"rule":"https://www.berbix.com","entry":"https://www.berbix.com","other_index":2,"other":"https://*.berbix.com","message":"live[0] https://www.berbix.com is covered by live[2] https://*.berbix.com"}"#,
            r#"{"kind":"Redundant","mode":"live","index":3,"rule":"https://www.berbix.com:9999","entry":"https://www.berbix.com:9999","other_index":4,"other":"https://www.berbix.com:*","message":"live[3] https://www.berbix.com:9999 is covered by live[4] https://www.berbix.com:*"}"#,
        ]
    );
    assert_eq!(example.code, 1);

    let clean = run(["lint", "--json", "--policy", &data("good.json")]);
    assert_eq!(
        (clean.code, clean.stdout.as_str(), clean.stderr.as_str()),
        (0, "", "")
    );
}

#[test]
fn lint_json_reports_invalid_entries_as_one_json_object() {
    // Plain lint says it on stderr; with --json it is one object on stdout (the format is
    // tested in `json_failures.rs`), with the same exit status.
    let file = data("bad_entries.json");
    let json = run(["lint", "--json", "--policy", &file]);
    let plain = run(["lint", "--policy", &file]);
    assert_eq!((json.code, plain.code), (2, 2));
    assert_eq!((json.stderr.as_str(), plain.stdout.as_str()), ("", ""));
    let value: serde_json::Value = serde_json::from_str(&json.stdout).expect("one JSON object");
    assert_eq!(value["error"]["code"], "invalid_policy");
    let first = plain.stderr.lines().next().unwrap_or_default();
    assert_eq!(
        Some(first),
        value["error"]["message"]
            .as_str()
            .map(|m| format!("error: {m}:"))
            .as_deref()
    );
}

#[test]
fn lint_help_documents_json() {
    let run = run(["lint", "--help"]);
    for needle in ["--json", "\"kind\":\"Redundant\"", "other_index"] {
        assert!(run.stdout.contains(needle), "lacks {needle:?}");
    }
}
