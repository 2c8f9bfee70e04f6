//! The admin listener (`--admin-listen ADDR --admin-tokens FILE`, never the decision
//! listener): the Allowed Domains page at `/admin/` and the JSON API at `/admin/v1/`.
//!
//! * [`tokens`]: the token file, re-read when it changes, hashes compared in constant time.
//! * [`api`]: the endpoints.
//! * [`store`]: where writes go (PostgreSQL or the policy directory), compare-and-set.
//! * [`text`]: a policy written back as TOML or JSON.
//! * [`diag`]: diagnostics and the validation of one entry.
//! * [`page`]: the page's files, compiled in.

mod api;
mod diag;
mod page;
mod store;
mod text;
pub mod tokens;

use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use origin_policy::store::PolicyStore;

pub use store::Backend;
pub use tokens::Tokens;

/// What the admin listener needs.
pub struct Admin {
    pub tokens: Tokens,
    pub backend: Backend,
    /// The policies this replica serves (for checks, and the lists of a refused policy).
    pub store: Arc<PolicyStore<String>>,
}

impl Admin {
    /// The admin side of a server with these sources: writes go to PostgreSQL when there is
    /// one, else to the policy directory.
    pub fn new(
        tokens: Tokens,
        postgres: Option<&str>,
        policies: Option<PathBuf>,
        store: Arc<PolicyStore<String>>,
    ) -> Result<Admin, String> {
        let backend = match (postgres, policies) {
            (Some(url), _) => Backend::postgres(url).map_err(|error| error.to_string())?,
            (None, Some(dir)) => Backend::directory(dir),
            (None, None) => return Err("the admin API needs a policy source".to_owned()),
        };
        Ok(Admin {
            tokens,
            backend,
            store,
        })
    }
}

/// A response under construction.
pub struct Reply(Response<Full<Bytes>>);

impl Reply {
    fn new(status: StatusCode, content_type: &'static str, body: impl Into<Bytes>) -> Reply {
        let mut response = Response::new(Full::new(body.into()));
        *response.status_mut() = status;
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(
            "x-content-type-options",
            HeaderValue::from_static("nosniff"),
        );
        headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(page::CSP),
        );
        Reply(response)
    }

    /// A JSON body.
    pub fn json(status: StatusCode, body: &impl serde::Serialize) -> Reply {
        // Values of strings, numbers and booleans always serialize.
        let text = serde_json::to_vec(body).unwrap_or_default();
        Reply::new(status, "application/json", text)
    }

    /// Sets a header (values the API builds are visible ASCII).
    pub fn header(&mut self, name: &'static str, value: &str) {
        if let Ok(value) = HeaderValue::from_str(value) {
            self.0.headers_mut().insert(name, value);
        }
    }
}

/// Answers one request of the admin listener; never fails (errors are answers).
pub async fn handle(
    admin: Arc<Admin>,
    request: Request<hyper::body::Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = request.uri().path().to_owned();
    let reply = if let Some(rest) = path.strip_prefix("/admin/v1/") {
        api::handle(&admin, request, rest).await
    } else if let Some(file) = page::file(&path) {
        if request.method() == http::Method::GET || request.method() == http::Method::HEAD {
            Reply::new(StatusCode::OK, file.content_type, file.body)
        } else {
            api::error(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "GET only",
            )
        }
    } else if path == "/admin" || path == "/" {
        let mut reply = Reply::new(StatusCode::PERMANENT_REDIRECT, "text/plain", "/admin/\n");
        reply.header("location", "/admin/");
        reply
    } else {
        api::error(StatusCode::NOT_FOUND, "not_found", "no such page")
    };
    Ok(reply.0)
}
