//! The HTTP front end: `/v1/auth` (nginx `auth_request`), `/v1/envoy/…` (Envoy `ext_authz`
//! in HTTP mode), `/healthz`, `/readyz` and `/metrics`, on hyper's HTTP/1.1 server.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Request, Response, StatusCode};
use http_body_util::Full;

use crate::decide::{reason_value, Decider};
use crate::decision_cache::{Asked, DecisionCache};
use crate::denial_headers::{denial_headers, MODE, REASON, REPORT_ONLY};
use crate::feed::Feed;
use crate::metrics::Metrics;
use crate::panics::CatchPanic;
use crate::tenants::{ContentHashes, TenantStatusAccess};

/// What the HTTP front end needs.
pub struct App {
    pub decider: Arc<Decider>,
    pub feed: Feed,
    pub metrics: Arc<Metrics>,
    /// Who may read `/v1/tenants/{tenant}`.
    pub tenant_status: TenantStatusAccess,
    pub content_hashes: ContentHashes,
    /// How long a gateway may keep a decision (`Cache-Control`).
    pub decision_cache: DecisionCache,
}

/// The protocol of a decision request: they differ only in the status of an allowed one.
#[derive(Clone, Copy)]
enum Gateway {
    /// nginx `auth_request`: any 2xx allows; `204` has no body to drain.
    Nginx,
    /// Envoy `ext_authz` (HTTP): `200` allows.
    Envoy,
}

/// Answers one request from the client at `peer`; never fails (errors are answers). A
/// panic while answering is logged and answered 500.
pub async fn handle<B>(
    app: Arc<App>,
    request: Request<B>,
    peer: SocketAddr,
) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(or_internal_error(answer(app, request, peer)).await)
}

/// The response `answer` gives, or 500 if it panics (the panic is logged by the hook).
async fn or_internal_error(
    answer: impl std::future::Future<Output = Response<Full<Bytes>>>,
) -> Response<Full<Bytes>> {
    match CatchPanic::new(answer).await {
        Ok(response) => response,
        Err(()) => text(StatusCode::INTERNAL_SERVER_ERROR, "internal error\n"),
    }
}

async fn answer<B>(app: Arc<App>, request: Request<B>, peer: SocketAddr) -> Response<Full<Bytes>> {
    let started = Instant::now();
    let path = request.uri().path();
    let response = if path == "/v1/auth" {
        decision(&app, request, Gateway::Nginx, started)
    } else if path == "/v1/frame-ancestors" {
        frame_ancestors(&app, request)
    } else if path == "/v1/envoy" || path.starts_with("/v1/envoy/") {
        decision(&app, request, Gateway::Envoy, started)
    } else if let Some(tenant) = path
        .strip_prefix(crate::tenants::PREFIX)
        .filter(|_| app.tenant_status.allows(Some(peer)))
    {
        let (status, body) = crate::tenants::status(app.feed.store(), &app.content_hashes, tenant);
        let mut response = Response::new(Full::from(body));
        *response.status_mut() = status;
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    } else {
        match path {
            "/healthz" => text(StatusCode::OK, "ok\n"),
            "/readyz" if app.feed.is_ready() => text(StatusCode::OK, "ready\n"),
            "/readyz" => text(
                StatusCode::SERVICE_UNAVAILABLE,
                "not ready: policies not read yet\n",
            ),
            "/metrics" => {
                let mut response = Response::new(Full::from(app.metrics.encode()));
                response.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(Metrics::CONTENT_TYPE),
                );
                response
            }
            _ => text(StatusCode::NOT_FOUND, "not found\n"),
        }
    };
    response
}

fn decision<B>(
    app: &App,
    request: Request<B>,
    gateway: Gateway,
    started: Instant,
) -> Response<Full<Bytes>> {
    // The body is never read: the decision is in the headers.
    let (parts, _) = request.into_parts();
    let asked = Asked::of(&parts);
    let answer = app.decider.decide_parts(parts, started);
    let mut response = Response::new(Full::default());
    *response.status_mut() = match (answer.allowed, gateway) {
        (true, Gateway::Nginx) => StatusCode::NO_CONTENT,
        (true, Gateway::Envoy) => StatusCode::OK,
        (false, _) => StatusCode::FORBIDDEN,
    };
    let headers = response.headers_mut();
    // A denial's reason and mode come with its map, built once per reason and mode; its
    // `Cache-Control` (there already: a new entry would grow the cloned map) is replaced.
    if let Some(code) = answer.reason {
        *headers = denial_headers(code, answer.mode);
    } else if let Some(mode) = answer.mode {
        headers.insert(MODE, HeaderValue::from_static(mode.as_str()));
    }
    headers.insert(
        header::CACHE_CONTROL,
        app.decision_cache.decision(asked, &answer),
    );
    if let Some(code) = answer.report_only {
        headers.insert(REPORT_ONLY, reason_value(code));
    }
    if !answer.grant.is_empty() {
        headers.extend(answer.grant);
    }
    if let Some((name, value)) = answer.frame {
        headers.append(name, value);
    }
    response
}

/// `GET /v1/frame-ancestors?mode=live|test` with the tenant header (nginx `auth_request`
/// from the hosted-flow location): `204` with the tenant's directive in
/// `Content-Security-Policy` (`Content-Security-Policy-Report-Only` for a report-only
/// mode), or `403` with the reason header for an unknown tenant or a missing mode.
fn frame_ancestors<B>(app: &App, request: Request<B>) -> Response<Full<Bytes>> {
    let (parts, _) = request.into_parts();
    let mode = parts.uri.query().and_then(|query| {
        let mut modes = query
            .split('&')
            .filter_map(|pair| pair.strip_prefix("mode="));
        match (modes.next(), modes.next()) {
            (Some(mode), None) => mode.parse().ok(),
            _ => None,
        }
    });
    let mut response = Response::new(Full::default());
    let (status, name, value) = match app.decider.frame_ancestors(&parts, mode) {
        Ok((name, value)) => (StatusCode::NO_CONTENT, name, value),
        Err(refusal) => (StatusCode::FORBIDDEN, REASON, reason_value(refusal.code())),
    };
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, app.decision_cache.frame_ancestors());
    headers.insert(name, value);
    response
}

fn text(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_while_answering_is_a_500_for_that_request() {
        let fine = or_internal_error(async { text(StatusCode::OK, "ok\n") }).await;
        assert_eq!(fine.status(), StatusCode::OK);
        let panicked = or_internal_error(async {
            let empty: &[Response<Full<Bytes>>] = &[];
            empty[0].clone()
        })
        .await;
        assert_eq!(panicked.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            panicked.headers()[header::CONTENT_TYPE],
            "text/plain; charset=utf-8"
        );
    }
}
