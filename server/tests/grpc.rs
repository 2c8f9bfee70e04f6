//! `envoy.service.auth.v3.Authorization/Check` with a tonic client sending what Envoy's
//! `ext_authz` filter sends: `attributes.request.http` with the method, the path and the
//! headers (names lower-cased, pseudo-headers included), or with `encode_raw_headers` the
//! `header_map` of raw values.

mod common;

use std::collections::HashMap;

use common::{Policies, Server, DEFAULT_POLICY, LIVE_KEY};
use envoy_types::pb::envoy::config::core::v3::{HeaderMap, HeaderValue};
use envoy_types::pb::envoy::service::auth::v3::attribute_context::{HttpRequest, Request};
use envoy_types::pb::envoy::service::auth::v3::authorization_client::AuthorizationClient;
use envoy_types::pb::envoy::service::auth::v3::check_response::HttpResponse;
use envoy_types::pb::envoy::service::auth::v3::{AttributeContext, CheckRequest, CheckResponse};

const OK: i32 = 0;
const PERMISSION_DENIED: i32 = 7;

/// A check as Envoy builds it from a downstream request.
fn envoy_check(method: &str, headers: &[(&str, &str)]) -> CheckRequest {
    let mut all: HashMap<String, String> = [
        (":authority", "api.example.com"),
        (":method", method),
        (":path", "/v1/verify?x=1"),
        (":scheme", "https"),
        ("x-forwarded-proto", "https"),
        ("x-request-id", "4c3f0f1e-8a4b-4c8e-9d3e-0d1f2a3b4c5d"),
        ("user-agent", "Mozilla/5.0"),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value.to_owned()))
    .collect();
    for (name, value) in headers {
        all.insert((*name).to_owned(), (*value).to_owned());
    }
    with_http(HttpRequest {
        id: "1".to_owned(),
        method: method.to_owned(),
        headers: all,
        path: "/v1/verify?x=1".to_owned(),
        host: "api.example.com".to_owned(),
        scheme: "https".to_owned(),
        protocol: "HTTP/1.1".to_owned(),
        ..Default::default()
    })
}

fn with_http(http: HttpRequest) -> CheckRequest {
    CheckRequest {
        attributes: Some(AttributeContext {
            request: Some(Request {
                http: Some(http),
                ..Default::default()
            }),
            ..Default::default()
        }),
    }
}

/// The status code and the headers of the HTTP response Envoy would build.
fn read(response: &CheckResponse) -> (i32, HashMap<String, String>) {
    let code = response.status.as_ref().unwrap().code;
    let headers = match response.http_response.as_ref() {
        Some(HttpResponse::OkResponse(ok)) => &ok.response_headers_to_add,
        Some(HttpResponse::DeniedResponse(denied)) => {
            assert_eq!(denied.status.as_ref().unwrap().code, 403);
            &denied.headers
        }
        Some(HttpResponse::ErrorResponse(_)) | None => panic!("no http response: {response:?}"),
    };
    let headers = headers
        .iter()
        .map(|option| {
            let header = option.header.as_ref().unwrap();
            (header.key.clone(), header.value.clone())
        })
        .collect();
    (code, headers)
}

#[test]
fn grpc_check_answers_ok_or_permission_denied_with_the_reason() {
    let policies = Policies::new(&[
        ("default.toml", DEFAULT_POLICY),
        ("acme.toml", "live = [\"https://app.acme.example\"]\n"),
    ]);
    let server = Server::start(policies.path(), &["--grpc-listen", "127.0.0.1:0"]);
    let address = format!("http://{}", server.grpc.unwrap());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut client = AuthorizationClient::connect(address).await.unwrap();
        let mut check = async |request: CheckRequest| {
            let response = client.check(request).await.unwrap().into_inner();
            read(&response)
        };

        let (code, headers) = check(envoy_check(
            "POST",
            &[
                ("authorization", LIVE_KEY),
                ("origin", "https://docs.berbix.com"),
            ],
        ))
        .await;
        assert_eq!(code, OK);
        assert_eq!(
            headers["access-control-allow-origin"],
            "https://docs.berbix.com"
        );
        assert!(!headers.contains_key("x-origin-policy-reason"));

        for (headers, reason) in [
            (
                vec![
                    ("authorization", LIVE_KEY),
                    ("origin", "https://evil.example"),
                ],
                "no_matching_rule",
            ),
            (vec![("origin", "https://docs.berbix.com")], "no_mode"),
            (vec![("authorization", LIVE_KEY)], "missing_origin"),
            (
                vec![
                    ("authorization", LIVE_KEY),
                    ("origin", "http://localhost:3000"),
                ],
                "no_matching_rule",
            ),
            (
                vec![
                    ("authorization", LIVE_KEY),
                    ("origin", "https://docs.berbix.com"),
                    ("x-tenant", "globex"),
                ],
                "unknown_tenant",
            ),
            // Envoy joins repeated headers with a comma: two origins are one malformed value.
            (
                vec![
                    ("authorization", LIVE_KEY),
                    ("origin", "https://docs.berbix.com,https://evil.example"),
                ],
                "malformed_origin",
            ),
            // Envoy replaces bytes that are not UTF-8 with `!`.
            (
                vec![
                    ("authorization", LIVE_KEY),
                    ("origin", "https://b!rbix.com"),
                ],
                "malformed_origin",
            ),
        ] {
            let (code, answer) = check(envoy_check("GET", &headers)).await;
            assert_eq!(code, PERMISSION_DENIED, "{headers:?}");
            assert_eq!(answer["x-origin-policy-reason"], reason, "{headers:?}");
        }

        let (code, _) = check(envoy_check(
            "GET",
            &[
                ("authorization", LIVE_KEY),
                ("origin", "https://app.acme.example"),
                ("x-tenant", "acme"),
            ],
        ))
        .await;
        assert_eq!(code, OK);

        // A preflight: no key, checked in any mode, granted with the CORS headers Envoy adds
        // to the response.
        let (code, headers) = check(envoy_check(
            "OPTIONS",
            &[
                ("origin", "http://localhost:3000"),
                ("access-control-request-method", "PUT"),
                ("access-control-request-headers", "authorization"),
            ],
        ))
        .await;
        assert_eq!(code, OK);
        assert_eq!(
            headers["access-control-allow-origin"],
            "http://localhost:3000"
        );
        assert_eq!(headers["access-control-allow-methods"], "PUT");
        assert_eq!(headers["access-control-allow-headers"], "authorization");
        assert_eq!(headers["access-control-max-age"], "600");

        // encode_raw_headers: one entry per header, raw bytes; two Origin headers stay two.
        let raw = |headers: &[(&str, &[u8])]| {
            with_http(HttpRequest {
                method: "GET".to_owned(),
                path: "/".to_owned(),
                header_map: Some(HeaderMap {
                    headers: headers
                        .iter()
                        .map(|(key, value)| HeaderValue {
                            key: (*key).to_owned(),
                            raw_value: value.to_vec(),
                            ..Default::default()
                        })
                        .collect(),
                }),
                ..Default::default()
            })
        };
        let live = ("authorization", LIVE_KEY.as_bytes());
        let (code, _) = check(raw(&[
            (":path", b"/"),
            live,
            ("origin", b"https://docs.berbix.com"),
        ]))
        .await;
        assert_eq!(code, OK);
        for (headers, reason) in [
            (
                vec![
                    live,
                    ("origin", &b"https://docs.berbix.com"[..]),
                    ("origin", b"https://evil.example"),
                ],
                "multiple_origins",
            ),
            (
                vec![live, ("origin", &b"https://b\xe9rbix.com"[..])],
                "non_utf8_origin",
            ),
            (
                vec![
                    live,
                    ("origin", &b"https://docs.berbix.com"[..]),
                    ("x-tenant", b"acme\xe9"),
                ],
                "unknown_tenant",
            ),
            // What HTTP cannot carry is refused, not dropped (a dropped tenant header would
            // pick the default tenant).
            (
                vec![
                    live,
                    ("origin", &b"https://docs.berbix.com"[..]),
                    ("x-tenant", b"acme\n"),
                ],
                "malformed_request",
            ),
            (
                vec![
                    live,
                    ("origin", &b"https://docs.berbix.com"[..]),
                    ("bad header", b"x"),
                ],
                "malformed_request",
            ),
        ] {
            let (code, answer) = check(raw(&headers)).await;
            assert_eq!(code, PERMISSION_DENIED, "{headers:?}");
            assert_eq!(answer["x-origin-policy-reason"], reason, "{headers:?}");
        }

        // A check without HTTP attributes.
        let (code, answer) = check(CheckRequest::default()).await;
        assert_eq!(code, PERMISSION_DENIED);
        assert_eq!(answer["x-origin-policy-reason"], "malformed_request");
    });
    assert!(!server.log().contains("panicked"), "{}", server.log());
}
