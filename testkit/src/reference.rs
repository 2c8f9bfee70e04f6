//! The naive reference matcher: what a [`Policy`] must answer, written as plainly as
//! possible. Tests and fuzz targets compare the compiled index against it.
//!
//! It shares the parsed rules with the policy but nothing of the index, and it reads every
//! origin through the general (WHATWG) path, never the fast path, so a disagreement points
//! at the index or at the fast parser.

use std::net::Ipv6Addr;

use origin_policy::host::HostKind;
use origin_policy::pattern::HostPattern;
use origin_policy::{Decision, DenyReason, Mode, Origin, Policy, Rule};

/// Reads an origin through the general path only (never the allocation-free fast path).
pub fn parse_origin(input: &str) -> Result<Origin<'static>, origin_policy::OriginErrorKind> {
    Origin::parse_whatwg(input)
}

/// Checks `origin` against every rule of `mode` in turn and keeps the most specific match:
/// exact host over wildcard, longer wildcard base over shorter, on the same base a label
/// wildcard (`pr-*.base`) over `*.base` and more literal characters over fewer, then exact
/// port over `*`, and then the lowest index ([`Pattern::specificity`](origin_policy::pattern::Pattern::specificity)).
/// A wildcard rule does not match a host whose public suffix (by `psl::suffix`) is longer
/// than its base, unless the policy has `allow_public_suffix_wildcards`. Without a match,
/// test mode allows a loopback host when the policy's `implicit_test_loopback` option is
/// on (loopback spelled out here on its own); otherwise a wildcard turned away by the
/// public-suffix boundary gives that reason, and anything else "no matching rule".
pub fn check<'p>(policy: &'p Policy, mode: Mode, origin: &str) -> Decision<'p> {
    let origin = match parse_origin(origin) {
        Ok(origin) => origin,
        Err(kind) => return Decision::Deny(kind.into()),
    };
    let mut best: Option<&Rule> = None;
    let mut beyond_public_suffix = false;
    for rule in policy.rules(mode) {
        let pattern = rule.to_pattern();
        if !pattern.matches(&origin) {
            continue;
        }
        let base = match pattern.host() {
            HostPattern::Subdomains(base) | HostPattern::LabelWildcard { base, .. } => Some(base),
            _ => None,
        };
        if let Some(base) = base {
            let suffix_len = psl::suffix(origin.host().as_bytes()).map(|s| s.as_bytes().len());
            let crosses = suffix_len.is_none_or(|len| len > base.len());
            if crosses && !policy.options().allow_public_suffix_wildcards {
                beyond_public_suffix = true;
                continue;
            }
        }
        let better = match best {
            None => true,
            Some(best) => pattern.specificity() > best.to_pattern().specificity(),
        };
        if better {
            best = Some(rule);
        }
    }
    let loopback = match origin.host_kind() {
        HostKind::Domain => origin.host() == "localhost" || origin.host().ends_with(".localhost"),
        HostKind::Ipv4 => origin.host().starts_with("127."),
        HostKind::Ipv6 => {
            let addr: Ipv6Addr = origin.host()[1..origin.host().len() - 1]
                .parse()
                .expect("an IPv6 host is bracketed");
            addr == Ipv6Addr::LOCALHOST
                || addr
                    .to_ipv4_mapped()
                    .is_some_and(|v4| v4.octets()[0] == 127)
        }
    };
    match best {
        Some(rule) => Decision::Allow(rule),
        None if mode == Mode::Test && policy.options().implicit_test_loopback && loopback => {
            Decision::AllowTestLoopback
        }
        None if beyond_public_suffix => Decision::Deny(DenyReason::PublicSuffixBoundary),
        None => Decision::Deny(DenyReason::NoMatchingRule),
    }
}
