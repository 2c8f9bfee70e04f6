//! `OriginPolicyLayer` in process (tower's `oneshot`, no sockets): composition with
//! tower-http's `CorsLayer` through `Policy::cors_predicate`, `allows`, and the edges of
//! the decision that `tests/gateway.rs` does not reach over HTTP.

#![cfg(feature = "tower")]

use std::convert::Infallible;
use std::future::{ready, Ready};

use http::{HeaderValue, Method, Request, Response, StatusCode};
use origin_policy::{DenialReason, DenyReason, Mode, OriginPolicy, OriginPolicyLayer, Policy};
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
    assert_eq!(response.into_body(), "origin not allowed: no_mode\n");
    assert!(format!("{layer:?}").contains("mode: \"unset\""));
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
    let layer = OriginPolicyLayer::new(policy()).fixed_mode(Mode::Live);
    let hostile = r#"https://x.example","mode":"test"#;
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
                r#"{"error":"origin_not_allowed","mode":"live","reason":"malformed_origin"}"#
            );
        } else {
            assert_eq!(content_type, "text/plain; charset=utf-8");
            assert_eq!(body, "origin not allowed for live mode: malformed_origin\n");
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
            DenialReason::Policy(DenyReason::Malformed(origin_policy::OriginErrorKind::Path)),
            "malformed_origin",
        ),
    ] {
        assert_eq!(reason.code(), code);
        assert!(!reason.to_string().is_empty());
    }
}
