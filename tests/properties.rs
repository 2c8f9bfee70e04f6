//! Properties of policies and patterns, checked with proptest over generated rules and
//! origins. The alphabets are small on purpose, and most origins are made from the rules
//! of the policy under test, so that generated origins often hit generated rules and the
//! misses are near ones (`barfoo.com` against `foo.com`, a wildcard's apex, another port).
//!
//! Every property runs at least [`CASES`] cases, and the file takes a few seconds in a
//! debug build. For that, the generators mostly draw plain integers and decode them
//! ([`Bits`]): in a debug build a `u64` costs under a microsecond per value, a
//! `prop_oneof!` around ten, and a regex strategy (`any::<String>()` included) hundreds.
//! Zero decodes to the plainest choice everywhere, so shrinking still heads to simple
//! values.
//!
//! A property that could pass without testing anything (every case skipped, nothing ever
//! allowed) counts what it saw in a [`Tally`] and fails if a share is too small;
//! `--nocapture` prints the counts. `PROPTEST_CASES` replaces the case count, for a deeper
//! run:
//!
//! ```text
//! PROPTEST_CASES=20000 cargo test --release --all-features --test properties -- --nocapture
//! ```

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::LazyLock;

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{FileFailurePersistence, RngAlgorithm};

use origin_policy::host::HostKind;
use origin_policy::pattern::{HostPattern, Pattern, PortSpec};
use origin_policy::{Decision, DenyReason, Mode, Origin, Policy, Rule, Scheme};
use origin_policy_testkit::alphabet::properties::{
    DIFF_LABELS, DIFF_SUFFIXES, IDN, LABELS, LABEL_PARTS, PORTS, PUBLIC_SUFFIXES, SUFFIXES,
};
use origin_policy_testkit::rng::{mix, Bits, Choices};
use origin_policy_testkit::text::{self, LabelShape, PortText};
use origin_policy_testkit::{self as testkit, reference};

/// Cases per property, unless `PROPTEST_CASES` says otherwise.
const CASES: u32 = 1000;

/// [`CASES`] cases; a failing case is saved next to this file. XorShift rather than the
/// default ChaCha, which is slow in debug builds.
fn config() -> ProptestConfig {
    ProptestConfig {
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        rng_algorithm: RngAlgorithm::XorShift,
        ..ProptestConfig::with_cases(CASES)
    }
}

// ---------------------------------------------------------------------------------------
// Alphabets (the labels, suffixes and ports are this test's set in
// `origin_policy_testkit::alphabet::properties`)
// ---------------------------------------------------------------------------------------

/// What an origin may carry after its host: mostly nothing.
const PORT_SUFFIXES: &[&str] = &[
    "", "", "", "", "", "", "", "", "", "", "", "", ":1", ":80", ":443", ":3000", ":8443", ":65535",
];

const IPV6: &[&str] = &[
    "[::1]",
    "[::]",
    "[2001:db8::1]",
    "[::ffff:127.0.0.1]",
    "[::ffff:102:304]",
];

/// Loopback hosts as a rule may write them: all of them are test-mode only.
const LOOPBACK_PATTERN_HOSTS: &[&str] = &[
    "localhost",
    "*.localhost",
    "app.localhost",
    "*.app.localhost",
    "127.0.0.1",
    "127.9.8.7",
    "[::1]",
    "[0:0:0:0:0:0:0:1]",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
];

/// Loopback origins in spellings a browser accepts.
const LOOPBACK_ORIGINS: &[&str] = &[
    "https://localhost",
    "https://LOCALHOST.",
    "https://app.localhost",
    "https://a.b.localhost:8443",
    "https://127.0.0.1",
    "https://127.1",
    "https://0x7f.0.0.1",
    "https://2130706433",
    "https://127.255.255.254:3000",
    "https://[::1]",
    "https://[0:0:0:0:0:0:0:1]:443",
    "https://[::ffff:127.0.0.1]",
    "https://[::ffff:7f00:1]",
    "https://ｌｏｃａｌｈｏｓｔ",
    "https://localhost。",
    "https://１２７.０.０.１",
];

/// Characters that URLs, and broken URLs, are made of.
const URL_CHARS: &[char] = &[
    'a', 'b', 'x', 'Z', '0', '1', '9', '.', '.', ':', ':', '/', '/', '@', '%', '?', '#', '*', ',',
    '_', '-', '[', ']', ' ', '\\', '\t', '．', '。', 'ａ', 'ü', '\u{ad}',
];

const URL_PREFIXES: &[&str] = &["https://", "http://", "HTTP://", "https:", "ftp://", ""];

// ---------------------------------------------------------------------------------------
// Counting, so that no property passes vacuously
// ---------------------------------------------------------------------------------------

/// Named counters for one property.
#[derive(Default)]
struct Tally(RefCell<BTreeMap<&'static str, u64>>);

impl Tally {
    fn add(&self, key: &'static str) {
        *self.0.borrow_mut().entry(key).or_default() += 1;
    }

    fn get(&self, key: &str) -> u64 {
        self.0.borrow().get(key).copied().unwrap_or(0)
    }

    /// Prints the counts (seen with `--nocapture`).
    fn report(&self, property: &str) {
        eprintln!("{property}: {:?}", self.0.borrow());
    }

    /// Fails unless `part` counted at least `min` times per `whole`.
    fn require(&self, property: &str, part: &str, whole: &str, min: f64) {
        let (p, w) = (self.get(part), self.get(whole));
        assert!(
            w > 0 && p as f64 >= min * w as f64,
            "{property} was nearly vacuous: {p} `{part}` for {w} `{whole}`, want at least \
             {min} per {whole}; counts: {:?}",
            self.0.borrow(),
        );
    }
}

// ---------------------------------------------------------------------------------------
// Spellings: one canonical host or pattern, written the many ways that mean the same
// ---------------------------------------------------------------------------------------

/// How to respell a canonical host. Masks pick labels or characters by bit position, so the
/// all-zero spelling is the canonical one.
#[derive(Debug, Clone, Copy, Default)]
struct Spelling {
    /// Uppercase: bit `i` for the `i`-th ASCII character of the host, or for label `i` when
    /// it is written in Unicode.
    upper: u64,
    /// Fullwidth characters (`ｆｏｏ`), by label.
    fullwidth: u64,
    /// A punycode label from [`IDN`] in its Unicode form, by label.
    unicode: u64,
    /// The separator in front of label `i`, two bits each: `.`, `。`, `．` or `｡`.
    separators: u64,
    /// 0: none, 1: `.`, 2: `。`.
    trailing_dot: u8,
    /// Uppercase scheme characters, by bit.
    scheme_upper: u8,
    /// Write the default port out (`:443`).
    default_port: bool,
    /// Patterns only: one trailing `/`.
    slash: bool,
    /// Patterns only: leading and trailing ASCII whitespace.
    pad: bool,
}

const SEPARATORS: [char; 4] = ['.', '。', '．', '｡'];

impl Spelling {
    /// `choices` says which parts change, `random` how.
    fn decode(choices: u64, random: u64) -> Spelling {
        let mut c = Bits(choices);
        let mut r = random;
        let mut mask = |c: &mut Bits| match c.below(5) {
            0 | 1 => 0,
            2 => u64::MAX,
            _ => {
                r = mix(r);
                r
            }
        };
        Spelling {
            upper: mask(&mut c),
            fullwidth: mask(&mut c),
            unicode: mask(&mut c),
            separators: mask(&mut c),
            trailing_dot: c.below(3) as u8,
            scheme_upper: if c.one_in(2) { mix(!random) as u8 } else { 0 },
            default_port: c.one_in(2),
            slash: c.one_in(2),
            pad: c.one_in(10),
        }
    }
}

fn spelling() -> impl Strategy<Value = Spelling> {
    any::<(u64, u64)>().prop_map(|(choices, random)| Spelling::decode(choices, random))
}

/// Mostly canonical, sometimes respelled: for rules.
fn rule_spelling() -> impl Strategy<Value = Spelling> {
    any::<(u64, u64)>().prop_map(|(choices, random)| match choices % 4 {
        3 => Spelling::decode(choices / 4, random),
        _ => Spelling::default(),
    })
}

fn bit(mask: u64, at: usize) -> bool {
    (mask >> (at % 64)) & 1 == 1
}

/// The fullwidth form of a printable ASCII character (`a` → `ａ`), which IDNA maps back.
fn fullwidth(c: char) -> char {
    match c {
        '!'..='~' => char::from_u32(c as u32 + 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// The kind of a canonical host as the generators write them.
fn kind_of(host: &str) -> HostKind {
    if host.starts_with('[') {
        HostKind::Ipv6
    } else if host
        .rsplit('.')
        .next()
        .is_some_and(|last| last.bytes().all(|b| b.is_ascii_digit()))
    {
        HostKind::Ipv4
    } else {
        HostKind::Domain
    }
}

/// `host` (canonical) respelled. A rule's IPv4 address must be written as dotted decimal,
/// so for `pattern` hosts only the trailing dot varies there.
fn respell_host(host: &str, s: &Spelling, pattern: bool) -> String {
    match kind_of(host) {
        HostKind::Ipv6 if s.upper != 0 => return host.to_ascii_uppercase(),
        HostKind::Ipv6 => return host.to_owned(),
        HostKind::Ipv4 if pattern => {
            return match s.trailing_dot {
                0 => host.to_owned(),
                _ => format!("{host}."),
            }
        }
        _ => {}
    }
    let mut out = String::with_capacity(host.len() * 3);
    let mut at = 0;
    for (i, label) in host.split('.').enumerate() {
        if i > 0 {
            out.push(SEPARATORS[(s.separators >> ((2 * i) % 64)) as usize & 3]);
        }
        match IDN.iter().find(|&&(_, puny)| puny == label) {
            Some(&(unicode, _)) if bit(s.unicode, i) => {
                if bit(s.upper, i) {
                    out.push_str(&unicode.to_uppercase());
                } else {
                    out.push_str(unicode);
                }
            }
            _ => {
                for c in label.chars() {
                    let c = if bit(s.upper, at) {
                        c.to_ascii_uppercase()
                    } else {
                        c
                    };
                    at += 1;
                    out.push(if bit(s.fullwidth, i) { fullwidth(c) } else { c });
                }
            }
        }
    }
    match s.trailing_dot {
        1 => out.push('.'),
        2 => out.push('。'),
        _ => {}
    }
    out
}

fn respell_scheme(scheme: Scheme, mask: u8) -> String {
    scheme
        .as_str()
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if (mask >> i) & 1 == 1 {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect()
}

/// A parsed origin, respelled: same scheme, host and port, other text.
fn respell_origin(origin: &Origin<'_>, s: &Spelling) -> String {
    let scheme = origin.scheme();
    let port = if origin.port() != scheme.default_port() || s.default_port {
        format!(":{}", origin.port())
    } else {
        String::new()
    };
    format!(
        "{}://{}{port}",
        respell_scheme(scheme, s.scheme_upper),
        respell_host(origin.host(), s, false)
    )
}

/// How an entry writes its port.
fn port_text(b: &mut Bits) -> PortText {
    match b.below(5) {
        0 => PortText::Omitted,
        1 => PortText::DefaultWritten,
        2 => PortText::Exact(b.pick(PORTS)),
        3 => PortText::Exact(1 + b.below(65535) as u16),
        _ => PortText::Any,
    }
}

/// A pattern's text: `host` is canonical, and `*.base` for a wildcard.
fn write_pattern(scheme: Scheme, host: &str, port: PortText, s: &Spelling) -> String {
    let host = match host.strip_prefix("*.") {
        Some(base) => format!("*.{}", respell_host(base, s, true)),
        // A label wildcard: only the base is respelled.
        None => match host.split_once('.') {
            Some((label, base)) if label.contains('*') => {
                format!("{label}.{}", respell_host(base, s, true))
            }
            _ => respell_host(host, s, true),
        },
    };
    let slash = if s.slash { "/" } else { "" };
    let text = text::url(
        respell_scheme(scheme, s.scheme_upper),
        &host,
        &format!("{}{slash}", port.suffix(scheme)),
    );
    if s.pad {
        format!(" {text}\t")
    } else {
        text
    }
}

/// The [`IDN`] table says what the host parser does, and the respellings read back.
#[test]
fn idn_table_matches_the_host_parser() {
    for &(unicode, puny) in IDN {
        let expected = format!("https://{puny}.example.com");
        for spelled in [
            unicode.to_owned(),
            unicode.to_uppercase(),
            puny.to_ascii_uppercase(),
            puny.chars().map(fullwidth).collect(),
        ] {
            let origin = format!("https://{spelled}.example.com");
            let parsed = Origin::parse(&origin).unwrap_or_else(|err| panic!("{origin}: {err}"));
            assert_eq!(parsed.to_string(), expected, "{origin}");
            let pattern = format!("https://*.{spelled}.com:*");
            assert_eq!(
                Pattern::parse(&pattern).unwrap().to_string(),
                format!("https://*.{puny}.com:*"),
                "{pattern}"
            );
        }
        assert_eq!(unicode.to_uppercase().to_lowercase(), unicode);
        assert_eq!(Origin::parse(&expected).unwrap().host(), &expected[8..]);
    }
    let s = Spelling {
        upper: u64::MAX,
        fullwidth: 0b10,
        unicode: 0b1,
        separators: 0b0100,
        trailing_dot: 2,
        scheme_upper: 0b101,
        default_port: true,
        ..Spelling::default()
    };
    let origin = Origin::parse("http://xn--bcher-kva.foo.com").unwrap();
    assert_eq!(
        respell_origin(&origin, &s),
        "HtTp://BÜCHER。ＦＯＯ.COM。:80"
    );
    assert_eq!(Origin::parse(&respell_origin(&origin, &s)), Ok(origin));
    assert_eq!(
        write_pattern(Scheme::Https, "*.xn--n-nga1b.com", PortText::Any, &s),
        "HtTps://*.ÜNÏ。ＣＯＭ。:*"
    );
}

// ---------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------

fn label() -> impl Strategy<Value = String> {
    any::<u64>().prop_map(|bits| {
        let mut b = Bits(bits);
        match b.below(10) {
            0..=5 => b.pick(LABELS).to_owned(),
            6 | 7 => b.pick(IDN).1.to_owned(),
            _ => random_label(b.0),
        }
    })
}

/// One to seven characters from `a-z 0-9 -`, starting with a letter and not ending with
/// `-` (so never `xn--…`).
fn random_label(bits: u64) -> String {
    text::random_label(&mut Bits(bits), &LabelShape::SHORT_LDH)
}

/// `labels` under `suffix`: at or under the registrable domain `last-label.suffix`.
fn domain_of(labels: &[String], suffix: &str) -> String {
    text::domain(labels, suffix)
}

/// A registrable domain: a label under a public suffix.
fn base() -> impl Strategy<Value = String> {
    (label(), prop::sample::select(SUFFIXES))
        .prop_map(|(label, suffix)| format!("{label}.{suffix}"))
}

fn ipv4(b: &mut Bits) -> String {
    match b.below(4) {
        0 => "127.0.0.1".to_owned(),
        1 => "10.0.0.1".to_owned(),
        _ => Ipv4Addr::from(b.0 as u32).to_string(),
    }
}

fn scheme(b: &mut Bits) -> Scheme {
    if b.one_in(2) {
        Scheme::Http
    } else {
        Scheme::Https
    }
}

fn mode(b: &mut Bits) -> Mode {
    if b.one_in(2) {
        Mode::Test
    } else {
        Mode::Live
    }
}

/// Random bits and labels: what hosts are decoded from.
fn host_material() -> impl Strategy<Value = (u64, Vec<String>)> {
    (any::<u64>(), prop::collection::vec(label(), 1..=4))
}

/// A host as an origin carries it, in canonical form (IPv6 not always).
fn origin_host(b: &mut Bits, labels: &[String]) -> String {
    match b.below(9) {
        0..=5 => domain_of(labels, b.pick(SUFFIXES)),
        6 => ipv4(b),
        7 => b.pick(IPV6).to_owned(),
        _ => b
            .pick(&["localhost", "app.localhost", "a.b.localhost"])
            .to_owned(),
    }
}

/// A canonical-looking origin.
fn origin() -> impl Strategy<Value = String> {
    host_material().prop_map(|(bits, labels)| {
        let mut b = Bits(bits);
        let scheme = scheme(&mut b);
        let port = b.pick(PORT_SUFFIXES);
        format!("{scheme}://{}{port}", origin_host(&mut b, &labels))
    })
}

/// A wildcard over one or two of `labels` under a registrable suffix.
fn wildcard_host(b: &mut Bits, labels: &[String]) -> String {
    let depth = (1 + b.below(2)).min(labels.len());
    let base = domain_of(&labels[labels.len() - depth..], b.pick(SUFFIXES));
    if b.one_in(3) {
        let (front, back) = label_wildcard_parts(b);
        format!("{front}*{back}.{base}")
    } else {
        format!("*.{base}")
    }
}

/// The literals of a label wildcard (`front*back`), never both empty.
fn label_wildcard_parts(b: &mut Bits) -> (&'static str, &'static str) {
    text::label_wildcard_parts(b, LABEL_PARTS).unwrap_or(("bar", ""))
}

/// The host part of a valid pattern, in canonical form.
fn pattern_host(b: &mut Bits, labels: &[String]) -> String {
    match b.below(9) {
        0..=2 => domain_of(labels, b.pick(SUFFIXES)),
        3..=5 => wildcard_host(b, labels),
        6 => ipv4(b),
        7 => b.pick(IPV6).to_owned(),
        _ => b.pick(LOOPBACK_PATTERN_HOSTS).to_owned(),
    }
}

/// Strings made of the characters URLs are made of, often starting like an origin.
fn urlish() -> impl Strategy<Value = String> {
    (
        any::<u8>(),
        prop::collection::vec(prop::sample::select(URL_CHARS), 0..24),
        origin(),
    )
        .prop_map(|(choice, body, origin)| {
            let mut b = Bits(u64::from(choice));
            let mut body: String = body.into_iter().collect();
            match b.below(4) {
                0 => body,
                1 => format!("{}{body}", b.pick(URL_PREFIXES)),
                2 => format!("{origin}{body}"),
                _ => {
                    // An origin with little or nothing after it.
                    body.truncate(
                        body.char_indices()
                            .nth(b.below(3))
                            .map_or(body.len(), |(at, _)| at),
                    );
                    format!("{origin}{body}")
                }
            }
        })
}

/// Any string at all (`any::<String>()` is slow to generate in debug builds).
fn arbitrary_string() -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), 0..32).prop_map(String::from_iter)
}

/// Material for a pattern: host bits and labels, port, spelling.
fn pattern_material() -> impl Strategy<Value = (u64, Vec<String>, u64, Spelling)> {
    (
        any::<u64>(),
        prop::collection::vec(label(), 1..=4),
        any::<u64>(),
        rule_spelling(),
    )
}

/// An entry that builds in its mode (given the public-suffix opt-out): `https` and no
/// loopback host in live mode.
fn entry() -> impl Strategy<Value = (Mode, String)> {
    pattern_material().prop_map(|(bits, labels, port, s)| {
        let mut b = Bits(bits);
        let port = port_text(&mut Bits(port));
        good_entry(&mut b, &labels, port, &s)
    })
}

fn good_entry(b: &mut Bits, labels: &[String], port: PortText, s: &Spelling) -> (Mode, String) {
    match b.below(3) {
        0 => {
            let host = domain_of(labels, b.pick(SUFFIXES));
            (Mode::Live, write_pattern(Scheme::Https, &host, port, s))
        }
        1 => {
            let host = wildcard_host(b, labels);
            (Mode::Live, write_pattern(Scheme::Https, &host, port, s))
        }
        _ => {
            let scheme = scheme(b);
            let host = pattern_host(b, labels);
            (Mode::Test, write_pattern(scheme, &host, port, s))
        }
    }
}

/// Any entry, valid or not in its mode: `http` or a loopback host in live mode does not
/// build, nor does a wildcard over a public suffix without the opt-out, nor junk.
fn any_entry() -> impl Strategy<Value = (Mode, String)> {
    (pattern_material(), urlish()).prop_map(|((bits, labels, port, s), junk)| {
        let mut b = Bits(bits);
        let port = port_text(&mut Bits(port));
        let (mode, scheme) = (mode(&mut b), scheme(&mut b));
        match b.below(10) {
            0..=3 => good_entry(&mut b, &labels, port, &s),
            4 | 5 => (
                mode,
                write_pattern(scheme, &pattern_host(&mut b, &labels), port, &s),
            ),
            6 | 7 => {
                let host = b.pick(LOOPBACK_PATTERN_HOSTS);
                (mode, write_pattern(scheme, host, port, &s))
            }
            8 => {
                let host = format!("*.{}", b.pick(PUBLIC_SUFFIXES));
                (mode, write_pattern(scheme, &host, port, &s))
            }
            _ => (mode, junk),
        }
    })
}

fn build(entries: &[(Mode, String)], public_suffix_opt_out: bool) -> Option<Policy> {
    testkit::builder(entries)
        .allow_public_suffix_wildcards(public_suffix_opt_out)
        .build()
        .ok()
}

/// Every rule of both modes.
fn all_rules(policy: &Policy) -> Vec<&Rule> {
    Mode::ALL.iter().flat_map(|&m| policy.rules(m)).collect()
}

/// What an origin made from a rule looks like next to the rule's host.
#[derive(Debug, Clone, Copy)]
enum Shape {
    /// The host itself; for a wildcard, one label under its base (a hit).
    Same,
    /// All the recipe's labels in front of the host or base.
    Sub,
    /// The host without its first label; a wildcard's base itself (its apex).
    Parent,
    /// A label glued to the host or base without a dot (`bar` + `foo.com`).
    Glue,
    /// The host's first label (for a wildcard, the base's) replaced.
    Swap,
}

const SHAPES: &[Shape] = &[
    Shape::Same,
    Shape::Same,
    Shape::Same,
    Shape::Same,
    Shape::Sub,
    Shape::Sub,
    Shape::Parent,
    Shape::Parent,
    Shape::Glue,
    Shape::Swap,
];

/// How to make an origin from one of a policy's rules, so that generated origins hit
/// generated rules often, and miss them narrowly otherwise.
#[derive(Debug, Clone)]
struct Recipe {
    rule: Index,
    shape: Shape,
    labels: Vec<String>,
    port: Option<u16>,
    other_scheme: bool,
}

fn recipe() -> impl Strategy<Value = Recipe> {
    (
        any::<Index>(),
        any::<u64>(),
        prop::collection::vec(label(), 1..=2),
    )
        .prop_map(|(rule, bits, labels)| {
            let mut b = Bits(bits);
            Recipe {
                rule,
                shape: b.pick(SHAPES),
                port: b.one_in(5).then(|| b.pick(PORTS)),
                other_scheme: b.below(20) >= 17,
                labels,
            }
        })
}

/// The canonical origin a recipe makes from one of `rules`, if there are any.
fn derive(rules: &[&Rule], recipe: &Recipe) -> Option<String> {
    (!rules.is_empty()).then(|| derive_from(&recipe.rule.get(rules).to_pattern(), recipe))
}

/// The canonical origin a recipe makes from `pattern`.
fn derive_from(pattern: &Pattern, recipe: &Recipe) -> String {
    let scheme = match (pattern.scheme(), recipe.other_scheme) {
        (Scheme::Https, true) => Scheme::Http,
        (Scheme::Http, true) => Scheme::Https,
        (scheme, false) => scheme,
    };
    let first = &recipe.labels[0];
    // Gluing `xn--…` in front of a label would make an invalid punycode label.
    let glue = first.trim_start_matches("xn--");
    let prefix = recipe.labels.join(".");
    let drop_first = |name: &str| name.split_once('.').map(|(_, rest)| rest.to_owned());
    let host = match pattern.host() {
        HostPattern::Exact(host) if host.kind() != HostKind::Domain => host.to_string(),
        HostPattern::Exact(host) => {
            let host = host.to_string();
            match recipe.shape {
                Shape::Same => host,
                Shape::Sub => format!("{prefix}.{host}"),
                Shape::Parent => drop_first(&host).unwrap_or(host),
                Shape::Glue => format!("{glue}{host}"),
                Shape::Swap => match drop_first(&host) {
                    Some(rest) => format!("{first}.{rest}"),
                    None => first.clone(),
                },
            }
        }
        HostPattern::Subdomains(base) => match recipe.shape {
            Shape::Same => format!("{first}.{base}"),
            Shape::Sub => format!("{prefix}.{base}"),
            Shape::Parent => base.clone(),
            Shape::Glue => format!("{glue}{base}"),
            Shape::Swap => match drop_first(base) {
                Some(rest) => format!("{prefix}.{rest}"),
                None => format!("{prefix}.{first}"),
            },
        },
        HostPattern::LabelWildcard {
            prefix: front,
            suffix: back,
            base,
        } => match recipe.shape {
            Shape::Same => format!("{front}{glue}{back}.{base}"),
            Shape::Sub => format!("{prefix}.{front}{glue}{back}.{base}"),
            Shape::Parent => base.clone(),
            Shape::Glue => format!("{front}{back}.{base}"),
            Shape::Swap => format!("{front}{glue}{back}x.{base}"),
        },
        other => panic!("a host pattern this test does not know: {other}"),
    };
    let port = recipe.port.unwrap_or(match pattern.port() {
        PortSpec::Exact(port) => port,
        PortSpec::Any => scheme.default_port(),
    });
    text::origin(scheme, &host, port)
}

/// Material for an origin near a wildcard's base.
fn near_material() -> impl Strategy<Value = (u64, Vec<String>, String)> {
    (any::<u64>(), prop::collection::vec(label(), 0..=3), label())
}

/// An origin near `base`: labels in front of it, sometimes one glued to it without a dot
/// (`evilberbix.com`), sometimes something after it (`berbix.com.evil.net`).
fn near(base: &str, (bits, labels, glued): &(u64, Vec<String>, String)) -> String {
    let mut b = Bits(*bits);
    let scheme = scheme(&mut b);
    let mut host = labels.join(".");
    if !host.is_empty() {
        host.push('.');
    }
    if b.one_in(3) {
        host.push_str(glued.trim_start_matches("xn--"));
    }
    let tail = b.pick(&["", "", "", "", "", ".", "x", ".evil.net", ".com"]);
    format!("{scheme}://{host}{base}{tail}{}", b.pick(PORT_SUFFIXES))
}

fn loopback_origin() -> impl Strategy<Value = String> {
    (any::<u64>(), label()).prop_map(|(bits, label)| {
        let mut b = Bits(bits);
        let scheme = scheme(&mut b);
        let port = b.pick(PORT_SUFFIXES);
        let host = match b.below(3) {
            0 => b.pick(LOOPBACK_ORIGINS)["https://".len()..].to_owned(),
            1 => format!("{label}.localhost"),
            _ => Ipv4Addr::from(0x7f00_0000 | (b.0 as u32 & 0x00ff_ffff)).to_string(),
        };
        format!("{scheme}://{host}{port}")
    })
}

/// Loopback by the definition in the crate docs, written out independently of the crate:
/// `localhost`, names under `.localhost`, `127.0.0.0/8`, `[::1]` and its IPv4-mapped forms.
fn is_loopback(origin: &Origin<'_>) -> bool {
    let host = origin.host();
    match origin.host_kind() {
        HostKind::Domain => host == "localhost" || host.ends_with(".localhost"),
        HostKind::Ipv4 => host
            .parse::<Ipv4Addr>()
            .is_ok_and(|addr| addr.octets()[0] == 127),
        HostKind::Ipv6 => host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<Ipv6Addr>()
            .is_ok_and(|addr| {
                addr == Ipv6Addr::LOCALHOST
                    || addr
                        .to_ipv4_mapped()
                        .is_some_and(|v4| v4.octets()[0] == 127)
            }),
    }
}

// ---------------------------------------------------------------------------------------
// (1) Wildcards
// ---------------------------------------------------------------------------------------

/// `*.base` allows exactly the domains ending in `.base` (any port here): never `base`
/// itself in any spelling, never an IP address, never a host that does not end in
/// `.base`, and in live mode never `http`.
#[test]
fn a_wildcard_matches_only_proper_subdomains_of_its_base() {
    let tally = Tally::default();
    proptest!(config(), |(
        base in prop_oneof![
            3 => base(),
            1 => prop::sample::select(PUBLIC_SUFFIXES).prop_map(str::to_owned),
        ],
        near_origins in prop::collection::vec(near_material(), 1..10),
        others in prop::collection::vec(origin(), 0..3),
        ip_bits in any::<u64>(),
        spellings in prop::collection::vec(spelling(), 2),
    )| {
        let entries = [
            (Mode::Live, format!("https://*.{base}:*")),
            (Mode::Test, format!("https://*.{base}:*")),
            (Mode::Test, format!("http://*.{base}:*")),
        ];
        let policy = build(&entries, true).expect("wildcards over a non-loopback base build");
        let pattern = policy.rules(Mode::Live)[0].to_pattern();
        let mut b = Bits(ip_bits);
        let (ip, v6) = (ipv4(&mut b), b.pick(IPV6));
        let mut own = vec![
            format!("https://{base}"),
            format!("http://{base}:8080"),
            format!("https://{base}."),
            format!("https://{}", base.to_ascii_uppercase()),
            format!("https://{ip}"),
            format!("http://{ip}:3000"),
            format!("http://{v6}"),
        ];
        let apex = Origin::parse(&own[0]).unwrap().into_owned();
        own.extend(spellings.iter().map(|s| respell_origin(&apex, s)));
        for origin in &own {
            for mode in Mode::ALL {
                prop_assert!(!policy.is_allowed(mode, origin), "{mode} {origin}");
            }
        }
        own.extend(near_origins.iter().map(|material| near(&base, material)));
        own.extend(others);
        let dotted = format!(".{base}");
        let mut allowed_any = false;
        for origin in &own {
            let parsed = Origin::parse(origin);
            for mode in Mode::ALL {
                tally.add("checks");
                let allowed = policy.is_allowed(mode, origin);
                let expected = parsed.as_ref().is_ok_and(|o| {
                    o.host_kind() == HostKind::Domain
                        && o.host().ends_with(&dotted)
                        && (mode == Mode::Test || o.scheme() == Scheme::Https)
                });
                prop_assert_eq!(allowed, expected, "{} {} ({:?})", mode, origin, parsed);
                tally.add(if allowed { "allowed" } else { "denied" });
                allowed_any |= allowed;
            }
            if let Ok(parsed) = &parsed {
                let expected = parsed.host_kind() == HostKind::Domain
                    && parsed.host().ends_with(&dotted)
                    && parsed.scheme() == Scheme::Https;
                prop_assert_eq!(pattern.matches(parsed), expected, "{} {}", pattern, origin);
            }
        }
        tally.add("cases");
        if allowed_any {
            tally.add("cases with an allowed origin");
        }
    });
    let name = "a_wildcard_matches_only_proper_subdomains_of_its_base";
    tally.report(name);
    tally.require(name, "cases with an allowed origin", "cases", 0.6);
    tally.require(name, "allowed", "checks", 0.05);
}

// ---------------------------------------------------------------------------------------
// (2) Adding and removing rules
// ---------------------------------------------------------------------------------------

/// An entry that overlaps one of `rules`: the host of an origin the recipe makes from it,
/// or a wildcard over that host's parent, in the rule's mode, with some port. Returns the
/// origin too.
fn overlapping_entry(
    rules: &[&Rule],
    recipe: &Recipe,
    bits: u64,
) -> Option<((Mode, String), String)> {
    if rules.is_empty() {
        return None;
    }
    let rule = *recipe.rule.get(rules);
    let origin = derive_from(&rule.to_pattern(), recipe);
    let parsed = Origin::parse(&origin).ok()?;
    let mut b = Bits(bits);
    let port = port_text(&mut b);
    let host = match parsed.host().split_once('.') {
        Some((_, parent)) if b.one_in(2) && parsed.host_kind() == HostKind::Domain => {
            format!("*.{parent}")
        }
        _ => parsed.host().to_owned(),
    };
    let text = write_pattern(parsed.scheme(), &host, port, &Spelling::default());
    Some(((rule.mode(), text), origin))
}

/// Adding a rule, anywhere in the list, never takes away an allowed origin; and whatever
/// the extra rule allows on its own, the bigger policy allows too. The extra rule often
/// overlaps an existing one: same host on another port, a subdomain, a wildcard over it.
#[test]
fn adding_a_rule_never_removes_an_allowed_origin() {
    let tally = Tally::default();
    proptest!(config(), |(
        entries in prop::collection::vec(entry(), 0..10),
        extra in entry(),
        overlap in prop::option::weighted(0.7, (recipe(), any::<u64>())),
        at in any::<Index>(),
        mut origins in prop::collection::vec(origin(), 0..4),
        recipes in prop::collection::vec(recipe(), 4..16),
        opt_out in any::<bool>(),
    )| {
        tally.add("cases");
        let Some(before) = build(&entries, opt_out) else { return Ok(()) };
        let overlapping = overlap.and_then(|(recipe, bits)| {
            overlapping_entry(&all_rules(&before), &recipe, bits)
        });
        let extra = match overlapping {
            Some((entry, origin)) => {
                tally.add("overlapping extra rules");
                origins.push(origin);
                entry
            }
            None => extra,
        };
        let Some(alone) = build(std::slice::from_ref(&extra), opt_out) else { return Ok(()) };
        let mut more = entries.clone();
        more.insert(at.index(entries.len() + 1), extra.clone());
        let after = build(&more, opt_out);
        prop_assert!(after.is_some(), "entries that build apart build together: {:?}", more);
        let after = after.unwrap();
        tally.add("built");
        let rules = all_rules(&after);
        origins.extend(recipes.iter().filter_map(|recipe| derive(&rules, recipe)));
        let mut kept = false;
        for origin in &origins {
            for mode in Mode::ALL {
                for (smaller, what) in [(&before, "the others"), (&alone, "the extra rule")] {
                    if smaller.is_allowed(mode, origin) {
                        kept = true;
                        prop_assert!(
                            after.is_allowed(mode, origin),
                            "{} {}: allowed by {} {:?}, denied by {:?}",
                            mode, origin, what, smaller, after
                        );
                    }
                }
            }
        }
        if kept {
            tally.add("cases with an origin allowed before");
        }
    });
    let name = "adding_a_rule_never_removes_an_allowed_origin";
    tally.report(name);
    tally.require(name, "built", "cases", 0.5);
    tally.require(name, "cases with an origin allowed before", "built", 0.5);
    tally.require(name, "overlapping extra rules", "cases", 0.4);
}

/// Without rules nothing is allowed, and the reason is `NoMatchingRule` exactly when the
/// origin is well-formed. Removing every rule of one mode denies everything in that mode
/// and changes nothing in the other.
#[test]
fn removing_every_rule_denies_everything() {
    let tally = Tally::default();
    let empty = Policy::builder().build().unwrap();
    proptest!(config(), |(
        entries in prop::collection::vec(entry(), 1..10),
        opt_out in any::<bool>(),
        recipes in prop::collection::vec(recipe(), 4..16),
        junk in prop_oneof![arbitrary_string(), urlish(), origin()],
    )| {
        tally.add("cases");
        let Some(full) = build(&entries, opt_out) else { return Ok(()) };
        let only = |mode: Mode| {
            let kept: Vec<_> = entries.iter().filter(|(m, _)| *m == mode).cloned().collect();
            build(&kept, opt_out).expect("a subset of good entries builds")
        };
        let (live_only, test_only) = (only(Mode::Live), only(Mode::Test));
        let rules = all_rules(&full);
        let mut origins: Vec<String> =
            recipes.iter().filter_map(|recipe| derive(&rules, recipe)).collect();
        origins.push(junk);
        let mut allowed = false;
        for origin in &origins {
            let well_formed = Origin::parse(origin).is_ok();
            for mode in Mode::ALL {
                let decision = full.check(mode, origin);
                allowed |= decision.is_allowed();
                let none = empty.check(mode, origin);
                prop_assert!(!none.is_allowed(), "{} {}: {}", mode, origin, none);
                prop_assert_eq!(
                    none.deny_reason() == Some(DenyReason::NoMatchingRule),
                    well_formed,
                    "{} {:?}: {}", mode, origin, none
                );
                let (same, other) = match mode {
                    Mode::Live => (&live_only, &test_only),
                    Mode::Test => (&test_only, &live_only),
                };
                prop_assert_eq!(same.check(mode, origin), decision, "{} {}", mode, origin);
                prop_assert_eq!(other.check(mode, origin), none, "{} {}", mode, origin);
            }
        }
        tally.add("built");
        if allowed {
            tally.add("cases where the full policy allowed an origin");
        }
    });
    let name = "removing_every_rule_denies_everything";
    tally.report(name);
    tally.require(name, "built", "cases", 0.5);
    tally.require(
        name,
        "cases where the full policy allowed an origin",
        "built",
        0.5,
    );
}

// ---------------------------------------------------------------------------------------
// (3) Spellings of one origin
// ---------------------------------------------------------------------------------------

/// Case, a trailing dot (`.` or `。`), other full stops, fullwidth characters, an explicit
/// default port, and the Unicode form of a punycode label change nothing: the origin parses
/// the same, and gets the same decision from the same rule in both modes.
#[test]
fn respelling_an_origin_does_not_change_the_decision() {
    let tally = Tally::default();
    proptest!(config(), |(
        entries in prop::collection::vec(entry(), 0..10),
        opt_out in any::<bool>(),
        random in origin(),
        recipe in prop::option::weighted(0.85, recipe()),
        spellings in prop::collection::vec(spelling(), 1..6),
    )| {
        tally.add("cases");
        let Some(policy) = build(&entries, opt_out) else { return Ok(()) };
        let rules = all_rules(&policy);
        let origin = recipe
            .and_then(|recipe| derive(&rules, &recipe))
            .unwrap_or(random);
        let parsed = Origin::parse(&origin);
        prop_assert!(parsed.is_ok(), "generated origin {:?}: {:?}", origin, parsed);
        let parsed = parsed.unwrap().into_owned();
        let decisions = Mode::ALL.map(|mode| policy.check(mode, &origin));
        tally.add("built");
        if decisions.iter().any(Decision::is_allowed) {
            tally.add("allowed");
        }
        for s in &spellings {
            let variant = respell_origin(&parsed, s);
            tally.add("variants");
            if !variant.is_ascii() {
                tally.add("non-ASCII variants");
            }
            if IDN.iter().any(|(unicode, _)| variant.to_lowercase().contains(unicode)) {
                tally.add("variants with a Unicode label");
            }
            let reparsed = Origin::parse(&variant).map(Origin::into_owned);
            prop_assert_eq!(reparsed, Ok(parsed.clone()), "{:?} vs {:?}", variant, origin);
            for (mode, decision) in Mode::ALL.into_iter().zip(decisions) {
                prop_assert_eq!(
                    policy.check(mode, &variant), decision,
                    "{} {:?} vs {:?}", mode, variant, origin
                );
            }
        }
    });
    let name = "respelling_an_origin_does_not_change_the_decision";
    tally.report(name);
    tally.require(name, "built", "cases", 0.5);
    tally.require(name, "allowed", "built", 0.15);
    tally.require(name, "non-ASCII variants", "variants", 0.3);
    tally.require(name, "variants with a Unicode label", "variants", 0.05);
}

// ---------------------------------------------------------------------------------------
// (4) Live mode
// ---------------------------------------------------------------------------------------

/// Live mode never allows `http` or a loopback origin, whatever the rules. Entries that do
/// not build on their own are left out, so that the rest builds and the property is about
/// live rules that exist.
#[test]
fn live_never_allows_http_or_loopback() {
    let tally = Tally::default();
    proptest!(config(), |(
        entries in prop::collection::vec(any_entry(), 0..8),
        opt_out in any::<bool>(),
        mut origins in prop::collection::vec(origin(), 0..4),
        loopback in prop::collection::vec(loopback_origin(), 1..4),
        recipes in prop::collection::vec(recipe(), 1..12),
        spelling in spelling(),
    )| {
        tally.add("cases");
        let kept: Vec<_> = entries
            .iter()
            .filter(|entry| build(std::slice::from_ref(entry), opt_out).is_some())
            .cloned()
            .collect();
        if kept.len() < entries.len() {
            tally.add("cases with a refused entry");
        }
        let policy = build(&kept, opt_out);
        prop_assert!(policy.is_some(), "entries that build alone build together: {:?}", kept);
        let policy = policy.unwrap();
        if policy.rules(Mode::Live).is_empty() {
            return Ok(());
        }
        tally.add("cases with live rules");
        // Made from the rules of both modes: test-mode loopback and `http` rules, live
        // rules with the scheme switched to `http`, and all of them respelled.
        origins.extend(loopback);
        let rules = all_rules(&policy);
        origins.extend(recipes.iter().filter_map(|recipe| derive(&rules, recipe)));
        let as_http = Recipe {
            shape: Shape::Same,
            port: None,
            other_scheme: true,
            ..recipes[0].clone()
        };
        for rule in policy.rules(Mode::Live) {
            origins.push(derive_from(&rule.to_pattern(), &as_http));
        }
        let respelled: Vec<String> = origins
            .iter()
            .filter_map(|origin| Origin::parse(origin).ok())
            .map(|origin| respell_origin(&origin, &spelling))
            .collect();
        origins.extend(respelled);
        let mut allowed_any = false;
        for origin in origins.iter().map(String::as_str).chain(LOOPBACK_ORIGINS.iter().copied()) {
            let parsed = Origin::parse(origin);
            if parsed.as_ref().is_ok_and(|o| o.scheme() == Scheme::Http || is_loopback(o)) {
                tally.add("http or loopback origins checked");
            }
            let decision = policy.check(Mode::Live, origin);
            if decision.is_allowed() {
                allowed_any = true;
                let parsed = parsed.unwrap();
                prop_assert_eq!(parsed.scheme(), Scheme::Https, "{} allowed in live by {}", origin, decision);
                prop_assert!(!is_loopback(&parsed), "{} allowed in live by {}", origin, decision);
                prop_assert!(!parsed.is_loopback(), "{} allowed in live by {}", origin, decision);
            }
        }
        if allowed_any {
            tally.add("cases where live allowed an origin");
        }
    });
    let name = "live_never_allows_http_or_loopback";
    tally.report(name);
    tally.require(name, "cases with live rules", "cases", 0.5);
    tally.require(name, "cases with a refused entry", "cases", 0.3);
    tally.require(
        name,
        "cases where live allowed an origin",
        "cases with live rules",
        0.5,
    );
    tally.require(
        name,
        "http or loopback origins checked",
        "cases with live rules",
        20.0,
    );
}

// ---------------------------------------------------------------------------------------
// (5) The index against the reference matcher
// ---------------------------------------------------------------------------------------

const DIFF_PORTS: &[PortText] = &[
    PortText::Omitted,
    PortText::Omitted,
    PortText::Omitted,
    PortText::Omitted,
    PortText::DefaultWritten,
    PortText::Exact(443),
    PortText::Exact(80),
    PortText::Exact(8443),
    PortText::Any,
    PortText::Any,
];

/// `1..=max` labels from [`DIFF_LABELS`] under one of [`DIFF_SUFFIXES`].
fn diff_domain(b: &mut Bits, max: usize) -> String {
    let depth = b.between(1, max);
    let labels = text::picked_labels(b, DIFF_LABELS, depth);
    text::domain(&[labels], b.pick(DIFF_SUFFIXES))
}

/// One entry of a big rule set, valid in its mode (with the opt-out): wildcards and exact
/// hosts over a small alphabet, public-suffix wildcards, IP addresses, loopback hosts in
/// test mode, both schemes in test mode, a few ports.
fn diff_entry() -> impl Strategy<Value = (Mode, String)> {
    (any::<u64>(), rule_spelling()).prop_map(|(bits, s)| {
        let mut b = Bits(bits);
        let test = b.one_in(2);
        let http = b.one_in(3);
        let port = b.pick(DIFF_PORTS);
        let (host, loopback) = match b.below(15) {
            0..=11 => {
                let host = diff_domain(&mut b, 3);
                (
                    match b.below(10) {
                        0..=3 => format!("*.{host}"),
                        4 | 5 => {
                            let (front, back) = label_wildcard_parts(&mut b);
                            format!("{front}*{back}.{host}")
                        }
                        _ => host,
                    },
                    false,
                )
            }
            12 => (b.pick(&["*.com", "*.co.uk", "*.uk"]).to_owned(), false),
            13 => (
                b.pick(&["10.0.0.1", "[2001:db8::1]", "[::ffff:102:304]"])
                    .to_owned(),
                false,
            ),
            _ => (
                b.pick(&["localhost", "*.localhost", "127.0.0.1", "[::1]"])
                    .to_owned(),
                true,
            ),
        };
        let mode = if test || loopback {
            Mode::Test
        } else {
            Mode::Live
        };
        let scheme = if mode == Mode::Test && http {
            Scheme::Http
        } else {
            Scheme::Https
        };
        (mode, write_pattern(scheme, &host, port, &s))
    })
}

/// An origin over the same alphabet, made without looking at the rules.
fn diff_origin() -> impl Strategy<Value = String> {
    any::<u64>().prop_map(|bits| {
        let mut b = Bits(bits);
        let scheme = scheme(&mut b);
        let port = b.pick(&["", "", "", ":443", ":80", ":8443", ":3000"]);
        format!("{scheme}://{}{port}", diff_domain(&mut b, 4))
    })
}

/// `Policy::check` (the compiled index, and the allocation-free parser for canonical
/// input) agrees with the naive reference matcher (every rule in turn, WHATWG parsing
/// only) on the decision and on the rule, for rule sets of up to 300 rules.
#[test]
fn check_agrees_with_the_reference_matcher() {
    let tally = Tally::default();
    let entries =
        |sizes: std::ops::RangeInclusive<usize>| prop::collection::vec(diff_entry(), sizes);
    proptest!(config(), |(
        entries in prop_oneof![
            5 => entries(0..=20),
            3 => entries(21..=100),
            1 => entries(101..=300),
        ],
        recipes in prop::collection::vec((recipe(), any::<u64>(), spelling()), 6..=16),
        randoms in prop::collection::vec(diff_origin(), 0..=4),
    )| {
        let policy = build(&entries, true);
        prop_assert!(policy.is_some(), "generated entries build: {:?}", entries);
        let policy = policy.unwrap();
        tally.add("cases");
        if entries.len() > 100 {
            tally.add("cases with over 100 rules");
        }
        let rules = all_rules(&policy);
        let mut origins = randoms;
        for (recipe, respell, spelling) in &recipes {
            let Some(origin) = derive(&rules, recipe) else { continue };
            if respell % 4 == 3 {
                let parsed = Origin::parse(&origin).map(Origin::into_owned);
                origins.extend(parsed.ok().map(|parsed| respell_origin(&parsed, spelling)));
            }
            origins.push(origin);
        }
        for origin in &origins {
            let fast = Origin::parse(origin).map(Origin::into_owned);
            prop_assert_eq!(&fast, &reference::parse_origin(origin), "{:?}", origin);
            for mode in Mode::ALL {
                let decision = policy.check(mode, origin);
                let expected = reference::check(&policy, mode, origin);
                prop_assert_eq!(
                    decision, expected,
                    "{} {:?} with {} {} rules", mode, origin, policy.rules(mode).len(), mode
                );
                tally.add("checks");
                let pattern = decision.rule().map(|rule| rule.to_pattern());
                tally.add(match pattern.as_ref().map(|pattern| pattern.host()) {
                    None => "denied",
                    Some(HostPattern::Exact(_)) => "allowed by an exact host",
                    Some(HostPattern::Subdomains(_)) => "allowed by a wildcard",
                    Some(HostPattern::LabelWildcard { .. }) => "allowed by a label wildcard",
                    Some(other) => panic!("a host pattern this test does not know: {other}"),
                });
            }
        }
    });
    let name = "check_agrees_with_the_reference_matcher";
    tally.report(name);
    tally.require(name, "cases with over 100 rules", "cases", 0.05);
    tally.require(name, "denied", "checks", 0.2);
    tally.require(name, "allowed by an exact host", "checks", 0.05);
    tally.require(name, "allowed by a wildcard", "checks", 0.05);
}

// ---------------------------------------------------------------------------------------
// (6) Patterns round-trip
// ---------------------------------------------------------------------------------------

/// A valid pattern parses, in any spelling, to the pattern its plain spelling gives, and its
/// canonical text (lowercase ASCII) parses back to it.
#[test]
fn patterns_round_trip() {
    let tally = Tally::default();
    proptest!(config(), |(
        (bits, labels) in host_material(),
        port in any::<u64>(),
        s in spelling(),
    )| {
        let mut b = Bits(bits);
        let scheme = scheme(&mut b);
        let host = pattern_host(&mut b, &labels);
        let port = port_text(&mut Bits(port));
        let text = write_pattern(scheme, &host, port, &s);
        let plain = write_pattern(scheme, &host, port, &Spelling::default());
        let pattern = Pattern::parse(&text);
        prop_assert!(pattern.is_ok(), "generated pattern {:?} is invalid: {:?}", text, pattern);
        let pattern = pattern.unwrap();
        prop_assert_eq!(Pattern::parse(&plain), Ok(pattern.clone()), "{:?} vs {:?}", text, plain);
        let canonical = pattern.to_string();
        prop_assert!(
            canonical.is_ascii() && !canonical.bytes().any(|b| b.is_ascii_uppercase()),
            "{:?} -> {:?}", text, canonical
        );
        let again = Pattern::parse(&canonical);
        prop_assert_eq!(again.as_ref(), Ok(&pattern), "{:?} -> {:?}", text, canonical);
        prop_assert_eq!(again.unwrap().to_string(), canonical.as_str());
        let parsed: Pattern = canonical.parse().unwrap();
        prop_assert_eq!(parsed, pattern);
        tally.add("patterns");
        if !text.is_ascii() {
            tally.add("non-ASCII spellings");
        }
        if text != canonical {
            tally.add("spellings other than the canonical text");
        }
    });
    let name = "patterns_round_trip";
    tally.report(name);
    tally.require(name, "non-ASCII spellings", "patterns", 0.2);
    tally.require(
        name,
        "spellings other than the canonical text",
        "patterns",
        0.5,
    );
}

// ---------------------------------------------------------------------------------------
// (7) Arbitrary input
// ---------------------------------------------------------------------------------------

/// A policy with rules of every shape, built once for the no-panic property.
static FIXED_POLICY: LazyLock<Policy> = LazyLock::new(|| {
    Policy::builder()
        .allow(Mode::Live, "https://www.berbix.com")
        .allow(Mode::Live, "https://*.berbix.com")
        .allow(Mode::Live, "https://api.berbix.com:8443")
        .allow(Mode::Live, "https://*.xn--bcher-kva.example:*")
        .allow(Mode::Live, "https://10.0.0.1")
        .allow(Mode::Test, "http://localhost:*")
        .allow(Mode::Test, "http://*.localhost:*")
        .allow(Mode::Test, "http://127.0.0.1:3000")
        .allow(Mode::Test, "http://[::1]:*")
        .build()
        .unwrap()
});

/// Nothing panics on arbitrary input: checks, origin and pattern parsing, builds, and the
/// display of their results. On the way, checks agree with the reference matcher.
#[test]
fn nothing_panics_on_arbitrary_strings() {
    let tally = Tally::default();
    proptest!(config(), |(
        input in prop_oneof![arbitrary_string(), urlish()],
        mode_bits in any::<u64>(),
    )| {
        let mode = mode(&mut Bits(mode_bits));
        let policy = &*FIXED_POLICY;
        let decision = policy.check(mode, &input);
        let _ = decision.to_string();
        prop_assert_eq!(policy.is_allowed(mode, &input), decision.is_allowed());
        prop_assert_eq!(decision, reference::check(policy, mode, &input), "{:?}", input);
        tally.add("inputs");
        if let Ok(origin) = Origin::parse(&input) {
            tally.add("well-formed origins");
            let _ = (origin.to_string(), origin.is_loopback(), origin.into_owned());
        }
        match Pattern::parse(&input) {
            Ok(pattern) => {
                let _ = pattern.to_string();
            }
            Err(err) => {
                let _ = err.to_string();
                let _ = &err.pattern()[err.span().range()];
            }
        }
        let mut builder = Policy::builder();
        builder.allow(mode, &input).allow(mode, "https://ok.example.com");
        match builder.build() {
            Ok(policy) => {
                let _ = policy.check(mode, &input).to_string();
            }
            Err(err) => {
                let _ = err.to_string();
            }
        }
    });
    let name = "nothing_panics_on_arbitrary_strings";
    tally.report(name);
    tally.require(name, "well-formed origins", "inputs", 0.02);
}
