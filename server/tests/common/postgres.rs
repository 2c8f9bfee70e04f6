//! A throwaway PostgreSQL cluster for a test: `initdb` in a temporary directory, the
//! server on a loopback port chosen by the kernel, stopped (and the directory removed)
//! when the value is dropped.
//!
//! The machines run as root and PostgreSQL refuses to, so the cluster belongs to the
//! `postgres` user of Debian's package: the directory is handed to it and every program
//! runs under its uid and gid (set on the child process, so that the postmaster is our
//! direct child and Drop can kill it whatever happened). A non-root user runs the cluster
//! as itself.
//!
//! When no PostgreSQL is installed, [`Postgres::start`] returns `None` after saying so, and
//! the test skips; with `CI=true` it panics instead, so that CI never passes on a skip.

#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How long a start may take before the test fails.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// Ports tried before giving up, when another process takes the one picked in between.
const PORT_ATTEMPTS: usize = 5;

/// The programs of one PostgreSQL installation.
#[derive(Debug, Clone)]
struct Binaries {
    dir: PathBuf,
}

impl Binaries {
    /// The newest `/usr/lib/postgresql/N/bin` that has `initdb` (Debian's layout, where
    /// nothing is on `PATH`), else the directory of `initdb` on `PATH`.
    fn locate() -> Option<Binaries> {
        let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| {
                let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
                let bin = entry.path().join("bin");
                bin.join("initdb").is_file().then_some((version, bin))
            })
            .collect();
        versions.sort();
        if let Some((_, dir)) = versions.pop() {
            return Some(Binaries { dir });
        }
        let path = std::env::var_os("PATH")?;
        std::env::split_paths(&path)
            .find(|dir| dir.join("initdb").is_file() && dir.join("postgres").is_file())
            .map(|dir| Binaries { dir })
    }

    fn program(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

/// Who runs the cluster: the `postgres` user when we are root, else ourselves.
#[derive(Debug, Clone, Copy)]
struct Owner {
    uid_gid: Option<(u32, u32)>,
}

impl Owner {
    fn find() -> Owner {
        let root = command_output("id", &["-u"]).as_deref() == Some("0");
        if !root {
            return Owner { uid_gid: None };
        }
        let uid = command_output("id", &["-u", "postgres"]).and_then(|s| s.parse().ok());
        let gid = command_output("id", &["-g", "postgres"]).and_then(|s| s.parse().ok());
        match (uid, gid) {
            (Some(uid), Some(gid)) => Owner {
                uid_gid: Some((uid, gid)),
            },
            _ => panic!(
                "running as root, PostgreSQL needs an unprivileged user, and there is no \
                 `postgres` user (Debian's postgresql package creates it)"
            ),
        }
    }

    /// A command run by the owner, in `cwd` (a directory the owner can read, unlike root's
    /// home).
    fn command(&self, program: &Path, cwd: &Path) -> Command {
        let mut command = Command::new(program);
        command.current_dir(cwd).env_remove("PGDATA");
        if let Some((uid, gid)) = self.uid_gid {
            command.uid(uid).gid(gid);
        }
        command
    }

    fn take(&self, path: &Path) {
        if let Some((uid, gid)) = self.uid_gid {
            std::os::unix::fs::chown(path, Some(uid), Some(gid))
                .unwrap_or_else(|err| panic!("chown {}: {err}", path.display()));
        }
    }
}

fn command_output(program: &str, args: &[&str]) -> Option<String> {
    let output = Command::new(program).args(args).output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// A running (or stopped, between [`stop`](Postgres::stop) and
/// [`start_again`](Postgres::start_again)) throwaway cluster.
pub struct Postgres {
    binaries: Binaries,
    owner: Owner,
    /// The temporary directory: `data/` (the cluster), the socket, `postgres.log`.
    base: PathBuf,
    port: u16,
    server: Option<Child>,
}

impl Postgres {
    /// A fresh cluster, started and accepting connections; `None` (after a message on
    /// stderr) when PostgreSQL is not installed and `CI` is not `true`.
    pub fn start() -> Option<Postgres> {
        let Some(binaries) = Binaries::locate() else {
            let message = "PostgreSQL is not installed (no initdb in /usr/lib/postgresql/*/bin \
                           or on PATH); `apt-get install postgresql`";
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("{message}");
            }
            eprintln!("skipped: {message}");
            return None;
        };
        let owner = Owner::find();
        let base = fresh_dir();
        owner.take(&base);
        let data = base.join("data");
        let output = owner
            .command(&binaries.program("initdb"), &base)
            .arg("-D")
            .arg(&data)
            .args(["-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"])
            .output()
            .expect("run initdb");
        assert!(
            output.status.success(),
            "initdb failed:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let mut postgres = Postgres {
            binaries,
            owner,
            base,
            port: 0,
            server: None,
        };
        for attempt in 1..=PORT_ATTEMPTS {
            postgres.port = free_port();
            match postgres.launch() {
                Ok(()) => return Some(postgres),
                Err(log) if attempt < PORT_ATTEMPTS && log.contains("could not bind") => {}
                Err(log) => panic!("PostgreSQL did not start:\n{log}"),
            }
        }
        unreachable!("the last attempt returns or panics")
    }

    /// `postgresql://postgres@127.0.0.1:PORT/postgres`.
    pub fn url(&self) -> String {
        format!("postgresql://postgres@127.0.0.1:{}/postgres", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server (fast shutdown: sessions are ended, as in a restart of the
    /// machine's service), keeping the cluster for [`start_again`](Self::start_again).
    pub fn stop(&mut self) {
        self.shut_down("fast");
    }

    /// Stops the server with pg_ctl's shutdown `mode`, killing it if that fails.
    fn shut_down(&mut self, mode: &str) {
        let Some(mut server) = self.server.take() else {
            return;
        };
        let status = self
            .owner
            .command(&self.binaries.program("pg_ctl"), &self.base)
            .arg("stop")
            .arg("-D")
            .arg(self.base.join("data"))
            .args(["-m", mode, "-w", "-t", "20"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if !matches!(status, Ok(status) if status.success()) {
            let _ = server.kill();
        }
        let _ = server.wait();
    }

    /// Starts the stopped cluster again on the same port, so clients reconnect to it.
    pub fn start_again(&mut self) {
        assert!(self.server.is_none(), "the cluster is running");
        if let Err(log) = self.launch() {
            panic!("PostgreSQL did not start again:\n{log}");
        }
    }

    /// Starts `postgres` on `self.port` and waits until it accepts connections; the error
    /// is the server's log.
    fn launch(&mut self) -> Result<(), String> {
        let log_path = self.base.join("postgres.log");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .expect("open the server log");
        self.owner.take(&log_path);
        let log_start = log.metadata().map(|m| m.len()).unwrap_or(0);
        let mut server = self
            .owner
            .command(&self.binaries.program("postgres"), &self.base)
            .arg("-D")
            .arg(self.base.join("data"))
            .arg("-k")
            .arg(&self.base)
            .arg("-p")
            .arg(self.port.to_string())
            .args(["-c", "listen_addresses=127.0.0.1"])
            // A test cluster: durability is not what is tested, and CI time is.
            .args(["-c", "fsync=off", "-c", "synchronous_commit=off"])
            .args(["-c", "full_page_writes=off"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log)
            .spawn()
            .expect("start postgres");
        let read_log = || {
            let text = std::fs::read(&log_path).unwrap_or_default();
            let start = usize::try_from(log_start).unwrap_or(0).min(text.len());
            String::from_utf8_lossy(&text[start..]).into_owned()
        };
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(Some(_)) = server.try_wait() {
                return Err(read_log());
            }
            if self.accepts_connections() {
                self.server = Some(server);
                return Ok(());
            }
            if Instant::now() > deadline {
                let _ = server.kill();
                let _ = server.wait();
                return Err(format!("not ready after {START_TIMEOUT:?}\n{}", read_log()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Runs `program` of the installation (`pg_dump`, `pg_restore`, `psql`) as the cluster's
    /// owner against this server (`-h`, `-p` and `-U` added), in the cluster's directory;
    /// its stdout, or a panic with its output when it fails.
    pub fn tool(&self, program: &str, args: &[&str]) -> String {
        let output = self
            .owner
            .command(&self.binaries.program(program), &self.base)
            .args(["-h", "127.0.0.1", "-U", "postgres", "-p"])
            .arg(self.port.to_string())
            .args(args)
            .output()
            .unwrap_or_else(|err| panic!("run {program}: {err}"));
        assert!(
            output.status.success(),
            "{program} {args:?} failed:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// A file in the cluster's directory (which its owner can write), for a dump.
    pub fn file(&self, name: &str) -> PathBuf {
        self.base.join(name)
    }

    fn accepts_connections(&self) -> bool {
        if TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            return false;
        }
        Command::new(self.binaries.program("pg_isready"))
            .args(["-q", "-h", "127.0.0.1", "-U", "postgres", "-p"])
            .arg(self.port.to_string())
            .status()
            .is_ok_and(|status| status.success())
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // A finished (or panicking) test need not wait for a clean shutdown.
        self.shut_down("immediate");
        let _ = std::fs::remove_dir_all(&self.base);
    }
}

/// A port that was free a moment ago (the kernel's pick for port 0).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.local_addr().expect("local address").port()
}

/// A new, empty directory under the system's temporary directory.
fn fresh_dir() -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let name = format!(
        "origin-policy-pg-{}-{}-{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let dir = std::env::temp_dir().join(name);
    std::fs::create_dir(&dir).expect("create the cluster's directory");
    dir
}
