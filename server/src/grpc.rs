//! The gRPC front end: `envoy.service.auth.v3.Authorization/Check` (Envoy `ext_authz` in
//! gRPC mode), with `envoy-types`' generated types on tonic.
//!
//! Envoy sends the downstream request's method, path and headers in
//! `attributes.request.http`: as `headers` (a map, names lower-cased, repeated headers
//! joined with `,`), or, with `encode_raw_headers`, as `header_map` (each header on its own,
//! values as bytes). Either is rebuilt into an HTTP request and decided like the HTTP front
//! end's.

use std::sync::Arc;
use std::time::Instant;

use envoy_types::ext_authz::v3::pb::{
    Authorization, CheckRequest, CheckResponse, HeaderAppendAction, HttpStatusCode,
};
use envoy_types::ext_authz::v3::{
    CheckResponseExt, DeniedHttpResponseBuilder, OkHttpResponseBuilder,
};
use http::header::{self, HeaderName, HeaderValue};
use http::{Method, Request};

use crate::decide::{Answer, Decider, REASON_HEADER};

pub use envoy_types::ext_authz::v3::pb::AuthorizationServer;

/// The `Authorization` service.
pub struct CheckService {
    decider: Arc<Decider>,
}

impl CheckService {
    pub fn new(decider: Arc<Decider>) -> Self {
        CheckService { decider }
    }
}

#[tonic::async_trait]
impl Authorization for CheckService {
    async fn check(
        &self,
        request: tonic::Request<CheckRequest>,
    ) -> Result<tonic::Response<CheckResponse>, tonic::Status> {
        let started = Instant::now();
        let answer = match http_request_of(&request.into_inner()) {
            Some(request) => self.decider.decide(request, started).await,
            None => self.decider.deny_unreadable(started),
        };
        Ok(tonic::Response::new(check_response(answer)))
    }
}

/// The downstream request as Envoy describes it; `None` when it is not there or not HTTP
/// (a method, header name or value that HTTP does not allow). Reading it anyway, by
/// dropping what does not fit, could drop the tenant header and pick the default tenant.
fn http_request_of(check: &CheckRequest) -> Option<Request<()>> {
    let http = check.attributes.as_ref()?.request.as_ref()?.http.as_ref()?;
    let mut request = Request::new(());
    *request.method_mut() = Method::from_bytes(http.method.as_bytes()).ok()?;
    // The decision does not read the path; a path that is no URI is still a request.
    if let Ok(uri) = http.path.parse() {
        *request.uri_mut() = uri;
    }
    let headers = request.headers_mut();
    match &http.header_map {
        Some(map) if !map.headers.is_empty() => {
            for header in map.headers.iter().filter(|h| !is_pseudo(&h.key)) {
                let value = if header.raw_value.is_empty() {
                    header.value.as_bytes()
                } else {
                    &header.raw_value
                };
                headers.append(
                    header_name(&header.key)?,
                    HeaderValue::from_bytes(value).ok()?,
                );
            }
        }
        _ => {
            for (name, value) in http.headers.iter().filter(|(name, _)| !is_pseudo(name)) {
                headers.append(header_name(name)?, HeaderValue::from_str(value).ok()?);
            }
        }
    }
    Some(request)
}

/// Envoy lists the HTTP/2 pseudo-headers (`:authority`, `:method`, `:path`) among the
/// headers; the method and path have fields of their own, and none of them decides.
fn is_pseudo(name: &str) -> bool {
    name.starts_with(':')
}

fn header_name(name: &str) -> Option<HeaderName> {
    HeaderName::from_bytes(name.as_bytes()).ok()
}

fn check_response(answer: Answer) -> CheckResponse {
    if answer.allowed {
        let mut ok = OkHttpResponseBuilder::new();
        for (name, value) in &answer.grant {
            // `Vary` adds to the upstream's; the grant's own headers replace any.
            let action = if name == header::VARY {
                HeaderAppendAction::AppendIfExistsOrAdd
            } else {
                HeaderAppendAction::OverwriteIfExistsOrAdd
            };
            if let Ok(value) = value.to_str() {
                ok.add_response_header(name.as_str(), value, Some(action), false);
            }
        }
        let mut response = CheckResponse::with_status(tonic::Status::ok("origin allowed"));
        response.set_http_response(ok);
        response
    } else {
        let reason = answer.reason.unwrap_or_default();
        let mut denied = DeniedHttpResponseBuilder::new();
        denied
            .set_http_status(HttpStatusCode::Forbidden)
            .add_header(REASON_HEADER, reason, None, false);
        let mut response =
            CheckResponse::with_status(tonic::Status::permission_denied(reason.to_owned()));
        response.set_http_response(denied);
        response
    }
}
