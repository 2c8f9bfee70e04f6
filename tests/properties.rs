//! Properties of policies and patterns, checked with proptest over generated rules and
//! origins. The alphabets are small on purpose, and many origins are made from the rules
//! of the policy under test, so that generated origins often hit generated rules.
//!
//! Each property runs proptest's default 256 cases; for a deeper run:
//!
//! ```text
//! PROPTEST_CASES=20000 cargo test --release --all-features --test properties
//! ```

use proptest::prelude::*;

use origin_policy::{HostKind, HostPattern, Mode, Origin, Pattern, Policy, PortSpec, Rule, Scheme};

// ---------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------

const LABELS: &[&str] = &[
    "foo",
    "bar",
    "barfoo",
    "berbix",
    "evilberbix",
    "www",
    "a",
    "a_b",
    "x-y",
    "7",
    "xn--bcher-kva",
    "localhost",
];

/// Suffixes under which `label.suffix` is registrable.
const SUFFIXES: &[&str] = &["com", "co.uk", "io", "github.io"];

const PORTS: &[u16] = &[1, 80, 443, 3000, 8443, 65535];

const IPV6: &[&str] = &[
    "[::1]",
    "[::]",
    "[2001:db8::1]",
    "[::ffff:127.0.0.1]",
    "[::ffff:102:304]",
];

fn label() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(LABELS).prop_map(str::to_owned),
        1 => "[a-z][a-z0-9]{0,6}",
        1 => "[a-z]{1,3}-[a-z0-9]{1,3}",
    ]
}

fn suffix() -> impl Strategy<Value = &'static str> {
    prop::sample::select(SUFFIXES)
}

/// A registrable domain: a label under a public suffix.
fn base() -> impl Strategy<Value = String> {
    (label(), suffix()).prop_map(|(label, suffix)| format!("{label}.{suffix}"))
}

/// A domain at or under a registrable base, up to three labels deeper.
fn domain() -> impl Strategy<Value = String> {
    (prop::collection::vec(label(), 0..=3), base()).prop_map(|(labels, base)| {
        let mut parts = labels;
        parts.push(base);
        parts.join(".")
    })
}

fn ipv4() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("127.0.0.1".to_owned()),
        Just("10.0.0.1".to_owned()),
        any::<[u8; 4]>().prop_map(|[a, b, c, d]| format!("{a}.{b}.{c}.{d}")),
    ]
}

fn ipv6() -> impl Strategy<Value = String> {
    prop::sample::select(IPV6).prop_map(str::to_owned)
}

fn scheme() -> impl Strategy<Value = Scheme> {
    prop_oneof![Just(Scheme::Https), Just(Scheme::Http)]
}

fn mode() -> impl Strategy<Value = Mode> {
    prop_oneof![Just(Mode::Live), Just(Mode::Test)]
}

/// A host as an origin carries it, in canonical form.
fn origin_host() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => domain(),
        1 => ipv4(),
        1 => ipv6(),
        1 => prop::sample::select(&["localhost", "app.localhost", "a.b.localhost"][..])
            .prop_map(str::to_owned),
    ]
}

fn port_suffix() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => Just(String::new()),
        1 => prop::sample::select(PORTS).prop_map(|port| format!(":{port}")),
    ]
}

/// A canonical-looking origin.
fn origin() -> impl Strategy<Value = String> {
    (scheme(), origin_host(), port_suffix())
        .prop_map(|(scheme, host, port)| format!("{scheme}://{host}{port}"))
}

/// Strings made of the characters URLs are made of, often starting like an origin.
fn urlish() -> impl Strategy<Value = String> {
    let body = "[a-zA-Z0-9.:/@%?#*,_\\[\\] \\\\-]{0,30}";
    prop_oneof![
        body,
        (
            prop::sample::select(&["https://", "http://", "HTTP://", "https:", "ftp://", ""][..]),
            body,
        )
            .prop_map(|(prefix, rest)| format!("{prefix}{rest}")),
        (origin(), body).prop_map(|(origin, rest)| format!("{origin}{rest}")),
    ]
}

/// The host part of a valid pattern, in canonical form.
fn pattern_host() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => domain(),
        3 => (prop::collection::vec(label(), 0..=1), base()).prop_map(|(labels, base)| {
            let mut parts = labels;
            parts.push(base);
            format!("*.{}", parts.join("."))
        }),
        1 => ipv4(),
        1 => ipv6(),
        1 => prop::sample::select(&["localhost", "*.localhost", "app.localhost"][..])
            .prop_map(str::to_owned),
    ]
}

#[derive(Debug, Clone, Copy)]
enum PortWriting {
    Omitted,
    Default,
    Exact(u16),
    Any,
}

fn port_writing() -> impl Strategy<Value = PortWriting> {
    prop_oneof![
        Just(PortWriting::Omitted),
        Just(PortWriting::Default),
        prop::sample::select(PORTS).prop_map(PortWriting::Exact),
        (1u16..=65535).prop_map(PortWriting::Exact),
        Just(PortWriting::Any),
    ]
}

/// The text of a valid pattern, in one of the spellings a user may write.
fn pattern_text_with(
    scheme: impl Strategy<Value = Scheme>,
    host: impl Strategy<Value = String>,
) -> impl Strategy<Value = String> {
    (scheme, host, port_writing(), 0..8u8, any::<bool>()).prop_map(
        |(scheme, host, port, spelling, slash)| {
            let ipv6 = host.starts_with('[');
            let host = match spelling {
                1 => host.to_ascii_uppercase(),
                2 if !ipv6 => format!("{host}."),
                3 => host.replace("xn--bcher-kva", "bücher"),
                4 => host.replace("xn--bcher-kva", "BÜCHER"),
                _ => host,
            };
            let scheme = match spelling {
                1 | 5 => scheme.as_str().to_ascii_uppercase(),
                _ => scheme.as_str().to_owned(),
            };
            let port = match port {
                PortWriting::Omitted => String::new(),
                PortWriting::Default if scheme.eq_ignore_ascii_case("https") => ":443".into(),
                PortWriting::Default => ":80".into(),
                PortWriting::Exact(port) => format!(":{port}"),
                PortWriting::Any => ":*".into(),
            };
            let slash = if slash { "/" } else { "" };
            let text = format!("{scheme}://{host}{port}{slash}");
            if spelling == 6 {
                format!(" {text}\t")
            } else {
                text
            }
        },
    )
}

fn pattern_text() -> impl Strategy<Value = String> {
    pattern_text_with(scheme(), pattern_host())
}

/// An entry that builds in its mode (given the public-suffix opt-out): `https` and no
/// loopback host in live mode.
fn entry() -> impl Strategy<Value = (Mode, String)> {
    prop_oneof![
        pattern_text_with(Just(Scheme::Https), domain()).prop_map(|text| (Mode::Live, text)),
        pattern_text_with(
            Just(Scheme::Https),
            base().prop_map(|base| format!("*.{base}"))
        )
        .prop_map(|text| (Mode::Live, text)),
        pattern_text().prop_map(|text| (Mode::Test, text)),
    ]
}

/// Any entry, valid or not in its mode: `http` or a loopback host in live mode does not
/// build, nor does a wildcard over a public suffix without the opt-out.
fn any_entry() -> impl Strategy<Value = (Mode, String)> {
    prop_oneof![
        3 => entry(),
        1 => (mode(), pattern_text()),
        1 => (mode(), pattern_text_with(scheme(), suffix().prop_map(|s| format!("*.{s}")))),
    ]
}

fn build(entries: &[(Mode, String)], public_suffix_opt_out: bool) -> Option<Policy> {
    let mut builder = Policy::builder();
    builder.allow_public_suffix_wildcards(public_suffix_opt_out);
    for (mode, text) in entries {
        builder.allow(*mode, text);
    }
    builder.build().ok()
}

/// How to make an origin from one of a policy's rules, so that generated origins hit
/// generated rules often: a hit, a wildcard's apex, a subdomain of an exact host, another
/// port or the other scheme.
#[derive(Debug, Clone)]
struct Recipe {
    rule: prop::sample::Index,
    labels: Vec<String>,
    port: Option<u16>,
    other_scheme: bool,
}

fn recipe() -> impl Strategy<Value = Recipe> {
    (
        any::<prop::sample::Index>(),
        prop::collection::vec(label(), 0..=2),
        prop::option::weighted(0.2, prop::sample::select(PORTS)),
        prop::bool::weighted(0.2),
    )
        .prop_map(|(rule, labels, port, other_scheme)| Recipe {
            rule,
            labels,
            port,
            other_scheme,
        })
}

/// The origin a recipe makes from the rules of `policy`, if it has any.
fn derive(policy: &Policy, recipe: &Recipe) -> Option<String> {
    let rules: Vec<&Rule> = Mode::ALL.iter().flat_map(|&m| policy.rules(m)).collect();
    if rules.is_empty() {
        return None;
    }
    let pattern = recipe.rule.get(&rules).pattern();
    let scheme = match (pattern.scheme(), recipe.other_scheme) {
        (Scheme::Https, true) => Scheme::Http,
        (Scheme::Http, true) => Scheme::Https,
        (scheme, false) => scheme,
    };
    let prefix = recipe.labels.join(".");
    let host = match pattern.host() {
        HostPattern::Exact(host) if recipe.labels.len() == 2 && host.kind() == HostKind::Domain => {
            format!("{prefix}.{host}")
        }
        HostPattern::Exact(host) => host.to_string(),
        HostPattern::Subdomains(base) if prefix.is_empty() => base.clone(),
        HostPattern::Subdomains(base) => format!("{prefix}.{base}"),
    };
    let port = recipe.port.unwrap_or(match pattern.port() {
        PortSpec::Exact(port) => port,
        PortSpec::Any => scheme.default_port(),
    });
    Some(if port == scheme.default_port() {
        format!("{scheme}://{host}")
    } else {
        format!("{scheme}://{host}:{port}")
    })
}

/// Origins that a wildcard over `base` must or must not allow.
fn origins_around(base: String) -> impl Strategy<Value = (String, Vec<String>)> {
    let near = (
        scheme(),
        prop::collection::vec(label(), 0..=3),
        label(),
        prop_oneof![
            4 => Just(""),
            1 => prop::sample::select(&[".", "x", ".evil.net", ".com"][..]),
        ],
        port_suffix(),
    )
        .prop_map({
            let base = base.clone();
            move |(scheme, labels, glued, tail, port)| {
                let mut host = labels.join(".");
                if !host.is_empty() {
                    host.push('.');
                }
                // Sometimes glue a label to the base without a dot: `evilberbix.com`.
                if glued.len() % 3 == 0 {
                    host.push_str(&glued);
                }
                format!("{scheme}://{host}{base}{tail}{port}")
            }
        });
    let others = prop::collection::vec(prop_oneof![near, origin()], 1..12);
    (Just(base), others)
}

// ---------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------

// The default configuration: 256 cases per property, or `PROPTEST_CASES` for a deeper run.
proptest! {

    /// `*.base` allows exactly the domains ending in `.base` (any port here), never
    /// `base` itself, never an IP address.
    #[test]
    fn a_wildcard_allows_exactly_proper_subdomains(
        (base, origins) in prop_oneof![
            3 => base(),
            1 => suffix().prop_map(str::to_owned),
        ].prop_flat_map(origins_around),
        ip in ipv4(),
        v6 in ipv6(),
    ) {
        let entries = [
            (Mode::Live, format!("https://*.{base}:*")),
            (Mode::Test, format!("https://*.{base}:*")),
            (Mode::Test, format!("http://*.{base}:*")),
        ];
        let policy = build(&entries, true).expect("wildcards over a non-loopback base build");
        let mut own = vec![
            format!("https://{base}"),
            format!("http://{base}:8080"),
            format!("https://{base}."),
            format!("https://{ip}"),
            format!("http://{ip}:3000"),
            format!("http://{v6}"),
        ];
        for origin in &own {
            for mode in Mode::ALL {
                prop_assert!(!policy.is_allowed(mode, origin), "{mode} {origin}");
            }
        }
        own.extend(origins);
        let dotted = format!(".{base}");
        for origin in &own {
            let parsed = Origin::parse(origin);
            for mode in Mode::ALL {
                let allowed = policy.is_allowed(mode, origin);
                let expected = parsed.as_ref().is_ok_and(|o| {
                    o.host_kind() == HostKind::Domain
                        && o.host().ends_with(&dotted)
                        && (mode == Mode::Test || o.scheme() == Scheme::Https)
                });
                prop_assert_eq!(allowed, expected, "{} {} ({:?})", mode, origin, parsed);
            }
        }
    }

    /// Adding a rule never takes away an allowed origin.
    #[test]
    fn adding_a_rule_is_monotone(
        entries in prop::collection::vec(entry(), 0..8),
        extra in entry(),
        at in any::<prop::sample::Index>(),
        mut origins in prop::collection::vec(origin(), 0..4),
        recipes in prop::collection::vec(recipe(), 1..16),
        opt_out in any::<bool>(),
    ) {
        let Some(before) = build(&entries, opt_out) else { return Ok(()) };
        let mut more = entries.clone();
        more.insert(at.index(entries.len() + 1), extra.clone());
        let Some(after) = build(&more, opt_out) else { return Ok(()) };
        origins.extend(recipes.iter().filter_map(|recipe| derive(&after, recipe)));
        for origin in &origins {
            for mode in Mode::ALL {
                if before.is_allowed(mode, origin) {
                    prop_assert!(
                        after.is_allowed(mode, origin),
                        "{} {}: allowed by {:?}, denied after adding {:?}",
                        mode, origin, before, extra
                    );
                }
            }
        }
    }

    /// An empty policy denies everything, and says why.
    #[test]
    fn an_empty_policy_denies_everything(
        input in prop_oneof![any::<String>(), urlish(), origin()],
    ) {
        let policy = Policy::builder().build().unwrap();
        for mode in Mode::ALL {
            let decision = policy.check(mode, &input);
            prop_assert!(!decision.is_allowed());
            let malformed = Origin::parse(&input).is_err();
            let no_rule = decision.deny_reason() == Some(origin_policy::DenyReason::NoMatchingRule);
            prop_assert_eq!(no_rule, !malformed, "{:?}: {}", input, decision);
        }
    }

    /// Case and one trailing dot change nothing: not the decision, not the rule.
    #[test]
    fn case_and_trailing_dot_do_not_matter(
        entries in prop::collection::vec(entry(), 0..8),
        opt_out in any::<bool>(),
        random in origin(),
        recipe in prop::option::weighted(0.8, recipe()),
        mask in prop::collection::vec(any::<bool>(), 64),
    ) {
        let Some(policy) = build(&entries, opt_out) else { return Ok(()) };
        let origin = recipe
            .and_then(|recipe| derive(&policy, &recipe))
            .unwrap_or(random);
        let parsed = Origin::parse(&origin).unwrap();
        let (scheme, host) = (parsed.scheme(), parsed.host());
        let port = match parsed.port() {
            port if port == scheme.default_port() => String::new(),
            port => format!(":{port}"),
        };
        let mut variants = vec![
            origin.to_ascii_uppercase(),
            origin
                .chars()
                .zip(mask.iter().cycle())
                .map(|(c, &up)| if up { c.to_ascii_uppercase() } else { c })
                .collect::<String>(),
        ];
        if parsed.host_kind() != HostKind::Ipv6 {
            variants.push(format!("{scheme}://{host}.{port}"));
            variants.push(format!("{}://{}.{port}", scheme.as_str().to_uppercase(), host.to_uppercase()));
        }
        for mode in Mode::ALL {
            let decision = policy.check(mode, &origin);
            prop_assert!(decision.deny_reason().is_none_or(|r| r == origin_policy::DenyReason::NoMatchingRule));
            for variant in &variants {
                prop_assert_eq!(
                    policy.check(mode, variant), decision,
                    "{} {:?} vs {:?}", mode, variant, origin
                );
            }
        }
    }

    /// The canonical text of a pattern parses back to the same pattern, and is canonical.
    #[test]
    fn patterns_round_trip(text in pattern_text()) {
        let pattern = Pattern::parse(&text)
            .unwrap_or_else(|err| panic!("generated pattern {text:?} is invalid: {err}"));
        let canonical = pattern.to_string();
        let again = Pattern::parse(&canonical)
            .unwrap_or_else(|err| panic!("canonical form {canonical:?} is invalid: {err}"));
        prop_assert_eq!(&again, &pattern, "{:?} -> {:?}", text, canonical);
        prop_assert_eq!(again.to_string(), canonical.as_str());
        let parsed: Pattern = canonical.parse().unwrap();
        prop_assert_eq!(parsed, pattern);
    }

    /// Nothing panics on arbitrary input: checks, origin and pattern parsing, builds, and
    /// the display of their results.
    #[test]
    fn nothing_panics_on_arbitrary_strings(
        input in prop_oneof![any::<String>(), urlish()],
        mode in mode(),
    ) {
        let policy = fixed_policy();
        let decision = policy.check(mode, &input);
        let _ = decision.to_string();
        let _ = policy.is_allowed(mode, &input);
        if let Ok(origin) = Origin::parse(&input) {
            let _ = (origin.to_string(), origin.is_loopback(), origin.into_owned());
        }
        match Pattern::parse(&input) {
            Ok(pattern) => { let _ = pattern.to_string(); }
            Err(err) => {
                let _ = err.to_string();
                let _ = &err.pattern()[err.span().range()];
            }
        }
        let mut builder = Policy::builder();
        builder.allow(mode, &input).allow(mode, "https://ok.example.com");
        match builder.build() {
            Ok(policy) => { let _ = policy.check(mode, &input); }
            Err(err) => { let _ = err.to_string(); }
        }
    }

    /// Live mode never allows `http` or a loopback origin, whatever the rules.
    #[test]
    fn live_never_allows_http_or_loopback(
        entries in prop::collection::vec(any_entry(), 0..6),
        opt_out in any::<bool>(),
        mut origins in prop::collection::vec(prop_oneof![origin(), loopback_origin()], 1..8),
        recipes in prop::collection::vec(recipe(), 1..12),
    ) {
        // Rules that fail to build are fine: then nothing is allowed at all.
        let Some(policy) = build(&entries, opt_out) else { return Ok(()) };
        // Made from the rules of both modes: test-mode loopback and `http` rules, and live
        // rules with the scheme switched to `http`.
        origins.extend(recipes.iter().filter_map(|recipe| derive(&policy, recipe)));
        for origin in origins.iter().map(String::as_str).chain(LOOPBACK_ORIGINS.iter().copied()) {
            let decision = policy.check(Mode::Live, origin);
            if decision.is_allowed() {
                let parsed = Origin::parse(origin).unwrap();
                prop_assert_eq!(parsed.scheme(), Scheme::Https, "{} allowed in live by {}", origin, decision);
                prop_assert!(!parsed.is_loopback(), "{} allowed in live by {}", origin, decision);
            }
        }
    }
}

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
];

fn loopback_origin() -> impl Strategy<Value = String> {
    (
        scheme(),
        prop_oneof![
            prop::sample::select(LOOPBACK_ORIGINS)
                .prop_map(|o| o.trim_start_matches("https://").to_owned()),
            (any::<u8>(), any::<u8>(), any::<u8>())
                .prop_map(|(a, b, c)| format!("127.{a}.{b}.{c}")),
            label().prop_map(|label| format!("{label}.localhost")),
        ],
        port_suffix(),
    )
        .prop_map(|(scheme, host, port)| format!("{scheme}://{host}{port}"))
}

/// A policy with rules of every shape, for the no-panic property.
fn fixed_policy() -> Policy {
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
}
