//! The CORS side of the gate, for tower-http's `AllowOrigin::predicate`:
//! [`Policy::cors_predicate`], [`Policy::cors_predicate_any_mode`] and
//! [`PolicyStore::cors_predicate_any_mode`].

use std::hash::Hash;
use std::sync::Arc;

use http::header::HeaderValue;
use http::request::Parts;

use crate::mode::Mode;
use crate::policy::Policy;
use crate::store::PolicyStore;

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
    ///
    /// [`OriginPolicyLayer`]: crate::middleware::OriginPolicyLayer
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
    /// use origin_policy::middleware::OriginPolicyLayer;
    /// use origin_policy::{Mode, Policy};
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
    ///
    /// [`OriginPolicyLayer::mode_from_api_secret`]:
    ///     crate::middleware::OriginPolicyLayer::mode_from_api_secret
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
    /// use origin_policy::{Mode, Policy};
    /// use origin_policy::store::PolicyStore;
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
