//! `origin-policy validate --mode MODE ENTRY [--policy FILE] [--json]`: one typed entry,
//! alone or against a list, with its canonical form and warnings, or its errors and the
//! corrected entry. Exit 0 valid, 1 invalid, 2 a failure.

mod common;

use common::{run, EXAMPLE_POLICY};
use serde_json::Value;

fn json(args: &[&str]) -> (i32, Value) {
    let out = run(args);
    assert_eq!(out.stderr, "", "{args:?}");
    let value = serde_json::from_str(&out.stdout).expect("one JSON object");
    (out.code, value)
}

#[test]
fn a_bare_domain_is_invalid_with_its_suggestion() {
    let out = run(["validate", "--mode", "live", "berbix.com"]);
    assert_eq!(out.code, 1);
    assert_eq!(out.stderr, "");
    assert_eq!(
        out.stdout,
        "invalid: berbix.com\n\
         error[missing_scheme]: live[0]: a pattern starts with `https://` or `http://`\n  \
         berbix.com\n  \
         ^^^^^^^^^^\n  \
         hint: add `https://` in front, as in `https://berbix.com`\n  \
         suggestion: https://berbix.com\n"
    );
}

#[test]
fn the_suggestions_of_the_issue() {
    for (mode, entry, suggestion) in [
        ("live", "berbix.com", Value::from("https://berbix.com")),
        ("live", "http://x.com", Value::from("https://x.com")),
        ("live", "https//x.com", Value::from("https://x.com")),
        ("live", "htps://x.com", Value::from("https://x.com")),
        ("live", "berbix,com", Value::Null),
        (
            "test",
            "localhost:3000",
            Value::from("http://localhost:3000"),
        ),
    ] {
        let (code, value) = json(&["validate", "--json", "--mode", mode, entry]);
        assert_eq!(code, 1, "{entry}");
        assert_eq!(value["valid"], false, "{entry}");
        assert_eq!(value["canonical"], Value::Null, "{entry}");
        assert_eq!(value["errors"][0]["suggestion"], suggestion, "{entry}");
        assert_eq!(value["errors"][0]["entry"], entry, "{entry}");
        // A suggestion is itself a valid entry of the mode.
        if let Some(suggested) = suggestion.as_str() {
            let (code, again) = json(&["validate", "--json", "--mode", mode, suggested]);
            assert_eq!(
                (code, &again["valid"]),
                (0, &Value::from(true)),
                "{suggested}"
            );
        }
    }
}

#[test]
fn a_valid_entry_alone_gives_its_canonical_form() {
    let (code, value) = json(&[
        "validate",
        "--json",
        "--mode",
        "live",
        "HTTPS://Docs.Example.COM/",
    ]);
    assert_eq!(code, 0);
    assert_eq!(
        value,
        serde_json::json!({
            "valid": true,
            "canonical": "https://docs.example.com",
            "errors": [],
            "warnings": [],
        })
    );
    let text = run(["validate", "--mode", "live", "HTTPS://Docs.Example.COM/"]);
    assert_eq!(
        (text.code, text.stdout.as_str()),
        (0, "valid: https://docs.example.com\n")
    );
}

#[test]
fn against_a_list_the_warnings_it_would_cause() {
    // The example's live list has `https://*.berbix.com` at index 2 and five entries.
    let (code, value) = json(&[
        "validate",
        "--json",
        "--mode",
        "live",
        "--policy",
        EXAMPLE_POLICY,
        "https://docs.berbix.com:443",
    ]);
    assert_eq!(code, 0);
    assert_eq!(value["canonical"], "https://docs.berbix.com");
    let warnings: Vec<(&str, u64)> = value["warnings"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|w| {
            (
                w["code"].as_str().unwrap_or_default(),
                w["index"].as_u64().unwrap_or(99),
            )
        })
        .collect();
    assert_eq!(
        warnings,
        [("redundant_entry", 5), ("explicit_default_port", 5)]
    );
    assert_eq!(
        value["warnings"][1]["suggestion"],
        "https://docs.berbix.com"
    );

    // A duplicate in another spelling; the same entry in the other mode's list is new.
    let (_, value) = json(&[
        "validate",
        "--json",
        "--mode",
        "live",
        "--policy",
        EXAMPLE_POLICY,
        "HTTPS://BERBIX.COM",
    ]);
    assert_eq!(value["warnings"][0]["code"], "duplicate_entry");
    let (_, value) = json(&[
        "validate",
        "--json",
        "--mode",
        "test",
        "--policy",
        EXAMPLE_POLICY,
        "https://berbix.com",
    ]);
    assert_eq!(value["warnings"], Value::Array(vec![]));

    // In text, each warning with its hint.
    let out = run([
        "validate",
        "--mode",
        "live",
        "--policy",
        EXAMPLE_POLICY,
        "https://*.berbix.com",
    ]);
    assert_eq!(out.code, 0);
    assert!(
        out.stdout.starts_with(
            "valid: https://*.berbix.com\nwarning[duplicate_entry]: live[5] https://*.berbix.com \
             duplicates live[2] https://*.berbix.com\n  https://*.berbix.com\n  ^^^^^^^^^^^^^^^^^^^^\n  \
             hint: remove it: the earlier rule is the same\n"
        ),
        "{}",
        out.stdout
    );
}

#[test]
fn flags_and_options_of_the_list_apply() {
    // A wildcard that covers a listed flag entry makes it redundant.
    let (code, value) = json(&[
        "validate",
        "--json",
        "--mode",
        "live",
        "--live",
        "https://a.x.com",
        "https://*.x.com",
    ]);
    assert_eq!(code, 0);
    assert_eq!(value["warnings"][0]["code"], "redundant_entry");
    assert_eq!(value["warnings"][0]["index"], 0);
    // The error names the index the entry would take.
    let (_, value) = json(&[
        "validate",
        "--json",
        "--mode",
        "live",
        "--live",
        "https://a.com",
        "http://b.com",
    ]);
    assert_eq!(value["errors"][0]["index"], 1);
}

#[test]
fn the_escapes_hold_in_the_text() {
    let out = run(["validate", "--mode", "live", "https://x\u{202e}.com"]);
    assert_eq!(out.code, 1);
    assert!(!out.stdout.contains('\u{202e}'), "{}", out.stdout);
    assert!(
        out.stdout.starts_with("invalid: https://x\\u{202e}.com\n"),
        "{}",
        out.stdout
    );
}

#[test]
fn help_documents_the_subcommand() {
    let out = run(["validate", "--help"]);
    assert_eq!(out.code, 0);
    for needle in ["--mode", "ENTRY", "suggestion", "\"valid\"", "Exit status"] {
        assert!(out.stdout.contains(needle), "lacks {needle:?}");
    }
}
