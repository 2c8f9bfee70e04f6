//! `serve`: the runtime, the listeners, the tenant source, and the graceful stop on SIGTERM
//! (stop accepting, finish what is in flight, exit 0).

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::cli::ServeArgs;
use crate::decide::{Decider, DeciderConfig};
use crate::feed::Feed;
use crate::grpc::{AuthorizationServer, CheckService};
use crate::grpc_connections::{self, ConnectionLimits};
use crate::http_api::{handle, App, Peer};
use crate::logging::{self, DenialLog};
use crate::metrics::Metrics;
use crate::source::directory::DirectorySource;
use crate::source::postgres::{PostgresConfig, PostgresSource};

/// The exit status of a start-up error (bad directory, address in use).
const START_UP_ERROR: u8 = 2;

/// The request head that is surely answered 431, in bytes. hyper checks the limit when a
/// head is still incomplete after a read, so a head a little over it that arrives in one
/// read can still pass; none much larger does, and the buffer stays about this size.
const MAX_REQUEST_HEAD: usize = 64 * 1024;

pub fn run(args: ServeArgs) -> ExitCode {
    if let Some(policies) = &args.policies {
        if let Err(error) = DirectorySource::check(policies) {
            let dir = policies.display();
            eprintln!("origin-policy-server: cannot read the policy directory {dir}: {error}");
            return ExitCode::from(START_UP_ERROR);
        }
    }
    let postgres = match args
        .postgres
        .as_deref()
        .map(PostgresConfig::parse)
        .transpose()
    {
        Ok(postgres) => postgres,
        Err(error) => {
            eprintln!("origin-policy-server: --postgres: {error}");
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
    let status = runtime.block_on(serve(args, postgres));
    // A poll of the directory may be under way on a blocking thread; it holds no state
    // worth waiting for.
    runtime.shutdown_timeout(Duration::from_secs(1));
    status
}

async fn bind(address: std::net::SocketAddr, what: &str) -> Result<TcpListener, ExitCode> {
    TcpListener::bind(address).await.map_err(|error| {
        eprintln!("origin-policy-server: cannot listen for {what} on {address}: {error}");
        ExitCode::from(START_UP_ERROR)
    })
}

async fn serve(args: ServeArgs, postgres: Option<PostgresConfig>) -> ExitCode {
    let metrics = Arc::new(Metrics::new());
    let feed = Feed::new(metrics.clone());
    let denial_log = Arc::new(DenialLog::new(args.denial_log_limit, metrics.clone()));
    let decider = Arc::new(Decider::new(
        feed.store().clone(),
        metrics.clone(),
        DeciderConfig {
            tenant_header: args.tenant_header.clone(),
            cors_max_age: Duration::from_secs(args.cors_max_age),
            denial_log: denial_log.clone(),
        },
    ));
    let http_listener = match bind(args.listen, "HTTP").await {
        Ok(listener) => listener,
        Err(status) => return status,
    };
    let grpc_listener = match args.grpc_listen {
        Some(address) => match bind(address, "gRPC").await {
            Ok(listener) => Some(listener),
            Err(status) => return status,
        },
        None => None,
    };
    // For scripts and tests that listen on port 0.
    for (what, listener) in [
        ("http", Some(&http_listener)),
        ("grpc", grpc_listener.as_ref()),
    ] {
        if let Some(Ok(address)) = listener.map(TcpListener::local_addr) {
            println!("{what} listening on {address}");
        }
    }

    if let Some(policies) = &args.policies {
        tokio::spawn(DirectorySource::new(policies.clone()).run(feed.source("directory")));
    }
    if let Some(postgres) = postgres {
        let resync_every = Duration::from_secs(args.postgres_resync_seconds);
        let source = PostgresSource::new(postgres, resync_every, metrics.clone());
        tokio::spawn(source.run(feed.source("postgres")));
    }
    tokio::spawn(denial_log.clone().summarize_every_second());

    let (stop, stopped) = watch::channel(false);
    let app = Arc::new(App {
        decider: decider.clone(),
        feed,
        metrics,
        tenant_status: args.tenant_status,
        content_hashes: Default::default(),
    });
    let http = tokio::spawn(serve_http(http_listener, app, stopped.clone()));
    let limits = ConnectionLimits {
        max: args.grpc_max_connections as usize,
        idle: Duration::from_secs(args.grpc_idle_seconds),
    };
    let grpc =
        grpc_listener.map(|listener| tokio::spawn(serve_grpc(listener, limits, decider, stopped)));
    tracing::info!(
        policies = ?args.policies.as_deref().map(std::path::Path::display),
        postgres = args.postgres.is_some(),
        tenant_header = %args.tenant_header,
        "serving"
    );

    let signal = stop_signal().await;
    tracing::info!("{signal}: no new connections; finishing the requests in flight");
    let _ = stop.send(true);
    let drained = tokio::time::timeout(Duration::from_secs(args.shutdown_timeout), async {
        let _ = http.await;
        if let Some(grpc) = grpc {
            let _ = grpc.await;
        }
    })
    .await;
    if drained.is_err() {
        tracing::warn!("requests still in flight after --shutdown-timeout; exiting anyway");
    }
    denial_log.summarize();
    tracing::info!("stopped");
    ExitCode::SUCCESS
}

async fn serve_http(listener: TcpListener, app: Arc<App>, mut stop: watch::Receiver<bool>) {
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
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut request: http::Request<_>| {
            request.extensions_mut().insert(Peer(peer));
            handle(app.clone(), request)
        });
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

/// Waits for SIGTERM or SIGINT; returns its name.
async fn stop_signal() -> &'static str {
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
