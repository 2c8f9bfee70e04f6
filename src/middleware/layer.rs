//! [`OriginPolicyLayer`]: the tower layer, and the builder methods that configure it.

use std::fmt;
use std::hash::Hash;
use std::sync::Arc;

use http::request::Parts;
use tower_layer::Layer;

use super::authorization::mode_from_authorization;
use super::decision::{Shared, Verdict};
use super::denial::{Denial, PublicReason};
use super::missing_origin::MissingOrigin;
use super::service::OriginPolicy;
use super::tenancy::{ModeSource, Policies};
use crate::mode::Mode;
use crate::policy::Policy;
use crate::store::PolicyStore;

/// A tower [`Layer`] that answers `403 Forbidden` to a request whose origin is not
/// allowed, and passes every other request to the inner service unchanged.
///
/// [`Layer`]: https://docs.rs/tower-layer/0.3/tower_layer/trait.Layer.html
///
/// For each request it decides, in this order, and denies at the first step that fails:
///
/// 1. **the mode**: [`fixed_mode`](Self::fixed_mode), [`mode_from`](Self::mode_from) a
///    closure, or [`mode_from_api_secret`](Self::mode_from_api_secret) (the
///    `secret_live_` / `secret_test_` prefix of the key in `Authorization`). No mode is
///    denied ([`DenialReason::NoMode`]); so is every request of a layer given no mode
///    source. The mode comes first so that a request without credentials is denied before
///    any tenant is looked up.
/// 2. **the policy**: the one given to [`new`](Self::new), or, with
///    [`with_store`](Self::with_store), the policy of the tenant a closure reads from the
///    request. No tenant, or a tenant the store does not know, is denied
///    ([`DenialReason::UnknownTenant`]).
/// 3. **the origin**: the `Origin` header, checked with [`Policy::check`]. Without one,
///    [`MissingOrigin`] decides (deny by default). Several `Origin` headers, or a value that
///    is not UTF-8, are denied.
///
/// A CORS preflight ([`is_cors_preflight`]: `OPTIONS` with `Origin` and
/// `Access-Control-Request-Method`) has no credentials by design, so it skips step 1: its
/// origin passes if the policy allows it in any mode ([`Policy::check_any_mode`]), and the
/// request goes on to a `CorsLayer` inside the gate, or to the service. The real request
/// that follows is checked in its key's mode. A preflight that carries credentials anyway
/// (no browser sends one; a script can) is checked in the mode they name, with a mode read
/// from the request ([`mode_from`](Self::mode_from),
/// [`mode_from_api_secret`](Self::mode_from_api_secret)), so that it reaches the service
/// only in a mode its origin is allowed in. A preflight whose origin no mode allows is
/// denied like any other request (and so gets no CORS grant).
///
/// ```
/// use origin_policy::middleware::OriginPolicyLayer;
/// use origin_policy::{Mode, Policy};
///
/// let policy = Policy::builder()
///     .allow(Mode::Live, "https://*.berbix.com")
///     .allow(Mode::Test, "http://localhost:*")
///     .build()?;
/// let layer = OriginPolicyLayer::new(policy)
///     .mode_from_api_secret()
///     .on_deny(|denial| eprintln!("403 {:?} {:?}", denial.reason, denial.origin));
/// // axum: Router::new().route(...).layer(layer)
/// # let _ = layer;
/// # Ok::<(), origin_policy::BuildError>(())
/// ```
///
/// # The denial response
///
/// Status 403, with `Cache-Control: no-store` and `Vary: Origin, Accept` (plus `Referer`
/// with [`MissingOrigin::UseReferer`], on every denial). The body is one short line of
/// plain text (`text/plain; charset=utf-8`):
///
/// ```text
/// origin not allowed for live mode: origin_not_allowed
/// ```
///
/// or, when the request's `Accept` lists `application/json` (with a non-zero `q`), JSON:
///
/// ```json
/// {"error":"origin_not_allowed","mode":"live","reason":"origin_not_allowed"}
/// ```
///
/// The mode is `live`, `test` or absent (`null` in JSON, and `origin not allowed: …` in
/// text): the request's own, named by its credentials. The reason is
/// [`UNIFORM_DENIAL_CODE`] for every denial by default, so that the body tells a client
/// nothing about which tenants exist or how its origin was judged; with
/// [`public_reason(PublicReason::Precise)`](Self::public_reason) it is the
/// [`DenialReason::code`] (`unknown_tenant`, `no_matching_rule`, ...). Nothing from the
/// request is echoed: the body is built only from those fixed words. The response body type
/// must be `From<String>` (as axum's `Body`, `http_body_util::Full<Bytes>` and `String`
/// are).
///
/// # Allowed requests
///
/// The request goes to the inner service as it came. The layer itself allocates nothing
/// on that path: the tenant, mode and origin are read in place, a canonical origin is
/// checked without allocating, and a store lookup borrows the policy.
///
/// By default the layer appends to the inner service's response one `Vary` value naming
/// each request header that could have changed its answer and that no `Vary` value names
/// yet (nothing when one is `*`), so that a shared cache serves the response only to
/// requests the layer would answer the same way:
///
/// - `Origin`, always (its absence is a value too);
/// - `Referer` too, when the request had no `Origin` and [`MissingOrigin::UseReferer`]
///   let its `Referer` decide. A request with an `Origin` is decided without reading the
///   `Referer`, so its response does not vary on it.
///
/// The value is static, so the append allocates only if the response's header map must
/// grow. [`vary_on_allow(false)`](Self::vary_on_allow) adds nothing, for responses that no
/// shared cache stores (`private`, `no-store`, or not cacheable at all). A `CorsLayer`
/// that already adds `Vary: Origin` needs no such setting: only what is missing is added.
/// tower-http's `CorsLayer` outside the gate appends a `Vary` line of its own after the gate
/// answered; [`MergeVaryLayer`](super::MergeVaryLayer) outside it joins them into one.
///
/// The layer cannot name what the tenant and mode closures read. A tenant taken from a
/// header of your own (`X-Tenant`) needs `Vary: X-Tenant` on cacheable responses (or
/// `Cache-Control: private`); the host and path are part of every cache key already. The
/// `Authorization` header needs nothing: a shared cache does not reuse a response to a
/// request that carried it unless the response explicitly allows it (RFC 9111, 3.5).
///
/// # Observing denials
///
/// [`on_deny`](Self::on_deny) registers a closure called once per denial, before the
/// response is built, with a [`Denial`]: the tenant, the mode, the origin (both cut to
/// [`DENIAL_LOG_MAX_LEN`] bytes) and the precise reason, whatever the body says
/// ([`PublicReason`]). Count 403s by `reason.code()`, tenant and mode, or log them. The
/// hook runs on the request's task: keep it short and non-blocking.
///
/// # With tower-http's `CorsLayer`
///
/// The two do different jobs: `CorsLayer` tells the browser which origins may read
/// responses (the `Access-Control-*` headers), and this layer refuses to serve the others.
/// Put `CorsLayer` outside this layer (added after it in axum's `Router::layer` calls, or
/// before it in a `ServiceBuilder`), so that it answers CORS preflights itself and adds its
/// headers to this layer's 403s too, and [`MergeVaryLayer`](super::MergeVaryLayer) outside
/// both, so that each response has one `Vary` line.
///
/// A browser sends `Authorization` only on the real request, after a preflight that
/// carries neither the key nor custom headers, so the CORS side cannot know the mode. Give
/// `CorsLayer` the policy through [`Policy::cors_predicate_any_mode`] (or, for a store,
/// [`PolicyStore::cors_predicate_any_mode`] with a tenant read from the path or `Host`):
/// it grants an origin the policy allows in any mode, and this layer then checks the real
/// request in its key's mode. A page on an origin allowed only in test mode that calls with
/// a live key gets a 403 that carries the CORS headers, so it can read
/// `origin not allowed for live mode: ...` instead of an opaque network error; an origin
/// allowed in no mode gets no CORS headers at all. (With a fixed mode,
/// [`Policy::cors_predicate`] for that mode is the exact answer.)
///
/// ```
/// use origin_policy::middleware::{MergeVaryLayer, OriginPolicyLayer};
/// use origin_policy::{Mode, Policy};
/// use tower::ServiceBuilder;
/// use tower_http::cors::{AllowOrigin, CorsLayer};
///
/// let policy = Policy::builder()
///     .allow(Mode::Live, "https://*.berbix.com")
///     .allow(Mode::Test, "http://localhost:*")
///     .build()?;
/// let middleware = ServiceBuilder::new()
///     // outermost: one `Vary` line for the gate's and `CorsLayer`'s names
///     .layer(MergeVaryLayer::new())
///     .layer(
///         CorsLayer::new()
///             .allow_origin(AllowOrigin::predicate(policy.cors_predicate_any_mode()))
///             .allow_headers([http::header::AUTHORIZATION, http::header::CONTENT_TYPE]),
///     )
///     .layer(OriginPolicyLayer::new(policy).mode_from_api_secret());
/// # let _ = middleware;
/// # Ok::<(), origin_policy::BuildError>(())
/// ```
///
/// [`is_cors_preflight`]: super::is_cors_preflight
/// [`UNIFORM_DENIAL_CODE`]: super::UNIFORM_DENIAL_CODE
/// [`DENIAL_LOG_MAX_LEN`]: super::DENIAL_LOG_MAX_LEN
/// [`DenialReason::NoMode`]: super::DenialReason::NoMode
/// [`DenialReason::UnknownTenant`]: super::DenialReason::UnknownTenant
/// [`DenialReason::code`]: super::DenialReason::code
#[derive(Clone)]
pub struct OriginPolicyLayer {
    shared: Arc<Shared>,
}

impl OriginPolicyLayer {
    /// A layer that checks every request against `policy`. Set a mode source next
    /// ([`fixed_mode`](Self::fixed_mode), [`mode_from`](Self::mode_from) or
    /// [`mode_from_api_secret`](Self::mode_from_api_secret)): without one, every request is
    /// denied for [`DenialReason::NoMode`].
    ///
    /// [`DenialReason::NoMode`]: super::DenialReason::NoMode
    pub fn new(policy: Policy) -> Self {
        Self::with_policies(Policies::One(policy))
    }

    /// A layer that checks each request against the policy of its tenant in `store`.
    /// `tenant` reads the tenant key from the request (a header, the host, a path segment,
    /// or an extension set by an earlier layer); `None`, or a key the store does not hold,
    /// is denied for [`DenialReason::UnknownTenant`]. The store can change at any time
    /// ([`PolicyStore::insert`]); each request sees one tenant's policy as it was at one
    /// instant.
    ///
    /// The tenant is borrowed from the request, so the lookup allocates nothing. Pass the
    /// closure inline, as below, or a `fn(&Parts) -> Option<&str>`: a closure first bound to
    /// a variable does not get that borrowing signature inferred.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use origin_policy::middleware::OriginPolicyLayer;
    /// use origin_policy::store::PolicyStore;
    ///
    /// let store: Arc<PolicyStore<String>> = Arc::new(PolicyStore::new());
    /// let layer = OriginPolicyLayer::with_store(store.clone(), |parts| {
    ///     match parts.headers.get("x-tenant") {
    ///         Some(value) => value.to_str().ok(),
    ///         None => Some("default"),
    ///     }
    /// })
    /// .mode_from_api_secret();
    /// # let _ = layer;
    /// ```
    ///
    /// [`DenialReason::UnknownTenant`]: super::DenialReason::UnknownTenant
    pub fn with_store<K, F>(store: Arc<PolicyStore<K>>, tenant: F) -> Self
    where
        K: std::borrow::Borrow<str> + Hash + Eq + Send + Sync + 'static,
        F: for<'a> Fn(&'a Parts) -> Option<&'a str> + Send + Sync + 'static,
    {
        Self::with_policies(Policies::store(store, tenant))
    }

    fn with_policies(policies: Policies) -> Self {
        OriginPolicyLayer {
            shared: Arc::new(Shared {
                policies,
                mode: ModeSource::Unset,
                missing_origin: MissingOrigin::Deny,
                vary_on_allow: true,
                public_reason: PublicReason::Uniform,
                on_deny: None,
            }),
        }
    }

    fn shared_mut(&mut self) -> &mut Shared {
        Arc::make_mut(&mut self.shared)
    }

    /// Checks every request in `mode`.
    pub fn fixed_mode(mut self, mode: Mode) -> Self {
        self.shared_mut().mode = ModeSource::Fixed(mode);
        self
    }

    /// Takes each request's mode from `mode`; `None` is denied for
    /// [`DenialReason::NoMode`].
    ///
    /// [`DenialReason::NoMode`]: super::DenialReason::NoMode
    pub fn mode_from<F>(mut self, mode: F) -> Self
    where
        F: Fn(&Parts) -> Option<Mode> + Send + Sync + 'static,
    {
        self.shared_mut().mode = ModeSource::from_request(mode);
        self
    }

    /// Takes each request's mode from the API secret key in its `Authorization` header:
    /// [`mode_from_authorization`].
    pub fn mode_from_api_secret(self) -> Self {
        self.mode_from(mode_from_authorization)
    }

    /// What to do with a request that has no `Origin` header (default:
    /// [`MissingOrigin::Deny`]).
    pub fn on_missing_origin(mut self, missing: MissingOrigin) -> Self {
        self.shared_mut().missing_origin = missing;
        self
    }

    /// Whether to append `Vary: Origin` (and `Referer`, when it decided) to allowed
    /// responses (default: `true`). See "Allowed requests" above.
    pub fn vary_on_allow(mut self, vary: bool) -> Self {
        self.shared_mut().vary_on_allow = vary;
        self
    }

    /// What the body of a denial says about why (default: [`PublicReason::Uniform`], the
    /// one code `origin_not_allowed` for every denial). [`PublicReason::Precise`] puts
    /// [`DenialReason::code`] in the body instead, which tells any client whether a tenant
    /// exists and how its origin was read; see [`PublicReason`]. The denial hook gets the
    /// precise reason either way.
    ///
    /// ```
    /// use origin_policy::middleware::{OriginPolicyLayer, PublicReason};
    /// use origin_policy::{Mode, Policy};
    ///
    /// let layer = OriginPolicyLayer::new(Policy::builder().build()?)
    ///     .fixed_mode(Mode::Live)
    ///     .public_reason(PublicReason::Precise); // an internal service
    /// # let _ = layer;
    /// # Ok::<(), origin_policy::BuildError>(())
    /// ```
    ///
    /// [`DenialReason::code`]: super::DenialReason::code
    pub fn public_reason(mut self, public_reason: PublicReason) -> Self {
        self.shared_mut().public_reason = public_reason;
        self
    }

    /// Calls `hook` once for each denied request, with the tenant, mode, origin and reason.
    /// A later call replaces the hook.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// use std::sync::Arc;
    /// use origin_policy::middleware::OriginPolicyLayer;
    /// use origin_policy::{Mode, Policy};
    ///
    /// let denied = Arc::new(AtomicU64::new(0));
    /// let counter = denied.clone();
    /// let layer = OriginPolicyLayer::new(Policy::builder().build()?)
    ///     .fixed_mode(Mode::Live)
    ///     .on_deny(move |denial| {
    ///         counter.fetch_add(1, Ordering::Relaxed);
    ///         eprintln!(
    ///             "origin denied: tenant={:?} mode={:?} origin={:?} reason={}",
    ///             denial.tenant, denial.mode, denial.origin, denial.reason.code(),
    ///         );
    ///     });
    /// # let _ = layer;
    /// # Ok::<(), origin_policy::BuildError>(())
    /// ```
    pub fn on_deny<F>(mut self, hook: F) -> Self
    where
        F: Fn(&Denial<'_>) + Send + Sync + 'static,
    {
        self.shared_mut().on_deny = Some(Arc::new(hook));
        self
    }

    /// Whether the layer would let this request through (allowed, or denied only in
    /// report: [`Verdict::WouldDeny`]): the same decision as the
    /// service, without calling the inner service or the denial hook. For tests, and for
    /// predicates of your own that must agree with the gate (a CORS preflight carries no
    /// `Authorization`, so a mode read from it makes every preflight fail here).
    pub fn allows(&self, parts: &Parts) -> bool {
        matches!(
            self.shared.decide(parts, None),
            Verdict::Allow { .. } | Verdict::WouldDeny { .. }
        )
    }

    /// The decision of the service for this request, with its mode and, for a denial, the
    /// precise reason, calling the denial hook as the service does; nothing else is built.
    /// For a service that answers a gateway's question in a protocol of its own (nginx
    /// `auth_request`, Envoy `ext_authz`) and must decide exactly as the layer does.
    ///
    /// ```
    /// use http::Request;
    /// use origin_policy::middleware::{DenialReason, OriginPolicyLayer, Verdict};
    /// use origin_policy::{DenyReason, Mode, Policy};
    ///
    /// let policy = Policy::builder().allow(Mode::Live, "https://*.berbix.com").build()?;
    /// let layer = OriginPolicyLayer::new(policy).mode_from_api_secret();
    /// let parts = |origin: &str| {
    ///     let request = Request::get("/")
    ///         .header("origin", origin)
    ///         .header("authorization", "Bearer secret_live_demo");
    ///     request.body(()).unwrap().into_parts().0
    /// };
    /// assert!(matches!(
    ///     layer.decide(&parts("https://docs.berbix.com")),
    ///     Verdict::Allow { mode: Some(Mode::Live), .. }
    /// ));
    /// assert!(matches!(
    ///     layer.decide(&parts("https://evil.example")),
    ///     Verdict::Deny {
    ///         mode: Some(Mode::Live),
    ///         reason: DenialReason::Policy(DenyReason::NoMatchingRule),
    ///         ..
    ///     }
    /// ));
    /// # Ok::<(), origin_policy::BuildError>(())
    /// ```
    pub fn decide(&self, parts: &Parts) -> Verdict {
        self.shared.decide(parts, self.shared.on_deny.as_deref())
    }
}

impl fmt::Debug for OriginPolicyLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shared = &self.shared;
        f.debug_struct("OriginPolicyLayer")
            .field("policies", &shared.policies.describe())
            .field("mode", &shared.mode.describe())
            .field("missing_origin", &shared.missing_origin)
            .field("vary_on_allow", &shared.vary_on_allow)
            .field("public_reason", &shared.public_reason)
            .field("on_deny", &shared.on_deny.is_some())
            .finish()
    }
}

impl<S> Layer<S> for OriginPolicyLayer {
    type Service = OriginPolicy<S>;

    fn layer(&self, inner: S) -> OriginPolicy<S> {
        OriginPolicy::new(inner, self.shared.clone())
    }
}
