//! The `check_origin` target, against one fixed policy.

use std::sync::OnceLock;

use origin_policy::{Mode, Origin, Policy, Scheme};

use super::{assert_agrees_with_reference, assert_parsers_agree, text_of};

/// The fixed policy `check_origin` runs against: the source document's examples, test-mode
/// loopback rules, IP hosts, ports and nested wildcards, with the implicit test loopback
/// allowance on.
fn fixed_policy() -> &'static Policy {
    static POLICY: OnceLock<Policy> = OnceLock::new();
    POLICY.get_or_init(|| {
        let live = [
            "https://www.berbix.com",
            "https://berbix.com",
            "https://*.berbix.com",
            "https://www.berbix.com:9999",
            "https://www.berbix.com:*",
            "https://*.docs.berbix.com:8443",
            "https://xn--bcher-kva.example",
            "https://*.a_b.example.org",
            "https://pr-*.berbix.com",
            "https://*-eu.docs.berbix.com:*",
        ];
        let test = [
            "http://localhost:*",
            "http://*.localhost:3000",
            "http://127.0.0.1:8080",
            "https://[::1]:*",
            "http://192.168.0.10",
            "https://*.staging.berbix.com",
            "http://berbix.com",
            "http://dev-*.localhost:*",
        ];
        crate::builder(&crate::entries(&live, &test))
            .implicit_test_loopback(true)
            .build()
            .expect("the fixed fuzz policy is valid")
    })
}

/// `check_origin`: any input as an origin, in both modes. The policy agrees with the
/// reference matcher, the fast origin parser agrees with the WHATWG path, and live mode
/// never allows `http`, a loopback host or another local address.
pub fn check_origin(data: &[u8]) {
    let Some(text) = text_of(data) else { return };
    let policy = fixed_policy();
    assert_parsers_agree(&text);
    for mode in Mode::ALL {
        assert_agrees_with_reference(policy, mode, &text);
        if mode == Mode::Live && policy.is_allowed(mode, &text) {
            let origin = Origin::parse(&text).expect("an allowed origin parses");
            assert_eq!(origin.scheme(), Scheme::Https, "live allowed {text:?}");
            assert!(!origin.is_loopback(), "live allowed loopback {text:?}");
            assert!(
                !origin.is_local_address(),
                "live allowed a local address {text:?}"
            );
        }
    }
}
