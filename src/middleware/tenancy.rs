//! Where a request's mode and policy come from, for both layers ([`OriginPolicyLayer`] and
//! [`FrameAncestorsLayer`]): the mode fixed, read from the request, or not set; the one
//! policy, or a [`PolicyStore`] with the closure that names the request's tenant.
//!
//! [`OriginPolicyLayer`]: super::OriginPolicyLayer
//! [`FrameAncestorsLayer`]: super::FrameAncestorsLayer

use std::hash::Hash;
use std::sync::Arc;

use http::request::Parts;

use crate::mode::Mode;
use crate::policy::Policy;
use crate::store::PolicyStore;

type ModeFn = dyn Fn(&Parts) -> Option<Mode> + Send + Sync;

/// Where a layer takes each request's mode from.
#[derive(Clone)]
pub(super) enum ModeSource {
    /// No mode: every request has none.
    Unset,
    Fixed(Mode),
    FromRequest(Arc<ModeFn>),
}

impl ModeSource {
    /// A mode read from the request by `mode`.
    pub(super) fn from_request<F>(mode: F) -> Self
    where
        F: Fn(&Parts) -> Option<Mode> + Send + Sync + 'static,
    {
        ModeSource::FromRequest(Arc::new(mode))
    }

    /// The request's mode, if it has one.
    pub(super) fn mode(&self, parts: &Parts) -> Option<Mode> {
        match self {
            ModeSource::Unset => None,
            ModeSource::Fixed(mode) => Some(*mode),
            ModeSource::FromRequest(mode) => mode(parts),
        }
    }

    /// How the mode is set, for `Debug`.
    pub(super) fn describe(&self) -> String {
        match self {
            ModeSource::Unset => "unset".to_owned(),
            ModeSource::Fixed(mode) => mode.to_string(),
            ModeSource::FromRequest(_) => "from request".to_owned(),
        }
    }
}

/// The one policy, or the tenants' store.
#[derive(Clone)]
pub(super) enum Policies {
    One(Policy),
    Tenants(Arc<dyn TenantPolicies>),
}

impl Policies {
    /// A store and the closure that names a request's tenant.
    pub(super) fn store<K, F>(store: Arc<PolicyStore<K>>, tenant: F) -> Self
    where
        K: std::borrow::Borrow<str> + Hash + Eq + Send + Sync + 'static,
        F: for<'a> Fn(&'a Parts) -> Option<&'a str> + Send + Sync + 'static,
    {
        Policies::Tenants(Arc::new(StoreLookup { store, tenant }))
    }

    /// The tenant the request names; always `None` with one policy.
    pub(super) fn tenant<'a>(&self, parts: &'a Parts) -> Option<&'a str> {
        match self {
            Policies::One(_) => None,
            Policies::Tenants(tenants) => tenants.tenant(parts),
        }
    }

    /// Calls `decide` with the policy that applies to a request naming `tenant` (what
    /// [`tenant`](Self::tenant) returned): the one policy, or the tenant's in the store;
    /// `None` when the store has no tenant by that name, or no tenant was named.
    pub(super) fn with_policy<R>(
        &self,
        tenant: Option<&str>,
        mut decide: impl FnMut(Option<&Policy>) -> R,
    ) -> R {
        match (self, tenant) {
            (Policies::One(policy), _) => decide(Some(policy)),
            (Policies::Tenants(_), None) => decide(None),
            (Policies::Tenants(tenants), Some(tenant)) => {
                let mut answer = None;
                tenants.with_policy(tenant, &mut |policy| answer = Some(decide(policy)));
                // The store calls back exactly once; had it not, the tenant counts as
                // unknown.
                answer.unwrap_or_else(|| decide(None))
            }
        }
    }

    /// Which kind, for `Debug`.
    pub(super) fn describe(&self) -> &'static str {
        match self {
            Policies::One(_) => "one policy",
            Policies::Tenants(_) => "policy store",
        }
    }
}

/// A store with the closure that names a request's tenant, with the key type erased.
pub(super) trait TenantPolicies: Send + Sync {
    /// The tenant the request names, if any.
    fn tenant<'a>(&self, parts: &'a Parts) -> Option<&'a str>;

    /// Calls `decide` once, with the policy of `tenant` if the store holds one.
    fn with_policy(&self, tenant: &str, decide: &mut dyn FnMut(Option<&Policy>));
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

    fn with_policy(&self, tenant: &str, decide: &mut dyn FnMut(Option<&Policy>)) {
        self.store.with_policy(tenant, decide)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(uri: &str) -> Parts {
        http::Request::get(uri).body(()).unwrap().into_parts().0
    }

    fn rules(policy: Option<&Policy>) -> Option<usize> {
        policy.map(|policy| policy.rules(Mode::Live).len())
    }

    #[test]
    fn the_mode_is_none_unset_fixed_or_read_from_the_request() {
        let request = parts("/flow/test");
        assert_eq!(ModeSource::Unset.mode(&request), None);
        assert_eq!(
            ModeSource::Fixed(Mode::Live).mode(&request),
            Some(Mode::Live)
        );
        let from_path =
            ModeSource::from_request(|parts| parts.uri.path().strip_prefix("/flow/")?.parse().ok());
        assert_eq!(from_path.mode(&request), Some(Mode::Test));
        assert_eq!(from_path.mode(&parts("/other")), None);
    }

    #[test]
    fn one_policy_has_no_tenant_and_a_store_names_one_per_request() {
        let policy = Policy::builder()
            .allow(Mode::Live, "https://a.example")
            .build()
            .unwrap();
        let one = Policies::One(policy.clone());
        assert_eq!(one.tenant(&parts("/?acme")), None);
        assert_eq!(one.with_policy(None, rules), Some(1));

        let store = Arc::new(PolicyStore::<String>::new());
        store.insert("acme".to_owned(), policy);
        let tenants = Policies::store(store, |parts| parts.uri.query());
        assert_eq!(tenants.tenant(&parts("/?acme")), Some("acme"));
        assert_eq!(tenants.tenant(&parts("/")), None);
        assert_eq!(tenants.with_policy(Some("acme"), rules), Some(1));
        assert_eq!(tenants.with_policy(Some("nobody"), rules), None);
        assert_eq!(tenants.with_policy(None, rules), None);
    }
}
