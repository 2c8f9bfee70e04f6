//! The server behind a real nginx (Debian's `nginx-light`): the shipped configuration
//! `server/examples/nginx.conf`, run as it is with only its three addresses replaced (nginx,
//! the service, the application), `nginx -t` first, in front of a small application of the
//! test's own. Without nginx the tests skip, and under `CI=true` they fail.

mod common;

use std::fs;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::nginx::{start_app, Nginx, ACME_HOST, APP_FLOW_POLICY, DEFAULT_HOST, UNMAPPED_HOST};
use common::{eventually, runtime, Client, Policies, Server, DEFAULT_POLICY, LIVE_KEY, TEST_KEY};
use http::StatusCode;

/// nginx's status for a live request of tenant acme (by its host) from `origin`.
async fn acme_status(address: SocketAddr, origin: &str) -> StatusCode {
    let headers = [
        ("authorization", LIVE_KEY.as_bytes()),
        ACME_HOST,
        ("origin", origin.as_bytes()),
    ];
    let mut client = Client::connect(address).await.unwrap();
    client.get("/", &headers).await.unwrap().status
}

fn policies() -> Policies {
    Policies::new(&[
        ("default.toml", DEFAULT_POLICY),
        ("acme.toml", "live = [\"https://app.acme.example\"]\n"),
    ])
}

/// The tower gate's JSON body for a denial in `mode` (`OriginPolicyLayer`'s docs).
fn gate_json(mode: &str) -> String {
    format!(r#"{{"error":"origin_not_allowed","mode":{mode},"reason":"origin_not_allowed"}}"#)
}

#[test]
fn nginx_auth_request_allows_denies_grants_preflights_and_follows_edits() {
    let policies = policies();
    let server = Server::start(policies.path(), &[]);
    let Some(nginx) = Nginx::start(&server, start_app()) else {
        return;
    };
    runtime().block_on(async {
        let mut client = Client::connect(nginx.address()).await.unwrap();
        let live = ("authorization", LIVE_KEY.as_bytes());
        let test = ("authorization", TEST_KEY.as_bytes());
        let json = ("accept", b"application/json".as_slice());

        // Allowed: the upstream answers.
        let answer = client
            .get(
                "/api/v1/check",
                &[DEFAULT_HOST, live, ("origin", b"https://docs.berbix.com")],
            )
            .await
            .unwrap();
        assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
        assert_eq!(answer.body, "upstream ok\n");
        assert_eq!(
            answer.header("access-control-allow-origin"),
            Some("https://docs.berbix.com")
        );

        // Denied: the tower gate's 403 (JSON when accepted, else text), the reason in nginx's
        // access log, not in the client's answer, and no CORS grant for an origin no mode
        // allows.
        let answer = client
            .get(
                "/api/v1/check",
                &[
                    DEFAULT_HOST,
                    live,
                    json,
                    ("origin", b"https://evil.example"),
                ],
            )
            .await
            .unwrap();
        assert_eq!(answer.status, StatusCode::FORBIDDEN);
        assert_eq!(answer.body, gate_json("\"live\""));
        assert_eq!(answer.header("content-type"), Some("application/json"));
        assert_eq!(answer.header("cache-control"), Some("no-store"));
        assert_eq!(answer.reason(), None);
        assert_eq!(answer.header("access-control-allow-origin"), None);
        let answer = client
            .get(
                "/api/v1/check",
                &[DEFAULT_HOST, live, ("origin", b"https://evil.example")],
            )
            .await
            .unwrap();
        assert_eq!(answer.status, StatusCode::FORBIDDEN);
        assert_eq!(
            answer.body,
            "origin not allowed for live mode: origin_not_allowed\n"
        );
        // A test-mode origin with a live key: readable (the grant of the origin's mode).
        let answer = client
            .get(
                "/api/v1/check",
                &[
                    DEFAULT_HOST,
                    live,
                    json,
                    ("origin", b"http://localhost:3000"),
                ],
            )
            .await
            .unwrap();
        assert_eq!(answer.status, StatusCode::FORBIDDEN);
        assert_eq!(answer.body, gate_json("\"live\""));
        assert_eq!(
            answer.header("access-control-allow-origin"),
            Some("http://localhost:3000")
        );
        // No key at all: no mode in the body.
        let answer = client
            .get(
                "/api/v1/check",
                &[DEFAULT_HOST, json, ("origin", b"https://docs.berbix.com")],
            )
            .await
            .unwrap();
        assert_eq!(answer.status, StatusCode::FORBIDDEN);
        assert_eq!(answer.body, gate_json("null"));
        let answer = client
            .get(
                "/api/v1/check",
                &[DEFAULT_HOST, test, ("origin", b"http://localhost:3000")],
            )
            .await
            .unwrap();
        assert_eq!(answer.status, StatusCode::OK);

        // A preflight (no key) from a test-only origin: answered by nginx from the service's
        // grant; the application, which answers OPTIONS with 404, never sees it.
        let answer = client
            .send(
                "OPTIONS",
                "/api/v1/check",
                &[
                    DEFAULT_HOST,
                    ("origin", b"http://localhost:3000"),
                    ("access-control-request-method", b"POST"),
                    (
                        "access-control-request-headers",
                        b"authorization, content-type",
                    ),
                ],
            )
            .await
            .unwrap();
        assert!(answer.status.is_success(), "{answer:?}");
        assert_ne!(answer.body, "upstream ok\n");
        assert_eq!(
            answer.header("access-control-allow-origin"),
            Some("http://localhost:3000")
        );
        assert_eq!(answer.header("access-control-allow-methods"), Some("POST"));
        assert_eq!(
            answer.header("access-control-allow-headers"),
            Some("authorization, content-type")
        );
        assert_eq!(answer.header("access-control-max-age"), Some("600"));
        assert_eq!(answer.reason(), None);
        let answer = client
            .send(
                "OPTIONS",
                "/api/v1/check",
                &[
                    DEFAULT_HOST,
                    ("origin", b"https://evil.example"),
                    ("access-control-request-method", b"POST"),
                ],
            )
            .await
            .unwrap();
        assert_eq!(answer.status, StatusCode::FORBIDDEN);
        assert_eq!(answer.header("access-control-allow-origin"), None);
        // A preflight with a live key is decided in live mode.
        let answer = client
            .send(
                "OPTIONS",
                "/api/v1/check",
                &[
                    DEFAULT_HOST,
                    live,
                    ("origin", b"http://localhost:3000"),
                    ("access-control-request-method", b"POST"),
                ],
            )
            .await
            .unwrap();
        assert_eq!(answer.status, StatusCode::FORBIDDEN);

        // The hosted flow: the tenant's directive beside the application's own policy.
        let answer = client.get("/flow/live", &[DEFAULT_HOST]).await.unwrap();
        assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
        let csp: Vec<&str> = answer
            .headers
            .get_all("content-security-policy")
            .iter()
            .map(|value| value.to_str().unwrap())
            .collect();
        assert!(csp.contains(&APP_FLOW_POLICY), "{csp:?}");
        assert!(
            csp.contains(&"frame-ancestors https://www.berbix.com https://*.berbix.com"),
            "{csp:?}"
        );
        let answer = client.get("/flow/test/step", &[ACME_HOST]).await.unwrap();
        assert_eq!(answer.status, StatusCode::OK);
        assert!(answer
            .headers
            .get_all("content-security-policy")
            .iter()
            .any(|value| value == "frame-ancestors 'none'"));
        // No mode in the path, or a host no tenant has: not served.
        let answer = client.get("/flow/prod", &[DEFAULT_HOST]).await.unwrap();
        assert_eq!(answer.status, StatusCode::FORBIDDEN);
        let answer = client.get("/flow/live", &[UNMAPPED_HOST]).await.unwrap();
        assert_eq!(answer.status, StatusCode::FORBIDDEN);

        // Tenants by host; a host the map does not name is denied, never `default`.
        let address = nginx.address();
        let check = |origin: &'static str| acme_status(address, origin);
        assert_eq!(check("https://app.acme.example").await, StatusCode::OK);
        assert_eq!(
            check("https://docs.berbix.com").await,
            StatusCode::FORBIDDEN
        );
        for host in [UNMAPPED_HOST, ("host", b"localhost".as_slice())] {
            let answer = client
                .get(
                    "/",
                    &[
                        host,
                        live,
                        ("x-tenant", b"default"),
                        ("origin", b"https://docs.berbix.com"),
                    ],
                )
                .await
                .unwrap();
            assert_eq!(answer.status, StatusCode::FORBIDDEN, "{host:?}");
        }

        // An edit takes effect within 2 s.
        policies.write("acme.toml", "live = [\"https://new.acme.example\"]\n");
        let took = eventually(Duration::from_secs(2), || async {
            check("https://new.acme.example").await == StatusCode::OK
        })
        .await;
        assert!(took.is_some(), "the edit did not take effect within 2 s");
        assert_eq!(
            check("https://app.acme.example").await,
            StatusCode::FORBIDDEN
        );

        // A bad edit is refused and the running policy stays.
        policies.write("acme.toml", "live = [\"http://new.acme.example\"]\n");
        let refused = eventually(Duration::from_secs(2), || async {
            server.log().contains("HttpInLive")
        })
        .await;
        assert!(
            refused.is_some(),
            "the bad file was not reported:\n{}",
            server.log()
        );
        assert_eq!(check("https://new.acme.example").await, StatusCode::OK);

        // Report-only: acme's live mode lets a disallowed origin through, marked.
        policies.write(
            "acme.toml",
            "live = [\"https://new.acme.example\"]\n[options]\nreport_only = [\"live\"]\n",
        );
        let took = eventually(Duration::from_secs(2), || async {
            check("https://evil.example").await == StatusCode::OK
        })
        .await;
        assert!(took.is_some(), "report-only did not take effect within 2 s");
        let mut client = Client::connect(address).await.unwrap();
        let answer = client
            .get("/", &[ACME_HOST, live, ("origin", b"https://evil.example")])
            .await
            .unwrap();
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(
            answer.header("x-origin-policy-report-only"),
            Some("no_matching_rule")
        );
        let answer = client.get("/flow/live", &[ACME_HOST]).await.unwrap();
        assert_eq!(
            answer.header("content-security-policy-report-only"),
            Some("frame-ancestors https://new.acme.example")
        );

        // A removed file removes the tenant within 2 s.
        policies.remove("acme.toml");
        let removed = eventually(Duration::from_secs(2), || async {
            check("https://new.acme.example").await == StatusCode::FORBIDDEN
        })
        .await;
        assert!(
            removed.is_some(),
            "the removal did not take effect within 2 s"
        );
    });

    // nginx logged the reason of each denial it got from the service, and the request let
    // through by report-only.
    let log = nginx.access_log();
    let reasons: Vec<&str> = log
        .lines()
        .filter_map(|line| line.split("reason=").nth(1)?.split(' ').next())
        .filter(|reason| *reason != "-")
        .collect();
    for reason in ["no_matching_rule", "no_mode"] {
        assert!(
            reasons.contains(&reason),
            "{reason} not in nginx's log:\n{log}"
        );
    }
    assert!(
        log.contains("report_only=no_matching_rule"),
        "no report-only line in nginx's log:\n{log}"
    );
    let errors = fs::read_to_string(nginx.error_log()).unwrap_or_default();
    assert!(
        !errors.contains("[crit]") && !errors.contains("[emerg]"),
        "{errors}"
    );
}

/// 20,000 requests over 32 keep-alive connections through nginx, half allowed and half
/// denied (by origin, by mode, by tenant): every one answered, and answered right.
#[test]
fn nginx_load_smoke_every_answer_right() {
    const CONNECTIONS: usize = 32;
    const REQUESTS: usize = 20_000;
    let policies = policies();
    let server = Server::start(policies.path(), &["--denial-log-limit", "10"]);
    let Some(nginx) = Nginx::start(&server, start_app()) else {
        return;
    };
    let started = Instant::now();
    let wrong = runtime().block_on(async {
        let mut tasks = Vec::new();
        for connection in 0..CONNECTIONS {
            let address = nginx.address();
            tasks.push(tokio::spawn(async move {
                let mut client = Client::connect(address).await.unwrap();
                let mut wrong = Vec::new();
                for index in (connection..REQUESTS).step_by(CONNECTIONS) {
                    let (headers, allowed): (Vec<(&str, &[u8])>, bool) = match index % 4 {
                        0 => (
                            vec![
                                DEFAULT_HOST,
                                ("authorization", LIVE_KEY.as_bytes()),
                                ("origin", b"https://a.berbix.com"),
                            ],
                            true,
                        ),
                        1 => (
                            vec![
                                DEFAULT_HOST,
                                ("authorization", LIVE_KEY.as_bytes()),
                                ("origin", b"https://a.berbix.com.evil.net"),
                            ],
                            false,
                        ),
                        2 => (
                            vec![
                                DEFAULT_HOST,
                                ("authorization", TEST_KEY.as_bytes()),
                                ("origin", b"http://localhost:3000"),
                            ],
                            true,
                        ),
                        _ => (
                            vec![
                                ACME_HOST,
                                ("authorization", LIVE_KEY.as_bytes()),
                                ("origin", b"https://www.berbix.com"),
                            ],
                            false,
                        ),
                    };
                    let answer = tokio::time::timeout(
                        Duration::from_secs(10),
                        client.get(&format!("/r/{index}"), &headers),
                    )
                    .await;
                    let right = match &answer {
                        Ok(Ok(answer)) if allowed => {
                            answer.status == StatusCode::OK && answer.body == "upstream ok\n"
                        }
                        Ok(Ok(answer)) => answer.status == StatusCode::FORBIDDEN,
                        _ => false,
                    };
                    if !right {
                        wrong.push(format!("request {index}: {answer:?}"));
                        if answer.is_err() || matches!(answer, Ok(Err(_))) {
                            client = Client::connect(address).await.unwrap();
                        }
                    }
                }
                wrong
            }));
        }
        let mut wrong = Vec::new();
        for task in tasks {
            wrong.extend(task.await.unwrap());
        }
        wrong
    });
    let took = started.elapsed();
    assert!(
        wrong.is_empty(),
        "{} wrong answers, first: {:?}",
        wrong.len(),
        &wrong[..wrong.len().min(5)]
    );
    eprintln!("{REQUESTS} requests over {CONNECTIONS} connections through nginx in {took:?}");

    // The service counted each decision once.
    let metrics = runtime().block_on(async {
        let mut client = Client::connect(server.http).await.unwrap();
        client.get("/metrics", &[]).await.unwrap().body
    });
    let metrics = String::from_utf8(metrics.to_vec()).unwrap();
    let decisions: u64 = metrics
        .lines()
        .filter(|line| line.starts_with("origin_policy_decisions_total{"))
        .map(|line| line.rsplit(' ').next().unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(decisions, REQUESTS as u64, "{metrics}");
}
