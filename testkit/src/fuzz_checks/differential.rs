//! The `differential` target: rules and origins drawn from one small label set.

use std::fmt::Write as _;

use arbitrary::{Arbitrary, Unstructured};

use origin_policy::{Mode, Policy, Scheme};

use super::{assert_parsers_agree, describe, MAX_INPUT_LEN};
use crate::alphabet::fuzz::{LABELS, LABEL_MIDDLES, LABEL_PARTS, PORTS};
use crate::text::{self, HostShape, PortText};
use crate::{reference, rng};

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
