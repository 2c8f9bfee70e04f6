//! What the admin tests share: a token file, a replica with an admin listener, and
//! HTTP/1.1 requests with any method, headers and body (one connection each).

#![allow(dead_code)]

use std::io::{Read, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::replica::Replica;

/// alice may manage tenant `acme` only; ops every tenant.
pub const ALICE: &str = "alice-7d1f0c2b9e";
pub const OPS: &str = "ops-52aa19e4c0";

/// The SHA-256 of `token` in hex, computed by the system's `sha256sum` as an operator
/// would, so that the test does not share the server's code.
pub fn sha256_hex(token: &str) -> String {
    let mut child = std::process::Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("sha256sum");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(token.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    String::from_utf8(output.stdout).unwrap()[..64].to_owned()
}

/// Writes the token file of [`ALICE`] and [`OPS`] into `dir`.
pub fn token_file(dir: &Path) -> PathBuf {
    let path = dir.join("admin-tokens");
    std::fs::write(
        &path,
        format!(
            "# label tenant hash\nalice acme sha256:{}\nops * sha256:{}\n",
            sha256_hex(ALICE),
            sha256_hex(OPS)
        ),
    )
    .unwrap();
    path
}

/// A replica serving `source_args` with an admin listener; returns it and the admin
/// address.
pub fn admin_replica(source_args: &[&str], tokens: &Path) -> (Replica, SocketAddr) {
    let port = super::free_port();
    let admin: SocketAddr = ([127, 0, 0, 1], port).into();
    let admin_text = admin.to_string();
    let mut args: Vec<&str> = source_args.to_vec();
    args.extend([
        "--admin-listen",
        &admin_text,
        "--admin-tokens",
        tokens.to_str().unwrap(),
    ]);
    let replica = Replica::start(&args);
    replica.wait_ready(Duration::from_secs(20));
    (replica, admin)
}

/// One answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|error| panic!("{} {:?} is not JSON: {error}", self.status, self.body))
    }

    pub fn etag(&self) -> String {
        self.header("etag").expect("an ETag").to_owned()
    }
}

/// `METHOD path` with `headers` and `body`.
pub fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Answer {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    // A server may answer (413) before reading a large body and close.
    let _ = stream.write_all(body);
    // Read to the end of the body (by Content-Length), or of the connection: a server may
    // keep the connection open despite `Connection: close`.
    let mut response = Vec::new();
    let mut buffer = [0u8; 16 * 1024];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(read) => response.extend_from_slice(&buffer[..read]),
        }
        if complete(&response) {
            break;
        }
    }
    let response = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = response
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no HTTP answer: {response:?}"));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .expect("a status line");
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    Answer {
        status,
        headers,
        body: body.to_owned(),
    }
}

/// Whether `response` holds a whole head and as many body bytes as its Content-Length.
fn complete(response: &[u8]) -> bool {
    let Some(end) = response.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&response[..end]).to_ascii_lowercase();
    let length = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|value| value.trim().parse::<usize>().ok());
    length.is_some_and(|length| response.len() >= end + 4 + length)
}

/// An API call as `token`: JSON body (or none), extra headers.
pub fn call(
    addr: SocketAddr,
    token: &str,
    method: &str,
    path: &str,
    body: Option<serde_json::Value>,
    extra: &[(&str, &str)],
) -> Answer {
    let authorization = format!("Bearer {token}");
    let mut headers = vec![("Authorization", authorization.as_str())];
    headers.extend_from_slice(extra);
    let body = body.map(|json| json.to_string()).unwrap_or_default();
    if !body.is_empty() {
        headers.push(("Content-Type", "application/json"));
    }
    send(addr, method, path, &headers, body.as_bytes())
}

/// `POST /admin/v1/tenants/TENANT/domains` as `token` with the JSON `entry` (`mode`,
/// `pattern`, maybe `note`), and `If-Match` when `if_match` names a version. `tenant` is
/// a path segment, percent-encoded as it goes in the URL.
pub fn add_domain(
    addr: SocketAddr,
    token: &str,
    tenant: &str,
    entry: serde_json::Value,
    if_match: Option<&str>,
) -> Answer {
    let path = format!("/admin/v1/tenants/{tenant}/domains");
    let extra: Vec<(&str, &str)> = if_match
        .map(|etag| ("If-Match", etag))
        .into_iter()
        .collect();
    call(addr, token, "POST", &path, Some(entry), &extra)
}

/// Writers that add their live pattern to `tenant` at once, each on its admin listener,
/// as [`OPS`], all with the same `If-Match: etag`: their statuses, sorted. When the store
/// compares versions, one gets 201 and the others 412.
pub fn racing_writers(writers: &[(SocketAddr, &str)], tenant: &str, etag: &str) -> Vec<u16> {
    let racers: Vec<_> = writers
        .iter()
        .map(|&(admin, pattern)| {
            let (tenant, etag) = (tenant.to_owned(), etag.to_owned());
            let entry = serde_json::json!({"mode": "live", "pattern": pattern});
            std::thread::spawn(move || add_domain(admin, OPS, &tenant, entry, Some(&etag)).status)
        })
        .collect();
    let mut statuses: Vec<u16> = racers.into_iter().map(|r| r.join().unwrap()).collect();
    statuses.sort();
    statuses
}

/// Whether `origin` is allowed for `tenant` in live mode by the decision listener.
pub fn live_allowed(replica: &Replica, tenant: &str, origin: &str) -> bool {
    let answer = super::replica::request(
        replica.addr,
        "/v1/auth",
        &[
            ("Origin", origin),
            ("X-Tenant", tenant),
            ("Authorization", super::LIVE_KEY),
        ],
    );
    matches!(answer, Some((204, _)))
}

/// Polls `probe` every 20 ms for at most `limit`; whether it became true.
pub fn within(limit: Duration, mut probe: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + limit;
    loop {
        if probe() {
            return true;
        }
        if std::time::Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
