//! `origin-policy-server`: the origin-policy decision for gateways that ask an external
//! service whether a request may pass: nginx `auth_request` (`/v1/auth`), Envoy
//! `ext_authz` over HTTP (`/v1/envoy/…`) and gRPC (`Authorization/Check`).
//!
//! Layers, each calling only those below it: `policy_file` (text to policy) → `feed` (the
//! one store and its readiness) ← `source` (where tenants come from) ; `decide` (the
//! library's decision, with the CORS grant, metrics and denial log) → `http_api` and
//! `grpc` (the protocols) → `serve` (listeners, signals). See the README's "Decision
//! service" section for the interface.
#![forbid(unsafe_code)]

mod cli;
mod db;
mod decide;
mod feed;
mod grpc;
mod grpc_connections;
mod http_api;
mod logging;
mod metrics;
mod panics;
mod policy_file;
mod serve;
mod source;
mod tenants;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    match cli::Cli::parse().command {
        cli::Command::Serve(args) => serve::run(args),
        cli::Command::Db(args) => db::command::run(args),
    }
}
