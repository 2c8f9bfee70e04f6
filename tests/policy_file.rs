//! `policy_file`: a policy file's text into a policy, or errors located in the text with a
//! hint for each bad entry; each hint the library gives leads to a valid entry or says why
//! none exists.
#![cfg(feature = "policy-file")]

use origin_policy::pattern::Pattern;
use origin_policy::policy_file::{
    self, hint, Format, Location, PolicyFileError, MOVE_TO_TEST_LIST,
};
use origin_policy::{Mode, PatternErrorKind, Policy, PolicyOptions};

/// The hint for `entry` in `mode` under default options, in a policy file.
fn hint_for(mode: Mode, entry: &str) -> Option<String> {
    let error = Policy::builder()
        .allow(mode, entry)
        .build()
        .expect_err("the entry is invalid")
        .entries()[0]
        .error
        .clone();
    hint(mode, &error, PolicyOptions::default(), MOVE_TO_TEST_LIST)
}

/// The text between the first pair of backticks after "as in " of `hint`.
fn suggested(hint: &str) -> Vec<&str> {
    let Some((_, rest)) = hint.split_once("as in ") else {
        return Vec::new();
    };
    rest.split('`').skip(1).step_by(2).collect()
}

fn parse_err(name: &str, text: &str, format: Format) -> PolicyFileError {
    policy_file::parse(name, text, format).expect_err("the file is invalid")
}

#[test]
fn comma_joined_origins_are_reported_as_several_origins() {
    let hint = hint_for(Mode::Live, "https://a.com,https://b.com").unwrap();
    assert_eq!(
        hint,
        "this is 2 origins joined by commas: list each as an entry of its own, as in \
         `https://a.com` and `https://b.com`"
    );
    assert!(!hint.contains("path"), "{hint}");
    for entry in suggested(&hint) {
        assert!(Pattern::parse(entry).is_ok(), "{entry}");
    }
    // With spaces, three of them, one of which is no valid live entry: only valid ones are
    // offered.
    let hint = hint_for(Mode::Live, "https://a.com, http://b.com, https://c.com").unwrap();
    assert!(
        hint.starts_with("this is 3 origins joined by commas"),
        "{hint}"
    );
    assert_eq!(suggested(&hint), ["https://a.com", "https://c.com"]);
}

#[test]
fn null_is_explained_as_the_opaque_origin() {
    for mode in Mode::ALL {
        let hint = hint_for(mode, "null").unwrap();
        assert!(hint.contains("opaque origin"), "{hint}");
        assert!(!hint.contains("https://null"), "{hint}");
        assert!(suggested(&hint).is_empty(), "{hint}");
    }
}

#[test]
fn localhost_without_a_scheme_in_test_mode_suggests_http() {
    assert_eq!(
        hint_for(Mode::Test, "localhost:3000").as_deref(),
        Some("add `http://` in front, as in `http://localhost:3000`")
    );
    assert_eq!(
        hint_for(Mode::Test, "127.0.0.1:*").as_deref(),
        Some("add `http://` in front, as in `http://127.0.0.1:*`")
    );
    // In live mode no scheme makes it valid: the hint says where it belongs instead.
    assert_eq!(
        hint_for(Mode::Live, "localhost:3000").as_deref(),
        Some(
            "localhost and 127.0.0.1 (loopback hosts) are for test mode only: move it to the \
             file's `test` list"
        )
    );
}

#[test]
fn a_bare_domain_suggests_https() {
    for mode in Mode::ALL {
        assert_eq!(
            hint_for(mode, "www.example.com").as_deref(),
            Some("add `https://` in front, as in `https://www.example.com`"),
            "{mode}"
        );
    }
    assert_eq!(
        hint_for(Mode::Live, "//www.example.com").as_deref(),
        Some("add `https://` in front, as in `https://www.example.com`")
    );
}

#[test]
fn a_bare_star_leads_to_valid_entries() {
    for entry in ["*", "https://*", "*:443"] {
        let hint = hint_for(Mode::Live, entry).unwrap();
        assert!(
            hint.starts_with("a bare `*` would allow every site"),
            "{entry}: {hint}"
        );
        let offered = suggested(&hint);
        assert!(!offered.is_empty(), "{hint}");
        for text in hint
            .split('`')
            .skip(1)
            .step_by(2)
            .filter(|t| t.contains("://"))
        {
            assert!(Pattern::parse(text).is_ok(), "{entry}: {text} is refused");
            assert!(
                Policy::builder().allow(Mode::Live, text).build().is_ok(),
                "{entry}: {text} is refused in live mode"
            );
        }
    }
}

#[test]
fn a_wildcard_without_a_scheme_gets_the_hint_of_what_it_would_be() {
    let hint = hint_for(Mode::Live, "*.com").unwrap();
    assert!(hint.starts_with("`*.com`-style wildcards"), "{hint}");
    assert_eq!(
        hint_for(Mode::Live, "*.example.com").as_deref(),
        Some("add `https://` in front, as in `https://*.example.com`")
    );
}

#[test]
fn toml_entries_are_located_and_hinted() {
    let text = "# policy\nlive = [\n  \"https://ok.example.com\",\n  \"www.example.com\",\n]\n\
                test = [{ pattern = \"https://x.example.com/login\", note = \"n\" }]\n";
    let err = parse_err("p.toml", text, Format::Toml);
    assert!(err.syntax_error().is_none());
    let entries = err.entries();
    assert_eq!(entries.len(), 2);
    let first = &entries[0];
    assert_eq!((first.mode(), first.index()), (Mode::Live, 1));
    assert_eq!(first.kind(), PatternErrorKind::MissingScheme);
    assert_eq!(first.location(), Some(Location { line: 4, column: 3 }));
    assert_eq!(first.pattern(), "www.example.com");
    assert_eq!(
        first.hint(),
        Some("add `https://` in front, as in `https://www.example.com`")
    );
    let second = &entries[1];
    assert_eq!((second.mode(), second.index()), (Mode::Test, 0));
    assert_eq!((second.line(), second.column()), (Some(6), Some(9)));
    assert_eq!(&second.pattern()[second.span().range()], "/login");
    assert_eq!(
        err.to_string(),
        "2 invalid entries:
p.toml:4:3: live[1]: MissingScheme: a pattern starts with `https://` or `http://`
  www.example.com
  ^^^^^^^^^^^^^^^
  hint: add `https://` in front, as in `https://www.example.com`
p.toml:6:9: test[0]: Path: a pattern has no path (only one trailing `/` is allowed)
  https://x.example.com/login
                       ^^^^^^
  hint: origins have no path: drop it, as in `https://x.example.com`"
    );
}

#[test]
fn json_entries_are_located_too() {
    let text = "{\n  \"live\": [\n    \"https://ok.example.com\",\n    {\"pattern\": \"http://x.example.com\"}\n  ]\n}\n";
    let err = parse_err("p.json", text, Format::Json);
    let bad = &err.entries()[0];
    assert_eq!(bad.location(), Some(Location { line: 4, column: 5 }));
    assert!(err
        .to_string()
        .starts_with("1 invalid entry:\np.json:4:5: live[1]: HttpInLive: "));
}

#[test]
fn syntax_errors_are_located() {
    let err = parse_err(
        "p.toml",
        "live = [\"https://a.com\"]\nstaging = []\n",
        Format::Toml,
    );
    let syntax = err.syntax_error().expect("a syntax error");
    assert_eq!(syntax.location(), Some(Location { line: 2, column: 1 }));
    assert!(syntax.message().contains("unknown field `staging`"));
    let shown = err.to_string();
    assert!(
        shown.starts_with(
            "p.toml:2:1: not a valid policy file (expected `live = [...]`, `test = [...]` and \
             an optional `[options]` table):\nTOML parse error at line 2, column 1\n"
        ),
        "{shown}"
    );
    assert!(err.entries().is_empty());

    let err = parse_err(
        "p.json",
        "{\"live\": [\"https://a.com\"],\n \"x\": 1}",
        Format::Json,
    );
    let syntax = err.syntax_error().expect("a syntax error");
    assert_eq!(syntax.line(), Some(2));
    assert!(err.to_string().starts_with("p.json:2:"), "{err}");
}

#[test]
fn echoes_are_escaped_in_every_part() {
    let err = parse_err(
        "evil\u{1b}[31m.toml",
        "live = [\"https://a\\u202e.com\"]",
        Format::Toml,
    );
    let shown = err.to_string();
    assert!(
        !shown.contains('\u{1b}') && !shown.contains('\u{202e}'),
        "{shown:?}"
    );
    assert!(
        shown.contains("evil\\u{1b}[31m.toml:1:9: live[0]"),
        "{shown}"
    );
}

#[test]
fn a_byte_order_mark_is_skipped_and_the_format_sniffed_for_unnamed_text() {
    let policy = policy_file::parse("-", "\u{feff}{\"live\": [\"https://a.com\"]}", Format::Json)
        .expect("valid");
    assert!(policy.is_allowed(Mode::Live, "https://a.com"));
    assert_eq!(Format::of_text("\u{feff}  {\"live\": []}"), Format::Json);
    assert_eq!(Format::of_text("live = []"), Format::Toml);
    assert_eq!(Format::of_text(""), Format::Toml);
}

#[test]
fn lint_warnings_are_located() {
    let text = "live = [\n  \"https://*.x.com\",\n  \"https://a.x.com:443\",\n]\n";
    let warnings = policy_file::lint("p.toml", text, Format::Toml).expect("valid");
    let shown: Vec<String> = warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "p.toml:3:3: warning: Redundant: live[1] https://a.x.com is covered by live[0] https://*.x.com",
            "p.toml:3:3: warning: ExplicitDefaultPort: live[1] https://a.x.com:443 names the default port; write https://a.x.com",
        ]
    );
}

/// A TOML file with `n` live entries, one per line.
fn lines(n: usize) -> String {
    let mut text = String::from("live = [\n");
    for i in 0..n {
        text.push_str(&format!("  \"https://host{i}.example.com\",\n"));
    }
    text.push_str("]\n");
    text
}

#[test]
fn the_default_limits_hold_20000_entries_per_mode_and_4_mib() {
    use origin_policy::policy_file::Limits;
    assert_eq!(Limits::default().max_entries_per_mode, 20_000);
    assert_eq!(Limits::default().max_bytes, 4 << 20);
    let at_limit = lines(20_000);
    let policy = policy_file::parse("big.toml", &at_limit, Format::Toml).expect("at the limit");
    assert_eq!(policy.rules(Mode::Live).len(), 20_000);
    let err = parse_err("big.toml", &lines(20_001), Format::Toml);
    assert_eq!(
        err.to_string(),
        "big.toml:20002:3: live[20000]: too many entries: the live list has 20001 entries, \
         over the limit of 20000 entries per mode (max_entries_per_mode)"
    );
    let limit = err.limit_error().expect("a limit error");
    assert_eq!((limit.max(), limit.actual()), (20_000, 20_001));
    assert_eq!(
        limit.limit(),
        origin_policy::policy_file::Limit::EntriesPerMode(Mode::Live)
    );
}

#[test]
fn limits_are_the_callers_and_name_themselves() {
    use origin_policy::policy_file::{parse_with_limits, Limit, Limits};
    let json = r#"{"live": [], "test": ["http://a.localhost", "http://b.localhost"]}"#;
    let one = Limits::default().with_max_entries_per_mode(1);
    let err = parse_with_limits("p.json", json, Format::Json, one).unwrap_err();
    let diagnostics = err.diagnostics();
    assert_eq!(diagnostics.len(), 1);
    let d = &diagnostics[0];
    assert_eq!(d.code, "too_many_entries");
    assert_eq!((d.mode, d.index), (Some(Mode::Test), Some(1)));
    assert_eq!((d.line, d.column), (Some(1), Some(45)));
    assert!(d.message.contains("max_entries_per_mode"), "{}", d.message);
    // Under the limit the same file builds; with no limit, anything memory holds does.
    assert!(parse_with_limits("p.json", json, Format::Json, Limits::default()).is_ok());
    assert!(parse_with_limits("p.json", json, Format::Json, Limits::UNLIMITED).is_ok());

    let text = lines(3);
    let small = Limits::default().with_max_bytes(40);
    let err = parse_with_limits("p.toml", &text, Format::Toml, small).unwrap_err();
    let limit = err.limit_error().expect("a limit error");
    assert_eq!(limit.limit(), Limit::Bytes);
    assert_eq!((limit.max(), limit.actual()), (40, text.len()));
    // The 41st byte, the first past the limit: line 1 holds bytes 0 to 8, line 2 bytes 9
    // to 39, and line 3 starts at byte 40.
    assert_eq!(limit.location(), Some(Location { line: 3, column: 1 }));
    assert_eq!(err.diagnostics()[0].code, "policy_too_large");
    assert!(err
        .to_string()
        .starts_with("p.toml:3:1: the policy file is too large: "));
    assert!(err
        .to_string()
        .ends_with("over the limit of 40 bytes (max_bytes)"));
    // Too large a text is refused before it is parsed: even one that is not TOML at all.
    let err = parse_with_limits("p.toml", "live = [\n\n\n", Format::Toml, Limits::new(10, 4))
        .unwrap_err();
    assert!(err.limit_error().is_some());
}
