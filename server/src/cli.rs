//! The command line: its arguments (clap) and the two commands, `serve` (a [`Server`] on
//! the listeners it binds, until SIGTERM or SIGINT) and `db`. The binary parses the
//! arguments and calls [`serve`] or [`db`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use http::HeaderName;
use tokio::net::TcpListener;
use tracing::level_filters::LevelFilter;

pub use crate::db::command::DbArgs;
use crate::logging::{self, LogFormat};
use crate::server::{Limits, Listeners, Server, ServerConfig, DEFAULT_DECISION_MAX_AGE_SECONDS};
pub use crate::tenants::TenantStatusAccess;

/// The exit status of a start-up error (bad directory, address in use).
const START_UP_ERROR: u8 = 2;

/// The command line.
#[derive(Debug, Parser)]
#[command(
    name = "origin-policy-server",
    version,
    about = "Origin-policy decisions for nginx auth_request and Envoy ext_authz"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
// Parsed once per process: the size of the arguments does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve decisions for the tenants of a policy directory, reloading it as it changes,
    /// and/or of a PostgreSQL table, following its changes.
    #[command(after_help = SERVE_AFTER_HELP)]
    Serve(ServeArgs),
    /// Manage the policies in PostgreSQL: migrate, put, get, history, rollback, delete.
    Db(DbArgs),
    /// Print the manual page (roff) of origin-policy-server, or of one COMMAND, on stdout.
    Man(ManArgs),
}

/// The end of `serve --help`: the exit statuses.
const SERVE_AFTER_HELP: &str = "\
Exit status:
  0  stopped by SIGTERM or SIGINT, after in-flight requests finished (or --shutdown-timeout)
  2  a start-up error: a policy directory that cannot be listed, PostgreSQL settings that do
     not parse, no policy source, admin tokens that cannot be read, an address that cannot be
     bound (the message is on stderr); or wrong usage";

/// The arguments of `man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// The command whose page to print (origin-policy-server-COMMAND(1)); none for
    /// origin-policy-server(1).
    #[arg(value_name = "COMMAND", value_parser = ["serve", "db", "man"])]
    pub command: Option<String>,
}

/// `man`: prints the manual page of `origin-policy-server`, or of
/// `origin-policy-server-COMMAND` (the pages its SUBCOMMANDS section names).
pub fn man(args: ManArgs) -> ExitCode {
    use clap::CommandFactory;
    use std::io::Write;

    let top = Cli::command();
    let command = match args
        .command
        .as_deref()
        .map(|name| (name, top.find_subcommand(name)))
    {
        None => top,
        Some((name, Some(sub))) => {
            let page = format!("origin-policy-server-{name}");
            sub.clone().bin_name(page.clone()).display_name(page)
        }
        Some((name, None)) => {
            eprintln!("error: no command {name}");
            return ExitCode::from(START_UP_ERROR);
        }
    };
    let mut page = Vec::new();
    let rendered = clap_mangen::Man::new(command)
        .source(concat!("origin-policy-server ", env!("CARGO_PKG_VERSION")))
        .render(&mut page);
    match rendered.and_then(|()| std::io::stdout().lock().write_all(&page)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: cannot print the manual page: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The arguments of `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The policy directory: one policy file per tenant, TENANT.toml or TENANT.json;
    /// default.toml (or .json) serves requests that name no tenant.
    #[arg(long, value_name = "DIR", required_unless_present = "postgres")]
    pub policies: Option<PathBuf>,

    /// Tenants from PostgreSQL (the schema of `db migrate`): a `postgresql://` URL or
    /// `key=value` pairs. With --policies too, each tenant should come from one of them.
    #[arg(long, value_name = "URL")]
    pub postgres: Option<String>,

    /// How often the PostgreSQL source re-reads every change above the version it has
    /// applied, notification or not (notifications are lost while disconnected).
    #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub postgres_resync_seconds: u64,

    /// The HTTP listener: /v1/auth, /v1/envoy/…, /healthz, /readyz, /metrics. Port 0 picks
    /// a free port; the bound addresses are printed on stdout.
    #[arg(long, value_name = "ADDR")]
    pub listen: SocketAddr,

    /// The gRPC listener for envoy.service.auth.v3.Authorization/Check.
    #[arg(long, value_name = "ADDR")]
    pub grpc_listen: Option<SocketAddr>,

    /// The request header that names the tenant.
    #[arg(long, value_name = "NAME", default_value = "x-tenant")]
    pub tenant_header: HeaderName,

    /// Worker threads of the async runtime (default: one per core). Policy files are read
    /// and built on other threads.
    #[arg(long, value_name = "N")]
    pub workers: Option<usize>,

    /// Access-Control-Max-Age of the CORS grant of an allowed preflight, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 600)]
    pub cors_max_age: u64,

    /// How long a gateway may keep a decision, in seconds: `Cache-Control: max-age` on the
    /// answers of /v1/auth and /v1/frame-ancestors that depend only on the tenant, the key's
    /// mode and the origin (the shipped nginx.conf caches them by that key). An edit is
    /// seen through the cache at most this long after the service sees it; 0 answers
    /// `no-store` to every request.
    #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_DECISION_MAX_AGE_SECONDS, value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub decision_max_age: u64,

    /// The path prefix of the hosted flow (`PREFIX{live|test}...`): an Envoy check for
    /// such a path is answered with the tenant's `frame-ancestors` directive for the mode
    /// the path names, instead of an origin check.
    #[arg(long, value_name = "PREFIX", default_value = "/flow/")]
    pub flow_path_prefix: String,

    /// Log line format.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// The most verbose log level written: off, error, warn, info, debug, trace.
    #[arg(long, value_name = "LEVEL", default_value = "info")]
    pub log_level: LevelFilter,

    /// Per-denial log events written per second at most; the others are counted in a
    /// summary line each second (and /metrics counts every denial).
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub denial_log_limit: u32,

    /// The most entries a tenant's policy may hold in each of its live and test lists; a
    /// policy over it is refused (a located error that names the limit) and the tenant
    /// keeps its previous policy.
    #[arg(long, value_name = "N", default_value_t = Limits::DEFAULT_MAX_ENTRIES_PER_MODE)]
    pub max_policy_entries: usize,

    /// The most bytes a tenant's policy text may have (default 4 MiB); refused likewise.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::DEFAULT_MAX_BYTES)]
    pub max_policy_bytes: usize,

    /// Who may read /v1/tenants/{tenant} (tenant names, versions and content hashes):
    /// anyone who reaches the listener, only clients on a loopback address, or nobody.
    #[arg(long, value_enum, value_name = "WHO", default_value_t = TenantStatusAccess::Loopback)]
    pub tenant_status: TenantStatusAccess,

    /// gRPC connections open at once; a connection over the limit is closed when accepted.
    #[arg(long, value_name = "N", default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..))]
    pub grpc_max_connections: u32,

    /// A gRPC connection without a request for this long is closed (as an HTTP connection
    /// that sends no request head in 10 s).
    #[arg(long, value_name = "SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub grpc_idle_seconds: u64,
    /// The admin listener: the Allowed Domains page at /admin/ and the admin API at
    /// /admin/v1/ (a listener of its own, never the decision listener).
    #[arg(long, value_name = "ADDR", requires = "admin_tokens")]
    pub admin_listen: Option<SocketAddr>,

    /// The admin tokens: one per line, `LABEL TENANT sha256:HEX` (TENANT a tenant or `*`),
    /// read again when the file changes.
    #[arg(long, value_name = "FILE", requires = "admin_listen")]
    pub admin_tokens: Option<PathBuf>,

    /// After SIGTERM, how long in-flight requests may take before the process exits anyway.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub shutdown_timeout: u64,
}

impl ServeArgs {
    /// The server's settings (everything but the listeners and the process's own).
    pub fn config(&self) -> ServerConfig {
        ServerConfig {
            policies: self.policies.clone(),
            postgres: self.postgres.clone(),
            postgres_resync: Duration::from_secs(self.postgres_resync_seconds),
            tenant_header: self.tenant_header.clone(),
            cors_max_age: Duration::from_secs(self.cors_max_age),
            decision_max_age: Duration::from_secs(self.decision_max_age),
            flow_path_prefix: self.flow_path_prefix.clone(),
            denial_log_limit: self.denial_log_limit,
            shutdown_timeout: Duration::from_secs(self.shutdown_timeout),
            tenant_status: self.tenant_status,
            grpc_max_connections: self.grpc_max_connections as usize,
            grpc_idle: Duration::from_secs(self.grpc_idle_seconds),
            policy_limits: Limits::new(self.max_policy_entries, self.max_policy_bytes),
            admin_tokens: self.admin_tokens.clone(),
        }
    }
}

/// `db`: manages the policies in PostgreSQL.
pub fn db(args: DbArgs) -> ExitCode {
    crate::db::command::run(args)
}

/// `serve`: the runtime, logging, the listeners (their addresses printed on stdout for
/// scripts that listen on port 0), then the [`Server`] until SIGTERM or SIGINT.
pub fn serve(args: ServeArgs) -> ExitCode {
    let server = match Server::new(args.config()) {
        Ok(server) => server,
        Err(error) => {
            eprintln!("origin-policy-server: {error}");
            return ExitCode::from(START_UP_ERROR);
        }
    };
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(workers) = args.workers {
        runtime.worker_threads(workers.max(1));
    }
    let runtime = match runtime.enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("origin-policy-server: cannot start the async runtime: {error}");
            return ExitCode::from(START_UP_ERROR);
        }
    };
    let _log_flush = logging::init(args.log_format, args.log_level);
    crate::panics::install_hook();
    let status = runtime.block_on(async {
        let listeners = match bind(&args).await {
            Ok(listeners) => listeners,
            Err(status) => return status,
        };
        server.run(listeners, stop_signal()).await;
        ExitCode::SUCCESS
    });
    // A poll of the directory may be under way on a blocking thread; it holds no state
    // worth waiting for.
    runtime.shutdown_timeout(Duration::from_secs(1));
    status
}

async fn bind(args: &ServeArgs) -> Result<Listeners, ExitCode> {
    let http = bind_one(args.listen, "HTTP").await?;
    let grpc = match args.grpc_listen {
        Some(address) => Some(bind_one(address, "gRPC").await?),
        None => None,
    };
    let admin = match args.admin_listen {
        Some(address) => Some(bind_one(address, "the admin API").await?),
        None => None,
    };
    for (what, listener) in [
        ("http", Some(&http)),
        ("grpc", grpc.as_ref()),
        ("admin", admin.as_ref()),
    ] {
        if let Some(Ok(address)) = listener.map(TcpListener::local_addr) {
            println!("{what} listening on {address}");
        }
    }
    Ok(Listeners { http, grpc, admin })
}

async fn bind_one(address: SocketAddr, what: &str) -> Result<TcpListener, ExitCode> {
    TcpListener::bind(address).await.map_err(|error| {
        eprintln!("origin-policy-server: cannot listen for {what} on {address}: {error}");
        ExitCode::from(START_UP_ERROR)
    })
}

/// Waits for SIGTERM or SIGINT, and logs which.
async fn stop_signal() {
    let name = signal_name().await;
    tracing::info!("{name}: no new connections; finishing the requests in flight");
}

async fn signal_name() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => tokio::select! {
                _ = terminate.recv() => return "SIGTERM",
                _ = tokio::signal::ctrl_c() => return "SIGINT",
            },
            Err(error) => tracing::error!("cannot watch for SIGTERM: {error}"),
        }
    }
    let _ = tokio::signal::ctrl_c().await;
    "SIGINT"
}
