//! The browser scene behind real nginx (the shipped `server/examples/nginx.conf`) and the
//! service, in headless Chromium: what a page can do from an allowed and from a disallowed
//! origin, which pages may frame the hosted flow, and a report-only rollout. Without nginx,
//! Chromium, chromedriver or openssl the test skips, and under `CI=true` it fails.
//!
//! Origins: the application serves the pages at `http://localhost:APP` (allowed in test
//! mode) and `http://127.0.0.1:APP` (allowed in no mode); Chromium resolves the API host
//! `api.example.com` (the file's `default` tenant) to nginx's loopback address.
//!
//! The live page is `https://www.berbix.com:PAGE` (allowed in live mode), served by
//! `openssl s_server -WWW` with a throwaway self-signed certificate made by `openssl req`
//! at test time; Chromium maps the name to loopback and accepts the certificate
//! (`--ignore-certificate-errors`). An https page may frame only an https flow (mixed
//! content is blocked), so the test adds a TLS listener to the shipped file, with the same
//! certificate, beside its plain one: the file's own directives are not changed.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::nginx::{start_app, Nginx};
use common::webdriver::{installed, Driver, Session};
use common::{find_program, free_port, required, runtime, Client, Policies, Server};
use serde_json::Value;

/// The policy: the https live page on its port (`PAGE`), any `http://localhost` page in test.
fn policy(page_port: u16) -> String {
    format!("live = [\"https://www.berbix.com:{page_port}\"]\ntest = [\"http://localhost:*\"]\n")
}

/// A child process, killed on drop.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A fresh self-signed certificate for `www.berbix.com` and `api.example.com` in `dir`
/// (`cert.pem`, `key.pem`), valid for a day.
fn make_certificate(dir: &Path) {
    let made = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", "/CN=www.berbix.com"])
        .args([
            "-addext",
            "subjectAltName=DNS:www.berbix.com,DNS:api.example.com",
        ])
        .args(["-keyout", "key.pem", "-out", "cert.pem"])
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "openssl req failed: {}",
        String::from_utf8_lossy(&made.stderr)
    );
}

/// `openssl s_server -WWW`: the files of `dir` over TLS on 127.0.0.1:`port`, with the
/// certificate of [`make_certificate`]; waits (boundedly) until it accepts connections.
fn https_file_server(dir: &Path, port: u16) -> Running {
    let child = Command::new("openssl")
        .args([
            "s_server", "-quiet", "-WWW", "-cert", "cert.pem", "-key", "key.pem",
        ])
        .args(["-accept", &format!("127.0.0.1:{port}")])
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let running = Running(child);
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_err() {
        assert!(
            Instant::now() < deadline,
            "openssl s_server does not listen on {address}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    running
}

/// The shipped file with a TLS listener on 127.0.0.1:`port` added beside its own `listen`,
/// with the certificate of [`make_certificate`] in `dir`.
fn with_tls_listener(conf: String, port: u16, dir: &Path) -> String {
    let listen = conf
        .find("\n        listen ")
        .expect("the shipped file's listen directive")
        + 1;
    let end = conf[listen..].find('\n').unwrap() + listen + 1;
    format!(
        "{}        listen 127.0.0.1:{port} ssl;\n        ssl_certificate {};\n        ssl_certificate_key {};\n{}",
        &conf[..end],
        dir.join("cert.pem").display(),
        dir.join("key.pem").display(),
        &conf[end..]
    )
}

/// Starts `fetch(url)` with `key` in the page and returns what it read: `STATUS BODY`, or
/// `error NAME` when the browser refused to hand over the response.
fn call(session: &Session, url: &str, key: &str) -> String {
    session.run(&format!(
        "window.__answer = null;
         fetch({url:?}, {{ headers: {{ 'Authorization': 'Bearer {key}', 'Accept': 'application/json' }} }})
           .then(async r => {{ window.__answer = r.status + ' ' + await r.text(); }})
           .catch(e => {{ window.__answer = 'error ' + e.name; }});
         return null;"
    ));
    let mut answer = Value::Null;
    session.wait(&format!("fetch {url} with {key}"), || {
        answer = session.run("return window.__answer;");
        !answer.is_null()
    });
    answer.as_str().unwrap().to_owned()
}

/// Whether a frame of `url` in the page loads (its page posts `loaded …` to its parent)
/// within 3 s.
fn framed(session: &Session, url: &str) -> bool {
    session.run(&format!(
        "window.__framed = null;
         window.addEventListener('message', e => {{ window.__framed = e.data; }});
         const frame = document.createElement('iframe');
         frame.src = {url:?};
         document.body.appendChild(frame);
         return null;"
    ));
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline {
        if !session.run("return window.__framed;").is_null() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

#[test]
fn a_page_behind_nginx_reads_what_the_tower_gate_gives() {
    for program in ["chromium", "chromedriver", "openssl"] {
        if !installed(program) {
            assert!(!required(), "{program} is not installed (CI=true)");
            eprintln!("skipped: {program} is not installed");
            return;
        }
    }
    if find_program("nginx").is_none() {
        assert!(!required(), "nginx is not installed (CI=true)");
        eprintln!("skipped: nginx is not installed");
        return;
    }
    let tls = tempfile::tempdir().unwrap();
    make_certificate(tls.path());
    std::fs::write(
        tls.path().join("page.html"),
        "<!doctype html><title>a live page</title><p>A live-mode page.</p>",
    )
    .unwrap();
    let page_port = free_port();
    let _live_page = https_file_server(tls.path(), page_port);
    let policy = policy(page_port);

    let policies = Policies::new(&[("default.toml", &policy)]);
    let server = Server::start(policies.path(), &[]);
    let app = start_app();
    let tls_port = free_port();
    let nginx = Nginx::start_with(&server, app, |conf| {
        with_tls_listener(conf, tls_port, tls.path())
    })
    .expect("nginx");
    let api = format!("http://api.example.com:{}", nginx.address().port());
    let check = format!("{api}/api/v1/check");
    let api_tls = format!("https://api.example.com:{tls_port}");

    let driver = Driver::start();
    let profile = tempfile::tempdir().unwrap();
    let rules = "--host-resolver-rules=MAP api.example.com 127.0.0.1, MAP www.berbix.com 127.0.0.1";
    let session = driver.session_with(profile.path(), &[rules, "--ignore-certificate-errors"]);

    // An allowed test-mode page: the test key's call reads 200, the live key's a readable
    // 403 with the gate's JSON body.
    session.goto(&format!("http://localhost:{}/page", app.port()));
    assert_eq!(call(&session, &check, "secret_test_k"), "200 upstream ok\n");
    assert_eq!(
        call(&session, &check, "secret_live_k"),
        r#"403 {"error":"origin_not_allowed","mode":"live","reason":"origin_not_allowed"}"#
    );
    // The flow: the test flow is framed by this page, the live flow is not.
    assert!(framed(&session, &format!("{api}/flow/test")));
    session.goto(&format!("http://localhost:{}/page", app.port()));
    assert!(!framed(&session, &format!("{api}/flow/live")));

    // The allowed live page (https): the live flow, over TLS, is framed by it, the test flow
    // is not; its live key's call reads 200.
    let live_page = format!("https://www.berbix.com:{page_port}/page.html");
    session.goto(&live_page);
    assert!(framed(&session, &format!("{api_tls}/flow/live")));
    session.goto(&live_page);
    assert!(!framed(&session, &format!("{api_tls}/flow/test")));
    assert_eq!(
        call(
            &session,
            &format!("{api_tls}/api/v1/check"),
            "secret_live_k"
        ),
        "200 upstream ok\n"
    );

    // A page on an origin no mode allows: both calls fail in the browser.
    session.goto(&format!("http://127.0.0.1:{}/page", app.port()));
    assert_eq!(call(&session, &check, "secret_test_k"), "error TypeError");
    assert_eq!(call(&session, &check, "secret_live_k"), "error TypeError");

    // Report-only test mode: the same page's test call passes, counted as would_deny.
    policies.write(
        "default.toml",
        &format!("{policy}[options]\nreport_only = [\"test\"]\n"),
    );
    let metrics = || {
        runtime().block_on(async {
            let mut client = Client::connect(server.http).await.unwrap();
            let body = client.get("/metrics", &[]).await.unwrap().body;
            String::from_utf8(body.to_vec()).unwrap()
        })
    };
    session.wait("the report-only policy to load", || {
        call(&session, &check, "secret_test_k") == "200 upstream ok\n"
    });
    let counted = metrics();
    assert!(
        counted.contains(
            r#"origin_policy_decisions_total{result="would_deny",reason="no_matching_rule",mode="test"}"#
        ),
        "{counted}"
    );
}
