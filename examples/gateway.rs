//! A gateway in front of a trivial handler: every request must come from an origin that its
//! tenant allows in the mode of its API secret, or it gets 403.
//!
//! ```sh
//! cargo run --example gateway --features tower,serde
//! # listening on http://127.0.0.1:8080 (GATEWAY_ADDR to change it)
//!
//! curl -i -u secret_live_demo: -H 'Origin: https://docs.berbix.com' http://127.0.0.1:8080/   # 200
//! curl -i -u secret_live_demo: -H 'Origin: https://evil.example' http://127.0.0.1:8080/      # 403
//! curl -i -u secret_live_demo: -H 'Origin: http://localhost:3000' http://127.0.0.1:8080/     # 403: http in live mode
//! curl -i -u secret_test_demo: -H 'Origin: http://localhost:3000' http://127.0.0.1:8080/     # 200
//! curl -i -u secret_live_demo: -H 'Origin: https://app.acme.example' -H 'X-Tenant: acme' http://127.0.0.1:8080/  # 200
//! curl -i -u secret_live_demo: -H 'Origin: https://app.acme.example' -H 'X-Tenant: nobody' http://127.0.0.1:8080/ # 403: unknown tenant
//! ```
//!
//! - Tenants: `default` uses `examples/policy.toml` and is the tenant of a request without
//!   `X-Tenant`; `acme` uses [`ACME_POLICY`] below. Any other `X-Tenant` is denied.
//! - Mode: from the API secret in `Authorization` (`curl -u secret_live_…:` sends it as the
//!   Basic user name; `Authorization: Bearer secret_test_…` works too). The gateway only reads
//!   the key's prefix: a real one would also authenticate the key.
//! - Hot reload: edit `examples/policy.toml` while it runs; the file is read again within a
//!   second of a change and swapped in for the `default` tenant. A file with a bad entry is
//!   reported and the running policy is kept.
//! - Every denial is logged to stderr with the tenant, mode, origin (cut to 128 bytes, printed
//!   escaped) and precise reason (`unknown_tenant` for the last request above). The 403
//!   body gives every denial the same reason, `origin_not_allowed` (the default
//!   `PublicReason::Uniform`), so that a client cannot probe which tenants exist.

use std::error::Error;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::routing::get;
use axum::Router;
use http::request::Parts;
use origin_policy::{Denial, OriginPolicyLayer, Policy, PolicyStore};

/// The tenant of a request without `X-Tenant`, served from `examples/policy.toml`.
pub const DEFAULT_TENANT: &str = "default";

/// A second tenant, to show the store.
pub const ACME_TENANT: &str = "acme";

/// The policy of [`ACME_TENANT`], in the same format as `examples/policy.toml`.
pub const ACME_POLICY: &str = r#"
live = ["https://acme.example", "https://*.acme.example"]
test = ["http://localhost:*", { pattern = "https://staging.acme.example", note = "staging" }]
"#;

/// The policy file of [`DEFAULT_TENANT`].
pub fn policy_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/policy.toml")
}

/// Reads and builds a policy file; the error names every bad entry.
pub fn read_policy(path: &Path) -> Result<Policy, Box<dyn Error + Send + Sync>> {
    let text = std::fs::read_to_string(path)?;
    Ok(toml::from_str(&text)?)
}

/// The store with both tenants.
pub fn tenants(default_policy: Policy) -> Result<Arc<PolicyStore<String>>, toml::de::Error> {
    let store = PolicyStore::new();
    store.insert(DEFAULT_TENANT.to_owned(), default_policy);
    store.insert(
        ACME_TENANT.to_owned(),
        toml::from_str::<Policy>(ACME_POLICY)?,
    );
    Ok(Arc::new(store))
}

/// The tenant of a request: its `X-Tenant` header, or [`DEFAULT_TENANT`] without one.
pub fn tenant_of(parts: &Parts) -> Option<&str> {
    match parts.headers.get("x-tenant") {
        Some(value) => value.to_str().ok(),
        None => Some(DEFAULT_TENANT),
    }
}

/// Logs a denial to stderr; `{:?}` escapes what came from the request.
pub fn log_denial(denial: &Denial<'_>) {
    eprintln!(
        "403 tenant={:?} mode={} origin={:?} reason={}",
        denial.tenant,
        denial.mode.map_or("none", |mode| mode.as_str()),
        denial.origin,
        denial.reason.code(),
    );
}

/// The gateway's origin gate: tenant from `X-Tenant`, mode from the API secret.
pub fn gate(store: Arc<PolicyStore<String>>) -> OriginPolicyLayer {
    OriginPolicyLayer::with_store(store, tenant_of)
        .mode_from_api_secret()
        .on_deny(log_denial)
}

/// The whole application: a trivial handler behind the gate.
pub fn app(store: Arc<PolicyStore<String>>) -> Router {
    Router::new()
        .route("/", get(|| async { "hello from behind the origin gate\n" }))
        .layer(gate(store))
}

/// Re-reads the policy file whenever its modification time changes and swaps it in for
/// [`DEFAULT_TENANT`]; a bad file is reported and the running policy kept. The policy is
/// built in `tokio::task::spawn_blocking`, off the threads that serve requests.
pub async fn reload_on_change(store: Arc<PolicyStore<String>>, path: PathBuf) {
    let modified = |path: &Path| std::fs::metadata(path).and_then(|m| m.modified()).ok();
    let mut seen: Option<SystemTime> = modified(&path);
    let mut ticks = tokio::time::interval(Duration::from_secs(1));
    loop {
        ticks.tick().await;
        let now = modified(&path);
        if now == seen {
            continue;
        }
        seen = now;
        // Reading and building the file is blocking work (linear in its size, milliseconds
        // for a large list): run it on the blocking pool, not on a worker of the runtime
        // that serves requests.
        let file = path.clone();
        match tokio::task::spawn_blocking(move || read_policy(&file)).await {
            Ok(Ok(policy)) => {
                store.insert(DEFAULT_TENANT.to_owned(), policy);
                eprintln!("reloaded {}", path.display());
            }
            Ok(Err(err)) => eprintln!(
                "kept the running policy; {} is invalid:\n{err}",
                path.display()
            ),
            Err(err) => eprintln!("kept the running policy; the reload failed: {err}"),
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error + Send + Sync>> {
    let addr: SocketAddr = std::env::var("GATEWAY_ADDR")
        .unwrap_or_else(|_| "127.0.0.1:8080".to_owned())
        .parse()?;
    let path = policy_path();
    let store = tenants(read_policy(&path)?)?;
    tokio::spawn(reload_on_change(store.clone(), path));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app(store))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
