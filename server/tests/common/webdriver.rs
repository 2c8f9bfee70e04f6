//! A WebDriver client for the few commands the browser test sends, over the admin tests'
//! HTTP/1.1 helper: Debian's `chromedriver` driving headless `chromium`.
//!
//! Why not `fantoccini`: it brings a second `http` (0.2), `icu_segmenter` 1.x and about
//! twenty more crates to compile, for ten JSON requests of the W3C protocol.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::admin::send;

/// The W3C key of an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
/// The Enter key, for `send_keys`.
pub const ENTER: &str = "\u{E007}";
/// How long [`Session::wait`] polls.
pub const WAIT: Duration = Duration::from_secs(10);

/// Whether `program` can be run.
pub fn installed(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// A `chromedriver` on a loopback port, killed on drop.
pub struct Driver {
    child: Child,
    addr: SocketAddr,
}

impl Driver {
    pub fn start() -> Driver {
        let port = super::free_port();
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let driver = Driver { child, addr };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if std::net::TcpStream::connect(addr).is_ok() {
                let status = send(addr, "GET", "/status", &[], b"");
                if status.status == 200 && status.json()["value"]["ready"] == true {
                    return driver;
                }
            }
            assert!(Instant::now() < deadline, "chromedriver not ready in 20 s");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A new headless Chromium session with a profile of its own in `profile`.
    pub fn session(&self, profile: &Path) -> Session {
        self.session_with(profile, &[])
    }

    /// [`session`](Self::session) with more Chromium arguments (`--host-resolver-rules=...`).
    pub fn session_with(&self, profile: &Path, extra: &[&str]) -> Session {
        let mut args: Vec<String> = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1280,1500",
        ]
        .iter()
        .map(|arg| (*arg).to_owned())
        .collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        args.extend(extra.iter().map(|arg| (*arg).to_owned()));
        self.session_args(args)
    }

    fn session_args(&self, args: Vec<String>) -> Session {
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": args,
            },
        }}});
        let answer = command(self.addr, "POST", "/session", Some(capabilities));
        let id = answer["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {answer}"))
            .to_owned();
        Session {
            addr: self.addr,
            id,
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One WebDriver command; its `value`.
fn command(addr: SocketAddr, method: &str, path: &str, body: Option<Value>) -> Value {
    let body = body.unwrap_or(json!({})).to_string();
    let body = if method == "GET" || method == "DELETE" {
        String::new()
    } else {
        body
    };
    let answer = send(
        addr,
        method,
        path,
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    );
    let json = answer.json();
    assert_eq!(answer.status, 200, "{method} {path}: {json}");
    json["value"].clone()
}

/// A browser session; deleted (the browser closed) on drop.
pub struct Session {
    addr: SocketAddr,
    id: String,
}

/// An element of the page.
#[derive(Clone)]
pub struct Element(String);

impl Session {
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        command(
            self.addr,
            method,
            &format!("/session/{}{path}", self.id),
            body,
        )
    }

    pub fn goto(&self, url: &str) {
        self.call("POST", "/url", Some(json!({"url": url})));
    }

    /// The elements matching a CSS selector.
    pub fn find_all(&self, css: &str) -> Vec<Element> {
        let found = self.call(
            "POST",
            "/elements",
            Some(json!({"using": "css selector", "value": css})),
        );
        found
            .as_array()
            .unwrap()
            .iter()
            .map(|element| Element(element[ELEMENT].as_str().unwrap().to_owned()))
            .collect()
    }

    /// The one element matching `css`, waiting for it.
    pub fn find(&self, css: &str) -> Element {
        let mut found = None;
        self.wait(&format!("an element {css}"), || {
            found = self.find_all(css).into_iter().next();
            found.is_some()
        });
        found.unwrap()
    }

    /// The element with `data-testid="id"`.
    pub fn testid(&self, id: &str) -> Element {
        self.find(&format!("[data-testid=\"{id}\"]"))
    }

    pub fn click(&self, element: &Element) {
        self.call("POST", &format!("/element/{}/click", element.0), None);
    }

    pub fn clear(&self, element: &Element) {
        self.call("POST", &format!("/element/{}/clear", element.0), None);
    }

    pub fn type_text(&self, element: &Element, text: &str) {
        self.call(
            "POST",
            &format!("/element/{}/value", element.0),
            Some(json!({"text": text})),
        );
    }

    pub fn text(&self, element: &Element) -> String {
        self.call("GET", &format!("/element/{}/text", element.0), None)
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub fn displayed(&self, element: &Element) -> bool {
        self.call("GET", &format!("/element/{}/displayed", element.0), None) == json!(true)
    }

    /// Runs `script` in the page; its return value.
    pub fn run(&self, script: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
    }

    /// Polls `probe` until it holds, at most [`WAIT`]; fails the test naming `what`.
    pub fn wait(&self, what: &str, mut probe: impl FnMut() -> bool) {
        let deadline = Instant::now() + WAIT;
        while !probe() {
            assert!(Instant::now() < deadline, "waited {WAIT:?} for {what}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until the element with `data-testid` `id` is shown and its text contains
    /// `needle`; returns the text.
    pub fn wait_text(&self, id: &str, needle: &str) -> String {
        let element = self.testid(id);
        let mut text = String::new();
        self.wait(&format!("{id} to show {needle:?}"), || {
            text = self.text(&element);
            self.displayed(&element) && text.contains(needle)
        });
        text
    }

    /// A PNG of the window, written to `path` (decoded by the system's `base64`).
    pub fn screenshot(&self, path: &Path) {
        let encoded = self.call("GET", "/screenshot", None);
        let mut child = Command::new("base64")
            .arg("-d")
            .stdin(Stdio::piped())
            .stdout(std::fs::File::create(path).unwrap())
            .spawn()
            .expect("base64");
        use std::io::Write as _;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(encoded.as_str().unwrap().as_bytes())
            .unwrap();
        assert!(child.wait().unwrap().success());
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = send(
            self.addr,
            "DELETE",
            &format!("/session/{}", self.id),
            &[],
            b"",
        );
    }
}
