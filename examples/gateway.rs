//! A gateway in front of a trivial handler: every request must come from an origin that its
//! tenant allows in the mode of its API secret, or it gets 403. Browsers can call it:
//! tower-http's `CorsLayer` answers preflights from the same policy, and a demo page (the
//! "customer site") on a second loopback port calls it with a test key and a live key.
//!
//! ```sh
//! cargo run --example gateway --features tower,policy-file   # `-- --help` prints the variables it reads
//! # listening on http://127.0.0.1:8080 (GATEWAY_ADDR to change it, as HOST:PORT or localhost:PORT)
//! # demo page on http://localhost:3000/ (DEMO_ADDR to change it): open it in a browser
//!
//! curl -i -u secret_live_demo: -H 'Origin: https://docs.berbix.com' http://127.0.0.1:8080/   # 200
//! curl -i -u secret_live_demo: -H 'Origin: https://evil.example' http://127.0.0.1:8080/      # 403
//! curl -i -u secret_live_demo: -H 'Origin: http://localhost:3000' http://127.0.0.1:8080/     # 403: origin not allowed for live mode: origin_not_allowed
//! curl -i -u secret_test_demo: -H 'Origin: http://localhost:3000' http://127.0.0.1:8080/     # 200
//! curl -i -u secret_live_demo: -H 'Origin: https://app.acme.example' -H 'X-Tenant: acme' http://127.0.0.1:8080/  # 200
//! curl -i -u secret_live_demo: -H 'Origin: https://app.acme.example' -H 'X-Tenant: nobody' http://127.0.0.1:8080/ # 403: unknown_tenant
//! curl -i -X OPTIONS -H 'Origin: http://localhost:3000' -H 'Access-Control-Request-Method: GET' \
//!   -H 'Access-Control-Request-Headers: authorization' http://127.0.0.1:8080/                # 200: CORS preflight granted
//! curl -sI http://127.0.0.1:8080/flow/live              # 200, content-security-policy: frame-ancestors https://www.berbix.com ...
//! curl -sI 'http://127.0.0.1:8080/flow/test?tenant=acme' # 200, frame-ancestors of acme's test list
//! ```
//!
//! - Tenants: `default` uses the policy file named by `POLICY_FILE` (default
//!   `examples/policy.toml`; TOML, or JSON when the name ends in `.json`) and is the tenant of a request without
//!   `X-Tenant`; `acme` uses [`ACME_POLICY`] below. Any other `X-Tenant` is denied. A browser
//!   names its tenant in the path instead (`/t/acme`), because a CORS preflight carries no
//!   custom header: [`cors_tenant_of`] reads only the path, and the gate's [`tenant_of`]
//!   reads `X-Tenant`, then the path.
//! - Mode: from the API secret in `Authorization` (`curl -u secret_live_…:` sends it as the
//!   Basic user name; `Authorization: Bearer secret_test_…` works too). The gateway only reads
//!   the key's prefix: a real one would also authenticate the key.
//! - CORS: `CorsLayer` outside the gate grants an origin that the tenant allows in *any*
//!   mode (a preflight has no key, so no mode); the gate then checks the real request in its
//!   key's mode, and its 403 carries the CORS headers, so the page can read why. `Authorization`
//!   and `Content-Type` are allowed request headers, preflights are cached for 10 minutes,
//!   and `Vary` names `Origin` and the preflight's request headers, on one line
//!   (`MergeVaryLayer` outermost joins the gate's and `CorsLayer`'s).
//! - Hosted flow: `/flow/live` and `/flow/test` (`?tenant=acme` for the second tenant) serve
//!   an embeddable page with `Content-Security-Policy: frame-ancestors ...` derived from the
//!   tenant's list for that mode, so only the tenant's allowed pages can frame it; the demo
//!   page frames both and shows which loaded.
//! - Hot reload: edit the policy file while it runs; the file is read again within a second
//!   of a change and swapped in for the `default` tenant. A file with a bad entry is
//!   reported as the CLI reports it (`FILE:LINE:COL`, `^^^`, a hint) and the running policy
//!   is kept.
//! - Start-up errors (an unreadable or invalid policy file, an address that does not parse
//!   or cannot be bound) are printed with their messages, and the exit status is 1.
//! - Every denial is logged to stderr with the tenant, mode, origin (cut to 128 bytes, printed
//!   escaped) and reason.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::extract::Path as UrlPath;
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use http::request::Parts;
use http::{header, Method};
use origin_policy::middleware::{
    Denial, FrameAncestorsLayer, MergeVaryLayer, MissingOrigin, OriginPolicyLayer,
};
use origin_policy::policy_file::{self, Format, PolicyFileError};
use origin_policy::store::PolicyStore;
use origin_policy::{ClosedReason, Mode, Policy};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// The tenant of a request without `X-Tenant`, served from `examples/policy.toml`.
pub const DEFAULT_TENANT: &str = "default";

/// A second tenant, to show the store.
pub const ACME_TENANT: &str = "acme";

/// The policy of [`ACME_TENANT`], in the same format as `examples/policy.toml`. Its
/// preview deployments (`pr-7.preview.example`) are allowed in live mode by a label
/// wildcard, which `frame-ancestors` cannot express (so they may call the API but not
/// embed the live flow), and in test mode by a whole-label wildcard, which it can.
pub const ACME_POLICY: &str = r#"
live = ["https://acme.example", "https://*.acme.example", "https://pr-*.preview.example:*"]
test = [
  "http://localhost:*",
  { pattern = "https://staging.acme.example", note = "staging" },
  "https://*.preview.example:*",
]
"#;

/// The shipped policy file, `examples/policy.toml`.
pub fn policy_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/policy.toml")
}

/// The policy file of [`DEFAULT_TENANT`]: `POLICY_FILE`, or else [`policy_path`].
pub fn policy_path_from_env() -> PathBuf {
    std::env::var_os("POLICY_FILE").map_or_else(policy_path, PathBuf::from)
}

/// Why the gateway could not start, or could not read a policy file; `Display` gives the
/// whole message.
#[derive(Debug)]
pub enum GatewayError {
    /// The file could not be read.
    Read(PathBuf, std::io::Error),
    /// The file is no valid policy: located, hinted errors, as the CLI prints them.
    Policy(PolicyFileError),
    /// An address variable names nothing to listen on.
    Listen(&'static str, String, std::io::Error),
}

impl fmt::Display for GatewayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GatewayError::Read(path, err) => {
                write!(f, "cannot read policy file {}: {err}", path.display())
            }
            GatewayError::Policy(err) => err.fmt(f),
            GatewayError::Listen(variable, value, err) => write!(
                f,
                "cannot listen on {variable}={value:?}: {err} (expected HOST:PORT, such as \
                 127.0.0.1:8080 or localhost:8080)"
            ),
        }
    }
}

impl std::error::Error for GatewayError {}

/// Reads and builds a policy file, TOML or (by its name) JSON; the error locates every bad
/// entry in the file.
pub fn read_policy(path: &Path) -> Result<Policy, GatewayError> {
    let text =
        std::fs::read_to_string(path).map_err(|err| GatewayError::Read(path.to_owned(), err))?;
    let format = Format::from_path(path).unwrap_or(Format::Toml);
    policy_file::parse(&path.display().to_string(), &text, format).map_err(GatewayError::Policy)
}

/// The store with both tenants.
pub fn tenants(default_policy: Policy) -> Result<Arc<PolicyStore<String>>, PolicyFileError> {
    let store = PolicyStore::new();
    store.insert(DEFAULT_TENANT.to_owned(), default_policy);
    store.insert_file(
        ACME_TENANT.to_owned(),
        "ACME_POLICY",
        ACME_POLICY,
        Format::Toml,
    )?;
    Ok(Arc::new(store))
}

/// Binds the address of `variable` (`GATEWAY_ADDR`, `DEMO_ADDR`), or `default`: an IP
/// address and port, or a host name and port (`localhost:8080`), resolved by the system.
pub async fn listen(
    variable: &'static str,
    default: &str,
) -> Result<tokio::net::TcpListener, GatewayError> {
    let value = std::env::var(variable).unwrap_or_else(|_| default.to_owned());
    tokio::net::TcpListener::bind(value.as_str())
        .await
        .map_err(|err| GatewayError::Listen(variable, value, err))
}

/// The tenant of a request: its `X-Tenant` header, or else [`cors_tenant_of`].
pub fn tenant_of(parts: &Parts) -> Option<&str> {
    match parts.headers.get("x-tenant") {
        Some(value) => value.to_str().ok(),
        None => cors_tenant_of(parts),
    }
}

/// The tenant as a CORS preflight shows it: the path `/t/NAME` (or `/t/NAME/...`), or
/// [`DEFAULT_TENANT`] for any other path. A preflight carries no `X-Tenant`.
pub fn cors_tenant_of(parts: &Parts) -> Option<&str> {
    match parts.uri.path().strip_prefix("/t/") {
        Some(rest) => rest.split('/').next().filter(|name| !name.is_empty()),
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

/// The CORS side, from the same store: an origin the tenant allows in any mode may call,
/// with `Authorization` and `Content-Type`; preflights are cached for 10 minutes.
pub fn cors(store: &Arc<PolicyStore<String>>) -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(
            store.cors_predicate_any_mode(cors_tenant_of),
        ))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .max_age(Duration::from_secs(600))
}

/// The whole application: a trivial handler behind the gate, with `CorsLayer` outside it
/// (axum applies the last `.layer` outermost) and [`MergeVaryLayer`] outside both (one
/// `Vary` line per response), and the hosted flow ([`flow`]).
pub fn app(store: Arc<PolicyStore<String>>) -> Router {
    let hello = || async { "hello from behind the origin gate\n" };
    Router::new()
        .route("/", get(hello))
        .route("/t/{tenant}", get(hello))
        .layer(gate(store.clone()))
        .layer(cors(&store))
        .layer(MergeVaryLayer::new())
        .merge(flow(store))
}

/// The mode of a hosted-flow navigation: the path `/flow/live` or `/flow/test`. A frame
/// navigation carries no `Authorization`, so the mode is in the URL.
pub fn flow_mode(parts: &Parts) -> Option<Mode> {
    parts.uri.path().strip_prefix("/flow/")?.parse().ok()
}

/// The tenant of a hosted-flow navigation: the query parameter `tenant` (`?tenant=acme`),
/// or [`DEFAULT_TENANT`] without one.
pub fn flow_tenant(parts: &Parts) -> Option<&str> {
    let query = parts.uri.query().unwrap_or("");
    let named = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("tenant="));
    Some(named.unwrap_or(DEFAULT_TENANT))
}

/// The hosted flow at `/flow/live` and `/flow/test`: an embeddable page whose responses
/// carry `Content-Security-Policy: frame-ancestors ...` from the tenant's policy in the
/// path's mode, so that only the tenant's allowed pages may frame it. Navigations carry no
/// `Origin`, so the gate lets them through; a request that carries one is checked in the
/// path's mode. An unknown mode or tenant gets a 403 and `frame-ancestors 'none'`.
pub fn flow(store: Arc<PolicyStore<String>>) -> Router {
    let page = |UrlPath(mode): UrlPath<String>| async move {
        // The gate has already refused any other mode.
        let mode = mode.parse::<Mode>().map_or("unknown", Mode::as_str);
        Html(flow_page(mode))
    };
    Router::new()
        .route("/flow/{mode}", get(page))
        .layer(
            OriginPolicyLayer::with_store(store.clone(), flow_tenant)
                .mode_from(flow_mode)
                .on_missing_origin(MissingOrigin::Allow)
                .on_deny(log_denial),
        )
        .layer(
            FrameAncestorsLayer::with_store(store, flow_tenant)
                .mode_from(flow_mode)
                .on_fail_closed(log_fail_closed),
        )
}

/// Logs a `frame-ancestors` directive that failed closed (it would pass the policy's
/// `frame_ancestors_max_bytes`, so the page gets `'none'`) to stderr.
pub fn log_fail_closed(parts: &Parts, mode: Mode, reason: ClosedReason) {
    eprintln!(
        "frame-ancestors 'none' tenant={:?} mode={mode}: {reason}",
        flow_tenant(parts)
    );
}

/// The admin page's stylesheet (`server/assets/admin.css`; `examples/admin.css` is a link to
/// it, so that the demo page and the hosted flow look like the rest of the product).
pub const STYLESHEET: &str = include_str!("admin.css");

/// What the demo page adds to [`STYLESHEET`]: the answers and the framed flows.
const DEMO_STYLE: &str = "
pre { margin: .3rem 0; padding: .5rem .7rem; background: #f0f2f5; border-radius: 6px;
  font: .85rem/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; white-space: pre-wrap; }
iframe.flow { width: 100%; height: 7.5rem; border: 1px solid var(--line); border-radius: 8px; background: #fff; }
.result { font-weight: 400; }
";

/// The hosted-flow page of `mode`: on load it tells the page that embeds it, as
/// embeddable widgets do, with `window.parent.postMessage({flow: "loaded", mode}, "*")`.
pub fn flow_page(mode: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>hosted flow ({mode})</title>
<style>{STYLESHEET}</style>
<style>main {{ padding: .6rem 1rem; }} p {{ margin: 0; }}</style>
</head>
<body>
<main>
<p><span class="badge {mode}">{mode}</span> The hosted flow, {mode} mode. Only a page whose
origin this response's <code>frame-ancestors</code> names may show it in a frame.</p>
</main>
<script>
window.addEventListener("load", () => {{
  window.parent.postMessage({{ flow: "loaded", mode: "{mode}" }}, "*");
}});
</script>
</body>
</html>
"#
    )
}

/// The demo page (the "customer site"): on load it calls the gateway at `gateway` with a
/// test key and with a live key, and shows each answer (status and body, or the browser's
/// network error) in `<pre id="test">` and `<pre id="live">`. It also embeds the hosted
/// flow of both modes in iframes and shows in `<pre id="frame-test">` and
/// `<pre id="frame-live">` whether each one loaded (its page posted a message) or was
/// blocked (no message two seconds after the frame's `load` event, which a browser fires
/// for a refused frame too). The tenant is [`DEFAULT_TENANT`], or the one the page's
/// fragment names (`#tenant=acme`).
///
/// Beside each answer the page says in words what to expect and, once the answer is in,
/// why it came (`<p id="why-test">`, `why-live`, `why-frame-test`, `why-frame-live`): a 200,
/// a readable 403, a CORS failure, a flow shown or refused by `frame-ancestors`. It uses
/// the admin page's [`STYLESHEET`].
pub fn demo_page(gateway: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>origin-policy demo</title>
<style>{STYLESHEET}</style>
<style>{DEMO_STYLE}</style>
</head>
<body>
<header class="topbar"><span class="brand">origin-policy</span><span class="crumb">gateway demo: a customer site</span></header>
<main>
<h1>A customer site calling the gateway</h1>
<p class="lead">This page's origin: <code id="origin"></code>, tenant <code id="tenant"></code>.
Gateway: <code>{gateway}</code>. The tenant allows origins in a live list and a test list: an API
call is checked in the mode of its key, and the hosted flow of a mode may be framed only by
pages that mode's list names.</p>

<section class="card">
<h2>API calls</h2>
<div class="lists">
<div>
<h3><span class="badge test">test</span> With a test key (<code>secret_test_demo</code>)</h3>
<pre id="test">pending</pre>
<p id="why-test" class="result">Waiting for the answer.</p>
</div>
<div>
<h3><span class="badge live">live</span> With a live key (<code>secret_live_demo</code>)</h3>
<pre id="live">pending</pre>
<p id="why-live" class="result">Waiting for the answer.</p>
</div>
</div>
<p class="meta">What to expect: <b>200</b> when this page's origin is in the key's list; a
<b>403 the page can read</b> when the origin is only in the other mode's list (a CORS preflight
carries no key, so CORS grants an origin that any mode allows, and the gate then checks the
real call in its key's mode); a <b>network error</b> when the origin is in neither list (no CORS
grant, so the browser keeps the answer from the page).</p>
</section>

<section class="card">
<h2>The hosted flow, framed</h2>
<div class="lists">
<div>
<h3><span class="badge test">test</span> The test flow</h3>
<div id="slot-test"></div>
<pre id="frame-test">pending</pre>
<p id="why-frame-test" class="result">Waiting for the frame.</p>
</div>
<div>
<h3><span class="badge live">live</span> The live flow</h3>
<div id="slot-live"></div>
<pre id="frame-live">pending</pre>
<p id="why-frame-live" class="result">Waiting for the frame.</p>
</div>
</div>
<p class="meta">What to expect: the flow of a mode shows when that mode's list names this
page's origin, since the flow's <code>Content-Security-Policy: frame-ancestors</code> is made
from the list. Otherwise the browser refuses to render it and the frame shows the browser's
blocked-page icon: that is the protection working, not an error of the demo. A label wildcard
(<code>https://pr-*.preview.example:*</code>) lets a page call the API but cannot be written
in <code>frame-ancestors</code>, so it does not let the page frame the flow.</p>
</section>
</main>
<script>
document.getElementById("origin").textContent = location.origin;
const tenant = new URLSearchParams(location.hash.slice(1)).get("tenant") || "{DEFAULT_TENANT}";
document.getElementById("tenant").textContent = tenant;
const named = tenant === "{DEFAULT_TENANT}";
const api = named ? "{gateway}/" : "{gateway}/t/" + encodeURIComponent(tenant);
const other = {{ test: "live", live: "test" }};
function explain(id, verdict, text) {{
  const why = document.getElementById(id);
  why.className = "result " + verdict;
  why.textContent = text;
}}
function explainCall(mode, shown) {{
  if (shown.startsWith("200 ")) {{
    explain("why-" + mode, "allowed", "Allowed: this page's origin is in the " + mode +
      " list, so the gate lets the " + mode + " key's call through and CORS lets the page read the answer.");
  }} else if (shown.startsWith("403 ")) {{
    explain("why-" + mode, "denied", "Refused, readably: this page's origin is not in the " + mode +
      " list but is in the " + other[mode] + " list. CORS granted it (a preflight cannot tell the mode), " +
      "and the gate refused the " + mode + " key with a 403 whose reason the page can read.");
  }} else if (shown.startsWith("network-error ")) {{
    explain("why-" + mode, "denied", "Hidden by the browser: this page's origin is in neither list, " +
      "so the gateway grants it no CORS and the browser hands the page a network error instead of the answer.");
  }} else {{
    explain("why-" + mode, "denied", "Unexpected: the demo expects 200, 403 or a network error.");
  }}
}}
function explainFrame(mode, shown) {{
  if (shown === "loaded") {{
    explain("why-frame-" + mode, "allowed", "Shown: the " + mode + " flow's frame-ancestors names this page's " +
      "origin (it is in the " + mode + " list), so the browser renders the flow here.");
  }} else {{
    explain("why-frame-" + mode, "denied", "Refused by the browser (frame-ancestors): the " + mode +
      " flow's frame-ancestors does not name this page's origin (it is not in the " + mode + " list, or only " +
      "a label wildcard allows it), so the browser will not render the flow here. The blocked-page icon " +
      "above is that refusal, as intended.");
  }}
}}
window.addEventListener("message", (event) => {{
  const data = event.data || {{}};
  if (event.origin === "{gateway}" && data.flow === "loaded" && (data.mode === "test" || data.mode === "live")) {{
    document.getElementById("frame-" + data.mode).textContent = "loaded";
    explainFrame(data.mode, "loaded");
  }}
}});
for (const mode of ["test", "live"]) {{
  const frame = document.createElement("iframe");
  frame.className = "flow";
  frame.title = "hosted flow, " + mode + " mode";
  frame.src = "{gateway}/flow/" + mode + (named ? "" : "?tenant=" + encodeURIComponent(tenant));
  frame.addEventListener("load", () => setTimeout(() => {{
    const shown = document.getElementById("frame-" + mode);
    if (shown.textContent === "pending") {{
      shown.textContent = "blocked";
      explainFrame(mode, "blocked");
    }}
  }}, 2000));
  document.getElementById("slot-" + mode).appendChild(frame);
}}
for (const [id, key] of [["test", "secret_test_demo"], ["live", "secret_live_demo"]]) {{
  fetch(api, {{ headers: {{ Authorization: "Bearer " + key }} }})
    .then(async (response) => {{
      document.getElementById(id).textContent = response.status + " " + (await response.text()).trim();
    }})
    .catch((error) => {{
      document.getElementById(id).textContent = "network-error " + error;
    }})
    .finally(() => explainCall(id, document.getElementById(id).textContent));
}}
</script>
</body>
</html>
"#
    )
}

/// The demo site: [`demo_page`] at `/`.
pub fn demo_site(gateway: &str) -> Router {
    let page = demo_page(gateway);
    Router::new().route("/", get(move || async move { Html(page) }))
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

/// The usage the gateway prints for `--help`, and (to stderr) for any argument it does not take.
pub const USAGE: &str = "\
Usage: cargo run --example gateway --features tower,policy-file [-- --help]

A gateway on GATEWAY_ADDR (default 127.0.0.1:8080) that answers 403 to origins its tenant
does not allow, and a demo page on DEMO_ADDR (default 127.0.0.1:3000). It takes no
arguments; it reads these environment variables:

  POLICY_FILE   the default tenant's policy file, TOML or (by its name) JSON
                (default examples/policy.toml); edited files are reloaded
  GATEWAY_ADDR  where the gateway listens, HOST:PORT (default 127.0.0.1:8080)
  DEMO_ADDR     where the demo page listens, HOST:PORT (default 127.0.0.1:3000)

Options:
  -h, --help    print this help and exit
";

/// What the command line asks for: the gateway takes no arguments but `--help`.
#[derive(Debug, PartialEq, Eq)]
pub enum Invocation {
    /// No arguments: start the gateway.
    Serve,
    /// `-h` or `--help`: print [`USAGE`] and exit 0.
    Help,
    /// Anything else (the first such argument): print it and [`USAGE`] to stderr, exit 2.
    Unknown(String),
}

/// Reads the arguments after the program name.
pub fn invocation(mut args: impl Iterator<Item = std::ffi::OsString>) -> Invocation {
    match args.next() {
        None => Invocation::Serve,
        Some(arg) if arg == "-h" || arg == "--help" => Invocation::Help,
        Some(arg) => Invocation::Unknown(arg.to_string_lossy().into_owned()),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    match invocation(std::env::args_os().skip(1)) {
        Invocation::Serve => {}
        Invocation::Help => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Invocation::Unknown(arg) => {
            eprint!("error: unexpected argument {arg:?}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    }
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let path = policy_path_from_env();
    let store = tenants(read_policy(&path)?)?;
    tokio::spawn(reload_on_change(store.clone(), path));
    let listener = listen("GATEWAY_ADDR", "127.0.0.1:8080").await?;
    let gateway = format!("http://{}", listener.local_addr()?);
    println!("listening on {gateway}");
    let demo = listen("DEMO_ADDR", "127.0.0.1:3000").await?;
    let demo_port = demo.local_addr()?.port();
    println!(
        "demo page on http://localhost:{demo_port}/ (a test-mode origin): open it in a browser"
    );
    tokio::spawn(async move { axum::serve(demo, demo_site(&gateway)).await });
    axum::serve(listener, app(store))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
