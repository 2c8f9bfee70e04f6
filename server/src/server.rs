//! [`Server`]: the decision service on listeners it is given, built from a plain
//! [`ServerConfig`], until a shutdown future completes; then it stops accepting, finishes
//! what is in flight (up to [`ServerConfig::shutdown_timeout`]) and returns.
//!
//! The binary's `serve` ([`crate::cli`]) binds the listeners, starts the runtime and
//! logging, and passes SIGTERM as the shutdown future; a test or another program passes
//! its own listeners and future.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderName, Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::admin::{self, Admin, Tokens};
use crate::db::source::{PostgresConfig, PostgresSource};
use crate::decide::{Decider, DeciderConfig};
use crate::decision_cache::DecisionCache;
pub use crate::decision_cache::DEFAULT_MAX_AGE_SECONDS as DEFAULT_DECISION_MAX_AGE_SECONDS;
use crate::feed::Feed;
use crate::grpc::{AuthorizationServer, CheckService};
use crate::grpc_connections::{self, ConnectionLimits};
use crate::http_api::{handle, App};
use crate::logging::DenialLog;
use crate::metrics::Metrics;
pub use crate::policy_file::Limits;
use crate::source::directory::DirectorySource;
pub use crate::tenants::TenantStatusAccess;

/// The request head that is surely answered 431, in bytes. hyper checks the limit when a
/// head is still incomplete after a read, so a head a little over it that arrives in one
/// read can still pass; none much larger does, and the buffer stays about this size.
const MAX_REQUEST_HEAD: usize = 64 * 1024;

/// What the service serves and how; every field has the command line's default.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The policy directory: one policy file per tenant, `TENANT.toml` or `TENANT.json`.
    pub policies: Option<PathBuf>,
    /// Tenants from PostgreSQL: a `postgresql://` URL or `key=value` pairs.
    pub postgres: Option<String>,
    /// How often the PostgreSQL source re-reads every change above its version.
    pub postgres_resync: Duration,
    /// The request header that names the tenant.
    pub tenant_header: HeaderName,
    /// `Access-Control-Max-Age` of the CORS grant of an allowed preflight.
    pub cors_max_age: Duration,
    /// How long a gateway may keep a decision: `Cache-Control: max-age` (whole seconds) on
    /// the answers of `/v1/auth` and `/v1/frame-ancestors` that depend only on the tenant,
    /// the mode and the origin; zero for `no-store` on every answer.
    pub decision_max_age: Duration,
    /// The path prefix of the hosted flow (default `/flow/`): an Envoy check for
    /// `PREFIX{live|test}` (then the end, `/` or `?`) is answered with the tenant's
    /// `frame-ancestors` directive for that mode; empty for none.
    pub flow_path_prefix: String,
    /// Per-denial log events written per second at most.
    pub denial_log_limit: u32,
    /// After the shutdown future completes, how long in-flight requests may take.
    pub shutdown_timeout: Duration,
    /// Who may read `/v1/tenants/{tenant}`.
    pub tenant_status: TenantStatusAccess,
    /// gRPC connections open at once; one over the limit is closed when accepted.
    pub grpc_max_connections: usize,
    /// A gRPC connection without a request for this long is closed.
    pub grpc_idle: Duration,
    /// The size limits of one tenant's policy (entries per mode, bytes), from the
    /// directory or PostgreSQL: a policy over one is refused like an invalid one.
    pub policy_limits: Limits,
    /// The admin tokens file (`LABEL TENANT sha256:HEX` lines), needed to serve
    /// [`Listeners::admin`].
    pub admin_tokens: Option<PathBuf>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            policies: None,
            postgres: None,
            postgres_resync: Duration::from_secs(30),
            tenant_header: HeaderName::from_static("x-tenant"),
            cors_max_age: Duration::from_secs(600),
            decision_max_age: Duration::from_secs(DEFAULT_DECISION_MAX_AGE_SECONDS),
            flow_path_prefix: "/flow/".to_owned(),
            denial_log_limit: 100,
            shutdown_timeout: Duration::from_secs(10),
            tenant_status: TenantStatusAccess::Loopback,
            grpc_max_connections: 1024,
            grpc_idle: Duration::from_secs(10),
            policy_limits: Limits::default(),
            admin_tokens: None,
        }
    }
}

/// The listeners a [`Server`] serves on, bound by the caller (port 0 is fine).
#[derive(Debug)]
pub struct Listeners {
    /// `/v1/auth`, `/v1/envoy/…`, `/v1/tenants/…`, `/healthz`, `/readyz`, `/metrics`.
    pub http: TcpListener,
    /// `envoy.service.auth.v3.Authorization/Check`.
    pub grpc: Option<TcpListener>,
    /// The admin API and the Allowed Domains page (`/admin/`); needs
    /// [`ServerConfig::admin_tokens`].
    pub admin: Option<TcpListener>,
}

/// A configuration that cannot serve: the start-up errors of the command line.
#[derive(Debug)]
pub enum ConfigError {
    /// The policy directory cannot be listed.
    PolicyDirectory {
        /// The directory.
        dir: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// The PostgreSQL connection settings do not parse.
    Postgres(tokio_postgres::Error),
    /// Neither a policy directory nor PostgreSQL: nothing would ever be served.
    NoSource,
    /// The admin tokens file cannot be read or has a bad line.
    AdminTokens(String),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::PolicyDirectory { dir, error } => write!(
                f,
                "cannot read the policy directory {}: {error}",
                dir.display()
            ),
            ConfigError::Postgres(error) => write!(f, "--postgres: {error}"),
            ConfigError::NoSource => f.write_str("no policy source: a directory or PostgreSQL"),
            ConfigError::AdminTokens(error) => write!(f, "--admin-tokens: {error}"),
        }
    }
}

impl std::error::Error for ConfigError {}

/// The decision service, checked and ready to [`run`](Server::run).
#[derive(Debug)]
pub struct Server {
    config: ServerConfig,
    postgres: Option<PostgresConfig>,
    tokens: Option<Tokens>,
}

impl Server {
    /// Checks `config`: the directory can be listed and the PostgreSQL settings parse.
    pub fn new(config: ServerConfig) -> Result<Server, ConfigError> {
        if config.policies.is_none() && config.postgres.is_none() {
            return Err(ConfigError::NoSource);
        }
        if let Some(dir) = &config.policies {
            DirectorySource::check(dir).map_err(|error| ConfigError::PolicyDirectory {
                dir: dir.clone(),
                error,
            })?;
        }
        let postgres = config
            .postgres
            .as_deref()
            .map(PostgresConfig::parse)
            .transpose()
            .map_err(ConfigError::Postgres)?;
        let tokens = config
            .admin_tokens
            .clone()
            .map(Tokens::load)
            .transpose()
            .map_err(ConfigError::AdminTokens)?;
        Ok(Server {
            config,
            postgres,
            tokens,
        })
    }

    /// Serves on `listeners` until `shutdown` completes, then drains and returns. Runs on
    /// the caller's tokio runtime (multi-threaded: sources build policies on blocking
    /// threads); the sources' tasks end with the runtime.
    pub async fn run(self, listeners: Listeners, shutdown: impl Future<Output = ()>) {
        let Server {
            config,
            postgres,
            tokens,
        } = self;
        let metrics = Arc::new(if postgres.is_some() {
            Metrics::with_postgres()
        } else {
            Metrics::new()
        });
        let feed = Feed::new(metrics.clone());
        let denial_log = Arc::new(DenialLog::new(config.denial_log_limit, metrics.clone()));
        let decider = Arc::new(Decider::new(
            feed.store().clone(),
            metrics.clone(),
            DeciderConfig {
                tenant_header: config.tenant_header.clone(),
                cors_max_age: config.cors_max_age,
                flow_path_prefix: config.flow_path_prefix.clone(),
                denial_log: denial_log.clone(),
            },
        ));
        let mut tasks = Vec::new();
        if let Some(policies) = &config.policies {
            let source = DirectorySource::new(policies.clone()).with_limits(config.policy_limits);
            tasks.push(tokio::spawn(source.run(feed.source("directory"))));
        }
        if let Some(postgres) = postgres {
            let source = PostgresSource::new(postgres, config.postgres_resync, metrics.clone())
                .with_limits(config.policy_limits);
            tasks.push(tokio::spawn(source.run(feed.source("postgres"))));
        }
        tasks.push(tokio::spawn(denial_log.clone().summarize_every_second()));

        let (stop, stopped) = watch::channel(false);
        let admin = match (listeners.admin, tokens) {
            (Some(listener), Some(tokens)) => {
                match Admin::new(
                    tokens,
                    config.postgres.as_deref(),
                    config.policies.clone(),
                    feed.store().clone(),
                ) {
                    Ok(admin) => {
                        let admin = Arc::new(admin);
                        let handler = move |request, _| admin::handle(admin.clone(), request);
                        Some(tokio::spawn(serve_http(listener, handler, stopped.clone())))
                    }
                    Err(error) => {
                        tracing::error!("the admin listener is not served: {error}");
                        None
                    }
                }
            }
            (Some(_), None) => {
                tracing::error!("the admin listener is not served: no admin tokens");
                None
            }
            (None, _) => None,
        };
        let app = Arc::new(App {
            decider: decider.clone(),
            feed,
            metrics,
            tenant_status: config.tenant_status,
            content_hashes: Default::default(),
            decision_cache: DecisionCache::new(config.decision_max_age),
        });
        let handler = move |request, peer| handle(app.clone(), request, peer);
        let http = tokio::spawn(serve_http(listeners.http, handler, stopped.clone()));
        let limits = ConnectionLimits {
            max: config.grpc_max_connections.max(1),
            idle: config.grpc_idle,
        };
        let grpc = listeners
            .grpc
            .map(|listener| tokio::spawn(serve_grpc(listener, limits, decider, stopped)));
        tracing::info!(
            policies = ?config.policies.as_deref().map(std::path::Path::display),
            postgres = config.postgres.is_some(),
            tenant_header = %config.tenant_header,
            "serving"
        );

        shutdown.await;
        let _ = stop.send(true);
        let drained = tokio::time::timeout(config.shutdown_timeout, async {
            let _ = http.await;
            if let Some(grpc) = grpc {
                let _ = grpc.await;
            }
            if let Some(admin) = admin {
                let _ = admin.await;
            }
        })
        .await;
        if drained.is_err() {
            tracing::warn!("requests still in flight after the shutdown timeout; stopping anyway");
        }
        for task in tasks {
            task.abort();
        }
        denial_log.summarize();
        tracing::info!("stopped");
    }
}

/// Serves HTTP/1.1 on `listener` with `handler` until `stop`, then drains. The handler
/// gets each request with its client's address.
async fn serve_http<F, Fut>(listener: TcpListener, handler: F, mut stop: watch::Receiver<bool>)
where
    F: Fn(Request<Incoming>, SocketAddr) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<Response<Full<Bytes>>, Infallible>> + Send + 'static,
{
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(10))
        .max_header_size(MAX_REQUEST_HEAD)
        .max_buf_size(MAX_REQUEST_HEAD);
    let graceful = GracefulShutdown::new();
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, most likely: wait instead of spinning.
                    tracing::warn!("accept failed: {error}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stop.changed() => break,
        };
        let _ = stream.set_nodelay(true);
        let handler = handler.clone();
        // The peer's address goes with each request, for the handlers that restrict by it
        // (an argument: a request extension would cost every request a map).
        let service =
            hyper::service::service_fn(move |request: Request<Incoming>| handler(request, peer));
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!("connection ended: {error}");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

async fn serve_grpc(
    listener: TcpListener,
    limits: ConnectionLimits,
    decider: Arc<Decider>,
    mut stop: watch::Receiver<bool>,
) {
    let (accepted, incoming) = tokio::sync::mpsc::channel(16);
    tokio::spawn(grpc_connections::accept(listener, limits, accepted));
    let incoming = tokio_stream::wrappers::ReceiverStream::new(incoming);
    let service = AuthorizationServer::new(CheckService::new(decider))
        .max_decoding_message_size(crate::grpc::MAX_MESSAGE_BYTES);
    let result = tonic::transport::Server::builder()
        // Dead peers: a ping every 10 s, unanswered for 10 s, ends the connection.
        .http2_keepalive_interval(Some(Duration::from_secs(10)))
        .http2_keepalive_timeout(Some(Duration::from_secs(10)))
        .max_concurrent_streams(Some(100))
        .timeout(Duration::from_secs(10))
        .serve_with_incoming_shutdown(service, incoming, async move {
            let _ = stop.changed().await;
        })
        .await;
    if let Err(error) = result {
        tracing::error!("the gRPC server stopped: {error}");
    }
}
