//! The checks behind the fuzz targets in `fuzz/`. `cargo test` replays every file of
//! `fuzz/corpus/*` and `fuzz/artifacts/*` through the same functions, so each input a
//! campaign ever kept stays a test, with no nightly toolchain and no cargo-fuzz.
//!
//! Each function takes raw bytes, never panics on its own account, and panics with a
//! readable reproduction when the library breaks a property.
//!
//! One file per target: [`parse_pattern`](fn@parse_pattern), [`check_origin`](fn@check_origin),
//! [`differential`](fn@differential), [`build_policy`](fn@build_policy) and, with feature
//! `tower`, `request`; what they share is here.

use std::borrow::Cow;

use origin_policy::{Decision, Mode, Origin, Policy};

use crate::reference;

mod build_policy;
mod check_origin;
mod differential;
mod parse_pattern;
#[cfg(feature = "tower")]
mod request;

pub use build_policy::build_policy;
pub use check_origin::check_origin;
pub use differential::differential;
pub use parse_pattern::parse_pattern;
#[cfg(feature = "tower")]
pub use request::request;

/// Inputs longer than this are skipped: runs should measure logic, not allocation.
pub const MAX_INPUT_LEN: usize = 4096;

fn text_of(data: &[u8]) -> Option<Cow<'_, str>> {
    (data.len() <= MAX_INPUT_LEN).then(|| String::from_utf8_lossy(data))
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
