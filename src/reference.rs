//! The naive reference matcher: what a [`Policy`] must answer, written as plainly as
//! possible. Tests and fuzz targets compare the compiled index against it.
//!
//! It shares the parsed rules with the policy but nothing of the index, and it reads every
//! origin through the general (WHATWG) path, never the fast path, so a disagreement points
//! at the index or at the fast parser.

use crate::mode::Mode;
use crate::origin::{self, Origin};
use crate::policy::{Decision, DenyReason, Policy, Rule};

/// Reads an origin through the general path only (never the allocation-free fast path).
pub fn parse_origin(input: &str) -> Result<Origin<'static>, crate::OriginErrorKind> {
    origin::parse_as_browser(input)
}

/// Checks `origin` against every rule of `mode` in turn and keeps the most specific match:
/// exact host over wildcard, longer wildcard base over shorter, exact port over `*`, and
/// then the lowest index.
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
    match best {
        Some(rule) => Decision::Allow(rule),
        None => Decision::Deny(DenyReason::NoMatchingRule),
    }
}
