//! [`MergeVaryLayer`]: one `Vary` line per response, whatever the layers inside it added; its
//! service [`MergeVary`] and that service's [`MergeVaryFuture`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::Response;
use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use super::vary::merge_vary;

/// A tower [`Layer`] that leaves each response with one `Vary` line: every `Vary` value the
/// inner services set is joined into one, each name once (names are compared ignoring case;
/// the first spelling is kept), and a `*` anywhere makes the line `*`.
///
/// [`Layer`]: https://docs.rs/tower-layer/0.3/tower_layer/trait.Layer.html
///
/// Several `Vary` lines mean the same as one joined by commas (RFC 9110, section 5.3), but
/// some caches and log pipelines read only the first. tower-http 0.6's `CorsLayer` appends a
/// line of its own (`origin, access-control-request-method, access-control-request-headers`)
/// after the services inside it answered, so [`OriginPolicyLayer`](super::OriginPolicyLayer)
/// inside it cannot give the response one line by itself. Put this layer outermost, around
/// `CorsLayer` (the last `.layer(...)` in axum), and every response, allowed, denied or a
/// preflight, leaves with one line:
///
/// ```
/// use origin_policy::middleware::{MergeVaryLayer, OriginPolicyLayer};
/// use origin_policy::{Mode, Policy};
///
/// let policy = Policy::builder().allow(Mode::Live, "https://*.berbix.com").build()?;
/// let gate = OriginPolicyLayer::new(policy).mode_from_api_secret();
/// // axum: Router::new().route(...).layer(gate).layer(cors).layer(MergeVaryLayer::new())
/// # let _ = (gate, MergeVaryLayer::new());
/// # Ok::<(), origin_policy::BuildError>(())
/// ```
///
/// A response with no `Vary`, or with one line that names each name once, passes unchanged
/// and without allocating. A line that is not visible ASCII cannot be split safely; a response
/// with one keeps all its lines as they are.
#[derive(Debug, Clone, Copy, Default)]
pub struct MergeVaryLayer;

impl MergeVaryLayer {
    /// The layer; it has no settings.
    pub fn new() -> Self {
        MergeVaryLayer
    }
}

impl<S> Layer<S> for MergeVaryLayer {
    type Service = MergeVary<S>;

    fn layer(&self, inner: S) -> MergeVary<S> {
        MergeVary { inner }
    }
}

/// The service of [`MergeVaryLayer`]: calls the inner service and joins its response's
/// `Vary` lines into one.
#[derive(Debug, Clone)]
pub struct MergeVary<S> {
    inner: S,
}

impl<S> MergeVary<S> {
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

impl<S, Request, ResBody> Service<Request> for MergeVary<S>
where
    S: Service<Request, Response = Response<ResBody>>,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = MergeVaryFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        MergeVaryFuture {
            future: self.inner.call(request),
        }
    }
}

pin_project! {
    /// The future of [`MergeVary`]: the inner service's response, with one `Vary` line.
    pub struct MergeVaryFuture<F> {
        #[pin]
        future: F,
    }
}

impl<F> fmt::Debug for MergeVaryFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MergeVaryFuture").finish_non_exhaustive()
    }
}

impl<F, B, E> Future for MergeVaryFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.project().future.poll(cx).map_ok(|mut response| {
            merge_vary(response.headers_mut());
            response
        })
    }
}
