//! Real HTTP through the gateway: `examples/gateway.rs` (and layers configured like it)
//! served by axum on an ephemeral 127.0.0.1 port, queried by a hyper client over real TCP
//! connections. Covers the issue's list: allowed and listed origins, http in live mode, a
//! missing Origin under each option, the Referer fallback, a wrong tenant, the mode from an
//! API secret, denials that look alike to a client probing for tenants (the default
//! `PublicReason::Uniform`) or name their reason (`Precise`), a hot swap while requests are
//! in flight, and a bounded load smoke.

#![cfg(all(feature = "tower", feature = "policy-file"))]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::routing;
use axum::Router;
use http::{HeaderMap, HeaderValue, Request, StatusCode};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use origin_policy::middleware::{MissingOrigin, OriginPolicyLayer, PublicReason};
use origin_policy::store::PolicyStore;
use origin_policy::{Mode, Policy};
use tokio::net::{TcpListener, TcpStream};

#[path = "../examples/gateway.rs"]
#[allow(dead_code)]
mod gateway;

/// The longest any one test may take before it fails instead of hanging.
const TEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Serves `router` on an ephemeral loopback port; the server stops with the test's runtime.
async fn serve(router: Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

/// One HTTP/1.1 connection.
struct Client {
    sender: SendRequest<Empty<Bytes>>,
}

impl Client {
    async fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).await.unwrap();
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(connection);
        Client { sender }
    }

    /// `GET /` with these headers (values as raw bytes); any transport error is returned.
    async fn get(
        &mut self,
        headers: &[(&str, &[u8])],
    ) -> Result<(StatusCode, HeaderMap, String), hyper::Error> {
        let mut request = Request::get("/").header("host", "gateway.test");
        for (name, value) in headers {
            request = request.header(*name, HeaderValue::from_bytes(value).unwrap());
        }
        self.sender.ready().await?;
        let response = self
            .sender
            .send_request(request.body(Empty::new()).unwrap())
            .await?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await?.to_bytes();
        Ok((status, headers, String::from_utf8(body.to_vec()).unwrap()))
    }
}

/// One request on a fresh connection.
async fn fetch(addr: SocketAddr, headers: &[(&str, &[u8])]) -> (StatusCode, HeaderMap, String) {
    Client::connect(addr).await.get(headers).await.unwrap()
}

async fn status_for(addr: SocketAddr, headers: &[(&str, &[u8])]) -> StatusCode {
    fetch(addr, headers).await.0
}

const LIVE_KEY: (&str, &[u8]) = ("authorization", b"Bearer secret_live_demo");
const TEST_KEY: (&str, &[u8]) = ("authorization", b"Bearer secret_test_demo");
/// `curl -u secret_live_demo:`
const LIVE_BASIC: (&str, &[u8]) = ("authorization", b"Basic c2VjcmV0X2xpdmVfZGVtbzo=");
/// `curl -u secret_test_demo:`
const TEST_BASIC: (&str, &[u8]) = ("authorization", b"Basic c2VjcmV0X3Rlc3RfZGVtbzo=");

fn origin(value: &str) -> (&str, &[u8]) {
    ("origin", value.as_bytes())
}

/// The example's app, with `examples/policy.toml` for the default tenant.
async fn example_gateway() -> (SocketAddr, Arc<PolicyStore<String>>) {
    let policy = gateway::read_policy(&gateway::policy_path()).unwrap();
    let store = gateway::tenants(policy).unwrap();
    (serve(gateway::app(store.clone())).await, store)
}

fn run<F: std::future::Future<Output = ()>>(test: F) {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            tokio::time::timeout(TEST_TIMEOUT, test)
                .await
                .expect("test timed out")
        });
}

#[test]
fn allowed_origin_gets_200_with_vary() {
    run(async {
        let (addr, _) = example_gateway().await;
        let (status, headers, body) =
            fetch(addr, &[LIVE_BASIC, origin("https://docs.berbix.com")]).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, "hello from behind the origin gate\n");
        // One line: the gate's `origin` and `CorsLayer`'s names, joined by `MergeVaryLayer`.
        assert_eq!(
            headers.get_all("vary").iter().collect::<Vec<_>>(),
            ["origin, access-control-request-method, access-control-request-headers"]
        );
    });
}

#[test]
fn unlisted_origin_gets_403_without_echo() {
    run(async {
        let (addr, _) = example_gateway().await;
        let (status, headers, body) =
            fetch(addr, &[LIVE_KEY, origin("https://evil.example")]).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(body, LIVE_DENIAL);
        assert_eq!(headers["content-type"], "text/plain; charset=utf-8");
        assert_eq!(headers["cache-control"], "no-store");
        assert_eq!(
            headers.get_all("vary").iter().collect::<Vec<_>>(),
            ["origin, accept, access-control-request-method, access-control-request-headers"]
        );

        let hostile = "https://<script>alert(1)</script>.example";
        let (status, headers, body) = fetch(
            addr,
            &[
                LIVE_KEY,
                origin(hostile),
                ("accept", b"text/html, application/json"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(headers["content-type"], "application/json");
        assert_eq!(
            body,
            r#"{"error":"origin_not_allowed","mode":"live","reason":"origin_not_allowed"}"#
        );
    });
}

/// The body of every denial of a request with a live key, under the default
/// `PublicReason::Uniform`.
const LIVE_DENIAL: &str = "origin not allowed for live mode: origin_not_allowed\n";
/// The body of every denial of a request without a mode.
const NO_MODE_DENIAL: &str = "origin not allowed: origin_not_allowed\n";

#[test]
fn http_origin_in_live_mode_gets_403() {
    run(async {
        let (addr, _) = example_gateway().await;
        for key in [LIVE_KEY, LIVE_BASIC] {
            for denied in ["http://www.berbix.com", "http://localhost:3000"] {
                assert_eq!(
                    status_for(addr, &[key, origin(denied)]).await,
                    StatusCode::FORBIDDEN
                );
            }
        }
        // The same origins in test mode: localhost is listed there, www over http is not.
        assert_eq!(
            status_for(addr, &[TEST_KEY, origin("http://localhost:3000")]).await,
            StatusCode::OK
        );
        assert_eq!(
            status_for(addr, &[TEST_KEY, origin("http://www.berbix.com")]).await,
            StatusCode::FORBIDDEN
        );
    });
}

#[test]
fn mode_comes_from_the_api_secret() {
    run(async {
        let (addr, _) = example_gateway().await;
        let local = origin("http://localhost:3000");
        for (key, expected) in [
            (TEST_KEY, StatusCode::OK),
            (TEST_BASIC, StatusCode::OK),
            (LIVE_KEY, StatusCode::FORBIDDEN),
            (LIVE_BASIC, StatusCode::FORBIDDEN),
            (
                ("authorization", b"Bearer secret_prod_demo"),
                StatusCode::FORBIDDEN,
            ),
            (("authorization", b"Basic !!!"), StatusCode::FORBIDDEN),
        ] {
            assert_eq!(
                status_for(addr, &[key, local]).await,
                expected,
                "{}",
                String::from_utf8_lossy(key.1)
            );
        }
        let (status, _, body) = fetch(addr, &[local]).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(body, NO_MODE_DENIAL);
    });
}

#[test]
fn tenants_are_chosen_by_header_and_unknown_ones_denied() {
    run(async {
        let (addr, _) = example_gateway().await;
        let acme = origin("https://app.acme.example");
        assert_eq!(
            status_for(addr, &[LIVE_KEY, acme, ("x-tenant", b"acme")]).await,
            StatusCode::OK
        );
        // The default tenant does not list acme's origin, nor acme berbix's.
        assert_eq!(
            status_for(addr, &[LIVE_KEY, acme]).await,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            status_for(
                addr,
                &[
                    LIVE_KEY,
                    origin("https://docs.berbix.com"),
                    ("x-tenant", b"acme")
                ]
            )
            .await,
            StatusCode::FORBIDDEN
        );
        // An unknown tenant's 403 is the same as a known tenant's for an unlisted origin, so
        // a made-up key does not tell which tenants exist.
        let (_, listed_headers, listed_body) = fetch(addr, &[LIVE_KEY, acme]).await;
        assert_eq!(listed_body, LIVE_DENIAL);
        for tenant in [&b"nobody"[..], b"", b"ACME", b"acme\xff"] {
            let (status, headers, body) =
                fetch(addr, &[LIVE_KEY, acme, ("x-tenant", tenant)]).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{tenant:?}");
            assert_eq!(body, LIVE_DENIAL);
            assert_eq!(without_date(&headers), without_date(&listed_headers));
        }
        // Without a key, the tenant is not even looked up.
        for tenant in [&b"nobody"[..], b"acme"] {
            let (status, _, body) = fetch(addr, &[acme, ("x-tenant", tenant)]).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{tenant:?}");
            assert_eq!(body, NO_MODE_DENIAL);
        }
    });
}

/// The response headers a client sees, but the `date` that changes every second.
fn without_date(headers: &HeaderMap) -> Vec<(String, Vec<u8>)> {
    headers
        .iter()
        .filter(|(name, _)| *name != "date")
        .map(|(name, value)| (name.to_string(), value.as_bytes().to_vec()))
        .collect()
}

#[test]
fn several_or_non_utf8_origins_are_denied() {
    run(async {
        let (addr, _) = example_gateway().await;
        let precise = serve(hello(
            gateway::gate(gateway::tenants(berbix_policy()).unwrap())
                .public_reason(PublicReason::Precise),
        ))
        .await;
        let good = origin("https://docs.berbix.com");
        let twice: &[(&str, &[u8])] = &[LIVE_KEY, good, good];
        let non_utf8: &[(&str, &[u8])] = &[LIVE_KEY, ("origin", b"https://docs.berbix.com\xff")];
        for (headers, code) in [(twice, "multiple_origins"), (non_utf8, "non_utf8_origin")] {
            let (status, _, body) = fetch(addr, headers).await;
            assert_eq!(status, StatusCode::FORBIDDEN);
            assert_eq!(body, LIVE_DENIAL);
            let (status, _, body) = fetch(precise, headers).await;
            assert_eq!(status, StatusCode::FORBIDDEN);
            assert_eq!(body, format!("origin not allowed for live mode: {code}\n"));
        }
    });
}

fn berbix_policy() -> Policy {
    Policy::builder()
        .allow(Mode::Live, "https://*.berbix.com")
        .build()
        .unwrap()
}

fn hello(layer: OriginPolicyLayer) -> Router {
    Router::new()
        .route("/", routing::get(|| async { "hello" }))
        .layer(layer)
}

#[test]
fn missing_origin_under_each_option() {
    run(async {
        let layer = || {
            OriginPolicyLayer::new(berbix_policy())
                .fixed_mode(Mode::Live)
                .public_reason(PublicReason::Precise)
        };
        let deny = serve(hello(layer())).await;
        let allow = serve(hello(layer().on_missing_origin(MissingOrigin::Allow))).await;
        let referer = serve(hello(layer().on_missing_origin(MissingOrigin::UseReferer))).await;

        let (status, _, body) = fetch(deny, &[]).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(body, "origin not allowed for live mode: missing_origin\n");
        assert_eq!(status_for(allow, &[]).await, StatusCode::OK);
        assert_eq!(status_for(referer, &[]).await, StatusCode::FORBIDDEN);

        // A present Origin is checked under every option.
        for addr in [deny, allow, referer] {
            assert_eq!(
                status_of(addr, "https://evil.example").await,
                StatusCode::FORBIDDEN
            );
            assert_eq!(
                status_of(addr, "https://docs.berbix.com").await,
                StatusCode::OK
            );
        }
    });
}

async fn status_of(addr: SocketAddr, origin_value: &str) -> StatusCode {
    status_for(addr, &[origin(origin_value)]).await
}

#[test]
fn referer_stands_in_for_a_missing_origin() {
    run(async {
        let layer = OriginPolicyLayer::new(berbix_policy())
            .fixed_mode(Mode::Live)
            .on_missing_origin(MissingOrigin::UseReferer);
        let addr = serve(hello(layer)).await;
        for (referer, expected) in [
            ("https://docs.berbix.com/page?q=1#top", StatusCode::OK),
            ("https://docs.berbix.com", StatusCode::OK),
            ("https://docs.berbix.com:8443/x", StatusCode::FORBIDDEN),
            (
                "https://evil.example/https://docs.berbix.com/",
                StatusCode::FORBIDDEN,
            ),
            (
                "https://docs.berbix.com.evil.example/",
                StatusCode::FORBIDDEN,
            ),
            ("https://user@docs.berbix.com/", StatusCode::FORBIDDEN),
            ("http://docs.berbix.com/", StatusCode::FORBIDDEN),
            ("not a url", StatusCode::FORBIDDEN),
        ] {
            let (status, headers, _) = fetch(addr, &[("referer", referer.as_bytes())]).await;
            assert_eq!(status, expected, "{referer}");
            // Allowed or denied, the Referer decided: a shared cache must key on it.
            if status == StatusCode::FORBIDDEN {
                assert_eq!(headers["vary"], "origin, referer, accept");
            } else {
                assert_eq!(headers["vary"], "origin, referer");
            }
        }
        // With an Origin, the Referer is not read, and an allowed response does not vary on it.
        let (status, headers, _) = fetch(
            addr,
            &[
                origin("https://docs.berbix.com"),
                ("referer", b"https://evil.example/"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["vary"], "origin");
        // Origin wins over Referer when both are present.
        let both = [
            origin("https://evil.example"),
            ("referer", &b"https://docs.berbix.com/"[..]),
        ];
        assert_eq!(status_for(addr, &both).await, StatusCode::FORBIDDEN);
        let twice = [
            ("referer", &b"https://docs.berbix.com/"[..]),
            ("referer", &b"https://docs.berbix.com/"[..]),
        ];
        assert_eq!(status_for(addr, &twice).await, StatusCode::FORBIDDEN);
    });
}

#[test]
fn denials_reach_the_hook() {
    run(async {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        let store = Arc::new(PolicyStore::<String>::new());
        store.insert("t".to_owned(), berbix_policy());
        let layer = OriginPolicyLayer::with_store(store, |parts| {
            parts.headers.get("x-tenant").and_then(|v| v.to_str().ok())
        })
        .mode_from_api_secret()
        .on_deny(move |denial| {
            sink.lock().unwrap().push(format!(
                "{:?} {:?} {:?} {}",
                denial.tenant,
                denial.mode,
                denial.origin,
                denial.reason.code()
            ))
        });
        let addr = serve(hello(layer)).await;
        let long = format!("https://{}.example", "a".repeat(200));
        let t = ("x-tenant", &b"t"[..]);
        assert_eq!(
            status_for(addr, &[t, LIVE_KEY, origin("https://docs.berbix.com")]).await,
            StatusCode::OK
        );
        for headers in [
            vec![t, LIVE_KEY, origin("https://evil.example")],
            vec![
                ("x-tenant", b"u"),
                LIVE_KEY,
                origin("https://docs.berbix.com"),
            ],
            vec![t, origin("https://docs.berbix.com")],
            vec![t, LIVE_KEY, origin(&long)],
            vec![t, LIVE_KEY],
        ] {
            assert_eq!(status_for(addr, &headers).await, StatusCode::FORBIDDEN);
        }
        let truncated = &long[..origin_policy::middleware::DENIAL_LOG_MAX_LEN];
        assert_eq!(
            *seen.lock().unwrap(),
            [
                r#"Some("t") Some(Live) Some("https://evil.example") no_matching_rule"#.to_owned(),
                r#"Some("u") Some(Live) Some("https://docs.berbix.com") unknown_tenant"#.to_owned(),
                r#"Some("t") None Some("https://docs.berbix.com") no_mode"#.to_owned(),
                format!(r#"Some("t") Some(Live) Some("{truncated}") malformed_origin"#),
                r#"Some("t") Some(Live) None missing_origin"#.to_owned(),
            ]
        );
    });
}

/// Two policies that disagree on `a` and `b` and agree on `both`.
fn swap_policies() -> (Policy, Policy) {
    let build = |only: &str| {
        Policy::builder()
            .allow(Mode::Live, only)
            .allow(Mode::Live, "https://both.example")
            .build()
            .unwrap()
    };
    (build("https://a.example"), build("https://b.example"))
}

#[test]
fn hot_swap_while_requests_are_in_flight() {
    run(async {
        let (policy_a, policy_b) = swap_policies();
        let store = Arc::new(PolicyStore::<String>::new());
        store.insert("t".to_owned(), policy_a.clone());
        let layer =
            OriginPolicyLayer::with_store(store.clone(), |_| Some("t")).fixed_mode(Mode::Live);
        let addr = serve(hello(layer)).await;

        let stop = Arc::new(AtomicBool::new(false));
        let swaps = Arc::new(AtomicU64::new(0));
        let swapper = {
            let (store, stop, swaps) = (store.clone(), stop.clone(), swaps.clone());
            std::thread::spawn(move || {
                let mut next_is_b = true;
                while !stop.load(Ordering::Relaxed) {
                    let policy = if next_is_b { &policy_b } else { &policy_a };
                    store.insert("t".to_owned(), policy.clone());
                    next_is_b = !next_is_b;
                    swaps.fetch_add(1, Ordering::Relaxed);
                    std::thread::sleep(Duration::from_micros(50));
                }
            })
        };

        let mut clients = Vec::new();
        for connection in 0..8 {
            clients.push(tokio::spawn(async move {
                let mut client = Client::connect(addr).await;
                let mut seen = Vec::new();
                for i in 0..150 {
                    let name = ["a", "b", "both"][(connection + i) % 3];
                    let value = format!("https://{name}.example");
                    let (status, _, _) = client
                        .get(&[origin(&value)])
                        .await
                        .expect("no request fails for a reason other than the policy");
                    seen.push((name, status));
                }
                seen
            }));
        }
        let mut statuses = std::collections::HashMap::<(&str, StatusCode), usize>::new();
        for client in clients {
            for seen in client.await.unwrap() {
                *statuses.entry(seen).or_default() += 1;
            }
        }
        stop.store(true, Ordering::Relaxed);
        swapper.join().unwrap();

        let total: usize = statuses.values().sum();
        assert_eq!(total, 8 * 150);
        for ((name, status), count) in &statuses {
            let allowed = match *name {
                "both" => status == &StatusCode::OK,
                _ => status == &StatusCode::OK || status == &StatusCode::FORBIDDEN,
            };
            assert!(allowed, "{name}: {count} x {status}");
        }
        assert!(
            swaps.load(Ordering::Relaxed) > 10,
            "the policy was swapped during the run"
        );
        // Both policies answered: `a` and `b` were each allowed and denied at times.
        for name in ["a", "b"] {
            for status in [StatusCode::OK, StatusCode::FORBIDDEN] {
                assert!(
                    statuses.contains_key(&(name, status)),
                    "{name} never got {status}"
                );
            }
        }
    });
}

/// 20,000 requests over 32 keep-alive connections: every one answered, each with the
/// status its origin and key call for.
#[test]
fn load_smoke() {
    const CONNECTIONS: usize = 32;
    const PER_CONNECTION: usize = 625;
    run(async {
        let (addr, _) = example_gateway().await;
        let started = std::time::Instant::now();
        let mut tasks = Vec::new();
        for connection in 0..CONNECTIONS {
            tasks.push(tokio::spawn(async move {
                let mut client = Client::connect(addr).await;
                let mut tally = [0usize; 2];
                for i in 0..PER_CONNECTION {
                    let (headers, expected): (&[(&str, &[u8])], StatusCode) =
                        match (connection + i) % 4 {
                            0 => (
                                &[LIVE_KEY, ("origin", b"https://docs.berbix.com")],
                                StatusCode::OK,
                            ),
                            1 => (
                                &[LIVE_KEY, ("origin", b"https://evil.example")],
                                StatusCode::FORBIDDEN,
                            ),
                            2 => (
                                &[TEST_BASIC, ("origin", b"http://localhost:3000")],
                                StatusCode::OK,
                            ),
                            _ => (
                                &[("origin", b"https://docs.berbix.com")],
                                StatusCode::FORBIDDEN,
                            ),
                        };
                    let (status, _, _) = client.get(headers).await.expect("transport error");
                    assert_eq!(status, expected, "connection {connection}, request {i}");
                    tally[usize::from(status == StatusCode::OK)] += 1;
                }
                tally
            }));
        }
        let mut tally = [0usize; 2];
        for task in tasks {
            let [denied, allowed] = task.await.unwrap();
            tally[0] += denied;
            tally[1] += allowed;
        }
        assert_eq!(tally, [10_000, 10_000], "every request answered, none lost");
        eprintln!(
            "load smoke: {} requests over {CONNECTIONS} connections in {:?}",
            CONNECTIONS * PER_CONNECTION,
            started.elapsed()
        );
    });
}

/// The example's reload loop: a changed file is swapped in for the default tenant within
/// a couple of seconds, and a file with a bad entry leaves the running policy in place.
#[test]
fn the_example_reloads_its_policy_file() {
    run(async {
        let path = std::env::temp_dir().join(format!(
            "origin-policy-gateway-test-{}.toml",
            std::process::id()
        ));
        let write = |text: &str, offset: u64| {
            std::fs::write(&path, text).unwrap();
            // A distinct modification time, whatever the file system's resolution.
            let when = std::time::SystemTime::now() + Duration::from_secs(offset);
            std::fs::File::options()
                .write(true)
                .open(&path)
                .unwrap()
                .set_modified(when)
                .unwrap();
        };
        write(r#"live = ["https://one.example"]"#, 0);
        let store = gateway::tenants(gateway::read_policy(&path).unwrap()).unwrap();
        let addr = serve(gateway::app(store.clone())).await;
        tokio::spawn(gateway::reload_on_change(store.clone(), path.clone()));
        let check = |origin_value: &'static str| async move {
            status_for(addr, &[LIVE_KEY, origin(origin_value)]).await
        };
        assert_eq!(check("https://one.example").await, StatusCode::OK);

        // Let the loop record the first modification time before the file changes.
        tokio::time::sleep(Duration::from_millis(200)).await;
        write(r#"live = ["https://two.example"]"#, 10);
        let mut waited = Duration::ZERO;
        while check("https://two.example").await != StatusCode::OK {
            assert!(
                waited < Duration::from_secs(5),
                "the new file was not loaded"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
            waited += Duration::from_millis(50);
        }
        assert_eq!(check("https://one.example").await, StatusCode::FORBIDDEN);

        // A bad file is reported and the running policy kept.
        write(r#"live = ["http://three.example"]"#, 20);
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        assert_eq!(check("https://two.example").await, StatusCode::OK);
        assert_eq!(check("http://three.example").await, StatusCode::FORBIDDEN);
        std::fs::remove_file(&path).unwrap();
    });
}

/// Start-up errors are messages, not `Debug` blobs: a bad policy file is located and hinted
/// as the CLI reports it; an address is `HOST:PORT`, a host name such as `localhost`
/// included, and one without a port says what is expected.
#[test]
fn start_up_errors_are_displayed_and_localhost_addresses_accepted() {
    let dir = std::env::temp_dir().join(format!("gateway-start-up-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("policy.toml");
    std::fs::write(&path, "live = [\n  \"docs.berbix.com\",\n]\n").unwrap();
    let err = gateway::read_policy(&path).unwrap_err().to_string();
    assert_eq!(
        err,
        format!(
            "1 invalid entry:\n{}:2:3: live[0]: MissingScheme: a pattern starts with \
             `https://` or `http://`\n  docs.berbix.com\n  ^^^^^^^^^^^^^^^\n  hint: add \
             `https://` in front, as in `https://docs.berbix.com`",
            path.display()
        )
    );
    std::fs::write(&path, "live = [\n  \"https://docs.berbix.com\"\n").unwrap();
    let err = gateway::read_policy(&path).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!("{}:3:1: not a valid policy file", path.display())),
        "{err}"
    );
    assert!(!err.contains("TomlError"), "{err}");
    let missing = gateway::read_policy(&dir.join("missing.toml"))
        .unwrap_err()
        .to_string();
    assert!(missing.starts_with("cannot read policy file "), "{missing}");
    std::fs::remove_dir_all(&dir).unwrap();

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        // The variable is unset, so the default given is used.
        let unset = "ORIGIN_POLICY_TEST_UNSET_ADDR";
        assert!(std::env::var_os(unset).is_none());
        let listener = gateway::listen(unset, "localhost:0").await.unwrap();
        assert!(listener.local_addr().unwrap().ip().is_loopback());
        let err = gateway::listen(unset, "localhost")
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("cannot listen on ORIGIN_POLICY_TEST_UNSET_ADDR=\"localhost\": "),
            "{err}"
        );
        assert!(
            err.ends_with("(expected HOST:PORT, such as 127.0.0.1:8080 or localhost:8080)"),
            "{err}"
        );
    });
}

/// `--help` and unknown arguments are answered with the usage before anything starts: the
/// example takes its settings from the environment only.
#[test]
fn the_gateway_answers_help_and_unknown_arguments_without_starting() {
    use gateway::Invocation;
    let args = |list: &[&str]| {
        gateway::invocation(
            list.iter()
                .map(std::ffi::OsString::from)
                .collect::<Vec<_>>()
                .into_iter(),
        )
    };
    assert_eq!(args(&[]), Invocation::Serve);
    assert_eq!(args(&["--help"]), Invocation::Help);
    assert_eq!(args(&["-h"]), Invocation::Help);
    assert_eq!(
        args(&["--port", "9000"]),
        Invocation::Unknown("--port".to_owned())
    );
    assert_eq!(args(&["serve"]), Invocation::Unknown("serve".to_owned()));
    // The usage names every variable the example reads, and the defaults it starts with.
    for variable in ["POLICY_FILE", "GATEWAY_ADDR", "DEMO_ADDR"] {
        assert!(
            gateway::USAGE.contains(&format!("  {variable} ")),
            "{variable}"
        );
    }
    assert!(gateway::USAGE.contains("127.0.0.1:8080") && gateway::USAGE.contains("127.0.0.1:3000"));
}
