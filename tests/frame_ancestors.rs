//! `Policy::frame_ancestors` on generated policies, held against the testkit's naive
//! `frame-ancestors` matcher (`origin_policy_testkit::csp`): the derived directive never
//! admits an ancestor the policy denies (but for the documented `http` upgrade), and
//! admits every origin of every rule it does not leave out. With the `tower` feature, the
//! layer and the gateway example's hosted flow carry that directive.

use origin_policy::{ClosedReason, Mode, Policy, PolicyOptions, WarningKind};
use origin_policy_testkit::csp;
use origin_policy_testkit::rng::{Choices, SplitMix64};

/// Bases chosen so that the shapes meet: public suffixes under `amazonaws.com` and
/// `fastly.net`, a registrable name deep under one, loopback, an underscore.
const BASES: &[&str] = &[
    "berbix.com",
    "docs.berbix.com",
    "amazonaws.com",
    "mybucket.s3.amazonaws.com",
    "fastly.net",
    "localhost",
    "my_app.x.com",
    "xn--bcher-kva.example",
];
const FRONTS: &[&str] = &["", "a.", "a.b.", "pr-1.", "bucket.s3.", "www."];
const PORTS: &[u16] = &[80, 443, 3000, 8443];

fn entry(choices: &mut SplitMix64, mode: Mode) -> String {
    let scheme = match (mode, choices.one_in(2)) {
        (Mode::Test, true) => "http",
        _ => "https",
    };
    let base = BASES[choices.below(BASES.len())];
    let host = match choices.below(7) {
        0 | 1 => base.to_owned(),
        2 | 3 => format!("*.{base}"),
        4 => format!("pr-*.{base}"),
        5 => "1.2.3.4".to_owned(),
        _ => "[2001:db8::1]".to_owned(),
    };
    let port = match choices.below(4) {
        0 => String::new(),
        1 => ":*".to_owned(),
        _ => format!(":{}", PORTS[choices.below(PORTS.len())]),
    };
    format!("{scheme}://{host}{port}")
}

/// Every origin the generators can reach: each base with each front, both schemes, the
/// ports, and the IP hosts.
fn origins() -> Vec<String> {
    let mut hosts: Vec<String> = BASES
        .iter()
        .flat_map(|base| FRONTS.iter().map(move |front| format!("{front}{base}")))
        .collect();
    hosts.extend(
        [
            "1.2.3.4",
            "[2001:db8::1]",
            "127.0.0.1",
            "127.0.0.2",
            "[::1]",
        ]
        .map(String::from),
    );
    let mut origins = Vec::new();
    for host in &hosts {
        for scheme in ["http", "https"] {
            for port in PORTS.iter().chain(&[9999]) {
                origins.push(format!("{scheme}://{host}:{port}"));
            }
        }
    }
    // As a browser serializes them: no default port.
    origins
        .iter()
        .filter_map(|text| {
            origin_policy::Origin::parse(text)
                .ok()
                .map(|o| o.to_string())
        })
        .collect()
}

#[test]
fn generated_policies_never_admit_a_denied_ancestor_and_admit_what_they_write() {
    let origins = origins();
    let mut checked = 0;
    let mut left_out = 0;
    for seed in 0..300u64 {
        let mut choices = SplitMix64::new(seed);
        let mut builder = Policy::builder();
        builder
            .implicit_test_loopback(choices.one_in(4))
            .allow_public_suffix_wildcards(choices.one_in(5));
        for mode in Mode::ALL {
            for _ in 0..choices.between(0, 6) {
                builder.allow(mode, &entry(&mut choices, mode));
            }
        }
        // Some draws are invalid (a public-suffix wildcard without the opt-out, loopback
        // in live mode): those policies are not built.
        let Ok(policy) = builder.build() else {
            continue;
        };
        for mode in Mode::ALL {
            let derived = policy.frame_ancestors(mode);
            left_out += derived.left_out().len();
            let problems = csp::problems(&policy, mode, derived.as_str(), &origins);
            assert!(
                problems.is_empty(),
                "seed {seed}, {policy:?}:\n{problems:#?}"
            );
            // The lint names the same rules.
            let warned = policy
                .lint()
                .iter()
                .filter(|w| {
                    w.mode() == mode && w.kind() == origin_policy::WarningKind::NotInFrameAncestors
                })
                .count();
            let rules_left_out = derived
                .left_out()
                .iter()
                .filter(|l| l.rule().is_some())
                .count();
            assert_eq!(warned, rules_left_out, "seed {seed}, {policy:?}");
            checked += 1;
        }
    }
    // The generator must reach both outcomes, or the test proves little.
    assert!(checked > 200, "only {checked} directives checked");
    assert!(left_out > 100, "only {left_out} rules left out");
}

#[test]
fn the_directive_is_derived_once_and_shared_by_clones() {
    let policy = Policy::builder()
        .allow(Mode::Live, "https://*.berbix.com")
        .build()
        .unwrap();
    let clone = policy.clone();
    let first: *const _ = policy.frame_ancestors(Mode::Live);
    let second: *const _ = clone.frame_ancestors(Mode::Live);
    assert_eq!(first, second);
}

/// Issue 22's reproduction: 10,000 rules gave a 280 KB header, which Chrome refuses and
/// nginx's default proxy buffer answers with 502. Now the directive stays within its
/// bound (4096 bytes by default), failing closed with a reason, never cut short.
#[test]
fn a_directive_over_the_bound_fails_closed_with_a_reason() {
    let mut builder = Policy::builder();
    for n in 0..10_000 {
        builder.allow(Mode::Live, &format!("https://customer-{n}.example.com"));
    }
    builder.allow(Mode::Test, "http://localhost:*");
    let policy = builder.build().unwrap();
    let live = policy.frame_ancestors(Mode::Live);
    assert_eq!(live.as_str(), "frame-ancestors 'none'");
    assert!(live.is_none());
    assert_eq!(live.sources().count(), 0);
    let Some(ClosedReason::TooLong {
        bytes,
        max_bytes,
        sources,
        first_over,
    }) = live.closed_reason()
    else {
        panic!("no reason: {live:?}");
    };
    assert_eq!(max_bytes, PolicyOptions::DEFAULT_FRAME_ANCESTORS_MAX_BYTES);
    assert_eq!(sources, 10_000);
    // The whole list, as it would have been written.
    let written: usize = (0..10_000)
        .map(|n| format!(" https://customer-{n}.example.com").len())
        .sum();
    assert_eq!(bytes, "frame-ancestors".len() + written);
    assert!(bytes > 250_000, "{bytes}");
    // The first rule that takes it over 4096 bytes, and the lint names it.
    let first_over = first_over.expect("a rule passes the bound");
    let prefix: usize = "frame-ancestors".len()
        + (0..first_over.index)
            .map(|n| format!(" https://customer-{n}.example.com").len())
            .sum::<usize>();
    let with_it = prefix + format!(" https://customer-{}.example.com", first_over.index).len();
    assert!(prefix <= 4096 && with_it > 4096, "{prefix} {with_it}");
    let warnings: Vec<_> = policy
        .lint()
        .into_iter()
        .filter(|w| w.kind() == WarningKind::FrameAncestorsTooLong)
        .map(|w| (w.rule().name(), w.closed()))
        .collect();
    assert_eq!(warnings, [(first_over, live.closed_reason())]);
    // The other mode is untouched.
    let test = policy.frame_ancestors(Mode::Test);
    assert_eq!(test.as_str(), "frame-ancestors http://localhost:*");
    assert_eq!(test.closed_reason(), None);

    // A raised bound writes the whole list out.
    let mut raised = PolicyOptions::default();
    raised.frame_ancestors_max_bytes = 1 << 20;
    let mut builder = Policy::builder();
    builder.options(raised);
    for n in 0..10_000 {
        builder.allow(Mode::Live, &format!("https://customer-{n}.example.com"));
    }
    let policy = builder.build().unwrap();
    let live = policy.frame_ancestors(Mode::Live);
    assert_eq!(live.sources().count(), 10_000);
    assert_eq!(live.as_str().len(), bytes);
    assert_eq!(live.closed_reason(), None);
}

/// Every directive a policy writes fits its bound, whatever the bound.
#[test]
fn no_directive_is_longer_than_its_bound() {
    let (mut closed_lists, mut written_lists) = (0, 0);
    for seed in 0..200u64 {
        let mut choices = SplitMix64::new(seed);
        let mut builder = Policy::builder();
        let max_bytes = choices.between(0, 200);
        builder.frame_ancestors_max_bytes(max_bytes);
        builder.implicit_test_loopback(choices.one_in(3));
        for mode in Mode::ALL {
            for _ in 0..choices.between(0, 8) {
                builder.allow(mode, &entry(&mut choices, mode));
            }
        }
        let Ok(policy) = builder.build() else {
            continue;
        };
        for mode in Mode::ALL {
            let list = policy.frame_ancestors(mode);
            let closed = list.closed_reason().is_some();
            assert!(
                list.as_str().len() <= max_bytes || list.as_str() == "frame-ancestors 'none'",
                "seed {seed}: {list:?}"
            );
            match closed {
                true => closed_lists += 1,
                false if !list.is_none() => written_lists += 1,
                false => {}
            }
            assert_eq!(
                closed,
                list.is_none() && {
                    // Closed exactly when the sources, written out, would not fit.
                    let mut raised = policy.options();
                    raised.frame_ancestors_max_bytes = usize::MAX;
                    let mut again = Policy::builder();
                    again.options(raised);
                    for rule in policy.rules(Mode::Live) {
                        again.allow(Mode::Live, rule.as_str());
                    }
                    for rule in policy.rules(Mode::Test) {
                        again.allow(Mode::Test, rule.as_str());
                    }
                    let full = again.build().unwrap();
                    let full = full.frame_ancestors(mode);
                    !full.is_none() && full.as_str().len() > max_bytes
                },
                "seed {seed}: {list:?}"
            );
        }
    }
    assert!(
        closed_lists > 20 && written_lists > 20,
        "{closed_lists} {written_lists}"
    );
}

#[cfg(feature = "serde")]
#[test]
fn the_bound_is_an_option_of_the_policy_file() {
    let text = r#"
live = ["https://a.x.com", "https://b.x.com"]
[options]
frame_ancestors_max_bytes = 40
"#;
    let policy: Policy = toml::from_str(text).unwrap();
    assert_eq!(policy.options().frame_ancestors_max_bytes, 40);
    assert_eq!(
        policy.frame_ancestors(Mode::Live).as_str(),
        "frame-ancestors 'none'"
    );
    // Written back only when it is not the default.
    let written = toml::to_string(&policy).unwrap();
    assert!(
        written.contains("frame_ancestors_max_bytes = 40"),
        "{written}"
    );
    assert_eq!(toml::from_str::<Policy>(&written).unwrap(), policy);
    let default: Policy = toml::from_str(r#"live = ["https://a.x.com"]"#).unwrap();
    let written = toml::to_string(&default).unwrap();
    assert!(!written.contains("frame_ancestors_max_bytes"), "{written}");
    assert_eq!(
        default.options().frame_ancestors_max_bytes,
        PolicyOptions::DEFAULT_FRAME_ANCESTORS_MAX_BYTES
    );
}

#[cfg(all(feature = "tower", feature = "serde"))]
#[path = "../examples/gateway.rs"]
#[allow(dead_code)]
mod gateway;

#[cfg(all(feature = "tower", feature = "serde"))]
mod http_layer {
    use std::convert::Infallible;

    use http::{header, HeaderValue, Request, Response, StatusCode};
    use origin_policy::middleware::FrameAncestorsLayer;
    use origin_policy::Mode;
    use tower::{service_fn, Layer, ServiceExt};

    use super::gateway;

    async fn head(uri: &str, origin: Option<&str>) -> (StatusCode, Vec<String>) {
        let policy = gateway::read_policy(&gateway::policy_path()).unwrap();
        let app = gateway::app(gateway::tenants(policy).unwrap());
        let mut request = Request::get(uri);
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        let response = app
            .oneshot(request.body(axum::body::Body::empty()).unwrap())
            .await
            .unwrap();
        let csp = response
            .headers()
            .get_all(header::CONTENT_SECURITY_POLICY)
            .iter()
            .map(|value| value.to_str().unwrap().to_owned())
            .collect();
        (response.status(), csp)
    }

    #[tokio::test]
    async fn the_hosted_flow_carries_the_directive_of_its_tenant_and_mode() {
        let policy = gateway::read_policy(&gateway::policy_path()).unwrap();
        let acme: origin_policy::Policy = toml::from_str(gateway::ACME_POLICY).unwrap();
        for (uri, expected) in [
            ("/flow/live", policy.frame_ancestors(Mode::Live).as_str()),
            ("/flow/test", policy.frame_ancestors(Mode::Test).as_str()),
            (
                "/flow/live?tenant=acme",
                acme.frame_ancestors(Mode::Live).as_str(),
            ),
            (
                "/flow/test?tenant=acme",
                acme.frame_ancestors(Mode::Test).as_str(),
            ),
        ] {
            assert_eq!(
                head(uri, None).await,
                (StatusCode::OK, vec![expected.to_owned()]),
                "{uri}"
            );
        }
        // What `curl -sI http://127.0.0.1:8080/flow/live` shows for examples/policy.toml.
        assert_eq!(
            policy.frame_ancestors(Mode::Live).as_str(),
            "frame-ancestors https://www.berbix.com https://berbix.com https://*.berbix.com \
             https://www.berbix.com:9999 https://www.berbix.com:*"
        );
        let none = vec!["frame-ancestors 'none'".to_owned()];
        for uri in ["/flow/prod", "/flow/live?tenant=nobody"] {
            assert_eq!(
                head(uri, None).await,
                (StatusCode::FORBIDDEN, none.clone()),
                "{uri}"
            );
        }
        // A request that does carry an Origin is checked in the path's mode.
        assert_eq!(
            head("/flow/test", Some("http://localhost:3000")).await.0,
            StatusCode::OK
        );
        assert_eq!(
            head("/flow/live", Some("http://localhost:3000")).await.0,
            StatusCode::FORBIDDEN
        );
    }

    #[tokio::test]
    async fn the_layer_merges_with_the_services_own_policy() {
        let policy = gateway::read_policy(&gateway::policy_path()).unwrap();
        let directive = policy.frame_ancestors(Mode::Test).as_str().to_owned();
        for (own, expected) in [
            (None, vec![directive.clone()]),
            (
                Some("default-src 'self'"),
                vec![format!("default-src 'self'; {directive}")],
            ),
            (
                Some("frame-ancestors 'self'"),
                vec!["frame-ancestors 'self'".to_owned(), directive.clone()],
            ),
        ] {
            let service = service_fn(move |_: Request<()>| async move {
                let mut response = Response::new(());
                if let Some(own) = own {
                    response.headers_mut().insert(
                        header::CONTENT_SECURITY_POLICY,
                        HeaderValue::from_static(own),
                    );
                }
                Ok::<_, Infallible>(response)
            });
            let layered = FrameAncestorsLayer::new(policy.clone())
                .fixed_mode(Mode::Test)
                .layer(service);
            let response = layered.oneshot(Request::new(())).await.unwrap();
            let values: Vec<String> = response
                .headers()
                .get_all(header::CONTENT_SECURITY_POLICY)
                .iter()
                .map(|value| value.to_str().unwrap().to_owned())
                .collect();
            assert_eq!(values, expected, "{own:?}");
        }
    }
}
