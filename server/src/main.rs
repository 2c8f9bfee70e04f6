#![forbid(unsafe_code)]
//! TEMPORARY entry point of the `pg` branch, replaced by the `server` branch's on merge.

mod db;
mod policy_file;
mod tenants;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use origin_policy::PolicyStore;
use prometheus_client::registry::Registry;

#[derive(Debug, Parser)]
#[command(name = "origin-policy-server")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Serve {
        #[arg(long)]
        postgres: String,
        #[arg(long)]
        listen: SocketAddr,
        #[arg(long = "postgres-resync-seconds", default_value_t = 30)]
        resync_seconds: u64,
    },
    Db(db::command::DbArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Db(args) => db::command::run(args),
        Command::Serve {
            postgres,
            listen,
            resync_seconds,
        } => {
            tracing_subscriber::fmt()
                .with_writer(std::io::stderr)
                .init();
            let runtime = tokio::runtime::Runtime::new().unwrap();
            runtime.block_on(serve(postgres, listen, resync_seconds))
        }
    }
}

async fn serve(postgres: String, listen: SocketAddr, resync_seconds: u64) -> ExitCode {
    let store = Arc::new(PolicyStore::new());
    let ready = Arc::new(AtomicBool::new(false));
    let metrics = Arc::new(db::metrics::DbMetrics::default());
    let mut registry = Registry::default();
    metrics.register(&mut registry);
    let registry = Arc::new(registry);
    let config = db::feed::DbSourceConfig {
        postgres,
        resync_every: Duration::from_secs(resync_seconds),
    };
    let source = match db::feed::DbSource::new(&config, store.clone(), metrics, ready.clone()) {
        Ok(source) => source,
        Err(error) => {
            eprintln!("error: --postgres: {error}");
            return ExitCode::from(2);
        }
    };
    tokio::spawn(source.run());
    let listener = tokio::net::TcpListener::bind(listen).await.unwrap();
    eprintln!("listening on {}", listener.local_addr().unwrap());
    loop {
        let (stream, _) = listener.accept().await.unwrap();
        let store = store.clone();
        let ready = ready.clone();
        let registry = registry.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                let store = store.clone();
                let ready = ready.clone();
                let registry = registry.clone();
                async move {
                    let path = request.uri().path();
                    let (code, body) = if path == "/readyz" {
                        if ready.load(Ordering::Acquire) {
                            (StatusCode::OK, "ready\n".to_owned())
                        } else {
                            (StatusCode::SERVICE_UNAVAILABLE, "not ready\n".to_owned())
                        }
                    } else if path == "/metrics" {
                        let mut text = String::new();
                        prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
                        (StatusCode::OK, text)
                    } else if let Some(tenant) = path.strip_prefix(tenants::PREFIX) {
                        tenants::status(&store, tenant)
                    } else {
                        (StatusCode::NOT_FOUND, String::new())
                    };
                    let mut response = Response::new(Full::new(Bytes::from(body)));
                    *response.status_mut() = code;
                    Ok::<_, std::convert::Infallible>(response)
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await;
        });
    }
}
