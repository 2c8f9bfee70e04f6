//! Policy files (feature `serde`): `PolicyConfig`, `EntryConfig`, and `Serialize` /
//! `Deserialize` for `Policy`, in TOML and JSON. Ends with a property: any valid policy
//! survives a round trip through both formats.

#![cfg(feature = "serde")]

use proptest::prelude::*;
use proptest::test_runner::{FileFailurePersistence, RngAlgorithm};

use origin_policy::{
    Decision, EntryConfig, Mode, PatternErrorKind, Policy, PolicyBuilder, PolicyConfig,
    PolicyOptions,
};
use origin_policy_testkit::alphabet::config::{LABELS, PUBLIC_SUFFIXES, SUFFIXES};
use origin_policy_testkit::rng::{Bits, Choices};
use origin_policy_testkit::text;

/// The issue's example file.
const EXAMPLE_TOML: &str = r#"
live = ["https://www.berbix.com", "https://*.berbix.com"]
test = ["http://localhost:*", { pattern = "https://staging.berbix.com", note = "staging site" }]

[options]
implicit_test_loopback = true
allow_public_suffix_wildcards = true
"#;

/// The same file in JSON.
const EXAMPLE_JSON: &str = r#"{
    "live": ["https://www.berbix.com", "https://*.berbix.com"],
    "test": ["http://localhost:*", { "pattern": "https://staging.berbix.com", "note": "staging site" }],
    "options": { "implicit_test_loopback": true, "allow_public_suffix_wildcards": true }
}"#;

/// Bad entries in both lists, between good ones, so that indices are checked.
const BAD_TOML: &str = r#"
live = [
  "https://ok.example.com",   # 0: fine
  "https://www.*.com",        # 1: MisplacedWildcard
  "http://shop.example.com",  # 2: HttpInLive
  "https://*.co.uk",          # 3: PublicSuffixWildcard
  "https://localhost:8080",   # 4: LoopbackInLive
  { pattern = "https://ok2.example.com", note = "fine" },
]
test = [
  "http://localhost:*",                           # 0: fine
  { pattern = "example.com", note = "no scheme" }, # 1: MissingScheme
  "https://app.example.com/login",                # 2: Path
  "https://*",                                    # 3: BareWildcard
]
"#;

const BAD_JSON: &str = r#"{
    "live": [
        "https://ok.example.com",
        "https://www.*.com",
        "http://shop.example.com",
        "https://*.co.uk",
        "https://localhost:8080",
        { "pattern": "https://ok2.example.com", "note": "fine" }
    ],
    "test": [
        "http://localhost:*",
        { "pattern": "example.com", "note": "no scheme" },
        "https://app.example.com/login",
        "https://*"
    ]
}"#;

/// What `BAD_TOML` and `BAD_JSON` get wrong.
const BAD_ENTRIES: &[(Mode, usize, PatternErrorKind)] = &[
    (Mode::Live, 1, PatternErrorKind::MisplacedWildcard),
    (Mode::Live, 2, PatternErrorKind::HttpInLive),
    (Mode::Live, 3, PatternErrorKind::PublicSuffixWildcard),
    (Mode::Live, 4, PatternErrorKind::LoopbackInLive),
    (Mode::Test, 1, PatternErrorKind::MissingScheme),
    (Mode::Test, 2, PatternErrorKind::Path),
    (Mode::Test, 3, PatternErrorKind::BareWildcard),
];

fn options(implicit_test_loopback: bool, allow_public_suffix_wildcards: bool) -> PolicyOptions {
    let mut options = PolicyOptions::default();
    options.implicit_test_loopback = implicit_test_loopback;
    options.allow_public_suffix_wildcards = allow_public_suffix_wildcards;
    options
}

fn entry(pattern: &str, note: Option<&str>) -> EntryConfig {
    EntryConfig {
        pattern: pattern.to_owned(),
        note: note.map(str::to_owned),
    }
}

// ---------------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------------

#[test]
fn the_example_file_loads_from_toml_and_json() {
    let expected = PolicyConfig {
        live: vec![
            entry("https://www.berbix.com", None),
            entry("https://*.berbix.com", None),
        ],
        test: vec![
            entry("http://localhost:*", None),
            entry("https://staging.berbix.com", Some("staging site")),
        ],
        options: options(true, true),
    };
    let from_toml: PolicyConfig = toml::from_str(EXAMPLE_TOML).unwrap();
    let from_json: PolicyConfig = serde_json::from_str(EXAMPLE_JSON).unwrap();
    assert_eq!(from_toml, expected);
    assert_eq!(from_json, expected);

    let policy: Policy = toml::from_str(EXAMPLE_TOML).unwrap();
    assert_eq!(
        serde_json::from_str::<Policy>(EXAMPLE_JSON).unwrap(),
        policy
    );
    assert_eq!(expected.build().unwrap(), policy);

    assert!(policy.is_allowed(Mode::Live, "https://www.berbix.com"));
    assert!(policy.is_allowed(Mode::Live, "https://docs.berbix.com"));
    assert!(!policy.is_allowed(Mode::Live, "https://berbix.com"));
    assert!(!policy.is_allowed(Mode::Live, "https://staging.berbix.com.evil.net"));
    assert!(policy.is_allowed(Mode::Test, "http://localhost:3000"));
    assert!(!policy.is_allowed(Mode::Test, "https://www.berbix.com"));
    let texts: Vec<&str> = policy
        .rules(Mode::Test)
        .iter()
        .map(|rule| rule.as_str())
        .collect();
    assert_eq!(texts, ["http://localhost:*", "https://staging.berbix.com"]);
}

#[test]
fn a_decision_by_a_rule_with_a_note_carries_the_note() {
    let policy: Policy = toml::from_str(EXAMPLE_TOML).unwrap();
    let decision = policy.check(Mode::Test, "https://staging.berbix.com");
    let rule = decision.rule().unwrap();
    assert_eq!(rule.note(), Some("staging site"));
    assert_eq!((rule.mode(), rule.index()), (Mode::Test, 1));

    let decision = policy.check(Mode::Test, "http://localhost:8080");
    assert_eq!(decision.rule().unwrap().note(), None);
}

#[test]
fn options_carry_into_the_policy() {
    let policy: Policy = toml::from_str(EXAMPLE_TOML).unwrap();
    assert_eq!(policy.options(), options(true, true));
    // `implicit_test_loopback`: a loopback origin no rule names is allowed in test mode only.
    assert_eq!(
        policy.check(Mode::Test, "http://127.0.0.1:5000"),
        Decision::AllowTestLoopback
    );
    assert!(!policy.is_allowed(Mode::Live, "https://127.0.0.1"));
    // `allow_public_suffix_wildcards`: a wildcard over a public suffix builds.
    let policy: Policy = toml::from_str(
        "live = [\"https://*.github.io\"]\n[options]\nallow_public_suffix_wildcards = true",
    )
    .unwrap();
    assert!(policy.is_allowed(Mode::Live, "https://someone.github.io"));
    assert_eq!(policy.options(), options(false, true));
}

#[test]
fn missing_keys_default() {
    for (toml_text, json_text) in [("", "{}"), ("[options]", r#"{"options": {}}"#)] {
        let from_toml: PolicyConfig = toml::from_str(toml_text).unwrap();
        let from_json: PolicyConfig = serde_json::from_str(json_text).unwrap();
        assert_eq!(from_toml, PolicyConfig::default());
        assert_eq!(from_json, PolicyConfig::default());
        let policy = from_toml.build().unwrap();
        assert!(policy.rules(Mode::Live).is_empty() && policy.rules(Mode::Test).is_empty());
        assert_eq!(policy.options(), PolicyOptions::default());
    }
    let config: PolicyConfig = toml::from_str("[options]\nimplicit_test_loopback = true").unwrap();
    assert_eq!(config.options, options(true, false));
}

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

/// Checks that `message` names every bad entry of `BAD_TOML` / `BAD_JSON` with its kind,
/// and has caret lines.
fn assert_lists_every_bad_entry(message: &str) {
    assert!(
        message.contains(&format!("{} invalid entries:", BAD_ENTRIES.len())),
        "{message}"
    );
    for (mode, index, kind) in BAD_ENTRIES {
        let label = format!("{mode}[{index}]: {kind:?}: {kind}");
        assert!(message.contains(&label), "no `{label}` in:\n{message}");
    }
    for good in ["live[0]", "live[5]", "test[0]"] {
        assert!(
            !message.contains(good),
            "{good} is fine, yet in:\n{message}"
        );
    }
    let carets = message
        .lines()
        .filter(|line| {
            let line = line.trim_start();
            !line.is_empty() && line.chars().all(|c| c == '^')
        })
        .count();
    assert!(
        carets >= BAD_ENTRIES.len(),
        "{carets} caret lines in:\n{message}"
    );
    assert!(
        message.contains("  https://www.*.com\n              ^\n"),
        "{message}"
    );
}

#[test]
fn a_bad_file_reports_every_bad_entry_at_once() {
    let message = toml::from_str::<Policy>(BAD_TOML).unwrap_err().to_string();
    assert_lists_every_bad_entry(&message);
    let message = serde_json::from_str::<Policy>(BAD_JSON)
        .unwrap_err()
        .to_string();
    assert_lists_every_bad_entry(&message);
}

#[test]
fn build_error_indices_are_positions_in_the_mode_lists() {
    for config in [
        toml::from_str::<PolicyConfig>(BAD_TOML).unwrap(),
        serde_json::from_str::<PolicyConfig>(BAD_JSON).unwrap(),
    ] {
        let err = config.build().unwrap_err();
        let found: Vec<_> = err
            .entries()
            .iter()
            .map(|e| (e.mode, e.index, e.error.kind()))
            .collect();
        assert_eq!(found, BAD_ENTRIES);
        for e in err.entries() {
            let list = match e.mode {
                Mode::Live => &config.live,
                Mode::Test => &config.test,
            };
            assert_eq!(list[e.index].pattern, e.error.pattern());
        }
    }
}

/// The error of reading `text` as a policy, in TOML and in JSON.
fn errors(toml_text: &str, json_text: &str) -> [String; 2] {
    [
        toml::from_str::<Policy>(toml_text).unwrap_err().to_string(),
        serde_json::from_str::<Policy>(json_text)
            .unwrap_err()
            .to_string(),
    ]
}

#[test]
fn unknown_keys_are_errors_that_name_the_key() {
    let cases = [
        (
            "staging = [\"https://staging.example.com\"]",
            r#"{"staging": ["https://staging.example.com"]}"#,
            "unknown field `staging`",
        ),
        (
            "[options]\nimplicit_test_loopbak = true",
            r#"{"options": {"implicit_test_loopbak": true}}"#,
            "unknown field `implicit_test_loopbak`",
        ),
        (
            "live = [{ pattern = \"https://a.example.com\", comment = \"x\" }]",
            r#"{"live": [{"pattern": "https://a.example.com", "comment": "x"}]}"#,
            "unknown field `comment`, expected `pattern` or `note`",
        ),
    ];
    for (toml_text, json_text, expected) in cases {
        for message in errors(toml_text, json_text) {
            assert!(message.contains(expected), "no `{expected}` in:\n{message}");
        }
    }
}

#[test]
fn an_entry_must_be_a_string_or_a_table_with_a_pattern() {
    let cases = [
        (
            "live = [443]",
            r#"{"live": [443]}"#,
            "invalid type: integer `443`, expected an entry: a pattern string, or a table with \
             `pattern` and optional `note`",
        ),
        (
            "test = [true]",
            r#"{"test": [true]}"#,
            "invalid type: boolean `true`, expected an entry",
        ),
        (
            "live = [{ note = \"forgot the pattern\" }]",
            r#"{"live": [{"note": "forgot the pattern"}]}"#,
            "missing field `pattern`",
        ),
        (
            "live = [{ pattern = \"https://a.example.com\", note = 7 }]",
            r#"{"live": [{"pattern": "https://a.example.com", "note": 7}]}"#,
            "invalid type: integer `7`",
        ),
        (
            "live = \"https://a.example.com\"",
            r#"{"live": "https://a.example.com"}"#,
            "invalid type: string",
        ),
    ];
    for (toml_text, json_text, expected) in cases {
        for message in errors(toml_text, json_text) {
            assert!(message.contains(expected), "no `{expected}` in:\n{message}");
        }
    }
    let message = serde_json::from_str::<Policy>(
        r#"{"live": [{"pattern": "https://a.example.com", "pattern": "https://b.example.com"}]}"#,
    )
    .unwrap_err()
    .to_string();
    assert!(message.contains("duplicate field `pattern`"), "{message}");
}

// ---------------------------------------------------------------------------------------
// Writing and equality
// ---------------------------------------------------------------------------------------

#[test]
fn an_entry_writes_as_a_string_without_a_note_and_a_table_with_one() {
    assert_eq!(
        serde_json::to_value(entry("https://a.example.com", None)).unwrap(),
        serde_json::json!("https://a.example.com"),
    );
    assert_eq!(
        serde_json::to_value(entry("https://a.example.com", Some("why"))).unwrap(),
        serde_json::json!({ "pattern": "https://a.example.com", "note": "why" }),
    );
    // A JSON `null` note is no note.
    let read: EntryConfig =
        serde_json::from_str(r#"{"pattern": "https://a.example.com", "note": null}"#).unwrap();
    assert_eq!(read, entry("https://a.example.com", None));
}

#[test]
fn a_policy_writes_its_canonical_config() {
    let policy = Policy::builder()
        .allow(Mode::Live, "  HTTPS://WWW.Berbix.COM:443/ ")
        .allow_with_note(Mode::Test, "http://LOCALHOST:80", "dev")
        .implicit_test_loopback(true)
        .build()
        .unwrap();
    assert_eq!(
        serde_json::to_value(&policy).unwrap(),
        serde_json::json!({
            "live": ["https://www.berbix.com"],
            "test": [{ "pattern": "http://localhost", "note": "dev" }],
            "options": { "implicit_test_loopback": true, "allow_public_suffix_wildcards": false },
        }),
    );
    let text = toml::to_string(&policy).unwrap();
    let back: Policy = toml::from_str(&text).unwrap();
    assert_eq!(back, policy);
    assert_eq!(back.rules(Mode::Live)[0].entry(), "https://www.berbix.com");
    assert_eq!(
        policy.rules(Mode::Live)[0].entry(),
        "  HTTPS://WWW.Berbix.COM:443/ "
    );
}

#[test]
fn policies_are_equal_by_canonical_rules_notes_and_options() {
    let build = |f: &dyn Fn(&mut PolicyBuilder)| {
        let mut builder = Policy::builder();
        f(&mut builder);
        builder.build().unwrap()
    };
    let base = build(&|b| {
        b.allow(Mode::Live, "https://a.example.com")
            .allow_with_note(Mode::Test, "http://localhost:*", "dev");
    });
    let respelled = build(&|b| {
        b.allow(Mode::Live, "HTTPS://A.Example.com:443/")
            .allow_with_note(Mode::Test, "HTTP://localhost:*", "dev");
    });
    assert_eq!(base, respelled);
    assert_eq!(base, base.clone());

    let other_note = build(&|b| {
        b.allow(Mode::Live, "https://a.example.com")
            .allow_with_note(Mode::Test, "http://localhost:*", "other");
    });
    let no_note = build(&|b| {
        b.allow(Mode::Live, "https://a.example.com")
            .allow(Mode::Test, "http://localhost:*");
    });
    let other_mode = build(&|b| {
        b.allow(Mode::Test, "https://a.example.com")
            .allow_with_note(Mode::Test, "http://localhost:*", "dev");
    });
    let other_order = build(&|b| {
        b.allow_with_note(Mode::Test, "http://localhost:*", "dev")
            .allow(Mode::Test, "https://a.example.com");
    });
    let other_options = build(&|b| {
        b.allow(Mode::Live, "https://a.example.com")
            .allow_with_note(Mode::Test, "http://localhost:*", "dev")
            .implicit_test_loopback(true);
    });
    for other in [other_note, no_note, other_mode, other_order, other_options] {
        assert_ne!(base, other, "{other:?}");
    }
}

// ---------------------------------------------------------------------------------------
// Property: any valid policy round-trips through JSON and TOML
// ---------------------------------------------------------------------------------------

// Choices are read out of random bits (`Bits`), low digits first: zero makes the first
// choice everywhere, so shrinking heads to plain entries.
const IPS: &[&str] = &[
    "93.184.216.34",
    "8.8.8.8",
    "[2001:db8::1]",
    "[2001:DB8:0:0:0:0:0:1]",
];
const LOOPBACK: &[&str] = &[
    "localhost",
    "*.localhost",
    "app.localhost",
    "127.0.0.1",
    "[::1]",
];
/// Notes that formats must escape, and `""`, which is a note still.
const NOTES: &[&str] = &[
    "staging site",
    "",
    "ticket #123: \"quoted\" and 'single'",
    "two\nlines\r\nand a\ttab",
    "back\\slash, ünïcödé, 日本",
    "\u{0}\u{7f}\u{1b}[0m",
    "]] } [[live]] = \"",
    "  padded note \n",
];

/// A valid entry of `mode`, written in one of many spellings, and maybe a note.
fn gen_entry(mode: Mode, public_suffix_wildcards: bool, shape: u64, looks: u64) -> EntryConfig {
    let mut b = Bits(shape);
    let domain = |b: &mut Bits, labels: usize| {
        let labels = text::picked_labels(b, LABELS, labels);
        text::domain(&[labels], b.pick(SUFFIXES))
    };
    let host = match b.below(if mode == Mode::Test { 5 } else { 4 }) {
        0 => {
            let labels = b.between(1, 3);
            domain(&mut b, labels)
        }
        1 => {
            let labels = b.between(1, 2);
            format!("*.{}", domain(&mut b, labels))
        }
        2 => b.pick(IPS).to_owned(),
        3 if public_suffix_wildcards => format!("*.{}", b.pick(PUBLIC_SUFFIXES)),
        3 => domain(&mut b, 1),
        _ => b.pick(LOOPBACK).to_owned(),
    };
    let http = mode == Mode::Test && b.one_in(2);
    let default_port = if http { ":80" } else { ":443" };
    let port = b.pick(&["", "", default_port, ":8443", ":3000", ":*"]);

    let mut l = Bits(looks);
    let scheme = match (http, l.below(3)) {
        (false, 0) => "https",
        (false, 1) => "HTTPS",
        (false, _) => "Https",
        (true, 0) => "http",
        (true, 1) => "HTTP",
        (true, _) => "hTTp",
    };
    let host = if l.one_in(3) {
        host.to_uppercase()
    } else {
        host
    };
    let slash = if l.one_in(4) { "/" } else { "" };
    let pad = if l.one_in(6) { " " } else { "" };
    let pattern = format!("{pad}{scheme}://{host}{port}{slash}{pad}");
    let note = (!l.one_in(3)).then(|| l.pick(NOTES).to_owned());
    EntryConfig { pattern, note }
}

fn config_strategy() -> impl Strategy<Value = PolicyConfig> {
    let entries = || proptest::collection::vec((any::<u64>(), any::<u64>()), 0..8);
    (any::<[bool; 2]>(), entries(), entries()).prop_map(|(flags, live, test)| {
        let [implicit_test_loopback, public_suffix_wildcards] = flags;
        let gen = |mode: Mode, seeds: Vec<(u64, u64)>| -> Vec<EntryConfig> {
            seeds
                .into_iter()
                .map(|(shape, looks)| gen_entry(mode, public_suffix_wildcards, shape, looks))
                .collect()
        };
        PolicyConfig {
            live: gen(Mode::Live, live),
            test: gen(Mode::Test, test),
            options: options(implicit_test_loopback, public_suffix_wildcards),
        }
    })
}

fn proptest_config() -> ProptestConfig {
    ProptestConfig {
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        rng_algorithm: RngAlgorithm::XorShift,
        ..ProptestConfig::with_cases(1000)
    }
}

proptest! {
    #![proptest_config(proptest_config())]

    /// Serialize a valid policy to JSON and to TOML, read it back: an equal policy, with
    /// the same canonical config, whose entries are now the canonical texts.
    #[test]
    fn valid_policies_round_trip_through_json_and_toml(config in config_strategy()) {
        let policy = match config.build() {
            Ok(policy) => policy,
            Err(err) => return Err(TestCaseError::fail(format!("generated a bad entry: {err}"))),
        };
        prop_assert_eq!(policy.options(), config.options);
        let canonical = policy.to_config();

        let json = serde_json::to_string(&policy).unwrap();
        let toml_text = toml::to_string(&policy).unwrap();
        for (format, text, back) in [
            ("json", &json, serde_json::from_str::<Policy>(&json).map_err(|e| e.to_string())),
            ("toml", &toml_text, toml::from_str::<Policy>(&toml_text).map_err(|e| e.to_string())),
        ] {
            let back = match back {
                Ok(back) => back,
                Err(err) => {
                    return Err(TestCaseError::fail(format!("{format}: {err}\n{text}")));
                }
            };
            prop_assert_eq!(&back, &policy, "{}:\n{}", format, text);
            prop_assert_eq!(back.to_config(), canonical.clone(), "{}:\n{}", format, text);
            for mode in Mode::ALL {
                for rule in back.rules(mode) {
                    prop_assert_eq!(rule.entry(), rule.as_str());
                }
            }
        }
        prop_assert_eq!(serde_json::from_str::<PolicyConfig>(&json).unwrap(), canonical.clone());
        prop_assert_eq!(toml::from_str::<PolicyConfig>(&toml_text).unwrap(), canonical);
    }
}
