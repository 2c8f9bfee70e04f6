//! The browser scene behind real nginx (the shipped `server/examples/nginx.conf`) and the
//! service, in headless Chromium: what a page can do from an allowed and from a disallowed
//! origin, which pages may frame the hosted flow, and a report-only rollout. Without nginx,
//! Chromium or chromedriver the test skips, and under `CI=true` it fails.
//!
//! Origins: the application serves the pages at `http://localhost:APP` (allowed in test
//! mode) and `http://127.0.0.1:APP` (allowed in no mode); Chromium resolves the API host
//! `api.example.com` (the file's `default` tenant) to nginx's loopback address.

mod common;

use std::time::{Duration, Instant};

use common::nginx::{start_app, Nginx};
use common::webdriver::{installed, Driver, Session};
use common::{find_program, required, runtime, Client, Policies, Server};
use serde_json::Value;

const POLICY: &str = "live = [\"https://www.berbix.com\"]\ntest = [\"http://localhost:*\"]\n";

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
    for program in ["chromium", "chromedriver"] {
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
    let policies = Policies::new(&[("default.toml", POLICY)]);
    let server = Server::start(policies.path(), &[]);
    let app = start_app();
    let nginx = Nginx::start(&server, app).expect("nginx");
    let api = format!("http://api.example.com:{}", nginx.address().port());
    let check = format!("{api}/api/v1/check");

    let driver = Driver::start();
    let profile = tempfile::tempdir().unwrap();
    let rules = "--host-resolver-rules=MAP api.example.com 127.0.0.1";
    let session = driver.session_with(profile.path(), &[rules]);

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

    // A page on an origin no mode allows: both calls fail in the browser.
    session.goto(&format!("http://127.0.0.1:{}/page", app.port()));
    assert_eq!(call(&session, &check, "secret_test_k"), "error TypeError");
    assert_eq!(call(&session, &check, "secret_live_k"), "error TypeError");

    // Report-only test mode: the same page's test call passes, counted as would_deny.
    policies.write(
        "default.toml",
        &format!("{POLICY}[options]\nreport_only = [\"test\"]\n"),
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
