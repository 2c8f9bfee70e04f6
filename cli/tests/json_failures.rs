//! `--json` covers failures too: wrong usage, an unreadable file, an invalid policy (bad
//! entries, an unknown key, a limit) each print one JSON object on stdout,
//! `{"error": {"code", "message", "diagnostics": [...]}}`, with nothing on stderr and the
//! documented exit status 2. The diagnostics are the library's, field for field.

mod common;

use common::{data, run, run_with_stdin, EXAMPLE_POLICY};
use origin_policy::policy_file::{self, Format};
use serde_json::Value;

/// The one JSON object of a failed run, after checking the exit status and stderr.
fn failure(args: &[&str]) -> Value {
    let out = run(args);
    assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
    assert_eq!(out.stderr, "", "{args:?}");
    assert_eq!(out.stdout.lines().count(), 1, "{args:?}: {}", out.stdout);
    let value: Value = serde_json::from_str(&out.stdout).expect("one JSON object");
    let error = value["error"].as_object().expect("an `error` object");
    let keys: Vec<&str> = error.keys().map(String::as_str).collect();
    assert_eq!(keys, ["code", "diagnostics", "message"], "{args:?}");
    value["error"].clone()
}

#[test]
fn usage_errors_are_json_with_every_subcommand() {
    for args in [
        &["check", "--json", "--mode", "bogus", "https://a.com"][..],
        &["explain", "--json", "--mode", "live"][..],
        &["lint", "--json", "--no-such-flag"][..],
        &["validate", "--json", "https://a.com"][..],
    ] {
        let error = failure(args);
        assert_eq!(error["code"], "usage", "{args:?}");
        assert_eq!(error["diagnostics"], Value::Array(vec![]), "{args:?}");
        let message = error["message"].as_str().unwrap_or_default();
        assert!(
            !message.is_empty() && !message.starts_with("error:"),
            "{message}"
        );
    }
    // Without --json, or with it only after `--`, clap's text on stderr as before.
    let plain = run(["check", "--mode", "bogus", "https://a.com"]);
    assert_eq!((plain.code, plain.stdout.as_str()), (2, ""));
    assert!(plain.stderr.starts_with("error: "), "{}", plain.stderr);
    let after = run(["check", "--mode", "bogus", "--", "--json"]);
    assert_eq!((after.code, after.stdout.as_str()), (2, ""));
    // Help is not a failure.
    let help = run(["check", "--json", "--help"]);
    assert_eq!(help.code, 0);
    assert!(help.stdout.contains("Usage:"));
}

#[test]
fn the_cli_own_usage_checks_are_json_too() {
    let out = run_with_stdin(
        ["check", "--json", "--mode", "live", "--policy", "-", "-"],
        b"live = []\n",
    );
    assert_eq!((out.code, out.stderr.as_str()), (2, ""));
    let value: Value = serde_json::from_str(&out.stdout).expect("one JSON object");
    assert_eq!(value["error"]["code"], "usage");
}

#[test]
fn an_unreadable_file_or_stdin_is_unreadable_input() {
    let missing = data("no_such_file.toml");
    let error = failure(&["lint", "--json", "--policy", &missing]);
    assert_eq!(error["code"], "unreadable_input");
    let message = error["message"].as_str().unwrap_or_default();
    assert!(message.starts_with("cannot read policy file "), "{message}");

    let out = run_with_stdin(
        [
            "check",
            "--json",
            "--mode",
            "live",
            "--live",
            "https://a.com",
            "-",
        ],
        b"\n\n",
    );
    assert_eq!((out.code, out.stderr.as_str()), (2, ""));
    let value: Value = serde_json::from_str(&out.stdout).expect("one JSON object");
    assert_eq!(value["error"]["code"], "unreadable_input");
}

#[test]
fn an_invalid_policy_gives_the_library_diagnostics() {
    let file = data("bad_entries.toml");
    let text = std::fs::read_to_string(&file).expect("test data");
    let library = policy_file::parse(&file, &text, Format::Toml).expect_err("invalid");
    let expected = serde_json::to_value(library.diagnostics()).expect("serializes");
    for args in [
        &[
            "check",
            "--json",
            "--mode",
            "live",
            "--policy",
            &file,
            "https://a.com",
        ][..],
        &[
            "explain",
            "--json",
            "--mode",
            "test",
            "--policy",
            &file,
            "https://a.com",
        ][..],
        &["lint", "--json", "--policy", &file][..],
        &[
            "validate",
            "--json",
            "--mode",
            "live",
            "--policy",
            &file,
            "https://a.com",
        ][..],
    ] {
        let error = failure(args);
        assert_eq!(error["code"], "invalid_policy", "{args:?}");
        assert_eq!(error["message"], "8 invalid entries", "{args:?}");
        assert_eq!(error["diagnostics"], expected, "{args:?}");
    }
    // What they hold: located, coded, hinted, and the suggestion where one is valid.
    let diagnostics = expected.as_array().expect("a list");
    assert_eq!(diagnostics.len(), 8);
    let shop = &diagnostics[1];
    assert_eq!(shop["code"], "http_in_live");
    assert_eq!(
        (&shop["mode"], &shop["index"]),
        (&Value::from("live"), &Value::from(2))
    );
    assert_eq!(
        (&shop["line"], &shop["column"]),
        (&Value::from(5), &Value::from(3))
    );
    assert_eq!(shop["span"], serde_json::json!({"start": 0, "end": 4}));
    assert_eq!(shop["suggestion"], "https://shop.example.com");
    assert_eq!(shop["severity"], "error");
    let bare = diagnostics
        .iter()
        .find(|d| d["code"] == "missing_scheme")
        .expect("example.com");
    assert_eq!(bare["suggestion"], "https://example.com");
    let wildcard = diagnostics
        .iter()
        .find(|d| d["code"] == "misplaced_wildcard")
        .expect("www.*.com");
    assert_eq!(wildcard["suggestion"], Value::Null);
}

#[test]
fn a_flag_entry_is_a_diagnostic_with_its_suggestion() {
    let error = failure(&[
        "check",
        "--json",
        "--mode",
        "live",
        "--live",
        "berbix.com",
        "https://a.com",
    ]);
    assert_eq!(error["code"], "invalid_policy");
    let diagnostic = &error["diagnostics"][0];
    assert_eq!(diagnostic["code"], "missing_scheme");
    assert_eq!(diagnostic["entry"], "berbix.com");
    assert_eq!(diagnostic["suggestion"], "https://berbix.com");
    assert_eq!(diagnostic["line"], Value::Null);
}

#[test]
fn an_unknown_key_comes_with_every_entry_error() {
    let dir = std::env::temp_dir().join(format!("op-json-failures-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("typo.toml");
    std::fs::write(
        &file,
        "live = [\"http://x.com\"]\ntset = [\"localhost:3000\"]\n",
    )
    .expect("write");
    let file = file.display().to_string();
    let error = failure(&["lint", "--json", "--policy", &file]);
    let codes: Vec<&str> = error["diagnostics"]
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|d| d["code"].as_str())
        .collect();
    assert_eq!(codes, ["unknown_key", "http_in_live"]);
    assert_eq!(error["diagnostics"][0]["hint"], "did you mean `test`?");
    assert_eq!(error["diagnostics"][0]["line"], 2);
    // In text, both on stderr.
    let text = run(["lint", "--policy", &file]);
    assert_eq!(text.code, 2);
    assert!(
        text.stderr.contains("unknown field `tset`"),
        "{}",
        text.stderr
    );
    assert!(
        text.stderr.contains("live[0]: HttpInLive"),
        "{}",
        text.stderr
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_policy_over_the_limit_names_it() {
    let error = failure(&[
        "lint",
        "--json",
        "--max-entries",
        "4",
        "--policy",
        EXAMPLE_POLICY,
    ]);
    assert_eq!(error["code"], "invalid_policy");
    let diagnostic = &error["diagnostics"][0];
    assert_eq!(diagnostic["code"], "too_many_entries");
    assert_eq!(
        (&diagnostic["mode"], &diagnostic["index"]),
        (&Value::from("live"), &Value::from(4))
    );
    let message = diagnostic["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("over the limit of 4 entries per mode"),
        "{message}"
    );

    let text = run(["lint", "--max-bytes", "100", "--policy", EXAMPLE_POLICY]);
    assert_eq!((text.code, text.stdout.as_str()), (2, ""));
    assert!(
        text.stderr
            .contains("over the limit of 100 bytes (max_bytes)"),
        "{}",
        text.stderr
    );
    // The defaults take the example, and a limit it fits passes.
    assert_eq!(
        run(["lint", "--max-entries", "5", "--policy", EXAMPLE_POLICY]).code,
        1
    );
}

#[test]
fn hidden_characters_of_the_input_are_json_escapes() {
    let entry = "https://x\u{1b}[31m\u{202e}\u{2028}\u{85}.example.com";
    let out = run(["lint", "--json", "--live", entry]);
    assert_eq!((out.code, out.stderr.as_str()), (2, ""));
    let line = out.stdout.strip_suffix('\n').expect("one line");
    assert!(
        !line.chars().any(origin_policy::echo::is_hidden),
        "{line:?}"
    );
    let value: Value = serde_json::from_str(&out.stdout).expect("one JSON object");
    assert_eq!(value["error"]["diagnostics"][0]["entry"], entry);
}
