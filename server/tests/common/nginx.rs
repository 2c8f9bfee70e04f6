//! nginx (Debian's `nginx-light`) on the shipped configuration `server/examples/nginx.conf`,
//! only its three addresses replaced, `nginx -t` first; and the small application behind it.

use std::convert::Infallible;
use std::fs;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper_util::rt::TokioIo;

use super::{find_program, free_port, required, runtime, Server};

/// The shipped nginx configuration.
pub const NGINX_CONF: &str = include_str!("../../examples/nginx.conf");

/// The addresses the shipped file names, which the test replaces with its own.
pub const CONF_LISTEN: &str = "127.0.0.1:8080";
pub const CONF_SERVICE: &str = "127.0.0.1:9000";
pub const CONF_APP: &str = "127.0.0.1:3000";

/// The hosts the file's tenant map names (`default`, `acme`), and one it does not.
pub const DEFAULT_HOST: (&str, &[u8]) = ("host", b"api.example.com");
pub const ACME_HOST: (&str, &[u8]) = ("host", b"api.acme.example");
pub const UNMAPPED_HOST: (&str, &[u8]) = ("host", b"api.globex.example");

/// The policy the application's flow pages carry themselves.
pub const APP_FLOW_POLICY: &str = "img-src 'self'";

/// The flow's page: it tells the page that frames it that it loaded.
const FLOW_PAGE: &str =
    "<!doctype html><script>parent.postMessage('loaded ' + location.pathname, '*')</script>";

/// The application behind nginx: `upstream ok` for every request, except `OPTIONS`, which
/// it does not know (404: a preflight that reached it would lose its CORS grant), and the
/// flow's pages (HTML that posts `loaded PATH` to its parent), which carry a policy of
/// their own. Runs until the test's process ends.
pub fn start_app() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        runtime().block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(|request: Request<_>| async move {
                        let mut response = Response::new(Full::new(Bytes::from("upstream ok\n")));
                        if request.method() == http::Method::OPTIONS {
                            *response.status_mut() = StatusCode::NOT_FOUND;
                        } else if request.uri().path().starts_with("/flow/") {
                            // A page that tells its parent it loaded, with a policy of its own.
                            *response.body_mut() = Full::new(Bytes::from(FLOW_PAGE));
                            let headers = response.headers_mut();
                            headers.insert(
                                "content-type",
                                http::HeaderValue::from_static("text/html; charset=utf-8"),
                            );
                            headers.insert(
                                "content-security-policy",
                                http::HeaderValue::from_static(APP_FLOW_POLICY),
                            );
                        }
                        Ok::<_, Infallible>(response)
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
    });
    address
}

/// An nginx in the foreground (no daemon, no master), with a prefix directory of its own.
pub struct Nginx {
    child: Child,
    prefix: tempfile::TempDir,
    port: u16,
}

impl Nginx {
    /// Starts nginx on the shipped configuration in front of `server` and `app`, or `None`
    /// (skip) when nginx is not installed and the run is not CI's.
    pub fn start(server: &Server, app: SocketAddr) -> Option<Nginx> {
        Self::start_with(server, app, |conf| conf)
    }

    /// [`start`](Self::start), with `edit` applied to the configuration after its
    /// addresses are replaced: for what a test adds around the shipped file (a TLS
    /// listener), never to change what the file does.
    pub fn start_with(
        server: &Server,
        app: SocketAddr,
        edit: impl Fn(String) -> String,
    ) -> Option<Nginx> {
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
            let port = free_port();
            let conf = edit(
                NGINX_CONF
                    .replace(CONF_LISTEN, &format!("127.0.0.1:{port}"))
                    .replace(CONF_SERVICE, &server.http.to_string())
                    .replace(CONF_APP, &app.to_string()),
            );
            let conf_path = prefix.path().join("nginx.conf");
            fs::write(&conf_path, conf).unwrap();
            let command = |extra: &[&str]| {
                let mut command = Command::new(&nginx);
                command
                    .arg("-p")
                    .arg(prefix.path())
                    .arg("-c")
                    .arg(&conf_path)
                    .arg("-e")
                    .arg(prefix.path().join("error.log"))
                    .args(extra)
                    .stdin(Stdio::null());
                command
            };
            let checked = command(&["-t"]).output().unwrap();
            assert!(
                checked.status.success(),
                "nginx -t refuses server/examples/nginx.conf:\n{}",
                String::from_utf8_lossy(&checked.stderr)
            );
            let mut child = command(&["-g", "daemon off; master_process off;"])
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
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
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

    pub fn address(&self) -> SocketAddr {
        ([127, 0, 0, 1], self.port).into()
    }

    pub fn access_log(&self) -> String {
        fs::read_to_string(self.prefix.path().join("access.log")).unwrap_or_default()
    }

    pub fn error_log(&self) -> PathBuf {
        self.prefix.path().join("error.log")
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
