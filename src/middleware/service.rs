//! [`OriginPolicy`], the service the layer wraps around the inner one, and its
//! [`ResponseFuture`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::header::HeaderValue;
use http::{Request, Response};
use pin_project_lite::pin_project;
use tower_service::Service;

use super::decision::{Shared, Verdict};
use super::denial::denial_response;
use super::missing_origin::MissingOrigin;
use super::report_only::REPORT_ONLY_HEADER;
use super::vary::{add_vary, AllowVary};

/// The service of [`OriginPolicyLayer`]: answers 403 to denied requests and calls the inner
/// service for the others.
///
/// [`OriginPolicyLayer`]: super::OriginPolicyLayer
#[derive(Clone)]
pub struct OriginPolicy<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S> OriginPolicy<S> {
    /// The service of a layer with this configuration around `inner`.
    pub(super) fn new(inner: S, shared: Arc<Shared>) -> Self {
        OriginPolicy { inner, shared }
    }

    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The wrapped service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Unwraps the inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S: fmt::Debug> fmt::Debug for OriginPolicy<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OriginPolicy")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<S, B, ResBody> Service<Request<B>> for OriginPolicy<S>
where
    S: Service<Request<B>, Response = Response<ResBody>>,
    ResBody: From<String>,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, ResBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let (parts, body) = request.into_parts();
        let hook = self.shared.on_deny.as_deref();
        match self.shared.decide(&parts, hook) {
            Verdict::Allow { by_referer, .. } => {
                let future = self.inner.call(Request::from_parts(parts, body));
                let vary = match (self.shared.vary_on_allow, by_referer) {
                    (false, _) => AllowVary::Nothing,
                    (true, false) => AllowVary::Origin,
                    (true, true) => AllowVary::OriginAndReferer,
                };
                ResponseFuture {
                    kind: Kind::Allowed {
                        future,
                        vary,
                        report: None,
                    },
                }
            }
            Verdict::WouldDeny { reason, .. } => {
                let future = self.inner.call(Request::from_parts(parts, body));
                // The response was chosen by the origin like a denial would be: it varies
                // on what the denial's would.
                let vary = match (self.shared.vary_on_allow, self.shared.missing_origin) {
                    (false, _) => AllowVary::Nothing,
                    (true, MissingOrigin::UseReferer) => AllowVary::OriginAndReferer,
                    (true, _) => AllowVary::Origin,
                };
                ResponseFuture {
                    kind: Kind::Allowed {
                        future,
                        vary,
                        report: Some(self.shared.public_reason.code(reason)),
                    },
                }
            }
            Verdict::Deny { mode, reason } => ResponseFuture {
                kind: Kind::Denied {
                    response: Some(denial_response(
                        &parts.headers,
                        mode,
                        reason,
                        self.shared.public_reason,
                        self.shared.missing_origin,
                    )),
                },
            },
        }
    }
}

pin_project! {
    /// The future of [`OriginPolicy`]: the inner service's response (with `Vary: Origin`,
    /// and `Referer` when it decided, added), or the 403.
    pub struct ResponseFuture<F, B> {
        #[pin]
        kind: Kind<F, B>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<F, B> {
        Allowed { #[pin] future: F, vary: AllowVary, report: Option<&'static str> },
        Denied { response: Option<Response<B>> },
    }
}

impl<F, B> fmt::Debug for ResponseFuture<F, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.kind {
            Kind::Allowed { .. } => "allowed",
            Kind::Denied { .. } => "denied",
        };
        f.debug_struct("ResponseFuture")
            .field("state", &state)
            .finish()
    }
}

impl<F, B, E> Future for ResponseFuture<F, B>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().kind.project() {
            KindProj::Allowed {
                future,
                vary,
                report,
            } => {
                let (vary, report) = (*vary, *report);
                future.poll(cx).map_ok(|mut response| {
                    add_vary(response.headers_mut(), vary);
                    if let Some(code) = report {
                        response
                            .headers_mut()
                            .insert(REPORT_ONLY_HEADER, HeaderValue::from_static(code));
                    }
                    response
                })
            }
            KindProj::Denied { response } => Poll::Ready(Ok(response
                .take()
                .expect("ResponseFuture polled after it completed"))),
        }
    }
}
