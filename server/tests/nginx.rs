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

/// How long an edit may take to be seen through nginx, with room to spare: the directory's
/// poll (0.5 s) and the decision cache's max-age (1 s by default).
const CONVERGED: Duration = Duration::from_secs(4);

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

        // An edit takes effect within the directory's poll and the decision cache's
        // max-age (the default, 1 s), with room to spare.
        policies.write("acme.toml", "live = [\"https://new.acme.example\"]\n");
        let took = eventually(CONVERGED, || async {
            check("https://new.acme.example").await == StatusCode::OK
        })
        .await;
        assert!(
            took.is_some(),
            "the edit did not take effect within {CONVERGED:?}"
        );
        let took = eventually(CONVERGED, || async {
            check("https://app.acme.example").await == StatusCode::FORBIDDEN
        })
        .await;
        assert!(
            took.is_some(),
            "the removed origin passed after {CONVERGED:?}"
        );

        // A bad edit is refused and the running policy stays.
        policies.write("acme.toml", "live = [\"http://new.acme.example\"]\n");
        let refused = eventually(CONVERGED, || async { server.log().contains("HttpInLive") }).await;
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
        let took = eventually(CONVERGED, || async {
            check("https://evil.example").await == StatusCode::OK
        })
        .await;
        assert!(
            took.is_some(),
            "report-only did not take effect within {CONVERGED:?}"
        );
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

        // A removed file removes the tenant.
        policies.remove("acme.toml");
        let removed = eventually(CONVERGED, || async {
            check("https://new.acme.example").await == StatusCode::FORBIDDEN
        })
        .await;
        assert!(
            removed.is_some(),
            "the removal did not take effect within {CONVERGED:?}"
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
    // Uncached (max-age 0): the service counts every request, which the end checks.
    let server = Server::start(
        policies.path(),
        &["--denial-log-limit", "10", "--decision-max-age", "0"],
    );
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

/// The decisions the service has made, from its `/metrics`.
async fn decisions(server: &Server) -> u64 {
    let mut client = Client::connect(server.http).await.unwrap();
    let body = client.get("/metrics", &[]).await.unwrap().body;
    String::from_utf8(body.to_vec())
        .unwrap()
        .lines()
        .filter(|line| line.starts_with("origin_policy_decisions_total{"))
        .map(|line| line.rsplit(' ').next().unwrap().parse::<u64>().unwrap())
        .sum()
}

/// The decision cache of the shipped configuration, with a max-age of 1 s: a decision is
/// kept per tenant, key mode and origin (two live keys share it, a live and a test key do
/// not, nor do two origins or two tenants), denials too; Basic credentials are never kept;
/// and an edit is seen through the cache within the poll and the max-age.
#[test]
fn nginx_caches_decisions_by_tenant_mode_and_origin_for_max_age() {
    let policies = policies();
    let server = Server::start(policies.path(), &["--decision-max-age", "1"]);
    let Some(nginx) = Nginx::start(&server, start_app()) else {
        return;
    };
    runtime().block_on(async {
        let mut client = Client::connect(nginx.address()).await.unwrap();
        let origin = ("origin", b"https://app.acme.example".as_slice());
        let first_live = ("authorization", b"Bearer secret_live_customer1".as_slice());
        let second_live = ("authorization", b"Bearer secret_live_customer2".as_slice());
        let test = ("authorization", b"Bearer secret_test_customer1".as_slice());

        // The service answers with the bound, allowed and denied.
        let mut direct = Client::connect(server.http).await.unwrap();
        for (headers, status) in [
            (vec![first_live, origin], StatusCode::NO_CONTENT),
            (vec![test, origin], StatusCode::FORBIDDEN),
        ] {
            let mut headers = headers;
            headers.push(("x-tenant", b"acme"));
            let answer = direct.get("/v1/auth", &headers).await.unwrap();
            assert_eq!(answer.status, status);
            assert_eq!(answer.header("cache-control"), Some("max-age=1"));
        }

        // Each probe: a first request (which may ask the service), then at once a second
        // one of the same key, which must not. Retried a few times, in case the entry of
        // the first expired before the second (a slow machine), never more.
        let kept = |first: Vec<(&'static str, &'static [u8])>,
                    second: Vec<(&'static str, &'static [u8])>,
                    expected: StatusCode| {
            let nginx = nginx.address();
            let server = &server;
            async move {
                let mut client = Client::connect(nginx).await.unwrap();
                for _ in 0..5 {
                    assert_eq!(client.get("/", &first).await.unwrap().status, expected);
                    let before = decisions(server).await;
                    assert_eq!(client.get("/", &second).await.unwrap().status, expected);
                    if decisions(server).await == before {
                        return true;
                    }
                }
                false
            }
        };
        // Allowed, and a second customer's live key: one entry.
        assert!(
            kept(
                vec![ACME_HOST, first_live, origin],
                vec![ACME_HOST, second_live, origin],
                StatusCode::OK
            )
            .await,
            "two live keys did not share the allowed decision"
        );
        // Denied (a test key from a live-only origin): kept as well.
        assert!(
            kept(
                vec![ACME_HOST, test, origin],
                vec![ACME_HOST, test, origin],
                StatusCode::FORBIDDEN
            )
            .await,
            "the denial was not kept"
        );

        // What the key holds tells decisions apart: a live and a test key, two origins,
        // two tenants each ask the service, although the other's decision is kept.
        let asked = |headers: Vec<(&'static str, &'static [u8])>, expected: StatusCode| {
            let nginx = nginx.address();
            let server = &server;
            async move {
                let mut client = Client::connect(nginx).await.unwrap();
                let before = decisions(server).await;
                assert_eq!(
                    client.get("/", &headers).await.unwrap().status,
                    expected,
                    "{headers:?}"
                );
                decisions(server).await > before
            }
        };
        for (warm, other, expected) in [
            (
                vec![ACME_HOST, first_live, origin],
                vec![ACME_HOST, test, origin],
                StatusCode::FORBIDDEN,
            ),
            (
                vec![ACME_HOST, test, origin],
                vec![ACME_HOST, first_live, origin],
                StatusCode::OK,
            ),
            (
                vec![ACME_HOST, first_live, origin],
                vec![ACME_HOST, first_live, ("origin", b"https://evil.example")],
                StatusCode::FORBIDDEN,
            ),
            (
                vec![ACME_HOST, first_live, origin],
                vec![DEFAULT_HOST, first_live, origin],
                StatusCode::FORBIDDEN,
            ),
        ] {
            // The other key is asked about, the warm one is not: retried while an entry
            // could have expired between the two requests.
            let mut told_apart = false;
            for _ in 0..5 {
                client.get("/", &warm).await.unwrap();
                let before = decisions(&server).await;
                if asked(other.clone(), expected).await && decisions(&server).await == before + 1 {
                    told_apart = true;
                    break;
                }
                tokio::time::sleep(Duration::from_millis(1100)).await;
            }
            assert!(told_apart, "{other:?} was answered from {warm:?}'s entry");
        }

        // Basic credentials are decided by the service on every request.
        let basic = (
            "authorization",
            b"Basic c2VjcmV0X2xpdmVfZGVtbzo=".as_slice(),
        );
        for _ in 0..3 {
            assert!(
                asked(vec![ACME_HOST, basic, origin], StatusCode::OK).await,
                "a Basic request was answered from the cache"
            );
        }

        // The cache is what answered: nginx's log says HIT for the kept requests.
        let log = nginx.access_log();
        assert!(log.contains("auth_cache=HIT"), "{log}");
        assert!(log.contains("auth_cache=BYPASS"), "{log}");

        // Staleness is bounded: an origin added is allowed, and one removed denied, within
        // the directory's poll and the max-age (a bounded wait, no timing assert on speed).
        let added = ("origin", b"https://new.acme.example".as_slice());
        assert_eq!(
            client
                .get("/", &[ACME_HOST, first_live, added])
                .await
                .unwrap()
                .status,
            StatusCode::FORBIDDEN
        );
        policies.write("acme.toml", "live = [\"https://new.acme.example\"]\n");
        let address = nginx.address();
        let seen = eventually(CONVERGED, || async {
            acme_status(address, "https://new.acme.example").await == StatusCode::OK
                && acme_status(address, "https://app.acme.example").await == StatusCode::FORBIDDEN
        })
        .await;
        assert!(seen.is_some(), "the edit was not seen within {CONVERGED:?}");
    });
}
