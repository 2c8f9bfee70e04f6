//! The service on its own: endpoints, bad input, start-up errors, unreadable files, the
//! denial log and the graceful stop. Each test runs its own server process on loopback.

mod common;

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{binary, runtime, Client, Policies, Server, DEFAULT_POLICY, LIVE_KEY, TEST_KEY};
use http::StatusCode;

fn default_only() -> Policies {
    Policies::new(&[("default.toml", DEFAULT_POLICY)])
}

const LIVE: (&str, &[u8]) = ("authorization", LIVE_KEY.as_bytes());
const ALLOWED: (&str, &[u8]) = ("origin", b"https://docs.berbix.com");

async fn ask(
    server: &Server,
    method: &str,
    path: &str,
    headers: &[(&str, &[u8])],
) -> common::Answer {
    let mut client = Client::connect(server.http).await.unwrap();
    client.send(method, path, headers).await.unwrap()
}

#[test]
fn endpoints_answer_as_documented() {
    let policies = default_only();
    let server = Server::start(policies.path(), &[]);
    runtime().block_on(async {
        let health = ask(&server, "GET", "/healthz", &[]).await;
        assert_eq!((health.status, &health.body[..]), (StatusCode::OK, &b"ok\n"[..]));
        assert_eq!(ask(&server, "GET", "/readyz", &[]).await.status, StatusCode::OK);
        assert_eq!(ask(&server, "GET", "/nowhere", &[]).await.status, StatusCode::NOT_FOUND);
        assert_eq!(ask(&server, "GET", "/v1/authx", &[ALLOWED, LIVE]).await.status, StatusCode::NOT_FOUND);

        // nginx: 204; Envoy, at any path below /v1/envoy: 200; any method.
        let nginx = ask(&server, "POST", "/v1/auth", &[ALLOWED, LIVE]).await;
        assert_eq!(nginx.status, StatusCode::NO_CONTENT);
        assert!(nginx.body.is_empty());
        for path in ["/v1/envoy", "/v1/envoy/", "/v1/envoy/api/v1/verify?x=1"] {
            let envoy = ask(&server, "PUT", path, &[ALLOWED, LIVE]).await;
            assert_eq!(envoy.status, StatusCode::OK, "{path}");
            let denied = ask(&server, "PUT", path, &[("origin", b"https://evil.example"), LIVE]).await;
            assert_eq!(denied.status, StatusCode::FORBIDDEN, "{path}");
            assert_eq!(denied.reason(), Some("no_matching_rule"));
        }
        let preflight = [
            ("origin", &b"http://localhost:3000"[..]),
            ("access-control-request-method", b"PATCH"),
            ("access-control-request-headers", b"authorization, x-tenant"),
        ];
        let granted = ask(&server, "OPTIONS", "/v1/auth", &preflight).await;
        assert_eq!(granted.status, StatusCode::NO_CONTENT);
        assert_eq!(granted.header("access-control-allow-origin"), Some("http://localhost:3000"));
        assert_eq!(granted.header("access-control-allow-methods"), Some("PATCH"));
        assert_eq!(granted.header("access-control-allow-headers"), Some("authorization, x-tenant"));
        assert_eq!(granted.header("access-control-max-age"), Some("600"));
        assert!(granted.header("vary").unwrap().contains("origin"));
        // An ordinary allowed request: no grant (its response is the upstream's).
        assert_eq!(nginx.header("access-control-allow-origin"), None);
        let test_mode = ask(&server, "GET", "/v1/auth", &[("origin", b"http://localhost:3000"), ("authorization", TEST_KEY.as_bytes())]).await;
        assert_eq!(test_mode.status, StatusCode::NO_CONTENT);

        let metrics = ask(&server, "GET", "/metrics", &[]).await;
        assert!(metrics.header("content-type").unwrap().starts_with("text/plain; version=0.0.4"));
        let text = String::from_utf8(metrics.body.to_vec()).unwrap();
        for line in [
            r#"origin_policy_decisions_total{result="allowed",reason="allowed",mode="live"} 4"#,
            r#"origin_policy_decisions_total{result="allowed",reason="allowed",mode="none"} 1"#,
            r#"origin_policy_decisions_total{result="allowed",reason="allowed",mode="test"} 1"#,
            r#"origin_policy_decisions_total{result="denied",reason="no_matching_rule",mode="live"} 3"#,
            r#"origin_policy_initial_loads_total{source="directory"} 1"#,
            concat!(r#"origin_policy_build_info{version=""#, env!("CARGO_PKG_VERSION"), r#""} 1"#),
            "origin_policy_tenants 1",
            "origin_policy_decision_duration_seconds_count 9",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} not in\n{text}");
        }
        // The first read is no reload, and a server without --postgres has no db series.
        assert!(!text.contains("origin_policy_reloads_total{"), "{text}");
        assert!(!text.contains("origin_policy_db_"), "{text}");
        let stamp = r#"origin_policy_last_successful_load_timestamp_seconds{source="directory"} "#;
        let stamp: f64 = text.lines().find_map(|l| l.strip_prefix(stamp)).expect("a timestamp").parse().unwrap();
        assert!(stamp > 1.7e9, "{stamp}");
        assert!(text.contains("origin_policy_decision_duration_seconds_bucket{le=\"+Inf\"} 9"), "{text}");
    });
}

#[test]
fn bad_input_gets_a_clear_answer_and_never_a_panic() {
    let policies = default_only();
    let server = Server::start(policies.path(), &[]);
    runtime().block_on(async {
        let huge = vec![b'a'; 1024 * 1024];
        let answer = ask(
            &server,
            "GET",
            "/v1/auth",
            &[ALLOWED, LIVE, ("x-padding", &huge)],
        )
        .await;
        assert_eq!(answer.status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
        let names: Vec<String> = (0..150).map(|i| format!("x-h{i}")).collect();
        let mut many: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b"1"[..])).collect();
        many.extend([ALLOWED, LIVE]);
        let answer = ask(&server, "GET", "/v1/auth", &many).await;
        assert_eq!(answer.status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);

        let long_key = format!("Bearer secret_live_{}", "k".repeat(2000));
        let long_origin = format!("https://{}.berbix.com", "a".repeat(5000));
        for (headers, reason) in [
            (vec![ALLOWED, ALLOWED, LIVE], "multiple_origins"),
            (vec![ALLOWED, LIVE, LIVE], "no_mode"),
            (
                vec![("origin", &b"https://b\xe9rbix.com"[..]), LIVE],
                "non_utf8_origin",
            ),
            (
                vec![ALLOWED, LIVE, ("x-tenant", b"d\xe9fault")],
                "unknown_tenant",
            ),
            (
                vec![
                    ALLOWED,
                    LIVE,
                    ("x-tenant", b"default"),
                    ("x-tenant", b"default"),
                ],
                "unknown_tenant",
            ),
            (
                vec![ALLOWED, LIVE, ("x-tenant", b"globex")],
                "unknown_tenant",
            ),
            (vec![ALLOWED, LIVE, ("x-tenant", b"")], "unknown_tenant"),
            (
                vec![ALLOWED, LIVE, ("x-tenant", b"../default")],
                "unknown_tenant",
            ),
            (
                vec![ALLOWED, ("authorization", long_key.as_bytes())],
                "no_mode",
            ),
            (vec![ALLOWED, ("authorization", b"Basic !!!")], "no_mode"),
            (
                vec![("origin", long_origin.as_bytes()), LIVE],
                "malformed_origin",
            ),
            (vec![("origin", b"null"), LIVE], "opaque_origin"),
            (
                vec![("origin", b"https://docs.berbix.com/path"), LIVE],
                "malformed_origin",
            ),
            (
                vec![("origin", b"https://bucket.s3.amazonaws.com"), LIVE],
                "no_matching_rule",
            ),
        ] {
            let answer = ask(&server, "GET", "/v1/auth", &headers).await;
            assert_eq!(answer.status, StatusCode::FORBIDDEN, "{headers:?}");
            assert_eq!(answer.reason(), Some(reason), "{headers:?}");
        }
    });

    // Bytes that are no HTTP: hyper's 400, and the server lives on.
    for garbage in [
        &b"GARBAGE\r\n\r\n"[..],
        b"GET /v1/auth HTTP/1.1\r\nOrigin\r\n\r\n",
        b"\x00\xff\xfe\r\n\r\n",
    ] {
        let mut stream = std::net::TcpStream::connect(server.http).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        stream.write_all(garbage).unwrap();
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        assert!(
            answer.starts_with(b"HTTP/1.1 400"),
            "{:?}",
            String::from_utf8_lossy(&answer)
        );
    }
    runtime().block_on(async {
        assert_eq!(
            ask(&server, "GET", "/healthz", &[]).await.status,
            StatusCode::OK
        );
    });
    assert!(!server.log().contains("panicked"), "{}", server.log());
}

/// Runs the binary to its exit (at most 10 s): status code and stderr.
fn run_to_exit(args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(binary())
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("still running after 10 s: {args:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    (status.code(), stderr)
}

#[test]
fn start_up_errors_are_clear() {
    let policies = default_only();
    let missing = policies.path().join("missing");
    let missing = missing.to_str().unwrap();
    let (code, stderr) = run_to_exit(&["serve", "--policies", missing, "--listen", "127.0.0.1:0"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("cannot read the policy directory") && stderr.contains(missing),
        "{stderr}"
    );
    assert!(stderr.contains("No such file or directory"), "{stderr}");

    let file = policies.path().join("default.toml");
    let (code, stderr) = run_to_exit(&[
        "serve",
        "--policies",
        file.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
    ]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("not a directory"), "{stderr}");

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let dir = policies.path().to_str().unwrap();
    let (code, stderr) = run_to_exit(&["serve", "--policies", dir, "--listen", &address]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("cannot listen for HTTP on {address}")),
        "{stderr}"
    );

    let (code, stderr) = run_to_exit(&[
        "serve",
        "--policies",
        dir,
        "--listen",
        "127.0.0.1:0",
        "--tenant-header",
        "bad header",
    ]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--tenant-header"), "{stderr}");
    let (code, stderr) = run_to_exit(&["serve", "--listen", "127.0.0.1:0"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--policies"), "{stderr}");
}

/// Root reads any file whatever its mode, so the unreadable entries are a dangling symlink
/// and a directory with a policy file's name (and a file that is not UTF-8).
#[test]
fn unreadable_and_invalid_files_are_reported_and_the_others_served() {
    let policies = default_only();
    std::os::unix::fs::symlink(
        policies.path().join("nowhere"),
        policies.path().join("ghost.json"),
    )
    .unwrap();
    std::fs::create_dir(policies.path().join("folder.toml")).unwrap();
    std::fs::write(policies.path().join("binary.toml"), b"live = [\"\xff\"]\n").unwrap();
    policies.write("twice.toml", "live = []\n");
    policies.write("twice.json", "{}");
    let server = Server::start(policies.path(), &[]);
    runtime().block_on(async {
        assert_eq!(
            ask(&server, "GET", "/v1/auth", &[ALLOWED, LIVE])
                .await
                .status,
            StatusCode::NO_CONTENT
        );
        for tenant in ["ghost", "folder", "binary", "twice"] {
            let answer = ask(
                &server,
                "GET",
                "/v1/auth",
                &[ALLOWED, LIVE, ("x-tenant", tenant.as_bytes())],
            )
            .await;
            assert_eq!(answer.reason(), Some("unknown_tenant"), "{tenant}");
        }
        let metrics = ask(&server, "GET", "/metrics", &[]).await;
        let text = String::from_utf8(metrics.body.to_vec()).unwrap();
        assert!(
            text.contains("origin_policy_reload_failures_total{source=\"directory\"} 4"),
            "{text}"
        );
        assert!(text.contains("origin_policy_tenants 1"), "{text}");
    });
    let log = server.log();
    for expected in [
        "ghost.json: No such file or directory",
        "folder.toml: Is a directory",
        "binary.toml: stream did not contain valid UTF-8",
        "several policy files name this tenant",
    ] {
        assert!(log.contains(expected), "{expected} not in:\n{log}");
    }
}

#[test]
fn denial_events_are_escaped_cut_rate_limited_and_summarized() {
    const FLOOD: usize = 400;
    let policies = default_only();
    let mut server = Server::start(policies.path(), &["--denial-log-limit", "5"]);
    let started = Instant::now();
    runtime().block_on(async {
        // Malformed (a space, quotes), and an attempt at a forged field.
        let injected = ("origin", &b"https://x.example\" reason=\"allowed"[..]);
        assert_eq!(
            ask(&server, "GET", "/v1/auth", &[injected, LIVE])
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        let mut client = Client::connect(server.http).await.unwrap();
        for _ in 1..FLOOD {
            let answer = client
                .get("/v1/auth", &[("origin", b"https://evil.example"), LIVE])
                .await
                .unwrap();
            assert_eq!(answer.status, StatusCode::FORBIDDEN);
        }
    });
    let seconds = started.elapsed().as_secs() + 1;
    assert!(server.terminate(Duration::from_secs(10)).success());
    let log = server.log();
    let denials: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("request denied"))
        .collect();
    assert!(
        denials[0].contains(r#"origin="https://x.example\" reason=\"allowed""#),
        "the origin is not escaped: {}",
        denials[0]
    );
    assert!(
        denials[0].contains(r#"tenant="default" mode="live" reason="malformed_origin""#),
        "{}",
        denials[0]
    );
    assert!(
        denials[1].contains(r#"reason="no_matching_rule" origin="https://evil.example""#),
        "{}",
        denials[1]
    );
    assert!(
        denials.len() as u64 <= 5 * (seconds + 1),
        "{} events in {seconds} s",
        denials.len()
    );
    let left_out: usize = log
        .lines()
        .filter(|line| line.contains("left out of the log"))
        .map(|line| {
            let count = line.split("left_out=").nth(1).unwrap();
            count.split(' ').next().unwrap().parse::<usize>().unwrap()
        })
        .sum();
    assert_eq!(
        denials.len() + left_out,
        FLOOD,
        "written and left out add up to every denial:\n{log}"
    );
}

#[test]
fn json_logs_are_one_object_per_line_and_cut_long_origins() {
    let policies = default_only();
    let mut server = Server::start(policies.path(), &["--log-format", "json"]);
    let long_origin = format!("https://{}.example", "é".repeat(200));
    runtime().block_on(async {
        let answer = ask(
            &server,
            "GET",
            "/v1/auth",
            &[("origin", long_origin.as_bytes()), LIVE],
        )
        .await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN);
    });
    assert!(server.terminate(Duration::from_secs(10)).success());
    let log = server.log();
    let events: Vec<serde_json::Value> = log
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    let denial = events
        .iter()
        .find(|event| event["fields"]["message"] == "request denied")
        .expect("a denial event");
    let fields = &denial["fields"];
    // 200 two-byte characters: a label over 63 bytes once in punycode.
    assert_eq!(fields["reason"], "malformed_origin");
    assert_eq!(fields["mode"], "live");
    let origin = fields["origin"].as_str().unwrap();
    // Debug-escaped, in quotes, cut to at most 128 bytes of the origin.
    assert!(
        origin.starts_with("\"https://éé") && origin.ends_with('"'),
        "{origin}"
    );
    assert!(origin.len() <= 128 + 2, "{} bytes", origin.len());
    assert!(events
        .iter()
        .any(|event| event["fields"]["message"] == "stopped"));
}

#[test]
fn sigterm_stops_accepting_finishes_in_flight_and_exits_zero() {
    let policies = default_only();
    let mut server = Server::start(policies.path(), &[]);
    let address = server.http;
    let runtime = runtime();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            runtime.spawn(async move {
                let (mut answered, mut wrong) = (0usize, Vec::new());
                let Ok(mut client) = Client::connect(address).await else {
                    return (answered, wrong);
                };
                for index in 0..100_000usize {
                    let allowed = index % 2 == 0;
                    let origin: &[u8] = if allowed {
                        b"https://a.berbix.com"
                    } else {
                        b"https://evil.example"
                    };
                    match client.get("/v1/auth", &[("origin", origin), LIVE]).await {
                        Ok(answer) => {
                            let expected = if allowed {
                                StatusCode::NO_CONTENT
                            } else {
                                StatusCode::FORBIDDEN
                            };
                            if answer.status != expected {
                                wrong.push(format!("{index}: {answer:?}"));
                            }
                            answered += 1;
                        }
                        // The connection closed by the stop, between two requests.
                        Err(_) => break,
                    }
                }
                (answered, wrong)
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let status = server.terminate(Duration::from_secs(10));
    assert!(status.success(), "{status}");
    let mut answered = 0;
    for task in tasks {
        let (count, wrong) = runtime.block_on(task).unwrap();
        assert!(wrong.is_empty(), "{wrong:?}");
        answered += count;
    }
    assert!(answered > 0, "no request was answered before the stop");
    assert!(
        std::net::TcpStream::connect(address).is_err(),
        "still accepting after exit"
    );
    let log = server.log();
    assert!(
        log.contains("SIGTERM: no new connections") && log.contains("stopped"),
        "{log}"
    );
}

#[test]
fn tenant_status_is_percent_decoded_hashed_and_can_be_turned_off() {
    let policies = Policies::new(&[
        ("default.toml", DEFAULT_POLICY),
        ("a b.toml", "live = [\"https://a.example\"]\n"),
        ("c.toml", "live = [\"HTTPS://A.example:443\"]\n"),
    ]);
    let server = Server::start(policies.path(), &[]);
    let off = Server::start(policies.path(), &["--tenant-status", "off"]);
    let open = Server::start(policies.path(), &["--tenant-status", "open"]);
    runtime().block_on(async {
        let json = |answer: &common::Answer| -> serde_json::Value {
            serde_json::from_slice(&answer.body).unwrap()
        };
        // The default (loopback) answers this loopback client; the name is decoded.
        let a = ask(&server, "GET", "/v1/tenants/a%20b", &[]).await;
        assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
        let a = json(&a);
        assert_eq!(a["tenant"], "a b");
        let hash = a["content_hash"].as_str().unwrap().to_owned();
        assert!(hash.starts_with("sha256:"), "{hash}");
        // Another spelling of the same entry is the same content.
        let c = json(&ask(&server, "GET", "/v1/tenants/c", &[]).await);
        assert_eq!(c["content_hash"], *hash);
        let default = json(&ask(&server, "GET", "/v1/tenants/default", &[]).await);
        assert_ne!(default["content_hash"], *hash);
        let bad = ask(&server, "GET", "/v1/tenants/%FF", &[]).await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        // Open: the same answer; off: the path is unknown.
        let opened = json(&ask(&open, "GET", "/v1/tenants/a%20b", &[]).await);
        assert_eq!(opened["content_hash"], *hash);
        let hidden = ask(&off, "GET", "/v1/tenants/a%20b", &[]).await;
        assert_eq!(hidden.status, StatusCode::NOT_FOUND);
        assert_eq!(&hidden.body[..], b"not found\n");
    });
}

#[test]
fn a_policy_over_the_size_limits_is_refused_with_the_limit_named_and_the_others_served() {
    let policies = Policies::new(&[
        ("default.toml", DEFAULT_POLICY),
        (
            "wide.toml",
            "live = [\"https://a.example\", \"https://b.example\", \"https://c.example\"]\n",
        ),
        (
            "long.toml",
            &format!("# {}\nlive = [\"https://a.example\"]\n", "x".repeat(300)),
        ),
        (
            "fits.toml",
            "live = [\"https://a.example\", \"https://b.example\"]\n",
        ),
    ]);
    let server = Server::start(
        policies.path(),
        &["--max-policy-entries", "2", "--max-policy-bytes", "200"],
    );
    // The log is written by a background thread: wait for both refusals.
    let deadline = Instant::now() + Duration::from_secs(5);
    while server.log().matches("policy refused").count() < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let log = server.log();
    assert!(
        log.contains("wide.toml:1:")
            && log.contains("over the limit of 2 entries per mode (max_entries_per_mode)"),
        "{log}"
    );
    assert!(
        log.contains("long.toml:") && log.contains("max_bytes"),
        "{log}"
    );
    runtime().block_on(async {
        let origin: (&str, &[u8]) = ("origin", b"https://a.example");
        for (tenant, status) in [
            ("wide", StatusCode::FORBIDDEN),
            ("long", StatusCode::FORBIDDEN),
            ("fits", StatusCode::NO_CONTENT),
        ] {
            let answer = ask(
                &server,
                "GET",
                "/v1/auth",
                &[LIVE, origin, ("x-tenant", tenant.as_bytes())],
            )
            .await;
            assert_eq!(answer.status, status, "{tenant}");
            if status == StatusCode::FORBIDDEN {
                assert_eq!(answer.reason(), Some("unknown_tenant"));
            }
        }
    });
}

/// `man` prints origin-policy-server(1) and a page for each command it names; `serve --help`
/// ends with the exit statuses, as the CLI's help does; `db put --help` describes its
/// arguments.
#[test]
fn the_manual_pages_and_the_help_say_what_the_binary_does() {
    let output = |args: &[&str]| {
        let out = Command::new(binary()).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let top = output(&["man"]);
    assert!(
        top.contains("\n.TH origin-policy-server 1  \"origin-policy-server 0.1.0\""),
        "{top}"
    );
    for name in ["serve", "db", "man"] {
        assert!(
            top.contains(&format!("\norigin\\-policy\\-server\\-{name}(1)\n")),
            "{name}"
        );
        let page = output(&["man", name]);
        assert!(
            page.contains(&format!("\n.TH origin-policy-server-{name} 1 ")),
            "{page}"
        );
    }
    let serve = output(&["man", "serve"]);
    assert!(serve.contains("\\fB\\-\\-policies\\fR"), "{serve}");
    assert!(serve.contains("Exit status:"), "{serve}");

    let help = output(&["serve", "--help"]);
    let status = &help[help
        .find("\nExit status:\n")
        .expect("an exit status section")..];
    assert!(
        status.contains("\n  0  stopped by SIGTERM or SIGINT"),
        "{status}"
    );
    assert!(status.contains("\n  2  a start-up error"), "{status}");

    let put = output(&["db", "put", "--help"]);
    for argument in ["<TENANT>", "<FILE>"] {
        let line = put
            .lines()
            .find(|line| line.trim_start().starts_with(argument))
            .unwrap_or_else(|| panic!("{argument} is listed: {put}"));
        assert!(line.trim().len() > argument.len() + 10, "{line}");
    }
}
