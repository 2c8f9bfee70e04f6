//! The browser path in a real browser: headless Chromium (Debian's `chromium`) loads the
//! gateway example's demo page from several origins, and the page calls the gateway with
//! `fetch` and `Authorization: Bearer <key>`, in both modes, against the shipped
//! `examples/policy.toml`:
//!
//! | page origin | test key | live key |
//! |---|---|---|
//! | `http://localhost:PORT` (test list: `http://localhost:*`) | 200, body read | 403, body read |
//! | `http://127.0.0.2:PORT` (neither list) | CORS failure | CORS failure |
//! | `https://www.berbix.com:PORT` (live list: `https://www.berbix.com:*`) | 403, body read | 200, body read |
//!
//! The same page also frames the gateway's hosted flow (`/flow/test`, `/flow/live`), whose
//! responses carry `Content-Security-Policy: frame-ancestors ...` from the same lists; the
//! framed page posts a message to its parent on load, and the demo page shows `loaded`, or
//! `blocked` when none came:
//!
//! | page origin | framed test flow | framed live flow |
//! |---|---|---|
//! | `http://localhost:PORT` | loaded | blocked |
//! | `http://127.0.0.2:PORT` | blocked | blocked |
//! | `https://www.berbix.com:PORT` | blocked | loaded |
//! | `https://pr-7.preview.example:PORT`, tenant `acme` (live: only the label wildcard `pr-*.preview.example:*`; test: `*.preview.example:*`) | loaded | blocked: the label wildcard is left out of `frame-ancestors` |
//!
//! The https page is served by `openssl s_server -WWW` with a throwaway certificate, and
//! Chromium maps `www.berbix.com` to 127.0.0.1 (`--host-resolver-rules`) and accepts the
//! certificate (`--ignore-certificate-errors`). Each page is one Chromium run with
//! `--dump-dom`, after a virtual-time budget that lets the page's fetches finish; the test
//! reads the answers the page wrote into its `<pre>` elements. Four Chromium runs in all,
//! one per page origin.
//!
//! Every server listens on a loopback address with an ephemeral port and stops with the
//! test. Without `chromium` or `openssl` the test fails when `CI=true` (`.ci/run` installs
//! both) and is skipped, loudly, otherwise.

#![cfg(all(feature = "tower", feature = "policy-file"))]

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tokio::net::TcpListener;

#[path = "../examples/gateway.rs"]
#[allow(dead_code)]
mod gateway;

/// The longest one Chromium run may take before the test fails instead of hanging.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(90);

const GATEWAY_BODY: &str = "hello from behind the origin gate";

/// Whether a program is on the `PATH`.
fn installed(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// `Some(reason)` when the test cannot run here; panics instead under `CI=true`.
fn missing_components() -> Option<String> {
    let missing: Vec<&str> = ["chromium", "openssl"]
        .into_iter()
        .filter(|program| !installed(program))
        .collect();
    if missing.is_empty() {
        return None;
    }
    let reason = format!(
        "{} not installed (Debian packages chromium, chromium-driver, openssl; .ci/run installs them)",
        missing.join(", ")
    );
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true and {reason}"
    );
    Some(reason)
}

/// A scratch directory, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let path = std::env::temp_dir().join(format!(
            "origin-policy-{name}-{}-{:?}",
            std::process::id(),
            Instant::now()
        ));
        std::fs::create_dir_all(&path).unwrap();
        Scratch(path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A child process, killed on drop.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn serve(addr: &str, router: axum::Router) -> SocketAddr {
    let listener = TcpListener::bind(addr).await.unwrap();
    let local = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    local
}

/// A free port on 127.0.0.1 for a server that cannot bind port 0 itself.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Waits (boundedly) until something accepts connections on `addr`.
fn wait_for_listener(addr: SocketAddr) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {addr}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `openssl s_server -WWW` serving `dir` over TLS on 127.0.0.1:`port`, with a fresh
/// self-signed certificate for `www.berbix.com`.
fn https_file_server(dir: &Path, port: u16) -> Running {
    let status = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args([
            "-subj",
            "/CN=www.berbix.com",
            "-keyout",
            "key.pem",
            "-out",
            "cert.pem",
        ])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "openssl req failed");
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
    wait_for_listener(SocketAddr::from(([127, 0, 0, 1], port)));
    running
}

/// What the demo page showed: the answers to its test-key and live-key calls, whether
/// each framed flow loaded, and the words beside each saying why.
#[derive(Debug)]
struct Shown {
    test: String,
    live: String,
    frame_test: String,
    frame_live: String,
    why_test: String,
    why_live: String,
    why_frame_test: String,
    why_frame_live: String,
    /// Whether the page carried the admin page's stylesheet.
    styled: bool,
}

/// The text of the element whose `id` is `id` (no nested elements), in a dumped DOM.
fn element_text(dom: &str, id: &str) -> Option<String> {
    let at = dom.find(&format!(" id=\"{id}\""))?;
    let start = dom[at..].find('>')? + at + 1;
    let end = dom[start..].find("</")? + start;
    Some(dom[start..end].to_owned())
}

/// The text of `<pre id="ID">` in a dumped DOM.
fn pre_text(dom: &str, id: &str) -> Option<String> {
    let open = format!("<pre id=\"{id}\">");
    let start = dom.find(&open)? + open.len();
    let end = dom[start..].find("</pre>")? + start;
    Some(dom[start..end].to_owned())
}

/// Loads `url` in a fresh headless Chromium and returns what the page shows.
fn load_in_chromium(url: &str, extra_flags: &[&str]) -> Shown {
    let profile = Scratch::new("chromium-profile");
    let mut command = Command::new("chromium");
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--dump-dom",
            "--virtual-time-budget=15000",
        ])
        .arg(format!("--user-data-dir={}", profile.0.display()))
        .args(extra_flags)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = Running(command.spawn().unwrap());
    let deadline = Instant::now() + BROWSER_TIMEOUT;
    loop {
        if child.0.try_wait().unwrap().is_some() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "chromium took over {BROWSER_TIMEOUT:?} on {url}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut dom = String::new();
    std::io::Read::read_to_string(child.0.stdout.as_mut().unwrap(), &mut dom).unwrap();
    let shown = |id| {
        pre_text(&dom, id)
            .unwrap_or_else(|| panic!("no <pre id={id:?}> in the DOM of {url}:\n{dom}"))
    };
    let why = |id| {
        element_text(&dom, id)
            .unwrap_or_else(|| panic!("no element {id:?} in the DOM of {url}:\n{dom}"))
    };
    Shown {
        test: shown("test"),
        live: shown("live"),
        frame_test: shown("frame-test"),
        frame_live: shown("frame-live"),
        why_test: why("why-test"),
        why_live: why("why-live"),
        why_frame_test: why("why-frame-test"),
        why_frame_live: why("why-frame-live"),
        styled: dom.contains(gateway::STYLESHEET.lines().next().unwrap()),
    }
}

/// The words the page must show beside an answer or a frame that showed `shown`.
fn expected_why(shown: &str) -> &'static str {
    match shown {
        "loaded" => "Shown: the ",
        "blocked" => "Refused by the browser (frame-ancestors): the ",
        _ if shown.starts_with("200 ") => "Allowed: this page's origin is in the ",
        _ if shown.starts_with("403 ") => "Refused, readably: this page's origin is not in the ",
        _ if shown.starts_with("network-error ") => "Hidden by the browser: ",
        _ => panic!("no explanation expected for {shown:?}"),
    }
}

/// Each answer and each frame of the page is explained in words that fit what it showed,
/// and the page is styled.
fn assert_explained(shown: &Shown) {
    assert!(shown.styled, "the page lacks the stylesheet: {shown:?}");
    for (what, why) in [
        (&shown.test, &shown.why_test),
        (&shown.live, &shown.why_live),
        (&shown.frame_test, &shown.why_frame_test),
        (&shown.frame_live, &shown.why_frame_live),
    ] {
        assert!(
            why.starts_with(expected_why(what)),
            "{what:?}: {why:?}\n{shown:?}"
        );
    }
    assert!(
        shown.why_frame_test.contains("blocked-page icon") == (shown.frame_test == "blocked"),
        "{shown:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_calls_and_frames_the_gateway_from_allowed_and_other_origins_in_both_modes() {
    if let Some(reason) = missing_components() {
        eprintln!("SKIPPED browser test: {reason}");
        return;
    }
    let policy = gateway::read_policy(&gateway::policy_path()).unwrap();
    let store = gateway::tenants(policy).unwrap();
    let gateway_addr = serve("127.0.0.1:0", gateway::app(store)).await;
    let gateway_url = format!("http://{gateway_addr}");
    let local = serve("127.0.0.1:0", gateway::demo_site(&gateway_url)).await;
    let unlisted = serve("127.0.0.2:0", gateway::demo_site(&gateway_url)).await;
    let pages = Scratch::new("https-pages");
    std::fs::write(pages.0.join("demo.html"), gateway::demo_page(&gateway_url)).unwrap();
    let https_port = free_port();
    let _https = https_file_server(&pages.0, https_port);

    let runs = tokio::task::spawn_blocking(move || {
        let localhost = load_in_chromium(&format!("http://localhost:{}/", local.port()), &[]);
        let neither = load_in_chromium(&format!("http://{unlisted}/"), &[]);
        let https_flags = [
            "--host-resolver-rules=MAP www.berbix.com 127.0.0.1, MAP pr-7.preview.example 127.0.0.1",
            "--ignore-certificate-errors",
        ];
        let live_site = load_in_chromium(
            &format!("https://www.berbix.com:{https_port}/demo.html"),
            &https_flags,
        );
        let preview = load_in_chromium(
            &format!("https://pr-7.preview.example:{https_port}/demo.html#tenant=acme"),
            &https_flags,
        );
        (localhost, neither, live_site, preview)
    });
    let (localhost, neither, live_site, preview) = runs.await.unwrap();

    // A test-mode origin: the test key's call reads the body, the live key's a readable 403.
    assert_eq!(
        localhost.test,
        format!("200 {GATEWAY_BODY}"),
        "{localhost:?}"
    );
    assert_eq!(
        localhost.live, "403 origin not allowed for live mode: origin_not_allowed",
        "{localhost:?}"
    );
    // An origin in neither list: no CORS grant, so the page sees a network error only.
    for shown in [&neither.test, &neither.live] {
        assert!(shown.starts_with("network-error "), "{neither:?}");
    }
    // A live-mode https origin: the live key's call reads the body.
    assert_eq!(
        live_site.live,
        format!("200 {GATEWAY_BODY}"),
        "{live_site:?}"
    );
    assert_eq!(
        live_site.test, "403 origin not allowed for test mode: origin_not_allowed",
        "{live_site:?}"
    );

    // Embedding: frame-ancestors from the same lists. A test-mode origin frames the test
    // flow only, a live-mode origin the live flow only, an origin in neither list nothing.
    let frames = |shown: &Shown| (shown.frame_test.clone(), shown.frame_live.clone());
    let (loaded, blocked) = ("loaded".to_owned(), "blocked".to_owned());
    assert_eq!(
        frames(&localhost),
        (loaded.clone(), blocked.clone()),
        "{localhost:?}"
    );
    assert_eq!(
        frames(&neither),
        (blocked.clone(), blocked.clone()),
        "{neither:?}"
    );
    assert_eq!(
        frames(&live_site),
        (blocked.clone(), loaded.clone()),
        "{live_site:?}"
    );
    // An origin that only a label wildcard allows in live mode may call the live API, but
    // frame-ancestors cannot express the wildcard: the live flow is refused (fail closed),
    // while the test flow, allowed by a whole-label wildcard, loads on the same page.
    assert_eq!(preview.live, format!("200 {GATEWAY_BODY}"), "{preview:?}");
    assert_eq!(preview.test, format!("200 {GATEWAY_BODY}"), "{preview:?}");
    assert_eq!(frames(&preview), (loaded, blocked), "{preview:?}");

    // Beside each answer and frame, words that say why it came (and the admin stylesheet).
    for shown in [&localhost, &neither, &live_site, &preview] {
        assert_explained(shown);
    }
}
