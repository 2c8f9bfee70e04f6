//! The server behind a real nginx (Debian's `nginx-light`): `auth_request` to `/v1/auth` in
//! front of a trivial upstream, with the configuration `docs/service.md` shows (`nginx.conf`
//! beside this file, its `@…@` placeholders filled in). Without nginx the tests skip, and
//! under `CI=true` they fail.

mod common;

use std::fs;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{
    eventually, find_program, free_port, required, runtime, Client, Policies, Server,
    DEFAULT_POLICY, LIVE_KEY, TEST_KEY,
};
use http::StatusCode;

/// The nginx configuration of `docs/service.md`, as a template.
const NGINX_CONF: &str = include_str!("nginx.conf");

/// An nginx in the foreground (no daemon, no master), with a prefix directory of its own.
struct Nginx {
    child: Child,
    prefix: tempfile::TempDir,
    port: u16,
}

impl Nginx {
    /// Starts nginx in front of `server`, or `None` (skip) when nginx is not installed and
    /// the run is not CI's.
    fn start(server: &Server) -> Option<Nginx> {
        let Some(nginx) = find_program("nginx") else {
            assert!(
                !required(),
                "nginx is not installed (CI=true): apt-get install nginx-light"
            );
            eprintln!("skipped: nginx is not installed (apt-get install nginx-light)");
            return None;
        };
        // Ports are picked free and released; one taken meanwhile fails nginx's start,
        // which is retried with others.
        for _ in 0..5 {
            let prefix = tempfile::tempdir().unwrap();
            let (port, upstream) = (free_port(), free_port());
            let conf = NGINX_CONF
                .replace("@PREFIX@", &prefix.path().display().to_string())
                .replace("@LISTEN@", &format!("127.0.0.1:{port}"))
                .replace("@UPSTREAM@", &format!("127.0.0.1:{upstream}"))
                .replace("@ORIGIN_POLICY@", &server.http.to_string());
            fs::write(prefix.path().join("nginx.conf"), conf).unwrap();
            let mut child = Command::new(&nginx)
                .arg("-p")
                .arg(prefix.path())
                .arg("-c")
                .arg(prefix.path().join("nginx.conf"))
                .arg("-e")
                .arg(prefix.path().join("error.log"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if let Some(status) = child.try_wait().unwrap() {
                    let errors =
                        fs::read_to_string(prefix.path().join("error.log")).unwrap_or_default();
                    eprintln!("nginx exited ({status}), retrying with other ports:\n{errors}");
                    break;
                }
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
                    && std::net::TcpStream::connect(("127.0.0.1", upstream)).is_ok()
                {
                    return Some(Nginx {
                        child,
                        prefix,
                        port,
                    });
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("nginx did not start in 5 tries");
    }

    fn address(&self) -> std::net::SocketAddr {
        ([127, 0, 0, 1], self.port).into()
    }

    fn access_log(&self) -> String {
        fs::read_to_string(self.prefix.path().join("access.log")).unwrap_or_default()
    }

    fn error_log(&self) -> PathBuf {
        self.prefix.path().join("error.log")
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// nginx's status for a live request of tenant acme from `origin`.
async fn acme_status(address: std::net::SocketAddr, origin: &str) -> StatusCode {
    let headers = [
        ("authorization", LIVE_KEY.as_bytes()),
        ("x-tenant", b"acme"),
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

#[test]
fn nginx_auth_request_allows_denies_grants_preflights_and_follows_edits() {
    let policies = policies();
    let server = Server::start(policies.path(), &[]);
    let Some(nginx) = Nginx::start(&server) else {
        return;
    };
    runtime().block_on(async {
        let mut client = Client::connect(nginx.address()).await.unwrap();
        let live = ("authorization", LIVE_KEY.as_bytes());
        let test = ("authorization", TEST_KEY.as_bytes());

        // Allowed: the upstream answers.
        let answer = client
            .get(
                "/api/v1/check",
                &[live, ("origin", b"https://docs.berbix.com")],
            )
            .await
            .unwrap();
        assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
        assert_eq!(answer.body, "upstream ok\n");
        assert_eq!(
            answer.header("access-control-allow-origin"),
            Some("https://docs.berbix.com")
        );

        // Denied: nginx's 403, the reason in nginx's access log (not in the client's answer).
        let answer = client
            .get(
                "/api/v1/check",
                &[live, ("origin", b"https://evil.example")],
            )
            .await
            .unwrap();
        assert_eq!(answer.status, StatusCode::FORBIDDEN);
        assert_eq!(answer.reason(), None);
        assert_eq!(answer.header("access-control-allow-origin"), None);
        // A test-mode origin with a live key, and no key at all.
        let answer = client
            .get(
                "/api/v1/check",
                &[live, ("origin", b"http://localhost:3000")],
            )
            .await
            .unwrap();
        assert_eq!(answer.status, StatusCode::FORBIDDEN);
        let answer = client
            .get("/api/v1/check", &[("origin", b"https://docs.berbix.com")])
            .await
            .unwrap();
        assert_eq!(answer.status, StatusCode::FORBIDDEN);
        let answer = client
            .get(
                "/api/v1/check",
                &[test, ("origin", b"http://localhost:3000")],
            )
            .await
            .unwrap();
        assert_eq!(answer.status, StatusCode::OK);

        // A preflight (no key, no tenant header) from a test-only origin: the CORS grant.
        let answer = client
            .send(
                "OPTIONS",
                "/api/v1/check",
                &[
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
        assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
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
        let answer = client
            .send(
                "OPTIONS",
                "/api/v1/check",
                &[
                    ("origin", b"https://evil.example"),
                    ("access-control-request-method", b"POST"),
                ],
            )
            .await
            .unwrap();
        assert_eq!(answer.status, StatusCode::FORBIDDEN);
        assert_eq!(answer.header("access-control-allow-origin"), None);

        // Tenants by header.
        let address = nginx.address();
        let check = |origin: &'static str| acme_status(address, origin);
        assert_eq!(check("https://app.acme.example").await, StatusCode::OK);
        assert_eq!(
            check("https://docs.berbix.com").await,
            StatusCode::FORBIDDEN
        );
        let answer = client
            .get(
                "/",
                &[
                    live,
                    ("x-tenant", b"globex"),
                    ("origin", b"https://docs.berbix.com"),
                ],
            )
            .await
            .unwrap();
        assert_eq!(answer.status, StatusCode::FORBIDDEN);

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

    // nginx logged the reason of each denial it got from the service.
    let log = nginx.access_log();
    let reasons: Vec<&str> = log
        .lines()
        .filter_map(|line| line.split("reason=").nth(1))
        .filter(|reason| *reason != "-")
        .collect();
    for reason in ["no_matching_rule", "no_mode", "unknown_tenant"] {
        assert!(
            reasons.contains(&reason),
            "{reason} not in nginx's log:\n{log}"
        );
    }
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
    let Some(nginx) = Nginx::start(&server) else {
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
                                ("authorization", LIVE_KEY.as_bytes()),
                                ("origin", b"https://a.berbix.com"),
                            ],
                            true,
                        ),
                        1 => (
                            vec![
                                ("authorization", LIVE_KEY.as_bytes()),
                                ("origin", b"https://a.berbix.com.evil.net"),
                            ],
                            false,
                        ),
                        2 => (
                            vec![
                                ("authorization", TEST_KEY.as_bytes()),
                                ("origin", b"http://localhost:3000"),
                                ("x-tenant", b"default"),
                            ],
                            true,
                        ),
                        _ => (
                            vec![
                                ("authorization", LIVE_KEY.as_bytes()),
                                ("origin", b"https://app.acme.example"),
                                ("x-tenant", b"globex"),
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
