//! Hostile sizes: huge origins and entries are refused before parsing, and the worst inputs
//! under the limits are handled on a small stack (no recursion that grows with the input).

use std::thread;

use origin_policy::origin::MAX_ORIGIN_LEN;
use origin_policy::pattern::{Pattern, MAX_PATTERN_LEN};
use origin_policy::{DenyReason, Mode, OriginErrorKind, PatternErrorKind, Policy};

fn policy() -> Policy {
    Policy::builder()
        .allow(Mode::Live, "https://*.berbix.com")
        .allow(Mode::Live, "https://www.berbix.com:*")
        .allow(Mode::Test, "http://localhost:*")
        .build()
        .expect("valid entries")
}

/// Runs `work` on a thread with a 64 KiB stack: enough for straight-line parsing, far too
/// little for anything that recurses per label or per byte.
fn on_small_stack(work: impl FnOnce() + Send + 'static) {
    thread::Builder::new()
        .stack_size(64 * 1024)
        .spawn(work)
        .expect("thread starts")
        .join()
        .expect("no panic and no stack overflow");
}

#[test]
fn a_megabyte_origin_is_denied_as_too_long() {
    let policy = policy();
    let origin = format!("https://{}.berbix.com", "a".repeat(1 << 20));
    assert_eq!(
        policy.check(Mode::Live, &origin).deny_reason(),
        Some(DenyReason::from(OriginErrorKind::TooLong))
    );
}

#[test]
fn a_host_of_100k_labels_is_denied_as_too_long() {
    let policy = policy();
    let origin = format!("https://{}berbix.com", "a.".repeat(100_000));
    for mode in Mode::ALL {
        assert_eq!(
            policy.check(mode, &origin).deny_reason(),
            Some(DenyReason::from(OriginErrorKind::TooLong))
        );
    }
}

#[test]
fn the_length_limit_is_exact() {
    let policy = policy();
    let filler = MAX_ORIGIN_LEN - "https://".len() - ".berbix.com".len();
    let at_limit = format!("https://{}.berbix.com", "a".repeat(filler));
    assert_eq!(at_limit.len(), MAX_ORIGIN_LEN);
    // Parsed (and refused for its label length), not cut off by the limit.
    assert_eq!(
        policy.check(Mode::Live, &at_limit).deny_reason(),
        Some(DenyReason::from(OriginErrorKind::LabelTooLong))
    );
    let over = format!("https://{}.berbix.com", "a".repeat(filler + 1));
    assert_eq!(
        policy.check(Mode::Live, &over).deny_reason(),
        Some(DenyReason::from(OriginErrorKind::TooLong))
    );
}

#[test]
fn worst_origins_under_the_limit_run_on_a_small_stack() {
    on_small_stack(|| {
        let policy = policy();
        let budget = MAX_ORIGIN_LEN - "https://".len();
        // (origin, allowed in live mode)
        let worst = [
            // the most labels, each probing the index
            (
                format!("https://{}berbix.com", "a.".repeat((budget - 10) / 2)),
                false,
            ),
            // the most labels that still form a valid name (126 labels, 252 bytes)
            (format!("https://{}a.berbix.com", "a.".repeat(120)), true),
            // the WHATWG fallback with Unicode and uppercase
            (
                format!("https://{}.berbix.com", "Ü".repeat((budget - 11) / 2)),
                false,
            ),
            // many separators
            (format!("https://{}", ":".repeat(budget)), false),
            (format!("https://{}", "[".repeat(budget)), false),
            (format!("https://x.com:{}", "9".repeat(budget - 6)), false),
            ("https://".repeat(MAX_ORIGIN_LEN / 8), false),
        ];
        for (origin, allowed_in_live) in &worst {
            assert!(origin.len() <= MAX_ORIGIN_LEN, "{}", origin.len());
            for mode in Mode::ALL {
                let expected = *allowed_in_live && mode == Mode::Live;
                let decision = policy.check(mode, origin);
                assert_eq!(decision.is_allowed(), expected, "{mode} {}", &origin[..40]);
            }
        }
    });
}

#[test]
fn huge_entries_are_refused_before_parsing() {
    let entry = format!("https://{}.com", "a.".repeat(500_000));
    let err = Pattern::parse(&entry).unwrap_err();
    assert_eq!(err.kind(), PatternErrorKind::TooLong);
    assert_eq!(err.span().range(), MAX_PATTERN_LEN..entry.len());

    let err = Policy::builder()
        .allow(Mode::Live, &entry)
        .allow(Mode::Live, "https://ok.berbix.com")
        .build()
        .unwrap_err();
    assert_eq!(err.entries().len(), 1);
    assert_eq!(err.entries()[0].index, 0);
}

#[test]
fn worst_entries_under_the_limit_run_on_a_small_stack() {
    on_small_stack(|| {
        let budget = MAX_PATTERN_LEN - "https://".len();
        for entry in [
            format!("https://*.{}", "a.".repeat((budget - 5) / 2) + "com"),
            format!("https://{}", "Ü".repeat(budget / 2)),
            format!("https://{}", "*".repeat(budget)),
            format!("https://x.com:{}", "9".repeat(budget - 6)),
            format!("https://[{}]", "1:".repeat((budget - 2) / 2)),
        ] {
            assert!(entry.len() <= MAX_PATTERN_LEN);
            assert!(Pattern::parse(&entry).is_err(), "{}", &entry[..40]);
        }
    });
}
