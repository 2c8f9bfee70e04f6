//! `origin-policy-server`: the origin-policy decision for gateways that ask an external
//! service whether a request may pass: nginx `auth_request` (`/v1/auth`), Envoy
//! `ext_authz` over HTTP (`/v1/envoy/…`) and gRPC (`Authorization/Check`).
//!
//! The binary is a thin command line over this library; a program (or a test) can run the
//! same service in-process:
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use origin_policy_server::{Listeners, Server, ServerConfig};
//! use tokio::net::TcpListener;
//!
//! let server = Server::new(ServerConfig {
//!     policies: Some("policies".into()),
//!     ..ServerConfig::default()
//! })?;
//! let listeners = Listeners {
//!     http: TcpListener::bind("127.0.0.1:0").await?,
//!     grpc: None,
//!     admin: None,
//! };
//! let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
//! let serving = tokio::spawn(server.run(listeners, async move {
//!     let _ = stopped.await;
//! }));
//! // … send requests …
//! let _ = stop.send(());
//! serving.await?;
//! # Ok(())
//! # }
//! ```
//!
//! Layers, each calling only those below it: `policy_file` (text to policy) → `feed` (the
//! one store and its readiness) ← `source` (where tenants come from) ; `decide` (the
//! library's decision, with the CORS grant, metrics and denial log) → `http_api` and
//! `grpc` (the protocols) → [`server`] (listeners, shutdown) → [`cli`] (arguments,
//! runtime, signals). See `docs/service.md` (and `docs/fleet.md`) for the interface.
#![forbid(unsafe_code)]

mod admin;
pub mod cli;
mod db;
mod decide;
mod decision_cache;
mod denial_headers;
mod feed;
pub mod fuzzing;
mod grpc;
mod grpc_connections;
mod http_api;
mod log_line;
mod logging;
mod metrics;
mod panics;
mod policy_file;
mod reason_codes;
pub mod server;
mod source;
mod tenants;

pub use server::{ConfigError, Limits, Listeners, Server, ServerConfig, TenantStatusAccess};
