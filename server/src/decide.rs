//! [`Decider`]: one decision for one gateway question, whatever the protocol that asked.
//!
//! The decision itself is the library's: [`OriginPolicyLayer::decide`] over the store,
//! with the mode from the API secret in `Authorization` and CORS preflights checked in any
//! mode, exactly as the tower layer decides. This file adds only what a gateway needs
//! around it: the tenant from a header, the CORS grant headers of an allowed request
//! (tower-http's `CorsLayer`), the metrics and the denial log.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::header::{HeaderMap, HeaderName, HeaderValue};
use http::request::Parts;
use http::{Request, Response};
use origin_policy::middleware::{is_cors_preflight, OriginPolicyLayer, Verdict};
use origin_policy::store::PolicyStore;
use tower::util::ServiceFn;
use tower::{Layer, ServiceExt};
use tower_http::cors::{AllowHeaders, AllowMethods, AllowOrigin, Cors, CorsLayer};

use crate::logging::DenialLog;
use crate::metrics::{Metrics, Outcome};

/// The tenant of requests whose tenant header is absent.
pub const DEFAULT_TENANT: &str = "default";

/// The response header that carries a denial's reason code.
pub const REASON_HEADER: &str = "x-origin-policy-reason";

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
    /// For an allowed CORS preflight: the CORS grant headers, for the gateway to copy onto
    /// its response.
    pub grant: HeaderMap,
}

/// The decision service shared by the HTTP and gRPC front ends.
pub struct Decider {
    layer: OriginPolicyLayer,
    cors: Cors<Echo>,
    metrics: Arc<Metrics>,
}

/// The settings of a [`Decider`].
pub struct DeciderConfig {
    pub tenant_header: HeaderName,
    pub cors_max_age: Duration,
    pub denial_log: Arc<DenialLog>,
}

impl Decider {
    pub fn new(
        store: Arc<PolicyStore<String>>,
        metrics: Arc<Metrics>,
        config: DeciderConfig,
    ) -> Self {
        let tenant_header = config.tenant_header;
        let denial_log = config.denial_log;
        let layer =
            OriginPolicyLayer::with_store(store, move |parts| tenant_of(parts, &tenant_header))
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
        }
    }

    /// Decides `request` (its body is never read), counts the decision and logs a denial.
    /// `started` is when the request's headers were in hand, for the latency histogram.
    pub async fn decide(&self, request: Request<()>, started: Instant) -> Answer {
        let (parts, ()) = request.into_parts();
        match self.layer.decide(&parts) {
            Verdict::Allow { mode, .. } => {
                let grant = self.grant(parts).await;
                self.metrics
                    .record_decision(Outcome::Allowed, mode, started.elapsed());
                Answer {
                    allowed: true,
                    reason: None,
                    report_only: None,
                    grant,
                }
            }
            Verdict::WouldDeny { mode, reason, .. } => {
                // Passes as an allowed request does, preflight grant included, so that the
                // browser goes on; recorded as `would_deny` (the hook logged it).
                let code = reason.code();
                let grant = self.grant(parts).await;
                self.metrics
                    .record_decision(Outcome::WouldDeny(code), mode, started.elapsed());
                Answer {
                    allowed: true,
                    reason: None,
                    report_only: Some(code),
                    grant,
                }
            }
            Verdict::Deny { mode, reason, .. } => {
                let code = reason.code();
                self.metrics
                    .record_decision(Outcome::Denied(code), mode, started.elapsed());
                Answer {
                    allowed: false,
                    reason: Some(code),
                    report_only: None,
                    grant: HeaderMap::new(),
                }
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
        Answer {
            allowed: false,
            reason: Some(reason),
            report_only: None,
            grant: HeaderMap::new(),
        }
    }

    /// tower-http's CORS grant for an allowed CORS preflight ([`is_cors_preflight`]):
    /// `Access-Control-Allow-Origin`, the methods and headers asked for, the max age and
    /// `Vary`. Other allowed requests get none: their response is the upstream's, whose
    /// `Access-Control-Allow-Origin` the application or the gateway gives (nginx can echo
    /// `$http_origin`, since only allowed requests reach it), and building it here would
    /// cost every allowed request about as much as the decision itself.
    async fn grant(&self, parts: Parts) -> HeaderMap {
        if !is_cors_preflight(&parts) {
            return HeaderMap::new();
        }
        let request = Request::from_parts(parts, ());
        let Ok(response) = self.cors.clone().oneshot(request).await;
        response.into_parts().0.headers
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
mod tests {
    use origin_policy::{Mode, Policy};

    use super::*;

    fn decider() -> Decider {
        let store = Arc::new(PolicyStore::new());
        let policy = Policy::builder()
            .allow(Mode::Live, "https://www.berbix.com")
            .allow(Mode::Test, "http://localhost:*")
            .build()
            .unwrap();
        store.insert(DEFAULT_TENANT.to_owned(), policy.clone());
        store.insert("acme".to_owned(), policy);
        let metrics = Arc::new(Metrics::new());
        Decider::new(
            store,
            metrics.clone(),
            DeciderConfig {
                tenant_header: HeaderName::from_static("x-tenant"),
                cors_max_age: Duration::from_secs(600),
                denial_log: Arc::new(DenialLog::new(10, metrics)),
            },
        )
    }

    fn request(method: &str, headers: &[(&str, &[u8])]) -> Request<()> {
        let mut builder = Request::builder().method(method).uri("/v1/auth");
        for (name, value) in headers {
            builder = builder.header(*name, HeaderValue::from_bytes(value).unwrap());
        }
        builder.body(()).unwrap()
    }

    async fn decide(headers: &[(&str, &[u8])]) -> Answer {
        decider()
            .decide(request("GET", headers), Instant::now())
            .await
    }

    #[tokio::test]
    async fn decides_by_tenant_mode_and_origin() {
        let live: (&str, &[u8]) = ("authorization", b"Bearer secret_live_k");
        let ok: (&str, &[u8]) = ("origin", b"https://www.berbix.com");
        let answer = decide(&[live, ok]).await;
        assert!(answer.allowed);
        assert!(answer.grant.is_empty(), "{:?}", answer.grant);

        for (headers, reason) in [
            (vec![ok], "no_mode"),
            (vec![live], "missing_origin"),
            (
                vec![live, ("origin", b"http://localhost:3000")],
                "no_matching_rule",
            ),
            (vec![live, ok, ("x-tenant", b"globex")], "unknown_tenant"),
            (
                vec![live, ok, ("x-tenant", b"acme"), ("x-tenant", b"acme")],
                "unknown_tenant",
            ),
            (vec![live, ok, ("x-tenant", b"acm\xe9")], "unknown_tenant"),
            (
                vec![live, ok, ("origin", b"https://www.berbix.com")],
                "multiple_origins",
            ),
            (
                vec![live, ("origin", b"https://b\xe9rbix.com")],
                "non_utf8_origin",
            ),
        ] {
            let answer = decide(&headers).await;
            assert!(!answer.allowed, "{headers:?}");
            assert_eq!(answer.reason, Some(reason), "{headers:?}");
            assert!(answer.grant.is_empty());
        }
        let acme = decide(&[live, ok, ("x-tenant", b"acme")]).await;
        assert!(acme.allowed);
    }

    #[tokio::test]
    async fn a_report_only_mode_lets_a_would_be_denial_through_and_counts_it() {
        let store = Arc::new(PolicyStore::new());
        let policy = Policy::builder()
            .allow(Mode::Live, "https://www.berbix.com")
            .allow(Mode::Test, "http://localhost:*")
            .report_only(Mode::Live, true)
            .build()
            .unwrap();
        store.insert(DEFAULT_TENANT.to_owned(), policy);
        let metrics = Arc::new(Metrics::new());
        let decider = Decider::new(
            store,
            metrics.clone(),
            DeciderConfig {
                tenant_header: HeaderName::from_static("x-tenant"),
                cors_max_age: Duration::from_secs(600),
                denial_log: Arc::new(DenialLog::new(10, metrics.clone())),
            },
        );
        let live: (&str, &[u8]) = ("authorization", b"Bearer secret_live_k");
        let test: (&str, &[u8]) = ("authorization", b"Bearer secret_test_k");
        let evil: (&str, &[u8]) = ("origin", b"https://evil.example");
        let answer = decider
            .decide(request("GET", &[live, evil]), Instant::now())
            .await;
        assert!(answer.allowed);
        assert_eq!(answer.reason, None);
        assert_eq!(answer.report_only, Some("no_matching_rule"));
        let answer = decider
            .decide(request("GET", &[test, evil]), Instant::now())
            .await;
        assert!(!answer.allowed);
        assert_eq!(answer.report_only, None);
        // A preflight from an origin no mode allows gets its grant too: the browser goes on.
        let preflight = request(
            "OPTIONS",
            &[evil, ("access-control-request-method", b"POST")],
        );
        let answer = decider.decide(preflight, Instant::now()).await;
        assert!(answer.allowed);
        assert_eq!(answer.report_only, Some("no_matching_rule"));
        assert_eq!(
            answer.grant["access-control-allow-origin"],
            "https://evil.example"
        );
        let text = metrics.encode();
        for line in [
            r#"origin_policy_decisions_total{result="would_deny",reason="no_matching_rule",mode="live"} 1"#,
            r#"origin_policy_decisions_total{result="would_deny",reason="no_matching_rule",mode="none"} 1"#,
            r#"origin_policy_decisions_total{result="denied",reason="no_matching_rule",mode="test"} 1"#,
        ] {
            assert!(text.contains(line), "{line} not in\n{text}");
        }
    }

    #[tokio::test]
    async fn a_preflight_is_decided_in_any_mode_and_granted_by_tower_http() {
        let preflight = request(
            "OPTIONS",
            &[
                ("origin", b"http://localhost:3000"),
                ("access-control-request-method", b"POST"),
                ("access-control-request-headers", b"authorization"),
            ],
        );
        let answer = decider().decide(preflight, Instant::now()).await;
        assert!(answer.allowed);
        let grant = &answer.grant;
        assert_eq!(
            grant["access-control-allow-origin"],
            "http://localhost:3000"
        );
        assert_eq!(grant["access-control-allow-methods"], "POST");
        assert_eq!(grant["access-control-allow-headers"], "authorization");
        assert_eq!(grant["access-control-max-age"], "600");

        let denied = request(
            "OPTIONS",
            &[
                ("origin", b"https://evil.example"),
                ("access-control-request-method", b"POST"),
            ],
        );
        let answer = decider().decide(denied, Instant::now()).await;
        assert_eq!(answer.reason, Some("no_matching_rule"));
        assert!(answer.grant.is_empty());

        // OPTIONS without Access-Control-Request-Method is an ordinary request: it needs a key,
        // and gets no preflight grant (tower-http alone would take it for a preflight).
        let plain = request(
            "OPTIONS",
            &[
                ("origin", b"https://www.berbix.com"),
                ("authorization", b"Bearer secret_live_k"),
            ],
        );
        let answer = decider().decide(plain, Instant::now()).await;
        assert!(answer.allowed);
        assert!(answer.grant.is_empty());
    }
}
