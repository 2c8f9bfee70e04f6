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
        // An ordinary request: no CORS grant (the upstream's response carries its own).
        assert!(headers.is_empty(), "{headers:?}");

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

/// A check describing `count` headers named `x-h{i}` (Envoy's map), with a live key and an
/// allowed origin.
fn check_with_headers(count: usize) -> CheckRequest {
    let mut headers: Vec<(String, String)> = (0..count.saturating_sub(2))
        .map(|i| (format!("x-h{i}"), String::new()))
        .collect();
    headers.push(("authorization".to_owned(), LIVE_KEY.to_owned()));
    headers.push(("origin".to_owned(), "https://docs.berbix.com".to_owned()));
    with_http(HttpRequest {
        method: "GET".to_owned(),
        path: "/".to_owned(),
        headers: headers.into_iter().collect(),
        ..Default::default()
    })
}

#[test]
fn a_check_over_the_header_bounds_is_denied_with_a_reason_and_nothing_panics() {
    let policies = Policies::new(&[("default.toml", DEFAULT_POLICY)]);
    let server = Server::start(policies.path(), &["--grpc-listen", "127.0.0.1:0"]);
    let address = format!("http://{}", server.grpc.unwrap());
    common::runtime().block_on(async {
        let mut client = AuthorizationClient::connect(address).await.unwrap();
        // At the bound: decided as usual.
        let response = client.check(check_with_headers(100)).await.unwrap();
        assert_eq!(read(&response.into_inner()).0, OK);
        // One over, and tens of thousands (which panicked inside HeaderMap::append): denied
        // with the reason, answered, and the server goes on.
        for count in [101, 40_000] {
            let response = client.check(check_with_headers(count)).await.unwrap();
            let (code, headers) = read(&response.into_inner());
            assert_eq!(code, PERMISSION_DENIED, "{count}");
            assert_eq!(headers["x-origin-policy-reason"], "request_too_large");
        }
        // The bytes are bounded too: two headers of 40 KiB each.
        let mut big = check_with_headers(2);
        if let Some(HttpRequest { headers, .. }) = big
            .attributes
            .as_mut()
            .and_then(|a| a.request.as_mut())
            .and_then(|r| r.http.as_mut())
        {
            headers.insert("x-a".to_owned(), "a".repeat(40 * 1024));
            headers.insert("x-b".to_owned(), "b".repeat(40 * 1024));
        }
        let response = client.check(big).await.unwrap();
        let (code, headers) = read(&response.into_inner());
        assert_eq!(code, PERMISSION_DENIED);
        assert_eq!(headers["x-origin-policy-reason"], "request_too_large");
        let response = client.check(check_with_headers(3)).await.unwrap();
        assert_eq!(read(&response.into_inner()).0, OK);
    });
    let log = server.log();
    assert!(
        !log.contains("panicked") && !log.contains("internal error"),
        "{log}"
    );
}

/// Opens a TCP connection to `address` and sends the HTTP/2 client preface and an empty
/// SETTINGS frame; the stream reads with a 1 s timeout.
fn h2_connection(address: std::net::SocketAddr) -> std::net::TcpStream {
    use std::io::Write as _;
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(1)))
        .unwrap();
    stream
        .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")
        .unwrap();
    stream
}

/// What reading `stream` until the end or a read timeout gives: `true` at the end (the
/// server closed it), `false` at a timeout (still open).
fn closed_by_server(stream: &mut std::net::TcpStream) -> bool {
    use std::io::Read as _;
    let mut buffer = [0_u8; 4096];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(error) if error.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
    }
}

#[test]
fn grpc_connections_are_capped_and_idle_ones_are_closed() {
    use std::time::{Duration, Instant};
    let policies = Policies::new(&[("default.toml", DEFAULT_POLICY)]);
    let server = Server::start(
        policies.path(),
        &[
            "--grpc-listen",
            "127.0.0.1:0",
            "--grpc-max-connections",
            "2",
            "--grpc-idle-seconds",
            "3",
        ],
    );
    let address = server.grpc.unwrap();
    let opened = Instant::now();
    let mut first = h2_connection(address);
    let mut second = h2_connection(address);
    // Both are served (the server's SETTINGS arrive, then nothing: still open).
    assert!(!closed_by_server(&mut first));
    assert!(!closed_by_server(&mut second));
    // A third is over the cap: closed at once, while the two stay open.
    let mut third = h2_connection(address);
    assert!(closed_by_server(&mut third));
    // The two send no request: each is closed after the idle time, and not long after.
    let deadline = Instant::now() + Duration::from_secs(10);
    for stream in [&mut first, &mut second] {
        while !closed_by_server(stream) {
            assert!(Instant::now() < deadline, "an idle connection stays open");
        }
    }
    assert!(
        opened.elapsed() >= Duration::from_secs(2),
        "{:?}",
        opened.elapsed()
    );
    // Their places are free again: a client's checks are answered.
    common::runtime().block_on(async {
        let mut client = AuthorizationClient::connect(format!("http://{address}"))
            .await
            .unwrap();
        let response = client.check(check_with_headers(3)).await.unwrap();
        assert_eq!(read(&response.into_inner()).0, OK);
    });
}

/// Replays the `grpc_request` fuzz target's corpus and any crash it found
/// (`fuzz/corpus/grpc_request/`, `fuzz/artifacts/grpc_request/`) through its check.
#[test]
fn the_grpc_request_fuzz_corpus_replays() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    if !root.join("Cargo.toml").is_file() {
        eprintln!("skipped: no fuzz workspace beside the server");
        return;
    }
    let mut replayed = 0;
    for folder in ["corpus", "artifacts"] {
        let Ok(entries) = std::fs::read_dir(root.join(folder).join("grpc_request")) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_file() {
                origin_policy_server::fuzzing::grpc_check(&std::fs::read(&path).unwrap());
                replayed += 1;
            }
        }
    }
    assert!(
        replayed >= 10,
        "only {replayed} inputs in fuzz/corpus/grpc_request"
    );
}
