//! `validate_entry` for what the spec table cannot show in one row: an addition that
//! would push the frame-ancestors directive over its bound.

use origin_policy::validate::validate_entry;
use origin_policy::{Mode, Policy};

fn bounded(max_bytes: usize, live: &[&str]) -> Policy {
    let mut builder = Policy::builder();
    builder.frame_ancestors_max_bytes(max_bytes);
    for entry in live {
        builder.allow(Mode::Live, entry);
    }
    builder.build().expect("valid entries")
}

#[test]
fn an_addition_over_the_frame_ancestors_bound_is_warned_about() {
    // `frame-ancestors https://one.example.com` is 39 bytes; with a second host, 63.
    let policy = bounded(50, &["https://one.example.com"]);
    assert!(policy.frame_ancestors(Mode::Live).closed_reason().is_none());

    let typed = validate_entry(&policy, Mode::Live, "https://two.example.com");
    assert!(typed.is_valid(), "{typed:?}");
    let codes: Vec<_> = typed.warnings.iter().map(|w| w.code).collect();
    assert!(codes.contains(&"frame_ancestors_too_long"), "{codes:?}");
}

#[test]
fn an_addition_within_the_bound_is_not_warned_about() {
    let policy = bounded(4096, &["https://one.example.com"]);
    let typed = validate_entry(&policy, Mode::Live, "https://two.example.com");
    assert!(typed.is_valid(), "{typed:?}");
    assert!(typed.warnings.is_empty(), "{:?}", typed.warnings);
}
