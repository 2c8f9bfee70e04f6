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

use origin_policy::pattern::Pattern;
use origin_policy::{Decision, DenyReason, Mode, Origin, Policy, Scheme};

use crate::alphabet::fuzz::{LABELS, LABEL_MIDDLES, LABEL_PARTS, PORTS};
use crate::text::{self, HostShape, PortText};
use crate::{reference, rng};

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
        let live = [
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
        ];
        let test = [
            "http://localhost:*",
            "http://*.localhost:3000",
            "http://127.0.0.1:8080",
            "https://[::1]:*",
            "http://192.168.0.10",
            "https://*.staging.berbix.com",
            "http://berbix.com",
            "http://dev-*.localhost:*",
        ];
        crate::builder(&crate::entries(&live, &test))
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
            assert_eq!(origin.scheme(), Scheme::Https, "live allowed {text:?}");
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
    /// A label wildcard `prefix*suffix.host` (indices into [`LABEL_PARTS`]), over `wildcard`.
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

#[derive(Debug, Arbitrary)]
enum Spelling {
    Canonical,
    Uppercase,
    TrailingDot,
    WithPath,
}

fn label(index: u8) -> &'static str {
    rng::at(LABELS, index)
}

fn join_labels(indices: &[u8]) -> String {
    text::indexed_labels(LABELS, indices, 6)
}

fn scheme(http: bool) -> Scheme {
    if http {
        Scheme::Http
    } else {
        Scheme::Https
    }
}

fn port_suffix(port: PortCase, http: bool) -> String {
    let port = match port {
        PortCase::Default => PortText::Omitted,
        PortCase::DefaultWritten => PortText::DefaultWritten,
        PortCase::Any => PortText::Any,
        PortCase::Listed(i) => PortText::Exact(rng::at(PORTS, i)),
    };
    port.suffix(scheme(http))
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
        match (rng::at(LABEL_PARTS, a), rng::at(LABEL_PARTS, b)) {
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
        let shape = match self.label_parts() {
            Some((prefix, suffix)) => HostShape::Label(prefix, suffix),
            None if self.wildcard => HostShape::Subdomains,
            None => HostShape::Exact,
        };
        let host = text::host(shape, &self.host());
        let port = port_suffix(self.port, self.http);
        (mode, text::url(scheme(self.http), &host, &port))
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
                let middle = rng::at(LABEL_MIDDLES, *middle);
                format!("{prefix}{middle}{suffix}.{}", rule_host(*rule))
            }
        };
        let scheme = scheme(self.http);
        let port = match self.port {
            PortCase::Any => String::new(),
            port => port_suffix(port, self.http),
        };
        let origin = text::url(scheme, &host, &port);
        match self.spelling {
            Spelling::Canonical => origin,
            Spelling::Uppercase => origin.to_ascii_uppercase(),
            Spelling::TrailingDot => text::url(scheme, &format!("{host}."), &port),
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

/// `request` (feature `tower`): whole requests through
/// [`middleware::OriginPolicyLayer`](origin_policy::middleware::OriginPolicyLayer) around a trivial
/// inner service, polled to completion on the calling thread, under every
/// [`MissingOrigin`](origin_policy::middleware::MissingOrigin), every
/// [`PublicReason`](origin_policy::middleware::PublicReason) and both `vary_on_allow` settings. The
/// status, body and headers of each response, what the inner service received, what the
/// denial hook got, and
/// [`OriginPolicyLayer::allows`](origin_policy::middleware::OriginPolicyLayer::allows) must all
/// match a plain model of the gate written here: the mode from the credentials first, then
/// the tenant, then the `Origin` (or the `Referer`), judged by the reference matcher.
///
/// The input is text, one item per line (bytes are taken as they are; `\n` ends a line):
///
/// - the first line holds settings: `store` (two tenants, `default` and `acme`, named by
///   `X-Tenant`, `default` without one; otherwise one policy), and `live`, `test` or
///   `unset` for a fixed mode or none (otherwise the mode comes from the API secret);
/// - `name: value` is a request header (one space after the colon is dropped); a name or
///   value that `http` refuses is skipped;
/// - `basic: user:password` is `Authorization: Basic` with that text in base64;
/// - `response-vary: value` is a `Vary` value of the inner service's response.
#[cfg(feature = "tower")]
pub fn request(data: &[u8]) {
    request_check::run(data);
}

#[cfg(feature = "tower")]
mod request_check {
    use std::convert::Infallible;
    use std::fmt::Write as _;
    use std::future::{ready, Future, Ready};
    use std::pin::pin;
    use std::sync::{Arc, Mutex, OnceLock};
    use std::task::{Context, Poll, Waker};

    use http::header::{HeaderName, HeaderValue};
    use http::request::Parts;
    use http::{HeaderMap, Method, Request, Response, StatusCode, Uri};
    use tower_layer::Layer;
    use tower_service::Service;

    use origin_policy::middleware::{
        mode_from_authorization, DenialReason, MissingOrigin, OriginPolicyLayer, PublicReason,
    };
    use origin_policy::store::PolicyStore;
    use origin_policy::{DenyReason, Mode, Policy};

    use super::MAX_INPUT_LEN;
    use crate::reference;

    /// Headers past this many are ignored.
    const MAX_HEADERS: usize = 24;
    const INNER_BODY: &str = "from the inner service";
    const INNER_CONTENT_TYPE: &str = "text/html";
    const LOG_MAX: usize = 128;

    struct Fixture {
        default: Policy,
        acme: Policy,
        store: Arc<PolicyStore<String>>,
    }

    fn fixture() -> &'static Fixture {
        static FIXTURE: OnceLock<Fixture> = OnceLock::new();
        FIXTURE.get_or_init(|| {
            let default = Policy::builder()
                .allow(Mode::Live, "https://berbix.com")
                .allow(Mode::Live, "https://*.berbix.com")
                .allow(Mode::Live, "https://pr-*.preview.berbix.com")
                .allow(Mode::Live, "https://xn--bcher-kva.example:8443")
                .allow(Mode::Test, "http://localhost:*")
                .allow(Mode::Test, "https://staging.berbix.com:*")
                .implicit_test_loopback(true)
                .build()
                .expect("the default tenant's policy is valid");
            let acme = Policy::builder()
                .allow(Mode::Live, "https://acme.example")
                .allow(Mode::Live, "https://*.acme.example")
                .allow(Mode::Test, "http://localhost:3000")
                .build()
                .expect("acme's policy is valid");
            let store = PolicyStore::new();
            store.insert("default".to_owned(), default.clone());
            store.insert("acme".to_owned(), acme.clone());
            Fixture {
                default,
                acme,
                store: Arc::new(store),
            }
        })
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Tenancy {
        One,
        Store,
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum ModeSetting {
        Unset,
        Fixed(Mode),
        ApiSecret,
    }

    struct Case {
        tenancy: Tenancy,
        mode: ModeSetting,
        /// The request's headers in order, as `http` accepted them.
        headers: Vec<(HeaderName, HeaderValue)>,
        /// The `Vary` values of the inner service's response.
        inner_vary: Vec<HeaderValue>,
        /// `OPTIONS` instead of `POST` (with `Origin` and `Access-Control-Request-Method`,
        /// a CORS preflight).
        options: bool,
    }

    impl Case {
        fn parse(data: &[u8]) -> Case {
            let mut lines = data.split(|&byte| byte == b'\n');
            let settings = String::from_utf8_lossy(lines.next().unwrap_or_default());
            let mut case = Case {
                tenancy: Tenancy::One,
                mode: ModeSetting::ApiSecret,
                headers: Vec::new(),
                inner_vary: Vec::new(),
                options: false,
            };
            for word in settings.split([' ', ',']) {
                match word {
                    "store" => case.tenancy = Tenancy::Store,
                    "live" => case.mode = ModeSetting::Fixed(Mode::Live),
                    "test" => case.mode = ModeSetting::Fixed(Mode::Test),
                    "unset" => case.mode = ModeSetting::Unset,
                    "options" => case.options = true,
                    _ => {}
                }
            }
            for line in lines {
                if case.headers.len() + case.inner_vary.len() >= MAX_HEADERS {
                    break;
                }
                let Some(colon) = line.iter().position(|&byte| byte == b':') else {
                    continue;
                };
                let (name, value) = (&line[..colon], &line[colon + 1..]);
                let value = value.strip_prefix(b" ").unwrap_or(value);
                let Ok(name) = HeaderName::from_bytes(name) else {
                    continue;
                };
                let (name, value) = match name.as_str() {
                    "basic" => {
                        let encoded = format!("Basic {}", base64(value));
                        (http::header::AUTHORIZATION, encoded.into_bytes())
                    }
                    "response-vary" => {
                        if let Ok(value) = HeaderValue::from_bytes(value) {
                            case.inner_vary.push(value);
                        }
                        continue;
                    }
                    _ => (name, value.to_vec()),
                };
                if let Ok(value) = HeaderValue::from_bytes(&value) {
                    case.headers.push((name, value));
                }
            }
            case
        }

        /// The values of header `name`, in order.
        fn values(&self, name: &str) -> Vec<&[u8]> {
            self.headers
                .iter()
                .filter(|(header, _)| header.as_str() == name)
                .map(|(_, value)| value.as_bytes())
                .collect()
        }

        fn request(&self) -> Request<()> {
            let mut request = Request::new(());
            *request.method_mut() = if self.options {
                Method::OPTIONS
            } else {
                Method::POST
            };
            *request.uri_mut() = Uri::from_static("/v1/things?x=1");
            for (name, value) in &self.headers {
                request.headers_mut().append(name.clone(), value.clone());
            }
            request
        }

        fn describe(&self) -> String {
            let mut text = format!(
                "tenancy: {:?}\nmode setting: {:?}\nheaders:\n",
                self.tenancy, self.mode
            );
            for (name, value) in &self.headers {
                let _ = writeln!(text, "  {name}: {:?}", Bytes(value.as_bytes()));
            }
            for value in &self.inner_vary {
                let _ = writeln!(
                    text,
                    "  (inner response) vary: {:?}",
                    Bytes(value.as_bytes())
                );
            }
            text
        }
    }

    /// Bytes shown as an escaped string.
    struct Bytes<'a>(&'a [u8]);

    impl std::fmt::Debug for Bytes<'_> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "\"{}\"", self.0.escape_ascii())
        }
    }

    /// Standard base64 with `=` padding.
    fn base64(bytes: &[u8]) -> String {
        const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let mut group = [0u8; 3];
            group[..chunk.len()].copy_from_slice(chunk);
            let bits = u32::from_be_bytes([0, group[0], group[1], group[2]]);
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(char::from(ALPHABET[(bits >> (18 - 6 * i) & 63) as usize]));
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    // ---- The model: what the gate must answer, written from its documentation. ----

    /// Header bytes as text, if they are visible ASCII (what `HeaderValue::to_str` takes).
    fn visible_ascii(value: &[u8]) -> Option<&str> {
        value
            .iter()
            .all(|&byte| byte == b'\t' || (b' '..=b'~').contains(&byte))
            .then(|| std::str::from_utf8(value).expect("ASCII is UTF-8"))
    }

    /// The mode an API secret names: `secret_live_` or `secret_test_` and at least one
    /// more character.
    fn model_secret(key: &str) -> Option<Mode> {
        if key.len() > "secret_live_".len() && key.starts_with("secret_live_") {
            Some(Mode::Live)
        } else if key.len() > "secret_test_".len() && key.starts_with("secret_test_") {
            Some(Mode::Test)
        } else {
            None
        }
    }

    /// Standard base64 decoding with optional padding, as `mode_from_authorization`
    /// documents it: any other character, a lone trailing character, or padding on a
    /// length that is no multiple of 4 is `None`.
    fn model_unbase64(text: &[u8]) -> Option<Vec<u8>> {
        let data = if text.ends_with(b"==") {
            &text[..text.len() - 2]
        } else if text.ends_with(b"=") {
            &text[..text.len() - 1]
        } else {
            text
        };
        if data.len() != text.len() && !text.len().is_multiple_of(4) {
            return None;
        }
        if data.len() % 4 == 1 {
            return None;
        }
        let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let (mut out, mut accumulator, mut bits) = (Vec::new(), 0u32, 0u32);
        for &byte in data {
            let value = alphabet.bytes().position(|symbol| symbol == byte)? as u32;
            accumulator = (accumulator << 6) | value;
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((accumulator >> bits) as u8);
                accumulator &= (1 << bits) - 1;
            }
        }
        Some(out)
    }

    /// The mode of a request's `Authorization` values: exactly one, at most 1024 bytes,
    /// `Bearer KEY` or `Basic base64(KEY:password)`, the scheme in any case, spaces around
    /// the credentials ignored.
    fn model_authorization(values: &[&[u8]]) -> Option<Mode> {
        let [value] = values else { return None };
        if value.len() > 1024 {
            return None;
        }
        let space = value.iter().position(|&byte| byte == b' ')?;
        let scheme = &value[..space];
        let mut credentials = &value[space + 1..];
        while let [b' ', rest @ ..] = credentials {
            credentials = rest;
        }
        while let [rest @ .., b' '] = credentials {
            credentials = rest;
        }
        if scheme.eq_ignore_ascii_case(b"bearer") {
            model_secret(std::str::from_utf8(credentials).ok()?)
        } else if scheme.eq_ignore_ascii_case(b"basic") {
            // The user name is what comes before the first colon; no colon, no user name.
            let decoded = model_unbase64(credentials)?;
            let (user, _password) = decoded.split_at(decoded.iter().position(|&b| b == b':')?);
            model_secret(std::str::from_utf8(user).ok()?)
        } else {
            None
        }
    }

    /// The `scheme://authority` of a `Referer`: up to the first `/`, `?` or `#` after the
    /// first `://`; the whole value without a `://`.
    fn model_referer_origin(referer: &[u8]) -> &[u8] {
        let Some(at) = (0..referer.len().saturating_sub(2)).find(|&i| &referer[i..i + 3] == b"://")
        else {
            return referer;
        };
        let after = &referer[at + 3..];
        let end = after
            .iter()
            .position(|byte| b"/?#".contains(byte))
            .unwrap_or(after.len());
        &referer[..at + 3 + end]
    }

    /// Whether some `Accept` item is `application/json` without a `q` of zero or less.
    fn model_json(values: &[&[u8]]) -> bool {
        let zero_q = |param: &str| match param.split_once('=') {
            Some((name, q)) if name.trim().eq_ignore_ascii_case("q") => {
                q.trim().parse::<f32>().is_ok_and(|q| q <= 0.0)
            }
            _ => false,
        };
        values
            .iter()
            .filter_map(|value| visible_ascii(value))
            .any(|text| {
                text.split(',').any(|item| {
                    let mut parts = item.split(';');
                    let media = parts.next().unwrap_or_default().trim();
                    media.eq_ignore_ascii_case("application/json") && !parts.any(zero_q)
                })
            })
    }

    /// The longest prefix of `text` of at most 128 bytes that ends on a character.
    fn model_cut(text: &str) -> &str {
        let mut end = 0;
        for (at, ch) in text.char_indices() {
            if at + ch.len_utf8() > LOG_MAX {
                break;
            }
            end = at + ch.len_utf8();
        }
        &text[..end]
    }

    fn model_code(reason: DenialReason) -> &'static str {
        match reason {
            DenialReason::UnknownTenant => "unknown_tenant",
            DenialReason::NoMode => "no_mode",
            DenialReason::MissingOrigin => "missing_origin",
            DenialReason::MultipleOrigins => "multiple_origins",
            DenialReason::NonUtf8Origin => "non_utf8_origin",
            DenialReason::Policy(DenyReason::NoMatchingRule) => "no_matching_rule",
            DenialReason::Policy(DenyReason::PublicSuffixBoundary) => "public_suffix_boundary",
            DenialReason::Policy(DenyReason::Opaque) => "opaque_origin",
            DenialReason::Policy(DenyReason::Malformed(_)) => "malformed_origin",
            // `DenialReason` is `#[non_exhaustive]`: a new reason needs its code here.
            other => panic!("the model has no code for {other:?}"),
        }
    }

    fn model_body(mode: Option<Mode>, code: &str, json: bool) -> String {
        let name = mode.map(|mode| match mode {
            Mode::Live => "live",
            Mode::Test => "test",
        });
        match (json, name) {
            (true, Some(name)) => {
                format!(r#"{{"error":"origin_not_allowed","mode":"{name}","reason":"{code}"}}"#)
            }
            (true, None) => {
                format!(r#"{{"error":"origin_not_allowed","mode":null,"reason":"{code}"}}"#)
            }
            (false, Some(name)) => format!("origin not allowed for {name} mode: {code}\n"),
            (false, None) => format!("origin not allowed: {code}\n"),
        }
    }

    #[derive(Debug, Clone, PartialEq, Eq)]
    struct SeenDenial {
        tenant: Option<String>,
        mode: Option<Mode>,
        origin: Option<String>,
        reason: DenialReason,
    }

    #[derive(Debug)]
    enum Expected {
        /// Allowed; `by_referer`: the Referer decided.
        Allow {
            by_referer: bool,
        },
        Deny(SeenDenial),
    }

    fn model(case: &Case, missing: MissingOrigin) -> Expected {
        let fixture = fixture();
        // A CORS preflight has no mode: its origin passes if either mode allows it.
        let preflight = case.options
            && !case.values("origin").is_empty()
            && !case.values("access-control-request-method").is_empty();
        let mode = match case.mode {
            _ if preflight => None,
            ModeSetting::Unset => None,
            ModeSetting::Fixed(mode) => Some(mode),
            ModeSetting::ApiSecret => model_authorization(&case.values("authorization")),
        };
        let tenant = match case.tenancy {
            Tenancy::One => None,
            Tenancy::Store => match case.values("x-tenant").first() {
                None => Some("default"),
                Some(value) => visible_ascii(value),
            },
        };
        let origins = case.values("origin");
        let single_origin = match origins[..] {
            [value] => std::str::from_utf8(value).ok(),
            _ => None,
        };
        let deny = |origin: Option<&str>, reason: DenialReason| {
            Expected::Deny(SeenDenial {
                tenant: tenant.map(|tenant| model_cut(tenant).to_owned()),
                mode,
                origin: origin
                    .or(single_origin)
                    .map(|origin| model_cut(origin).to_owned()),
                reason,
            })
        };
        if mode.is_none() && !preflight {
            return deny(None, DenialReason::NoMode);
        }
        let policy = match (case.tenancy, tenant) {
            (Tenancy::One, _) => &fixture.default,
            (Tenancy::Store, Some("default")) => &fixture.default,
            (Tenancy::Store, Some("acme")) => &fixture.acme,
            (Tenancy::Store, _) => return deny(None, DenialReason::UnknownTenant),
        };
        let (origin, by_referer) = match (&origins[..], missing) {
            ([value], _) => (*value, false),
            ([_, _, ..], _) => return deny(None, DenialReason::MultipleOrigins),
            ([], MissingOrigin::Deny) => return deny(None, DenialReason::MissingOrigin),
            ([], MissingOrigin::Allow) => return Expected::Allow { by_referer: false },
            ([], _) => match case.values("referer")[..] {
                [] => return deny(None, DenialReason::MissingOrigin),
                [value] => (model_referer_origin(value), true),
                _ => return deny(None, DenialReason::MultipleOrigins),
            },
        };
        let Ok(origin) = std::str::from_utf8(origin) else {
            return deny(None, DenialReason::NonUtf8Origin);
        };
        let decision = match mode {
            Some(mode) => reference::check(policy, mode, origin),
            None => {
                let live = reference::check(policy, Mode::Live, origin);
                let test = reference::check(policy, Mode::Test, origin);
                if !live.is_allowed() && test.is_allowed() {
                    test
                } else {
                    live
                }
            }
        };
        match decision.deny_reason() {
            None => Expected::Allow { by_referer },
            Some(reason) => deny(Some(origin), DenialReason::Policy(reason)),
        }
    }

    // ---- The layer, driven for real. ----

    /// What the inner service received.
    type Received = Arc<Mutex<Vec<(Method, Uri, HeaderMap)>>>;

    #[derive(Clone)]
    struct Inner {
        vary: Vec<HeaderValue>,
        received: Received,
    }

    impl Service<Request<()>> for Inner {
        type Response = Response<String>;
        type Error = Infallible;
        type Future = Ready<Result<Response<String>, Infallible>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, request: Request<()>) -> Self::Future {
            self.received.lock().unwrap().push((
                request.method().clone(),
                request.uri().clone(),
                request.headers().clone(),
            ));
            let mut response = Response::new(INNER_BODY.to_owned());
            response.headers_mut().insert(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static(INNER_CONTENT_TYPE),
            );
            for value in &self.vary {
                response
                    .headers_mut()
                    .append(http::header::VARY, value.clone());
            }
            ready(Ok(response))
        }
    }

    fn tenant_of(parts: &Parts) -> Option<&str> {
        match parts.headers.get("x-tenant") {
            Some(value) => value.to_str().ok(),
            None => Some("default"),
        }
    }

    /// The lowercase tokens of `Vary` values, skipping values that are not visible ASCII.
    fn vary_tokens<'a>(values: impl IntoIterator<Item = &'a HeaderValue>) -> Vec<String> {
        values
            .into_iter()
            .filter_map(|value| visible_ascii(value.as_bytes()))
            .flat_map(|text| text.split(','))
            .map(|token| token.trim().to_ascii_lowercase())
            .collect()
    }

    pub(super) fn run(data: &[u8]) {
        if data.len() > MAX_INPUT_LEN {
            return;
        }
        let case = Case::parse(data);
        let (parts, ()) = case.request().into_parts();
        assert_eq!(
            mode_from_authorization(&parts),
            model_authorization(&case.values("authorization")),
            "mode_from_authorization and the model disagree\n{}",
            case.describe()
        );
        for missing in [
            MissingOrigin::Deny,
            MissingOrigin::Allow,
            MissingOrigin::UseReferer,
        ] {
            let expected = model(&case, missing);
            for public in [PublicReason::Uniform, PublicReason::Precise] {
                for vary in [true, false] {
                    check_one(&case, &expected, missing, public, vary);
                }
            }
        }
    }

    fn check_one(
        case: &Case,
        expected: &Expected,
        missing: MissingOrigin,
        public: PublicReason,
        vary: bool,
    ) {
        let context = || {
            format!(
                "{}missing origin: {missing:?}, public reason: {public:?}, vary_on_allow: \
                 {vary}\nexpected: {expected:?}",
                case.describe()
            )
        };
        let fixture = fixture();
        let layer = match case.tenancy {
            Tenancy::One => OriginPolicyLayer::new(fixture.default.clone()),
            Tenancy::Store => OriginPolicyLayer::with_store(fixture.store.clone(), tenant_of),
        };
        let layer = match case.mode {
            ModeSetting::Unset => layer,
            ModeSetting::Fixed(mode) => layer.fixed_mode(mode),
            ModeSetting::ApiSecret => layer.mode_from_api_secret(),
        };
        let denials: Arc<Mutex<Vec<SeenDenial>>> = Arc::default();
        let sink = denials.clone();
        let layer = layer
            .on_missing_origin(missing)
            .public_reason(public)
            .vary_on_allow(vary)
            .on_deny(move |denial| {
                sink.lock().unwrap().push(SeenDenial {
                    tenant: denial.tenant.map(str::to_owned),
                    mode: denial.mode,
                    origin: denial.origin.map(str::to_owned),
                    reason: denial.reason,
                });
            });

        let (parts, ()) = case.request().into_parts();
        let allowed = matches!(expected, Expected::Allow { .. });
        assert_eq!(layer.allows(&parts), allowed, "allows\n{}", context());
        assert!(
            denials.lock().unwrap().is_empty(),
            "allows called the hook\n{}",
            context()
        );

        let received = Received::default();
        let mut service = layer.layer(Inner {
            vary: case.inner_vary.clone(),
            received: received.clone(),
        });
        let mut cx = Context::from_waker(Waker::noop());
        assert!(matches!(service.poll_ready(&mut cx), Poll::Ready(Ok(()))));
        let future = pin!(service.call(case.request()));
        let Poll::Ready(Ok(response)) = future.poll(&mut cx) else {
            panic!("the response was not ready at once\n{}", context());
        };
        let (head, body) = response.into_parts();
        let received = received.lock().unwrap();
        let denials = denials.lock().unwrap();

        match expected {
            Expected::Allow { by_referer } => {
                assert_eq!(head.status, StatusCode::OK, "status\n{}", context());
                assert_eq!(body, INNER_BODY, "body\n{}", context());
                assert!(denials.is_empty(), "hook on an allow\n{}", context());
                let request = case.request();
                assert_eq!(
                    received.as_slice(),
                    [(
                        request.method().clone(),
                        request.uri().clone(),
                        request.headers().clone()
                    )],
                    "the inner service did not get the request as it came\n{}",
                    context()
                );
                assert_eq!(
                    head.headers
                        .get_all(http::header::CONTENT_TYPE)
                        .iter()
                        .collect::<Vec<_>>(),
                    [INNER_CONTENT_TYPE],
                    "content-type\n{}",
                    context()
                );
                check_allowed_vary(case, &head.headers, vary, *by_referer, &context);
            }
            Expected::Deny(denial) => {
                assert_eq!(head.status, StatusCode::FORBIDDEN, "status\n{}", context());
                assert!(
                    received.is_empty(),
                    "the inner service was called\n{}",
                    context()
                );
                assert_eq!(
                    denials.as_slice(),
                    std::slice::from_ref(denial),
                    "the hook\n{}",
                    context()
                );
                let json = model_json(&case.values("accept"));
                let code = match public {
                    PublicReason::Uniform => "origin_not_allowed",
                    _ => model_code(denial.reason),
                };
                assert_eq!(
                    body,
                    model_body(denial.mode, code, json),
                    "body\n{}",
                    context()
                );
                let content_type = if json {
                    "application/json"
                } else {
                    "text/plain; charset=utf-8"
                };
                let vary = if missing == MissingOrigin::UseReferer {
                    "origin, referer, accept"
                } else {
                    "origin, accept"
                };
                let mut headers: Vec<(String, &[u8])> = head
                    .headers
                    .iter()
                    .map(|(name, value)| (name.to_string(), value.as_bytes()))
                    .collect();
                headers.sort();
                assert_eq!(
                    headers,
                    [
                        ("cache-control".to_owned(), &b"no-store"[..]),
                        ("content-type".to_owned(), content_type.as_bytes()),
                        ("vary".to_owned(), vary.as_bytes()),
                    ],
                    "denial headers\n{}",
                    context()
                );
            }
        }
    }

    /// An allowed response keeps the inner service's `Vary` values first, and then at most
    /// one value, naming those of `origin` (always) and `referer` (when it decided) that
    /// no earlier value names, unless one is `*`; nothing with `vary_on_allow(false)`.
    fn check_allowed_vary(
        case: &Case,
        headers: &HeaderMap,
        vary: bool,
        by_referer: bool,
        context: &dyn Fn() -> String,
    ) {
        let values: Vec<&HeaderValue> = headers.get_all(http::header::VARY).iter().collect();
        let inner: Vec<&HeaderValue> = case.inner_vary.iter().collect();
        assert!(
            values.len() >= inner.len() && values[..inner.len()] == inner[..],
            "the inner service's Vary changed: {values:?}\n{}",
            context()
        );
        let added = &values[inner.len()..];
        let named = vary_tokens(case.inner_vary.iter());
        let mut missing: Vec<&str> = Vec::new();
        if vary && !named.iter().any(|token| token == "*") {
            for needed in ["origin", "referer"] {
                let wanted = needed == "origin" || by_referer;
                if wanted && !named.iter().any(|token| token == needed) {
                    missing.push(needed);
                }
            }
        }
        if missing.is_empty() {
            assert!(added.is_empty(), "added Vary {added:?}\n{}", context());
        } else {
            assert_eq!(added.len(), 1, "added Vary {added:?}\n{}", context());
            assert_eq!(
                vary_tokens(added.iter().copied()),
                missing,
                "added Vary {added:?}\n{}",
                context()
            );
        }
        // Whatever was added, a shared cache now keys on every header that decided.
        if vary {
            let all = vary_tokens(values.iter().copied());
            let covered = |name: &str| all.iter().any(|token| token == name || token == "*");
            assert!(covered("origin"), "Vary misses origin\n{}", context());
            assert!(
                !by_referer || covered("referer"),
                "Vary misses referer\n{}",
                context()
            );
        }
    }
}
