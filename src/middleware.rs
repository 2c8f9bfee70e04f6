//! Tower middleware (feature `tower`): [`OriginPolicyLayer`] answers 403 to a request whose
//! origin is not allowed for its tenant and mode, and passes every other request through.

use std::fmt;
use std::future::Future;
use std::hash::Hash;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::request::Parts;
use http::{Request, Response, StatusCode};
use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use crate::mode::Mode;
use crate::policy::{DenyReason, Policy};
use crate::store::PolicyStore;

/// The longest tenant or origin text handed to the denial hook, in bytes; longer input is
/// cut at a character boundary at or below this length.
pub const DENIAL_LOG_MAX_LEN: usize = 128;

/// The longest `Authorization` value read for an API secret, in bytes; a longer one gives
/// no mode.
const MAX_AUTHORIZATION_LEN: usize = 1024;

/// What the layer does with a request that has no `Origin` header.
///
/// Browsers send `Origin` on every cross-origin request and on every `POST`, but not on a
/// same-origin `GET` or a top-level navigation, and non-browser clients (curl, servers)
/// usually send none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MissingOrigin {
    /// Deny it ([`DenialReason::MissingOrigin`]). The default.
    #[default]
    Deny,
    /// Let it through, for same-origin navigations and server-to-server calls. The tenant
    /// and the mode are still required.
    Allow,
    /// Check the origin of the `Referer` header instead (its `scheme://host[:port]`);
    /// deny when there is no `Referer` either, or when there are several.
    UseReferer,
}

/// Why the layer denied a request: what the denial hook ([`OriginPolicyLayer::on_deny`])
/// receives, whatever the response body says ([`PublicReason`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DenialReason {
    /// The tenant closure found no tenant in the request, or the store has no policy for
    /// the tenant it found.
    UnknownTenant,
    /// No mode for the request: the mode closure returned `None` (for the API-secret
    /// extractor: no `Authorization`, several, or a key without a `secret_live_` or
    /// `secret_test_` prefix), or the layer was given no mode at all. Decided first, before
    /// the tenant is looked up.
    NoMode,
    /// No `Origin` header (and, with [`MissingOrigin::UseReferer`], no `Referer` either).
    MissingOrigin,
    /// Several `Origin` headers (or several `Referer` headers when it stands in for one).
    MultipleOrigins,
    /// An `Origin` (or `Referer`) value that is not UTF-8.
    NonUtf8Origin,
    /// The policy denied the origin, for this reason.
    Policy(DenyReason),
}

impl DenialReason {
    /// A stable `snake_case` code, for metric labels and logs, and the `reason` of the
    /// response body under [`PublicReason::Precise`].
    ///
    /// | reason | code |
    /// |---|---|
    /// | `UnknownTenant` | `unknown_tenant` |
    /// | `NoMode` | `no_mode` |
    /// | `MissingOrigin` | `missing_origin` |
    /// | `MultipleOrigins` | `multiple_origins` |
    /// | `NonUtf8Origin` | `non_utf8_origin` |
    /// | `Policy(NoMatchingRule)` | `no_matching_rule` |
    /// | `Policy(PublicSuffixBoundary)` | `public_suffix_boundary` |
    /// | `Policy(Opaque)` | `opaque_origin` |
    /// | `Policy(Malformed(_))` | `malformed_origin` |
    ///
    /// No code is [`UNIFORM_DENIAL_CODE`], so the two kinds of body never share a word.
    pub const fn code(self) -> &'static str {
        match self {
            DenialReason::UnknownTenant => "unknown_tenant",
            DenialReason::NoMode => "no_mode",
            DenialReason::MissingOrigin => "missing_origin",
            DenialReason::MultipleOrigins => "multiple_origins",
            DenialReason::NonUtf8Origin => "non_utf8_origin",
            DenialReason::Policy(reason) => policy_code(reason),
        }
    }
}

/// The code of a policy's [`DenyReason`]: one arm per variant, so that a new variant of
/// [`DenyReason`] fails to compile here until it has a code (and a row in the table of
/// [`DenialReason::code`]).
const fn policy_code(reason: DenyReason) -> &'static str {
    match reason {
        DenyReason::NoMatchingRule => "no_matching_rule",
        DenyReason::PublicSuffixBoundary => "public_suffix_boundary",
        DenyReason::Opaque => "opaque_origin",
        DenyReason::Malformed(_) => "malformed_origin",
    }
}

/// The one code of every denial's body under [`PublicReason::Uniform`] (the default).
pub const UNIFORM_DENIAL_CODE: &str = "origin_not_allowed";

/// What a denial's body tells the client about why it was denied
/// ([`OriginPolicyLayer::public_reason`]). The denial hook gets the precise
/// [`DenialReason`] either way.
///
/// The threat: the client of a public API is anyone. With precise codes, a request without
/// credentials, or with a made-up `secret_live_…` key (the layer reads only the prefix),
/// tells from `unknown_tenant` against `no_matching_rule` which tenants exist, and from
/// `no_matching_rule` against `malformed_origin` or `opaque_origin` how the gate read each
/// origin it tries. Under `Uniform` every denial body is the same for a given mode and
/// `Accept`, so the 403 itself says nothing about tenants or allow-lists.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PublicReason {
    /// Every denial's body gives [`UNIFORM_DENIAL_CODE`] (`origin_not_allowed`) as its
    /// reason. The default.
    #[default]
    Uniform,
    /// The body gives [`DenialReason::code`]: `unknown_tenant`, `no_matching_rule`, ... For
    /// internal services, or while a client integration is being debugged.
    Precise,
}

impl PublicReason {
    /// The `reason` a denial's body gives for `reason` under this setting.
    ///
    /// ```
    /// use origin_policy::{DenialReason, PublicReason};
    ///
    /// let reason = DenialReason::UnknownTenant;
    /// assert_eq!(PublicReason::Uniform.code(reason), "origin_not_allowed");
    /// assert_eq!(PublicReason::Precise.code(reason), "unknown_tenant");
    /// ```
    pub const fn code(self, reason: DenialReason) -> &'static str {
        match self {
            PublicReason::Uniform => UNIFORM_DENIAL_CODE,
            PublicReason::Precise => reason.code(),
        }
    }
}

impl fmt::Display for DenialReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DenialReason::UnknownTenant => f.write_str("unknown tenant"),
            DenialReason::NoMode => f.write_str("no mode"),
            DenialReason::MissingOrigin => f.write_str("no Origin header"),
            DenialReason::MultipleOrigins => f.write_str("several Origin headers"),
            DenialReason::NonUtf8Origin => f.write_str("Origin is not UTF-8"),
            DenialReason::Policy(reason) => fmt::Display::fmt(reason, f),
        }
    }
}

/// One denied request, as the denial hook ([`OriginPolicyLayer::on_deny`]) receives it:
/// with the precise [`DenialReason`], whatever [`PublicReason`] the body follows.
///
/// `tenant` and `origin` come from the request, so they are untrusted: they are cut to
/// [`DENIAL_LOG_MAX_LEN`] bytes, but may hold any character a header value can hold
/// (escape them when logging, for example with `{:?}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Denial<'a> {
    /// The tenant the request named, if any (`None` with a single policy); also given for a
    /// [`DenialReason::NoMode`] denial, although the store was not consulted.
    pub tenant: Option<&'a str>,
    /// The request's mode, if it has one.
    pub mode: Option<Mode>,
    /// The origin that was checked (the `Origin` value, or the `Referer`'s origin); for a
    /// request denied before its origin was checked, its `Origin` value. `None` without
    /// a single UTF-8 value.
    pub origin: Option<&'a str>,
    /// Why the request was denied.
    pub reason: DenialReason,
}

type ModeFn = dyn Fn(&Parts) -> Option<Mode> + Send + Sync;
type DenialHook = dyn Fn(&Denial<'_>) + Send + Sync;

#[derive(Clone)]
enum ModeSource {
    Unset,
    Fixed(Mode),
    FromRequest(Arc<ModeFn>),
}

#[derive(Clone)]
enum Policies {
    One(Policy),
    Tenants(Arc<dyn TenantPolicies>),
}

/// A store with the closure that names a request's tenant, with the key type erased.
trait TenantPolicies: Send + Sync {
    /// The tenant the request names, if any.
    fn tenant<'a>(&self, parts: &'a Parts) -> Option<&'a str>;

    /// Calls `decide` with the policy of `tenant`, if the store holds one.
    fn with_policy(
        &self,
        tenant: &str,
        decide: &mut dyn FnMut(Option<&Policy>) -> Verdict,
    ) -> Verdict;
}

struct StoreLookup<K, F> {
    store: Arc<PolicyStore<K>>,
    tenant: F,
}

impl<K, F> TenantPolicies for StoreLookup<K, F>
where
    K: std::borrow::Borrow<str> + Hash + Eq + Send + Sync + 'static,
    F: for<'a> Fn(&'a Parts) -> Option<&'a str> + Send + Sync + 'static,
{
    fn tenant<'a>(&self, parts: &'a Parts) -> Option<&'a str> {
        (self.tenant)(parts)
    }

    fn with_policy(
        &self,
        tenant: &str,
        decide: &mut dyn FnMut(Option<&Policy>) -> Verdict,
    ) -> Verdict {
        self.store.with_policy(tenant, decide)
    }
}

/// The modes a request's origin is checked in: its own, or for a CORS preflight, which has
/// no credentials, any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ModeScope {
    One(Mode),
    Any,
}

/// Whether the request is a CORS preflight
/// ([Fetch, CORS-preflight request](https://fetch.spec.whatwg.org/#cors-preflight-request)):
/// `OPTIONS` with an `Origin` and an `Access-Control-Request-Method` header. A browser
/// sends it before a cross-origin request that carries `Authorization` or a custom header,
/// and never puts credentials or custom headers in it.
pub fn is_cors_preflight(parts: &Parts) -> bool {
    parts.method == http::Method::OPTIONS
        && parts.headers.contains_key(header::ORIGIN)
        && parts
            .headers
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

/// The outcome of [`Shared::decide`]: allowed, or denied in this mode for this reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// Allowed; `by_referer`: the request had no `Origin` and its `Referer` decided
    /// ([`MissingOrigin::UseReferer`]).
    Allow {
        by_referer: bool,
    },
    Deny(Option<Mode>, DenialReason),
}

#[derive(Clone)]
struct Shared {
    policies: Policies,
    mode: ModeSource,
    missing_origin: MissingOrigin,
    vary_on_allow: bool,
    public_reason: PublicReason,
    on_deny: Option<Arc<DenialHook>>,
}

/// A [`tower_layer::Layer`] that answers `403 Forbidden` to a request whose origin is not
/// allowed, and passes every other request to the inner service unchanged.
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
/// that follows is checked in its key's mode. A preflight whose origin no mode allows is
/// denied like any other request (and so gets no CORS grant).
///
/// ```
/// use origin_policy::{Mode, OriginPolicyLayer, Policy};
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
/// headers to this layer's 403s too.
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
/// use origin_policy::{Mode, OriginPolicyLayer, Policy};
/// use tower::ServiceBuilder;
/// use tower_http::cors::{AllowOrigin, CorsLayer};
///
/// let policy = Policy::builder()
///     .allow(Mode::Live, "https://*.berbix.com")
///     .allow(Mode::Test, "http://localhost:*")
///     .build()?;
/// let middleware = ServiceBuilder::new()
///     .layer(
///         CorsLayer::new()
///             .allow_origin(AllowOrigin::predicate(policy.cors_predicate_any_mode()))
///             .allow_headers([http::header::AUTHORIZATION, http::header::CONTENT_TYPE]),
///     )
///     .layer(OriginPolicyLayer::new(policy).mode_from_api_secret());
/// # let _ = middleware;
/// # Ok::<(), origin_policy::BuildError>(())
/// ```
#[derive(Clone)]
pub struct OriginPolicyLayer {
    shared: Arc<Shared>,
}

impl OriginPolicyLayer {
    /// A layer that checks every request against `policy`. Set a mode source next
    /// ([`fixed_mode`](Self::fixed_mode), [`mode_from`](Self::mode_from) or
    /// [`mode_from_api_secret`](Self::mode_from_api_secret)): without one, every request is
    /// denied for [`DenialReason::NoMode`].
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
    /// use origin_policy::{OriginPolicyLayer, PolicyStore};
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
    pub fn with_store<K, F>(store: Arc<PolicyStore<K>>, tenant: F) -> Self
    where
        K: std::borrow::Borrow<str> + Hash + Eq + Send + Sync + 'static,
        F: for<'a> Fn(&'a Parts) -> Option<&'a str> + Send + Sync + 'static,
    {
        Self::with_policies(Policies::Tenants(Arc::new(StoreLookup { store, tenant })))
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
    pub fn mode_from<F>(mut self, mode: F) -> Self
    where
        F: Fn(&Parts) -> Option<Mode> + Send + Sync + 'static,
    {
        self.shared_mut().mode = ModeSource::FromRequest(Arc::new(mode));
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
    /// use origin_policy::{Mode, OriginPolicyLayer, Policy, PublicReason};
    ///
    /// let layer = OriginPolicyLayer::new(Policy::builder().build()?)
    ///     .fixed_mode(Mode::Live)
    ///     .public_reason(PublicReason::Precise); // an internal service
    /// # let _ = layer;
    /// # Ok::<(), origin_policy::BuildError>(())
    /// ```
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
    /// use origin_policy::{Mode, OriginPolicyLayer, Policy};
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

    /// Whether the layer would let this request through: the same decision as the
    /// service, without calling the inner service or the denial hook. For tests, and for
    /// predicates of your own that must agree with the gate (a CORS preflight carries no
    /// `Authorization`, so a mode read from it makes every preflight fail here).
    pub fn allows(&self, parts: &Parts) -> bool {
        matches!(self.shared.decide(parts, None), Verdict::Allow { .. })
    }
}

impl fmt::Debug for OriginPolicyLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shared = &self.shared;
        let policies = match &shared.policies {
            Policies::One(_) => "one policy",
            Policies::Tenants(_) => "policy store",
        };
        let mode = match &shared.mode {
            ModeSource::Unset => "unset".to_owned(),
            ModeSource::Fixed(mode) => mode.to_string(),
            ModeSource::FromRequest(_) => "from request".to_owned(),
        };
        f.debug_struct("OriginPolicyLayer")
            .field("policies", &policies)
            .field("mode", &mode)
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
        OriginPolicy {
            inner,
            shared: self.shared.clone(),
        }
    }
}

/// The service of [`OriginPolicyLayer`]: answers 403 to denied requests and calls the inner
/// service for the others.
#[derive(Clone)]
pub struct OriginPolicy<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S> OriginPolicy<S> {
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
            Verdict::Allow { by_referer } => {
                let future = self.inner.call(Request::from_parts(parts, body));
                let vary = match (self.shared.vary_on_allow, by_referer) {
                    (false, _) => AllowVary::Nothing,
                    (true, false) => AllowVary::Origin,
                    (true, true) => AllowVary::OriginAndReferer,
                };
                ResponseFuture {
                    kind: Kind::Allowed { future, vary },
                }
            }
            Verdict::Deny(mode, reason) => ResponseFuture {
                kind: Kind::Denied {
                    response: Some(self.shared.denial_response(&parts.headers, mode, reason)),
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
        Allowed { #[pin] future: F, vary: AllowVary },
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
            KindProj::Allowed { future, vary } => {
                let vary = *vary;
                future.poll(cx).map_ok(|mut response| {
                    add_vary(response.headers_mut(), vary);
                    response
                })
            }
            KindProj::Denied { response } => Poll::Ready(Ok(response
                .take()
                .expect("ResponseFuture polled after it completed"))),
        }
    }
}

/// What an allowed response's `Vary` must name, besides what it already names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AllowVary {
    /// Nothing: [`OriginPolicyLayer::vary_on_allow`] is off.
    Nothing,
    /// `origin`: the `Origin` header (or its absence) decided.
    Origin,
    /// `origin` and `referer`: there was no `Origin`, and the `Referer` decided.
    OriginAndReferer,
}

/// Appends one `Vary` value naming those of `origin` and `referer` (as `vary` asks) that no
/// `Vary` value names yet; nothing when a value is `*` or both are named. The value is
/// static, so appending allocates nothing when the map has room.
fn add_vary(headers: &mut HeaderMap, vary: AllowVary) {
    let (mut origin, mut referer) = match vary {
        AllowVary::Nothing => return,
        AllowVary::Origin => (false, true),
        AllowVary::OriginAndReferer => (false, false),
    };
    for value in headers.get_all(header::VARY) {
        let Ok(text) = value.to_str() else { continue };
        for token in text.split(',').map(str::trim) {
            if token == "*" {
                return;
            }
            origin |= token.eq_ignore_ascii_case("origin");
            referer |= token.eq_ignore_ascii_case("referer");
        }
    }
    let missing = match (origin, referer) {
        (true, true) => return,
        (false, true) => "origin",
        (true, false) => "referer",
        (false, false) => "origin, referer",
    };
    headers.append(header::VARY, HeaderValue::from_static(missing));
}

/// A header that must appear at most once: absent, the one value, or several.
enum Single<'a> {
    Absent,
    One(&'a HeaderValue),
    Several,
}

fn single(headers: &HeaderMap, name: HeaderName) -> Single<'_> {
    let mut values = headers.get_all(name).iter();
    match (values.next(), values.next()) {
        (None, _) => Single::Absent,
        (Some(value), None) => Single::One(value),
        (Some(_), Some(_)) => Single::Several,
    }
}

impl Shared {
    /// Decides one request, calling `hook` on a denial: first the mode (from the
    /// credentials, so that a request without any learns nothing about tenants), then the
    /// tenant's policy, then the origin.
    fn decide(&self, parts: &Parts, hook: Option<&DenialHook>) -> Verdict {
        // A CORS preflight carries no credentials by design: it is checked in every mode,
        // and the real request that follows is checked in its key's mode.
        let preflight = is_cors_preflight(parts);
        let mode = match (&self.mode, preflight) {
            (_, true) | (ModeSource::Unset, false) => None,
            (ModeSource::Fixed(mode), false) => Some(*mode),
            (ModeSource::FromRequest(mode), false) => mode(parts),
        };
        let tenant = match &self.policies {
            Policies::One(_) => None,
            Policies::Tenants(tenants) => tenants.tenant(parts),
        };
        let deny = |origin: Option<&str>, reason: DenialReason| {
            record_denial(parts, hook, tenant, mode, origin, reason)
        };
        let scope = match (mode, preflight) {
            (_, true) => ModeScope::Any,
            (Some(mode), false) => ModeScope::One(mode),
            (None, false) => return deny(None, DenialReason::NoMode),
        };
        match &self.policies {
            Policies::One(policy) => self.decide_origin(parts, policy, scope, &deny),
            Policies::Tenants(tenants) => {
                let Some(tenant) = tenant else {
                    return deny(None, DenialReason::UnknownTenant);
                };
                tenants.with_policy(tenant, &mut |policy| match policy {
                    Some(policy) => self.decide_origin(parts, policy, scope, &deny),
                    None => deny(None, DenialReason::UnknownTenant),
                })
            }
        }
    }

    /// The origin step: the `Origin` header (or what [`MissingOrigin`] says instead),
    /// checked against `policy` in `mode`. `deny` takes the origin checked, if any.
    fn decide_origin(
        &self,
        parts: &Parts,
        policy: &Policy,
        scope: ModeScope,
        deny: &dyn Fn(Option<&str>, DenialReason) -> Verdict,
    ) -> Verdict {
        let headers = &parts.headers;
        let (origin, by_referer) = match single(headers, header::ORIGIN) {
            Single::One(value) => (value.as_bytes(), false),
            Single::Several => return deny(None, DenialReason::MultipleOrigins),
            Single::Absent => match self.missing_origin {
                MissingOrigin::Deny => return deny(None, DenialReason::MissingOrigin),
                MissingOrigin::Allow => return Verdict::Allow { by_referer: false },
                MissingOrigin::UseReferer => match single(headers, header::REFERER) {
                    Single::One(value) => (referer_origin(value.as_bytes()), true),
                    Single::Several => return deny(None, DenialReason::MultipleOrigins),
                    Single::Absent => return deny(None, DenialReason::MissingOrigin),
                },
            },
        };
        let Ok(origin) = std::str::from_utf8(origin) else {
            return deny(None, DenialReason::NonUtf8Origin);
        };
        let decision = match scope {
            ModeScope::One(mode) => policy.check(mode, origin),
            ModeScope::Any => policy.check_any_mode(origin),
        };
        match decision.deny_reason() {
            None => Verdict::Allow { by_referer },
            Some(reason) => deny(Some(origin), DenialReason::Policy(reason)),
        }
    }

    fn denial_response<B: From<String>>(
        &self,
        request_headers: &HeaderMap,
        mode: Option<Mode>,
        reason: DenialReason,
    ) -> Response<B> {
        let json = accepts_json(request_headers);
        let body = denial_body(mode, self.public_reason.code(reason), json);
        let content_type = if json {
            "application/json"
        } else {
            "text/plain; charset=utf-8"
        };
        let vary = if self.missing_origin == MissingOrigin::UseReferer {
            "origin, referer, accept"
        } else {
            "origin, accept"
        };
        let mut response = Response::new(B::from(body));
        *response.status_mut() = StatusCode::FORBIDDEN;
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(header::VARY, HeaderValue::from_static(vary));
        response
    }
}

/// The 403 body: built from the mode's name and a fixed code only, never from the request.
fn denial_body(mode: Option<Mode>, code: &'static str, json: bool) -> String {
    match (json, mode) {
        (true, Some(mode)) => format!(
            "{{\"error\":\"origin_not_allowed\",\"mode\":\"{}\",\"reason\":\"{code}\"}}",
            mode.as_str(),
        ),
        (true, None) => {
            format!("{{\"error\":\"origin_not_allowed\",\"mode\":null,\"reason\":\"{code}\"}}")
        }
        (false, Some(mode)) => format!("origin not allowed for {} mode: {code}\n", mode.as_str()),
        (false, None) => format!("origin not allowed: {code}\n"),
    }
}

/// Calls `hook` (if any) with the denial, and returns the verdict. `origin` is the origin
/// that was checked; without one, the hook gets the request's single UTF-8 `Origin` value,
/// if it has one.
fn record_denial(
    parts: &Parts,
    hook: Option<&DenialHook>,
    tenant: Option<&str>,
    mode: Option<Mode>,
    origin: Option<&str>,
    reason: DenialReason,
) -> Verdict {
    if let Some(hook) = hook {
        let origin = origin.or_else(|| match single(&parts.headers, header::ORIGIN) {
            Single::One(value) => std::str::from_utf8(value.as_bytes()).ok(),
            Single::Absent | Single::Several => None,
        });
        hook(&Denial {
            tenant: tenant.map(truncate),
            mode,
            origin: origin.map(truncate),
            reason,
        });
    }
    Verdict::Deny(mode, reason)
}

/// Whether an `Accept` header lists `application/json` with a `q` other than zero.
fn accepts_json(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|item| {
            let mut params = item.split(';');
            let media = params.next().unwrap_or("").trim();
            media.eq_ignore_ascii_case("application/json")
                && !params.any(|param| {
                    let param = param.trim();
                    let Some((name, value)) = param.split_once('=') else {
                        return false;
                    };
                    name.trim().eq_ignore_ascii_case("q")
                        && value.trim().parse::<f32>().is_ok_and(|q| q <= 0.0)
                })
        })
}

/// The origin part (`scheme://host[:port]`) of a `Referer` URL: everything before the
/// first `/`, `?` or `#` after `://`. Whatever it is, [`Policy::check`] judges it, so a
/// `Referer` that is no URL is denied as a malformed origin.
fn referer_origin(referer: &[u8]) -> &[u8] {
    let Some(separator) = referer.windows(3).position(|window| window == b"://") else {
        return referer;
    };
    let authority_start = separator + 3;
    let end = referer[authority_start..]
        .iter()
        .position(|&byte| matches!(byte, b'/' | b'?' | b'#'))
        .map_or(referer.len(), |at| authority_start + at);
    &referer[..end]
}

/// `text` cut to at most [`DENIAL_LOG_MAX_LEN`] bytes, at a character boundary.
fn truncate(text: &str) -> &str {
    if text.len() <= DENIAL_LOG_MAX_LEN {
        return text;
    }
    let mut end = DENIAL_LOG_MAX_LEN;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The mode named by the API secret key in the request's `Authorization` header, through
/// [`Mode::from_api_secret`]: the key is the token of `Bearer <key>`, or the user name of
/// `Basic <base64(key:password)>` (what `curl -u secret_live_…:` sends). The scheme name is
/// matched in any case. No header, several, another scheme, a value over 1024 bytes, bad
/// base64 or a key without a known prefix give `None`. Reads in place, without allocating.
///
/// Use it with [`OriginPolicyLayer::mode_from`], or through
/// [`OriginPolicyLayer::mode_from_api_secret`].
///
/// ```
/// use http::Request;
/// use origin_policy::{mode_from_authorization, Mode};
///
/// let (parts, ()) = Request::get("/")
///     .header("authorization", "Bearer secret_test_demo")
///     .body(())
///     .unwrap()
///     .into_parts();
/// assert_eq!(mode_from_authorization(&parts), Some(Mode::Test));
/// ```
pub fn mode_from_authorization(parts: &Parts) -> Option<Mode> {
    let Single::One(value) = single(&parts.headers, header::AUTHORIZATION) else {
        return None;
    };
    let value = value.as_bytes();
    if value.len() > MAX_AUTHORIZATION_LEN {
        return None;
    }
    let space = value.iter().position(|&byte| byte == b' ')?;
    let (scheme, rest) = value.split_at(space);
    let credentials = trim_spaces(rest);
    if scheme.eq_ignore_ascii_case(b"bearer") {
        Mode::from_api_secret(std::str::from_utf8(credentials).ok()?)
    } else if scheme.eq_ignore_ascii_case(b"basic") {
        let mut buffer = [0u8; MAX_AUTHORIZATION_LEN / 4 * 3];
        let decoded = decode_base64(credentials, &mut buffer)?;
        let colon = decoded.iter().position(|&byte| byte == b':')?;
        Mode::from_api_secret(std::str::from_utf8(&decoded[..colon]).ok()?)
    } else {
        None
    }
}

fn trim_spaces(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|&byte| byte != b' ')
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|&byte| byte != b' ')
        .map_or(start, |at| at + 1);
    &bytes[start..end]
}

/// Decodes standard base64 (RFC 4648 §4, `=` padding optional) into `out`; `None` for any
/// other character, misplaced padding, a dangling character or too little room.
fn decode_base64<'o>(input: &[u8], out: &'o mut [u8]) -> Option<&'o [u8]> {
    fn value(byte: u8) -> Option<u32> {
        Some(match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    }
    let data_len = input.len()
        - input
            .iter()
            .rev()
            .take(2)
            .take_while(|&&b| b == b'=')
            .count();
    let (data, padding) = input.split_at(data_len);
    if !padding.is_empty() && input.len() % 4 != 0 {
        return None;
    }
    let mut written = 0;
    for chunk in data.chunks(4) {
        if chunk.len() == 1 {
            return None;
        }
        let mut bits = 0u32;
        for &byte in chunk {
            bits = (bits << 6) | value(byte)?;
        }
        bits <<= 6 * (4 - chunk.len() as u32);
        let bytes = bits.to_be_bytes();
        let produced = chunk.len() - 1;
        let slot = out.get_mut(written..written + produced)?;
        slot.copy_from_slice(&bytes[1..1 + produced]);
        written += produced;
    }
    Some(&out[..written])
}

impl Policy {
    /// A predicate for tower-http's `AllowOrigin::predicate`: whether the `Origin` value is
    /// allowed in `mode` by this policy (a value that is not UTF-8 is not). Giving it to
    /// `CorsLayer` makes the CORS headers and [`OriginPolicyLayer`]'s 403 gate answer from
    /// one policy. The closure holds a clone of the policy (one `Arc`), so a later
    /// [`PolicyStore`] swap does not reach it; for a store, build the predicate from
    /// [`PolicyStore::is_allowed`].
    ///
    /// ```
    /// use origin_policy::{Mode, Policy};
    /// use tower_http::cors::{AllowOrigin, CorsLayer};
    ///
    /// let policy = Policy::builder().allow(Mode::Live, "https://*.berbix.com").build()?;
    /// let cors = CorsLayer::new()
    ///     .allow_origin(AllowOrigin::predicate(policy.cors_predicate(Mode::Live)));
    /// # let _ = cors;
    /// # Ok::<(), origin_policy::BuildError>(())
    /// ```
    pub fn cors_predicate(
        &self,
        mode: Mode,
    ) -> impl Fn(&HeaderValue, &Parts) -> bool + Clone + Send + Sync + 'static {
        let policy = self.clone();
        move |origin: &HeaderValue, _: &Parts| {
            std::str::from_utf8(origin.as_bytes())
                .is_ok_and(|origin| policy.is_allowed(mode, origin))
        }
    }

    /// A predicate for tower-http's `AllowOrigin::predicate` that grants CORS to an origin
    /// this policy allows in *any* mode ([`Policy::check_any_mode`]). This is the one to
    /// use in front of [`OriginPolicyLayer::mode_from_api_secret`]: a browser sends
    /// `Authorization` only after a CORS preflight, and the preflight carries no key, so the
    /// CORS side cannot know the mode. The gate then checks the real request in its key's
    /// mode and answers 403 when the origin is not allowed there; since `CorsLayer` (outside
    /// the gate) grants the origin, that 403 carries the CORS headers and the page can read
    /// why. An origin allowed in no mode gets no CORS headers at all.
    ///
    /// ```
    /// use origin_policy::{Mode, OriginPolicyLayer, Policy};
    /// use tower::ServiceBuilder;
    /// use tower_http::cors::{AllowOrigin, CorsLayer};
    ///
    /// let policy = Policy::builder()
    ///     .allow(Mode::Live, "https://www.berbix.com")
    ///     .allow(Mode::Test, "http://localhost:*")
    ///     .build()?;
    /// let middleware = ServiceBuilder::new()
    ///     .layer(CorsLayer::new().allow_origin(AllowOrigin::predicate(
    ///         policy.cors_predicate_any_mode(),
    ///     )))
    ///     .layer(OriginPolicyLayer::new(policy).mode_from_api_secret());
    /// # let _ = middleware;
    /// # Ok::<(), origin_policy::BuildError>(())
    /// ```
    pub fn cors_predicate_any_mode(
        &self,
    ) -> impl Fn(&HeaderValue, &Parts) -> bool + Clone + Send + Sync + 'static {
        let policy = self.clone();
        move |origin: &HeaderValue, _: &Parts| {
            std::str::from_utf8(origin.as_bytes())
                .is_ok_and(|origin| policy.check_any_mode(origin).is_allowed())
        }
    }
}

impl<K> PolicyStore<K>
where
    K: std::borrow::Borrow<str> + Hash + Eq + Send + Sync + 'static,
{
    /// [`Policy::cors_predicate_any_mode`] for a store: the predicate finds the request's
    /// tenant with `tenant`, then grants CORS to an origin that tenant's current policy
    /// allows in any mode. It reads the store on every call, so swaps reach it at once.
    ///
    /// `tenant` sees the requests `CorsLayer` sees, preflights included, and a preflight
    /// carries no `Authorization`, no cookies and none of the request's custom headers
    /// (`X-Tenant`): only the method, the path and query, `Host`, `Origin` and the
    /// `Access-Control-Request-*` headers. So the tenant must come from the path
    /// (`/t/acme/...`), the query or the `Host` (`acme.api.example.com`). A request whose
    /// tenant is not found, or not in the store, gets no CORS grant.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use origin_policy::{Mode, Policy, PolicyStore};
    /// use tower_http::cors::{AllowOrigin, CorsLayer};
    ///
    /// let store = Arc::new(PolicyStore::<String>::new());
    /// store.insert(
    ///     "acme".to_owned(),
    ///     Policy::builder().allow(Mode::Test, "http://localhost:*").build()?,
    /// );
    /// // The tenant is the first path segment: /acme/v1/...
    /// let cors = CorsLayer::new().allow_origin(AllowOrigin::predicate(
    ///     store.cors_predicate_any_mode(|parts| parts.uri.path().split('/').nth(1)),
    /// ));
    /// # let _ = cors;
    /// # Ok::<(), origin_policy::BuildError>(())
    /// ```
    pub fn cors_predicate_any_mode<F>(
        self: &Arc<Self>,
        tenant: F,
    ) -> impl Fn(&HeaderValue, &Parts) -> bool + Clone + Send + Sync + 'static
    where
        F: for<'a> Fn(&'a Parts) -> Option<&'a str> + Clone + Send + Sync + 'static,
    {
        let store = Arc::clone(self);
        move |origin: &HeaderValue, parts: &Parts| {
            let (Some(tenant), Ok(origin)) =
                (tenant(parts), std::str::from_utf8(origin.as_bytes()))
            else {
                return false;
            };
            store.with_policy(tenant, |policy| {
                policy.is_some_and(|policy| policy.check_any_mode(origin).is_allowed())
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(headers: &[(&str, &[u8])]) -> Parts {
        let mut builder = Request::get("/");
        for (name, value) in headers {
            builder = builder.header(*name, HeaderValue::from_bytes(value).unwrap());
        }
        builder.body(()).unwrap().into_parts().0
    }

    #[test]
    fn base64_round_trips_against_known_vectors() {
        let mut buffer = [0u8; 64];
        for (encoded, decoded) in [
            ("", ""),
            ("Zg==", "f"),
            ("Zm8=", "fo"),
            ("Zm9v", "foo"),
            ("Zm9vYg==", "foob"),
            ("Zm9vYmE=", "fooba"),
            ("Zm9vYmFy", "foobar"),
            ("Zm9vYg", "foob"),
            ("c2VjcmV0X2xpdmVfZGVtbzo=", "secret_live_demo:"),
        ] {
            assert_eq!(
                decode_base64(encoded.as_bytes(), &mut buffer),
                Some(decoded.as_bytes()),
                "{encoded}"
            );
        }
        for bad in ["Z", "Zg=", "Z===", "Zm9v!", "=Zm9", "Zm 9v", "Zg==Zg=="] {
            assert_eq!(decode_base64(bad.as_bytes(), &mut buffer), None, "{bad}");
        }
        assert_eq!(decode_base64(b"Zm9vYmFy", &mut [0u8; 5]), None);
    }

    #[test]
    fn mode_from_authorization_reads_bearer_and_basic() {
        for (value, mode) in [
            (&b"Bearer secret_live_demo"[..], Some(Mode::Live)),
            (b"bearer  secret_test_demo ", Some(Mode::Test)),
            (b"Basic c2VjcmV0X2xpdmVfZGVtbzo=", Some(Mode::Live)),
            (b"BASIC c2VjcmV0X3Rlc3RfZGVtbzpwdw==", Some(Mode::Test)),
            (b"Basic c2VjcmV0X2xpdmVfZGVtbw==", None),
            (b"Bearer secret_prod_demo", None),
            (b"Bearer", None),
            (b"Digest secret_live_demo", None),
            (b"Basic !!!!", None),
            (b"Bearer secret_live_\xff", None),
        ] {
            assert_eq!(
                mode_from_authorization(&parts(&[("authorization", value)])),
                mode,
                "{}",
                String::from_utf8_lossy(value)
            );
        }
        assert_eq!(mode_from_authorization(&parts(&[])), None);
        let twice = parts(&[
            ("authorization", b"Bearer secret_live_a"),
            ("authorization", b"Bearer secret_live_b"),
        ]);
        assert_eq!(mode_from_authorization(&twice), None);
        let long = format!("Bearer secret_live_{}", "x".repeat(MAX_AUTHORIZATION_LEN));
        assert_eq!(
            mode_from_authorization(&parts(&[("authorization", long.as_bytes())])),
            None
        );
    }

    #[test]
    fn referer_origin_is_the_part_before_the_path() {
        for (referer, origin) in [
            ("https://a.example/path?q#f", "https://a.example"),
            ("https://a.example:8443?x", "https://a.example:8443"),
            ("https://a.example#top", "https://a.example"),
            ("https://a.example", "https://a.example"),
            ("no-scheme/path", "no-scheme/path"),
        ] {
            assert_eq!(referer_origin(referer.as_bytes()), origin.as_bytes());
        }
    }

    #[test]
    fn accept_json_honours_q_zero() {
        for (accept, json) in [
            ("application/json", true),
            ("text/html, Application/JSON;q=0.5", true),
            ("application/json;q=0", false),
            ("application/json; q=0.0", false),
            ("application/jsonx", false),
            ("*/*", false),
        ] {
            assert_eq!(
                accepts_json(&parts(&[("accept", accept.as_bytes())]).headers),
                json,
                "{accept}"
            );
        }
    }

    #[test]
    fn truncate_stops_at_a_char_boundary() {
        let long = "é".repeat(100);
        let cut = truncate(&long);
        assert!(cut.len() <= DENIAL_LOG_MAX_LEN && cut.len() >= DENIAL_LOG_MAX_LEN - 1);
        assert_eq!(truncate("short"), "short");
    }

    fn vary_values(headers: &HeaderMap) -> Vec<&str> {
        headers
            .get_all(header::VARY)
            .iter()
            .map(|value| value.to_str().unwrap())
            .collect()
    }

    #[test]
    fn vary_is_added_once() {
        for vary in [AllowVary::Origin, AllowVary::OriginAndReferer] {
            let mut headers = HeaderMap::new();
            add_vary(&mut headers, vary);
            add_vary(&mut headers, vary);
            assert_eq!(headers.get_all(header::VARY).iter().count(), 1);
        }
        let mut headers = HeaderMap::new();
        add_vary(&mut headers, AllowVary::Nothing);
        assert!(headers.is_empty());
    }

    #[test]
    fn vary_names_only_what_is_missing() {
        for (existing, vary, expected) in [
            (&[][..], AllowVary::Origin, &["origin"][..]),
            (&[], AllowVary::OriginAndReferer, &["origin, referer"]),
            (
                &["Accept-Encoding"],
                AllowVary::Origin,
                &["Accept-Encoding", "origin"],
            ),
            (
                &["Origin"],
                AllowVary::OriginAndReferer,
                &["Origin", "referer"],
            ),
            (
                &["REFERER, x"],
                AllowVary::OriginAndReferer,
                &["REFERER, x", "origin"],
            ),
            (&["referer"], AllowVary::Origin, &["referer", "origin"]),
            (
                &["origin", "referer"],
                AllowVary::OriginAndReferer,
                &["origin", "referer"],
            ),
            (&["*"], AllowVary::OriginAndReferer, &["*"]),
            (&["a, *"], AllowVary::Origin, &["a, *"]),
        ] {
            let mut headers = HeaderMap::new();
            for value in existing {
                headers.append(header::VARY, HeaderValue::from_static(value));
            }
            add_vary(&mut headers, vary);
            assert_eq!(vary_values(&headers), expected, "{existing:?} {vary:?}");
        }
    }

    #[test]
    fn bodies_echo_nothing_from_the_request() {
        let body = denial_body(
            Some(Mode::Live),
            DenialReason::Policy(DenyReason::NoMatchingRule).code(),
            true,
        );
        assert_eq!(
            body,
            r#"{"error":"origin_not_allowed","mode":"live","reason":"no_matching_rule"}"#
        );
        assert_eq!(
            denial_body(None, DenialReason::NoMode.code(), false),
            "origin not allowed: no_mode\n"
        );
        assert_eq!(
            denial_body(None, UNIFORM_DENIAL_CODE, true),
            r#"{"error":"origin_not_allowed","mode":null,"reason":"origin_not_allowed"}"#
        );
    }
}
