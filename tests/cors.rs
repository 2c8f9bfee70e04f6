//! The browser path in process (tower's `oneshot`, no sockets): tower-http's `CorsLayer`
//! outside `OriginPolicyLayer::mode_from_api_secret`, both answering from one policy in
//! both modes. A preflight carries no key, so the CORS side grants an origin the policy
//! allows in any mode, and the gate checks the real request in its key's mode. The real
//! browser runs the same scene in `tests/browser.rs`.

#![cfg(feature = "tower")]

use std::convert::Infallible;
use std::sync::Arc;

use http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_MAX_AGE, VARY,
};
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::BodyExt;
use origin_policy::middleware::{is_cors_preflight, MergeVaryLayer, OriginPolicyLayer};
use origin_policy::store::PolicyStore;
use origin_policy::{Mode, Policy};
use tower::{Layer, ServiceBuilder, ServiceExt};
use tower_http::cors::{AllowOrigin, CorsLayer};

const TEST_ONLY: &str = "http://localhost:3000";
const LIVE_ONLY: &str = "https://www.berbix.com";
const NEITHER: &str = "http://127.0.0.2:3000";

fn policy() -> Policy {
    Policy::builder()
        .allow(Mode::Live, "https://www.berbix.com")
        .allow(Mode::Test, "http://localhost:*")
        .build()
        .unwrap()
}

async fn ok(_: Request<String>) -> Result<Response<String>, Infallible> {
    Ok(Response::new("hello".to_owned()))
}

fn cors(predicate: AllowOrigin) -> CorsLayer {
    CorsLayer::new()
        .allow_origin(predicate)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([http::header::AUTHORIZATION, http::header::CONTENT_TYPE])
        .max_age(std::time::Duration::from_secs(600))
}

fn preflight(origin: &str) -> Request<String> {
    Request::builder()
        .method(Method::OPTIONS)
        .uri("/")
        .header("origin", origin)
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "authorization")
        .body(String::new())
        .unwrap()
}

fn get(origin: &str, key: &str) -> Request<String> {
    Request::builder()
        .uri("/")
        .header("origin", origin)
        .header("authorization", format!("Bearer {key}"))
        .body(String::new())
        .unwrap()
}

/// `CorsLayer` with the any-mode predicate outside the gate, and `MergeVaryLayer` outside both,
/// as the middleware guide (`docs/middleware.md`) recommends.
async fn send(policy: &Policy, request: Request<String>) -> (StatusCode, HeaderMap, String) {
    let service = ServiceBuilder::new()
        .layer(MergeVaryLayer::new())
        .layer(cors(AllowOrigin::predicate(
            policy.cors_predicate_any_mode(),
        )))
        .layer(OriginPolicyLayer::new(policy.clone()).mode_from_api_secret())
        .service_fn(ok);
    let response = service.oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    (
        parts.status,
        parts.headers,
        String::from_utf8(body.to_vec()).unwrap(),
    )
}

fn allow_origin(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(ACCESS_CONTROL_ALLOW_ORIGIN)
        .map(|value| value.to_str().unwrap())
}

#[tokio::test]
async fn a_preflight_from_an_origin_allowed_only_in_test_mode_is_granted() {
    let (status, headers, _) = send(&policy(), preflight(TEST_ONLY)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(allow_origin(&headers), Some(TEST_ONLY));
    let allowed = headers[ACCESS_CONTROL_ALLOW_HEADERS].to_str().unwrap();
    assert!(allowed.contains("authorization"), "{allowed}");
    assert_eq!(headers[ACCESS_CONTROL_MAX_AGE], "600");
    let vary: Vec<&str> = headers
        .get_all(VARY)
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert!(vary.iter().any(|v| v.contains("origin")), "{vary:?}");
}

#[tokio::test]
async fn a_preflight_from_an_origin_allowed_only_in_live_mode_is_granted() {
    let (status, headers, _) = send(&policy(), preflight(LIVE_ONLY)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(allow_origin(&headers), Some(LIVE_ONLY));
}

#[tokio::test]
async fn a_preflight_from_an_origin_allowed_in_no_mode_gets_no_grant() {
    let (_, headers, _) = send(&policy(), preflight(NEITHER)).await;
    assert_eq!(allow_origin(&headers), None);
}

#[tokio::test]
async fn the_real_request_is_checked_in_the_mode_of_its_key() {
    let policy = policy();
    let (status, headers, body) = send(&policy, get(TEST_ONLY, "secret_test_abc")).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "hello"));
    assert_eq!(allow_origin(&headers), Some(TEST_ONLY));

    let (status, headers, _) = send(&policy, get(LIVE_ONLY, "secret_live_abc")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(allow_origin(&headers), Some(LIVE_ONLY));
}

#[tokio::test]
async fn a_denial_in_the_other_mode_carries_cors_headers_so_the_page_can_read_it() {
    let (status, headers, body) = send(&policy(), get(TEST_ONLY, "secret_live_abc")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(allow_origin(&headers), Some(TEST_ONLY));
    assert_eq!(
        body,
        "origin not allowed for live mode: origin_not_allowed\n"
    );
}

#[tokio::test]
async fn a_denial_of_an_origin_allowed_in_no_mode_carries_no_cors_headers() {
    let (status, headers, _) = send(&policy(), get(NEITHER, "secret_test_abc")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(allow_origin(&headers), None);
}

/// Without a `CorsLayer` outside it (or with one inside), the gate itself sees the
/// preflight: it has no key, so the gate checks its origin in every mode instead of
/// denying it for want of a mode.
#[tokio::test]
async fn the_gate_lets_a_preflight_through_when_some_mode_allows_its_origin() {
    let gate_only = |policy: Policy| {
        ServiceBuilder::new()
            .layer(OriginPolicyLayer::new(policy).mode_from_api_secret())
            .service_fn(ok)
    };
    let response = gate_only(policy())
        .oneshot(preflight(TEST_ONLY))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let response = gate_only(policy())
        .oneshot(preflight(NEITHER))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    // CorsLayer inside the gate answers the preflights the gate let through.
    let inside = ServiceBuilder::new()
        .layer(OriginPolicyLayer::new(policy()).mode_from_api_secret())
        .layer(cors(AllowOrigin::predicate(
            policy().cors_predicate_any_mode(),
        )))
        .service_fn(ok);
    let response = inside.oneshot(preflight(TEST_ONLY)).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(allow_origin(response.headers()), Some(TEST_ONLY));
}

#[test]
fn only_options_with_origin_and_a_requested_method_is_a_preflight() {
    let parts = |request: Request<String>| request.into_parts().0;
    assert!(is_cors_preflight(&parts(preflight(TEST_ONLY))));
    let mut no_method = preflight(TEST_ONLY);
    no_method
        .headers_mut()
        .remove("access-control-request-method");
    assert!(!is_cors_preflight(&parts(no_method)));
    let mut no_origin = preflight(TEST_ONLY);
    no_origin.headers_mut().remove("origin");
    assert!(!is_cors_preflight(&parts(no_origin)));
    let mut not_options = preflight(TEST_ONLY);
    *not_options.method_mut() = Method::GET;
    assert!(!is_cors_preflight(&parts(not_options)));
}

/// The store's predicate finds the tenant from what a preflight carries: here the first
/// path segment. A tenant named only in a custom header cannot be found.
#[tokio::test]
async fn the_store_predicate_finds_the_tenant_in_the_path() {
    let store = Arc::new(PolicyStore::<String>::new());
    store.insert("acme".to_owned(), policy());
    store.insert(
        "other".to_owned(),
        Policy::builder()
            .allow(Mode::Live, "https://other.example")
            .build()
            .unwrap(),
    );
    fn tenant(parts: &http::request::Parts) -> Option<&str> {
        parts.uri.path().split('/').nth(1)
    }
    let service = ServiceBuilder::new()
        .layer(cors(AllowOrigin::predicate(
            store.cors_predicate_any_mode(tenant),
        )))
        .service_fn(ok);
    let preflight_to = |path: &str, origin: &str| {
        let mut request = preflight(origin);
        *request.uri_mut() = path.parse().unwrap();
        request
    };
    let granted = |path: &'static str, origin: &'static str| {
        let service = service.clone();
        async move {
            let response = service.oneshot(preflight_to(path, origin)).await.unwrap();
            allow_origin(response.headers()).map(str::to_owned)
        }
    };
    assert_eq!(
        granted("/acme/v1", TEST_ONLY).await.as_deref(),
        Some(TEST_ONLY)
    );
    assert_eq!(
        granted("/acme/v1", LIVE_ONLY).await.as_deref(),
        Some(LIVE_ONLY)
    );
    assert_eq!(granted("/other/v1", TEST_ONLY).await, None);
    assert_eq!(
        granted("/other/v1", "https://other.example")
            .await
            .as_deref(),
        Some("https://other.example")
    );
    assert_eq!(granted("/nobody/v1", TEST_ONLY).await, None);
    assert_eq!(granted("/", TEST_ONLY).await, None);

    // A swap reaches the predicate at once.
    store.insert(
        "other".to_owned(),
        Policy::builder()
            .allow(Mode::Test, "http://localhost:*")
            .build()
            .unwrap(),
    );
    assert_eq!(
        granted("/other/v1", TEST_ONLY).await.as_deref(),
        Some(TEST_ONLY)
    );
}

fn vary_lines(headers: &HeaderMap) -> Vec<&str> {
    headers
        .get_all(VARY)
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect()
}

/// The composition leaves every response with one `Vary` line naming the origin and the
/// CORS request headers: allowed, denied (with `accept` from the 403 too, and without any
/// CORS grant for an origin in neither list) and a preflight, granted or not.
#[tokio::test]
async fn every_response_of_the_composition_has_one_vary_line() {
    const CORS_NAMES: &str =
        "origin, access-control-request-method, access-control-request-headers";
    let policy = policy();
    const DENIED: &str =
        "origin, accept, access-control-request-method, access-control-request-headers";
    for (request, status, vary) in [
        (get(TEST_ONLY, "secret_test_x"), StatusCode::OK, CORS_NAMES),
        (get(LIVE_ONLY, "secret_live_x"), StatusCode::OK, CORS_NAMES),
        (
            get(TEST_ONLY, "secret_live_x"),
            StatusCode::FORBIDDEN,
            DENIED,
        ),
        (get(NEITHER, "secret_test_x"), StatusCode::FORBIDDEN, DENIED),
        (preflight(TEST_ONLY), StatusCode::OK, CORS_NAMES),
        (preflight(NEITHER), StatusCode::OK, CORS_NAMES),
    ] {
        let description = format!("{} {:?}", request.method(), request.headers());
        let (got, headers, _) = send(&policy, request).await;
        assert_eq!(got, status, "{description}");
        assert_eq!(vary_lines(&headers), [vary], "{description}");
    }
}

/// The gate adds `origin` to the `Vary` its inner service already set instead of a line of
/// its own; `CorsLayer` (tower-http 0.6), outside it, appends its own `Vary` line after the
/// gate has answered, and `MergeVaryLayer`, outermost, joins the two into one, each name once.
#[tokio::test]
async fn the_composition_joins_the_inner_vary_the_gates_and_cors_into_one_line() {
    async fn compressed(_: Request<String>) -> Result<Response<String>, Infallible> {
        let mut response = Response::new("hello".to_owned());
        response
            .headers_mut()
            .insert(VARY, http::HeaderValue::from_static("accept-encoding"));
        Ok(response)
    }
    let policy = policy();
    let inner = ServiceBuilder::new()
        .layer(cors(AllowOrigin::predicate(
            policy.cors_predicate_any_mode(),
        )))
        .layer(OriginPolicyLayer::new(policy.clone()).mode_from_api_secret())
        .service_fn(compressed);
    // Without the merge, the two lines that tower-http leaves (so the test shows the need).
    let response = inner
        .clone()
        .oneshot(get(TEST_ONLY, "secret_test_x"))
        .await
        .unwrap();
    assert_eq!(
        vary_lines(response.headers()),
        [
            "accept-encoding, origin",
            "origin, access-control-request-method, access-control-request-headers",
        ]
    );
    let response = MergeVaryLayer::new()
        .layer(inner)
        .oneshot(get(TEST_ONLY, "secret_test_x"))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        vary_lines(response.headers()),
        ["accept-encoding, origin, access-control-request-method, access-control-request-headers"]
    );
}
