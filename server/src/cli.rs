//! The command line.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use http::HeaderName;
use tracing::level_filters::LevelFilter;

use crate::logging::LogFormat;
use crate::tenants::TenantStatusAccess;

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

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve decisions for the tenants of a policy directory, reloading it as it changes,
    /// and/or of a PostgreSQL table, following its changes.
    Serve(ServeArgs),
    /// Manage the policies in PostgreSQL: migrate, put, get, history, rollback, delete.
    Db(crate::db::command::DbArgs),
}

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

    /// After SIGTERM, how long in-flight requests may take before the process exits anyway.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub shutdown_timeout: u64,
}
