//! What the server's tests share: a server process on loopback ports of its own, a policy
//! directory, an HTTP/1.1 client, bounded waits; a throwaway PostgreSQL cluster
//! ([`postgres`]) and `serve --postgres` replicas ([`replica`]).
#![allow(dead_code)]

pub mod admin;
pub mod nginx;
pub mod postgres;
pub mod replica;
pub mod webdriver;

use std::fs;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

pub const LIVE_KEY: &str = "Bearer secret_live_4f9a";
pub const TEST_KEY: &str = "Bearer secret_test_4f9a";

/// The policy of `default.toml` in most tests.
pub const DEFAULT_POLICY: &str = r#"
live = ["https://www.berbix.com", "https://*.berbix.com"]
test = ["http://localhost:3000"]
"#;

/// A temporary policy directory.
pub struct Policies {
    pub dir: tempfile::TempDir,
}

impl Policies {
    pub fn new(files: &[(&str, &str)]) -> Self {
        let policies = Policies {
            dir: tempfile::tempdir().unwrap(),
        };
        for (name, text) in files {
            policies.write(name, text);
        }
        policies
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file whole, through a rename, as deploy tools do.
    pub fn write(&self, name: &str, text: &str) {
        let temporary = self.dir.path().join(format!(".{name}.tmp"));
        fs::write(&temporary, text).unwrap();
        fs::rename(&temporary, self.dir.path().join(name)).unwrap();
    }

    pub fn remove(&self, name: &str) {
        fs::remove_file(self.dir.path().join(name)).unwrap();
    }
}

/// A running `origin-policy-server serve`, its stderr in a file; killed when dropped.
pub struct Server {
    child: Option<Child>,
    pub http: SocketAddr,
    pub grpc: Option<SocketAddr>,
    log: PathBuf,
    _log_dir: tempfile::TempDir,
}

/// The runtime the tests' clients run on: two workers, so a test can serve and ask at once.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_origin-policy-server")
}

impl Server {
    /// Starts the server on `policies` with `args` added, and waits until it is ready.
    pub fn start(policies: &Path, args: &[&str]) -> Server {
        let log_dir = tempfile::tempdir().unwrap();
        let log = log_dir.path().join("stderr.log");
        let mut child = Command::new(binary())
            .args(["serve", "--policies"])
            .arg(policies)
            .args(["--listen", "127.0.0.1:0", "--workers", "2"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let (mut http, mut grpc) = (None, None);
        let wants_grpc = args.contains(&"--grpc-listen");
        for line in stdout.lines() {
            let line = line.unwrap();
            if let Some(address) = line.strip_prefix("http listening on ") {
                http = Some(address.parse().unwrap());
            } else if let Some(address) = line.strip_prefix("grpc listening on ") {
                grpc = Some(address.parse().unwrap());
            }
            if http.is_some() && (grpc.is_some() || !wants_grpc) {
                break;
            }
        }
        let server = Server {
            child: Some(child),
            http: http.expect("the server printed no HTTP address"),
            grpc,
            log,
            _log_dir: log_dir,
        };
        server.wait_ready();
        server
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        loop {
            let ready = runtime.block_on(async {
                let mut client = Client::connect(self.http).await.ok()?;
                let response = client.get("/readyz", &[]).await.ok()?;
                Some(response.status == StatusCode::OK)
            });
            if ready == Some(true) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "not ready in 10 s:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// What the server wrote on stderr so far.
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// Sends SIGTERM and waits (at most `limit`) for the exit status.
    pub fn terminate(&mut self, limit: Duration) -> ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let mut child = self.child.take().unwrap();
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("no exit within {limit:?} of SIGTERM:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// One answer, with its body.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|value| value.to_str().unwrap())
    }

    pub fn reason(&self) -> Option<&str> {
        self.header("x-origin-policy-reason")
    }
}

/// One keep-alive HTTP/1.1 connection (hyper's client).
pub struct Client {
    sender: SendRequest<Empty<Bytes>>,
}

impl Client {
    pub async fn connect(address: SocketAddr) -> Result<Client, BoxError> {
        let stream = TcpStream::connect(address).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        Ok(Client { sender })
    }

    pub async fn get(&mut self, path: &str, headers: &[(&str, &[u8])]) -> Result<Answer, BoxError> {
        self.send("GET", path, headers).await
    }

    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &[u8])],
    ) -> Result<Answer, BoxError> {
        let mut request = Request::builder().method(method).uri(path);
        // `localhost`, unless the caller names a host of its own.
        if !headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("host"))
        {
            request = request.header("host", "localhost");
        }
        for (name, value) in headers {
            request = request.header(*name, http::HeaderValue::from_bytes(value).unwrap());
        }
        self.sender.ready().await?;
        let response = self
            .sender
            .send_request(request.body(Empty::new()).unwrap())
            .await?;
        let (parts, body) = response.into_parts();
        Ok(Answer {
            status: parts.status,
            headers: parts.headers,
            body: body.collect().await?.to_bytes(),
        })
    }
}

/// Polls `probe` every 20 ms until it is true, for at most `limit`; returns the time taken.
pub async fn eventually<F, Fut>(limit: Duration, mut probe: F) -> Option<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    loop {
        if probe().await {
            return Some(start.elapsed());
        }
        if start.elapsed() > limit {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A free loopback port (bound, read, released: another process could take it meanwhile,
/// which nginx's start-up would then report).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `name` on the PATH or in /usr/sbin.
pub fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/local/sbin")])
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// Whether a missing component must fail the test (CI) rather than skip it.
pub fn required() -> bool {
    std::env::var("CI").is_ok_and(|value| value == "true")
}
