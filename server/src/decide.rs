//! [`Decider`]: one decision for one gateway question, whatever the protocol that asked.
//!
//! The decision itself is the library's: [`OriginPolicyLayer::decide`] over the store,
//! with the mode from the API secret in `Authorization` and CORS preflights checked in any
//! mode, exactly as the tower layer decides. This file adds only what a gateway needs
//! around it: the tenant from a header, the CORS grant headers of an allowed request
//! (tower-http's `CorsLayer`), the metrics and the denial log.

use std::convert::Infallible;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::request::Parts;
use http::{Request, Response};
use origin_policy::middleware::{is_cors_preflight, DenialReason, OriginPolicyLayer, Verdict};
use origin_policy::store::PolicyStore;
use origin_policy::{DenyReason, Mode};
use tower::util::ServiceFn;
use tower::{Layer, ServiceExt};
use tower_http::cors::{AllowHeaders, AllowMethods, AllowOrigin, Cors, CorsLayer};

use crate::logging::DenialLog;
use crate::metrics::{Metrics, Outcome};

/// The tenant of requests whose tenant header is absent.
pub const DEFAULT_TENANT: &str = "default";

/// The response header that carries a denial's reason code.
pub const REASON_HEADER: &str = "x-origin-policy-reason";

/// The response header of a denial that names the request's mode (`live` or `test`; absent
/// without one), so that a gateway can write the same 403 body as the tower gate.
pub const MODE_HEADER: &str = "x-origin-policy-mode";

/// The response header of an allowed answer whose request would have been denied in a
/// report-only mode: the reason code ([`origin_policy::middleware::REPORT_ONLY_HEADER`]).
pub const REPORT_ONLY_HEADER: &str = "x-origin-policy-report-only";

/// A reason code of the server's own, for a gRPC check whose request the server cannot
/// read as HTTP (no HTTP attributes, a header name or value that HTTP does not allow):
/// denied, since reading it otherwise could pick another tenant or mode.
pub const MALFORMED_REQUEST: &str = "malformed_request";

/// A reason code of the server's own, for a gRPC check that describes more headers than
/// the bounds of [`crate::grpc`] (count or bytes): denied, as the HTTP listener refuses an
/// oversized request head.
pub const REQUEST_TOO_LARGE: &str = "request_too_large";

type Echo = ServiceFn<fn(Request<()>) -> std::future::Ready<Result<Response<()>, Infallible>>>;

/// What the server answers for one request.
#[derive(Debug)]
pub struct Answer {
    /// Allowed or denied.
    pub allowed: bool,
    /// The reason code of a denial ([`origin_policy::middleware::DenialReason::code`]).
    pub reason: Option<&'static str>,
    /// For an allowed request that would have been denied, had its mode not been
    /// report-only: the reason code it would have been denied for (`would_deny`).
    pub report_only: Option<&'static str>,
    /// The mode of a denied request, if it has one.
    pub mode: Option<Mode>,
    /// For an allowed CORS preflight: the CORS grant headers, for the gateway to copy onto
    /// its response. For a denial whose origin some mode of the tenant allows (a test-mode
    /// page calling with a live key): `Access-Control-Allow-Origin` and `Vary: Origin`, so
    /// that the page can read the 403, as the tower composition gives it.
    pub grant: HeaderMap,
    /// For a hosted-flow request (an Envoy check whose path is under
    /// [`DeciderConfig::flow_path_prefix`]): the `frame-ancestors` header to add to the
    /// response.
    pub frame: Option<(HeaderName, HeaderValue)>,
}

impl Answer {
    /// An allowed request, with the headers the gateway copies onto its response.
    fn allowed(grant: HeaderMap, frame: Option<(HeaderName, HeaderValue)>) -> Self {
        Answer {
            allowed: true,
            reason: None,
            report_only: None,
            mode: None,
            grant,
            frame,
        }
    }

    /// A denied request, for `reason`, with the grant that makes its 403 readable (if any).
    fn denied(reason: &'static str, mode: Option<Mode>, grant: HeaderMap) -> Self {
        Answer {
            allowed: false,
            reason: Some(reason),
            report_only: None,
            mode,
            grant,
            frame: None,
        }
    }
}

/// Why a frame-ancestors question has no directive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameRefusal {
    /// No mode, or not `live` / `test`.
    NoMode,
    /// A tenant the store does not hold (or several tenant headers).
    UnknownTenant,
}

impl FrameRefusal {
    /// The reason code, as a denial's.
    pub fn code(self) -> &'static str {
        match self {
            FrameRefusal::NoMode => "no_mode",
            FrameRefusal::UnknownTenant => "unknown_tenant",
        }
    }
}

/// The decision service shared by the HTTP and gRPC front ends.
pub struct Decider {
    layer: OriginPolicyLayer,
    cors: Cors<Echo>,
    metrics: Arc<Metrics>,
    store: Arc<PolicyStore<String>>,
    tenant_header: HeaderName,
    flow_path_prefix: String,
}

/// The settings of a [`Decider`].
pub struct DeciderConfig {
    pub tenant_header: HeaderName,
    pub cors_max_age: Duration,
    /// The path prefix of the hosted flow: a request for `PREFIX{live|test}` (then the end,
    /// `/` or `?`) is answered with its tenant's `frame-ancestors` directive for that mode
    /// ([`Decider::decide`]); empty for none.
    pub flow_path_prefix: String,
    pub denial_log: Arc<DenialLog>,
}

impl Decider {
    pub fn new(
        store: Arc<PolicyStore<String>>,
        metrics: Arc<Metrics>,
        config: DeciderConfig,
    ) -> Self {
        let tenant_header = config.tenant_header.clone();
        let denial_log = config.denial_log;
        let layer = OriginPolicyLayer::with_store(store.clone(), move |parts| {
            tenant_of(parts, &tenant_header)
        })
        .mode_from_api_secret()
        .on_deny(move |denial| denial_log.record(denial));
        // The gate has decided by the time the grant is built: the grant echoes what was
        // allowed, and mirrors what the preflight asks for.
        let cors = CorsLayer::new()
            .allow_origin(AllowOrigin::mirror_request())
            .allow_methods(AllowMethods::mirror_request())
            .allow_headers(AllowHeaders::mirror_request())
            .max_age(config.cors_max_age);
        let echo: fn(Request<()>) -> _ = |_| std::future::ready(Ok(Response::new(())));
        Decider {
            layer,
            cors: cors.layer(tower::service_fn(echo)),
            metrics,
            store,
            tenant_header: config.tenant_header,
            flow_path_prefix: config.flow_path_prefix,
        }
    }

    /// The `frame-ancestors` header of the request's tenant in `mode`: the library's
    /// [`Policy::frame_ancestors`](origin_policy::Policy::frame_ancestors), derived once per
    /// policy and mode and kept with it (a response costs a reference count), in
    /// `Content-Security-Policy`, or `Content-Security-Policy-Report-Only` when the mode is
    /// report-only.
    pub fn frame_ancestors(
        &self,
        parts: &Parts,
        mode: Option<Mode>,
    ) -> Result<(HeaderName, HeaderValue), FrameRefusal> {
        let mode = mode.ok_or(FrameRefusal::NoMode)?;
        let tenant = tenant_of(parts, &self.tenant_header).ok_or(FrameRefusal::UnknownTenant)?;
        self.store.with_policy(tenant, |policy| {
            let policy = policy.ok_or(FrameRefusal::UnknownTenant)?;
            let value = policy.frame_ancestors(mode).header_value().clone();
            let name = match policy.options().is_report_only(mode) {
                true => header::CONTENT_SECURITY_POLICY_REPORT_ONLY,
                false => header::CONTENT_SECURITY_POLICY,
            };
            Ok((name, value))
        })
    }

    /// The mode a hosted-flow path names, `Some(None)` for a flow path without a mode it
    /// can read, `None` for a path outside the flow.
    fn flow_mode(&self, path: &str) -> Option<Option<Mode>> {
        if self.flow_path_prefix.is_empty() {
            return None;
        }
        let rest = path.strip_prefix(&self.flow_path_prefix)?;
        let segment = rest.split(['/', '?']).next().unwrap_or("");
        Some(segment.parse().ok())
    }

    /// A hosted-flow request: allowed with its tenant's directive, or denied when there is
    /// none (unknown tenant, no mode). A frame navigation carries neither `Origin` nor
    /// `Authorization`: the directive is what protects the flow.
    fn decide_flow(&self, parts: &Parts, mode: Option<Mode>, started: Instant) -> Answer {
        match self.frame_ancestors(parts, mode) {
            Ok(frame) => {
                self.metrics
                    .record_decision(Outcome::Allowed, mode, started.elapsed());
                Answer::allowed(HeaderMap::new(), Some(frame))
            }
            Err(refusal) => self.deny_unreadable(refusal.code(), started),
        }
    }

    /// The CORS grant of a denial whose origin some mode of the tenant allows (a page on a
    /// test-mode origin calling with a live key): `Access-Control-Allow-Origin` and `Vary:
    /// Origin`, as tower-http's `CorsLayer` with
    /// [`PolicyStore::cors_predicate_any_mode`] gives it in the tower composition, so that
    /// the page reads the 403 instead of a network error. An origin no mode allows gets
    /// nothing.
    fn readable_denial(&self, parts: &Parts) -> HeaderMap {
        let mut grant = HeaderMap::new();
        let (Some(tenant), Some(origin)) = (
            tenant_of(parts, &self.tenant_header),
            parts.headers.get(header::ORIGIN),
        ) else {
            return grant;
        };
        let Ok(text) = origin.to_str() else {
            return grant;
        };
        let allowed = self.store.with_policy(tenant, |policy| {
            policy.is_some_and(|policy| policy.check_any_mode(text).is_allowed())
        });
        if allowed && parts.headers.get_all(header::ORIGIN).iter().count() == 1 {
            grant.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
            grant.insert(header::VARY, HeaderValue::from_static("origin"));
        }
        grant
    }

    /// Decides `request` (its body is never read), counts the decision and logs a denial.
    /// `started` is when the request's headers were in hand, for the latency histogram.
    pub async fn decide(&self, request: Request<()>, started: Instant) -> Answer {
        self.decide_parts(request.into_parts().0, started)
    }

    /// [`decide`](Self::decide) for the parts of a request, at once: nothing in a decision
    /// waits, so the HTTP front end calls it without a future (whose state would be one
    /// more copy of the request).
    pub fn decide_parts(&self, parts: Parts, started: Instant) -> Answer {
        if let Some(mode) = self.flow_mode(parts.uri.path()) {
            return self.decide_flow(&parts, mode, started);
        }
        match self.layer.decide(&parts) {
            Verdict::Allow { mode, .. } => {
                let grant = self.preflight_grant(parts);
                self.metrics
                    .record_decision(Outcome::Allowed, mode, started.elapsed());
                Answer::allowed(grant, None)
            }
            Verdict::WouldDeny { mode, reason, .. } => {
                // Passes as an allowed request does, preflight grant included, so that the
                // browser goes on; recorded as `would_deny` (the hook logged it).
                let code = reason.code();
                let grant = self.preflight_grant(parts);
                self.metrics
                    .record_decision(Outcome::WouldDeny(code), mode, started.elapsed());
                Answer {
                    report_only: Some(code),
                    ..Answer::allowed(grant, None)
                }
            }
            Verdict::Deny { mode, reason, .. } => {
                let code = reason.code();
                self.metrics
                    .record_decision(Outcome::Denied(code), mode, started.elapsed());
                let grant = match may_be_readable(reason) {
                    true => self.readable_denial(&parts),
                    false => HeaderMap::new(),
                };
                Answer::denied(code, mode, grant)
            }
            // `Verdict` may grow; what this server does not know, it denies.
            _ => self.deny_unreadable(MALFORMED_REQUEST, started),
        }
    }

    /// The answer to a request the front end could not read into HTTP, denied with
    /// `reason` ([`MALFORMED_REQUEST`], [`REQUEST_TOO_LARGE`]).
    pub fn deny_unreadable(&self, reason: &'static str, started: Instant) -> Answer {
        self.metrics
            .record_decision(Outcome::Denied(reason), None, started.elapsed());
        Answer::denied(reason, None, HeaderMap::new())
    }

    /// tower-http's CORS grant for an allowed CORS preflight ([`is_cors_preflight`]):
    /// `Access-Control-Allow-Origin`, the methods and headers asked for, the max age and
    /// `Vary`. Other allowed requests get none: their response is the upstream's, whose
    /// `Access-Control-Allow-Origin` the application or the gateway gives (nginx can echo
    /// `$http_origin`, since only allowed requests reach it), and building it here would
    /// cost every allowed request about as much as the decision itself.
    ///
    /// `CorsLayer` answers a preflight itself, without its inner service (which is always
    /// ready anyway), so its future is ready when first polled; were it not, the preflight
    /// would get no grant, and the browser would not send the request.
    fn preflight_grant(&self, parts: Parts) -> HeaderMap {
        if !is_cors_preflight(&parts) {
            return HeaderMap::new();
        }
        let request = Request::from_parts(parts, ());
        let answer = pin!(self.cors.clone().oneshot(request));
        match answer.poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(Ok(response)) => response.into_parts().0.headers,
            Poll::Pending => HeaderMap::new(),
        }
    }
}

/// Whether a denial for `reason` can have a readable-denial grant
/// ([`Decider::readable_denial`]): not when the tenant has no policy, the request no single
/// visible-ASCII `Origin`, or an origin that no policy can allow (opaque, malformed), for
/// which that function finds no grant anyway; a shortcut that spares those denials its
/// second tenant lookup and check.
fn may_be_readable(reason: DenialReason) -> bool {
    match reason {
        DenialReason::UnknownTenant
        | DenialReason::MissingOrigin
        | DenialReason::MultipleOrigins
        | DenialReason::NonUtf8Origin
        | DenialReason::Policy(DenyReason::Opaque | DenyReason::Malformed(_)) => false,
        // No mode (its origin may be allowed in a mode), an origin no rule of its mode
        // allows, and reasons of a later library.
        _ => true,
    }
}

/// The tenant a request names: its one tenant header's value, [`DEFAULT_TENANT`] without
/// one; several values, or one that is not visible ASCII, name no tenant (denied as an
/// unknown tenant).
fn tenant_of<'a>(parts: &'a Parts, tenant_header: &HeaderName) -> Option<&'a str> {
    let mut values = parts.headers.get_all(tenant_header).iter();
    match (values.next(), values.next()) {
        (None, _) => Some(DEFAULT_TENANT),
        (Some(value), None) => value.to_str().ok(),
        (Some(_), Some(_)) => None,
    }
}

/// The reason header's value for a code (codes are fixed `snake_case` words).
pub fn reason_value(code: &'static str) -> HeaderValue {
    HeaderValue::from_static(code)
}

#[cfg(test)]
mod tests;
