//! `origin-policy-server serve` as a child process, and the HTTP requests the tests send
//! it (plain HTTP/1.1 over loopback, one connection per request).

#![allow(dead_code)]

use std::io::{Read, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::binary;

/// A running `serve`, killed on drop.
pub struct Replica {
    child: Child,
    pub addr: SocketAddr,
}

impl Replica {
    /// Starts `serve` with `args` and `--listen` on a free loopback port, and waits until
    /// it listens (not until it is ready: see [`wait_ready`](Self::wait_ready)).
    pub fn start(args: &[&str]) -> Replica {
        let mut last_error = String::new();
        for _ in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("pick a port")
                .port();
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            let mut child = Command::new(binary())
                .arg("serve")
                .args(args)
                .arg("--listen")
                .arg(addr.to_string())
                .env("RUST_LOG", "info")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .spawn()
                .expect("start the server");
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline {
                if let Ok(Some(status)) = child.try_wait() {
                    last_error = format!("serve exited with {status}");
                    break;
                }
                if TcpStream::connect(addr).is_ok() {
                    return Replica { child, addr };
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("serve did not start listening: {last_error}");
    }

    /// The process id, for `/proc/PID/status`.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The resident set size, from `/proc/PID/status` (Linux), in KiB.
    pub fn rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))?
            .trim()
            .strip_suffix("kB")?
            .trim()
            .parse()
            .ok()
    }

    /// `GET path`: the status and the body.
    pub fn get(&self, path: &str) -> Option<(u16, String)> {
        get(self.addr, path)
    }

    /// Waits until `/readyz` answers 200, at most `limit`.
    pub fn wait_ready(&self, limit: Duration) {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if matches!(self.get("/readyz"), Some((200, _))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("{} not ready within {limit:?}", self.addr);
    }

    /// The version this replica applies for `tenant` (`None`: unknown or unversioned), and
    /// whether it has a policy, from `/v1/tenants/{tenant}`.
    pub fn tenant(&self, tenant: &str) -> (Option<u64>, bool) {
        let (status, body) = self
            .get(&format!("/v1/tenants/{tenant}"))
            .unwrap_or_else(|| panic!("{}: no answer for tenant {tenant}", self.addr));
        let json: serde_json::Value = serde_json::from_str(&body)
            .unwrap_or_else(|err| panic!("{status} {body:?} is not JSON: {err}"));
        assert_eq!(json["tenant"], tenant);
        let loaded = json["loaded"].as_bool().expect("loaded");
        assert_eq!(status == 200, loaded, "{body}");
        (json["version"].as_u64(), loaded)
    }

    /// The value of the metric line starting with `name ` in `/metrics` (0 when absent).
    pub fn metric(&self, name: &str) -> f64 {
        let (_, body) = self.get("/metrics").expect("metrics");
        body.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
            .map_or(0.0, |value| value.trim().parse().expect("a number"))
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One request on a fresh connection; `None` when the server cannot be reached or does
/// not answer within 5 s.
pub fn get(addr: SocketAddr, path: &str) -> Option<(u16, String)> {
    request(addr, path, &[])
}

/// `GET path` with `headers` (name, value) on a fresh connection.
pub fn request(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut head = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    Some((status, body.to_owned()))
}
