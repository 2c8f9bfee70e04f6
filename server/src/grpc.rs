//! The gRPC front end: `envoy.service.auth.v3.Authorization/Check` (Envoy `ext_authz` in
//! gRPC mode), with `envoy-types`' generated types on tonic.
//!
//! Envoy sends the downstream request's method, path and headers in
//! `attributes.request.http`: as `headers` (a map, names lower-cased, repeated headers
//! joined with `,`), or, with `encode_raw_headers`, as `header_map` (each header on its own,
//! values as bytes). Either is rebuilt into an HTTP request and decided like the HTTP front
//! end's.
//!
//! What is read is bounded like the HTTP listener's request head: at most
//! [`MAX_HEADERS`] headers and [`MAX_HEADER_BYTES`] bytes of names and values; a check
//! past either is denied with the reason `request_too_large`, before any header is copied.
//! A panic in the handler is logged and answered `INTERNAL` (see [`crate::panics`]).

use std::sync::Arc;
use std::time::Instant;

use envoy_types::ext_authz::v3::pb::{
    Authorization, CheckRequest, CheckResponse, HeaderAppendAction, HttpStatusCode,
};
use envoy_types::ext_authz::v3::{
    CheckResponseExt, DeniedHttpResponseBuilder, OkHttpResponseBuilder,
};
use envoy_types::pb::envoy::service::auth::v3::attribute_context::HttpRequest;
use http::header::{self, HeaderName, HeaderValue};
use http::{Method, Request};

use crate::decide::{
    Answer, Decider, MALFORMED_REQUEST, REASON_HEADER, REPORT_ONLY_HEADER, REQUEST_TOO_LARGE,
};
use crate::grpc_connections::ConnectionInfo;
use crate::panics::CatchPanic;

/// The most headers a check may describe (hyper's default for an HTTP/1 request head).
pub const MAX_HEADERS: usize = 100;
/// The most bytes of header names and values a check may describe (the HTTP listener's
/// request head bound).
pub const MAX_HEADER_BYTES: usize = 64 * 1024;
/// The largest `CheckRequest` message decoded, in bytes (tonic's default is 4 MiB); a
/// larger one is refused by tonic (`OUT_OF_RANGE`) before the handler. It leaves room for
/// a request body Envoy may send (`with_request_body`) beside the bounded headers.
pub const MAX_MESSAGE_BYTES: usize = 1024 * 1024;

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
        let _in_flight = request
            .extensions()
            .get::<ConnectionInfo>()
            .map(|connection| connection.activity.begin());
        let decider = &self.decider;
        or_internal(async move {
            match http_request_of(&request.into_inner()) {
                Ok(request) => decider.decide(request, started).await,
                Err(reason) => decider.deny_unreadable(reason, started),
            }
        })
        .await
    }
}

/// The check's response, or `INTERNAL` if deciding panics (the panic is logged by the
/// hook).
async fn or_internal(
    answer: impl std::future::Future<Output = Answer>,
) -> Result<tonic::Response<CheckResponse>, tonic::Status> {
    match CatchPanic::new(answer).await {
        Ok(answer) => Ok(tonic::Response::new(check_response(answer))),
        Err(()) => Err(tonic::Status::internal("internal error")),
    }
}

/// Whether the headers of `http` are within [`MAX_HEADERS`] and [`MAX_HEADER_BYTES`],
/// counted before anything is copied.
fn within_bounds(http: &HttpRequest) -> bool {
    let (count, bytes) = match &http.header_map {
        Some(map) if !map.headers.is_empty() => (
            map.headers.len(),
            map.headers
                .iter()
                .map(|h| h.key.len() + h.value.len().max(h.raw_value.len()))
                .fold(0_usize, usize::saturating_add),
        ),
        _ => (
            http.headers.len(),
            http.headers
                .iter()
                .map(|(name, value)| name.len() + value.len())
                .fold(0_usize, usize::saturating_add),
        ),
    };
    count <= MAX_HEADERS && bytes <= MAX_HEADER_BYTES
}

/// The downstream request as Envoy describes it; `Err` with the reason code when it is
/// over the bounds, or not there or not HTTP (a method, header name or value that HTTP
/// does not allow). Reading it anyway, by dropping what does not fit, could drop the
/// tenant header and pick the default tenant.
pub fn http_request_of(check: &CheckRequest) -> Result<Request<()>, &'static str> {
    let http = check
        .attributes
        .as_ref()
        .and_then(|attributes| attributes.request.as_ref()?.http.as_ref())
        .ok_or(MALFORMED_REQUEST)?;
    if !within_bounds(http) {
        return Err(REQUEST_TOO_LARGE);
    }
    read_http(http).ok_or(MALFORMED_REQUEST)
}

fn read_http(http: &HttpRequest) -> Option<Request<()>> {
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
        if let Some((name, value)) = &answer.frame {
            // Another policy beside the upstream's own: a browser enforces both, so the
            // frame is admitted only where both admit it (as `FrameAncestorsLayer` does
            // with a response that has a `frame-ancestors` of its own).
            if let Ok(value) = value.to_str() {
                ok.add_response_header(
                    name.as_str(),
                    value,
                    Some(HeaderAppendAction::AppendIfExistsOrAdd),
                    false,
                );
            }
        }
        if let Some(code) = answer.report_only {
            ok.add_response_header(
                REPORT_ONLY_HEADER,
                code,
                Some(HeaderAppendAction::OverwriteIfExistsOrAdd),
                false,
            );
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
        // A denial whose origin some mode allows: readable by the page (`Decider`).
        for (name, value) in &answer.grant {
            if let Ok(value) = value.to_str() {
                denied.add_header(name.as_str(), value, None, false);
            }
        }
        let mut response =
            CheckResponse::with_status(tonic::Status::permission_denied(reason.to_owned()));
        response.set_http_response(denied);
        response
    }
}

#[cfg(test)]
mod tests {
    use envoy_types::pb::envoy::service::auth::v3::check_response::HttpResponse;
    use http::HeaderMap;

    use super::*;

    #[tokio::test]
    async fn a_panic_while_deciding_is_internal_for_that_check() {
        let allowed = Answer {
            allowed: true,
            reason: None,
            report_only: None,
            mode: None,
            grant: HeaderMap::new(),
            frame: None,
        };
        let fine = or_internal(async { allowed }).await.unwrap().into_inner();
        assert_eq!(fine.status.unwrap().code, 0);
        let answers: Vec<Answer> = Vec::new();
        let panicked = or_internal(async move { answers.into_iter().nth(3).unwrap() })
            .await
            .unwrap_err();
        assert_eq!(panicked.code(), tonic::Code::Internal);
        assert_eq!(panicked.message(), "internal error");
    }

    #[test]
    fn the_frame_header_the_readable_grant_and_the_report_only_mark_reach_envoy() {
        let mut grant = HeaderMap::new();
        grant.insert(
            "access-control-allow-origin",
            "http://localhost:3000".parse().unwrap(),
        );
        let denied = check_response(Answer {
            allowed: false,
            reason: Some("no_matching_rule"),
            report_only: None,
            mode: None,
            grant,
            frame: None,
        });
        let Some(HttpResponse::DeniedResponse(denied)) = denied.http_response else {
            panic!("not a denied response");
        };
        let names: Vec<_> = denied
            .headers
            .iter()
            .filter_map(|h| h.header.as_ref())
            .map(|h| (h.key.as_str(), h.value.as_str()))
            .collect();
        assert!(names.contains(&("access-control-allow-origin", "http://localhost:3000")));

        let ok = check_response(Answer {
            allowed: true,
            reason: None,
            report_only: Some("no_matching_rule"),
            mode: None,
            grant: HeaderMap::new(),
            frame: Some((
                http::header::CONTENT_SECURITY_POLICY_REPORT_ONLY,
                "frame-ancestors https://www.berbix.com".parse().unwrap(),
            )),
        });
        let Some(HttpResponse::OkResponse(ok)) = ok.http_response else {
            panic!("not an ok response");
        };
        let names: Vec<_> = ok
            .response_headers_to_add
            .iter()
            .filter_map(|h| h.header.as_ref())
            .map(|h| (h.key.as_str(), h.value.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                (
                    "content-security-policy-report-only",
                    "frame-ancestors https://www.berbix.com"
                ),
                (REPORT_ONLY_HEADER, "no_matching_rule"),
            ]
        );
    }
}
