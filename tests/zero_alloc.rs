//! `Policy::check` on canonical ASCII origins (what browsers send) must not allocate.
//!
//! A counting global allocator wraps the system allocator and counts, per thread, every
//! `alloc`, `alloc_zeroed` and `realloc`. Counting per thread keeps the numbers exact
//! when the test harness runs tests in parallel; the checks are all in one `#[test]`.
//!
//! Measured (origin-policy 0.1, url 2.5.8, idna 1.1), with no warm-up call:
//!
//! * no allocation, asserted: every canonical ASCII origin, hit or miss, in either mode,
//!   for either scheme and any port; dotted-decimal IPv4; a valid punycode `xn--` host
//!   (idna validates it in place); a 253-byte name. Also the malformed inputs rejected
//!   before the host parser runs (empty, `null`, several origins, control characters,
//!   whitespace, backslash, no `scheme://`, another scheme, user info, path, query,
//!   fragment, empty host, `%` in the host, empty, bad or out-of-range port, a bad
//!   bracketed IPv6) and punycode that fails to decode (idna fails without allocating):
//!   see `NO_ALLOC_MALFORMED`.
//! * allocates, printed but not asserted: input that is not canonical and reaches the
//!   WHATWG fallback's host parser (`url::Host::parse` builds the name as a `String`, and
//!   the parsed origin owns its host): uppercase (2 allocations), a trailing dot (2),
//!   Unicode (3), IPv4 shorthand like `127.1` (4), IPv6 (1), and malformed names found
//!   only after the host parser: an empty label, a `*` label (1 each), an invalid IPv4
//!   such as `1.2.3.4.5` (2). See `ALLOCATING`.

use std::hint::black_box;

use origin_policy::{DenyReason, Mode, OriginErrorKind, Policy};

#[path = "common/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::allocations;

#[global_allocator]
static GLOBAL: counting_alloc::Counting = counting_alloc::Counting;

/// Allocations made on this thread by one check of `origin`, and whether it was allowed.
fn measure(policy: &Policy, mode: Mode, origin: &str) -> (u64, bool) {
    let before = allocations();
    let allowed = black_box(policy.check(black_box(mode), black_box(origin))).is_allowed();
    let after = allocations();
    (after - before, allowed)
}

/// A few hundred rules over both modes: exact hosts, wildcards, explicit ports and `*`.
fn big_policy() -> Policy {
    let mut builder = Policy::builder();
    for i in 0..60 {
        builder
            .allow(Mode::Live, &format!("https://app{i}.example{}.com", i % 7))
            .allow(Mode::Live, &format!("https://*.tenant{i}.berbix.com"))
            .allow(
                Mode::Live,
                &format!("https://api{i}.berbix.com:{}", 8000 + i),
            )
            .allow(Mode::Test, &format!("http://localhost:{}", 3000 + i))
            .allow(Mode::Test, &format!("https://*.staging{i}.berbix.net:*"));
    }
    builder
        .allow(Mode::Live, "https://www.berbix.com")
        .allow(Mode::Live, "https://*.berbix.com")
        .allow(Mode::Live, "https://pr-*.preview.berbix.dev")
        .allow(Mode::Live, "https://*-staging.preview.berbix.dev:*")
        .allow(Mode::Live, "https://app-*-eu.berbix.dev")
        .allow(Mode::Live, "https://xn--bcher-kva.example")
        .allow(Mode::Live, "https://dash.berbix.io:*")
        .allow(Mode::Live, "https://10.1.2.3")
        .allow(Mode::Test, "http://127.0.0.1:*")
        .allow(Mode::Test, "http://*.localhost:*")
        .allow(Mode::Test, "http://[::1]:8080")
        .allow(Mode::Test, "https://test.berbix.com");
    builder.build().expect("the policy builds")
}

/// Canonical ASCII origins, with the mode they are checked in and the expected decision.
const CANONICAL: &[(Mode, &str, bool)] = &[
    // exact hits
    (Mode::Live, "https://www.berbix.com", true),
    (Mode::Live, "https://app0.example0.com", true),
    (Mode::Live, "https://app59.example3.com", true),
    (Mode::Live, "https://api7.berbix.com:8007", true),
    (Mode::Test, "http://localhost:3000", true),
    (Mode::Test, "http://localhost:3059", true),
    (Mode::Test, "https://test.berbix.com", true),
    // wildcard hits at depth 1-3
    (Mode::Live, "https://docs.berbix.com", true),
    (Mode::Live, "https://a.tenant3.berbix.com", true),
    (Mode::Live, "https://a.b.tenant3.berbix.com", true),
    (Mode::Live, "https://a.b.c.tenant42.berbix.com", true),
    (Mode::Test, "http://app.localhost:5173", true),
    (Mode::Test, "http://a.b.c.localhost", true),
    // port `*`
    (Mode::Live, "https://dash.berbix.io:1", true),
    (Mode::Live, "https://dash.berbix.io:65535", true),
    (Mode::Test, "https://x.staging9.berbix.net:4443", true),
    (Mode::Test, "https://x.y.staging9.berbix.net", true),
    // dotted IPv4 and punycode
    (Mode::Live, "https://10.1.2.3", true),
    (Mode::Test, "http://127.0.0.1:8080", true),
    (Mode::Live, "https://xn--bcher-kva.example", true),
    // misses: unknown host, wrong port, wildcard apex, wrong mode, wrong scheme
    // label wildcards: prefix and suffix tries, and misses that reach them
    (Mode::Live, "https://pr-123.preview.berbix.dev", true),
    (
        Mode::Live,
        "https://feature-x-staging.preview.berbix.dev:8443",
        true,
    ),
    (Mode::Live, "https://app-1-eu.berbix.dev", true),
    (Mode::Live, "https://pr-.preview.berbix.dev", false),
    (Mode::Live, "https://qa-1.preview.berbix.dev", false),
    (Mode::Live, "https://evil.example", false),
    (Mode::Live, "https://berbix.com.evil.net", false),
    (Mode::Live, "https://evilberbix.com", false),
    (Mode::Live, "https://www.berbix.com:444", false),
    (Mode::Live, "https://api7.berbix.com:8008", false),
    (Mode::Test, "http://localhost:2999", false),
    (Mode::Live, "https://berbix.com", false),
    (Mode::Live, "https://tenant3.berbix.com.evil.net", false),
    (Mode::Test, "https://staging9.berbix.net", false),
    (Mode::Test, "http://localhost", false),
    (Mode::Test, "https://www.berbix.com", false),
    (Mode::Live, "http://localhost:3000", false),
    (Mode::Live, "https://test.berbix.com", true), // matched by the live `*.berbix.com`
    (Mode::Test, "https://docs.berbix.com", false),
    (Mode::Live, "http://www.berbix.com", false),
    (Mode::Test, "https://localhost:3000", false),
    (Mode::Test, "http://test.berbix.com", false),
    (Mode::Live, "https://10.1.2.4", false),
    (Mode::Test, "http://127.0.0.2", false),
    (Mode::Live, "https://xn--bcher-kva.example:8443", false),
    (Mode::Live, "https://a_b.example.com", false),
    (Mode::Live, "https://a-b.c-d.e", false),
];

/// Malformed inputs that the fast path hands to the fallback, which rejects them before
/// the host parser runs, or (bad punycode) in idna without allocating.
const NO_ALLOC_MALFORMED: &[(&str, OriginErrorKind)] = {
    use OriginErrorKind as K;
    &[
        ("", K::Empty),
        ("null", K::Opaque),
        ("https://a.com,https://b.com", K::MultipleOrigins),
        ("https://a.comhttps://b.com", K::MultipleOrigins),
        ("https://x.com\n", K::ControlChar),
        ("https://x.com\0", K::ControlChar),
        (" https://x.com", K::Whitespace),
        ("https://x.com\u{a0}", K::Whitespace),
        ("https://x.com\\", K::Backslash),
        ("x.com", K::MissingScheme),
        ("https:x.com", K::MissingScheme),
        ("//x.com", K::MissingScheme),
        ("ftp://x.com", K::UnsupportedScheme),
        ("wss://www.berbix.com", K::UnsupportedScheme),
        ("https://user@www.berbix.com", K::Userinfo),
        ("https://www.berbix.com/", K::Path),
        ("https://www.berbix.com/a/b", K::Path),
        ("https://www.berbix.com?", K::Query),
        ("https://www.berbix.com#x", K::Fragment),
        ("https://", K::EmptyHost),
        ("https://:443", K::EmptyHost),
        ("https://x%2ecom", K::PercentInHost),
        ("https://www.berbix.com:", K::EmptyPort),
        ("https://www.berbix.com:0", K::PortOutOfRange),
        ("https://www.berbix.com:65536", K::PortOutOfRange),
        ("https://www.berbix.com:99999999999", K::PortOutOfRange),
        ("https://www.berbix.com:0443", K::InvalidPort),
        ("https://www.berbix.com:44a", K::InvalidPort),
        ("https://www.berbix.com:443:443", K::InvalidPort),
        ("http://[::1]x", K::InvalidIpv6),
        ("http://[::1", K::InvalidIpv6),
        ("https://xn--a.example", K::InvalidDomain),
        ("https://xn--.example", K::InvalidDomain),
    ]
};

/// Inputs that take the WHATWG fallback into the host parser, which allocates (the
/// `url` crate's host parsing and the owned host of the parsed origin). Measured and
/// printed, not asserted.
const ALLOCATING: &[&str] = &[
    "HTTPS://WWW.BERBIX.COM",
    "https://WWW.berbix.com",
    "https://www.berbix.com.",
    "https://bücher.example",
    "http://127.1",
    "http://0x7f.0.0.1",
    "http://[::1]:8080",
    "https://a..berbix.com",
    "https://.berbix.com",
    "https://*.berbix.com",
    "http://1.2.3.4.5",
    "http://1.2.3.256",
    "https://a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.",
];

#[test]
fn canonical_checks_do_not_allocate() {
    let policy = big_policy();
    assert!(policy.rules(Mode::Live).len() + policy.rules(Mode::Test).len() >= 300);

    let mut failures = Vec::new();
    // Cold: the very first checks of this policy, punycode included, with no warm-up, so
    // that a lazily initialized table would show up here.
    for origin in [
        "https://a.b.tenant3.berbix.com",
        "https://xn--bcher-kva.example",
        "http://127.0.0.1:8080",
        "https://www.berbix.com:",
    ] {
        let (count, _) = measure(&policy, Mode::Test, origin);
        if count != 0 {
            failures.push(format!("cold {origin:?}: {count} allocation(s)"));
        }
    }

    for &(mode, origin, expected) in CANONICAL {
        let (count, allowed) = measure(&policy, mode, origin);
        assert_eq!(allowed, expected, "{mode} {origin}: wrong decision");
        if count != 0 {
            failures.push(format!("{mode} {origin}: {count} allocation(s)"));
        }
        // The other mode too: a miss (or hit) there must not allocate either.
        let other = if mode == Mode::Live {
            Mode::Test
        } else {
            Mode::Live
        };
        let (count, _) = measure(&policy, other, origin);
        if count != 0 {
            failures.push(format!("{other} {origin}: {count} allocation(s)"));
        }
    }

    // An overlong but valid canonical host (253 bytes, 63-byte labels) stays on the fast
    // path too.
    let long_host = [
        "a".repeat(63),
        "b".repeat(63),
        "c".repeat(63),
        "d".repeat(57),
        "com".to_owned(),
    ]
    .join(".");
    assert_eq!(long_host.len(), 253);
    let long_origin = format!("https://{long_host}:8443");
    for mode in Mode::ALL {
        let (count, allowed) = measure(&policy, mode, &long_origin);
        assert!(!allowed);
        if count != 0 {
            failures.push(format!("{mode} {long_origin}: {count} allocation(s)"));
        }
    }

    for &(origin, kind) in NO_ALLOC_MALFORMED {
        for mode in Mode::ALL {
            assert_eq!(
                policy.check(mode, origin).deny_reason(),
                Some(DenyReason::from(kind)),
                "{origin:?}"
            );
            let (count, _) = measure(&policy, mode, origin);
            if count != 0 {
                failures.push(format!(
                    "{mode} {origin:?} (malformed): {count} allocation(s)"
                ));
            }
        }
    }

    for origin in ALLOCATING {
        let (count, _) = measure(&policy, Mode::Live, origin);
        println!("fallback, allowed to allocate: {origin:?}: {count} allocation(s)");
    }

    assert!(
        failures.is_empty(),
        "checks that allocated:\n{}",
        failures.join("\n")
    );
}

#[test]
fn the_counter_sees_allocations() {
    // Guards against a counter that silently counts nothing.
    let before = allocations();
    let v = black_box(vec![1u8; 100]);
    let after = allocations();
    drop(v);
    assert!(after > before);
}
