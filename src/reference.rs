//! The naive reference matcher: what a [`Policy`] must answer, written as plainly as
//! possible. Tests and fuzz targets compare the compiled index against it.
//!
//! It shares the parsed rules with the policy but nothing of the index, and it reads every
//! origin through the general (WHATWG) path, never the fast path, so a disagreement points
//! at the index or at the fast parser.

use std::net::Ipv6Addr;

use crate::host::HostKind;
use crate::mode::Mode;
use crate::origin::{self, Origin};
use crate::policy::{Decision, DenyReason, Policy, Rule};

/// Reads an origin through the general path only (never the allocation-free fast path).
pub fn parse_origin(input: &str) -> Result<Origin<'static>, crate::OriginErrorKind> {
    origin::parse_as_browser(input)
}

/// Checks `origin` against every rule of `mode` in turn and keeps the most specific match:
/// exact host over wildcard, longer wildcard base over shorter, on the same base a label
/// wildcard (`pr-*.base`) over `*.base` and more literal characters over fewer, then exact
/// port over `*`, and then the lowest index (`Pattern::specificity`, compared as a tuple). Without a match, test mode allows a loopback host when the
/// policy's `implicit_test_loopback` option is on (loopback spelled out here on its own).
pub fn check<'p>(policy: &'p Policy, mode: Mode, origin: &str) -> Decision<'p> {
    let origin = match parse_origin(origin) {
        Ok(origin) => origin,
        Err(kind) => return Decision::Deny(kind.into()),
    };
    let mut best: Option<&Rule> = None;
    for rule in policy.rules(mode) {
        if !rule.pattern().matches(&origin) {
            continue;
        }
        let better = match best {
            None => true,
            Some(best) => rule.pattern().specificity() > best.pattern().specificity(),
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
        None => Decision::Deny(DenyReason::NoMatchingRule),
    }
}
