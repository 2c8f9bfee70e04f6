//! [`FrameAncestorsLayer`]: sets `Content-Security-Policy: frame-ancestors ...` on the
//! responses of embeddable pages, from the request's tenant and mode; its service
//! [`FrameAncestorsService`] and that service's [`FrameAncestorsFuture`].

use std::fmt;
use std::future::Future;
use std::hash::Hash;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::header::{self, HeaderName, HeaderValue};
use http::request::Parts;
use http::{Request, Response};
use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use super::csp_header::add_frame_ancestors;
use super::tenancy::{ModeSource, Policies};
use crate::frame_ancestors::ClosedReason;
use crate::mode::Mode;
use crate::policy::Policy;
use crate::store::PolicyStore;

/// The value for a request whose tenant or mode is not known: no ancestor at all.
const NONE: HeaderValue = HeaderValue::from_static("frame-ancestors 'none'");

type ClosedFn = dyn Fn(&Parts, Mode, ClosedReason) + Send + Sync;

#[derive(Clone)]
struct Shared {
    policies: Policies,
    mode: ModeSource,
    on_fail_closed: Option<Arc<ClosedFn>>,
}

impl Shared {
    /// The directive for this request: its tenant's policy in its mode, or `'none'`; and
    /// the header it goes in (`Content-Security-Policy-Report-Only` for a report-only mode).
    fn directive(&self, parts: &Parts) -> (HeaderName, HeaderValue) {
        let enforced = header::CONTENT_SECURITY_POLICY;
        let Some(mode) = self.mode.mode(parts) else {
            return (enforced, NONE);
        };
        let tenant = self.policies.tenant(parts);
        let (value, closed, report_only) =
            self.policies.with_policy(tenant, |policy| match policy {
                Some(policy) => {
                    let list = policy.frame_ancestors(mode);
                    let report_only = policy.options().is_report_only(mode);
                    (
                        list.header_value().clone(),
                        list.closed_reason(),
                        report_only,
                    )
                }
                None => (NONE, None, false),
            });
        if let (Some(reason), Some(hook)) = (closed, &self.on_fail_closed) {
            hook(parts, mode, reason);
        }
        match report_only {
            true => (header::CONTENT_SECURITY_POLICY_REPORT_ONLY, value),
            false => (enforced, value),
        }
    }
}

/// A tower [`Layer`] for the routes that serve embeddable pages (a hosted flow, a
/// widget): it adds `Content-Security-Policy: frame-ancestors ...` to every response, the
/// directive of the request's tenant and mode ([`Policy::frame_ancestors`]), so that the
/// browser lets only pages on origins the policy allows embed the page in a frame.
///
/// [`Layer`]: https://docs.rs/tower-layer/0.3/tower_layer/trait.Layer.html
///
/// A frame navigation carries neither `Origin` nor `Authorization`, so the mode comes from
/// what the navigation's URL carries: the path (`/flow/live`), or a query parameter such
/// as a client token's mode; read it with [`mode_from`](Self::mode_from) (or fix it with
/// [`fixed_mode`](Self::fixed_mode)). A request without a mode, or whose tenant the store
/// does not hold, gets `frame-ancestors 'none'`: the page still loads on its own, but no
/// page may frame it.
///
/// The layer does not refuse requests. Put it outside an [`OriginPolicyLayer`] whose mode
/// comes from the same place and which lets requests without `Origin` through
/// ([`MissingOrigin::Allow`]): top-level and frame navigations send none on `GET`, and a
/// request that does carry one (a `fetch`, a form `POST`) is still checked.
///
/// ```
/// use origin_policy::middleware::{FrameAncestorsLayer, MissingOrigin, OriginPolicyLayer};
/// use origin_policy::{Mode, Policy};
/// use tower::ServiceBuilder;
///
/// let policy = Policy::builder()
///     .allow(Mode::Live, "https://*.berbix.com")
///     .allow(Mode::Test, "http://localhost:*")
///     .build()?;
/// // `/flow/live` and `/flow/test`: the mode is the last path segment.
/// let mode = |parts: &http::request::Parts| parts.uri.path().strip_prefix("/flow/")?.parse().ok();
/// let embeddable = ServiceBuilder::new()
///     .layer(FrameAncestorsLayer::new(policy.clone()).mode_from(mode))
///     .layer(
///         OriginPolicyLayer::new(policy)
///             .mode_from(mode)
///             .on_missing_origin(MissingOrigin::Allow),
///     );
/// # let _ = embeddable;
/// # Ok::<(), origin_policy::BuildError>(())
/// ```
///
/// # The header
///
/// The directive is derived once per policy and mode and kept with the policy, so a
/// response costs a clone of a shared [`HeaderValue`] (a reference count), plus, when the
/// response already has a `Content-Security-Policy` value, the merge:
///
/// - none: the directive is the value;
/// - one value without `frame-ancestors`: `; frame-ancestors ...` is appended to it, so
///   the response keeps one policy;
/// - a value that already has `frame-ancestors`, or several values: the directive is added
///   as another value. A browser enforces every policy of a response, so a frame is
///   admitted only where both lists admit it: never more than either. (A second
///   `frame-ancestors` inside one policy would be ignored, and replacing the service's
///   own could loosen it.)
///
/// A `frame-ancestors` directive makes browsers ignore `X-Frame-Options`; don't set that
/// header on these routes. `Content-Security-Policy-Report-Only` is left as it is, except
/// in a report-only mode ([`PolicyOptions::report_only`](crate::PolicyOptions::report_only)):
/// there the directive goes into `Content-Security-Policy-Report-Only` instead, by the
/// same merge rules, so that browsers report the frames they would refuse and admit them.
///
/// The directive depends on the tenant and the mode: if the closures read anything that a
/// shared cache does not key on (a header), the response needs a `Vary` on it. The path
/// and query are part of every cache key already.
///
/// [`OriginPolicyLayer`]: super::OriginPolicyLayer
/// [`MissingOrigin::Allow`]: super::MissingOrigin::Allow
#[derive(Clone)]
pub struct FrameAncestorsLayer {
    shared: Arc<Shared>,
}

impl FrameAncestorsLayer {
    /// A layer that writes `policy`'s directive. Set the mode next
    /// ([`mode_from`](Self::mode_from) or [`fixed_mode`](Self::fixed_mode)); without one,
    /// every response gets `frame-ancestors 'none'`.
    pub fn new(policy: Policy) -> Self {
        Self::with_policies(Policies::One(policy))
    }

    /// A layer that writes the directive of each request's tenant in `store`, named by
    /// `tenant` (from the path, the query or the host: a navigation carries no custom
    /// header). No tenant, or one the store does not hold, gets `frame-ancestors 'none'`.
    /// The store can change at any time; each response carries the directive of the
    /// tenant's policy at the instant of the request.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use origin_policy::middleware::FrameAncestorsLayer;
    /// use origin_policy::store::PolicyStore;
    ///
    /// let store: Arc<PolicyStore<String>> = Arc::new(PolicyStore::new());
    /// // `/flow/live?tenant=acme`; `default` without a `tenant` parameter.
    /// let layer = FrameAncestorsLayer::with_store(store, |parts| {
    ///     let query = parts.uri.query().unwrap_or("");
    ///     let named = query.split('&').find_map(|pair| pair.strip_prefix("tenant="));
    ///     Some(named.unwrap_or("default"))
    /// })
    /// .mode_from(|parts| parts.uri.path().strip_prefix("/flow/")?.parse().ok());
    /// # let _ = layer;
    /// ```
    pub fn with_store<K, F>(store: Arc<PolicyStore<K>>, tenant: F) -> Self
    where
        K: std::borrow::Borrow<str> + Hash + Eq + Send + Sync + 'static,
        F: for<'a> Fn(&'a Parts) -> Option<&'a str> + Send + Sync + 'static,
    {
        Self::with_policies(Policies::store(store, tenant))
    }

    fn with_policies(policies: Policies) -> Self {
        FrameAncestorsLayer {
            shared: Arc::new(Shared {
                policies,
                mode: ModeSource::Unset,
                on_fail_closed: None,
            }),
        }
    }

    /// Writes the directive of `mode` on every response.
    pub fn fixed_mode(mut self, mode: Mode) -> Self {
        Arc::make_mut(&mut self.shared).mode = ModeSource::Fixed(mode);
        self
    }

    /// Takes each request's mode from `mode` (the path, or a query parameter); `None`
    /// gets `frame-ancestors 'none'`.
    pub fn mode_from<F>(mut self, mode: F) -> Self
    where
        F: Fn(&Parts) -> Option<Mode> + Send + Sync + 'static,
    {
        Arc::make_mut(&mut self.shared).mode = ModeSource::from_request(mode);
        self
    }

    /// Calls `hook` for each request whose directive failed closed: the tenant's policy
    /// has sources for the mode, but they would pass
    /// [`PolicyOptions::frame_ancestors_max_bytes`](crate::PolicyOptions::frame_ancestors_max_bytes),
    /// so the response gets `frame-ancestors 'none'` ([`FrameAncestors::closed_reason`](crate::FrameAncestors::closed_reason)).
    /// Log it there (rate-limited: it holds for every request of that tenant and mode until
    /// the policy changes); the lint reports the same when the policy is written
    /// ([`WarningKind::FrameAncestorsTooLong`](crate::WarningKind::FrameAncestorsTooLong)).
    ///
    /// ```
    /// use origin_policy::middleware::FrameAncestorsLayer;
    /// use origin_policy::{Mode, Policy};
    ///
    /// let mut builder = Policy::builder();
    /// builder.frame_ancestors_max_bytes(40);
    /// builder.allow(Mode::Live, "https://one.example.com").allow(Mode::Live, "https://two.example.com");
    /// let layer = FrameAncestorsLayer::new(builder.build()?)
    ///     .fixed_mode(Mode::Live)
    ///     .on_fail_closed(|parts, mode, reason| eprintln!("{} {mode}: {reason}", parts.uri.path()));
    /// let (parts, ()) = http::Request::get("/flow").body(())?.into_parts();
    /// assert_eq!(layer.directive(&parts), "frame-ancestors 'none'");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn on_fail_closed<F>(mut self, hook: F) -> Self
    where
        F: Fn(&Parts, Mode, ClosedReason) + Send + Sync + 'static,
    {
        Arc::make_mut(&mut self.shared).on_fail_closed = Some(Arc::new(hook));
        self
    }

    /// The directive this layer would add to the response to this request, before any
    /// merge with the response's own `Content-Security-Policy`.
    pub fn directive(&self, parts: &Parts) -> HeaderValue {
        self.shared.directive(parts).1
    }

    /// The header the directive goes in for this request: `Content-Security-Policy`, or
    /// `Content-Security-Policy-Report-Only` when the request's mode is report-only in its
    /// tenant's policy ([`PolicyOptions::report_only`](crate::PolicyOptions::report_only)),
    /// so that a browser reports the frames it would refuse and refuses none; and the
    /// directive ([`directive`](Self::directive)).
    pub fn header(&self, parts: &Parts) -> (HeaderName, HeaderValue) {
        self.shared.directive(parts)
    }
}

impl fmt::Debug for FrameAncestorsLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrameAncestorsLayer")
            .field("policies", &self.shared.policies.describe())
            .field("mode", &self.shared.mode.describe())
            .field("on_fail_closed", &self.shared.on_fail_closed.is_some())
            .finish()
    }
}

impl<S> Layer<S> for FrameAncestorsLayer {
    type Service = FrameAncestorsService<S>;

    fn layer(&self, inner: S) -> FrameAncestorsService<S> {
        FrameAncestorsService {
            inner,
            shared: self.shared.clone(),
        }
    }
}

/// The service of [`FrameAncestorsLayer`]: calls the inner service and adds the
/// directive to its response.
#[derive(Clone)]
pub struct FrameAncestorsService<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S> FrameAncestorsService<S> {
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

impl<S: fmt::Debug> fmt::Debug for FrameAncestorsService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrameAncestorsService")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<S, B, ResBody> Service<Request<B>> for FrameAncestorsService<S>
where
    S: Service<Request<B>, Response = Response<ResBody>>,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = FrameAncestorsFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let (parts, body) = request.into_parts();
        let (name, directive) = self.shared.directive(&parts);
        FrameAncestorsFuture {
            future: self.inner.call(Request::from_parts(parts, body)),
            name,
            directive,
        }
    }
}

pin_project! {
    /// The future of [`FrameAncestorsService`]: the inner service's response, with the
    /// directive added to its `Content-Security-Policy`.
    pub struct FrameAncestorsFuture<F> {
        #[pin]
        future: F,
        name: HeaderName,
        directive: HeaderValue,
    }
}

impl<F> fmt::Debug for FrameAncestorsFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrameAncestorsFuture")
            .field("directive", &self.directive)
            .finish_non_exhaustive()
    }
}

impl<F, B, E> Future for FrameAncestorsFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let (name, directive) = (&*this.name, &*this.directive);
        this.future.poll(cx).map_ok(|mut response| {
            add_frame_ancestors(response.headers_mut(), name, directive);
            response
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(uri: &str) -> Parts {
        Request::get(uri).body(()).unwrap().into_parts().0
    }

    #[test]
    fn the_directive_follows_the_tenant_and_the_mode_and_is_none_otherwise() {
        let policy = Policy::builder()
            .allow(Mode::Live, "https://*.berbix.com")
            .allow(Mode::Test, "http://localhost:*")
            .build()
            .unwrap();
        let store = Arc::new(PolicyStore::<String>::new());
        store.insert("acme".to_owned(), policy.clone());
        let layer = FrameAncestorsLayer::with_store(store, |parts| parts.uri.query())
            .mode_from(|parts| parts.uri.path().strip_prefix("/flow/")?.parse().ok());
        for (uri, expected) in [
            ("/flow/live?acme", "frame-ancestors https://*.berbix.com"),
            ("/flow/test?acme", "frame-ancestors http://localhost:*"),
            ("/flow/prod?acme", "frame-ancestors 'none'"),
            ("/flow/live?nobody", "frame-ancestors 'none'"),
            ("/flow/live", "frame-ancestors 'none'"),
        ] {
            assert_eq!(layer.directive(&parts(uri)), expected, "{uri}");
        }
        let unset = FrameAncestorsLayer::new(policy.clone());
        assert_eq!(unset.directive(&parts("/")), "frame-ancestors 'none'");
        let fixed = FrameAncestorsLayer::new(policy).fixed_mode(Mode::Test);
        assert_eq!(
            fixed.directive(&parts("/")),
            "frame-ancestors http://localhost:*"
        );
    }

    #[test]
    fn a_report_only_mode_sends_the_directive_as_report_only() {
        let policy = Policy::builder()
            .allow(Mode::Live, "https://*.berbix.com")
            .allow(Mode::Test, "http://localhost:*")
            .report_only(Mode::Live, true)
            .build()
            .unwrap();
        let layer = FrameAncestorsLayer::new(policy)
            .mode_from(|parts| parts.uri.path().strip_prefix("/flow/")?.parse().ok());
        let (name, value) = layer.header(&parts("/flow/live"));
        assert_eq!(name, header::CONTENT_SECURITY_POLICY_REPORT_ONLY);
        assert_eq!(value, "frame-ancestors https://*.berbix.com");
        let (name, value) = layer.header(&parts("/flow/test"));
        assert_eq!(name, header::CONTENT_SECURITY_POLICY);
        assert_eq!(value, "frame-ancestors http://localhost:*");
        // No mode: enforced 'none', whatever the policy's options.
        let (name, value) = layer.header(&parts("/flow/prod"));
        assert_eq!(name, header::CONTENT_SECURITY_POLICY);
        assert_eq!(value, "frame-ancestors 'none'");
    }

    #[test]
    fn a_directive_over_the_bound_is_none_and_the_hook_hears_why() {
        let mut builder = Policy::builder();
        builder.frame_ancestors_max_bytes(60);
        for n in 0..3 {
            builder.allow(Mode::Live, &format!("https://site-{n}.example.com"));
        }
        builder.allow(Mode::Test, "http://localhost:*");
        let heard = Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = heard.clone();
        let store = Arc::new(PolicyStore::<String>::new());
        store.insert("acme".to_owned(), builder.build().unwrap());
        let layer = FrameAncestorsLayer::with_store(store, |parts| parts.uri.query())
            .mode_from(|parts| parts.uri.path().strip_prefix("/flow/")?.parse().ok())
            .on_fail_closed(move |parts, mode, reason| {
                log.lock()
                    .unwrap()
                    .push(format!("{} {mode} {reason}", parts.uri));
            });
        assert_eq!(
            layer.directive(&parts("/flow/live?acme")),
            "frame-ancestors 'none'"
        );
        assert_eq!(
            layer.directive(&parts("/flow/test?acme")),
            "frame-ancestors http://localhost:*"
        );
        assert_eq!(
            *heard.lock().unwrap(),
            [
                "/flow/live?acme live the frame-ancestors directive would take 96 bytes \
              (3 sources), over its bound of 60 (frame_ancestors_max_bytes): it is 'none'"
            ]
        );
    }
}
