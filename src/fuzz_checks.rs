//! The checks behind the fuzz targets in `fuzz/`. `cargo test` replays every file of
//! `fuzz/corpus/*` and `fuzz/artifacts/*` through the same functions, so each input a
//! campaign ever kept stays a test, with no nightly toolchain and no cargo-fuzz.
//!
//! Each function takes raw bytes, never panics on its own account, and panics with a
//! readable reproduction when the library breaks a property.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::sync::OnceLock;

use arbitrary::{Arbitrary, Unstructured};

use crate::{reference, Decision, DenyReason, Mode, Origin, Pattern, Policy};

/// Inputs longer than this are skipped: runs should measure logic, not allocation.
pub const MAX_INPUT_LEN: usize = 4096;

fn text_of(data: &[u8]) -> Option<Cow<'_, str>> {
    (data.len() <= MAX_INPUT_LEN).then(|| String::from_utf8_lossy(data))
}

/// `parse_pattern`: parsing never panics, a parsed pattern's canonical form parses back to
/// an equal pattern, and an error's span lies on character boundaries of the input.
pub fn parse_pattern(data: &[u8]) {
    let Some(text) = text_of(data) else { return };
    match Pattern::parse(&text) {
        Ok(pattern) => {
            let canonical = pattern.to_string();
            let again = Pattern::parse(&canonical).unwrap_or_else(|err| {
                panic!("canonical form {canonical:?} of {text:?} does not parse:\n{err}")
            });
            assert_eq!(
                again, pattern,
                "round trip of {text:?} through {canonical:?}"
            );
            assert_eq!(again.to_string(), canonical, "canonical form is not stable");
        }
        Err(err) => {
            assert_eq!(err.pattern(), text);
            let span = err.span().range();
            assert!(
                span.start <= span.end
                    && span.end <= text.len()
                    && text.is_char_boundary(span.start)
                    && text.is_char_boundary(span.end),
                "span {span:?} of {text:?}"
            );
            let shown = err.to_string();
            assert!(shown.contains('^'), "no caret in {shown:?}");
        }
    }
}

/// The fixed policy `check_origin` runs against: the source document's examples, test-mode
/// loopback rules, IP hosts, ports and nested wildcards, with the implicit test loopback
/// allowance on.
fn fixed_policy() -> &'static Policy {
    static POLICY: OnceLock<Policy> = OnceLock::new();
    POLICY.get_or_init(|| {
        let mut builder = Policy::builder();
        for pattern in [
            "https://www.berbix.com",
            "https://berbix.com",
            "https://*.berbix.com",
            "https://www.berbix.com:9999",
            "https://www.berbix.com:*",
            "https://*.docs.berbix.com:8443",
            "https://xn--bcher-kva.example",
            "https://*.a_b.example.org",
            "https://pr-*.berbix.com",
            "https://*-eu.docs.berbix.com:*",
        ] {
            builder.allow(Mode::Live, pattern);
        }
        for pattern in [
            "http://localhost:*",
            "http://*.localhost:3000",
            "http://127.0.0.1:8080",
            "https://[::1]:*",
            "http://192.168.0.10",
            "https://*.staging.berbix.com",
            "http://berbix.com",
            "http://dev-*.localhost:*",
        ] {
            builder.allow(Mode::Test, pattern);
        }
        builder
            .implicit_test_loopback(true)
            .build()
            .expect("the fixed fuzz policy is valid")
    })
}

/// `check_origin`: any input as an origin, in both modes. The policy agrees with the
/// reference matcher, the fast origin parser agrees with the WHATWG path, and live mode
/// never allows `http`, a loopback host or another local address.
pub fn check_origin(data: &[u8]) {
    let Some(text) = text_of(data) else { return };
    let policy = fixed_policy();
    assert_parsers_agree(&text);
    for mode in Mode::ALL {
        assert_agrees_with_reference(policy, mode, &text);
        if mode == Mode::Live && policy.is_allowed(mode, &text) {
            let origin = Origin::parse(&text).expect("an allowed origin parses");
            assert_eq!(
                origin.scheme(),
                crate::Scheme::Https,
                "live allowed {text:?}"
            );
            assert!(!origin.is_loopback(), "live allowed loopback {text:?}");
            assert!(
                !origin.is_local_address(),
                "live allowed a local address {text:?}"
            );
        }
    }
}

fn assert_parsers_agree(text: &str) {
    let fast = Origin::parse(text).map(Origin::into_owned);
    let general = reference::parse_origin(text);
    assert_eq!(fast, general, "origin parsers disagree on {text:?}");
}

fn assert_agrees_with_reference(policy: &Policy, mode: Mode, origin: &str) {
    let indexed = policy.check(mode, origin);
    let naive = reference::check(policy, mode, origin);
    assert_eq!(
        describe(indexed),
        describe(naive),
        "index and reference disagree\npolicy: {policy:?}\nmode: {mode}\norigin: {origin:?}"
    );
}

/// A decision as comparable text: the rule's mode, index and pattern, or the reason.
fn describe(decision: Decision<'_>) -> String {
    decision.to_string()
}

/// Labels that rules and origins share, so that hosts collide and near-miss often.
const LABELS: &[&str] = &[
    "com",
    "foo",
    "bar",
    "barfoo",
    "berbix",
    "www",
    "a",
    "b",
    "co",
    "uk",
    "evil",
    "net",
    "xn--bcher-kva",
    "a_b",
    "b-c",
    "localhost",
    "1",
    "0x7f",
    "amazonaws",
    "s3",
    "github",
    "io",
];
const PORTS: &[u16] = &[80, 443, 3000, 8080, 8443, 9999, 65535];

#[derive(Debug, Arbitrary)]
struct DifferentialCase {
    rules: Vec<RuleCase>,
    origins: Vec<OriginCase>,
    implicit_test_loopback: bool,
    /// `allow_public_suffix_wildcards`: off, most wildcards over these labels are build
    /// errors, but the public-suffix boundary is checked at match time.
    psl_optout: bool,
}

#[derive(Debug, Arbitrary)]
struct RuleCase {
    test_mode: bool,
    http: bool,
    wildcard: bool,
    /// A label wildcard `prefix*suffix.host` (indices into `LABEL_PARTS`), over `wildcard`.
    label_wildcard: Option<(u8, u8)>,
    host: HostCase,
    port: PortCase,
}

#[derive(Debug, Arbitrary)]
enum HostCase {
    Labels(Vec<u8>),
    Ipv4([u8; 4]),
    Ipv6Loopback,
    /// One of `IPV6_HOSTS`.
    Ipv6(u8),
}

/// IPv6 hosts around the loopback and local-address rules, in several text forms.
const IPV6_HOSTS: &[&str] = &[
    "[::]",
    "[0:0:0:0:0:0:0:0]",
    "[::ffff:0.0.0.0]",
    "[::ffff:127.0.0.1]",
    "[::7f00:1]",
    "[::0.0.0.2]",
    "[::1.2.3.4]",
    "[::ffff:1.2.3.4]",
    "[2001:db8::1]",
];

#[derive(Debug, Arbitrary, Clone, Copy)]
enum PortCase {
    Default,
    DefaultWritten,
    Any,
    Listed(u8),
}

#[derive(Debug, Arbitrary)]
struct OriginCase {
    http: bool,
    host: OriginHostCase,
    port: PortCase,
    spelling: Spelling,
}

#[derive(Debug, Arbitrary)]
enum OriginHostCase {
    /// A rule's host (a wildcard's base) with labels in front.
    FromRule {
        rule: u8,
        prefix: Vec<u8>,
    },
    /// A rule's host glued to a label without a dot: `bar` + `foo.com`.
    Glued {
        rule: u8,
        label: u8,
    },
    /// A rule's host with a label appended: `berbix.com` + `.evil`.
    Extended {
        rule: u8,
        label: u8,
    },
    Labels(Vec<u8>),
    Ipv4([u8; 4]),
    /// A label fitting (or nearly fitting) a rule's label wildcard, on its base:
    /// `prefix` + `LABEL_MIDDLES[middle]` + `suffix` + `.base`.
    LabelFrom {
        rule: u8,
        middle: u8,
    },
}

/// Literal parts of label wildcards, substrings of `LABELS` so that origins fit them.
const LABEL_PARTS: &[&str] = &["", "b", "bar", "foo", "-c", "a_", "w", "ww", "1", "xn--"];
/// What stands for a label wildcard's `*` in `LabelFrom` origins (`""` is a near miss).
const LABEL_MIDDLES: &[&str] = &["", "1", "a", "bar", "-", "_", "x.y", "foo-b"];

#[derive(Debug, Arbitrary)]
enum Spelling {
    Canonical,
    Uppercase,
    TrailingDot,
    WithPath,
}

fn label(index: u8) -> &'static str {
    LABELS[usize::from(index) % LABELS.len()]
}

fn join_labels(indices: &[u8]) -> String {
    let labels: Vec<&str> = indices.iter().take(6).map(|&i| label(i)).collect();
    labels.join(".")
}

fn port_suffix(port: PortCase, http: bool) -> String {
    match port {
        PortCase::Default => String::new(),
        PortCase::DefaultWritten => format!(":{}", if http { 80 } else { 443 }),
        PortCase::Any => ":*".to_owned(),
        PortCase::Listed(i) => format!(":{}", PORTS[usize::from(i) % PORTS.len()]),
    }
}

impl RuleCase {
    fn host(&self) -> String {
        match &self.host {
            HostCase::Labels(labels) => join_labels(labels),
            HostCase::Ipv4([a, b, c, d]) => format!("{a}.{b}.{c}.{d}"),
            HostCase::Ipv6Loopback => "[::1]".to_owned(),
            HostCase::Ipv6(at) => IPV6_HOSTS[usize::from(*at) % IPV6_HOSTS.len()].to_owned(),
        }
    }

    /// The literals of the rule's label wildcard, if it is one.
    fn label_parts(&self) -> Option<(&'static str, &'static str)> {
        let (a, b) = self.label_wildcard?;
        let part = |i: u8| LABEL_PARTS[usize::from(i) % LABEL_PARTS.len()];
        match (part(a), part(b)) {
            ("", "") => Some(("b", "")),
            parts => Some(parts),
        }
    }

    fn text(&self) -> (Mode, String) {
        let mode = if self.test_mode {
            Mode::Test
        } else {
            Mode::Live
        };
        let scheme = if self.http { "http" } else { "https" };
        let wildcard = match self.label_parts() {
            Some((prefix, suffix)) => format!("{prefix}*{suffix}."),
            None if self.wildcard => "*.".to_owned(),
            None => String::new(),
        };
        let port = port_suffix(self.port, self.http);
        (mode, format!("{scheme}://{wildcard}{}{port}", self.host()))
    }
}

impl OriginCase {
    fn text(&self, rules: &[RuleCase]) -> String {
        let rule_host = |index: u8| {
            rules
                .get(usize::from(index) % rules.len().max(1))
                .map(RuleCase::host)
                .unwrap_or_default()
        };
        let host = match &self.host {
            OriginHostCase::FromRule { rule, prefix } => {
                let base = rule_host(*rule);
                if prefix.is_empty() {
                    base
                } else {
                    format!("{}.{base}", join_labels(prefix))
                }
            }
            OriginHostCase::Glued { rule, label: l } => {
                format!("{}{}", label(*l), rule_host(*rule))
            }
            OriginHostCase::Extended { rule, label: l } => {
                format!("{}.{}", rule_host(*rule), label(*l))
            }
            OriginHostCase::Labels(labels) => join_labels(labels),
            OriginHostCase::Ipv4([a, b, c, d]) => format!("{a}.{b}.{c}.{d}"),
            OriginHostCase::LabelFrom { rule, middle } => {
                let at = usize::from(*rule) % rules.len().max(1);
                let (prefix, suffix) = rules
                    .get(at)
                    .and_then(RuleCase::label_parts)
                    .unwrap_or(("", ""));
                let middle = LABEL_MIDDLES[usize::from(*middle) % LABEL_MIDDLES.len()];
                format!("{prefix}{middle}{suffix}.{}", rule_host(*rule))
            }
        };
        let scheme = if self.http { "http" } else { "https" };
        let port = match self.port {
            PortCase::Any => String::new(),
            port => port_suffix(port, self.http),
        };
        let origin = format!("{scheme}://{host}{port}");
        match self.spelling {
            Spelling::Canonical => origin,
            Spelling::Uppercase => origin.to_ascii_uppercase(),
            Spelling::TrailingDot => format!("{scheme}://{host}.{port}"),
            Spelling::WithPath => format!("{origin}/"),
        }
    }
}

/// `differential`: rules and origins built from a small shared label set, so that hosts
/// share suffixes and near misses are common. The compiled policy and the reference
/// matcher must agree on every origin in both modes, and a set of entries that each build
/// alone must build together.
pub fn differential(data: &[u8]) {
    if data.len() > MAX_INPUT_LEN {
        return;
    }
    let Ok(case) = DifferentialCase::arbitrary(&mut Unstructured::new(data)) else {
        return;
    };
    let mut builder = Policy::builder();
    builder
        .allow_public_suffix_wildcards(case.psl_optout)
        .implicit_test_loopback(case.implicit_test_loopback);
    let mut entries = Vec::new();
    for rule in case.rules.iter().take(32) {
        let (mode, text) = rule.text();
        let alone = Policy::builder()
            .allow_public_suffix_wildcards(case.psl_optout)
            .allow(mode, &text)
            .build();
        if alone.is_ok() {
            builder.allow(mode, &text);
            entries.push((mode, text));
        }
    }
    let policy = builder.build().unwrap_or_else(|err| {
        panic!("entries that build alone fail together:\n{entries:#?}\n{err}")
    });
    let mut origins = Vec::new();
    for origin in case.origins.iter().take(64) {
        origins.push(origin.text(&case.rules));
    }
    for origin in &origins {
        assert_parsers_agree(origin);
        for mode in Mode::ALL {
            let indexed = describe(policy.check(mode, origin));
            let naive = describe(reference::check(&policy, mode, origin));
            if indexed != naive {
                let mut repro = format!(
                    "index and reference disagree\nimplicit_test_loopback: {}\n\
                     allow_public_suffix_wildcards: {}\nentries:\n",
                    case.implicit_test_loopback, case.psl_optout
                );
                for (mode, text) in &entries {
                    let _ = writeln!(repro, "  {mode} {text}");
                }
                let _ = write!(
                    repro,
                    "mode: {mode}\norigin: {origin:?}\nindex:     {indexed}\nreference: {naive}"
                );
                panic!("{repro}");
            }
        }
    }
}

/// `build_policy`: one entry per line, `test ` in front for test mode (live otherwise).
/// Building never panics; every entry is either a rule or an error, each error names a
/// distinct entry, and every rule allows an origin made from its own text, by the same
/// decision as the reference matcher.
pub fn build_policy(data: &[u8]) {
    let Some(text) = text_of(data) else { return };
    let mut builder = Policy::builder();
    let mut counts = [0usize; 2];
    for line in text.lines().take(64) {
        let (mode, pattern) = match line.strip_prefix("test ") {
            Some(pattern) => (Mode::Test, pattern),
            None => (Mode::Live, line),
        };
        counts[usize::from(mode == Mode::Test)] += 1;
        builder.allow(mode, pattern);
    }
    let policy = match builder.build() {
        Ok(policy) => policy,
        Err(err) => {
            let mut seen = Vec::new();
            for entry in err.entries() {
                let count = counts[usize::from(entry.mode == Mode::Test)];
                assert!(entry.index < count, "error index out of range: {entry}");
                assert!(
                    !seen.contains(&(entry.mode, entry.index)),
                    "duplicate {entry}"
                );
                seen.push((entry.mode, entry.index));
            }
            let _ = err.to_string();
            return;
        }
    };
    for mode in Mode::ALL {
        let rules = policy.rules(mode);
        assert_eq!(rules.len(), counts[usize::from(mode == Mode::Test)]);
        for rule in rules {
            // The rule's own text, with a port for `:*` and a label character for the
            // host's `*` (a whole label, `*.x`, or inside one, `pr-*.x`).
            let origin = rule.as_str().replace(":*", ":1").replacen('*', "a", 1);
            let decision = policy.check(mode, &origin);
            // Unless the filled-in host lands under a deeper public suffix
            // (`s3-*.amazonaws.com` as `s3-a.amazonaws.com` could be one).
            let beyond_suffix = decision.deny_reason() == Some(DenyReason::PublicSuffixBoundary);
            assert!(
                decision.is_allowed() || beyond_suffix,
                "rule {rule} does not allow {origin:?}: {decision}"
            );
            assert_agrees_with_reference(&policy, mode, &origin);
        }
    }
}
