//! The layer, driven for real, and its answers held against the model.

use std::convert::Infallible;
use std::future::{ready, Future, Ready};
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use http::header::HeaderValue;
use http::request::Parts;
use http::{HeaderMap, Method, Request, Response, StatusCode, Uri};
use tower_layer::Layer;
use tower_service::Service;

use origin_policy::middleware::{MissingOrigin, OriginPolicyLayer, PublicReason};

use super::model::{model_body, model_code, model_json, visible_ascii, Expected, SeenDenial};
use super::{fixture, Case, ModeSetting, Tenancy, INNER_BODY, INNER_CONTENT_TYPE};

/// What the inner service received.
pub(super) type Received = Arc<Mutex<Vec<(Method, Uri, HeaderMap)>>>;

#[derive(Clone)]
pub(super) struct Inner {
    vary: Vec<HeaderValue>,
    received: Received,
}

impl Service<Request<()>> for Inner {
    type Response = Response<String>;
    type Error = Infallible;
    type Future = Ready<Result<Response<String>, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<()>) -> Self::Future {
        self.received.lock().unwrap().push((
            request.method().clone(),
            request.uri().clone(),
            request.headers().clone(),
        ));
        let mut response = Response::new(INNER_BODY.to_owned());
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static(INNER_CONTENT_TYPE),
        );
        for value in &self.vary {
            response
                .headers_mut()
                .append(http::header::VARY, value.clone());
        }
        ready(Ok(response))
    }
}

pub(super) fn tenant_of(parts: &Parts) -> Option<&str> {
    match parts.headers.get("x-tenant") {
        Some(value) => value.to_str().ok(),
        None => Some("default"),
    }
}

/// The lowercase tokens of `Vary` values, skipping values that are not visible ASCII.
pub(super) fn vary_tokens<'a>(values: impl IntoIterator<Item = &'a HeaderValue>) -> Vec<String> {
    values
        .into_iter()
        .filter_map(|value| visible_ascii(value.as_bytes()))
        .flat_map(|text| text.split(','))
        .map(|token| token.trim().to_ascii_lowercase())
        .collect()
}

pub(super) fn check_one(
    case: &Case,
    expected: &Expected,
    missing: MissingOrigin,
    public: PublicReason,
    vary: bool,
) {
    let context = || {
        format!(
            "{}missing origin: {missing:?}, public reason: {public:?}, vary_on_allow: \
             {vary}\nexpected: {expected:?}",
            case.describe()
        )
    };
    let fixture = fixture();
    let layer = match case.tenancy {
        Tenancy::One => OriginPolicyLayer::new(fixture.default.clone()),
        Tenancy::Store => OriginPolicyLayer::with_store(fixture.store.clone(), tenant_of),
    };
    let layer = match case.mode {
        ModeSetting::Unset => layer,
        ModeSetting::Fixed(mode) => layer.fixed_mode(mode),
        ModeSetting::ApiSecret => layer.mode_from_api_secret(),
    };
    let denials: Arc<Mutex<Vec<SeenDenial>>> = Arc::default();
    let sink = denials.clone();
    let layer = layer
        .on_missing_origin(missing)
        .public_reason(public)
        .vary_on_allow(vary)
        .on_deny(move |denial| {
            sink.lock().unwrap().push(SeenDenial {
                tenant: denial.tenant.map(str::to_owned),
                mode: denial.mode,
                origin: denial.origin.map(str::to_owned),
                reason: denial.reason,
            });
        });

    let (parts, ()) = case.request().into_parts();
    let allowed = matches!(expected, Expected::Allow { .. });
    assert_eq!(layer.allows(&parts), allowed, "allows\n{}", context());
    assert!(
        denials.lock().unwrap().is_empty(),
        "allows called the hook\n{}",
        context()
    );

    let received = Received::default();
    let mut service = layer.layer(Inner {
        vary: case.inner_vary.clone(),
        received: received.clone(),
    });
    let mut cx = Context::from_waker(Waker::noop());
    assert!(matches!(service.poll_ready(&mut cx), Poll::Ready(Ok(()))));
    let future = pin!(service.call(case.request()));
    let Poll::Ready(Ok(response)) = future.poll(&mut cx) else {
        panic!("the response was not ready at once\n{}", context());
    };
    let (head, body) = response.into_parts();
    let received = received.lock().unwrap();
    let denials = denials.lock().unwrap();

    match expected {
        Expected::Allow { by_referer } => {
            assert_eq!(head.status, StatusCode::OK, "status\n{}", context());
            assert_eq!(body, INNER_BODY, "body\n{}", context());
            assert!(denials.is_empty(), "hook on an allow\n{}", context());
            let request = case.request();
            assert_eq!(
                received.as_slice(),
                [(
                    request.method().clone(),
                    request.uri().clone(),
                    request.headers().clone()
                )],
                "the inner service did not get the request as it came\n{}",
                context()
            );
            assert_eq!(
                head.headers
                    .get_all(http::header::CONTENT_TYPE)
                    .iter()
                    .collect::<Vec<_>>(),
                [INNER_CONTENT_TYPE],
                "content-type\n{}",
                context()
            );
            check_allowed_vary(case, &head.headers, vary, *by_referer, &context);
        }
        Expected::Deny(denial) => {
            assert_eq!(head.status, StatusCode::FORBIDDEN, "status\n{}", context());
            assert!(
                received.is_empty(),
                "the inner service was called\n{}",
                context()
            );
            assert_eq!(
                denials.as_slice(),
                std::slice::from_ref(denial),
                "the hook\n{}",
                context()
            );
            let json = model_json(&case.values("accept"));
            let code = match public {
                PublicReason::Uniform => "origin_not_allowed",
                _ => model_code(denial.reason),
            };
            assert_eq!(
                body,
                model_body(denial.mode, code, json),
                "body\n{}",
                context()
            );
            let content_type = if json {
                "application/json"
            } else {
                "text/plain; charset=utf-8"
            };
            let vary = if missing == MissingOrigin::UseReferer {
                "origin, referer, accept"
            } else {
                "origin, accept"
            };
            let mut headers: Vec<(String, &[u8])> = head
                .headers
                .iter()
                .map(|(name, value)| (name.to_string(), value.as_bytes()))
                .collect();
            headers.sort();
            assert_eq!(
                headers,
                [
                    ("cache-control".to_owned(), &b"no-store"[..]),
                    ("content-type".to_owned(), content_type.as_bytes()),
                    ("vary".to_owned(), vary.as_bytes()),
                ],
                "denial headers\n{}",
                context()
            );
        }
    }
}

/// An allowed response keeps the inner service's `Vary` as it is when that names what
/// decided (or `*`); otherwise it has one `Vary` line: the inner values (trimmed, empty ones
/// dropped) joined by `, `, then those of `origin` (always) and `referer` (when it decided)
/// that they do not name (after a value that is not visible ASCII, those names get a line of
/// their own). Nothing is added with `vary_on_allow(false)`.
pub(super) fn check_allowed_vary(
    case: &Case,
    headers: &HeaderMap,
    vary: bool,
    by_referer: bool,
    context: &dyn Fn() -> String,
) {
    let values: Vec<&HeaderValue> = headers.get_all(http::header::VARY).iter().collect();
    let inner: Vec<&HeaderValue> = case.inner_vary.iter().collect();
    let named = vary_tokens(case.inner_vary.iter());
    let mut missing: Vec<&str> = Vec::new();
    if vary && !named.iter().any(|token| token == "*") {
        for needed in ["origin", "referer"] {
            let wanted = needed == "origin" || by_referer;
            if wanted && !named.iter().any(|token| token == needed) {
                missing.push(needed);
            }
        }
    }
    let opaque = inner.iter().any(|value| value.to_str().is_err());
    if missing.is_empty() {
        assert!(
            values == inner,
            "the inner service's Vary changed: {values:?}\n{}",
            context()
        );
    } else if opaque {
        // A value that is not visible ASCII stays as it is; the names get a line after it.
        assert!(
            values.len() == inner.len() + 1 && values[..inner.len()] == inner[..],
            "the inner service's Vary changed: {values:?}\n{}",
            context()
        );
        assert_eq!(
            vary_tokens(values[inner.len()..].iter().copied()),
            missing,
            "added Vary {values:?}\n{}",
            context()
        );
    } else {
        let mut expected: Vec<u8> = Vec::new();
        for value in &inner {
            let value = value.as_bytes().trim_ascii();
            if !value.is_empty() {
                expected.extend_from_slice(value);
                expected.extend_from_slice(b", ");
            }
        }
        expected.extend_from_slice(missing.join(", ").as_bytes());
        assert_eq!(values.len(), 1, "Vary {values:?}\n{}", context());
        assert_eq!(
            values[0].as_bytes(),
            &expected[..],
            "Vary {values:?}\n{}",
            context()
        );
    }
    // Whatever was added, a shared cache now keys on every header that decided.
    if vary {
        let all = vary_tokens(values.iter().copied());
        let covered = |name: &str| all.iter().any(|token| token == name || token == "*");
        assert!(covered("origin"), "Vary misses origin\n{}", context());
        assert!(
            !by_referer || covered("referer"),
            "Vary misses referer\n{}",
            context()
        );
    }
}
