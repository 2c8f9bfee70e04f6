//! `OriginPolicyLayer` in process (tower's `oneshot`, no sockets): composition with
//! tower-http's `CorsLayer` through `Policy::cors_predicate`, `allows`, the edges of the
//! decision that `tests/gateway.rs` does not reach over HTTP, what a denial tells a client
//! that probes for tenants (`PublicReason`), and the `Vary` of allowed responses.

#![cfg(feature = "tower")]

use std::convert::Infallible;
use std::future::{ready, Ready};
use std::sync::{Arc, Mutex};

use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use origin_policy::middleware::{
    DenialReason, MissingOrigin, OriginPolicy, OriginPolicyLayer, PublicReason, UNIFORM_DENIAL_CODE,
};
use origin_policy::store::PolicyStore;
use origin_policy::{DenyReason, Mode, Policy};
use tower::util::ServiceFn;
use tower::{service_fn, Layer, ServiceBuilder, ServiceExt};
use tower_http::cors::{AllowOrigin, CorsLayer};

fn policy() -> Policy {
    Policy::builder()
        .allow(Mode::Live, "https://*.berbix.com")
        .allow(Mode::Test, "http://localhost:*")
        .build()
        .unwrap()
}

async fn ok(_: Request<String>) -> Result<Response<String>, Infallible> {
    Ok(Response::new("hello".to_owned()))
}

fn request(method: Method, headers: &[(&str, &str)]) -> Request<String> {
    let mut builder = Request::builder().method(method).uri("/");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(String::new()).unwrap()
}

#[tokio::test]
async fn cors_layer_and_gate_share_one_policy() {
    let policy = policy();
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(policy.cors_predicate(Mode::Live)))
        .allow_methods([Method::GET, Method::POST]);
    let service = ServiceBuilder::new()
        .layer(cors)
        .layer(OriginPolicyLayer::new(policy).fixed_mode(Mode::Live))
        .service_fn(ok);

    let preflight = |origin: &str| {
        request(
            Method::OPTIONS,
            &[
                ("origin", origin),
                ("access-control-request-method", "POST"),
            ],
        )
    };
    // Preflights are answered by CorsLayer, with the header only for an allowed origin.
    let response = service
        .clone()
        .oneshot(preflight("https://docs.berbix.com"))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "https://docs.berbix.com"
    );
    let response = service
        .clone()
        .oneshot(preflight("https://evil.example"))
        .await
        .unwrap();
    assert!(!response
        .headers()
        .contains_key("access-control-allow-origin"));

    // Actual requests: CORS headers and the gate agree.
    let get = |origin: &str| request(Method::GET, &[("origin", origin)]);
    let response = service
        .clone()
        .oneshot(get("https://docs.berbix.com"))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "https://docs.berbix.com"
    );
    assert_eq!(response.into_body(), "hello");
    for denied in [
        "https://evil.example",
        "https://berbix.com.evil.example",
        "http://localhost:3000",
    ] {
        let response = service.clone().oneshot(get(denied)).await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{denied}");
        assert!(!response
            .headers()
            .contains_key("access-control-allow-origin"));
    }
}

#[test]
fn cors_predicate_follows_the_policy_and_refuses_non_utf8() {
    let predicate = policy().cors_predicate(Mode::Test);
    let (parts, _) = request(Method::GET, &[]).into_parts();
    let value = |text: &[u8]| HeaderValue::from_bytes(text).unwrap();
    assert!(predicate(&value(b"http://localhost:8080"), &parts));
    assert!(!predicate(&value(b"https://docs.berbix.com"), &parts));
    assert!(!predicate(&value(b"http://localhost:8080\xff"), &parts));
}

#[tokio::test]
async fn a_layer_without_mode_denies_everything() {
    let layer = OriginPolicyLayer::new(policy());
    let response = service(&layer)
        .oneshot(request(
            Method::GET,
            &[("origin", "https://docs.berbix.com")],
        ))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        response.into_body(),
        "origin not allowed: origin_not_allowed\n"
    );
    assert!(format!("{layer:?}").contains("mode: \"unset\""));
    assert!(format!("{layer:?}").contains("public_reason: Uniform"));
}

type Hello = fn(Request<String>) -> Ready<Result<Response<String>, Infallible>>;

fn hello(_: Request<String>) -> Ready<Result<Response<String>, Infallible>> {
    ready(Ok(Response::new("hello".to_owned())))
}

/// The layer around a handler that says hello.
fn service(layer: &OriginPolicyLayer) -> OriginPolicy<ServiceFn<Hello>> {
    layer.layer(service_fn(hello as Hello))
}

#[tokio::test]
async fn allows_matches_the_service() {
    let layer = OriginPolicyLayer::new(policy()).mode_from_api_secret();
    let cases: [(&[(&str, &str)], bool); 5] = [
        (
            &[
                ("authorization", "Bearer secret_live_x"),
                ("origin", "https://a.berbix.com"),
            ],
            true,
        ),
        (
            &[
                ("authorization", "Bearer secret_test_x"),
                ("origin", "https://a.berbix.com"),
            ],
            false,
        ),
        (
            &[
                ("authorization", "Bearer secret_test_x"),
                ("origin", "http://localhost:1"),
            ],
            true,
        ),
        (&[("origin", "http://localhost:1")], false),
        (&[("authorization", "Bearer secret_test_x")], false),
    ];
    for (headers, allowed) in cases {
        let (parts, _) = request(Method::GET, headers).into_parts();
        assert_eq!(layer.allows(&parts), allowed, "{headers:?}");
        let response = service(&layer)
            .oneshot(request(Method::GET, headers))
            .await
            .unwrap();
        assert_eq!(response.status() == StatusCode::OK, allowed, "{headers:?}");
    }
}

#[tokio::test]
async fn json_only_when_accepted_and_nothing_echoed() {
    let hostile = r#"https://x.example","mode":"test"#;
    for (public, code) in [
        (PublicReason::Uniform, "origin_not_allowed"),
        (PublicReason::Precise, "malformed_origin"),
    ] {
        let layer = OriginPolicyLayer::new(policy())
            .fixed_mode(Mode::Live)
            .public_reason(public);
        for (accept, json) in [
            ("application/json", true),
            ("text/html;q=0.9, application/json;q=0.8", true),
            ("application/json;q=0", false),
            ("text/html", false),
        ] {
            let response = service(&layer)
                .oneshot(request(
                    Method::GET,
                    &[("origin", hostile), ("accept", accept)],
                ))
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::FORBIDDEN);
            let content_type = response.headers()["content-type"]
                .to_str()
                .unwrap()
                .to_owned();
            let body = response.into_body();
            assert!(!body.contains("x.example"), "{body}");
            if json {
                assert_eq!(content_type, "application/json");
                assert_eq!(
                    body,
                    format!(r#"{{"error":"origin_not_allowed","mode":"live","reason":"{code}"}}"#)
                );
            } else {
                assert_eq!(content_type, "text/plain; charset=utf-8");
                assert_eq!(body, format!("origin not allowed for live mode: {code}\n"));
            }
        }
    }
}

#[test]
fn reason_codes_are_stable() {
    for (reason, code) in [
        (DenialReason::UnknownTenant, "unknown_tenant"),
        (DenialReason::NoMode, "no_mode"),
        (DenialReason::MissingOrigin, "missing_origin"),
        (DenialReason::MultipleOrigins, "multiple_origins"),
        (DenialReason::NonUtf8Origin, "non_utf8_origin"),
        (
            DenialReason::Policy(DenyReason::NoMatchingRule),
            "no_matching_rule",
        ),
        (DenialReason::Policy(DenyReason::Opaque), "opaque_origin"),
        (
            DenialReason::Policy(DenyReason::from(origin_policy::OriginErrorKind::Path)),
            "malformed_origin",
        ),
    ] {
        assert_eq!(reason.code(), code);
        assert_ne!(reason.code(), UNIFORM_DENIAL_CODE);
        assert_eq!(PublicReason::Precise.code(reason), code);
        assert_eq!(PublicReason::Uniform.code(reason), "origin_not_allowed");
        assert!(!reason.to_string().is_empty());
    }
    assert_eq!(PublicReason::default(), PublicReason::Uniform);
}

/// A store of one tenant, `known`, behind a layer that reads the tenant from `X-Tenant` and
/// the mode from the API secret, and records each denial's precise reason.
fn probed_layer(public: PublicReason) -> (OriginPolicyLayer, Arc<Mutex<Vec<String>>>) {
    let store = Arc::new(PolicyStore::<String>::new());
    store.insert("known".to_owned(), policy());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let layer =
        OriginPolicyLayer::with_store(store, |parts| parts.headers.get("x-tenant")?.to_str().ok())
            .mode_from_api_secret()
            .public_reason(public)
            .on_deny(move |denial| {
                sink.lock().unwrap().push(format!(
                    "{:?} {:?} {}",
                    denial.tenant,
                    denial.mode,
                    denial.reason.code()
                ))
            });
    (layer, seen)
}

/// Everything a client sees of a response.
async fn seen_by_client(
    layer: &OriginPolicyLayer,
    headers: &[(&str, &str)],
) -> (StatusCode, HeaderMap, String) {
    let response = service(layer)
        .oneshot(request(Method::GET, headers))
        .await
        .unwrap();
    let (parts, body) = response.into_parts();
    (parts.status, parts.headers, body)
}

#[tokio::test]
async fn a_prober_learns_nothing_from_denials() {
    let no_key = [
        vec![("x-tenant", "known"), ("origin", "https://a.berbix.com")],
        vec![("x-tenant", "nobody"), ("origin", "https://a.berbix.com")],
        vec![("origin", "https://a.berbix.com")],
    ];
    // A made-up key with the right prefix gets past the mode step.
    let key = ("authorization", "Bearer secret_live_made_up");
    let made_up_key = [
        vec![
            key,
            ("x-tenant", "nobody"),
            ("origin", "https://a.berbix.com"),
        ],
        vec![key, ("origin", "https://a.berbix.com")],
        vec![
            key,
            ("x-tenant", "known"),
            ("origin", "https://evil.example"),
        ],
        vec![key, ("x-tenant", "known"), ("origin", "null")],
        vec![
            key,
            ("x-tenant", "known"),
            ("origin", "https://a.berbix.com/x"),
        ],
        vec![key, ("x-tenant", "known"), ("origin", "http://localhost:1")],
        vec![key, ("x-tenant", "known")],
        vec![
            key,
            ("x-tenant", "known"),
            ("origin", "https://a.berbix.com"),
            ("origin", "https://a.berbix.com"),
        ],
    ];
    let (layer, seen) = probed_layer(PublicReason::Uniform);
    for (group, body) in [
        (&no_key[..], "origin not allowed: origin_not_allowed\n"),
        (
            &made_up_key[..],
            "origin not allowed for live mode: origin_not_allowed\n",
        ),
    ] {
        let first = seen_by_client(&layer, &group[0]).await;
        assert_eq!(first.0, StatusCode::FORBIDDEN);
        assert_eq!(first.2, body);
        for headers in &group[1..] {
            assert_eq!(seen_by_client(&layer, headers).await, first, "{headers:?}");
        }
    }
    // The hook still gets the precise reasons, and the mode is decided before the tenant.
    assert_eq!(
        *seen.lock().unwrap(),
        [
            r#"Some("known") None no_mode"#,
            r#"Some("nobody") None no_mode"#,
            r#"None None no_mode"#,
            r#"Some("nobody") Some(Live) unknown_tenant"#,
            r#"None Some(Live) unknown_tenant"#,
            r#"Some("known") Some(Live) no_matching_rule"#,
            r#"Some("known") Some(Live) opaque_origin"#,
            r#"Some("known") Some(Live) malformed_origin"#,
            r#"Some("known") Some(Live) no_matching_rule"#,
            r#"Some("known") Some(Live) missing_origin"#,
            r#"Some("known") Some(Live) multiple_origins"#,
        ]
    );

    // Precise: the body says what the hook says; without a key, still only `no_mode`.
    let (layer, _) = probed_layer(PublicReason::Precise);
    let mut codes = Vec::new();
    for headers in no_key.iter().chain(&made_up_key) {
        let (_, _, body) = seen_by_client(&layer, headers).await;
        codes.push(body.rsplit(' ').next().unwrap().trim_end().to_owned());
    }
    assert_eq!(
        codes,
        [
            "no_mode",
            "no_mode",
            "no_mode",
            "unknown_tenant",
            "unknown_tenant",
            "no_matching_rule",
            "opaque_origin",
            "malformed_origin",
            "no_matching_rule",
            "missing_origin",
            "multiple_origins",
        ]
    );
}

fn vary_of(headers: &HeaderMap) -> Vec<&str> {
    headers
        .get_all("vary")
        .iter()
        .map(|value| value.to_str().unwrap())
        .collect()
}

/// Says hello, with `Vary: Accept-Encoding`.
fn hello_varying(_: Request<String>) -> Ready<Result<Response<String>, Infallible>> {
    let mut response = Response::new("hello".to_owned());
    response
        .headers_mut()
        .insert("vary", HeaderValue::from_static("Accept-Encoding"));
    ready(Ok(response))
}

#[tokio::test]
async fn allowed_responses_vary_on_what_decided_them() {
    let referer = |value| ("referer", value);
    let good = "https://a.berbix.com/page";
    /// The layer's setting, the request's headers, the response's `Vary` values.
    type Case<'a> = (MissingOrigin, &'a [(&'a str, &'a str)], &'a [&'a str]);
    let cases: [Case<'_>; 6] = [
        // The Referer decided: a cache must key on it too.
        (
            MissingOrigin::UseReferer,
            &[referer(good)],
            &["origin, referer"],
        ),
        // An Origin decided, the Referer was not read.
        (
            MissingOrigin::UseReferer,
            &[
                ("origin", "https://a.berbix.com"),
                referer("https://evil.example/"),
            ],
            &["origin"],
        ),
        (
            MissingOrigin::UseReferer,
            &[("origin", "https://a.berbix.com")],
            &["origin"],
        ),
        // Without UseReferer the Referer never decides.
        (MissingOrigin::Allow, &[referer(good)], &["origin"]),
        (MissingOrigin::Allow, &[], &["origin"]),
        (
            MissingOrigin::Deny,
            &[("origin", "https://a.berbix.com"), referer(good)],
            &["origin"],
        ),
    ];
    for (missing, headers, vary) in cases {
        let layer = OriginPolicyLayer::new(policy())
            .fixed_mode(Mode::Live)
            .on_missing_origin(missing);
        let (status, response_headers, _) = seen_by_client(&layer, headers).await;
        assert_eq!(status, StatusCode::OK, "{missing:?} {headers:?}");
        assert_eq!(vary_of(&response_headers), vary, "{missing:?} {headers:?}");

        // Added to the inner service's own `Vary` line, and nothing with `vary_on_allow(false)`.
        let response = layer
            .clone()
            .layer(service_fn(hello_varying))
            .oneshot(request(Method::GET, headers))
            .await
            .unwrap();
        let mut expected = vec!["Accept-Encoding"];
        expected.extend(vary);
        assert_eq!(vary_of(response.headers()), [expected.join(", ")]);
        let (_, response_headers, _) =
            seen_by_client(&layer.clone().vary_on_allow(false), headers).await;
        assert!(vary_of(&response_headers).is_empty());
    }

    // A denial under UseReferer names the Referer whatever decided it (and is no-store).
    let layer = OriginPolicyLayer::new(policy())
        .fixed_mode(Mode::Live)
        .on_missing_origin(MissingOrigin::UseReferer);
    for headers in [
        &[referer("https://evil.example/")][..],
        &[("origin", "https://evil.example"), referer(good)],
    ] {
        let (status, response_headers, _) = seen_by_client(&layer, headers).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(vary_of(&response_headers), ["origin, referer, accept"]);
        assert_eq!(response_headers["cache-control"], "no-store");
    }
}

#[tokio::test]
async fn a_preflight_with_a_key_is_checked_in_the_keys_mode_and_without_one_in_any() {
    let layer = OriginPolicyLayer::new(policy()).mode_from_api_secret();
    let preflight = |key: Option<&str>| {
        let mut headers = vec![
            ("origin", "http://localhost:3000"),
            ("access-control-request-method", "POST"),
        ];
        if let Some(key) = key {
            headers.push(("authorization", key));
        }
        request(Method::OPTIONS, &headers).into_parts().0
    };
    assert!(layer.allows(&preflight(None)));
    assert!(layer.allows(&preflight(Some("Bearer secret_test_k"))));
    assert!(!layer.allows(&preflight(Some("Bearer secret_live_k"))));
    // A fixed mode is no key: its preflights stay any-mode.
    let fixed = OriginPolicyLayer::new(policy()).fixed_mode(Mode::Live);
    assert!(fixed.allows(&preflight(None)));
}
